//! Reports: the last stage. Exporters are pure functions from results to
//! bytes; [`write_set`] is the one place that writes an output set, as one
//! transaction (staged, then moved into place, undone on failure) so that a
//! reader never sees half a file or a mix of two runs; [`write_atomic`]
//! writes a lone file (temporary name, then rename).

pub mod calibration;
pub mod compare;
pub mod html;
pub mod input;
pub mod monthly;
#[cfg(feature = "parquet")]
pub mod monthly_parquet;
pub mod page;
pub mod plots;
pub mod schema;
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
    /// The layout's version, [`MANIFEST_FORMAT_VERSION`] (1): raised when a field changes meaning or
    /// goes away, never for an added field; manifests written before the
    /// field existed read as 0.
    #[serde(default)]
    pub format_version: u32,
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
    /// The opt-in tables written beside the run's files (`run --export`),
    /// e.g. `monthly.csv`; absent when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exports: Vec<String>,
}

/// The `format_version` of a run's manifest.json this program writes.
pub const MANIFEST_FORMAT_VERSION: u32 = 1;

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
        "monthly.csv",
        "monthly.parquet",
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
/// Prefix of the journal that names a set while it moves into place: while
/// it exists the move is unfinished, and [`recover_interrupted_sets`] puts
/// the older set back.
pub const JOURNAL_PREFIX: &str = ".creditstress-journal-";

/// Writes a whole output set under `dir` as one transaction: every file is
/// written and synced in a staging folder inside `dir` first; then a journal
/// naming the set is synced; then the files it replaces, and those of
/// `stale` (relative paths of outputs of the same kind that this set does
/// not have, e.g. an older run's `vintages.csv` or a plot this run does not
/// draw), move to a backup folder; then the new files move into place; then
/// the journal goes (the commit point). If a move fails, the moves are
/// undone and the old set is restored; if the process dies during the moves
/// (SIGKILL, power loss), the journal stays, and the next command that takes
/// the folder's lock restores the old set ([`recover_interrupted_sets`]). So
/// the folder holds either the old set or the new one, never a mix, and the
/// user's own files in it are never touched. Returns the paths written.
///
/// Why not stage a whole folder and swap it in with one rename: the
/// folder's own files (a user's notes, a `shards/` tree) would have to be
/// copied into it, and a shell or viewer open in the folder would be left
/// in the old, deleted one.
pub fn write_set(dir: &Path, files: &[(String, Vec<u8>)], stale: &[String]) -> io::Result<Vec<PathBuf>> {
    write_set_observed(dir, files, stale, &mut |_| {})
}

/// [`write_set`], calling `after_move(k)` after the k-th move of the swap
/// (k = 1, 2, ...) and with k = 0 after the commit: the hook a test uses to
/// stop the process at every point of the swap.
#[doc(hidden)]
pub fn write_set_observed(
    dir: &Path,
    files: &[(String, Vec<u8>)],
    stale: &[String],
    after_move: &mut dyn FnMut(usize),
) -> io::Result<Vec<PathBuf>> {
    use std::io::Write;
    fs::create_dir_all(dir)?;
    let pid = std::process::id();
    let staging = dir.join(format!("{STAGING_PREFIX}{pid}"));
    let backup = dir.join(format!("{BACKUP_PREFIX}{pid}"));
    let journal = dir.join(format!("{JOURNAL_PREFIX}{pid}"));
    let stage = || -> io::Result<()> {
        for (name, bytes) in files {
            let path = staging.join(name);
            fs::create_dir_all(path.parent().unwrap_or(&staging))?;
            let mut file = fs::File::create(&path)?;
            file.write_all(bytes)?;
            file.sync_all()?;
        }
        let names: String = files.iter().map(|(n, _)| format!("{n}\n")).collect();
        write_synced(&journal, names.as_bytes())?;
        sync_folder(dir)
    };
    if let Err(e) = stage() {
        let _ = fs::remove_dir_all(&staging);
        let _ = fs::remove_file(&journal);
        return Err(e);
    }
    // Move aside what the set replaces, then move the set in; undo on failure.
    let mut displaced: Vec<String> = Vec::new();
    let mut placed: Vec<PathBuf> = Vec::new();
    let mut moves = 0;
    let mut swap = |displaced: &mut Vec<String>, placed: &mut Vec<PathBuf>| -> io::Result<()> {
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
                moves += 1;
                after_move(moves);
            }
        }
        for (name, _) in files {
            let target = dir.join(name);
            if let Some(parent) = target.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::rename(staging.join(name), &target)?;
            placed.push(target);
            moves += 1;
            after_move(moves);
        }
        sync_folder(dir)
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
        let _ = fs::remove_file(&journal);
        return Err(e);
    }
    // The commit point: from here a recovery keeps the new set.
    fs::remove_file(&journal)?;
    let _ = sync_folder(dir);
    after_move(0);
    let _ = fs::remove_dir_all(&staging);
    let _ = fs::remove_dir_all(&backup);
    Ok(placed)
}

/// Writes `bytes` to `path` and syncs it.
fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let mut file = fs::File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Syncs a folder's entries (its renames) to the disk, where the platform allows.
fn sync_folder(dir: &Path) -> io::Result<()> {
    match fs::File::open(dir) {
        Ok(folder) => folder.sync_all().or(Ok(())),
        Err(_) => Ok(()),
    }
}

/// Undoes the swap of every set whose command died while moving it into
/// place (its journal is still in `dir`): the files it had moved in are
/// removed, the older files it had moved aside go back, and its staging and
/// backup folders and journal go. Call it with the folder's lock held, so
/// that no live command is writing. Safe to interrupt and run again: the
/// journal is emptied once the new files are out, and removed last. Returns
/// one line per set put back.
pub fn recover_interrupted_sets(dir: &Path) -> io::Result<Vec<String>> {
    let mut notes = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(notes);
    };
    let mut journals: Vec<(PathBuf, String)> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let pid = pid_suffix(&name, JOURNAL_PREFIX)?;
            Some((e.path(), pid.to_string()))
        })
        .collect();
    journals.sort();
    for (journal, pid) in journals {
        let staging = dir.join(format!("{STAGING_PREFIX}{pid}"));
        let backup = dir.join(format!("{BACKUP_PREFIX}{pid}"));
        let listed = fs::read_to_string(&journal)?;
        // A listed file no longer staged was moved in by the dead command.
        for name in listed.lines().filter(|n| !n.is_empty() && !n.contains("..")) {
            if !staging.join(name).exists() && dir.join(name).is_file() {
                fs::remove_file(dir.join(name))?;
            }
        }
        write_synced(&journal, b"")?;
        let mut restored = 0;
        for rel in files_under(&backup) {
            let target = dir.join(&rel);
            if let Some(parent) = target.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::rename(backup.join(&rel), &target)?;
            restored += 1;
        }
        sync_folder(dir)?;
        let _ = fs::remove_dir_all(&staging);
        let _ = fs::remove_dir_all(&backup);
        fs::remove_file(&journal)?;
        notes.push(format!(
            "put back the older set in {} ({restored} files): process {pid} was killed while moving its own into place",
            dir.display()
        ));
    }
    Ok(notes)
}

/// The process id `name` ends with after `prefix` (`.creditstress-journal-123`
/// gives `123`): how a command's temporary files and folders are named.
pub fn pid_suffix<'a>(name: &'a str, prefix: &str) -> Option<&'a str> {
    name.strip_prefix(prefix)
        .filter(|pid| !pid.is_empty() && pid.chars().all(|c| c.is_ascii_digit()))
}

/// Every file under `root`, relative to it, sorted (none if `root` is absent).
fn files_under(root: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else if let Ok(rel) = path.strip_prefix(root) {
                out.push(rel.to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

/// Writes `(relative path, bytes)` pairs under `dir` as one set (see
/// [`write_set`]), replacing same-named files and nothing else; returns the paths written.
pub fn write_files<'a>(dir: &Path, files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> io::Result<Vec<PathBuf>> {
    let files: Vec<(String, Vec<u8>)> = files.into_iter().map(|(n, b)| (n.to_string(), b.to_vec())).collect();
    write_set(dir, &files, &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file under `dir` but the transaction's own, with its contents.
    fn visible(dir: &Path) -> Vec<(String, String)> {
        files_under(dir)
            .into_iter()
            .filter(|p| !p.to_string_lossy().starts_with(".creditstress-"))
            .map(|p| {
                let text = fs::read_to_string(dir.join(&p)).unwrap();
                (p.to_string_lossy().into_owned(), text)
            })
            .collect()
    }

    fn older_set(dir: &Path) {
        fs::create_dir_all(dir.join("plots")).unwrap();
        for (name, text) in [
            ("a.txt", "old a"),
            ("plots/p.png", "old p"),
            ("stale.csv", "old stale"),
            ("mine.txt", "the user's"),
        ] {
            fs::write(dir.join(name), text).unwrap();
        }
    }

    fn newer_set() -> Vec<(String, Vec<u8>)> {
        [("a.txt", "new a"), ("plots/p.png", "new p"), ("b.txt", "new b")]
            .map(|(n, t)| (n.to_string(), t.as_bytes().to_vec()))
            .to_vec()
    }

    /// A process killed at any move of the swap (simulated by a panic that
    /// skips every line after it, as SIGKILL would) leaves a journal, and the
    /// recovery puts back exactly the older set, the user's file included;
    /// killed after the commit, the new set stays.
    #[test]
    fn a_swap_killed_at_any_move_is_undone_to_the_older_set() {
        let stale = vec!["stale.csv".to_string()];
        let moves = 6; // three files moved aside, three moved in
        for kill_at in 0..=moves {
            let tmp = tempfile::TempDir::new().unwrap();
            let dir = tmp.path();
            older_set(dir);
            let before = visible(dir);
            let files = newer_set();
            let crashed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                write_set_observed(dir, &files, &stale, &mut |k| {
                    if k == kill_at {
                        panic!("killed after move {k}");
                    }
                })
            }));
            assert!(crashed.is_err(), "the kill at move {kill_at} happened");
            let journal = dir.join(format!("{JOURNAL_PREFIX}{}", std::process::id()));
            let notes = recover_interrupted_sets(dir).unwrap();
            if kill_at == 0 {
                // Past the commit point: the journal is gone and the new set stands.
                assert!(notes.is_empty(), "{notes:?}");
                let after: Vec<String> = visible(dir).into_iter().map(|(n, t)| format!("{n}={t}")).collect();
                assert_eq!(
                    after,
                    ["a.txt=new a", "b.txt=new b", "mine.txt=the user's", "plots/p.png=new p"],
                );
                continue;
            }
            assert_eq!(notes.len(), 1, "kill at move {kill_at}: {notes:?}");
            assert!(!journal.exists());
            assert_eq!(visible(dir), before, "kill at move {kill_at}: the older set, whole");
            let left: Vec<PathBuf> = files_under(dir)
                .into_iter()
                .filter(|p| p.to_string_lossy().starts_with(".creditstress-"))
                .collect();
            assert!(left.is_empty(), "kill at move {kill_at}: {left:?} left");
            // A second recovery finds nothing to do.
            assert!(recover_interrupted_sets(dir).unwrap().is_empty());
        }
    }

    /// A recovery that is itself killed after the new files are out (its
    /// journal emptied) and run again still ends with the older set.
    #[test]
    fn a_recovery_killed_halfway_and_run_again_ends_with_the_older_set() {
        let tmp = tempfile::TempDir::new().unwrap();
        let dir = tmp.path();
        older_set(dir);
        let before = visible(dir);
        let files = newer_set();
        let stale = vec!["stale.csv".to_string()];
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            write_set_observed(dir, &files, &stale, &mut |k| {
                if k == 5 {
                    panic!("killed");
                }
            })
        }));
        let pid = std::process::id();
        // The first recovery's first half: the moved-in files out, the journal emptied, one file back.
        for name in ["a.txt", "plots/p.png"] {
            fs::remove_file(dir.join(name)).unwrap();
        }
        fs::write(dir.join(format!("{JOURNAL_PREFIX}{pid}")), b"").unwrap();
        fs::rename(dir.join(format!("{BACKUP_PREFIX}{pid}/a.txt")), dir.join("a.txt")).unwrap();
        recover_interrupted_sets(dir).unwrap();
        assert_eq!(visible(dir), before);
    }
}
