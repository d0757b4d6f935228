//! Checks of `[macro]`: factor names, the correlation matrix (symmetric,
//! unit diagonal, positive semi-definite), AR(1) noise, deterministic paths,
//! the link from economic variables, regimes and shocks.

use std::collections::BTreeSet;

use super::super::Attachments;
use super::super::file::*;
use super::super::macro_link::resolve_link;
use super::super::resolved::*;
use super::{Result, err, finite, non_negative, probability};

pub(super) fn macro_model(raw: &MacroSection, attachments: &Attachments, horizon: usize) -> Result<MacroModel> {
    let k = raw.factors.len();
    if k == 0 {
        return err("macro.factors", "give at least one factor name");
    }
    let mut seen = BTreeSet::new();
    for (i, name) in raw.factors.iter().enumerate() {
        if name.trim().is_empty() || !seen.insert(name.as_str()) {
            return err(
                format!("macro.factors[{i}]"),
                format!("names must be non-empty and unique, got {name:?}"),
            );
        }
    }
    let correlation = if raw.correlation.is_empty() {
        (0..k)
            .map(|i| (0..k).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
            .collect()
    } else {
        raw.correlation.clone()
    };
    let cholesky = check_correlation(&correlation, k)?;
    let phi = raw.noise.phi;
    if !(phi > -1.0 && phi < 1.0) {
        return err("macro.noise.phi", format!("must be in (-1, 1), got {phi}"));
    }
    let sigma = non_negative("macro.noise.sigma", raw.noise.sigma)?;
    if sigma > MAX_NOISE_SIGMA {
        return err(
            "macro.noise.sigma",
            format!(
                "at most {MAX_NOISE_SIGMA} (the factor's paths would leave the range where probabilities move), got {}",
                readable(sigma)
            ),
        );
    }

    let mut deterministic = vec![vec![0.0; horizon]; k];
    for (name, path) in &raw.deterministic {
        let field = format!("macro.deterministic.{name}");
        let Some(idx) = raw.factors.iter().position(|f| f == name) else {
            return err(field, format!("no factor named {name:?} in macro.factors"));
        };
        if path.is_empty() {
            return err(field, "give at least one month");
        }
        for (t, slot) in deterministic[idx].iter_mut().enumerate() {
            let v = path[t.min(path.len() - 1)];
            *slot = v;
        }
        for (t, &v) in path.iter().enumerate() {
            factor_shift(&format!("{field}[{t}]"), v)?;
        }
    }
    let link = raw
        .link
        .as_ref()
        .map(|l| resolve_link(l, attachments, &raw.factors, horizon))
        .transpose()?;
    if let Some(link) = &link {
        // The link is a second deterministic term: det_k(t) = path_k(t) + link(t).
        for (path, _) in deterministic.iter_mut().zip(&link.drives_factor).filter(|(_, d)| **d) {
            for (slot, c) in path.iter_mut().zip(&link.contribution) {
                *slot += c;
            }
        }
        for (k, path) in deterministic.iter().enumerate() {
            for (t, &v) in path.iter().enumerate() {
                if v.abs() > MAX_FACTOR_SHIFT {
                    return err(
                        "macro.link",
                        format!(
                            "factor {:?} in month {} is {v} with the link: at most {MAX_FACTOR_SHIFT} standard \
                             deviations from 0 (beyond that no probability moves)",
                            raw.factors[k],
                            t + 1
                        ),
                    );
                }
            }
        }
    }
    let regimes = raw.regimes.as_ref().map(regimes).transpose()?;
    let shocks = raw
        .shocks
        .iter()
        .enumerate()
        .map(|(i, s)| shock(&format!("macro.shocks[{i}]"), s, &raw.factors, horizon))
        .collect::<Result<Vec<_>>>()?;
    Ok(MacroModel {
        factor_names: raw.factors.clone(),
        cholesky,
        correlation,
        phi,
        sigma,
        deterministic,
        link,
        regimes,
        shocks,
    })
}

/// Checks shape, symmetry, unit diagonal and positive semi-definiteness, and
/// returns a lower-triangular `L` with `L L^T = C` (zero columns where `C` is singular).
fn check_correlation(c: &[Vec<f64>], k: usize) -> Result<Vec<Vec<f64>>> {
    let field = "macro.correlation";
    if c.len() != k || c.iter().any(|row| row.len() != k) {
        return err(
            field,
            format!("must be a {k}x{k} matrix (one row and column per factor)"),
        );
    }
    for i in 0..k {
        if c[i][i] != 1.0 {
            return err(
                format!("{field}[{i}][{i}]"),
                format!("the diagonal must be 1, got {}", c[i][i]),
            );
        }
        for j in 0..k {
            if !(-1.0..=1.0).contains(&c[i][j]) {
                return err(
                    format!("{field}[{i}][{j}]"),
                    format!("must be in [-1, 1], got {}", c[i][j]),
                );
            }
            if (c[i][j] - c[j][i]).abs() > 1e-12 {
                return err(format!("{field}[{i}][{j}]"), "the matrix must be symmetric");
            }
        }
    }
    const TOL: f64 = 1e-10;
    let mut l = vec![vec![0.0; k]; k];
    for j in 0..k {
        let d = c[j][j] - (0..j).map(|p| l[j][p] * l[j][p]).sum::<f64>();
        if d < -TOL {
            return err(
                field,
                "is not positive semi-definite (no valid joint distribution has these correlations)",
            );
        }
        let d = d.max(0.0).sqrt();
        l[j][j] = d;
        for i in j + 1..k {
            let s = c[i][j] - (0..j).map(|p| l[i][p] * l[j][p]).sum::<f64>();
            if d > TOL {
                l[i][j] = s / d;
            } else if s.abs() > 1e-8 {
                return err(
                    field,
                    "is not positive semi-definite (no valid joint distribution has these correlations)",
                );
            }
        }
    }
    Ok(l)
}

fn regimes(raw: &RegimeSpec) -> Result<Regimes> {
    let n = raw.states.len();
    if n < 2 {
        return err("macro.regimes.states", "give at least two states");
    }
    let names: Vec<String> = raw.states.iter().map(|s| s.name.clone()).collect();
    let mut seen = BTreeSet::new();
    for (i, name) in names.iter().enumerate() {
        if name.trim().is_empty() || !seen.insert(name.as_str()) {
            return err(
                format!("macro.regimes.states[{i}].name"),
                format!("names must be non-empty and unique, got {name:?}"),
            );
        }
    }
    if let Some(i) = names.iter().position(|n| n == "stationary") {
        return err(
            format!("macro.regimes.states[{i}].name"),
            "\"stationary\" is reserved (initial = \"stationary\" draws the start from the stationary distribution)",
        );
    }
    for (i, s) in raw.states.iter().enumerate() {
        factor_shift(&format!("macro.regimes.states[{i}].mean"), s.mean)?;
    }
    if raw.transition.len() != n || raw.transition.iter().any(|r| r.len() != n) {
        return err("macro.regimes.transition", format!("must be a {n}x{n} matrix"));
    }
    for (i, row) in raw.transition.iter().enumerate() {
        for (j, &p) in row.iter().enumerate() {
            probability(&format!("macro.regimes.transition[{i}][{j}]"), p)?;
        }
        let sum: f64 = row.iter().sum();
        if (sum - 1.0).abs() > 1e-9 {
            return err(
                format!("macro.regimes.transition[{i}]"),
                format!("row must sum to 1, sums to {sum}"),
            );
        }
    }
    let initial = match &raw.initial {
        None => RegimeStart::Fixed(0),
        Some(RegimeInitial::Name(name)) if name == "stationary" => RegimeStart::Drawn {
            probabilities: stationary_distribution(&raw.transition),
            stationary: true,
        },
        Some(RegimeInitial::Name(name)) => RegimeStart::Fixed(names.iter().position(|n| n == name).map_or_else(
            || {
                err(
                    "macro.regimes.initial",
                    format!(
                        "no state named {name:?} (give a state's name, \"stationary\" or one probability per state)"
                    ),
                )
            },
            Ok,
        )?),
        Some(RegimeInitial::Probabilities(p)) => {
            if p.len() != n {
                return err(
                    "macro.regimes.initial",
                    format!("give one probability per state ({n}), got {}", p.len()),
                );
            }
            for (i, &v) in p.iter().enumerate() {
                probability(&format!("macro.regimes.initial[{i}]"), v)?;
            }
            let sum: f64 = p.iter().sum();
            if (sum - 1.0).abs() > 1e-9 {
                return err(
                    "macro.regimes.initial",
                    format!("probabilities must sum to 1, sum to {sum}"),
                );
            }
            match p.iter().position(|&v| v == 1.0) {
                Some(state) => RegimeStart::Fixed(state),
                None => RegimeStart::Drawn {
                    probabilities: p.clone(),
                    stationary: false,
                },
            }
        }
    };
    Ok(Regimes {
        names,
        means: raw.states.iter().map(|s| s.mean).collect(),
        transition: raw.transition.clone(),
        initial,
    })
}

fn shock(field: &str, raw: &ShockSpec, factors: &[String], horizon: usize) -> Result<Shock> {
    let month_ok = |m: u32| m >= 1 && (m as usize) <= horizon;
    let start = match (raw.start_month, raw.start_month_range) {
        (Some(m), None) if month_ok(m) => ShockStart::Fixed(m as usize - 1),
        (Some(m), None) => {
            return err(
                format!("{field}.start_month"),
                format!("must be in 1..={horizon}, got {m}"),
            );
        }
        (None, Some([lo, hi])) if month_ok(lo) && month_ok(hi) && lo <= hi => {
            ShockStart::Uniform(lo as usize - 1, hi as usize - 1)
        }
        (None, Some(r)) => {
            return err(
                format!("{field}.start_month_range"),
                format!("must be [lo, hi] with 1 <= lo <= hi <= {horizon}, got {r:?}"),
            );
        }
        _ => return err(field, "give exactly one of start_month or start_month_range"),
    };
    let depth = non_negative(&format!("{field}.depth"), raw.depth)?;
    factor_shift(&format!("{field}.depth"), depth)?;
    if raw.duration_months == 0 {
        return err(format!("{field}.duration_months"), "must be at least 1");
    }
    let hits_factor = if raw.factors.is_empty() {
        vec![true; factors.len()]
    } else {
        let mut hits = vec![false; factors.len()];
        for (i, name) in raw.factors.iter().enumerate() {
            match factors.iter().position(|f| f == name) {
                Some(idx) => hits[idx] = true,
                None => {
                    return err(
                        format!("{field}.factors[{i}]"),
                        format!("no factor named {name:?} in macro.factors"),
                    );
                }
            }
        }
        hits
    };
    if raw.recovery_shape == RecoveryShape::Exponential && raw.recovery_months == 0 {
        return err(
            format!("{field}.recovery_months"),
            "an exponential recovery needs recovery_months >= 1",
        );
    }
    Ok(Shock {
        name: raw.name.clone(),
        start,
        depth,
        duration_months: raw.duration_months as usize,
        recovery_months: raw.recovery_months as usize,
        recovery_shape: raw.recovery_shape,
        probability: probability(&format!("{field}.probability"), raw.probability)?,
        hits_factor,
    })
}

/// Largest shift of the factor a scenario may give, in standard deviations:
/// `Phi(40)` is 1 in double precision, so nothing moves beyond it, and plots
/// of paths stay drawable.
pub(super) const MAX_FACTOR_SHIFT: f64 = 40.0;

/// A value as a person writes it: plain, or in exponent form when huge.
fn readable(v: f64) -> String {
    if v.abs() >= 1e6 {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// Largest stationary standard deviation of the factor's noise.
pub(super) const MAX_NOISE_SIGMA: f64 = 10.0;

/// A finite shift of the factor within [`MAX_FACTOR_SHIFT`].
fn factor_shift(field: &str, v: f64) -> Result<f64> {
    let v = finite(field, v)?;
    if v.abs() > MAX_FACTOR_SHIFT {
        return err(
            field,
            format!(
                "at most {MAX_FACTOR_SHIFT} standard deviations of the factor (beyond that no probability moves), got {}",
                readable(v)
            ),
        );
    }
    Ok(v)
}
