//! A lexical pass over a file, before pest: it finds every comment (the grammar
//! skips them silently, which is much faster), a string left open (to report it at
//! its opening quote) and nesting too deep to parse safely.
//!
//! It follows the grammar: a comment is `//` to the end of the line or `/*` to the
//! first `*/` (blocks do not nest), anywhere outside string text; inside an
//! interpolation `${...}` is code again.

use super::ast::Comment;
use crate::source::{FileId, Span};

/// How deep `[`, `{`, `(` and interpolations may nest. Real stacks nest a handful
/// of levels; the limit keeps every recursive stage (parser, checker, formatter)
/// within its stack.
pub const MAX_NESTING: usize = 128;

#[derive(Debug, Default, PartialEq)]
pub struct Scan {
    pub comments: Vec<Comment>,
    /// Where a string starts that is still open at the end of the text.
    pub unclosed_string: Option<usize>,
    /// Where the nesting first goes past [`MAX_NESTING`].
    pub too_deep: Option<usize>,
}

#[derive(Clone, Copy, Debug)]
enum State {
    Code,
    Str(usize),
    MlStr(usize),
}

pub fn scan(file: FileId, text: &str) -> Scan {
    let mut result = Scan::default();
    // Each `${` pushes the string state it interrupts, with the bracket depth.
    let mut stack: Vec<(State, usize)> = Vec::new();
    let mut state = State::Code;
    let mut depth = 0usize;
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(rest) = bytes.get(i..).filter(|r| !r.is_empty()) {
        let step = match state {
            State::Code => {
                if let Some(len) = comment_len(rest) {
                    result.comments.push(Comment {
                        text: text.get(i..i + len).unwrap_or("").to_string(),
                        span: Span::new(file, i, i + len),
                    });
                    len
                } else if rest.starts_with(b"\"\"\"") {
                    state = State::MlStr(i);
                    3
                } else {
                    match rest.first() {
                        Some(b'"') => state = State::Str(i),
                        Some(b'[' | b'{' | b'(') => {
                            depth += 1;
                            if depth > MAX_NESTING && result.too_deep.is_none() {
                                result.too_deep = Some(i);
                            }
                        }
                        Some(b']' | b')') => depth = depth.saturating_sub(1),
                        Some(b'}') => match stack.last() {
                            Some(&(outer, at)) if at == depth => {
                                stack.pop();
                                state = outer;
                            }
                            _ => depth = depth.saturating_sub(1),
                        },
                        _ => {}
                    }
                    1
                }
            }
            State::Str(_) | State::MlStr(_) => {
                let ml = matches!(state, State::MlStr(_));
                if rest.starts_with(b"$${") {
                    3
                } else if rest.starts_with(b"${") {
                    stack.push((state, depth));
                    state = State::Code;
                    if stack.len() > MAX_NESTING && result.too_deep.is_none() {
                        result.too_deep = Some(i);
                    }
                    2
                } else if !ml && rest.starts_with(b"\\") {
                    2
                } else if ml && rest.starts_with(b"\"\"\"") {
                    state = State::Code;
                    3
                } else {
                    if !ml && rest.starts_with(b"\"") {
                        state = State::Code;
                    }
                    1
                }
            }
        };
        i += step;
    }
    result.unclosed_string = match state {
        State::Str(start) | State::MlStr(start) => Some(start),
        State::Code => stack.iter().rev().find_map(|(s, _)| match s {
            State::Str(start) | State::MlStr(start) => Some(*start),
            State::Code => None,
        }),
    };
    result
}

/// The length of the comment at the start of `rest`, if one starts there.
fn comment_len(rest: &[u8]) -> Option<usize> {
    if rest.starts_with(b"//") {
        Some(rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len()))
    } else if rest.starts_with(b"/*") {
        let body = rest.get(2..).unwrap_or(&[]);
        let end = body.windows(2).position(|w| w == b"*/");
        Some(end.map_or(rest.len(), |e| e + 4))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str) -> Vec<String> {
        scan(FileId(0), text)
            .comments
            .into_iter()
            .map(|c| c.text)
            .collect()
    }

    #[test]
    fn line_and_block_comments_are_found_in_order() {
        let text = "// a\nstack s { /* b */ x = 1 } // c\n/* d\n e */";
        assert_eq!(texts(text), ["// a", "/* b */", "// c", "/* d\n e */"]);
    }

    #[test]
    fn comment_markers_in_strings_are_text() {
        let text = "x = \"// no /* no\" y = \"\"\"\n // no\n \"\"\" z = \"\\\" // no\"";
        assert!(texts(text).is_empty());
    }

    #[test]
    fn interpolations_are_code_again() {
        let text = "x = \"a ${ {b = 1 /* yes */}.b // yes\n } // no\" // end";
        assert_eq!(texts(text), ["/* yes */", "// yes", "// end"]);
        let text = "x = \"$${ // no }\" y = \"\"\"${a} // no\"\"\"";
        assert!(texts(text).is_empty());
    }

    #[test]
    fn block_comments_end_at_the_first_close() {
        assert_eq!(texts("/* a /* b */"), ["/* a /* b */"]);
        assert_eq!(texts("/**/ x"), ["/**/"]);
    }

    #[test]
    fn strings_and_comments_hide_brackets_and_quotes() {
        let ok = "let x = [\"]\", \"${ {a = \"}\"} }\", /* [ */ \"\"\"\n  ]\"\n  \"\"\"]\n";
        let scan = scan(FileId(0), ok);
        assert_eq!((scan.unclosed_string, scan.too_deep), (None, None));
    }

    #[test]
    fn an_open_string_is_found_at_its_quote() {
        let open = |text: &str| scan(FileId(0), text).unclosed_string;
        assert_eq!(open("a = \"abc\nb = 1"), Some(4));
        assert_eq!(open("a = \"x ${ \"y\" "), Some(4));
        assert_eq!(open("a = \"\"\"\n text"), Some(4));
    }

    #[test]
    fn deep_nesting_is_found_where_it_passes_the_limit() {
        let deep = |n: usize| format!("let x = {}{}", "[".repeat(n), "]".repeat(n));
        assert_eq!(
            scan(FileId(0), &deep(MAX_NESTING + 1)).too_deep,
            Some(8 + MAX_NESTING)
        );
        assert_eq!(scan(FileId(0), &deep(MAX_NESTING)).too_deep, None);
        let interpolations = format!("x = {}1{}", "\"${".repeat(200), "}\"".repeat(200));
        assert!(scan(FileId(0), &interpolations).too_deep.is_some());
    }
}
