//! Accounting: the monthly P&L of a path, from what its loans did per
//! segment and month (the [`MonthlyLedger`]) and the `[economics]` terms.
//!
//! Every line is in integer cents per (segment, month) cell, so the book's
//! month and the segment's total are exact sums of cells, and net income is
//! exactly income less costs:
//!
//! ```text
//! net income = interest + penalty interest + late fees + origination fees
//!            - funding cost - operating cost - collection cost - recovery cost
//!            - credit loss - provision change - partners' share
//! ```
//!
//! * Interest is recognised when paid: a current loan's contractual
//!   interest month by month; a delinquent loan accrues nothing from its
//!   first missed payment (30 days past due: the model's cure resumes the
//!   schedule where it stopped, so the missed months' interest never falls
//!   due), and its penalty interest and late fees are income in the month
//!   they are collected (a cure or a plan).
//! * Funding is paid on the balance at the start of the month (the previous
//!   month end's book plus the loans booked in the month): the platform's
//!   own share at its cost of funds, which moves with the segment's factor
//!   and rises in funding shocks; under `fixed_rate` partner terms the
//!   partners' share at `partner_rate_annual`. A month's rate is a twelfth
//!   of the annual rate.
//! * Operating cost is charged per account on the book at the start of the
//!   month and per loan booked during the run.
//! * Credit loss is booked in the month of the charge-off (EAD x LGD, the
//!   recoveries netted); collection cost per account 30+ days past due at
//!   the month end; recovery cost in the month the cash arrives.
//! * With `[economics.provisions]`, the loss allowance (IFRS 9 expected
//!   credit loss, see [`crate::loan::ledger::EclRules`]) of the accounts on
//!   the book at each month end; its change over the month is a cost
//!   (a release a gain), so impairment = credit loss + provision change, and
//!   over the horizon the lines add to the credit loss plus the closing
//!   allowance less the opening one.
//! * Under `pro_rata` (joint lending) the partners take their share
//!   `1 - own_share` of interest, penalty interest, late fees, credit loss
//!   and provision change, and pay the platform `service_fee_share` of their
//!   interest; the line "partners' share" is what they take less that fee.

use serde::{Deserialize, Serialize};

use crate::loan::MonthlyLedger;
use crate::population::Cents;
use crate::scenario::{EconomicsSection, PartnerTerms, Scenario};

/// One line of the P&L: its key, what it contains, and its sign in net income.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineInfo {
    /// Key in summary.json and column prefix in timeseries.csv.
    pub key: &'static str,
    /// What the figure contains, for reports.
    pub label: &'static str,
    /// A word or two for tables and plot axes.
    pub short: &'static str,
    /// +1 for income, -1 for a cost.
    pub sign: i64,
}

/// The lines in the order of [`PnlLines::values`].
pub const LINES: [LineInfo; 11] = [
    LineInfo {
        key: "interest",
        short: "Interest",
        label: "Interest paid by current loans",
        sign: 1,
    },
    LineInfo {
        key: "penalty_interest",
        short: "Penalty interest",
        label: "Penalty interest collected at cures and plans",
        sign: 1,
    },
    LineInfo {
        key: "late_fees",
        short: "Late fees",
        label: "Late fees collected at cures and plans",
        sign: 1,
    },
    LineInfo {
        key: "origination_fees",
        short: "Origination fees",
        label: "Origination fees on loans booked during the run",
        sign: 1,
    },
    LineInfo {
        key: "funding_cost",
        short: "Funding",
        label: "Funding cost (own funds and fixed-rate partners)",
        sign: -1,
    },
    LineInfo {
        key: "operating_cost",
        short: "Operating cost",
        label: "Operating cost (per account-month and per origination)",
        sign: -1,
    },
    LineInfo {
        key: "collection_cost",
        short: "Collection cost",
        label: "Collection cost (per account-month 30+ days past due)",
        sign: -1,
    },
    LineInfo {
        key: "recovery_cost",
        short: "Recovery cost",
        label: "Recovery cost (share of recovery cash received)",
        sign: -1,
    },
    LineInfo {
        key: "credit_loss",
        short: "Credit loss",
        label: "Credit loss at charge-off (EAD x LGD)",
        sign: -1,
    },
    LineInfo {
        key: "provision_change",
        short: "Provisions",
        label: "Change in the loss allowance (IFRS 9 expected credit loss)",
        sign: -1,
    },
    LineInfo {
        key: "partner_share",
        short: "Partners' share",
        label: "Partners' share (pro-rata joint lending, less the service fee)",
        sign: -1,
    },
];

/// The P&L lines of one cell, month or total, in cents; costs positive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PnlLines {
    /// Contractual interest paid by current loans.
    pub interest: Cents,
    /// Penalty interest collected.
    pub penalty_interest: Cents,
    /// Late fees collected.
    pub late_fees: Cents,
    /// Origination fees on loans booked during the run.
    pub origination_fees: Cents,
    /// Funding cost.
    pub funding_cost: Cents,
    /// Operating cost.
    pub operating_cost: Cents,
    /// Collection cost.
    pub collection_cost: Cents,
    /// Recovery cost.
    pub recovery_cost: Cents,
    /// Credit loss.
    pub credit_loss: Cents,
    /// Change in the loss allowance (0 without provisions).
    pub provision_change: Cents,
    /// The partners' share under pro-rata joint lending, less the platform's service fee.
    pub partner_share: Cents,
}

impl PnlLines {
    /// The lines in the order of [`LINES`].
    pub fn values(&self) -> [Cents; 11] {
        [
            self.interest,
            self.penalty_interest,
            self.late_fees,
            self.origination_fees,
            self.funding_cost,
            self.operating_cost,
            self.collection_cost,
            self.recovery_cost,
            self.credit_loss,
            self.provision_change,
            self.partner_share,
        ]
    }

    /// Lines from values in the order of [`LINES`].
    pub fn from_values(v: [Cents; 11]) -> Self {
        let [
            interest,
            penalty_interest,
            late_fees,
            origination_fees,
            funding_cost,
            operating_cost,
            collection_cost,
            recovery_cost,
            credit_loss,
            provision_change,
            partner_share,
        ] = v;
        PnlLines {
            interest,
            penalty_interest,
            late_fees,
            origination_fees,
            funding_cost,
            operating_cost,
            collection_cost,
            recovery_cost,
            credit_loss,
            provision_change,
            partner_share,
        }
    }

    /// Income less costs, exactly.
    pub fn net_income(&self) -> Cents {
        self.values().iter().zip(&LINES).map(|(v, l)| l.sign * v).sum()
    }

    /// Adds `other` line by line.
    pub fn add(&mut self, other: &PnlLines) {
        let mut v = self.values();
        for (a, b) in v.iter_mut().zip(other.values()) {
            *a += b;
        }
        *self = Self::from_values(v);
    }

    /// The sum of `lines`.
    pub fn sum<'a>(lines: impl IntoIterator<Item = &'a PnlLines>) -> Self {
        let mut total = PnlLines::default();
        for l in lines {
            total.add(l);
        }
        total
    }
}

/// The P&L of one path.
#[derive(Debug, Clone, PartialEq)]
pub struct PathPnl {
    /// The book's lines per month.
    pub monthly: Vec<PnlLines>,
    /// Each segment's lines over the horizon, in scenario order.
    pub segments: Vec<PnlLines>,
    /// The loss allowance and the stages, with `[economics.provisions]`.
    pub provisions: Option<PathProvisions>,
    /// The regulatory capital of the book at each month end, with `[segments.capital]`.
    pub capital: Option<Vec<CapitalMonth>>,
}

/// The book's IRB capital at one month end (see [`crate::capital::path`]):
/// the accounts on the book not in default, in whole cents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CapitalMonth {
    /// Risk-weighted assets, `sum RW EAD`.
    pub rwa: Cents,
    /// Capital requirement, `sum K EAD`.
    pub requirement: Cents,
}

/// The book's loss allowance and stage mix of one path.
#[derive(Debug, Clone, PartialEq)]
pub struct PathProvisions {
    /// The opening book's allowance at the start of the run, in cents.
    pub opening: Cents,
    /// Per month end.
    pub monthly: Vec<ProvisionMonth>,
}

/// The allowance and the stages at one month end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProvisionMonth {
    /// Loss allowance of the accounts on the book, in cents.
    pub allowance: Cents,
    /// Balance in stage 1, 2, 3, in cents.
    pub stage_balance: [Cents; 3],
    /// Accounts in stage 1, 2, 3.
    pub stage_accounts: [u32; 3],
}

impl PathPnl {
    /// The book's lines over the horizon (equal to the sum of the segments').
    pub fn total(&self) -> PnlLines {
        PnlLines::sum(&self.monthly)
    }
}

/// What a path's P&L needs beyond its ledger: the segments' factors by
/// month and the rise of the cost of funds from funding shocks by month.
pub struct PathConditions<'a> {
    /// `[segment][t]`: each segment's factor.
    pub segment_factors: &'a [Vec<f64>],
    /// `[t]`: the rise of the annual cost of funds in effect.
    pub funding_jump: &'a [f64],
}

/// Rounds an amount in cents (of either sign) to whole cents, half away from zero.
fn cents(x: f64) -> Cents {
    x.round() as Cents
}

/// The P&L of a path from its ledger.
pub fn path_pnl(scenario: &Scenario, ledger: &MonthlyLedger, conditions: &PathConditions) -> PathPnl {
    let default_terms = EconomicsSection::default();
    let terms = scenario.file.economics.as_ref().unwrap_or(&default_terms);
    let funding = &terms.funding;
    let partner = 1.0 - funding.own_share;
    let collection_cost = scenario.policy.collections.map_or(0.0, |c| c.cost_per_account_month);
    let horizon = ledger.horizon;
    let segments = ledger.segments();
    let mut monthly = vec![PnlLines::default(); horizon];
    let mut by_segment = vec![PnlLines::default(); segments];
    let provided = ledger.ecl.is_some();
    // The allowance in whole cents, cell by cell, so that its changes add up exactly.
    let allowance = |c: usize| {
        if provided {
            cents(ledger.allowance[c] * 100.0)
        } else {
            0
        }
    };
    let mut provisions = provided.then(|| PathProvisions {
        opening: ledger.opening_allowance.iter().map(|a| cents(a * 100.0)).sum(),
        monthly: vec![ProvisionMonth::default(); horizon],
    });
    for s in 0..segments {
        let (mut balance_before, mut accounts_before) = (0 as Cents, 0u32);
        let mut allowance_before = if provided {
            cents(ledger.opening_allowance[s] * 100.0)
        } else {
            0
        };
        for t in 0..horizon {
            let c = s * horizon + t;
            let balance_start = (balance_before + ledger.booked_balance[c]) as f64;
            let accounts_start = (accounts_before + ledger.booked_loans[c]) as f64;
            let z = conditions.segment_factors[s][t];
            let own_rate = (funding.cost_of_funds_annual + conditions.funding_jump[t]
                - funding.factor_sensitivity_annual * z)
                .max(0.0);
            let partner_rate = match funding.partner_terms {
                PartnerTerms::FixedRate => funding.partner_rate_annual,
                PartnerTerms::ProRata => 0.0,
            };
            let (interest, penalty, late) = (ledger.interest[c], ledger.penalty_interest[c], ledger.late_fees[c]);
            let credit_loss = cents(ledger.loss[c] * 100.0);
            let provision_change = allowance(c) - allowance_before;
            let partner_share = match funding.partner_terms {
                PartnerTerms::FixedRate => 0,
                PartnerTerms::ProRata => {
                    let taken = cents(partner * (interest + penalty + late) as f64);
                    // Each lender provisions its own share: the partners bear theirs of the impairment.
                    let borne = cents(partner * (credit_loss + provision_change) as f64);
                    let fee = cents(funding.service_fee_share * partner * (interest + penalty) as f64);
                    taken - borne - fee
                }
            };
            let cell = PnlLines {
                interest,
                penalty_interest: penalty,
                late_fees: late,
                origination_fees: cents(terms.origination_fee_share * ledger.originated_balance[c] as f64),
                funding_cost: cents(balance_start * (funding.own_share * own_rate + partner * partner_rate) / 12.0),
                operating_cost: cents(
                    100.0
                        * (terms.operating_cost_per_account_month * accounts_start
                            + terms.operating_cost_per_origination * ledger.originated_loans[c] as f64),
                ),
                collection_cost: cents(100.0 * collection_cost * ledger.delinquent_end[c] as f64),
                recovery_cost: cents(ledger.recovery_cost[c] * 100.0),
                credit_loss,
                provision_change,
                partner_share,
            };
            if let Some(p) = provisions.as_mut() {
                let m = &mut p.monthly[t];
                m.allowance += allowance(c);
                for k in 0..3 {
                    m.stage_balance[k] += ledger.stage_balance[k][c];
                    m.stage_accounts[k] += ledger.stage_accounts[k][c];
                }
            }
            allowance_before = allowance(c);
            monthly[t].add(&cell);
            by_segment[s].add(&cell);
            balance_before = ledger.balance_end[c];
            accounts_before = ledger.accounts_end[c];
        }
    }
    // The book's capital at each month end: each month's cells summed, then rounded.
    let capital = ledger.weights.is_some().then(|| {
        (0..horizon)
            .map(|t| {
                let sum = |cells: &[f64]| cents((0..segments).map(|s| cells[s * horizon + t]).sum::<f64>() * 100.0);
                CapitalMonth {
                    rwa: sum(&ledger.rwa),
                    requirement: sum(&ledger.capital_requirement),
                }
            })
            .collect()
    });
    PathPnl {
        monthly,
        segments: by_segment,
        provisions,
        capital,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn net_income_is_income_less_costs() {
        let l = PnlLines::from_values([1000, 50, 20, 30, 100, 200, 40, 10, 300, -25, 60]);
        assert_eq!(
            l.net_income(),
            1000 + 50 + 20 + 30 - 100 - 200 - 40 - 10 - 300 + 25 - 60
        );
        assert_eq!(PnlLines::from_values(l.values()), l);
        let mut twice = l;
        twice.add(&l);
        assert_eq!(twice.net_income(), 2 * l.net_income());
    }
}
