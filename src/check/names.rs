//! Kubernetes' rules for names, labels, ports, keys, images and paths, checked on
//! the source so that the error points at the item rather than at a rejected object.

use rustc_hash::FxHashMap as HashMap;

use super::Checker;
use super::schema::Kind;
use super::value::{InstId, Value};
use crate::diagnostic::messages::{self, NameOf};
use crate::model;
use crate::source::Span;

const MAX_NAME: usize = 63;
const MAX_PORT_NAME: usize = 15;

/// A DNS-1123 label: lowercase letters, digits and `-`, starting and ending with a
/// letter or digit.
pub fn is_dns_label(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// A valid name of an object: a DNS-1123 label of at most 63 characters.
fn is_object_name(name: &str) -> bool {
    is_dns_label(name) && name.len() <= MAX_NAME
}

/// A DNS-1123 subdomain: dot-separated labels, at most 253 characters.
fn is_dns_subdomain(name: &str) -> bool {
    name.len() <= 253 && name.split('.').all(is_dns_label)
}

/// The name part of a label key, or a label value: alphanumerics, `-`, `_` and `.`,
/// starting and ending alphanumeric, at most 63 characters.
fn is_label_name(name: &str) -> bool {
    name.len() <= MAX_NAME
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
}

fn is_label_key(key: &str) -> bool {
    match key.rsplit_once('/') {
        Some((prefix, name)) => is_dns_subdomain(prefix) && is_label_name(name),
        None => is_label_name(key),
    }
}

fn is_label_value(value: &str) -> bool {
    value.is_empty() || is_label_name(value)
}

/// An IANA service name, as Kubernetes requires of port names.
fn is_port_name(name: &str) -> bool {
    is_dns_label(name)
        && name.len() <= MAX_PORT_NAME
        && name.bytes().any(|b| b.is_ascii_lowercase())
        && !name.contains("--")
}

fn is_env_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// A ConfigMap or Secret key.
fn is_data_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 253
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

impl Checker<'_, '_> {
    /// Reports the names of one item that Kubernetes would refuse: its objects' (a
    /// table's seed Job's; a stack's namespace and labels), its ports', environment
    /// variables', mounts' and keys', and a malformed image reference.
    pub(super) fn check_inst_names(&mut self, id: InstId) {
        let Some(inst) = self.world.inst(id) else {
            return;
        };
        let (kind, span) = (inst.kind, inst.block.name.span);
        match kind {
            Kind::Service | Kind::Hook | Kind::Secret | Kind::Config => {
                self.check_object_name(&inst.k8s_name, span, NameOf::Item);
            }
            Kind::Table => {
                let job = crate::plan::DataPlan::seed_job(&inst.path);
                self.check_object_name(&job, span, NameOf::Item);
            }
            Kind::Stack => self.check_stack_names(id),
            _ => {}
        }
        match kind {
            Kind::Service => {
                self.check_ports(id);
                self.check_container(id);
                self.check_volumes(id);
            }
            Kind::Hook => self.check_container(id),
            Kind::Secret | Kind::Config => self.check_keys(id),
            _ => {}
        }
    }

    /// Reports two items whose valid names are the same Kubernetes name.
    pub(super) fn check_name_collisions(&mut self) {
        // Kubernetes name → the first item's span and source path.
        let mut taken: HashMap<&str, (Span, &str)> = HashMap::default();
        let world = self.world;
        for inst in &world.insts {
            let (name, span, path) = (inst.k8s_name.as_str(), inst.block.name.span, &inst.path);
            let named = matches!(
                inst.kind,
                Kind::Service | Kind::Hook | Kind::Secret | Kind::Config
            );
            if !named || !is_object_name(name) {
                continue;
            }
            match taken.get(name) {
                // The same source name twice is reported as a duplicate.
                Some((_, first_path)) if *first_path == path => {}
                Some((first, _)) => {
                    let first = *first;
                    self.push(messages::name_collision(span, name, first));
                }
                None => {
                    taken.insert(name, (span, path));
                }
            }
        }
    }

    /// Reports an invalid object name.
    fn check_object_name(&mut self, name: &str, span: Span, of: NameOf) {
        if !is_dns_label(name) {
            self.push(messages::invalid_name(span, name, of));
        } else if name.len() > MAX_NAME {
            self.push(messages::name_too_long(span, name, MAX_NAME));
        }
    }

    fn check_stack_names(&mut self, stack: InstId) {
        if let Some(v) = self.field(stack, "namespace")
            && let Value::Str(ns) = &v.value
        {
            self.check_object_name(ns, v.span, NameOf::Namespace);
        }
        let field = self.field(stack, "labels");
        if let Some(Value::Record(entries)) = field.as_deref().map(|v| &v.value) {
            for e in entries {
                if !is_label_key(&e.key) {
                    self.push(messages::invalid_label(e.key_span, &e.key, "key"));
                }
                if let Value::Str(value) = &e.value.value
                    && !is_label_value(value)
                {
                    self.push(messages::invalid_label(e.value.span, value, "value"));
                }
            }
        }
    }

    fn check_ports(&mut self, id: InstId) {
        let field = self.field(id, "ports");
        let Some(Value::Record(entries)) = field.as_deref().map(|v| &v.value) else {
            return;
        };
        let mut numbers: HashMap<i64, Span> = HashMap::default();
        for e in entries {
            let name = model::kube_name(&e.key);
            if !is_port_name(&name) {
                self.push(messages::invalid_port_name(
                    e.key_span,
                    &name,
                    MAX_PORT_NAME,
                ));
            }
            if let Value::Int(n) = e.value.value {
                if let Some(first) = numbers.get(&n) {
                    self.push(messages::duplicate_port(e.value.span, n, *first));
                } else {
                    numbers.insert(n, e.value.span);
                }
            }
        }
    }

    fn check_container(&mut self, id: InstId) {
        if let Some(v) = self.field(id, "image")
            && let Value::Str(image) = &v.value
        {
            self.check_image(image, v.span);
        }
        let field = self.field(id, "env");
        if let Some(Value::Record(entries)) = field.as_deref().map(|v| &v.value) {
            for e in entries {
                if !is_env_name(&e.key) {
                    self.push(messages::invalid_env_name(e.key_span, &e.key));
                }
            }
        }
        let mut mounts: HashMap<String, Span> = HashMap::default();
        let field = self.field(id, "files");
        if let Some(Value::Record(entries)) = field.as_deref().map(|v| &v.value) {
            for e in entries {
                self.check_mount(&e.key, e.key_span, &mut mounts);
            }
        }
        let field = self.field(id, "volumes");
        if let Some(Value::Record(volumes)) = field.as_deref().map(|v| &v.value) {
            for volume in volumes {
                if let Value::Record(spec) = &volume.value.value
                    && let Some(mount) = spec.iter().find(|e| e.key == "mount")
                    && let Value::Str(path) = &mount.value.value
                {
                    self.check_mount(path, mount.value.span, &mut mounts);
                }
            }
        }
    }

    fn check_mount(&mut self, path: &str, span: Span, mounts: &mut HashMap<String, Span>) {
        if !path.starts_with('/') || path.contains("/../") || path.ends_with("/..") {
            self.push(messages::invalid_mount(span, path));
        } else if let Some(first) = mounts.get(path) {
            self.push(messages::mounted_twice(span, path, *first));
        } else {
            mounts.insert(path.to_string(), span);
        }
    }

    fn check_image(&mut self, image: &str, span: Span) {
        let (repository, tag) = split_image(image);
        let valid = !repository.is_empty()
            && !image.contains(char::is_whitespace)
            && repository.bytes().all(|b| {
                b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || matches!(b, b'.' | b'_' | b'-' | b'/' | b':')
            });
        if !valid {
            self.push(messages::invalid_image(span, image));
        } else if matches!(tag, None | Some("latest")) && !image.contains('@') {
            self.push(messages::unpinned_image(span, image));
        }
    }

    fn check_volumes(&mut self, id: InstId) {
        let field = self.field(id, "volumes");
        let Some(Value::Record(entries)) = field.as_deref().map(|v| &v.value) else {
            return;
        };
        for e in entries {
            let name = model::kube_name(&e.key);
            if !is_object_name(&name) {
                self.push(messages::invalid_name(e.key_span, &name, NameOf::Volume));
            }
        }
    }

    fn check_keys(&mut self, id: InstId) {
        let spans: Vec<(String, Span)> = self
            .world
            .inst(id)
            .map(|i| {
                i.block
                    .fields()
                    .map(|f| (f.key.name.clone(), f.key.span))
                    .collect()
            })
            .unwrap_or_default();
        for (key, span) in spans {
            if !is_data_key(&key) {
                self.push(messages::invalid_key(span, &key));
            }
        }
    }
}

/// An image reference's repository (with registry) and tag.
fn split_image(image: &str) -> (&str, Option<&str>) {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last_slash = without_digest.rfind('/').map_or(0, |i| i + 1);
    match without_digest
        .get(last_slash..)
        .and_then(|last| last.rfind(':'))
    {
        Some(colon) => {
            let at = last_slash + colon;
            (
                without_digest.get(..at).unwrap_or(""),
                without_digest.get(at + 1..),
            )
        }
        None => (without_digest, None),
    }
}
