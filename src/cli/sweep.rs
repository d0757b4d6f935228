//! `creditstress sweep`: one lever or stress parameter over a grid, on common
//! random numbers, with the trade-off curve of EL and net income.

use std::path::PathBuf;

use anyhow::anyhow;
use clap::Args;

use creditstress::report::to_json;
use creditstress::scenario::{Scenario, with_field};
use creditstress::stats::compare::{SweepPoint, sweep_points};

use super::compare::{load_policy, run_policies, write_files};
use super::run::{StudyArgs, check_writable_destination, thread_count};
use super::{Failure, emit, format, load_scenario};

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Scenario file (TOML).
    scenario: PathBuf,
    /// Field to vary, as a dotted path: e.g. `policy.approval.min_score`,
    /// `macro.shocks[0].depth`, `segments[1].rho`.
    #[arg(long)]
    param: String,
    /// Grid values, comma-separated (or use --from/--to/--step).
    #[arg(long, value_delimiter = ',', conflicts_with_all = ["from", "to", "step"])]
    values: Vec<f64>,
    /// First grid value.
    #[arg(long, requires_all = ["to", "step"])]
    from: Option<f64>,
    /// Last grid value (included when the steps land on it).
    #[arg(long)]
    to: Option<f64>,
    /// Grid step (> 0).
    #[arg(long)]
    step: Option<f64>,
    /// A policy file applied at every grid point (before the swept value is set).
    #[arg(long)]
    policy: Option<PathBuf>,
    #[command(flatten)]
    study: StudyArgs,
}

/// The grid from `--values` or `--from/--to/--step`.
fn grid(args: &SweepArgs) -> Result<Vec<f64>, Failure> {
    let values = match (args.from, args.to, args.step) {
        (Some(from), Some(to), Some(step)) => {
            if !(step > 0.0 && step.is_finite() && from.is_finite() && to.is_finite() && from <= to) {
                return Err(Failure::Input(anyhow!(
                    "--from/--to/--step need from <= to and step > 0"
                )));
            }
            let n = ((to - from) / step + 1e-9).floor() as usize + 1;
            if n > 1000 {
                return Err(Failure::Input(anyhow!("the grid has {n} points; at most 1000")));
            }
            (0..n).map(|i| from + i as f64 * step).collect()
        }
        _ => args.values.clone(),
    };
    if values.is_empty() {
        return Err(Failure::Input(anyhow!("give --values a,b,c or --from/--to/--step")));
    }
    Ok(values)
}

pub fn execute(args: SweepArgs) -> Result<(), Failure> {
    let values = grid(&args)?;
    args.study.check()?;
    let loaded = load_scenario(&args.scenario, &args.study.set)?;
    let mut base = loaded.scenario.with_overrides(args.study.paths, args.study.seed);
    super::refuse_importance(&base, &loaded.path, "sweep")?;
    if let Some(path) = &args.policy {
        let policy = load_policy(path)?;
        base = base
            .with_policy(policy)
            .map_err(|e| Failure::Input(anyhow!("{}: {e}", path.display())))?;
    }
    let scenarios = values
        .iter()
        .map(|&v| {
            with_field(&base.file, &args.param, v)
                .and_then(Scenario::from_file)
                .map(|mut s| {
                    s.policy.name = format!("{}={v}", args.param);
                    s
                })
                .map_err(|e| Failure::Input(anyhow!("--param {} = {v}: {e}", args.param)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let threads = thread_count(args.study.threads, "--threads")?;
    for s in &scenarios {
        super::run::check_memory(s, s.paths, threads)?;
    }
    let out = args.study.out_or(&format!("{}-sweep", base.name));
    check_writable_destination(&out)?;
    super::run::check_output_folder(&out, args.study.force)?;
    super::run::check_destination_room(&out, 16 << 20)?;
    let _lock = super::OutputLock::acquire(&out)?;

    let samples = run_policies(&scenarios, threads, args.study.quiet || args.study.json)?;
    let points = sweep_points(&values, &samples, &base.risk_levels);
    let sweep = creditstress::report::sweep::Sweep {
        scenario: base.name.clone(),
        param: args.param.clone(),
        seed: base.seed,
        paths: base.paths,
        points,
    };
    write_files(&out, &creditstress::report::sweep::render(&sweep))?;
    if args.study.json {
        emit(&to_json(&sweep));
    } else if !args.study.quiet {
        emit(&format!(
            "{}\nResults written to {}\n",
            sweep_table(&sweep.param, &sweep.points),
            out.display()
        ));
    }
    Ok(())
}

/// The sweep as a terminal table of at most about 100 columns: amounts in
/// whole yuan, each difference against the first point with its paired 95%
/// half-width (the interval's bounds are in sweep.csv and sweep.json), the
/// parameter's full path above the table.
fn sweep_table(param: &str, points: &[SweepPoint]) -> String {
    use creditstress::report::plots::format::{count, money};
    let short = param.rsplit('.').next().unwrap_or(param);
    let plus_minus = |e: &creditstress::stats::compare::Estimate| {
        format!("{} +- {}", money(e.value), money((e.ci[1] - e.ci[0]) / 2.0))
    };
    let mut rows = vec![vec![
        short.to_string(),
        "loans".into(),
        "EL".into(),
        "EL - first".into(),
        "net income".into(),
        "net - first".into(),
        "default rate".into(),
    ]];
    for p in points {
        rows.push(vec![
            p.value.to_string(),
            count(p.figures.loans),
            money(p.figures.el.value),
            plus_minus(&p.el_vs_first.paired),
            money(p.figures.net_income.value),
            plus_minus(&p.net_income_vs_first.paired),
            format::percent(p.figures.default_rate),
        ]);
    }
    format!(
        "Sweep of {param}, amounts in yuan.\nDifferences against the first point, +- their paired 95% \
         half-width (common random numbers).\n{}",
        format::table(&rows)
    )
}
