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
}

pub fn execute(args: ValidateArgs) -> Result<(), Failure> {
    let loaded = load_scenario(&args.scenario)?;
    // validate draws the book to describe it.
    super::run::check_memory(&loaded.scenario, 0, 1)?;
    emit(&format!(
        "{}{}: OK\n",
        describe(&loaded.scenario),
        args.scenario.display()
    ));
    Ok(())
}

/// A human description of a scenario, including the book it draws.
pub fn describe(s: &Scenario) -> String {
    let prepared = Prepared::new(s);
    let p = &prepared.profile;
    let mut out = String::new();
    let _ = writeln!(out, "Scenario {}: {}", s.name, s.file.description.trim());
    let _ = writeln!(
        out,
        "Run: {} months, {} paths, seed {}, risk levels {:?}{}",
        s.horizon_months,
        s.paths,
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
    let _ = writeln!(out, "Tail at {} paths: {}", s.paths, tails.join("; "));
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
