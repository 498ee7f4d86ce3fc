//! Emitting objects: a YAML stream, a JSON `List`, or a directory of files ([`dir`]).
//!
//! Output is deterministic: the objects come in [`crate::lower`]'s order and every map
//! is sorted or in k8s-openapi's field order, so the same input gives the same bytes.

pub mod dir;
mod ser;
mod yaml;

use serde::Serialize;

use crate::lower::{self, Object};
use crate::model::Stack;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Yaml => "yaml",
            Format::Json => "json",
        }
    }
}

/// All objects as one YAML stream, documents separated by `---`.
pub fn to_yaml(objects: &[Object]) -> String {
    let mut out = String::with_capacity(objects.len() * 1024);
    for object in objects {
        out.push_str("---\n");
        write_yaml(&mut out, object);
    }
    out
}

/// A stack's objects as one YAML stream (the same as [`to_yaml`] of its lowered
/// objects), written to `out` as they are made: a large stack's objects and
/// documents are never all held at once.
pub fn write_yaml_stream(stack: &Stack, out: &mut impl std::io::Write) -> std::io::Result<()> {
    lower::lower_in_order(
        stack,
        |object| {
            // Written in a block larger than most objects' YAML, then kept in a
            // copy of its exact size until it is written out.
            let mut document = String::with_capacity(8192);
            document.push_str("---\n");
            write_yaml(&mut document, &object);
            Box::<str>::from(document.as_str())
        },
        |document| out.write_all(document.as_bytes()),
    )
}

/// One value (an object as the API serves it) as a YAML document.
pub fn to_yaml_value(value: &serde_json::Value) -> String {
    let mut out = String::new();
    let _ = ser::write(&mut out, value);
    out
}

/// All objects as a Kubernetes `List`, which `kubectl apply -f` accepts.
pub fn to_json(objects: &[Object]) -> String {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct List<'a> {
        api_version: &'static str,
        kind: &'static str,
        items: &'a [Object],
    }
    let list = List {
        api_version: "v1",
        kind: "List",
        items: objects,
    };
    let mut out = serde_json::to_string_pretty(&list).unwrap_or_default();
    out.push('\n');
    out
}

/// One object as a YAML document. k8s-openapi objects always serialize; should one
/// not, its JSON form (valid YAML) is written instead of losing it.
fn write_yaml(out: &mut String, object: &Object) {
    let start = out.len();
    if ser::write(out, object).is_err() {
        out.truncate(start);
        out.push_str(&serde_json::to_string(object).unwrap_or_default());
        out.push('\n');
    }
}
