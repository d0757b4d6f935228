//! Logistic regression of a 0/1 outcome (bad within the PD period) on one
//! covariate (the score), by iteratively reweighted least squares (Newton
//! on the log-likelihood): the scorecard a scenario writes as
//! `intercept + slope_per_100 (score - pivot) / 100` on the log-odds scale.
//!
//! Standard errors come from the Fisher information, or, given a cluster
//! per observation (loans of one vintage or one month share shocks, so
//! their outcomes are not independent), from the cluster-robust sandwich.

use super::linalg::spd_inverse;
use super::{Estimate, EstimationError, check_confidence};

/// Newton steps before giving up.
const MAX_ITERATIONS: usize = 100;
/// Convergence: largest coefficient change.
const STEP_TOLERANCE: f64 = 1e-10;
/// A linear predictor this large in magnitude at every point means a
/// separated sample (the likelihood has no maximum).
const SEPARATION_LOG_ODDS: f64 = 30.0;

/// A fitted `logit P(y = 1) = intercept + slope x`.
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticFit {
    /// Intercept (log-odds at `x = 0`).
    pub intercept: Estimate,
    /// Slope per unit of `x`.
    pub slope: Estimate,
    /// Covariance of (intercept, slope), Fisher or cluster-robust.
    pub covariance: [[f64; 2]; 2],
    /// Maximised log-likelihood.
    pub log_likelihood: f64,
    /// Newton iterations.
    pub iterations: usize,
    /// Observations used.
    pub observations: usize,
    /// Number of clusters when the standard errors are cluster-robust.
    pub clusters: Option<usize>,
    /// Confidence of the intervals.
    pub confidence: f64,
}

/// A scorecard around a pivot score: `intercept + slope_per_100 (score - pivot) / 100`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scorecard {
    /// Log-odds at the pivot, `a + b pivot`.
    pub intercept: Estimate,
    /// Log-odds change per 100 points, `100 b`.
    pub slope_per_100: Estimate,
}

impl LogisticFit {
    /// The fit re-expressed around `pivot`, with its intervals.
    ///
    /// # Formula
    /// `Var(a + b pivot) = Var(a) + pivot^2 Var(b) + 2 pivot Cov(a, b)`.
    pub fn scorecard(&self, pivot: f64) -> Scorecard {
        let c = &self.covariance;
        let value = self.intercept.value + self.slope.value * pivot;
        let var = c[0][0] + pivot * pivot * c[1][1] + 2.0 * pivot * c[0][1];
        Scorecard {
            intercept: Estimate::wald(value, var.max(0.0).sqrt(), self.confidence),
            slope_per_100: Estimate::wald(100.0 * self.slope.value, 100.0 * self.slope.std_error, self.confidence),
        }
    }
}

/// Fits `logit P(outcome) = a + b covariate` by Newton-Raphson (IRLS).
/// With `clusters` (one id per observation) the covariance is the
/// cluster-robust sandwich `G / (G - 1) A^-1 B A^-1`, `A` the Fisher
/// information and `B = sum_c s_c s_c^T` the outer product of each
/// cluster's summed scores `s_c = sum_{i in c} (y_i - p_i) (1, x_i)`.
///
/// # Formula
/// Newton step `beta += (X^T W X)^-1 X^T (y - p)`, `W = diag(p (1 - p))`,
/// on the covariate centred at its mean (for conditioning), then mapped
/// back: `a = a_c - b mean(x)`.
pub fn fit_logistic(
    outcomes: &[bool],
    covariate: &[f64],
    clusters: Option<&[u64]>,
    confidence: f64,
) -> Result<LogisticFit, EstimationError> {
    check_confidence(confidence)?;
    let n = outcomes.len();
    if covariate.len() != n || clusters.is_some_and(|c| c.len() != n) {
        return Err(EstimationError::InvalidInput(format!(
            "logistic regression: {n} outcomes, {} covariate values{}",
            covariate.len(),
            clusters.map_or(String::new(), |c| format!(", {} cluster ids", c.len()))
        )));
    }
    if n < 3 {
        return Err(EstimationError::TooFewObservations {
            what: "logistic regression",
            needed: 3,
            got: n,
        });
    }
    if covariate.iter().any(|v| !v.is_finite()) {
        return Err(EstimationError::InvalidInput(
            "logistic regression: a covariate is not finite".into(),
        ));
    }
    let events = outcomes.iter().filter(|&&y| y).count();
    if events == 0 || events == n {
        return Err(EstimationError::Singular(
            "logistic regression (the outcome never varies)",
        ));
    }
    let centre = covariate.iter().sum::<f64>() / n as f64;
    let x: Vec<f64> = covariate.iter().map(|v| v - centre).collect();
    let rate = events as f64 / n as f64;
    let mut beta = [(rate / (1.0 - rate)).ln(), 0.0];
    let mut iterations = 0;
    let information = |beta: &[f64; 2]| {
        let mut a = vec![vec![0.0; 2]; 2];
        let mut score = [0.0; 2];
        let mut ll = 0.0;
        for (&xi, &yi) in x.iter().zip(outcomes) {
            let eta = beta[0] + beta[1] * xi;
            let p = 1.0 / (1.0 + (-eta).exp());
            let w = p * (1.0 - p);
            a[0][0] += w;
            a[0][1] += w * xi;
            a[1][1] += w * xi * xi;
            let r = f64::from(u8::from(yi)) - p;
            score[0] += r;
            score[1] += r * xi;
            // ln p = -ln(1 + e^-eta), ln(1 - p) = -ln(1 + e^eta).
            ll -= if yi { (-eta).exp().ln_1p() } else { eta.exp().ln_1p() };
        }
        a[1][0] = a[0][1];
        (a, score, ll)
    };
    loop {
        let (a, score, _) = information(&beta);
        let inverse = spd_inverse(&a).ok_or(EstimationError::Singular("logistic regression"))?;
        let step = [
            inverse[0][0] * score[0] + inverse[0][1] * score[1],
            inverse[1][0] * score[0] + inverse[1][1] * score[1],
        ];
        beta[0] += step[0];
        beta[1] += step[1];
        iterations += 1;
        if step[0].abs().max(step[1].abs()) < STEP_TOLERANCE {
            break;
        }
        let spread = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        if iterations >= MAX_ITERATIONS || beta[1].abs() * spread > SEPARATION_LOG_ODDS && beta[1].abs() > 0.0 {
            let (_, _, ll) = information(&beta);
            if iterations >= MAX_ITERATIONS || ll > -1e-6 * n as f64 {
                return Err(EstimationError::OptimiserFailed {
                    iterations,
                    reason: "logistic regression does not converge: the score separates the outcomes".into(),
                });
            }
        }
    }
    let (a, _, log_likelihood) = information(&beta);
    let fisher = spd_inverse(&a).ok_or(EstimationError::Singular("logistic regression"))?;
    let (centred, cluster_count) = match clusters {
        None => (fisher, None),
        Some(ids) => {
            let mut order: Vec<usize> = (0..n).collect();
            order.sort_by_key(|&i| ids[i]);
            let mut meat = [[0.0; 2]; 2];
            let mut groups = 0usize;
            let mut start = 0;
            while start < n {
                let id = ids[order[start]];
                let mut s = [0.0; 2];
                let mut end = start;
                while end < n && ids[order[end]] == id {
                    let i = order[end];
                    let p = 1.0 / (1.0 + (-(beta[0] + beta[1] * x[i])).exp());
                    let r = f64::from(u8::from(outcomes[i])) - p;
                    s[0] += r;
                    s[1] += r * x[i];
                    end += 1;
                }
                for u in 0..2 {
                    for v in 0..2 {
                        meat[u][v] += s[u] * s[v];
                    }
                }
                groups += 1;
                start = end;
            }
            if groups < 2 {
                return Err(EstimationError::TooFewObservations {
                    what: "cluster-robust standard errors (clusters)",
                    needed: 2,
                    got: groups,
                });
            }
            let scale = groups as f64 / (groups as f64 - 1.0);
            let sandwich: Vec<Vec<f64>> = (0..2)
                .map(|u| {
                    (0..2)
                        .map(|v| {
                            let mut t = 0.0;
                            for k in 0..2 {
                                for l in 0..2 {
                                    t += fisher[u][k] * meat[k][l] * fisher[l][v];
                                }
                            }
                            scale * t
                        })
                        .collect()
                })
                .collect();
            (sandwich, Some(groups))
        }
    };
    // Back from the centred covariate: a = a_c - b centre.
    let var_slope = centred[1][1];
    let cov = centred[0][1] - centre * var_slope;
    let var_intercept = centred[0][0] - 2.0 * centre * centred[0][1] + centre * centre * var_slope;
    let intercept = beta[0] - beta[1] * centre;
    Ok(LogisticFit {
        intercept: Estimate::wald(intercept, var_intercept.max(0.0).sqrt(), confidence),
        slope: Estimate::wald(beta[1], var_slope.max(0.0).sqrt(), confidence),
        covariance: [[var_intercept, cov], [cov, var_slope]],
        log_likelihood,
        iterations,
        observations: n,
        clusters: cluster_count,
        confidence,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::Xoshiro256PlusPlus;
    use rand::{RngExt, SeedableRng};
    use rand_distr::StandardNormal;

    /// Scores ~ N(650, 50), `logit P(bad) = -3 - 0.9 (score - 650) / 100`.
    fn sample(n: usize, seed: u64) -> (Vec<bool>, Vec<f64>) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        (0..n)
            .map(|_| {
                let e: f64 = rng.sample(StandardNormal);
                let score = 650.0 + 50.0 * e;
                let eta = -3.0 - 0.9 * (score - 650.0) / 100.0;
                let u: f64 = rng.random();
                (u < 1.0 / (1.0 + (-eta).exp()), score)
            })
            .unzip()
    }

    #[test]
    fn recovers_a_simulated_scorecard() {
        let (y, x) = sample(20_000, 3);
        let fit = fit_logistic(&y, &x, None, 0.99).expect("converges");
        let card = fit.scorecard(650.0);
        assert!(card.intercept.covers(-3.0), "{:?}", card.intercept);
        assert!(card.slope_per_100.covers(-0.9), "{:?}", card.slope_per_100);
        assert!(fit.intercept.covers(-3.0 + 0.9 * 6.5), "{:?}", fit.intercept);
        assert!(fit.clusters.is_none() && fit.iterations < 20);
    }

    #[test]
    fn singleton_clusters_give_the_fisher_errors_to_first_order() {
        // With independent observations the sandwich estimates the same
        // covariance; over 20 000 observations they agree within a few percent.
        let (y, x) = sample(20_000, 4);
        let ids: Vec<u64> = (0..y.len() as u64).collect();
        let fisher = fit_logistic(&y, &x, None, 0.95).expect("converges");
        let robust = fit_logistic(&y, &x, Some(&ids), 0.95).expect("converges");
        assert_eq!(robust.clusters, Some(20_000));
        assert_eq!(robust.slope.value, fisher.slope.value);
        let ratio = robust.slope.std_error / fisher.slope.std_error;
        assert!((0.9..1.1).contains(&ratio), "{ratio}");
        // One cluster per 1000 loans with a shared shock inflates the error.
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let shocks: Vec<f64> = (0..20).map(|_| rng.sample::<f64, _>(StandardNormal)).collect();
        let y2: Vec<bool> = x
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let eta = -3.0 - 0.9 * (s - 650.0) / 100.0 + 0.8 * shocks[i / 1000];
                rng.random::<f64>() < 1.0 / (1.0 + (-eta).exp())
            })
            .collect();
        let groups: Vec<u64> = (0..y2.len() as u64).map(|i| i / 1000).collect();
        let plain = fit_logistic(&y2, &x, None, 0.95).expect("converges");
        let clustered = fit_logistic(&y2, &x, Some(&groups), 0.95).expect("converges");
        // The level at the pivot carries the shared shocks (the intercept
        // at score 0 is an extrapolation dominated by the slope).
        let (c, p) = (clustered.scorecard(650.0).intercept, plain.scorecard(650.0).intercept);
        assert!(c.std_error > 2.0 * p.std_error, "clustered {c:?}, plain {p:?}");
    }

    #[test]
    fn separation_and_bad_input_are_errors() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let y = [false, false, false, true, true, true];
        assert!(matches!(
            fit_logistic(&y, &x, None, 0.95),
            Err(EstimationError::OptimiserFailed { .. })
        ));
        assert!(matches!(
            fit_logistic(&[false; 6], &x, None, 0.95),
            Err(EstimationError::Singular(_))
        ));
        assert!(matches!(
            fit_logistic(&y, &x[..5], None, 0.95),
            Err(EstimationError::InvalidInput(_))
        ));
    }
}
