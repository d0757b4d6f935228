//! `creditstress stress`: one book through several stress scenarios (baseline,
//! adverse, severely adverse, ...) on common random numbers, with paired
//! differences against the first.

use std::path::PathBuf;

use anyhow::anyhow;
use clap::Args;

use creditstress::report::compare::{SCENARIOS, render};
use creditstress::report::to_json;
use creditstress::scenario::Scenario;
use creditstress::stats::compare::{Comparison, compare_policies};

use super::compare::{comparison_table_of, load_policy, run_policies, write_files};
use super::run::{StudyArgs, check_writable_destination, thread_count};
use super::{Failure, emit, load_scenario};

#[derive(Debug, Args)]
pub struct StressArgs {
    /// Scenario files (TOML), the first the baseline: e.g. baseline.toml downturn.toml pandemic.toml.
    #[arg(required = true, num_args = 2..)]
    scenarios: Vec<PathBuf>,
    /// A policy file applied in every scenario.
    #[arg(long)]
    policy: Option<PathBuf>,
    #[command(flatten)]
    study: StudyArgs,
}

/// `stress.json`: the comparison, and whether the scenarios share their book.
#[derive(Debug, serde::Serialize)]
struct Stress<'a> {
    /// The scenario files, in order (the first is the baseline).
    files: Vec<String>,
    /// Whether every scenario books the same loans (population, segments,
    /// imported book and horizon agree): then the paired differences compare
    /// the same loans under different stresses.
    books_agree: bool,
    /// The sections that differ from the baseline's, per scenario (empty when the books agree).
    book_differences: Vec<String>,
    #[serde(flatten)]
    comparison: &'a Comparison,
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

pub fn execute(args: StressArgs) -> Result<(), Failure> {
    args.study.check()?;
    let policy = args.policy.as_deref().map(load_policy).transpose()?;
    let mut scenarios: Vec<Scenario> = Vec::with_capacity(args.scenarios.len());
    for path in &args.scenarios {
        let loaded = load_scenario(path, &args.study.set)?;
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

    let samples = run_policies(&scenarios, threads, args.study.quiet || args.study.json)?;
    let names: Vec<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
    let comparison = compare_policies(&names.join(" vs "), base.seed, &samples, &base.risk_levels);
    let stress = Stress {
        files: args.scenarios.iter().map(|p| p.display().to_string()).collect(),
        books_agree: differences.is_empty(),
        book_differences: differences.clone(),
        comparison: &comparison,
    };
    let mut files = vec![("stress.json".to_string(), to_json(&stress).into_bytes())];
    files.extend(render(&comparison, &samples, SCENARIOS));
    write_files(&out, &files)?;
    if args.study.json {
        emit(&to_json(&stress));
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
        emit(&format!(
            "{}\n{note}Results written to {}\n",
            comparison_table_of(&comparison, SCENARIOS),
            out.display()
        ));
    }
    Ok(())
}
