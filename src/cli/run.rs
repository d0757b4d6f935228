//! `creditstress run`: simulate a scenario and write its outputs.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, anyhow};
use clap::Args;

use creditstress::engine::importance::ImportancePlan;
use creditstress::engine::{BookProfile, EngineChoice, EngineError, PathOutcome, Prepared, RunControl};
use creditstress::report::{Manifest, RunFiles, sha256_hex};
use creditstress::scenario::{SamplingMethod, Scenario};
use creditstress::stats::precision::{PrecisionReport, PrecisionTarget, checkpoints};
use creditstress::stats::sampling::SamplingSummary;
use creditstress::stats::weighted::PathWeights;
use creditstress::stats::{RunSummary, Timeseries};

use super::shard::{ShardArg, ShardRun, finish_shard, parse_shard_arg, resolve_shard};
use super::{Failure, emit, format, load_scenario};

/// Options shared by the commands that simulate (`run`, `compare`, `sweep`).
#[derive(Debug, Args)]
pub struct StudyArgs {
    /// Monte Carlo paths (default: run.paths in the scenario).
    #[arg(long)]
    pub paths: Option<u64>,
    /// Master seed (default: run.seed in the scenario); 0 to 2^63 - 1, the
    /// integers a scenario file's run.seed can hold.
    #[arg(long, value_parser = clap::value_parser!(u64).range(..=i64::MAX as u64))]
    pub seed: Option<u64>,
    /// Worker threads (default: all cores; at most 8 per core). Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output folder (default: under output/, named after the scenario).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print the results as JSON on stdout instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
    /// Write into an output folder that holds files creditstress did not write (they are left as they are).
    #[arg(long)]
    pub force: bool,
    /// Set one field of the scenario, PATH=VALUE (repeatable, applied in order before validation): the
    /// value is TOML (`segments[0].rho=0.12`, `run.risk_levels=[0.99, 0.999]`, `name="stress b"`; a
    /// bare word is a string: `run.sampling=importance`). Recorded in the manifest's reproduce command.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
}

impl StudyArgs {
    /// `--paths 0` is refused before anything is read.
    pub fn check(&self) -> Result<(), Failure> {
        if self.paths == Some(0) {
            return Err(Failure::Input(anyhow!("--paths must be at least 1")));
        }
        Ok(())
    }

    /// The output folder: `--out`, or `output/<default_name>`.
    pub fn out_or(&self, default_name: &str) -> PathBuf {
        self.out
            .clone()
            .unwrap_or_else(|| PathBuf::from("output").join(default_name))
    }
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario file (TOML).
    scenario: PathBuf,
    #[command(flatten)]
    study: StudyArgs,
    /// How loans are simulated: `auto` takes the fast path when it is exact
    /// for the scenario (no delinquency buckets), else steps month by month
    /// with the cash of loans current all their life summed once per run
    /// where that is exact (bitwise the same results), `stepping` steps
    /// every loan month by month, `fast` insists on the fast path, `pooled` is the fast
    /// path with identical loans drawn as pools (a binomial count of a pool's
    /// defaults and prepayments per month: the same law, other draws; see
    /// docs/scenario.md, "Engines").
    #[arg(long, value_enum, default_value_t = EngineArg::Auto)]
    engine: EngineArg,
    /// Run only shard K of N (K from 0) and write it for `creditstress merge`;
    /// without it, Slurm, Kubernetes and AWS Batch array variables are used
    /// when set; `none` ignores them (see docs/cluster.md).
    ///
    /// Shard K of N runs paths [floor(K*P/N), floor((K+1)*P/N)) of the P paths
    /// and writes shard.json + shard.bin to --out (default
    /// output/<scenario name>/shard-K). The environment is read from
    /// SLURM_ARRAY_TASK_ID/_MIN/_STEP/_COUNT, JOB_COMPLETION_INDEX (with
    /// --shard-count or CREDITSTRESS_SHARD_COUNT), AWS_BATCH_JOB_ARRAY_INDEX/_SIZE.
    #[arg(long, value_name = "K/N", value_parser = parse_shard_arg)]
    shard: Option<ShardArg>,
    /// Shard count N for Kubernetes indexed jobs (JOB_COMPLETION_INDEX gives K);
    /// default: env CREDITSTRESS_SHARD_COUNT.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    shard_count: Option<u32>,
    /// Stop at a target precision: `measure:level:relative_half_width`, e.g.
    /// `es:0.999:0.02` (ES 99.9% to +-2%), `var:0.99:0.01`, `el:0.005`.
    /// Paths are added in blocks of 1,000 and the 95% interval is checked
    /// only at block ends, so the stopping point is the same on any number
    /// of threads; the run stops there or at --max-paths.
    #[arg(long, value_name = "MEASURE:LEVEL:WIDTH")]
    target: Option<String>,
    /// With --target: the most paths to run (default: --paths, or run.paths).
    #[arg(long, value_name = "N", requires = "target", value_parser = clap::value_parser!(u64).range(1..))]
    max_paths: Option<u64>,
    /// Also write the loan-level tape of the first --tape-paths paths into
    /// DIR: book.csv (the book at month 0, in the schema `[book] file`
    /// reads) and tape.csv (every loan's state and cash flows, month by
    /// month; see docs/scenario.md, "Loan tapes"); Parquet with --tape-format.
    #[arg(long, value_name = "DIR")]
    emit_tape: Option<PathBuf>,
    /// With --emit-tape: how many paths the tape holds (paths 0..K).
    #[arg(long, value_name = "K", requires = "emit_tape", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    tape_paths: u64,
    /// With --emit-tape: `csv` (book.csv, tape.csv), `parquet` (book.parquet,
    /// tape.parquet: the same columns, typed; needs a build with
    /// `--features parquet`) or `both`.
    #[arg(long, value_enum, requires = "emit_tape", default_value_t = TapeFormat::Csv)]
    tape_format: TapeFormat,
    /// How paths are sampled (default: run.sampling in the scenario, else
    /// `plain`): `importance` shifts the factor's innovations towards the
    /// loss tail, chosen by a pilot run, and weights every path by its
    /// likelihood ratio (for VaR and ES at high levels; see
    /// docs/importance_sampling.md); `auto` takes it when a reported level
    /// is at least 0.99.
    #[arg(long, value_enum)]
    sampling: Option<SamplingArg>,
    /// Also write an opt-in table into the output folder. `monthly`:
    /// monthly.csv, one row per path, month and segment (loans booked,
    /// charge-offs, charged-off EAD, loss, fraud and economic loss,
    /// recoveries, costs, interest, net income, delinquent and open accounts,
    /// balance; see docs/scenario.md, "Outputs"). Its rows add up to each
    /// path's row of paths.csv. The paths then record their months (a
    /// slower run, results unchanged); not with --shard.
    #[arg(long, value_enum, value_name = "TABLE")]
    export: Option<ExportArg>,
    /// With --export: `csv` (monthly.csv), `parquet` (monthly.parquet: the
    /// same columns, typed; needs a build with `--features parquet`) or `both`.
    #[arg(long, value_enum, requires = "export", default_value_t = TapeFormat::Csv)]
    export_format: TapeFormat,
}

/// `--export`: the opt-in tables of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ExportArg {
    /// monthly.csv: one row per path, month and segment.
    Monthly,
}

/// `--sampling`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SamplingArg {
    Plain,
    Importance,
    Auto,
}

impl From<SamplingArg> for SamplingMethod {
    fn from(s: SamplingArg) -> Self {
        match s {
            SamplingArg::Plain => SamplingMethod::Plain,
            SamplingArg::Importance => SamplingMethod::Importance,
            SamplingArg::Auto => SamplingMethod::Auto,
        }
    }
}

/// The `--engine` flag that reproduces a run of `scenario` whose engine is
/// described by `engine` (empty where `auto` picks that engine): the engines
/// give the same law with other draws, so a rerun must name the one that ran.
pub fn engine_flag(scenario: &Scenario, engine: &str) -> &'static str {
    use creditstress::engine::{ENGINE_POOLED, ENGINE_STEPPING, fast_path_blocker};
    if engine == ENGINE_POOLED {
        " --engine pooled"
    } else if engine == ENGINE_STEPPING && fast_path_blocker(scenario).is_none() {
        " --engine stepping"
    } else {
        ""
    }
}

/// The `--sampling` flag that reproduces `scenario`'s sampling (empty for plain).
pub fn sampling_flag(scenario: &Scenario) -> &'static str {
    match scenario.file.run.sampling {
        SamplingMethod::Plain => "",
        SamplingMethod::Importance => " --sampling importance",
        SamplingMethod::Auto => " --sampling auto",
    }
}

/// The files `--emit-tape` and `--export` write: CSV, Parquet or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TapeFormat {
    Csv,
    Parquet,
    Both,
}

impl TapeFormat {
    fn csv(self) -> bool {
        self != TapeFormat::Parquet
    }

    fn parquet(self) -> bool {
        self != TapeFormat::Csv
    }

    /// The flag's word.
    fn word(self) -> &'static str {
        match self {
            TapeFormat::Csv => "csv",
            TapeFormat::Parquet => "parquet",
            TapeFormat::Both => "both",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum EngineArg {
    Auto,
    Stepping,
    Fast,
    Pooled,
}

impl From<EngineArg> for EngineChoice {
    fn from(e: EngineArg) -> Self {
        match e {
            EngineArg::Auto => EngineChoice::Auto,
            EngineArg::Stepping => EngineChoice::Stepping,
            EngineArg::Fast => EngineChoice::FastPath,
            EngineArg::Pooled => EngineChoice::Pooled,
        }
    }
}

pub fn execute(args: RunArgs) -> Result<(), Failure> {
    let target = args
        .target
        .as_deref()
        .map(PrecisionTarget::parse)
        .transpose()
        .map_err(|e| Failure::Input(e.into()))?;
    if target.is_some() && args.shard.is_some() {
        return Err(Failure::Input(anyhow!(
            "--target cannot be combined with --shard: a sharded study has a fixed path count (run the target once, then shard that count)"
        )));
    }
    let loaded = load_scenario(&args.scenario, &args.study.set)?;
    args.study.check()?;
    let mut scenario = loaded
        .scenario
        .with_overrides(args.max_paths.or(args.study.paths), args.study.seed);
    if let Some(method) = args.sampling {
        scenario = scenario
            .with_sampling(method.into())
            .map_err(|e| Failure::Input(anyhow!("--sampling: {}: {e}", loaded.path.display())))?;
    }
    let threads = thread_count(args.study.threads, "--threads")?;
    let shard = resolve_shard(args.shard, args.shard_count, |name| std::env::var(name).ok()).map_err(Failure::Input)?;
    let range = shard
        .as_ref()
        .map_or(0..scenario.paths, |s| s.spec.path_range(scenario.paths));
    let monthly = args.export.map(|ExportArg::Monthly| args.export_format);
    if let Some(format) = monthly {
        check_export_request(shard.is_some(), format, args.engine)?;
    }
    // A shard keeps only its own paths in memory.
    let monthly_bytes = monthly.map_or(0, |_| monthly_bytes_per_path(&scenario));
    check_memory_with(&scenario, range.end - range.start, threads, monthly_bytes)?;
    let out = args.study.out.clone().unwrap_or_else(|| {
        let study = PathBuf::from("output").join(&scenario.name);
        match &shard {
            Some(s) => study.join(format!("shard-{}", s.spec.index())),
            None => study,
        }
    });
    check_writable_destination(&out)?;
    check_output_folder(&out, args.study.force)?;
    check_destination_room(
        &out,
        output_bytes_estimate(&scenario, range.end - range.start)
            .saturating_add((range.end - range.start).saturating_mul(monthly_bytes)),
    )?;
    let _lock = super::OutputLock::acquire(&out)?;
    if let Some(dir) = &args.emit_tape {
        check_tape_request(
            &scenario,
            shard.is_some(),
            args.tape_paths,
            args.tape_format,
            args.engine,
        )?;
        check_writable_destination(dir)?;
        check_output_folder(dir, args.study.force)?;
    }
    if let Some(s) = shard.as_ref().filter(|_| !args.study.quiet) {
        eprintln!(
            "shard {} (from {}): paths {}..{} of {}",
            s.spec, s.source, range.start, range.end, scenario.paths
        );
    }

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("cannot start the worker threads")
        .map_err(Failure::Runtime)?;
    let bar = progress_bar(range.end - range.start, args.study.quiet || args.study.json);
    let cancel = interrupt_flag();
    let tick = || bar.inc(1);
    let control = RunControl {
        progress: Some(&tick),
        cancel: Some(cancel),
    };
    let started = Instant::now();
    let outcome = pool.install(|| {
        let mut prepared = Prepared::with_engine(&scenario, args.engine.into())?.with_sampling(control)?;
        if monthly.is_some() {
            prepared = prepared.with_monthly_export();
        }
        let Some(target) = target else {
            let paths = prepared.simulate_paths(range.clone(), control)?;
            return Ok((prepared, paths, None));
        };
        // Blocks of paths, checked only at their ends: the same stop on any thread count.
        let mut paths: Vec<PathOutcome> = Vec::new();
        let mut report = None;
        for end in checkpoints(range.end) {
            paths.extend(prepared.simulate_paths(paths.len() as u64..end, control)?);
            let losses: Vec<f64> = paths.iter().map(|p| p.tally.loss).collect();
            let normalised = creditstress::stats::summary::path_weights(&paths);
            let reached = target.reached(&losses, PathWeights::of(&normalised));
            let done = reached.is_some_and(|r| r <= target.relative_half_width);
            report = Some(PrecisionReport {
                target,
                reached,
                paths: end,
                stopped: if done { "target reached" } else { "max paths reached" }.to_string(),
            });
            if done {
                break;
            }
        }
        Ok((prepared, paths, report))
    });
    bar.finish_and_clear();
    let (prepared, paths, precision) = outcome.map_err(|e| match e {
        EngineError::Cancelled => {
            Failure::Interrupted(anyhow!("interrupted: nothing was written to {}", out.display()))
        }
        EngineError::FastPathUnavailable(_) => Failure::Input(anyhow!("--engine fast: {e}")),
        EngineError::ImportanceUnavailable(_) => Failure::Input(anyhow!("{}: {e}", loaded.path.display())),
    })?;
    let elapsed = started.elapsed().as_secs_f64();
    // An interrupt that arrives after the last path still stops the run before it writes.
    if cancel.load(std::sync::atomic::Ordering::SeqCst) {
        return Err(Failure::Interrupted(anyhow!(
            "interrupted: nothing was written to {}",
            out.display()
        )));
    }

    if let Some(s) = shard {
        return finish_shard(
            ShardRun {
                scenario_path: &loaded.path,
                scenario_bytes: &loaded.bytes,
                scenario: &scenario,
                spec: s.spec,
                engine: prepared.engine_description(),
                sampling_flag: sampling_flag(&scenario),
                sets: &args.study.set,
                importance: prepared.importance.clone(),
                profile: &prepared.profile,
                paths,
                threads,
                wall_seconds: elapsed,
                peak_rss_bytes: peak_rss_bytes(),
                out: &out,
            },
            args.study.json,
            args.study.quiet,
        );
    }

    if let Some(dir) = &args.emit_tape {
        let written = pool.install(|| emit_tape(&prepared, args.tape_paths, args.tape_format, dir))?;
        if !args.study.quiet && !args.study.json {
            eprintln!("{written}");
        }
    }
    let prepared_engine = prepared.engine_description();
    let profile = prepared.profile.clone();
    let importance = prepared.importance.clone();
    let capital = creditstress::capital::book::RegulatoryCapital::of(&prepared);
    let rate_lines = creditstress::economics::RateLines::of(&prepared);
    let grades = prepared.grades.clone();
    drop(prepared);
    if let Some(p) = &precision {
        // The manifest's command reproduces the run with its final path count.
        scenario = scenario.with_overrides(Some(p.paths), None);
    }
    // What `validate` says about the scenario, for the report's inputs table (with the final path count).
    let inputs = creditstress::describe::describe(&scenario, &profile, &grades);
    let finished = Finished {
        scenario: &scenario,
        scenario_file: loaded.path.display().to_string(),
        scenario_sha256: sha256_hex(&loaded.bytes),
        engine: prepared_engine,
        profile: &profile,
        paths: &paths,
        elapsed_seconds: elapsed,
        threads,
        peak_rss_bytes: peak_rss_bytes(),
        peak_rss_is_own: true,
        precision,
        importance: importance.as_ref(),
        capital: capital.as_ref(),
        rate_lines: Some(&rate_lines),
        inputs: Some(&inputs),
        sets: &args.study.set,
        monthly,
    };
    let summary = write_run_outputs(&finished, &out)?;

    let last_line = format!("Results written to {}", out.display());
    print_summary(args.study.json, args.study.quiet, &summary, &scenario, &last_line);
    Ok(())
}

/// Refuses an `--export` the run cannot give.
fn check_export_request(sharded: bool, format: TapeFormat, engine: EngineArg) -> Result<(), Failure> {
    if engine == EngineArg::Pooled {
        return Err(Failure::Input(anyhow!(
            "--export monthly steps every loan on its own to record its months, and --engine pooled draws \
             identical loans as counts: the table would not be the run's; export it with --engine fast or auto"
        )));
    }
    if format.parquet() && !cfg!(feature = "parquet") {
        return Err(Failure::Input(anyhow!(
            "--export-format {}: {}",
            format.word(),
            creditstress::scenario::PARQUET_FEATURE_MISSING
        )));
    }
    if sharded {
        return Err(Failure::Input(anyhow!(
            "--export monthly cannot be combined with --shard: shard.bin keeps each path's months but not \
             their split by segment, so a merge could not write monthly.csv; export it from an unsharded run"
        )));
    }
    Ok(())
}

/// Memory and disk a path's rows of monthly.csv take, roughly: its ledger's
/// cells (about 150 bytes each) and a CSV row (about 160 bytes) per month and segment.
fn monthly_bytes_per_path(scenario: &Scenario) -> u64 {
    (scenario.horizon_months * scenario.segments.len()) as u64 * 310
}

/// Refuses a tape the run cannot give.
fn check_tape_request(
    scenario: &Scenario,
    sharded: bool,
    tape_paths: u64,
    format: TapeFormat,
    engine: EngineArg,
) -> Result<(), Failure> {
    if engine == EngineArg::Pooled {
        return Err(Failure::Input(anyhow!(
            "--emit-tape records each loan's own draws, and --engine pooled draws identical loans as counts \
             (no loan has draws of its own): emit the tape with --engine fast or auto"
        )));
    }
    if format.parquet() && !cfg!(feature = "parquet") {
        return Err(Failure::Input(anyhow!(
            "--tape-format {}: {}",
            if format == TapeFormat::Both { "both" } else { "parquet" },
            creditstress::scenario::PARQUET_FEATURE_MISSING
        )));
    }
    if sharded {
        return Err(Failure::Input(anyhow!(
            "--emit-tape cannot be combined with --shard: emit the tape from one unsharded run (paths 0..K)"
        )));
    }
    if scenario.redraw_population {
        return Err(Failure::Input(anyhow!(
            "--emit-tape needs one book for all paths; the scenario redraws the population on every path \
             (run.redraw_population = true)"
        )));
    }
    if scenario.importance.is_some() {
        return Err(Failure::Input(anyhow!(
            "--emit-tape writes a loan-level history, and importance sampling draws shifted paths that only \
             their weights make representative (a tape has no weights): emit the tape from a plain run \
             (--sampling plain)"
        )));
    }
    if scenario.originates() {
        return Err(Failure::Input(anyhow!(
            "--emit-tape exports the opening book and its loans' months; loans originated during the run \
             ([segments.originations]) are not on the tape yet: emit it from the scenario without originations"
        )));
    }
    if tape_paths > scenario.paths {
        return Err(Failure::Input(anyhow!(
            "--tape-paths {tape_paths} is more than the run's {} paths",
            scenario.paths
        )));
    }
    Ok(())
}

/// Writes the book and the tape of paths `0..k` into `dir` (book.csv and
/// tape.csv, and/or book.parquet and tape.parquet); returns a line saying so.
fn emit_tape(prepared: &Prepared, k: u64, format: TapeFormat, dir: &Path) -> Result<String, Failure> {
    use creditstress::report::tape::{LoanIds, write_book_csv, write_tape_csv};
    use rayon::prelude::*;
    let runs: Vec<_> = (0..k)
        .into_par_iter()
        .map(|i| prepared.simulate_path_with_tape(i))
        .collect();
    let (_, book, origins) = &runs[0];
    let ids = LoanIds::new(prepared.scenario, book, origins);
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create {}", dir.display()))
        .map_err(Failure::Runtime)?;
    let empty = Default::default();
    let tapes: Vec<(u64, &creditstress::loan::tape::LoanTape)> = runs
        .iter()
        .enumerate()
        .map(|(i, (o, _, _))| (i as u64, o.tally.tape.as_deref().unwrap_or(&empty)))
        .collect();
    let mut names = Vec::new();
    if format.csv() {
        write_streamed(&dir.join("book.csv"), |w| {
            write_book_csv(w, prepared.scenario, book, origins)
        })?;
        write_streamed(&dir.join("tape.csv"), |w| write_tape_csv(w, &tapes, &ids))?;
        names.push(("book.csv", "tape.csv"));
    }
    #[cfg(feature = "parquet")]
    if format.parquet() {
        use creditstress::report::tape_parquet::{write_book_parquet, write_tape_parquet};
        write_streamed(&dir.join("book.parquet"), |w| {
            write_book_parquet(w, prepared.scenario, book, origins)
        })?;
        write_streamed(&dir.join("tape.parquet"), |w| write_tape_parquet(w, &tapes, &ids))?;
        names.push(("book.parquet", "tape.parquet"));
    }
    let rows: usize = tapes.iter().map(|(_, t)| t.rows.len()).sum();
    let (books, tape_files): (Vec<_>, Vec<_>) = names.into_iter().unzip();
    Ok(format!(
        "Tape of {k} path(s) written to {}: {} ({} loans), {} ({rows} loan-months)",
        dir.display(),
        books.join(" and "),
        book.loans.len(),
        tape_files.join(" and "),
    ))
}

/// Writes a file through a buffered temporary file and a rename, so that a
/// failed or interrupted write leaves no half file under the final name.
fn write_streamed(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>,
) -> Result<(), Failure> {
    use std::io::Write;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let result = std::fs::File::create(&tmp).and_then(|f| {
        let mut w = std::io::BufWriter::new(f);
        write(&mut w)?;
        w.flush()?;
        std::fs::rename(&tmp, path)
    });
    result
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            anyhow!("cannot write {}: {e}", path.display())
        })
        .map_err(Failure::Runtime)
}

/// The end of `run` and `merge`: the summary as JSON (`--json`), or the
/// table, the engine and `last_line` (unless `--quiet`).
pub fn print_summary(json: bool, quiet: bool, summary: &RunSummary, scenario: &Scenario, last_line: &str) {
    if json {
        emit(&creditstress::report::to_json(summary));
    } else if !quiet {
        emit(&format!(
            "{}\n{}Engine: {}\n{last_line}\n",
            format::summary_table(summary, scenario),
            policy_line(summary, scenario),
            summary.engine
        ));
    }
}

/// With a `[policy]`: one line naming it and what its levers did (means per path).
fn policy_line(summary: &RunSummary, scenario: &Scenario) -> String {
    if scenario.file.policy.is_none() {
        return String::new();
    }
    let e = &summary.policy;
    let money = creditstress::report::plots::format::money;
    format!(
        "Policy {}: collection cost {} (in net income), limits cut {} and raised {}, {:.1} forbearance plans, \
         penalty interest {} (means per path)\n",
        if e.name.is_empty() { "policy" } else { e.name.as_str() },
        money(e.collection_cost.mean),
        money(e.limit_cut),
        money(e.limit_raised),
        e.forbearance_plans,
        money(e.penalty_interest)
    )
}

/// A finished simulation: one `run`, or the shards of a study put back
/// together by `merge`.
pub struct Finished<'a> {
    /// The scenario with overrides applied.
    pub scenario: &'a Scenario,
    /// Path of the scenario file as given.
    pub scenario_file: String,
    /// SHA-256 of the scenario file's bytes.
    pub scenario_sha256: String,
    /// How loans were simulated.
    pub engine: &'a str,
    /// Profile of the run-level book.
    pub profile: &'a BookProfile,
    /// Every path's outcome, in path order.
    pub paths: &'a [PathOutcome],
    /// Simulation wall time, seconds (for a merge: the sum over shards).
    pub elapsed_seconds: f64,
    /// Worker threads (for a merge: the most any shard used).
    pub threads: usize,
    /// Peak resident memory (for a merge: the largest of any shard).
    pub peak_rss_bytes: Option<u64>,
    /// Whether `peak_rss_bytes` is this process's own (a run, not a merge): it
    /// is then read again once statistics, plots and the report are rendered,
    /// so that `summary.json` gives the peak of the whole run.
    pub peak_rss_is_own: bool,
    /// With `--target`: how the run stopped.
    pub precision: Option<PrecisionReport>,
    /// With importance sampling: the shift the paths were drawn with.
    pub importance: Option<&'a ImportancePlan>,
    /// The book's IRB capital, when some segment has `[segments.capital]`.
    pub capital: Option<&'a creditstress::capital::book::RegulatoryCapital>,
    /// The `--set PATH=VALUE` settings, in order (repeated in the reproduce command).
    pub sets: &'a [String],
    /// The book's loans above the `[rate_lines]`.
    pub rate_lines: Option<&'a creditstress::economics::RateLines>,
    /// What `validate` says about the scenario and its book (summary.json `inputs`).
    pub inputs: Option<&'a creditstress::describe::Inputs>,
    /// With `--export monthly`: the formats of its table (the paths hold their monthly ledgers).
    pub monthly: Option<TapeFormat>,
}

/// Renders and writes every output of a finished simulation into `out`. `run`
/// and `merge` both go through here, so a merge writes exactly what one run
/// writes, apart from the timing and thread fields.
pub fn write_run_outputs(done: &Finished, out: &Path) -> Result<RunSummary, Failure> {
    signal_point("statistics");
    let scenario = done.scenario;
    let mut summary = RunSummary::new(scenario, done.profile, done.paths);
    summary.elapsed_seconds = done.elapsed_seconds;
    summary.threads = done.threads;
    summary.loan_months_per_second = if done.elapsed_seconds > 0.0 {
        summary.loan_months as f64 / done.elapsed_seconds
    } else {
        0.0
    };
    summary.peak_rss_bytes = done.peak_rss_bytes;
    summary.precision = done.precision.clone();
    summary.engine = done.engine.to_string();
    summary.sampling = done.importance.map(|plan| {
        let losses: Vec<f64> = done.paths.iter().map(|p| p.tally.loss).collect();
        let raw: Vec<f64> = done.paths.iter().map(|p| p.weight).collect();
        let shifted = done
            .paths
            .iter()
            .filter(|p| plan.tilt.shifts_path(scenario.seed, p.index))
            .count() as u64;
        SamplingSummary::new(plan.pilot.clone(), &losses, &raw, shifted, &scenario.risk_levels)
    });
    summary.rate_lines = done.rate_lines.cloned();
    summary.inputs = done.inputs.cloned();
    summary.capital = done
        .capital
        .map(|c| creditstress::capital::book::CapitalSummary::new(c, &summary, &scenario.risk_levels));
    let series = Timeseries::new(scenario, done.profile, done.paths);
    let manifest = Manifest {
        format_version: creditstress::report::MANIFEST_FORMAT_VERSION,
        program: env!("CARGO_PKG_NAME").to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        scenario_file: done.scenario_file.clone(),
        scenario_sha256: done.scenario_sha256.clone(),
        scenario: scenario.file.clone(),
        data_files: creditstress::report::DataFile::of(&scenario.file),
        seed: scenario.seed,
        paths: scenario.paths,
        threads: done.threads,
        wall_seconds: done.elapsed_seconds,
        command: format!(
            "creditstress run {} --paths {} --seed {}{}{}{}{} --out {}",
            shell_quote(&done.scenario_file),
            scenario.paths,
            scenario.seed,
            engine_flag(scenario, done.engine),
            sampling_flag(scenario),
            super::set_flags(done.sets),
            done.monthly.map_or(String::new(), |f| match f {
                TapeFormat::Csv => " --export monthly".to_string(),
                f => format!(" --export monthly --export-format {}", f.word()),
            }),
            shell_quote(&out.display().to_string())
        ),
        exports: monthly_names(done.monthly),
    };
    let mut files = RunFiles::render(scenario, &summary, &series, done.paths, &manifest);
    if let Some(format) = done.monthly {
        let rows = creditstress::report::monthly::monthly_rows(scenario, done.paths)
            .context("cannot write monthly.csv")
            .map_err(Failure::Runtime)?;
        // Beside the other data files, before manifest.json.
        let at = files.files.len() - 1;
        if format.csv() {
            files
                .files
                .insert(at, ("monthly.csv", creditstress::report::monthly::monthly_csv(&rows)));
        }
        #[cfg(feature = "parquet")]
        if format.parquet() {
            let mut bytes = Vec::new();
            creditstress::report::monthly_parquet::write_monthly_parquet(&mut bytes, &rows)
                .context("cannot write monthly.parquet")
                .map_err(Failure::Runtime)?;
            files
                .files
                .insert(at + usize::from(format.csv()), ("monthly.parquet", bytes));
        }
    }
    // Plots and report.html, drawn from the bytes about to be written, as `creditstress report` would.
    let input = creditstress::report::ReportInput::from_run_files(&files)
        .context("cannot read the results back for the report")
        .map_err(Failure::Runtime)?;
    signal_point("rendering");
    let report = creditstress::report::ReportFiles::render(&input);
    if done.peak_rss_is_own {
        // Everything is rendered and held: the process's peak is now the
        // run's (the writing only moves these bytes). The report does not
        // show it, so summary.json alone is rendered again.
        summary.peak_rss_bytes = peak_rss_bytes().max(summary.peak_rss_bytes);
        if let Some((_, bytes)) = files.files.iter_mut().find(|(name, _)| *name == "summary.json") {
            *bytes = creditstress::report::to_json(&summary).into_bytes();
        }
    }
    // Everything is rendered: an interrupt up to here leaves nothing behind,
    // and from here on the whole set is written before the exit code says so.
    // One transaction: the data files, the report and the plots replace the
    // older run's set whole (its files this run does not write go too).
    let set: Vec<(String, Vec<u8>)> = files
        .files
        .into_iter()
        .map(|(name, bytes)| (name.to_string(), bytes))
        .chain(report.files)
        .collect();
    write_guarded(out, &set, &creditstress::report::run_output_names(), "results")?;
    Ok(summary)
}

/// The files of `--export monthly` in `format`, as the manifest lists them.
fn monthly_names(format: Option<TapeFormat>) -> Vec<String> {
    let Some(format) = format else {
        return Vec::new();
    };
    let mut names = Vec::new();
    if format.csv() {
        names.push("monthly.csv".to_string());
    }
    if format.parquet() {
        names.push("monthly.parquet".to_string());
    }
    names
}

/// Writes a rendered output set under `out` as one transaction
/// ([`creditstress::report::write_set`], replacing `stale` too), between the
/// two interrupt checks every command shares: a signal before it leaves
/// nothing written, one during it lets the whole set land, and both exit
/// 128 + the signal. `what` names the set in an error.
pub fn write_guarded(
    out: &Path,
    files: &[(String, Vec<u8>)],
    stale: &[String],
    what: &str,
) -> Result<Vec<PathBuf>, Failure> {
    refuse_if_interrupted(out)?;
    signal_point("writing");
    let written = creditstress::report::write_set(out, files, stale)
        .with_context(|| format!("cannot write {what} to {}", out.display()))
        .map_err(Failure::Runtime)?;
    refuse_if_interrupted_after_writing(out)?;
    Ok(written)
}

/// Exit 130 with nothing written when Ctrl-C or SIGTERM came before the writing.
pub fn refuse_if_interrupted(out: &Path) -> Result<(), Failure> {
    if interrupt_flag().load(std::sync::atomic::Ordering::SeqCst) {
        return Err(Failure::Interrupted(anyhow!(
            "interrupted: nothing was written to {}",
            out.display()
        )));
    }
    Ok(())
}

/// Exit 130 when an interrupt came while the (then completed) set was written.
pub fn refuse_if_interrupted_after_writing(out: &Path) -> Result<(), Failure> {
    if interrupt_flag().load(std::sync::atomic::Ordering::SeqCst) {
        return Err(Failure::Interrupted(anyhow!(
            "interrupted while writing: the whole set was written to {} before stopping",
            out.display()
        )));
    }
    Ok(())
}

/// What creditstress commands write into an output folder: the files of a
/// run, a merge, a comparison, a sweep, a shard, a tape and a calibration report, the plots
/// folder, and the shard folders of a study (`shard-K`).
const OUTPUT_NAMES: [&str; 35] = [
    "summary.json",
    "paths.csv",
    "timeseries.csv",
    "vintages.csv",
    "monthly.csv",
    "monthly.parquet",
    "manifest.json",
    "report.html",
    "plots",
    "shard.json",
    "shard.bin",
    "comparison.json",
    "comparison.csv",
    "comparison.html",
    "comparison_paths.csv",
    "comparison_timeseries.csv",
    "sweep.json",
    "sweep.csv",
    "sweep.html",
    "grid.json",
    "grid.csv",
    "grid.html",
    "reverse.json",
    "stress.json",
    "stress.csv",
    "stress.html",
    "stress_paths.csv",
    "stress_timeseries.csv",
    "reverse.csv",
    "calibration.json",
    "calibration.html",
    "tape.csv",
    "tape.parquet",
    "book.csv",
    "book.parquet",
];

/// Refuses (exit 2), before anything runs, an output folder that holds
/// entries creditstress did not write, unless `force`: a mistyped `--out`
/// must not scatter result files among a user's own. Hidden entries (the
/// locks and temporary files of a write) and `shard-K` folders count as ours.
pub fn check_output_folder(out: &Path, force: bool) -> Result<(), Failure> {
    check_named_output_folder(out, &format!("--out {}", out.display()), force)
}

/// [`check_output_folder`], the folder named in the message as `label`.
pub fn check_named_output_folder(out: &Path, label: &str, force: bool) -> Result<(), Failure> {
    let Ok(entries) = std::fs::read_dir(out) else {
        return Ok(());
    };
    let mut foreign: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !(n.starts_with('.') || n.starts_with("shard-") || OUTPUT_NAMES.contains(&n.as_str())))
        .collect();
    if foreign.is_empty() || force {
        return Ok(());
    }
    foreign.sort();
    let shown = foreign.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
    Err(Failure::Input(anyhow!(
        "{label}: the folder holds {} entr{} creditstress did not write ({shown}{}); give a new or empty folder, \
         or --force to write beside them (nothing of theirs is changed)",
        foreign.len(),
        if foreign.len() == 1 { "y" } else { "ies" },
        if foreign.len() > 5 { ", ..." } else { "" }
    )))
}

/// Fails early (before simulating) when the output folder can never be created:
/// it, or its nearest existing ancestor, is not a folder.
pub fn check_writable_destination(out: &Path) -> Result<(), Failure> {
    let mut probe = Some(out);
    while let Some(p) = probe {
        if p.exists() {
            if p.is_dir() {
                return Ok(());
            }
            // A path the user gave that cannot be a folder is a usage error (exit 2).
            return Err(Failure::Input(anyhow!(
                "--out {}: {} exists and is not a folder",
                out.display(),
                p.display()
            )));
        }
        probe = p.parent().filter(|q| !q.as_os_str().is_empty());
    }
    Ok(())
}

/// Bytes free for an unprivileged user on the file system holding `dir`
/// (`statvfs`; `None` where the system does not say).
#[cfg(unix)]
fn free_bytes(dir: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c_path = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    let mut stat = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `c_path` is a valid NUL-terminated string and `stat` points to
    // writable memory of the right type; statvfs only writes into it.
    let rc = unsafe { libc::statvfs(c_path.as_ptr(), stat.as_mut_ptr()) };
    if rc != 0 {
        return None;
    }
    // SAFETY: statvfs returned 0, so it filled the struct.
    let stat = unsafe { stat.assume_init() };
    // The field types differ between platforms (u64 on 64-bit Linux, c_ulong elsewhere).
    #[allow(clippy::unnecessary_cast)]
    Some((stat.f_bavail as u64).saturating_mul(stat.f_frsize as u64))
}

#[cfg(not(unix))]
fn free_bytes(_dir: &Path) -> Option<u64> {
    None
}

/// Refuses (exit 2), before anything is simulated, an output folder that
/// cannot be written: a probe file is created and removed in it (or in its
/// nearest existing ancestor, where it will be created), and the free space
/// there must hold `needed` bytes. A read-only or full destination is then
/// found in milliseconds, not after the simulation.
pub fn check_destination_room(out: &Path, needed: u64) -> Result<(), Failure> {
    let mut dir = out;
    while !dir.exists() {
        match dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            Some(p) => dir = p,
            None => {
                dir = Path::new(".");
                break;
            }
        }
    }
    let probe = dir.join(format!(".creditstress-probe-{}", std::process::id()));
    let written = std::fs::write(&probe, b"probe");
    let _ = std::fs::remove_file(&probe);
    if let Err(e) = written {
        return Err(Failure::Input(anyhow!(
            "--out {}: cannot write into {} ({e}); nothing was simulated",
            out.display(),
            dir.display()
        )));
    }
    if let Some(free) = free_bytes(dir)
        && free < needed
    {
        let mib = |b: u64| b as f64 / (1u64 << 20) as f64;
        return Err(Failure::Input(anyhow!(
            "--out {}: the outputs need about {:.1} MiB and {} has {:.1} MiB free; free some space or write \
             elsewhere; nothing was simulated",
            out.display(),
            mib(needed),
            dir.display(),
            mib(free)
        )));
    }
    Ok(())
}

/// What a run writes, roughly, in bytes: the plots and report, and per path a
/// row of paths.csv (or the shard's binary record), with room to spare.
pub fn output_bytes_estimate(scenario: &Scenario, paths: u64) -> u64 {
    let per_path = creditstress::shard::codec::Dims::of(scenario).path_bytes() as u64
        + 40 * (12 + scenario.segments.len() + scenario.event_names().len()) as u64;
    16 * (1 << 20) + paths.saturating_mul(per_path)
}

/// A thread-count option (`flag` names it in the error): at least 1; by default every core.
pub fn thread_count(requested: Option<usize>, flag: &str) -> Result<usize, Failure> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    match requested {
        Some(0) => Err(Failure::Input(anyhow!("{flag} must be at least 1"))),
        // More threads than this only spawns idle workers (results do not depend on the count).
        Some(n) if n > MAX_THREADS_PER_CORE * cores => Err(Failure::Input(anyhow!(
            "{flag} {n} is more than {MAX_THREADS_PER_CORE} per core on this machine ({cores} cores): \
             at most {} (results are the same on any thread count)",
            MAX_THREADS_PER_CORE * cores
        ))),
        Some(n) => Ok(n),
        None => Ok(cores),
    }
}

/// The most worker threads per available core `--threads` accepts.
pub const MAX_THREADS_PER_CORE: usize = 8;

/// Quotes a path for a POSIX shell when it needs it.
pub fn shell_quote(s: &str) -> String {
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

/// The signal that stopped the command (SIGINT, SIGTERM or SIGHUP), 0 while none came.
static STOP_SIGNAL: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);
/// Raised with [`STOP_SIGNAL`]: the engine polls it between paths.
static STOP_FLAG: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Runs in signal context, so it only stores to atomics, or calls `_exit`:
/// the first signal asks the command to stop at its next check; a second
/// one (a user pressing Ctrl-C again, `timeout` or a scheduler insisting)
/// ends the process at once with 128 + the signal. A set that was being
/// moved into place is then put back by the next command into the folder.
extern "C" fn record_stop_signal(signal: libc::c_int) {
    use std::sync::atomic::Ordering;
    if STOP_FLAG.load(Ordering::SeqCst) {
        // SAFETY: _exit(2) is async-signal-safe.
        unsafe { libc::_exit(128 + signal) };
    }
    STOP_SIGNAL.store(signal, Ordering::SeqCst);
    STOP_FLAG.store(true, Ordering::SeqCst);
}

/// A flag raised by Ctrl-C, SIGTERM or SIGHUP (the handlers are installed on
/// the first call). The engine stops at the next path, and every stage checks
/// it before anything is written; the exit code is 128 + the signal
/// ([`stop_exit_code`]), as a shell reports a process the signal killed.
pub fn interrupt_flag() -> &'static std::sync::atomic::AtomicBool {
    use std::sync::OnceLock;
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            // SAFETY: the action is zeroed then filled as sigaction(2) asks; the
            // handler only stores to atomics, which is async-signal-safe. If the
            // call fails the signal keeps its default action: it still stops
            // the program, only the tidy exit is lost.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = record_stop_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
                action.sa_flags = libc::SA_RESTART;
                libc::sigemptyset(&mut action.sa_mask);
                libc::sigaction(signal, &action, std::ptr::null_mut());
            }
        }
    });
    &STOP_FLAG
}

/// Fault injection for the interrupt tests: where `CREDITSTRESS_SIGNAL_AT`
/// names this stage (`STAGE`, or `STAGE:TERM` / `STAGE:HUP` for another
/// signal than SIGINT) the command sends the signal to itself there, so that
/// each stage's handling (simulation, statistics, rendering, writing, a
/// merge's reading) is tested without racing a timer. Unset, it does nothing.
pub fn signal_point(stage: &str) {
    let Ok(wanted) = std::env::var("CREDITSTRESS_SIGNAL_AT") else {
        return;
    };
    let (at, signal) = wanted.split_once(':').unwrap_or((wanted.as_str(), "INT"));
    if at != stage {
        return;
    }
    let signal = match signal {
        "TERM" => libc::SIGTERM,
        "HUP" => libc::SIGHUP,
        _ => libc::SIGINT,
    };
    interrupt_flag();
    // SAFETY: raise(3) with a valid signal number; the handler above runs on this thread.
    unsafe {
        libc::raise(signal);
    }
}

/// 128 + the signal that stopped the command: 130 for Ctrl-C, 143 for
/// SIGTERM, 129 for SIGHUP (130 when none was recorded).
pub fn stop_exit_code() -> u8 {
    match STOP_SIGNAL.load(std::sync::atomic::Ordering::SeqCst) {
        s @ 1..=64 => 128 + s as u8,
        _ => 130,
    }
}

/// Memory this machine can still give, from `/proc/meminfo` (`None` where unknown).
fn available_memory_bytes() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Refuses, before anything is allocated, a run whose book and per-path
/// results would not fit in the memory available: the book's loans
/// (`size_of::<Loan>()` each, once per worker thread as well when the
/// population is redrawn per path) plus what every path keeps (with its
/// book flow and vintage cells when loans are originated). Loans booked
/// during the run are stepped as they are drawn and never kept.
pub fn check_memory(scenario: &Scenario, paths: u64, threads: usize) -> Result<(), Failure> {
    check_memory_with(scenario, paths, threads, 0)
}

/// [`check_memory`] with `extra_per_path` more bytes for each path (an export's).
fn check_memory_with(scenario: &Scenario, paths: u64, threads: usize, extra_per_path: u64) -> Result<(), Failure> {
    let (s, b, h) = (scenario.segments.len(), scenario.bands.len(), scenario.horizon_months);
    let k = scenario.macro_model.factor_names.len();
    // PathOutcome: fixed fields, vectors by segment, band and month, factors; and the sort copies.
    let mut per_path = 256 + 16 * s + 16 * b + 16 * h + 8 * k * h + 64 + extra_per_path as usize;
    if scenario.originates() {
        // The book flow: monthly series, per-segment and per-band counts, the vintage cells.
        let v = creditstress::loan::flow::vintage_count(h, scenario.vintage_months);
        per_path += 400 + h * (28 + 12 * v) + 12 * s + 4 * b;
    }
    let books = if scenario.redraw_population {
        1 + threads as u128
    } else {
        1
    };
    let book = books * scenario.total_loans() as u128 * std::mem::size_of::<creditstress::population::Loan>() as u128;
    let results = (paths as u128) * per_path as u128;
    let needed = book + results;
    // Where the machine does not say, no run may ask for more than 1 TiB.
    let available = available_memory_bytes().unwrap_or(1 << 40);
    if needed > available as u128 {
        let gib = |x: u128| x as f64 / (1u128 << 30) as f64;
        return Err(Failure::Input(anyhow!(
            "{}: the book ({} loans{}) needs about {:.1} GiB and the results of {paths} paths {:.1} GiB, \
             but this machine has {:.1} GiB available; book fewer loans, run fewer paths, or split the study \
             with --shard K/N and merge it",
            scenario.name,
            scenario.total_loans(),
            if books > 1 {
                ", drawn again in every worker thread"
            } else {
                ""
            },
            gib(book),
            gib(results),
            gib(available as u128)
        )));
    }
    Ok(())
}

/// Peak resident set size of this process (Linux `VmHWM`), if known.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_destination_without_room_is_refused_and_one_with_room_passes() {
        let dir = std::env::temp_dir().join(format!("creditstress-room-{}", std::process::id()));
        // A folder not created yet is probed in its nearest existing ancestor.
        assert!(check_destination_room(&dir.join("a/b"), 1).is_ok());
        let err = check_destination_room(&dir, u64::MAX).unwrap_err();
        let Failure::Input(e) = err else {
            panic!("not an input error")
        };
        assert!(e.to_string().contains("MiB free"), "{e}");
        assert!(!dir.exists(), "the probe leaves nothing behind");
        assert!(free_bytes(&std::env::temp_dir()).is_some_and(|b| b > 0));
    }
}
