//! Choosing the importance-sampling shift of the factor innovations from a
//! pilot run (see [`crate::macro_paths::tilt`] for the sampling itself).
//!
//! The pilot simulates `pilot_paths` plain paths on streams no run path
//! uses and regresses the portfolio loss on the path's innovations:
//! `beta = Cov(eps, L)` (the innovations are independent standard normals,
//! so the covariance is the least-squares slope). The loss grows fastest
//! along `d = beta / |beta|`; the shift is `mu = Phi^-1(level) d`, the mode
//! of the tail `{L > VaR_level}` of a large portfolio whose loss is driven
//! by the projection `d.eps` (Glasserman & Li 2005). Everything is computed
//! in path order from keyed streams, so every shard of a study, on any
//! thread count, finds bitwise the same shift.

use serde::{Deserialize, Serialize};

use super::{EngineError, Prepared, RunControl};
use crate::macro_paths::{Tilt, innovations};
use crate::scenario::ImportanceSettings;
use crate::stats::normal::norm_inv;

/// The pilot's paths are numbered from here: streams no run's path uses.
pub const PILOT_FIRST_PATH: u64 = 1 << 62;

/// What the pilot found, reported in `summary.json`'s `sampling`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PilotReport {
    /// Plain paths of the pilot.
    pub pilot_paths: u64,
    /// The level the shift aims at.
    pub level: f64,
    /// Length of the shift, `Phi^-1(level)` (innovation standard deviations).
    pub shift_norm: f64,
    /// Share of the pilot's loss variance explained linearly by the
    /// innovations, `|beta|^2 / Var(L)` (near 1: the tail is driven by the
    /// factor and the shift helps; near 0: it is idiosyncratic, or driven by
    /// regimes and shocks, which keep their own law).
    pub explained_share: f64,
    /// Share of paths drawn from the model's own law.
    pub plain_share: f64,
}

/// The shift and what the pilot found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportancePlan {
    /// The shift applied to the run's paths.
    pub tilt: Tilt,
    /// The pilot's findings.
    pub pilot: PilotReport,
}

impl Prepared<'_> {
    /// Runs the pilot of `settings` and returns the shift it chooses.
    pub fn plan_importance(
        &self,
        settings: &ImportanceSettings,
        control: RunControl,
    ) -> Result<ImportancePlan, EngineError> {
        let s = self.scenario;
        let n = settings.pilot_paths;
        // No progress ticks: the pilot is not part of the run's paths.
        let quiet = RunControl {
            progress: None,
            cancel: control.cancel,
        };
        let pilot = self.simulate_paths(PILOT_FIRST_PATH..PILOT_FIRST_PATH + n, quiet)?;
        let k = s.macro_model.factor_names.len();
        let dims = s.horizon_months * k;
        let mean = pilot.iter().map(|p| p.tally.loss).sum::<f64>() / n as f64;
        let mut beta = vec![0.0; dims];
        let mut var = 0.0;
        for p in &pilot {
            let d = p.tally.loss - mean;
            var += d * d;
            let eps = innovations(&s.macro_model, s.horizon_months, s.seed, p.index);
            beta.iter_mut().zip(&eps).for_each(|(b, e)| *b += d * e);
        }
        beta.iter_mut().for_each(|b| *b /= n as f64);
        var /= n as f64;
        let norm = beta.iter().map(|b| b * b).sum::<f64>().sqrt();
        if !(norm > 0.0 && var > 0.0) {
            return Err(EngineError::ImportanceUnavailable(format!(
                "the {n} pilot paths' losses do not move with the factor's noise (loss variance {var:.3e}), \
                 so there is no direction to shift it; use plain sampling"
            )));
        }
        let shift_norm = norm_inv(settings.level);
        let shift = (0..s.horizon_months)
            .map(|t| (0..k).map(|i| shift_norm * beta[t * k + i] / norm).collect())
            .collect();
        Ok(ImportancePlan {
            tilt: Tilt {
                shift,
                plain_share: settings.plain_share,
            },
            pilot: PilotReport {
                pilot_paths: n,
                level: settings.level,
                shift_norm,
                explained_share: (norm * norm / var).min(1.0),
                plain_share: settings.plain_share,
            },
        })
    }
}
