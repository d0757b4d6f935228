//! Macro paths: the third stage. Draws the systematic factor path of one
//! Monte Carlo path: deterministic table + regime means + shocks + AR(1) noise.
//!
//! `F_{k,t} = det_k(t) + mu(regime_t) - sum(shock depths) + sigma X_{k,t}`,
//! `X_1 = L eps_1`, `X_t = phi X_{t-1} + sqrt(1 - phi^2) L eps_t`,
//! with `L` the Cholesky factor of the factor correlation matrix. A positive
//! factor is a good economy. `det_k(t)` already holds the stress in economic
//! units of `[macro.link]`, `sum_j c_j (x_j(t) - b_j)`, for a linked factor.

pub mod tilt;

use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};

use crate::engine::streams::{Purpose, item_rng, stream_key};
use crate::scenario::{MacroModel, RegimeStart, ShockStart};
pub use tilt::Tilt;

/// One path's factor values.
#[derive(Debug, Clone, PartialEq)]
pub struct FactorPath {
    /// `values[k][t]`: factor k in month t (0-based).
    pub values: Vec<Vec<f64>>,
    /// Regime index per month (empty without a regime chain).
    pub regimes: Vec<usize>,
    /// Whether each shock happened on this path.
    pub shocks_hit: Vec<bool>,
    /// The path's likelihood-ratio weight under importance sampling (1 under plain sampling).
    pub weight: f64,
}

impl FactorPath {
    /// A segment's systematic factor `Z_t = sum_k w_k F_{k,t}`.
    pub fn combine(&self, weights: &[f64]) -> Vec<f64> {
        let horizon = self.values[0].len();
        (0..horizon)
            .map(|t| weights.iter().zip(&self.values).map(|(w, f)| w * f[t]).sum())
            .collect()
    }
}

/// The state `j` with `u` in `[sum_{i<j} p_i, sum_{i<=j} p_i)`; falls back to
/// the last reachable state (or `fallback`) if rounding leaves `u` above the sum.
/// Every draw of a regime state, here and in `crate::calibration`, uses it.
pub fn pick_state(probabilities: &[f64], u: f64, fallback: usize) -> usize {
    let mut cumulative = 0.0;
    for (j, &p) in probabilities.iter().enumerate() {
        cumulative += p;
        if u < cumulative {
            return j;
        }
    }
    probabilities.iter().rposition(|&p| p > 0.0).unwrap_or(fallback)
}

/// Draws the factor path of Monte Carlo path `path` from the model's own law.
pub fn draw_factor_path(model: &MacroModel, horizon: usize, seed: u64, path: u64) -> FactorPath {
    draw_factor_path_sampled(model, horizon, seed, path, None)
}

/// The standard normal innovations `eps_{k,t}` of path `path` under the
/// model's own law, month-major (`[t * K + k]`): the draws the factor's
/// noise is built from, which importance sampling shifts.
pub fn innovations(model: &MacroModel, horizon: usize, seed: u64, path: u64) -> Vec<f64> {
    let k = model.factor_names.len();
    if model.sigma <= 0.0 {
        return Vec::new();
    }
    let mut rng = item_rng(stream_key(seed, path, Purpose::MacroNoise), 0);
    (0..horizon * k).map(|_| StandardNormal.sample(&mut rng)).collect()
}

/// Draws the factor path of path `path`; with a `tilt`, the path's
/// innovations may be shifted (see [`Tilt`]) and its weight is the
/// likelihood ratio. The regime chain and shocks always keep their own law.
pub fn draw_factor_path_sampled(
    model: &MacroModel,
    horizon: usize,
    seed: u64,
    path: u64,
    tilt: Option<&Tilt>,
) -> FactorPath {
    let k = model.factor_names.len();
    let mut values = model.deterministic.clone();

    let regimes = match &model.regimes {
        None => Vec::new(),
        Some(r) => {
            let mut rng = item_rng(stream_key(seed, path, Purpose::Regime), 0);
            // A fixed start takes no draw, so the stream is that of a chain without a drawn start.
            let mut state = match &r.initial {
                RegimeStart::Fixed(s) => *s,
                RegimeStart::Drawn { probabilities, .. } => pick_state(probabilities, rng.random(), 0),
            };
            let mut seq = Vec::with_capacity(horizon);
            for t in 0..horizon {
                if t > 0 {
                    state = pick_state(&r.transition[state], rng.random(), state);
                }
                seq.push(state);
                for f in values.iter_mut() {
                    f[t] += r.means[state];
                }
            }
            seq
        }
    };

    let shock_key = stream_key(seed, path, Purpose::Shock);
    let shocks_hit = model
        .shocks
        .iter()
        .enumerate()
        .map(|(i, shock)| {
            let mut rng = item_rng(shock_key, i as u64);
            let happens = rng.random::<f64>() < shock.probability.get();
            let start = match shock.start {
                ShockStart::Fixed(m) => m,
                ShockStart::Uniform(lo, hi) => rng.random_range(lo..=hi),
            };
            if happens {
                for t in start..horizon {
                    let d = shock.depth_at(t - start);
                    for (f, _) in values.iter_mut().zip(&shock.hits_factor).filter(|(_, hit)| **hit) {
                        f[t] -= d;
                    }
                }
            }
            happens
        })
        .collect();

    let mut weight = 1.0;
    if model.sigma > 0.0 {
        let mut rng = item_rng(stream_key(seed, path, Purpose::MacroNoise), 0);
        let innovation_scale = (1.0 - model.phi * model.phi).sqrt();
        let mut x = vec![0.0; k];
        let mut eps = vec![0.0; k];
        let shifted = tilt.filter(|t| t.shifts_path(seed, path));
        // log of (shifted density / own density) of the innovations drawn.
        let mut log_ratio = 0.0;
        for t in 0..horizon {
            eps.iter_mut().for_each(|e| *e = StandardNormal.sample(&mut rng));
            if let Some(tilt) = tilt {
                for (i, e) in eps.iter_mut().enumerate() {
                    let mu = tilt.shift_at(i, t);
                    if shifted.is_some() {
                        *e += mu;
                    }
                    log_ratio += mu * *e;
                }
            }
            for i in 0..k {
                let correlated: f64 = (0..=i).map(|j| model.cholesky[i][j] * eps[j]).sum();
                x[i] = if t == 0 {
                    correlated
                } else {
                    model.phi * x[i] + innovation_scale * correlated
                };
                values[i][t] += model.sigma * x[i];
            }
        }
        if let Some(tilt) = tilt {
            weight = tilt.weight(log_ratio - 0.5 * tilt.norm_squared());
        }
    }
    FactorPath {
        values,
        regimes,
        shocks_hit,
        weight,
    }
}
