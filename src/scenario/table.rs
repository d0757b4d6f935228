//! Data files as rows of text cells, whatever their format: CSV always,
//! Parquet with the `parquet` feature (chosen by the file name's extension).
//!
//! A book's or a tape's checks run on text cells only, so a Parquet file is
//! held to exactly the rules (and the messages) of its CSV twin: each typed
//! Parquet cell is first written as the text its CSV twin would hold. Only
//! the positions differ: a CSV error names a line (the header is line 1), a
//! Parquet error a data row (the first is row 1), since Parquet has no lines.

use csv::StringRecord;

use super::ScenarioError;

/// The format of a data file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    /// Comma-separated text with a header row.
    Csv,
    /// Apache Parquet (flat columns).
    Parquet,
}

impl TableFormat {
    /// The format a file's name says: `.parquet` (any case) is Parquet,
    /// anything else CSV.
    pub fn of(file: &str) -> Self {
        let parquet = file
            .rsplit_once('.')
            .is_some_and(|(_, ext)| ext.eq_ignore_ascii_case("parquet"));
        if parquet {
            TableFormat::Parquet
        } else {
            TableFormat::Csv
        }
    }

    /// Where the header is, for errors about the columns: line 1 of a CSV
    /// file; a Parquet file has its column names in its schema, no row.
    pub fn header_position(self) -> Option<u64> {
        match self {
            TableFormat::Csv => Some(1),
            TableFormat::Parquet => None,
        }
    }

    /// The word for a position in this format ("line" or "row").
    pub fn position_word(self) -> &'static str {
        match self {
            TableFormat::Csv => "line",
            TableFormat::Parquet => "row",
        }
    }

    /// States an error found by the text checks in this format's positions:
    /// for Parquet, a [`ScenarioError::Data`] line is a data row, so it
    /// becomes a [`ScenarioError::Table`]; other errors pass unchanged.
    pub fn locate(self, error: ScenarioError) -> ScenarioError {
        match (self, error) {
            (
                TableFormat::Parquet,
                ScenarioError::Data {
                    file,
                    line,
                    column,
                    problem,
                },
            ) => ScenarioError::Table {
                file,
                row: line,
                column,
                problem,
            },
            (_, e) => e,
        }
    }
}

/// The refusal of a Parquet file by a build without the `parquet` feature.
pub const PARQUET_FEATURE_MISSING: &str = "this creditstress was built without Parquet support; \
build it with `cargo build --release --features parquet`, or give the file as CSV";

/// What a column may hold in a Parquet file (a CSV cell is always text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellKind {
    /// A string.
    Text,
    /// A string or an integer (ids).
    Id,
    /// An integer, a float or a decimal.
    Number,
    /// An integer.
    Whole,
    /// A boolean (or an integer 0/1).
    Flag,
}

impl CellKind {
    /// The kind in words, for errors.
    pub fn describe(self) -> &'static str {
        match self {
            CellKind::Text => "a string",
            CellKind::Id => "a string or an integer",
            CellKind::Number => "a number (integer, float or decimal)",
            CellKind::Whole => "an integer",
            CellKind::Flag => "a boolean",
        }
    }
}

/// The rows of a data file as text cells, read one at a time.
pub struct TextRows<'a> {
    source: Source<'a>,
    headers: StringRecord,
}

enum Source<'a> {
    Csv(csv::Reader<&'a [u8]>),
    #[cfg(feature = "parquet")]
    Parquet(super::parquet_rows::ParquetRows),
}

impl<'a> TextRows<'a> {
    /// Opens `bytes` in the format `file`'s name says. `kinds` gives what
    /// each known column may hold in a Parquet file; a column of another
    /// type is refused here, naming the column and the type found (a CSV
    /// file's cells are all text and are checked by the caller).
    pub fn open(file: &str, bytes: &'a [u8], kinds: &dyn Fn(&str) -> Option<CellKind>) -> Result<Self, ScenarioError> {
        let error = |problem: String| ScenarioError::Data {
            file: file.to_string(),
            line: TableFormat::Csv.header_position(),
            column: None,
            problem,
        };
        match TableFormat::of(file) {
            TableFormat::Csv => {
                let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(bytes);
                let headers = reader
                    .headers()
                    .map_err(|e| error(format!("cannot read the header row: {e}")))?
                    .clone();
                Ok(TextRows {
                    source: Source::Csv(reader),
                    headers,
                })
            }
            #[cfg(feature = "parquet")]
            TableFormat::Parquet => {
                let (headers, rows) = super::parquet_rows::open(file, bytes, kinds)?;
                Ok(TextRows {
                    source: Source::Parquet(rows),
                    headers,
                })
            }
            #[cfg(not(feature = "parquet"))]
            TableFormat::Parquet => {
                let _ = kinds;
                Err(ScenarioError::Table {
                    file: file.to_string(),
                    row: None,
                    column: None,
                    problem: PARQUET_FEATURE_MISSING.into(),
                })
            }
        }
    }

    /// The column names, in file order.
    pub fn headers(&self) -> &StringRecord {
        &self.headers
    }

    /// Reads the next row into `record`: its position (the CSV line, or the
    /// Parquet data row from 1), or `None` after the last row. `file` names
    /// the file in errors.
    pub fn next_row(&mut self, file: &str, record: &mut StringRecord) -> Result<Option<u64>, ScenarioError> {
        match &mut self.source {
            Source::Csv(reader) => match reader.read_record(record) {
                Ok(false) => Ok(None),
                Ok(true) => Ok(Some(record.position().map_or(0, |p| p.line()))),
                Err(e) => Err(ScenarioError::Data {
                    file: file.to_string(),
                    line: e.position().map(|p| p.line()),
                    column: None,
                    problem: format!("not a valid CSV row: {e}"),
                }),
            },
            #[cfg(feature = "parquet")]
            Source::Parquet(rows) => rows.next_row(file, record),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_extension_says_the_format() {
        assert_eq!(TableFormat::of("book.parquet"), TableFormat::Parquet);
        assert_eq!(TableFormat::of("data/Book.PARQUET"), TableFormat::Parquet);
        assert_eq!(TableFormat::of("book.csv"), TableFormat::Csv);
        assert_eq!(TableFormat::of("parquet"), TableFormat::Csv);
        assert_eq!(TableFormat::of("book.parquet.csv"), TableFormat::Csv);
    }

    #[cfg(not(feature = "parquet"))]
    #[test]
    fn parquet_without_the_feature_is_refused_with_the_way_out() {
        let e = TextRows::open("book.parquet", b"PAR1", &|_| None)
            .err()
            .expect("refused");
        assert_eq!(e.to_string(), format!("book.parquet: {PARQUET_FEATURE_MISSING}"));
    }
}
