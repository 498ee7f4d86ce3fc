//! YAML scalars for Kubernetes manifests: strings plain where YAML 1.1 and 1.2 both
//! read them back as the same string, double-quoted otherwise, and multi-line
//! strings as literal blocks so that scripts and config files stay readable. The
//! layout of documents is [`super::ser`]'s. Written by hand because the output must
//! be byte-stable and fast; round trips are tested against a YAML parser.

use std::fmt::Write as _;

pub(super) fn write_string(out: &mut String, s: &str, level: usize, is_key: bool) {
    if is_plain_safe(s) {
        out.push_str(s);
    } else if !is_key && is_block_safe(s) {
        write_literal_block(out, s, level);
    } else {
        write_quoted(out, s);
    }
}

/// Whether a string can be written without quotes and read back as the same string
/// by YAML 1.1 and 1.2 parsers: it starts with a letter, `/` or `_` (so it is no
/// number, no `.inf` and no indicator), holds only letters, digits and
/// `-_./ :()+=,` (so no `#` comment), has no `: ` (a mapping) and no blank or `:`
/// at its end, and is no word that reads as a boolean or null. One pass over the
/// bytes: this runs for every string of every object.
fn is_plain_safe(s: &str) -> bool {
    let bytes = s.as_bytes();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    if !(first.is_ascii_alphabetic() || first == b'/' || first == b'_')
        || matches!(last, b' ' | b':')
    {
        return false;
    }
    let mut after_colon = false;
    for &b in bytes {
        match PLAIN[usize::from(b)] {
            Plain::No => return false,
            Plain::Space if after_colon => return false,
            class => after_colon = class == Plain::Colon,
        }
    }
    !is_reserved_word(s)
}

/// How a byte may appear in a plain string.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Plain {
    No,
    Yes,
    /// `:`, which a space may not follow.
    Colon,
    Space,
}

/// [`Plain`] for every byte, looked up once per byte of every string.
static PLAIN: [Plain; 256] = {
    let mut table = [Plain::No; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = if c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'-' | b'_' | b'.' | b'/' | b'(' | b')' | b'+' | b'=' | b','
            ) {
            Plain::Yes
        } else if c == b':' {
            Plain::Colon
        } else if c == b' ' {
            Plain::Space
        } else {
            Plain::No
        };
        b += 1;
    }
    table
};

/// The words YAML 1.1 reads as booleans or null, in any case.
fn is_reserved_word(s: &str) -> bool {
    const WORDS: [&str; 11] = [
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "nan", "inf",
    ];
    s.len() <= 5 && WORDS.iter().any(|w| w.eq_ignore_ascii_case(s))
}

/// Whether a string reads back exactly from a literal block (`|`): several lines,
/// printable characters, no trailing blanks on a line, no carriage returns.
fn is_block_safe(s: &str) -> bool {
    s.contains('\n')
        && s.chars().all(|c| {
            c == '\n'
                || (!c.is_control()
                    && c != '\u{feff}'
                    && c != '\u{85}'
                    && c != '\u{2028}'
                    && c != '\u{2029}')
        })
        && s.lines().all(|l| !l.ends_with([' ', '\t']))
        && !s.starts_with('\n')
}

fn write_literal_block(out: &mut String, s: &str, level: usize) {
    let trailing = s.len() - s.trim_end_matches('\n').len();
    let chomp = match trailing {
        0 => "-",
        1 => "",
        _ => "+",
    };
    let body = s.trim_end_matches('\n');
    out.push('|');
    if body.starts_with([' ', '\t']) {
        out.push('2');
    }
    out.push_str(chomp);
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            super::ser::spaces(out, level);
            out.push_str(line);
        }
    }
    for _ in 1..trailing {
        out.push('\n');
    }
}

/// A double-quoted string: the runs of characters that need no escape are copied
/// whole.
fn write_quoted(out: &mut String, s: &str) {
    out.push('"');
    let mut plain = 0;
    for (at, c) in s.char_indices() {
        let escape = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\n' => Some("\\n"),
            '\t' => Some("\\t"),
            '\r' => Some("\\r"),
            c if c.is_control() || matches!(c, '\u{feff}' | '\u{85}' | '\u{2028}' | '\u{2029}') => {
                None
            }
            _ => continue,
        };
        out.push_str(&s[plain..at]);
        plain = at + c.len_utf8();
        let code = u32::from(c);
        // Writing to a String cannot fail.
        let _ = match escape {
            Some(escape) => out.write_str(escape),
            None if code <= 0xff => write!(out, "\\x{code:02x}"),
            None => write!(out, "\\u{code:04x}"),
        };
    }
    out.push_str(&s[plain..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    fn round_trip(value: &Value) {
        let mut out = String::new();
        if let Err(e) = super::super::ser::write(&mut out, value) {
            panic!("cannot write {value}: {e}");
        }
        let back: Value = serde_yaml_ng::from_str(&out)
            .unwrap_or_else(|e| panic!("emitted YAML does not parse: {e}\n{out}"));
        assert_eq!(&back, value, "round trip changed the value:\n{out}");
    }

    const TRICKY: &[&str] = &[
        "",
        " ",
        "plain",
        "yes",
        "No",
        "on",
        "OFF",
        "null",
        "~",
        "true",
        "1",
        "0.5",
        "1e3",
        "0x1f",
        "-",
        "- a",
        "a: b",
        "a:b",
        "key:",
        "#hash",
        "a #b",
        "a#b",
        "'quoted'",
        "\"double\"",
        "[x]",
        "{x}",
        "*alias",
        "&anchor",
        "!tag",
        "%dir",
        "@at",
        "`tick",
        "|",
        ">",
        "a\tb",
        "trailing ",
        " leading",
        "line\nbreak",
        "line\nbreak\n",
        "two\n\n",
        "\n",
        "\nstarts",
        "  indented\nblock",
        "tab\tinside\nblock",
        "cr\r\nlf",
        "nul\0",
        "bell\u{7}",
        "bom\u{feff}",
        "é accent",
        "emoji 🎉",
        "line sep\u{2028}",
        "http://host:8181/api",
        "jdbc:postgresql://db:5432/x",
        ".5",
        ".nan",
        "=",
        "50%",
        "/q/health",
        "1:30",
        "a,b",
        "a, b",
        "(x)",
        "a=b",
        "#!/bin/sh\nset -eu\necho \"hi\"\n",
        "import os\n\nprint(os.environ['X'])\n",
    ];

    #[test]
    fn tricky_strings_round_trip_as_values_and_keys() {
        for s in TRICKY {
            round_trip(&json!({ "value": s }));
            round_trip(&json!({ *s: 1 }));
            round_trip(&json!({ "list": [s, { "k": s }] }));
        }
    }

    #[test]
    fn nesting_round_trips() {
        round_trip(&json!({
            "a": { "b": [ { "c": [1, 2, [3, 4]], "d": {} }, [], {} ], "e": null, "f": true },
            "g": [ [ { "h": "i" } ] ],
            "script": "#!/bin/sh\n  indented first\nsecond\n",
        }));
    }

    #[test]
    fn plain_strings_stay_plain() {
        let mut out = String::new();
        let value = json!({ "image": "apache/polaris:1.2.0", "path": "/q/health/ready" });
        assert!(super::super::ser::write(&mut out, &value).is_ok());
        assert_eq!(out, "image: apache/polaris:1.2.0\npath: /q/health/ready\n");
    }
}
