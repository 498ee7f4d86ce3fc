//! A data file written with Parquet's Arrow writer, and its Iceberg metadata.
//!
//! iceberg-rust's `ParquetWriter` derives the file's Parquet schema from the Iceberg
//! schema, and on the way loses what Arrow's canonical `arrow.uuid` extension
//! carries: its `uuid` columns come out as bare 16-byte `FIXED_LEN_BYTE_ARRAY`,
//! without the `UUID` logical type that the Iceberg spec's Parquet mapping and
//! other writers (pyiceberg, Spark) give them. Here the writer gets the table's
//! Arrow schema with the extension on `uuid` fields (parquet's
//! `arrow_canonical_extension_types`), and the data file's metrics — the counts
//! and bounds readers prune files with — are read back from the file's footer.
//!
//! Bounds follow the Iceberg spec's single-value serialization ("Binary single-value
//! serialization"): Parquet's plain-encoded statistics already are that for every
//! type floe writes, except decimals stored as `INT32`/`INT64` (little-endian
//! there, big-endian two's complement in Iceberg). A bound that cannot be read is
//! left out; bounds are optional.

use std::collections::HashMap;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use bytes::Bytes;
use futures::future::BoxFuture;
use iceberg::io::FileWrite;
use iceberg::spec::{
    DataContentType, DataFile, DataFileBuilder, DataFileFormat, Datum, PrimitiveType, Schema, Type,
};
use parquet::arrow::AsyncArrowWriter;
use parquet::arrow::async_writer::AsyncFileWriter;
use parquet::basic::Type as Physical;
use parquet::file::metadata::ParquetMetaData;
use parquet::file::properties::WriterProperties;

use super::{DataError, Result};

/// Parquet's view of an iceberg file being written.
struct Output(Box<dyn FileWrite>);

impl AsyncFileWriter for Output {
    fn write(&mut self, bs: Bytes) -> BoxFuture<'_, parquet::errors::Result<()>> {
        Box::pin(async move {
            self.0
                .write(bs)
                .await
                .map_err(|e| parquet::errors::ParquetError::External(Box::new(e)))
        })
    }

    fn complete(&mut self) -> BoxFuture<'_, parquet::errors::Result<()>> {
        Box::pin(async move {
            self.0
                .close()
                .await
                .map_err(|e| parquet::errors::ParquetError::External(Box::new(e)))
        })
    }
}

/// Writes `batches` (in `schema`, the table's Arrow schema with field ids and the
/// `arrow.uuid` extension) as the Parquet file `path`, and describes it for the
/// table whose current schema is `table`.
pub async fn write(
    io: &iceberg::io::FileIO,
    path: String,
    schema: SchemaRef,
    table: &Schema,
    properties: WriterProperties,
    batches: impl Iterator<Item = Result<RecordBatch>>,
) -> Result<DataFile> {
    let output = Output(io.new_output(&path)?.writer().await?);
    let mut writer = AsyncArrowWriter::try_new(output, schema, Some(properties))
        .map_err(|e| DataError::new(format!("cannot write {path}: {e}")))?;
    let mut rows = 0u64;
    for batch in batches {
        let batch = batch?;
        rows += batch.num_rows() as u64;
        writer
            .write(&batch)
            .await
            .map_err(|e| DataError::new(format!("cannot write {path}: {e}")))?;
    }
    let metadata = writer
        .close()
        .await
        .map_err(|e| DataError::new(format!("cannot write {path}: {e}")))?;
    let size = io.new_input(&path)?.metadata().await?.size;
    describe(path, rows, size, &metadata, table)
}

/// The Iceberg description of a written file: its counts, sizes and bounds per
/// field id.
fn describe(
    path: String,
    rows: u64,
    size: u64,
    metadata: &ParquetMetaData,
    table: &Schema,
) -> Result<DataFile> {
    let mut sizes: HashMap<i32, u64> = HashMap::new();
    let mut values: HashMap<i32, u64> = HashMap::new();
    let mut nulls: HashMap<i32, u64> = HashMap::new();
    let mut lower: HashMap<i32, Datum> = HashMap::new();
    let mut upper: HashMap<i32, Datum> = HashMap::new();
    let mut offsets = Vec::new();
    for group in metadata.row_groups() {
        if let Some(first) = group.columns().first() {
            offsets.push(
                first
                    .dictionary_page_offset()
                    .unwrap_or(first.data_page_offset()),
            );
        }
        for column in group.columns() {
            let info = column.column_descr().self_type().get_basic_info();
            if !info.has_id() {
                continue;
            }
            let id = info.id();
            *sizes.entry(id).or_default() += u64::try_from(column.compressed_size()).unwrap_or(0);
            *values.entry(id).or_default() += u64::try_from(column.num_values()).unwrap_or(0);
            let Some(stats) = column.statistics() else {
                continue;
            };
            if let Some(n) = stats.null_count_opt() {
                *nulls.entry(id).or_default() += n;
            }
            let Some(Type::Primitive(ty)) = table.field_by_id(id).map(|f| f.field_type.as_ref())
            else {
                continue;
            };
            let physical = column.column_descr().physical_type();
            let bound = |bytes: Option<&[u8]>| bytes.and_then(|b| datum(b, physical, ty));
            if let Some(min) = bound(stats.min_bytes_opt()) {
                let keep = lower.get(&id).is_none_or(|old| min < *old);
                if keep {
                    lower.insert(id, min);
                }
            }
            if let Some(max) = bound(stats.max_bytes_opt()) {
                let keep = upper.get(&id).is_none_or(|old| max > *old);
                if keep {
                    upper.insert(id, max);
                }
            }
        }
    }
    DataFileBuilder::default()
        .content(DataContentType::Data)
        .file_path(path)
        .file_format(DataFileFormat::Parquet)
        .record_count(rows)
        .file_size_in_bytes(size)
        .column_sizes(sizes)
        .value_counts(values)
        .null_value_counts(nulls)
        .lower_bounds(lower)
        .upper_bounds(upper)
        .split_offsets(Some(offsets))
        .build()
        .map_err(|e| DataError::new(format!("cannot describe a data file: {e}")))
}

/// A plain-encoded Parquet statistic as an Iceberg value of type `ty`.
fn datum(bytes: &[u8], physical: Physical, ty: &PrimitiveType) -> Option<Datum> {
    if let PrimitiveType::Decimal { .. } = ty {
        let unscaled: i128 = match physical {
            Physical::INT32 => i32::from_le_bytes(bytes.try_into().ok()?).into(),
            Physical::INT64 => i64::from_le_bytes(bytes.try_into().ok()?).into(),
            Physical::FIXED_LEN_BYTE_ARRAY | Physical::BYTE_ARRAY => {
                let sign = if bytes.first().is_some_and(|b| b & 0x80 != 0) {
                    0xff
                } else {
                    0
                };
                let mut wide = [sign; 16];
                let start = 16usize.checked_sub(bytes.len())?;
                wide.get_mut(start..)?.copy_from_slice(bytes);
                i128::from_be_bytes(wide)
            }
            _ => return None,
        };
        return Datum::try_from_bytes(&unscaled.to_be_bytes(), ty.clone()).ok();
    }
    Datum::try_from_bytes(bytes, ty.clone()).ok()
}
