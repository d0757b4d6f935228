//! `creditstress sweep`: one lever or stress parameter over a grid, on common
//! random numbers, with the trade-off curve of EL and net income.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, anyhow};
use clap::Args;

use creditstress::report::study::{StudyCommand, StudyManifest};
use creditstress::report::sweep::{GridAxisValues, GridSweep, render_grid};
use creditstress::report::to_json;
use creditstress::scenario::{GridAxis, MAX_GRID_POINTS, Scenario, parse_grid_file, range_values, with_field};
use creditstress::stats::compare::{SweepPoint, grid_points, sweep_points};

use super::compare::{input_record, load_policy, rerun_command, run_policies, study_manifest, write_files};
use super::run::{StudyArgs, check_writable_destination, shell_quote, thread_count};
use super::{Failure, emit, format, load_scenario};

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Scenario file (TOML).
    scenario: PathBuf,
    /// Field to vary, as a dotted path: e.g. `policy.approval.min_score`,
    /// `macro.shocks[0].depth`, `segments[1].rho`, `segments[0].pricing.daily_rate_by_band[2]`.
    #[arg(long, required_unless_present = "grid")]
    param: Option<String>,
    /// A grid study file instead of --param: one `[[sweep]]` block per axis
    /// (`param` and `values = [...]` or `from`/`to`/`step`; values may be
    /// whole lists), the grid their product, and `measure` (el, net_income,
    /// interest_income, default_rate, var.Q, es.Q) for the heatmap.
    #[arg(long, conflicts_with_all = ["param", "values", "from", "to", "step"])]
    grid: Option<PathBuf>,
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
        (Some(from), Some(to), Some(step)) => range_values(from, to, step, MAX_GRID_POINTS)
            .map_err(|e| Failure::Input(anyhow!("--from/--to/--step: {e}")))?,
        _ => args.values.clone(),
    };
    if values.is_empty() {
        return Err(Failure::Input(anyhow!("give --values a,b,c or --from/--to/--step")));
    }
    Ok(values)
}

/// The scenario every grid point starts from: the file, `--set`, the CLI
/// overrides and `--policy`.
/// Returns it with the scenario file's path and bytes (for the manifest).
fn base_scenario(args: &SweepArgs) -> Result<(Scenario, PathBuf, Vec<u8>), Failure> {
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
    Ok((base, loaded.path, loaded.bytes))
}

/// The manifest of a sweep or grid: its inputs, its base scenario and the
/// command that reruns it (`how`: the flags after the scenario, before
/// `--paths`).
fn sweep_manifest(
    args: &SweepArgs,
    command: StudyCommand,
    (path, bytes): (&std::path::Path, &[u8]),
    base: &Scenario,
    how: &str,
    out: &std::path::Path,
    started: Instant,
) -> Result<StudyManifest, Failure> {
    let mut inputs = vec![input_record("scenario", path, Some(bytes))?];
    if let Some(p) = &args.policy {
        inputs.push(input_record("policy", p, None)?);
    }
    if let Some(g) = &args.grid {
        inputs.push(input_record("grid", g, None)?);
    }
    let policy = args.policy.as_ref().map_or(String::new(), |p| {
        format!(" --policy {}", shell_quote(&p.display().to_string()))
    });
    let command_line = rerun_command(
        &format!("sweep {}{how}{policy}", shell_quote(&path.display().to_string())),
        base,
        &args.study.set,
        out,
    );
    let threads = thread_count(args.study.threads, "--threads")?;
    let mut manifest = study_manifest(
        command,
        inputs,
        std::slice::from_ref(base),
        threads,
        started.elapsed().as_secs_f64(),
        command_line,
    );
    manifest.runs[0].name = base.name.clone();
    Ok(manifest)
}

/// Checks memory and the output folder for the grid's runs, takes the
/// folder's lock and runs them.
fn run_grid(
    args: &SweepArgs,
    scenarios: &[Scenario],
    default_out: &str,
) -> Result<(super::compare::StudyRuns, PathBuf, super::OutputLock), Failure> {
    let threads = thread_count(args.study.threads, "--threads")?;
    for s in scenarios {
        super::run::check_memory(s, s.paths, threads)?;
    }
    let out = args.study.out_or(default_out);
    check_writable_destination(&out)?;
    super::run::check_output_folder(&out, args.study.force)?;
    super::run::check_destination_room(&out, 16 << 20)?;
    let lock = super::OutputLock::acquire(&out)?;
    let runs = run_policies(scenarios, threads, args.study.quiet || args.study.json, false)?;
    Ok((runs, out, lock))
}

pub fn execute(args: SweepArgs) -> Result<(), Failure> {
    let (Some(param), None) = (&args.param, &args.grid) else {
        return execute_grid(&args);
    };
    let values = grid(&args)?;
    let (base, path, bytes) = base_scenario(&args)?;
    let started = Instant::now();
    let scenarios = values
        .iter()
        .map(|&v| {
            with_field(&base.file, param, v)
                .and_then(Scenario::from_file)
                .map(|mut s| {
                    s.policy.name = format!("{param}={v}");
                    s
                })
                .map_err(|e| Failure::Input(anyhow!("--param {param} = {v}: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let (runs, out, _lock) = run_grid(&args, &scenarios, &format!("{}-sweep", base.name))?;
    let points = sweep_points(&values, &runs.samples, &base.risk_levels);
    let sweep = creditstress::report::sweep::Sweep {
        format_version: creditstress::report::sweep::SWEEP_FORMAT_VERSION,
        scenario: base.name.clone(),
        param: param.clone(),
        seed: base.seed,
        paths: base.paths,
        points,
    };
    let listed: Vec<String> = values.iter().map(f64::to_string).collect();
    let how = format!(" --param {} --values {}", shell_quote(param), listed.join(","));
    let manifest = sweep_manifest(&args, StudyCommand::Sweep, (&path, &bytes), &base, &how, &out, started)?;
    let mut files = creditstress::report::sweep::render(&sweep);
    files.push(("manifest.json".to_string(), to_json(&manifest).into_bytes()));
    write_files(&out, &files)?;
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

/// `sweep --grid FILE`: every point of the file's grid, on common random numbers.
fn execute_grid(args: &SweepArgs) -> Result<(), Failure> {
    let file = args.grid.as_deref().expect("clap requires --param or --grid");
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("{}: cannot read the grid file", file.display()))
        .map_err(Failure::Input)?;
    let grid = parse_grid_file(&text).map_err(|e| Failure::Input(anyhow!("{}: {e}", file.display())))?;
    let (base, path, bytes) = base_scenario(args)?;
    let started = Instant::now();
    let index = grid.points();
    let values: Vec<Vec<String>> = index
        .iter()
        .map(|p| {
            grid.axes
                .iter()
                .zip(p)
                .map(|(a, &i)| GridAxis::label(&a.values[i]))
                .collect()
        })
        .collect();
    let scenarios = index
        .iter()
        .zip(&values)
        .map(|(p, v)| {
            let name: Vec<String> = grid
                .axes
                .iter()
                .zip(v)
                .map(|(a, v)| format!("{}={v}", a.param))
                .collect();
            grid.apply(&base.file, p)
                .and_then(Scenario::from_file)
                .map(|mut s| {
                    s.policy.name = name.join(", ");
                    s
                })
                .map_err(|e| Failure::Input(anyhow!("{}: at {}: {e}", file.display(), name.join(", "))))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let (runs, out, _lock) = run_grid(args, &scenarios, &format!("{}-grid", base.name))?;
    let result = GridSweep {
        format_version: creditstress::report::sweep::GRID_FORMAT_VERSION,
        scenario: base.name.clone(),
        seed: base.seed,
        paths: base.paths,
        measure: grid.measure.key(),
        axes: grid
            .axes
            .iter()
            .map(|a| GridAxisValues {
                param: a.param.clone(),
                values: a.values.iter().map(GridAxis::label).collect(),
            })
            .collect(),
        points: grid_points(&index, &values, &runs.samples, &base.risk_levels, grid.measure),
    };
    let how = format!(" --grid {}", shell_quote(&file.display().to_string()));
    let manifest = sweep_manifest(args, StudyCommand::Grid, (&path, &bytes), &base, &how, &out, started)?;
    let mut files = render_grid(&result);
    files.push(("manifest.json".to_string(), to_json(&manifest).into_bytes()));
    write_files(&out, &files)?;
    if args.study.json {
        emit(&to_json(&result));
    } else if !args.study.quiet {
        emit(&format!(
            "{}\nResults written to {}\n",
            grid_table(&result),
            out.display()
        ));
    }
    Ok(())
}

/// A grid as a terminal table: one row per point, the measure with its interval.
fn grid_table(g: &GridSweep) -> String {
    use creditstress::report::plots::format::money;
    let short = |p: &str| p.rsplit('.').next().unwrap_or(p).to_string();
    let mut header: Vec<String> = g.axes.iter().map(|a| short(&a.param)).collect();
    header.extend([
        "measure".to_string(),
        "95% CI".to_string(),
        "EL".into(),
        "net income".into(),
    ]);
    let shown = |x: f64| {
        if g.measure == "default_rate" {
            format::percent(x)
        } else {
            money(x)
        }
    };
    let mut rows = vec![header];
    for p in &g.points {
        let mut row = p.values.clone();
        row.push(shown(p.measure.value));
        row.push(match p.measure.ci {
            [Some(a), Some(b)] => format!("[{}, {}]", shown(a), shown(b)),
            _ => "needs more paths".to_string(),
        });
        row.push(money(p.figures.el.value));
        row.push(money(p.figures.net_income.value));
        rows.push(row);
    }
    let params: Vec<&str> = g.axes.iter().map(|a| a.param.as_str()).collect();
    format!(
        "Grid of {}, amounts in yuan; measure: {}.\n{}",
        params.join(" x "),
        g.measure_label(),
        format::table(&rows)
    )
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
