//! `creditstress scaling`: run one scenario on 1, 2, 4, ... threads, check
//! that every run gives bitwise the same paths as the 1-thread run, and print
//! a Markdown table of wall time, throughput, speedup, efficiency and peak RSS.
//! Nothing of the runs themselves is written.

use std::fmt::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, anyhow};
use clap::Args;

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
    /// Master seed (default: run.seed in the file).
    #[arg(long)]
    seed: Option<u64>,
    /// Largest thread count tried (default: all cores); it is always included.
    #[arg(long)]
    max_threads: Option<usize>,
    /// Also write the Markdown table to this file (atomically).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// One timed run.
struct Measurement {
    threads: usize,
    wall_seconds: f64,
    loan_months: u64,
    peak_rss_bytes: Option<u64>,
}

pub fn execute(args: ScalingArgs) -> Result<(), Failure> {
    let loaded = load_scenario(&args.scenario, &[])?;
    if args.paths == Some(0) {
        return Err(Failure::Input(anyhow!("--paths must be at least 1")));
    }
    let max_threads = thread_count(args.max_threads, "--max-threads")?;
    let scenario = loaded.scenario.with_overrides(args.paths, args.seed);

    let mut reference: Option<Vec<PathOutcome>> = None;
    let mut rows = Vec::new();
    for threads in thread_counts(max_threads) {
        eprintln!("running {} paths on {threads} thread(s)...", scenario.paths);
        let (measurement, paths) = timed_run(&scenario, threads)?;
        match &reference {
            None => reference = Some(paths),
            Some(expected) => {
                if let Some(index) = first_difference(expected, &paths) {
                    return Err(Failure::Runtime(anyhow!(
                        "the run on {threads} threads differs from the 1-thread run (first at path {index}): \
                         results must not depend on the thread count"
                    )));
                }
            }
        }
        rows.push(measurement);
    }

    let command = format!(
        "creditstress scaling {} --paths {} --seed {} --max-threads {max_threads}",
        loaded.path.display(),
        scenario.paths,
        scenario.seed
    );
    let table = markdown_table(&scenario, &rows, &command);
    super::emit(&table);
    if let Some(out) = &args.out {
        write_atomic(out, table.as_bytes())
            .with_context(|| format!("cannot write the scaling table to {}", out.display()))
            .map_err(Failure::Runtime)?;
        eprintln!("Table written to {}", out.display());
    }
    Ok(())
}

/// 1, 2, 4, ... below `max`, then `max` itself.
fn thread_counts(max: usize) -> Vec<usize> {
    let mut counts: Vec<usize> = std::iter::successors(Some(1usize), |n| n.checked_mul(2))
        .take_while(|&n| n < max)
        .collect();
    counts.push(max);
    counts
}

/// Runs the whole scenario in a fresh pool of `threads` workers.
fn timed_run(scenario: &Scenario, threads: usize) -> Result<(Measurement, Vec<PathOutcome>), Failure> {
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
    let measurement = Measurement {
        threads,
        wall_seconds,
        loan_months: paths.iter().map(|p| p.tally.loan_months).sum(),
        peak_rss_bytes: peak_rss_bytes(),
    };
    Ok((measurement, paths))
}

/// Index of the first path whose outcome differs bit for bit, if any.
///
/// `Debug` prints every field, and every `f64` in its shortest round-trip
/// form (`-0.0` and `0.0` differ), so equal strings mean bitwise-equal values
/// without listing the fields here.
fn first_difference(expected: &[PathOutcome], actual: &[PathOutcome]) -> Option<u64> {
    if expected.len() != actual.len() {
        return Some(expected.len().min(actual.len()) as u64);
    }
    expected
        .iter()
        .zip(actual)
        .find(|(a, b)| format!("{a:?}") != format!("{b:?}"))
        .map(|(a, _)| a.index)
}

/// The report: a short header, the table, and the command that made it.
fn markdown_table(scenario: &Scenario, rows: &[Measurement], command: &str) -> String {
    let base = rows.first().map_or(0.0, |r| r.wall_seconds);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Scaling of `{}`: {} loans x {} months x {} paths, seed {}; every run bitwise identical to the 1-thread run.\n",
        scenario.name,
        scenario.total_loans(),
        scenario.horizon_months,
        scenario.paths,
        scenario.seed
    );
    out.push_str("| threads | wall time (s) | loan-months/s | speedup | efficiency | peak RSS (MiB) |\n");
    out.push_str("|--------:|--------------:|--------------:|--------:|-----------:|---------------:|\n");
    for r in rows {
        let speedup = if r.wall_seconds > 0.0 {
            base / r.wall_seconds
        } else {
            0.0
        };
        let rate = if r.wall_seconds > 0.0 {
            r.loan_months as f64 / r.wall_seconds
        } else {
            0.0
        };
        let rss = r
            .peak_rss_bytes
            .map_or_else(|| "n/a".to_string(), |b| format!("{:.1}", b as f64 / 1_048_576.0));
        let _ = writeln!(
            out,
            "| {} | {:.3} | {:.1} M | {:.2}x | {:.0}% | {} |",
            r.threads,
            r.wall_seconds,
            rate / 1e6,
            speedup,
            100.0 * speedup / r.threads as f64,
            rss
        );
    }
    let _ = writeln!(
        out,
        "\nloan-months: actually stepped (sum of per-path loan-months). Peak RSS is the \
         process's peak (VmHWM) so far, so it never falls from one row to the next.\n\
         Command: `{command}`"
    );
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
    fn differences_are_found_bit_for_bit() {
        let a = vec![outcome(0, 1.0), outcome(1, 0.0)];
        assert_eq!(first_difference(&a, &a.clone()), None);
        // -0.0 == 0.0 as floats, but the bits differ.
        assert_eq!(first_difference(&a, &[outcome(0, 1.0), outcome(1, -0.0)]), Some(1));
        assert_eq!(
            first_difference(&a, &[outcome(0, 1.0 + f64::EPSILON), outcome(1, 0.0)]),
            Some(0)
        );
        assert_eq!(first_difference(&a, &a[..1]), Some(1));
    }
}
