//! The diagnostics of an importance-sampled run: how much the weights
//! spread, and how much precision the sampling bought against plain
//! sampling, both estimated from the run's own weighted paths.
//!
//! The variance-reduction factor of a figure is `Var_p(IF) / (n sum w^2 IF^2)`
//! with `IF` the figure's influence function (see [`super::weighted`]): the
//! variance one plain path would give over the variance one weighted path
//! gives, i.e. how many plain paths each path of this run is worth for that
//! figure. For the mean `IF = L - EL`; for VaR the tail indicator
//! `1{L > VaR} - (1 - q)` (a quantile's variance is the tail share's over
//! the squared density, the same density either way); for ES
//! `VaR + (L - VaR)^+ / (1 - q) - ES`. Below 1 the figure is less precise
//! than under plain sampling (the mean usually is: the shift sends paths
//! away from where most of the loss mass is).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::risk::level_key;
use super::weighted::{Sorted, tail_of};
use crate::engine::importance::PilotReport;

/// `summary.json`'s `sampling`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SamplingSummary {
    /// Always `importance` (a plain run has no `sampling`).
    pub method: String,
    /// What the pilot found and the shift it chose.
    pub pilot: PilotReport,
    /// Paths drawn from the shifted law (the rest are drawn plain).
    pub shifted_paths: u64,
    /// Kish effective sample size of the weights, `(sum w)^2 / sum w^2`:
    /// the plain paths whose mean would be as precise as the weighted mean
    /// of a figure that does not depend on the path (a lower bound on the
    /// worth of the sample for tail figures, which the sampling favours).
    pub effective_sample_size: f64,
    /// The largest path's share of the total weight (near 0 is healthy;
    /// one path with a large share means the figures rest on it).
    pub largest_weight_share: f64,
    /// Mean of the raw likelihood ratios (1 in expectation; far from 1 means
    /// the weights are unreliable).
    pub mean_weight: f64,
    /// Variance-reduction factor of EL against plain sampling with the same paths.
    pub variance_reduction_el: f64,
    /// Variance-reduction factors per risk level.
    pub variance_reduction: BTreeMap<String, LevelReduction>,
}

/// Variance-reduction factors at one level.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LevelReduction {
    /// Of VaR (through its tail share).
    pub var: f64,
    /// Of ES.
    pub es: f64,
}

impl SamplingSummary {
    /// The diagnostics of `losses` with raw weights `raw` (in path order);
    /// `shifted` counts the paths drawn from the shifted law.
    pub fn new(pilot: PilotReport, losses: &[f64], raw: &[f64], shifted: u64, levels: &[f64]) -> Self {
        let n = raw.len().max(1) as f64;
        let total: f64 = raw.iter().sum();
        let w: Vec<f64> = raw.iter().map(|x| x / total).collect();
        let sum_sq: f64 = w.iter().map(|x| x * x).sum();
        let reduction = |influence: &dyn Fn(f64) -> f64| -> f64 {
            let (mut plain, mut weighted) = (0.0, 0.0);
            for (l, w) in losses.iter().zip(&w) {
                let f = influence(*l);
                plain += w * f * f;
                weighted += w * w * f * f;
            }
            if weighted > 0.0 { plain / (n * weighted) } else { 1.0 }
        };
        let mean: f64 = losses.iter().zip(&w).map(|(l, w)| l * w).sum();
        let sorted = Sorted::new(losses, &w);
        let variance_reduction = levels
            .iter()
            .map(|&q| {
                let tail = tail_of(&sorted, q);
                let room = 1.0 - q;
                let var = reduction(&|l| (l > tail.var) as u8 as f64 - room);
                let es = reduction(&|l| tail.var + (l - tail.var).max(0.0) / room - tail.es);
                (level_key(q), LevelReduction { var, es })
            })
            .collect();
        SamplingSummary {
            method: "importance".to_string(),
            pilot,
            shifted_paths: shifted,
            effective_sample_size: if sum_sq > 0.0 { 1.0 / sum_sq } else { 0.0 },
            largest_weight_share: w.iter().copied().fold(0.0, f64::max),
            mean_weight: total / n,
            variance_reduction_el: reduction(&|l| l - mean),
            variance_reduction,
        }
    }
}
