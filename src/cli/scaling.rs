//! `creditstress scaling`: a benchmark of one scenario over thread counts,
//! in hyperfine's manner. Every measurement runs in a process of its own
//! (this program started again as a hidden worker), so its wall time, its
//! loan-months and its peak memory are its own; each thread count gets
//! `--warmup` runs that are not counted and `--runs` that are; every run's
//! paths must be bitwise those of the first thread count's (compared by a
//! SHA-256 digest of every path outcome). Prints mean +- standard deviation,
//! min and max of the wall time, throughput, speedup and parallel efficiency
//! of the means, and the peak memory; `--export-markdown`, `--export-csv`
//! and `--export-json` write the table. Nothing of the runs themselves is written.

use std::fmt::Write;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, anyhow};
use clap::Args;
use serde::{Deserialize, Serialize};

use creditstress::engine::{self, EngineError, PathOutcome, RunControl};
use creditstress::report::write_atomic;
use creditstress::scenario::Scenario;

use super::run::{interrupt_flag, peak_rss_bytes, thread_count};
use super::{Failure, load_scenario};

#[derive(Debug, Args)]
pub struct ScalingArgs {
    /// Scenario file (TOML).
    scenario: PathBuf,
    /// Monte Carlo paths (default: run.paths in the file).
    #[arg(long)]
    paths: Option<u64>,
    /// Master seed (default: run.seed in the file); 0 to 2^63 - 1.
    #[arg(long, value_parser = clap::value_parser!(u64).range(..=i64::MAX as u64))]
    seed: Option<u64>,
    /// Thread counts to measure, comma-separated, e.g. `1,2,4,16` (default:
    /// 1, 2, 4, ... up to --max-threads, which is always included).
    #[arg(long, value_delimiter = ',', conflicts_with = "max_threads")]
    threads: Vec<usize>,
    /// Largest thread count tried by default (default: all cores).
    #[arg(long)]
    max_threads: Option<usize>,
    /// Measured runs per thread count.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Runs per thread count before the measured ones, not counted (caches, page faults).
    #[arg(long, default_value_t = 1)]
    warmup: usize,
    /// Also write the Markdown table to this file (atomically).
    #[arg(long, alias = "out")]
    export_markdown: Option<PathBuf>,
    /// Also write one CSV row per thread count to this file.
    #[arg(long)]
    export_csv: Option<PathBuf>,
    /// Also write every measurement, and the summary per thread count, as JSON to this file.
    #[arg(long)]
    export_json: Option<PathBuf>,
    /// Internal: run once on this many threads and print one JSON measurement (the worker process).
    #[arg(long, hide = true)]
    worker: Option<usize>,
}

/// One timed run, as the worker process reports it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Measurement {
    threads: usize,
    /// Wall time of preparing the book and simulating every path (the scenario already read; nothing written).
    wall_seconds: f64,
    loan_months: u64,
    /// Peak resident memory of the worker process (Linux `VmHWM`).
    peak_rss_bytes: Option<u64>,
    /// SHA-256 of every path outcome's `Debug` form: equal digests mean bitwise-equal paths.
    digest: String,
}

/// The measured runs of one thread count.
#[derive(Debug, Clone, Serialize)]
struct Row {
    threads: usize,
    runs: usize,
    wall_mean: f64,
    wall_std: f64,
    wall_min: f64,
    wall_max: f64,
    loan_months_per_second: f64,
    speedup: f64,
    efficiency: f64,
    peak_rss_bytes: Option<u64>,
}

/// The `format_version` of the `--export-json` file: raised when a field
/// changes meaning or goes away, never for an added field.
const EXPORT_FORMAT_VERSION: u32 = 1;

/// What `--export-json` writes.
#[derive(Serialize)]
struct Export<'a> {
    format_version: u32,
    scenario: &'a str,
    loans: u64,
    horizon_months: usize,
    paths: u64,
    seed: u64,
    warmup: usize,
    command: &'a str,
    rows: &'a [Row],
    measurements: &'a [Measurement],
}

pub fn execute(args: ScalingArgs) -> Result<(), Failure> {
    let loaded = load_scenario(&args.scenario, &[])?;
    if args.paths == Some(0) {
        return Err(Failure::Input(anyhow!("--paths must be at least 1")));
    }
    let scenario = loaded.scenario.with_overrides(args.paths, args.seed);
    if let Some(threads) = args.worker {
        let threads = thread_count(Some(threads), "--worker")?;
        let measurement = timed_run(&scenario, threads)?;
        super::emit(&format!(
            "{}\n",
            serde_json::to_string(&measurement).expect("a measurement serialises")
        ));
        return Ok(());
    }
    if args.runs == 0 {
        return Err(Failure::Input(anyhow!("--runs must be at least 1")));
    }
    let counts = if args.threads.is_empty() {
        thread_counts(thread_count(args.max_threads, "--max-threads")?)
    } else {
        let mut counts = Vec::new();
        for &n in &args.threads {
            let n = thread_count(Some(n), "--threads")?;
            if !counts.contains(&n) {
                counts.push(n);
            }
        }
        counts
    };
    let exe = std::env::current_exe()
        .context("cannot find this program to start its measurement processes")
        .map_err(Failure::Runtime)?;

    let mut measurements: Vec<Measurement> = Vec::new();
    let mut rows = Vec::new();
    for &threads in &counts {
        let mut counted = Vec::new();
        for run in 0..args.warmup + args.runs {
            let (kind, number) = if run < args.warmup {
                ("warm-up", run + 1)
            } else {
                ("run", run - args.warmup + 1)
            };
            eprintln!("{} paths on {threads} thread(s), {kind} {number}...", scenario.paths);
            let m = worker_run(&exe, &args, &scenario, threads)?;
            if let Some(first) = measurements.first().or(counted.first())
                && first.digest != m.digest
            {
                return Err(Failure::Runtime(anyhow!(
                    "the run on {threads} threads gave other paths than the run on {} threads: \
                     results must not depend on the thread count",
                    first.threads
                )));
            }
            if run >= args.warmup {
                counted.push(m);
            }
        }
        rows.push(summarise(&counted, rows.first()));
        measurements.extend(counted);
    }

    let mut command = format!(
        "creditstress scaling {} --paths {} --seed {} --threads {} --runs {} --warmup {}",
        super::run::shell_quote(&loaded.path.display().to_string()),
        scenario.paths,
        scenario.seed,
        counts.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(","),
        args.runs,
        args.warmup
    );
    command.retain(|c| c != '\n');
    let table = markdown_table(&scenario, &rows, &counts, &command);
    super::emit(&table);
    let export = Export {
        format_version: EXPORT_FORMAT_VERSION,
        scenario: &scenario.name,
        loans: scenario.total_loans(),
        horizon_months: scenario.horizon_months,
        paths: scenario.paths,
        seed: scenario.seed,
        warmup: args.warmup,
        command: &command,
        rows: &rows,
        measurements: &measurements,
    };
    let exports = [
        (&args.export_markdown, table.into_bytes(), "Markdown table"),
        (&args.export_csv, csv_table(&rows).into_bytes(), "CSV table"),
        (
            &args.export_json,
            format!(
                "{}\n",
                serde_json::to_string_pretty(&export).expect("the export serialises")
            )
            .into_bytes(),
            "JSON",
        ),
    ];
    for (path, bytes, what) in exports {
        if let Some(path) = path {
            write_atomic(path, &bytes)
                .with_context(|| format!("cannot write the scaling {what} to {}", path.display()))
                .map_err(Failure::Runtime)?;
            eprintln!("{what} written to {}", path.display());
        }
    }
    Ok(())
}

/// Runs one measurement in a process of its own: this program as a worker.
fn worker_run(
    exe: &std::path::Path,
    args: &ScalingArgs,
    scenario: &Scenario,
    threads: usize,
) -> Result<Measurement, Failure> {
    let output = Command::new(exe)
        .arg("scaling")
        .arg(&args.scenario)
        .args([
            "--paths",
            &scenario.paths.to_string(),
            "--seed",
            &scenario.seed.to_string(),
        ])
        .args(["--worker", &threads.to_string()])
        .stderr(std::process::Stdio::inherit())
        .output()
        .with_context(|| format!("cannot start a measurement process ({})", exe.display()))
        .map_err(Failure::Runtime)?;
    if interrupt_flag().load(std::sync::atomic::Ordering::SeqCst) || output.status.code() == Some(130) {
        return Err(Failure::Interrupted(anyhow!("interrupted")));
    }
    if !output.status.success() {
        return Err(Failure::Runtime(anyhow!(
            "the measurement process on {threads} threads failed ({})",
            output.status
        )));
    }
    serde_json::from_slice(&output.stdout)
        .context("the measurement process printed no measurement")
        .map_err(Failure::Runtime)
}

/// Mean, standard deviation (n - 1), min and max of the wall times;
/// throughput, speedup and efficiency of the means (against `base`, the
/// first thread count's row; itself when `None`).
fn summarise(counted: &[Measurement], base: Option<&Row>) -> Row {
    let walls: Vec<f64> = counted.iter().map(|m| m.wall_seconds).collect();
    let n = walls.len() as f64;
    let mean = walls.iter().sum::<f64>() / n;
    let std = if walls.len() > 1 {
        (walls.iter().map(|w| (w - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    let threads = counted[0].threads;
    let (base_wall, base_threads) = base.map_or((mean, threads), |b| (b.wall_mean, b.threads));
    let speedup = if mean > 0.0 { base_wall / mean } else { 0.0 };
    Row {
        threads,
        runs: counted.len(),
        wall_mean: mean,
        wall_std: std,
        wall_min: walls.iter().copied().fold(f64::INFINITY, f64::min),
        wall_max: walls.iter().copied().fold(0.0, f64::max),
        loan_months_per_second: if mean > 0.0 {
            counted[0].loan_months as f64 / mean
        } else {
            0.0
        },
        speedup,
        efficiency: speedup * base_threads as f64 / threads as f64,
        peak_rss_bytes: counted.iter().filter_map(|m| m.peak_rss_bytes).max(),
    }
}

/// 1, 2, 4, ... below `max`, then `max` itself.
fn thread_counts(max: usize) -> Vec<usize> {
    let mut counts: Vec<usize> = std::iter::successors(Some(1usize), |n| n.checked_mul(2))
        .take_while(|&n| n < max)
        .collect();
    counts.push(max);
    counts
}

/// Runs the whole scenario in a fresh pool of `threads` workers (the worker process's measurement).
fn timed_run(scenario: &Scenario, threads: usize) -> Result<Measurement, Failure> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("cannot start the worker threads")
        .map_err(Failure::Runtime)?;
    let control = RunControl {
        progress: None,
        cancel: Some(interrupt_flag()),
    };
    let started = Instant::now();
    let outcome = pool.install(|| engine::run(scenario, control));
    let wall_seconds = started.elapsed().as_secs_f64();
    let (_, paths) = outcome.map_err(|e| match e {
        EngineError::Cancelled => Failure::Interrupted(anyhow!("interrupted")),
        other => Failure::Runtime(anyhow!(other)),
    })?;
    Ok(Measurement {
        threads,
        wall_seconds,
        loan_months: paths.iter().map(|p| p.tally.loan_months).sum(),
        digest: digest(&paths),
        peak_rss_bytes: peak_rss_bytes(),
    })
}

/// SHA-256 of every path outcome's `Debug` form, in path order.
///
/// `Debug` prints every field, and every `f64` in its shortest round-trip
/// form (`-0.0` and `0.0` differ), so equal digests mean bitwise-equal
/// outcomes without listing the fields here.
fn digest(paths: &[PathOutcome]) -> String {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    for p in paths {
        hasher.update(format!("{p:?}\n").as_bytes());
    }
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The report: a short header, the table, and the command that made it.
fn markdown_table(scenario: &Scenario, rows: &[Row], counts: &[usize], command: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Scaling of `{}`: {} loans x {} months x {} paths, seed {}; every run bitwise identical to the run on {} thread(s).\n",
        scenario.name,
        creditstress::report::plots::format::count(scenario.total_loans()),
        scenario.horizon_months,
        creditstress::report::plots::format::count(scenario.paths),
        scenario.seed,
        counts[0]
    );
    out.push_str("| threads | runs | wall time (s), mean ± sd | min | max | loan-months/s | speedup | efficiency | peak RSS (MiB) |\n");
    out.push_str("|--------:|-----:|-------------------------:|----:|----:|--------------:|--------:|-----------:|---------------:|\n");
    for r in rows {
        let rss = r
            .peak_rss_bytes
            .map_or_else(|| "n/a".to_string(), |b| format!("{:.1}", b as f64 / 1_048_576.0));
        let _ = writeln!(
            out,
            "| {} | {} | {:.3} ± {:.3} | {:.3} | {:.3} | {:.1} M | {:.2}x | {:.0}% | {} |",
            r.threads,
            r.runs,
            r.wall_mean,
            r.wall_std,
            r.wall_min,
            r.wall_max,
            r.loan_months_per_second / 1e6,
            r.speedup,
            100.0 * r.efficiency,
            rss
        );
    }
    let _ = writeln!(
        out,
        "\nWall time: preparing the book (calibration included) and simulating every path, each run in a \
         process of its own (the scenario already read; nothing written). loan-months: actually stepped. Speedup and efficiency: of the mean wall times against the first \
         row. Peak RSS: the largest of the row's processes.\nCommand: `{command}`"
    );
    out
}

/// One CSV row per thread count.
fn csv_table(rows: &[Row]) -> String {
    let mut out = String::from(
        "threads,runs,wall_seconds_mean,wall_seconds_std,wall_seconds_min,wall_seconds_max,\
         loan_months_per_second,speedup,efficiency,peak_rss_bytes\n",
    );
    for r in rows {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{}",
            r.threads,
            r.runs,
            r.wall_mean,
            r.wall_std,
            r.wall_min,
            r.wall_max,
            r.loan_months_per_second,
            r.speedup,
            r.efficiency,
            r.peak_rss_bytes.map_or_else(String::new, |b| b.to_string())
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_counts_double_and_end_at_the_maximum() {
        assert_eq!(thread_counts(1), vec![1]);
        assert_eq!(thread_counts(2), vec![1, 2]);
        assert_eq!(thread_counts(6), vec![1, 2, 4, 6]);
        assert_eq!(thread_counts(8), vec![1, 2, 4, 8]);
    }

    fn outcome(index: u64, loss: f64) -> PathOutcome {
        let mut tally = creditstress::loan::PathTally::new(1, 1, 2);
        tally.loss = loss;
        PathOutcome {
            index,
            exposure: 1.0,
            tally,
            factors: vec![vec![0.0, 0.5]],
            weight: 1.0,
            pnl: None,
        }
    }

    #[test]
    fn digests_differ_bit_for_bit() {
        let a = vec![outcome(0, 1.0), outcome(1, 0.0)];
        assert_eq!(digest(&a), digest(&a.clone()));
        // -0.0 == 0.0 as floats, but the bits differ.
        assert_ne!(digest(&a), digest(&[outcome(0, 1.0), outcome(1, -0.0)]));
        assert_ne!(digest(&a), digest(&[outcome(0, 1.0 + f64::EPSILON), outcome(1, 0.0)]));
        assert_ne!(digest(&a), digest(&a[..1]));
    }

    fn measured(threads: usize, wall: f64) -> Measurement {
        Measurement {
            threads,
            wall_seconds: wall,
            loan_months: 1000,
            peak_rss_bytes: Some(threads as u64 * 10),
            digest: String::new(),
        }
    }

    #[test]
    fn rows_give_mean_spread_and_efficiency_of_the_means() {
        let one = summarise(&[measured(1, 2.0), measured(1, 4.0), measured(1, 3.0)], None);
        assert_eq!(
            (one.wall_mean, one.wall_std, one.wall_min, one.wall_max),
            (3.0, 1.0, 2.0, 4.0)
        );
        assert_eq!((one.speedup, one.efficiency), (1.0, 1.0));
        let two = summarise(&[measured(2, 2.0), measured(2, 2.0)], Some(&one));
        assert_eq!((two.speedup, two.efficiency, two.wall_std), (1.5, 0.75, 0.0));
        assert_eq!(two.loan_months_per_second, 500.0);
        assert_eq!(two.peak_rss_bytes, Some(20));
        // Against a first row of 2 threads, 4 threads twice as fast is 100% efficient.
        let four = summarise(&[measured(4, 1.0)], Some(&two));
        assert_eq!((four.speedup, four.efficiency), (2.0, 1.0));
        assert_eq!(csv_table(&[four]).lines().count(), 2);
    }
}
