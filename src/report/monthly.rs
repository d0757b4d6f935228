//! `monthly.csv` (and, with the `parquet` feature, `monthly.parquet`): the
//! opt-in long table of `run --export monthly`, one row per path, month and
//! segment, from the monthly ledger each path kept
//! ([`crate::loan::MonthlyLedger`], asked for with
//! [`crate::engine::Prepared::with_monthly_export`]).
//!
//! Money follows paths.csv: currency units, an amount the engine holds in
//! cents (interest, charged-off EAD, balances) printed from its cents, one
//! held as `f64` (loss, recoveries, costs) in its shortest exact form. Summed
//! over the months and segments of a path, each figure gives the path's row
//! of paths.csv (counts and cents exactly, `f64` figures to rounding: the
//! engine sums them in loan order, the table cell by cell).

use crate::engine::PathOutcome;
use crate::loan::MonthlyLedger;
use crate::population::{Cents, cents_to_money};
use crate::scenario::Scenario;

/// The columns of `monthly.csv` (and `monthly.parquet`), in order.
pub const MONTHLY_HEADER: [&str; 19] = [
    "path",
    "month",
    "segment",
    "loans_booked",
    "balance_booked",
    "defaults",
    "charged_off",
    "loss",
    "fraud_loss",
    "economic_loss",
    "recoveries",
    "recoveries_after_horizon",
    "recovery_cost",
    "interest_income",
    "collection_cost",
    "net_income",
    "delinquent_accounts",
    "accounts",
    "balance",
];

/// One row of the table: path, 1-based month, segment and the figures of
/// [`MONTHLY_HEADER`] in its order.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthlyRow<'a> {
    /// Path index.
    pub path: u64,
    /// Month, from 1.
    pub month: u32,
    /// Segment name.
    pub segment: &'a str,
    /// Loans booked at the start of the month (the opening book in month 1).
    pub loans_booked: u32,
    /// Their balance, in cents.
    pub balance_booked: Cents,
    /// Charge-offs in the month.
    pub defaults: u32,
    /// Exposure at default of the month's charge-offs, in cents.
    pub charged_off: Cents,
    /// Credit loss of the month's charge-offs (EAD x LGD, net of all their recoveries).
    pub loss: f64,
    /// Of it, the loss of fraudulent loans.
    pub fraud_loss: f64,
    /// EAD of the month's charge-offs less their recoveries discounted to the month.
    pub economic_loss: f64,
    /// Recovery cash received in the month (of this and earlier months' charge-offs).
    pub recoveries: f64,
    /// Recovery cash of the month's charge-offs that falls after the horizon.
    pub recoveries_after_horizon: f64,
    /// Cost of the recovery cash received in the month.
    pub recovery_cost: f64,
    /// Interest paid in the month (contractual and penalty), in cents.
    pub interest_income: Cents,
    /// Collection cost of the accounts delinquent at the month end (0 without `[policy.collections]`).
    pub collection_cost: f64,
    /// Accounts 30+ days past due at the month end.
    pub delinquent_accounts: u32,
    /// Accounts on the book at the month end (current, delinquent or in a plan).
    pub accounts: u32,
    /// Their balance, in cents.
    pub balance: Cents,
}

impl MonthlyRow<'_> {
    /// Interest income less loss, collection cost and recovery cost (paths.csv's `net_income`, by month).
    pub fn net_income(&self) -> f64 {
        cents_to_money(self.interest_income) - self.loss - self.collection_cost - self.recovery_cost
    }
}

/// Refused when a path outcome lacks its monthly ledger (the run was not
/// prepared with [`crate::engine::Prepared::with_monthly_export`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("path {path} has no monthly ledger: the run was not prepared for --export monthly")]
pub struct MissingLedger {
    /// The first path without one.
    pub path: u64,
}

/// Every row of `paths`, path by path (in their order), month by month, segment by segment.
pub fn monthly_rows<'a>(scenario: &'a Scenario, paths: &[PathOutcome]) -> Result<Vec<MonthlyRow<'a>>, MissingLedger> {
    let cost = scenario
        .policy
        .collections
        .as_ref()
        .map_or(0.0, |c| c.cost_per_account_month);
    let mut rows = Vec::with_capacity(paths.len() * scenario.horizon_months * scenario.segments.len());
    for p in paths {
        let ledger: &MonthlyLedger = p.tally.monthly.as_deref().ok_or(MissingLedger { path: p.index })?;
        for t in 0..scenario.horizon_months {
            for (s, segment) in scenario.segments.iter().enumerate() {
                let c = s * ledger.horizon + t;
                let detail = |v: &[f64]| v.get(c).copied().unwrap_or(0.0);
                rows.push(MonthlyRow {
                    path: p.index,
                    month: t as u32 + 1,
                    segment: &segment.name,
                    loans_booked: ledger.booked_loans[c],
                    balance_booked: ledger.booked_balance[c],
                    defaults: ledger.defaults.get(c).copied().unwrap_or(0),
                    charged_off: ledger.charged_off.get(c).copied().unwrap_or(0),
                    loss: ledger.loss[c],
                    fraud_loss: detail(&ledger.fraud_loss),
                    economic_loss: detail(&ledger.economic_loss),
                    recoveries: detail(&ledger.recoveries),
                    recoveries_after_horizon: detail(&ledger.recoveries_after_horizon),
                    recovery_cost: ledger.recovery_cost[c],
                    interest_income: ledger.interest[c] + ledger.penalty_interest[c],
                    collection_cost: cost * ledger.delinquent_end[c] as f64,
                    delinquent_accounts: ledger.delinquent_end[c],
                    accounts: ledger.accounts_end[c],
                    balance: ledger.balance_end[c],
                });
            }
        }
    }
    Ok(rows)
}

/// `monthly.csv`: [`MONTHLY_HEADER`], then every row of [`monthly_rows`].
pub fn monthly_csv(rows: &[MonthlyRow]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::with_capacity(rows.len() * 160 + 256));
    w.write_record(MONTHLY_HEADER)
        .expect("writing CSV to memory cannot fail");
    for r in rows {
        let money = |c: Cents| cents_to_money(c).to_string();
        w.write_record([
            r.path.to_string(),
            r.month.to_string(),
            r.segment.to_string(),
            r.loans_booked.to_string(),
            money(r.balance_booked),
            r.defaults.to_string(),
            money(r.charged_off),
            r.loss.to_string(),
            r.fraud_loss.to_string(),
            r.economic_loss.to_string(),
            r.recoveries.to_string(),
            r.recoveries_after_horizon.to_string(),
            r.recovery_cost.to_string(),
            money(r.interest_income),
            r.collection_cost.to_string(),
            r.net_income().to_string(),
            r.delinquent_accounts.to_string(),
            r.accounts.to_string(),
            money(r.balance),
        ])
        .expect("writing CSV to memory cannot fail");
    }
    w.into_inner().expect("flushing CSV to memory cannot fail")
}
