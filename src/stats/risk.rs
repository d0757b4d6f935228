//! Risk measures of a sample of path losses, with Monte Carlo error.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::normal::norm_inv;

/// Confidence level of the intervals reported for VaR.
pub const VAR_CI_LEVEL: f64 = 0.95;

/// Mean, standard deviation and standard error of the mean.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Moments {
    /// Sample mean (summed in path order).
    pub mean: f64,
    /// Sample standard deviation (n - 1 denominator; 0 for one value).
    pub std: f64,
    /// `std / sqrt(n)`.
    pub stderr: f64,
}

/// Two-pass moments; deterministic because the order of `values` is fixed.
pub fn moments(values: &[f64]) -> Moments {
    let n = values.len();
    if n == 0 {
        return Moments {
            mean: 0.0,
            std: 0.0,
            stderr: 0.0,
        };
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let var = if n > 1 {
        values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64
    } else {
        0.0
    };
    let std = var.sqrt();
    Moments {
        mean,
        std,
        stderr: std / (n as f64).sqrt(),
    }
}

/// Empirical quantile of an ascending sample: the smallest value `x` with
/// `F_n(x) >= q`, i.e. the order statistic `x_(ceil(n q))`.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    let k = ((n as f64 * q).ceil() as usize).clamp(1, n);
    sorted[k - 1]
}

/// Expected shortfall of an ascending sample at level `q` (Acerbi-Tasche):
///
/// # Formula
/// `ES_q = (1 / (n (1 - q))) [ sum_{i=1}^{m} x_(n-i+1) + (n (1 - q) - m) x_(n-m) ]`,
/// `m = floor(n (1 - q))`: the mean of the worst `1 - q` share of paths.
pub fn expected_shortfall(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    let tail = n as f64 * (1.0 - q);
    let m = (tail.floor() as usize).min(n);
    let mut sum: f64 = sorted[n - m..].iter().sum();
    if m < n {
        sum += (tail - m as f64) * sorted[n - m - 1];
    }
    if tail <= 0.0 {
        return sorted[n - 1];
    }
    // Every term is at least VaR = x_(ceil(nq)) = x_(n-m), so ES >= VaR in
    // exact arithmetic; the division can round an ulp below it when the
    // tail is flat.
    let var = sorted[(n - m).saturating_sub(1).min(n - 1)];
    (sum / tail).max(var)
}

/// Distribution-free confidence interval for the `q` quantile from order
/// statistics: ranks `n q -+ z sqrt(n q (1 - q))` (normal approximation to
/// the binomial count below the true quantile), widened by one rank each side.
pub fn quantile_ci(sorted: &[f64], q: f64, confidence: f64) -> [f64; 2] {
    let n = sorted.len() as f64;
    let z = norm_inv(0.5 + confidence / 2.0);
    let half = z * (n * q * (1.0 - q)).sqrt();
    let lo = ((n * q - half).floor() as i64).clamp(1, sorted.len() as i64) as usize;
    let hi = ((n * q + half).ceil() as i64 + 1).clamp(1, sorted.len() as i64) as usize;
    [sorted[lo - 1], sorted[hi - 1]]
}

/// Level key used in JSON: `0.99` -> `"0.99"`.
pub fn level_key(q: f64) -> String {
    format!("{q}")
}

/// EL, dispersion and tail measures of one quantity across paths.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskMeasures {
    /// Mean across paths (EL for a loss).
    pub mean: f64,
    /// Standard deviation across paths.
    pub std: f64,
    /// Standard error of the mean.
    pub stderr: f64,
    /// Value at risk per level.
    pub var: BTreeMap<String, f64>,
    /// Expected shortfall per level.
    pub es: BTreeMap<String, f64>,
    /// 95% confidence interval of each VaR.
    pub var_ci: BTreeMap<String, [f64; 2]>,
}

/// Computes [`RiskMeasures`] of `values` (in path order) at `levels`.
pub fn risk_measures(values: &[f64], levels: &[f64]) -> RiskMeasures {
    let m = moments(values);
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut out = RiskMeasures {
        mean: m.mean,
        std: m.std,
        stderr: m.stderr,
        var: BTreeMap::new(),
        es: BTreeMap::new(),
        var_ci: BTreeMap::new(),
    };
    if sorted.is_empty() {
        return out;
    }
    for &q in levels {
        let key = level_key(q);
        out.var.insert(key.clone(), quantile(&sorted, q));
        out.es.insert(key.clone(), expected_shortfall(&sorted, q));
        out.var_ci.insert(key, quantile_ci(&sorted, q, VAR_CI_LEVEL));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_and_es_on_a_small_sample() {
        let s: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(&s, 0.95), 95.0);
        assert_eq!(quantile(&s, 0.99), 99.0);
        assert_eq!(quantile(&s, 0.999), 100.0);
        // Worst 5 paths: 96..100, mean 98.
        assert!((expected_shortfall(&s, 0.95) - 98.0).abs() < 1e-12);
        // Worst 0.1 paths: a tenth of the top value.
        assert!((expected_shortfall(&s, 0.999) - 100.0).abs() < 1e-12);
        let ci = quantile_ci(&s, 0.5, 0.95);
        assert!(ci[0] < 50.0 && ci[1] > 50.0);
    }

    #[test]
    fn es_is_at_least_var_and_moments_are_exact() {
        let s: Vec<f64> = (0..1000).map(|i| ((i * 7919) % 1000) as f64).collect();
        let r = risk_measures(&s, &[0.9, 0.99]);
        for k in ["0.9", "0.99"] {
            assert!(r.es[k] >= r.var[k]);
            assert!(r.var_ci[k][0] <= r.var[k] && r.var[k] <= r.var_ci[k][1]);
        }
        assert!((r.mean - 499.5).abs() < 1e-12);
        let m = moments(&[1.0, 2.0, 3.0, 4.0]);
        assert!((m.std - (5.0f64 / 3.0).sqrt()).abs() < 1e-15);
    }
}
