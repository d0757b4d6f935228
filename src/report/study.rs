//! The files of a study: the runs of `compare` (policies under one stress)
//! or `stress` (scenarios of one book), on common random numbers. Beside the
//! comparison itself, a study keeps what its page is drawn from: every
//! run's per-path figures (`<stem>_paths.csv`), its monthly bands across
//! paths (`<stem>_timeseries.csv`) and a manifest (`manifest.json`). The
//! command draws its page from these bytes, and `report DIR` reads the same
//! files back through the same parsers, so both give byte-identical plots
//! and pages.

use std::fs;
use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::compare::{POLICIES, SCENARIOS, Subject, comparison_csv};
use super::input::{InputError, check_figures, corrupt, parse_number};
use super::{DataFile, to_json};
use crate::scenario::ScenarioFile;
use crate::stats::compare::{Comparison, PolicySample, WeightedFigures};
use crate::stats::{Band, Timeseries};

/// `format` of a study's `manifest.json` (a run's manifest has none).
pub const MANIFEST_FORMAT: &str = "creditstress-study-manifest";
/// Raised when a field of the study manifest changes meaning or goes away.
pub const MANIFEST_VERSION: u32 = 1;

/// Which command made the study.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StudyKind {
    /// `creditstress compare`: policies under one stress.
    Compare,
    /// `creditstress stress`: stress scenarios of one book.
    Stress,
}

impl StudyKind {
    /// What the runs are, for titles, columns and file names.
    pub fn subject(self) -> Subject {
        match self {
            StudyKind::Compare => POLICIES,
            StudyKind::Stress => SCENARIOS,
        }
    }

    /// The study's own files, relative to its folder.
    pub fn data_file_names(self) -> [String; 5] {
        let stem = self.subject().file_stem;
        [
            format!("{stem}.json"),
            format!("{stem}.csv"),
            format!("{stem}_paths.csv"),
            format!("{stem}_timeseries.csv"),
            "manifest.json".to_string(),
        ]
    }

    /// The files `report` redraws: the page and every plot.
    pub fn report_file_names(self) -> Vec<String> {
        let mut names = vec![format!("{}.html", self.subject().file_stem)];
        for plot in super::compare::STUDY_PLOT_NAMES {
            names.push(format!("plots/{plot}.png"));
            names.push(format!("plots/{plot}.svg"));
        }
        names
    }
}

/// The command a study manifest was written by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StudyCommand {
    /// `compare`.
    Compare,
    /// `stress`.
    Stress,
    /// `sweep --param`: its points are in `sweep.json`.
    Sweep,
    /// `sweep --grid`: its points are in `grid.json`.
    Grid,
    /// `calibrate`: its page is drawn from `calibration.json`.
    Calibrate,
}

impl StudyCommand {
    /// The study's kind for a `compare` or `stress` (`None` for a sweep or grid).
    pub fn kind(self) -> Option<StudyKind> {
        match self {
            StudyCommand::Compare => Some(StudyKind::Compare),
            StudyCommand::Stress => Some(StudyKind::Stress),
            StudyCommand::Sweep | StudyCommand::Grid | StudyCommand::Calibrate => None,
        }
    }
}

impl From<StudyKind> for StudyCommand {
    fn from(k: StudyKind) -> Self {
        match k {
            StudyKind::Compare => StudyCommand::Compare,
            StudyKind::Stress => StudyCommand::Stress,
        }
    }
}

/// An input file of a study, as its manifest records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StudyInput {
    /// `scenario` or `policy`.
    pub role: String,
    /// The path as given on the command line.
    pub path: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
}

/// One run of a study, as its manifest records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyRunRecord {
    /// The run's name in the tables (the policy's or the scenario's).
    pub name: String,
    /// Its scenario with every default filled in, the policy and the
    /// command-line settings applied.
    pub scenario: ScenarioFile,
    /// The data files its scenario names, with their SHA-256.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_files: Vec<DataFile>,
}

/// `manifest.json` of a study: what was run, on which inputs, and how to rerun it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyManifest {
    /// Always [`MANIFEST_FORMAT`].
    pub format: String,
    /// [`MANIFEST_VERSION`] when written.
    pub format_version: u32,
    /// Program name.
    pub program: String,
    /// Program version.
    pub version: String,
    /// The command that made it.
    pub study: StudyCommand,
    /// The files given on the command line, in order.
    pub inputs: Vec<StudyInput>,
    /// The runs, baseline first; for a sweep or grid, its base scenario
    /// alone (each point is it with the point's values set, as its JSON lists).
    pub runs: Vec<StudyRunRecord>,
    /// With `stress --weights`: each scenario's probability, normalised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<Vec<f64>>,
    /// Master seed (the same for every run: common random numbers).
    pub seed: u64,
    /// Paths per run.
    pub paths: u64,
    /// Worker threads (results do not depend on it).
    pub threads: usize,
    /// Wall time of the whole study in seconds.
    pub wall_seconds: f64,
    /// The command to rerun.
    pub command: String,
}

/// `stress.json`: the comparison, and whether the scenarios share their book.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StressResult {
    /// The scenario files, in order (the first is the baseline).
    pub files: Vec<String>,
    /// Whether every scenario books the same loans (population, segments,
    /// imported book and horizon agree): then the paired differences compare
    /// the same loans under different stresses.
    pub books_agree: bool,
    /// The sections that differ from the baseline's, per scenario (empty when the books agree).
    pub book_differences: Vec<String>,
    /// With `--weights`: the probability-weighted figures of the mixture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weighted: Option<WeightedFigures>,
    /// Figures per scenario and differences against the first.
    #[serde(flatten)]
    pub comparison: Comparison,
}

/// What a study's page says beside the comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum StudyResult {
    /// A policy comparison.
    Compare(Comparison),
    /// A stress test.
    Stress(StressResult),
}

impl StudyResult {
    /// The comparison of the runs.
    pub fn comparison(&self) -> &Comparison {
        match self {
            StudyResult::Compare(c) => c,
            StudyResult::Stress(s) => &s.comparison,
        }
    }

    /// The command that made it.
    pub fn kind(&self) -> StudyKind {
        match self {
            StudyResult::Compare(_) => StudyKind::Compare,
            StudyResult::Stress(_) => StudyKind::Stress,
        }
    }

    /// The study's JSON (`comparison.json` or `stress.json`).
    pub fn json(&self) -> String {
        match self {
            StudyResult::Compare(c) => to_json(c),
            StudyResult::Stress(s) => to_json(s),
        }
    }
}

/// A finished study: everything its files hold.
#[derive(Debug, Clone, PartialEq)]
pub struct Study {
    /// The comparison (and, for a stress test, the books' agreement and the weighted figures).
    pub result: StudyResult,
    /// Per-path figures of every run, baseline first.
    pub samples: Vec<PolicySample>,
    /// Monthly bands across paths of every run, in the same order.
    pub monthly: Vec<Timeseries>,
    /// What was run.
    pub manifest: StudyManifest,
}

impl Study {
    /// The command that made it.
    pub fn kind(&self) -> StudyKind {
        self.result.kind()
    }

    /// The data files: the JSON, the CSV of differences, the per-path and
    /// monthly CSVs and the manifest.
    pub fn data_files(&self) -> Vec<(String, Vec<u8>)> {
        let kind = self.kind();
        let subject = kind.subject();
        let [json, csv, paths, timeseries, manifest] = kind.data_file_names();
        let names: Vec<&str> = self.samples.iter().map(|s| s.name.as_str()).collect();
        vec![
            (json, self.result.json().into_bytes()),
            (csv, comparison_csv(self.result.comparison(), subject)),
            (paths, samples_csv(subject.noun, &self.samples)),
            (timeseries, monthly_csv(subject.noun, &names, &self.monthly)),
            (manifest, to_json(&self.manifest).into_bytes()),
        ]
    }

    /// The page and plots, drawn from the study's data files as written:
    /// what the command writes and what `report` redraws.
    pub fn report_files(&self) -> Vec<(String, Vec<u8>)> {
        super::compare::render(self)
    }

    /// Every file of the study.
    pub fn files(&self) -> Vec<(String, Vec<u8>)> {
        let mut files = self.data_files();
        files.extend(self.report_files());
        files
    }

    /// Parses a study's data files, given by name (as [`StudyKind::data_file_names`]).
    pub fn parse(get: impl Fn(&str) -> Result<Vec<u8>, InputError>) -> Result<Study, InputError> {
        let manifest_bytes = get("manifest.json")?;
        let manifest: StudyManifest = serde_json::from_slice(&manifest_bytes)
            .map_err(|e| corrupt("manifest.json", format!("not a study manifest: {e}")))?;
        if manifest.format != MANIFEST_FORMAT {
            return Err(corrupt(
                "manifest.json",
                format!("format is {:?}, expected {MANIFEST_FORMAT:?}", manifest.format),
            ));
        }
        if manifest.format_version > MANIFEST_VERSION {
            return Err(corrupt(
                "manifest.json",
                format!(
                    "format_version {} is newer than this build reads ({MANIFEST_VERSION}); use a newer creditstress",
                    manifest.format_version
                ),
            ));
        }
        let kind = manifest.study.kind().ok_or_else(|| {
            corrupt(
                "manifest.json",
                format!("is a {:?} manifest, not a compare's or stress's", manifest.study),
            )
        })?;
        let subject = kind.subject();
        let [json_name, _, paths_name, timeseries_name, _] = kind.data_file_names();
        let json = get(&json_name)?;
        check_figures(&json_name, &json)?;
        let result = match kind {
            StudyKind::Compare => StudyResult::Compare(
                serde_json::from_slice(&json).map_err(|e| corrupt(&json_name, format!("not a comparison: {e}")))?,
            ),
            StudyKind::Stress => StudyResult::Stress(
                serde_json::from_slice(&json).map_err(|e| corrupt(&json_name, format!("not a stress test: {e}")))?,
            ),
        };
        let c = result.comparison();
        let names: Vec<&str> = c.policies.iter().map(|p| p.name.as_str()).collect();
        if manifest.runs.len() != names.len()
            || manifest.runs.iter().zip(&names).any(|(r, n)| r.name != *n)
            || manifest.paths != c.paths
            || manifest.seed != c.seed
        {
            return Err(corrupt(
                "manifest.json",
                format!("does not describe the study in {json_name} (its runs, paths or seed differ)"),
            ));
        }
        let loans: Vec<u64> = c.policies.iter().map(|p| p.loans).collect();
        let samples = parse_samples(&paths_name, subject.noun, &names, &loans, c.paths, &get(&paths_name)?)?;
        let monthly = parse_monthly(&timeseries_name, subject.noun, &names, &get(&timeseries_name)?)?;
        Ok(Study {
            result,
            samples,
            monthly,
            manifest,
        })
    }

    /// Reads a study's data files from its folder; errors name the file.
    pub fn load(dir: &Path) -> Result<Study, InputError> {
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
        Study::parse(read).map_err(|e| match e {
            InputError::Corrupt { path, problem } => InputError::Corrupt {
                path: dir.join(path),
                problem,
            },
            other => other,
        })
    }
}

/// Whether `manifest` (the bytes of a `manifest.json`) is a study's rather than a run's.
pub fn is_study_manifest(manifest: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Format {
        format: Option<String>,
    }
    serde_json::from_slice::<Format>(manifest).is_ok_and(|f| f.format.as_deref() == Some(MANIFEST_FORMAT))
}

/// The per-path columns, in this order after the run's name and the path.
const SAMPLE_COLUMNS: [&str; 5] = [
    "loss",
    "default_rate",
    "interest_income",
    "net_income",
    "pnl_net_income",
];

/// `<stem>_paths.csv`: one row per (run, path): loss, default rate (charge-offs
/// / loans booked), interest income, net income (interest - loss - collection
/// and recovery cost) and, with `[economics]`, the P&L's net income (empty without).
pub fn samples_csv(noun: &str, samples: &[PolicySample]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec![noun, "path"];
    header.extend(SAMPLE_COLUMNS);
    w.write_record(&header).expect("writing CSV to memory cannot fail");
    for s in samples {
        for k in 0..s.loss.len() {
            let pnl = s.pnl_net_income.as_ref().map_or(String::new(), |v| v[k].to_string());
            w.write_record([
                s.name.clone(),
                k.to_string(),
                s.loss[k].to_string(),
                s.default_rate[k].to_string(),
                s.interest[k].to_string(),
                s.net_income[k].to_string(),
                pnl,
            ])
            .expect("writing CSV to memory cannot fail");
        }
    }
    w.into_inner().expect("flushing CSV to memory cannot fail")
}

fn parse_samples(
    file: &str,
    noun: &str,
    names: &[&str],
    loans: &[u64],
    paths: u64,
    bytes: &[u8],
) -> Result<Vec<PolicySample>, InputError> {
    let mut reader = csv::Reader::from_reader(bytes);
    let header = reader
        .headers()
        .map_err(|e| corrupt(file, format!("bad header: {e}")))?
        .clone();
    let mut expected = vec![noun, "path"];
    expected.extend(SAMPLE_COLUMNS);
    if header.iter().ne(expected.iter().copied()) {
        return Err(corrupt(file, format!("expected the columns {}", expected.join(","))));
    }
    let mut samples: Vec<PolicySample> = names
        .iter()
        .zip(loans)
        .map(|(name, &loans)| PolicySample {
            name: name.to_string(),
            loans,
            loss: Vec::new(),
            default_rate: Vec::new(),
            interest: Vec::new(),
            net_income: Vec::new(),
            pnl_net_income: None,
        })
        .collect();
    let mut pnl: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    let mut run = 0;
    for (i, record) in reader.records().enumerate() {
        let row = i + 2;
        let record = record.map_err(|e| corrupt(file, format!("row {row}: {e}")))?;
        // Rows come run by run, each with paths 0, 1, ...
        while run < names.len() && samples[run].loss.len() as u64 == paths {
            run += 1;
        }
        let name = record.get(0).unwrap_or("");
        if run == names.len() || name != names[run] {
            let expected = names
                .get(run)
                .map_or("no more rows".to_string(), |n| format!("{noun} {n:?}"));
            return Err(corrupt(
                file,
                format!("row {row}: {noun} {name:?}, expected {expected}"),
            ));
        }
        let s = &mut samples[run];
        let path = parse_number(file, row, "path", record.get(1).unwrap_or(""))?;
        if path != s.loss.len() as f64 {
            return Err(corrupt(
                file,
                format!("row {row}: path {path}, expected {}", s.loss.len()),
            ));
        }
        let value = |c: usize| parse_number(file, row, SAMPLE_COLUMNS[c - 2], record.get(c).unwrap_or(""));
        s.loss.push(value(2)?);
        s.default_rate.push(value(3)?);
        s.interest.push(value(4)?);
        s.net_income.push(value(5)?);
        if !record.get(6).unwrap_or("").is_empty() {
            pnl[run].push(value(6)?);
        }
    }
    for (s, pnl) in samples.iter_mut().zip(pnl) {
        if s.loss.len() as u64 != paths {
            return Err(corrupt(
                file,
                format!("{noun} {:?} has {} paths, expected {paths}", s.name, s.loss.len()),
            ));
        }
        if !pnl.is_empty() {
            if pnl.len() != s.loss.len() {
                return Err(corrupt(
                    file,
                    format!("{noun} {:?}: pnl_net_income is given on only some paths", s.name),
                ));
            }
            s.pnl_net_income = Some(pnl);
        }
    }
    Ok(samples)
}

/// The band columns of `<stem>_timeseries.csv`, after the run, the month and the quantity.
const BAND_COLUMNS: [&str; 6] = ["mean", "p05", "p25", "p50", "p75", "p95"];

/// `<stem>_timeseries.csv`: in long form, one row per (run, month, quantity)
/// with the mean and 5/25/50/75/95th percentiles across paths; the
/// quantities are those of a run's `timeseries.csv`.
pub fn monthly_csv(noun: &str, names: &[&str], monthly: &[Timeseries]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec![noun, "month", "quantity"];
    header.extend(BAND_COLUMNS);
    w.write_record(&header).expect("writing CSV to memory cannot fail");
    for (name, series) in names.iter().zip(monthly) {
        for (t, row) in series.rows.iter().enumerate() {
            for (quantity, b) in series.names.iter().zip(row) {
                let mut record = vec![name.to_string(), (t + 1).to_string(), quantity.clone()];
                record.extend([b.mean, b.p05, b.p25, b.p50, b.p75, b.p95].iter().map(f64::to_string));
                w.write_record(&record).expect("writing CSV to memory cannot fail");
            }
        }
    }
    w.into_inner().expect("flushing CSV to memory cannot fail")
}

fn parse_monthly(file: &str, noun: &str, names: &[&str], bytes: &[u8]) -> Result<Vec<Timeseries>, InputError> {
    let mut reader = csv::Reader::from_reader(bytes);
    let header = reader
        .headers()
        .map_err(|e| corrupt(file, format!("bad header: {e}")))?
        .clone();
    let mut expected = vec![noun, "month", "quantity"];
    expected.extend(BAND_COLUMNS);
    if header.iter().ne(expected.iter().copied()) {
        return Err(corrupt(file, format!("expected the columns {}", expected.join(","))));
    }
    let mut monthly: Vec<Timeseries> = names
        .iter()
        .map(|_| Timeseries {
            names: Vec::new(),
            rows: Vec::new(),
        })
        .collect();
    for (i, record) in reader.records().enumerate() {
        let row = i + 2;
        let record = record.map_err(|e| corrupt(file, format!("row {row}: {e}")))?;
        let name = record.get(0).unwrap_or("");
        let run = names
            .iter()
            .position(|n| *n == name)
            .ok_or_else(|| corrupt(file, format!("row {row}: {noun} {name:?} is not one of the study's")))?;
        let month = parse_number(file, row, "month", record.get(1).unwrap_or(""))?;
        let quantity = record.get(2).unwrap_or("").to_string();
        let v: Vec<f64> = (0..BAND_COLUMNS.len())
            .map(|c| parse_number(file, row, BAND_COLUMNS[c], record.get(3 + c).unwrap_or("")))
            .collect::<Result<_, _>>()?;
        let band = Band {
            mean: v[0],
            p05: v[1],
            p25: v[2],
            p50: v[3],
            p75: v[4],
            p95: v[5],
        };
        let series = &mut monthly[run];
        // Month 1 lists the quantities; later months repeat them in that order.
        if month == 1.0 && series.rows.len() <= 1 {
            if series.rows.is_empty() {
                series.rows.push(Vec::new());
            }
            series.names.push(quantity);
            series.rows[0].push(band);
            continue;
        }
        let t = series.rows.len();
        let last = series.rows.last().map_or(0, Vec::len);
        let (month_now, slot) = if last == series.names.len() {
            (t + 1, 0)
        } else {
            (t, last)
        };
        if month != month_now as f64 || series.names.get(slot) != Some(&quantity) {
            return Err(corrupt(
                file,
                format!(
                    "row {row}: month {month}, {quantity:?}; expected month {month_now}, {:?}",
                    series.names.get(slot).map_or("", String::as_str)
                ),
            ));
        }
        if slot == 0 {
            series.rows.push(Vec::new());
        }
        series.rows.last_mut().expect("a row was just pushed").push(band);
    }
    if let Some((k, _)) = monthly
        .iter()
        .enumerate()
        .find(|(_, s)| s.rows.last().is_some_and(|r| r.len() != s.names.len()))
    {
        return Err(corrupt(
            file,
            format!("{noun} {:?}: the last month is cut short", names[k]),
        ));
    }
    Ok(monthly)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn band(x: f64) -> Band {
        Band {
            mean: x,
            p05: x - 0.1,
            p25: x - 0.05,
            p50: x + 1e-17,
            p75: x + 0.05,
            p95: x + 0.1,
        }
    }

    #[test]
    fn monthly_bands_read_back_exactly() {
        let a = Timeseries {
            names: vec!["dpd30_rate".into(), "factor_national".into()],
            rows: vec![
                vec![band(0.1), band(-1.0)],
                vec![band(0.2), band(-0.5)],
                vec![band(0.3), band(0.0)],
            ],
        };
        let b = Timeseries {
            names: vec!["dpd30_rate".into()],
            rows: vec![vec![band(1.0 / 3.0)]],
        };
        let bytes = monthly_csv("scenario", &["a", "b,c"], &[a.clone(), b.clone()]);
        let back = parse_monthly("t.csv", "scenario", &["a", "b,c"], &bytes).unwrap();
        assert_eq!(back, vec![a, b]);
        // A row out of place is named.
        let text = String::from_utf8(bytes).unwrap();
        let mut lines: Vec<&str> = text.lines().collect();
        lines.swap(2, 3);
        let e = parse_monthly("t.csv", "scenario", &["a", "b,c"], lines.join("\n").as_bytes()).unwrap_err();
        assert!(e.to_string().contains("row 4: month 1"), "{e}");
    }

    #[test]
    fn per_path_samples_read_back_exactly_and_a_missing_path_is_named() {
        let s = |name: &str, pnl: bool| PolicySample {
            name: name.into(),
            loans: 7,
            loss: vec![1.5, 0.1 + 0.2],
            default_rate: vec![0.0, 1.0 / 7.0],
            interest: vec![3.0, 4.0],
            net_income: vec![1.5, -2.25],
            pnl_net_income: pnl.then(|| vec![0.5, -1.0]),
        };
        let samples = vec![s("base", false), s("adverse", true)];
        let bytes = samples_csv("scenario", &samples);
        let back = parse_samples("p.csv", "scenario", &["base", "adverse"], &[7, 7], 2, &bytes).unwrap();
        assert_eq!(back, samples);
        let e = parse_samples("p.csv", "scenario", &["base", "adverse"], &[7, 7], 3, &bytes).unwrap_err();
        assert!(
            e.to_string().contains("expected 2") || e.to_string().contains("row"),
            "{e}"
        );
        let e = parse_samples("p.csv", "policy", &["base", "adverse"], &[7, 7], 2, &bytes).unwrap_err();
        assert!(e.to_string().contains("expected the columns"), "{e}");
    }
}
