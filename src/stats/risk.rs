//! Risk measures of a sample of path losses, with Monte Carlo error.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::normal::norm_inv;

/// Confidence level of the intervals reported for VaR.
pub const VAR_CI_LEVEL: f64 = 0.95;

/// Mean, standard deviation and standard error of the mean.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
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

/// 1-based ranks of the distribution-free interval for the `q` quantile of
/// `n` values: `n q -+ z sqrt(n q (1 - q))` (normal approximation to the
/// binomial count below the true quantile), widened by one rank each side.
/// A rank outside `1..=n` means the sample cannot bound that side.
fn quantile_ci_ranks(n: usize, q: f64, confidence: f64) -> (i64, i64) {
    let nf = n as f64;
    let z = norm_inv(0.5 + confidence / 2.0);
    let half = z * (nf * q * (1.0 - q)).sqrt();
    ((nf * q - half).floor() as i64, (nf * q + half).ceil() as i64 + 1)
}

/// Distribution-free confidence interval for the `q` quantile from order
/// statistics (ranks from [`quantile_ci_ranks`]). A bound whose rank falls
/// outside the sample is `None`: the sample is too small to bound that side
/// (it used to be clamped to the extreme value, which looked tight and was not).
pub fn quantile_ci(sorted: &[f64], q: f64, confidence: f64) -> [Option<f64>; 2] {
    let n = sorted.len();
    let (lo, hi) = quantile_ci_ranks(n, q, confidence);
    let at = |rank: i64| (rank >= 1 && rank <= n as i64).then(|| sorted[rank as usize - 1]);
    [at(lo), at(hi)]
}

/// The fewest paths at which both bounds of the `q` quantile's interval exist.
pub fn paths_for_quantile_ci(q: f64, confidence: f64) -> u64 {
    let complete = |n: u64| {
        let (lo, hi) = quantile_ci_ranks(n as usize, q, confidence);
        lo >= 1 && hi <= n as i64
    };
    let mut hi = 1u64;
    while !complete(hi) {
        hi *= 2;
        if hi > 1 << 40 {
            return u64::MAX;
        }
    }
    // The smallest complete n (the predicate holds from some n on).
    let mut lo = hi / 2;
    while lo + 1 < hi {
        let mid = lo + (hi - lo) / 2;
        if complete(mid) { hi = mid } else { lo = mid }
    }
    hi
}

/// Paths beyond level `q` in a sample of `n`: `floor(n (1 - q))`, the
/// whole paths ES averages and the count the tail warnings look at.
pub fn tail_paths(n: u64, q: f64) -> u64 {
    (n as f64 * (1.0 - q)).floor() as u64
}

/// Standard error of the Acerbi-Tasche ES estimator at level `q`, from its
/// asymptotic variance `(Var(L | L >= VaR_q) + q (ES_q - VaR_q)^2) / (n (1 - q))`
/// (the tail variance, plus the uncertainty of where the tail starts);
/// `None` with fewer than two tail paths.
pub fn expected_shortfall_stderr(sorted: &[f64], q: f64) -> Option<f64> {
    let n = sorted.len();
    let m = tail_paths(n as u64, q) as usize;
    if m < 2 {
        return None;
    }
    let tail = &sorted[n - m..];
    let mean = tail.iter().sum::<f64>() / m as f64;
    let var_tail = tail.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (m - 1) as f64;
    let es = expected_shortfall(sorted, q);
    let var = quantile(sorted, q);
    Some(((var_tail + q * (es - var).powi(2)) / (n as f64 * (1.0 - q))).sqrt())
}

/// Tail paths `floor(n (1 - q))` below which a level's VaR and ES are flagged as resting on few paths.
pub const FEW_TAIL_PATHS: u64 = 50;

/// Level key used in JSON: `0.99` -> `"0.99"`.
pub fn level_key(q: f64) -> String {
    format!("{q}")
}

/// EL, dispersion and tail measures of one quantity across paths.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
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
    /// 95% distribution-free interval of each VaR; a bound the sample cannot
    /// give (its order-statistic rank is beyond the paths) is `null`.
    pub var_ci: BTreeMap<String, [Option<f64>; 2]>,
    /// Paths needed for both bounds of each VaR interval to exist.
    pub var_ci_needs_paths: BTreeMap<String, u64>,
    /// 95% interval of each ES (asymptotic normal, Acerbi-Tasche estimator's
    /// variance); `null` with fewer than two tail paths.
    pub es_ci: BTreeMap<String, Option<[f64; 2]>>,
    /// Unexpected loss `VaR - mean` per level.
    pub ul: BTreeMap<String, f64>,
    /// Interval of each UL: the VaR interval at 97.5% less the mean's at 97.5%
    /// (Bonferroni: both hold together with at least 95%); `null` bounds as for VaR.
    pub ul_ci: BTreeMap<String, [Option<f64>; 2]>,
    /// Paths in each level's tail, `floor(n (1 - q))` (with importance
    /// sampling: the paths above VaR).
    pub tail_paths: BTreeMap<String, u64>,
    /// With importance sampling: the effective number of tail paths,
    /// `(sum w)^2 / sum w^2` over the paths above VaR (what the tail
    /// warnings count); absent for plain sampling, where it is `tail_paths`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tail_effective_paths: BTreeMap<String, f64>,
}

impl RiskMeasures {
    /// The measures with the moments `m` and no level yet (every map empty).
    pub fn of_moments(m: Moments) -> Self {
        RiskMeasures {
            mean: m.mean,
            std: m.std,
            stderr: m.stderr,
            var: BTreeMap::new(),
            es: BTreeMap::new(),
            var_ci: BTreeMap::new(),
            var_ci_needs_paths: BTreeMap::new(),
            es_ci: BTreeMap::new(),
            ul: BTreeMap::new(),
            ul_ci: BTreeMap::new(),
            tail_paths: BTreeMap::new(),
            tail_effective_paths: BTreeMap::new(),
        }
    }
}

/// Computes [`RiskMeasures`] of `values` (in path order) at `levels`.
pub fn risk_measures(values: &[f64], levels: &[f64]) -> RiskMeasures {
    let m = moments(values);
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut out = RiskMeasures::of_moments(m);
    if sorted.is_empty() {
        return out;
    }
    let n = sorted.len();
    let z = norm_inv(0.5 + VAR_CI_LEVEL / 2.0);
    // Bonferroni halves of a 95% joint interval for VaR - mean.
    let half_level = 1.0 - (1.0 - VAR_CI_LEVEL) / 2.0;
    let z_mean = norm_inv(0.5 + half_level / 2.0);
    for &q in levels {
        let key = level_key(q);
        let var = quantile(&sorted, q);
        let es = expected_shortfall(&sorted, q);
        out.var.insert(key.clone(), var);
        out.es.insert(key.clone(), es);
        out.var_ci.insert(key.clone(), quantile_ci(&sorted, q, VAR_CI_LEVEL));
        out.var_ci_needs_paths
            .insert(key.clone(), paths_for_quantile_ci(q, VAR_CI_LEVEL));
        out.es_ci.insert(
            key.clone(),
            expected_shortfall_stderr(&sorted, q).map(|se| [es - z * se, es + z * se]),
        );
        out.ul.insert(key.clone(), var - m.mean);
        let [lo, hi] = quantile_ci(&sorted, q, half_level);
        let mean_half = z_mean * m.stderr;
        out.ul_ci.insert(
            key.clone(),
            [lo.map(|v| v - m.mean - mean_half), hi.map(|v| v - m.mean + mean_half)],
        );
        out.tail_paths.insert(key, tail_paths(n as u64, q));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_needed_for_a_complete_var_interval() {
        // The counts the issue measured for the old clamping: below these the
        // upper rank is beyond the sample.
        assert_eq!(paths_for_quantile_ci(0.999, 0.95), 5_661);
        assert_eq!(paths_for_quantile_ci(0.99, 0.95), 563);
        for q in [0.95, 0.99, 0.999] {
            let n = paths_for_quantile_ci(q, 0.95) as usize;
            let sample: Vec<f64> = (0..n).map(|i| i as f64).collect();
            assert!(quantile_ci(&sample, q, 0.95).iter().all(Option::is_some));
            assert!(quantile_ci(&sample[..n - 1], q, 0.95).iter().any(Option::is_none));
        }
    }

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
        assert!(ci[0].unwrap() < 50.0 && ci[1].unwrap() > 50.0);
        // 100 paths cannot bound the 99.9% quantile from above.
        assert_eq!(quantile_ci(&s, 0.999, 0.95)[1], None);
    }

    #[test]
    fn es_is_at_least_var_and_moments_are_exact() {
        let s: Vec<f64> = (0..1000).map(|i| ((i * 7919) % 1000) as f64).collect();
        let r = risk_measures(&s, &[0.9, 0.99]);
        for k in ["0.9", "0.99"] {
            assert!(r.es[k] >= r.var[k]);
            let [lo, hi] = r.var_ci[k];
            assert!(lo.unwrap() <= r.var[k] && hi.is_none_or(|h| r.var[k] <= h));
            let [es_lo, es_hi] = r.es_ci[k].unwrap();
            assert!(es_lo <= r.es[k] && r.es[k] <= es_hi);
        }
        assert!((r.mean - 499.5).abs() < 1e-12);
        let m = moments(&[1.0, 2.0, 3.0, 4.0]);
        assert!((m.std - (5.0f64 / 3.0).sqrt()).abs() < 1e-15);
    }
}
