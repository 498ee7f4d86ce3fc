//! The parser: floe text to the AST, by recursive descent over `grammar/floe.pest`.
//!
//! It reads the grammar's language exactly (a property test and a fuzz target hold
//! it to pest's reading of the grammar: the same tree, or both reject) and works on
//! bytes: every token is ASCII but the text of strings and comments. After each token
//! the blank space and comments that follow are skipped (and comments kept), so
//! `pos` is always where the next token starts and `last_end` where the last one
//! ended: a node's span is from its first token to its last.
//!
//! Where the grammar's PEG reading backtracks, the parser looks ahead instead; the two
//! places where backtracking changes what is accepted (a `"""` string that is never
//! closed reads as `""` and more; `required` before `=` is the next field's name) are
//! done as the grammar does them.
//!
//! Two modes: exact, which stops at the first syntax error (a file that parses is
//! parsed once, in this mode), and recovering, which reports the error, skips to the
//! next entry and goes on, keeping the item, its kind, its name and its other fields.

use super::ast::*;
use super::lexer::{self, Token};
use super::strings::{self, RawPart};
use crate::diagnostic::{Code, Diagnostic, did_you_mean, messages};
use crate::source::{FileId, Span};

/// How many operands one expression may join with `+`: a longer chain nests too
/// deep for the recursive stages after the parser.
const MAX_OPERANDS: usize = 256;

/// How deep `[`, `{`, `(` and interpolations may nest. Real stacks nest a handful
/// of levels; the limit keeps every recursive stage (parser, checker, formatter)
/// within its stack.
pub const MAX_NESTING: usize = 128;

const HELP_ITEM: &str =
    "a file holds items: `import \"std/postgres\"`, `let name = value` and `kind name { ... }`";
const HELP_BLOCK: &str = "an item is written `kind name { ... }`, as in `service api { ... }`";
const HELP_ENTRY: &str =
    "an entry is `name = value`, `name: type`, `let name = value` or `kind name { ... }`";
const HELP_FIELD: &str = "a field is written `name = value`";
const HELP_VALUE: &str = "a value is a number, a quantity (`500m`), a string, a list `[...]`, a record `{...}` or a name";
const HELP_TYPE: &str =
    "a type is a name (`string`, `bytes`, a component) or a list of one: `[string]`";
const HELP_MEMBER: &str = "after `.` comes the name of a field, port or column";
const HELP_LIST: &str = "separate the values of a list with `,` and close it with `]`";
const HELP_CALL: &str = "separate the arguments with `,` and close the call with `)`";
const HELP_PAREN: &str = "close the parenthesis with `)`";
const HELP_RECORD: &str = "a record holds fields `name = value` and ends with `}`";
const HELP_BODY: &str = "close the item with `}`";
const HELP_INTERP: &str = "an interpolation `${...}` holds one value and ends with `}`";
const HELP_IMPORT: &str =
    "an import is written `import \"std/postgres\"` or `import \"./file.floe\"`";
const HELP_LET: &str = "a definition is written `let name = value`";

/// A syntax error stopped the rule; its diagnostic is in [`Parser::error`].
pub(super) struct Fail;

type PResult<T> = Result<T, Fail>;

/// Where the parser is, to go back to.
#[derive(Clone, Copy)]
struct Mark {
    pos: usize,
    depth: usize,
    last_end: usize,
    comments: usize,
    diagnostics: usize,
}

/// A field whose value did not parse, kept by recovery with an empty value.
struct PartialField {
    key: Key,
    subpath: Vec<Key>,
    op: FieldOp,
    op_span: Span,
}

pub(super) struct Parser<'t> {
    file: FileId,
    text: &'t str,
    b: &'t [u8],
    /// Added to offsets in `text`: where the text starts in its file.
    base: usize,
    pos: usize,
    last_end: usize,
    /// The closers of what is open (`}`, `]`, `)`), innermost last.
    open: Vec<u8>,
    /// The entries of the bodies being read, innermost last. Each body's are moved
    /// out at its end into a vector of their exact number: a vector grown entry by
    /// entry holds room for up to twice as many, and the tree keeps that room.
    body_entries: Vec<Entry>,
    /// The fields of the records being read, in the same way.
    record_fields: Vec<Field>,
    recovering: bool,
    partial: Option<PartialField>,
    pub comments: Vec<Comment>,
    pub diagnostics: Vec<Diagnostic>,
    /// The syntax error that stopped the parse (or, recovering, the current entry).
    pub error: Option<Diagnostic>,
    /// Set when nesting goes past [`MAX_NESTING`]: that stops the whole parse.
    pub too_deep: Option<Diagnostic>,
    /// Recovering: where the last opener left open was reported, and how many
    /// diagnostics there were then (see [`Self::report_left_open`]).
    left_open: Option<(usize, usize)>,
    /// Where [`Self::error`] is when it is about an opener that is missing its closer.
    error_leaves_open: Option<usize>,
}

impl<'t> Parser<'t> {
    /// A parser of `text`, which starts at byte `base` of file `file`.
    pub fn new(file: FileId, text: &'t str, base: usize, recovering: bool) -> Parser<'t> {
        let mut p = Parser {
            file,
            text,
            b: text.as_bytes(),
            base,
            pos: 0,
            last_end: 0,
            open: Vec::new(),
            body_entries: Vec::new(),
            record_fields: Vec::new(),
            recovering,
            partial: None,
            comments: Vec::new(),
            diagnostics: Vec::new(),
            error: None,
            too_deep: None,
            left_open: None,
            error_leaves_open: None,
        };
        p.skip();
        p
    }

    /// Parses the items of the text. Exact: stops at the first error. Recovering:
    /// reports each error and returns what could be read.
    pub fn items(&mut self) -> PResult<Vec<Item>> {
        let mut items = Vec::new();
        while !self.at_end() {
            let depth = self.open.len();
            match self.item() {
                Ok(item) => items.push(item),
                Err(Fail) if self.recovering && self.too_deep.is_none() => {
                    self.open.truncate(depth);
                    self.take_error();
                    self.skip_to_end();
                }
                Err(Fail) => return Err(Fail),
            }
        }
        Ok(items)
    }

    // The lexical layer.

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, self.base + start, self.base + end)
    }

    fn at_end(&self) -> bool {
        self.pos >= self.b.len()
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.b.get(self.pos + ahead).copied()
    }

    fn at_str(&self, s: &str) -> bool {
        self.b
            .get(self.pos..)
            .is_some_and(|r| r.starts_with(s.as_bytes()))
    }

    fn at_keyword(&self, word: &str) -> bool {
        lexer::at_keyword(self.b, self.pos, word)
    }

    fn name_len(&self) -> usize {
        lexer::name_len(self.b, self.pos)
    }

    /// Skips the blank space and comments at `pos`, keeping the comments.
    fn skip(&mut self) {
        let (file, base, text, comments) = (self.file, self.base, self.text, &mut self.comments);
        self.pos = lexer::skip_trivia(self.b, self.pos, |s, e| {
            comments.push(Comment {
                text: text.get(s..e).unwrap_or("").to_string(),
                span: Span::new(file, base + s, base + e),
            });
        });
    }

    /// Consumes `len` bytes of token and the blank space after them.
    fn bump(&mut self, len: usize) {
        self.pos += len;
        self.last_end = self.pos;
        self.skip();
    }

    /// Where the next token starts after the blank space from `at`, without
    /// consuming anything.
    fn next_token_after(&self, at: usize) -> usize {
        lexer::skip_trivia(self.b, at, |_, _| {})
    }

    fn mark(&self) -> Mark {
        Mark {
            pos: self.pos,
            depth: self.open.len(),
            last_end: self.last_end,
            comments: self.comments.len(),
            diagnostics: self.diagnostics.len(),
        }
    }

    fn reset(&mut self, m: Mark) {
        self.pos = m.pos;
        self.open.truncate(m.depth);
        self.last_end = m.last_end;
        self.comments.truncate(m.comments);
        self.diagnostics.truncate(m.diagnostics);
        self.error = None;
        self.error_leaves_open = None;
    }

    /// Opens something that `closer` closes.
    fn enter(&mut self, closer: u8) -> PResult<()> {
        self.open.push(closer);
        if self.open.len() > MAX_NESTING {
            let at = self.span(self.pos, self.pos + 1);
            self.too_deep = Some(messages::too_deep(at, MAX_NESTING));
            return Err(Fail);
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.open.pop();
    }

    /// Recovering, whether the closer at `pos` is not the innermost opener's but
    /// closes something around it (`f(a = 1 }`): what is open inside it is left
    /// unclosed.
    fn closes_enclosing(&self) -> bool {
        let Some(closer @ (b'}' | b')' | b']')) = self.peek() else {
            return false;
        };
        self.open
            .split_last()
            .is_some_and(|(&inner, outer)| inner != closer && outer.contains(&closer))
    }

    // Errors.

    /// Fails with "expected …, found …" at the next token.
    fn fail<T>(&mut self, expected: &[&str], help: &str) -> PResult<T> {
        if self.error.is_none() {
            self.error = Some(self.syntax_error(expected, help, None));
        }
        Err(Fail)
    }

    /// Fails at a missing closing delimiter, with a label on its opener.
    fn fail_unclosed<T>(&mut self, open: usize, expected: &[&str], help: &str) -> PResult<T> {
        if self.error.is_none() {
            self.error_leaves_open = Some(self.pos);
        }
        let d = self.unclosed_error(open, expected, help);
        self.fail_at(d)
    }

    /// The error of a missing closing delimiter at `pos`, with a label on its opener.
    fn unclosed_error(&self, open: usize, expected: &[&str], help: &str) -> Diagnostic {
        if self.at_end() && self.b.get(open) != Some(&b'$') {
            return self.never_closed(open);
        }
        self.syntax_error(expected, help, Some(open))
    }

    /// The opener at `open` is never closed: the text ended, or what is around it did.
    fn never_closed(&self, open: usize) -> Diagnostic {
        let opener = self.text.get(open..open + 1).unwrap_or("{");
        let outer = self
            .closes_enclosing()
            .then(|| self.text.get(self.pos..self.pos + 1))
            .flatten();
        messages::unclosed(
            self.span(open, open + 1),
            opener,
            self.span(self.last_end, self.last_end),
            outer,
        )
    }

    /// "expected …, found …" at the next token, with a label on the opener at `open`
    /// when it is what is missing a closer (or an unclosed comment there).
    fn syntax_error(&self, expected: &[&str], help: &str, open: Option<usize>) -> Diagnostic {
        if lexer::at_open_comment(self.b, self.pos) {
            return messages::unterminated_comment(self.span(self.pos, self.pos + 2));
        }
        let (found, len) = lexer::describe(self.text, self.pos);
        let expected: Vec<String> = expected.iter().map(|e| e.to_string()).collect();
        let span = self.span(self.pos, self.pos + len);
        let d = messages::syntax_error(span, &expected, &found).with_help(help);
        let Some(open) = open else {
            return d;
        };
        let (span, opener) = self.opener(open);
        d.with_label(span, format!("`{opener}` opened here"))
    }

    /// The opener at `open` (`${` is two bytes) and its span.
    fn opener(&self, open: usize) -> (Span, &'t str) {
        let len = if self.b.get(open) == Some(&b'$') {
            2
        } else {
            1
        };
        let opener = self.text.get(open..open + len).unwrap_or("(");
        (self.span(open, open + len), opener)
    }

    /// Recovering: reports `d`, about the opener at `open` left open at `pos`. Where
    /// one closer leaves several openers open (`[[a }`), that is one mistake: the
    /// first opener's diagnostic labels the others, and its fix closes them all.
    fn report_left_open(&mut self, open: usize, d: Diagnostic) {
        let now = (self.pos, self.diagnostics.len());
        let (span, opener) = self.opener(open);
        let same_closer = !self.at_end() && self.left_open == Some(now);
        match self.diagnostics.last_mut() {
            Some(first) if same_closer => {
                messages::also_left_open(first, span, opener);
            }
            _ => {
                self.diagnostics.push(d);
                self.left_open = Some((self.pos, self.diagnostics.len()));
            }
        }
    }

    fn fail_at<T>(&mut self, d: Diagnostic) -> PResult<T> {
        if self.error.is_none() {
            self.error = Some(d);
        }
        Err(Fail)
    }

    /// Recovering: moves the error that stopped an entry to the diagnostics.
    fn take_error(&mut self) {
        if let Some(d) = self.error.take() {
            self.diagnostics.push(d);
            // What else is left open where it stopped is the same mistake.
            if self.error_leaves_open == Some(self.pos) {
                self.left_open = Some((self.pos, self.diagnostics.len()));
            }
        }
        self.error_leaves_open = None;
    }

    /// Recovering: skips the rest of the text being parsed (a top-level piece).
    fn skip_to_end(&mut self) {
        while !self.at_end() {
            let (_, len) = lexer::token(self.b, self.pos);
            self.bump(len.max(1));
        }
    }

    /// Where the entry that failed was read to: where it failed, or past the string
    /// there when that is what failed. An unterminated string ends at its line and is
    /// reported there, so its quote does not start the next entry: read again, it
    /// would be reported again.
    fn read_to(&self) -> usize {
        let at_quote = Some(self.span(self.pos, self.pos + 1));
        let unterminated = self
            .error
            .as_ref()
            .is_some_and(|d| d.code == Code::E0004 && d.span == at_quote);
        if !unterminated {
            return self.pos;
        }
        let (_, len) = lexer::token(self.b, self.pos);
        self.pos + len
    }

    /// Recovering from an entry that failed: skips from its start to the next entry,
    /// the end of the enclosing body (`}`, not consumed) or a `,`. Brackets are
    /// skipped whole, unless a line at the entry's indentation or less starts
    /// something an entry can start with: that one is left open.
    ///
    /// It never stops before where the failed entry was read to: what the entry read
    /// (and reported) in a record it left open is not read again, so that every part
    /// of the text is read once, however deep such records nest.
    fn skip_entry(&mut self, start: Mark, read_to: usize) {
        self.reset_keeping_diagnostics(start);
        let indent = lexer::column(self.b, self.pos);
        let mut depth = 0usize;
        let mut first = true;
        while !self.at_end() {
            let (token, len) = lexer::token(self.b, self.pos);
            let new_line = !first && self.line_break_before(self.pos);
            first = false;
            if self.pos >= read_to {
                if depth == 0 && token == Token::CloseBrace {
                    return;
                }
                if depth == 0 && token == Token::Comma {
                    self.bump(len);
                    return;
                }
                // On a new line, what starts an entry at the broken entry's indentation
                // or left of it is the next entry, and a `}` left of it closes the body;
                // a `}` at its indentation closes something the entry opened (`})`).
                if new_line {
                    let column = lexer::column(self.b, self.pos);
                    let next = match token {
                        Token::EntryStart => depth == 0 || column <= indent,
                        Token::CloseBrace => depth == 0 || column < indent,
                        _ => false,
                    };
                    if next {
                        return;
                    }
                }
            }
            match token {
                Token::Open => depth += 1,
                Token::Close | Token::CloseBrace => depth = depth.saturating_sub(1),
                _ => {}
            }
            self.bump(len.max(1));
        }
    }

    /// Recovering, whether the `}` at `pos` closes something around the record opened
    /// at `open` rather than the record: it starts its line, left of the line the
    /// record opens on.
    fn closes_outer(&self, open: usize) -> bool {
        self.peek() == Some(b'}')
            && self.line_break_before(self.pos)
            && lexer::column(self.b, self.pos) < lexer::indentation(self.b, open)
    }

    /// Recovering, whether an entry starts a line at `pos`, at the indentation of the
    /// line the record opened at `open` is on or left of it: in a record with an
    /// error, the entry is one of something around the record, which was left open.
    fn entry_left_of(&self, open: usize) -> bool {
        self.line_break_before(self.pos)
            && lexer::column(self.b, self.pos) <= lexer::indentation(self.b, open)
            && (self.name_len() > 0 || self.peek() == Some(b'"'))
    }

    /// Recovering from an entry that failed at `start`: reports its error and skips
    /// it, keeping it as a field without a value when its `name =` was read.
    fn broken_field(&mut self, start: Mark) -> Option<Field> {
        let read_to = self.read_to();
        self.take_error();
        let partial = self.partial.take();
        let broken = self.span(start.pos, self.last_end.max(start.pos));
        self.skip_entry(start, read_to);
        if self.pos == start.pos && !self.at_end() && self.peek() != Some(b'}') {
            let (_, len) = lexer::token(self.b, self.pos);
            self.bump(len.max(1));
        }
        partial.map(|p| Field {
            value: missing_expr(p.op_span),
            span: broken,
            key: p.key,
            subpath: p.subpath,
            op: p.op,
            op_span: p.op_span,
        })
    }

    fn reset_keeping_diagnostics(&mut self, m: Mark) {
        self.pos = m.pos;
        self.open.truncate(m.depth);
        self.last_end = m.last_end;
        self.comments.truncate(m.comments);
    }

    /// Whether a line break lies between the last token and `at`.
    fn line_break_before(&self, at: usize) -> bool {
        self.b
            .get(self.last_end..at)
            .is_some_and(|gap| gap.contains(&b'\n'))
    }

    // Items.

    fn item(&mut self) -> PResult<Item> {
        if self.at_keyword("import") {
            return self.import().map(Item::Import);
        }
        if self.at_keyword("let") {
            return self.let_item().map(Item::Let);
        }
        if self.name_len() > 0 {
            return self.block().map(Item::Block);
        }
        self.fail(&["an item"], HELP_ITEM)
    }

    fn import(&mut self) -> PResult<Import> {
        let start = self.pos;
        self.bump("import".len());
        if self.peek() != Some(b'"') {
            if self.recovering
                && let Some(import) = self.unquoted_import(start)
            {
                return Ok(import);
            }
            return self.fail(&["a string"], HELP_IMPORT);
        }
        let path_start = self.pos;
        let path = self.string()?;
        Ok(Import {
            path: path.as_plain().unwrap_or_default(),
            path_span: self.span(path_start, self.last_end),
            span: self.span(start, self.last_end),
        })
    }

    /// Recovering, `import std/postgres`: the rest of the line, one word with no
    /// quotes, read as the path, with the quotes it lacks as the fix.
    fn unquoted_import(&mut self, start: usize) -> Option<Import> {
        let rest = self.text.get(self.pos..)?;
        let line = rest.split(['\n', '\r']).next()?;
        let line = line.split("//").next()?.trim_end();
        let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-');
        if line.is_empty()
            || line.len() > 200
            || !line.chars().all(plain)
            || self.line_break_before(self.pos)
        {
            return None;
        }
        let path_span = self.span(self.pos, self.pos + line.len());
        self.diagnostics
            .push(messages::unquoted_import(path_span, line));
        let path = line.to_string();
        self.bump(line.len());
        Some(Import {
            path,
            path_span,
            span: self.span(start, self.last_end),
        })
    }

    fn ident(&mut self, expected: &str, help: &str) -> PResult<Ident> {
        let len = self.name_len();
        if len == 0 {
            return self.fail(&[expected], help);
        }
        let start = self.pos;
        self.bump(len);
        Ok(Ident {
            name: self.text.get(start..start + len).unwrap_or("").to_string(),
            span: self.span(start, start + len),
        })
    }

    fn let_item(&mut self) -> PResult<Let> {
        let start = self.pos;
        self.bump("let".len());
        let name = self.ident("a name", HELP_LET)?;
        let ty = if self.peek() == Some(b':') {
            self.bump(1);
            Some(self.type_expr()?)
        } else {
            None
        };
        if self.peek() != Some(b'=') {
            let expected: &[&str] = if ty.is_some() {
                &["`=`"]
            } else {
                &["`:`", "`=`"]
            };
            return self.fail(expected, HELP_LET);
        }
        self.bump(1);
        let value = self.expr()?;
        Ok(Let {
            name,
            ty,
            value,
            span: self.span(start, self.last_end),
        })
    }

    fn block(&mut self) -> PResult<Block> {
        let start = self.pos;
        let kind = self.ident("a name", HELP_BLOCK)?;
        self.block_rest(start, kind)
    }

    /// A block after its kind: its name and body.
    fn block_rest(&mut self, start: usize, kind: Ident) -> PResult<Block> {
        let name = self.ident("a name", HELP_BLOCK)?;
        let braced = self.peek() == Some(b'{');
        let open = if braced { self.pos } else { self.last_end };
        let entries = if braced {
            self.body()?
        } else if self.recovering && self.error.is_none() {
            // The item is kept, and what follows up to its `}` read as its body.
            self.diagnostics.push(messages::missing_open_brace(
                name.span, &kind.name, &name.name,
            ));
            self.enter(b'}')?;
            let entries = self.entries(None)?;
            self.leave();
            entries
        } else {
            return self.fail(&["`{`"], HELP_BLOCK);
        };
        Ok(Block {
            kind,
            name,
            entries,
            body_span: self.span(open, self.last_end),
            span: self.span(start, self.last_end),
        })
    }

    /// `{ entries }`, at its `{`.
    fn body(&mut self) -> PResult<Vec<Entry>> {
        let open = self.pos;
        self.enter(b'}')?;
        self.bump(1);
        let entries = self.entries(Some(open))?;
        self.leave();
        Ok(entries)
    }

    /// The entries of a body up to its `}`, which is read too; `open` is where its
    /// `{` is (`None` when it is missing, recovering).
    fn entries(&mut self, open: Option<usize>) -> PResult<Vec<Entry>> {
        let base = self.body_entries.len();
        let read = self.read_entries(open, base);
        let entries = self.body_entries.drain(base..).collect();
        read.map(|()| entries)
    }

    /// Reads a body's entries onto [`Self::body_entries`], above `base`.
    fn read_entries(&mut self, open: Option<usize>, base: usize) -> PResult<()> {
        loop {
            if self.peek() == Some(b'}') {
                self.bump(1);
                break;
            }
            if self.at_end() {
                match open {
                    Some(open) if self.recovering => self.diagnostics.push(self.never_closed(open)),
                    Some(open) => return self.fail_unclosed(open, &["`}`"], HELP_BODY),
                    None => {}
                }
                break;
            }
            let start = self.mark();
            self.partial = None;
            let entry = match self.entry() {
                Ok(entry) => entry,
                Err(Fail) if self.recovering && self.too_deep.is_none() => {
                    match self.broken_field(start) {
                        Some(field) => Entry::Field(field),
                        None => continue,
                    }
                }
                Err(Fail) => return Err(Fail),
            };
            if let Some(prev) = self.body_entries.get(base..).and_then(<[Entry]>::last) {
                self.check_separator(prev.span(), entry.span());
            }
            self.body_entries.push(entry);
            if self.peek() == Some(b',') {
                self.bump(1);
            }
        }
        Ok(())
    }

    /// Entries on one line must be separated by a comma.
    fn check_separator(&mut self, prev: Span, next: Span) {
        let start = (prev.end as usize).saturating_sub(self.base);
        let end = (next.start as usize).saturating_sub(self.base);
        let separated = self
            .b
            .get(start..end)
            .is_none_or(|between| between.contains(&b',') || between.contains(&b'\n'));
        if !separated {
            self.diagnostics
                .push(messages::missing_separator(prev, next));
        }
    }

    fn entry(&mut self) -> PResult<Entry> {
        if self.at_keyword("let") {
            return self.let_item().map(Entry::Let);
        }
        if self.peek() == Some(b'"') {
            return self.field().map(Entry::Field);
        }
        let len = self.name_len();
        if len == 0 {
            return self.fail(&["`}`", "a field"], HELP_ENTRY);
        }
        let after = self.next_token_after(self.pos + len);
        match self.b.get(after) {
            Some(b'.' | b'=' | b'<' | b'>') => self.field().map(Entry::Field),
            Some(b'!') if self.b.get(after + 1) == Some(&b'=') => self.field().map(Entry::Field),
            Some(b':') => self.param(),
            Some(&b) if lexer::is_ident_start(b) && lexer::name_len(self.b, after) > 0 => {
                let start = self.pos;
                let kind = self.ident("a name", HELP_ENTRY)?;
                self.block_rest(start, kind).map(Entry::Block)
            }
            _ => self.missing_equals(),
        }
    }

    /// `name value`: a field without its `=`. Recovering, when what follows starts a
    /// value, it is read as the field's value.
    fn missing_equals(&mut self) -> PResult<Entry> {
        let start = self.pos;
        let key = self.key()?;
        let starts_value = self.starts_literal() || self.peek() == Some(b'[');
        let at = self.span(self.last_end, self.last_end);
        let (found, len) = lexer::describe(self.text, self.pos);
        let found_span = self.span(self.pos, self.pos + len);
        if !starts_value {
            return self.fail(&["`=`", "`:`", "a name"], HELP_ENTRY);
        }
        let d = messages::missing_equals(found_span, at, &found);
        if !self.recovering {
            return self.fail_at(d);
        }
        self.diagnostics.push(d);
        let value = self.expr()?;
        Ok(Entry::Field(Field {
            key,
            subpath: Vec::new(),
            op: FieldOp::Assign,
            op_span: at,
            value,
            span: self.span(start, self.last_end),
        }))
    }

    /// Whether the next token starts a literal: a string, a number, a boolean.
    fn starts_literal(&self) -> bool {
        match self.peek() {
            Some(b'"' | b'0'..=b'9') => true,
            Some(b'-') => self.peek_at(1).is_some_and(|b| b.is_ascii_digit()),
            _ => self.at_keyword("true") || self.at_keyword("false"),
        }
    }

    fn field(&mut self) -> PResult<Field> {
        let start = self.pos;
        let key = self.key()?;
        let mut subpath = Vec::new();
        while self.peek() == Some(b'.') {
            self.bump(1);
            subpath.push(self.key()?);
        }
        let op_start = self.pos;
        let (op, len) = match self.field_op() {
            Some(op) => op,
            None if self.recovering && self.peek() == Some(b':') => {
                self.diagnostics.push(messages::colon_for_equals(
                    self.span(self.pos, self.pos + 1),
                ));
                (FieldOp::Assign, 1)
            }
            None => return self.fail(&["`=`"], HELP_FIELD),
        };
        self.bump(len);
        let op_span = self.span(op_start, op_start + len);
        // What a broken value leaves of the field; only recovery reads it.
        if self.recovering {
            self.partial = Some(PartialField {
                key: key.clone(),
                subpath: subpath.clone(),
                op,
                op_span,
            });
        }
        if self.entry_on_next_line() {
            let op_text = self.text.get(op_start..op_start + len).unwrap_or("=");
            return self.fail_at(messages::missing_value(op_span, op_text));
        }
        let value = self.expr()?;
        self.partial = None;
        Ok(Field {
            key,
            subpath,
            op,
            op_span,
            value,
            span: self.span(start, self.last_end),
        })
    }

    fn key(&mut self) -> PResult<Key> {
        let start = self.pos;
        if self.peek() == Some(b'"') {
            let s = self.string()?;
            return Ok(Key {
                name: s.as_plain().unwrap_or_default(),
                quoted: true,
                span: self.span(start, self.last_end),
            });
        }
        let name = self.ident("a name", HELP_FIELD)?;
        Ok(Key {
            name: name.name,
            quoted: false,
            span: name.span,
        })
    }

    /// The comparison or `=` at `pos`, and its length.
    fn field_op(&self) -> Option<(FieldOp, usize)> {
        let two = self.b.get(self.pos..self.pos + 2);
        let op = match two {
            Some(b"==") => (FieldOp::Eq, 2),
            Some(b"!=") => (FieldOp::Ne, 2),
            Some(b">=") => (FieldOp::Ge, 2),
            Some(b"<=") => (FieldOp::Le, 2),
            _ => match self.peek()? {
                b'=' => (FieldOp::Assign, 1),
                b'>' => (FieldOp::Gt, 1),
                b'<' => (FieldOp::Lt, 1),
                _ => return None,
            },
        };
        Some(op)
    }

    /// `name: type = default`, or `name: value` written for `name = value`.
    fn param(&mut self) -> PResult<Entry> {
        let start = self.pos;
        let name = self.ident("a name", HELP_ENTRY)?;
        let colon = self.span(self.pos, self.pos + 1);
        self.bump(1);
        let value_not_type = self.starts_literal() || self.peek() == Some(b'{');
        if value_not_type {
            let d = messages::colon_for_equals(colon);
            if !self.recovering {
                return self.fail_at(d);
            }
            self.diagnostics.push(d);
            let value = self.expr()?;
            return Ok(Entry::Field(Field {
                key: Key {
                    name: name.name,
                    quoted: false,
                    span: name.span,
                },
                subpath: Vec::new(),
                op: FieldOp::Assign,
                op_span: colon,
                value,
                span: self.span(start, self.last_end),
            }));
        }
        let ty = self.type_expr()?;
        let default = if self.peek() == Some(b'=') {
            self.bump(1);
            Some(self.expr()?)
        } else {
            None
        };
        Ok(Entry::Param(Param {
            name,
            ty,
            default,
            span: self.span(start, self.last_end),
        }))
    }

    fn type_expr(&mut self) -> PResult<TypeExpr> {
        let start = self.pos;
        let kind = if self.peek() == Some(b'[') {
            self.enter(b']')?;
            self.bump(1);
            let inner = self.type_expr()?;
            if self.peek() != Some(b']') {
                return self.fail_unclosed(start, &["`]`"], HELP_TYPE);
            }
            self.bump(1);
            self.leave();
            TypeExprKind::List(Box::new(inner))
        } else {
            TypeExprKind::Named(self.ident("a type", HELP_TYPE)?)
        };
        let optional = self.peek() == Some(b'?');
        if optional {
            self.bump(1);
        }
        Ok(TypeExpr {
            kind,
            optional,
            span: self.span(start, self.last_end),
        })
    }

    // Expressions.

    /// Operands joined by `+`, in at most two groups separated by `..`.
    fn expr(&mut self) -> PResult<Expr> {
        let start = self.pos;
        let first = self.operand()?;
        if !self.at_str("..") && self.peek() != Some(b'+') {
            return Ok(first);
        }
        let mut groups: Vec<Vec<Expr>> = vec![vec![first]];
        let mut range_ops: Vec<Span> = Vec::new();
        loop {
            if self.at_str("..") {
                range_ops.push(self.span(self.pos, self.pos + 2));
                self.bump(2);
                groups.push(Vec::new());
            } else if self.peek() == Some(b'+') {
                self.bump(1);
            } else {
                break;
            }
            self.no_entry_after_operator()?;
            let operand = self.operand()?;
            if let Some(group) = groups.last_mut() {
                group.push(operand);
            }
        }
        let span = self.span(start, self.last_end);
        let operands: usize = groups.iter().map(Vec::len).sum();
        if operands > MAX_OPERANDS {
            self.diagnostics
                .push(messages::too_many_operands(span, MAX_OPERANDS));
            return Ok(missing_expr(span));
        }
        if let Some(extra) = range_ops.get(1) {
            let expected = vec!["a value".to_string()];
            self.diagnostics.push(
                messages::syntax_error(*extra, &expected, "a second `..`")
                    .with_help("a range has one `..`: `1..10`"),
            );
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
        Ok(match sums.next() {
            Some(hi) => Expr {
                kind: ExprKind::Range(Box::new(lo), Box::new(hi)),
                span,
            },
            None => lo,
        })
    }

    /// Recovering, after `+` or `..` at the end of a line: the next line's `name =`
    /// is the next entry, not an operand.
    fn no_entry_after_operator(&mut self) -> PResult<()> {
        if !self.entry_on_next_line() {
            return Ok(());
        }
        let op_end = self.last_end;
        let op_len = if self.b.get(op_end - 1) == Some(&b'.') {
            2
        } else {
            1
        };
        let op = self
            .text
            .get(op_end - op_len..op_end)
            .unwrap_or("+")
            .to_string();
        self.fail_at(messages::dangling_operator(
            self.span(op_end - op_len, op_end),
            &op,
        ))
    }

    /// Recovering, whether `pos` starts a line with `name =` (or a comparison): a
    /// name followed by one is never an operand, so it is the next entry.
    fn entry_on_next_line(&self) -> bool {
        let len = self.name_len();
        if !self.recovering || len == 0 || !self.line_break_before(self.pos) {
            return false;
        }
        let after = self.next_token_after(self.pos + len);
        matches!(self.b.get(after), Some(b'=' | b'<' | b'>'))
            || self.b.get(after..after + 2) == Some(b"!=")
    }

    /// A primary with its member accesses, calls and `required` marks.
    fn operand(&mut self) -> PResult<Expr> {
        let start = self.pos;
        let mut e = self.primary()?;
        loop {
            match self.peek() {
                Some(b'.') if self.peek_at(1) != Some(b'.') => {
                    let dot = self.pos;
                    self.bump(1);
                    if self.entry_on_next_line() {
                        return self.fail_at(messages::dangling_dot(self.span(dot, dot + 1)));
                    }
                    let name = self.member_name()?;
                    e = Expr {
                        span: self.span(start, self.last_end),
                        kind: ExprKind::Member(Box::new(e), name),
                    };
                }
                Some(b'(') => {
                    let args = self.call()?;
                    e = Expr {
                        span: self.span(start, self.last_end),
                        kind: ExprKind::Call(Box::new(e), args),
                    };
                }
                _ => break,
            }
        }
        while self.at_keyword("required") {
            let before = self.mark();
            self.bump("required".len());
            if self.field_op().is_some() {
                self.reset(before);
                break;
            }
            e = Expr {
                span: self.span(start, self.last_end),
                kind: ExprKind::Required(Box::new(e)),
            };
        }
        if self.recovering && self.misspelt_required() {
            let len = self.name_len();
            let word = self.span(self.pos, self.pos + len);
            let text = self.text.get(self.pos..self.pos + len).unwrap_or_default();
            self.diagnostics
                .push(messages::misspelt_required(word, text));
            self.bump(len);
            e = Expr {
                span: self.span(start, self.last_end),
                kind: ExprKind::Required(Box::new(e)),
            };
        }
        Ok(e)
    }

    /// Recovering, whether a word on the value's line, not followed by what makes it
    /// the next entry, is a misspelt `required`.
    fn misspelt_required(&self) -> bool {
        let len = self.name_len();
        if len == 0 || self.line_break_before(self.pos) {
            return false;
        }
        let after = self.next_token_after(self.pos + len);
        let next_entry = matches!(
            self.b.get(after),
            Some(b'=' | b'<' | b'>' | b'!' | b'.' | b':' | b'{')
        );
        let word = self.text.get(self.pos..self.pos + len).unwrap_or_default();
        !next_entry && did_you_mean(word, ["required"]).is_some()
    }

    fn member_name(&mut self) -> PResult<Ident> {
        if self.peek() == Some(b'"') {
            let start = self.pos;
            let s = self.string()?;
            return Ok(Ident {
                name: s.as_plain().unwrap_or_default(),
                span: self.span(start, self.last_end),
            });
        }
        self.ident("a name", HELP_MEMBER)
    }

    /// `( args )`, at its `(`.
    fn call(&mut self) -> PResult<Vec<Arg>> {
        self.delimited(b')', &["`,`", "`)`"], HELP_CALL, Self::arg)
    }

    /// What `item` reads, separated by `,` (a trailing one allowed) up to `close`,
    /// at the opener.
    fn delimited<T>(
        &mut self,
        close: u8,
        expected: &[&str],
        help: &str,
        mut item: impl FnMut(&mut Self) -> PResult<T>,
    ) -> PResult<Vec<T>> {
        let open = self.pos;
        self.enter(close)?;
        self.bump(1);
        // Room for one: most calls take one argument (`generate(24)`, `tcp(port)`),
        // and a vector's first growth makes room for four.
        let mut items = Vec::with_capacity(1);
        if self.peek() != Some(close) {
            loop {
                items.push(item(self)?);
                if self.peek() != Some(b',') {
                    break;
                }
                self.bump(1);
                if self.peek() == Some(close) {
                    break;
                }
            }
        }
        if self.peek() != Some(close) {
            if self.recovering && (self.at_end() || self.closes_enclosing()) {
                let d = self.unclosed_error(open, expected, help);
                self.report_left_open(open, d);
                self.leave();
                return Ok(items);
            }
            return self.fail_unclosed(open, expected, help);
        }
        self.bump(1);
        self.leave();
        Ok(items)
    }

    /// `name = value` or `value`.
    fn arg(&mut self) -> PResult<Arg> {
        if self.name_len() > 0 {
            let before = self.mark();
            let name = self.ident("a name", HELP_CALL)?;
            if self.peek() == Some(b'=') {
                self.bump(1);
                if self.peek() != Some(b'=') {
                    let value = self.expr()?;
                    return Ok(Arg {
                        name: Some(name),
                        value,
                    });
                }
            }
            self.reset(before);
        }
        let value = self.expr()?;
        Ok(Arg { name: None, value })
    }

    fn primary(&mut self) -> PResult<Expr> {
        let start = self.pos;
        let kind = match self.peek() {
            Some(b'0'..=b'9') => self.number()?,
            Some(b'-') if self.peek_at(1).is_some_and(|b| b.is_ascii_digit()) => self.number()?,
            Some(b't') if self.at_keyword("true") => {
                self.bump(4);
                ExprKind::Bool(true)
            }
            Some(b'f') if self.at_keyword("false") => {
                self.bump(5);
                ExprKind::Bool(false)
            }
            Some(b'"') => ExprKind::Str(self.any_string()?),
            Some(b'[') => ExprKind::List(self.list()?),
            Some(b'{') => ExprKind::Record(self.record()?),
            Some(b'(') => {
                self.enter(b')')?;
                self.bump(1);
                let inner = self.expr()?;
                if self.peek() != Some(b')') {
                    return self.fail_unclosed(start, &["`)`"], HELP_PAREN);
                }
                self.bump(1);
                self.leave();
                ExprKind::Paren(Box::new(inner))
            }
            _ => {
                let len = self.name_len();
                if len == 0 {
                    return self.fail(&["a value"], HELP_VALUE);
                }
                self.bump(len);
                ExprKind::Name(self.text.get(start..start + len).unwrap_or("").to_string())
            }
        };
        Ok(Expr {
            kind,
            span: self.span(start, self.last_end),
        })
    }

    /// A number or a quantity (a number with a unit, no space between). One that
    /// does not fit is reported and becomes an empty name, which the checker treats
    /// as an error already reported.
    fn number(&mut self) -> PResult<ExprKind> {
        let start = self.pos;
        let digits = |at: usize| {
            self.b
                .get(at..)
                .unwrap_or(&[])
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count()
        };
        let mut end = start + usize::from(self.peek() == Some(b'-'));
        end += digits(end);
        if self.b.get(end) == Some(&b'.') && digits(end + 1) > 0 {
            end += 1 + digits(end + 1);
        }
        let number_text = self.text.get(start..end).unwrap_or("");
        let unit_len = self
            .b
            .get(end..)
            .unwrap_or(&[])
            .iter()
            .take_while(|b| b.is_ascii_alphabetic())
            .count();
        let parsed = strings::parse_decimal(number_text);
        self.bump(end + unit_len - start);
        let span = self.span(start, self.last_end);
        if unit_len == 0 {
            match parsed {
                Some(d) if d.scale > 0 => return Ok(ExprKind::Float(d)),
                Some(d) => {
                    if let Ok(n) = i64::try_from(d.mantissa()) {
                        return Ok(ExprKind::Int(n));
                    }
                }
                None => {}
            }
            self.diagnostics.push(messages::number_out_of_range(span));
            return Ok(ExprKind::Name(String::new()));
        }
        let Some(number) = parsed else {
            self.diagnostics.push(messages::number_out_of_range(span));
            return Ok(ExprKind::Name(String::new()));
        };
        let unit = self.text.get(end..end + unit_len).unwrap_or("").to_string();
        let unit_span = self.span(end, end + unit_len);
        if !crate::units::is_known(&unit) {
            self.diagnostics
                .push(messages::unknown_unit(unit_span, &unit));
        }
        Ok(ExprKind::Quantity(Quantity {
            number,
            unit,
            unit_span,
        }))
    }

    /// `[ values ]`, at its `[`.
    fn list(&mut self) -> PResult<Vec<Expr>> {
        self.delimited(b']', &["`,`", "`]`"], HELP_LIST, Self::expr)
    }

    /// `{ fields }`, at its `{`.
    fn record(&mut self) -> PResult<Vec<Field>> {
        let open = self.pos;
        self.enter(b'}')?;
        self.bump(1);
        let outer = self.partial.take();
        let base = self.record_fields.len();
        let read = self.read_fields(open, base);
        let fields = self.record_fields.drain(base..).collect();
        read?;
        self.partial = outer;
        self.leave();
        Ok(fields)
    }

    /// Reads a record's fields onto [`Self::record_fields`], above `base`, up to its
    /// `}`; `open` is where its `{` is.
    fn read_fields(&mut self, open: usize, base: usize) -> PResult<()> {
        let reported = self.diagnostics.len();
        loop {
            if self.peek() == Some(b'}') && !(self.recovering && self.closes_outer(open)) {
                self.bump(1);
                break;
            }
            if self.recovering
                && (self.at_end()
                    || self.closes_outer(open)
                    || self.closes_enclosing()
                    || (self.diagnostics.len() > reported && self.entry_left_of(open)))
            {
                let d = self.never_closed(open);
                self.report_left_open(open, d);
                break;
            }
            let start = self.mark();
            let field = if self.peek() != Some(b'"') && self.name_len() == 0 {
                self.fail_unclosed(open, &["`}`", "a field"], HELP_RECORD)
            } else {
                self.field()
            };
            let field = match field {
                Ok(field) => field,
                Err(Fail) if self.recovering && self.too_deep.is_none() => {
                    match self.broken_field(start) {
                        Some(field) => field,
                        None => continue,
                    }
                }
                Err(Fail) => return Err(Fail),
            };
            if let Some(prev) = self.record_fields.get(base..).and_then(<[Field]>::last) {
                self.check_separator(prev.span, field.span);
            }
            self.record_fields.push(field);
            if self.peek() == Some(b',') {
                self.bump(1);
            }
        }
        Ok(())
    }

    // Strings.

    /// A `"""` string or a `"` one. A `"""` that is never closed reads, as the
    /// grammar's ordered choice does, as the empty string `""` followed by a `"`;
    /// recovering, it is reported where it opens.
    fn any_string(&mut self) -> PResult<Str> {
        if !self.at_str("\"\"\"") {
            return self.string();
        }
        let before = self.mark();
        match self.multiline_string() {
            Ok(s) => Ok(s),
            Err(Fail) if self.too_deep.is_some() || self.recovering => Err(Fail),
            Err(Fail) => {
                self.reset(before);
                self.string()
            }
        }
    }

    /// A `"` string, at its quote. It ends on its line.
    fn string(&mut self) -> PResult<Str> {
        let quote = self.pos;
        if let Some(s) = self.plain_string(quote) {
            return Ok(s);
        }
        let mut i = quote + 1;
        let mut raw = Vec::new();
        loop {
            match self.b.get(i) {
                None | Some(b'\n') => {
                    return self
                        .fail_at(messages::unterminated_string(self.span(quote, quote + 1)));
                }
                Some(b'"') => {
                    i += 1;
                    break;
                }
                Some(b'\\') => {
                    let escaped = self
                        .text
                        .get(i + 1..)
                        .and_then(|r| r.chars().next())
                        .filter(|&c| c != '\n')
                        .map_or(0, char::len_utf8);
                    let escape = self.text.get(i..i + 1 + escaped).unwrap_or("\\");
                    match strings::unescape(escape) {
                        Some(c) => raw.push(RawPart::Text(c.to_string())),
                        None => self.diagnostics.push(messages::invalid_escape(
                            self.span(i, i + 1 + escaped),
                            escape,
                        )),
                    }
                    i += 1 + escaped;
                }
                Some(_) => i = self.string_piece(i, false, &mut raw)?,
            }
        }
        self.pos = i;
        self.bump(0);
        Ok(Str {
            parts: strings::join(raw),
            multiline: false,
        })
    }

    /// The `"` string at `quote` when it is plain text: no escape, no `$`, closed
    /// on its line (most strings are). Read without joining pieces.
    fn plain_string(&mut self, quote: usize) -> Option<Str> {
        let body = self.b.get(quote + 1..)?;
        let len = body
            .iter()
            .position(|&b| matches!(b, b'"' | b'\\' | b'$' | b'\n'))?;
        if body.get(len) != Some(&b'"') {
            return None;
        }
        let text = self.text.get(quote + 1..quote + 1 + len)?;
        let parts = if text.is_empty() {
            Vec::new()
        } else {
            vec![StrPart::Text(text.to_string())]
        };
        self.bump(len + 2);
        Some(Str {
            parts,
            multiline: false,
        })
    }

    /// The piece of a string's body at `i` that both kinds of string read alike: an
    /// interpolation `${...}`, a `$${` (a literal `${`) or a run of text. Returns
    /// where the next piece starts.
    fn string_piece(
        &mut self,
        i: usize,
        multiline: bool,
        raw: &mut Vec<RawPart>,
    ) -> PResult<usize> {
        if self.b.get(i..i + 2) == Some(b"${") {
            raw.push(RawPart::Interp(self.interpolation(i)?));
            return Ok(self.pos + 1);
        }
        if self.b.get(i..i + 3) == Some(b"$${") {
            raw.push(RawPart::Text("${".to_string()));
            return Ok(i + 3);
        }
        let end = self.text_end(i, multiline);
        raw.push(RawPart::Source(
            self.text.get(i..end).unwrap_or("").to_string(),
        ));
        Ok(end)
    }

    /// A `"""` string, at its quotes.
    fn multiline_string(&mut self) -> PResult<Str> {
        let open = self.pos;
        let mut i = open + 3;
        let mut raw = Vec::new();
        loop {
            match self.b.get(i) {
                None => {
                    return self.fail_at(messages::unterminated_string(self.span(open, open + 3)));
                }
                Some(b'"') if self.b.get(i..i + 3) == Some(b"\"\"\"") => {
                    i += 3;
                    break;
                }
                Some(_) => i = self.string_piece(i, true, &mut raw)?,
            }
        }
        self.pos = i;
        self.bump(0);
        Ok(Str {
            parts: strings::dedent(raw),
            multiline: true,
        })
    }

    /// Where the plain text of a string that starts at `i` ends: before a quote
    /// that closes, a backslash and a line break (one-line strings), `${` and `$${`.
    fn text_end(&self, mut i: usize, multiline: bool) -> usize {
        let b = self.b;
        // The first byte is text whatever it is (the caller tried the rest).
        i += self
            .text
            .get(i..)
            .and_then(|r| r.chars().next())
            .map_or(1, char::len_utf8);
        while let Some(&c) = b.get(i) {
            let stop = match c {
                b'"' => !multiline || b.get(i..i + 3) == Some(b"\"\"\""),
                b'\\' | b'\n' => !multiline,
                b'$' => b.get(i + 1) == Some(&b'{') || b.get(i + 1..i + 3) == Some(b"${"),
                _ => false,
            };
            if stop {
                break;
            }
            i += 1;
        }
        i
    }

    /// `${ value }` at byte `at` of a string. Leaves `pos` at the closing `}`.
    fn interpolation(&mut self, at: usize) -> PResult<Expr> {
        self.pos = at + 2;
        self.enter(b'}')?;
        self.skip();
        let value = self.expr()?;
        if self.peek() != Some(b'}') {
            return self.fail_unclosed(at, &["`}`"], HELP_INTERP);
        }
        self.leave();
        Ok(value)
    }
}

fn missing_expr(span: Span) -> Expr {
    Expr {
        kind: ExprKind::Name(String::new()),
        span,
    }
}
