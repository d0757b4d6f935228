//! What the worst worlds look like: the factor paths and event frequencies
//! of the paths whose loss is at or beyond VaR at each risk level, beside
//! those of all paths (the "tail scenario" of a reverse stress test).
//! Under importance sampling every figure is weighted, the weights
//! normalised within the tail.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::risk::level_key;
use super::summary::{Band, band_weighted};
use super::weighted::PathWeights;
use crate::engine::PathOutcome;
use crate::scenario::Scenario;

/// The tail scenario at one level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TailScenario {
    /// The portfolio loss from which a path is in the tail (VaR at the level).
    pub loss_from: f64,
    /// Paths in the tail (loss at or beyond `loss_from`).
    pub paths: u64,
    /// Per factor, per month: the band (mean, 5/25/50/75/95th percentiles) of
    /// the factor over the tail's paths.
    pub factors: BTreeMap<String, Vec<Band>>,
    /// Per factor, per month: its mean over all paths, to compare with.
    pub factors_all_paths_mean: BTreeMap<String, Vec<f64>>,
    /// Per path-level event: the share of tail paths on which it happened,
    /// and the share of all paths.
    pub events: BTreeMap<String, [f64; 2]>,
}

/// The tail scenarios of `paths` at every level of `levels`, given each level's VaR.
pub fn tail_scenarios(
    scenario: &Scenario,
    paths: &[PathOutcome],
    weights: PathWeights,
    var_by_level: &BTreeMap<String, f64>,
    levels: &[f64],
) -> BTreeMap<String, TailScenario> {
    let names = &scenario.macro_model.factor_names;
    let events = scenario.event_names();
    let horizon = scenario.horizon_months;
    let all_means: BTreeMap<String, Vec<f64>> = names
        .iter()
        .enumerate()
        .map(|(k, name)| {
            let means = (0..horizon)
                .map(|t| weights.mean(&paths.iter().map(|p| p.factors[k][t]).collect::<Vec<_>>()))
                .collect();
            (name.clone(), means)
        })
        .collect();
    levels
        .iter()
        .filter_map(|&q| {
            let key = level_key(q);
            let from = *var_by_level.get(&key)?;
            let mask: Vec<bool> = paths.iter().map(|p| p.tally.loss >= from).collect();
            let tail: Vec<&PathOutcome> = paths.iter().zip(&mask).filter(|(_, m)| **m).map(|(p, _)| p).collect();
            if tail.is_empty() {
                return None;
            }
            let within = weights.within(&mask);
            let tw = PathWeights::of(&within);
            let factors = names
                .iter()
                .enumerate()
                .map(|(k, name)| {
                    let bands = (0..horizon)
                        .map(|t| band_weighted(tw, tail.iter().map(|p| p.factors[k][t]).collect()))
                        .collect();
                    (name.clone(), bands)
                })
                .collect();
            let events = events
                .iter()
                .enumerate()
                .map(|(e, name)| {
                    let happened = |p: &PathOutcome| p.tally.event_months.get(e).is_some_and(|&m| m > 0);
                    (
                        name.clone(),
                        [
                            tw.share(tail.iter().map(|p| happened(p))),
                            weights.share(paths.iter().map(happened)),
                        ],
                    )
                })
                .collect();
            Some((
                key,
                TailScenario {
                    loss_from: from,
                    paths: tail.len() as u64,
                    factors,
                    factors_all_paths_mean: all_means.clone(),
                    events,
                },
            ))
        })
        .collect()
}
