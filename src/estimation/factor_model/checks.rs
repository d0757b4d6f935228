//! Checks of a panel before the factor model is fitted, and the warnings
//! a fit carries about what the data could not pin down.

use super::params::Layout;
use super::{FactorFit, FactorPanel, FitOptions};
use crate::estimation::{Estimate, EstimationError, check_confidence};

/// A sensitivity within this of 0 (or of 1) is reported at its bound.
const BOUND_MARGIN: f64 = 1e-3;

/// Checks the panel's shape and counts; returns the number of grades.
pub(super) fn check_panel(panel: &FactorPanel, options: &FitOptions) -> Result<usize, EstimationError> {
    check_confidence(options.confidence)?;
    let unit = |name: &str, v: Option<f64>| match v {
        Some(s) if !(0.0..1.0).contains(&s) => Err(EstimationError::InvalidInput(format!(
            "a fixed {name} of {s} is outside [0, 1)"
        ))),
        _ => Ok(()),
    };
    unit("rho", options.fix_rho)?;
    unit("roll sensitivity", options.fix_roll_sensitivity)?;
    unit("cure sensitivity", options.fix_cure_sensitivity)?;
    if let Some(phi) = options.fix_phi
        && !(phi > -1.0 && phi < 1.0)
    {
        return Err(EstimationError::InvalidInput(format!(
            "a fixed phi of {phi} is outside (-1, 1)"
        )));
    }
    let first = panel
        .paths
        .iter()
        .flat_map(|p| p.months.first())
        .next()
        .ok_or(EstimationError::EmptyPanel)?;
    let grades = first.current.len();
    if grades == 0 {
        return Err(EstimationError::InvalidPanel("the months hold no grades".into()));
    }
    let mut grade_risk = vec![0u64; grades];
    let mut bucket_risk = [0u64; 3];
    for (p, path) in panel.paths.iter().enumerate() {
        for (t, month) in path.months.iter().enumerate() {
            if month.current.len() != grades {
                return Err(EstimationError::InvalidPanel(format!(
                    "path {p}, month {t} has {} grades where the first month has {grades}",
                    month.current.len()
                )));
            }
            for (g, c) in month.current.iter().enumerate() {
                let events = c.missed.saturating_add(c.prepaid);
                if events > c.at_risk {
                    return Err(EstimationError::EventsExceedAtRisk {
                        cell: format!("path {p}, month {t}, grade {g}: missed + prepaid"),
                        events,
                        at_risk: c.at_risk,
                    });
                }
                grade_risk[g] = grade_risk[g].saturating_add(c.at_risk);
            }
            if options.with_buckets {
                for (b, c) in month.buckets.iter().enumerate() {
                    let events = c.rolled.saturating_add(c.cured);
                    if events > c.at_risk {
                        return Err(EstimationError::EventsExceedAtRisk {
                            cell: format!("path {p}, month {t}, bucket {}: rolled + cured", BUCKET_NAMES[b]),
                            events,
                            at_risk: c.at_risk,
                        });
                    }
                    bucket_risk[b] = bucket_risk[b].saturating_add(c.at_risk);
                }
            }
        }
    }
    if let Some(g) = grade_risk.iter().position(|&n| n == 0) {
        return Err(EstimationError::InvalidPanel(format!(
            "grade {g} has no loans at risk in any month"
        )));
    }
    if options.with_buckets
        && let Some(b) = bucket_risk.iter().position(|&n| n == 0)
    {
        return Err(EstimationError::InvalidPanel(format!(
            "bucket {} has no loans at risk in any month; fit with `with_buckets: false` when \
                 delinquency is off",
            BUCKET_NAMES[b]
        )));
    }
    Ok(grades)
}

/// Bucket names for messages.
const BUCKET_NAMES: [&str; 3] = ["30", "60", "90+"];

/// Warnings about cells without events (their rates rest on the model's
/// smoothness rather than on data).
pub(super) fn panel_warnings(panel: &FactorPanel, layout: &Layout) -> Vec<String> {
    let months = || panel.paths.iter().flat_map(|p| &p.months);
    let mut warnings = Vec::new();
    for g in 0..layout.grades {
        let (n, d) = months().fold((0u64, 0u64), |(n, d), m| {
            (
                n.saturating_add(m.current[g].at_risk),
                d.saturating_add(m.current[g].missed),
            )
        });
        if d == 0 {
            warnings.push(format!(
                "grade {g}: no missed payments in {n} loan-months; its miss rate is at the edge of its range"
            ));
        }
    }
    if months().all(|m| m.current.iter().all(|c| c.prepaid == 0)) {
        warnings.push("no prepayments in the panel; the prepayment rate is at the edge of its range".into());
    }
    if layout.buckets {
        for b in 0..3 {
            let name = BUCKET_NAMES[b];
            if months().all(|m| m.buckets[b].rolled == 0) {
                warnings.push(format!("bucket {name}: no rolls in the panel"));
            }
            if months().all(|m| m.buckets[b].cured == 0) {
                warnings.push(format!("bucket {name}: no cures in the panel"));
            }
        }
    } else if months().any(|m| m.buckets.iter().any(|b| b.at_risk > 0)) {
        warnings.push("bucket counts are ignored: the fit is without buckets".into());
    }
    warnings
}

/// Adds a warning for each estimated sensitivity at a bound of its range.
pub(super) fn bound_warnings(mut fit: FactorFit, layout: &Layout) -> FactorFit {
    let mut check = |name: &str, e: Option<Estimate>, index: usize| {
        let Some(e) = e else { return };
        if layout.fixed[index].is_some() {
            return;
        }
        if e.value < BOUND_MARGIN {
            fit.warnings.push(format!(
                "{name} is at its lower bound ({:.2e}): the history shows no systematic movement it could explain",
                e.value
            ));
        } else if e.value > 1.0 - BOUND_MARGIN {
            fit.warnings
                .push(format!("{name} is at its upper bound ({:.4})", e.value));
        }
    };
    check("rho", Some(fit.rho), layout.rho());
    check("the roll sensitivity", fit.roll_sensitivity, layout.roll_sensitivity());
    check("the cure sensitivity", fit.cure_sensitivity, layout.cure_sensitivity());
    if layout.fixed[layout.phi()].is_none() && fit.phi.value.abs() > 1.0 - BOUND_MARGIN {
        fit.warnings.push(format!(
            "phi is at a bound ({:.4}): the factor barely moves from month to month",
            fit.phi.value
        ));
    }
    fit
}
