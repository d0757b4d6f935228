//! The through-the-cycle law of one segment's factor, discretised on a grid
//! so that expectations over factor paths become sums.
//!
//! A segment's factor is `Z_t = m mu(r_t) + sigma Y_t` (see
//! [`crate::macro_paths`]): `Y` is a unit-variance AR(1) with persistence
//! `phi`, `r` the regime chain, `m` the sum of the segment's (scaled) factor
//! weights. `Y` lives on an evenly spaced grid on `[-8, 8]` with Gaussian
//! weights (the trapezoid rule, whose error for Gaussian integrands falls like
//! `exp(-2 pi^2 sd^2 / h^2)`: with three nodes per conditional standard
//! deviation it is below the normal CDF's own accuracy), and moves with the kernel
//! `K(y_i, y_j) ∝ exp(-(y_j - phi y_i)^2 / (2 (1 - phi^2)))`, rows normalised.
//! The regime chain starts in its stationary distribution.

use crate::scenario::{FactorLaw, Scenario, Segment, stationary_distribution};

/// Half-width of the noise grid, in standard deviations.
const GRID_HALF_WIDTH: f64 = 8.0;
/// Nodes per conditional standard deviation (and per unit of the steepest
/// probit slope).
const NODES_PER_SCALE: f64 = 2.0;
/// Upper bound on the noise nodes (reached only for `|phi|` near 1 or a
/// sensitivity near 1).
const MAX_NODES: usize = 1601;

/// A segment's factor law on a grid of (regime, noise node) points.
#[derive(Debug, Clone)]
pub struct FactorGrid {
    /// Noise node values `y_i`.
    noise: Vec<f64>,
    /// Stationary weight of each noise node (sums to 1).
    noise_weights: Vec<f64>,
    /// Row-stochastic kernel `K[i * n + j]`, or `None` when `phi = 0` (every row is `noise_weights`).
    kernel: Option<Vec<f64>>,
    /// Factor mean added in each regime (`m mu(r)`); one entry of 0 without regimes.
    regime_shift: Vec<f64>,
    /// Stationary distribution of the regimes.
    regime_weights: Vec<f64>,
    /// Regime transition rows.
    regime_transition: Vec<Vec<f64>>,
    /// Noise scale `sigma` (0 for the zero law).
    sigma: f64,
}

impl FactorGrid {
    /// The law `scenario.calibration.factor_law` of `segment`'s factor.
    /// `steepest_slope` is the largest `|d probit / dz|` of the conditional
    /// probabilities the grid will integrate (it sets the node spacing).
    pub fn new(scenario: &Scenario, segment: &Segment, steepest_slope: f64) -> Self {
        let m = &scenario.macro_model;
        let law = scenario.calibration.factor_law;
        let sigma = if law == FactorLaw::Zero { 0.0 } else { m.sigma };
        let (regime_shift, regime_weights, regime_transition) = match (&m.regimes, law) {
            (Some(r), FactorLaw::NoiseAndRegimes) => {
                let loading: f64 = segment.factor_weights.iter().sum();
                (
                    r.means.iter().map(|mu| loading * mu).collect(),
                    stationary_distribution(&r.transition),
                    r.transition.clone(),
                )
            }
            _ => (vec![0.0], vec![1.0], vec![vec![1.0]]),
        };
        let (noise, noise_weights, kernel) = if sigma == 0.0 {
            (vec![0.0], vec![1.0], None)
        } else {
            noise_grid(m.phi, sigma * steepest_slope)
        };
        FactorGrid {
            noise,
            noise_weights,
            kernel,
            regime_shift,
            regime_weights,
            regime_transition,
            sigma,
        }
    }

    /// Number of grid points (regimes x noise nodes).
    pub fn len(&self) -> usize {
        self.regime_shift.len() * self.noise.len()
    }

    /// Always false: a grid has at least one point.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The factor value at grid point `k` (regime-major).
    pub fn z(&self, k: usize) -> f64 {
        let n = self.noise.len();
        self.regime_shift[k / n] + self.sigma * self.noise[k % n]
    }

    /// The stationary probability of grid point `k` in month 1.
    pub fn start_weight(&self, k: usize) -> f64 {
        let n = self.noise.len();
        self.regime_weights[k / n] * self.noise_weights[k % n]
    }

    /// Moves a mass of `width` numbers per grid point one month on:
    /// `out[k'] = sum_k P(k -> k') mass[k]`, laid out `[k][width]`.
    pub fn advance(&self, mass: &[f64], width: usize, out: &mut [f64]) {
        let n = self.noise.len();
        let regimes = self.regime_shift.len();
        let mut moved = vec![0.0; mass.len()];
        for r in 0..regimes {
            let block = &mass[r * n * width..(r + 1) * n * width];
            let target = &mut moved[r * n * width..(r + 1) * n * width];
            match &self.kernel {
                None => {
                    let mut total = vec![0.0; width];
                    for i in 0..n {
                        for w in 0..width {
                            total[w] += block[i * width + w];
                        }
                    }
                    for j in 0..n {
                        for w in 0..width {
                            target[j * width + w] = self.noise_weights[j] * total[w];
                        }
                    }
                }
                Some(kernel) => {
                    for i in 0..n {
                        let row = &kernel[i * n..(i + 1) * n];
                        let from = &block[i * width..(i + 1) * width];
                        if from.iter().all(|&v| v == 0.0) {
                            continue;
                        }
                        for (j, &p) in row.iter().enumerate() {
                            let to = &mut target[j * width..(j + 1) * width];
                            for w in 0..width {
                                to[w] += p * from[w];
                            }
                        }
                    }
                }
            }
        }
        if regimes == 1 {
            out.copy_from_slice(&moved);
            return;
        }
        out.iter_mut().for_each(|v| *v = 0.0);
        for (r, row) in self.regime_transition.iter().enumerate() {
            for (r2, &p) in row.iter().enumerate() {
                if p == 0.0 {
                    continue;
                }
                let from = &moved[r * n * width..(r + 1) * n * width];
                let to = &mut out[r2 * n * width..(r2 + 1) * n * width];
                for (t, f) in to.iter_mut().zip(from) {
                    *t += p * f;
                }
            }
        }
    }
}

/// Noise nodes, stationary weights and kernel for persistence `phi`, with
/// the integrands' steepest slope `slope` per unit of `Y`.
fn noise_grid(phi: f64, slope: f64) -> (Vec<f64>, Vec<f64>, Option<Vec<f64>>) {
    let conditional_sd = (1.0 - phi * phi).sqrt();
    let scale = conditional_sd.min(if slope > 0.0 { 1.0 / slope } else { 1.0 });
    let half = ((GRID_HALF_WIDTH * NODES_PER_SCALE / scale).ceil() as usize).min(MAX_NODES / 2);
    let h = GRID_HALF_WIDTH / half as f64;
    let noise: Vec<f64> = (0..=2 * half).map(|i| (i as f64 - half as f64) * h).collect();
    let normalised = |v: Vec<f64>| {
        let total: f64 = v.iter().sum();
        v.into_iter().map(|x| x / total).collect::<Vec<f64>>()
    };
    let weights = normalised(noise.iter().map(|y| (-0.5 * y * y).exp()).collect());
    let kernel = (phi != 0.0).then(|| {
        let var2 = 2.0 * conditional_sd * conditional_sd;
        noise
            .iter()
            .flat_map(|&yi| {
                normalised(
                    noise
                        .iter()
                        .map(|&yj| (-(yj - phi * yi).powi(2) / var2).exp())
                        .collect(),
                )
            })
            .collect()
    });
    (noise, weights, kernel)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stationary_weights_have_unit_variance_and_the_kernel_keeps_them() {
        for phi in [0.0, 0.5, 0.8, -0.6, 0.95] {
            let (y, w, k) = noise_grid(phi, 0.3);
            let var: f64 = y.iter().zip(&w).map(|(y, w)| y * y * w).sum();
            assert!((var - 1.0).abs() < 1e-12, "phi {phi}: variance {var}");
            if let Some(k) = k {
                let n = y.len();
                let moved: Vec<f64> = (0..n).map(|j| (0..n).map(|i| w[i] * k[i * n + j]).sum()).collect();
                let diff: f64 = moved.iter().zip(&w).map(|(a, b)| (a - b).abs()).sum();
                assert!(diff < 1e-10, "phi {phi}: stationary law moved by {diff}");
                // One step's autocovariance is phi.
                let cov: f64 = (0..n)
                    .map(|i| (0..n).map(|j| w[i] * k[i * n + j] * y[i] * y[j]).sum::<f64>())
                    .sum();
                assert!((cov - phi).abs() < 1e-10, "phi {phi}: lag-1 covariance {cov}");
            }
        }
    }
}
