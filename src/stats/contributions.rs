//! Euler risk contributions: how much of the portfolio's VaR and ES each
//! part of the book (segment, score band, product) carries.
//!
//! For a loss `L = sum_i L_i`, the Euler contributions are
//! `ES_i = E[L_i | L >= VaR_q]` and `VaR_i = E[L_i | L = VaR_q]`; they add
//! up to ES and VaR.
//!
//! - **ES contributions** are conditional tail means with exactly the tail
//!   weighting of [`super::risk::expected_shortfall`] (the worst
//!   `floor(n (1 - q))` paths with weight 1, the next with the fractional
//!   rest, ties broken by path order), so they add up to the reported ES to
//!   rounding. Interval: `ES_i -+ 1.96 se`,
//!   `se^2 = (Var(L_i | tail) + q (VaR_i - ES_i)^2) / (n (1 - q))`, the
//!   Acerbi–Tasche variance with the component in place of the portfolio
//!   (the tail's own spread, plus where the tail starts).
//! - **VaR contributions** by a Gaussian kernel estimator (Tasche 2009):
//!   `VaR_i = sum_j K((L_j - VaR_q) / h) L_ij / sum_j K(...)`, bandwidth
//!   `h = 1.06 sd(L) n^(-1/5)` (Silverman's rule). Their sum is the kernel
//!   mean of `L` near VaR, close to but not exactly VaR; both are reported.
//!   Interval: `VaR_i -+ 1.96 sqrt(Var_K(L_i) / n_eff)` with the
//!   kernel-weighted variance and `n_eff = (sum K)^2 / sum K^2` (none below
//!   10 effective paths); it covers the sampling error, not the kernel's
//!   smoothing bias.

use serde::{Deserialize, Serialize};

use super::normal::norm_inv;
use super::risk::{expected_shortfall, quantile};

/// The kernel bandwidth's multiplier of `sd(L) n^(-1/5)` (Silverman's rule).
pub const KERNEL_BANDWIDTH_FACTOR: f64 = 1.06;

/// Fewest effective kernel paths for a VaR contribution interval: below it
/// the kernel-weighted variance is itself too uncertain to give one.
pub const MIN_KERNEL_PATHS: f64 = 10.0;

/// One part's contributions at one level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Contribution {
    /// Euler VaR contribution (kernel estimate).
    pub var: f64,
    /// Its 95% interval (`null` bounds with fewer than [`MIN_KERNEL_PATHS`] effective paths).
    pub var_ci: [Option<f64>; 2],
    /// Euler ES contribution (conditional tail mean).
    pub es: f64,
    /// Its 95% interval (`null` bounds with fewer than two tail paths).
    pub es_ci: [Option<f64>; 2],
}

/// The portfolio's side of the contributions at one level, shared by every
/// breakdown (segments, bands, products) of the same paths.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TailSummary {
    /// Portfolio VaR at the level.
    pub var: f64,
    /// Portfolio ES at the level: the ES contributions of each breakdown add up to it.
    pub es: f64,
    /// Sum of the kernel VaR contributions of a breakdown (the kernel mean
    /// of the loss near VaR; close to VaR, not equal).
    pub var_contributions_sum: f64,
    /// Gaussian kernel bandwidth `h` of the VaR contributions, loss units.
    pub kernel_bandwidth: f64,
    /// Effective paths the kernel averages, `(sum K)^2 / sum K^2`.
    pub kernel_effective_paths: f64,
    /// Paths in the tail the ES contributions average (fractional last one).
    pub tail_paths: f64,
}

/// The tail weights and kernel weights of the portfolio loss at one level,
/// computed once and applied to any number of parts.
#[derive(Debug, Clone)]
pub struct EulerWeights {
    q: f64,
    /// ES weight of each path (1 in the tail, the fractional rest on the next).
    tail: Vec<f64>,
    /// Paths with a whole tail weight, `floor(n (1 - q))`.
    whole_tail_paths: usize,
    /// Kernel weight of each path around VaR.
    kernel: Vec<f64>,
    kernel_sum: f64,
    summary: TailSummary,
    /// With importance sampling: each path's normalised weight and whether
    /// it is above VaR (for the influence-function interval of ES parts).
    weighted: Option<(Vec<f64>, Vec<bool>)>,
}

impl EulerWeights {
    /// The weights of the portfolio loss `total` (per path) at level `q`.
    pub fn new(total: &[f64], q: f64) -> Self {
        let n = total.len();
        // Paths by loss, ties in path order: the order the sorted sample has.
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| total[a].total_cmp(&total[b]).then(a.cmp(&b)));
        let tail_mass = n as f64 * (1.0 - q);
        let m = (tail_mass.floor() as usize).min(n);
        let mut tail = vec![0.0; n];
        for &j in &order[n - m..] {
            tail[j] = 1.0;
        }
        if m < n && tail_mass > m as f64 {
            tail[order[n - m - 1]] = tail_mass - m as f64;
        }
        let sorted: Vec<f64> = order.iter().map(|&j| total[j]).collect();
        let (var, es) = if n == 0 {
            (0.0, 0.0)
        } else {
            (quantile(&sorted, q), expected_shortfall(&sorted, q))
        };

        let mean = total.iter().sum::<f64>() / n.max(1) as f64;
        let sd = (total.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / (n.max(2) - 1) as f64).sqrt();
        let h = KERNEL_BANDWIDTH_FACTOR * sd * (n.max(1) as f64).powf(-0.2);
        let kernel: Vec<f64> = if h > 0.0 {
            total.iter().map(|l| (-0.5 * ((l - var) / h).powi(2)).exp()).collect()
        } else {
            // A degenerate loss: every path is "at" VaR.
            total.iter().map(|l| if *l == var { 1.0 } else { 0.0 }).collect()
        };
        Self::assemble(total, q, tail, m, kernel, h, (var, es), None)
    }

    /// The weights of `total` at level `q` when paths carry normalised
    /// importance-sampling weights `w`: a path's tail weight is its weight
    /// in path units (`n w`) down from the largest loss until the tail mass
    /// `n (1 - q)` is spent (the last path takes the rest), so the ES parts
    /// add up to the weighted ES; the kernel weights are `K n w`, with the
    /// bandwidth from the weighted standard deviation and the Kish effective
    /// path count `1 / sum w^2` in place of `n`.
    pub fn weighted(total: &[f64], w: &[f64], q: f64) -> Self {
        let n = total.len();
        let sorted = super::weighted::Sorted::new(total, w);
        let tail_summary = super::weighted::tail_of(&sorted, q);
        let var = tail_summary.var;
        let tail_mass = n as f64 * (1.0 - q);
        let mut tail = vec![0.0; n];
        let mut left = tail_mass;
        for (&j, &wj) in sorted.order.iter().zip(&sorted.w).rev() {
            if left <= 0.0 {
                break;
            }
            let units = (n as f64 * wj).min(left);
            tail[j] = units;
            left -= units;
        }
        let above: Vec<bool> = total.iter().map(|&l| l > var).collect();
        let m = super::weighted::weighted_moments(total, w);
        let kish = 1.0 / w.iter().map(|x| x * x).sum::<f64>().max(f64::MIN_POSITIVE);
        let h = KERNEL_BANDWIDTH_FACTOR * m.std * kish.powf(-0.2);
        let kernel: Vec<f64> = if h > 0.0 {
            total
                .iter()
                .zip(w)
                .map(|(l, wj)| n as f64 * wj * (-0.5 * ((l - var) / h).powi(2)).exp())
                .collect()
        } else {
            total
                .iter()
                .zip(w)
                .map(|(l, wj)| if *l == var { n as f64 * wj } else { 0.0 })
                .collect()
        };
        Self::assemble(
            total,
            q,
            tail,
            tail_summary.paths as usize,
            kernel,
            h,
            (var, tail_summary.es),
            Some((w.to_vec(), above)),
        )
    }

    /// The weights from their parts, plain or weighted alike: the kernel's
    /// sum and effective paths, the tail's mass and the kernel mean of the loss.
    #[allow(clippy::too_many_arguments)]
    fn assemble(
        total: &[f64],
        q: f64,
        tail: Vec<f64>,
        whole_tail_paths: usize,
        kernel: Vec<f64>,
        bandwidth: f64,
        (var, es): (f64, f64),
        weighted: Option<(Vec<f64>, Vec<bool>)>,
    ) -> Self {
        let kernel_sum: f64 = kernel.iter().sum();
        let k_sq: f64 = kernel.iter().map(|k| k * k).sum();
        let tail_paths = tail.iter().sum();
        let mut weights = EulerWeights {
            q,
            tail,
            whole_tail_paths,
            kernel,
            kernel_sum,
            weighted,
            summary: TailSummary {
                var,
                es,
                var_contributions_sum: 0.0,
                kernel_bandwidth: bandwidth,
                kernel_effective_paths: if k_sq > 0.0 {
                    kernel_sum * kernel_sum / k_sq
                } else {
                    0.0
                },
                tail_paths,
            },
        };
        weights.summary.var_contributions_sum = weights.kernel_mean(total);
        weights
    }

    /// The portfolio's figures the contributions share.
    pub fn summary(&self) -> &TailSummary {
        &self.summary
    }

    fn kernel_mean(&self, x: &[f64]) -> f64 {
        if self.kernel_sum > 0.0 {
            x.iter().zip(&self.kernel).map(|(v, k)| v * k).sum::<f64>() / self.kernel_sum
        } else {
            0.0
        }
    }

    /// The contributions of a part whose loss per path is `loss`.
    pub fn contribution(&self, loss: &[f64]) -> Contribution {
        let z = norm_inv(0.975);
        let n = loss.len();
        let n_eff = self.summary.kernel_effective_paths;
        let var_i = self.kernel_mean(loss);
        let var_var = if self.kernel_sum > 0.0 {
            loss.iter()
                .zip(&self.kernel)
                .map(|(v, k)| k * (v - var_i).powi(2))
                .sum::<f64>()
                / self.kernel_sum
        } else {
            0.0
        };
        let var_ci = if n_eff >= MIN_KERNEL_PATHS {
            let half = z * (var_var / n_eff).sqrt();
            [Some(var_i - half), Some(var_i + half)]
        } else {
            [None, None]
        };
        let weight_sum = self.summary.tail_paths;
        let es_i = if weight_sum > 0.0 {
            loss.iter().zip(&self.tail).map(|(v, w)| v * w).sum::<f64>() / weight_sum
        } else {
            var_i
        };
        let es_ci = if let Some((w, above)) = self.weighted.as_ref().filter(|_| self.whole_tail_paths >= 2) {
            // Influence function of the part's tail mean: its excess over the
            // part's VaR share on the tail paths, plus where the tail starts.
            let room = 1.0 - self.q;
            let se = loss
                .iter()
                .zip(w)
                .zip(above)
                .map(|((v, w), a)| {
                    let influence = if *a { (v - var_i) / room } else { 0.0 } + var_i - es_i;
                    w * w * influence * influence
                })
                .sum::<f64>()
                .sqrt();
            [Some(es_i - z * se), Some(es_i + z * se)]
        } else if self.whole_tail_paths >= 2 {
            let tail_var = loss
                .iter()
                .zip(&self.tail)
                .filter(|(_, w)| **w > 0.0)
                .map(|(v, w)| w * (v - es_i).powi(2))
                .sum::<f64>()
                / (weight_sum - 1.0).max(1.0);
            let q = self.q;
            let se = ((tail_var + q * (var_i - es_i).powi(2)) / (n as f64 * (1.0 - q))).sqrt();
            [Some(es_i - z * se), Some(es_i + z * se)]
        } else {
            [None, None]
        };
        Contribution {
            var: var_i,
            var_ci,
            es: es_i,
            es_ci,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_distr::{Distribution, StandardNormal};

    #[test]
    fn es_contributions_add_up_to_the_es_estimator_exactly() {
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(3);
        let a: Vec<f64> = (0..1001).map(|_| rng.random::<f64>() * 10.0).collect();
        let b: Vec<f64> = (0..1001).map(|_| rng.random::<f64>().powi(3) * 30.0).collect();
        let total: Vec<f64> = a.iter().zip(&b).map(|(x, y)| x + y).collect();
        let mut sorted = total.clone();
        sorted.sort_by(f64::total_cmp);
        for q in [0.9, 0.99, 0.995, 0.999] {
            let w = EulerWeights::new(&total, q);
            let c = w.summary();
            assert_eq!(c.var, quantile(&sorted, q));
            assert!((c.es - expected_shortfall(&sorted, q)).abs() < 1e-9 * c.es);
            let sum = w.contribution(&a).es + w.contribution(&b).es;
            assert!((sum - c.es).abs() < 1e-9 * c.es, "q {q}: {sum} vs {}", c.es);
        }
    }

    /// Two independent normal parts: the exact Euler contributions are
    /// `E[L_i | L = v] = mu_i + (s_i^2 / s^2)(v - mu)` and
    /// `E[L_i | L >= v] = mu_i + (s_i^2 / s^2)(ES - mu)`.
    #[test]
    fn contributions_match_the_closed_form_of_a_gaussian_book_within_their_intervals() {
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(11);
        let n = 200_000;
        let (mu1, s1, mu2, s2) = (10.0, 1.0, 5.0, 2.0);
        let a: Vec<f64> = (0..n)
            .map(|_| mu1 + s1 * <StandardNormal as Distribution<f64>>::sample(&StandardNormal, &mut rng))
            .collect();
        let b: Vec<f64> = (0..n)
            .map(|_| mu2 + s2 * <StandardNormal as Distribution<f64>>::sample(&StandardNormal, &mut rng))
            .collect();
        let total: Vec<f64> = a.iter().zip(&b).map(|(x, y)| x + y).collect();
        let q = 0.99;
        let w = EulerWeights::new(&total, q);
        let (mu, s2t) = (mu1 + mu2, s1 * s1 + s2 * s2);
        let zq = norm_inv(q);
        let v = mu + s2t.sqrt() * zq;
        let es = mu + s2t.sqrt() * crate::stats::normal::norm_pdf(zq) / (1.0 - q);
        for (part, (m, s)) in [w.contribution(&a), w.contribution(&b)]
            .iter()
            .zip([(mu1, s1), (mu2, s2)])
        {
            let var_exact = m + s * s / s2t * (v - mu);
            let es_exact = m + s * s / s2t * (es - mu);
            // The VaR interval covers sampling error only; allow the kernel's
            // smoothing bias (second order in h) on top.
            let [lo, hi] = part.var_ci.map(|x| x.expect("bounded"));
            let slack = 0.05 * s;
            assert!(
                lo - slack <= var_exact && var_exact <= hi + slack,
                "VaR {lo}..{hi} vs {var_exact}"
            );
            let [lo, hi] = part.es_ci.map(|x| x.expect("bounded"));
            assert!(lo <= es_exact && es_exact <= hi, "ES {lo}..{hi} vs {es_exact}");
        }
        let c = w.summary();
        assert!((c.var_contributions_sum - c.var).abs() < 0.05 * c.var);
    }
}
