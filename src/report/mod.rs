//! Reports: the last stage. Exporters are pure functions from results to
//! bytes; [`write_set`] is the one place that writes an output set, as one
//! transaction (staged, then moved into place, undone on failure) so that a
//! reader never sees half a file or a mix of two runs; [`write_atomic`]
//! writes a lone file (temporary name, then rename).

pub mod calibration;
pub mod compare;
pub mod html;
pub mod input;
pub mod plots;
pub mod study;
pub mod sweep;
pub mod tape;
#[cfg(feature = "parquet")]
pub mod tape_parquet;

pub use html::ReportFiles;
pub use input::{InputError, ReportInput};

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::engine::PathOutcome;
use crate::population::cents_to_money;
use crate::scenario::{Scenario, ScenarioFile};
use crate::stats::{RunSummary, Timeseries};

/// What `manifest.json` records: enough to reproduce the run exactly.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Manifest {
    /// Program name.
    pub program: String,
    /// Program version.
    pub version: String,
    /// Path of the scenario file as given.
    pub scenario_file: String,
    /// SHA-256 of the scenario file's bytes.
    pub scenario_sha256: String,
    /// The scenario with every default filled in and CLI overrides applied.
    pub scenario: ScenarioFile,
    /// The data files the scenario names (an imported book), with their SHA-256.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_files: Vec<DataFile>,
    /// Master seed.
    pub seed: u64,
    /// Paths.
    pub paths: u64,
    /// Worker threads (results do not depend on it).
    pub threads: usize,
    /// Wall time in seconds.
    pub wall_seconds: f64,
    /// The command to rerun.
    pub command: String,
}

/// A data file a scenario names, as a manifest records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct DataFile {
    /// The path as the scenario names it (relative to the scenario's folder).
    pub path: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
}

impl DataFile {
    /// The attached files of a scenario.
    pub fn of(scenario: &ScenarioFile) -> Vec<DataFile> {
        scenario
            .attachments
            .digests()
            .into_iter()
            .map(|(path, sha256)| DataFile { path, sha256 })
            .collect()
    }
}

/// Hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Pretty JSON with a trailing newline.
pub fn to_json<T: Serialize>(value: &T) -> String {
    let mut s = serde_json::to_string_pretty(value).expect("report structs serialise to JSON");
    s.push('\n');
    s
}

/// `paths.csv`: one row per path.
pub fn paths_csv(scenario: &Scenario, paths: &[PathOutcome]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec![
        "path".to_string(),
        "loss".into(),
        "loss_rate".into(),
        "defaults".into(),
        "interest_income".into(),
        "net_income".into(),
        "recoveries".into(),
        "recoveries_after_horizon".into(),
        "economic_loss".into(),
        "fraud_loss".into(),
    ];
    header.extend(scenario.segments.iter().map(|s| format!("loss_{}", s.name)));
    // A going-concern book's exposure (the loss rate's base) and loans vary by path.
    let going_concern = paths.iter().any(|p| p.tally.flow.is_some());
    if going_concern {
        header.extend(["exposure".to_string(), "loans_booked".into()]);
    }
    // With [economics]: the P&L's net income over the horizon.
    let economics = paths.iter().any(|p| p.pnl.is_some());
    if economics {
        header.push("pnl_net_income".to_string());
    }
    // The start month of each path-level event (empty when it did not happen).
    header.extend(scenario.event_names().iter().map(|n| format!("{n}_month")));
    // Importance sampling: each path's likelihood-ratio weight (every figure is a mean weighted by it).
    let weighted = paths.iter().any(|p| p.weight != 1.0);
    if weighted {
        header.push("weight".to_string());
    }
    w.write_record(&header).expect("writing CSV to memory cannot fail");
    for p in paths {
        let interest = cents_to_money(p.tally.interest);
        let mut row = vec![
            p.index.to_string(),
            p.tally.loss.to_string(),
            p.loss_rate().to_string(),
            p.tally.defaults.to_string(),
            interest.to_string(),
            p.tally.net_income().to_string(),
            p.tally.recoveries.to_string(),
            p.tally.recoveries_after_horizon.to_string(),
            p.tally.economic_loss.to_string(),
            p.tally.fraud_loss.to_string(),
        ];
        row.extend(p.tally.segment_loss.iter().map(f64::to_string));
        if let Some(f) = p.tally.flow.as_deref() {
            row.extend([p.exposure.to_string(), f.total_loans().to_string()]);
        }
        if let Some(net) = p.pnl_net_income() {
            row.push(net.to_string());
        }
        row.extend(
            p.tally
                .event_months
                .iter()
                .map(|&m| if m == 0 { String::new() } else { m.to_string() }),
        );
        if weighted {
            row.push(p.weight.to_string());
        }
        w.write_record(&row).expect("writing CSV to memory cannot fail");
    }
    w.into_inner().expect("flushing CSV to memory cannot fail")
}

/// `timeseries.csv`: per month, mean and 5/25/50/75/95th percentiles of each quantity.
pub fn timeseries_csv(series: &Timeseries) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["month".to_string()];
    for name in &series.names {
        for stat in ["mean", "p05", "p25", "p50", "p75", "p95"] {
            header.push(format!("{name}_{stat}"));
        }
    }
    w.write_record(&header).expect("writing CSV to memory cannot fail");
    for (t, row) in series.rows.iter().enumerate() {
        let mut rec = vec![(t + 1).to_string()];
        for b in row {
            rec.extend([b.mean, b.p05, b.p25, b.p50, b.p75, b.p95].iter().map(f64::to_string));
        }
        w.write_record(&rec).expect("writing CSV to memory cannot fail");
    }
    w.into_inner().expect("flushing CSV to memory cannot fail")
}

/// `vintages.csv`: per vintage and month on book, the loans and balance it
/// booked (means over the paths on which it booked any) and the mean and
/// 5/25/50/75/95th percentiles of its cumulative default and loss rates.
pub fn vintages_csv(points: &[crate::stats::vintages::VintagePoint]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = [
        "vintage",
        "first_month",
        "last_month",
        "months_on_book",
        "paths",
        "loans_booked_mean",
        "balance_booked_mean",
    ]
    .map(String::from)
    .to_vec();
    for name in ["cumulative_default_rate", "cumulative_loss_rate_of_balance_booked"] {
        for stat in ["mean", "p05", "p25", "p50", "p75", "p95"] {
            header.push(format!("{name}_{stat}"));
        }
    }
    w.write_record(&header).expect("writing CSV to memory cannot fail");
    for v in points {
        let mut rec = vec![
            v.vintage.clone(),
            v.first_month.to_string(),
            v.last_month.to_string(),
            v.months_on_book.to_string(),
            v.paths.to_string(),
            v.loans.to_string(),
            v.booked_balance.to_string(),
        ];
        for b in [&v.cumulative_default_rate, &v.cumulative_loss_rate] {
            rec.extend([b.mean, b.p05, b.p25, b.p50, b.p75, b.p95].iter().map(f64::to_string));
        }
        w.write_record(&rec).expect("writing CSV to memory cannot fail");
    }
    w.into_inner().expect("flushing CSV to memory cannot fail")
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("output");
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let result = fs::write(&tmp, bytes).and_then(|()| fs::rename(&tmp, path));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// The files of a finished run, rendered, before anything touches the disk.
#[derive(Debug, Clone)]
pub struct RunFiles {
    /// `(file name, contents)` pairs.
    pub files: Vec<(&'static str, Vec<u8>)>,
}

impl RunFiles {
    /// Renders summary, paths, timeseries, manifest and (for a going-concern book) vintages.
    pub fn render(
        scenario: &Scenario,
        summary: &RunSummary,
        series: &Timeseries,
        paths: &[PathOutcome],
        manifest: &Manifest,
    ) -> Self {
        let mut files = vec![
            ("summary.json", to_json(summary).into_bytes()),
            ("paths.csv", paths_csv(scenario, paths)),
            ("timeseries.csv", timeseries_csv(series)),
            ("manifest.json", to_json(manifest).into_bytes()),
        ];
        let vintages = crate::stats::vintages::vintage_curves(paths);
        if !vintages.is_empty() {
            files.insert(3, ("vintages.csv", vintages_csv(&vintages)));
        }
        RunFiles { files }
    }
}

/// Every file a run's output set can hold (data files, report and plots),
/// relative to its folder: what a new run or a redrawn report removes when
/// its own set lacks it, so that no older run's file stays beside it.
pub fn run_output_names() -> Vec<String> {
    let mut names: Vec<String> = [
        "summary.json",
        "paths.csv",
        "timeseries.csv",
        "vintages.csv",
        "manifest.json",
    ]
    .map(String::from)
    .to_vec();
    names.extend(report_output_names());
    names
}

/// Every file `report` can write: report.html and each plot's PNG and SVG.
pub fn report_output_names() -> Vec<String> {
    let mut names = vec!["report.html".to_string()];
    for plot in plots::PLOT_NAMES
        .iter()
        .chain(&plots::GOING_CONCERN_PLOT_NAMES)
        .chain(&plots::ECONOMICS_PLOT_NAMES)
    {
        names.push(format!("plots/{plot}.png"));
        names.push(format!("plots/{plot}.svg"));
    }
    names
}

/// Prefix of the folder a set is staged in before it moves into place.
pub const STAGING_PREFIX: &str = ".creditstress-staging-";
/// Prefix of the folder the files a set replaces wait in until it is in place.
pub const BACKUP_PREFIX: &str = ".creditstress-backup-";

/// Writes a whole output set under `dir` as one transaction: every file is
/// written and synced in a staging folder inside `dir` first; then the
/// files it replaces, and those of `stale` (relative paths of outputs of the
/// same kind that this set does not have, e.g. an older run's
/// `vintages.csv` or a plot this run does not draw), move to a backup
/// folder; then the new files move into place. If a move fails, the moves
/// are undone and the old set is restored, so the folder holds either the
/// old set or the new one, never a mix. Returns the paths written.
pub fn write_set(dir: &Path, files: &[(String, Vec<u8>)], stale: &[String]) -> io::Result<Vec<PathBuf>> {
    use std::io::Write;
    fs::create_dir_all(dir)?;
    let pid = std::process::id();
    let staging = dir.join(format!("{STAGING_PREFIX}{pid}"));
    let backup = dir.join(format!("{BACKUP_PREFIX}{pid}"));
    let stage = || -> io::Result<()> {
        for (name, bytes) in files {
            let path = staging.join(name);
            fs::create_dir_all(path.parent().unwrap_or(&staging))?;
            let mut file = fs::File::create(&path)?;
            file.write_all(bytes)?;
            file.sync_all()?;
        }
        Ok(())
    };
    if let Err(e) = stage() {
        let _ = fs::remove_dir_all(&staging);
        return Err(e);
    }
    // Move aside what the set replaces, then move the set in; undo on failure.
    let mut displaced: Vec<String> = Vec::new();
    let mut placed: Vec<PathBuf> = Vec::new();
    let swap = |displaced: &mut Vec<String>, placed: &mut Vec<PathBuf>| -> io::Result<()> {
        let names = files
            .iter()
            .map(|(n, _)| n.as_str())
            .chain(stale.iter().map(String::as_str));
        for name in names {
            let target = dir.join(name);
            if target.is_file() && !displaced.iter().any(|d| d == name) {
                let aside = backup.join(name);
                fs::create_dir_all(aside.parent().unwrap_or(&backup))?;
                fs::rename(&target, &aside)?;
                displaced.push(name.to_string());
            }
        }
        for (name, _) in files {
            let target = dir.join(name);
            if let Some(parent) = target.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::rename(staging.join(name), &target)?;
            placed.push(target);
        }
        Ok(())
    };
    let result = swap(&mut displaced, &mut placed);
    if let Err(e) = result {
        for path in &placed {
            let _ = fs::remove_file(path);
        }
        for name in &displaced {
            let _ = fs::rename(backup.join(name), dir.join(name));
        }
        let _ = fs::remove_dir_all(&staging);
        let _ = fs::remove_dir_all(&backup);
        return Err(e);
    }
    let _ = fs::remove_dir_all(&staging);
    let _ = fs::remove_dir_all(&backup);
    Ok(placed)
}

/// Writes `(relative path, bytes)` pairs under `dir` as one set (see
/// [`write_set`]), replacing same-named files and nothing else; returns the paths written.
pub fn write_files<'a>(dir: &Path, files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> io::Result<Vec<PathBuf>> {
    let files: Vec<(String, Vec<u8>)> = files.into_iter().map(|(n, b)| (n.to_string(), b.to_vec())).collect();
    write_set(dir, &files, &[])
}
