//! `creditstress stress`: one book through several stress scenarios (baseline,
//! adverse, severely adverse, ...) on common random numbers, with paired
//! differences against the first.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::anyhow;
use clap::Args;

use creditstress::report::compare::SCENARIOS;
use creditstress::report::study::{StressResult, Study, StudyCommand, StudyResult};
use creditstress::report::to_json;
use creditstress::scenario::Scenario;
use creditstress::stats::compare::{WeightedFigures, compare_policies, weighted_figures};

use super::compare::{
    comparison_table_of, input_record, load_policy, rerun_command, run_policies, study_manifest, write_files,
};
use super::run::{StudyArgs, check_writable_destination, shell_quote, thread_count};
use super::{Failure, emit, load_scenario};

#[derive(Debug, Args)]
pub struct StressArgs {
    /// Scenario files (TOML), the first the baseline: e.g. baseline.toml downturn.toml pandemic.toml.
    #[arg(required = true, num_args = 2..)]
    scenarios: Vec<PathBuf>,
    /// A policy file applied in every scenario.
    #[arg(long)]
    policy: Option<PathBuf>,
    /// Probability of each scenario, in the order of the files, e.g.
    /// `0.6,0.3,0.1` (normalised to sum to 1): adds the probability-weighted
    /// EL, VaR, ES, net income and default rate of the mixture.
    #[arg(long, value_delimiter = ',')]
    weights: Vec<f64>,
    #[command(flatten)]
    study: StudyArgs,
}

/// The book sections of `s` that differ from `base`'s.
fn book_differences(base: &Scenario, s: &Scenario) -> Vec<&'static str> {
    let (a, b) = (&base.file, &s.file);
    let mut out = Vec::new();
    if a.population != b.population {
        out.push("[population]");
    }
    if a.segments != b.segments {
        out.push("[[segments]]");
    }
    if a.book != b.book {
        out.push("[book]");
    }
    if a.run.horizon_months != b.run.horizon_months {
        out.push("run.horizon_months");
    }
    out
}

/// The `--weights` normalised to sum to 1, or a usage error naming the problem.
fn normalised_weights(weights: &[f64], scenarios: usize) -> Result<Vec<f64>, Failure> {
    if weights.len() != scenarios {
        return Err(Failure::Input(anyhow!(
            "--weights: {} weight(s) for {scenarios} scenario files; give one per file, in their order",
            weights.len()
        )));
    }
    if let Some(w) = weights.iter().find(|w| !w.is_finite() || **w < 0.0) {
        return Err(Failure::Input(anyhow!(
            "--weights: {w} is not a probability weight (each must be finite and at least 0)"
        )));
    }
    let total: f64 = weights.iter().sum();
    if total <= 0.0 {
        return Err(Failure::Input(anyhow!(
            "--weights: every weight is 0; at least one must be positive"
        )));
    }
    // Weights that already sum to 1 (up to rounding of their decimal forms) are kept as given.
    if (total - 1.0).abs() < 1e-9 {
        return Ok(weights.to_vec());
    }
    Ok(weights.iter().map(|w| w / total).collect())
}

pub fn execute(args: StressArgs) -> Result<(), Failure> {
    args.study.check()?;
    let weights = (!args.weights.is_empty())
        .then(|| normalised_weights(&args.weights, args.scenarios.len()))
        .transpose()?;
    let policy = args.policy.as_deref().map(load_policy).transpose()?;
    let mut scenarios: Vec<Scenario> = Vec::with_capacity(args.scenarios.len());
    let mut bytes: Vec<Vec<u8>> = Vec::with_capacity(args.scenarios.len());
    for path in &args.scenarios {
        let loaded = load_scenario(path, &args.study.set)?;
        bytes.push(loaded.bytes.clone());
        // Every scenario runs the baseline's seed and paths (or --seed / --paths).
        let (paths, seed) = match scenarios.first() {
            Some(first) => (Some(args.study.paths.unwrap_or(first.paths)), Some(first.seed)),
            None => (args.study.paths, args.study.seed),
        };
        let mut s = loaded.scenario.with_overrides(paths, seed);
        super::refuse_importance(&s, &loaded.path, "stress")?;
        if let Some(p) = &policy {
            s = s
                .with_policy(p.clone())
                .map_err(|e| Failure::Input(anyhow!("{}: {e}", path.display())))?;
        }
        if scenarios.iter().any(|o| o.name == s.name) {
            return Err(Failure::Input(anyhow!(
                "{}: scenario name {:?} is used twice; give each scenario its own name",
                path.display(),
                s.name
            )));
        }
        // The comparison names each run by its policy name: here, the scenario's.
        s.policy.name = s.name.clone();
        scenarios.push(s);
    }
    let base = &scenarios[0];
    let differences: Vec<String> = scenarios[1..]
        .iter()
        .filter_map(|s| {
            let d = book_differences(base, s);
            (!d.is_empty()).then(|| format!("{}: {}", s.name, d.join(", ")))
        })
        .collect();
    let threads = thread_count(args.study.threads, "--threads")?;
    for s in &scenarios {
        super::run::check_memory(s, s.paths, threads)?;
    }
    let out = args.study.out_or(&format!("{}-stress", base.name));
    check_writable_destination(&out)?;
    super::run::check_output_folder(&out, args.study.force)?;
    super::run::check_destination_room(&out, 16 << 20)?;
    let _lock = super::OutputLock::acquire(&out)?;

    let started = Instant::now();
    let runs = run_policies(&scenarios, threads, args.study.quiet || args.study.json, true)?;
    let names: Vec<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
    let comparison = compare_policies(&names.join(" vs "), base.seed, &runs.samples, &base.risk_levels);
    let weighted = weights
        .as_deref()
        .map(|w| weighted_figures(&runs.samples, w, &base.risk_levels, base.seed));
    let stress = StressResult {
        files: args.scenarios.iter().map(|p| p.display().to_string()).collect(),
        books_agree: differences.is_empty(),
        book_differences: differences.clone(),
        weighted,
        comparison,
    };
    let mut inputs = Vec::with_capacity(bytes.len() + 1);
    for (path, b) in args.scenarios.iter().zip(&bytes) {
        inputs.push(input_record("scenario", path, Some(b))?);
    }
    if let Some(p) = &args.policy {
        inputs.push(input_record("policy", p, None)?);
    }
    let files_given: String = args
        .scenarios
        .iter()
        .map(|p| format!(" {}", shell_quote(&p.display().to_string())))
        .collect();
    let policy_flag = args.policy.as_ref().map_or(String::new(), |p| {
        format!(" --policy {}", shell_quote(&p.display().to_string()))
    });
    let weights_flag = weights.as_ref().map_or(String::new(), |w| {
        let listed: Vec<String> = w.iter().map(f64::to_string).collect();
        format!(" --weights {}", listed.join(","))
    });
    let command = rerun_command(
        &format!("stress{files_given}{policy_flag}{weights_flag}"),
        base,
        &args.study.set,
        &out,
    );
    let mut manifest = study_manifest(
        StudyCommand::Stress,
        inputs,
        &scenarios,
        threads,
        started.elapsed().as_secs_f64(),
        command,
    );
    manifest.weights = weights;
    let study = Study {
        result: StudyResult::Stress(stress),
        samples: runs.samples,
        monthly: runs.monthly,
        manifest,
    };
    write_files(&out, &study.files())?;
    let StudyResult::Stress(stress) = &study.result else {
        unreachable!("the study was built as a stress test")
    };
    let comparison = &stress.comparison;
    if args.study.json {
        emit(&to_json(stress));
    } else if !args.study.quiet {
        let note = if differences.is_empty() {
            "The scenarios book the same loans: the differences are the stresses' alone.\n".to_string()
        } else {
            format!(
                "The books differ ({}): the runs share their seed and streams, but the differences mix the \
                 stress with the change of book.\n",
                differences.join("; ")
            )
        };
        let weighted = stress.weighted.as_ref().map_or_else(String::new, weighted_table);
        emit(&format!(
            "{}\n{note}{weighted}Results written to {}\n",
            comparison_table_of(comparison, SCENARIOS),
            out.display()
        ));
    }
    Ok(())
}

/// The probability-weighted figures as a terminal table.
fn weighted_table(w: &WeightedFigures) -> String {
    use super::format::{money, percent, table};
    let weights: Vec<String> = w
        .weights
        .iter()
        .map(|s| format!("{} {}", s.name, percent(s.weight)))
        .collect();
    let ci = |e: &creditstress::stats::compare::Estimate| format!("[{}, {}]", money(e.ci[0]), money(e.ci[1]));
    let mut rows = vec![vec![
        "probability-weighted".to_string(),
        "value".to_string(),
        "95% CI".to_string(),
    ]];
    rows.push(vec!["EL".to_string(), money(w.el.value), ci(&w.el)]);
    for (key, e) in &w.var {
        rows.push(vec![
            format!("VaR {}", super::format::percent_level_key(key)),
            money(e.value),
            ci(e),
        ]);
    }
    for (key, e) in &w.es {
        rows.push(vec![
            format!("ES {}", super::format::percent_level_key(key)),
            money(e.value),
            ci(e),
        ]);
    }
    rows.push(vec![
        "net income".to_string(),
        money(w.net_income.value),
        ci(&w.net_income),
    ]);
    rows.push(vec!["default rate".to_string(), percent(w.default_rate), String::new()]);
    format!(
        "\nProbability-weighted: {}\n(VaR and ES of the mixture's loss; intervals of EL and net income from \
         the paired\nper-path combination, of VaR and ES by bootstrap over paths)\n{}\n",
        weights.join(", "),
        table(&rows)
    )
}
