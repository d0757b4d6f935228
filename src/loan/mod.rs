//! Loan stepping: the fourth stage. One loan, month by month, through
//! repayment, prepayment, delinquency buckets, charge-off and recovery.
//!
//! Every probability the loop needs has been turned into an integer
//! threshold in [`PathTables`] once per path, and balances of current loans
//! follow closed forms ([`schedule`]) settled only when something happens, so
//! a current loan-month costs one 64-bit uniform and one compare: no
//! transcendental functions, no float arithmetic and no allocation.

pub mod schedule;

use crate::engine::streams::{LoanStream, item_rng, threshold};
use crate::population::{Cents, Loan, ProductKind, cents_to_money, round_cents};
use crate::scenario::{Scenario, UnitDistribution};
pub use schedule::{RevolvingCurve, ScheduleTemplates};

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
    /// Closed-form path of a current revolving line.
    pub revolving: RevolvingCurve,
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
    /// Cure threshold of a technical delinquency.
    pub cure: u64,
}

/// What the loop needs that is the same on every path.
#[derive(Debug, Clone)]
pub struct LoanModel {
    /// Months.
    pub horizon: usize,
    /// Installment repayment curves.
    pub schedules: ScheduleTemplates,
    /// Per-segment constants.
    pub rules: Vec<SegmentRules>,
    /// Delinquency buckets on.
    pub delinquency: bool,
    /// Months from charge-off to recovery cash.
    pub recovery_lag: usize,
}

impl LoanModel {
    /// The run-level constants of a scenario.
    pub fn new(scenario: &Scenario) -> Self {
        let horizon = scenario.horizon_months;
        LoanModel {
            horizon,
            schedules: ScheduleTemplates::new(scenario),
            rules: scenario
                .segments
                .iter()
                .map(|seg| SegmentRules {
                    prepay: threshold(seg.prepayment_monthly.get()),
                    revolving: RevolvingCurve::new(
                        seg.revolving_repay_rate.get(),
                        seg.revolving_draw_rate.get(),
                        horizon,
                    ),
                    ccf: seg.revolving_ccf.get(),
                    fraud_lgd: seg.fraud_lgd,
                })
                .collect(),
            delinquency: scenario.dynamics.delinquency,
            recovery_lag: scenario.dynamics.recovery_lag_months,
        }
    }
}

/// Everything the loop needs for one path, precomputed from its factor path.
#[derive(Debug, Clone)]
pub struct PathTables {
    /// Grade rows.
    pub grades: usize,
    /// Missed-payment threshold, `[t * grades + grade]`.
    pub entry: Vec<u64>,
    /// Threshold of any event of a current loan, `[t * grades + grade]`:
    /// missed payment, then prepayment, then (in the outage month) a failed debit.
    pub event: Vec<u64>,
    /// Bucket thresholds, `[segment * horizon + t]`.
    pub buckets: Vec<BucketThresholds>,
    /// LGD distribution, `[segment * horizon + t]`.
    pub lgd: Vec<UnitDistribution>,
    /// Outage on this path.
    pub outage: Option<OutageThresholds>,
    /// Key of this path's LGD stream.
    pub lgd_key: u64,
    /// First-event curves, when the path uses the fast path.
    pub fast: Option<FastTables>,
}

/// Fast-path tables: without delinquency buckets a current loan's only
/// events are default and prepayment, so its first event month can be drawn
/// by inverting the cumulative first-event curve with a single uniform.
///
/// # Formula
/// With `p_t` the month's default probability and `pi` the prepayment rate,
/// `e_t = min(p_t + pi, 1)`, `S_t = prod_{s<=t} (1 - e_s)`, the first event
/// is in month `t` when `F_{t-1} <= u < F_t` with `F_t = 1 - S_t`, and it is a
/// default when `u < F_{t-1} + S_{t-1} p_t`. This is exactly the law of the
/// month-by-month stepping (a default, then a prepayment, carved from each
/// month's uniform).
#[derive(Debug, Clone)]
pub struct FastTables {
    /// Months.
    pub horizon: usize,
    /// `F_t` as thresholds, `[grade * horizon + t]`.
    pub first_event: Vec<u64>,
    /// `F_{t-1} + S_{t-1} p_t` as thresholds, `[grade * horizon + t]`.
    pub default_split: Vec<u64>,
}

impl FastTables {
    /// Fills the curves of one grade from its monthly default probabilities.
    pub fn fill_grade(&mut self, grade: usize, default_probability: &[f64], prepayment: f64) {
        let row = grade * self.horizon;
        let mut survival = 1.0;
        for (t, &p) in default_probability.iter().enumerate() {
            let event = (p + prepayment).min(1.0);
            let before = 1.0 - survival;
            self.default_split[row + t] = threshold(before + survival * p);
            survival *= 1.0 - event;
            self.first_event[row + t] = threshold(1.0 - survival);
        }
    }
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

    fn record_charge_off(&mut self, loan: &Loan, t: usize, ead: Cents, lgd: f64, recovery_lag: usize) {
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

/// How a spell of delinquency ended.
enum DelinquencyEnd {
    /// Cured in month `t - 1`; the loan pays again from month `t`.
    Cured(usize),
    /// Charged off in month `t`.
    ChargedOff(usize),
    /// Still delinquent at the horizon.
    Horizon,
}

/// Steps one loan through the horizon of one path and adds what happened to `tally`.
#[inline]
pub fn simulate_loan(loan: &Loan, model: &LoanModel, tables: &PathTables, path_key: u64, tally: &mut PathTally) {
    tally.ledger.originated += loan.balance;
    let months = if loan.fraud {
        simulate_fraud(loan, model, tally)
    } else if let Some(fast) = &tables.fast {
        first_event(loan, model, tables, fast, path_key, tally)
    } else {
        step_months(loan, model, tables, path_key, tally)
    };
    tally.loan_months += months as u64;
}

/// Balance and schedule position of a loan between events.
struct Account {
    balance: Cents,
    paid: u16,
}

/// Pays `months` on-time months at once from the closed-form curves.
#[inline(always)]
fn settle(loan: &Loan, model: &LoanModel, account: &mut Account, months: usize, tally: &mut PathTally) {
    if months == 0 {
        return;
    }
    if loan.kind == ProductKind::Revolving {
        let curve = &model.rules[loan.segment as usize].revolving;
        let run = curve.run(account.balance, loan.limit, loan.rate_monthly, months);
        tally.interest += run.interest;
        tally.ledger.repaid += run.repaid;
        tally.ledger.originated += run.drawn;
        account.balance = run.balance;
    } else {
        let s = &model.schedules;
        let paid = account.paid + months as u16;
        let balance = s.balance_after(loan.schedule, loan.balance, paid);
        tally.interest += s.interest_through(loan.schedule, loan.balance, paid)
            - s.interest_through(loan.schedule, loan.balance, account.paid);
        tally.ledger.repaid += account.balance - balance;
        account.balance = balance;
        account.paid = paid;
    }
}

/// The monthly state machine; returns the number of months stepped.
#[inline(always)]
fn step_months(loan: &Loan, model: &LoanModel, tables: &PathTables, path_key: u64, tally: &mut PathTally) -> usize {
    let horizon = model.horizon;
    let grades = tables.grades;
    let row = loan.grade as usize;
    let revolving = loan.kind == ProductKind::Revolving;
    let mut rng = LoanStream::new(path_key, loan.id as u64);
    let mut account = Account {
        balance: loan.balance,
        paid: 0,
    };
    let mut t = 0;
    while t < horizon {
        // Current: one draw a month until something happens or the loan matures.
        let run_start = t;
        let run_end = if revolving {
            horizon
        } else {
            horizon.min(t + (loan.term_months - account.paid) as usize)
        };
        let mut event = None;
        while t < run_end {
            let u = rng.next_u64();
            if u < tables.event[t * grades + row] {
                event = Some(u);
                break;
            }
            t += 1;
        }
        settle(loan, model, &mut account, t - run_start, tally);
        let Some(u) = event else {
            if !revolving && account.paid == loan.term_months {
                return t;
            }
            break;
        };
        let miss = tables.entry[t * grades + row];
        let end = if u < miss {
            if revolving {
                let extra = round_cents((loan.limit - account.balance) as f64 * model.rules[loan.segment as usize].ccf);
                account.balance += extra;
                tally.ledger.originated += extra;
            }
            if !model.delinquency {
                charge_off(loan, model, tables, t, account.balance, tally);
                return t + 1;
            }
            tally.monthly_delinquent[t] += 1;
            delinquency(loan, tables, horizon, t + 1, &mut rng, tally)
        } else if u < miss.saturating_add(model.rules[loan.segment as usize].prepay) {
            tally.ledger.prepaid += account.balance;
            return t + 1;
        } else {
            // A failed automatic debit in the outage month: most cure the next month.
            tally.monthly_delinquent[t] += 1;
            t += 1;
            if t == horizon {
                break;
            }
            let cure = tables.outage.map_or(0, |o| o.cure);
            if rng.next_u64() < cure {
                DelinquencyEnd::Cured(t + 1)
            } else {
                tally.monthly_delinquent[t] += 1;
                delinquency(loan, tables, horizon, t + 1, &mut rng, tally)
            }
        };
        match end {
            DelinquencyEnd::Cured(next) => t = next,
            DelinquencyEnd::ChargedOff(month) => {
                charge_off(loan, model, tables, month, account.balance, tally);
                return month + 1;
            }
            DelinquencyEnd::Horizon => break,
        }
    }
    tally.ledger.outstanding += account.balance;
    horizon
}

/// The fast path: one uniform decides the month and kind of the loan's first
/// event (see [`FastTables`]); returns the months stepped.
#[inline(always)]
fn first_event(
    loan: &Loan,
    model: &LoanModel,
    tables: &PathTables,
    fast: &FastTables,
    path_key: u64,
    tally: &mut PathTally,
) -> usize {
    let horizon = model.horizon;
    let revolving = loan.kind == ProductKind::Revolving;
    let last = if revolving { horizon } else { horizon.min(loan.term_months as usize) };
    let row = loan.grade as usize * fast.horizon;
    let u = LoanStream::new(path_key, loan.id as u64).next_u64();
    let t = fast.first_event[row..row + last].partition_point(|&f| f <= u);
    let mut account = Account { balance: loan.balance, paid: 0 };
    settle(loan, model, &mut account, t, tally);
    if t == last {
        if !revolving && account.paid == loan.term_months {
            return t;
        }
        tally.ledger.outstanding += account.balance;
        return horizon;
    }
    if u < fast.default_split[row + t] {
        if revolving {
            let extra = round_cents((loan.limit - account.balance) as f64 * model.rules[loan.segment as usize].ccf);
            account.balance += extra;
            tally.ledger.originated += extra;
        }
        charge_off(loan, model, tables, t, account.balance, tally);
    } else {
        tally.ledger.prepaid += account.balance;
    }
    t + 1
}

/// A loan 30 days past due at the end of month `start - 1` rolls, cures or
/// stays each month from `start`.
#[inline(always)]
fn delinquency(
    loan: &Loan,
    tables: &PathTables,
    horizon: usize,
    start: usize,
    rng: &mut LoanStream,
    tally: &mut PathTally,
) -> DelinquencyEnd {
    let mut bucket = 0;
    for t in start..horizon {
        let u = rng.next_u64();
        let th = &tables.buckets[loan.segment as usize * horizon + t];
        if u < th.roll[bucket] {
            if bucket + 1 == BUCKETS {
                return DelinquencyEnd::ChargedOff(t);
            }
            bucket += 1;
        } else if u < th.roll_or_cure[bucket] {
            return DelinquencyEnd::Cured(t + 1);
        }
        tally.monthly_delinquent[t] += 1;
    }
    DelinquencyEnd::Horizon
}

/// Draws the LGD of a charge-off from the loan's own LGD stream.
fn charge_off(loan: &Loan, model: &LoanModel, tables: &PathTables, t: usize, ead: Cents, tally: &mut PathTally) {
    let dist = &tables.lgd[loan.segment as usize * model.horizon + t];
    let lgd = match dist {
        UnitDistribution::Fixed(v) => *v,
        beta => beta.sample(&mut item_rng(tables.lgd_key, loan.id as u64)),
    };
    tally.record_charge_off(loan, t, ead, lgd, model.recovery_lag);
}

/// A fraudulent loan never pays: it misses the first payment and rolls
/// straight through the buckets to charge-off (month 1 without buckets).
/// Returns the months stepped.
fn simulate_fraud(loan: &Loan, model: &LoanModel, tally: &mut PathTally) -> usize {
    let rules = &model.rules[loan.segment as usize];
    let mut ead = loan.balance;
    if loan.kind == ProductKind::Revolving {
        let extra = round_cents((loan.limit - ead) as f64 * rules.ccf);
        ead += extra;
        tally.ledger.originated += extra;
    }
    let charge_off_month = if model.delinquency { BUCKETS } else { 0 };
    for t in 0..charge_off_month.min(model.horizon) {
        tally.monthly_delinquent[t] += 1;
    }
    if charge_off_month < model.horizon {
        tally.record_charge_off(loan, charge_off_month, ead, rules.fraud_lgd, model.recovery_lag);
        charge_off_month + 1
    } else {
        tally.ledger.outstanding += ead;
        model.horizon
    }
}
