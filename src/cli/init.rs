//! `creditstress init`: write a commented starter scenario to edit.

use std::fs::OpenOptions;
use std::io::{ErrorKind, Write};
use std::path::PathBuf;

use anyhow::anyhow;
use clap::Args;

use super::Failure;

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Name of the scenario; the file written is NAME.toml (a path is allowed: runs/stress.toml).
    #[arg(default_value = "my_scenario")]
    name: String,
}

/// The starter scenario; `{{NAME}}` is replaced by the scenario name.
const TEMPLATE: &str = r#"# {{NAME}}: a starter scenario written by `creditstress init`.
#
# A small book (2 segments, 2,000 loans) over 24 months in an ordinary economy.
# Edit it, check it with `creditstress validate {{FILE}}` and run it with
# `creditstress run {{FILE}}` (results in output/{{NAME}}/, including report.html).
# Every field is described in docs/scenario.md. Rates and probabilities are
# fractions (0.02 = 2%); money is in currency units; months count from 1.

# The format version: always 1 for this program.
schema_version = 1
# Short name (letters, digits, - _ .); the default output folder is output/<name>/.
name = "{{NAME}}"
description = """
Starter scenario: prime salaried borrowers and young borrowers, installment \
loans and revolving lines, one AR(1) economy without shocks."""

# ---------------------------------------------------------------------------
# How the simulation runs.
[run]
horizon_months = 24
# Monte Carlo paths (--paths overrides); more paths narrow the error bars.
paths = 2000
# Same seed, same results, on any number of threads (--seed overrides).
seed = 1
# VaR and ES are reported at each of these levels.
risk_levels = [0.95, 0.99, 0.999]

# Settings shared by every segment.
[population]
# Score bands on the 350-950 scale: pricing is given, and results reported, per band.
score_bands = [350, 550, 600, 650, 700, 750, 950]

# ---------------------------------------------------------------------------
# The economy: systematic factors (0 = normal, negative = worse).
[macro]
factors = ["national"]

# Month-to-month persistence (phi) and standard deviation (sigma) of the factor.
[macro.noise]
phi = 0.8
sigma = 1.0

# Optional: a month-by-month path for a factor (last value carried forward).
# [macro.deterministic]
# national = [0.0, 0.0, -0.5, -1.0, -1.5, -2.0, -1.5, -1.0, -0.5]

# Optional: a Markov chain of regimes whose mean is added to every factor.
# [macro.regimes]
# initial = "expansion"
# states = [
#     { name = "expansion", mean = 0.0 },
#     { name = "recession", mean = -1.0 },
# ]
# transition = [
#     [0.97, 0.03],
#     [0.10, 0.90],
# ]

# Optional: a shock that pushes the factors down for a while.
# [[macro.shocks]]
# name = "sudden stop"
# start_month = 6
# depth = 2.0
# duration_months = 3
# recovery_months = 6
# recovery_shape = "linear"
# probability = 1.0

# ---------------------------------------------------------------------------
# How loans move month to month.
[dynamics]
# Scorecard PDs below are annual (12-month) PDs.
pd_period_months = 12
# 30/60/90+ days-past-due buckets before charge-off.
delinquency = true
# Monthly roll rates 30->60, 60->90+, 90+->charge-off, and cure rates back to current.
roll_rates = [0.45, 0.70, 0.90]
cure_rates = [0.40, 0.15, 0.05]
# Months from charge-off to the recovery cash flow (or spread it with
# recovery_curve = [0.0, 0.2, 0.3, 0.3, 0.2], a share per month from the
# charge-off month on).
recovery_lag_months = 6
# A revolving line is suspended for good once 30 days past due (0 = never).
suspend_line_at_dpd = 30

# What a scorecard PD means: P(charge-off within pd_period_months) for a loan
# current at the start, averaged over the stationary AR(1) noise. Each
# grade's monthly miss probability is solved for it with roll and cure on;
# `creditstress validate` prints the result and the implied annual correlation.
[calibration]
bad_event = "charge_off"    # or "dpd90"
factor_law = "noise"        # or "noise_and_regimes", "zero"

# Optional: failed automatic debits in one month.
# [outage]
# month = 3
# share = 0.05
# cure_rate = 0.8

# Optional: fraud attacks that take over existing accounts.
# [fraud_waves]
# probability_monthly = 0.02
# duration_months = 2
# takeover_share = 0.002

# ---------------------------------------------------------------------------
# Segment 1: salaried borrowers with good scores.
[[segments]]
name = "prime"
loans = 1200
score = { mean = 720, std = 60 }
# Median monthly income and the spread of log income.
income = { median_monthly = 8000, sigma = 0.5 }
# Annual PD = 1 / (1 + exp(-(intercept + slope_per_100 * (score - pivot) / 100))).
pd = { model = "logistic", intercept = -3.0, slope_per_100 = -1.2, pivot = 600 }
# Asset correlation with the economy (Vasicek rho): higher = more cyclical.
rho = 0.04
# Loss given default: mean, spread, and how much it rises in a bad economy.
lgd = { mean = 0.70, std = 0.15, macro_sensitivity = 0.15 }
# Share of fraudulent loans (they never pay).
fraud_share = 0.002
# Monthly probability of repaying in full early.
prepayment_monthly = 0.015

# Product mix: revolving lines and installment loans.
[segments.products]
revolving_share = 0.35
installment_terms = [3, 6, 12]
installment_term_weights = [0.3, 0.3, 0.4]
amortisation = "equal_installment"

# Daily interest rate per score band (0.0003 = 0.03% a day).
[segments.pricing]
daily_rate_by_band = [0.0005, 0.00045, 0.0004, 0.00035, 0.0003, 0.0002]

# Credit limit = income x multiple x (score / pivot)^elasticity, clamped to [min, cap].
[segments.limit]
income_multiple = 3.0
score_pivot = 650
score_elasticity = 3.0
min = 1000
cap = 300000
rounding = 100

# ---------------------------------------------------------------------------
# Segment 2: students and first jobs: thin files, higher PD, more cyclical.
[[segments]]
name = "young"
loans = 800
score = { mean = 600, std = 70 }
income = { median_monthly = 3000, sigma = 0.6 }
pd = { model = "logistic", intercept = -2.6, slope_per_100 = -1.0, pivot = 600 }
rho = 0.08
lgd = { mean = 0.80, std = 0.12, macro_sensitivity = 0.20 }
fraud_share = 0.008
prepayment_monthly = 0.01

# This segment's own delinquency transitions (the rest from [dynamics]).
[segments.dynamics]
cure_rates = [0.35, 0.12, 0.04]
roll_sensitivity = 0.15

[segments.products]
revolving_share = 0.60
installment_terms = [3, 6, 12]
installment_term_weights = [0.4, 0.35, 0.25]
amortisation = "equal_installment"

[segments.pricing]
daily_rate_by_band = [0.0005, 0.00045, 0.0004, 0.00035, 0.0003, 0.0002]

[segments.limit]
income_multiple = 1.5
score_pivot = 650
score_elasticity = 3.0
min = 500
cap = 20000
rounding = 100
"#;

/// The starter scenario text for a scenario `name` written to `file`.
pub fn starter(name: &str, file: &str) -> String {
    TEMPLATE.replace("{{NAME}}", name).replace("{{FILE}}", file)
}

/// A scenario name may hold letters, digits, `-`, `_` and `.`.
/// The scenario-name rule (letters, digits, `-`, `_`, `.`, not starting with
/// `.`): `init ""` used to write a hidden `.toml`.
fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.starts_with('.') && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

pub fn execute(args: InitArgs) -> Result<(), Failure> {
    let mut path = PathBuf::from(&args.name);
    if path.extension().is_none_or(|e| e != "toml") {
        path = PathBuf::from(format!("{}.toml", args.name));
    }
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_string();
    if !valid_name(&name) {
        return Err(Failure::Input(anyhow!(
            "{:?} is not a valid scenario name: use letters, digits, '-', '_' and '.', not starting with '.'",
            args.name
        )));
    }
    let text = starter(&name, &path.display().to_string());
    // `create_new` refuses an existing file without a check-then-write race.
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| match e.kind() {
            ErrorKind::AlreadyExists => Failure::Input(anyhow!(
                "{}: already exists; not overwriting it (choose another name or delete the file)",
                path.display()
            )),
            _ => Failure::Input(anyhow!("{}: cannot create the file: {e}", path.display())),
        })?;
    if let Err(e) = file.write_all(text.as_bytes()).and_then(|()| file.sync_all()) {
        drop(file);
        let _ = std::fs::remove_file(&path);
        return Err(Failure::Runtime(anyhow!(
            "{}: cannot write the file: {e}",
            path.display()
        )));
    }
    super::emit(&format!(
        "Wrote {}. Next:\n  creditstress validate {}\n  creditstress run {}\n",
        path.display(),
        path.display(),
        path.display()
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_scenario_validates() {
        let text = starter("my_scenario", "my_scenario.toml");
        let s = creditstress::scenario::parse_scenario(&text).expect("the starter scenario is valid");
        assert_eq!(s.name, "my_scenario");
        assert_eq!(s.segments.len(), 2);
        assert_eq!(s.total_loans(), 2000);
    }

    #[test]
    fn every_commented_out_example_validates_too() {
        // Uncomment the optional sections (lines starting `# ` right after a `# [` header).
        let text = starter("all_options", "all_options.toml");
        let mut out = String::new();
        let mut in_example = false;
        for line in text.lines() {
            let body = line.strip_prefix("# ");
            if body.is_some_and(|b| b.starts_with('[')) {
                in_example = true;
            } else if !line.starts_with("# ") {
                in_example = false;
            }
            match body {
                Some(b) if in_example => out.push_str(b),
                _ => out.push_str(line),
            }
            out.push('\n');
        }
        assert!(out.contains("\n[outage]\n") && out.contains("\n[[macro.shocks]]\n"));
        creditstress::scenario::parse_scenario(&out).expect("the uncommented examples are valid");
    }

    #[test]
    fn names_are_checked() {
        assert!(valid_name("stress-2025_v1.2"));
        assert!(!valid_name("my scenario"));
        assert!(!valid_name(""));
    }
}
