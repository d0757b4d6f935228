//! `creditstress validate`: check a scenario and describe it.

use std::path::PathBuf;

use clap::Args;

use creditstress::engine::Prepared;
use creditstress::scenario::Scenario;

use super::{Failure, emit, load_scenario};

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Scenario file (TOML).
    scenario: PathBuf,
    /// Also check a policy file against the scenario (repeatable), as `compare --policy` reads it.
    #[arg(long, value_name = "POLICY.toml")]
    policy: Vec<PathBuf>,
    /// Print one JSON object (`valid`, `file`, `error` or what the scenario describes) instead of text.
    #[arg(long)]
    json: bool,
    /// Set one field of the scenario before checking it, PATH=VALUE (repeatable; as `run --set`).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
}

/// The `format_version` of what `validate --json` prints: raised when a
/// field changes meaning or goes away, never for an added field.
const VERDICT_FORMAT_VERSION: u32 = 1;

/// What `validate --json` prints.
#[derive(serde::Serialize)]
struct Verdict {
    /// [`VERDICT_FORMAT_VERSION`].
    format_version: u32,
    /// Whether the scenario (and every policy) is valid.
    valid: bool,
    /// The scenario file.
    file: String,
    /// The error, naming the file and the field (when not valid).
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// Scenario name, months, paths, seed and the book (when valid).
    #[serde(skip_serializing_if = "Option::is_none")]
    scenario: Option<VerdictScenario>,
    /// Each `--policy` file and the policy's name (when valid).
    policies: Vec<VerdictPolicy>,
}

#[derive(serde::Serialize)]
struct VerdictPolicy {
    file: String,
    name: String,
}

#[derive(serde::Serialize)]
struct VerdictScenario {
    name: String,
    horizon_months: usize,
    paths: u64,
    seed: u64,
    loans: u64,
    exposure: f64,
    segments: Vec<String>,
    events: Vec<String>,
    originates: bool,
}

pub fn execute(args: ValidateArgs) -> Result<(), Failure> {
    let checked = check(&args);
    if args.json {
        let verdict = match &checked {
            Ok((scenario, policies)) => {
                let prepared = Prepared::new(scenario);
                Verdict {
                    format_version: VERDICT_FORMAT_VERSION,
                    valid: true,
                    file: args.scenario.display().to_string(),
                    error: None,
                    scenario: Some(VerdictScenario {
                        name: scenario.name.clone(),
                        horizon_months: scenario.horizon_months,
                        paths: scenario.paths,
                        seed: scenario.seed,
                        loans: prepared.profile.loans,
                        exposure: prepared.profile.exposure,
                        segments: scenario.segments.iter().map(|g| g.name.clone()).collect(),
                        events: scenario.event_names(),
                        originates: scenario.originates(),
                    }),
                    policies: args
                        .policy
                        .iter()
                        .zip(policies)
                        .map(|(f, p)| VerdictPolicy {
                            file: f.display().to_string(),
                            name: p.policy.name.clone(),
                        })
                        .collect(),
                }
            }
            Err(failure) => {
                let (Failure::Input(e) | Failure::Runtime(e) | Failure::Interrupted(e)) = failure;
                Verdict {
                    format_version: VERDICT_FORMAT_VERSION,
                    valid: false,
                    file: args.scenario.display().to_string(),
                    error: Some(super::bounded_message(&format!("{e:#}"))),
                    scenario: None,
                    policies: Vec::new(),
                }
            }
        };
        emit(&creditstress::report::to_json(&verdict));
        // The exit code still says what happened (2 for an invalid file).
        return checked.map(|_| ());
    }
    let (scenario, policies) = checked?;
    let mut text = format!("{}{}: OK\n", describe(&scenario), args.scenario.display());
    for (file, p) in args.policy.iter().zip(&policies) {
        text.push_str(&describe_policy(p));
        text.push_str(&format!(
            "{}: OK (against {})\n",
            file.display(),
            args.scenario.display()
        ));
    }
    emit(&text);
    Ok(())
}

/// The scenario and the scenario under each `--policy`, all checked.
fn check(args: &ValidateArgs) -> Result<(Scenario, Vec<Scenario>), Failure> {
    let loaded = load_scenario(&args.scenario, &args.set)?;
    // validate draws the book to describe it.
    super::run::check_memory(&loaded.scenario, 0, 1)?;
    let policies = super::compare::scenarios_under(&loaded.scenario, &args.policy)?;
    Ok((loaded.scenario, policies))
}

/// A human description of a scenario, including the book it draws
/// ([`creditstress::describe`], which report.html's inputs table shows too).
pub fn describe(s: &Scenario) -> String {
    let prepared = Prepared::new(s);
    creditstress::describe::describe(s, &prepared.profile, &prepared.grades).to_text()
}

/// The policy's levers in one line: `Policy NAME: lever, lever, ...`.
pub fn describe_policy(s: &Scenario) -> String {
    let items = creditstress::describe::policy(s).into_iter().collect();
    creditstress::describe::Inputs { items }.to_text()
}
