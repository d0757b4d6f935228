//! Parquet data files as rows of text cells (the `parquet` feature), for
//! [`super::TextRows`]: each typed cell becomes the text its CSV twin holds
//! (a null is an empty cell, a decimal keeps its digits exactly, a float
//! its shortest round-trip form), so every check is the CSV path's.

use bytes::Bytes;
use csv::StringRecord;
use parquet::basic::{ConvertedType, Type as PhysicalType};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::{Field, reader::RowIter};
use parquet::schema::types::Type;

use super::ScenarioError;
use super::table::CellKind;

/// The rows of an open Parquet file.
pub(super) struct ParquetRows {
    rows: RowIter<'static>,
    /// Rows read so far.
    row: u64,
}

/// What a Parquet column holds, as far as the text cells care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    Text,
    Integer,
    Float,
    Decimal,
    Boolean,
}

impl Found {
    fn fits(self, kind: CellKind) -> bool {
        use Found::*;
        match kind {
            CellKind::Text => self == Text,
            CellKind::Id => matches!(self, Text | Integer),
            CellKind::Number => matches!(self, Integer | Float | Decimal),
            CellKind::Whole => self == Integer,
            CellKind::Flag => matches!(self, Boolean | Integer),
        }
    }
}

/// The type of a column in words: the Parquet physical type and its
/// annotation, e.g. `BYTE_ARRAY (UTF8)`, `INT64 (DECIMAL(18,2))`, `DOUBLE`.
fn type_name(column: &Type) -> String {
    let physical = column.get_physical_type();
    match column.get_basic_info().converted_type() {
        ConvertedType::NONE => format!("{physical}"),
        ConvertedType::DECIMAL => format!(
            "{physical} (DECIMAL({},{}))",
            column.get_precision(),
            column.get_scale()
        ),
        converted => format!("{physical} ({converted})"),
    }
}

/// What the record reader makes of a flat column, or `None` for a type the
/// text cells do not take (dates, times, binary, nested).
fn classify(column: &Type) -> Option<Found> {
    if !column.is_primitive() {
        return None;
    }
    let converted = column.get_basic_info().converted_type();
    if converted == ConvertedType::DECIMAL {
        return Some(Found::Decimal);
    }
    match (column.get_physical_type(), converted) {
        (PhysicalType::BOOLEAN, _) => Some(Found::Boolean),
        (
            PhysicalType::INT32 | PhysicalType::INT64,
            ConvertedType::NONE
            | ConvertedType::INT_8
            | ConvertedType::INT_16
            | ConvertedType::INT_32
            | ConvertedType::INT_64
            | ConvertedType::UINT_8
            | ConvertedType::UINT_16
            | ConvertedType::UINT_32
            | ConvertedType::UINT_64,
        ) => Some(Found::Integer),
        (PhysicalType::FLOAT | PhysicalType::DOUBLE, _) => Some(Found::Float),
        (PhysicalType::BYTE_ARRAY, ConvertedType::UTF8 | ConvertedType::ENUM) => Some(Found::Text),
        _ => None,
    }
}

/// Opens a Parquet file: its column names and its rows. Every column must
/// be flat and of a type the text cells take; a column `kinds` knows must
/// hold that kind.
pub(super) fn open(
    file: &str,
    bytes: &[u8],
    kinds: &dyn Fn(&str) -> Option<CellKind>,
) -> Result<(StringRecord, ParquetRows), ScenarioError> {
    let error = |column: Option<&str>, problem: String| ScenarioError::Table {
        file: file.to_string(),
        row: None,
        column: column.map(str::to_string),
        problem,
    };
    let reader = SerializedFileReader::new(Bytes::copy_from_slice(bytes))
        .map_err(|e| error(None, format!("not a readable Parquet file: {e}")))?;
    let mut headers = StringRecord::new();
    for column in reader
        .metadata()
        .file_metadata()
        .schema_descr()
        .root_schema()
        .get_fields()
    {
        let name = column.name();
        if !column.is_primitive() {
            return Err(error(
                Some(name),
                "a nested column (group, list or map); the columns must be flat".into(),
            ));
        }
        let found = classify(column).ok_or_else(|| {
            error(
                Some(name),
                format!(
                    "a column of type {} is not read; use strings, integers, floats, decimals or booleans",
                    type_name(column)
                ),
            )
        })?;
        if let Some(kind) = kinds(name)
            && !found.fits(kind)
        {
            return Err(error(
                Some(name),
                format!("expected {}, found type {}", kind.describe(), type_name(column)),
            ));
        }
        headers.push_field(name);
    }
    let rows = RowIter::from_file_into(Box::new(reader));
    Ok((headers, ParquetRows { rows, row: 0 }))
}

impl ParquetRows {
    /// Reads the next row as text cells; its data row number (from 1).
    pub(super) fn next_row(&mut self, file: &str, record: &mut StringRecord) -> Result<Option<u64>, ScenarioError> {
        let Some(row) = self.rows.next() else {
            return Ok(None);
        };
        let row = row.map_err(|e| ScenarioError::Table {
            file: file.to_string(),
            row: Some(self.row + 1),
            column: None,
            problem: format!("cannot read the row: {e} (this build reads uncompressed and Snappy-compressed Parquet)"),
        })?;
        self.row += 1;
        record.clear();
        for (_, field) in row.get_column_iter() {
            record.push_field(&cell_text(field));
        }
        Ok(Some(self.row))
    }
}

/// A cell as its CSV twin writes it: null is empty, numbers in their
/// shortest exact form, decimals with their digits, strings trimmed (as the
/// CSV reader trims).
fn cell_text(field: &Field) -> String {
    match field {
        Field::Null => String::new(),
        Field::Bool(b) => b.to_string(),
        Field::Byte(v) => v.to_string(),
        Field::Short(v) => v.to_string(),
        Field::Int(v) => v.to_string(),
        Field::Long(v) => v.to_string(),
        Field::UByte(v) => v.to_string(),
        Field::UShort(v) => v.to_string(),
        Field::UInt(v) => v.to_string(),
        Field::ULong(v) => v.to_string(),
        Field::Float(v) => v.to_string(),
        Field::Double(v) => v.to_string(),
        Field::Str(s) => s.trim().to_string(),
        // Decimals print their unscaled digits with the point placed, exactly.
        Field::Decimal(_) => field.to_string(),
        // `open` refuses the columns that would give these.
        other => other.to_string(),
    }
}
