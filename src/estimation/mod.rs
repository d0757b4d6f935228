//! Estimation: the reverse of a run. Fits a scenario's parameters from
//! observed history, given as counts and numbers (this module reads no
//! files and knows nothing of tapes): transition rates by cohort counts
//! ([`cohort`]), the monthly factor model of the engine by maximum
//! likelihood ([`factor_model`]), Beta LGD ([`lgd`]), a logistic scorecard
//! ([`logistic`]) and a least-squares macro link ([`ols`]).
//!
//! Every estimator returns its estimates with standard errors and
//! intervals, so that a caller can say how far the history pins a
//! parameter down.

pub mod cohort;
pub mod factor_model;
pub mod lgd;
pub mod logistic;
pub mod ols;
pub mod scenario_fit;
pub mod tape;
mod linalg;

use thiserror::Error;

use crate::stats::normal::norm_inv;

pub use cohort::{cohort_rate, cohort_rates, wilson_interval};
pub use factor_model::{
    BucketCounts, CurrentCounts, FactorFit, FactorPanel, FitOptions, MonthCounts, PathCounts, fit_factor_model,
};
pub use lgd::{BetaLgdFit, fit_beta_lgd};
pub use logistic::{LogisticFit, Scorecard, fit_logistic};
pub use ols::{OlsFit, fit_ols};

/// One estimated parameter: the point estimate, its standard error and an
/// interval at the confidence the estimator was asked for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Point estimate.
    pub value: f64,
    /// Standard error (0 for a parameter held fixed; infinite when the
    /// data do not determine it).
    pub std_error: f64,
    /// Lower end of the interval.
    pub lower: f64,
    /// Upper end of the interval.
    pub upper: f64,
}

impl Estimate {
    /// A parameter held at `value` rather than estimated.
    pub fn fixed(value: f64) -> Self {
        Estimate {
            value,
            std_error: 0.0,
            lower: value,
            upper: value,
        }
    }

    /// The symmetric Wald interval `value ± z se` with `z = Phi^-1((1 + confidence) / 2)`.
    pub fn wald(value: f64, std_error: f64, confidence: f64) -> Self {
        let z = two_sided_quantile(confidence);
        Estimate {
            value,
            std_error,
            lower: value - z * std_error,
            upper: value + z * std_error,
        }
    }

    /// Whether `x` lies in `[lower, upper]`.
    pub fn covers(&self, x: f64) -> bool {
        self.lower <= x && x <= self.upper
    }
}

/// What can go wrong when estimating.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum EstimationError {
    /// The panel holds no path with a month in it.
    #[error("the panel is empty: no path holds a month of counts")]
    EmptyPanel,
    /// A cell counts more events than loans at risk.
    #[error("{cell}: {events} events out of {at_risk} at risk")]
    EventsExceedAtRisk {
        /// Which cell, e.g. `path 0, month 5, grade 2: missed + prepaid`.
        cell: String,
        /// Events counted.
        events: u64,
        /// Loans at risk.
        at_risk: u64,
    },
    /// The panel's shape is wrong (grades differ between months, a grade
    /// has no loans at all, bucket counts missing).
    #[error("the panel cannot be fitted: {0}")]
    InvalidPanel(String),
    /// An argument is out of its range (a confidence outside (0, 1), a
    /// fixed correlation of 1, an LGD outside [0, 1], mismatched lengths).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// Too few observations for the estimator.
    #[error("{what}: {got} observations, at least {needed} needed")]
    TooFewObservations {
        /// The estimator.
        what: &'static str,
        /// Observations needed.
        needed: usize,
        /// Observations given.
        got: usize,
    },
    /// The design matrix or information matrix is singular.
    #[error("{0}: the matrix to invert is singular (a covariate is constant or collinear, or the outcome separates)")]
    Singular(&'static str),
    /// The optimiser could not find a maximum.
    #[error("the optimiser failed after {iterations} iterations: {reason}")]
    OptimiserFailed {
        /// Iterations done.
        iterations: usize,
        /// Why it stopped.
        reason: String,
    },
}

/// `Phi^-1((1 + confidence) / 2)`, e.g. 1.96 at 95%.
pub(crate) fn two_sided_quantile(confidence: f64) -> f64 {
    norm_inv(0.5 + 0.5 * confidence)
}

/// Checks that a confidence level lies strictly between 0 and 1.
pub(crate) fn check_confidence(confidence: f64) -> Result<(), EstimationError> {
    if confidence > 0.0 && confidence < 1.0 {
        Ok(())
    } else {
        Err(EstimationError::InvalidInput(format!(
            "confidence {confidence} must lie strictly between 0 and 1"
        )))
    }
}
