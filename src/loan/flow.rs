//! The going-concern view of a path: what was booked each month, what was
//! on the book at each month end, and how every vintage performed.
//!
//! Kept only when some segment originates loans during the run
//! (`PathTally::flow` is `Some`); a run-off book pays one untaken branch per
//! spell for it.

use super::tape::TapeState;
use crate::population::{Cents, Loan};

/// Vintage 0 is the opening book; vintage `g >= 1` holds the loans booked in
/// months `1 + (g - 1) v .. 1 + g v` (0-based), `v` the months per vintage.
#[derive(Debug, Clone, PartialEq)]
pub struct BookFlow {
    /// Months simulated.
    pub horizon: usize,
    /// Origination months per vintage.
    pub vintage_months: usize,
    /// Applications received per month.
    pub applications: Vec<u32>,
    /// Loans booked per month (approved applications; the opening book in month 0).
    pub booked_loans: Vec<u32>,
    /// Balance booked per month, in cents (drawn at booking).
    pub booked_balance: Vec<Cents>,
    /// Of the loans booked per month, renewals of loans repaid at maturity.
    pub renewed_loans: Vec<u32>,
    /// Accounts on the book at each month end (current, delinquent or in a plan).
    pub active_accounts: Vec<u32>,
    /// Balance on the book at each month end, in cents.
    pub outstanding: Vec<Cents>,
    /// Loans booked per segment (the opening book's included).
    pub segment_loans: Vec<u32>,
    /// Balance booked per segment, in cents.
    pub segment_balance: Vec<Cents>,
    /// Loans booked per score band.
    pub band_loans: Vec<u32>,
    /// Loans booked per segment and score band, `[segment * bands + band]`.
    pub cell_loans: Vec<u32>,
    /// Loans booked per segment and month, `[segment * horizon + t]`.
    pub segment_booked_loans: Vec<u32>,
    /// Balance booked per segment and month, in cents, `[segment * horizon + t]`.
    pub segment_booked_balance: Vec<Cents>,
    /// Charge-offs by `[vintage * horizon + months on book - 1]`.
    pub vintage_defaults: Vec<u32>,
    /// Loss by `[vintage * horizon + months on book - 1]`.
    pub vintage_loss: Vec<f64>,
    /// The loan being stepped: its vintage and first month on the book.
    pub(crate) cursor: (usize, usize),
}

impl BookFlow {
    /// An empty flow.
    pub fn new(horizon: usize, vintage_months: usize, segments: usize, bands: usize) -> Self {
        let vintages = vintage_count(horizon, vintage_months);
        BookFlow {
            horizon,
            vintage_months,
            segment_loans: vec![0; segments],
            segment_balance: vec![0; segments],
            band_loans: vec![0; bands],
            cell_loans: vec![0; segments * bands],
            segment_booked_loans: vec![0; segments * horizon],
            segment_booked_balance: vec![0; segments * horizon],
            applications: vec![0; horizon],
            booked_loans: vec![0; horizon],
            booked_balance: vec![0; horizon],
            renewed_loans: vec![0; horizon],
            active_accounts: vec![0; horizon],
            outstanding: vec![0; horizon],
            vintage_defaults: vec![0; vintages * horizon],
            vintage_loss: vec![0.0; vintages * horizon],
            cursor: (0, 0),
        }
    }

    /// Number of vintages (the opening book and the origination groups).
    pub fn vintages(&self) -> usize {
        vintage_count(self.horizon, self.vintage_months)
    }

    /// Sets the loan about to be stepped: booked in month `start` (0-based).
    #[inline(always)]
    pub(crate) fn begin_loan(&mut self, start: usize) {
        self.cursor = (vintage_of(start, self.vintage_months), start);
    }

    /// Books `loan` in month `start` (0 for the opening book).
    pub(crate) fn book(&mut self, start: usize, loan: &Loan) {
        self.booked_loans[start] += 1;
        self.booked_balance[start] += loan.balance;
        self.segment_loans[loan.segment as usize] += 1;
        self.segment_balance[loan.segment as usize] += loan.balance;
        self.band_loans[loan.band as usize] += 1;
        self.cell_loans[loan.segment as usize * self.band_loans.len() + loan.band as usize] += 1;
        let cell = loan.segment as usize * self.horizon + start;
        self.segment_booked_loans[cell] += 1;
        self.segment_booked_balance[cell] += loan.balance;
    }

    /// Loans booked on the path, the opening book's included.
    pub fn total_loans(&self) -> u64 {
        self.booked_loans.iter().map(|&n| n as u64).sum()
    }

    /// Balance booked on the path, the opening book's included, in cents.
    pub fn total_balance(&self) -> Cents {
        self.booked_balance.iter().sum()
    }

    /// The loan being stepped is in `state` with `balance` at the end of month `t`.
    #[inline]
    pub(crate) fn month_end(&mut self, t: usize, state: TapeState, balance: Cents) {
        if matches!(
            state,
            TapeState::Current | TapeState::Dpd30 | TapeState::Dpd60 | TapeState::Dpd90 | TapeState::Plan
        ) {
            self.active_accounts[t] += 1;
            self.outstanding[t] += balance;
        }
    }

    /// The loan being stepped was charged off in month `t` with loss `loss`.
    #[inline]
    pub(crate) fn charge_off(&mut self, t: usize, loss: f64) {
        let (vintage, start) = self.cursor;
        let cell = vintage * self.horizon + (t - start);
        self.vintage_defaults[cell] += 1;
        self.vintage_loss[cell] += loss;
    }

    /// First 0-based month of vintage `g`'s loans.
    pub fn vintage_first_month(&self, g: usize) -> usize {
        if g == 0 { 0 } else { 1 + (g - 1) * self.vintage_months }
    }

    /// The 0-based months whose bookings make up vintage `g`.
    pub fn vintage_months_of(&self, g: usize) -> std::ops::Range<usize> {
        if g == 0 {
            0..1
        } else {
            let first = self.vintage_first_month(g);
            first..(first + self.vintage_months).min(self.horizon)
        }
    }
}

/// Vintage of a loan first on the book in month `start` (0-based).
pub fn vintage_of(start: usize, vintage_months: usize) -> usize {
    if start == 0 {
        0
    } else {
        1 + (start - 1) / vintage_months
    }
}

/// Vintages of a run: the opening book and one per group of origination months.
pub fn vintage_count(horizon: usize, vintage_months: usize) -> usize {
    1 + (horizon.saturating_sub(1)).div_ceil(vintage_months)
}
