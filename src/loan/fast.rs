//! The fast path for the plain default model.

use super::stepping::{Account, charge_off, settle};
use super::{LoanKeys, LoanModel, PathTables, PathTally};
use crate::engine::streams::{LoanStream, threshold};
use crate::population::{Loan, ProductKind, round_cents};

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

/// The fast path: one uniform decides the month and kind of the loan's first
/// event (see [`FastTables`]); returns the months stepped.
#[inline(always)]
pub(super) fn first_event(
    loan: &Loan,
    model: &LoanModel,
    tables: &PathTables,
    fast: &FastTables,
    keys: &LoanKeys,
    tally: &mut PathTally,
) -> usize {
    let horizon = model.horizon;
    let revolving = loan.kind == ProductKind::Revolving;
    let last = if revolving {
        horizon
    } else {
        horizon.min(loan.term_months as usize)
    };
    let row = loan.grade as usize * fast.horizon;
    let u = LoanStream::new(keys.events, loan.id as u64).next_u64();
    let t = fast.first_event[row..row + last].partition_point(|&f| f <= u);
    let mut account = Account::open(loan);
    settle(loan, model, &mut account, 0, t, tally);
    if t == last {
        if !revolving && account.paid == account.term {
            tally.matured_at = Some(t);
            return t;
        }
        tally.ledger.outstanding += account.balance;
        return horizon;
    }
    if u < fast.default_split[row + t] {
        if revolving {
            let extra = round_cents((account.limit - account.balance) as f64 * model.rules[loan.segment as usize].ccf);
            account.balance += extra;
            tally.ledger.originated += extra;
        }
        charge_off(loan, model, tables, keys, t, account.balance, tally);
    } else {
        tally.ledger.prepaid += account.balance;
        if tally.records_months() {
            let mut row = super::tape::TapeRow::state(loan.id, t, super::tape::TapeState::Prepaid, 0);
            row.principal_paid = account.balance;
            tally.record_row(row);
        }
    }
    t + 1
}
