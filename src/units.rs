//! Units of quantity literals and their conversions.
//!
//! `100m` and `0.5` are CPU, `256Mi` and `1G` are bytes, `500ms`, `5s` and `1h` are
//! durations. `m` alone is milli-CPU or minutes: the type the value is used as
//! decides. All conversions are exact and checked: a value that does not fit, or a
//! fraction of the smallest unit, is reported rather than rounded. Numbers are
//! exact [`Decimal`]s, as the parser reads them.

/// An exact decimal number: `mantissa / 10^scale`.
///
/// The mantissa is kept as two 64-bit halves: an `i128` field would align every
/// node that can hold a number to 16 bytes, padding each one and sending each
/// allocation of them down the allocator's slower aligned path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decimal {
    high: i64,
    low: u64,
    pub scale: u32,
}

impl Decimal {
    pub fn new(mantissa: i128, scale: u32) -> Self {
        Decimal {
            high: (mantissa >> 64) as i64,
            low: mantissa as u64,
            scale,
        }
    }

    pub fn mantissa(self) -> i128 {
        (i128::from(self.high) << 64) | i128::from(self.low)
    }

    pub fn to_f64(self) -> f64 {
        self.mantissa() as f64 / 10f64.powi(self.scale as i32)
    }
}

/// What a quantity measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dimension {
    Cpu,
    Bytes,
    Duration,
}

impl Dimension {
    pub fn name(self) -> &'static str {
        match self {
            Dimension::Cpu => "cpu",
            Dimension::Bytes => "bytes",
            Dimension::Duration => "duration",
        }
    }
}

const BYTE_UNITS: &[(&str, u128)] = &[
    ("k", 1_000),
    ("M", 1_000_000),
    ("G", 1_000_000_000),
    ("T", 1_000_000_000_000),
    ("P", 1_000_000_000_000_000),
    ("E", 1_000_000_000_000_000_000),
    ("Ki", 1 << 10),
    ("Mi", 1 << 20),
    ("Gi", 1 << 30),
    ("Ti", 1 << 40),
    ("Pi", 1 << 50),
    ("Ei", 1 << 60),
];

const DURATION_UNITS: &[(&str, u128)] = &[("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000)];

/// Every unit the language knows.
pub fn all() -> impl Iterator<Item = &'static str> {
    BYTE_UNITS.iter().chain(DURATION_UNITS).map(|(u, _)| *u)
}

pub fn is_known(unit: &str) -> bool {
    all().any(|u| u == unit)
}

/// The dimensions a unit can measure: `m` gives two.
pub fn dimensions(unit: &str) -> Vec<Dimension> {
    let mut dims = Vec::new();
    if unit == "m" {
        dims.push(Dimension::Cpu);
    }
    if BYTE_UNITS.iter().any(|(u, _)| *u == unit) {
        dims.push(Dimension::Bytes);
    }
    if DURATION_UNITS.iter().any(|(u, _)| *u == unit) {
        dims.push(Dimension::Duration);
    }
    dims
}

/// The unit another tool's spelling means (`sec`, `MiB`);
/// `diagnostic::messages::unknown_unit` suggests the nearest of [`all`] when there is
/// none.
pub fn alias(unit: &str) -> Option<&'static str> {
    match unit {
        "sec" | "secs" | "second" | "seconds" => Some("s"),
        "min" | "mins" | "minute" | "minutes" => Some("m"),
        "hr" | "hrs" | "hour" | "hours" => Some("h"),
        "msec" | "millis" => Some("ms"),
        "K" | "kB" | "KB" => Some("k"),
        "MB" => Some("M"),
        "GB" => Some("G"),
        "TB" => Some("T"),
        "KiB" | "kiB" | "ki" => Some("Ki"),
        "MiB" | "mi" => Some("Mi"),
        "GiB" | "gi" => Some("Gi"),
        "TiB" | "ti" => Some("Ti"),
        _ => None,
    }
}

/// A plain number as milli-CPU: `2` is 2000, `0.5` is 500.
pub fn cpu_millis(number: Decimal) -> Result<i64, Inexact> {
    scale(number, 1_000)
}

/// A quantity in the base unit of a dimension: milli-CPU, bytes or milliseconds.
/// `None` when the unit does not measure that dimension.
pub fn to_base(number: Decimal, unit: &str, dimension: Dimension) -> Option<Result<i64, Inexact>> {
    let table: &[(&str, u128)] = match dimension {
        Dimension::Cpu => &[("m", 1)],
        Dimension::Bytes => BYTE_UNITS,
        Dimension::Duration => DURATION_UNITS,
    };
    let (_, factor) = table.iter().find(|(u, _)| *u == unit)?;
    Some(scale(number, *factor))
}

/// Why a quantity has no exact value in its base unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inexact {
    /// Too large for the base unit's 64-bit range.
    Overflow,
    /// A fraction of the base unit, such as `0.5m` CPU or `1.5ms`.
    Fraction,
}

/// `number * factor`, when it is a whole number that fits in an i64.
fn scale(number: Decimal, factor: u128) -> Result<i64, Inexact> {
    let factor = i128::try_from(factor).map_err(|_| Inexact::Overflow)?;
    let product = number
        .mantissa()
        .checked_mul(factor)
        .ok_or(Inexact::Overflow)?;
    let divisor = 10i128.checked_pow(number.scale).ok_or(Inexact::Overflow)?;
    if product % divisor != 0 {
        return Err(Inexact::Fraction);
    }
    i64::try_from(product / divisor).map_err(|_| Inexact::Overflow)
}
