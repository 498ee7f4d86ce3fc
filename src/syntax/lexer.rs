//! The lexical layer of floe text, shared by the parser, its recovery and the
//! language server: blank space and comments, names and keywords, the tokens a
//! recovering parser skips, and the lines where a top-level item starts.
//!
//! It follows `grammar/floe.pest`: blank space is space, tab, `\r`, `\n` and the byte
//! order mark; a comment is `//` to the end of the line or `/*` to the first `*/`
//! (blocks do not nest; one never closed is not a comment, and so a syntax error).

const BYTE_ORDER_MARK: &[u8] = "\u{FEFF}".as_bytes();

/// What each byte can be in a name: [`START`] (a letter or `_`), [`CHAR`] (a digit)
/// or neither; a name is read a byte at a time, so this is one load per byte.
const NAME_BYTES: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = if c.is_ascii_alphabetic() || c == b'_' {
            START
        } else if c.is_ascii_digit() {
            CHAR
        } else {
            0
        };
        b += 1;
    }
    table
};
const START: u8 = 2;
const CHAR: u8 = 1;

pub fn is_ident_start(b: u8) -> bool {
    NAME_BYTES[usize::from(b)] == START
}

pub fn is_ident_char(b: u8) -> bool {
    NAME_BYTES[usize::from(b)] != 0
}

/// The length of the word (`[A-Za-z_][A-Za-z0-9_]*`) at `at`; 0 when none starts there.
pub fn word_len(bytes: &[u8], at: usize) -> usize {
    match bytes.get(at..) {
        Some([first, rest @ ..]) if is_ident_start(*first) => {
            1 + rest
                .iter()
                .position(|&b| !is_ident_char(b))
                .unwrap_or(rest.len())
        }
        _ => 0,
    }
}

/// The length of the name at `at`: a word that is not a keyword (`import`, `let`,
/// `true`, `false`: the words that are never names).
pub fn name_len(bytes: &[u8], at: usize) -> usize {
    let len = word_len(bytes, at);
    match bytes.get(at..at + len) {
        Some(b"import" | b"let" | b"true" | b"false") => 0,
        _ => len,
    }
}

/// Whether the keyword `word` is at `at` (and not the start of a longer name).
pub fn at_keyword(bytes: &[u8], at: usize, word: &str) -> bool {
    bytes
        .get(at..)
        .is_some_and(|rest| rest.starts_with(word.as_bytes()))
        && !bytes
            .get(at + word.len())
            .is_some_and(|&b| is_ident_char(b))
}

/// Skips blank space and comments from `at`, calling `comment(start, end)` for each
/// comment, and returns where the next token starts.
#[inline]
pub fn skip_trivia(bytes: &[u8], mut at: usize, mut comment: impl FnMut(usize, usize)) -> usize {
    loop {
        while let Some(b' ' | b'\t' | b'\r' | b'\n') = bytes.get(at) {
            at += 1;
        }
        match bytes.get(at) {
            Some(0xEF)
                if bytes
                    .get(at..)
                    .is_some_and(|r| r.starts_with(BYTE_ORDER_MARK)) =>
            {
                at += BYTE_ORDER_MARK.len();
            }
            Some(b'/') => match comment_len(bytes, at) {
                Some(len) => {
                    comment(at, at + len);
                    at += len;
                }
                None => return at,
            },
            _ => return at,
        }
    }
}

/// The length of the comment that starts at `at`, if one does.
pub fn comment_len(bytes: &[u8], at: usize) -> Option<usize> {
    let rest = bytes.get(at..)?;
    if rest.starts_with(b"//") {
        Some(rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len()))
    } else if rest.starts_with(b"/*") {
        let body = rest.get(2..).unwrap_or(&[]);
        body.windows(2).position(|w| w == b"*/").map(|e| e + 4)
    } else {
        None
    }
}

/// Whether a `/*` that is never closed starts at `at`.
pub fn at_open_comment(bytes: &[u8], at: usize) -> bool {
    bytes.get(at..).is_some_and(|r| r.starts_with(b"/*")) && comment_len(bytes, at).is_none()
}

/// A token as a recovering parser skips it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Token {
    Open,
    Close,
    /// `}`, which may close the body being recovered.
    CloseBrace,
    Comma,
    /// A name, a keyword, a string: what may start an entry.
    EntryStart,
    Other,
}

/// The token at `at` (which is not blank space) and its length. A `"` string is one
/// token, to its closing quote or the end of its line; a `"""` string to its closing
/// quotes.
pub fn token(bytes: &[u8], at: usize) -> (Token, usize) {
    let rest = bytes.get(at..).unwrap_or(&[]);
    match rest.first() {
        None => (Token::Other, 0),
        Some(b'[' | b'(' | b'{') => (Token::Open, 1),
        Some(b']' | b')') => (Token::Close, 1),
        Some(b'}') => (Token::CloseBrace, 1),
        Some(b',') => (Token::Comma, 1),
        Some(b'"') if rest.starts_with(b"\"\"\"") => {
            let body = rest.get(3..).unwrap_or(&[]);
            let len = body
                .windows(3)
                .position(|w| w == b"\"\"\"")
                .map_or(rest.len(), |e| e + 6);
            (Token::EntryStart, len)
        }
        Some(b'"') => {
            let mut i = 1;
            while let Some(&b) = rest.get(i) {
                match b {
                    b'"' => return (Token::EntryStart, i + 1),
                    b'\n' => break,
                    b'\\' if rest.get(i + 1).is_some_and(|&n| n != b'\n') => i += 2,
                    _ => i += 1,
                }
            }
            (Token::EntryStart, i)
        }
        Some(&b) if is_ident_start(b) => (Token::EntryStart, word_len(bytes, at)),
        Some(&b) if b.is_ascii_digit() => {
            let len = rest
                .iter()
                .take_while(|&&b| is_ident_char(b) || b == b'.')
                .count();
            (Token::Other, len)
        }
        Some(_) => {
            let len = std::str::from_utf8(rest)
                .ok()
                .and_then(|s| s.chars().next())
                .map_or(1, char::len_utf8);
            (Token::Other, len)
        }
    }
}

/// The token at `at` in words for an error message, and its length in bytes.
pub fn describe(text: &str, at: usize) -> (String, usize) {
    let rest = text.get(at..).unwrap_or("");
    let Some(first) = rest.chars().next() else {
        return ("end of file".to_string(), 0);
    };
    if first == '"' {
        return ("a string".to_string(), 1);
    }
    let word_len = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    if word_len > 0 {
        let word = rest.get(..word_len).unwrap_or("");
        return (format!("`{word}`"), word_len);
    }
    (format!("`{first}`"), first.len_utf8())
}

/// The column of `at`: bytes since the start of its line.
pub fn column(bytes: &[u8], at: usize) -> usize {
    let before = bytes.get(..at).unwrap_or(&[]);
    before.iter().rev().take_while(|&&b| b != b'\n').count()
}

/// The indentation of the line that holds `at`: the column of its first token.
pub fn indentation(bytes: &[u8], at: usize) -> usize {
    let start = at - column(bytes, at);
    let line = bytes.get(start..).unwrap_or(&[]);
    line.iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count()
}

/// The closing brackets of a text with more closers than openers that most likely
/// should not be there, at most as many as there are too many: a closer after other
/// tokens on its line, matching an opener of an earlier line, while the next line
/// goes on at the same indentation as its own (`region = "x" }` in the middle of a
/// record). The offsets, in order.
pub fn stray_closers(bytes: &[u8]) -> Vec<usize> {
    let mut open = Vec::new();
    let mut closers = Vec::new();
    let mut excess = 0usize;
    let mut at = skip_trivia(bytes, 0, |_, _| {});
    let mut line_start_token = at;
    while at < bytes.len() {
        let (token, len) = token(bytes, at);
        let next = skip_trivia(bytes, at + len.max(1), |_, _| {});
        let ends_line = bytes
            .get(at + len..next)
            .is_some_and(|gap| gap.contains(&b'\n'));
        match token {
            Token::Open => open.push(at),
            Token::Close | Token::CloseBrace => match open.pop() {
                Some(opener) => {
                    let own_line = line_start_token != at;
                    let earlier = bytes.get(opener..at).is_some_and(|t| t.contains(&b'\n'));
                    let siblings_go_on = ends_line
                        && next < bytes.len()
                        && column(bytes, next) == column(bytes, line_start_token)
                        && !matches!(token_kind(bytes, next), Token::Close | Token::CloseBrace);
                    if own_line && earlier && siblings_go_on {
                        closers.push(at);
                    }
                }
                None => excess += 1,
            },
            _ => {}
        }
        if ends_line {
            line_start_token = next;
        }
        at = next;
    }
    let excess = excess.saturating_sub(open.len());
    closers.truncate(excess);
    closers
}

fn token_kind(bytes: &[u8], at: usize) -> Token {
    token(bytes, at).0
}

/// Byte ranges of a text, cut before each line that starts a top-level item.
pub fn item_chunks(text: &str) -> Vec<(usize, usize)> {
    let mut cuts = vec![0];
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if offset > 0 && starts_item(line) {
            cuts.push(offset);
        }
        offset += line.len();
    }
    cuts.push(text.len());
    cuts.windows(2)
        .filter_map(|w| match w {
            [a, b] => Some((*a, *b)),
            _ => None,
        })
        .collect()
}

/// Whether a line starts a top-level item at its first column: `import "`, `let x`
/// or `kind name {`.
pub fn starts_item(line: &str) -> bool {
    let bytes = line.as_bytes();
    let after = |at: usize| {
        at + bytes
            .get(at..)
            .unwrap_or(&[])
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count()
    };
    let first = word_len(bytes, 0);
    if first == 0 {
        return false;
    }
    let next = after(first);
    if at_keyword(bytes, 0, "import") {
        return bytes.get(next) == Some(&b'"');
    }
    let second = word_len(bytes, next);
    if at_keyword(bytes, 0, "let") {
        return second > 0;
    }
    second > 0 && bytes.get(after(next + second)) == Some(&b'{')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comments(text: &str) -> Vec<&str> {
        let mut found = Vec::new();
        let mut at = 0;
        while at < text.len() {
            at = skip_trivia(text.as_bytes(), at, |s, e| found.push(&text[s..e]));
            at += token(text.as_bytes(), at).1.max(1);
        }
        found
    }

    #[test]
    fn line_and_block_comments_are_found_in_order() {
        let text = "// a\nstack s { /* b */ x = 1 } // c\n/* d\n e */";
        assert_eq!(comments(text), ["// a", "/* b */", "// c", "/* d\n e */"]);
    }

    #[test]
    fn block_comments_end_at_the_first_close_and_need_one() {
        assert_eq!(comments("/* a /* b */"), ["/* a /* b */"]);
        assert_eq!(comments("/**/ x"), ["/**/"]);
        assert!(at_open_comment(b"x /* open", 2));
        assert_eq!(skip_trivia(b"  /* open", 0, |_, _| {}), 2);
    }

    #[test]
    fn comment_markers_in_strings_are_not_comments() {
        let text = "x = \"// no /* no\" y = \"\"\"\n // no\n \"\"\" z = \"\\\" // no\"";
        assert!(comments(text).is_empty());
    }

    #[test]
    fn names_are_words_that_are_not_keywords() {
        assert_eq!(name_len(b"let", 0), 0);
        assert_eq!(name_len(b"letter = 1", 0), 6);
        assert_eq!(name_len(b"true_x", 0), 6);
        assert_eq!(name_len(b"_a1 ", 0), 3);
        assert_eq!(name_len(b"1a", 0), 0);
        assert!(at_keyword(b"import \"x\"", 0, "import"));
        assert!(!at_keyword(b"imports", 0, "import"));
    }

    #[test]
    fn a_string_token_ends_at_its_quote_or_its_line() {
        assert_eq!(token(b"\"a\\\"b\" c", 0), (Token::EntryStart, 6));
        assert_eq!(token(b"\"open\nnext", 0), (Token::EntryStart, 5));
        assert_eq!(token(b"\"\"\"a\n\"b\"\"\" c", 0), (Token::EntryStart, 10));
    }

    #[test]
    fn a_stray_closer_is_the_one_its_siblings_go_on_after() {
        let text = "c w {\n  s3 = {\n    a = 1 }\n    b = 2\n  }\n  d = 3\n}\n";
        let early = text.find(" }").map(|at| at + 1);
        assert_eq!(stray_closers(text.as_bytes()), Vec::from_iter(early));
        let balanced = "c w {\n  s3 = {\n    a = 1 }\n  d = 3\n}\n";
        assert!(stray_closers(balanced.as_bytes()).is_empty());
        let one_line = "c w { s = { a = 1 } }\n}\n";
        assert!(stray_closers(one_line.as_bytes()).is_empty());
    }

    #[test]
    fn item_starts() {
        assert!(starts_item("service api {\n"));
        assert!(starts_item("import \"std/postgres\"\n"));
        assert!(starts_item("let x = 1\n"));
        assert!(!starts_item("  image = \"x\"\n"));
        assert!(!starts_item("}\n"));
        assert!(!starts_item("service api\n"));
        assert!(!starts_item("imports \"x\"\n"));
        assert_eq!(
            item_chunks("let a = 1\nservice b {\n}\n"),
            [(0, 10), (10, 24)]
        );
    }
}
