//! The parser against its oracle, the normative grammar read by pest
//! (`tests/oracle/`): every text of the project's corpus, the texts a keystroke or a
//! deletion makes of them, and generated programs, with and without damage, are read
//! alike (same tree, spans and diagnostics) or rejected by both.

#[path = "../oracle/mod.rs"]
mod oracle;

use std::path::{Path, PathBuf};

use proptest::prelude::*;

fn floe_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            floe_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "floe") {
            out.push(path);
        }
    }
}

fn corpus() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    for dir in ["examples", "stdlib", "tests/data", "docs"] {
        floe_files(&root.join(dir), &mut paths);
    }
    paths
        .into_iter()
        .filter_map(|p| std::fs::read_to_string(&p).ok().map(|t| (p, t)))
        .collect()
}

#[test]
fn the_corpus_parses_as_the_grammar_reads_it() {
    let corpus = corpus();
    assert!(corpus.len() > 100, "{} files", corpus.len());
    let mut accepted = 0;
    for (path, text) in &corpus {
        if let Err(e) = oracle::agree(text) {
            panic!("{}: {e}", path.display());
        }
        accepted += usize::from(floe::syntax::parse_exact(floe::source::FileId(0), text).is_some());
    }
    assert!(
        accepted * 10 > corpus.len() * 8,
        "{accepted} of {} parse",
        corpus.len()
    );
}

/// Every cut and every one-character deletion of the files an editor sees most:
/// the texts of a file being typed or broken.
#[test]
fn cut_and_damaged_texts_parse_as_the_grammar_reads_them() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for name in ["examples/demo.floe", "stdlib/polaris.floe"] {
        let text = std::fs::read_to_string(root.join(name)).unwrap();
        let bounds: Vec<usize> = (0..=text.len())
            .filter(|&i| text.is_char_boundary(i))
            .collect();
        for (n, &i) in bounds.iter().enumerate() {
            if n % 3 == 0 {
                oracle::agree(&text[..i]).unwrap();
            }
            if let Some(&next) = bounds.get(n + 1)
                && n % 17 == 0
            {
                oracle::agree(&format!("{}{}", &text[..i], &text[next..])).unwrap();
            }
        }
    }
}

#[test]
fn the_corners_of_the_grammar_parse_as_it_reads_them() {
    let texts = [
        "svc a { b = \"\"\"x\" = 1 }",
        "svc a { b = \"\"\"never closed }",
        "svc a { t = long required\nrequired = 1 }",
        "svc a { t = x required required }",
        "svc a { t = x required.y }",
        "svc a { r = 1..5, s = 1...5, u = 1..2..3, v = a . b, w = a. .b }",
        "svc a { x = 5.x, y = 5.5.x, z = 5e3, q = -5Gi, n = 99999999999999999999999 }",
        "svc a { x = f(a = 1, b == 2) }",
        "svc a { x = f(a = = 1) }",
        "svc a { x = f(a,) y = f(,) }",
        "svc a { x = \"a\\qb\\\n\" }",
        "svc a { x = \"$$${a}${b}$${\" }",
        "svc a { x = \"a\nb\" }",
        "svc a { x = \"\"\"\n  a ${ {b = 1}.b } \"\"\"\" }",
        "svc a { x: [string]?, y: t = 1, z: t == 1 }",
        "svc a { \"k\".\"l\" = 1, m . n = 2 }",
        "svc a { x = {}, y = [], z = () }",
        "svc a { a = 1 b = 2 }",
        "svc a { x = x.\"\"\" }",
        "import \"\"\"x\"\"\"",
        "imports \"x\"",
        "let x: [t] = 1 + 2 + 3",
        "let x == 1",
        "true a {}",
        "svc a { let = 1 }",
        "svc a { x = trueish, y = true_, z = letter }",
        "\u{FEFF}svc a { /* c */ x = 1 // d\n }",
        "svc a { x = 1 /* open",
        "svc a { x = \"\\é\" }",
        "a b { c d { e f { } } }",
        "svc a { x = [\"a\", \"b\",] }",
        "svc a { x = 1 < 2 }",
        "svc a { x <= 1, y >= 2, z != 3, w > 4, v < 5, u == 6 }",
        "svc a { x = !1 }",
        "svc a { x = f (1) \n (2) }",
    ];
    for text in texts {
        oracle::agree(text).unwrap();
    }
}

/// The diagnostics of recovery that are reported more than once: each mistake is
/// reported once, however the text around it nests.
fn repeated_diagnostics(text: &str) -> Vec<String> {
    let parsed = floe::syntax::parse(floe::source::FileId(0), text);
    let mut seen = std::collections::HashSet::new();
    parsed
        .diagnostics
        .iter()
        .map(|d| format!("{:?} {:?} {}", d.code, d.span, d.message))
        .filter(|d| !seen.insert(d.clone()))
        .collect()
}

/// One closer that leaves several openers open is one mistake: one diagnostic,
/// labelled on every opener, whose fix closes them all.
#[test]
fn one_closer_leaving_openers_open_is_one_diagnostic() {
    let parse = |text: &str| floe::syntax::parse(floe::source::FileId(0), text).diagnostics;
    let lists = parse("stack s {\n  x = [[1 }\n");
    let at_closer: Vec<_> = lists
        .iter()
        .filter(|d| d.span.is_some_and(|s| s.start == 20))
        .collect();
    assert_eq!(at_closer.len(), 1, "{lists:#?}");
    let openers: Vec<u32> = at_closer[0]
        .secondary
        .iter()
        .map(|l| l.span.start)
        .collect();
    assert_eq!(openers, [17, 16], "{lists:#?}");

    let records = parse("stack s {\n  v = { a = { b = 1\n}\n");
    let unclosed: Vec<_> = records
        .iter()
        .filter(|d| d.message == "unclosed `{`")
        .collect();
    assert_eq!(unclosed.len(), 1, "{records:#?}");
    let fix = unclosed[0].suggestion.as_ref().expect("a fix");
    assert_eq!(fix.replacement, "}}");
}

/// An unterminated string ends at its line. Where it failed an entry, recovery
/// goes on after it: read again from its quote, as the next entry's key, it was
/// reported twice.
#[test]
fn an_unterminated_string_is_read_once() {
    for text in [
        "a b {\n  x = 0 +\n    \"ab }\n",
        "a b {\n  x = { y = 0 +\n    \"ab\n  }\n}\n",
    ] {
        let parsed = floe::syntax::parse(floe::source::FileId(0), text);
        let unterminated = parsed
            .diagnostics
            .iter()
            .filter(|d| d.code == floe::diagnostic::Code::E0004)
            .count();
        assert_eq!(unterminated, 1, "{text}: {:#?}", parsed.diagnostics);
    }
}

/// Records left open inside a call, a line after line: each one is read once. Read
/// again after each failed entry, the text after them was read twice per level and
/// its errors reported as often (2^n).
#[test]
fn recovery_reads_each_part_of_the_text_once() {
    let head = "stack demo {\n  volumes = { data = { mount = \"/data\", storage = \
                persistent(class = \"s\", resources = { cpu = 100m..cache = { m*/t = V k a {\n";
    let line = "  namespace = // n = \"x\"\n  volumes = { data = { storage = p(r = { c = 1..d = { m*/t = V k a {\n";
    let count = |n: usize| {
        let text = format!("{head}{}", line.repeat(n));
        let repeated = repeated_diagnostics(&text);
        assert!(
            repeated.is_empty(),
            "n = {n}: reported again: {repeated:#?}"
        );
        floe::syntax::parse(floe::source::FileId(0), &text)
            .diagnostics
            .len()
    };
    let (four, sixteen) = (count(4), count(16));
    assert!(
        sixteen <= 5 * four,
        "{four} errors at 4 lines, {sixteen} at 16"
    );
}

// Generated programs: tokens of every kind in the shapes of the grammar, joined
// by blank space and comments, then damaged.

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z_][a-z0-9_]{0,3}",
        1 => Just("required".to_string()),
        1 => prop::sample::select(vec!["let", "true", "false", "import", "letx", "true_"]).prop_map(String::from),
    ]
}

fn string_piece() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "a",
        " ",
        "é",
        "\\n",
        "\\\"",
        "\\q",
        "\\",
        "$",
        "$${",
        "$$",
        "//",
        "/*",
        "\n",
        "\"",
        "\"\"",
        "${x}",
        "${ a.b }",
        "${\"in\"}",
    ])
    .prop_map(String::from)
}

fn string() -> impl Strategy<Value = String> {
    (any::<bool>(), prop::collection::vec(string_piece(), 0..5)).prop_map(|(multi, pieces)| {
        let quote = if multi { "\"\"\"" } else { "\"" };
        let body: String = if multi {
            pieces.concat()
        } else {
            pieces
                .into_iter()
                .filter(|p| !matches!(p.as_str(), "\n" | "\"" | "\"\""))
                .collect()
        };
        format!("{quote}{body}{quote}")
    })
}

fn leaf() -> impl Strategy<Value = String> {
    prop_oneof![
        "-?[0-9]{1,3}(\\.[0-9]{1,2})?",
        "[0-9]{1,3}(m|Mi|Gi|s|ms|x)",
        name(),
        string(),
        Just("99999999999999999999999".to_string()),
    ]
}

fn expr() -> impl Strategy<Value = String> {
    leaf().prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            (prop::collection::vec(inner.clone(), 0..3), any::<bool>()).prop_map(
                |(v, trailing)| format!("[{}{}]", v.join(", "), if trailing { "," } else { "" })
            ),
            prop::collection::vec((name(), inner.clone()), 0..3).prop_map(|fs| {
                let fields: Vec<String> =
                    fs.into_iter().map(|(k, v)| format!("{k} = {v}")).collect();
                format!("{{ {} }}", fields.join(", "))
            }),
            (inner.clone(), name()).prop_map(|(e, n)| format!("{e}.{n}")),
            (
                inner.clone(),
                prop::collection::vec((prop::option::of(name()), inner.clone()), 0..3)
            )
                .prop_map(|(f, args)| {
                    let args: Vec<String> = args
                        .into_iter()
                        .map(|(n, v)| n.map_or(v.clone(), |n| format!("{n} = {v}")))
                        .collect();
                    format!("{f}({})", args.join(", "))
                }),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} + {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a}..{b}")),
            inner.clone().prop_map(|e| format!("({e})")),
            inner.clone().prop_map(|e| format!("{e} required")),
            inner.prop_map(|e| format!("\"a${{{e}}}b\"")),
        ]
    })
}

fn type_expr() -> impl Strategy<Value = String> {
    (name(), 0usize..3, any::<bool>()).prop_map(|(n, lists, optional)| {
        format!(
            "{}{n}{}{}",
            "[".repeat(lists),
            "]".repeat(lists),
            if optional { "?" } else { "" }
        )
    })
}

fn entry() -> impl Strategy<Value = String> {
    let op = prop::sample::select(vec!["=", "==", "!=", "<", "<=", ">", ">=", ":"]);
    let leaf_entry = prop_oneof![
        4 => (name(), prop::collection::vec(name(), 0..2), op, expr()).prop_map(|(k, sub, op, v)| {
            let path: Vec<String> = std::iter::once(k).chain(sub).collect();
            format!("{} {op} {v}", path.join("."))
        }),
        1 => (string(), expr()).prop_map(|(k, v)| format!("{k} = {v}")),
        2 => (name(), type_expr(), prop::option::of(expr())).prop_map(|(n, t, d)| match d {
            Some(d) => format!("{n}: {t} = {d}"),
            None => format!("{n}: {t}"),
        }),
        1 => (name(), expr()).prop_map(|(n, v)| format!("let {n} = {v}")),
    ];
    leaf_entry.prop_recursive(2, 8, 3, |inner| {
        (name(), name(), prop::collection::vec(inner, 0..3))
            .prop_map(|(k, n, es)| format!("{k} {n} {{\n{}\n}}", es.join("\n")))
    })
}

fn item() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => string().prop_map(|s| format!("import {s}")),
        1 => (name(), prop::option::of(type_expr()), expr()).prop_map(|(n, t, v)| match t {
            Some(t) => format!("let {n}: {t} = {v}"),
            None => format!("let {n} = {v}"),
        }),
        4 => (name(), name(), prop::collection::vec(entry(), 0..5), prop::sample::select(vec!["\n", ", ", " "]))
            .prop_map(|(k, n, es, sep)| format!("{k} {n} {{\n{}\n}}", es.join(sep))),
    ]
}

/// A program's text: its items with blank space or comments between them.
fn program() -> impl Strategy<Value = String> {
    let gap = prop::sample::select(vec!["\n", "\n\n", " ", "// note\n", "/* c */ ", "\u{FEFF}"]);
    prop::collection::vec((item(), gap), 0..4)
        .prop_map(|items| items.into_iter().map(|(i, g)| format!("{i}{g}")).collect())
}

/// The damage a person does while typing: a token inserted, a span deleted.
#[derive(Clone, Debug)]
enum Damage {
    Insert(usize, &'static str),
    Delete(usize, usize),
}

fn damage() -> impl Strategy<Value = Damage> {
    let token = prop::sample::select(vec![
        "{", "}", "[", "]", "(", ")", "\"", "\"\"\"", "=", ":", ".", "..", ",", "+", "-", "$",
        "${", "\\", "\n", "/*", "*/", "//", "required", "let ", "x", "1", "?",
    ]);
    prop_oneof![
        (any::<usize>(), token).prop_map(|(at, t)| Damage::Insert(at, t)),
        (any::<usize>(), 1usize..4).prop_map(|(at, len)| Damage::Delete(at, len)),
    ]
}

fn apply(text: &str, damage: &[Damage]) -> String {
    let mut text = text.to_string();
    for d in damage {
        let bounds: Vec<usize> = (0..=text.len())
            .filter(|&i| text.is_char_boundary(i))
            .collect();
        let pick = |at: usize| bounds[at % bounds.len()];
        match *d {
            Damage::Insert(at, token) => text.insert_str(pick(at), token),
            Damage::Delete(at, len) => {
                let start = pick(at);
                let end = bounds
                    .iter()
                    .copied()
                    .filter(|&b| b > start)
                    .nth(len - 1)
                    .unwrap_or(start);
                text.replace_range(start..end, "");
            }
        }
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn generated_programs_parse_as_the_grammar_reads_them(program in program()) {
        prop_assert!(oracle::agree(&program).is_ok(), "{}", oracle::agree(&program).unwrap_err());
    }

    #[test]
    fn damaged_programs_parse_as_the_grammar_reads_them(
        program in program(),
        damage in prop::collection::vec(damage(), 1..4),
    ) {
        let text = apply(&program, &damage);
        prop_assert!(oracle::agree(&text).is_ok(), "{}", oracle::agree(&text).unwrap_err());
    }

    #[test]
    fn recovery_reports_each_mistake_once(
        program in program(),
        damage in prop::collection::vec(damage(), 1..4),
    ) {
        let text = apply(&program, &damage);
        let repeated = repeated_diagnostics(&text);
        prop_assert!(repeated.is_empty(), "{text}\nreported again: {repeated:#?}");
    }
}
