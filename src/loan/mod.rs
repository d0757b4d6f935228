//! Loan stepping: the fourth stage. One loan, month by month, through
//! repayment, prepayment, delinquency buckets, charge-off and recovery.
//!
//! Every probability the loop needs has been turned into an integer
//! threshold in [`PathTables`] once per path, balances of current loans
//! follow closed forms ([`schedule`]) settled only when something happens,
//! and a spell of current months is drawn by inverting its survival curve
//! ([`spell`]), so a loan that stays current costs one 64-bit uniform and one
//! compare whatever its term: no transcendental functions and no allocation.

mod fast;
pub mod flow;
pub mod ledger;
pub mod schedule;
pub mod spell;
mod stepping;
pub mod tape;

use crate::engine::streams::threshold;
use crate::population::{Cents, Loan, cents_to_money};
use crate::scenario::{Scenario, UnitDistribution};
use crate::stats::normal::{norm_cdf, norm_inv};
pub use fast::{EventCurve, FastBook, FastTables};
pub use flow::BookFlow;
pub use ledger::MonthlyLedger;
pub use schedule::{RevolvingCurve, ScheduleTemplates};
pub use stepping::simulate_loan;

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
    /// The same line frozen by early warning or a plan: repayments, no draws.
    pub frozen: RevolvingCurve,
    /// Drawdown share of the undrawn limit at the first missed payment.
    pub ccf: f64,
    /// LGD of fraudulent loans.
    pub fraud_lgd: f64,
    /// Largest limit a raise may reach: the segment's cap within the policy's.
    pub limit_cap: Cents,
}

/// The outage of this path, if it happens.
#[derive(Debug, Clone, Copy)]
pub struct OutageThresholds {
    /// Month (0-based).
    pub month: usize,
    /// Cure threshold of a technical delinquency.
    pub cure: u64,
    /// Failed-debit share threshold (added after miss and prepayment).
    pub share: u64,
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
    /// How recoveries arrive and are valued.
    pub recovery: RecoveryRules,
    /// Bucket from which a revolving line is suspended for good (`None`: never).
    pub suspend_from_bucket: Option<usize>,
    /// A retried debit after an outage keeps that month's miss hazard.
    pub outage_hazard_continues: bool,
    /// Policy levers that act on individual loans.
    pub policy: LoanPolicy,
    /// Fixed LGD of each imported loan by book row (empty when no row has one;
    /// rows without one hold 0 and are never read).
    pub fixed_lgd: Vec<f64>,
    /// Late fee per missed payment, in cents (0 without `[economics]`).
    pub late_fee: Cents,
}

/// Recoveries after a charge-off.
#[derive(Debug, Clone)]
pub struct RecoveryRules {
    /// `(months after the charge-off, share of the recovered amount)`.
    pub schedule: Vec<(usize, f64)>,
    /// Monthly discount rate; `None`: the loan's own monthly rate.
    pub discount_monthly: Option<f64>,
    /// Cost as a share of the cash recovered within the horizon.
    pub cost_share: f64,
    /// Sensitivity of each recovery to the factor when it arrives (0: none;
    /// the factors are then in [`PathTables::recovery_factor`]).
    pub macro_sensitivity: f64,
}

/// The loan-level part of a policy, as the loop uses it.
#[derive(Debug, Clone, Default)]
pub struct LoanPolicy {
    /// Share of the undrawn limit early warning removes (`None`: no early
    /// warning; 1 for a freeze, which also stops all later draws).
    pub cut_share: Option<f64>,
    /// Early warning acts on a borrower's own line at a missed payment.
    pub borrower_trigger: bool,
    /// Forbearance plans.
    pub forbearance: Option<PlanRules>,
    /// Multiplier of drawn LGDs from the collection strategy (capped at 1).
    pub lgd_multiplier: f64,
    /// Penalty interest per delinquent month.
    pub penalty_rate: f64,
    /// Months an early-warning cut raises the borrower's miss probability
    /// (0: no liquidity shock; the raised thresholds are in [`PathTables::shocked_event`]).
    pub shock_months: usize,
    /// Limit increases of lines that stay current (`None` also when their probability is 0).
    pub limit_increase: Option<IncreaseRules>,
}

/// Limit increases as the loop uses them.
#[derive(Debug, Clone, Copy)]
pub struct IncreaseRules {
    /// Months current in a row before a review.
    pub after_months: usize,
    /// Threshold of a raise at a review.
    pub raise: u64,
    /// Limit multiplier of a raise.
    pub factor: f64,
    /// Raises per line at most.
    pub max: u32,
}

/// Forbearance as thresholds.
#[derive(Debug, Clone, Copy)]
pub struct PlanRules {
    /// Take-up threshold.
    pub take_up: u64,
    /// Months added to the remaining term.
    pub term_extension: u32,
    /// Share of penalty interest still charged (1 - waiver).
    pub penalty_factor: f64,
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
                    frozen: RevolvingCurve::new(seg.revolving_repay_rate.get(), 0.0, horizon),
                    ccf: seg.revolving_ccf.get(),
                    fraud_lgd: seg.fraud_lgd,
                    limit_cap: crate::population::to_cents(
                        scenario
                            .policy
                            .limit_cap
                            .map_or(seg.limit.cap, |c| c.min(seg.limit.cap)),
                    ),
                })
                .collect(),
            delinquency: scenario.dynamics.delinquency,
            recovery: RecoveryRules {
                schedule: scenario.dynamics.recovery_schedule.clone(),
                discount_monthly: scenario
                    .dynamics
                    .recovery_discount_rate_annual
                    .map(|r| (1.0 + r).powf(1.0 / 12.0) - 1.0),
                cost_share: scenario.dynamics.recovery_cost_share,
                macro_sensitivity: scenario.dynamics.recovery_macro_sensitivity,
            },
            suspend_from_bucket: scenario.dynamics.suspend_line_from_bucket,
            outage_hazard_continues: scenario.outage.is_some_and(|o| o.hazard_continues),
            policy: LoanPolicy::new(scenario),
            fixed_lgd: if scenario.book.iter().any(|l| l.lgd.is_some()) {
                scenario.book.iter().map(|l| l.lgd.unwrap_or(0.0)).collect()
            } else {
                Vec::new()
            },
            late_fee: scenario
                .file
                .economics
                .as_ref()
                .map_or(0, |e| crate::population::to_cents(e.late_fee)),
        }
    }
}

impl LoanPolicy {
    /// The loan-level levers of a scenario's policy.
    pub fn new(scenario: &Scenario) -> Self {
        let p = &scenario.policy;
        LoanPolicy {
            cut_share: p.early_warning.as_ref().map(|e| e.cut_share),
            borrower_trigger: p.early_warning.as_ref().is_some_and(|e| e.borrower_delinquent),
            forbearance: p.forbearance.as_ref().map(|f| PlanRules {
                take_up: threshold(f.take_up.get()),
                term_extension: f.term_extension_months,
                penalty_factor: 1.0 - f.penalty_waiver.get(),
            }),
            lgd_multiplier: p.collections.map_or(1.0, |c| c.lgd_multiplier),
            penalty_rate: scenario.dynamics.penalty_rate_monthly,
            shock_months: p
                .early_warning
                .as_ref()
                .filter(|e| e.has_liquidity_shock())
                .map_or(0, |e| e.shock_months as usize),
            limit_increase: p
                .limit_increase
                .filter(|li| li.probability.get() > 0.0)
                .map(|li| IncreaseRules {
                    after_months: li.after_months as usize,
                    raise: threshold(li.probability.get()),
                    factor: 1.0 + li.increase_share,
                    max: li.max_increases,
                }),
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
    /// Bucket thresholds, `[row * horizon + t]`, the row from `bucket_rows`.
    pub buckets: Vec<BucketThresholds>,
    /// Bucket-threshold row of each segment's `[revolving, installment]`
    /// loans (the same row unless the products move differently).
    pub bucket_rows: Vec<[usize; 2]>,
    /// LGD distribution, `[segment * horizon + t]`.
    pub lgd: Vec<UnitDistribution>,
    /// Outage on this path.
    pub outage: Option<OutageThresholds>,
    /// First-event curves, when the path uses the fast path.
    pub fast: Option<FastTables>,
    /// First month early warning cuts each segment's lines (`horizon`: never).
    pub limit_cut_month: Vec<usize>,
    /// Whether forbearance is offered, `[segment * horizon + t]` (empty without forbearance).
    pub plan_offered: Vec<bool>,
    /// Bucket thresholds of plan borrowers (boosted cures), laid out as `buckets`.
    pub plan_buckets: Vec<BucketThresholds>,
    /// Missed-payment threshold of a borrower in a liquidity shock (line cut
    /// by early warning), `[t * grades + grade]` (empty without the shock).
    pub shocked_entry: Vec<u64>,
    /// The matching any-event threshold, as `event`.
    pub shocked_event: Vec<u64>,
    /// Monthly re-default threshold of a plan borrower, `[segment * horizon + t]`
    /// (empty without forbearance).
    pub plan_redefault: Vec<u64>,
    /// Whether a fraud attack runs in each month (empty without fraud waves).
    pub attack: Vec<bool>,
    /// Each segment's factor, `[segment * horizon + t]`, for recoveries that
    /// move with the economy (empty when they do not).
    pub recovery_factor: Vec<f64>,
    /// Threshold of the share of multi-platform borrowers per segment (empty without contagion).
    pub multi_platform_share: Vec<u64>,
    /// Missed-payment threshold of a multi-platform borrower, `[t * grades +
    /// grade]`: raised while the industry tightens (empty without contagion).
    pub contagion_entry: Vec<u64>,
    /// The matching any-event threshold, as `event`.
    pub contagion_event: Vec<u64>,
    /// Prepayment threshold per `[segment * horizon + t]` when a reputational
    /// shock moves it (empty otherwise: the segment's constant applies).
    pub prepay: Vec<u64>,
    /// The rate caps of this path: `(first month, monthly cap)`, by month.
    pub rate_caps: Vec<(usize, f64)>,
    /// Survival curves of current spells, from the any-event thresholds
    /// (empty on the fast path, which has curves of its own).
    pub spells: spell::SpellCurves,
}

impl PathTables {
    /// The prepayment threshold of segment `segment` in month `t`.
    #[inline(always)]
    pub fn prepay_at(&self, rules: &SegmentRules, segment: usize, horizon: usize, t: usize) -> u64 {
        if self.prepay.is_empty() {
            rules.prepay
        } else {
            self.prepay[segment * horizon + t]
        }
    }
}

/// Keys of a loan's random streams on one path: the opening book's come
/// from the path alone, a loan booked during the run has keys of its
/// segment and origination month (its id is its index among that month's
/// applicants), so no two loans of a path share a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoanKeys {
    /// One uniform per loan-month: missed payment, prepayment, roll, cure.
    pub events: u64,
    /// LGD draws at charge-off.
    pub lgd: u64,
    /// Policy draws (forbearance take-up).
    pub policy: u64,
    /// Borrower attributes drawn at stepping time (debt on other platforms);
    /// not keyed by the path unless the population is redrawn per path.
    pub borrower: u64,
}

/// Key of a loan's limit-review stream, derived from its policy key.
#[inline(always)]
pub(crate) fn review_key(keys: &LoanKeys) -> u64 {
    crate::engine::streams::mix64(keys.policy ^ 0x6c69_6d69_7452_6576)
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

/// Books recovery cash of month `t` on the tape: on the charge-off row in
/// its own month, else on the loan's recovery row of that month.
#[cold]
fn tape_recovery(tape: &mut tape::LoanTape, loan: u32, t: usize, cash: f64) {
    match tape.rows.last_mut() {
        Some(row) if row.loan == loan && row.month == t as u32 + 1 => row.recovery += cash,
        _ => {
            let mut row = tape::TapeRow::state(loan, t, tape::TapeState::Recovery, 0);
            row.recovery = cash;
            tape.rows.push(row);
        }
    }
}

/// How the path's delinquent accounts moved, month by month, summed over
/// the horizon: the flows of a roll-rate table. Bucket `b` is `30 (b + 1)`
/// days past due; a move out of the last bucket is a charge-off.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RollCounts {
    /// Current accounts that missed a payment and became 30 days past due
    /// (failed automatic debits and fraud included; not those that took a
    /// forbearance plan at the missed payment, nor those charged off at once
    /// without buckets).
    pub entered: u64,
    /// Account-months that began in bucket `b` and ended current (cured).
    pub cured: [u64; BUCKETS],
    /// Account-months that began and ended in bucket `b`.
    pub stayed: [u64; BUCKETS],
    /// Account-months that began in bucket `b` and ended in `b + 1` (charged
    /// off from the last bucket).
    pub rolled: [u64; BUCKETS],
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
    /// Recovery cash of this path's charge-offs due after the horizon
    /// (netted in `loss`, never received as cash within the run).
    pub recoveries_after_horizon: f64,
    /// Economic loss: `sum (EAD - PV(recoveries))`, the recoveries discounted
    /// to the charge-off month (the workout-LGD convention); at least `loss`.
    pub economic_loss: f64,
    /// Cost of the recoveries received within the horizon.
    pub recovery_cost: f64,
    /// Loss of fraudulent loans (booked fraud and account takeovers), part of `loss`.
    pub fraud_loss: f64,
    /// Accounts taken over in fraud waves.
    pub takeovers: u64,
    /// Loss per segment.
    pub segment_loss: Vec<f64>,
    /// Charge-offs per segment.
    pub segment_defaults: Vec<u64>,
    /// Charge-offs per score band.
    pub band_defaults: Vec<u64>,
    /// Loss per score band.
    pub band_loss: Vec<f64>,
    /// Loss per product: `[revolving, installment]`.
    pub product_loss: [f64; 2],
    /// Charge-offs per segment and score band, `[segment * bands + band]`.
    pub cell_defaults: Vec<u64>,
    /// Charge-offs per segment and month, `[segment * horizon + t]`.
    pub segment_monthly_defaults: Vec<u32>,
    /// Loss booked per segment and month, `[segment * horizon + t]`.
    pub segment_monthly_loss: Vec<f64>,
    /// Moves between the delinquency buckets (all zero without them).
    pub rolls: RollCounts,
    /// Charge-offs per month.
    pub monthly_defaults: Vec<u32>,
    /// Loans 30+ days past due at the end of each month.
    pub monthly_delinquent: Vec<u32>,
    /// Loss booked per month.
    pub monthly_loss: Vec<f64>,
    /// Loan-months actually stepped (a loan stops at maturity, prepayment or charge-off).
    pub loan_months: u64,
    /// Undrawn limit removed by early warning.
    pub limit_cut: Cents,
    /// Limit added by limit increases.
    pub limit_raised: Cents,
    /// Forbearance plans taken up.
    pub plans: u64,
    /// Penalty interest collected (part of `interest`).
    pub penalty_interest: Cents,
    /// Collection cost, currency units.
    pub collection_cost: f64,
    /// Accounting identity.
    pub ledger: Ledger,
    /// Start month of each path-level event in the order of
    /// `Scenario::event_names` (0: did not happen; else 1-based).
    pub event_months: Vec<u32>,
    /// The loan-level tape of the path, when one is recorded (`None` in runs).
    pub tape: Option<Box<tape::LoanTape>>,
    /// Bookings, the book at each month end and vintages, when loans are
    /// originated during the run (`None` for a run-off book).
    pub flow: Option<Box<flow::BookFlow>>,
    /// Interest, fees, balances, accounts and losses per segment and month,
    /// when the scenario has `[economics]` (`None` otherwise).
    pub monthly: Option<Box<ledger::MonthlyLedger>>,
    /// Whether the stepping records months (a tape or a flow is kept): one
    /// flag for the hot loop to test instead of two options.
    pub(crate) records: bool,
    /// Set by the loan being stepped when it repays at maturity: the month
    /// after its last payment. Taken (left `None`) by [`simulate_loan`].
    pub(crate) matured_at: Option<usize>,
}

impl PathTally {
    /// An empty tally.
    pub fn new(segments: usize, bands: usize, horizon: usize) -> Self {
        Self {
            loss: 0.0,
            defaults: 0,
            interest: 0,
            recoveries: 0.0,
            recoveries_after_horizon: 0.0,
            economic_loss: 0.0,
            recovery_cost: 0.0,
            fraud_loss: 0.0,
            takeovers: 0,
            segment_loss: vec![0.0; segments],
            segment_defaults: vec![0; segments],
            band_defaults: vec![0; bands],
            band_loss: vec![0.0; bands],
            product_loss: [0.0; 2],
            cell_defaults: vec![0; segments * bands],
            segment_monthly_defaults: vec![0; segments * horizon],
            segment_monthly_loss: vec![0.0; segments * horizon],
            rolls: RollCounts::default(),
            monthly_defaults: vec![0; horizon],
            monthly_delinquent: vec![0; horizon],
            monthly_loss: vec![0.0; horizon],
            loan_months: 0,
            limit_cut: 0,
            limit_raised: 0,
            plans: 0,
            penalty_interest: 0,
            collection_cost: 0.0,
            ledger: Ledger::default(),
            event_months: Vec::new(),
            tape: None,
            flow: None,
            monthly: None,
            records: false,
            matured_at: None,
        }
    }

    /// Keeps the loan-level tape of the path.
    pub fn record_tape(&mut self) {
        self.tape = Some(Box::default());
        self.records = true;
    }

    /// Keeps the book flow of a going-concern path.
    pub fn record_flow(&mut self, flow: flow::BookFlow) {
        self.flow = Some(Box::new(flow));
        self.records = true;
    }

    /// Keeps the monthly ledger of the P&L.
    pub fn record_monthly(&mut self, ledger: ledger::MonthlyLedger) {
        self.monthly = Some(Box::new(ledger));
        self.records = true;
    }

    /// Books `loan` in month `start` in the book flow and the monthly ledger
    /// (those kept); `during_run`: an origination or renewal, not the opening book.
    pub(crate) fn book(&mut self, start: usize, loan: &Loan, during_run: bool) {
        if let Some(flow) = self.flow.as_deref_mut() {
            flow.book(start, loan);
        }
        if let Some(monthly) = self.monthly.as_deref_mut() {
            monthly.book(start, loan, during_run);
        }
    }

    /// Whether anything is recorded month by month (a tape, a book flow or a monthly ledger).
    #[inline(always)]
    pub(crate) fn records_months(&self) -> bool {
        self.records
    }

    /// Records a loan-month: on the tape, and in the book at month end.
    #[cold]
    pub(crate) fn record_row(&mut self, row: tape::TapeRow) {
        if let Some(flow) = self.flow.as_deref_mut() {
            flow.month_end(row.month as usize - 1, row.state, row.balance);
        }
        if let Some(monthly) = self.monthly.as_deref_mut() {
            monthly.month_row(&row);
        }
        if let Some(tape) = self.tape.as_deref_mut() {
            tape.rows.push(row);
        }
    }

    /// Net income: interest minus credit loss minus collection cost minus recovery cost.
    pub fn net_income(&self) -> f64 {
        cents_to_money(self.interest) - self.loss - self.collection_cost - self.recovery_cost
    }

    /// Delinquent account-months (the base of collection cost).
    pub fn delinquent_account_months(&self) -> u64 {
        self.monthly_delinquent.iter().map(|&n| n as u64).sum()
    }

    /// Books a charge-off in month `t`: the recovered `EAD (1 - LGD)` spread
    /// by the schedule, within the horizon or after it, and the loss
    /// `EAD x LGD`. With recoveries that move with the economy (`factor`, the
    /// segment's factor by month, non-empty), the cash of lag `l` is
    /// `EAD share_l Phi(Phi^-1(1 - LGD) + k Z_{t+l})` (Z = 0 after the
    /// horizon) and the loss is EAD less all of it.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub(crate) fn record_charge_off(
        &mut self,
        loan: &Loan,
        t: usize,
        ead: Cents,
        lgd: f64,
        recovery: &RecoveryRules,
        fraud: bool,
        factor: &[f64],
    ) {
        self.record_charge_offs(loan, t, ead, lgd, recovery, fraud, factor, 1);
    }

    /// [`PathTally::record_charge_off`] of `count` loans identical to `loan`
    /// (a pool's defaults, see [`FastBook`]): every figure is one loan's
    /// times `count`, so one loan books bitwise what it always did.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn record_charge_offs(
        &mut self,
        loan: &Loan,
        t: usize,
        ead: Cents,
        lgd: f64,
        recovery: &RecoveryRules,
        fraud: bool,
        factor: &[f64],
        count: u32,
    ) {
        debug_assert!(
            count == 1 || (!self.records_months() && self.monthly.is_none()),
            "loan-level records take one loan at a time"
        );
        let times = count as f64;
        let ead_money = cents_to_money(ead);
        let nominal_loss = ead_money * lgd;
        let recovered = ead_money - nominal_loss;
        let rate = recovery.discount_monthly.unwrap_or(loan.rate_monthly);
        if self.records_months() {
            let mut row = tape::TapeRow::state(loan.id, t, tape::TapeState::ChargedOff, 0);
            row.charge_off = ead;
            self.record_row(row);
        }
        let (mut cash_total, mut present_value, mut after_horizon) = (0.0, 0.0, 0.0);
        for &(lag, share) in &recovery.schedule {
            let cash = if factor.is_empty() {
                recovered * share
            } else {
                let z = factor.get(t + lag).copied().unwrap_or(0.0);
                ead_money * share * norm_cdf(norm_inv(1.0 - lgd) + recovery.macro_sensitivity * z)
            };
            cash_total += cash;
            if t + lag < self.monthly_loss.len() {
                self.recoveries += cash * times;
                self.recovery_cost += cash * recovery.cost_share * times;
                if let Some(monthly) = self.monthly.as_deref_mut() {
                    monthly.recovery(t + lag, cash, cash * recovery.cost_share);
                }
                if let Some(tape) = self.tape.as_deref_mut() {
                    tape_recovery(tape, loan.id, t + lag, cash);
                }
            } else {
                self.recoveries_after_horizon += cash * times;
                after_horizon += cash;
            }
            present_value += cash / (1.0 + rate).powi(lag as i32);
        }
        let loss = if factor.is_empty() {
            nominal_loss
        } else {
            ead_money - cash_total
        };
        let all = loss * times;
        self.loss += all;
        if fraud {
            self.fraud_loss += all;
        }
        self.defaults += count as u64;
        self.segment_loss[loan.segment as usize] += all;
        self.segment_defaults[loan.segment as usize] += count as u64;
        self.band_defaults[loan.band as usize] += count as u64;
        self.band_loss[loan.band as usize] += all;
        self.product_loss[usize::from(loan.kind != crate::population::ProductKind::Revolving)] += all;
        self.monthly_defaults[t] += count;
        self.monthly_loss[t] += all;
        let bands = self.band_defaults.len();
        self.cell_defaults[loan.segment as usize * bands + loan.band as usize] += count as u64;
        let cell = loan.segment as usize * self.monthly_loss.len() + t;
        self.segment_monthly_defaults[cell] += count;
        self.segment_monthly_loss[cell] += all;
        if let Some(flow) = self.flow.as_deref_mut() {
            flow.charge_off(t, loss);
        }
        let economic = ead_money - present_value;
        if let Some(monthly) = self.monthly.as_deref_mut() {
            monthly.charge_off(t, loss);
            monthly.charge_off_detail(t, ead, loss, fraud, economic, after_horizon);
        }
        self.ledger.charged_off += ead * count as Cents;
        self.economic_loss += economic * times;
    }
}
