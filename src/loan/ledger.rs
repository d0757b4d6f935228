//! What a path's loans did per segment and month: the raw material of the
//! monthly P&L (see `crate::accounting`). Kept only when the scenario has
//! `[economics]` (`PathTally::monthly` is `Some`); it is filled from the
//! same month rows as the loan tape, so it adds up to the path's totals.

use super::tape::{TapeRow, TapeState};
use crate::population::{Cents, Loan};

/// Per `[segment * horizon + t]` cell.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthlyLedger {
    /// Months.
    pub horizon: usize,
    /// Contractual interest paid by current loans in the month.
    pub interest: Vec<Cents>,
    /// Penalty interest collected in the month (at a cure or a plan).
    pub penalty_interest: Vec<Cents>,
    /// Late fees collected in the month (with the penalty interest).
    pub late_fees: Vec<Cents>,
    /// Balance booked at the start of the month: the opening book in month 0,
    /// loans booked during the run in their first month.
    pub booked_balance: Vec<Cents>,
    /// Loans booked at the start of the month (as `booked_balance`).
    pub booked_loans: Vec<u32>,
    /// Of it, the balance of loans booked during the run (the base of origination fees).
    pub originated_balance: Vec<Cents>,
    /// Loans booked during the run.
    pub originated_loans: Vec<u32>,
    /// Balance of the accounts on the book at the month end.
    pub balance_end: Vec<Cents>,
    /// Accounts on the book at the month end (current, delinquent or in a plan).
    pub accounts_end: Vec<u32>,
    /// Accounts 30+ days past due at the month end.
    pub delinquent_end: Vec<u32>,
    /// Credit loss booked in the month (charge-offs), currency units.
    pub loss: Vec<f64>,
    /// Cost of the recovery cash received in the month, currency units.
    pub recovery_cost: Vec<f64>,
    /// Segment of the loan being stepped.
    pub(crate) segment: usize,
}

impl MonthlyLedger {
    /// An empty ledger.
    pub fn new(segments: usize, horizon: usize) -> Self {
        let cells = segments * horizon;
        MonthlyLedger {
            horizon,
            interest: vec![0; cells],
            penalty_interest: vec![0; cells],
            late_fees: vec![0; cells],
            booked_balance: vec![0; cells],
            booked_loans: vec![0; cells],
            originated_balance: vec![0; cells],
            originated_loans: vec![0; cells],
            balance_end: vec![0; cells],
            accounts_end: vec![0; cells],
            delinquent_end: vec![0; cells],
            loss: vec![0.0; cells],
            recovery_cost: vec![0.0; cells],
            segment: 0,
        }
    }

    /// Segments.
    pub fn segments(&self) -> usize {
        self.interest.len() / self.horizon.max(1)
    }

    /// The cell of the loan being stepped in month `t`.
    #[inline(always)]
    fn cell(&self, t: usize) -> usize {
        self.segment * self.horizon + t
    }

    /// Books `loan` at the start of month `start`; `during_run`: booked by
    /// the run (an origination or a renewal), not part of the opening book.
    pub(crate) fn book(&mut self, start: usize, loan: &Loan, during_run: bool) {
        let c = loan.segment as usize * self.horizon + start;
        self.booked_balance[c] += loan.balance;
        self.booked_loans[c] += 1;
        if during_run {
            self.originated_balance[c] += loan.balance;
            self.originated_loans[c] += 1;
        }
    }

    /// Sets the segment of the loan about to be stepped.
    #[inline(always)]
    pub(crate) fn begin_loan(&mut self, loan: &Loan) {
        self.segment = loan.segment as usize;
    }

    /// One month row of the loan being stepped: its interest, and where it
    /// stands at the month end.
    pub(crate) fn month_row(&mut self, row: &TapeRow) {
        let c = self.cell(row.month as usize - 1);
        self.interest[c] += row.interest_paid;
        match row.state {
            TapeState::Current | TapeState::Plan => {}
            TapeState::Dpd30 | TapeState::Dpd60 | TapeState::Dpd90 => self.delinquent_end[c] += 1,
            TapeState::Repaid | TapeState::Prepaid | TapeState::ChargedOff | TapeState::Recovery => return,
        }
        self.accounts_end[c] += 1;
        self.balance_end[c] += row.balance;
    }

    /// A month paid on time in month `t`: its interest, and the balance at
    /// its end when the account stays on the book (`on_book`; not after the last payment).
    #[inline(always)]
    pub(crate) fn current_month(&mut self, t: usize, interest: Cents, balance: Cents, on_book: bool) {
        let c = self.cell(t);
        self.interest[c] += interest;
        if on_book {
            self.accounts_end[c] += 1;
            self.balance_end[c] += balance;
        }
    }

    /// Penalty interest and late fees collected in month `t`.
    pub(crate) fn collect(&mut self, t: usize, penalty: Cents, fees: Cents) {
        let c = self.cell(t);
        self.penalty_interest[c] += penalty;
        self.late_fees[c] += fees;
    }

    /// A charge-off's loss in month `t`.
    pub(crate) fn charge_off(&mut self, t: usize, loss: f64) {
        let c = self.cell(t);
        self.loss[c] += loss;
    }

    /// The cost of recovery cash received in month `t`.
    pub(crate) fn recovery_cost(&mut self, t: usize, cost: f64) {
        let c = self.cell(t);
        self.recovery_cost[c] += cost;
    }
}
