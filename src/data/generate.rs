//! Seed values: the rows of `Seed::Rows`, and the rows of `Seed::Generate` computed
//! deterministically.
//!
//! Every random choice is a pure function of the table's name, the column's name
//! (and the position of a generator inside generated text) and the row number:
//! splitmix64 over an FNV-1a hash of the names. The same plan gives the same rows on
//! every run, in any batch size and on any machine, so a table that picks keys from
//! another (`customer_id = customers.id`) computes that table's values again instead
//! of reading them back.
//!
//! Columns that pick from the same table pick the same row of it: with
//! `product_id = products.id` and `unit_price = products.price`, each generated row
//! gets a product and that product's price.

use std::collections::HashMap;
use std::sync::Arc;

use super::{DataError, Result};
use crate::model::{Cell, Generator, Seed, Table, TextPart};
use crate::plan::DataPlan;

/// How deep tables may pick keys from tables that pick keys themselves.
const MAX_REF_DEPTH: usize = 16;

/// A generator ready to produce row values.
#[derive(Clone, Debug)]
pub enum Compiled {
    Constant(Cell),
    Sequence { start: Cell, step: i64 },
    Pick { values: Vec<Cell>, seed: u64 },
    Between { lo: Cell, hi: Cell, seed: u64 },
    Ref { values: Arc<Vec<Cell>>, seed: u64 },
    Text(Vec<Part>),
}

#[derive(Clone, Debug)]
pub enum Part {
    Text(String),
    Gen(Compiled),
}

impl Compiled {
    /// The value of row `row` (0-based).
    pub fn value(&self, row: u64) -> Cell {
        match self {
            Compiled::Constant(c) => c.clone(),
            Compiled::Sequence { start, step } => sequence(start, *step, row),
            Compiled::Pick { values, seed } => pick(values, *seed, row),
            Compiled::Ref { values, seed } => pick(values, *seed, row),
            Compiled::Between { lo, hi, seed } => between(lo, hi, random(*seed, row)),
            Compiled::Text(parts) => {
                let mut out = String::new();
                for part in parts {
                    match part {
                        Part::Text(t) => out.push_str(t),
                        Part::Gen(g) => push_text(&mut out, &g.value(row)),
                    }
                }
                Cell::String(out)
            }
        }
    }
}

/// Computes the values of other tables' columns, once each.
pub struct Resolver<'p> {
    plan: &'p DataPlan,
    cache: HashMap<(String, String), Arc<Vec<Cell>>>,
}

impl<'p> Resolver<'p> {
    pub fn new(plan: &'p DataPlan) -> Resolver<'p> {
        Resolver {
            plan,
            cache: HashMap::new(),
        }
    }

    /// The generators of a generated table's columns, in column order.
    pub fn compile_table(&mut self, table: &Table, gens: &[Generator]) -> Result<Vec<Compiled>> {
        self.compile_columns(table, gens, 0)
    }

    fn compile_columns(
        &mut self,
        table: &Table,
        gens: &[Generator],
        depth: usize,
    ) -> Result<Vec<Compiled>> {
        table
            .columns
            .iter()
            .zip(gens)
            .map(|(column, g)| {
                let seed = seed_of(&table.name, &column.name, "");
                self.compile(g, &table.name, seed, depth)
            })
            .collect()
    }

    /// A generator of a column of table `owner`.
    fn compile(&mut self, g: &Generator, owner: &str, seed: u64, depth: usize) -> Result<Compiled> {
        Ok(match g {
            Generator::Constant(c) => Compiled::Constant(c.clone()),
            Generator::Sequence { start, step } => Compiled::Sequence {
                start: start.clone(),
                step: *step,
            },
            Generator::Pick(values) => Compiled::Pick {
                values: values.clone(),
                seed,
            },
            Generator::Between { lo, hi } => Compiled::Between {
                lo: lo.clone(),
                hi: hi.clone(),
                seed,
            },
            Generator::Ref { table, column } => Compiled::Ref {
                values: self.column_values(table, column, depth + 1)?,
                // One seed per referenced table: the same row for every column.
                seed: seed_of(owner, "", table),
            },
            Generator::Text(parts) => {
                let mut out = Vec::new();
                for (i, part) in parts.iter().enumerate() {
                    out.push(match part {
                        TextPart::Text(t) => Part::Text(t.clone()),
                        TextPart::Generator(g) => {
                            let seed = mix(seed ^ (i as u64 + 1).wrapping_mul(GOLDEN));
                            Part::Gen(self.compile(g, owner, seed, depth)?)
                        }
                    });
                }
                Compiled::Text(out)
            }
        })
    }

    /// The values of a column of a seeded table, one per row: its rows, or all its
    /// generated rows.
    pub fn column_values(
        &mut self,
        table: &str,
        column: &str,
        depth: usize,
    ) -> Result<Arc<Vec<Cell>>> {
        let key = (table.to_string(), column.to_string());
        if let Some(values) = self.cache.get(&key) {
            return Ok(values.clone());
        }
        if depth > MAX_REF_DEPTH {
            return Err(DataError::new(format!(
                "tables pick keys from each other in a cycle through `{table}`"
            )));
        }
        let plan = self.plan;
        let t = plan
            .tables
            .iter()
            .find(|t| t.name == table)
            .ok_or_else(|| DataError::new(format!("no table `{table}` in the plan")))?;
        let index = t
            .columns
            .iter()
            .position(|c| c.name == column)
            .ok_or_else(|| DataError::new(format!("table `{table}` has no column `{column}`")))?;
        let values: Vec<Cell> = match &t.seed {
            Some(Seed::Rows(rows)) => rows.iter().filter_map(|r| r.get(index).cloned()).collect(),
            Some(Seed::Generate { count, columns }) => {
                let g = columns.get(index).ok_or_else(|| {
                    DataError::new(format!("table `{table}` has no generator for `{column}`"))
                })?;
                let seed = seed_of(&t.name, column, "");
                let compiled = self.compile(g, &t.name, seed, depth)?;
                (0..*count).map(|row| compiled.value(row)).collect()
            }
            None => Vec::new(),
        };
        if values.is_empty() {
            return Err(DataError::new(format!(
                "table `{table}` has no rows to pick `{column}` from"
            )));
        }
        let values = Arc::new(values);
        self.cache.insert(key, values.clone());
        Ok(values)
    }
}

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// The seed of a column's generator: FNV-1a over the names.
pub fn seed_of(table: &str, column: &str, part: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in [table, column, part].join("\u{1f}").bytes() {
        h ^= u64::from(byte);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// splitmix64's output function.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The random number of a row: the row-th output of splitmix64 seeded with `seed`.
pub fn random(seed: u64, row: u64) -> u64 {
    mix(seed.wrapping_add(row.wrapping_add(1).wrapping_mul(GOLDEN)))
}

/// A number in `0..n` (n ≥ 1) from a random number: multiply and shift.
fn below(r: u64, n: u64) -> u64 {
    ((u128::from(r) * u128::from(n)) >> 64) as u64
}

fn pick(values: &[Cell], seed: u64, row: u64) -> Cell {
    let n = values.len() as u64;
    if n == 0 {
        return Cell::Null;
    }
    let i = below(random(seed, row), n);
    values.get(i as usize).cloned().unwrap_or(Cell::Null)
}

fn sequence(start: &Cell, step: i64, row: u64) -> Cell {
    let offset = i64::try_from(row).unwrap_or(i64::MAX).wrapping_mul(step);
    match start {
        Cell::Int(n) => Cell::Int(n.wrapping_add(offset)),
        Cell::Date(d) => Cell::Date(d.wrapping_add(offset as i32)),
        // Timestamps count in seconds.
        Cell::Timestamp(t) => Cell::Timestamp(t.wrapping_add(offset.wrapping_mul(1_000_000))),
        other => other.clone(),
    }
}

/// A value in `lo..=hi`.
fn between(lo: &Cell, hi: &Cell, r: u64) -> Cell {
    match (lo, hi) {
        (Cell::Int(a), Cell::Int(b)) => {
            Cell::Int(in_range(i128::from(*a), i128::from(*b), r) as i64)
        }
        (Cell::Decimal(a), Cell::Decimal(b)) => Cell::Decimal(in_range(*a, *b, r)),
        (Cell::Date(a), Cell::Date(b)) => {
            Cell::Date(in_range(i128::from(*a), i128::from(*b), r) as i32)
        }
        (Cell::Timestamp(a), Cell::Timestamp(b)) => {
            Cell::Timestamp(in_range(i128::from(*a), i128::from(*b), r) as i64)
        }
        (Cell::Float(a), Cell::Float(b)) => {
            let unit = (r >> 11) as f64 / (1u64 << 53) as f64;
            Cell::Float(a + unit * (b - a))
        }
        _ => lo.clone(),
    }
}

/// An integer in `lo..=hi` (lo ≤ hi).
fn in_range(lo: i128, hi: i128, r: u64) -> i128 {
    let span = (hi - lo).unsigned_abs() + 1;
    let offset = match u64::try_from(span) {
        Ok(n) => u128::from(below(r, n)),
        // Wider than 64 bits (decimals of high precision): a second draw.
        Err(_) => (u128::from(r) << 64 | u128::from(mix(r))) % span,
    };
    lo + offset as i128
}

/// A cell as it reads inside generated text.
fn push_text(out: &mut String, cell: &Cell) {
    use std::fmt::Write as _;
    let _ = match cell {
        Cell::Null => Ok(()),
        Cell::Bool(b) => write!(out, "{b}"),
        Cell::Int(n) => write!(out, "{n}"),
        Cell::Float(f) => write!(out, "{f}"),
        Cell::Decimal(d) => write!(out, "{d}"),
        Cell::String(s) => write!(out, "{s}"),
        Cell::Date(d) => write!(out, "{}", format_date(*d)),
        Cell::Timestamp(t) => write!(out, "{t}"),
        Cell::Uuid(u) => write!(out, "{u:032x}"),
        Cell::Binary(b) => write!(out, "{}", b.len()),
    };
}

/// `YYYY-MM-DD` of days since 1970-01-01 (proleptic Gregorian).
pub fn format_date(days: i32) -> String {
    let z = i64::from(days) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_numbers_are_a_function_of_seed_and_row() {
        let seed = seed_of("orders", "status", "");
        assert_eq!(random(seed, 7), random(seed, 7));
        assert_ne!(random(seed, 7), random(seed, 8));
        assert_ne!(seed, seed_of("orders", "amount", ""));
        // Fixed forever: changing them changes every generated data set.
        assert_eq!(mix(0), 0);
        assert_eq!(random(0, 0), 0xE220_A839_7B1D_CDAF);
    }

    #[test]
    fn between_stays_inside_its_bounds() {
        for row in 0..1000 {
            let r = random(42, row);
            match between(&Cell::Int(-3), &Cell::Int(3), r) {
                Cell::Int(n) => assert!((-3..=3).contains(&n)),
                other => panic!("{other:?}"),
            }
            match between(&Cell::Decimal(100), &Cell::Decimal(50_000), r) {
                Cell::Decimal(n) => assert!((100..=50_000).contains(&n)),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(between(&Cell::Int(5), &Cell::Int(5), 99), Cell::Int(5));
        // The whole range of longs is wider than 64 bits of randomness.
        assert!(matches!(
            between(&Cell::Int(i64::MIN), &Cell::Int(i64::MAX), u64::MAX),
            Cell::Int(_)
        ));
    }

    #[test]
    fn sequences_count_in_the_column_type() {
        assert_eq!(sequence(&Cell::Int(1), 1, 0), Cell::Int(1));
        assert_eq!(sequence(&Cell::Int(10), 5, 3), Cell::Int(25));
        assert_eq!(sequence(&Cell::Date(0), 1, 31), Cell::Date(31));
        assert_eq!(
            sequence(&Cell::Timestamp(0), 60, 2),
            Cell::Timestamp(120_000_000)
        );
    }

    #[test]
    fn dates_format_as_iso() {
        assert_eq!(format_date(0), "1970-01-01");
        assert_eq!(format_date(19_723), "2024-01-01");
        assert_eq!(format_date(-1), "1969-12-31");
    }
}
