//! Iceberg tables as DuckDB views that stream: `floe_scan('orders')` is a table
//! function that reads the table's current snapshot from its catalog while DuckDB
//! pulls rows, and `orders` is a view over it. Nothing is copied into DuckDB first.
//!
//! - Only the columns a query uses are read: DuckDB hands the scan its projection
//!   (projection pushdown), and the Iceberg scan selects those columns by name.
//! - Memory stays bounded: the scan runs ahead of DuckDB by at most [`AHEAD`]
//!   Arrow batches, and what DuckDB keeps (a `GROUP BY`, a join's hash table) is
//!   held to its `memory_limit` and spills to its temporary directory.
//! - Filters are evaluated by DuckDB on the stream: its C API does not hand a
//!   table function the query's filters, so no data file is skipped by them.
//!
//! Each query scans anew, so a check sees the snapshot that is current when it
//! runs. A table that does not exist reads as empty.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use arrow_array::RecordBatch;
use arrow_schema::{DataType, Field};
use duckdb::core::{DataChunkHandle, LogicalTypeHandle, LogicalTypeId};
use duckdb::vtab::{
    BindInfo, InitInfo, TableFunctionInfo, VTab, record_batch_to_duckdb_data_chunk,
    to_duckdb_logical_type_for_field,
};
use futures::StreamExt;
use iceberg::table::Table as IcebergTable;
use tokio::runtime::Handle;
use tokio::sync::mpsc;

use super::{DataError, Result};
use crate::model::Table;

/// The name of the table function.
pub const FUNCTION: &str = "floe_scan";

/// How many Arrow batches a scan reads ahead of DuckDB.
const AHEAD: usize = 2;

/// A table as the checks read it: its catalog's table (none when it does not
/// exist) and its declared columns as Arrow fields.
pub struct Source {
    table: Option<IcebergTable>,
    fields: Vec<Field>,
}

impl Source {
    /// The table item's source; `loaded` is its catalog table, when it exists.
    pub fn new(item: &Table, loaded: Option<IcebergTable>) -> Result<Source> {
        let schema = super::schema::iceberg_schema(&item.columns)?;
        let fields = super::schema::arrow_schema(&schema)?
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        Ok(Source {
            table: loaded,
            fields,
        })
    }
}

/// The sources of one connection's scans, by item name, and the runtime their
/// reads run on.
#[derive(Clone)]
pub struct Sources {
    pub by_item: Arc<HashMap<String, Arc<Source>>>,
    pub runtime: Handle,
}

/// The table function.
pub struct Scan;

pub struct Bound {
    source: Arc<Source>,
    runtime: Handle,
}

/// One scan in progress.
pub struct Scanning {
    state: Mutex<State>,
}

struct State {
    batches: Option<mpsc::Receiver<Result<RecordBatch>>>,
    started: bool,
    /// The batch being handed out and how many of its rows are out.
    current: Option<(RecordBatch, usize)>,
    /// The columns DuckDB asks for, as indices into the declared columns; an index
    /// past them is a column that is not a table column (the row id of a
    /// `count(*)`).
    wanted: Vec<Option<usize>>,
    /// For each output column, its position in the scanned batches; `None` for a
    /// column that is not a table column.
    columns: Vec<Option<usize>>,
}

impl State {
    /// Starts reading the table: the columns DuckDB asks for, by name.
    fn start(&mut self, bound: &Bound) {
        self.started = true;
        let fields = &bound.source.fields;
        let wanted: Vec<Option<&Field>> = self
            .wanted
            .iter()
            .map(|i| i.and_then(|i| fields.get(i)))
            .collect();
        let mut names: Vec<String> = Vec::new();
        for field in wanted.iter().flatten() {
            if !names.contains(field.name()) {
                names.push(field.name().clone());
            }
        }
        // A query that uses no column (`count(*)`) still needs the rows: the first
        // column is the cheapest way to count them.
        if names.is_empty()
            && let Some(first) = fields.first()
        {
            names.push(first.name().clone());
        }
        self.columns = wanted
            .iter()
            .map(|f| f.and_then(|f| names.iter().position(|n| n == f.name())))
            .collect();
        self.batches = bound.source.table.clone().map(|table| {
            let (sender, receiver) = mpsc::channel(AHEAD);
            bound.runtime.spawn(read(table, names, sender));
            receiver
        });
    }
}

/// The sources `register` gave the function.
#[allow(unsafe_code)]
fn registered(bind: &BindInfo) -> &Sources {
    // SAFETY: `register` is the only place `floe_scan` is registered, always with a
    // `Sources` as its extra info, which DuckDB keeps (a clone) as long as the
    // function exists, so longer than any bind.
    unsafe { &*bind.get_extra_info::<Sources>() }
}

/// How many rows a DuckDB data chunk holds.
#[allow(unsafe_code)]
fn vector_size() -> usize {
    // SAFETY: reads a compile-time constant of the DuckDB library.
    let size = unsafe { duckdb::ffi::duckdb_vector_size() };
    usize::try_from(size).unwrap_or(2048)
}

fn failed(message: impl std::fmt::Display) -> Box<dyn std::error::Error> {
    message.to_string().into()
}

impl VTab for Scan {
    type BindData = Bound;
    type InitData = Scanning;

    fn bind(bind: &BindInfo) -> std::result::Result<Bound, Box<dyn std::error::Error>> {
        let item = bind.get_parameter(0).to_string();
        let sources = registered(bind);
        let source = sources
            .by_item
            .get(&item)
            .ok_or_else(|| failed(format!("no table `{item}` is loaded for the checks")))?;
        for field in &source.fields {
            bind.add_result_column(field.name(), to_duckdb_logical_type_for_field(field)?);
        }
        Ok(Bound {
            source: source.clone(),
            runtime: sources.runtime.clone(),
        })
    }

    fn init(init: &InitInfo) -> std::result::Result<Scanning, Box<dyn std::error::Error>> {
        let columns = init
            .get_column_indices()
            .into_iter()
            .map(|i| usize::try_from(i).ok())
            .collect();
        Ok(Scanning {
            state: Mutex::new(State {
                batches: None,
                started: false,
                current: None,
                wanted: columns,
                columns: Vec::new(),
            }),
        })
    }

    fn func(
        func: &TableFunctionInfo<Self>,
        output: &mut DataChunkHandle,
    ) -> std::result::Result<(), Box<dyn std::error::Error>> {
        let mut state = func
            .get_init_data()
            .state
            .lock()
            .map_err(|_| failed("a scan failed"))?;
        if !state.started {
            state.start(func.get_bind_data());
        }
        let room = vector_size();
        loop {
            if let Some((batch, done)) = &mut state.current
                && *done < batch.num_rows()
            {
                let len = room.min(batch.num_rows() - *done);
                let slice = batch.slice(*done, len);
                *done += len;
                let columns = state.columns.clone();
                return emit(&slice, &columns, output);
            }
            state.current = None;
            let next = match state.batches.as_mut() {
                Some(receiver) => receiver.blocking_recv(),
                None => None,
            };
            match next {
                Some(Ok(batch)) => state.current = Some((batch, 0)),
                Some(Err(e)) => return Err(failed(e)),
                None => {
                    output.set_len(0);
                    return Ok(());
                }
            }
        }
    }

    fn supports_pushdown() -> bool {
        true
    }

    fn parameters() -> Option<Vec<LogicalTypeHandle>> {
        Some(vec![LogicalTypeHandle::from(LogicalTypeId::Varchar)])
    }
}

/// Writes the output columns of `batch` into DuckDB's chunk; a column that is not
/// a table column gets nulls.
fn emit(
    batch: &RecordBatch,
    columns: &[Option<usize>],
    output: &mut DataChunkHandle,
) -> std::result::Result<(), Box<dyn std::error::Error>> {
    let arrays: Vec<arrow_array::ArrayRef> = columns
        .iter()
        .map(|c| match c {
            Some(i) => batch.column(*i).clone(),
            None => arrow_array::new_null_array(&DataType::Int64, batch.num_rows()),
        })
        .collect();
    let options = arrow_array::RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    let fields: Vec<Field> = arrays
        .iter()
        .enumerate()
        .map(|(i, a)| Field::new(format!("c{i}"), a.data_type().clone(), true))
        .collect();
    let projected = RecordBatch::try_new_with_options(
        Arc::new(arrow_schema::Schema::new(fields)),
        arrays,
        &options,
    )?;
    record_batch_to_duckdb_data_chunk(&projected, output)?;
    output.set_len(batch.num_rows());
    Ok(())
}

/// Streams the table's current snapshot, the `columns` by name, into `sender`
/// until the table ends or the scan is dropped.
async fn read(
    table: IcebergTable,
    columns: Vec<String>,
    sender: mpsc::Sender<Result<RecordBatch>>,
) {
    let stream = async {
        let scan = table.scan().select(columns).build()?;
        scan.to_arrow().await
    };
    let mut stream = match stream.await {
        Ok(stream) => stream,
        Err(e) => {
            let _ = sender.send(Err(DataError::from(e))).await;
            return;
        }
    };
    while let Some(batch) = stream.next().await {
        let stop = batch.is_err();
        if sender.send(batch.map_err(DataError::from)).await.is_err() || stop {
            return;
        }
    }
}

/// Registers `floe_scan` on the connection, over `sources`.
pub fn register(conn: &duckdb::Connection, sources: &Sources) -> Result<()> {
    conn.register_table_function_with_extra_info::<Scan, Sources>(FUNCTION, sources)?;
    Ok(())
}
