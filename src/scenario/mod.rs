//! Scenario: the first stage of the pipeline.
//!
//! A TOML file is parsed into the raw [`ScenarioFile`] (serde, unknown fields
//! rejected, defaults filled) and then checked once into a [`Scenario`], whose
//! fields can no longer hold a bad value. Nothing downstream re-checks.

mod attachments;
mod book;
mod file;
mod macro_link;
mod policy;
mod resolved;
mod sweep;
mod table;
mod validate;

#[cfg(feature = "parquet")]
mod parquet_rows;

pub use attachments::Attachments;
pub use book::*;
pub use file::*;
pub use macro_link::*;
pub use policy::*;
pub use resolved::*;
pub use sweep::{
    Grid, GridAxis, GridMeasure, MAX_GRID_POINTS, parse_grid_file, parse_setting, range_values, with_field, with_value,
};
pub use table::{CellKind, PARQUET_FEATURE_MISSING, TableFormat, TextRows};

use thiserror::Error;

/// The version of the scenario format this program reads.
pub const SCHEMA_VERSION: u32 = 1;

/// The longest horizon a scenario may simulate, months (and so the longest
/// tape a run writes).
pub const MAX_HORIZON_MONTHS: u32 = 600;

/// The lowest and highest credit score.
pub const SCORE_MIN: f64 = 350.0;
/// The highest credit score.
pub const SCORE_MAX: f64 = 950.0;

/// Why a scenario was refused. The CLI prefixes the file name.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ScenarioError {
    /// The text is not valid TOML or does not match the format (unknown field,
    /// wrong type, missing field). The message carries line and column.
    #[error("{0}")]
    Parse(String),
    /// A value is out of its allowed range or inconsistent with another.
    #[error("{field}: {problem}")]
    Invalid {
        /// Dotted path of the offending field, e.g. `segments[1].lgd.mean`.
        field: String,
        /// What is wrong, with the value found.
        problem: String,
    },
    /// A data file the scenario names (a loan book, an economic table) has
    /// a bad value, or was not attached.
    #[error("{file}{}{}: {problem}", line.map(|l| format!(", line {l}")).unwrap_or_default(), column.as_ref().map(|c| format!(", column `{c}`")).unwrap_or_default())]
    Data {
        /// The file as the scenario names it.
        file: String,
        /// Line in the file (the header is line 1), when one row is at fault.
        line: Option<u64>,
        /// The column at fault.
        column: Option<String>,
        /// What is wrong, with the value found.
        problem: String,
    },
    /// A columnar (Parquet) data file has a bad value or a column of the
    /// wrong type. Parquet has no lines: a row is a data row, from 1.
    #[error("{file}{}{}: {problem}", row.map(|r| format!(", row {r}")).unwrap_or_default(), column.as_ref().map(|c| format!(", column `{c}`")).unwrap_or_default())]
    Table {
        /// The file as the scenario (or the command line) names it.
        file: String,
        /// Data row (the first is row 1), when one row is at fault.
        row: Option<u64>,
        /// The column at fault.
        column: Option<String>,
        /// What is wrong, with the value found.
        problem: String,
    },
}

impl ScenarioError {
    pub(crate) fn invalid(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            problem: problem.into(),
        }
    }
}

/// Parses TOML text into the raw file structure (no range checks). A format
/// error names the dotted path of the field, e.g. `segments[0].rho: invalid type`,
/// followed by the parser's line and column report.
pub fn parse_scenario_file(text: &str) -> Result<ScenarioFile, ScenarioError> {
    let syntax = |e: toml::de::Error| ScenarioError::Parse(e.to_string().trim_end().to_string());
    let deserializer = toml::Deserializer::parse(text).map_err(syntax)?;
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        let inner = inner.trim_end();
        if path == "." || path.is_empty() {
            ScenarioError::Parse(inner.to_string())
        } else {
            ScenarioError::Parse(format!("{path}: {inner}"))
        }
    })
}

/// Parses a policy file (the content of a `[policy]` table at top level).
pub fn parse_policy_file(text: &str) -> Result<PolicySection, ScenarioError> {
    let syntax = |e: toml::de::Error| ScenarioError::Parse(e.to_string().trim_end().to_string());
    let deserializer = toml::Deserializer::parse(text).map_err(syntax)?;
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        ScenarioError::Parse(format!("{path}: {}", inner.trim_end()))
    })
}

/// Parses and validates TOML text into a [`Scenario`].
///
/// ```
/// let text = r#"
/// schema_version = 1
/// name = "tiny"
/// [run]
/// horizon_months = 1
/// [[segments]]
/// name = "all"
/// loans = 100
/// score = { mean = 650, std = 50 }
/// income = { median_monthly = 5000, sigma = 0.5 }
/// pd = { model = "constant", value = 0.02 }
/// rho = 0.1
/// lgd = { mean = 0.6 }
/// "#;
/// let scenario = creditstress::scenario::parse_scenario(text).unwrap();
/// assert_eq!(scenario.horizon_months, 1);
/// ```
pub fn parse_scenario(text: &str) -> Result<Scenario, ScenarioError> {
    Scenario::from_file(parse_scenario_file(text)?)
}
