//! The standard library: components for the reference stack, embedded in the binary
//! and imported as `std/NAME`.

/// Every standard module, by name.
pub const NAMES: &[&str] = &["cube", "dagster", "jaeger", "minio", "polaris", "postgres"];

/// The source of a standard module.
pub fn source(name: &str) -> Option<&'static str> {
    Some(match name {
        "cube" => include_str!("../stdlib/cube.floe"),
        "dagster" => include_str!("../stdlib/dagster.floe"),
        "jaeger" => include_str!("../stdlib/jaeger.floe"),
        "minio" => include_str!("../stdlib/minio.floe"),
        "polaris" => include_str!("../stdlib/polaris.floe"),
        "postgres" => include_str!("../stdlib/postgres.floe"),
        _ => return None,
    })
}
