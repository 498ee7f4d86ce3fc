//! Re-indenting multi-line (`"""`) strings to their new nesting level.
//!
//! The value of a `"""` string drops the line break after the opening quotes and the
//! blank space before the closing ones, and strips the indentation common to its
//! non-blank lines (`syntax::strings::dedent`). Moving every content line to a new
//! common indentation therefore keeps the value, provided that the opening line is
//! blank (otherwise it takes part in the common indentation at a fixed column), that
//! some line is not blank (otherwise nothing is stripped), and that no interpolation
//! spans lines (its inner line breaks are not content lines). Other strings are
//! printed exactly as written.

use crate::syntax::ast::{Str, StrPart};

/// The content lines of a re-indentable `"""` string written as `literal`, with the
/// common indentation removed; the last one ends where the closing quotes start
/// (empty when they are on a line of their own). `None` when the string must be
/// printed as written.
pub(super) fn content_lines(literal: &str, string: &Str, source: &str) -> Option<Vec<String>> {
    let inner = literal.strip_prefix("\"\"\"")?.strip_suffix("\"\"\"")?;
    if !interpolations_on_one_line(string, source) {
        return None;
    }
    let inner = inner.replace('\r', "");
    let (first, rest) = inner.split_once('\n')?;
    if !is_blank(first) {
        return None;
    }
    let mut lines: Vec<&str> = rest.split('\n').collect();
    if lines.last().is_some_and(|l| is_blank(l)) {
        lines.pop();
        lines.push("");
    }
    let common = lines
        .iter()
        .filter(|l| !is_blank(l))
        .map(|l| leading_blanks(l))
        .min()?;
    Some(
        lines
            .iter()
            .map(|l| {
                l.get(common.min(leading_blanks(l))..)
                    .unwrap_or(l)
                    .to_string()
            })
            .collect(),
    )
}

/// Whether every interpolation is written on one line, as `${` and `}` around its
/// expression with only blanks between.
fn interpolations_on_one_line(string: &Str, source: &str) -> bool {
    string.parts.iter().all(|part| match part {
        StrPart::Text(_) => true,
        StrPart::Interp(expr) => {
            let range = expr.span.range();
            let before = source.get(..range.start).unwrap_or("");
            let after = source.get(range.end..).unwrap_or("");
            let text = source.get(range).unwrap_or("\n");
            before.trim_end_matches([' ', '\t']).ends_with("${")
                && after.trim_start_matches([' ', '\t']).starts_with('}')
                && !text.contains(['\n', '\r'])
        }
    })
}

fn is_blank(line: &str) -> bool {
    line.chars().all(char::is_whitespace)
}

/// The number of leading spaces and tabs, which is also their length in bytes.
fn leading_blanks(line: &str) -> usize {
    line.len() - line.trim_start_matches([' ', '\t']).len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;
    use crate::syntax::ast::{ExprKind, Item};

    /// The literal of `let x = LITERAL` and its string.
    fn lines(literal: &str) -> Option<Vec<String>> {
        let text = format!("let x = {literal}");
        let parsed = crate::syntax::parse(FileId(0), &text);
        let Some(Item::Let(item)) = parsed.file.items.first() else {
            return None;
        };
        let ExprKind::Str(string) = &item.value.kind else {
            return None;
        };
        content_lines(literal, string, &text)
    }

    #[test]
    fn the_common_indentation_goes_and_the_rest_stays() {
        let literal = "\"\"\"\n    a\n      b\n\n        \n    \"\"\"";
        assert_eq!(
            lines(literal).unwrap_or_default(),
            ["a", "  b", "", "    ", ""]
        );
        let tabs = "\"\"\"\n\t\ta\n\t\t\tb\"\"\"";
        assert_eq!(lines(tabs).unwrap_or_default(), ["a", "\tb"]);
    }

    #[test]
    fn strings_that_cannot_move_are_left_alone() {
        assert_eq!(lines("\"\"\"a\n  b\n  \"\"\""), None);
        assert_eq!(lines("\"\"\"one line\"\"\""), None);
        assert_eq!(lines("\"\"\"\n   \n  \"\"\""), None);
        assert_eq!(lines("\"\"\"\n  ${ a\n  }\n  \"\"\""), None);
        assert_eq!(lines("\"\"\"\n  ${ /* c */ a}\n  \"\"\""), None);
        assert!(lines("\"\"\"\n  ${ a }\n  \"\"\"").is_some());
    }
}
