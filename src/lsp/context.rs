//! Where the cursor is, read from the text alone: the code being completed is
//! usually the part that does not parse yet (`db.ports.` is not an expression), so
//! completion cannot ask the syntax tree. A small scanner reads the current item from
//! its first line to the cursor, keeping the nesting — items, records, lists, calls,
//! strings and their interpolations — and says what the cursor is about to write.

use crate::syntax::starts_item;

/// What encloses the cursor, outermost first.
#[derive(Clone, Debug, PartialEq)]
pub enum Frame {
    /// `kind name { ... }`.
    Item {
        kind: String,
        name: String,
    },
    /// `key = { ... }`: a record given to a field (or an unnamed one).
    Record {
        key: Option<String>,
    },
    /// `[ ... ]`, with the field it is the value of (`needs = [`).
    List {
        key: Option<String>,
    },
    /// `callee(...)`, with the callee's dotted name (`db.url`).
    Call {
        callee: Vec<String>,
    },
    Paren,
    /// `${ ... }` in a string.
    Interp {
        triple: bool,
    },
}

/// What the cursor is about to write.
#[derive(Clone, Debug, PartialEq)]
pub enum Slot {
    /// A top-level item (its kind).
    TopLevel,
    /// The key of an entry of the innermost item or record.
    Key,
    /// A value.
    Value,
    /// A member after `a.b.`: the dotted names before the last dot.
    Member(Vec<String>),
    /// The port of `a.url(`: the dotted name before `.url`.
    UrlArg(Vec<String>),
    /// An import path; the byte offset where the string's text starts.
    ImportPath { start: usize },
    /// Nothing to offer: in a comment, a name being declared, a string.
    Nothing,
}

#[derive(Debug, PartialEq)]
pub struct Context {
    pub frames: Vec<Frame>,
    pub slot: Slot,
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Name(String),
    Dot,
    Other,
}

struct Level {
    frame: Option<Frame>,
    entry: Vec<Tok>,
    in_value: bool,
}

impl Level {
    fn new(frame: Option<Frame>, in_value: bool) -> Level {
        Level {
            frame,
            entry: Vec::new(),
            in_value,
        }
    }

    /// Whether line breaks and commas separate entries here.
    fn has_entries(&self) -> bool {
        matches!(
            self.frame,
            None | Some(Frame::Item { .. } | Frame::Record { .. })
        )
    }
}

/// The context at byte offset `cursor` of `text`.
pub fn context(text: &str, cursor: usize) -> Context {
    let cursor = cursor.min(text.len());
    let start = item_start(text, cursor);
    let mut scanner = Scanner {
        text: text.get(..cursor).unwrap_or(""),
        at: start,
        levels: vec![Level::new(None, false)],
    };
    let slot = scanner.run();
    Context {
        frames: scanner
            .levels
            .iter()
            .filter_map(|l| l.frame.clone())
            .collect(),
        slot,
    }
}

/// The start of the line that starts the top-level item around `cursor`.
fn item_start(text: &str, cursor: usize) -> usize {
    let mut start = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if offset >= cursor {
            break;
        }
        if starts_item(line) {
            start = offset;
        }
        offset += line.len();
    }
    start
}

struct Scanner<'a> {
    /// The text up to the cursor.
    text: &'a str,
    at: usize,
    levels: Vec<Level>,
}

enum Stop {
    /// The scan reached the cursor in code.
    Code,
    /// The cursor is in a string whose text starts at this offset.
    String(usize),
    /// The cursor is in a comment.
    Comment,
}

impl Scanner<'_> {
    fn run(&mut self) -> Slot {
        match self.scan_code() {
            Stop::Code => self.slot(),
            Stop::String(start) => self.string_slot(start),
            Stop::Comment => Slot::Nothing,
        }
    }

    fn peek(&self, n: usize) -> &str {
        self.text
            .get(self.at..)
            .map_or("", |rest| rest.get(..n.min(rest.len())).unwrap_or(""))
    }

    fn next_char(&self) -> Option<char> {
        self.text.get(self.at..)?.chars().next()
    }

    fn level(&mut self) -> &mut Level {
        if self.levels.is_empty() {
            self.levels.push(Level::new(None, false));
        }
        let last = self.levels.len() - 1;
        &mut self.levels[last]
    }

    fn scan_code(&mut self) -> Stop {
        while let Some(c) = self.next_char() {
            if self.peek(2) == "//" {
                match self.text.get(self.at..).and_then(|r| r.find('\n')) {
                    Some(n) => self.at += n,
                    None => return Stop::Comment,
                }
                continue;
            }
            if self.peek(2) == "/*" {
                match self.text.get(self.at + 2..).and_then(|r| r.find("*/")) {
                    Some(n) => self.at += n + 4,
                    None => return Stop::Comment,
                }
                continue;
            }
            if c == '"' {
                let triple = self.peek(3) == "\"\"\"";
                self.at += if triple { 3 } else { 1 };
                if let Some(stop) = self.scan_string(triple) {
                    return stop;
                }
                continue;
            }
            if c.is_ascii_alphanumeric() || c == '_' {
                self.word();
                continue;
            }
            self.at += c.len_utf8();
            if let Some(stop) = self.punctuation(c) {
                return stop;
            }
        }
        Stop::Code
    }

    fn word(&mut self) {
        let rest = self.text.get(self.at..).unwrap_or("");
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let word = rest.get(..len).unwrap_or("");
        let token = if word.starts_with(|c: char| c.is_ascii_digit()) {
            Tok::Other
        } else {
            Tok::Name(word.to_string())
        };
        self.at += len;
        self.level().entry.push(token);
    }

    /// Handles one punctuation character; a string resumed after `}` may reach the
    /// cursor.
    fn punctuation(&mut self, c: char) -> Option<Stop> {
        match c {
            ' ' | '\t' | '\r' => {}
            '\n' | ',' => {
                let level = self.level();
                level.entry.clear();
                if level.has_entries() {
                    level.in_value = false;
                }
            }
            '=' | ':' => {
                let level = self.level();
                if level.has_entries() && !level.in_value {
                    level.in_value = true;
                }
                level.entry.push(Tok::Other);
            }
            '.' if self.peek(1) == "." => {
                self.at += 1;
                self.level().entry.push(Tok::Other);
            }
            '.' => self.level().entry.push(Tok::Dot),
            '{' => self.open_brace(),
            '[' => {
                let level = self.level();
                let key = match level.entry.as_slice() {
                    [Tok::Name(key), ..] if level.has_entries() && level.in_value => {
                        Some(key.clone())
                    }
                    _ => None,
                };
                self.open(Frame::List { key });
            }
            '(' => {
                let callee = dotted_tail(&self.level().entry);
                let frame = if callee.is_empty() {
                    Frame::Paren
                } else {
                    Frame::Call { callee }
                };
                self.open(frame);
            }
            '}' | ']' | ')' => return self.close(),
            _ => self.level().entry.push(Tok::Other),
        }
        None
    }

    fn open_brace(&mut self) {
        let level = self.level();
        let names: Vec<&str> = level
            .entry
            .iter()
            .filter_map(|t| match t {
                Tok::Name(n) => Some(n.as_str()),
                _ => None,
            })
            .collect();
        let frame = match (level.in_value, names.as_slice()) {
            (false, [kind, name]) if level.entry.len() == 2 => Frame::Item {
                kind: kind.to_string(),
                name: name.to_string(),
            },
            (true, [key, ..]) => Frame::Record {
                key: Some(key.to_string()),
            },
            _ => Frame::Record { key: None },
        };
        level.entry.push(Tok::Other);
        self.levels.push(Level::new(Some(frame), false));
    }

    fn open(&mut self, frame: Frame) {
        self.level().entry.push(Tok::Other);
        self.levels.push(Level::new(Some(frame), true));
    }

    fn close(&mut self) -> Option<Stop> {
        if self.levels.len() > 1 {
            let closed = self.levels.pop();
            if let Some(Level {
                frame: Some(Frame::Interp { triple }),
                ..
            }) = closed
            {
                return self.scan_string(triple);
            }
        }
        None
    }

    /// Scans a string's text; `Some` when it reaches the cursor (in the string, or in
    /// code after an interpolation opens).
    fn scan_string(&mut self, triple: bool) -> Option<Stop> {
        let start = self.at;
        loop {
            let rest = self.text.get(self.at..).unwrap_or("");
            if rest.is_empty() {
                return Some(Stop::String(start));
            }
            if rest.starts_with("$${") {
                self.at += 3;
            } else if rest.starts_with("${") {
                self.at += 2;
                self.levels
                    .push(Level::new(Some(Frame::Interp { triple }), true));
                return Some(self.scan_code());
            } else if triple && rest.starts_with("\"\"\"") {
                self.at += 3;
                break;
            } else if !triple && rest.starts_with('"') {
                self.at += 1;
                break;
            } else if !triple && rest.starts_with('\\') {
                self.at += rest.chars().take(2).map(char::len_utf8).sum::<usize>();
            } else {
                self.at += rest.chars().next().map_or(1, char::len_utf8);
            }
        }
        self.level().entry.push(Tok::Other);
        None
    }

    fn string_slot(&mut self, start: usize) -> Slot {
        let level = self.level();
        let is_import = level.frame.is_none() && level.entry == [Tok::Name("import".into())];
        if is_import {
            Slot::ImportPath { start }
        } else {
            Slot::Nothing
        }
    }

    /// The slot at the cursor, the scan having ended in code.
    fn slot(&mut self) -> Slot {
        let level = self.level();
        let mut entry = level.entry.clone();
        let at_name = matches!(entry.last(), Some(Tok::Name(_)))
            && self
                .text
                .ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_');
        if at_name {
            entry.pop();
        }
        if entry.last() == Some(&Tok::Dot) {
            entry.pop();
            return Slot::Member(dotted_tail(&entry));
        }
        let level = self.level();
        match &level.frame {
            Some(Frame::Call { callee }) if callee.last().map(String::as_str) == Some("url") => {
                return Slot::UrlArg(callee[..callee.len() - 1].to_vec());
            }
            _ => {}
        }
        if level.in_value {
            return Slot::Value;
        }
        match (&level.frame, entry.is_empty()) {
            (_, false) => Slot::Nothing,
            (None, true) => Slot::TopLevel,
            (Some(_), true) => Slot::Key,
        }
    }
}

/// The dotted name at the end of an entry's tokens: `db.ports` in `x = db.ports`.
fn dotted_tail(entry: &[Tok]) -> Vec<String> {
    let mut names = Vec::new();
    let mut expect_name = true;
    for token in entry.iter().rev() {
        match (token, expect_name) {
            (Tok::Name(n), true) => {
                names.push(n.clone());
                expect_name = false;
            }
            (Tok::Dot, false) => expect_name = true,
            _ => break,
        }
    }
    if expect_name && !names.is_empty() {
        // A trailing dot without a name before it: not a dotted name.
        names.clear();
    }
    names.reverse();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The context at the `|` of a text.
    fn at(marked: &str) -> Context {
        let cursor = marked.find('|').unwrap_or(marked.len());
        let text = marked.replacen('|', "", 1);
        context(&text, cursor)
    }

    fn item(kind: &str, name: &str) -> Frame {
        Frame::Item {
            kind: kind.into(),
            name: name.into(),
        }
    }

    #[test]
    fn top_level_and_keys() {
        assert_eq!(at("stack s {}\n\nser|").slot, Slot::TopLevel);
        assert_eq!(at("service api {\n  im|").slot, Slot::Key);
        assert_eq!(at("service api {\n  im|").frames, [item("service", "api")]);
        let nested = at("stack s {\n  defaults = {\n    resources = { c|");
        assert_eq!(nested.slot, Slot::Key);
        assert_eq!(
            nested.frames,
            [
                item("stack", "s"),
                Frame::Record {
                    key: Some("defaults".into())
                },
                Frame::Record {
                    key: Some("resources".into())
                }
            ]
        );
        assert_eq!(at("service |").slot, Slot::Nothing);
    }

    #[test]
    fn values_members_and_ports() {
        let needs = at("service api {\n  needs = [d|");
        assert_eq!(needs.slot, Slot::Value);
        assert_eq!(
            needs.frames.last(),
            Some(&Frame::List {
                key: Some("needs".into())
            })
        );
        assert_eq!(
            at("service api {\n  env = { A = db.ports.|").slot,
            Slot::Member(vec!["db".into(), "ports".into()])
        );
        assert_eq!(
            at("service api {\n  env = { A = db.url(|").slot,
            Slot::UrlArg(vec!["db".into()])
        );
        assert_eq!(
            at("service api {\n  image = \"x:${tag.|").slot,
            Slot::Member(vec!["tag".into()])
        );
        assert_eq!(
            at("service api {\n  image = \"x:${tag}\"\n  |").slot,
            Slot::Key
        );
    }

    #[test]
    fn strings_and_comments() {
        let text = "import \"std/po|";
        assert_eq!(at(text).slot, Slot::ImportPath { start: 8 });
        assert_eq!(at("service a {\n  image = \"x|").slot, Slot::Nothing);
        assert_eq!(at("service a {\n  // a note: db.|").slot, Slot::Nothing);
        // A record key after a string with a brace in it.
        assert_eq!(at("config c {\n  a = \"{\"\n  |").slot, Slot::Key);
    }
}
