//! The oracle of the parser: `grammar/floe.pest`, the normative grammar, read by
//! pest, and its pairs built into the AST as the grammar means them. The parser
//! (`src/syntax/parser.rs`) must give the same tree, spans and diagnostics for every
//! text pest accepts, and reject every text pest rejects: `tests/it/syntax.rs` and
//! the fuzz target `oracle` hold it to that.
//!
//! The grammar accepts some things broadly (any unit after a number, any character
//! after a backslash, entries on one line) and the builder reports them, as the
//! parser does.

use pest::Parser as _;
use pest::iterators::{Pair, Pairs};

use floe::diagnostic::{Diagnostic, messages};
use floe::source::{FileId, Span};
use floe::syntax::ast::*;
use floe::syntax::strings;
use floe::units::Decimal;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/floe.pest"]
struct Grammar;

/// What the grammar makes of a text: `None` when pest rejects it.
pub struct Reading {
    pub items: Vec<Item>,
    pub diagnostics: Vec<Diagnostic>,
}

pub fn read(file: FileId, text: &str) -> Option<Reading> {
    let pairs = Grammar::parse(Rule::file, text).ok()?;
    let mut builder = Builder::new(file, text);
    let items = builder.items(pairs);
    Some(Reading {
        items,
        diagnostics: builder.diagnostics,
    })
}

/// How many operands one expression may join with `+`: a longer chain nests too
/// deep for the recursive stages after the parser.
const MAX_OPERANDS: usize = 256;

struct Builder<'t> {
    file: FileId,
    text: &'t str,
    pub diagnostics: Vec<Diagnostic>,
}

impl<'t> Builder<'t> {
    fn new(file: FileId, text: &'t str) -> Builder<'t> {
        Builder {
            file,
            text,
            diagnostics: Vec::new(),
        }
    }

    /// The span of a pair without the blank space and comments pest lets a rule
    /// swallow after its last token.
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        Span::new(self.file, s.start(), content_end(pair))
    }

    /// The children of a pair. Comments are skipped by the grammar and found by
    /// the scanner (`scan.rs`).
    fn children<'i>(&mut self, pair: Pair<'i, Rule>) -> Vec<Pair<'i, Rule>> {
        pair.into_inner().collect()
    }

    fn items(&mut self, pairs: Pairs<'_, Rule>) -> Vec<Item> {
        let mut items = Vec::new();
        for top in pairs {
            for pair in self.children(top) {
                match pair.as_rule() {
                    Rule::EOI => {}
                    _ => items.push(self.item(pair)),
                }
            }
        }
        items
    }

    fn item(&mut self, pair: Pair<'_, Rule>) -> Item {
        match pair.as_rule() {
            Rule::import => Item::Import(self.import(pair)),
            Rule::let_item => Item::Let(self.let_item(pair)),
            _ => Item::Block(self.block(pair)),
        }
    }

    fn import(&mut self, pair: Pair<'_, Rule>) -> Import {
        let span = self.span(&pair);
        let mut path = String::new();
        let mut path_span = span;
        for child in self.children(pair) {
            if child.as_rule() == Rule::string {
                path_span = self.span(&child);
                let s = self.string(child);
                path = s.as_plain().unwrap_or_default();
            }
        }
        Import {
            path,
            path_span,
            span,
        }
    }

    fn let_item(&mut self, pair: Pair<'_, Rule>) -> Let {
        let span = self.span(&pair);
        let mut name = None;
        let mut ty = None;
        let mut value = None;
        for child in self.children(pair) {
            match child.as_rule() {
                Rule::name => name = Some(self.ident(&child)),
                Rule::type_expr => ty = Some(self.type_expr(child)),
                Rule::expr => value = Some(self.expr(child)),
                _ => {}
            }
        }
        Let {
            name: name.unwrap_or_else(|| self.missing_ident(span)),
            ty,
            value: value.unwrap_or_else(|| missing_expr(span)),
            span,
        }
    }

    fn block(&mut self, pair: Pair<'_, Rule>) -> Block {
        let span = self.span(&pair);
        let mut names = Vec::new();
        let mut entries = Vec::new();
        let mut body_span = span;
        for child in self.children(pair) {
            match child.as_rule() {
                Rule::name => names.push(self.ident(&child)),
                Rule::body => {
                    body_span = self.span(&child);
                    entries = self.body(child);
                }
                _ => {}
            }
        }
        let mut names = names.into_iter();
        let kind = names.next().unwrap_or_else(|| self.missing_ident(span));
        let name = names.next().unwrap_or_else(|| self.missing_ident(span));
        Block {
            kind,
            name,
            entries,
            body_span,
            span,
        }
    }

    fn body(&mut self, pair: Pair<'_, Rule>) -> Vec<Entry> {
        let mut entries: Vec<Entry> = Vec::new();
        for child in self.children(pair) {
            let entry = match child.as_rule() {
                Rule::field => Entry::Field(self.field(child)),
                Rule::param => Entry::Param(self.param(child)),
                Rule::let_item => Entry::Let(self.let_item(child)),
                Rule::block => Entry::Block(self.block(child)),
                _ => continue,
            };
            if let Some(prev) = entries.last() {
                self.check_separator(prev.span(), entry.span());
            }
            entries.push(entry);
        }
        entries
    }

    /// Entries on one line must be separated by a comma.
    fn check_separator(&mut self, prev: Span, next: Span) {
        let between = Span::new(self.file, prev.end as usize, next.start as usize);
        let comma_or_newline = self.gap_has_separator(between);
        if !comma_or_newline {
            self.diagnostics
                .push(messages::missing_separator(prev, next));
        }
    }

    fn gap_has_separator(&self, gap: Span) -> bool {
        let (start, end) = (gap.start as usize, gap.end as usize);
        self.text
            .get(start..end)
            .is_none_or(|between| between.contains([',', '\n']))
    }

    fn field(&mut self, pair: Pair<'_, Rule>) -> Field {
        let span = self.span(&pair);
        let mut keys = Vec::new();
        let mut op = FieldOp::Assign;
        let mut op_span = span;
        let mut value = None;
        for child in self.children(pair) {
            match child.as_rule() {
                Rule::name | Rule::string => keys.push(self.key(child)),
                Rule::field_op => {
                    op_span = self.span(&child);
                    op = field_op(child.as_str());
                }
                Rule::expr => value = Some(self.expr(child)),
                _ => {}
            }
        }
        let mut keys = keys.into_iter();
        let key = keys.next().unwrap_or_else(|| Key {
            name: String::new(),
            quoted: false,
            span,
        });
        Field {
            key,
            subpath: keys.collect(),
            op,
            op_span,
            value: value.unwrap_or_else(|| missing_expr(span)),
            span,
        }
    }

    fn key(&mut self, pair: Pair<'_, Rule>) -> Key {
        let span = self.span(&pair);
        if pair.as_rule() == Rule::string {
            let s = self.string(pair);
            Key {
                name: s.as_plain().unwrap_or_default(),
                quoted: true,
                span,
            }
        } else {
            Key {
                name: pair.as_str().to_string(),
                quoted: false,
                span,
            }
        }
    }

    fn param(&mut self, pair: Pair<'_, Rule>) -> Param {
        let span = self.span(&pair);
        let mut name = None;
        let mut ty = None;
        let mut default = None;
        for child in self.children(pair) {
            match child.as_rule() {
                Rule::name => name = Some(self.ident(&child)),
                Rule::type_expr => ty = Some(self.type_expr(child)),
                Rule::expr => default = Some(self.expr(child)),
                _ => {}
            }
        }
        let name = name.unwrap_or_else(|| self.missing_ident(span));
        Param {
            ty: ty.unwrap_or_else(|| TypeExpr {
                kind: TypeExprKind::Named(name.clone()),
                optional: false,
                span,
            }),
            name,
            default,
            span,
        }
    }

    fn type_expr(&mut self, pair: Pair<'_, Rule>) -> TypeExpr {
        let span = self.span(&pair);
        let mut kind = None;
        let mut optional = false;
        for child in self.children(pair) {
            match child.as_rule() {
                Rule::name => kind = Some(TypeExprKind::Named(self.ident(&child))),
                Rule::list_type => {
                    let inner = self
                        .children(child)
                        .into_iter()
                        .next()
                        .map(|t| self.type_expr(t));
                    if let Some(inner) = inner {
                        kind = Some(TypeExprKind::List(Box::new(inner)));
                    }
                }
                Rule::optional_mark => optional = true,
                _ => {}
            }
        }
        TypeExpr {
            kind: kind.unwrap_or_else(|| TypeExprKind::Named(self.missing_ident(span))),
            optional,
            span,
        }
    }

    fn ident(&self, pair: &Pair<'_, Rule>) -> Ident {
        Ident {
            name: pair.as_str().to_string(),
            span: self.span(pair),
        }
    }

    fn missing_ident(&self, span: Span) -> Ident {
        Ident {
            name: String::new(),
            span,
        }
    }

    // Expressions.

    /// Builds an expression from its flat sequence of operands and operators.
    fn expr(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let span = self.span(&pair);
        // Operands joined by `+`, in groups separated by `..`.
        let mut groups: Vec<Vec<Expr>> = vec![Vec::new()];
        let mut range_ops: Vec<Span> = Vec::new();
        for child in self.children(pair) {
            let child_span = self.span(&child);
            match child.as_rule() {
                Rule::plus => {}
                Rule::range_op => {
                    range_ops.push(child_span);
                    groups.push(Vec::new());
                }
                Rule::member | Rule::call | Rule::modifier => {
                    let group = groups.last_mut();
                    if let Some(base) = group.and_then(|g| g.pop()) {
                        let applied = self.postfix(base, child);
                        if let Some(g) = groups.last_mut() {
                            g.push(applied);
                        }
                    }
                }
                _ => {
                    let primary = self.primary(child);
                    if let Some(g) = groups.last_mut() {
                        g.push(primary);
                    }
                }
            }
        }
        let operands: usize = groups.iter().map(Vec::len).sum();
        if operands > MAX_OPERANDS {
            self.diagnostics
                .push(messages::too_many_operands(span, MAX_OPERANDS));
            return missing_expr(span);
        }
        if let Some(extra) = range_ops.get(1) {
            let expected = vec!["a value".to_string()];
            self.diagnostics
                .push(messages::syntax_error(*extra, &expected, "a second `..`"));
        }
        let mut sums = groups.into_iter().map(|operands| {
            operands
                .into_iter()
                .reduce(|left, right| Expr {
                    span: left.span.to(right.span),
                    kind: ExprKind::Add(Box::new(left), Box::new(right)),
                })
                .unwrap_or_else(|| missing_expr(span))
        });
        let lo = sums.next().unwrap_or_else(|| missing_expr(span));
        match sums.next() {
            Some(hi) => Expr {
                kind: ExprKind::Range(Box::new(lo), Box::new(hi)),
                span,
            },
            None => lo,
        }
    }

    /// Applies a member access, call or modifier to `base`.
    fn postfix(&mut self, base: Expr, child: Pair<'_, Rule>) -> Expr {
        let child_span = self.span(&child);
        let span = base.span.to(child_span);
        match child.as_rule() {
            Rule::member => {
                let name = match self.children(child).into_iter().next() {
                    Some(n) if n.as_rule() == Rule::string => {
                        let span = self.span(&n);
                        let text = self.string(n).as_plain().unwrap_or_default();
                        Ident { name: text, span }
                    }
                    Some(n) => self.ident(&n),
                    None => self.missing_ident(child_span),
                };
                Expr {
                    span,
                    kind: ExprKind::Member(Box::new(base), name),
                }
            }
            Rule::call => {
                let args = self.args(child);
                Expr {
                    span,
                    kind: ExprKind::Call(Box::new(base), args),
                }
            }
            _ => Expr {
                span,
                kind: ExprKind::Required(Box::new(base)),
            },
        }
    }

    fn args(&mut self, pair: Pair<'_, Rule>) -> Vec<Arg> {
        let mut args = Vec::new();
        for arg in self.children(pair) {
            let mut name = None;
            let mut value = None;
            let arg_span = self.span(&arg);
            for part in self.children(arg) {
                match part.as_rule() {
                    Rule::name => name = Some(self.ident(&part)),
                    Rule::expr => value = Some(self.expr(part)),
                    _ => {}
                }
            }
            args.push(Arg {
                name,
                value: value.unwrap_or_else(|| missing_expr(arg_span)),
            });
        }
        args
    }

    fn primary(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::boolean => ExprKind::Bool(pair.as_str() == "true"),
            Rule::number => self.number(pair.as_str(), span),
            Rule::quantity => self.quantity(pair, span),
            Rule::string | Rule::ml_string => ExprKind::Str(self.string(pair)),
            Rule::name => ExprKind::Name(pair.as_str().to_string()),
            Rule::paren => {
                let inner = self.children(pair).into_iter().next();
                let inner = inner.map_or_else(|| missing_expr(span), |p| self.expr(p));
                ExprKind::Paren(Box::new(inner))
            }
            Rule::list => {
                let items = self.children(pair);
                ExprKind::List(items.into_iter().map(|p| self.expr(p)).collect())
            }
            Rule::record => ExprKind::Record(self.record(pair)),
            _ => ExprKind::Name(String::new()),
        };
        Expr { kind, span }
    }

    fn record(&mut self, pair: Pair<'_, Rule>) -> Vec<Field> {
        let mut fields: Vec<Field> = Vec::new();
        for child in self.children(pair) {
            let field = self.field(child);
            if let Some(prev) = fields.last() {
                self.check_separator(prev.span, field.span);
            }
            fields.push(field);
        }
        fields
    }

    /// A number literal; one that does not fit is reported and becomes an empty
    /// name, which the checker treats as an error already reported.
    fn number(&mut self, text: &str, span: Span) -> ExprKind {
        let parsed = strings::parse_decimal(text);
        match parsed {
            Some(d) if d.scale > 0 => return ExprKind::Float(d),
            Some(d) => {
                if let Ok(n) = i64::try_from(d.mantissa()) {
                    return ExprKind::Int(n);
                }
            }
            None => {}
        }
        self.diagnostics.push(messages::number_out_of_range(span));
        ExprKind::Name(String::new())
    }

    fn quantity(&mut self, pair: Pair<'_, Rule>, span: Span) -> ExprKind {
        let mut number = Decimal::new(0, 0);
        let mut unit = String::new();
        let mut unit_span = span;
        let mut too_large = false;
        for child in self.children(pair) {
            match child.as_rule() {
                Rule::number => match strings::parse_decimal(child.as_str()) {
                    Some(d) => number = d,
                    None => too_large = true,
                },
                Rule::unit => {
                    unit = child.as_str().to_string();
                    unit_span = self.span(&child);
                }
                _ => {}
            }
        }
        if too_large {
            self.diagnostics.push(messages::number_out_of_range(span));
            return ExprKind::Name(String::new());
        }
        if !floe::units::is_known(&unit) {
            self.diagnostics
                .push(messages::unknown_unit(unit_span, &unit));
        }
        ExprKind::Quantity(Quantity {
            number,
            unit,
            unit_span,
        })
    }

    fn string(&mut self, pair: Pair<'_, Rule>) -> Str {
        let multiline = pair.as_rule() == Rule::ml_string;
        let mut raw = Vec::new();
        for part in self.children(pair) {
            let part_span = self.span(&part);
            match part.as_rule() {
                Rule::interp => {
                    let inner = self.children(part).into_iter().next();
                    let expr = inner.map_or_else(|| missing_expr(part_span), |p| self.expr(p));
                    raw.push(strings::RawPart::Interp(expr));
                }
                Rule::dollar_esc => raw.push(strings::RawPart::Text("${".to_string())),
                Rule::escape => match strings::unescape(part.as_str()) {
                    Some(c) => raw.push(strings::RawPart::Text(c.to_string())),
                    None => {
                        self.diagnostics
                            .push(messages::invalid_escape(part_span, part.as_str()));
                    }
                },
                _ => {
                    raw.push(strings::RawPart::Source(part.as_str().to_string()));
                }
            }
        }
        let parts = if multiline {
            strings::dedent(raw)
        } else {
            strings::join(raw)
        };
        Str { parts, multiline }
    }
}

/// Where a pair's last token ends. A rule whose grammar ends with an optional or
/// repeated part also holds the blank space and comments skipped while looking for
/// it; its content ends with its last child. Rules that end with a literal (`}`,
/// `]`, `)`) or are atomic end where pest says.
fn content_end(pair: &Pair<'_, Rule>) -> usize {
    let ends_with_literal = matches!(
        pair.as_rule(),
        Rule::body
            | Rule::record
            | Rule::list
            | Rule::paren
            | Rule::call
            | Rule::list_type
            | Rule::member
            | Rule::interp
            | Rule::string
            | Rule::ml_string
            | Rule::name
            | Rule::number
            | Rule::quantity
            | Rule::boolean
            | Rule::COMMENT
    );
    if ends_with_literal {
        return pair.as_span().end();
    }
    let last = pair
        .clone()
        .into_inner()
        .filter(|c| c.as_rule() != Rule::COMMENT)
        .last();
    match last {
        Some(child) => content_end(&child),
        None => pair.as_span().end(),
    }
}

fn field_op(text: &str) -> FieldOp {
    match text {
        "==" => FieldOp::Eq,
        "!=" => FieldOp::Ne,
        "<" => FieldOp::Lt,
        "<=" => FieldOp::Le,
        ">" => FieldOp::Gt,
        ">=" => FieldOp::Ge,
        _ => FieldOp::Assign,
    }
}

fn missing_expr(span: Span) -> Expr {
    Expr {
        kind: ExprKind::Name(String::new()),
        span,
    }
}

/// Whether the parser reads `text` as the grammar does: the same items, spans and
/// diagnostics (code and place), or both reject it. A text nested deeper than the
/// parser's limit is not compared (the grammar has no limit).
pub fn agree(text: &str) -> Result<(), String> {
    let file = FileId(0);
    let ours = floe::syntax::parse_exact(file, text);
    if ours.is_none() {
        let deep = floe::syntax::parse(file, text)
            .diagnostics
            .iter()
            .any(|d| d.code.as_str() == "E0007");
        if deep {
            return Ok(());
        }
    }
    let theirs = read(file, text);
    let places = |ds: &[Diagnostic]| -> Vec<(String, Option<Span>)> {
        ds.iter()
            .map(|d| (d.code.as_str().to_string(), d.span))
            .collect()
    };
    match (ours, theirs) {
        (None, None) => Ok(()),
        (Some(ours), Some(theirs)) => {
            if ours.file.items != theirs.items {
                return Err(format!(
                    "different trees for {text:?}:\nparser: {:#?}\ngrammar: {:#?}",
                    ours.file.items, theirs.items
                ));
            }
            let (a, b) = (places(&ours.diagnostics), places(&theirs.diagnostics));
            if a != b {
                return Err(format!(
                    "different diagnostics for {text:?}:\nparser: {a:?}\ngrammar: {b:?}"
                ));
            }
            Ok(())
        }
        (Some(_), None) => Err(format!(
            "the parser accepts what the grammar rejects: {text:?}"
        )),
        (None, Some(_)) => Err(format!(
            "the parser rejects what the grammar accepts: {text:?}"
        )),
    }
}
