//! Properties over generated programs: a well-typed stack always compiles, every
//! object it compiles to reads back as its Kubernetes type and survives a YAML round
//! trip, and formatting it is idempotent and keeps its syntax tree.

use std::fmt::Write as _;

use proptest::prelude::*;

use floe::lower::Object;
use floe::program::{self, RealFs};

/// The parts of a generated service.
#[derive(Clone, Debug)]
struct Service {
    ports: Vec<u16>,
    replicas: u8,
    cpu: (u16, u16),
    memory_mi: (u16, u16),
    probe: u8,
    needs: Vec<usize>,
    volume: Option<(u16, bool)>,
    env_literal: String,
}

fn service() -> impl Strategy<Value = Service> {
    (
        prop::collection::vec(1u16..65535, 1..4),
        0u8..5,
        (1u16..2000, 0u16..2000),
        (1u16..4096, 0u16..4096),
        0u8..4,
        prop::collection::vec(0usize..16, 0..3),
        prop::option::of((1u16..100, any::<bool>())),
        "[ -~]{0,40}",
    )
        .prop_map(
            |(ports, replicas, cpu, memory, probe, needs, volume, env_literal)| Service {
                ports,
                replicas,
                cpu: (cpu.0, cpu.0 + cpu.1),
                memory_mi: (memory.0, memory.0 + memory.1),
                probe,
                needs,
                volume,
                env_literal,
            },
        )
}

/// A floe string literal holding `text`.
fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '$' => out.push_str("\\$"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Writes a stack: services that may need earlier ones, a secret each, a config, a
/// hook after the first service, and two profiles.
fn program(services: &[Service], with_hook: bool) -> String {
    let mut out = String::from(
        "stack generated {\n  namespace = \"gen\"\n}\n\nconfig settings {\n  mode = \"fast\"\n}\n",
    );
    for (i, s) in services.iter().enumerate() {
        let mut ports: Vec<u16> = s.ports.clone();
        ports.sort_unstable();
        ports.dedup();
        let port_list: Vec<String> = ports
            .iter()
            .enumerate()
            .map(|(j, p)| format!("p{j} = {p}"))
            .collect();
        let _ = write!(
            out,
            "\nsecret s{i}_auth {{\n  password = generate(24)\n}}\n\nservice s{i} {{\n"
        );
        let _ = writeln!(out, "  image = \"ghcr.io/example/app{i}:1.0.{i}\"");
        let _ = writeln!(out, "  ports = {{ {} }}", port_list.join(", "));
        let _ = writeln!(out, "  replicas = {}", s.replicas);
        let _ = writeln!(
            out,
            "  resources = {{ cpu = {}m..{}m, memory = {}Mi..{}Mi }}",
            s.cpu.0, s.cpu.1, s.memory_mi.0, s.memory_mi.1
        );
        let _ = writeln!(out, "  env = {{");
        let _ = writeln!(out, "    LITERAL = {}", quote(&s.env_literal));
        let _ = writeln!(out, "    PASSWORD = s{i}_auth.password");
        let _ = writeln!(out, "    MODE = settings.mode");
        if i > 0 {
            let _ = writeln!(out, "    PEER = s{}.url(p0)", i - 1);
        }
        let _ = writeln!(out, "  }}");
        let needs: Vec<String> = s
            .needs
            .iter()
            .filter(|&&n| n < i)
            .map(|n| format!("s{n}"))
            .collect();
        if !needs.is_empty() {
            let _ = writeln!(out, "  needs = [{}]", needs.join(", "));
        }
        match s.probe {
            0 => {}
            1 => {
                let _ = writeln!(out, "  ready = tcp(ports.p0)");
            }
            2 => {
                let _ = writeln!(
                    out,
                    "  ready = http(ports.p0, \"/ready\", after = 3s)\n  live = tcp(ports.p0)"
                );
            }
            _ => {
                let _ = writeln!(out, "  live = exec([\"true\"], every = 20s)");
            }
        }
        if let Some((size, persistent)) = s.volume {
            let storage = if persistent {
                "persistent"
            } else {
                "ephemeral"
            };
            let _ = writeln!(
                out,
                "  volumes = {{ data = {{ mount = \"/data\", size = {size}Gi, storage = {storage} }} }}"
            );
        }
        out.push_str("}\n");
    }
    if with_hook && !services.is_empty() {
        out.push_str("\nhook init {\n  image = \"python:3.12-slim\"\n  command = [\"python\", \"-c\", \"print(1)\"]\n  after = s0\n  timeout = 90s\n}\n");
    }
    out.push_str("\nprofile small {\n  stack.defaults = { storage = ephemeral }\n}\n\nprofile big {\n  stack.defaults.resources = { cpu = 1..2, memory = 1Gi..2Gi }\n}\n");
    out
}

/// Reads an object's JSON back into its own Kubernetes type.
fn reads_back(object: &Object) -> bool {
    let json = serde_json::to_value(object).expect("serializes");
    fn same<T: serde::de::DeserializeOwned + serde::Serialize>(json: &serde_json::Value) -> bool {
        serde_json::from_value::<T>(json.clone())
            .ok()
            .and_then(|typed| serde_json::to_value(typed).ok())
            .is_some_and(|again| &again == json)
    }
    use k8s_openapi::api::{apps::v1 as apps, batch::v1 as batch, core::v1 as core};
    match object {
        Object::Namespace(_) => same::<core::Namespace>(&json),
        Object::ServiceAccount(_) => same::<core::ServiceAccount>(&json),
        Object::ConfigMap(_) => same::<core::ConfigMap>(&json),
        Object::Secret(_) => same::<core::Secret>(&json),
        Object::Deployment(_) => same::<apps::Deployment>(&json),
        Object::StatefulSet(_) => same::<apps::StatefulSet>(&json),
        Object::Service(_) => same::<core::Service>(&json),
        Object::Job(_) => same::<batch::Job>(&json),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn generated_stacks_compile_and_read_back(
        services in prop::collection::vec(service(), 1..8),
        with_hook in any::<bool>(),
    ) {
        let text = program(&services, with_hook);
        let dir = tempfile::tempdir().expect("temp dir");
        let main = dir.path().join("main.floe");
        std::fs::write(&main, &text).expect("write");
        let program = program::load(&RealFs, &main).expect("readable");
        for profile in [None, Some("small"), Some("big")] {
            let compilation = floe::compile(&program, &RealFs, profile);
            let errors: Vec<_> = compilation.diagnostics.iter().filter(|d| d.is_error()).collect();
            prop_assert!(errors.is_empty(), "{errors:?}\n{text}");
            for object in &compilation.objects {
                prop_assert!(reads_back(object), "{} does not read back", object.name());
            }
            let yaml = floe::emit::to_yaml(&compilation.objects);
            let json = floe::emit::to_json(&compilation.objects);
            let list: serde_json::Value = serde_json::from_str(&json).expect("JSON");
            let documents: Vec<serde_json::Value> = serde_yaml_ng::Deserializer::from_str(&yaml)
                .map(|d| serde::Deserialize::deserialize(d).expect("YAML document"))
                .collect();
            prop_assert_eq!(Some(&documents), list["items"].as_array());
        }
    }

    #[test]
    fn formatting_generated_stacks_is_idempotent(
        services in prop::collection::vec(service(), 1..6),
    ) {
        let text = program(&services, true);
        let once = floe::fmt::format(&text).expect("formats");
        let twice = floe::fmt::format(&once).expect("formats again");
        prop_assert_eq!(&once, &twice);
        let tree = |t: &str| {
            let parsed = floe::syntax::parse(floe::source::FileId(0), t);
            let debug = format!("{:?}", parsed.file.items);
            let mut out = String::new();
            let mut rest = debug.as_str();
            while let Some(start) = rest.find("Span { ") {
                out.push_str(&rest[..start]);
                let after = &rest[start..];
                rest = &after[after.find(" }").map_or(after.len(), |e| e + 2)..];
            }
            out.push_str(rest);
            out
        };
        prop_assert_eq!(tree(&text), tree(&once));
    }
}
