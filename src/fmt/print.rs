//! From the syntax tree to a [`Doc`]: the canonical layout of each construct, and the
//! place of each comment.
//!
//! The tree is walked in source order. Before each node, the comments that start
//! before it are taken from [`Comments`]: in a sequence (the items of the file, the
//! entries of a body, a broken record or list) they keep their own line or their
//! place at the end of a line; inside a line (between the parts of an expression)
//! they stay inline. Literals, names and strings are printed as written.

use super::comments::{self, Comments};
use super::doc::{Doc, render};
use super::strings;
use crate::source::Span;
use crate::syntax::ast::*;

pub(super) struct Printer<'a> {
    source: &'a str,
    comments: Comments<'a>,
}

impl<'a> Printer<'a> {
    pub(super) fn new(source: &'a str, comments: &'a [Comment]) -> Printer<'a> {
        Printer {
            source,
            comments: Comments::new(source, comments),
        }
    }

    pub(super) fn file(&mut self, file: &File) -> Doc {
        let mut seq = Seq::new(Style::Top, 0);
        let mut prev: Option<&Item> = None;
        for item in &file.items {
            seq.blank_next = prev.is_some_and(|prev| !self.compact(prev, item));
            seq.element(self, item.span(), |p| p.item(item));
            prev = Some(item);
        }
        seq.blank_next = prev.is_some();
        Doc::Concat(seq.finish(self, end_of(self.source)))
    }

    /// Two items that may stand on consecutive lines: imports, or one-line lets.
    fn compact(&self, first: &Item, second: &Item) -> bool {
        match (first, second) {
            (Item::Import(_), Item::Import(_)) => true,
            (Item::Let(a), Item::Let(b)) => self.one_line(a) && self.one_line(b),
            _ => false,
        }
    }

    fn one_line(&self, item: &Let) -> bool {
        if self.comments.any_within(item.span) {
            return false;
        }
        let doc = Printer::new(self.source, &[]).let_item(item);
        !render(&doc).contains('\n')
    }

    fn item(&mut self, item: &Item) -> Doc {
        match item {
            Item::Import(import) => {
                Doc::Concat(vec![Doc::text("import "), self.verbatim(import.path_span)])
            }
            Item::Let(item) => self.let_item(item),
            Item::Block(block) => self.block(block),
        }
    }

    fn let_item(&mut self, item: &Let) -> Doc {
        let mut docs = vec![Doc::text("let "), self.name(&item.name)];
        if let Some(ty) = &item.ty {
            docs.push(Doc::text(": "));
            docs.push(self.ty(ty));
        }
        docs.push(Doc::text(" = "));
        docs.push(self.expr(&item.value));
        Doc::Concat(docs)
    }

    fn block(&mut self, block: &Block) -> Doc {
        Doc::Concat(vec![
            self.name(&block.kind),
            Doc::text(" "),
            self.name(&block.name),
            Doc::text(" "),
            self.body(block.body_span, &block.entries),
        ])
    }

    /// An item body: one entry per line, always. Comments between the item's name
    /// and `{` move inside the braces, after the `{`.
    fn body(&mut self, span: Span, entries: &[Entry]) -> Doc {
        let mut seq = Seq::new(Style::Body, span.start.saturating_add(1));
        for entry in entries {
            seq.element(self, entry.span(), |p| p.entry(entry));
        }
        let inner = seq.finish(self, span.end.saturating_sub(1));
        if inner.is_empty() {
            return Doc::text("{}");
        }
        Doc::Concat(vec![
            Doc::text("{"),
            Doc::Nest(inner),
            Doc::Hard { blank: false },
            Doc::text("}"),
        ])
    }

    fn entry(&mut self, entry: &Entry) -> Doc {
        match entry {
            Entry::Field(field) => self.field(field),
            Entry::Param(param) => self.param(param),
            Entry::Let(item) => self.let_item(item),
            Entry::Block(block) => self.block(block),
        }
    }

    fn field(&mut self, field: &Field) -> Doc {
        let mut docs = vec![self.key(&field.key)];
        for key in &field.subpath {
            docs.push(Doc::text("."));
            docs.push(self.key(key));
        }
        docs.push(Doc::text(" "));
        docs.push(self.leading(field.op_span.start));
        docs.push(Doc::text(format!("{} ", field.op.as_str())));
        docs.push(self.expr(&field.value));
        Doc::Concat(docs)
    }

    fn key(&mut self, key: &Key) -> Doc {
        if key.quoted {
            self.verbatim(key.span)
        } else {
            Doc::Concat(vec![self.leading(key.span.start), Doc::text(&key.name)])
        }
    }

    fn param(&mut self, param: &Param) -> Doc {
        let mut docs = vec![self.name(&param.name), Doc::text(": "), self.ty(&param.ty)];
        if let Some(default) = &param.default {
            docs.push(Doc::text(" = "));
            docs.push(self.expr(default));
        }
        Doc::Concat(docs)
    }

    fn ty(&mut self, ty: &TypeExpr) -> Doc {
        let mut docs = vec![self.leading(ty.span.start)];
        match &ty.kind {
            TypeExprKind::Named(name) => docs.push(self.name(name)),
            TypeExprKind::List(inner) => {
                docs.push(Doc::text("["));
                docs.push(self.ty(inner));
                docs.push(self.before_closer(ty.span.end));
                docs.push(Doc::text("]"));
            }
        }
        if ty.optional {
            docs.push(self.before_closer(ty.span.end));
            docs.push(Doc::text("?"));
        }
        Doc::Concat(docs)
    }

    fn name(&mut self, name: &Ident) -> Doc {
        Doc::Concat(vec![self.leading(name.span.start), Doc::text(&name.name)])
    }

    // Expressions.

    fn expr(&mut self, expr: &Expr) -> Doc {
        let lead = self.leading(expr.span.start);
        let doc = match &expr.kind {
            ExprKind::Str(string) => self.string(expr.span, string),
            ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Quantity(_) => {
                Doc::text(self.slice(expr.span))
            }
            ExprKind::Bool(value) => Doc::text(if *value { "true" } else { "false" }),
            ExprKind::Name(name) => Doc::text(name),
            ExprKind::Member(..) | ExprKind::Call(..) | ExprKind::Required(_) => self.postfix(expr),
            ExprKind::List(items) => self.list(expr.span, items),
            ExprKind::Record(fields) => self.record(expr.span, fields),
            ExprKind::Range(lo, hi) => {
                Doc::Concat(vec![self.expr(lo), Doc::text(".."), self.expr(hi)])
            }
            ExprKind::Add(..) => self.sum(expr),
            ExprKind::Paren(inner) => Doc::Concat(vec![
                Doc::text("("),
                self.expr(inner),
                self.before_closer(expr.span.end.saturating_sub(1)),
                Doc::text(")"),
            ]),
        };
        Doc::Concat(vec![lead, doc])
    }

    /// `a + b + c`, walked along its left spine without recursion: a long sum is a
    /// deep tree.
    fn sum(&mut self, expr: &Expr) -> Doc {
        let mut operands = Vec::new();
        let mut left = expr;
        while let ExprKind::Add(l, r) = &left.kind {
            operands.push(r.as_ref());
            left = l;
        }
        operands.push(left);
        let mut docs = Vec::new();
        for (i, operand) in operands.into_iter().rev().enumerate() {
            if i > 0 {
                docs.push(Doc::text(" + "));
            }
            docs.push(self.expr(operand));
        }
        Doc::Concat(docs)
    }

    /// Member accesses, calls and modifiers after a primary, walked without recursion.
    fn postfix(&mut self, expr: &Expr) -> Doc {
        let mut chain = Vec::new();
        let mut base = expr;
        while let ExprKind::Member(inner, _)
        | ExprKind::Call(inner, _)
        | ExprKind::Required(inner) = &base.kind
        {
            chain.push(base);
            base = inner;
        }
        let mut docs = vec![self.expr(base)];
        for link in chain.into_iter().rev() {
            match &link.kind {
                ExprKind::Member(_, name) => {
                    docs.push(Doc::text("."));
                    docs.push(self.member(name));
                }
                ExprKind::Call(_, args) => docs.push(self.args(link.span, args)),
                _ => {
                    let keyword = link.span.end.saturating_sub(REQUIRED.len() as u32);
                    docs.push(Doc::text(" "));
                    docs.push(self.leading(keyword));
                    docs.push(Doc::text(REQUIRED));
                }
            }
        }
        Doc::Concat(docs)
    }

    /// A member name: a name, or a string for keys that are not names.
    fn member(&mut self, name: &Ident) -> Doc {
        if self.slice(name.span).starts_with('"') {
            self.verbatim(name.span)
        } else {
            self.name(name)
        }
    }

    fn args(&mut self, call: Span, args: &[Arg]) -> Doc {
        let mut docs = vec![Doc::text("(")];
        for (i, arg) in args.iter().enumerate() {
            if i > 0 {
                docs.push(Doc::text(", "));
            }
            if let Some(name) = &arg.name {
                docs.push(self.name(name));
                docs.push(Doc::text(" = "));
            }
            docs.push(self.expr(&arg.value));
        }
        docs.push(self.before_closer(call.end.saturating_sub(1)));
        docs.push(Doc::text(")"));
        Doc::Concat(docs)
    }

    /// `[a, b]`, or one element per line with a comma after each.
    fn list(&mut self, span: Span, items: &[Expr]) -> Doc {
        let mut seq = Seq::new(Style::List, span.start.saturating_add(1));
        for (i, item) in items.iter().enumerate() {
            seq.element(self, item.span, |p| p.expr(item));
            let last = i + 1 == items.len();
            seq.docs.push(if last {
                Doc::IfBroken(",")
            } else {
                Doc::text(",")
            });
        }
        let inner = seq.finish(self, span.end.saturating_sub(1));
        bracketed("[", inner, "", "]")
    }

    /// `{ a = 1, b = 2 }`, or one field per line without commas.
    fn record(&mut self, span: Span, fields: &[Field]) -> Doc {
        let mut seq = Seq::new(Style::Record, span.start.saturating_add(1));
        for (i, field) in fields.iter().enumerate() {
            seq.element(self, field.span, |p| p.field(field));
            if i + 1 < fields.len() {
                seq.docs.push(Doc::IfFlat(","));
            }
        }
        let inner = seq.finish(self, span.end.saturating_sub(1));
        bracketed("{", inner, " ", "}")
    }

    /// A string as written; a `"""` string re-indented to its place when that keeps
    /// its value.
    fn string(&mut self, span: Span, string: &Str) -> Doc {
        let literal = self.slice(span);
        // Comments inside interpolations are part of the literal.
        self.comments.take_before(span.end);
        let lines = string
            .multiline
            .then(|| strings::content_lines(literal, string, self.source))
            .flatten();
        let Some(lines) = lines else {
            return Doc::text(literal);
        };
        let count = lines.len();
        let mut inner = Vec::new();
        for (i, line) in lines.into_iter().enumerate() {
            inner.push(Doc::Hard { blank: false });
            let closing = if i + 1 == count { QUOTES } else { "" };
            inner.push(Doc::text(line + closing));
        }
        Doc::Concat(vec![Doc::text(QUOTES), Doc::Nest(inner)])
    }

    // Comments and source text.

    /// A literal written as in the source, with the comments before it.
    fn verbatim(&mut self, span: Span) -> Doc {
        let lead = self.leading(span.start);
        self.comments.take_before(span.end);
        Doc::Concat(vec![lead, Doc::text(self.slice(span))])
    }

    /// The comments before `pos`, inside a line and before a token: a block comment
    /// is followed by a space, a line comment by a line break.
    fn leading(&mut self, pos: u32) -> Doc {
        let mut docs = Vec::new();
        for comment in self.comments.take_before(pos) {
            docs.push(Doc::Comment(comments::text(comment).to_string()));
            docs.push(if comments::is_line(comment) {
                Doc::Nest(vec![Doc::Hard { blank: false }])
            } else {
                Doc::text(" ")
            });
            docs.push(Doc::BreakParent);
        }
        Doc::Concat(docs)
    }

    /// The comments before a closing bracket at `pos`, inside a line: each preceded by
    /// a space.
    fn before_closer(&mut self, pos: u32) -> Doc {
        let mut docs = Vec::new();
        for comment in self.comments.take_before(pos) {
            docs.push(Doc::Comment(format!(" {}", comments::text(comment))));
            docs.push(if comments::is_line(comment) {
                Doc::Hard { blank: false }
            } else {
                Doc::BreakParent
            });
        }
        Doc::Concat(docs)
    }

    fn slice(&self, span: Span) -> &'a str {
        self.source.get(span.range()).unwrap_or("")
    }
}

const QUOTES: &str = "\"\"\"";
const REQUIRED: &str = "required";

fn end_of(source: &str) -> u32 {
    u32::try_from(source.len()).unwrap_or(u32::MAX)
}

/// A record or list: `open`, the contents and `close` on one line (with `pad`
/// inside the brackets) or broken, the contents one level deeper.
fn bracketed(open: &str, inner: Vec<Doc>, pad: &'static str, close: &str) -> Doc {
    if inner.is_empty() {
        return Doc::text(format!("{open}{close}"));
    }
    Doc::group(vec![
        Doc::text(open),
        Doc::Nest(inner),
        Doc::Line {
            flat: pad,
            blank: false,
        },
        Doc::text(close),
    ])
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    /// The items of a file: no brackets around.
    Top,
    /// The entries of an item body: always one per line.
    Body,
    /// The fields of a record: `{ a = 1, b = 2 }` when flat.
    Record,
    /// The elements of a list: `[a, b]` when flat.
    List,
}

/// A sequence being laid out: elements one per line when broken, with the comments
/// between them.
struct Seq {
    style: Style,
    /// Where the last thing placed ends in the source.
    prev_end: u32,
    /// Whether an element or a comment has been placed.
    started: bool,
    /// Whether the next line break must leave an empty line.
    blank_next: bool,
    /// Whether the last thing placed is a line comment, which ends its line.
    line_ended: bool,
    docs: Vec<Doc>,
}

impl Seq {
    /// A sequence whose contents start at `open` (after its opening bracket).
    fn new(style: Style, open: u32) -> Seq {
        Seq {
            style,
            prev_end: open,
            started: false,
            blank_next: false,
            line_ended: false,
            docs: Vec::new(),
        }
    }

    /// Places an element: the comments before it, a line break, the element.
    fn element(
        &mut self,
        p: &mut Printer<'_>,
        span: Span,
        build: impl FnOnce(&mut Printer<'_>) -> Doc,
    ) {
        self.comments(p, span.start);
        self.line(p, span.start, false);
        let doc = build(p);
        self.docs.push(doc);
        self.prev_end = span.end;
        self.started = true;
        self.line_ended = false;
    }

    /// Places the comments before the closing bracket at `close`; returns the contents.
    fn finish(mut self, p: &mut Printer<'_>, close: u32) -> Vec<Doc> {
        self.comments(p, close);
        self.docs
    }

    /// Places the comments that start before `pos`. One that followed something on
    /// its line stays at the end of that line (but a doc comment goes above what it
    /// documents, and nothing follows a line comment on its line); the others get a
    /// line of their own.
    fn comments(&mut self, p: &mut Printer<'_>, pos: u32) {
        for comment in p.comments.take_before(pos) {
            let after_something = self.started || self.style != Style::Top;
            let trailing = after_something
                && !self.line_ended
                && !comment.is_doc()
                && !p.comments.starts_line(comment.span.start);
            let text = comments::text(comment);
            if trailing {
                self.docs.push(Doc::Comment(format!(" {text}")));
                self.docs.push(Doc::BreakParent);
            } else {
                self.line(p, comment.span.start, true);
                self.docs.push(Doc::Comment(text.to_string()));
            }
            self.prev_end = comment.span.end;
            self.started = true;
            self.line_ended = comments::is_line(comment);
        }
    }

    /// The line break before something starting at `pos`: none before the first
    /// item of a file, an empty line where the source has one (never right after the
    /// opening bracket) or where `blank_next` asks for one.
    fn line(&mut self, p: &Printer<'_>, pos: u32, hard: bool) {
        if self.style == Style::Top && !self.started {
            return;
        }
        let blank =
            self.started && (self.blank_next || p.comments.blank_between(self.prev_end, pos));
        self.blank_next = false;
        let flat = match self.style {
            Style::List if !self.started => "",
            _ => " ",
        };
        self.docs.push(match self.style {
            Style::Top | Style::Body => Doc::Hard { blank },
            Style::Record | Style::List if hard => Doc::Hard { blank },
            Style::Record | Style::List => Doc::Line { flat, blank },
        });
    }
}
