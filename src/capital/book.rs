//! The regulatory capital of the book at the start of the run, segment by
//! segment, and the economic capital and risk-adjusted return of the run.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{CapitalSum, SegmentCapital};
use crate::engine::Prepared;
use crate::population::{ProductKind, cents_to_money};
use crate::stats::RunSummary;
use crate::stats::risk::level_key;

/// What summary.json's `capital` says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CapitalSummary {
    /// What the figures are.
    pub basis: String,
    /// IRB capital per segment with a `[segments.capital]` table.
    pub segments: BTreeMap<String, SegmentCapital>,
    /// Those segments together.
    pub total: CapitalTotal,
    /// Economic capital per risk level from the run's loss distribution.
    pub economic: BTreeMap<String, EconomicCapital>,
    /// Mean net income over the horizon / the IRB capital requirement.
    pub return_on_regulatory_capital: Option<f64>,
}

/// Sums over the segments with capital.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CapitalTotal {
    /// Exposure at default.
    pub ead: f64,
    /// Risk-weighted assets.
    pub rwa: f64,
    /// Capital requirement (`K EAD` summed).
    pub capital_requirement: f64,
    /// Regulatory one-year expected loss.
    pub expected_loss: f64,
}

/// Economic capital at one level: the loss beyond its mean the run's own
/// distribution gives (the whole portfolio, over the horizon).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EconomicCapital {
    /// `VaR_q - EL`.
    pub var_minus_el: f64,
    /// `ES_q - EL`.
    pub es_minus_el: f64,
    /// Mean net income over the horizon / `ES_q - EL`.
    pub return_on_es_capital: Option<f64>,
}

/// The basis of the regulatory figures, written into summary.json.
pub const CAPITAL_BASIS: &str = "Basel IRB risk weights of the book at the start of the run (the opening book; \
     path 0's when the population is redrawn): one-year PD = 1 - (1 - PD)^(12 / pd_period_months) of each \
     loan's grade, floored; LGD = the segment's mean LGD (an imported loan's own); EAD = drawn balance plus \
     revolving_ccf times the undrawn limit; RW = 12.5 K times the scaling factor; capital requirement = K EAD. \
     Economic capital is from the run's loss over the whole horizon and the whole book. Returns divide \
     the mean net income over the horizon: the [economics] P&L's when the scenario has one, else interest \
     - loss - collection and recovery cost.";

/// The IRB capital of the book, per segment and in total.
#[derive(Debug, Clone, PartialEq)]
pub struct RegulatoryCapital {
    /// Per segment with `[segments.capital]`.
    pub segments: BTreeMap<String, SegmentCapital>,
    /// Their sum.
    pub total: CapitalTotal,
}

impl RegulatoryCapital {
    /// The IRB capital of `prepared`'s book; `None` when no segment has `[segments.capital]`.
    pub fn of(prepared: &Prepared) -> Option<Self> {
        let s = prepared.scenario;
        if s.segments.iter().all(|seg| seg.capital.is_none()) {
            return None;
        }
        let book = prepared.run_level_book();
        let mut sums: Vec<CapitalSum> = vec![CapitalSum::default(); s.segments.len()];
        for loan in &book.loans {
            let seg = &s.segments[loan.segment as usize];
            let Some(terms) = &seg.capital else { continue };
            let pd = super::path::one_year_pd(prepared, loan.grade as usize);
            let lgd = match loan.fixed_lgd {
                Some(row) => prepared.model.fixed_lgd[row.get() as usize - 1],
                None => seg.lgd.mean,
            };
            let undrawn = (loan.limit - loan.balance).max(0);
            let ead = cents_to_money(loan.balance)
                + if loan.kind == ProductKind::Revolving {
                    seg.revolving_ccf.get() * cents_to_money(undrawn)
                } else {
                    0.0
                };
            sums[loan.segment as usize].add(&terms.of(loan.kind == ProductKind::Revolving), pd, lgd, ead);
        }
        let segments: BTreeMap<String, SegmentCapital> = s
            .segments
            .iter()
            .zip(&sums)
            .filter_map(|(seg, sum)| seg.capital.map(|t| (seg.name.clone(), sum.finish(t.name()))))
            .collect();
        let total = CapitalTotal {
            ead: segments.values().map(|c| c.ead).sum(),
            rwa: segments.values().map(|c| c.rwa).sum(),
            capital_requirement: segments.values().map(|c| c.capital_requirement).sum(),
            expected_loss: segments.values().map(|c| c.expected_loss).sum(),
        };
        Some(RegulatoryCapital { segments, total })
    }
}

impl CapitalSummary {
    /// The book's regulatory capital with the economic capital and returns of the run in `summary`.
    pub fn new(regulatory: &RegulatoryCapital, summary: &RunSummary, levels: &[f64]) -> Self {
        let total = regulatory.total;
        // The P&L's net income when the run kept one, else interest - loss - collection and recovery cost.
        let net = summary
            .economics
            .as_ref()
            .map_or(summary.net_income.mean, |e| e.net_income.mean);
        let ratio = |capital: f64| (capital > 0.0).then(|| net / capital);
        let economic = levels
            .iter()
            .map(|&q| {
                let key = level_key(q);
                let es_minus_el = summary.loss.es[&key] - summary.loss.mean;
                (
                    key.clone(),
                    EconomicCapital {
                        var_minus_el: summary.loss.var[&key] - summary.loss.mean,
                        es_minus_el,
                        return_on_es_capital: ratio(es_minus_el),
                    },
                )
            })
            .collect();
        CapitalSummary {
            basis: CAPITAL_BASIS.to_string(),
            segments: regulatory.segments.clone(),
            total,
            economic,
            return_on_regulatory_capital: ratio(total.capital_requirement),
        }
    }
}
