//! YAML scalars for Kubernetes manifests: strings plain where YAML 1.1 and 1.2 both
//! read them back as the same string, double-quoted otherwise, and multi-line
//! strings as literal blocks so that scripts and config files stay readable. The
//! layout of documents is [`super::ser`]'s. Written by hand because the output must
//! be byte-stable and fast; round trips are tested against a YAML parser.

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
/// by YAML 1.1 and 1.2 parsers.
fn is_plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if !(first.is_ascii_alphabetic() || first == '/' || first == '_') {
        return false;
    }
    if s.ends_with([' ', ':']) {
        return false;
    }
    let chars_ok = s.chars().all(|c| {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                '-' | '_' | '.' | '/' | ' ' | ':' | '(' | ')' | '+' | '=' | ','
            )
    });
    chars_ok && !s.contains(": ") && !s.contains(" #") && !is_reserved_word(s) && !looks_numeric(s)
}

fn is_reserved_word(s: &str) -> bool {
    matches!(
        s.to_ascii_lowercase().as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n" | "null" | "nan" | "inf"
    )
}

/// Sexagesimal and exponent forms that YAML 1.1 reads as numbers (`1e3` never starts
/// with a letter here, but `e`-forms after a letter cannot be numbers either).
fn looks_numeric(s: &str) -> bool {
    s.starts_with('.') && s.chars().nth(1).is_some_and(|c| c.is_ascii_alphabetic())
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
            out.extend(std::iter::repeat_n(' ', level));
            out.push_str(line);
        }
    }
    for _ in 1..trailing {
        out.push('\n');
    }
}

fn write_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() || matches!(c, '\u{feff}' | '\u{85}' | '\u{2028}' | '\u{2029}') => {
                let code = u32::from(c);
                if code <= 0xff {
                    out.push_str(&format!("\\x{code:02x}"));
                } else {
                    out.push_str(&format!("\\u{code:04x}"));
                }
            }
            c => out.push(c),
        }
    }
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
