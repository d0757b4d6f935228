//! The going-concern figures: originations by month and vintage curves.
//!
//! A vintage is the opening book, or the loans booked in a group of
//! `run.vintage_months` consecutive months. Its cumulative default rate at
//! `m` months on book is the vintage's charge-offs in its first `m` months
//! on the book over the loans it booked, and its cumulative loss rate the
//! loss of those charge-offs over the balance it booked: both against what
//! the vintage actually lent, so a growing book's rates are not diluted by
//! loans booked later. Bands are across the paths on which the vintage
//! booked at least one loan. A curve stops at the months on book that every
//! loan of the vintage has reached by the horizon.

use serde::{Deserialize, Serialize};

use super::risk::Moments;
use super::summary::{Band, band_weighted};
use super::weighted::PathWeights;
use crate::engine::PathOutcome;
use crate::loan::BookFlow;
use crate::population::cents_to_money;

/// What `summary.json` says about originations (`originations`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OriginationSummary {
    /// What the figures count, in words.
    pub basis: String,
    /// Loans booked during the run per path (the opening book's excluded; renewals included).
    pub booked_loans: Moments,
    /// Of those, renewals of loans repaid at maturity.
    pub renewed_loans: Moments,
    /// Balance booked during the run per path.
    pub booked_balance: Moments,
    /// Applications received during the run per path.
    pub applications: Moments,
    /// New applicants' loans booked (renewals excluded) / applications, pooled over paths.
    pub approval_rate: f64,
    /// Exposure per path: the opening book's plus the balance booked during
    /// the run (the base of the portfolio loss rate).
    pub exposure: Moments,
    /// By month (1-based), means over paths.
    pub by_month: Vec<OriginationMonth>,
}

/// One month's originations, means over paths.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OriginationMonth {
    /// Month, 1-based.
    pub month: usize,
    /// Applications received.
    pub applications: f64,
    /// Loans booked.
    pub booked_loans: f64,
    /// Balance booked.
    pub booked_balance: f64,
    /// Of those, renewals.
    pub renewed_loans: f64,
    /// New applicants' loans booked / applications, pooled over paths (null without applications).
    pub approval_rate: Option<f64>,
}

/// One point of a vintage curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VintagePoint {
    /// `opening` or `months A-B` (1-based booking months).
    pub vintage: String,
    /// First booking month (1-based; 1 for the opening book).
    pub first_month: usize,
    /// Last booking month (1-based).
    pub last_month: usize,
    /// Months on book (1 = the month of booking).
    pub months_on_book: usize,
    /// Paths on which the vintage booked a loan (the bands' sample).
    pub paths: usize,
    /// Mean loans the vintage booked, over those paths.
    pub loans: f64,
    /// Mean balance the vintage booked, over those paths.
    pub booked_balance: f64,
    /// Cumulative charge-offs / loans booked.
    pub cumulative_default_rate: Band,
    /// Cumulative loss / balance booked.
    pub cumulative_loss_rate: Band,
}

fn flows(paths: &[PathOutcome]) -> Vec<&BookFlow> {
    paths.iter().filter_map(|p| p.tally.flow.as_deref()).collect()
}

/// The weights of the paths that keep a book flow (all of a going-concern run's).
fn flow_weights(paths: &[PathOutcome], weights: PathWeights) -> Option<Vec<f64>> {
    weights.within(&paths.iter().map(|p| p.tally.flow.is_some()).collect::<Vec<_>>())
}

impl OriginationSummary {
    /// Summarises the bookings of every path; `None` for a run-off book.
    pub fn new(paths: &[PathOutcome], weights: PathWeights) -> Option<Self> {
        let flows = flows(paths);
        let first = flows.first()?;
        let flow_w = flow_weights(paths, weights);
        let fw = PathWeights::of(&flow_w);
        // A flow's weight in pooled sums (1 each under plain sampling).
        let pool_weight = |k: usize| flow_w.as_ref().map_or(1.0, |w| w[k]);
        let horizon = first.horizon;
        let during = |f: &BookFlow, series: &dyn Fn(&BookFlow, usize) -> f64| -> f64 {
            (1..horizon).map(|t| series(f, t)).sum()
        };
        let per_path = |series: &dyn Fn(&BookFlow, usize) -> f64| -> Moments {
            fw.moments(&flows.iter().map(|f| during(f, series)).collect::<Vec<_>>())
        };
        let applications = |f: &BookFlow, t: usize| f.applications[t] as f64;
        let booked = |f: &BookFlow, t: usize| f.booked_loans[t] as f64;
        let renewed = |f: &BookFlow, t: usize| f.renewed_loans[t] as f64;
        let approved = |f: &BookFlow, t: usize| (f.booked_loans[t] - f.renewed_loans[t]) as f64;
        let balance = |f: &BookFlow, t: usize| cents_to_money(f.booked_balance[t]);
        let pooled = |t: Option<usize>| {
            let (mut apps, mut loans) = (0.0, 0.0);
            for (k, f) in flows.iter().enumerate() {
                let w = pool_weight(k);
                match t {
                    Some(t) => {
                        apps += w * applications(f, t);
                        loans += w * approved(f, t);
                    }
                    None => {
                        apps += w * during(f, &applications);
                        loans += w * during(f, &approved);
                    }
                }
            }
            (apps > 0.0).then(|| loans / apps)
        };
        let mean_of = |t: usize, series: &dyn Fn(&BookFlow, usize) -> f64| {
            fw.moments(&flows.iter().map(|f| series(f, t)).collect::<Vec<_>>()).mean
        };
        Some(OriginationSummary {
            basis: "loans and balances booked in months 2 to the horizon (the opening book is month 1's), \
                    renewals included; balance at booking; approval rate = new applicants booked / applications, \
                    pooled over paths; exposure = the opening book's balance plus the balance booked during the run"
                .to_string(),
            booked_loans: per_path(&booked),
            renewed_loans: per_path(&renewed),
            booked_balance: per_path(&balance),
            applications: per_path(&applications),
            approval_rate: pooled(None).unwrap_or(0.0),
            exposure: weights.moments(&paths.iter().map(|p| p.exposure).collect::<Vec<_>>()),
            by_month: (1..horizon)
                .map(|t| OriginationMonth {
                    month: t + 1,
                    applications: mean_of(t, &applications),
                    booked_loans: mean_of(t, &booked),
                    renewed_loans: mean_of(t, &renewed),
                    booked_balance: mean_of(t, &balance),
                    approval_rate: pooled(Some(t)),
                })
                .collect(),
        })
    }
}

/// Every vintage's curve, vintage by vintage, month on book by month on
/// book; empty for a run-off book.
pub fn vintage_curves(paths: &[PathOutcome]) -> Vec<VintagePoint> {
    let flows = flows(paths);
    let Some(first) = flows.first() else {
        return Vec::new();
    };
    let normalised = super::summary::path_weights(paths);
    let flow_w = flow_weights(paths, PathWeights::of(&normalised));
    let fw = PathWeights::of(&flow_w);
    let horizon = first.horizon;
    let mut out = Vec::new();
    for g in 0..first.vintages() {
        let months = first.vintage_months_of(g);
        let all: Vec<(&BookFlow, u64, f64)> = flows
            .iter()
            .map(|f| {
                let loans: u64 = months.clone().map(|t| f.booked_loans[t] as u64).sum();
                let balance: i64 = months.clone().map(|t| f.booked_balance[t]).sum();
                (*f, loans, cents_to_money(balance))
            })
            .collect();
        let lent: Vec<bool> = all.iter().map(|(_, loans, _)| *loans > 0).collect();
        let booked: Vec<(&BookFlow, u64, f64)> = all.into_iter().filter(|(_, loans, _)| *loans > 0).collect();
        let booked_w = fw.within(&lent);
        let bw = PathWeights::of(&booked_w);
        if booked.is_empty() {
            continue;
        }
        let label = if g == 0 {
            "opening".to_string()
        } else if months.len() == 1 {
            format!("month {}", months.start + 1)
        } else {
            format!("months {}-{}", months.start + 1, months.end)
        };
        let loans = bw.mean(&booked.iter().map(|b| b.1 as f64).collect::<Vec<_>>());
        let balance = bw.mean(&booked.iter().map(|b| b.2).collect::<Vec<_>>());
        let reached = horizon - (months.end - 1);
        let mut defaults = vec![0.0; booked.len()];
        let mut loss = vec![0.0; booked.len()];
        for m in 0..reached {
            for (k, (f, _, _)) in booked.iter().enumerate() {
                defaults[k] += f.vintage_defaults[g * horizon + m] as f64;
                loss[k] += f.vintage_loss[g * horizon + m];
            }
            let default_rate: Vec<f64> = booked.iter().zip(&defaults).map(|(b, d)| d / b.1 as f64).collect();
            let loss_rate: Vec<f64> = booked
                .iter()
                .zip(&loss)
                .map(|(b, l)| if b.2 > 0.0 { l / b.2 } else { 0.0 })
                .collect();
            out.push(VintagePoint {
                vintage: label.clone(),
                first_month: months.start + 1,
                last_month: months.end,
                months_on_book: m + 1,
                paths: booked.len(),
                loans,
                booked_balance: balance,
                cumulative_default_rate: band_weighted(bw, default_rate),
                cumulative_loss_rate: band_weighted(bw, loss_rate),
            });
        }
    }
    out
}
