//! Building the model from checked values.
//!
//! Runs only on a program without errors, so every value has the type its field
//! asks for; the extractors below fall back to neutral values instead of failing.

use std::collections::BTreeMap;

use super::Checker;
use super::eval::text_of;
use super::schema::Kind;
use super::typeck::quantity;
use super::value::{Entry, InstId, ProbeKind, SecretPart, V, Value};
use crate::model::{self, Container, EnvValue, Origin, SeedWhen, WorkloadKind, WorkloadRef};
use crate::units::Dimension;

/// The runner image when the stack does not name one.
pub const DEFAULT_RUNNER: &str = concat!("ghcr.io/floe-dev/floe:", env!("CARGO_PKG_VERSION"));
const GIB: i64 = 1 << 30;

/// Defaults of the stack, with floe's own defaults underneath.
struct Defaults {
    resources: model::Resources,
    storage: model::Storage,
    probes: ProbeDefaults,
    user: i64,
}

struct ProbeDefaults {
    ready_after: i64,
    every: i64,
    failures: i64,
    timeout: i64,
    live_after: i64,
    live_every: i64,
}

impl Checker<'_, '_> {
    pub(super) fn build_model(&mut self, profile: Option<&str>) -> Option<model::Stack> {
        let stack = self.world.stack?;
        let inst = self.world.inst(stack)?;
        let (name, span) = (inst.block.name.name.clone(), inst.block.span);
        let namespace = self
            .field_str(stack, "namespace")
            .unwrap_or_else(|| model::kube_name(&name));
        let mut labels = BTreeMap::new();
        if let Some(Value::Record(entries)) = self.field_owned(stack, "labels").map(|v| v.value) {
            for e in entries {
                labels.insert(e.key, text_of(&e.value.value).unwrap_or_default());
            }
        }
        let defaults = self.defaults(stack);
        let mut model = model::Stack {
            name,
            namespace,
            profile: profile.map(str::to_string),
            labels,
            runner_image: self
                .field_str(stack, "runner")
                .unwrap_or_else(|| DEFAULT_RUNNER.to_string()),
            runner_resources: defaults.resources,
            services: Vec::new(),
            hooks: Vec::new(),
            secrets: Vec::new(),
            configs: Vec::new(),
            catalogs: Vec::new(),
            tables: self.tables_built.iter().map(|(_, t)| t.clone()).collect(),
            checks: Vec::new(),
            span,
        };
        for index in 0..self.world.insts.len() {
            let id = InstId(u32::try_from(index).unwrap_or(u32::MAX));
            match self.world.kind_of(id) {
                Some(Kind::Service) => model.services.push(self.build_service(id, &defaults)),
                Some(Kind::Hook) => model.hooks.push(self.build_hook(id, &defaults)),
                Some(Kind::Secret) => model.secrets.push(self.build_secret(id)),
                Some(Kind::Config) => model.configs.push(self.build_config(id)),
                Some(Kind::Catalog) => model.catalogs.push(self.build_catalog(id)),
                Some(Kind::Check) => model.checks.extend(self.build_check(id)),
                _ => {}
            }
        }
        Some(model)
    }

    /// A table's model: its columns, its seed data checked against them, its place
    /// in its catalog. Built while the table is checked, since its rows are read and
    /// checked once, and the checks' queries run against the built tables.
    pub(super) fn build_table(&mut self, id: InstId) -> model::Table {
        let columns = self.columns(id);
        let (namespace, table) = self.table_name(id);
        // Seed data is checked against the columns only when all of them are known:
        // a column in error is reported already, and its data would be reported again.
        let seed = if self.columns_in_error(id) {
            None
        } else {
            self.table_seed(id, &columns)
        };
        let catalog = match self.field(id, "catalog").as_deref().map(|v| &v.value) {
            Some(Value::Item(c)) => self.world.path(*c),
            _ => String::new(),
        };
        let when = match self.field(id, "when").as_deref().map(|v| &v.value) {
            Some(Value::Word(w)) if w == "always" => SeedWhen::Always,
            _ => SeedWhen::Empty,
        };
        model::Table {
            name: self.world.path(id),
            origin: self.origin(id),
            catalog,
            namespace,
            table,
            columns,
            seed,
            when,
        }
    }

    pub(super) fn origin(&self, id: InstId) -> Origin {
        match self.world.inst(id) {
            Some(inst) => Origin {
                path: inst.path.clone(),
                span: inst.block.name.span,
            },
            None => Origin {
                path: String::new(),
                span: Default::default(),
            },
        }
    }

    fn field_str(&mut self, id: InstId, name: &str) -> Option<String> {
        match &self.field(id, name)?.value {
            Value::Str(s) => Some(s.clone()),
            _ => None,
        }
    }

    fn field_int(&mut self, id: InstId, name: &str) -> Option<i64> {
        match self.field(id, name)?.value {
            Value::Int(n) => Some(n),
            _ => None,
        }
    }

    fn field_duration(&mut self, id: InstId, name: &str) -> Option<i64> {
        quantity(&self.field(id, name)?.value, Dimension::Duration).ok()
    }

    fn defaults(&mut self, stack: InstId) -> Defaults {
        let record = match self.field_owned(stack, "defaults").map(|v| v.value) {
            Some(Value::Record(entries)) => entries,
            _ => Vec::new(),
        };
        let get = |key: &str| record.iter().find(|e| e.key == key).map(|e| &e.value.value);
        let probes = match get("probes") {
            Some(Value::Record(p)) => p.clone(),
            _ => Vec::new(),
        };
        let duration = |key: &str, default: i64| {
            entry(&probes, key)
                .and_then(|v| quantity(v, Dimension::Duration).ok())
                .unwrap_or(default)
        };
        Defaults {
            resources: get("resources").map(resources).unwrap_or_default(),
            storage: get("storage").map_or(
                model::Storage {
                    persistent: true,
                    class: None,
                },
                storage,
            ),
            probes: ProbeDefaults {
                ready_after: duration("ready_after", 5_000),
                every: duration("every", 10_000),
                timeout: duration("timeout", 1_000),
                live_after: duration("live_after", 30_000),
                live_every: duration("live_every", 10_000),
                failures: match entry(&probes, "failures") {
                    Some(Value::Int(n)) => *n,
                    _ => 3,
                },
            },
            user: match get("user") {
                Some(Value::Int(n)) => *n,
                _ => 1000,
            },
        }
    }

    fn container(&mut self, id: InstId, defaults: &Defaults) -> Container {
        let own = self.field(id, "resources").map(|v| resources(&v.value));
        Container {
            image: self.field_str(id, "image").unwrap_or_default(),
            command: self
                .field(id, "command")
                .map(|v| texts(&v.value))
                .unwrap_or_default(),
            args: self
                .field(id, "args")
                .map(|v| texts(&v.value))
                .unwrap_or_default(),
            env: self.env(id),
            files: self.files(id),
            resources: model::Resources {
                cpu: own.and_then(|r| r.cpu).or(defaults.resources.cpu),
                memory: own.and_then(|r| r.memory).or(defaults.resources.memory),
            },
            user: self.field_int(id, "user").unwrap_or(defaults.user),
        }
    }

    fn build_service(&mut self, id: InstId, defaults: &Defaults) -> model::Service {
        let container = self.container(id, defaults);
        let field = self.field(id, "ports");
        let ports = match field.as_deref().map(|v| &v.value) {
            Some(Value::Record(entries)) => entries
                .iter()
                .filter_map(|e| match e.value.value {
                    Value::Int(n) => Some(model::Port {
                        name: model::kube_name(&e.key),
                        number: i32::try_from(n).unwrap_or_default(),
                    }),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        let ready = self.build_probe(id, "ready", defaults, false);
        let live = self.build_probe(id, "live", defaults, true);
        let needs = self.workload_refs(id, "needs");
        model::Service {
            name: self.world.k8s_name(id),
            origin: self.origin(id),
            container,
            ports,
            replicas: self
                .field_int(id, "replicas")
                .map_or(1, |n| i32::try_from(n).unwrap_or(1)),
            volumes: self.volumes(id, defaults),
            ready,
            live,
            needs,
        }
    }

    fn build_hook(&mut self, id: InstId, defaults: &Defaults) -> model::Hook {
        let on = match self.field(id, "on").as_deref().map(|v| &v.value) {
            Some(Value::List(items)) => {
                let mut events: Vec<model::HookEvent> = items
                    .iter()
                    .filter_map(|v| match &v.value {
                        Value::Word(w) if w == "install" => Some(model::HookEvent::Install),
                        Value::Word(w) if w == "upgrade" => Some(model::HookEvent::Upgrade),
                        _ => None,
                    })
                    .collect();
                events.sort();
                events.dedup();
                events
            }
            _ => vec![model::HookEvent::Install, model::HookEvent::Upgrade],
        };
        model::Hook {
            name: self.world.k8s_name(id),
            origin: self.origin(id),
            container: self.container(id, defaults),
            after: self.workload_refs(id, "after"),
            on,
            retries: self
                .field_int(id, "retries")
                .map_or(3, |n| i32::try_from(n).unwrap_or(3)),
            timeout_seconds: seconds_ceil(self.field_duration(id, "timeout").unwrap_or(600_000)),
            keep_seconds: i32::try_from(seconds_ceil(
                self.field_duration(id, "keep").unwrap_or(3_600_000),
            ))
            .unwrap_or(i32::MAX),
        }
    }

    fn env(&mut self, id: InstId) -> Vec<model::EnvVar> {
        let field = self.field(id, "env");
        let Some(Value::Record(entries)) = field.as_deref().map(|v| &v.value) else {
            return Vec::new();
        };
        entries
            .iter()
            .map(|e| model::EnvVar {
                name: e.key.clone(),
                value: match &e.value.value {
                    Value::Secret { item, key } => EnvValue::Secret {
                        secret: self.world.k8s_name(*item),
                        key: key.clone(),
                    },
                    Value::ConfigKey { item, key } => EnvValue::Config {
                        config: self.world.k8s_name(*item),
                        key: key.clone(),
                    },
                    other => EnvValue::Literal(text_of(other).unwrap_or_default()),
                },
            })
            .collect()
    }

    fn files(&mut self, id: InstId) -> Vec<model::FileMount> {
        let Some(Value::Record(entries)) = self.field_owned(id, "files").map(|v| v.value) else {
            return Vec::new();
        };
        entries
            .into_iter()
            .filter_map(|e| {
                let source = match e.value.value {
                    Value::Secret { item, key } => model::FileSource::Secret {
                        secret: self.world.k8s_name(item),
                        key,
                    },
                    Value::ConfigKey { item, key } => model::FileSource::Config {
                        config: self.world.k8s_name(item),
                        key,
                    },
                    _ => return None,
                };
                Some(model::FileMount {
                    path: e.key,
                    source,
                })
            })
            .collect()
    }

    fn volumes(&mut self, id: InstId, defaults: &Defaults) -> Vec<model::Volume> {
        let Some(Value::Record(entries)) = self.field_owned(id, "volumes").map(|v| v.value) else {
            return Vec::new();
        };
        entries
            .into_iter()
            .map(|e| {
                let spec = match e.value.value {
                    Value::Record(spec) => spec,
                    _ => Vec::new(),
                };
                let size = entry(&spec, "size").and_then(|v| quantity(v, Dimension::Bytes).ok());
                let chosen = entry(&spec, "storage");
                let storage_size = match chosen {
                    Some(Value::Storage(s)) => s
                        .size
                        .as_ref()
                        .and_then(|v| quantity(&v.value, Dimension::Bytes).ok()),
                    _ => None,
                };
                model::Volume {
                    name: model::kube_name(&e.key),
                    mount: match entry(&spec, "mount") {
                        Some(Value::Str(s)) => s.clone(),
                        _ => String::new(),
                    },
                    size_bytes: size.or(storage_size).unwrap_or(GIB),
                    storage: chosen.map_or_else(|| defaults.storage.clone(), storage),
                }
            })
            .collect()
    }

    fn build_probe(
        &mut self,
        id: InstId,
        field: &str,
        defaults: &Defaults,
        live: bool,
    ) -> Option<model::Probe> {
        let Value::Probe(probe) = self.field_owned(id, field)?.value else {
            return None;
        };
        let d = &defaults.probes;
        let timing = |key: &str, default: i64| {
            entry(&probe.timing, key)
                .and_then(|v| quantity(v, Dimension::Duration).ok())
                .unwrap_or(default)
        };
        let (after, every) = if live {
            (timing("after", d.live_after), timing("every", d.live_every))
        } else {
            (timing("after", d.ready_after), timing("every", d.every))
        };
        let failures = match entry(&probe.timing, "failures") {
            Some(Value::Int(n)) => *n,
            _ => d.failures,
        };
        let action = match &probe.kind {
            ProbeKind::Tcp { port } => model::ProbeAction::Tcp {
                port: port_ref(port),
            },
            ProbeKind::Http { port, path } => model::ProbeAction::Http {
                port: port_ref(port),
                path: path.clone(),
            },
            ProbeKind::Exec { command } => model::ProbeAction::Exec {
                command: command.iter().filter_map(|v| text_of(&v.value)).collect(),
            },
        };
        Some(model::Probe {
            action,
            initial_delay_seconds: seconds_i32(after),
            period_seconds: seconds_i32(every).max(1),
            timeout_seconds: seconds_i32(timing("timeout", d.timeout)).max(1),
            failure_threshold: i32::try_from(failures).unwrap_or(3),
        })
    }

    /// The workloads a `needs` or `after` field names; an instance stands for all of
    /// its services and hooks.
    fn workload_refs(&mut self, id: InstId, field: &str) -> Vec<WorkloadRef> {
        let items: Vec<V> = match self.field_owned(id, field).map(|v| v.value) {
            Some(Value::List(items)) => items,
            Some(other) => vec![V::new(other, Default::default())],
            None => Vec::new(),
        };
        let mut refs = Vec::new();
        for item in items {
            if let Value::Item(target) = item.value {
                for workload in self.workloads_of(target) {
                    if let Some(kind) = match self.world.kind_of(workload) {
                        Some(Kind::Service) => Some(WorkloadKind::Service),
                        Some(Kind::Hook) => Some(WorkloadKind::Hook),
                        _ => None,
                    } {
                        refs.push(WorkloadRef {
                            kind,
                            name: self.world.k8s_name(workload),
                        });
                    }
                }
            }
        }
        refs.sort();
        refs.dedup();
        refs
    }

    /// The services and hooks an item stands for: itself, or an instance's members.
    pub(super) fn workloads_of(&self, id: InstId) -> Vec<InstId> {
        match self.world.kind_of(id) {
            Some(Kind::Service | Kind::Hook) => vec![id],
            Some(Kind::Instance) => self
                .world
                .inst(id)
                .map(|i| i.members.iter().map(|(_, m)| *m).collect::<Vec<_>>())
                .unwrap_or_default()
                .into_iter()
                .flat_map(|m| self.workloads_of(m))
                .collect(),
            _ => Vec::new(),
        }
    }

    fn build_secret(&mut self, id: InstId) -> model::Secret {
        let mut keys = Vec::new();
        for key in self.world.keys_of(id) {
            let Some(v) = self.field_owned(id, &key) else {
                continue;
            };
            let source = match v.value {
                Value::Str(s) => model::SecretSource::Literal(s),
                Value::Generate { length } => model::SecretSource::Generate { length },
                Value::EnvVar(var) => model::SecretSource::Env { var },
                Value::Secret { item, key } => {
                    model::SecretSource::Template(vec![model::TemplatePart::Secret {
                        secret: self.world.k8s_name(item),
                        key,
                    }])
                }
                Value::SecretText(parts) => model::SecretSource::Template(
                    parts
                        .into_iter()
                        .map(|p| match p {
                            SecretPart::Text(t) => model::TemplatePart::Text(t),
                            SecretPart::Secret { item, key, .. } => model::TemplatePart::Secret {
                                secret: self.world.k8s_name(item),
                                key,
                            },
                        })
                        .collect(),
                ),
                _ => continue,
            };
            keys.push(model::SecretKey {
                key,
                source,
                span: v.span,
            });
        }
        model::Secret {
            name: self.world.k8s_name(id),
            origin: self.origin(id),
            keys,
        }
    }

    fn build_config(&mut self, id: InstId) -> model::Config {
        let mut data = BTreeMap::new();
        for key in self.world.keys_of(id) {
            if let Some(v) = self.field(id, &key) {
                data.insert(key, text_of(&v.value).unwrap_or_default());
            }
        }
        model::Config {
            name: self.world.k8s_name(id),
            origin: self.origin(id),
            data,
        }
    }
}

impl Checker<'_, '_> {
    fn build_catalog(&mut self, id: InstId) -> model::Catalog {
        let record =
            |checker: &mut Self, field: &str| match checker.field_owned(id, field).map(|v| v.value)
            {
                Some(Value::Record(entries)) => Some(entries),
                _ => None,
            };
        let oauth = record(self, "oauth").map(|o| model::OAuth {
            client_id: self
                .credential(entry(&o, "client_id"))
                .unwrap_or(model::Credential::Plain(String::new())),
            client_secret: self
                .credential(entry(&o, "client_secret"))
                .unwrap_or(model::Credential::Plain(String::new())),
            scope: entry_text(&o, "scope").unwrap_or_else(|| "PRINCIPAL_ROLE:ALL".to_string()),
            server_uri: entry_text(&o, "server_uri"),
        });
        let s3 = record(self, "s3").map(|s| model::S3 {
            endpoint: entry_text(&s, "endpoint"),
            region: entry_text(&s, "region").unwrap_or_else(|| "us-east-1".to_string()),
            path_style: !matches!(entry(&s, "path_style"), Some(Value::Bool(false))),
            access_key: self.credential(entry(&s, "access_key")),
            secret_key: self.credential(entry(&s, "secret_key")),
        });
        model::Catalog {
            name: self.world.path(id),
            origin: self.origin(id),
            uri: self.field_str(id, "uri"),
            warehouse: self.field_str(id, "warehouse").unwrap_or_default(),
            oauth,
            s3,
            after: self.workload_refs(id, "after"),
        }
    }

    fn credential(&self, value: Option<&Value>) -> Option<model::Credential> {
        match value? {
            Value::Secret { item, key } => Some(model::Credential::Secret {
                secret: self.world.k8s_name(*item),
                key: key.clone(),
            }),
            other => text_of(other).map(model::Credential::Plain),
        }
    }

    fn build_check(&mut self, id: InstId) -> Option<model::Check> {
        let (expect, _) = self.expectation(id)?;
        Some(model::Check {
            name: self.world.path(id),
            origin: self.origin(id),
            sql: self.field_str(id, "sql").unwrap_or_default(),
            expect,
            description: self.field_str(id, "description"),
        })
    }
}

fn entry_text(entries: &[Entry], key: &str) -> Option<String> {
    entry(entries, key).and_then(text_of)
}

fn entry<'v>(entries: &'v [Entry], key: &str) -> Option<&'v Value> {
    entries
        .iter()
        .find(|e| e.key == key)
        .map(|e| &e.value.value)
}

fn texts(value: &Value) -> Vec<String> {
    match value {
        Value::List(items) => items.iter().filter_map(|v| text_of(&v.value)).collect(),
        _ => Vec::new(),
    }
}

fn resources(value: &Value) -> model::Resources {
    let Value::Record(entries) = value else {
        return model::Resources::default();
    };
    model::Resources {
        cpu: entry(entries, "cpu").and_then(|v| range(v, Dimension::Cpu)),
        memory: entry(entries, "memory").and_then(|v| range(v, Dimension::Bytes)),
    }
}

/// `lo..hi` as request and limit; one value is both.
fn range(value: &Value, dimension: Dimension) -> Option<model::Range> {
    match value {
        Value::Range(lo, hi) => Some(model::Range {
            request: quantity(&lo.value, dimension).ok()?,
            limit: quantity(&hi.value, dimension).ok()?,
        }),
        other => {
            let n = quantity(other, dimension).ok()?;
            Some(model::Range {
                request: n,
                limit: n,
            })
        }
    }
}

fn storage(value: &Value) -> model::Storage {
    match value {
        Value::Storage(s) => model::Storage {
            persistent: s.persistent,
            class: s.class.clone(),
        },
        Value::Word(w) => model::Storage {
            persistent: w == "persistent",
            class: None,
        },
        _ => model::Storage {
            persistent: true,
            class: None,
        },
    }
}

fn port_ref(port: &V) -> model::PortRef {
    match &port.value {
        Value::Port { name, .. } => model::PortRef::Name(model::kube_name(name)),
        Value::Int(n) => model::PortRef::Number(i32::try_from(*n).unwrap_or_default()),
        _ => model::PortRef::Number(0),
    }
}

/// Milliseconds as whole seconds, rounded up: a probe is never made more eager than
/// written.
fn seconds_ceil(millis: i64) -> i64 {
    millis.saturating_add(999) / 1000
}

fn seconds_i32(millis: i64) -> i32 {
    i32::try_from(seconds_ceil(millis)).unwrap_or(i32::MAX)
}
