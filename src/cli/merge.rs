//! `creditstress merge`: put the shards of a study back together.
//!
//! Every check runs before anything is written: the shards must belong to one
//! study (same program version, scenario hash, seed, paths, shard count and
//! engine), every shard `0..N` must be there exactly once, and each binary
//! file must match its manifest. Then the outcomes, concatenated in path
//! order, go through the same [`write_run_outputs`] as `run`, so the files are
//! those of one run with the same seed and paths.
//!
//! Only these fields can differ from a single run: in `summary.json`
//! `elapsed_seconds` (here the sum of the shards' simulation wall times),
//! `loan_months_per_second` (loan-months over that sum), `threads` (the most
//! any shard used) and `peak_rss_bytes` (the largest of any shard); in
//! `manifest.json` `wall_seconds` (the same sum), `threads` and `command`.
//! Merging twice gives the same files.

use std::path::{Path, PathBuf};

use anyhow::anyhow;
use clap::Args;

use creditstress::report::sha256_hex;
use creditstress::scenario::{Scenario, parse_scenario_file};
use creditstress::shard::{Dims, SHARD_BIN, SHARD_JSON, ShardManifest, assemble, check_shards, decode_paths};

use super::Failure;
use super::run::{Finished, check_writable_destination, print_summary, write_run_outputs};

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Shard folders written by `run --shard K/N` (each holds shard.json and shard.bin).
    #[arg(required = true, value_name = "SHARD")]
    shards: Vec<PathBuf>,
    /// Output folder (default: output/<scenario name>).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print the summary as JSON on stdout instead of a table.
    #[arg(long)]
    json: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
    /// Write into an output folder that holds files creditstress did not write (they are left as they are).
    #[arg(long)]
    force: bool,
}

/// A shard folder given on the command line (a `shard.json` path also names its folder).
fn shard_folder(arg: &Path) -> PathBuf {
    if arg.file_name().is_some_and(|n| n == SHARD_JSON) && arg.is_file() {
        arg.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    } else {
        arg.to_path_buf()
    }
}

fn input(message: String) -> Failure {
    Failure::Input(anyhow!(message))
}

pub fn execute(args: MergeArgs) -> Result<(), Failure> {
    // Ctrl-C and SIGTERM stop the merge with exit 130 and nothing written.
    super::run::interrupt_flag();
    let mut found = Vec::with_capacity(args.shards.len());
    let mut folders = Vec::with_capacity(args.shards.len());
    for arg in &args.shards {
        let folder = shard_folder(arg);
        let file = folder.join(SHARD_JSON);
        let label = arg.display().to_string();
        let bytes = std::fs::read(&file).map_err(|e| {
            input(format!(
                "{label}: not a finished shard ({} cannot be read: {e}); a shard folder is written by \
                 `creditstress run --shard K/N`, and one that failed can be rerun alone",
                file.display()
            ))
        })?;
        let manifest = ShardManifest::from_json(&bytes).map_err(|e| input(format!("{}: {e}", file.display())))?;
        found.push((label, manifest));
        folders.push(folder);
    }
    super::run::signal_point("reading");
    let order = check_shards(&found, env!("CARGO_PKG_VERSION")).map_err(|e| Failure::Input(e.into()))?;

    let (label, study) = &found[order[0]];
    if sha256_hex(study.scenario_text.as_bytes()) != study.scenario_sha256 {
        return Err(input(format!(
            "{label}: the scenario text does not match its sha256 (edited manifest?)"
        )));
    }
    let file = parse_scenario_file(&study.scenario_text).map_err(|e| {
        input(format!(
            "{label}: the recorded scenario {} is refused: {e}",
            study.scenario_file
        ))
    })?;
    let mut file = super::apply_settings(file, &study.sets).map_err(|e| {
        input(format!(
            "{label}: the recorded --set {} is refused: {e}",
            study.sets.join(" --set ")
        ))
    })?;
    file.attachments = super::read_attachments(Path::new(&study.scenario_file), &file.referenced_files())?;
    if creditstress::report::DataFile::of(&file) != study.data_files {
        return Err(input(format!(
            "{label}: the data files beside {} differ from those the shards were run on (their SHA-256 changed)",
            study.scenario_file
        )));
    }
    let scenario = Scenario::from_file(file)
        .map_err(|e| {
            input(format!(
                "{label}: the recorded scenario {} is refused: {e}",
                study.scenario_file
            ))
        })?
        .with_overrides(Some(study.total_paths), Some(study.seed));
    // A `--sampling` given to the shards is in their resolved scenario.
    let sampling: creditstress::scenario::SamplingMethod = study
        .scenario
        .get("run")
        .and_then(|r| r.get("sampling"))
        .map(|v| serde_json::from_value(v.clone()))
        .transpose()
        .map_err(|e| input(format!("{label}: the recorded run.sampling cannot be read: {e}")))?
        .unwrap_or_default();
    let scenario = if sampling == scenario.file.run.sampling {
        scenario
    } else {
        scenario
            .with_sampling(sampling)
            .map_err(|e| input(format!("{label}: the recorded sampling is refused: {e}")))?
    };
    // Through JSON text and back, as the manifest's copy went: serde_json's
    // default float parser can be one ulp off, the same way for both.
    let resolved: serde_json::Value = serde_json::to_string(&scenario.file)
        .and_then(|text| serde_json::from_str(&text))
        .map_err(|e| Failure::Runtime(e.into()))?;
    if resolved != study.scenario {
        return Err(input(format!(
            "{label}: the resolved scenario in the manifest differs from the one this program derives from its text"
        )));
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("output").join(&scenario.name));
    check_writable_destination(&out)?;
    // A study folder that holds the shards being merged is the study's own
    // (it may hold their job logs and scripts too): only another folder is checked.
    let study_folder = folders.iter().any(|f| {
        let parent = f
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        same_folder(parent, &out)
    });
    if !study_folder {
        super::run::check_output_folder(&out, args.force)?;
    }
    let _lock = super::OutputLock::acquire(&out)?;

    let dims = Dims::of(&scenario);
    let mut parts = Vec::with_capacity(order.len());
    for &i in &order {
        let (label, manifest) = &found[i];
        let file = folders[i].join(SHARD_BIN);
        let rerun = || format!("rerun the shard alone with: {}", manifest.command);
        if manifest.paths_file != SHARD_BIN {
            return Err(input(format!(
                "{label}: unexpected paths file {:?}",
                manifest.paths_file
            )));
        }
        let bytes =
            std::fs::read(&file).map_err(|e| input(format!("{}: cannot read: {e}; {}", file.display(), rerun())))?;
        if bytes.len() as u64 != manifest.paths_bytes || sha256_hex(&bytes) != manifest.paths_sha256 {
            return Err(input(format!(
                "{}: does not match the size and sha256 in {SHARD_JSON} (incomplete or damaged); {}",
                file.display(),
                rerun()
            )));
        }
        let data = decode_paths(&bytes).map_err(|e| input(format!("{}: {e}; {}", file.display(), rerun())))?;
        if data.dims != dims {
            return Err(input(format!(
                "{}: outcomes of shape {:?}, the scenario gives {dims:?}",
                file.display(),
                data.dims
            )));
        }
        parts.push((label.clone(), manifest.clone(), data));
    }
    let (profile, paths) = assemble(parts).map_err(|e| Failure::Input(e.into()))?;

    let shards: Vec<&ShardManifest> = order.iter().map(|&i| &found[i].1).collect();
    // The book's capital and rate lines are functions of the scenario alone: drawn again here.
    let prepared = creditstress::engine::Prepared::new(&scenario);
    let capital = creditstress::capital::book::RegulatoryCapital::of(&prepared);
    let rate_lines = creditstress::economics::RateLines::of(&prepared);
    let inputs = creditstress::describe::describe(&scenario, &prepared.profile, &prepared.grades);
    drop(prepared);
    let finished = Finished {
        precision: None,
        importance: study.importance.as_ref(),
        capital: capital.as_ref(),
        rate_lines: Some(&rate_lines),
        inputs: Some(&inputs),
        sets: &study.sets,
        // A shard never exports monthly.csv (refused): a merge writes none.
        monthly: None,
        scenario: &scenario,
        scenario_file: study.scenario_file.clone(),
        scenario_sha256: study.scenario_sha256.clone(),
        engine: &study.engine,
        profile: &profile,
        paths: &paths,
        elapsed_seconds: shards.iter().map(|m| m.wall_seconds).sum(),
        threads: shards.iter().map(|m| m.threads).max().unwrap_or(1),
        peak_rss_bytes: shards.iter().filter_map(|m| m.peak_rss_bytes).max(),
        peak_rss_is_own: false,
    };
    let summary = write_run_outputs(&finished, &out)?;

    print_summary(
        args.json,
        args.quiet,
        &summary,
        &scenario,
        &format!(
            "Merged {} shards ({} paths) into {}",
            shards.len(),
            paths.len(),
            out.display()
        ),
    );
    Ok(())
}

/// Whether two paths name the same existing folder (by canonical path; as
/// written when either does not exist yet).
fn same_folder(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}
