//! Seed values as the cells of typed columns: parsing and range checks for every
//! column type, from floe values and from CSV text.

use crate::model::{Cell, ColumnType};
use crate::units::Decimal;

/// Why a value does not fit a column, in words for a diagnostic label.
pub type Misfit = String;

/// A number with a point, or an integer, at a decimal column's scale.
pub fn decimal_cell(number: Decimal, precision: u8, scale: u8) -> Result<Cell, Misfit> {
    if number.scale > u32::from(scale) {
        return Err(format!("more than {scale} digits after the point"));
    }
    let factor = 10i128.pow(u32::from(scale) - number.scale);
    let mantissa = number
        .mantissa()
        .checked_mul(factor)
        .ok_or_else(|| "too large".to_string())?;
    let limit = 10i128.pow(u32::from(precision));
    if mantissa.abs() >= limit {
        return Err(format!("more than {precision} digits"));
    }
    Ok(Cell::Decimal(mantissa))
}

/// An integer in a column of integers, floats or decimals.
pub fn int_cell(n: i64, ty: ColumnType) -> Result<Cell, Misfit> {
    match ty {
        ColumnType::Int if i32::try_from(n).is_err() => {
            Err("out of range for an int (32 bits): use `long`".to_string())
        }
        ColumnType::Int | ColumnType::Long => Ok(Cell::Int(n)),
        ColumnType::Float | ColumnType::Double => Ok(Cell::Float(n as f64)),
        ColumnType::Decimal { precision, scale } => {
            decimal_cell(Decimal::new(i128::from(n), 0), precision, scale)
        }
        _ => Err("a number".to_string()),
    }
}

/// Text in a column: the text itself for strings, parsed for other types.
pub fn text_cell(text: &str, ty: ColumnType) -> Result<Cell, Misfit> {
    match ty {
        ColumnType::String => Ok(Cell::String(text.to_string())),
        ColumnType::Binary => Ok(Cell::Binary(text.as_bytes().to_vec())),
        ColumnType::Date => parse_date(text).map(Cell::Date),
        ColumnType::Timestamp => parse_timestamp(text, false).map(Cell::Timestamp),
        ColumnType::Timestamptz => parse_timestamp(text, true).map(Cell::Timestamp),
        ColumnType::Uuid => parse_uuid(text).map(Cell::Uuid),
        ColumnType::Boolean => match text {
            "true" => Ok(Cell::Bool(true)),
            "false" => Ok(Cell::Bool(false)),
            _ => Err("not `true` or `false`".to_string()),
        },
        ColumnType::Int | ColumnType::Long => match text.parse::<i64>() {
            Ok(n) => int_cell(n, ty),
            Err(_) => Err("not an integer".to_string()),
        },
        ColumnType::Float | ColumnType::Double => match text.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Cell::Float(f)),
            _ => Err("not a number".to_string()),
        },
        ColumnType::Decimal { precision, scale } => match crate::syntax::parse_decimal_text(text) {
            Some(d) => decimal_cell(d, precision, scale),
            None => Err("not a decimal number".to_string()),
        },
    }
}

/// `YYYY-MM-DD` as days since 1970-01-01.
pub fn parse_date(text: &str) -> Result<i32, Misfit> {
    let bad = || format!("`{text}` is not a date (YYYY-MM-DD)");
    let mut parts = text.splitn(3, '-');
    let (Some(y), Some(m), Some(d)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return Err(bad());
    }
    let (y, m, d) = match (y.parse::<i64>(), m.parse::<u32>(), d.parse::<u32>()) {
        (Ok(y), Ok(m), Ok(d)) => (y, m, d),
        _ => return Err(bad()),
    };
    // Four digits hold 0000 too; dates are the years 1 to 9999.
    if y == 0 || !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return Err(bad());
    }
    i32::try_from(days_from_civil(y, m, d)).map_err(|_| bad())
}

/// `YYYY-MM-DD[T ]HH:MM[:SS[.ffffff]]` with, for `timestamptz`, an optional `Z` or
/// `±HH:MM`: microseconds since the epoch (UTC for `timestamptz`).
pub fn parse_timestamp(text: &str, with_zone: bool) -> Result<i64, Misfit> {
    let bad = || format!("`{text}` is not a timestamp (YYYY-MM-DD HH:MM:SS)");
    if text.len() < 16 {
        return Err(bad());
    }
    let (date, rest) = text.split_at(10);
    let days = i64::from(parse_date(date).map_err(|_| bad())?);
    let rest = rest.strip_prefix(['T', ' ']).ok_or_else(bad)?;
    let (time, offset_minutes) = split_zone(rest, with_zone).ok_or_else(bad)?;
    let micros_of_day = parse_time(time).ok_or_else(bad)?;
    Ok(days * 86_400_000_000 + micros_of_day - offset_minutes * 60_000_000)
}

fn split_zone(text: &str, with_zone: bool) -> Option<(&str, i64)> {
    if let Some(time) = text.strip_suffix('Z') {
        return with_zone.then_some((time, 0));
    }
    let sign_at = text.rfind(['+', '-']).filter(|&i| i >= 5);
    match sign_at {
        Some(i) if with_zone => {
            let (time, zone) = text.split_at(i);
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            let (h, m) = zone.get(1..)?.split_once(':')?;
            let minutes = h.parse::<i64>().ok()? * 60 + m.parse::<i64>().ok()?;
            Some((time, sign * minutes))
        }
        Some(_) => None,
        None => Some((text, 0)),
    }
}

fn parse_time(text: &str) -> Option<i64> {
    let (hms, fraction) = text.split_once('.').unwrap_or((text, ""));
    let mut parts = hms.split(':');
    let h: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let s: i64 = parts.next().map_or(Some(0), |s| s.parse().ok())?;
    if parts.next().is_some() || h > 23 || m > 59 || s > 59 || fraction.len() > 6 {
        return None;
    }
    let micros = if fraction.is_empty() {
        0
    } else {
        let digits: i64 = fraction.parse().ok()?;
        digits * 10i64.pow(6 - u32::try_from(fraction.len()).ok()?)
    };
    Some(((h * 60 + m) * 60 + s) * 1_000_000 + micros)
}

fn parse_uuid(text: &str) -> Result<u128, Misfit> {
    let bad = || format!("`{text}` is not a UUID");
    let groups: Vec<&str> = text.split('-').collect();
    let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    if lengths != [8, 4, 4, 4, 12] {
        return Err(bad());
    }
    u128::from_str_radix(&groups.concat(), 16).map_err(|_| bad())
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_timestamps_are_exact() {
        assert_eq!(parse_date("1970-01-01"), Ok(0));
        assert_eq!(parse_date("2024-02-29"), Ok(19_782));
        assert!(parse_date("2023-02-29").is_err());
        assert!(parse_date("2024-13-01").is_err());
        assert!(parse_date("0000-01-01").is_err());
        assert!(parse_date("10000-01-01").is_err());
        assert_eq!(parse_date("9999-12-31"), Ok(2_932_896));
        assert_eq!(parse_date("0001-01-01"), Ok(-719_162));
        assert_eq!(parse_timestamp("1970-01-01 00:00:01", false), Ok(1_000_000));
        assert_eq!(parse_timestamp("1970-01-01T00:00:00.5", false), Ok(500_000));
        assert_eq!(parse_timestamp("1970-01-01T01:00:00+01:00", true), Ok(0));
        assert_eq!(parse_timestamp("1970-01-01T00:00:00Z", true), Ok(0));
        assert!(parse_timestamp("1970-01-01T00:00:00Z", false).is_err());
        assert!(parse_timestamp("1970-01-01 25:00:00", false).is_err());
    }

    #[test]
    fn numbers_fit_their_columns() {
        assert_eq!(
            text_cell(
                "12.50",
                ColumnType::Decimal {
                    precision: 10,
                    scale: 2
                }
            ),
            Ok(Cell::Decimal(1250))
        );
        assert!(
            text_cell(
                "1.234",
                ColumnType::Decimal {
                    precision: 10,
                    scale: 2
                }
            )
            .is_err()
        );
        assert!(
            text_cell(
                "123456",
                ColumnType::Decimal {
                    precision: 5,
                    scale: 2
                }
            )
            .is_err()
        );
        assert!(int_cell(3_000_000_000, ColumnType::Int).is_err());
        assert_eq!(
            int_cell(3_000_000_000, ColumnType::Long),
            Ok(Cell::Int(3_000_000_000))
        );
        assert!(text_cell("x", ColumnType::Long).is_err());
        assert_eq!(
            text_cell("123e4567-e89b-12d3-a456-426614174000", ColumnType::Uuid),
            Ok(Cell::Uuid(0x123e4567_e89b_12d3_a456_426614174000))
        );
    }
}
