//! Finds the comments of a file.
//!
//! `ast::File::comments` is meant to hold them, but the grammar's `COMMENT` rule is
//! silent (`_{ ... }`), so pest never hands them to the AST builder and the list is
//! always empty. The formatter therefore finds them itself, following the grammar:
//! a comment is `//` to the end of the line or `/*` to the first `*/` (blocks do not
//! nest), anywhere outside string text; inside an interpolation `${...}` is code
//! again. Only files that parse are formatted, so strings and comments are closed.

use crate::source::{FileId, Span};
use crate::syntax::ast::Comment;

#[derive(Clone, Copy)]
enum State {
    Code,
    Str,
    MlStr,
}

/// Every comment of `text`, in source order, with spans in `file`.
pub(super) fn comments(file: FileId, text: &str) -> Vec<Comment> {
    let mut found = Vec::new();
    // Each `${` pushes the string state it interrupts, with the brace depth.
    let mut stack: Vec<(State, usize)> = Vec::new();
    let mut state = State::Code;
    let mut depth = 0usize;
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(rest) = bytes.get(i..).filter(|r| !r.is_empty()) {
        let step = match state {
            State::Code => {
                if let Some(len) = comment_len(rest) {
                    found.push(comment(file, text, i, i + len));
                    len
                } else if rest.starts_with(b"\"\"\"") {
                    state = State::MlStr;
                    3
                } else {
                    match rest.first() {
                        Some(b'"') => state = State::Str,
                        Some(b'{') => depth += 1,
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
            State::Str | State::MlStr => {
                let ml = matches!(state, State::MlStr);
                if rest.starts_with(b"$${") {
                    3
                } else if rest.starts_with(b"${") {
                    stack.push((state, depth));
                    state = State::Code;
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
    found
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

fn comment(file: FileId, text: &str, start: usize, end: usize) -> Comment {
    Comment {
        text: text.get(start..end).unwrap_or("").to_string(),
        span: Span::new(file, start, end),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str) -> Vec<String> {
        comments(FileId(0), text)
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
}
