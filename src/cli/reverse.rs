//! `creditstress reverse`: reverse stress testing. Finds the value of one
//! scenario field at which a figure crosses a target (e.g. the depth of a
//! shock at which mean net income turns negative), on common random numbers,
//! with the root's Monte Carlo interval.

use std::path::PathBuf;

use anyhow::anyhow;
use clap::Args;

use creditstress::engine::{self, EngineChoice, EngineError, PathOutcome, RunControl};
use creditstress::scenario::{Scenario, with_field};
use creditstress::stats::risk::{VAR_CI_LEVEL, risk_measures};
use creditstress::stats::root::{Evaluation, Root, RootError, find_root};
use creditstress::stats::weighted::PathWeights;

use super::run::{StudyArgs, check_writable_destination, thread_count};
use super::{Failure, emit, format, load_scenario};

#[derive(Debug, Args)]
pub struct ReverseArgs {
    /// Scenario file (TOML).
    scenario: PathBuf,
    /// Field to solve for, as a dotted path: e.g. `macro.shocks[0].depth`,
    /// `segments[1].rho`, `policy.approval.min_score`.
    #[arg(long)]
    param: String,
    /// The figure and the value it must reach, FIGURE=VALUE: `net_income.mean=0`,
    /// `loss.mean=2e7`, `loss_rate.mean=0.1`, `default_rate.mean=0.15`,
    /// `loss_rate.var.0.99=0.2`, `loss.es.0.999=5e7`.
    #[arg(long, value_name = "FIGURE=VALUE")]
    target: String,
    /// Lower end of the bracket searched.
    #[arg(long)]
    from: f64,
    /// Upper end of the bracket searched (the figure must cross the target between the two).
    #[arg(long)]
    to: f64,
    /// Stop when the bracket is narrower than this (default: 1/1000 of --to minus --from).
    #[arg(long)]
    tolerance: Option<f64>,
    /// Most simulations to run (each one is a full run of the scenario's paths).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(3..=200))]
    max_evaluations: u64,
    #[command(flatten)]
    study: StudyArgs,
}

/// A figure of a run that a reverse stress test can target.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Figure {
    /// The mean of a per-path quantity.
    Mean(Quantity),
    /// VaR at a level.
    Var(Quantity, f64),
    /// ES at a level.
    Es(Quantity, f64),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Quantity {
    Loss,
    LossRate,
    NetIncome,
    /// The `[economics]` P&L's net income.
    PnlNetIncome,
    DefaultRate,
    Interest,
}

fn parse_target(text: &str) -> Result<(Figure, f64), Failure> {
    let usage = || {
        Failure::Input(anyhow!(
            "--target {text:?}: write FIGURE=VALUE with FIGURE one of loss.mean, loss_rate.mean, net_income.mean, \
             pnl_net_income.mean (with [economics]), default_rate.mean, interest_income.mean, loss.var.Q, loss_rate.var.Q, loss.es.Q, loss_rate.es.Q \
             (Q a level in (0, 1)), e.g. net_income.mean=0 or loss_rate.var.0.99=0.2"
        ))
    };
    let (figure, value) = text.split_once('=').ok_or_else(usage)?;
    let value: f64 = value.trim().parse().map_err(|_| usage())?;
    if !value.is_finite() {
        return Err(usage());
    }
    let parts: Vec<&str> = figure.trim().splitn(3, '.').collect();
    let quantity = match parts.first().copied() {
        Some("loss") => Quantity::Loss,
        Some("loss_rate") => Quantity::LossRate,
        Some("net_income") => Quantity::NetIncome,
        Some("pnl_net_income") => Quantity::PnlNetIncome,
        Some("default_rate") => Quantity::DefaultRate,
        Some("interest_income") => Quantity::Interest,
        _ => return Err(usage()),
    };
    let level = |q: &str| q.parse::<f64>().ok().filter(|q| *q > 0.0 && *q < 1.0).ok_or_else(usage);
    let tail = matches!(quantity, Quantity::Loss | Quantity::LossRate);
    let figure = match parts.as_slice() {
        [_, "mean"] => Figure::Mean(quantity),
        [_, "var", q] if tail => Figure::Var(quantity, level(q)?),
        [_, "es", q] if tail => Figure::Es(quantity, level(q)?),
        _ => return Err(usage()),
    };
    Ok((figure, value))
}

/// The figure and its standard error on one run's paths.
fn measure(figure: Figure, paths: &[PathOutcome], loans: u64) -> (f64, f64) {
    let values = |q: Quantity| -> Vec<f64> {
        paths
            .iter()
            .map(|p| match q {
                Quantity::Loss => p.tally.loss,
                Quantity::LossRate => p.loss_rate(),
                Quantity::NetIncome => p.tally.net_income(),
                Quantity::PnlNetIncome => p.pnl_net_income().unwrap_or(f64::NAN),
                Quantity::DefaultRate => p.tally.defaults as f64 / loans.max(1) as f64,
                Quantity::Interest => creditstress::population::cents_to_money(p.tally.interest),
            })
            .collect()
    };
    let z = creditstress::stats::normal::norm_inv(0.5 + VAR_CI_LEVEL / 2.0);
    match figure {
        Figure::Mean(q) => {
            let m = PathWeights::Equal.moments(&values(q));
            (m.mean, m.stderr)
        }
        Figure::Var(q, level) => {
            let r = risk_measures(&values(q), &[level]);
            let key = creditstress::stats::risk::level_key(level);
            let var = r.var[&key];
            // The wider side of the order-statistic interval, as a standard error.
            let se = match r.var_ci[&key] {
                [Some(lo), Some(hi)] => (hi - var).max(var - lo) / z,
                _ => f64::INFINITY,
            };
            (var, se)
        }
        Figure::Es(q, level) => {
            let r = risk_measures(&values(q), &[level]);
            let key = creditstress::stats::risk::level_key(level);
            let es = r.es[&key];
            (es, r.es_ci[&key].map_or(f64::INFINITY, |[lo, hi]| (hi - lo) / 2.0 / z))
        }
    }
}

/// The `format_version` of reverse.json: raised when a field changes meaning
/// or goes away, never for an added field.
const REVERSE_FORMAT_VERSION: u32 = 1;

/// `reverse.json`.
#[derive(Debug, serde::Serialize)]
struct Reverse<'a> {
    format_version: u32,
    scenario: &'a str,
    param: &'a str,
    target: &'a str,
    seed: u64,
    paths: u64,
    root: &'a Root,
    basis: &'static str,
    command: String,
}

pub fn execute(args: ReverseArgs) -> Result<(), Failure> {
    let (figure, target) = parse_target(&args.target)?;
    args.study.check()?;
    if !(args.from.is_finite() && args.to.is_finite() && args.from < args.to) {
        return Err(Failure::Input(anyhow!("--from must be below --to, both finite")));
    }
    let tolerance = args.tolerance.unwrap_or((args.to - args.from) / 1000.0);
    if !(tolerance > 0.0 && tolerance.is_finite()) {
        return Err(Failure::Input(anyhow!("--tolerance must be positive")));
    }
    let loaded = load_scenario(&args.scenario, &args.study.set)?;
    let base = loaded.scenario.with_overrides(args.study.paths, args.study.seed);
    super::refuse_importance(&base, &loaded.path, "reverse")?;
    let quantity = match figure {
        Figure::Mean(q) | Figure::Var(q, _) | Figure::Es(q, _) => q,
    };
    if quantity == Quantity::PnlNetIncome && base.file.economics.is_none() {
        return Err(Failure::Input(anyhow!(
            "--target {:?}: pnl_net_income is the [economics] P&L's net income, and {} has no [economics] section",
            args.target,
            loaded.path.display()
        )));
    }
    let at = |x: f64| -> Result<Scenario, Failure> {
        with_field(&base.file, &args.param, x)
            .and_then(Scenario::from_file)
            .map_err(|e| Failure::Input(anyhow!("--param {} = {x}: {e}", args.param)))
    };
    // Both ends must be valid scenarios before anything runs; they fix the engine for every point.
    let ends = [at(args.from)?, at(args.to)?];
    let choice = if ends
        .iter()
        .chain([&base])
        .any(|s| engine::fast_path_blocker(s).is_some())
    {
        EngineChoice::Stepping
    } else {
        EngineChoice::Auto
    };
    let threads = thread_count(args.study.threads, "--threads")?;
    super::run::check_memory(&base, base.paths, threads)?;
    let out = args.study.out_or(&format!("{}-reverse", base.name));
    check_writable_destination(&out)?;
    super::run::check_output_folder(&out, args.study.force)?;
    super::run::check_destination_room(&out, 16 << 20)?;
    let _lock = super::OutputLock::acquire(&out)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Failure::Runtime(anyhow!("cannot start the worker threads: {e}")))?;
    let control = RunControl {
        progress: None,
        cancel: Some(super::run::interrupt_flag()),
    };
    let quiet = args.study.quiet || args.study.json;
    let evaluate = |x: f64| -> Result<Evaluation, Failure> {
        let s = at(x)?;
        let (prepared, paths) = pool
            .install(|| engine::run_with(&s, choice, control))
            .map_err(|e| match e {
                EngineError::Cancelled => Failure::Interrupted(anyhow!("interrupted: nothing was written")),
                other => Failure::Runtime(other.into()),
            })?;
        let (value, stderr) = measure(figure, &paths, prepared.profile.loans);
        if !quiet {
            eprintln!("  {} = {x}: {value} (se {stderr:.3e})", args.param);
        }
        Ok(Evaluation { x, value, stderr })
    };
    let root = find_root(
        evaluate,
        target,
        args.from,
        args.to,
        tolerance,
        args.max_evaluations as usize,
    )
    .map_err(|e| match e {
        RootError::Evaluation(f) => f,
        RootError::NotBracketed { lo, hi, f_lo, f_hi } => Failure::Input(anyhow!(
            "--target {}: the figure does not cross the target between --from {lo} and --to {hi}: it is \
                 {f_lo} from the target at {lo} and {f_hi} at {hi}, the same side (widen the bracket)",
            args.target
        )),
    })?;
    let report = Reverse {
        format_version: REVERSE_FORMAT_VERSION,
        scenario: &base.name,
        param: &args.param,
        target: &args.target,
        seed: base.seed,
        paths: base.paths,
        root: &root,
        basis: "every evaluation runs the scenario with the field set, on the same seed and paths (common random \
                numbers), so the figure is a fixed function of the field; the root is found by the Illinois \
                variant of regula falsi; its 95% interval is 1.96 standard errors of the figure over the slope \
                of the figure across the final bracket",
        command: format!(
            "creditstress reverse {} --param {} --target {} --from {} --to {} --tolerance {} --paths {} --seed {}{}",
            super::run::shell_quote(&loaded.path.display().to_string()),
            super::run::shell_quote(&args.param),
            super::run::shell_quote(&args.target),
            args.from,
            args.to,
            tolerance,
            base.paths,
            base.seed,
            super::set_flags(&args.study.set)
        ),
    };
    let json = creditstress::report::to_json(&report);
    let mut csv = String::from("x,value,stderr\n");
    for e in &root.evaluations {
        csv.push_str(&format!("{},{},{}\n", e.x, e.value, e.stderr));
    }
    super::compare::write_files(
        &out,
        &[
            ("reverse.json".to_string(), json.clone().into_bytes()),
            ("reverse.csv".to_string(), csv.into_bytes()),
        ],
    )?;
    if args.study.json {
        emit(&json);
    } else if !args.study.quiet {
        emit(&format!(
            "{} = {} at {} = {} (95% CI {} to {}), bracket [{}, {}] after {} runs of {} paths{}\nResults written to {}\n",
            args.target.split_once('=').map_or(args.target.as_str(), |(f, _)| f),
            target,
            args.param,
            format::decimal(root.x),
            format::decimal(root.ci[0]),
            format::decimal(root.ci[1]),
            format::decimal(root.bracket[0]),
            format::decimal(root.bracket[1]),
            root.evaluations.len(),
            creditstress::report::plots::format::count(base.paths),
            if root.converged {
                String::new()
            } else {
                format!("; not converged to {tolerance} within --max-evaluations")
            },
            out.display()
        ));
    }
    Ok(())
}
