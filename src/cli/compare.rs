//! `creditstress compare`: several policies under the same stress, on common
//! random numbers, with paired differences against the first policy.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, anyhow};
use clap::Args;

use creditstress::engine::{self, EngineChoice, EngineError, RunControl};
use creditstress::population::cents_to_money;
use creditstress::report::study::{
    MANIFEST_FORMAT, MANIFEST_VERSION, Study, StudyCommand, StudyInput, StudyManifest, StudyResult, StudyRunRecord,
};
use creditstress::report::{DataFile, sha256_hex, to_json};
use creditstress::scenario::{PolicySection, Scenario, parse_policy_file};
use creditstress::stats::Timeseries;
use creditstress::stats::compare::{Comparison, PolicySample, compare_policies};

use super::run::{StudyArgs, check_writable_destination, interrupt_flag, progress_bar, shell_quote};
use super::{Failure, emit, format, load_scenario};

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Scenario file (TOML): the stress all policies face.
    scenario: PathBuf,
    /// Policy file; give two or more. The first is the baseline.
    #[arg(long = "policy", required = true, num_args = 1)]
    policies: Vec<PathBuf>,
    #[command(flatten)]
    study: StudyArgs,
}

/// Reads a policy file; errors name the file.
pub fn load_policy(path: &Path) -> Result<PolicySection, Failure> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read the policy file", path.display()))
        .map_err(Failure::Input)?;
    let mut policy = parse_policy_file(&text).map_err(|e| Failure::Input(anyhow!("{}: {e}", path.display())))?;
    if policy.name.is_empty() {
        policy.name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("policy")
            .to_string();
    }
    Ok(policy)
}

/// The scenario under each policy, checked before anything runs.
pub fn scenarios_under(base: &Scenario, files: &[PathBuf]) -> Result<Vec<Scenario>, Failure> {
    let mut out: Vec<Scenario> = Vec::with_capacity(files.len());
    for path in files {
        let policy = load_policy(path)?;
        let scenario = base
            .with_policy(policy)
            .map_err(|e| Failure::Input(anyhow!("{}: {e}", path.display())))?;
        if out.iter().any(|s| s.policy.name == scenario.policy.name) {
            return Err(Failure::Input(anyhow!(
                "{}: policy name {:?} is used twice; give each policy its own name",
                path.display(),
                scenario.policy.name
            )));
        }
        out.push(scenario);
    }
    Ok(out)
}

/// The runs of a study: per-path figures and monthly bands, in order.
pub struct StudyRuns {
    /// Per-path figures of each run.
    pub samples: Vec<PolicySample>,
    /// Monthly bands across paths of each run (empty unless asked for).
    pub monthly: Vec<Timeseries>,
}

/// Runs each scenario (same seed, same paths) and keeps the per-path figures
/// and, with `monthly` (the studies whose page draws them; a sweep's does
/// not), the monthly bands.
pub fn run_policies(scenarios: &[Scenario], threads: usize, quiet: bool, monthly: bool) -> Result<StudyRuns, Failure> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("cannot start the worker threads")
        .map_err(Failure::Runtime)?;
    let total: u64 = scenarios.iter().map(|s| s.paths).sum();
    let bar = progress_bar(total, quiet);
    let tick = || bar.inc(1);
    let control = RunControl {
        progress: Some(&tick),
        cancel: Some(interrupt_flag()),
    };
    // Common random numbers need one engine for all: the fast path and monthly
    // stepping use a loan's draws differently, so if any policy needs stepping, all step.
    let choice = if scenarios.iter().any(|s| engine::fast_path_blocker(s).is_some()) {
        EngineChoice::Stepping
    } else {
        EngineChoice::Auto
    };
    let mut samples = Vec::with_capacity(scenarios.len());
    let mut bands = Vec::new();
    for scenario in scenarios {
        let (prepared, paths) = pool
            .install(|| engine::run_with(scenario, choice, control))
            .map_err(|e| match e {
                EngineError::Cancelled => Failure::Interrupted(anyhow!("interrupted: nothing was written")),
                other => Failure::Runtime(other.into()),
            })?;
        let loans = prepared.profile.loans;
        samples.push(PolicySample {
            name: scenario.policy.name.clone(),
            loans,
            loss: paths.iter().map(|p| p.tally.loss).collect(),
            default_rate: paths
                .iter()
                .map(|p| p.tally.defaults as f64 / loans.max(1) as f64)
                .collect(),
            interest: paths.iter().map(|p| cents_to_money(p.tally.interest)).collect(),
            net_income: paths.iter().map(|p| p.tally.net_income()).collect(),
            pnl_net_income: paths.iter().map(|p| p.pnl_net_income()).collect(),
        });
        if monthly {
            bands.push(Timeseries::new(scenario, &prepared.profile, &paths));
        }
    }
    bar.finish_and_clear();
    Ok(StudyRuns {
        samples,
        monthly: bands,
    })
}

/// A study's record of an input file: its role, its path as given and the SHA-256 of its bytes.
pub fn input_record(role: &str, path: &Path, bytes: Option<&[u8]>) -> Result<StudyInput, Failure> {
    let bytes = match bytes {
        Some(b) => b.to_vec(),
        None => std::fs::read(path)
            .with_context(|| format!("{}: cannot read", path.display()))
            .map_err(Failure::Input)?,
    };
    Ok(StudyInput {
        role: role.to_string(),
        path: path.display().to_string(),
        sha256: sha256_hex(&bytes),
    })
}

/// The command that reruns a study: `creditstress WHAT --paths N --seed S
/// [--set ...] --out OUT`, `what` the subcommand with its files and flags.
pub fn rerun_command(what: &str, base: &Scenario, sets: &[String], out: &Path) -> String {
    format!(
        "creditstress {what} --paths {} --seed {}{} --out {}",
        base.paths,
        base.seed,
        super::set_flags(sets),
        shell_quote(&out.display().to_string())
    )
}

/// The manifest of a study of `scenarios` (baseline first).
pub fn study_manifest(
    study: StudyCommand,
    inputs: Vec<StudyInput>,
    scenarios: &[Scenario],
    threads: usize,
    wall_seconds: f64,
    command: String,
) -> StudyManifest {
    StudyManifest {
        format: MANIFEST_FORMAT.to_string(),
        format_version: MANIFEST_VERSION,
        program: env!("CARGO_PKG_NAME").to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        study,
        inputs,
        runs: scenarios
            .iter()
            .map(|s| StudyRunRecord {
                name: s.policy.name.clone(),
                scenario: s.file.clone(),
                data_files: DataFile::of(&s.file),
            })
            .collect(),
        weights: None,
        seed: scenarios[0].seed,
        paths: scenarios[0].paths,
        threads,
        wall_seconds,
        command,
    }
}

pub fn execute(args: CompareArgs) -> Result<(), Failure> {
    if args.policies.len() < 2 {
        return Err(Failure::Input(anyhow!(
            "give at least two --policy files (the first is the baseline)"
        )));
    }
    args.study.check()?;
    let loaded = load_scenario(&args.scenario, &args.study.set)?;
    let base = loaded.scenario.with_overrides(args.study.paths, args.study.seed);
    super::refuse_importance(&base, &loaded.path, "compare")?;
    let scenarios = scenarios_under(&base, &args.policies)?;
    let threads = super::run::thread_count(args.study.threads, "--threads")?;
    for s in &scenarios {
        super::run::check_memory(s, s.paths, threads)?;
    }
    let out = args.study.out_or(&format!("{}-compare", base.name));
    check_writable_destination(&out)?;
    super::run::check_output_folder(&out, args.study.force)?;
    super::run::check_destination_room(&out, 16 << 20)?;
    let _lock = super::OutputLock::acquire(&out)?;

    let started = Instant::now();
    let runs = run_policies(&scenarios, threads, args.study.quiet || args.study.json, true)?;
    let comparison = compare_policies(&base.name, base.seed, &runs.samples, &base.risk_levels);
    let mut inputs = vec![input_record("scenario", &loaded.path, Some(&loaded.bytes))?];
    for p in &args.policies {
        inputs.push(input_record("policy", p, None)?);
    }
    let policies: String = args
        .policies
        .iter()
        .map(|p| format!(" --policy {}", shell_quote(&p.display().to_string())))
        .collect();
    let command = rerun_command(
        &format!("compare {}{policies}", shell_quote(&loaded.path.display().to_string())),
        &base,
        &args.study.set,
        &out,
    );
    let manifest = study_manifest(
        StudyCommand::Compare,
        inputs,
        &scenarios,
        threads,
        started.elapsed().as_secs_f64(),
        command,
    );
    let study = Study {
        result: StudyResult::Compare(comparison.clone()),
        samples: runs.samples,
        monthly: runs.monthly,
        manifest,
    };
    write_files(&out, &study.files())?;
    if args.study.json {
        emit(&to_json(&comparison));
    } else if !args.study.quiet {
        emit(&format!(
            "{}\nResults written to {}\n",
            comparison_table(&comparison),
            out.display()
        ));
    }
    Ok(())
}

/// Writes a study's `(relative path, bytes)` pairs under `out` as one set;
/// an interrupt before it leaves nothing written (exit 130), one during it
/// lets the whole set land first.
pub fn write_files(out: &Path, files: &[(String, Vec<u8>)]) -> Result<(), Failure> {
    super::run::write_guarded(out, files, &[], "results").map(|_| ())
}

/// Terminal tables: key figures per policy, then differences against the baseline.
pub fn comparison_table(c: &Comparison) -> String {
    comparison_table_of(c, creditstress::report::compare::POLICIES)
}

/// [`comparison_table`] for policies or scenarios.
pub fn comparison_table_of(c: &Comparison, subject: creditstress::report::compare::Subject) -> String {
    let mut rows = vec![vec![
        subject.noun.to_string(),
        "loans".into(),
        "EL".into(),
        "interest".into(),
        "net income".into(),
        "default rate".into(),
        "net/(ES-EL)".into(),
    ]];
    for p in &c.policies {
        rows.push(vec![
            p.name.clone(),
            p.loans.to_string(),
            format::money(p.el.value),
            format::money(p.interest_income.value),
            format::money(p.net_income.value),
            format::percent(p.default_rate),
            format!("{:.3}", p.risk_adjusted_return),
        ]);
    }
    let mut out = format!(
        "{}: {} paths, seed {}, common random numbers\n\n",
        c.scenario, c.paths, c.seed
    );
    out.push_str(&format::table(&rows));
    if c.policies.iter().any(|p| p.pnl_net_income.is_some()) {
        out.push_str("net/(ES-EL): the [economics] P&L's net income / economic capital at the highest level\n");
    }
    for v in &c.versus_baseline {
        out.push_str(&format!(
            "\n{} - {} (95% intervals: paired, and the unpaired half-width)\n",
            v.policy, v.baseline
        ));
        let mut rows = vec![vec![
            "metric".to_string(),
            "difference".into(),
            "paired CI".into(),
            "unpaired +-".into(),
            "width ratio".into(),
        ]];
        // Tail paths of each rough level (they depend on the level only).
        let mut rough: Vec<(String, u64)> = Vec::new();
        for d in &v.differences {
            let f = |x: f64| {
                if d.metric == "default_rate" {
                    format::percent(x)
                } else if d.metric.starts_with("risk") {
                    format!("{x:.4}")
                } else {
                    format::money(x)
                }
            };
            let mut label = creditstress::report::compare::metric_words(&d.metric);
            if let Some(t) = d.tail_paths.filter(|&t| t < creditstress::stats::risk::FEW_TAIL_PATHS) {
                let level = d.metric.rsplit('_').next().and_then(|q| q.parse::<f64>().ok());
                let level = level.map_or(d.metric.clone(), format::percent_level);
                if !rough.iter().any(|(l, _)| *l == level) {
                    rough.push((level, t));
                }
                label.push_str(" *");
            }
            rows.push(vec![
                label,
                f(d.paired.value),
                format!("[{}, {}]", f(d.paired.ci[0]), f(d.paired.ci[1])),
                f((d.unpaired_ci[1] - d.unpaired_ci[0]) / 2.0),
                format!("{:.2}", d.width_ratio),
            ]);
        }
        out.push_str(&format::table(&rows));
        if !rough.is_empty() {
            let levels: Vec<String> = rough.iter().map(|(l, t)| format!("{t} at {l}")).collect();
            out.push_str(&format!(
                "* rough: rests on fewer than {} tail paths ({})\n",
                creditstress::stats::risk::FEW_TAIL_PATHS,
                levels.join(", ")
            ));
        }
    }
    out
}
