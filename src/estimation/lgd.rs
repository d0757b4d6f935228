//! Beta LGD by the method of moments: the scenario's `lgd = { mean, std }`
//! of a segment from the observed loss-given-default fractions of its
//! charged-off loans.
//!
//! A sample without spread (every loan lost the same fraction) is fitted
//! as the point mass the scenario writes `std = 0`: `alpha` and `beta` are
//! then `None` and the std's interval is `[0, 0]`.

use super::{Estimate, EstimationError, check_confidence, two_sided_quantile};

/// A Beta LGD fitted by moments.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BetaLgdFit {
    /// Observations used.
    pub observations: usize,
    /// Mean LGD, standard error `s / sqrt(n)`, Wald interval clipped to [0, 1].
    pub mean: Estimate,
    /// Standard deviation `s` (denominator `n - 1`), standard error by the
    /// delta method, Wald interval clipped at 0.
    pub std: Estimate,
    /// Beta shape `alpha = m nu` with `nu = m (1 - m) / s^2 - 1` (`None` without spread).
    pub alpha: Option<f64>,
    /// Beta shape `beta = (1 - m) nu` (`None` without spread).
    pub beta: Option<f64>,
}

/// Fits a Beta LGD to `values` (each in [0, 1]) by the method of moments.
///
/// # Formula
/// `m = mean(x)`, `s^2 = sum (x - m)^2 / (n - 1)`, `se(m) = s / sqrt n`;
/// `Var(s^2) ≈ (mu_4 - s^4) / n` with `mu_4 = sum (x - m)^4 / n`, so
/// `se(s) = sqrt(Var(s^2)) / (2 s)`; `nu = m (1 - m) / s^2 - 1`,
/// `alpha = m nu`, `beta = (1 - m) nu`.
///
/// Errors: fewer than 2 values, a value outside [0, 1] or not finite, or a
/// spread no Beta has (`s^2 >= m (1 - m)`, possible only for values massed at 0 and 1).
pub fn fit_beta_lgd(values: &[f64], confidence: f64) -> Result<BetaLgdFit, EstimationError> {
    check_confidence(confidence)?;
    let n = values.len();
    if n < 2 {
        return Err(EstimationError::TooFewObservations {
            what: "Beta LGD",
            needed: 2,
            got: n,
        });
    }
    if let Some((i, v)) = values.iter().enumerate().find(|(_, v)| !(0.0..=1.0).contains(*v)) {
        return Err(EstimationError::InvalidInput(format!(
            "LGD observation {i} is {v}, outside [0, 1]"
        )));
    }
    let count = n as f64;
    let m = values.iter().sum::<f64>() / count;
    let var = values.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (count - 1.0);
    let fourth = values.iter().map(|x| (x - m).powi(4)).sum::<f64>() / count;
    let s = var.sqrt();
    let z = two_sided_quantile(confidence);
    let se_mean = s / count.sqrt();
    let mean = Estimate {
        value: m,
        std_error: se_mean,
        lower: (m - z * se_mean).max(0.0),
        upper: (m + z * se_mean).min(1.0),
    };
    if var == 0.0 {
        return Ok(BetaLgdFit {
            observations: n,
            mean,
            std: Estimate::fixed(0.0),
            alpha: None,
            beta: None,
        });
    }
    if var >= m * (1.0 - m) {
        return Err(EstimationError::InvalidInput(format!(
            "LGD variance {var:.6} is at least mean (1 - mean) = {:.6}: no Beta distribution has these moments",
            m * (1.0 - m)
        )));
    }
    let se_std = ((fourth - var * var).max(0.0) / count).sqrt() / (2.0 * s);
    let nu = m * (1.0 - m) / var - 1.0;
    Ok(BetaLgdFit {
        observations: n,
        mean,
        std: Estimate {
            value: s,
            std_error: se_std,
            lower: (s - z * se_std).max(0.0),
            upper: s + z * se_std,
        },
        alpha: Some(m * nu),
        beta: Some((1.0 - m) * nu),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::Xoshiro256PlusPlus;
    use rand::{RngExt, SeedableRng};
    use rand_distr::Beta;

    #[test]
    fn moments_of_a_known_sample() {
        // 0.1..0.5: m = 0.3, s^2 = 0.025, nu = 0.21 / 0.025 - 1 = 7.4,
        // mu_4 = 0.0034 / 5, se(s) = sqrt((0.00068 - 0.000625) / 5) / (2 s).
        let fit = fit_beta_lgd(&[0.1, 0.2, 0.3, 0.4, 0.5], 0.95).expect("valid sample");
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        assert!(close(fit.mean.value, 0.3) && close(fit.std.value, 0.025f64.sqrt()));
        assert!(close(fit.mean.std_error, 0.025f64.sqrt() / 5f64.sqrt()));
        assert!(close(
            fit.std.std_error,
            (0.000055f64 / 5.0).sqrt() / (2.0 * 0.025f64.sqrt())
        ));
        assert!(close(fit.alpha.expect("spread"), 0.3 * 7.4) && close(fit.beta.expect("spread"), 0.7 * 7.4));
    }

    #[test]
    fn recovers_a_simulated_beta() {
        // Beta(2, 3): mean 0.4, std sqrt(6 / (25 * 6)) = 0.2.
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        let beta = Beta::new(2.0, 3.0).expect("valid shapes");
        let values: Vec<f64> = (0..4000).map(|_| rng.sample(beta)).collect();
        let fit = fit_beta_lgd(&values, 0.99).expect("valid sample");
        assert!(fit.mean.covers(0.4), "{:?}", fit.mean);
        assert!(fit.std.covers(0.2), "{:?}", fit.std);
    }

    #[test]
    fn degenerate_and_bad_samples() {
        let point = fit_beta_lgd(&[0.45, 0.45, 0.45], 0.95).expect("a point mass");
        assert_eq!(point.std, Estimate::fixed(0.0));
        assert_eq!(point.alpha, None);
        assert!(matches!(
            fit_beta_lgd(&[0.5], 0.95),
            Err(EstimationError::TooFewObservations { got: 1, .. })
        ));
        assert!(matches!(
            fit_beta_lgd(&[0.5, 1.2], 0.95),
            Err(EstimationError::InvalidInput(_))
        ));
        assert!(matches!(
            fit_beta_lgd(&[0.0, 1.0], 0.95),
            Err(EstimationError::InvalidInput(_))
        ));
    }
}
