//! The registry of diagnostic codes.
//!
//! A code names one situation and is never reused or renumbered. `E00xx` are syntax
//! errors, `E01xx` names and modules, `E02xx` types and values, `E03xx` Kubernetes
//! constraints, `E04xx` data, `W0xxx` warnings. `R0xxx` are the errors of a run on a
//! cluster (`floe run`, `diff`, `down`): `R00xx` before anything is applied, `R01xx`
//! the API server, `R02xx` items that do not become ready. Each code has a page in
//! `docs/errors/`, embedded here for `floe explain`.

use std::fmt;

/// How serious a diagnostic is. Errors stop compilation; warnings do not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

macro_rules! codes {
    ($($variant:ident = $code:literal, $title:literal;)*) => {
        /// A stable diagnostic code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $($variant,)*
        }

        impl Code {
            /// Every code, in order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $code,)*
                }
            }

            /// A short title, the first line of the code's page.
            pub fn title(self) -> &'static str {
                match self {
                    $(Code::$variant => $title,)*
                }
            }

            /// The long explanation printed by `floe explain`.
            pub fn explanation(self) -> &'static str {
                match self {
                    $(Code::$variant => include_str!(concat!("../../docs/errors/", $code, ".md")),)*
                }
            }
        }
    };
}

codes! {
    E0001 = "E0001", "syntax error";
    E0002 = "E0002", "missing separator between entries";
    E0003 = "E0003", "invalid escape sequence";
    E0004 = "E0004", "line break in a string";
    E0005 = "E0005", "number out of range";
    E0006 = "E0006", "unknown unit";
    E0007 = "E0007", "nesting too deep";
    E0101 = "E0101", "unknown name";
    E0102 = "E0102", "unknown field";
    E0103 = "E0103", "unknown port";
    E0104 = "E0104", "duplicate definition";
    E0105 = "E0105", "unknown item kind";
    E0106 = "E0106", "unknown member";
    E0107 = "E0107", "module not found";
    E0108 = "E0108", "path escapes the project";
    E0109 = "E0109", "import cycle";
    E0110 = "E0110", "unknown profile";
    E0111 = "E0111", "missing stack";
    E0112 = "E0112", "more than one stack";
    E0113 = "E0113", "invalid override path";
    E0114 = "E0114", "item not allowed here";
    E0115 = "E0115", "file not found";
    E0116 = "E0116", "import chain too deep";
    E0201 = "E0201", "mismatched types";
    E0202 = "E0202", "missing required field";
    E0203 = "E0203", "secret value interpolated";
    E0204 = "E0204", "secret value in a plain position";
    E0205 = "E0205", "dependency cycle";
    E0206 = "E0206", "reversed range";
    E0207 = "E0207", "port out of range";
    E0208 = "E0208", "value out of range";
    E0209 = "E0209", "wrong arguments";
    E0210 = "E0210", "unknown function";
    E0212 = "E0212", "reference cycle";
    E0213 = "E0213", "comparison not allowed here";
    E0214 = "E0214", "unknown variant";
    E0215 = "E0215", "references chained too deep";
    E0301 = "E0301", "invalid Kubernetes name";
    E0302 = "E0302", "Kubernetes name too long";
    E0303 = "E0303", "Kubernetes name collision";
    E0304 = "E0304", "invalid label";
    E0305 = "E0305", "invalid port name";
    E0306 = "E0306", "duplicate port number";
    E0307 = "E0307", "invalid environment variable name";
    E0308 = "E0308", "invalid config key";
    E0309 = "E0309", "invalid image reference";
    E0310 = "E0310", "invalid mount path";
    E0401 = "E0401", "unknown column";
    E0402 = "E0402", "value does not fit its column";
    E0403 = "E0403", "missing required column";
    E0404 = "E0404", "malformed CSV";
    E0405 = "E0405", "invalid SQL";
    E0406 = "E0406", "check result does not match its expectation";
    E0407 = "E0407", "seed data too large";
    E0408 = "E0408", "invalid table name";
    E0409 = "E0409", "generator does not fit its column";
    E0410 = "E0410", "table seeded twice";
    R0001 = "R0001", "environment variables not set";
    R0002 = "R0002", "cannot generate secret values";
    R0003 = "R0003", "fields owned by another manager";
    R0004 = "R0004", "object of another stack or tool";
    R0101 = "R0101", "request refused by the API server";
    R0102 = "R0102", "cluster not reached";
    R0103 = "R0103", "Kubernetes version not supported";
    R0201 = "R0201", "item failed";
    R0202 = "R0202", "item not ready in time";
    R0203 = "R0203", "run not finished in time";
    R0204 = "R0204", "checks reported no results";
    R0205 = "R0205", "object deleted while waited for";
    R0206 = "R0206", "object still being deleted";
    R0207 = "R0207", "runner image not on the cluster";
    W0001 = "W0001", "literal secret value";
    W0002 = "W0002", "image tag not pinned";
}

impl Code {
    pub fn severity(self) -> Severity {
        if self.as_str().starts_with('W') {
            Severity::Warning
        } else {
            Severity::Error
        }
    }

    /// Whether the code is an error of a run on a cluster rather than of the source.
    pub fn is_run(self) -> bool {
        self.as_str().starts_with('R')
    }

    /// Looks a code up by its name, ignoring case (`e0201` finds `E0201`).
    pub fn parse(text: &str) -> Option<Code> {
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.as_str().eq_ignore_ascii_case(text.trim()))
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
