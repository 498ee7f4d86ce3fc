//! The typed stack model: the checked program with components instantiated and the
//! profile applied. Every later stage (lowering, planning, running) reads this and
//! nothing older. Values are final (quantities in base units, references resolved to
//! Kubernetes names); spans remain so that late problems still point at the source.
//! The model is not serialized: what leaves the process (the data plan of the data
//! Jobs) has a format of its own, `plan::wire`.

use std::collections::BTreeMap;

use crate::source::Span;

/// The Kubernetes spelling of a floe name (an item's, a port's, a volume's): floe
/// names are identifiers, Kubernetes names DNS labels, so `_` becomes `-`.
pub fn kube_name(name: &str) -> String {
    name.replace('_', "-")
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stack {
    /// The stack item's name.
    pub name: String,
    pub namespace: String,
    /// The profile the model was built with, if any.
    pub profile: Option<String>,
    /// The stack's own labels, which lowering puts on every object with its own
    /// (`lower::Labels`).
    pub labels: BTreeMap<String, String>,
    pub runner_image: String,
    /// The seed and verify Jobs' requests and limits: the stack's default
    /// resources.
    pub runner_resources: Resources,
    pub services: Vec<Service>,
    pub hooks: Vec<Hook>,
    pub secrets: Vec<Secret>,
    pub configs: Vec<Config>,
    pub catalogs: Vec<Catalog>,
    pub tables: Vec<Table>,
    pub checks: Vec<Check>,
    pub span: Span,
}

impl Stack {
    /// Every secret value read from the environment of `floe run` (`env("NAME")`):
    /// the Secret, its key, and the variable, in source order.
    pub fn env_keys(&self) -> impl Iterator<Item = (&Secret, &SecretKey, &str)> {
        self.secrets.iter().flat_map(|secret| {
            secret.keys.iter().filter_map(move |key| match &key.source {
                SecretSource::Env { var } => Some((secret, key, var.as_str())),
                _ => None,
            })
        })
    }
}

/// Where an item comes from: its path in the source (`metastore.auth`) and the span
/// of its declaration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    pub path: String,
    pub span: Span,
}

/// A reference to a workload (service or hook) by its Kubernetes name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct WorkloadRef {
    pub kind: WorkloadKind,
    pub name: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WorkloadKind {
    Service,
    Hook,
}

/// What a service and a hook share: the container.
#[derive(Clone, Debug, PartialEq)]
pub struct Container {
    pub image: String,
    pub command: Vec<String>,
    pub args: Vec<String>,
    pub env: Vec<EnvVar>,
    pub files: Vec<FileMount>,
    pub resources: Resources,
    pub user: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Service {
    /// The Kubernetes name.
    pub name: String,
    pub origin: Origin,
    pub container: Container,
    pub ports: Vec<Port>,
    pub replicas: i32,
    pub volumes: Vec<Volume>,
    pub ready: Option<Probe>,
    pub live: Option<Probe>,
    pub needs: Vec<WorkloadRef>,
}

impl Service {
    /// A service with a persistent volume runs as a StatefulSet.
    pub fn is_stateful(&self) -> bool {
        self.volumes.iter().any(|v| v.storage.persistent)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Hook {
    pub name: String,
    pub origin: Origin,
    pub container: Container,
    pub after: Vec<WorkloadRef>,
    pub on: Vec<HookEvent>,
    pub retries: i32,
    pub timeout_seconds: i64,
    pub keep_seconds: i32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum HookEvent {
    Install,
    Upgrade,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Port {
    pub name: String,
    pub number: i32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvVar {
    pub name: String,
    pub value: EnvValue,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnvValue {
    Literal(String),
    /// A key of a Secret, by the Secret's Kubernetes name.
    Secret {
        secret: String,
        key: String,
    },
    /// A key of a ConfigMap, by its Kubernetes name.
    Config {
        config: String,
        key: String,
    },
}

/// A file mounted into a container from a ConfigMap or Secret key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileMount {
    pub path: String,
    pub source: FileSource,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileSource {
    Config { config: String, key: String },
    Secret { secret: String, key: String },
}

/// Requests and limits; CPU in millicores, memory in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Resources {
    pub cpu: Option<Range>,
    pub memory: Option<Range>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub request: i64,
    pub limit: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Volume {
    pub name: String,
    pub mount: String,
    pub size_bytes: i64,
    pub storage: Storage,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Storage {
    pub persistent: bool,
    pub class: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probe {
    pub action: ProbeAction,
    pub initial_delay_seconds: i32,
    pub period_seconds: i32,
    pub timeout_seconds: i32,
    pub failure_threshold: i32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProbeAction {
    /// A named port of the service, or a port number.
    Tcp {
        port: PortRef,
    },
    Http {
        port: PortRef,
        path: String,
    },
    Exec {
        command: Vec<String>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortRef {
    Name(String),
    Number(i32),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Secret {
    pub name: String,
    pub origin: Origin,
    pub keys: Vec<SecretKey>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SecretKey {
    pub key: String,
    pub source: SecretSource,
    pub span: Span,
}

/// How a secret value is obtained when the stack is applied. Literal values are kept
/// here in memory only: no compiled file and no message contains them.
#[derive(Clone, PartialEq)]
pub enum SecretSource {
    Literal(String),
    Generate {
        length: i64,
    },
    Env {
        var: String,
    },
    /// Text and other secret keys, joined: `"${user}:${password}"`.
    Template(Vec<TemplatePart>),
}

impl std::fmt::Debug for SecretSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretSource::Literal(_) => f.write_str("Literal(<redacted>)"),
            SecretSource::Generate { length } => write!(f, "Generate({length})"),
            SecretSource::Env { var } => write!(f, "Env({var})"),
            SecretSource::Template(parts) => f.debug_list().entries(parts).finish(),
        }
    }
}

impl SecretSource {
    /// How the value is made, without the value: for annotations and plans.
    pub fn describe(&self) -> String {
        match self {
            SecretSource::Literal(_) => "literal".to_string(),
            SecretSource::Generate { length } => format!("generate({length})"),
            SecretSource::Env { var } => format!("env({var})"),
            SecretSource::Template(parts) => {
                let refs: Vec<String> = parts
                    .iter()
                    .filter_map(|p| match p {
                        TemplatePart::Secret { secret, key } => Some(format!("{secret}.{key}")),
                        TemplatePart::Text(_) => None,
                    })
                    .collect();
                format!("template({})", refs.join(", "))
            }
        }
    }
}

#[derive(Clone, PartialEq)]
pub enum TemplatePart {
    Text(String),
    Secret { secret: String, key: String },
}

impl std::fmt::Debug for TemplatePart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TemplatePart::Text(_) => f.write_str("Text(<redacted>)"),
            TemplatePart::Secret { secret, key } => write!(f, "Secret({secret}.{key})"),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub name: String,
    pub origin: Origin,
    pub data: BTreeMap<String, String>,
}

/// An Iceberg catalog: a REST catalog (Polaris) reached with OAuth2 client
/// credentials, its warehouse on S3. `floe run --local` replaces every catalog with an
/// embedded one.
#[derive(Clone, Debug, PartialEq)]
pub struct Catalog {
    /// The item's name: how tables name their catalog.
    pub name: String,
    pub origin: Origin,
    /// The REST endpoint (`http://polaris:8181/api/catalog`); `None` for a catalog
    /// that only exists locally.
    pub uri: Option<String>,
    pub warehouse: String,
    pub oauth: Option<OAuth>,
    pub s3: Option<S3>,
    pub after: Vec<WorkloadRef>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OAuth {
    pub client_id: Credential,
    pub client_secret: Credential,
    /// Polaris requires `PRINCIPAL_ROLE:...` scopes.
    pub scope: String,
    /// The token endpoint, when it is not `{uri}/v1/oauth/tokens`.
    pub server_uri: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct S3 {
    pub endpoint: Option<String>,
    pub region: String,
    pub path_style: bool,
    pub access_key: Option<Credential>,
    pub secret_key: Option<Credential>,
}

/// A value a data Job reads: written in the source, or a key of a Secret (read from
/// the environment of the Job, never put in the plan).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    Plain(String),
    Secret { secret: String, key: String },
}

impl Credential {
    /// The environment variable a data Job reads a secret credential from:
    /// `FLOE_SECRET_<SECRET>_<KEY>`.
    pub fn env_var(secret: &str, key: &str) -> String {
        let clean = |s: &str| -> String {
            s.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_uppercase()
                    } else {
                        '_'
                    }
                })
                .collect()
        };
        format!("FLOE_SECRET_{}_{}", clean(secret), clean(key))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// The item's name: how SQL checks name the table.
    pub name: String,
    pub origin: Origin,
    /// The catalog item's name.
    pub catalog: String,
    /// The namespace path in the catalog (`demo.bronze`).
    pub namespace: Vec<String>,
    /// The table's name in the catalog (`customers`).
    pub table: String,
    pub columns: Vec<Column>,
    pub seed: Option<Seed>,
    pub when: SeedWhen,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub ty: ColumnType,
    pub required: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnType {
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Decimal { precision: u8, scale: u8 },
    String,
    Date,
    Timestamp,
    Timestamptz,
    Uuid,
    Binary,
}

/// A column type named by one word (all but `decimal(p, s)`): the word, and what its
/// values are and how a row or a CSV field writes them, as hover shows it.
pub struct ColumnTypeWord {
    pub ty: ColumnType,
    pub word: &'static str,
    pub doc: &'static str,
}

const fn word(ty: ColumnType, word: &'static str, doc: &'static str) -> ColumnTypeWord {
    ColumnTypeWord { ty, word, doc }
}

/// The one list of the column types' words, read by the checker, the model and the
/// language server.
pub const COLUMN_TYPE_WORDS: &[ColumnTypeWord] = &[
    word(ColumnType::Boolean, "boolean", "`true` or `false`."),
    word(ColumnType::Int, "int", "A 32-bit signed integer: `42`."),
    word(ColumnType::Long, "long", "A 64-bit signed integer: `42`."),
    word(
        ColumnType::Float,
        "float",
        "A 32-bit floating-point number: `2.5`.",
    ),
    word(
        ColumnType::Double,
        "double",
        "A 64-bit floating-point number: `2.5`.",
    ),
    word(ColumnType::String, "string", "UTF-8 text: `\"Ada\"`."),
    word(
        ColumnType::Date,
        "date",
        "A calendar day: `\"2024-02-29\"`.",
    ),
    word(
        ColumnType::Timestamp,
        "timestamp",
        "A date and time of day with no time zone, to the microsecond: \
         `\"2024-02-29 13:45:00\"`.",
    ),
    word(
        ColumnType::Timestamptz,
        "timestamptz",
        "An instant, stored in UTC: `\"2024-02-29 13:45:00+01:00\"`.",
    ),
    word(
        ColumnType::Uuid,
        "uuid",
        "A UUID: `\"0190f1b6-2c8e-7d3a-9f00-5a1b2c3d4e5f\"`.",
    ),
    word(ColumnType::Binary, "binary", "Bytes, written as text."),
];

impl ColumnType {
    /// The column type a word names (`long`); `None` for any other word.
    pub fn from_word(word: &str) -> Option<ColumnType> {
        COLUMN_TYPE_WORDS
            .iter()
            .find(|w| w.word == word)
            .map(|w| w.ty)
    }

    /// The type as written in floe (`decimal(10, 2)`).
    pub fn name(self) -> String {
        match self {
            ColumnType::Decimal { precision, scale } => format!("decimal({precision}, {scale})"),
            ty => COLUMN_TYPE_WORDS
                .iter()
                .find(|w| w.ty == ty)
                .map_or_else(String::new, |w| w.word.to_string()),
        }
    }
}

/// When a table is seeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeedWhen {
    /// Only into an empty or missing table: running again adds nothing.
    Empty,
    /// On every run, appended.
    Always,
}

/// A table's seed data.
#[derive(Clone, Debug, PartialEq)]
pub enum Seed {
    /// Rows written in the source or read from a CSV file at compile time, one cell
    /// per column in column order.
    Rows(Vec<Vec<Cell>>),
    /// `count` rows made by generators, one per column in column order.
    Generate { count: u64, columns: Vec<Generator> },
}

/// One value of a row, already checked against its column's type.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// An exact decimal: `mantissa / 10^scale`, at the column's scale.
    Decimal(i128),
    String(String),
    /// Days since 1970-01-01.
    Date(i32),
    /// Microseconds since 1970-01-01T00:00:00 (UTC for `timestamptz`).
    Timestamp(i64),
    Uuid(u128),
    Binary(Vec<u8>),
}

/// How a generated column's value for row `i` (0-based) is made. Generators are
/// deterministic: the same stack gives the same rows on every run.
#[derive(Clone, Debug, PartialEq)]
pub enum Generator {
    /// The same value in every row.
    Constant(Cell),
    /// `start + i * step`, as the column's type (ints, longs, dates, timestamps).
    Sequence { start: Cell, step: i64 },
    /// One of the values, chosen pseudo-randomly per row.
    Pick(Vec<Cell>),
    /// A value between `lo` and `hi` inclusive, pseudo-random per row (numbers,
    /// decimals, dates, timestamps).
    Between { lo: Cell, hi: Cell },
    /// One of the values of another table's column (its seed rows), chosen
    /// pseudo-randomly per row: foreign keys that exist.
    Ref { table: String, column: String },
    /// Text with generated parts: `"user-${sequence(1)}@example.com"`.
    Text(Vec<TextPart>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum TextPart {
    Text(String),
    Generator(Generator),
}

/// A SQL check over the tables, run in DuckDB; tables are visible by their item
/// names.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    pub name: String,
    pub origin: Origin,
    pub sql: String,
    pub expect: Expect,
    pub description: Option<String>,
}

/// What the query's single value must be.
#[derive(Clone, Debug, PartialEq)]
pub struct Expect {
    pub op: Comparison,
    pub value: Cell,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Comparison {
    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::Eq => "=",
            Comparison::Ne => "!=",
            Comparison::Lt => "<",
            Comparison::Le => "<=",
            Comparison::Gt => ">",
            Comparison::Ge => ">=",
        }
    }
}
