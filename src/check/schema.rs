//! The schema of every built-in item kind: its fields, their types and docs.
//!
//! One table serves the checker (unknown and missing fields, types), profile paths,
//! and the language server (hover and completion).

use crate::units::Dimension;

/// The built-in item kinds, plus instances of components.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Stack,
    Profile,
    Service,
    Secret,
    Config,
    Hook,
    Component,
    Instance,
    Catalog,
    Table,
    Check,
}

impl Kind {
    pub const BUILTIN: &'static [Kind] = &[
        Kind::Stack,
        Kind::Profile,
        Kind::Service,
        Kind::Secret,
        Kind::Config,
        Kind::Hook,
        Kind::Component,
        Kind::Catalog,
        Kind::Table,
        Kind::Check,
    ];

    pub fn keyword(self) -> &'static str {
        match self {
            Kind::Stack => "stack",
            Kind::Profile => "profile",
            Kind::Service => "service",
            Kind::Secret => "secret",
            Kind::Config => "config",
            Kind::Hook => "hook",
            Kind::Component => "component",
            Kind::Instance => "instance",
            Kind::Catalog => "catalog",
            Kind::Table => "table",
            Kind::Check => "check",
        }
    }

    pub fn from_keyword(word: &str) -> Option<Kind> {
        Kind::BUILTIN.iter().copied().find(|k| k.keyword() == word)
    }

    /// The fields an item of this kind may set, or `None` for kinds whose keys are
    /// free (secrets, configs) or given by a component.
    pub fn fields(self) -> Option<&'static [FieldSpec]> {
        match self {
            Kind::Stack => Some(STACK),
            Kind::Service => Some(SERVICE),
            Kind::Hook => Some(HOOK),
            Kind::Catalog => Some(CATALOG),
            Kind::Table => Some(TABLE),
            Kind::Check => Some(CHECK),
            _ => None,
        }
    }

    pub fn doc(self) -> &'static str {
        match self {
            Kind::Stack => {
                "The stack: its namespace, common labels and the defaults of every item."
            }
            Kind::Profile => "Overrides applied when compiling with `--profile NAME`.",
            Kind::Service => {
                "A long-running workload: a Deployment (a StatefulSet when it has persistent \
                 volumes), a Service for its ports and a ServiceAccount."
            }
            Kind::Secret => {
                "Named secret values, supplied when the stack is applied: literals, \
                 `generate(n)` or `env(\"NAME\")`. Compiled files never hold the values."
            }
            Kind::Config => "Named configuration values and files: a ConfigMap.",
            Kind::Hook => "A one-off task run as a Job once what it comes `after` is ready.",
            Kind::Component => "A reusable, parameterised group of items.",
            Kind::Instance => "An instance of a component.",
            Kind::Catalog => {
                "An Iceberg catalog: a REST catalog such as Polaris, with OAuth2 client \
                 credentials and an S3 warehouse. `floe run --local` uses an embedded one."
            }
            Kind::Table => {
                "An Iceberg table: its columns, and seed data written when the stack runs \
                 (rows, a CSV file or generated rows)."
            }
            Kind::Check => {
                "A SQL query over the tables with its expected result, run by DuckDB once \
                 the tables are seeded."
            }
        }
    }
}

/// The type a field expects.
#[derive(Clone, Copy, Debug)]
pub enum Ty {
    /// A string literal or a string-valued reference (`db.host`).
    String,
    /// Anything that reads as text: strings, numbers, ports and quantities.
    Text,
    Int {
        min: i64,
        max: i64,
    },
    Bool,
    /// One quantity of a dimension.
    Quantity(Dimension),
    /// A quantity, or a range `request..limit` of them.
    Resource(Dimension),
    List(&'static Ty),
    /// One value or a list of them: `after = polaris` or `after = [a, b]`.
    OneOrList(&'static Ty),
    /// A record whose keys are chosen by the user.
    Map(&'static Ty),
    /// A record with known fields.
    Record(&'static [FieldSpec]),
    Probe,
    Storage,
    /// A reference to an item of one of these kinds.
    Ref(&'static [Kind]),
    Enum(&'static [&'static str]),
    /// An environment variable's value: text, a secret value or a config value.
    EnvValue,
    /// A mounted file's content: a config value or a secret value.
    FileSource,
    /// A secret key's source: a literal, `generate(n)`, `env("NAME")` or a string
    /// built from other secret values.
    SecretSource,
    /// A port number, 1 to 65535.
    Port,
    /// A catalog credential: text, or a secret value.
    Credential,
    /// A table's columns: `{ id = long required, name = string }`.
    Columns,
    /// A table's seed: `csv("file.csv")` or `generate(n, { column = generator })`.
    Seed,
    /// Inline seed rows: a list of records keyed by column.
    Rows,
    /// A check's expected value.
    Expect,
}

impl Ty {
    /// The type as the language reference writes it.
    pub fn describe(&self) -> String {
        match self {
            Ty::String => "string".into(),
            Ty::Text => "string".into(),
            Ty::Int { .. } => "int".into(),
            Ty::Bool => "bool".into(),
            Ty::Quantity(d) => d.name().into(),
            Ty::Resource(d) => format!("{0} or {0}..{0}", d.name()),
            Ty::List(t) => format!("[{}]", t.describe()),
            Ty::OneOrList(t) => format!("{0} or [{0}]", t.describe()),
            Ty::Map(t) => format!("{{name = {}}}", t.describe()),
            Ty::Record(_) => "record".into(),
            Ty::Probe => "probe".into(),
            Ty::Storage => "storage".into(),
            Ty::Ref(kinds) => kinds
                .iter()
                .map(|k| k.keyword())
                .collect::<Vec<_>>()
                .join(" or "),
            Ty::Enum(words) => words
                .iter()
                .map(|w| format!("`{w}`"))
                .collect::<Vec<_>>()
                .join(" or "),
            Ty::EnvValue => "string, secret value or config value".into(),
            Ty::FileSource => "config value or secret value".into(),
            Ty::SecretSource => "string, `generate(n)` or `env(\"NAME\")`".into(),
            Ty::Port => "port number".into(),
            Ty::Credential => "string or secret value".into(),
            Ty::Columns => "{column = type}".into(),
            Ty::Seed => "`csv(\"file\")` or `generate(n, {...})`".into(),
            Ty::Rows => "[{column = value}]".into(),
            Ty::Expect => "a value".into(),
        }
    }
}

/// One field of an item kind or record type.
#[derive(Clone, Copy, Debug)]
pub struct FieldSpec {
    pub name: &'static str,
    pub ty: Ty,
    pub required: bool,
    pub doc: &'static str,
}

const fn field(name: &'static str, ty: Ty, doc: &'static str) -> FieldSpec {
    FieldSpec {
        name,
        ty,
        required: false,
        doc,
    }
}

const fn required(name: &'static str, ty: Ty, doc: &'static str) -> FieldSpec {
    FieldSpec {
        name,
        ty,
        required: true,
        doc,
    }
}

pub fn find<'a>(fields: &'a [FieldSpec], name: &str) -> Option<&'a FieldSpec> {
    fields.iter().find(|f| f.name == name)
}

const WORKLOADS: &[Kind] = &[Kind::Service, Kind::Hook, Kind::Instance];
const USER: Ty = Ty::Int {
    min: 1,
    max: 2_147_483_647,
};

pub const RESOURCES: &[FieldSpec] = &[
    field(
        "cpu",
        Ty::Resource(Dimension::Cpu),
        "CPU as `request..limit` (`100m..500m`), or one value used for both.",
    ),
    field(
        "memory",
        Ty::Resource(Dimension::Bytes),
        "Memory as `request..limit` (`256Mi..512Mi`), or one value used for both.",
    ),
];

pub const VOLUME: &[FieldSpec] = &[
    required(
        "mount",
        Ty::String,
        "Where the volume is mounted in the container.",
    ),
    field(
        "size",
        Ty::Quantity(Dimension::Bytes),
        "The volume's size (default 1Gi).",
    ),
    field(
        "storage",
        Ty::Storage,
        "`ephemeral` (emptyDir) or `persistent` (a PersistentVolumeClaim); the stack's \
         default storage when not given.",
    ),
];

pub const PROBES: &[FieldSpec] = &[
    field(
        "ready_after",
        Ty::Quantity(Dimension::Duration),
        "Delay before the first readiness probe.",
    ),
    field(
        "every",
        Ty::Quantity(Dimension::Duration),
        "Period of the readiness probe.",
    ),
    field(
        "failures",
        Ty::Int { min: 1, max: 1000 },
        "Failures before a probe counts as failed.",
    ),
    field(
        "timeout",
        Ty::Quantity(Dimension::Duration),
        "How long one probe may take.",
    ),
    field(
        "live_after",
        Ty::Quantity(Dimension::Duration),
        "Delay before the first liveness probe.",
    ),
    field(
        "live_every",
        Ty::Quantity(Dimension::Duration),
        "Period of the liveness probe.",
    ),
];

/// Named arguments of `tcp`, `http` and `exec`, overriding the stack's probe defaults.
pub const PROBE_ARGS: &[FieldSpec] = &[
    field(
        "after",
        Ty::Quantity(Dimension::Duration),
        "Delay before the first probe.",
    ),
    field(
        "every",
        Ty::Quantity(Dimension::Duration),
        "Period of the probe.",
    ),
    field(
        "failures",
        Ty::Int { min: 1, max: 1000 },
        "Failures before the probe counts as failed.",
    ),
    field(
        "timeout",
        Ty::Quantity(Dimension::Duration),
        "How long one probe may take.",
    ),
];

pub const DEFAULTS: &[FieldSpec] = &[
    field(
        "resources",
        Ty::Record(RESOURCES),
        "Resources of services and hooks that set none.",
    ),
    field(
        "storage",
        Ty::Storage,
        "Storage of volumes that do not choose one.",
    ),
    field(
        "probes",
        Ty::Record(PROBES),
        "Timing of readiness and liveness probes.",
    ),
    field(
        "user",
        USER,
        "The user id containers run as (default 1000: never root).",
    ),
];

pub const STACK: &[FieldSpec] = &[
    field(
        "namespace",
        Ty::String,
        "The Kubernetes namespace of every object (default: the stack's name).",
    ),
    field(
        "labels",
        Ty::Map(&Ty::String),
        "Labels added to every object.",
    ),
    field(
        "runner",
        Ty::String,
        "The image of the floe runner, which runs seed and verify Jobs.",
    ),
    field(
        "defaults",
        Ty::Record(DEFAULTS),
        "Defaults for every service and hook.",
    ),
];

pub const SERVICE: &[FieldSpec] = &[
    required(
        "image",
        Ty::String,
        "The container image, with a pinned tag.",
    ),
    field(
        "command",
        Ty::List(&Ty::Text),
        "Replaces the image's entrypoint.",
    ),
    field("args", Ty::List(&Ty::Text), "Arguments to the entrypoint."),
    field(
        "ports",
        Ty::Map(&Ty::Port),
        "Named ports: `{ api = 8181 }`. Others reach them as `NAME.ports.api`.",
    ),
    field(
        "env",
        Ty::Map(&Ty::EnvValue),
        "Environment variables. A secret value becomes a `secretKeyRef`, a config value \
         a `configMapKeyRef`.",
    ),
    field(
        "replicas",
        Ty::Int {
            min: 0,
            max: 10_000,
        },
        "How many pods run (default 1).",
    ),
    field(
        "resources",
        Ty::Record(RESOURCES),
        "CPU and memory (default: the stack's).",
    ),
    field(
        "volumes",
        Ty::Map(&Ty::Record(VOLUME)),
        "Named volumes: `{ data = { mount = \"/data\", size = 1Gi } }`.",
    ),
    field(
        "files",
        Ty::Map(&Ty::FileSource),
        "Files mounted into the container, by absolute path: `{ \"/etc/app.yaml\" = settings.app }`.",
    ),
    field(
        "ready",
        Ty::Probe,
        "Readiness probe: `tcp(port)`, `http(port, path)` or `exec([...])`.",
    ),
    field(
        "live",
        Ty::Probe,
        "Liveness probe: `tcp(port)`, `http(port, path)` or `exec([...])`.",
    ),
    field(
        "needs",
        Ty::List(&Ty::Ref(WORKLOADS)),
        "What must be ready before this service starts.",
    ),
    field(
        "user",
        USER,
        "The user id the container runs as (default: the stack's).",
    ),
];

pub const HOOK: &[FieldSpec] = &[
    required(
        "image",
        Ty::String,
        "The container image, with a pinned tag.",
    ),
    field(
        "command",
        Ty::List(&Ty::Text),
        "Replaces the image's entrypoint.",
    ),
    field("args", Ty::List(&Ty::Text), "Arguments to the entrypoint."),
    field("env", Ty::Map(&Ty::EnvValue), "Environment variables."),
    field(
        "files",
        Ty::Map(&Ty::FileSource),
        "Files mounted into the container.",
    ),
    field(
        "resources",
        Ty::Record(RESOURCES),
        "CPU and memory (default: the stack's).",
    ),
    field(
        "user",
        USER,
        "The user id the container runs as (default: the stack's).",
    ),
    field(
        "after",
        Ty::OneOrList(&Ty::Ref(WORKLOADS)),
        "What must be ready (or complete, for hooks) before the hook runs.",
    ),
    field(
        "on",
        Ty::List(&Ty::Enum(&["install", "upgrade"])),
        "When the hook runs: on the first `install`, on each `upgrade` that changes it \
         (default both).",
    ),
    field(
        "retries",
        Ty::Int { min: 0, max: 100 },
        "Retries before the Job fails (default 3).",
    ),
    field(
        "timeout",
        Ty::Quantity(Dimension::Duration),
        "Deadline of the Job (default 10m).",
    ),
    field(
        "keep",
        Ty::Quantity(Dimension::Duration),
        "How long a finished Job is kept before Kubernetes deletes it (default 1h).",
    ),
];

pub const OAUTH: &[FieldSpec] = &[
    required("client_id", Ty::Credential, "The OAuth2 client id."),
    required(
        "client_secret",
        Ty::Credential,
        "The OAuth2 client secret (a secret value).",
    ),
    field(
        "scope",
        Ty::String,
        "The OAuth2 scope (default `PRINCIPAL_ROLE:ALL`, which Polaris requires).",
    ),
    field(
        "server_uri",
        Ty::String,
        "The token endpoint (default: `{uri}/v1/oauth/tokens`).",
    ),
];

pub const S3: &[FieldSpec] = &[
    field(
        "endpoint",
        Ty::String,
        "The S3 endpoint (`http://minio:9000`); AWS when not given.",
    ),
    field("region", Ty::String, "The region (default `us-east-1`)."),
    field(
        "path_style",
        Ty::Bool,
        "Path-style requests, as MinIO needs (default true).",
    ),
    field("access_key", Ty::Credential, "The access key id."),
    field(
        "secret_key",
        Ty::Credential,
        "The secret access key (a secret value).",
    ),
];

pub const CATALOG: &[FieldSpec] = &[
    field(
        "uri",
        Ty::String,
        "The Iceberg REST endpoint: `polaris.url(api) + \"/api/catalog\"`.",
    ),
    required(
        "warehouse",
        Ty::String,
        "The warehouse: Polaris' catalog name.",
    ),
    field(
        "oauth",
        Ty::Record(OAUTH),
        "OAuth2 client credentials for the catalog.",
    ),
    field(
        "s3",
        Ty::Record(S3),
        "Where and how the table files are stored.",
    ),
    field(
        "after",
        Ty::OneOrList(&Ty::Ref(WORKLOADS)),
        "What must be ready before the catalog is used (its init hook, say).",
    ),
];

pub const TABLE: &[FieldSpec] = &[
    required(
        "catalog",
        Ty::Ref(&[Kind::Catalog]),
        "The catalog the table lives in.",
    ),
    required(
        "name",
        Ty::String,
        "The namespace path and table name in the catalog: `\"demo.bronze.customers\"`.",
    ),
    required(
        "columns",
        Ty::Columns,
        "The columns and their types: `{ id = long required, name = string }`.",
    ),
    field(
        "rows",
        Ty::Rows,
        "Seed rows: `[{ id = 1, name = \"Ada\" }, ...]`.",
    ),
    field(
        "seed",
        Ty::Seed,
        "Seed data: `csv(\"data/x.csv\")` or `generate(1000, { id = sequence(1), ... })`.",
    ),
    field(
        "when",
        Ty::Enum(&["empty", "always"]),
        "`empty` (default): seed only an empty or missing table; `always`: append on every run.",
    ),
];

pub const CHECK: &[FieldSpec] = &[
    required(
        "sql",
        Ty::String,
        "A DuckDB query returning one value; tables are named by their items.",
    ),
    required(
        "expect",
        Ty::Expect,
        "The expected value (`expect = 100`), or a comparison (`expect > 0`).",
    ),
    field(
        "description",
        Ty::String,
        "What the check proves, shown with its result.",
    ),
];

/// The words of the `storage` field: bare words the evaluator takes
/// (`check::builtins::words`), and the storage a value of that field may name.
pub const STORAGE_WORDS: &[&str] = &["ephemeral", "persistent"];
