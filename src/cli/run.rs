//! `creditstress run`: simulate a scenario and write its outputs.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, anyhow};
use clap::Args;

use creditstress::engine::{self, EngineChoice, EngineError, RunControl};
use creditstress::report::{Manifest, RunFiles, sha256_hex, write_outputs};
use creditstress::stats::{RunSummary, Timeseries};

use super::{Failure, emit, format, load_scenario};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario file (TOML).
    scenario: PathBuf,
    /// Monte Carlo paths (default: run.paths in the file).
    #[arg(long)]
    paths: Option<u64>,
    /// Master seed (default: run.seed in the file).
    #[arg(long)]
    seed: Option<u64>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// Output folder (default: output/<scenario name>).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print the summary as JSON on stdout instead of a table.
    #[arg(long)]
    json: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
    /// How loans are simulated: `auto` takes the fast path when it is exact
    /// for the scenario (no delinquency buckets), `stepping` always steps
    /// month by month, `fast` insists on the fast path.
    #[arg(long, value_enum, default_value_t = EngineArg::Auto)]
    engine: EngineArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum EngineArg {
    Auto,
    Stepping,
    Fast,
}

impl From<EngineArg> for EngineChoice {
    fn from(e: EngineArg) -> Self {
        match e {
            EngineArg::Auto => EngineChoice::Auto,
            EngineArg::Stepping => EngineChoice::Stepping,
            EngineArg::Fast => EngineChoice::FastPath,
        }
    }
}

pub fn execute(args: RunArgs) -> Result<(), Failure> {
    let loaded = load_scenario(&args.scenario)?;
    if args.paths == Some(0) {
        return Err(Failure::Input(anyhow!("--paths must be at least 1")));
    }
    let scenario = loaded.scenario.with_overrides(args.paths, args.seed);
    let threads = match args.threads {
        Some(0) => return Err(Failure::Input(anyhow!("--threads must be at least 1"))),
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("output").join(&scenario.name));
    check_writable_destination(&out).map_err(Failure::Input)?;

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("cannot start the worker threads")
        .map_err(Failure::Runtime)?;
    let bar = progress_bar(scenario.paths, args.quiet || args.json);
    let cancel = interrupt_flag();
    let tick = || bar.inc(1);
    let control = RunControl { progress: Some(&tick), cancel: Some(cancel) };
    let started = Instant::now();
    let outcome = pool.install(|| engine::run_with(&scenario, args.engine.into(), control));
    bar.finish_and_clear();
    let (prepared, paths) = outcome.map_err(|e| match e {
        EngineError::Cancelled => Failure::Runtime(anyhow!("interrupted: nothing was written to {}", out.display())),
        EngineError::FastPathUnavailable(_) => Failure::Input(anyhow!("--engine fast: {e}")),
    })?;
    let elapsed = started.elapsed().as_secs_f64();

    let mut summary = RunSummary::new(&scenario, &prepared.profile, &paths);
    summary.elapsed_seconds = elapsed;
    summary.threads = threads;
    summary.loan_months_per_second = if elapsed > 0.0 {
        summary.loan_months as f64 / elapsed
    } else {
        0.0
    };
    summary.peak_rss_bytes = peak_rss_bytes();
    summary.engine = prepared.engine_description().to_string();
    let series = Timeseries::new(&scenario, &prepared.profile, &paths);
    let manifest = Manifest {
        program: env!("CARGO_PKG_NAME"),
        version: env!("CARGO_PKG_VERSION"),
        scenario_file: loaded.path.display().to_string(),
        scenario_sha256: sha256_hex(&loaded.bytes),
        scenario: scenario.file.clone(),
        seed: scenario.seed,
        paths: scenario.paths,
        threads,
        wall_seconds: elapsed,
        command: format!(
            "creditstress run {} --paths {} --seed {} --out {}",
            shell_quote(&loaded.path.display().to_string()),
            scenario.paths,
            scenario.seed,
            shell_quote(&out.display().to_string())
        ),
    };
    let files = RunFiles::render(&scenario, &summary, &series, &paths, &manifest);
    write_outputs(&out, &files)
        .with_context(|| format!("cannot write results to {}", out.display()))
        .map_err(Failure::Runtime)?;

    if args.json {
        emit(&creditstress::report::to_json(&summary));
    } else if !args.quiet {
        emit(&format!(
            "{}\nEngine: {}\nResults written to {}\n",
            format::summary_table(&summary, &scenario),
            summary.engine,
            out.display()
        ));
    }
    Ok(())
}

/// Fails early (before simulating) when the output folder can never be created:
/// it, or its nearest existing ancestor, is not a folder.
fn check_writable_destination(out: &Path) -> anyhow::Result<()> {
    let mut probe = Some(out);
    while let Some(p) = probe {
        if p.exists() {
            if p.is_dir() {
                return Ok(());
            }
            return Err(anyhow!("--out {}: {} exists and is not a folder", out.display(), p.display()));
        }
        probe = p.parent().filter(|q| !q.as_os_str().is_empty());
    }
    Ok(())
}

/// Quotes a path for a POSIX shell when it needs it.
fn shell_quote(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:".contains(c)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// A progress bar on stderr (paths done, paths/s, ETA); hidden with `--quiet`
/// and whenever stderr is not a terminal.
pub fn progress_bar(paths: u64, hidden: bool) -> indicatif::ProgressBar {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    if hidden {
        return ProgressBar::with_draw_target(Some(paths), ProgressDrawTarget::hidden());
    }
    let bar = ProgressBar::new(paths);
    let style = ProgressStyle::with_template("{bar:40} {pos}/{len} paths  {per_sec}  ETA {eta}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}

/// A flag raised by Ctrl-C. The engine stops at the next path and nothing is written.
pub fn interrupt_flag() -> &'static std::sync::atomic::AtomicBool {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicBool, Ordering};
    static FLAG: AtomicBool = AtomicBool::new(false);
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        // Without a handler Ctrl-C still stops the program; only the tidy message is lost.
        let _ = ctrlc::set_handler(|| FLAG.store(true, Ordering::SeqCst));
    });
    &FLAG
}

/// Peak resident set size of this process (Linux `VmHWM`), if known.
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
