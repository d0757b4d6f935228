//! Ordinary least squares with an intercept: the macro link from economic
//! variables to a segment's fitted factor (the posterior means of
//! [`super::FactorFit::factor_mean`]).

use statrs::distribution::{ContinuousCDF, StudentsT};

use super::linalg::spd_inverse;
use super::{Estimate, EstimationError, check_confidence};

/// A least-squares fit `y = b_0 + sum_j b_j x_j + e`.
#[derive(Debug, Clone, PartialEq)]
pub struct OlsFit {
    /// `b_0` (intercept) then one per regressor, with Student-t intervals
    /// on `n - k - 1` degrees of freedom.
    pub coefficients: Vec<Estimate>,
    /// `s^2 (X^T X)^-1`, same order.
    pub covariance: Vec<Vec<f64>>,
    /// `1 - RSS / TSS`.
    pub r_squared: f64,
    /// `1 - (1 - R^2) (n - 1) / (n - k - 1)`.
    pub adjusted_r_squared: f64,
    /// Residual standard deviation `s = sqrt(RSS / (n - k - 1))`.
    pub residual_std: f64,
    /// Observations used.
    pub observations: usize,
    /// Residual degrees of freedom `n - k - 1`.
    pub degrees_of_freedom: usize,
}

/// Regresses `y` on an intercept and the `regressors` (each a column of
/// `y.len()` values).
///
/// # Formula
/// `b = (X^T X)^-1 X^T y` with `X = [1, x_1, ..., x_k]`, `s^2 = RSS / (n - k - 1)`,
/// `Cov(b) = s^2 (X^T X)^-1`; intervals `b_j ± t_{n-k-1} se_j`.
pub fn fit_ols(y: &[f64], regressors: &[Vec<f64>], confidence: f64) -> Result<OlsFit, EstimationError> {
    check_confidence(confidence)?;
    let n = y.len();
    let k = regressors.len();
    if let Some(j) = regressors.iter().position(|c| c.len() != n) {
        return Err(EstimationError::InvalidInput(format!(
            "regressor {j} has {} values for {n} outcomes",
            regressors[j].len()
        )));
    }
    if n < k + 2 {
        return Err(EstimationError::TooFewObservations {
            what: "least squares",
            needed: k + 2,
            got: n,
        });
    }
    if y.iter().chain(regressors.iter().flatten()).any(|v| !v.is_finite()) {
        return Err(EstimationError::InvalidInput(
            "least squares: a value is not finite".into(),
        ));
    }
    let p = k + 1;
    let column = |j: usize, i: usize| if j == 0 { 1.0 } else { regressors[j - 1][i] };
    let gram: Vec<Vec<f64>> = (0..p)
        .map(|a| {
            (0..p)
                .map(|b| (0..n).map(|i| column(a, i) * column(b, i)).sum())
                .collect()
        })
        .collect();
    let moment: Vec<f64> = (0..p).map(|a| (0..n).map(|i| column(a, i) * y[i]).sum()).collect();
    let inverse = spd_inverse(&gram).ok_or(EstimationError::Singular("least squares"))?;
    let b: Vec<f64> = (0..p)
        .map(|a| (0..p).map(|c| inverse[a][c] * moment[c]).sum())
        .collect();
    let rss: f64 = (0..n)
        .map(|i| (y[i] - (0..p).map(|a| b[a] * column(a, i)).sum::<f64>()).powi(2))
        .sum();
    let mean = y.iter().sum::<f64>() / n as f64;
    let tss: f64 = y.iter().map(|v| (v - mean).powi(2)).sum();
    let df = n - p;
    let s2 = rss / df as f64;
    let covariance: Vec<Vec<f64>> = inverse.iter().map(|row| row.iter().map(|v| s2 * v).collect()).collect();
    let t = StudentsT::new(0.0, 1.0, df as f64)
        .map_err(|e| EstimationError::InvalidInput(format!("Student t on {df} degrees of freedom: {e}")))?
        .inverse_cdf(0.5 + 0.5 * confidence);
    let coefficients = (0..p)
        .map(|a| {
            let se = covariance[a][a].max(0.0).sqrt();
            Estimate {
                value: b[a],
                std_error: se,
                lower: b[a] - t * se,
                upper: b[a] + t * se,
            }
        })
        .collect();
    // A constant outcome has nothing to explain: R^2 = 1 if it is fitted exactly.
    let r_squared = if tss > 0.0 { 1.0 - rss / tss } else { 1.0 };
    Ok(OlsFit {
        coefficients,
        covariance,
        r_squared,
        adjusted_r_squared: 1.0 - (1.0 - r_squared) * (n - 1) as f64 / df as f64,
        residual_std: s2.sqrt(),
        observations: n,
        degrees_of_freedom: df,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_noiseless_line_is_fitted_exactly() {
        let x: Vec<f64> = (0..10).map(|i| i as f64 * 0.7 - 2.0).collect();
        let w: Vec<f64> = (0..10).map(|i| ((i * 7) % 5) as f64).collect();
        let y: Vec<f64> = x.iter().zip(&w).map(|(x, w)| 1.5 - 0.8 * x + 0.25 * w).collect();
        let fit = fit_ols(&y, &[x, w], 0.95).expect("full rank");
        for (e, want) in fit.coefficients.iter().zip([1.5, -0.8, 0.25]) {
            assert!((e.value - want).abs() < 1e-12 && e.std_error < 1e-6, "{e:?}");
        }
        assert!((fit.r_squared - 1.0).abs() < 1e-12);
    }

    #[test]
    fn standard_errors_of_a_hand_computed_case() {
        // x = 1..4, y = (1, 3, 2, 5): Sxx = 5, Sxy = 5.5, slope 1.1, intercept 0,
        // RSS = 2.7, s^2 = 1.35, se(slope) = sqrt(1.35 / 5),
        // se(intercept) = sqrt(1.35 (1/4 + 2.5^2 / 5)), R^2 = 1 - 2.7 / 8.75.
        let fit = fit_ols(&[1.0, 3.0, 2.0, 5.0], &[vec![1.0, 2.0, 3.0, 4.0]], 0.95).expect("full rank");
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        assert!(close(fit.coefficients[1].value, 1.1) && close(fit.coefficients[0].value, 0.0));
        assert!(close(fit.coefficients[1].std_error, (1.35f64 / 5.0).sqrt()));
        assert!(close(fit.coefficients[0].std_error, (1.35f64 * 1.5).sqrt()));
        assert!(close(fit.r_squared, 1.0 - 2.7 / 8.75));
        assert_eq!(fit.degrees_of_freedom, 2);
        // t_{2, 0.975} = 1.9 sqrt(2 / 0.0975) / 2 = 4.302652729749461.
        let half = fit.coefficients[1].upper - 1.1;
        assert!(
            (half - 4.302_652_729_749_461 * (1.35f64 / 5.0).sqrt()).abs() < 1e-8,
            "{half}"
        );
    }

    #[test]
    fn collinear_or_short_designs_are_errors() {
        let x = vec![1.0, 2.0, 3.0, 4.0];
        let twice: Vec<f64> = x.iter().map(|v| 2.0 * v).collect();
        assert_eq!(
            fit_ols(&[1.0, 2.0, 2.5, 4.0], &[x.clone(), twice], 0.95),
            Err(EstimationError::Singular("least squares"))
        );
        assert!(matches!(
            fit_ols(&[1.0, 2.0], &[vec![1.0, 2.0]], 0.95),
            Err(EstimationError::TooFewObservations { .. })
        ));
        assert!(matches!(
            fit_ols(&[1.0, 2.0, 3.0], &[vec![1.0]], 0.95),
            Err(EstimationError::InvalidInput(_))
        ));
    }
}
