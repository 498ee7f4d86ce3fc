//! A quick lexical pass over a file, before pest: it finds a string left open (to
//! report it at its opening quote) and nesting too deep to parse safely.
//!
//! Strings, interpolations and comments are followed, so that brackets and quotes
//! inside them do not count.

/// How deep `[`, `{` and `(` may nest. Real stacks nest a handful of levels; the
/// limit keeps every recursive stage (parser, checker, formatter) within its stack.
pub const MAX_NESTING: usize = 128;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Scan {
    /// Where a string starts that is still open at the end of the text.
    pub unclosed_string: Option<usize>,
    /// Where the nesting first goes past [`MAX_NESTING`].
    pub too_deep: Option<usize>,
}

#[derive(Clone, Copy)]
enum State {
    Code,
    Str(usize),
    MlStr(usize),
}

pub fn scan(text: &str) -> Scan {
    // Each `${` pushes the string state it interrupts, with the bracket depth.
    let mut stack: Vec<(State, usize)> = Vec::new();
    let mut state = State::Code;
    let mut depth = 0usize;
    let mut result = Scan::default();
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let rest = bytes.get(i..).unwrap_or(&[]);
        match state {
            State::Code => {
                if rest.starts_with(b"//") {
                    i += rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len());
                    continue;
                } else if rest.starts_with(b"/*") {
                    i += rest
                        .windows(2)
                        .position(|w| w == b"*/")
                        .map_or(rest.len(), |p| p + 2);
                    continue;
                } else if rest.starts_with(b"\"\"\"") {
                    state = State::MlStr(i);
                    i += 3;
                    continue;
                } else if b == b'"' {
                    state = State::Str(i);
                } else if matches!(b, b'[' | b'{' | b'(') {
                    depth += 1;
                    if depth > MAX_NESTING && result.too_deep.is_none() {
                        result.too_deep = Some(i);
                    }
                } else if matches!(b, b']' | b')') {
                    depth = depth.saturating_sub(1);
                } else if b == b'}' {
                    match stack.last() {
                        Some(&(outer, outer_depth)) if outer_depth == depth => {
                            stack.pop();
                            state = outer;
                        }
                        _ => depth = depth.saturating_sub(1),
                    }
                }
            }
            State::Str(_) | State::MlStr(_) => {
                let ml = matches!(state, State::MlStr(_));
                if rest.starts_with(b"$${") {
                    i += 3;
                    continue;
                } else if rest.starts_with(b"${") {
                    stack.push((state, depth));
                    state = State::Code;
                    i += 2;
                    continue;
                } else if !ml && b == b'\\' {
                    i += 2;
                    continue;
                } else if ml && rest.starts_with(b"\"\"\"") {
                    state = State::Code;
                    i += 3;
                    continue;
                } else if !ml && b == b'"' {
                    state = State::Code;
                }
            }
        }
        i += 1;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_comments_hide_brackets_and_quotes() {
        let ok = "let x = [\"]\", \"${ {a = \"}\"} }\", /* [ */ \"\"\"\n  ]\"\n  \"\"\"]\n";
        assert_eq!(scan(ok), Scan::default());
    }

    #[test]
    fn an_open_string_is_found_at_its_quote() {
        assert_eq!(scan("a = \"abc\nb = 1").unclosed_string, Some(4));
        assert_eq!(scan("a = \"x ${ \"y\" ").unclosed_string, Some(4));
        assert_eq!(scan("a = \"\"\"\n text").unclosed_string, Some(4));
    }

    #[test]
    fn deep_nesting_is_found_where_it_passes_the_limit() {
        let deep = format!(
            "let x = {}{}",
            "[".repeat(MAX_NESTING + 1),
            "]".repeat(MAX_NESTING + 1)
        );
        assert_eq!(scan(&deep).too_deep, Some(8 + MAX_NESTING));
        let fine = format!(
            "let x = {}{}",
            "[".repeat(MAX_NESTING),
            "]".repeat(MAX_NESTING)
        );
        assert_eq!(scan(&fine).too_deep, None);
    }
}
