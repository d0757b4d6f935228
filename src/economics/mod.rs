//! Economics of the book beyond losses. For now: the loans priced above the
//! annual-rate lines regulators and courts draw (`[rate_lines]`), counted on
//! the book at the start of the run.
//!
//! A loan's annual rate is its monthly rate on the chosen basis (12 r, or
//! `(1 + r)^12 - 1`); the model has no fees, so this is also its IRR-based
//! APR. Capping the pricing at a line is a `[[events]]` `rate_cap` from
//! month 1 (every loan repriced from the start), and its income effect is a
//! `compare` of the scenario with and without it, on common random numbers.

use serde::{Deserialize, Serialize};

use crate::engine::Prepared;
use crate::population::cents_to_money;

/// The book against one line.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RateLine {
    /// The annual rate of the line.
    pub apr: f64,
    /// Loans priced above it.
    pub loans_above: u64,
    /// Their share of the book's loans.
    pub share_of_loans: f64,
    /// Their balance.
    pub balance_above: f64,
    /// Their share of the book's balance.
    pub share_of_balance: f64,
}

/// `summary.json`'s `rate_lines`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateLines {
    /// What the figures count.
    pub basis: String,
    /// The highest annual rate in the book.
    pub highest_apr: f64,
    /// One entry per line, lowest first.
    pub lines: Vec<RateLine>,
}

impl RateLines {
    /// The lines of `prepared`'s scenario against its book (the opening book;
    /// path 0's when the population is redrawn).
    pub fn of(prepared: &Prepared) -> Self {
        let s = prepared.scenario;
        let book = prepared.run_level_book();
        let basis = s.file.rate_lines.basis;
        let total_loans = book.loans.len() as f64;
        let total_balance: f64 = book.loans.iter().map(|l| cents_to_money(l.balance)).sum();
        let highest_apr = book
            .loans
            .iter()
            .map(|l| basis.annual(l.rate_monthly))
            .fold(0.0, f64::max);
        let lines = s
            .file
            .rate_lines
            .apr
            .iter()
            .map(|&apr| {
                let (mut loans, mut balance) = (0u64, 0.0);
                for l in book.loans.iter().filter(|l| basis.annual(l.rate_monthly) > apr) {
                    loans += 1;
                    balance += cents_to_money(l.balance);
                }
                let share = |x: f64, of: f64| if of > 0.0 { x / of } else { 0.0 };
                RateLine {
                    apr,
                    loans_above: loans,
                    share_of_loans: share(loans as f64, total_loans),
                    balance_above: balance,
                    share_of_balance: share(balance, total_balance),
                }
            })
            .collect();
        RateLines {
            basis: format!(
                "Loans of the book at the start of the run (the opening book; path 0's when the population is \
                 redrawn) whose annual rate, {}, is above each line; loans booked during the run are not counted",
                match basis {
                    crate::scenario::RateBasis::Nominal => "12 x the monthly rate",
                    crate::scenario::RateBasis::Effective => "(1 + monthly rate)^12 - 1",
                }
            ),
            highest_apr,
            lines,
        }
    }
}
