//! String and number literals: escapes, multi-line indentation, exact decimals.

use super::ast::{Expr, StrPart};
use crate::units::Decimal;

/// A piece of a string literal as the grammar delivers it.
pub enum RawPart {
    /// Source text, subject to indentation stripping in multi-line strings.
    Source(String),
    /// Text produced by an escape sequence; never stripped.
    Text(String),
    Interp(Expr),
}

/// The character an escape sequence (`\n`, `\"`, ...) stands for.
pub fn unescape(escape: &str) -> Option<char> {
    match escape.strip_prefix('\\')? {
        "n" => Some('\n'),
        "t" => Some('\t'),
        "r" => Some('\r'),
        "\\" => Some('\\'),
        "\"" => Some('"'),
        "$" => Some('$'),
        "0" => Some('\0'),
        _ => None,
    }
}

/// Joins the parts of a one-line string.
pub fn join(raw: Vec<RawPart>) -> Vec<StrPart> {
    let mut parts = Vec::with_capacity(raw.len());
    for part in raw {
        match part {
            RawPart::Source(t) | RawPart::Text(t) => push_text(&mut parts, t),
            RawPart::Interp(e) => parts.push(StrPart::Interp(e)),
        }
    }
    parts
}

/// Adds text to the parts, to the text part before it if there is one.
fn push_text(parts: &mut Vec<StrPart>, text: String) {
    if text.is_empty() {
        return;
    }
    if let Some(StrPart::Text(last)) = parts.last_mut() {
        last.push_str(&text);
    } else {
        parts.push(StrPart::Text(text));
    }
}

enum Piece {
    Char(char),
    Lit(String),
    Interp(Expr),
}

/// Joins the parts of a `"""` string, removing the line break after the opening
/// quotes, the blank space before the closing quotes and the indentation common to
/// all lines that are not blank.
pub fn dedent(raw: Vec<RawPart>) -> Vec<StrPart> {
    let mut pieces = Vec::new();
    for part in raw {
        match part {
            RawPart::Source(t) => pieces.extend(t.chars().map(Piece::Char)),
            RawPart::Text(t) => pieces.push(Piece::Lit(t)),
            RawPart::Interp(e) => pieces.push(Piece::Interp(e)),
        }
    }
    let mut lines = split_lines(pieces);
    if lines.len() > 1 && lines.first().is_some_and(|l| is_blank(l)) {
        lines.remove(0);
    }
    if lines.len() > 1
        && lines.last().is_some_and(|l| is_blank(l))
        && let Some(last) = lines.last_mut()
    {
        last.clear();
    }
    let indent = lines
        .iter()
        .filter(|l| !is_blank(l))
        .map(|l| leading_blanks(l))
        .min()
        .unwrap_or(0);
    let mut parts = Vec::new();
    let count = lines.len();
    for (i, line) in lines.into_iter().enumerate() {
        let skip = indent.min(leading_blanks(&line));
        for piece in line.into_iter().skip(skip) {
            match piece {
                Piece::Char(c) => push_char(&mut parts, c),
                Piece::Lit(t) => push_text(&mut parts, t),
                Piece::Interp(e) => parts.push(StrPart::Interp(e)),
            }
        }
        if i + 1 < count {
            push_char(&mut parts, '\n');
        }
    }
    parts
}

fn push_char(parts: &mut Vec<StrPart>, c: char) {
    if let Some(StrPart::Text(last)) = parts.last_mut() {
        last.push(c);
    } else {
        parts.push(StrPart::Text(c.to_string()));
    }
}

fn split_lines(pieces: Vec<Piece>) -> Vec<Vec<Piece>> {
    let mut lines = vec![Vec::new()];
    for piece in pieces {
        match piece {
            Piece::Char('\n') => lines.push(Vec::new()),
            Piece::Char('\r') => {}
            other => {
                if let Some(line) = lines.last_mut() {
                    line.push(other);
                }
            }
        }
    }
    lines
}

fn is_blank(line: &[Piece]) -> bool {
    line.iter()
        .all(|p| matches!(p, Piece::Char(c) if c.is_whitespace()))
}

fn leading_blanks(line: &[Piece]) -> usize {
    line.iter()
        .take_while(|p| matches!(p, Piece::Char(' ' | '\t')))
        .count()
}

/// Parses `123`, `-4` or `0.25` exactly. `None` when the number does not fit.
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let mut mantissa: i128 = 0;
    for c in int.chars().chain(frac.chars()) {
        let digit = i128::from(c.to_digit(10)?);
        mantissa = mantissa.checked_mul(10)?.checked_add(digit)?;
    }
    // Keep the numbers well inside i128 so that unit conversions can be checked.
    if mantissa > i128::from(i64::MAX) * 1_000_000 {
        return None;
    }
    Some(Decimal::new(
        if negative { -mantissa } else { mantissa },
        u32::try_from(frac.len()).ok()?,
    ))
}
