//! Monthly stepping of one loan: current spells settled in closed form,
//! delinquency bucket by bucket, and the policy levers that act on a loan
//! (early-warning limit cuts, forbearance plans, collections, penalty interest).

use super::fast::first_event;
use super::spell::{Residual, SpellKind};
use super::tape::{TapeRow, TapeState};
use super::{BUCKETS, BucketThresholds, LoanKeys, LoanModel, PathTables, PathTally};
use crate::engine::streams::{LoanStream, item_rng};
use crate::population::{Cents, Loan, ProductKind, round_cents};
use crate::scenario::UnitDistribution;

/// How a spell of delinquency ended.
enum DelinquencyEnd {
    /// Cured in month `t - 1`; the loan pays again from month `t`.
    Cured(usize),
    /// Charged off in month `t`.
    ChargedOff(usize),
    /// Still delinquent at the horizon.
    Horizon,
}

/// Steps one loan, on the book from month `start` (0-based; 0 for the
/// opening book), through the horizon of one path and adds what happened to
/// `tally`. Returns the month after its last payment when it repaid at
/// maturity within the horizon (the month a renewal would start), else `None`.
// Always inlined: in the engine's loop over the book the tally stays in registers (a call per loan cost ~6%).
#[inline(always)]
pub fn simulate_loan(
    loan: &Loan,
    start: usize,
    model: &LoanModel,
    tables: &PathTables,
    keys: &LoanKeys,
    tally: &mut PathTally,
) -> Option<usize> {
    tally.ledger.originated += loan.balance;
    if let Some(flow) = tally.flow.as_deref_mut() {
        flow.begin_loan(start);
    }
    if let Some(monthly) = tally.monthly.as_deref_mut() {
        monthly.begin_loan(loan, start);
    }
    let months = if loan.fraud {
        simulate_fraud(loan, start, model, tables, tally)
    } else if let Some(fast) = &tables.fast {
        debug_assert_eq!(start, 0, "the fast path steps the opening book only");
        first_event(loan, model, tables, fast, keys, tally)
    } else {
        step_months(loan, start, model, tables, keys, tally)
    };
    tally.loan_months += (months - start) as u64;
    tally.matured_at.take()
}

/// A loan's balance, repayment curve and line between events. A forbearance
/// plan replaces the curve (new principal, term and schedule).
pub(super) struct Account {
    pub(super) balance: Cents,
    /// Payments made on the current curve.
    pub(super) paid: u16,
    /// Principal of the current curve.
    principal: Cents,
    /// Offset of the current curve.
    schedule: u32,
    /// Term of the current curve.
    pub(super) term: u16,
    /// Credit limit (revolving lines; early warning may cut it).
    pub(super) limit: Cents,
    /// Early warning has acted on this line.
    cut_done: bool,
    /// The line is frozen: no draws at all, not even of repaid room.
    frozen: bool,
    /// The borrower is in a forbearance plan.
    in_plan: bool,
    /// First month after the liquidity shock of an early-warning cut (0: none).
    shock_until: usize,
    /// Month of the line's next limit review (`usize::MAX`: none).
    review_at: usize,
    /// Monthly interest rate (the loan's, until a rate cap reprices it).
    rate: f64,
    /// Limit raises so far.
    raises: u32,
}

impl Account {
    pub(super) fn open(loan: &Loan) -> Self {
        Account {
            balance: loan.balance,
            paid: 0,
            principal: loan.balance,
            schedule: loan.schedule,
            term: loan.term_months,
            limit: loan.limit,
            cut_done: false,
            frozen: false,
            in_plan: false,
            shock_until: 0,
            review_at: usize::MAX,
            raises: 0,
            rate: loan.rate_monthly,
        }
    }

    /// Whether an installment loan has made every payment of its curve (a
    /// revolving line never has: it has no term).
    #[inline(always)]
    pub(super) fn repaid_in_full(&self, loan: &Loan) -> bool {
        loan.kind != ProductKind::Revolving && self.paid == self.term
    }

    /// A rate cap of `cap` a month from month `t`: a loan priced above it is
    /// repriced to it, an installment loan's remaining balance re-amortised
    /// over its remaining term at the capped rate (so the payment falls).
    fn reprice(&mut self, loan: &Loan, model: &LoanModel, cap: f64) {
        if self.rate <= cap {
            return;
        }
        self.rate = cap;
        if loan.kind != ProductKind::Revolving && self.paid < self.term {
            let remaining = (self.term - self.paid) as u32;
            self.principal = self.balance;
            self.paid = 0;
            self.term = remaining as u16;
            self.schedule = model.schedules.offset(loan.kind, cap, remaining);
        }
    }

    /// Schedules the next limit review `after` months from month `t`, if
    /// the line may still be raised (never once early warning or a plan has acted).
    fn schedule_review(&mut self, rules: Option<super::IncreaseRules>, revolving: bool, t: usize) {
        self.review_at = match rules {
            Some(r) if revolving && !self.cut_done && !self.frozen && self.raises < r.max => t + r.after_months,
            _ => usize::MAX,
        };
    }

    /// A review in month `t` of a line current since the last one: a raise
    /// with the rule's probability (one draw from the loan's own review stream).
    fn review(
        &mut self,
        rules: super::IncreaseRules,
        cap: Cents,
        rng: &mut LoanStream,
        t: usize,
        tally: &mut PathTally,
    ) {
        if rng.next_u64() < rules.raise {
            let raised = round_cents(self.limit as f64 * rules.factor).min(cap.max(self.limit));
            tally.limit_raised += raised - self.limit;
            self.limit = raised;
            self.raises += 1;
            self.line_changed(tally);
        }
        self.schedule_review(Some(rules), true, t);
    }

    /// The closed-form path a current line follows: frozen lines repay and never draw.
    #[inline(always)]
    fn revolving_curve<'m>(&self, loan: &Loan, model: &'m LoanModel) -> &'m super::RevolvingCurve {
        let rules = &model.rules[loan.segment as usize];
        if self.frozen { &rules.frozen } else { &rules.revolving }
    }

    /// Removes `share` of the undrawn limit (once per line); a share of 1
    /// freezes the line.
    fn cut_limit(&mut self, share: f64, tally: &mut PathTally) {
        let undrawn = self.limit - self.balance;
        let removed = round_cents(undrawn.max(0) as f64 * share).min(undrawn.max(0));
        self.limit -= removed;
        tally.limit_cut += removed;
        self.cut_done = true;
        self.frozen |= share >= 1.0;
        self.line_changed(tally);
    }

    /// Tells the monthly ledger (its capital's EAD) the line's new limit, or that it is frozen.
    #[inline]
    fn line_changed(&self, tally: &mut PathTally) {
        if let Some(monthly) = tally.monthly.as_deref_mut() {
            monthly.set_line(self.limit, self.frozen);
        }
    }

    /// An early-warning cut in month `t`: the line is cut and, with a
    /// liquidity shock, the borrower misses more often for `shock_months`.
    fn early_warning_cut(&mut self, share: f64, t: usize, shock_months: usize, tally: &mut PathTally) {
        self.cut_limit(share, tally);
        if shock_months > 0 {
            self.shock_until = t + shock_months;
        }
    }
}

/// Pays `months` on-time months from month `first` at once from the closed-form curves.
#[inline(always)]
pub(super) fn settle(
    loan: &Loan,
    model: &LoanModel,
    account: &mut Account,
    first: usize,
    months: usize,
    tally: &mut PathTally,
) {
    if months == 0 {
        return;
    }
    if tally.records_months() {
        record_current_months(loan, model, account, first, months, tally);
    }
    let settled = settlement(loan, model, account, months);
    tally.interest += settled.interest;
    tally.ledger.repaid += settled.repaid;
    tally.ledger.originated += settled.drawn;
}

/// The cash of `months` on-time months of a current loan, from the closed-form curves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Settled {
    /// Interest paid.
    pub(super) interest: Cents,
    /// Principal repaid.
    pub(super) repaid: Cents,
    /// Drawn on a revolving line.
    pub(super) drawn: Cents,
}

/// Moves `account` through `months` on-time months and returns their cash
/// (what [`settle`] books; pure, so the fast path can also value a loan that has no event).
#[inline(always)]
pub(super) fn settlement(loan: &Loan, model: &LoanModel, account: &mut Account, months: usize) -> Settled {
    if loan.kind == ProductKind::Revolving {
        let curve = account.revolving_curve(loan, model);
        let run = curve.run(account.balance, account.limit, account.rate, months);
        account.balance = run.balance;
        Settled {
            interest: run.interest,
            repaid: run.repaid,
            drawn: run.drawn,
        }
    } else {
        let s = &model.schedules;
        let paid = account.paid + months as u16;
        let balance = s.balance_after(account.schedule, account.principal, paid);
        let settled = Settled {
            interest: s.interest_through(account.schedule, account.principal, paid)
                - s.interest_through(account.schedule, account.principal, account.paid),
            repaid: account.balance - balance,
            drawn: 0,
        };
        account.balance = balance;
        account.paid = paid;
        settled
    }
}

/// The month rows of `months` on-time months from month `first`: the
/// differences of the same closed forms `settle` books, so they add up to it.
#[cold]
fn record_current_months(
    loan: &Loan,
    model: &LoanModel,
    account: &Account,
    first: usize,
    months: usize,
    tally: &mut PathTally,
) {
    if tally.tape.is_none() {
        // The book at each month end (and, with a P&L, each month's interest)
        // alone: from the same closed forms, carried month to month, no rows.
        let (mut flow, mut monthly) = (tally.flow.as_deref_mut(), tally.monthly.as_deref_mut());
        let mut month_end = |j: usize, balance: Cents, interest: Cents, state: TapeState| {
            if let Some(flow) = flow.as_deref_mut()
                && state == TapeState::Current
            {
                flow.month_end(first + j, state, balance);
            }
            if let Some(monthly) = monthly.as_deref_mut() {
                monthly.current_month(first + j, interest, balance, state == TapeState::Current);
            }
        };
        if loan.kind == ProductKind::Revolving {
            let curve = account.revolving_curve(loan, model);
            let mut interest_before = 0;
            for j in 0..months {
                let after = curve.run(account.balance, account.limit, account.rate, j + 1);
                month_end(j, after.balance, after.interest - interest_before, TapeState::Current);
                interest_before = after.interest;
            }
        } else {
            let s = &model.schedules;
            let (offset, p) = (account.schedule, account.principal);
            let mut interest_before = s.interest_through(offset, p, account.paid);
            for j in 0..months {
                let k = account.paid + j as u16 + 1;
                let interest = s.interest_through(offset, p, k);
                let state = if k < account.term {
                    TapeState::Current
                } else {
                    TapeState::Repaid
                };
                month_end(j, s.balance_after(offset, p, k), interest - interest_before, state);
                interest_before = interest;
            }
        }
        return;
    }
    let mut row = |j: usize, balance: Cents, principal: Cents, interest: Cents, drawn: Cents, state: TapeState| {
        let mut r = TapeRow::state(loan.id, first + j, state, balance);
        r.principal_paid = principal;
        r.interest_paid = interest;
        r.drawn = drawn;
        tally.record_row(r);
    };
    if loan.kind == ProductKind::Revolving {
        let curve = account.revolving_curve(loan, model);
        let mut before = curve.run(account.balance, account.limit, account.rate, 0);
        for j in 0..months {
            let after = curve.run(account.balance, account.limit, account.rate, j + 1);
            row(
                j,
                after.balance,
                after.repaid - before.repaid,
                after.interest - before.interest,
                after.drawn - before.drawn,
                TapeState::Current,
            );
            before = after;
        }
    } else {
        let s = &model.schedules;
        let (offset, p) = (account.schedule, account.principal);
        for j in 0..months {
            let k = account.paid + j as u16;
            let state = if k + 1 == account.term {
                TapeState::Repaid
            } else {
                TapeState::Current
            };
            row(
                j,
                s.balance_after(offset, p, k + 1),
                s.balance_after(offset, p, k) - s.balance_after(offset, p, k + 1),
                s.interest_through(offset, p, k + 1) - s.interest_through(offset, p, k),
                0,
                state,
            );
        }
    }
}

/// Records a month with only a state and a balance, if months are recorded.
#[inline(always)]
fn tape_state(tally: &mut PathTally, loan: &Loan, t: usize, state: TapeState, balance: Cents) {
    if tally.records_months() {
        tally.record_row(TapeRow::state(loan.id, t, state, balance));
    }
}

/// The monthly state machine from month `start`; returns the month after the last one stepped.
#[inline(always)]
fn step_months(
    loan: &Loan,
    start: usize,
    model: &LoanModel,
    tables: &PathTables,
    keys: &LoanKeys,
    tally: &mut PathTally,
) -> usize {
    let horizon = model.horizon;
    let grades = tables.grades;
    let row = loan.grade as usize;
    let seg = loan.segment as usize;
    let rules = &model.rules[seg];
    let policy = &model.policy;
    let revolving = loan.kind == ProductKind::Revolving;
    let cut_month = if revolving {
        tables.limit_cut_month.get(seg).copied().unwrap_or(horizon)
    } else {
        horizon
    };
    let mut rng = LoanStream::new(keys.events, loan.id as u64);
    let mut policy_rng: Option<LoanStream> = None;
    // A borrower who owes other platforms too (from its own attribute
    // stream) follows the contagion thresholds, raised while the industry tightens.
    let multi_platform = !tables.multi_platform_share.is_empty()
        && LoanStream::new(keys.borrower, loan.id as u64).next_u64() < tables.multi_platform_share[seg];
    let (entry, event, kind) = if multi_platform {
        (
            &tables.contagion_entry,
            &tables.contagion_event,
            SpellKind::MultiPlatform,
        )
    } else {
        (&tables.entry, &tables.event, SpellKind::Current)
    };
    // The uniform of the loan's current months, from its last event to its next.
    let mut residual = Residual::default();
    let curve = |kind| tables.spells.row(kind, row, seg);
    let prepay = |t: usize| tables.prepay_at(rules, seg, horizon, t);
    let mut account = Account::open(loan);
    let mut t = start;
    // Limit reviews draw from a stream of their own, so that they move no other draw.
    let mut review_rng = policy
        .limit_increase
        .filter(|_| revolving)
        .map(|_| LoanStream::new(super::review_key(keys), loan.id as u64));
    account.schedule_review(policy.limit_increase, revolving, t);
    // The path's rate caps still ahead (none without a rate-cap event).
    let mut next_cap = 0;
    if loan.start_bucket > 0 {
        // An imported loan delinquent at the start: its spell goes on from
        // its bucket in month 0, with no new missed payment to draw.
        let months = bucket_months(loan, tables, &tables.buckets, horizon);
        let (end, deepest) = delinquency(
            loan,
            account.balance,
            months,
            0,
            loan.start_bucket as usize - 1,
            &mut rng,
            tally,
        );
        match end {
            DelinquencyEnd::Cured(next) => {
                collect_penalty(model, &account, next, next - 1, tally);
                suspend_if_due(model, &mut account, revolving, deepest, tally);
                t = next;
                account.schedule_review(policy.limit_increase, revolving, t);
            }
            DelinquencyEnd::ChargedOff(month) => {
                charge_off(loan, model, tables, keys, month, account.balance, tally);
                return month + 1;
            }
            DelinquencyEnd::Horizon => {
                tally.ledger.outstanding += account.balance;
                return horizon;
            }
        }
    }
    while t < horizon {
        if !account.cut_done && t >= cut_month {
            account.early_warning_cut(policy.cut_share.unwrap_or(0.0), t, policy.shock_months, tally);
            account.review_at = usize::MAX;
        }
        // Caps that do not bind this loan are passed over (its spells are not
        // split for them); a binding cap reprices it from its month.
        while let Some(&(month, cap)) = tables.rate_caps.get(next_cap) {
            if cap >= account.rate {
                next_cap += 1;
            } else if month <= t {
                account.reprice(loan, model, cap);
                next_cap += 1;
            } else {
                break;
            }
        }
        if t == account.review_at {
            match (policy.limit_increase, review_rng.as_mut()) {
                (Some(increase), Some(rng)) if !account.frozen && !account.cut_done => {
                    account.review(increase, rules.limit_cap, rng, t, tally);
                }
                // A line frozen or cut since its review was scheduled is never raised.
                _ => account.review_at = usize::MAX,
            }
        }
        // Current: one draw a month until something happens, the loan
        // matures, or early warning is due to cut the line.
        let run_start = t;
        let mut run_end = if revolving {
            horizon
        } else {
            horizon.min(t + (account.term - account.paid) as usize)
        };
        if !account.cut_done {
            run_end = run_end.min(cut_month.max(t));
        }
        // A spell stops at the line's limit review (none without the lever)
        // and at the path's next rate cap (none without one).
        run_end = run_end.min(account.review_at);
        if let Some(&(month, _)) = tables.rate_caps.get(next_cap) {
            run_end = run_end.min(month.max(t));
        }
        let plan = policy.forbearance.filter(|_| account.in_plan);
        let shocked = t < account.shock_until;
        let event = match plan {
            Some(_) => {
                let redefault = &tables.plan_redefault[seg * horizon..(seg + 1) * horizon];
                residual.spell(&mut rng, &mut t, run_end, curve(SpellKind::Plan), |t| {
                    redefault[t].saturating_add(prepay(t))
                })
            }
            // A spell in a liquidity shock stops where the shock ends.
            None if shocked => residual.spell(
                &mut rng,
                &mut t,
                run_end.min(account.shock_until),
                curve(SpellKind::Shocked),
                |t| tables.shocked_event[t * grades + row],
            ),
            None => residual.spell(&mut rng, &mut t, run_end, curve(kind), |t| event[t * grades + row]),
        };
        settle(loan, model, &mut account, run_start, t - run_start, tally);
        let Some(u) = event else {
            if account.repaid_in_full(loan) {
                tally.matured_at = Some(t);
                return t;
            }
            if t < horizon {
                continue; // stopped for the limit cut or a limit review
            }
            break;
        };
        let miss = match plan {
            Some(_) => tables.plan_redefault[seg * horizon + t],
            None if shocked => tables.shocked_entry[t * grades + row],
            None => entry[t * grades + row],
        };
        let end = if u < miss {
            if revolving {
                if policy.borrower_trigger && !account.cut_done {
                    account.early_warning_cut(policy.cut_share.unwrap_or(0.0), t, policy.shock_months, tally);
                }
                if !account.frozen {
                    let extra = round_cents((account.limit - account.balance) as f64 * rules.ccf);
                    account.balance += extra;
                    tally.ledger.originated += extra;
                }
            }
            if !model.delinquency {
                charge_off(loan, model, tables, keys, t, account.balance, tally);
                return t + 1;
            }
            if offer_plan(loan, model, tables, keys, t, &account, &mut policy_rng) {
                restructure(loan, model, &mut account, t, tally);
                tape_state(tally, loan, t, TapeState::Plan, account.balance);
                t += 1;
                continue;
            }
            tape_state(tally, loan, t, TapeState::Dpd30, account.balance);
            tally.monthly_delinquent[t] += 1;
            tally.rolls.entered += 1;
            let buckets = if account.in_plan {
                &tables.plan_buckets
            } else {
                &tables.buckets
            };
            let months = bucket_months(loan, tables, buckets, horizon);
            let (end, deepest) = delinquency(loan, account.balance, months, t + 1, 0, &mut rng, tally);
            if let DelinquencyEnd::Cured(next) = end {
                collect_penalty(model, &account, next - 1 - t, next - 1, tally);
                suspend_if_due(model, &mut account, revolving, deepest, tally);
            }
            end
        } else if u < miss.saturating_add(prepay(t)) {
            tally.ledger.prepaid += account.balance;
            if tally.records_months() {
                let mut row = TapeRow::state(loan.id, t, TapeState::Prepaid, 0);
                row.principal_paid = account.balance;
                tally.record_row(row);
            }
            return t + 1;
        } else if tables.attack.get(t).copied().unwrap_or(false)
            && !tables
                .outage
                .is_some_and(|o| o.month == t && u < miss.saturating_add(prepay(t)).saturating_add(o.share))
        {
            // Account takeover in a fraud attack: the line is drawn in full and never repaid.
            tally.takeovers += 1;
            let mut ead = account.balance;
            if revolving && !account.frozen {
                let extra = (account.limit - account.balance).max(0);
                ead += extra;
                tally.ledger.originated += extra;
            }
            return fraud_charge_off(loan, model, tables, t, ead, tally);
        } else {
            // A failed automatic debit in the outage month (no penalty): most cure the next month.
            tape_state(tally, loan, t, TapeState::Dpd30, account.balance);
            tally.monthly_delinquent[t] += 1;
            tally.rolls.entered += 1;
            t += 1;
            if t == horizon {
                break;
            }
            let cure = tables.outage.map_or(0, |o| o.cure);
            if rng.next_u64() < cure {
                tally.rolls.cured[0] += 1;
                // The retried debit succeeds this month; with the hazard
                // continuing the loan is current this month and draws as usual.
                if !model.outage_hazard_continues {
                    tape_state(tally, loan, t, TapeState::Current, account.balance);
                }
                DelinquencyEnd::Cured(if model.outage_hazard_continues { t } else { t + 1 })
            } else {
                tape_state(tally, loan, t, TapeState::Dpd30, account.balance);
                tally.monthly_delinquent[t] += 1;
                tally.rolls.stayed[0] += 1;
                let months = bucket_months(loan, tables, &tables.buckets, horizon);
                let (end, deepest) = delinquency(loan, account.balance, months, t + 1, 0, &mut rng, tally);
                if matches!(end, DelinquencyEnd::Cured(_)) {
                    suspend_if_due(model, &mut account, revolving, deepest, tally);
                }
                end
            }
        };
        match end {
            DelinquencyEnd::Cured(next) => {
                t = next;
                // The current run that earns a review starts again at the cure.
                account.schedule_review(policy.limit_increase, revolving, t);
            }
            DelinquencyEnd::ChargedOff(month) => {
                charge_off(loan, model, tables, keys, month, account.balance, tally);
                return month + 1;
            }
            DelinquencyEnd::Horizon => break,
        }
    }
    tally.ledger.outstanding += account.balance;
    horizon
}

/// Whether a borrower who just missed a payment in month `t` takes a
/// forbearance plan. Take-up draws come from the loan's own policy stream, so
/// a plan with take-up 0 leaves every other draw unchanged.
fn offer_plan(
    loan: &Loan,
    model: &LoanModel,
    tables: &PathTables,
    keys: &LoanKeys,
    t: usize,
    account: &Account,
    policy_rng: &mut Option<LoanStream>,
) -> bool {
    let Some(plan) = model.policy.forbearance else {
        return false;
    };
    if account.in_plan || !tables.plan_offered[loan.segment as usize * model.horizon + t] {
        return false;
    }
    let rng = policy_rng.get_or_insert_with(|| LoanStream::new(keys.policy, loan.id as u64));
    rng.next_u64() < plan.take_up
}

/// Puts the loan into a plan: the missed month's penalty (less the waiver) is
/// collected, an installment loan's remaining balance is re-amortised over
/// its remaining term plus the extension (a lower installment), and a
/// revolving line is frozen. The loan is current again from the next month.
fn restructure(loan: &Loan, model: &LoanModel, account: &mut Account, t: usize, tally: &mut PathTally) {
    let plan = model
        .policy
        .forbearance
        .expect("restructure is only called with a plan");
    account.in_plan = true;
    tally.plans += 1;
    let penalty = round_cents(account.balance as f64 * model.policy.penalty_rate * plan.penalty_factor);
    tally.interest += penalty;
    tally.penalty_interest += penalty;
    if let Some(monthly) = tally.monthly.as_deref_mut() {
        monthly.collect(t, penalty, round_cents(model.late_fee as f64 * plan.penalty_factor));
    }
    if loan.kind == ProductKind::Revolving {
        account.cut_limit(1.0, tally);
    } else {
        let remaining = (account.term - account.paid) as u32;
        let term = (remaining + plan.term_extension).max(1);
        account.principal = account.balance;
        account.paid = 0;
        account.term = term as u16;
        account.schedule = model.schedules.offset(loan.kind, account.rate, term);
    }
}

/// Penalty interest (and, with `[economics]`, the late fees) of a
/// delinquency spell of `months` months, collected at the cure in month `cure_month`.
fn collect_penalty(model: &LoanModel, account: &Account, months: usize, cure_month: usize, tally: &mut PathTally) {
    let rate = model.policy.penalty_rate;
    if (rate == 0.0 && model.late_fee == 0) || months == 0 {
        return;
    }
    let factor = model
        .policy
        .forbearance
        .filter(|_| account.in_plan)
        .map_or(1.0, |p| p.penalty_factor);
    // One penalty for the tally and the P&L (0 when only late fees are charged).
    let penalty = months as Cents * round_cents(account.balance as f64 * rate * factor);
    if let Some(monthly) = tally.monthly.as_deref_mut() {
        monthly.collect(
            cure_month,
            penalty,
            months as Cents * round_cents(model.late_fee as f64 * factor),
        );
    }
    tally.interest += penalty;
    tally.penalty_interest += penalty;
    // Collected in the month of the cure, the tape's last row.
    if let Some(row) = tally.tape.as_deref_mut().and_then(|tape| tape.rows.last_mut()) {
        row.interest_paid += penalty;
    }
}

/// A revolving line that reached the suspension bucket stays frozen after its cure.
fn suspend_if_due(model: &LoanModel, account: &mut Account, revolving: bool, deepest: usize, tally: &mut PathTally) {
    if revolving && model.suspend_from_bucket.is_some_and(|b| deepest >= b) {
        account.frozen = true;
        account.line_changed(tally);
    }
}

/// The month-by-month thresholds in `buckets` (plain or plan) of a loan's
/// segment and product.
#[inline(always)]
fn bucket_months<'t>(
    loan: &Loan,
    tables: &PathTables,
    buckets: &'t [BucketThresholds],
    horizon: usize,
) -> &'t [BucketThresholds] {
    let row = tables.bucket_rows[loan.segment as usize][usize::from(loan.kind != ProductKind::Revolving)];
    &buckets[row * horizon..(row + 1) * horizon]
}

/// A loan in bucket `first_bucket` (0 = 30 days past due) at the end of
/// month `start - 1` rolls, cures or stays each month from `start` with the
/// thresholds `by_month` (its segment's and product's); returns how the
/// spell ended and the deepest bucket it reached.
#[inline(always)]
fn delinquency(
    loan: &Loan,
    balance: Cents,
    by_month: &[BucketThresholds],
    start: usize,
    first_bucket: usize,
    rng: &mut LoanStream,
    tally: &mut PathTally,
) -> (DelinquencyEnd, usize) {
    let mut bucket = first_bucket;
    for (t, th) in by_month.iter().enumerate().skip(start) {
        let u = rng.next_u64();
        if u < th.roll[bucket] {
            tally.rolls.rolled[bucket] += 1;
            if bucket + 1 == BUCKETS {
                return (DelinquencyEnd::ChargedOff(t), bucket);
            }
            bucket += 1;
        } else if u < th.roll_or_cure[bucket] {
            tally.rolls.cured[bucket] += 1;
            tape_state(tally, loan, t, TapeState::Current, balance);
            return (DelinquencyEnd::Cured(t + 1), bucket);
        } else {
            tally.rolls.stayed[bucket] += 1;
        }
        tape_state(tally, loan, t, TapeState::of_bucket(bucket), balance);
        tally.monthly_delinquent[t] += 1;
    }
    (DelinquencyEnd::Horizon, bucket)
}

/// Draws the LGD of a charge-off from the loan's own LGD stream.
#[inline]
pub(super) fn charge_off(
    loan: &Loan,
    model: &LoanModel,
    tables: &PathTables,
    keys: &LoanKeys,
    t: usize,
    ead: Cents,
    tally: &mut PathTally,
) {
    charge_offs(loan, model, tables, keys, t, ead, 1, tally);
}

/// [`charge_off`] of `count` loans identical to `loan`, whose LGD is fixed
/// (a pool's defaults: a drawn LGD would need each loan's own draw).
#[allow(clippy::too_many_arguments)]
pub(super) fn charge_offs(
    loan: &Loan,
    model: &LoanModel,
    tables: &PathTables,
    keys: &LoanKeys,
    t: usize,
    ead: Cents,
    count: u32,
    tally: &mut PathTally,
) {
    let dist = &tables.lgd[loan.segment as usize * model.horizon + t];
    debug_assert!(
        count == 1 || loan.fixed_lgd.is_some() || matches!(dist, UnitDistribution::Fixed(_)),
        "a pool's LGD is fixed"
    );
    let lgd = match (loan.fixed_lgd, dist) {
        (Some(row), _) => model.fixed_lgd[row.get() as usize - 1],
        (None, UnitDistribution::Fixed(v)) => *v,
        (None, beta) => beta.sample(&mut item_rng(keys.lgd, loan.id as u64)),
    };
    let lgd = if model.policy.lgd_multiplier == 1.0 {
        lgd
    } else {
        (lgd * model.policy.lgd_multiplier).min(1.0)
    };
    tally.record_charge_offs(
        loan,
        t,
        ead,
        lgd,
        &model.recovery,
        false,
        recovery_factor(loan, model, tables),
        count,
    );
}

/// The segment's factor by month when recoveries move with it, else empty.
fn recovery_factor<'t>(loan: &Loan, model: &LoanModel, tables: &'t PathTables) -> &'t [f64] {
    if tables.recovery_factor.is_empty() {
        return &[];
    }
    let start = loan.segment as usize * model.horizon;
    &tables.recovery_factor[start..start + model.horizon]
}

/// A fraudulent loan booked as such never pays: it misses its first payment
/// and rolls straight through the buckets to charge-off (in its first month
/// without buckets). Returns the month after the last one stepped.
fn simulate_fraud(loan: &Loan, start: usize, model: &LoanModel, tables: &PathTables, tally: &mut PathTally) -> usize {
    let rules = &model.rules[loan.segment as usize];
    let mut ead = loan.balance;
    if loan.kind == ProductKind::Revolving {
        let extra = round_cents((loan.limit - ead) as f64 * rules.ccf);
        ead += extra;
        tally.ledger.originated += extra;
    }
    fraud_charge_off(loan, model, tables, start, ead, tally)
}

/// A loan in a fraudster's hands from month `start` pays nothing: delinquent
/// from `start`, charged off `BUCKETS` months later (at once without
/// buckets) at the segment's fraud LGD. Returns the months stepped.
fn fraud_charge_off(
    loan: &Loan,
    model: &LoanModel,
    tables: &PathTables,
    start: usize,
    ead: Cents,
    tally: &mut PathTally,
) -> usize {
    let charge_off_month = start + if model.delinquency { BUCKETS } else { 0 };
    for t in start..charge_off_month.min(model.horizon) {
        tape_state(tally, loan, t, TapeState::of_bucket(t - start), ead);
        tally.monthly_delinquent[t] += 1;
        if t == start {
            tally.rolls.entered += 1;
        } else {
            tally.rolls.rolled[t - start - 1] += 1;
        }
    }
    if charge_off_month < model.horizon {
        if model.delinquency {
            tally.rolls.rolled[BUCKETS - 1] += 1;
        }
        let fraud_lgd = model.rules[loan.segment as usize].fraud_lgd;
        let factor = recovery_factor(loan, model, tables);
        tally.record_charge_off(loan, charge_off_month, ead, fraud_lgd, &model.recovery, true, factor);
        charge_off_month + 1
    } else {
        tally.ledger.outstanding += ead;
        model.horizon
    }
}
