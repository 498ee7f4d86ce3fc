//! The names of the language that no file declares: the built-in functions, the
//! storage word `ephemeral` and the members of a service, in one table with the
//! signature and docs that hover and completion show. The evaluator calls only the
//! functions of this table, and a test requires that it calls each of them. The
//! bare words it takes are gathered here too ([`words`]) from their own tables: the
//! storage words, the column types (`model::COLUMN_TYPE_WORDS`) and the words of
//! the schema's enumerated fields (`on = [install]`).

use std::sync::LazyLock;

use super::schema::{self, FieldSpec, Ty};
use crate::model::COLUMN_TYPE_WORDS;

/// A built-in function or word: its name, how it is written, and what it does.
pub struct Builtin {
    pub name: &'static str,
    pub signature: &'static str,
    pub doc: &'static str,
    /// Called (`csv("f.csv")`), or a word written bare (`ephemeral`).
    pub called: bool,
}

const fn builtin(name: &'static str, signature: &'static str, doc: &'static str) -> Builtin {
    Builtin {
        name,
        signature,
        doc,
        called: true,
    }
}

const fn word(name: &'static str, signature: &'static str, doc: &'static str) -> Builtin {
    Builtin {
        name,
        signature,
        doc,
        called: false,
    }
}

/// The built-in functions, and the storage word `ephemeral` beside `persistent(..)`.
pub const BUILTINS: &[Builtin] = &[
    builtin(
        "tcp",
        "tcp(port, after = .., every = .., failures = .., timeout = ..)",
        "A probe that opens a TCP connection to one of the service's own ports.",
    ),
    builtin(
        "http",
        "http(port, \"/path\", after = .., every = .., failures = .., timeout = ..)",
        "A probe that sends an HTTP GET to a path on one of the service's own ports.",
    ),
    builtin(
        "exec",
        "exec([\"command\", \"arg\"], after = .., every = .., failures = .., timeout = ..)",
        "A probe that runs a command in the container; exit status 0 is healthy.",
    ),
    builtin(
        "generate",
        "generate(n)",
        "A secret value of `n` random letters and digits (8 to 4096), created once when the \
         stack is first applied. Only inside a `secret`.",
    ),
    builtin(
        "env",
        "env(\"NAME\")",
        "A secret value read from the environment of `floe run`. Only inside a `secret`.",
    ),
    builtin(
        "file",
        "file(\"path\")",
        "The text of a file beside the `.floe` file, inside the project.",
    ),
    builtin(
        "persistent",
        "persistent(class = \"..\", size = ..)",
        "Storage on a PersistentVolumeClaim; the service runs as a StatefulSet.",
    ),
    word(
        "ephemeral",
        "ephemeral",
        "Storage on an `emptyDir`, lost when the pod goes.",
    ),
    builtin(
        "csv",
        "csv(\"path\")",
        "A table's seed from a CSV file beside the stack: its header names columns (any \
         order, a subset of the declared ones); an empty field is null.",
    ),
    builtin(
        "sequence",
        "sequence(start = s, step = k)",
        "A generator: `s + i × k` in row `i` — ints, longs, dates (`k` days), timestamps \
         (`k` seconds); `sequence()` counts from 1.",
    ),
    builtin(
        "pick",
        "pick([a, b, c])",
        "A generator: one of the values, chosen pseudo-randomly (and deterministically) per \
         row.",
    ),
    builtin(
        "between",
        "between(lo, hi)",
        "A generator: a value from `lo` to `hi` inclusive — numbers, decimals, dates, \
         timestamps.",
    ),
    builtin(
        "decimal",
        "decimal(p, s)",
        "A column type: an exact number of `p` digits (at most 38), `s` of them after the \
         point.",
    ),
];

/// What every service offers as a member.
pub const SERVICE_MEMBERS: &[Builtin] = &[
    word(
        "host",
        "host: string",
        "The in-cluster host name of the service: its Kubernetes name.",
    ),
    word("ports", "ports.NAME: port", "The service's named ports."),
    builtin(
        "url",
        "url(PORT): string",
        "`http://HOST:PORT` of one of the service's named ports.",
    ),
];

/// The builtin (function or word) named `name`.
pub fn builtin_named(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.name == name)
}

/// The names of the functions, in the table's order.
pub fn functions() -> impl Iterator<Item = &'static str> {
    BUILTINS.iter().filter(|b| b.called).map(|b| b.name)
}

/// Whether a bare name that no scope binds is a word of the language: a storage
/// word (`ephemeral`, `persistent` for its defaults), a column type, or a word of an
/// enumerated field (`on = [install]`, `seed_when = always`).
pub fn is_word(name: &str) -> bool {
    words().any(|w| w == name)
}

/// Every word [`is_word`] knows, gathered from their tables once.
pub fn words() -> impl Iterator<Item = &'static str> {
    static WORDS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
        let mut words: Vec<&'static str> = schema::STORAGE_WORDS
            .iter()
            .copied()
            .chain(COLUMN_TYPE_WORDS.iter().map(|w| w.word))
            .chain(
                schema::Kind::BUILTIN
                    .iter()
                    .filter_map(|k| k.fields())
                    .flat_map(enum_words),
            )
            .collect();
        let mut seen = std::collections::HashSet::new();
        words.retain(|w| seen.insert(*w));
        words
    });
    WORDS.iter().copied()
}

/// The words of the enumerated fields among `fields` and the records inside them.
fn enum_words(fields: &'static [FieldSpec]) -> Box<dyn Iterator<Item = &'static str>> {
    Box::new(fields.iter().flat_map(|f| ty_words(&f.ty)))
}

fn ty_words(ty: &'static Ty) -> Box<dyn Iterator<Item = &'static str>> {
    match ty {
        Ty::Enum(words) => Box::new(words.iter().copied()),
        Ty::List(inner) | Ty::OneOrList(inner) | Ty::Map(inner) => ty_words(inner),
        Ty::Record(fields) => enum_words(fields),
        _ => Box::new(std::iter::empty()),
    }
}

pub fn service_member(name: &str) -> Option<&'static Builtin> {
    SERVICE_MEMBERS.iter().find(|b| b.name == name)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::check::check;
    use crate::diagnostic::Code;
    use crate::program::{self, RealFs};

    fn codes_of(source: &str) -> Vec<Code> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("builtins.floe");
        let program = program::load_text(&RealFs, &path, source.to_string());
        let checked = check(&program, &RealFs, None);
        checked.diagnostics.iter().map(|d| d.code).collect()
    }

    /// Every function of the table is one the evaluator calls, and every word is one
    /// it takes: used wrongly, each is an error of its arguments or its place, never
    /// an unknown function or name. A name that is neither is unknown.
    #[test]
    fn the_evaluator_knows_every_name_of_the_table() {
        let program =
            |value: &str| format!("stack s {{ namespace = \"s\" }}\nconfig c {{ x = {value} }}\n");
        for name in functions() {
            let codes = codes_of(&program(&format!("{name}()")));
            assert!(!codes.contains(&Code::E0210), "`{name}()`: {codes:?}");
        }
        for name in words().chain(BUILTINS.iter().filter(|b| !b.called).map(|b| b.name)) {
            let codes = codes_of(&program(name));
            assert!(!codes.contains(&Code::E0101), "`{name}`: {codes:?}");
        }
        assert!(codes_of(&program("nosuch()")).contains(&Code::E0210));
        assert!(codes_of(&program("nosuch")).contains(&Code::E0101));
    }

    /// `floe explain E0210` names every function.
    #[test]
    fn the_page_of_unknown_functions_names_every_function() {
        let page = crate::diagnostic::Code::E0210.explanation();
        for name in functions() {
            assert!(
                page.contains(&format!("`{name}`")),
                "`{name}` is not on E0210's page"
            );
        }
    }

    #[test]
    fn the_words_include_each_kind_of_word() {
        for w in [
            "ephemeral",
            "persistent",
            "install",
            "upgrade",
            "always",
            "long",
            "timestamptz",
        ] {
            assert!(is_word(w), "{w}");
        }
        assert!(!is_word("decimal") && !is_word("csv"));
    }
}
