//! Figures across paths when paths carry importance-sampling weights.
//!
//! Every estimator here is the plain one with each path counted by its
//! self-normalised weight `w_i / sum_j w_j` (so the weights form a
//! distribution and every figure, from the mean to the 99.9% quantile, is a
//! figure of one weighted empirical law). Standard errors are the
//! delta-method ones of a ratio estimator, `sum_i w_i^2 IF_i^2` with `IF`
//! the estimator's influence function; with equal weights each reduces to
//! the plain formula of [`super::risk`]. A plain run never comes here: its
//! figures are computed by the plain code, bitwise as before.

use super::normal::norm_inv;
use super::risk::{Moments, RiskMeasures, VAR_CI_LEVEL, level_key, moments};

/// How a run's paths count in every figure across them.
#[derive(Debug, Clone, Copy)]
pub enum PathWeights<'a> {
    /// Plain sampling: every path counts once.
    Equal,
    /// Importance sampling: each path's self-normalised weight (summing to 1), in path order.
    Normalised(&'a [f64]),
}

/// Self-normalised weights of raw likelihood ratios, or `None` when every
/// ratio is exactly 1 (plain sampling).
pub fn normalise(raw: &[f64]) -> Option<Vec<f64>> {
    if raw.iter().all(|&w| w == 1.0) {
        return None;
    }
    let total: f64 = raw.iter().sum();
    Some(raw.iter().map(|w| w / total).collect())
}

impl<'a> PathWeights<'a> {
    /// The weights of `normalised` (from [`normalise`]).
    pub fn of(normalised: &'a Option<Vec<f64>>) -> Self {
        normalised
            .as_deref()
            .map_or(PathWeights::Equal, PathWeights::Normalised)
    }

    /// Whether paths carry weights.
    pub fn is_weighted(&self) -> bool {
        matches!(self, PathWeights::Normalised(_))
    }

    /// Mean, dispersion and standard error of the mean.
    pub fn moments(&self, values: &[f64]) -> Moments {
        match self {
            PathWeights::Equal => moments(values),
            PathWeights::Normalised(w) => weighted_moments(values, w),
        }
    }

    /// The mean alone.
    pub fn mean(&self, values: &[f64]) -> f64 {
        self.moments(values).mean
    }

    /// The share of paths (weighted) for which `mask` is true.
    pub fn share(&self, mask: impl Iterator<Item = bool>) -> f64 {
        match self {
            PathWeights::Equal => {
                let (mut n, mut hit) = (0u64, 0u64);
                mask.for_each(|m| {
                    n += 1;
                    hit += m as u64;
                });
                if n == 0 { 0.0 } else { hit as f64 / n as f64 }
            }
            PathWeights::Normalised(w) => mask.zip(w.iter()).filter(|(m, _)| *m).map(|(_, w)| w).sum(),
        }
    }

    /// The weights restricted to the paths of `mask`, normalised again
    /// (`Equal` stays `Equal`); `None` when no weight is left.
    pub fn within(&self, mask: &[bool]) -> Option<Vec<f64>> {
        match self {
            PathWeights::Equal => None,
            PathWeights::Normalised(w) => {
                let kept: Vec<f64> = w.iter().zip(mask).filter(|(_, m)| **m).map(|(w, _)| *w).collect();
                let total: f64 = kept.iter().sum();
                (total > 0.0).then(|| kept.iter().map(|w| w / total).collect())
            }
        }
    }

    /// Risk measures of `values` at `levels`.
    pub fn risk_measures(&self, values: &[f64], levels: &[f64]) -> RiskMeasures {
        match self {
            PathWeights::Equal => super::risk::risk_measures(values, levels),
            PathWeights::Normalised(w) => weighted_risk_measures(values, w, levels),
        }
    }

    /// The weighted quantile of `values` at `q`.
    pub fn quantile(&self, values: &[f64], q: f64) -> f64 {
        match self {
            PathWeights::Equal => {
                let mut sorted = values.to_vec();
                sorted.sort_by(f64::total_cmp);
                super::risk::quantile(&sorted, q)
            }
            PathWeights::Normalised(w) => {
                let s = Sorted::new(values, w);
                s.x[s.quantile_index(q)]
            }
        }
    }
}

/// Weighted mean; dispersion `sqrt(sum w (x - m)^2 / (1 - sum w^2))` (the
/// unbiased form for reliability weights, `n / (n - 1)` when equal);
/// standard error `sqrt(sum w^2 (x - m)^2)`.
pub fn weighted_moments(values: &[f64], w: &[f64]) -> Moments {
    if values.is_empty() {
        return Moments::default();
    }
    let mean: f64 = values.iter().zip(w).map(|(x, w)| w * x).sum();
    let (mut spread, mut se2, mut w2) = (0.0, 0.0, 0.0);
    for (x, w) in values.iter().zip(w) {
        let d = (x - mean) * (x - mean);
        spread += w * d;
        se2 += w * w * d;
        w2 += w * w;
    }
    Moments {
        mean,
        std: if w2 < 1.0 { (spread / (1.0 - w2)).sqrt() } else { 0.0 },
        stderr: se2.sqrt(),
    }
}

/// Values in ascending order (ties in path order) with their weights.
pub struct Sorted {
    /// Values, ascending.
    pub x: Vec<f64>,
    /// Their normalised weights.
    pub w: Vec<f64>,
    /// Their path positions.
    pub order: Vec<usize>,
}

impl Sorted {
    /// Sorts `values` with weights `w`.
    pub fn new(values: &[f64], w: &[f64]) -> Self {
        let mut order: Vec<usize> = (0..values.len()).collect();
        order.sort_by(|&a, &b| values[a].total_cmp(&values[b]).then(a.cmp(&b)));
        Sorted {
            x: order.iter().map(|&i| values[i]).collect(),
            w: order.iter().map(|&i| w[i]).collect(),
            order,
        }
    }

    /// Position of the weighted `p` quantile: the smallest position `j` whose
    /// weight above it, `sum_{i > j} w_i`, is at most `1 - p` (with equal
    /// weights, the order statistic `x_(ceil(n p))` of [`super::risk::quantile`]).
    /// Accumulated from the top, where the tail's small weights are exact.
    pub fn quantile_index(&self, p: f64) -> usize {
        let n = self.x.len();
        // A relative 1e-12 of slack: where the tail mass is exactly a sum of
        // weights (equal weights with an integer n (1 - p)), rounding must
        // not move the quantile by a path.
        let room = (1.0 - p) * (1.0 + 1e-12);
        let mut above = 0.0;
        let mut j = n - 1;
        while j > 0 && above + self.w[j] <= room {
            above += self.w[j];
            j -= 1;
        }
        j
    }
}

/// [`RiskMeasures`] of weighted paths. VaR is the weighted quantile; ES the
/// Acerbi-Tasche form `VaR + sum w (x - VaR)^+ / (1 - q)`; the VaR interval
/// inverts the weighted tail share's normal interval,
/// `[Q(q - z s), Q(q + z s)]` widened by one position each side,
/// `s^2 = sum w^2 (1{x > VaR} - (1 - q))^2`; the ES interval is
/// `ES -+ z sqrt(sum w^2 (VaR + (x - VaR)^+ / (1 - q) - ES)^2)`.
/// `tail_paths` counts the paths above VaR (more than `n (1 - q)` when the
/// sampling favours the tail) and `tail_effective_paths` their effective
/// number `(sum w)^2 / sum w^2`; `var_ci_needs_paths` is not known in
/// advance for weighted paths and stays empty.
pub fn weighted_risk_measures(values: &[f64], w: &[f64], levels: &[f64]) -> RiskMeasures {
    let m = weighted_moments(values, w);
    let mut out = RiskMeasures::of_moments(m);
    if values.is_empty() {
        return out;
    }
    let s = Sorted::new(values, w);
    let z = norm_inv(0.5 + VAR_CI_LEVEL / 2.0);
    let half_level = 1.0 - (1.0 - VAR_CI_LEVEL) / 2.0;
    let z_mean = norm_inv(0.5 + half_level / 2.0);
    for &q in levels {
        let key = level_key(q);
        let tail = tail_of(&s, q);
        out.var.insert(key.clone(), tail.var);
        out.es.insert(key.clone(), tail.es);
        out.var_ci.insert(key.clone(), quantile_interval(&s, q, tail.var, z));
        out.es_ci.insert(
            key.clone(),
            tail.es_stderr.map(|se| [tail.es - z * se, tail.es + z * se]),
        );
        out.ul.insert(key.clone(), tail.var - m.mean);
        let [lo, hi] = quantile_interval(&s, q, tail.var, norm_inv(0.5 + half_level / 2.0));
        let mean_half = z_mean * m.stderr;
        out.ul_ci.insert(
            key.clone(),
            [lo.map(|v| v - m.mean - mean_half), hi.map(|v| v - m.mean + mean_half)],
        );
        out.tail_paths.insert(key.clone(), tail.paths);
        out.tail_effective_paths.insert(key, tail.effective_paths);
    }
    out
}

/// VaR, ES and the tail's paths at one level of a weighted sample.
#[derive(Debug, Clone, Copy)]
pub struct WeightedTail {
    /// Weighted quantile.
    pub var: f64,
    /// `VaR + sum w (x - VaR)^+ / (1 - q)`, at least VaR.
    pub es: f64,
    /// Its standard error (`None` with fewer than two paths above VaR).
    pub es_stderr: Option<f64>,
    /// Paths above VaR.
    pub paths: u64,
    /// Their effective number, `(sum w)^2 / sum w^2`.
    pub effective_paths: f64,
}

/// The tail of `s` at level `q`.
pub fn tail_of(s: &Sorted, q: f64) -> WeightedTail {
    let var = s.x[s.quantile_index(q)];
    let room = 1.0 - q;
    let (mut excess, mut paths, mut tw, mut tw2) = (0.0, 0u64, 0.0, 0.0);
    for (x, w) in s.x.iter().zip(&s.w).rev().take_while(|(x, _)| **x > var) {
        excess += w * (x - var);
        paths += 1;
        tw += w;
        tw2 += w * w;
    }
    let es = (var + excess / room).max(var);
    let es_stderr = (paths >= 2).then(|| {
        s.x.iter()
            .zip(&s.w)
            .map(|(x, w)| {
                let influence = var + (x - var).max(0.0) / room - es;
                w * w * influence * influence
            })
            .sum::<f64>()
            .sqrt()
    });
    WeightedTail {
        var,
        es,
        es_stderr,
        paths,
        effective_paths: if tw2 > 0.0 { tw * tw / tw2 } else { 0.0 },
    }
}

/// The interval of the weighted `q` quantile (see [`weighted_risk_measures`]);
/// a side the sample cannot bound is `None`.
fn quantile_interval(s: &Sorted, q: f64, var: f64, z: f64) -> [Option<f64>; 2] {
    let n = s.x.len();
    let share_sd =
        s.x.iter()
            .zip(&s.w)
            .map(|(x, w)| {
                let d = (*x > var) as u8 as f64 - (1.0 - q);
                w * w * d * d
            })
            .sum::<f64>()
            .sqrt();
    let (p_lo, p_hi) = (q - z * share_sd, q + z * share_sd);
    let lo = (p_lo > 0.0)
        .then(|| s.quantile_index(p_lo))
        .and_then(|j| j.checked_sub(1))
        .map(|j| s.x[j]);
    let hi = (p_hi < 1.0)
        .then(|| s.quantile_index(p_hi) + 1)
        .filter(|&j| j < n)
        .map(|j| s.x[j]);
    [lo, hi]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::risk::{expected_shortfall, expected_shortfall_stderr, quantile, risk_measures};

    fn sample(n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| ((i * 7919) % 1013) as f64 + 0.25 * (i % 3) as f64)
            .collect()
    }

    #[test]
    fn equal_weights_give_the_plain_estimators() {
        let x = sample(2_000);
        let w = vec![1.0 / 2_000.0; 2_000];
        let mut sorted = x.clone();
        sorted.sort_by(f64::total_cmp);
        let r = weighted_risk_measures(&x, &w, &[0.9, 0.99, 0.999]);
        let plain = risk_measures(&x, &[0.9, 0.99, 0.999]);
        assert!((r.mean - plain.mean).abs() < 1e-9);
        // The delta-method standard error has n, not n - 1, in its denominator.
        assert!((r.stderr * (2_000.0f64 / 1_999.0).sqrt() - plain.stderr).abs() < 1e-9 * plain.stderr);
        assert!((r.std - plain.std).abs() < 1e-9 * plain.std);
        for q in [0.9, 0.99, 0.999] {
            let k = level_key(q);
            assert_eq!(r.var[&k], quantile(&sorted, q), "VaR {q}");
            assert!(
                (r.es[&k] - expected_shortfall(&sorted, q)).abs() < 1e-9 * r.es[&k],
                "ES {q}"
            );
            // The influence-function variance divides the tail's spread by
            // its m paths, the plain formula by m - 1: close once m is not tiny.
            if q <= 0.99 {
                let se = expected_shortfall_stderr(&sorted, q).unwrap();
                let [lo, hi] = r.es_ci[&k].unwrap();
                assert!(((hi - lo) / 2.0 / 1.959964 - se).abs() < 0.1 * se, "ES se {q}");
            }
        }
        // The normal-approximation interval is the plain one but for rounding of ranks.
        let [lo, hi] = r.var_ci["0.9"];
        let [plo, phi] = plain.var_ci["0.9"];
        assert!((lo.unwrap() - plo.unwrap()).abs() <= 2.0 && (hi.unwrap() - phi.unwrap()).abs() <= 2.0);
    }

    #[test]
    fn integer_weights_count_as_repeated_paths() {
        // Weights 1, 2, 3 (normalised) equal the sample with each value repeated that often.
        let x = sample(300);
        let counts: Vec<usize> = (0..300).map(|i| 1 + i % 3).collect();
        let total: usize = counts.iter().sum();
        let w: Vec<f64> = counts.iter().map(|&c| c as f64 / total as f64).collect();
        let mut repeated: Vec<f64> = x
            .iter()
            .zip(&counts)
            .flat_map(|(v, &c)| std::iter::repeat_n(*v, c))
            .collect();
        repeated.sort_by(f64::total_cmp);
        for q in [0.5, 0.95, 0.99] {
            let s = Sorted::new(&x, &w);
            let tail = tail_of(&s, q);
            assert_eq!(tail.var, quantile(&repeated, q), "VaR {q}");
            assert!(
                (tail.es - expected_shortfall(&repeated, q)).abs() < 1e-9 * tail.es,
                "ES {q}"
            );
        }
        let m = weighted_moments(&x, &w);
        assert!((m.mean - repeated.iter().sum::<f64>() / total as f64).abs() < 1e-9);
    }

    #[test]
    fn a_quantile_beyond_the_weights_has_no_upper_bound() {
        // Two paths: the upper bound of a high quantile is beyond the sample.
        let r = weighted_risk_measures(&[1.0, 2.0], &[0.5, 0.5], &[0.99]);
        assert_eq!(r.var_ci["0.99"][1], None);
        assert_eq!(r.es_ci["0.99"], None);
    }
}
