//! `creditstress validate`: check a scenario and describe it.

mod calibration;
mod macro_link;

use std::fmt::Write;
use std::path::PathBuf;

use clap::Args;

use creditstress::engine::Prepared;
use creditstress::scenario::{PdSpec, RegimeStart, Scenario, ShockStart};

use super::{Failure, emit, format, load_scenario};

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

/// A human description of a scenario, including the book it draws.
pub fn describe(s: &Scenario) -> String {
    let prepared = Prepared::new(s);
    let p = &prepared.profile;
    let mut out = String::new();
    let _ = writeln!(out, "Scenario {}: {}", s.name, s.file.description.trim());
    let _ = writeln!(
        out,
        "Run: {} month{}, {} paths, seed {}, risk levels {:?}{}",
        s.horizon_months,
        if s.horizon_months == 1 { "" } else { "s" },
        creditstress::report::plots::format::count(s.paths),
        s.seed,
        s.risk_levels,
        if s.redraw_population {
            ", population redrawn on every path"
        } else {
            ""
        }
    );
    let tails: Vec<String> = s
        .risk_levels
        .iter()
        .map(|&q| {
            let tail = creditstress::stats::risk::tail_paths(s.paths, q);
            let rough = if tail < creditstress::stats::risk::FEW_TAIL_PATHS {
                " (rough)"
            } else {
                ""
            };
            let needs = creditstress::stats::risk::paths_for_quantile_ci(q, creditstress::stats::risk::VAR_CI_LEVEL);
            let ci = if s.paths < needs {
                format!(", VaR interval needs {needs} paths")
            } else {
                String::new()
            };
            format!("{}%: {tail} tail paths{rough}{ci}", q * 100.0)
        })
        .collect();
    let _ = writeln!(
        out,
        "Tail at {} paths{}: {}",
        s.paths,
        if s.importance.is_some() {
            " under plain sampling"
        } else {
            ""
        },
        tails.join("; ")
    );
    if let Some(i) = &s.importance {
        let _ = writeln!(
            out,
            "Sampling: importance, aimed at the {}% tail ({} pilot paths, {}% of paths drawn plain): more paths \
             fall in the tail than the counts above, and the run reports how many plain paths each is worth",
            i.level * 100.0,
            creditstress::report::plots::format::count(i.pilot_paths),
            i.plain_share * 100.0
        );
    }
    let imported = match &s.file.book {
        Some(b) => format!("; {} imported from {}", s.book.len(), b.file),
        None => String::new(),
    };
    let _ = writeln!(
        out,
        "Book: {} loans ({} revolving, {} flagged fraud{imported}), exposure {}\n",
        p.loans,
        p.revolving_loans,
        p.fraud_loans,
        format::money(p.exposure)
    );
    let mut rows = vec![vec![
        "segment".to_string(),
        "loans".into(),
        "exposure".into(),
        "score".into(),
        "PD model".into(),
        "rho".into(),
        "LGD".into(),
        "revolving".into(),
        "fraud".into(),
    ]];
    for (i, seg) in s.segments.iter().enumerate() {
        let pd = match &seg.pd {
            PdSpec::Logistic {
                intercept,
                slope_per_100,
                pivot,
            } => {
                format!("logistic({intercept}, {slope_per_100}/100 @ {pivot})")
            }
            PdSpec::Table { by_band } => format!(
                "table [{}]",
                by_band.iter().map(|v| format!("{v:.4}")).collect::<Vec<_>>().join(", ")
            ),
            PdSpec::Constant { value } => format!("constant {value}"),
        };
        rows.push(vec![
            seg.name.clone(),
            // Booked: synthetic applicants that passed the cutoff and imported loans.
            p.segment_loans[i].to_string(),
            format::money(p.segment_exposure[i]),
            format!("{}+-{}", seg.score_mean, seg.score_std),
            pd,
            calibration::describe_rho(seg, prepared.grades.segment_rho[i]),
            format!("{:.2}", seg.lgd.mean),
            format::percent(seg.revolving_share.get()),
            format::percent(seg.fraud_share.get()),
        ]);
    }
    out.push_str(&format::table(&rows));
    let m = &s.macro_model;
    let _ = writeln!(
        out,
        "\nMacro: factors {:?}, AR(1) phi {} sigma {}",
        m.factor_names, m.phi, m.sigma
    );
    if m.deterministic.iter().any(|f| f.iter().any(|&v| v != 0.0)) {
        for (k, (name, path)) in m.factor_names.iter().zip(&m.deterministic).enumerate() {
            let linked = m.link.as_ref().is_some_and(|l| l.drives_factor[k]);
            let with_link = if linked { " (with the link below)" } else { "" };
            let _ = writeln!(
                out,
                "  deterministic {name}{with_link}: {:?}",
                path.iter().map(|v| (v * 100.0).round() / 100.0).collect::<Vec<_>>()
            );
        }
    }
    if let Some(link) = &m.link {
        out.push_str(&macro_link::describe(link, &m.factor_names, s.horizon_months));
    }
    if let Some(r) = &m.regimes {
        let start = match &r.initial {
            RegimeStart::Fixed(state) => r.names[*state].clone(),
            RegimeStart::Drawn {
                stationary: true,
                probabilities,
            } => format!("the stationary distribution {probabilities:.4?}"),
            RegimeStart::Drawn { probabilities, .. } => format!("a state drawn with probabilities {probabilities:?}"),
        };
        let _ = writeln!(
            out,
            "  regimes {:?} with means {:?}, starting in {start}",
            r.names, r.means
        );
    }
    for shock in &m.shocks {
        let start = match shock.start {
            ShockStart::Fixed(t) => format!("month {}", t + 1),
            ShockStart::Uniform(a, b) => format!("a month in {}..={}", a + 1, b + 1),
        };
        let _ = writeln!(
            out,
            "  shock {:?}: depth {} from {start} for {} months, {:?} recovery over {} months, probability {}",
            shock.name,
            shock.depth,
            shock.duration_months,
            shock.recovery_shape,
            shock.recovery_months,
            shock.probability.get()
        );
    }
    let d = &s.dynamics;
    if d.delinquency {
        let _ = writeln!(
            out,
            "Dynamics: buckets 30/60/90+, {}; per segment (roll and cure rates are Vasicek means, s = factor sensitivity):",
            s.file.dynamics.describe_recovery()
        );
        for seg in &s.segments {
            let products: &[(bool, &str)] = if seg.transitions.differ() {
                &[(true, " revolving"), (false, " installment")]
            } else {
                &[(true, "")]
            };
            for &(revolving, product) in products {
                let t = seg.transitions.of(revolving);
                let _ = writeln!(
                    out,
                    "  {}{product}: roll {:?} (s {}), cure {:?} (s {})",
                    seg.name,
                    t.roll_rates.map(|p| p.get()),
                    t.roll_sensitivity,
                    t.cure_rates.map(|p| p.get()),
                    t.cure_sensitivity,
                );
            }
        }
        let _ = writeln!(
            out,
            "  revolving lines: {}",
            match d.suspend_line_from_bucket {
                None => "a cured line draws again (dynamics.suspend_line_at_dpd = 0)".to_string(),
                Some(b) => format!(
                    "suspended for good once {} days past due (no draws after a cure)",
                    30 * (b + 1)
                ),
            }
        );
    } else {
        let _ = writeln!(
            out,
            "Dynamics: a missed payment is an immediate default (no delinquency buckets)"
        );
    }
    out.push_str(&calibration::describe(s, &prepared.grades));
    if let Some(o) = &s.outage {
        let _ = writeln!(
            out,
            "Outage: month {}, probability {}, {} of current loans miss a debit, {} cure next month{}",
            o.month + 1,
            o.probability.get(),
            format::percent(o.share.get()),
            format::percent(o.cure_rate.get()),
            if o.hazard_continues {
                " and face that month's miss hazard as usual"
            } else {
                " (the month of the cure skips its miss hazard: outage.hazard_continues = false)"
            }
        );
    }
    if let Some(f) = &s.fraud_waves {
        let _ = writeln!(
            out,
            "Fraud waves: an attack starts with probability {} a month and lasts {} months, taking over {} of current loans a month{}",
            f.probability_monthly.get(),
            f.duration_months,
            format::percent(f.takeover_share.get()),
            if f.with_outage {
                "; the outage starts one too"
            } else {
                ""
            }
        );
    }
    for (name, o) in s.segments.iter().filter_map(|g| g.originations.map(|o| (&g.name, o))) {
        let _ = writeln!(
            out,
            "Originations {name}: {} applications a month at factor 0 (x exp({} Z), at most x{}), months {}-{}, \
             applicants' score mean {:+} x Z points{}",
            o.applications_monthly,
            o.volume_sensitivity,
            o.volume_cap_multiple,
            o.first_month + 1,
            o.end_month,
            o.score_shift_per_sd,
            if o.renewal_probability > 0.0 {
                format!(
                    ", {} of repaid installment borrowers renew",
                    format::percent(o.renewal_probability)
                )
            } else {
                String::new()
            }
        );
    }
    let names = s.event_names();
    if !names.is_empty() {
        let _ = writeln!(
            out,
            "Events (each recorded per path in paths.csv): {}",
            names.join(", ")
        );
    }
    if s.file.policy.is_some() {
        out.push_str(&describe_policy(s));
    }
    out
}

/// The policy's levers in one line: `Policy NAME: lever, lever, ...`.
pub fn describe_policy(s: &Scenario) -> String {
    let mut out = String::new();
    if let Some(raw) = &s.file.policy {
        let p = &s.policy;
        let mut levers = Vec::new();
        if let Some(cutoff) = p.min_score {
            levers.push(format!("approval cutoff {cutoff}"));
        }
        if !p.limit_multiplier_by_band.is_empty() || p.limit_cap.is_some() {
            levers.push("limit multipliers/cap".to_string());
        }
        if raw.pricing.is_some() {
            levers.push("pricing by band".to_string());
        }
        if let Some(e) = &p.early_warning {
            let shock = if e.has_liquidity_shock() {
                format!(
                    "; a cut borrower misses {}x as often for {} months",
                    e.shock_hazard_multiplier, e.shock_months
                )
            } else {
                "; no liquidity shock".to_string()
            };
            levers.push(format!(
                "early warning (cuts {} of undrawn limits{shock})",
                format::percent(e.cut_share)
            ));
        }
        if let Some(li) = &p.limit_increase {
            levers.push(format!(
                "limit increases ({} of lines current {} months raised by {}, at most {} times)",
                format::percent(li.probability.get()),
                li.after_months,
                format::percent(li.increase_share),
                li.max_increases
            ));
        }
        if let Some(f) = &p.forbearance {
            levers.push(format!(
                "forbearance (take-up {}, re-default {} a month{})",
                format::percent(f.take_up.get()),
                format::percent(f.redefault_monthly.get()),
                if f.redefault_follows_factor {
                    ", moving with the factor"
                } else {
                    ", constant"
                }
            ));
        }
        if let Some(c) = &p.collections {
            levers.push(format!("{:?} collections", c.strategy).to_lowercase());
        }
        let list = if levers.is_empty() {
            "no levers".to_string()
        } else {
            levers.join(", ")
        };
        let _ = writeln!(out, "Policy {}: {list}", p.name);
    }
    out
}
