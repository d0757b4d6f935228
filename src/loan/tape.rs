//! A loan-level tape: what every loan did, month by month, on one path.
//!
//! The engine records a tape only when asked (`PathTally::tape` is `Some`):
//! the same stepping code fills it, so the tape is exactly the path the run
//! simulated, and a run without a tape pays one untaken branch per spell.

use crate::population::Cents;

/// A loan's state at the end of a month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TapeState {
    /// Paid on time (or cured this month).
    Current,
    /// 30 days past due (a missed payment, or a failed debit in an outage).
    Dpd30,
    /// 60 days past due.
    Dpd60,
    /// 90+ days past due.
    Dpd90,
    /// Charged off this month (`charge_off` holds the exposure at default).
    ChargedOff,
    /// A month after the charge-off in which recovery cash arrived.
    Recovery,
    /// Repaid early in full this month.
    Prepaid,
    /// Repaid at maturity this month (the last scheduled payment).
    Repaid,
    /// Missed a payment and took a forbearance plan this month.
    Plan,
}

impl TapeState {
    /// The tape's word for the state.
    pub fn as_str(self) -> &'static str {
        match self {
            TapeState::Current => "current",
            TapeState::Dpd30 => "dpd30",
            TapeState::Dpd60 => "dpd60",
            TapeState::Dpd90 => "dpd90",
            TapeState::ChargedOff => "charged_off",
            TapeState::Recovery => "recovery",
            TapeState::Prepaid => "prepaid",
            TapeState::Repaid => "repaid",
            TapeState::Plan => "plan",
        }
    }

    /// The state a word names.
    pub fn parse(word: &str) -> Option<Self> {
        Some(match word {
            "current" => TapeState::Current,
            "dpd30" => TapeState::Dpd30,
            "dpd60" => TapeState::Dpd60,
            "dpd90" => TapeState::Dpd90,
            "charged_off" => TapeState::ChargedOff,
            "recovery" => TapeState::Recovery,
            "prepaid" => TapeState::Prepaid,
            "repaid" => TapeState::Repaid,
            "plan" => TapeState::Plan,
            _ => return None,
        })
    }

    /// The delinquency bucket of a delinquent state (0 = 30 days past due).
    pub fn bucket(self) -> Option<usize> {
        match self {
            TapeState::Dpd30 => Some(0),
            TapeState::Dpd60 => Some(1),
            TapeState::Dpd90 => Some(2),
            _ => None,
        }
    }

    /// The state of bucket `b`.
    pub fn of_bucket(b: usize) -> Self {
        match b {
            0 => TapeState::Dpd30,
            1 => TapeState::Dpd60,
            _ => TapeState::Dpd90,
        }
    }
}

/// One loan-month of a tape.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TapeRow {
    /// Stream id of the loan (the book maps it back to the loan's id).
    pub loan: u32,
    /// Month, 1-based.
    pub month: u32,
    /// State at the end of the month.
    pub state: TapeState,
    /// Balance at the end of the month (0 once repaid, prepaid or charged off).
    pub balance: Cents,
    /// Principal repaid this month (the whole balance on a prepayment).
    pub principal_paid: Cents,
    /// Interest paid this month (penalty interest included).
    pub interest_paid: Cents,
    /// New draws on a revolving line this month.
    pub drawn: Cents,
    /// Exposure at default charged off this month.
    pub charge_off: Cents,
    /// Recovery cash received this month, currency units.
    pub recovery: f64,
}

impl TapeRow {
    /// A row with only a state and a balance.
    pub fn state(loan: u32, t: usize, state: TapeState, balance: Cents) -> Self {
        TapeRow {
            loan,
            month: t as u32 + 1,
            state,
            balance,
            principal_paid: 0,
            interest_paid: 0,
            drawn: 0,
            charge_off: 0,
            recovery: 0.0,
        }
    }
}

/// The rows of one path, loan by loan in book order, months in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoanTape {
    /// The rows.
    pub rows: Vec<TapeRow>,
}
