//! The monthly P&L across paths: summary.json's `economics` and the
//! P&L columns of timeseries.csv (see [`crate::accounting`] for the lines).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::risk::Moments;
use super::summary::{Band, band_weighted};
use super::weighted::PathWeights;
use crate::accounting::{LINES, PathPnl, PnlLines};
use crate::engine::PathOutcome;
use crate::population::{Cents, cents_to_money};
use crate::scenario::Scenario;

/// What the P&L's figures are, written into summary.json.
pub const ECONOMICS_BASIS: &str = "The platform's P&L over the horizon from the [economics] terms, per path, \
     in currency units: interest paid by current loans (a delinquent loan accrues nothing from its first \
     missed payment), penalty interest and late fees when collected, origination fees on loans booked during \
     the run; less funding cost on the balance at the start of each month, operating cost, collection cost, \
     recovery cost, credit loss at charge-off, the change in the loss allowance (with \
     [economics.provisions]; 0 without) and, under pro-rata joint lending, the partners' share less the \
     service fee. Means and intervals are across paths.";

/// One line of the P&L across paths.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
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
    /// The loss allowance and stages, with `[economics.provisions]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisions: Option<ProvisionSummary>,
    /// The book's regulatory capital over the horizon, with `[segments.capital]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capital: Option<CapitalPathSummary>,
}

/// What the capital path's figures are, written into summary.json.
pub const CAPITAL_PATH_BASIS: &str = "Basel IRB capital of the accounts on the book at each month end that are \
     not in default (90+ days past due: K = 0, the whole loss expected and provided for): each loan at its \
     grade's one-year PD (through the cycle: no migration), its segment's mean LGD (an imported loan's own) and \
     its product's asset class; EAD = balance + revolving_ccf x the undrawn limit of a current revolving line \
     after cuts and raises (a frozen or suspended line, a line in arrears or in a plan: its balance alone). Loans booked during the run count from their first month end; segments \
     without [segments.capital] count nothing.";

/// summary.json's `economics.capital`: RWA and the capital requirement month by month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CapitalPathSummary {
    /// What the figures are.
    pub basis: String,
    /// RWA at the horizon: mean and percentiles across paths.
    pub closing_rwa: Band,
    /// Capital requirement (`sum K EAD`) at the horizon across paths.
    pub closing_capital_requirement: Band,
    /// Each path's capital requirement averaged over the month ends of the horizon.
    pub average_capital_requirement: Moments,
    /// Each path's highest month-end capital requirement: mean and percentiles across paths.
    pub peak_capital_requirement: Band,
    /// Mean net income over the horizon / the mean of `average_capital_requirement`
    /// (over the whole horizon, not annualised).
    pub return_on_average_capital: Option<f64>,
}

impl CapitalPathSummary {
    fn new(paths: &[PathOutcome], w: PathWeights, net_income: f64) -> Option<Self> {
        let all: Vec<&[crate::accounting::CapitalMonth]> = paths
            .iter()
            .map(|p| pnl(p).capital.as_deref())
            .collect::<Option<Vec<_>>>()?;
        let per_path = |f: &dyn Fn(&[crate::accounting::CapitalMonth]) -> f64| -> Vec<f64> {
            all.iter().map(|months| f(months)).collect()
        };
        let last = |m: &[crate::accounting::CapitalMonth]| *m.last().expect("a horizon of one month at least");
        let average = w.moments(&per_path(&|m| {
            m.iter().map(|c| cents_to_money(c.requirement)).sum::<f64>() / m.len() as f64
        }));
        Some(CapitalPathSummary {
            basis: CAPITAL_PATH_BASIS.to_string(),
            closing_rwa: band_weighted(w, per_path(&|m| cents_to_money(last(m).rwa))),
            closing_capital_requirement: band_weighted(w, per_path(&|m| cents_to_money(last(m).requirement))),
            peak_capital_requirement: band_weighted(
                w,
                per_path(&|m| m.iter().map(|c| cents_to_money(c.requirement)).fold(0.0, f64::max)),
            ),
            return_on_average_capital: (average.mean > 0.0).then(|| net_income / average.mean),
            average_capital_requirement: average,
        })
    }
}

/// What the provisions' figures are, written into summary.json.
pub const PROVISIONS_BASIS: &str = "IFRS 9 loss allowance of the accounts on the book at each month end: stage 1 \
     (current) 12-month ECL, stage 2 (30-89 days past due, or entering a forbearance plan) and stage 3 (90+ days \
     past due) lifetime ECL; ECL = balance x LGD (the segment's mean, times the collections' multiplier) x the sum \
     over the months ahead of the model's own charge-off probability from the loan's state, under each \
     forward-looking scenario's factor level and weighted across them, discounted at the loan's rate at booking.";

/// [`PROVISIONS_BASIS`], with the PD-rise trigger of stage 2 where the scenario sets one.
pub fn provisions_basis(scenario: &Scenario) -> String {
    let rule = scenario
        .file
        .economics
        .as_ref()
        .and_then(|e| e.provisions.as_ref())
        .filter(|p| p.pd_rise_ratio > 0.0);
    match rule {
        None => format!("{PROVISIONS_BASIS} Stage 2 has no PD-rise trigger (pd_rise_ratio = 0)."),
        Some(p) => format!(
            "{PROVISIONS_BASIS} A current loan is also in stage 2 while its point-in-time 12-month PD (the path's \
             factor that month, held for 12 months) is at least {} times, and {} above, its 12-month PD at booking \
             (the opening book at factor {}; a loan booked during the run at the factor of the month before).",
            p.pd_rise_ratio, p.pd_rise_min_increase, p.pd_rise_opening_factor
        ),
    }
}

/// summary.json's `economics.provisions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ProvisionSummary {
    /// What the figures are.
    pub basis: String,
    /// The opening book's allowance at the start of the run.
    pub opening_allowance: Moments,
    /// The allowance at the horizon: mean and percentiles across paths.
    pub closing_allowance: Band,
    /// Mean allowance at the horizon / mean balance on the book then.
    pub closing_coverage: f64,
    /// Mean share of the book's balance in stage 1, 2, 3 at the horizon.
    pub closing_stage_share: [f64; 3],
    /// Mean accounts in stage 1, 2, 3 at the horizon.
    pub closing_stage_accounts: [f64; 3],
}

impl ProvisionSummary {
    fn new(scenario: &Scenario, paths: &[PathOutcome], w: PathWeights) -> Option<Self> {
        let all: Vec<&crate::accounting::PathProvisions> = paths
            .iter()
            .map(|p| pnl(p).provisions.as_ref())
            .collect::<Option<Vec<_>>>()?;
        let last = |p: &crate::accounting::PathProvisions| *p.monthly.last().expect("a horizon of one month at least");
        let closing: Vec<f64> = all.iter().map(|p| cents_to_money(last(p).allowance)).collect();
        let balance: Vec<f64> = all
            .iter()
            .map(|p| cents_to_money(last(p).stage_balance.iter().sum()))
            .collect();
        let mean_balance = w.mean(&balance);
        let share = |k: usize| {
            let v: Vec<f64> = all.iter().map(|p| cents_to_money(last(p).stage_balance[k])).collect();
            if mean_balance > 0.0 {
                w.mean(&v) / mean_balance
            } else {
                0.0
            }
        };
        let accounts = |k: usize| w.mean(&all.iter().map(|p| last(p).stage_accounts[k] as f64).collect::<Vec<_>>());
        Some(ProvisionSummary {
            basis: provisions_basis(scenario),
            opening_allowance: w.moments(&all.iter().map(|p| cents_to_money(p.opening)).collect::<Vec<_>>()),
            closing_coverage: if mean_balance > 0.0 {
                w.mean(&closing) / mean_balance
            } else {
                0.0
            },
            closing_allowance: band_weighted(w, closing),
            closing_stage_share: [share(0), share(1), share(2)],
            closing_stage_accounts: [accounts(0), accounts(1), accounts(2)],
        })
    }
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
        // One figure of each segment's P&L over the horizon, path by path.
        let per_segment = |s: usize, figure: &dyn Fn(&PnlLines) -> Cents| -> Vec<f64> {
            paths
                .iter()
                .map(|p| cents_to_money(figure(&pnl(p).segments[s])))
                .collect()
        };
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
                    .map(|(s, seg)| (seg.name.clone(), w.mean(&per_segment(s, &|l| l.values()[i]))))
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
                .map(|(s, seg)| (seg.name.clone(), w.moments(&per_segment(s, &PnlLines::net_income))))
                .collect(),
            provisions: ProvisionSummary::new(scenario, paths, w),
            capital: CapitalPathSummary::new(paths, w, w.mean(&net)),
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

/// With provisions, the columns after [`TIMESERIES_NAMES`]: the month's
/// provision change, the allowance at the month end, and the shares of
/// the book's balance in stages 2 and 3.
pub const PROVISION_TIMESERIES_NAMES: [&str; 4] = [
    "pnl_provision_change",
    "allowance",
    "stage2_balance_share",
    "stage3_balance_share",
];

/// With the capital path, the columns after the provisions' (or the P&L's):
/// RWA and the capital requirement at the month end.
pub const CAPITAL_TIMESERIES_NAMES: [&str; 2] = ["rwa", "capital_requirement"];

/// The capital bands of month `t`, in [`CAPITAL_TIMESERIES_NAMES`] order.
pub(crate) fn capital_bands(paths: &[PathOutcome], w: PathWeights, t: usize) -> [Band; 2] {
    let month = |p: &PathOutcome| pnl(p).capital.as_ref().expect("a capital path on every path")[t];
    [
        band_weighted(w, paths.iter().map(|p| cents_to_money(month(p).rwa)).collect()),
        band_weighted(w, paths.iter().map(|p| cents_to_money(month(p).requirement)).collect()),
    ]
}

/// The provision bands of month `t`, in [`PROVISION_TIMESERIES_NAMES`] order.
pub(crate) fn provision_bands(paths: &[PathOutcome], w: PathWeights, t: usize) -> [Band; 4] {
    let month = |p: &PathOutcome| pnl(p).provisions.as_ref().expect("provisions on every path").monthly[t];
    let share = |k: usize| -> Vec<f64> {
        paths
            .iter()
            .map(|p| {
                let m = month(p);
                let total: i64 = m.stage_balance.iter().sum();
                if total > 0 {
                    m.stage_balance[k] as f64 / total as f64
                } else {
                    0.0
                }
            })
            .collect()
    };
    [
        band_weighted(
            w,
            paths
                .iter()
                .map(|p| cents_to_money(pnl(p).monthly[t].provision_change))
                .collect(),
        ),
        band_weighted(w, paths.iter().map(|p| cents_to_money(month(p).allowance)).collect()),
        band_weighted(w, share(1)),
        band_weighted(w, share(2)),
    ]
}

/// The P&L bands of month `t`, in [`TIMESERIES_NAMES`] order: income (interest,
/// penalty, fees), costs other than credit loss and provisions (funding, operating,
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
                    .filter(|(info, _)| {
                        (info.sign > 0) == income && info.key != "credit_loss" && info.key != "provision_change"
                    })
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
