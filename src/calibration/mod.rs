//! Calibration: between the scenario and the book. Solves each PD grade's
//! monthly missed-payment probit so that the scorecard PD means exactly what
//! `[calibration]` says, and derives what the monthly settings imply per PD
//! period (annual correlation, tail default rates).
//!
//! The target: for a loan current at the start of a PD period of `T =
//! dynamics.pd_period_months` months, with the factor drawn from its
//! through-the-cycle law ([`crate::scenario::FactorLaw`]),
//! `P(bad event within T) = PD`, with entry, roll and cure all moving with the
//! factor as in the engine. The probability is computed exactly (the grid's
//! quadrature error is below the normal CDF's own accuracy, about 1e-11
//! relative) by [`LoanChain`] on a
//! [`FactorGrid`], and the probit found by a safeguarded secant in probit space.

mod annual;
mod chain;
mod factor_grid;
pub mod term_structure;

pub use annual::{TailDefaultRate, default_rate_quantile, vasicek_correlation_from_second_moment};
pub use chain::LoanChain;
pub use factor_grid::FactorGrid;

use crate::scenario::{Correlation, FactorLaw, Scenario, Segment, Transitions};
use crate::stats::normal::{VasicekCurve, norm_inv};

/// Probit used for a grade whose PD the dynamics cannot reach: a missed
/// payment every month (`Phi(40) = 1` in double precision).
pub const UNREACHABLE_PROBIT: f64 = 40.0;

/// Roll and cure probability of each bucket at factor `z`:
/// `roll_b(z) = Phi((Phi^-1(roll_b) - sqrt(s_roll) z) / sqrt(1 - s_roll))`,
/// `cure_b(z) = min(m Phi((Phi^-1(cure_b) + sqrt(s_cure) z) / sqrt(1 - s_cure)), 1 - roll_b(z))`
/// with `m` the collections' cure multiplier (1 without a policy). The
/// engine's tables (through [`BucketCurves`]) and the calibration chain both use it.
pub fn bucket_probabilities(t: &Transitions, z: f64, cure_multiplier: f64) -> [(f64, f64); 3] {
    BucketCurves::new(t).at(z, cure_multiplier)
}

/// [`bucket_probabilities`] of one set of transitions as a function of the
/// factor, each rate's probit computed once (bitwise the same values).
#[derive(Debug, Clone, Copy)]
pub struct BucketCurves {
    roll: [VasicekCurve; 3],
    cure: [VasicekCurve; 3],
}

impl BucketCurves {
    /// The curves of `t`.
    pub fn new(t: &Transitions) -> Self {
        BucketCurves {
            roll: std::array::from_fn(|b| VasicekCurve::new(t.roll_rates[b].get(), t.roll_sensitivity)),
            cure: std::array::from_fn(|b| VasicekCurve::new(t.cure_rates[b].get(), t.cure_sensitivity)),
        }
    }

    /// Roll and cure probability of each bucket at factor `z` (see [`bucket_probabilities`]).
    pub fn at(&self, z: f64, cure_multiplier: f64) -> [(f64, f64); 3] {
        std::array::from_fn(|b| {
            let roll = self.roll[b].at(z);
            let cure = self.cure[b].at(-z);
            let cure = if cure_multiplier == 1.0 {
                cure.min(1.0 - roll)
            } else {
                (cure * cure_multiplier).min(1.0 - roll)
            };
            (roll, cure)
        })
    }
}

/// `P(bad event within the PD period)` of a current loan of `segment` whose
/// monthly missed-payment rate, averaged over a standard normal factor, is
/// `miss_rate` (the probit `Phi^-1(miss_rate)`), with transitions `t` and
/// monthly correlation `rho`: the forward map of [`calibrate_segment`],
/// which `creditstress calibrate` uses to turn fitted monthly rates into
/// the scorecard PDs a scenario states.
pub fn period_pd_of_miss_rate(
    scenario: &Scenario,
    segment: &Segment,
    rho: f64,
    t: &Transitions,
    miss_rate: f64,
) -> f64 {
    let chain = LoanChain::new(scenario, segment, rho, t);
    chain.bad_within(norm_inv(miss_rate), scenario.dynamics.pd_period_months as usize)
}

/// The asset correlation per PD period that monthly `rho` implies for a
/// grade of PD `pd`: the one-period Vasicek correlation with the same mean
/// and variance of a large book's PD-period default rate, the variance from
/// the exact `P(two loans both have the bad event)` on the factor grid.
/// (Computed with the segment's main product's transitions.)
pub fn implied_period_correlation(scenario: &Scenario, segment: &Segment, rho: f64, pd: f64) -> f64 {
    let period = scenario.dynamics.pd_period_months as usize;
    // One chain serves the grade's probit and the pair probability.
    let chain = LoanChain::new(scenario, segment, rho, segment.main_transitions());
    let probit = match closed_form(scenario, rho) {
        Some(closed) => closed(pd, period).probit,
        None => solve_grades(&chain, period, &[pd])[0].probit,
    };
    vasicek_correlation_from_second_moment(pd, chain.both_bad_within(probit, period))
}

/// The monthly rho whose implied correlation per PD period, at PD `pd`, is
/// `target`, by bisection on `[0, MAX_MONTHLY_RHO]` (the implied correlation
/// rises with rho). `Err` carries the largest reachable value when `target`
/// is above it (with `phi = 0`, for one, a monthly factor averages out over
/// a year and the reachable annual correlation is small).
pub fn monthly_rho(scenario: &Scenario, segment: &Segment, pd: f64, target: f64) -> Result<f64, f64> {
    let implied = |rho: f64| implied_period_correlation(scenario, segment, rho, pd);
    let ceiling = implied(MAX_MONTHLY_RHO);
    if target > ceiling {
        return Err(ceiling);
    }
    let (mut lo, mut hi) = (0.0, MAX_MONTHLY_RHO);
    for _ in 0..50 {
        let mid = 0.5 * (lo + hi);
        if implied(mid) < target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(0.5 * (lo + hi))
}

/// The largest monthly rho [`monthly_rho`] considers.
pub const MAX_MONTHLY_RHO: f64 = 0.99;

/// The segment's monthly rho and, for a per-period target, whether it was
/// reachable: `(rho, None)` or `(the reachable maximum's rho, Some(ceiling))`.
pub fn resolve_rho(scenario: &Scenario, segment: &Segment, pd: f64) -> (f64, Option<f64>) {
    match segment.correlation {
        Correlation::Monthly(rho) => (rho, None),
        Correlation::PerPeriod(target) => match monthly_rho(scenario, segment, pd, target) {
            Ok(rho) => (rho, None),
            Err(ceiling) => (MAX_MONTHLY_RHO, Some(ceiling)),
        },
    }
}

/// The calibration of one PD grade.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GradeCalibration {
    /// Monthly missed-payment probit `a`: `p(z) = Phi((a - sqrt(rho) z) / sqrt(1 - rho))`.
    pub probit: f64,
    /// `P(bad event within the PD period)` the probit gives (the target unless capped).
    pub achieved_pd: f64,
    /// The target is above what the dynamics allow; the grade misses every month.
    pub capped: bool,
}

/// Solves the probits of `pds` (one segment's grades). Grades are solved in
/// the order given, each starting from a linear extrapolation of its
/// neighbours' solutions in probit space (neighbouring grades differ little,
/// so two or three evaluations of the chain usually suffice).
pub fn calibrate_segment(
    scenario: &Scenario,
    segment: &Segment,
    rho: f64,
    transitions: &Transitions,
    pds: &[f64],
) -> Vec<GradeCalibration> {
    let period = scenario.dynamics.pd_period_months as usize;
    if let Some(closed) = closed_form(scenario, rho) {
        return pds.iter().map(|&pd| closed(pd, period)).collect();
    }
    solve_grades(&LoanChain::new(scenario, segment, rho, transitions), period, pds)
}

/// Solves the grades of `pds` on `chain` in order (see [`calibrate_segment`]).
fn solve_grades(chain: &LoanChain, period: usize, pds: &[f64]) -> Vec<GradeCalibration> {
    let ceiling = chain.bad_within(f64::INFINITY, period);
    let mut prior: Option<Prior> = None;
    pds.iter()
        .map(|&pd| {
            let c = solve_grade(chain, pd, period, ceiling, prior);
            if !c.capped && c.probit.is_finite() {
                let target = norm_inv(pd);
                let slope = prior
                    .filter(|p| (target - p.target).abs() > 1e-9)
                    .map_or(1.0, |p| (c.probit - p.probit) / (target - p.target));
                prior = Some(Prior {
                    probit: c.probit,
                    target,
                    slope: if slope.is_finite() && slope > 0.0 { slope } else { 1.0 },
                });
            }
            c
        })
        .collect()
}

/// A neighbouring grade's solution: its probit, `Phi^-1(PD)` and `da / dPhi^-1(PD)`.
#[derive(Debug, Clone, Copy)]
struct Prior {
    probit: f64,
    target: f64,
    slope: f64,
}

/// Without buckets, and with a factor that is independent month to month
/// (`phi = 0` or a one-month period) and Gaussian (no regimes in the law),
/// `P(miss within T) = 1 - (1 - Phi(a / sqrt(1 - rho + rho sigma^2)))^T`, so
/// `a = sqrt(1 - rho + rho sigma^2) Phi^-1(1 - (1 - PD)^(1/T))`.
fn closed_form(scenario: &Scenario, rho: f64) -> Option<impl Fn(f64, usize) -> GradeCalibration> {
    let m = &scenario.macro_model;
    let law = scenario.calibration.factor_law;
    let regimes_in_law = law == FactorLaw::NoiseAndRegimes && m.regimes.is_some();
    let period = scenario.dynamics.pd_period_months;
    if scenario.dynamics.delinquency || regimes_in_law || (m.phi != 0.0 && period > 1) {
        return None;
    }
    let sigma = if law == FactorLaw::Zero { 0.0 } else { m.sigma };
    let spread = (1.0 - rho + rho * sigma * sigma).sqrt();
    Some(move |pd: f64, period: usize| {
        let h = 1.0 - (1.0 - pd).powf(1.0 / period as f64);
        let probit = if spread == 1.0 {
            norm_inv(h)
        } else {
            spread * norm_inv(h)
        };
        GradeCalibration {
            probit,
            achieved_pd: pd,
            capped: false,
        }
    })
}

/// Tolerance on `Phi^-1(P(bad))`: a relative error in PD of about 1e-12
/// (below the normal CDF's own accuracy).
const PROBIT_TOLERANCE: f64 = 1e-12;

/// The probit with `P(bad within period) = pd`: a secant from the prior's
/// extrapolation, and a bracketing search should that not converge.
fn solve_grade(chain: &LoanChain, pd: f64, period: usize, ceiling: f64, prior: Option<Prior>) -> GradeCalibration {
    if pd <= 0.0 {
        return GradeCalibration {
            probit: f64::NEG_INFINITY,
            achieved_pd: 0.0,
            capped: false,
        };
    }
    if pd >= ceiling * (1.0 - 1e-12) {
        return GradeCalibration {
            probit: UNREACHABLE_PROBIT,
            achieved_pd: ceiling,
            capped: true,
        };
    }
    let target = norm_inv(pd);
    let evaluate = |a: f64| {
        let p = chain.bad_within(a, period);
        (norm_inv(p) - target, p)
    };
    let done = |a: f64, p: f64| GradeCalibration {
        probit: a,
        achieved_pd: p,
        capped: false,
    };
    let (mut a0, slope) = match prior {
        Some(p) => (p.probit + p.slope * (target - p.target), p.slope),
        None => (norm_inv(1.0 - (1.0 - pd).powf(1.0 / period as f64)), 1.0),
    };
    let (mut g0, p0) = evaluate(a0);
    if g0.abs() < PROBIT_TOLERANCE {
        return done(a0, p0);
    }
    let mut a1 = a0 - slope * g0;
    for _ in 0..12 {
        if !a1.is_finite() || a1 > UNREACHABLE_PROBIT {
            break;
        }
        let (g1, p1) = evaluate(a1);
        if g1.abs() < PROBIT_TOLERANCE {
            return done(a1, p1);
        }
        if !g1.is_finite() || g1 == g0 {
            break;
        }
        let next = a1 - g1 * (a1 - a0) / (g1 - g0);
        (a0, g0) = (a1, g1);
        a1 = next;
    }
    bracketed(&evaluate, a0).map_or_else(|| done(a0, chain.bad_within(a0, period)), |(a, p)| done(a, p))
}

/// Bisection-safeguarded secant on a bracket grown from `start`; `None` if
/// no bracket is found within the probit range.
fn bracketed(evaluate: &impl Fn(f64) -> (f64, f64), start: f64) -> Option<(f64, f64)> {
    let (mut a0, (mut g0, mut p0)) = (start, evaluate(start));
    let step = if g0 < 0.0 { 0.25 } else { -0.25 };
    let mut width = step;
    let (mut a1, mut g1, mut p1);
    loop {
        a1 = (a0 + width).clamp(-60.0, UNREACHABLE_PROBIT);
        (g1, p1) = evaluate(a1);
        if g1.signum() != g0.signum() || g1 == 0.0 {
            break;
        }
        if a1 <= -60.0 || a1 >= UNREACHABLE_PROBIT {
            return None;
        }
        (a0, g0, p0) = (a1, g1, p1);
        width *= 2.0;
    }
    let (mut lo, mut g_lo, mut hi, mut g_hi) = if a0 < a1 { (a0, g0, a1, g1) } else { (a1, g1, a0, g0) };
    let mut best = if g0.abs() < g1.abs() { (a0, p0) } else { (a1, p1) };
    for _ in 0..200 {
        if hi - lo < 1e-14 * (1.0 + lo.abs()) {
            break;
        }
        let secant = if g_lo.is_finite() && g_hi.is_finite() && g_hi != g_lo {
            lo - g_lo * (hi - lo) / (g_hi - g_lo)
        } else {
            f64::NAN
        };
        let a = if secant > lo + 0.01 * (hi - lo) && secant < hi - 0.01 * (hi - lo) {
            secant
        } else {
            0.5 * (lo + hi)
        };
        let (g, p) = evaluate(a);
        best = (a, p);
        if g.abs() < PROBIT_TOLERANCE {
            break;
        }
        if g < 0.0 {
            (lo, g_lo) = (a, g);
        } else {
            (hi, g_hi) = (a, g);
        }
    }
    Some(best)
}

#[cfg(test)]
mod tests;
