//! The monthly P&L across paths: summary.json's `economics` and the
//! P&L columns of timeseries.csv (see [`crate::accounting`] for the lines).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::risk::Moments;
use super::summary::{Band, band_weighted};
use super::weighted::PathWeights;
use crate::accounting::{LINES, PathPnl, PnlLines};
use crate::engine::PathOutcome;
use crate::population::cents_to_money;
use crate::scenario::Scenario;

/// What the P&L's figures are, written into summary.json.
pub const ECONOMICS_BASIS: &str = "The platform's P&L over the horizon from the [economics] terms, per path, \
     in currency units: interest paid by current loans (a delinquent loan accrues nothing from its first \
     missed payment), penalty interest and late fees when collected, origination fees on loans booked during \
     the run; less funding cost on the balance at the start of each month, operating cost, collection cost, \
     recovery cost, credit loss at charge-off (no provisions) and, under pro-rata joint lending, the \
     partners' share less the service fee. Means and intervals are across paths.";

/// One line of the P&L across paths.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PnlLineSummary {
    /// Key (the `accounting::LINES` order).
    pub key: String,
    /// What the figure contains.
    pub label: String,
    /// A word or two for tables and axes.
    #[serde(default)]
    pub short: String,
    /// +1 income, -1 cost (costs are reported positive).
    pub sign: i64,
    /// The book's line over the horizon.
    pub total: Moments,
    /// Each segment's mean over the horizon.
    pub segments: BTreeMap<String, f64>,
}

/// summary.json's `economics`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EconomicsSummary {
    /// What the figures are.
    pub basis: String,
    /// The lines, income first.
    pub lines: Vec<PnlLineSummary>,
    /// Net income over the horizon: income less every cost.
    pub net_income: Moments,
    /// Share of paths whose net income over the horizon is below 0.
    pub loss_making_share: f64,
    /// Mean and 5/25/50/75/95th percentiles of net income over the horizon.
    pub net_income_band: Band,
    /// Each segment's net income over the horizon.
    pub segment_net_income: BTreeMap<String, Moments>,
}

fn pnl(p: &PathOutcome) -> &PathPnl {
    p.pnl
        .as_deref()
        .expect("every path of a run with [economics] has a P&L")
}

impl EconomicsSummary {
    /// The P&L of `paths`; `None` without `[economics]`.
    pub fn new(scenario: &Scenario, paths: &[PathOutcome], w: PathWeights) -> Option<Self> {
        if paths.is_empty() || paths.iter().any(|p| p.pnl.is_none()) {
            return None;
        }
        let totals: Vec<PnlLines> = paths.iter().map(|p| pnl(p).total()).collect();
        let lines = LINES
            .iter()
            .enumerate()
            .map(|(i, info)| PnlLineSummary {
                key: info.key.to_string(),
                label: info.label.to_string(),
                short: info.short.to_string(),
                sign: info.sign,
                total: w.moments(&totals.iter().map(|t| cents_to_money(t.values()[i])).collect::<Vec<_>>()),
                segments: scenario
                    .segments
                    .iter()
                    .enumerate()
                    .map(|(s, seg)| {
                        let values: Vec<f64> = paths
                            .iter()
                            .map(|p| cents_to_money(pnl(p).segments[s].values()[i]))
                            .collect();
                        (seg.name.clone(), w.mean(&values))
                    })
                    .collect(),
            })
            .collect();
        let net: Vec<f64> = totals.iter().map(|t| cents_to_money(t.net_income())).collect();
        Some(EconomicsSummary {
            basis: ECONOMICS_BASIS.to_string(),
            lines,
            net_income: w.moments(&net),
            loss_making_share: w.share(net.iter().map(|&x| x < 0.0)),
            net_income_band: band_weighted(w, net.clone()),
            segment_net_income: scenario
                .segments
                .iter()
                .enumerate()
                .map(|(s, seg)| {
                    let values: Vec<f64> = paths
                        .iter()
                        .map(|p| cents_to_money(pnl(p).segments[s].net_income()))
                        .collect();
                    (seg.name.clone(), w.moments(&values))
                })
                .collect(),
        })
    }

    /// The mean of line `key` over the horizon (0 when there is no such line).
    pub fn line_mean(&self, key: &str) -> f64 {
        self.lines.iter().find(|l| l.key == key).map_or(0.0, |l| l.total.mean)
    }
}

/// Names of the P&L columns of timeseries.csv, in order.
pub const TIMESERIES_NAMES: [&str; 5] = [
    "pnl_income",
    "pnl_costs",
    "pnl_credit_loss",
    "pnl_net_income",
    "pnl_cumulative_net_income",
];

/// The P&L bands of month `t`, in [`TIMESERIES_NAMES`] order: income (interest,
/// penalty, fees), costs other than credit loss (funding, operating,
/// collection, recovery, the partners' share), credit loss, net income, and
/// net income from month 1 to `t`; `cumulative` carries each path's running total.
pub(crate) fn month_bands(paths: &[PathOutcome], w: PathWeights, t: usize, cumulative: &mut [f64]) -> [Band; 5] {
    let month: Vec<&PnlLines> = paths.iter().map(|p| &pnl(p).monthly[t]).collect();
    let part = |income: bool| -> Vec<f64> {
        month
            .iter()
            .map(|l| {
                let v = l.values();
                let sum: i64 = LINES
                    .iter()
                    .zip(v)
                    .filter(|(info, _)| (info.sign > 0) == income && info.key != "credit_loss")
                    .map(|(_, x)| x)
                    .sum();
                cents_to_money(sum)
            })
            .collect()
    };
    let net: Vec<f64> = month.iter().map(|l| cents_to_money(l.net_income())).collect();
    for (c, n) in cumulative.iter_mut().zip(&net) {
        *c += n;
    }
    [
        band_weighted(w, part(true)),
        band_weighted(w, part(false)),
        band_weighted(w, month.iter().map(|l| cents_to_money(l.credit_loss)).collect()),
        band_weighted(w, net),
        band_weighted(w, cumulative.to_vec()),
    ]
}
