//! The data plan as the data Jobs read it: the JSON in the `STACK-plan` ConfigMap.
//!
//! A Job may run another floe than the one that compiled its plan (the runner image
//! is pinned in the cluster, the compiler on a laptop), so the format is its own,
//! versioned set of types and not the model's: a change of the model changes the
//! conversions below, and the compiler says which; a change of the format is a new
//! [`VERSION`], and the reader keeps reading the versions before it.
//!
//! - Version 1 has `"format": 1`.
//! - Version 0, what floe 0.1 wrote, is version 1 without the `format` field.
//!
//! The field names are the format's: keep them when a model field is renamed.

use serde::{Deserialize, Serialize};

use super::DataPlan as Plan;
use crate::model;

/// The version this floe writes.
pub const VERSION: u32 = 1;

/// Why a text is not a data plan this floe can read.
#[derive(Debug)]
pub enum FormatError {
    /// Not JSON of a data plan of any version.
    Invalid(serde_json::Error),
    /// A version after [`VERSION`]: written by a newer floe.
    Newer(u32),
}

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FormatError::Invalid(e) => write!(f, "not a floe data plan: {e}"),
            FormatError::Newer(version) => write!(
                f,
                "a data plan of format {version}, from a newer floe (this floe reads formats 0 \
                 to {VERSION})"
            ),
        }
    }
}

impl std::error::Error for FormatError {}

/// The plan as the JSON of [`VERSION`].
pub fn to_json(plan: &Plan) -> String {
    let wire = DataPlan {
        format: Some(VERSION),
        stack: plan.stack.clone(),
        catalogs: plan.catalogs.iter().map(Catalog::from).collect(),
        tables: plan.tables.iter().map(Table::from).collect(),
        checks: plan.checks.iter().map(Check::from).collect(),
    };
    serde_json::to_string(&wire).unwrap_or_default()
}

/// How many bytes seed rows take in the plan's JSON: what the ConfigMap's size
/// limit is checked against.
pub fn rows_len(rows: &[Vec<model::Cell>]) -> usize {
    let rows: Vec<Vec<Cell>> = rows
        .iter()
        .map(|row| row.iter().map(Into::into).collect())
        .collect();
    serde_json::to_vec(&rows).map_or(0, |v| v.len())
}

/// A plan of any version this floe reads.
pub fn from_json(text: &str) -> Result<Plan, FormatError> {
    #[derive(Deserialize)]
    struct Version {
        format: Option<u32>,
    }
    let version = serde_json::from_str::<Version>(text).map_err(FormatError::Invalid)?;
    match version.format.unwrap_or(0) {
        0..=VERSION => {}
        newer => return Err(FormatError::Newer(newer)),
    }
    let wire: DataPlan = serde_json::from_str(text).map_err(FormatError::Invalid)?;
    Ok(Plan {
        stack: wire.stack,
        catalogs: wire.catalogs.into_iter().map(Into::into).collect(),
        tables: wire.tables.into_iter().map(Into::into).collect(),
        checks: wire.checks.into_iter().map(Into::into).collect(),
    })
}

#[derive(Serialize, Deserialize)]
struct DataPlan {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    format: Option<u32>,
    stack: String,
    catalogs: Vec<Catalog>,
    tables: Vec<Table>,
    checks: Vec<Check>,
}

/// Where an item is in the source: only its path travels.
#[derive(Serialize, Deserialize)]
struct Origin {
    path: String,
}

impl From<&model::Origin> for Origin {
    fn from(o: &model::Origin) -> Origin {
        Origin {
            path: o.path.clone(),
        }
    }
}

impl From<Origin> for model::Origin {
    fn from(o: Origin) -> model::Origin {
        model::Origin {
            path: o.path,
            span: crate::source::Span::default(),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Catalog {
    name: String,
    origin: Origin,
    uri: Option<String>,
    warehouse: String,
    oauth: Option<OAuth>,
    s3: Option<S3>,
    after: Vec<WorkloadRef>,
}

impl From<&model::Catalog> for Catalog {
    fn from(c: &model::Catalog) -> Catalog {
        Catalog {
            name: c.name.clone(),
            origin: (&c.origin).into(),
            uri: c.uri.clone(),
            warehouse: c.warehouse.clone(),
            oauth: c.oauth.as_ref().map(Into::into),
            s3: c.s3.as_ref().map(Into::into),
            after: c.after.iter().map(Into::into).collect(),
        }
    }
}

impl From<Catalog> for model::Catalog {
    fn from(c: Catalog) -> model::Catalog {
        model::Catalog {
            name: c.name,
            origin: c.origin.into(),
            uri: c.uri,
            warehouse: c.warehouse,
            oauth: c.oauth.map(Into::into),
            s3: c.s3.map(Into::into),
            after: c.after.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct OAuth {
    client_id: Credential,
    client_secret: Credential,
    scope: String,
    server_uri: Option<String>,
}

impl From<&model::OAuth> for OAuth {
    fn from(o: &model::OAuth) -> OAuth {
        OAuth {
            client_id: (&o.client_id).into(),
            client_secret: (&o.client_secret).into(),
            scope: o.scope.clone(),
            server_uri: o.server_uri.clone(),
        }
    }
}

impl From<OAuth> for model::OAuth {
    fn from(o: OAuth) -> model::OAuth {
        model::OAuth {
            client_id: o.client_id.into(),
            client_secret: o.client_secret.into(),
            scope: o.scope,
            server_uri: o.server_uri,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct S3 {
    endpoint: Option<String>,
    region: String,
    path_style: bool,
    access_key: Option<Credential>,
    secret_key: Option<Credential>,
}

impl From<&model::S3> for S3 {
    fn from(s: &model::S3) -> S3 {
        S3 {
            endpoint: s.endpoint.clone(),
            region: s.region.clone(),
            path_style: s.path_style,
            access_key: s.access_key.as_ref().map(Into::into),
            secret_key: s.secret_key.as_ref().map(Into::into),
        }
    }
}

impl From<S3> for model::S3 {
    fn from(s: S3) -> model::S3 {
        model::S3 {
            endpoint: s.endpoint,
            region: s.region,
            path_style: s.path_style,
            access_key: s.access_key.map(Into::into),
            secret_key: s.secret_key.map(Into::into),
        }
    }
}

/// A credential: text, or the Secret key a Job reads it from (never its value).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Credential {
    Plain(String),
    Secret { secret: String, key: String },
}

impl From<&model::Credential> for Credential {
    fn from(c: &model::Credential) -> Credential {
        match c {
            model::Credential::Plain(text) => Credential::Plain(text.clone()),
            model::Credential::Secret { secret, key } => Credential::Secret {
                secret: secret.clone(),
                key: key.clone(),
            },
        }
    }
}

impl From<Credential> for model::Credential {
    fn from(c: Credential) -> model::Credential {
        match c {
            Credential::Plain(text) => model::Credential::Plain(text),
            Credential::Secret { secret, key } => model::Credential::Secret { secret, key },
        }
    }
}

#[derive(Serialize, Deserialize)]
struct WorkloadRef {
    kind: WorkloadKind,
    name: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum WorkloadKind {
    Service,
    Hook,
}

impl From<&model::WorkloadRef> for WorkloadRef {
    fn from(r: &model::WorkloadRef) -> WorkloadRef {
        WorkloadRef {
            kind: match r.kind {
                model::WorkloadKind::Service => WorkloadKind::Service,
                model::WorkloadKind::Hook => WorkloadKind::Hook,
            },
            name: r.name.clone(),
        }
    }
}

impl From<WorkloadRef> for model::WorkloadRef {
    fn from(r: WorkloadRef) -> model::WorkloadRef {
        model::WorkloadRef {
            kind: match r.kind {
                WorkloadKind::Service => model::WorkloadKind::Service,
                WorkloadKind::Hook => model::WorkloadKind::Hook,
            },
            name: r.name,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Table {
    name: String,
    origin: Origin,
    catalog: String,
    namespace: Vec<String>,
    table: String,
    columns: Vec<Column>,
    seed: Option<Seed>,
    when: SeedWhen,
}

impl From<&model::Table> for Table {
    fn from(t: &model::Table) -> Table {
        Table {
            name: t.name.clone(),
            origin: (&t.origin).into(),
            catalog: t.catalog.clone(),
            namespace: t.namespace.clone(),
            table: t.table.clone(),
            columns: t.columns.iter().map(Into::into).collect(),
            seed: t.seed.as_ref().map(Into::into),
            when: match t.when {
                model::SeedWhen::Empty => SeedWhen::Empty,
                model::SeedWhen::Always => SeedWhen::Always,
            },
        }
    }
}

impl From<Table> for model::Table {
    fn from(t: Table) -> model::Table {
        model::Table {
            name: t.name,
            origin: t.origin.into(),
            catalog: t.catalog,
            namespace: t.namespace,
            table: t.table,
            columns: t.columns.into_iter().map(Into::into).collect(),
            seed: t.seed.map(Into::into),
            when: match t.when {
                SeedWhen::Empty => model::SeedWhen::Empty,
                SeedWhen::Always => model::SeedWhen::Always,
            },
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum SeedWhen {
    Empty,
    Always,
}

#[derive(Serialize, Deserialize)]
struct Column {
    name: String,
    ty: ColumnType,
    required: bool,
}

impl From<&model::Column> for Column {
    fn from(c: &model::Column) -> Column {
        Column {
            name: c.name.clone(),
            ty: c.ty.into(),
            required: c.required,
        }
    }
}

impl From<Column> for model::Column {
    fn from(c: Column) -> model::Column {
        model::Column {
            name: c.name,
            ty: c.ty.into(),
            required: c.required,
        }
    }
}

#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum ColumnType {
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

impl From<model::ColumnType> for ColumnType {
    fn from(ty: model::ColumnType) -> ColumnType {
        use model::ColumnType as M;
        match ty {
            M::Boolean => ColumnType::Boolean,
            M::Int => ColumnType::Int,
            M::Long => ColumnType::Long,
            M::Float => ColumnType::Float,
            M::Double => ColumnType::Double,
            M::Decimal { precision, scale } => ColumnType::Decimal { precision, scale },
            M::String => ColumnType::String,
            M::Date => ColumnType::Date,
            M::Timestamp => ColumnType::Timestamp,
            M::Timestamptz => ColumnType::Timestamptz,
            M::Uuid => ColumnType::Uuid,
            M::Binary => ColumnType::Binary,
        }
    }
}

impl From<ColumnType> for model::ColumnType {
    fn from(ty: ColumnType) -> model::ColumnType {
        use model::ColumnType as M;
        match ty {
            ColumnType::Boolean => M::Boolean,
            ColumnType::Int => M::Int,
            ColumnType::Long => M::Long,
            ColumnType::Float => M::Float,
            ColumnType::Double => M::Double,
            ColumnType::Decimal { precision, scale } => M::Decimal { precision, scale },
            ColumnType::String => M::String,
            ColumnType::Date => M::Date,
            ColumnType::Timestamp => M::Timestamp,
            ColumnType::Timestamptz => M::Timestamptz,
            ColumnType::Uuid => M::Uuid,
            ColumnType::Binary => M::Binary,
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Seed {
    Rows(Vec<Vec<Cell>>),
    Generate { count: u64, columns: Vec<Generator> },
}

impl From<&model::Seed> for Seed {
    fn from(s: &model::Seed) -> Seed {
        match s {
            model::Seed::Rows(rows) => Seed::Rows(
                rows.iter()
                    .map(|row| row.iter().map(Into::into).collect())
                    .collect(),
            ),
            model::Seed::Generate { count, columns } => Seed::Generate {
                count: *count,
                columns: columns.iter().map(Into::into).collect(),
            },
        }
    }
}

impl From<Seed> for model::Seed {
    fn from(s: Seed) -> model::Seed {
        match s {
            Seed::Rows(rows) => model::Seed::Rows(
                rows.into_iter()
                    .map(|row| row.into_iter().map(Into::into).collect())
                    .collect(),
            ),
            Seed::Generate { count, columns } => model::Seed::Generate {
                count,
                columns: columns.into_iter().map(Into::into).collect(),
            },
        }
    }
}

/// One value: `"null"`, or `{"int": 1}`, `{"date": 19764}` (days since 1970),
/// `{"timestamp": …}` (microseconds since 1970), `{"decimal": 890}` (the mantissa at
/// the column's scale).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Cell {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Decimal(i128),
    String(String),
    Date(i32),
    Timestamp(i64),
    Uuid(u128),
    Binary(Vec<u8>),
}

impl From<&model::Cell> for Cell {
    fn from(c: &model::Cell) -> Cell {
        use model::Cell as M;
        match c {
            M::Null => Cell::Null,
            M::Bool(b) => Cell::Bool(*b),
            M::Int(i) => Cell::Int(*i),
            M::Float(f) => Cell::Float(*f),
            M::Decimal(d) => Cell::Decimal(*d),
            M::String(s) => Cell::String(s.clone()),
            M::Date(d) => Cell::Date(*d),
            M::Timestamp(t) => Cell::Timestamp(*t),
            M::Uuid(u) => Cell::Uuid(*u),
            M::Binary(b) => Cell::Binary(b.clone()),
        }
    }
}

impl From<Cell> for model::Cell {
    fn from(c: Cell) -> model::Cell {
        use model::Cell as M;
        match c {
            Cell::Null => M::Null,
            Cell::Bool(b) => M::Bool(b),
            Cell::Int(i) => M::Int(i),
            Cell::Float(f) => M::Float(f),
            Cell::Decimal(d) => M::Decimal(d),
            Cell::String(s) => M::String(s),
            Cell::Date(d) => M::Date(d),
            Cell::Timestamp(t) => M::Timestamp(t),
            Cell::Uuid(u) => M::Uuid(u),
            Cell::Binary(b) => M::Binary(b),
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Generator {
    Constant(Cell),
    Sequence { start: Cell, step: i64 },
    Pick(Vec<Cell>),
    Between { lo: Cell, hi: Cell },
    Ref { table: String, column: String },
    Text(Vec<TextPart>),
}

impl From<&model::Generator> for Generator {
    fn from(g: &model::Generator) -> Generator {
        use model::Generator as M;
        match g {
            M::Constant(c) => Generator::Constant(c.into()),
            M::Sequence { start, step } => Generator::Sequence {
                start: start.into(),
                step: *step,
            },
            M::Pick(values) => Generator::Pick(values.iter().map(Into::into).collect()),
            M::Between { lo, hi } => Generator::Between {
                lo: lo.into(),
                hi: hi.into(),
            },
            M::Ref { table, column } => Generator::Ref {
                table: table.clone(),
                column: column.clone(),
            },
            M::Text(parts) => Generator::Text(parts.iter().map(Into::into).collect()),
        }
    }
}

impl From<Generator> for model::Generator {
    fn from(g: Generator) -> model::Generator {
        use model::Generator as M;
        match g {
            Generator::Constant(c) => M::Constant(c.into()),
            Generator::Sequence { start, step } => M::Sequence {
                start: start.into(),
                step,
            },
            Generator::Pick(values) => M::Pick(values.into_iter().map(Into::into).collect()),
            Generator::Between { lo, hi } => M::Between {
                lo: lo.into(),
                hi: hi.into(),
            },
            Generator::Ref { table, column } => M::Ref { table, column },
            Generator::Text(parts) => M::Text(parts.into_iter().map(Into::into).collect()),
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum TextPart {
    Text(String),
    Generator(Generator),
}

impl From<&model::TextPart> for TextPart {
    fn from(p: &model::TextPart) -> TextPart {
        match p {
            model::TextPart::Text(text) => TextPart::Text(text.clone()),
            model::TextPart::Generator(g) => TextPart::Generator(g.into()),
        }
    }
}

impl From<TextPart> for model::TextPart {
    fn from(p: TextPart) -> model::TextPart {
        match p {
            TextPart::Text(text) => model::TextPart::Text(text),
            TextPart::Generator(g) => model::TextPart::Generator(g.into()),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Check {
    name: String,
    origin: Origin,
    sql: String,
    expect: Expect,
    description: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct Expect {
    op: Comparison,
    value: Cell,
}

#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Comparison {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl From<&model::Check> for Check {
    fn from(c: &model::Check) -> Check {
        use model::Comparison as M;
        Check {
            name: c.name.clone(),
            origin: (&c.origin).into(),
            sql: c.sql.clone(),
            expect: Expect {
                op: match c.expect.op {
                    M::Eq => Comparison::Eq,
                    M::Ne => Comparison::Ne,
                    M::Lt => Comparison::Lt,
                    M::Le => Comparison::Le,
                    M::Gt => Comparison::Gt,
                    M::Ge => Comparison::Ge,
                },
                value: (&c.expect.value).into(),
            },
            description: c.description.clone(),
        }
    }
}

impl From<Check> for model::Check {
    fn from(c: Check) -> model::Check {
        use model::Comparison as M;
        model::Check {
            name: c.name,
            origin: c.origin.into(),
            sql: c.sql,
            expect: model::Expect {
                op: match c.expect.op {
                    Comparison::Eq => M::Eq,
                    Comparison::Ne => M::Ne,
                    Comparison::Lt => M::Lt,
                    Comparison::Le => M::Le,
                    Comparison::Gt => M::Gt,
                    Comparison::Ge => M::Ge,
                },
                value: c.expect.value.into(),
            },
            description: c.description,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::program::{self, RealFs};

    fn root() -> &'static Path {
        Path::new(env!("CARGO_MANIFEST_DIR"))
    }

    /// The data plan of a stack in a profile, with the spans of its origins cleared:
    /// the plan's JSON does not carry them.
    fn plan_of(file: &Path, profile: Option<&str>) -> Option<Plan> {
        let program = program::load(&RealFs, file).ok()?;
        let stack = crate::check::check(&program, &RealFs, profile).stack?;
        let mut plan = Plan::new(&stack);
        let span = crate::source::Span::default();
        plan.catalogs.iter_mut().for_each(|c| c.origin.span = span);
        plan.tables.iter_mut().for_each(|t| t.origin.span = span);
        plan.checks.iter_mut().for_each(|c| c.origin.span = span);
        Some(plan)
    }

    /// The plan files of earlier formats, `NAME-vN.json` (`tests/data/plans/`): what
    /// floe of that format wrote, kept as it was.
    fn earlier_plans() -> Vec<(u32, String, String)> {
        let Ok(entries) = std::fs::read_dir(root().join("tests/data/plans")) else {
            panic!("tests/data/plans cannot be listed");
        };
        let mut plans = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(version) = name
                .strip_suffix(".json")
                .and_then(|stem| stem.rsplit_once("-v"))
                .and_then(|(_, v)| v.parse::<u32>().ok())
            else {
                panic!("{name} is not NAME-vN.json");
            };
            let Ok(text) = std::fs::read_to_string(entry.path()) else {
                panic!("{name} cannot be read");
            };
            plans.push((version, name, text));
        }
        plans.sort();
        plans
    }

    /// Every earlier format has a plan file, and each reads, and reads the same after
    /// this floe writes it again: nothing of it is lost.
    #[test]
    fn reads_the_plans_of_every_earlier_format() {
        let plans = earlier_plans();
        for version in 0..VERSION {
            assert!(
                plans.iter().any(|(v, ..)| *v == version),
                "no plan file of format {version} in tests/data/plans"
            );
        }
        for (_, name, text) in &plans {
            let read = from_json(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            let again = from_json(&to_json(&read)).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(again, read, "{name}");
        }
    }

    /// floe 0.1 wrote this plan for the demo's production profile. It reads as that
    /// stack's data: its catalog's credentials, its tables, their columns and seeds,
    /// and its checks. What this floe writes of it is the same JSON with the version in
    /// front, which floe 0.1 reads too (it ignores fields it does not know).
    #[test]
    fn reads_the_plan_floe_0_1_wrote_and_floe_0_1_reads_what_it_writes() {
        let Some((_, _, old)) = earlier_plans().into_iter().find(|(v, ..)| *v == 0) else {
            panic!("no plan of format 0");
        };
        let plan = from_json(&old).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plan.stack, "demo");
        let tables: Vec<&str> = plan.tables.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(tables, ["customers", "products", "orders"]);
        let orders = &plan.tables[2];
        assert_eq!(orders.namespace, ["demo", "bronze"]);
        assert_eq!(
            orders.columns[4].ty,
            model::ColumnType::Decimal {
                precision: 10,
                scale: 2
            }
        );
        assert!(matches!(
            &orders.seed,
            Some(model::Seed::Generate { count: 2000, columns })
                if matches!(&columns[1], model::Generator::Ref { table, column }
                    if table == "customers" && column == "id")
        ));
        assert!(matches!(
            &plan.tables[0].seed,
            Some(model::Seed::Rows(rows)) if rows.len() == 8 && rows[6][2] == model::Cell::Null
        ));
        let oauth = plan.catalogs[0].oauth.as_ref().map(|o| &o.client_secret);
        assert_eq!(
            oauth,
            Some(&model::Credential::Secret {
                secret: "catalog-root".into(),
                key: "client_secret".into()
            })
        );
        let revenue = plan.checks.iter().find(|c| c.name == "revenue");
        assert!(
            revenue.is_some_and(|c| c.expect.op == model::Comparison::Gt
                && c.expect.value == model::Cell::Int(10000))
        );
        assert_eq!(
            to_json(&plan).replacen(&format!("{{\"format\":{VERSION},"), "{", 1),
            old,
            "format {VERSION} is format 0 with the version in front"
        );
    }

    fn stacks() -> Vec<PathBuf> {
        let mut files = vec![root().join("examples/demo.floe")];
        for dir in ["examples", "tests/data/compile"] {
            let Ok(entries) = std::fs::read_dir(root().join(dir)) else {
                panic!("{dir} cannot be listed");
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.join("main.floe").exists() {
                    files.push(path.join("main.floe"));
                } else if path.extension().is_some_and(|e| e == "floe") {
                    files.push(path);
                }
            }
        }
        files.sort();
        files.dedup();
        files
    }

    #[test]
    fn every_plan_reads_back_as_it_was_written() {
        let mut with_data = 0;
        for file in stacks() {
            for profile in [None, Some("local"), Some("production")] {
                let Some(plan) = plan_of(&file, profile) else {
                    continue;
                };
                with_data += usize::from(!plan.is_empty());
                let read = from_json(&to_json(&plan))
                    .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
                assert_eq!(read, plan, "{}", file.display());
            }
        }
        assert!(with_data >= 3, "only {with_data} plans have data");
    }

    #[test]
    fn a_plan_of_a_newer_format_is_refused_by_its_version() {
        let newer = format!(
            "{{\"format\":{},\"stack\":\"s\",\"catalogs\":[],\"tables\":[],\"checks\":[],\"views\":[]}}",
            VERSION + 1
        );
        let Err(error) = from_json(&newer) else {
            panic!("a newer format is read");
        };
        assert!(
            matches!(error, FormatError::Newer(v) if v == VERSION + 1),
            "{error}"
        );
        assert!(error.to_string().contains("from a newer floe"), "{error}");
        assert!(matches!(
            from_json("{\"stack\": 1}"),
            Err(FormatError::Invalid(_))
        ));
        assert!(matches!(from_json("[]"), Err(FormatError::Invalid(_))));
    }
}
