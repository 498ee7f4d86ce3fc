//! Kubernetes quantities from base units, written the way people write them.

use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

/// Millicores: `2` for 2000, `500m` for 500.
pub fn cpu(millis: i64) -> Quantity {
    if millis % 1000 == 0 {
        Quantity((millis / 1000).to_string())
    } else {
        Quantity(format!("{millis}m"))
    }
}

/// Bytes with the largest suffix that divides them exactly: `256Mi`, `1G`, `100`.
pub fn bytes(n: i64) -> Quantity {
    const BINARY: &[(&str, i64)] = &[
        ("Ei", 1 << 60),
        ("Pi", 1 << 50),
        ("Ti", 1 << 40),
        ("Gi", 1 << 30),
        ("Mi", 1 << 20),
        ("Ki", 1 << 10),
    ];
    const DECIMAL: &[(&str, i64)] = &[
        ("E", 1_000_000_000_000_000_000),
        ("P", 1_000_000_000_000_000),
        ("T", 1_000_000_000_000),
        ("G", 1_000_000_000),
        ("M", 1_000_000),
        ("k", 1_000),
    ];
    if n == 0 {
        return Quantity("0".to_string());
    }
    let binary = BINARY.iter().find(|(_, f)| n % f == 0);
    let decimal = DECIMAL.iter().find(|(_, f)| n % f == 0);
    let best = match (binary, decimal) {
        (Some(b), Some(d)) if d.1 > b.1 => Some(d),
        (Some(b), _) => Some(b),
        (None, d) => d,
    };
    match best {
        Some((suffix, factor)) => Quantity(format!("{}{suffix}", n / factor)),
        None => Quantity(n.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_read_as_written() {
        assert_eq!(cpu(500).0, "500m");
        assert_eq!(cpu(2000).0, "2");
        assert_eq!(bytes(256 << 20).0, "256Mi");
        assert_eq!(bytes(512_000_000).0, "512M");
        assert_eq!(bytes(1 << 30).0, "1Gi");
        assert_eq!(bytes(1_000).0, "1k");
        assert_eq!(bytes(1_024_000).0, "1000Ki");
        assert_eq!(bytes(7).0, "7");
    }
}
