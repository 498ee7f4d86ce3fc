//! pest's parse errors as diagnostics, with the expected tokens in words.

use pest::error::{Error, ErrorVariant, InputLocation};

use super::{FloeParser, Rule};
use crate::diagnostic::{Diagnostic, messages};
use crate::source::{FileId, Span};

/// Converts the error of parsing the piece `full[base..base + piece.len()]`. The
/// piece is parsed again with pest's detailed tracking to learn which literal tokens
/// would have been accepted; that costs time only on a file that does not parse.
pub(super) fn syntax_error(
    file: FileId,
    full: &str,
    piece: &str,
    base: usize,
    error: &Error<Rule>,
) -> Diagnostic {
    let position = match error.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    if let Some(start) = super::scan::scan(file, piece).unclosed_string {
        let span = Span::new(file, base + start, base + start + 1);
        return messages::unterminated_string(span);
    }
    let mut expected: Vec<String> = Vec::new();
    if let ErrorVariant::ParsingError { positives, .. } = &error.variant {
        for rule in positives {
            if let Some(word) = describe_rule(*rule) {
                push_unique(&mut expected, word.to_string());
            }
        }
    }
    for token in expected_tokens(piece) {
        push_unique(&mut expected, token);
    }
    let expected = simplify(expected);
    if let Some(colon) = colon_for_equals(full, base + position, &expected) {
        return messages::colon_for_equals(Span::new(file, colon, colon + 1));
    }
    let (found, len) = found_at(full, base + position);
    let span = Span::new(file, base + position, base + position + len);
    messages::syntax_error(span, &expected, &found)
}

/// `image: "nginx"`, the YAML habit: a `:` after a key where a type was expected
/// (`name: type` declares a component parameter), followed by what can only be a
/// value. The offset of the `:`.
fn colon_for_equals(full: &str, position: usize, expected: &[String]) -> Option<usize> {
    if !expected.iter().any(|e| e == "a type") {
        return None;
    }
    let value_start = full.get(position..)?.chars().next()?;
    if !(value_start == '"'
        || value_start == '{'
        || value_start == '-'
        || value_start.is_ascii_digit())
    {
        return None;
    }
    let before = full.get(..position)?.trim_end_matches([' ', '\t']);
    before.ends_with(':').then(|| before.len() - 1)
}

/// Keeps the expected tokens a person needs: what closes or continues the structure
/// being written, not every way the previous value could have gone on.
fn simplify(mut expected: Vec<String>) -> Vec<String> {
    let has = |words: &[String], w: &str| words.iter().any(|x| x == w);
    let structural = ["`}`", "`]`", "`)`", "`,`", "a field"]
        .iter()
        .any(|w| has(&expected, w));
    let continuations = ["`(`", "`.`", "`+`", "`..`", "`required`"];
    let comparisons = ["`==`", "`!=`", "`<`", "`<=`", "`>`", "`>=`"];
    let has_field = has(&expected, "a field");
    let has_brace = has(&expected, "`}`");
    let has_assign = has(&expected, "`=`");
    let has_value = has(&expected, "a value");
    // Tokens that start a value, a parameter or a nested item: alternatives a
    // person writing a field does not mean.
    let value_starts = ["`(`", "`-`", "`[`", "`{`", "a string", "a name"];
    let entry_alternatives = ["`:`", "`.`", "a name"];
    expected.retain(|w| {
        let w = w.as_str();
        !(w == "`_`"
            || w == "`/`"
            || (structural && continuations.contains(&w))
            || (has_field && (w == "a name" || w == "a string"))
            || (has_brace && w == "an item")
            || (has_assign && (comparisons.contains(&w) || entry_alternatives.contains(&w)))
            || (has_value && value_starts.contains(&w)))
    });
    expected.sort_by_key(|w| (!w.starts_with('`'), w.clone()));
    expected
}

fn push_unique(words: &mut Vec<String>, word: String) {
    if !words.contains(&word) {
        words.push(word);
    }
}

fn expected_tokens(text: &str) -> Vec<String> {
    use pest::Parser;
    pest::set_error_detail(true);
    let result = FloeParser::parse(super::Rule::file, text);
    pest::set_error_detail(false);
    let Err(error) = result else {
        return Vec::new();
    };
    let Some(attempts) = error.parse_attempts() else {
        return Vec::new();
    };
    attempts
        .expected_tokens()
        .into_iter()
        .filter_map(|t| {
            // The token type is not exported; its text tells literals from character
            // ranges (`a..z`) and built-in rules.
            let token = t.to_string();
            let is_range = token.chars().count() == 4 && token.get(1..3) == Some("..");
            if token == "BUILTIN_RULE" || is_range {
                None
            } else {
                describe_literal(&token)
            }
        })
        .collect()
}

/// What a grammar rule looks like to a user.
fn describe_rule(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::name => "a name",
        Rule::string | Rule::ml_string => "a string",
        Rule::expr | Rule::paren | Rule::list | Rule::record => "a value",
        Rule::number | Rule::quantity | Rule::boolean => "a value",
        Rule::block | Rule::import | Rule::let_item | Rule::item_only => "an item",
        Rule::field | Rule::param => "a field",
        Rule::field_op => "`=`",
        Rule::body => "`{`",
        Rule::type_expr | Rule::list_type => "a type",
        Rule::arg => "an argument",
        Rule::member => "`.`",
        Rule::call => "`(`",
        Rule::plus => "`+`",
        Rule::range_op => "`..`",
        Rule::EOI => "end of file",
        Rule::kw_import | Rule::kw_let => "an item",
        Rule::interp => "`${`",
        _ => return None,
    })
}

fn describe_literal(token: &str) -> Option<String> {
    match token {
        "" | "\n" | " " | "\t" | "\r" | "\u{FEFF}" | "//" | "/*" | "*/" => None,
        "import" | "let" => Some("an item".to_string()),
        "true" | "false" => Some("a value".to_string()),
        "\"" | "\"\"\"" => Some("a string".to_string()),
        "${" | "$${" => None,
        _ => Some(format!("`{token}`")),
    }
}

/// The token at the error position, in words, and its length in bytes.
fn found_at(text: &str, position: usize) -> (String, usize) {
    let rest = text.get(position..).unwrap_or("");
    let Some(first) = rest.chars().next() else {
        return ("end of file".to_string(), 0);
    };
    if first == '\n' || first == '\r' {
        return ("a line break".to_string(), 0);
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
