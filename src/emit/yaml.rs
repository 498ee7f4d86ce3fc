//! YAML scalars for Kubernetes manifests: strings plain where YAML 1.1 and 1.2 both
//! read them back as the same string, double-quoted otherwise, and multi-line
//! strings as literal blocks so that scripts and config files stay readable. The
//! layout of documents is [`super::ser`]'s. Written by hand because the output must
//! be byte-stable and fast; round trips are tested against a YAML parser.

use std::cell::Cell;
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

/// A struct's field name as a key. Field names are static strings that come back in
/// every object (`name`, `metadata`, `containerPort`), so whether one can be plain
/// is decided once per thread and remembered by its address.
pub(super) fn write_field_name(out: &mut String, name: &'static str, level: usize) {
    /// Slots of the memo, indexed by the name's address: more than the distinct
    /// field names of the objects floe writes, so that they rarely collide.
    const SLOTS: usize = 512;
    thread_local! {
        static PLAIN: [Cell<(usize, bool)>; SLOTS] =
            const { [const { Cell::new((0, false)) }; SLOTS] };
    }
    let address = name.as_ptr() as usize;
    let plain = PLAIN.with(|memo| {
        let slot = &memo[(address >> 3) % SLOTS];
        match slot.get() {
            (known, plain) if known == address => plain,
            _ => {
                let plain = is_plain_safe(name);
                slot.set((address, plain));
                plain
            }
        }
    });
    if plain {
        out.push_str(name);
    } else {
        write_string(out, name, level, true);
    }
}

/// Whether a string can be written without quotes and read back as the same string
/// by YAML 1.1 and 1.2 parsers: it starts with a letter, `/` or `_` (so it is no
/// number, no `.inf` and no indicator), holds only letters, digits and
/// `-_./ :()+=,` (so no `#` comment), has no `: ` (a mapping) and no blank or `:`
/// at its end, and is no word that reads as a boolean or null. The bytes' classes
/// are gathered in one pass without branches; only a string with a `:` is looked
/// at again, for a blank after it. This runs for every string of every object.
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
    let classes = bytes.iter().fold(0, |all, &b| all | CLASS[usize::from(b)]);
    if classes & NOT_PLAIN != 0
        || (classes & COLON != 0
            && bytes
                .iter()
                .zip(&bytes[1..])
                .any(|(&a, &b)| a == b':' && b == b' '))
    {
        return false;
    }
    !is_reserved_word(s)
}

/// A byte that cannot be in a plain string.
const NOT_PLAIN: u8 = 1;
/// `:`, which a blank may not follow.
const COLON: u8 = 2;

/// The class of every byte: [`NOT_PLAIN`], [`COLON`], or 0 for the letters, digits
/// and `-_./ ()+=,` that a plain string may hold anywhere.
static CLASS: [u8; 256] = {
    let mut table = [NOT_PLAIN; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'-' | b'_' | b'.' | b'/' | b' ' | b'(' | b')' | b'+' | b'=' | b','
            )
        {
            table[b] = 0;
        } else if c == b':' {
            table[b] = COLON;
        }
        b += 1;
    }
    table
};

/// The words YAML 1.1 reads as booleans or null, in any case: compared once,
/// lowered into a small buffer, as this runs for most strings (keys are short).
fn is_reserved_word(s: &str) -> bool {
    let bytes = s.as_bytes();
    if bytes.len() > 5 {
        return false;
    }
    let mut lower = [0u8; 5];
    for (l, b) in lower.iter_mut().zip(bytes) {
        *l = b.to_ascii_lowercase();
    }
    matches!(
        &lower[..bytes.len()],
        b"true"
            | b"false"
            | b"yes"
            | b"no"
            | b"on"
            | b"off"
            | b"y"
            | b"n"
            | b"null"
            | b"nan"
            | b"inf"
    )
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
            spaces(out, level);
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

/// `n` spaces of indentation, copied from a run of them (indentation this deep is
/// rare, and then written in pieces).
pub(super) fn spaces(out: &mut String, mut n: usize) {
    const RUN: &str = "                                                                ";
    while n > 0 {
        let piece = n.min(RUN.len());
        out.push_str(&RUN[..piece]);
        n -= piece;
    }
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

    /// Field names are remembered by their address: names that must be quoted stay
    /// quoted however often they come, beside plain ones.
    #[test]
    fn field_names_round_trip_as_keys() {
        #[derive(serde::Serialize)]
        struct Tricky {
            plain: u8,
            #[serde(rename = "no")]
            boolean: u8,
            #[serde(rename = "a: b")]
            mapping: u8,
            #[serde(rename = "#hash")]
            comment: u8,
            #[serde(rename = "")]
            empty: u8,
        }
        let tricky = Tricky {
            plain: 1,
            boolean: 2,
            mapping: 3,
            comment: 4,
            empty: 5,
        };
        let expected = json!({ "plain": 1, "no": 2, "a: b": 3, "#hash": 4, "": 5 });
        for _ in 0..3 {
            let mut out = String::new();
            assert!(super::super::ser::write(&mut out, &vec![&tricky, &tricky]).is_ok());
            let back: Value = serde_yaml_ng::from_str(&out)
                .unwrap_or_else(|e| panic!("emitted YAML does not parse: {e}\n{out}"));
            assert_eq!(back, json!([expected, expected]), "{out}");
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
