//! The words of the language that are not declared in any file: functions, storage
//! words and the members of a service, with the docs hover and completion show.

/// A built-in function or word: its name, how it is written, and what it does.
pub struct Builtin {
    pub name: &'static str,
    pub signature: &'static str,
    pub doc: &'static str,
}

const fn builtin(name: &'static str, signature: &'static str, doc: &'static str) -> Builtin {
    Builtin {
        name,
        signature,
        doc,
    }
}

pub const FUNCTIONS: &[Builtin] = &[
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
    builtin(
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
    builtin(
        "host",
        "host: string",
        "The in-cluster host name of the service: its Kubernetes name.",
    ),
    builtin("ports", "ports.NAME: port", "The service's named ports."),
    builtin(
        "url",
        "url(PORT): string",
        "`http://HOST:PORT` of one of the service's named ports.",
    ),
];

pub fn function(name: &str) -> Option<&'static Builtin> {
    FUNCTIONS.iter().find(|b| b.name == name)
}

pub fn service_member(name: &str) -> Option<&'static Builtin> {
    SERVICE_MEMBERS.iter().find(|b| b.name == name)
}

#[cfg(test)]
mod tests {
    use crate::check::{FUNCTIONS, VARIANT_WORDS};

    /// The editor knows every function the checker evaluates, and documents nothing
    /// the checker does not know (a function or a word such as `ephemeral`).
    #[test]
    fn every_function_of_the_checker_has_its_docs() {
        let documented: Vec<&str> = super::FUNCTIONS.iter().map(|b| b.name).collect();
        for f in FUNCTIONS {
            assert!(documented.contains(f), "`{f}` has no docs for the editor");
        }
        for d in &documented {
            assert!(
                FUNCTIONS.contains(d) || VARIANT_WORDS.contains(d),
                "`{d}` is documented but the checker does not know it"
            );
        }
    }
}
