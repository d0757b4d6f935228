//! Loan stepping: the fourth stage. One loan, month by month, through
//! repayment, prepayment, delinquency buckets, charge-off and recovery.
//!
//! Every probability the loop needs has been turned into an integer
//! threshold in [`PathTables`] once per path, so a month costs one 64-bit
//! uniform, a few compares and integer arithmetic: no transcendental
//! functions and no allocation per loan-month.

pub mod schedule;

use crate::engine::streams::{LoanStream, item_rng};
use crate::population::{Cents, Loan, ProductKind, cents_to_money, round_cents};
use crate::scenario::UnitDistribution;
pub use schedule::{Payment, RevolvingMonth, installment_payment, revolving_month};

/// Number of delinquency buckets: 30, 60 and 90+ days past due.
pub const BUCKETS: usize = 3;

/// Per (segment, month) thresholds of a delinquent loan: roll if
/// `u < roll[b]`, else cure if `u < roll_or_cure[b]`, else stay.
#[derive(Debug, Clone, Copy, Default)]
pub struct BucketThresholds {
    /// Roll threshold per bucket.
    pub roll: [u64; BUCKETS],
    /// Roll-or-cure threshold per bucket.
    pub roll_or_cure: [u64; BUCKETS],
}

/// Segment constants the loop needs.
#[derive(Debug, Clone)]
pub struct SegmentRules {
    /// Prepayment threshold (added after the missed-payment threshold).
    pub prepay: u64,
    /// Revolving repayment share.
    pub repay_rate: f64,
    /// Revolving draw share.
    pub draw_rate: f64,
    /// Drawdown share of the undrawn limit at the first missed payment.
    pub ccf: f64,
    /// LGD of fraudulent loans.
    pub fraud_lgd: f64,
}

/// The outage of this path, if it happens.
#[derive(Debug, Clone, Copy)]
pub struct OutageThresholds {
    /// Month (0-based).
    pub month: usize,
    /// Failed-debit threshold (added after missed payment and prepayment).
    pub share: u64,
    /// Cure threshold of a technical delinquency.
    pub cure: u64,
}

/// Everything the loop needs for one path, precomputed.
#[derive(Debug, Clone)]
pub struct PathTables {
    /// Months.
    pub horizon: usize,
    /// Grade rows.
    pub grades: usize,
    /// Missed-payment threshold, `[t * grades + grade]`.
    pub entry: Vec<u64>,
    /// Bucket thresholds, `[segment * horizon + t]`.
    pub buckets: Vec<BucketThresholds>,
    /// LGD distribution, `[segment * horizon + t]`.
    pub lgd: Vec<UnitDistribution>,
    /// Per-segment constants.
    pub rules: Vec<SegmentRules>,
    /// Delinquency buckets on.
    pub delinquency: bool,
    /// Outage on this path.
    pub outage: Option<OutageThresholds>,
    /// Months from charge-off to recovery cash.
    pub recovery_lag: usize,
    /// Key of this path's LGD stream.
    pub lgd_key: u64,
}

/// Cash-flow accounting of a path, in cents. Conservation:
/// `originated = repaid + prepaid + charged_off + outstanding`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ledger {
    /// Initial balances plus all later draws.
    pub originated: Cents,
    /// Scheduled principal and revolving repayments.
    pub repaid: Cents,
    /// Early repayments in full.
    pub prepaid: Cents,
    /// Exposure at default of charged-off loans.
    pub charged_off: Cents,
    /// Balances still outstanding at the horizon.
    pub outstanding: Cents,
}

/// What one path's loans did, summed.
#[derive(Debug, Clone, PartialEq)]
pub struct PathTally {
    /// Credit loss (sum of EAD x LGD), currency units.
    pub loss: f64,
    /// Charged-off loans.
    pub defaults: u64,
    /// Interest paid.
    pub interest: Cents,
    /// Recovery cash received within the horizon, currency units.
    pub recoveries: f64,
    /// Loss per segment.
    pub segment_loss: Vec<f64>,
    /// Charge-offs per segment.
    pub segment_defaults: Vec<u64>,
    /// Charge-offs per score band.
    pub band_defaults: Vec<u64>,
    /// Charge-offs per month.
    pub monthly_defaults: Vec<u32>,
    /// Loans 30+ days past due at the end of each month.
    pub monthly_delinquent: Vec<u32>,
    /// Loss booked per month.
    pub monthly_loss: Vec<f64>,
    /// Loan-months actually stepped (a loan stops at maturity, prepayment or charge-off).
    pub loan_months: u64,
    /// Accounting identity.
    pub ledger: Ledger,
}

impl PathTally {
    /// An empty tally.
    pub fn new(segments: usize, bands: usize, horizon: usize) -> Self {
        Self {
            loss: 0.0,
            defaults: 0,
            interest: 0,
            recoveries: 0.0,
            segment_loss: vec![0.0; segments],
            segment_defaults: vec![0; segments],
            band_defaults: vec![0; bands],
            monthly_defaults: vec![0; horizon],
            monthly_delinquent: vec![0; horizon],
            monthly_loss: vec![0.0; horizon],
            loan_months: 0,
            ledger: Ledger::default(),
        }
    }

    fn charge_off(&mut self, loan: &Loan, t: usize, ead: Cents, lgd: f64, recovery_lag: usize) {
        let ead_money = cents_to_money(ead);
        let loss = ead_money * lgd;
        self.loss += loss;
        self.defaults += 1;
        self.segment_loss[loan.segment as usize] += loss;
        self.segment_defaults[loan.segment as usize] += 1;
        self.band_defaults[loan.band as usize] += 1;
        self.monthly_defaults[t] += 1;
        self.monthly_loss[t] += loss;
        self.ledger.charged_off += ead;
        if t + recovery_lag < self.monthly_loss.len() {
            self.recoveries += ead_money - loss;
        }
    }
}

/// Where a loan stands at the start of a month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Current,
    /// Days-past-due bucket 0 (30), 1 (60), 2 (90+).
    Delinquent(u8),
    /// Failed automatic debit during an outage.
    Technical,
}

/// Steps one loan through the horizon of one path and adds what happened to `tally`.
#[inline]
pub fn simulate_loan(loan: &Loan, tables: &PathTables, path_key: u64, tally: &mut PathTally) {
    tally.ledger.originated += loan.balance;
    let months = if loan.fraud {
        simulate_fraud(loan, tables, tally)
    } else {
        step_months(loan, tables, path_key, tally)
    };
    tally.loan_months += months as u64;
}

/// The monthly state machine; returns the number of months stepped.
#[inline(always)]
fn step_months(loan: &Loan, tables: &PathTables, path_key: u64, tally: &mut PathTally) -> usize {
    let seg = loan.segment as usize;
    let rules = &tables.rules[seg];
    let horizon = tables.horizon;
    let mut balance = loan.balance;
    let mut rng = LoanStream::new(path_key, loan.id as u64);
    let revolving = loan.kind == ProductKind::Revolving;
    let mut paid: u16 = 0;
    let mut status = Status::Current;
    let row = loan.grade as usize;
    for t in 0..horizon {
        let u = rng.next_u64();
        match status {
            Status::Current => {
                let miss = tables.entry[t * tables.grades + row];
                if u < miss {
                    if revolving {
                        let extra = round_cents((loan.limit - balance) as f64 * rules.ccf);
                        balance += extra;
                        tally.ledger.originated += extra;
                    }
                    if !tables.delinquency {
                        charge_off(loan, tables, t, balance, tally);
                        return t + 1;
                    }
                    status = Status::Delinquent(0);
                    tally.monthly_delinquent[t] += 1;
                    continue;
                }
                let prepay = miss.saturating_add(rules.prepay);
                if u < prepay {
                    tally.ledger.prepaid += balance;
                    return t + 1;
                }
                if let Some(o) = &tables.outage
                    && o.month == t
                    && u < prepay.saturating_add(o.share)
                {
                    status = Status::Technical;
                    tally.monthly_delinquent[t] += 1;
                    continue;
                }
                if revolving {
                    let m = revolving_month(
                        balance,
                        loan.limit,
                        loan.rate_monthly,
                        rules.repay_rate,
                        rules.draw_rate,
                    );
                    tally.interest += m.interest;
                    tally.ledger.repaid += m.repaid;
                    tally.ledger.originated += m.drawn;
                    balance += m.drawn - m.repaid;
                } else {
                    let p = installment_payment(
                        loan.kind,
                        balance,
                        loan.rate_monthly,
                        loan.installment,
                        loan.term_months - paid,
                    );
                    tally.interest += p.interest;
                    tally.ledger.repaid += p.principal;
                    balance -= p.principal;
                    paid += 1;
                    if paid == loan.term_months {
                        return t + 1;
                    }
                }
            }
            Status::Delinquent(b) => {
                let th = &tables.buckets[seg * horizon + t];
                let b = b as usize;
                if u < th.roll[b] {
                    if b + 1 == BUCKETS {
                        charge_off(loan, tables, t, balance, tally);
                        return t + 1;
                    }
                    status = Status::Delinquent(b as u8 + 1);
                } else if u < th.roll_or_cure[b] {
                    status = Status::Current;
                    continue;
                }
                tally.monthly_delinquent[t] += 1;
            }
            Status::Technical => {
                let cure = tables.outage.map_or(0, |o| o.cure);
                if u < cure {
                    status = Status::Current;
                } else {
                    status = Status::Delinquent(0);
                    tally.monthly_delinquent[t] += 1;
                }
            }
        }
    }
    tally.ledger.outstanding += balance;
    horizon
}

/// Draws the LGD of a charge-off from the loan's own LGD stream.
fn charge_off(loan: &Loan, tables: &PathTables, t: usize, ead: Cents, tally: &mut PathTally) {
    let dist = &tables.lgd[loan.segment as usize * tables.horizon + t];
    let lgd = match dist {
        UnitDistribution::Fixed(v) => *v,
        beta => beta.sample(&mut item_rng(tables.lgd_key, loan.id as u64)),
    };
    tally.charge_off(loan, t, ead, lgd, tables.recovery_lag);
}

/// A fraudulent loan never pays: it misses the first payment and rolls
/// straight through the buckets to charge-off (month 1 without buckets).
/// Returns the months stepped.
fn simulate_fraud(loan: &Loan, tables: &PathTables, tally: &mut PathTally) -> usize {
    let rules = &tables.rules[loan.segment as usize];
    let mut ead = loan.balance;
    if loan.kind == ProductKind::Revolving {
        let extra = round_cents((loan.limit - ead) as f64 * rules.ccf);
        ead += extra;
        tally.ledger.originated += extra;
    }
    let charge_off_month = if tables.delinquency { BUCKETS } else { 0 };
    for t in 0..charge_off_month.min(tables.horizon) {
        tally.monthly_delinquent[t] += 1;
    }
    if charge_off_month < tables.horizon {
        tally.charge_off(loan, charge_off_month, ead, rules.fraud_lgd, tables.recovery_lag);
        charge_off_month + 1
    } else {
        tally.ledger.outstanding += ead;
        tables.horizon
    }
}
