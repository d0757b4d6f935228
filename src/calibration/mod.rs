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

pub use annual::{TailDefaultRate, default_rate_quantile, vasicek_correlation_from_second_moment};
pub use chain::LoanChain;
pub use factor_grid::FactorGrid;

use crate::scenario::{FactorLaw, Scenario, Segment, Transitions};
use crate::stats::normal::{norm_inv, vasicek_conditional};

/// Probit used for a grade whose PD the dynamics cannot reach: a missed
/// payment every month (`Phi(40) = 1` in double precision).
pub const UNREACHABLE_PROBIT: f64 = 40.0;

/// Roll and cure probability of each bucket at factor `z`:
/// `roll_b(z) = Phi((Phi^-1(roll_b) - sqrt(s_roll) z) / sqrt(1 - s_roll))`,
/// `cure_b(z) = min(m Phi((Phi^-1(cure_b) + sqrt(s_cure) z) / sqrt(1 - s_cure)), 1 - roll_b(z))`
/// with `m` the collections' cure multiplier (1 without a policy). The
/// engine's tables and the calibration chain both use this function.
pub fn bucket_probabilities(t: &Transitions, z: f64, cure_multiplier: f64) -> [(f64, f64); 3] {
    std::array::from_fn(|b| {
        let roll = vasicek_conditional(t.roll_rates[b].get(), t.roll_sensitivity, z);
        let cure = vasicek_conditional(t.cure_rates[b].get(), t.cure_sensitivity, -z);
        let cure = if cure_multiplier == 1.0 {
            cure.min(1.0 - roll)
        } else {
            (cure * cure_multiplier).min(1.0 - roll)
        };
        (roll, cure)
    })
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
/// the order given, each starting from its neighbour's solution.
pub fn calibrate_segment(scenario: &Scenario, segment: &Segment, pds: &[f64]) -> Vec<GradeCalibration> {
    let period = scenario.dynamics.pd_period_months as usize;
    if let Some(closed) = closed_form(scenario, segment) {
        return pds.iter().map(|&pd| closed(pd, period)).collect();
    }
    let chain = LoanChain::new(scenario, segment);
    let ceiling = chain.bad_within(f64::INFINITY, period);
    let mut guess = None;
    pds.iter()
        .map(|&pd| {
            let c = solve_grade(&chain, pd, period, ceiling, guess);
            if !c.capped && c.probit.is_finite() {
                guess = Some(c.probit);
            }
            c
        })
        .collect()
}

/// Without buckets, and with a factor that is independent month to month
/// (`phi = 0` or a one-month period) and Gaussian (no regimes in the law),
/// `P(miss within T) = 1 - (1 - Phi(a / sqrt(1 - rho + rho sigma^2)))^T`, so
/// `a = sqrt(1 - rho + rho sigma^2) Phi^-1(1 - (1 - PD)^(1/T))`.
fn closed_form(scenario: &Scenario, segment: &Segment) -> Option<impl Fn(f64, usize) -> GradeCalibration> {
    let m = &scenario.macro_model;
    let law = scenario.calibration.factor_law;
    let regimes_in_law = law == FactorLaw::NoiseAndRegimes && m.regimes.is_some();
    let period = scenario.dynamics.pd_period_months;
    if scenario.dynamics.delinquency || regimes_in_law || (m.phi != 0.0 && period > 1) {
        return None;
    }
    let sigma = if law == FactorLaw::Zero { 0.0 } else { m.sigma };
    let rho = segment.rho;
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

/// The probit with `P(bad within period) = pd`.
fn solve_grade(chain: &LoanChain, pd: f64, period: usize, ceiling: f64, guess: Option<f64>) -> GradeCalibration {
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
    let gap = |a: f64| norm_inv(chain.bad_within(a, period)) - target;
    // Bracket from the guess, in probit space where the map is close to linear.
    let mut a0 = guess.unwrap_or_else(|| norm_inv(1.0 - (1.0 - pd).powf(1.0 / period as f64)));
    let mut g0 = gap(a0);
    let step = if g0 < 0.0 { 0.25 } else { -0.25 };
    let (mut a1, mut g1);
    let mut width = step;
    loop {
        a1 = (a0 + width).clamp(-60.0, UNREACHABLE_PROBIT);
        g1 = gap(a1);
        if g1.signum() != g0.signum() || g1 == 0.0 || a1 <= -60.0 || a1 >= UNREACHABLE_PROBIT {
            break;
        }
        (a0, g0) = (a1, g1);
        width *= 2.0;
    }
    let (mut lo, mut g_lo, mut hi, mut g_hi) = if a0 < a1 { (a0, g0, a1, g1) } else { (a1, g1, a0, g0) };
    let mut best = if g_lo.abs() < g_hi.abs() { lo } else { hi };
    for _ in 0..200 {
        if g_lo.is_nan() || g_hi.is_nan() || hi - lo < 1e-14 * (1.0 + lo.abs()) {
            break;
        }
        // Secant inside the bracket, bisection when it leaves it or stalls.
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
        let g = gap(a);
        best = a;
        if g.abs() < 1e-13 {
            break;
        }
        if g < 0.0 {
            (lo, g_lo) = (a, g);
        } else {
            (hi, g_hi) = (a, g);
        }
    }
    GradeCalibration {
        probit: best,
        achieved_pd: chain.bad_within(best, period),
        capped: false,
    }
}

#[cfg(test)]
mod tests;
