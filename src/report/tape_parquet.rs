//! `run --emit-tape DIR --tape-format parquet` (the `parquet` feature):
//! `book.parquet` and `tape.parquet`, the same columns under the same names
//! as `book.csv` and `tape.csv`, typed.
//!
//! Money is `INT64 (DECIMAL(18,2))`: the stored integer is the amount in
//! cents, so every amount round-trips exactly (as the CSV's two decimals
//! do) and readers see currency units with two decimals. Rates, scores,
//! PD, LGD and the tape's recovery cash are `DOUBLE` (the same f64 the CSV
//! prints in its shortest exact form); months, terms, dpd are `INT32`,
//! path `INT64`; ids, segment, product, amortisation and state are UTF-8
//! strings; fraud is `BOOLEAN`. Columns that can be empty in the CSV
//! (amortisation, pd, lgd) are optional, null where the CSV cell is empty.
//! Snappy-compressed, one row group per million rows.

use std::io::{self, Write};
use std::sync::Arc;

use parquet::basic::Compression;
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType, Int32Type, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

use super::tape::{LoanIds, book_rows};
use crate::loan::tape::LoanTape;
use crate::population::{Book, LoanOrigin};
use crate::scenario::Scenario;

/// The schema of `book.parquet` (the columns of `BOOK_HEADER`, in order).
pub const BOOK_SCHEMA: &str = "message book {
  REQUIRED BYTE_ARRAY loan_id (UTF8);
  REQUIRED BYTE_ARRAY segment (UTF8);
  REQUIRED BYTE_ARRAY product (UTF8);
  OPTIONAL BYTE_ARRAY amortisation (UTF8);
  REQUIRED INT64 balance (DECIMAL(18,2));
  REQUIRED INT64 limit (DECIMAL(18,2));
  REQUIRED DOUBLE rate_monthly;
  REQUIRED INT32 term_months;
  REQUIRED INT32 payments_made;
  REQUIRED INT32 months_on_book;
  REQUIRED INT32 dpd;
  REQUIRED DOUBLE score;
  OPTIONAL DOUBLE pd;
  OPTIONAL DOUBLE lgd;
  REQUIRED BOOLEAN fraud;
}";

/// The schema of `tape.parquet` (the columns of `TAPE_HEADER`, in order).
pub const TAPE_SCHEMA: &str = "message tape {
  REQUIRED INT64 path;
  REQUIRED BYTE_ARRAY loan_id (UTF8);
  REQUIRED INT32 month;
  REQUIRED BYTE_ARRAY state (UTF8);
  REQUIRED INT64 balance (DECIMAL(18,2));
  REQUIRED INT64 principal_paid (DECIMAL(18,2));
  REQUIRED INT64 interest_paid (DECIMAL(18,2));
  REQUIRED INT64 drawn (DECIMAL(18,2));
  REQUIRED INT64 charge_off (DECIMAL(18,2));
  REQUIRED DOUBLE recovery;
}";

/// Rows per row group: bounds the memory a large tape needs while written.
const ROW_GROUP_ROWS: usize = 1 << 20;

/// One column's values of the row group being filled.
pub(super) enum Column {
    /// A string; `defs` (1 present, 0 null) for an optional column.
    Text {
        values: Vec<ByteArray>,
        defs: Option<Vec<i16>>,
    },
    /// INT32.
    Int32(Vec<i32>),
    /// INT64 (money: cents under DECIMAL(18,2)).
    Int64(Vec<i64>),
    /// DOUBLE; `defs` for an optional column.
    Double { values: Vec<f64>, defs: Option<Vec<i16>> },
    /// BOOLEAN.
    Bool(Vec<bool>),
}

impl Column {
    pub(super) fn text(optional: bool) -> Self {
        Column::Text {
            values: Vec::new(),
            defs: optional.then(Vec::new),
        }
    }

    pub(super) fn double(optional: bool) -> Self {
        Column::Double {
            values: Vec::new(),
            defs: optional.then(Vec::new),
        }
    }
}

/// A Parquet file written a row group at a time. Rows are pushed cell by
/// cell in schema order; the cell's type must be its column's.
pub(super) struct TableWriter<W: Write + Send> {
    writer: SerializedFileWriter<W>,
    columns: Vec<Column>,
    rows: usize,
}

fn parquet_error(e: parquet::errors::ParquetError) -> io::Error {
    io::Error::other(e)
}

impl<W: Write + Send> TableWriter<W> {
    pub(super) fn new(out: W, schema: &str, columns: Vec<Column>) -> io::Result<Self> {
        let schema = Arc::new(parse_message_type(schema).map_err(parquet_error)?);
        let properties = Arc::new(
            WriterProperties::builder()
                .set_compression(Compression::SNAPPY)
                .set_created_by(format!("creditstress {}", env!("CARGO_PKG_VERSION")))
                .build(),
        );
        let writer = SerializedFileWriter::new(out, schema, properties).map_err(parquet_error)?;
        Ok(TableWriter {
            writer,
            columns,
            rows: 0,
        })
    }

    pub(super) fn text(&mut self, k: usize, value: Option<&str>) {
        let Column::Text { values, defs } = &mut self.columns[k] else {
            unreachable!("column {k} is not a string column")
        };
        match (value, defs) {
            (Some(v), Some(d)) => {
                values.push(ByteArray::from(v));
                d.push(1);
            }
            (None, Some(d)) => d.push(0),
            (Some(v), None) => values.push(ByteArray::from(v)),
            (None, None) => unreachable!("column {k} is required"),
        }
    }

    pub(super) fn int32(&mut self, k: usize, value: u32) {
        let Column::Int32(values) = &mut self.columns[k] else {
            unreachable!("column {k} is not INT32")
        };
        values.push(value as i32);
    }

    pub(super) fn int64(&mut self, k: usize, value: i64) {
        let Column::Int64(values) = &mut self.columns[k] else {
            unreachable!("column {k} is not INT64")
        };
        values.push(value);
    }

    pub(super) fn double(&mut self, k: usize, value: Option<f64>) {
        let Column::Double { values, defs } = &mut self.columns[k] else {
            unreachable!("column {k} is not DOUBLE")
        };
        match (value, defs) {
            (Some(v), Some(d)) => {
                values.push(v);
                d.push(1);
            }
            (None, Some(d)) => d.push(0),
            (Some(v), None) => values.push(v),
            (None, None) => unreachable!("column {k} is required"),
        }
    }

    pub(super) fn bool(&mut self, k: usize, value: bool) {
        let Column::Bool(values) = &mut self.columns[k] else {
            unreachable!("column {k} is not BOOLEAN")
        };
        values.push(value);
    }

    /// Ends a row; writes the row group when it is full.
    pub(super) fn end_row(&mut self) -> io::Result<()> {
        self.rows += 1;
        if self.rows == ROW_GROUP_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes the rows pushed so far as one row group.
    fn flush(&mut self) -> io::Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        let mut group = self.writer.next_row_group().map_err(parquet_error)?;
        for column in &mut self.columns {
            let mut writer = group
                .next_column()
                .map_err(parquet_error)?
                .ok_or_else(|| io::Error::other("the schema has fewer columns than the table"))?;
            let written = match column {
                Column::Text { values, defs } => {
                    writer
                        .typed::<ByteArrayType>()
                        .write_batch(values, defs.as_deref(), None)
                }
                Column::Int32(values) => writer.typed::<Int32Type>().write_batch(values, None, None),
                Column::Int64(values) => writer.typed::<Int64Type>().write_batch(values, None, None),
                Column::Double { values, defs } => {
                    writer.typed::<DoubleType>().write_batch(values, defs.as_deref(), None)
                }
                Column::Bool(values) => writer.typed::<BoolType>().write_batch(values, None, None),
            };
            written.map_err(parquet_error)?;
            writer.close().map_err(parquet_error)?;
            match column {
                Column::Text { values, defs } => {
                    values.clear();
                    defs.iter_mut().for_each(Vec::clear);
                }
                Column::Int32(values) => values.clear(),
                Column::Int64(values) => values.clear(),
                Column::Double { values, defs } => {
                    values.clear();
                    defs.iter_mut().for_each(Vec::clear);
                }
                Column::Bool(values) => values.clear(),
            }
        }
        group.close().map_err(parquet_error)?;
        self.rows = 0;
        Ok(())
    }

    /// Writes the last row group and the footer.
    pub(super) fn finish(mut self) -> io::Result<()> {
        self.flush()?;
        self.writer.close().map_err(parquet_error)?;
        Ok(())
    }
}

/// Writes `book.parquet`: the rows of `book.csv` (see
/// [`super::tape::book_rows`]), typed as [`BOOK_SCHEMA`] says.
pub fn write_book_parquet<W: Write + Send>(
    out: W,
    scenario: &Scenario,
    book: &Book,
    origins: &[LoanOrigin],
) -> io::Result<()> {
    let columns = vec![
        Column::text(false),
        Column::text(false),
        Column::text(false),
        Column::text(true),
        Column::Int64(Vec::new()),
        Column::Int64(Vec::new()),
        Column::double(false),
        Column::Int32(Vec::new()),
        Column::Int32(Vec::new()),
        Column::Int32(Vec::new()),
        Column::Int32(Vec::new()),
        Column::double(false),
        Column::double(true),
        Column::double(true),
        Column::Bool(Vec::new()),
    ];
    let mut t = TableWriter::new(out, BOOK_SCHEMA, columns)?;
    for r in book_rows(scenario, book, origins) {
        t.text(0, Some(&r.loan_id));
        t.text(1, Some(r.segment));
        t.text(2, Some(r.product));
        t.text(3, r.amortisation);
        t.int64(4, r.balance);
        t.int64(5, r.limit);
        t.double(6, Some(r.rate_monthly));
        t.int32(7, r.term_months);
        t.int32(8, r.payments_made);
        t.int32(9, r.months_on_book);
        t.int32(10, r.dpd);
        t.double(11, Some(r.score));
        t.double(12, r.pd);
        t.double(13, r.lgd);
        t.bool(14, r.fraud);
        t.end_row()?;
    }
    t.finish()
}

/// Writes `tape.parquet`: the rows of `tape.csv`, typed as [`TAPE_SCHEMA`] says.
pub fn write_tape_parquet<W: Write + Send>(out: W, tapes: &[(u64, &LoanTape)], ids: &LoanIds) -> io::Result<()> {
    let columns = vec![
        Column::Int64(Vec::new()),
        Column::text(false),
        Column::Int32(Vec::new()),
        Column::text(false),
        Column::Int64(Vec::new()),
        Column::Int64(Vec::new()),
        Column::Int64(Vec::new()),
        Column::Int64(Vec::new()),
        Column::Int64(Vec::new()),
        Column::double(false),
    ];
    let mut t = TableWriter::new(out, TAPE_SCHEMA, columns)?;
    for (path, tape) in tapes {
        let mut last: Option<(u32, String)> = None;
        for r in &tape.rows {
            if last.as_ref().is_none_or(|(stream, _)| *stream != r.loan) {
                last = Some((r.loan, ids.of(r.loan)));
            }
            let id = last.as_ref().map_or("", |(_, id)| id.as_str());
            t.int64(0, *path as i64);
            t.text(1, Some(id));
            t.int32(2, r.month);
            t.text(3, Some(r.state.as_str()));
            t.int64(4, r.balance);
            t.int64(5, r.principal_paid);
            t.int64(6, r.interest_paid);
            t.int64(7, r.drawn);
            t.int64(8, r.charge_off);
            t.double(9, Some(r.recovery));
            t.end_row()?;
        }
    }
    t.finish()
}
