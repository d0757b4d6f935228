//! What monthly settings imply per PD period: the asset correlation of a
//! one-period Vasicek model with the same mean and variance of a large
//! book's default rate, and that default rate's tail quantile under the
//! factor model as written.

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, StandardNormal};

use super::LoanChain;
use crate::macro_paths::pick_state;
use crate::scenario::{FactorLaw, Scenario, Segment, stationary_distribution};
use crate::stats::normal::{norm_cdf, norm_inv};

/// The one-period Vasicek correlation `r` whose default-rate second moment
/// `E[Phi((Phi^-1(PD) - sqrt(r) X) / sqrt(1 - r))^2]` (X standard normal)
/// equals `second_moment`; 0 when it is at or below `PD^2`.
pub fn vasicek_correlation_from_second_moment(pd: f64, second_moment: f64) -> f64 {
    if pd <= 0.0 || pd >= 1.0 || second_moment <= pd * pd {
        return 0.0;
    }
    let a = norm_inv(pd);
    let moment = |r: f64| {
        // Trapezoid on a fine grid: the integrand is smooth on the scale sqrt((1 - r) / r).
        const NODES: usize = 4001;
        let h = 18.0 / (NODES - 1) as f64;
        let (s, inv) = (r.sqrt(), 1.0 / (1.0 - r).sqrt());
        let mut total = 0.0;
        let mut weight = 0.0;
        for i in 0..NODES {
            let x = -9.0 + i as f64 * h;
            let w = (-0.5 * x * x).exp();
            let p = norm_cdf((a - s * x) * inv);
            total += w * p * p;
            weight += w;
        }
        total / weight
    };
    let (mut lo, mut hi) = (0.0, 0.9999);
    if moment(hi) <= second_moment {
        return hi;
    }
    for _ in 0..80 {
        let mid = 0.5 * (lo + hi);
        if moment(mid) < second_moment {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// A quantile of a large book's PD-period default rate, estimated from factor paths.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TailDefaultRate {
    /// The quantile level.
    pub level: f64,
    /// The estimate (an order statistic of the simulated conditional default rates).
    pub value: f64,
    /// Distribution-free 95% interval (order statistics).
    pub interval: (f64, f64),
    /// Factor paths drawn.
    pub paths: usize,
}

/// The `level` quantile of `P(bad within T | factor path)` over `paths`
/// factor paths of `segment`'s through-the-cycle law (stationary AR(1) noise,
/// and the stationary regime chain when the law includes it), each path's
/// conditional probability computed exactly by the loan chain. Draws come
/// from a fixed seed, so the figure is the same on every call.
pub fn default_rate_quantile(
    scenario: &Scenario,
    segment: &Segment,
    chain: &LoanChain,
    probit: f64,
    level: f64,
    paths: usize,
) -> TailDefaultRate {
    let m = &scenario.macro_model;
    let law = scenario.calibration.factor_law;
    let months = scenario.dynamics.pd_period_months as usize;
    let sigma = if law == FactorLaw::Zero { 0.0 } else { m.sigma };
    let regimes = m.regimes.as_ref().filter(|_| law == FactorLaw::NoiseAndRegimes);
    let loading: f64 = segment.factor_weights.iter().sum();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0x0cab_1b4a_7e00_0001);
    let innovation = (1.0 - m.phi * m.phi).sqrt();
    let start = regimes.map(|r| stationary_distribution(&r.transition));
    let mut rates: Vec<f64> = (0..paths)
        .map(|_| {
            let mut y: f64 = StandardNormal.sample(&mut rng);
            let mut state = start.as_ref().map(|p| pick_state(p, rng.random(), 0));
            let z: Vec<f64> = (0..months)
                .map(|t| {
                    if t > 0 {
                        let e: f64 = StandardNormal.sample(&mut rng);
                        y = m.phi * y + innovation * e;
                        if let (Some(r), Some(s)) = (regimes, state.as_mut()) {
                            *s = pick_state(&r.transition[*s], rng.random(), *s);
                        }
                    }
                    let shift = match (regimes, state) {
                        (Some(r), Some(s)) => loading * r.means[s],
                        _ => 0.0,
                    };
                    shift + sigma * y
                })
                .collect();
            chain.bad_given_path(probit, &z)
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    let n = paths as f64;
    let rank = |q: f64| ((n * q).ceil() as usize).clamp(1, paths) - 1;
    // Normal approximation to the binomial ranks of a 95% order-statistic interval.
    let half = 1.959_963_984_540_054 * (n * level * (1.0 - level)).sqrt();
    let lo = ((n * level - half).floor().max(1.0) as usize).min(paths) - 1;
    let hi = ((n * level + half).ceil().max(1.0) as usize).min(paths) - 1;
    TailDefaultRate {
        level,
        value: rates[rank(level)],
        interval: (rates[lo], rates[hi]),
        paths,
    }
}
