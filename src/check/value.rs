//! Values: what expressions evaluate to before they are checked against a schema.

use std::fmt::Write as _;

use crate::source::Span;
use crate::units::Decimal;

/// An item instance: one service, secret, hook... of the stack after components
/// are instantiated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstId(pub u32);

/// A value with the span of the expression that produced it.
#[derive(Clone, Debug, PartialEq)]
pub struct V {
    pub value: Value,
    pub span: Span,
}

impl V {
    pub fn new(value: Value, span: Span) -> V {
        V { value, span }
    }

    pub fn error(span: Span) -> V {
        V::new(Value::Error, span)
    }

    pub fn is_error(&self) -> bool {
        matches!(self.value, Value::Error)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(String),
    Int(i64),
    Float(Decimal),
    Bool(bool),
    Quantity {
        number: Decimal,
        unit: String,
    },
    List(Vec<V>),
    Record(Vec<Entry>),
    Range(Box<V>, Box<V>),
    /// A bare name that is not bound in scope: a variant such as `ephemeral`, or a
    /// misspelt reference, decided where the value is used.
    Word(String),
    /// A reference to an item instance (a service, hook, component instance, ...).
    Item(InstId),
    /// The ports of a service: `db.ports`, or `ports` inside the service.
    Ports(InstId),
    /// A port of a service: `db.ports.pg` or `ports.api` inside the service.
    Port {
        service: InstId,
        name: String,
        number: i64,
    },
    /// One key of a secret item: `auth.password`.
    Secret {
        item: InstId,
        key: String,
    },
    /// A string built from secret values; allowed only inside a secret item.
    SecretText(Vec<SecretPart>),
    /// One key of a config item: `settings.yaml`.
    ConfigKey {
        item: InstId,
        key: String,
    },
    /// `generate(n)`: a random value created when the stack is applied.
    Generate {
        length: i64,
    },
    /// `env("NAME")`: read from the environment of `floe run`.
    EnvVar(String),
    Probe(Probe),
    Storage(Storage),
    /// A table column's type: `long`, `decimal(10, 2)`, `string required`.
    Column {
        ty: crate::model::ColumnType,
        required: bool,
    },
    /// `csv("file.csv")`: seed rows read from a file beside the `.floe` file.
    Csv(String),
    /// `generate(n, { column = generator })`: generated seed rows.
    SeedRows {
        count: i64,
        columns: Vec<Entry>,
    },
    /// A generator of seed values: `sequence(1)`, `pick([...])`, `between(lo, hi)`.
    Gen(Gen),
    /// A column of a table: `customers.id`, as a generator of existing keys.
    ColumnRef {
        table: InstId,
        column: String,
    },
    /// A string with generated parts: `"user-${sequence(1)}"`.
    GenText(Vec<GenPart>),
    /// An optional parameter without a value. A record entry or list item that is
    /// unset is left out, a field set to it counts as not set, and anything else
    /// done with it is an error.
    Unset(String),
    /// A value whose problem was already reported; accepted everywhere so that one
    /// mistake gives one diagnostic.
    Error,
}

/// A key and value of a record literal.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub value: V,
}

#[derive(Clone, Debug, PartialEq)]
pub enum SecretPart {
    Text(String),
    Secret {
        item: InstId,
        key: String,
        span: Span,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum Gen {
    Sequence { start: Box<V>, step: i64 },
    Pick(Vec<V>),
    Between(Box<V>, Box<V>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum GenPart {
    Text(String),
    /// A generator or a column reference.
    Gen(V),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Probe {
    pub kind: ProbeKind,
    /// Named arguments overriding the stack's probe defaults (`after`, `every`, ...).
    pub timing: Vec<Entry>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ProbeKind {
    Tcp { port: Box<V> },
    Http { port: Box<V>, path: String },
    Exec { command: Vec<V> },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Storage {
    pub persistent: bool,
    pub class: Option<String>,
    pub size: Option<Box<V>>,
}

impl Value {
    /// A short description of the value's type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Bool(_) => "bool",
            Value::Quantity { unit, .. } => quantity_type(unit),
            Value::List(_) => "list",
            Value::Record(_) => "record",
            Value::Range(..) => "range",
            Value::Word(_) => "name",
            Value::Item(_) => "item",
            Value::Ports(_) => "ports record",
            Value::Port { .. } => "port reference",
            Value::Secret { .. } | Value::SecretText(_) => "secret value",
            Value::ConfigKey { .. } => "config value",
            Value::Generate { .. } => "generated secret",
            Value::EnvVar(_) => "environment value",
            Value::Probe(_) => "probe",
            Value::Storage(_) => "storage",
            Value::Column { .. } => "column type",
            Value::Csv(_) => "csv file",
            Value::SeedRows { .. } => "generated rows",
            Value::Gen(_) | Value::ColumnRef { .. } | Value::GenText(_) => "generator",
            Value::Unset(_) => "unset parameter",
            Value::Error => "error",
        }
    }
}

fn quantity_type(unit: &str) -> &'static str {
    match crate::units::dimensions(unit).as_slice() {
        [d] => d.name(),
        _ => "quantity",
    }
}

/// Writes a quantity as it is written in floe and in Kubernetes: `256Mi`, `0.5`.
pub fn format_decimal(number: Decimal) -> String {
    if number.scale == 0 {
        return number.mantissa().to_string();
    }
    let negative = number.mantissa() < 0;
    let digits = number.mantissa().unsigned_abs().to_string();
    let scale = number.scale as usize;
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (int, frac) = padded.split_at(padded.len() - scale);
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    let _ = write!(out, "{int}.{frac}");
    out
}
