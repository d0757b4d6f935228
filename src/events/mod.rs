//! Path-level events: the industry's tightening and the seed-risk events
//! of `[[events]]` (collection restrictions, lending suspensions,
//! reputational and funding shocks).
//!
//! Each event draws its month on each path from its own stream, keyed by
//! (seed, path, event index), so adding an event never moves another's
//! draws:
//! - a fixed month happens with its probability (one uniform);
//! - a window draws whether (one uniform) and then the month uniformly in it;
//! - a monthly hazard happens in the first month `t` whose uniform falls
//!   below `Phi(Phi^-1(p) - s Z_t)`, `Z_t` the named macro factor (so a
//!   positive `s` makes it likelier as the economy falls).

use rand::RngExt;

use crate::engine::streams::{Purpose, item_rng, stream_key};
use crate::macro_paths::FactorPath;
use crate::scenario::{EventEffect, EventTiming, Scenario};
use crate::stats::normal::{norm_cdf, norm_inv};

/// The months (0-based) at which this path's events start, in the order
/// of [`Scenario::event_names`]; `None` when an event does not happen.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PathEvents {
    /// The industry's tightening (when the scenario has one).
    pub tightening: Option<usize>,
    /// Each `[[events]]` entry.
    pub events: Vec<Option<usize>>,
}

/// Draws the month of one event on path `path` (`index`: its position in
/// [`Scenario::event_names`]).
pub fn draw_month(
    timing: &EventTiming,
    scenario: &Scenario,
    factors: &FactorPath,
    path: u64,
    index: usize,
) -> Option<usize> {
    let mut rng = item_rng(stream_key(scenario.seed, path, Purpose::Events), index as u64);
    match *timing {
        EventTiming::Fixed { month, probability } => (rng.random::<f64>() < probability).then_some(month),
        EventTiming::Window {
            first,
            last,
            probability,
        } => {
            let happens = rng.random::<f64>() < probability;
            let month = rng.random_range(first..=last);
            happens.then_some(month)
        }
        EventTiming::Hazard {
            probability_monthly,
            sensitivity,
            factor,
        } => {
            let probit = norm_inv(probability_monthly);
            factors.values[factor].iter().position(|&z| {
                let p = if sensitivity == 0.0 {
                    probability_monthly
                } else {
                    norm_cdf(probit - sensitivity * z)
                };
                rng.random::<f64>() < p
            })
        }
    }
}

/// Draws every event of path `path` (the tightening's own timing only; the
/// engine adds its feedback trigger).
pub fn draw_path_events(scenario: &Scenario, factors: &FactorPath, path: u64) -> PathEvents {
    let offset = usize::from(scenario.industry_tightening.is_some());
    PathEvents {
        tightening: scenario
            .industry_tightening
            .and_then(|t| t.timing)
            .and_then(|timing| draw_month(&timing, scenario, factors, path, 0)),
        events: scenario
            .events
            .iter()
            .enumerate()
            .map(|(i, e)| draw_month(&e.timing, scenario, factors, path, offset + i))
            .collect(),
    }
}

impl PathEvents {
    /// Whether the industry tightens in month `t`.
    pub fn tightening_in(&self, scenario: &Scenario, t: usize) -> bool {
        match (self.tightening, scenario.industry_tightening) {
            (Some(m), Some(it)) => t >= m && t < m + it.duration_months,
            _ => false,
        }
    }

    /// Whether event `i` is in effect in month `t`.
    pub fn in_effect(&self, scenario: &Scenario, i: usize, t: usize) -> bool {
        self.events[i].is_some_and(|m| t >= m && t < m + scenario.events[i].duration_months)
    }

    /// The cure-rate multiplier of collection restrictions in month `t` (1 without).
    pub fn cure_multiplier(&self, scenario: &Scenario, t: usize) -> f64 {
        self.product(scenario, t, |e| match e {
            EventEffect::CollectionRestriction { cure_multiplier } => Some(cure_multiplier),
            _ => None,
        })
    }

    /// The application-volume multiplier in month `t`: 0 in a lending
    /// suspension, a reputational shock's multiplier, else 1.
    pub fn volume_multiplier(&self, scenario: &Scenario, t: usize) -> f64 {
        self.product(scenario, t, |e| match e {
            EventEffect::LendingSuspension => Some(0.0),
            EventEffect::ReputationalShock { volume_multiplier, .. } => Some(volume_multiplier),
            _ => None,
        })
    }

    /// The prepayment-rate multiplier of reputational shocks in month `t` (1 without).
    pub fn prepayment_multiplier(&self, scenario: &Scenario, t: usize) -> f64 {
        self.product(scenario, t, |e| match e {
            EventEffect::ReputationalShock {
                prepayment_multiplier, ..
            } => Some(prepayment_multiplier),
            _ => None,
        })
    }

    /// The rise of the annual cost of funds from funding shocks in effect in month `t` (0 without).
    pub fn funding_jump(&self, scenario: &Scenario, t: usize) -> f64 {
        (0..scenario.events.len())
            .filter(|&i| self.in_effect(scenario, i, t))
            .filter_map(|i| match scenario.events[i].effect {
                EventEffect::FundingShock {
                    funding_cost_jump_annual,
                } => Some(funding_cost_jump_annual),
                _ => None,
            })
            .sum()
    }

    /// The product of `factor` over the events in effect in month `t`.
    fn product(&self, scenario: &Scenario, t: usize, factor: impl Fn(EventEffect) -> Option<f64>) -> f64 {
        (0..scenario.events.len())
            .filter(|&i| self.in_effect(scenario, i, t))
            .filter_map(|i| factor(scenario.events[i].effect))
            .product()
    }

    /// The start months as the outputs record them: 0 for an event that did
    /// not happen, else its 1-based month; tightening first.
    pub fn recorded(&self, scenario: &Scenario) -> Vec<u32> {
        let mut out: Vec<u32> = Vec::with_capacity(1 + self.events.len());
        if scenario.industry_tightening.is_some() {
            out.push(self.tightening.map_or(0, |m| m as u32 + 1));
        }
        out.extend(self.events.iter().map(|m| m.map_or(0, |m| m as u32 + 1)));
        out
    }
}
