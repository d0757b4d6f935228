//! What the plots and the HTML report are drawn from: a finished run's four
//! files, parsed. `run` builds a [`ReportInput`] from the bytes it has just
//! written and `report` from the same files on disk, through the same parser,
//! so both draw byte-identical plots and pages.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use thiserror::Error;

use super::{Manifest, RunFiles};
use crate::stats::risk::level_key;
use crate::stats::vintages::VintagePoint;
use crate::stats::{Band, RunSummary, Timeseries};

/// The files of a run that a report is drawn from.
pub const INPUT_FILES: [&str; 4] = ["summary.json", "paths.csv", "timeseries.csv", "manifest.json"];
/// The file of a going-concern run's vintage curves (read when the summary has originations).
pub const VINTAGES_FILE: &str = "vintages.csv";

/// Why a run's files could not be loaded. Every message names the file.
#[derive(Debug, Error)]
pub enum InputError {
    /// The output folder does not exist or is not a folder.
    #[error("{}: no such folder (give the output folder of a finished `creditstress run`)", .0.display())]
    NoFolder(PathBuf),
    /// A file the report needs is not there.
    #[error("{}: not found; is this the output folder of a finished run?", .0.display())]
    Missing(PathBuf),
    /// A file exists but cannot be read.
    #[error("{}: cannot read: {source}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// A file is not what `run` writes.
    #[error("{}: {problem}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
}

pub(super) fn corrupt(file: &str, problem: impl Into<String>) -> InputError {
    InputError::Corrupt {
        path: PathBuf::from(file),
        problem: problem.into(),
    }
}

/// Per-path columns of `paths.csv`, in path order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PathColumns {
    /// Portfolio loss (currency units).
    pub loss: Vec<f64>,
    /// Loss / initial exposure.
    pub loss_rate: Vec<f64>,
    /// Importance sampling's weight per path (empty for plain sampling: every path counts once).
    pub weight: Vec<f64>,
}

impl PathColumns {
    /// The paths' self-normalised weights, or `None` for plain sampling.
    pub fn normalised_weights(&self) -> Option<Vec<f64>> {
        if self.weight.is_empty() {
            None
        } else {
            crate::stats::weighted::normalise(&self.weight)
        }
    }
}

/// Everything the report draws, loaded from a run's files.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportInput {
    /// `summary.json`.
    pub summary: RunSummary,
    /// `manifest.json`.
    pub manifest: Manifest,
    /// `paths.csv`.
    pub paths: PathColumns,
    /// `timeseries.csv`.
    pub timeseries: Timeseries,
    /// `vintages.csv` of a going-concern run (empty for a run-off book).
    pub vintages: Vec<VintagePoint>,
}

impl ReportInput {
    /// Loads the four files of a finished run from `dir`.
    pub fn load(dir: &Path) -> Result<Self, InputError> {
        if !dir.is_dir() {
            return Err(InputError::NoFolder(dir.to_path_buf()));
        }
        let read = |name: &str| -> Result<Vec<u8>, InputError> {
            let path = dir.join(name);
            fs::read(&path).map_err(|source| match source.kind() {
                io::ErrorKind::NotFound => InputError::Missing(path),
                _ => InputError::Unreadable { path, source },
            })
        };
        let files = [
            read(INPUT_FILES[0])?,
            read(INPUT_FILES[1])?,
            read(INPUT_FILES[2])?,
            read(INPUT_FILES[3])?,
        ];
        Self::parse(&files[0], &files[1], &files[2], &files[3])
            .and_then(|mut input| {
                if input.summary.originations.is_some() {
                    input.vintages = parse_vintages(&read(VINTAGES_FILE)?)?;
                }
                Ok(input)
            })
            .map_err(|e| match e {
                InputError::Corrupt { path, problem } => InputError::Corrupt {
                    path: dir.join(path),
                    problem,
                },
                other => other,
            })
    }

    /// Parses the files a run has rendered but not necessarily written yet.
    pub fn from_run_files(files: &RunFiles) -> Result<Self, InputError> {
        let get = |name: &str| {
            files
                .files
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, b)| b.as_slice())
                .ok_or_else(|| InputError::Missing(PathBuf::from(name)))
        };
        let mut input = Self::parse(
            get(INPUT_FILES[0])?,
            get(INPUT_FILES[1])?,
            get(INPUT_FILES[2])?,
            get(INPUT_FILES[3])?,
        )?;
        if input.summary.originations.is_some() {
            input.vintages = parse_vintages(get(VINTAGES_FILE)?)?;
        }
        Ok(input)
    }

    /// Parses the contents of `summary.json`, `paths.csv`, `timeseries.csv` and
    /// `manifest.json` and checks that they describe the same run.
    pub fn parse(summary: &[u8], paths: &[u8], timeseries: &[u8], manifest: &[u8]) -> Result<Self, InputError> {
        check_figures("summary.json", summary)?;
        let summary: RunSummary =
            serde_json::from_slice(summary).map_err(|e| corrupt("summary.json", format!("not a run summary: {e}")))?;
        let manifest: Manifest = serde_json::from_slice(manifest)
            .map_err(|e| corrupt("manifest.json", format!("not a run manifest: {e}")))?;
        let paths = parse_paths(paths)?;
        let timeseries = parse_timeseries(timeseries)?;
        let input = ReportInput {
            summary,
            manifest,
            paths,
            timeseries,
            vintages: Vec::new(),
        };
        input.check()?;
        Ok(input)
    }

    /// Risk levels of the run, in increasing order.
    pub fn risk_levels(&self) -> &[f64] {
        &self.manifest.scenario.run.risk_levels
    }

    /// Scenario name.
    pub fn name(&self) -> &str {
        &self.summary.scenario
    }

    fn check(&self) -> Result<(), InputError> {
        let s = &self.summary;
        if self.paths.loss.len() as u64 != s.paths {
            return Err(corrupt(
                "paths.csv",
                format!(
                    "{} rows but summary.json reports {} paths",
                    self.paths.loss.len(),
                    s.paths
                ),
            ));
        }
        if self.timeseries.rows.len() != s.horizon_months {
            return Err(corrupt(
                "timeseries.csv",
                format!(
                    "{} months but summary.json reports a horizon of {} months",
                    self.timeseries.rows.len(),
                    s.horizon_months
                ),
            ));
        }
        if self.manifest.scenario.name != s.scenario || self.manifest.paths != s.paths || self.manifest.seed != s.seed {
            return Err(corrupt(
                "manifest.json",
                format!(
                    "describes scenario {} ({} paths, seed {}) but summary.json describes {} ({} paths, seed {})",
                    self.manifest.scenario.name, self.manifest.paths, self.manifest.seed, s.scenario, s.paths, s.seed
                ),
            ));
        }
        let levels = self.risk_levels();
        if levels.is_empty() || levels.windows(2).any(|w| w[0] >= w[1]) {
            return Err(corrupt(
                "manifest.json",
                "run.risk_levels must be a non-empty increasing list",
            ));
        }
        for &q in levels {
            let key = level_key(q);
            let missing = |m: &BTreeMap<String, f64>| !m.contains_key(&key);
            if s.paths > 0
                && (missing(&s.loss.var)
                    || missing(&s.loss.es)
                    || missing(&s.loss_rate.var)
                    || missing(&s.loss_rate.es))
            {
                return Err(corrupt("summary.json", format!("no VaR or ES at level {key}")));
            }
        }
        for name in ["default_rate", "dpd30_rate", "cumulative_loss_rate"] {
            if !self.timeseries.names.iter().any(|n| n == name) {
                return Err(corrupt("timeseries.csv", format!("no {name}_* columns")));
            }
        }
        Ok(())
    }

    /// The monthly bands of the quantity `name` (`default_rate`, `factor_national`, ...).
    pub fn series(&self, name: &str) -> Option<Vec<Band>> {
        self.timeseries.series(name)
    }

    /// Names of the macro factors, in the order of the scenario.
    pub fn factor_names(&self) -> Vec<String> {
        self.timeseries
            .names
            .iter()
            .filter_map(|n| n.strip_prefix("factor_").map(str::to_string))
            .collect()
    }
}

/// Parses `vintages.csv` (see [`super::vintages_csv`]).
fn parse_vintages(bytes: &[u8]) -> Result<Vec<VintagePoint>, InputError> {
    let mut reader = csv::Reader::from_reader(bytes);
    let header = reader
        .headers()
        .map_err(|e| corrupt(VINTAGES_FILE, format!("bad header: {e}")))?
        .clone();
    let expected = String::from_utf8(super::vintages_csv(&[])).expect("the header is UTF-8");
    let got = header.iter().collect::<Vec<_>>().join(",");
    if got != expected.trim_end() {
        return Err(corrupt(
            VINTAGES_FILE,
            "unexpected columns (a file from an older version? re-run the scenario)",
        ));
    }
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let row = i + 2;
        let record = record.map_err(|e| corrupt(VINTAGES_FILE, format!("row {row}: {e}")))?;
        let num = |c: usize| parse_number(VINTAGES_FILE, row, &header[c], record.get(c).unwrap_or(""));
        let whole = |c: usize| -> Result<usize, InputError> {
            let v = num(c)?;
            if v >= 0.0 && v.fract() == 0.0 {
                Ok(v as usize)
            } else {
                Err(corrupt(
                    VINTAGES_FILE,
                    format!("row {row}, column {}: `{v}` is not a whole number", &header[c]),
                ))
            }
        };
        let band = |c: usize| -> Result<Band, InputError> {
            Ok(Band {
                mean: num(c)?,
                p05: num(c + 1)?,
                p25: num(c + 2)?,
                p50: num(c + 3)?,
                p75: num(c + 4)?,
                p95: num(c + 5)?,
            })
        };
        out.push(VintagePoint {
            vintage: record.get(0).unwrap_or("").to_string(),
            first_month: whole(1)?,
            last_month: whole(2)?,
            months_on_book: whole(3)?,
            paths: whole(4)?,
            loans: num(5)?,
            booked_balance: num(6)?,
            cumulative_default_rate: band(7)?,
            cumulative_loss_rate: band(13)?,
        });
    }
    Ok(out)
}

/// The largest magnitude a figure in an output file can have: money is kept
/// in i64 cents (at most 9.2e18 cents, 9.2e16 in money), a swept seed is
/// below 2^53 (9.0e15), and rates, counts and factors (bounded by validation
/// at 40 standard deviations) are far smaller. A larger or non-finite figure
/// comes from an edited or damaged file, and would make the plots' axes
/// unbounded (drawing never ends).
pub const FIGURE_LIMIT: f64 = 1e17;

/// Finite and at most [`FIGURE_LIMIT`] in magnitude.
fn is_plausible_figure(x: f64) -> bool {
    x.is_finite() && x.abs() <= FIGURE_LIMIT
}

/// Refuses a JSON output whose fractional figures are not ones a run writes
/// (beyond [`FIGURE_LIMIT`]), naming the field; integers (seeds, byte and
/// loan counts) are left to their own types.
pub fn check_figures(file: &str, bytes: &[u8]) -> Result<(), InputError> {
    fn walk(value: &serde_json::Value, at: &mut Vec<String>) -> Option<(String, f64)> {
        match value {
            serde_json::Value::Number(n) if n.is_f64() => {
                let x = n.as_f64().unwrap_or(f64::NAN);
                (!is_plausible_figure(x)).then(|| (at.join("."), x))
            }
            serde_json::Value::Array(items) => items.iter().enumerate().find_map(|(i, v)| {
                at.push(i.to_string());
                let found = walk(v, at);
                at.pop();
                found
            }),
            serde_json::Value::Object(fields) => fields.iter().find_map(|(k, v)| {
                at.push(k.clone());
                let found = walk(v, at);
                at.pop();
                found
            }),
            _ => None,
        }
    }
    // A file that is not JSON is named by the typed parse that follows.
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return Ok(());
    };
    match walk(&value, &mut Vec::new()) {
        Some((field, x)) => Err(corrupt(
            file,
            format!(
                "field {field}: {x:e} is not a figure a run writes (at most {FIGURE_LIMIT:e} in size); the file \
                 was edited or damaged: run the scenario again"
            ),
        )),
        None => Ok(()),
    }
}

/// Parses one CSV figure: a number, finite and at most [`FIGURE_LIMIT`] in magnitude.
pub(super) fn parse_number(file: &str, row: usize, column: &str, text: &str) -> Result<f64, InputError> {
    let x = text
        .parse::<f64>()
        .map_err(|_| corrupt(file, format!("row {row}, column {column}: `{text}` is not a number")))?;
    if !is_plausible_figure(x) {
        return Err(corrupt(
            file,
            format!(
                "row {row}, column {column}: `{text}` is not a figure a run writes (finite, at most {FIGURE_LIMIT:e} \
                 in size); the file was edited or damaged: run the scenario again"
            ),
        ));
    }
    Ok(x)
}

fn parse_paths(bytes: &[u8]) -> Result<PathColumns, InputError> {
    const FILE: &str = "paths.csv";
    let mut reader = csv::Reader::from_reader(bytes);
    let header = reader
        .headers()
        .map_err(|e| corrupt(FILE, format!("bad header: {e}")))?
        .clone();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| corrupt(FILE, format!("no `{name}` column")))
    };
    let (loss_col, rate_col) = (column("loss")?, column("loss_rate")?);
    let weight_col = header.iter().position(|h| h == "weight");
    let mut out = PathColumns::default();
    for (i, record) in reader.records().enumerate() {
        let row = i + 2;
        let record = record.map_err(|e| corrupt(FILE, format!("row {row}: {e}")))?;
        let field = |c: usize| record.get(c).unwrap_or("");
        out.loss.push(parse_number(FILE, row, "loss", field(loss_col))?);
        out.loss_rate
            .push(parse_number(FILE, row, "loss_rate", field(rate_col))?);
        if let Some(c) = weight_col {
            let w = parse_number(FILE, row, "weight", field(c))?;
            if !(w.is_finite() && w >= 0.0) {
                return Err(corrupt(
                    FILE,
                    format!("row {row}, column weight: `{w}` is not a weight"),
                ));
            }
            out.weight.push(w);
        }
    }
    Ok(out)
}

/// The statistics of each quantity in `timeseries.csv`, in column order.
const BAND_STATS: [&str; 6] = ["mean", "p05", "p25", "p50", "p75", "p95"];

fn parse_timeseries(bytes: &[u8]) -> Result<Timeseries, InputError> {
    const FILE: &str = "timeseries.csv";
    let mut reader = csv::Reader::from_reader(bytes);
    let header = reader
        .headers()
        .map_err(|e| corrupt(FILE, format!("bad header: {e}")))?
        .clone();
    let k = BAND_STATS.len();
    if header.get(0) != Some("month") || (header.len() - 1) % k != 0 {
        return Err(corrupt(
            FILE,
            "expected a `month` column and then mean,p05,p25,p50,p75,p95 per quantity \
             (a file from an older version? re-run the scenario)",
        ));
    }
    let mut names = Vec::new();
    for g in 0..(header.len() - 1) / k {
        let first = &header[1 + g * k];
        let name = first.strip_suffix("_mean").ok_or_else(|| {
            corrupt(
                FILE,
                format!("column {} is `{first}`, expected `<quantity>_mean`", 2 + g * k),
            )
        })?;
        for (s, stat) in BAND_STATS.iter().enumerate() {
            let got = &header[1 + g * k + s];
            if got != format!("{name}_{stat}") {
                return Err(corrupt(
                    FILE,
                    format!(
                        "column {} is `{got}`, expected `{name}_{stat}` (a file from an older version? re-run the scenario)",
                        2 + g * k + s
                    ),
                ));
            }
        }
        names.push(name.to_string());
    }
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let row = i + 2;
        let record = record.map_err(|e| corrupt(FILE, format!("row {row}: {e}")))?;
        let month = parse_number(FILE, row, "month", record.get(0).unwrap_or(""))?;
        if month != (i + 1) as f64 {
            return Err(corrupt(FILE, format!("row {row}: month {month}, expected {}", i + 1)));
        }
        let mut bands = Vec::with_capacity(names.len());
        for (g, name) in names.iter().enumerate() {
            let mut v = [0.0; 6];
            for (s, stat) in BAND_STATS.iter().enumerate() {
                let c = 1 + g * k + s;
                v[s] = parse_number(FILE, row, &format!("{name}_{stat}"), record.get(c).unwrap_or(""))?;
            }
            bands.push(Band {
                mean: v[0],
                p05: v[1],
                p25: v[2],
                p50: v[3],
                p75: v[4],
                p95: v[5],
            });
        }
        rows.push(bands);
    }
    Ok(Timeseries { names, rows })
}
