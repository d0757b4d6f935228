//! Economics of the book beyond losses. For now: the loans priced above the
//! annual-rate lines regulators and courts draw (`[rate_lines]`), counted on
//! the book at the start of the run.
//!
//! A loan's annual rate is its monthly IRR `i` on the chosen basis (12 i,
//! or `(1 + i)^12 - 1`): the rate at which its scheduled payments are worth
//! what the borrower received, the principal less `[economics]`'s
//! origination fee `f` (when `include_origination_fee`):
//!
//! ```text
//! (1 - f) = sum_{k=1..n} c_k (1 + i)^-k,   c_k = (b_{k-1} - b_k) + r b_{k-1}
//! ```
//!
//! with `b_k` the balance fraction of its amortisation after `k` payments
//! (its remaining term for an imported loan) and `r` its contractual
//! monthly rate; a revolving line is taken as an equal-installment loan
//! over `revolving_fee_life_months`. Without a fee `i = r`. Late fees and
//! penalty interest are contingent charges and stay out. Capping the
//! pricing at a line is a `[[events]]` `rate_cap` from month 1 (every loan
//! repriced from the start; the cap applies to the contractual rate, so a
//! loan with a fee keeps an IRR above it), and its income effect is a
//! `compare` of the scenario with and without it, on common random numbers.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::engine::Prepared;
use crate::loan::schedule::balance_fraction;
use crate::population::{Loan, ProductKind, cents_to_money};

/// The book against one line.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RateLines {
    /// What the figures count.
    pub basis: String,
    /// The highest annual rate in the book.
    pub highest_apr: f64,
    /// The origination fee (share of the amount booked) in the rates; 0 without one.
    #[serde(default)]
    pub origination_fee_share: f64,
    /// One entry per line, lowest first.
    pub lines: Vec<RateLine>,
}

impl RateLines {
    /// The lines of `prepared`'s scenario against its book (the opening book;
    /// path 0's when the population is redrawn).
    pub fn of(prepared: &Prepared) -> Self {
        let s = prepared.scenario;
        let book = prepared.run_level_book();
        let settings = &s.file.rate_lines;
        let basis = settings.basis;
        let fee = match &s.file.economics {
            Some(e) if settings.include_origination_fee => e.origination_fee_share,
            _ => 0.0,
        };
        // One IRR per (product, rate, term): books hold few distinct pricings.
        let mut irr: HashMap<(u8, u64, u16), f64> = HashMap::new();
        let annual: Vec<f64> = book
            .loans
            .iter()
            .map(|l| {
                let i = *irr
                    .entry((l.kind as u8, l.rate_monthly.to_bits(), l.term_months))
                    .or_insert_with(|| monthly_irr(l, fee, settings.revolving_fee_life_months));
                basis.annual(i)
            })
            .collect();
        let total_loans = book.loans.len() as f64;
        let total_balance: f64 = book.loans.iter().map(|l| cents_to_money(l.balance)).sum();
        let highest_apr = annual.iter().copied().fold(0.0, f64::max);
        let lines = s
            .file
            .rate_lines
            .apr
            .iter()
            .map(|&apr| {
                let (mut loans, mut balance) = (0u64, 0.0);
                for (l, _) in book.loans.iter().zip(&annual).filter(|(_, a)| **a > apr) {
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
                 redrawn) whose annual rate, {}, is above each line; loans booked during the run are not \
                 counted. The monthly IRR {}",
                match basis {
                    crate::scenario::RateBasis::Nominal => "12 x the monthly IRR",
                    crate::scenario::RateBasis::Effective => "(1 + monthly IRR)^12 - 1",
                },
                if fee > 0.0 {
                    format!(
                        "equates the scheduled payments with the amount received, the principal less the \
                         origination fee of {} of it (a revolving line as an equal-installment loan over {} months)",
                        fee, settings.revolving_fee_life_months
                    )
                } else {
                    "is the contractual monthly rate (no origination fee)".to_string()
                }
            ),
            highest_apr,
            origination_fee_share: fee,
            lines,
        }
    }
}

/// The monthly IRR of `loan` with an origination fee `fee` (share of the
/// principal taken off the amount received): the root of
/// `sum_k c_k (1 + i)^-k = 1 - fee` over its scheduled payments per unit of
/// principal (see the module notes). Without a fee, the contractual rate.
pub fn monthly_irr(loan: &Loan, fee: f64, revolving_life_months: u32) -> f64 {
    let r = loan.rate_monthly;
    if fee <= 0.0 {
        return r;
    }
    let (kind, n) = match loan.kind {
        ProductKind::Revolving => (ProductKind::EqualInstallment, revolving_life_months),
        kind => (kind, u32::from(loan.term_months).max(1)),
    };
    let payments: Vec<f64> = (1..=n)
        .map(|k| {
            let before = balance_fraction(kind, r, n, k - 1);
            before - balance_fraction(kind, r, n, k) + r * before
        })
        .collect();
    // Present value of the payments at monthly rate i, less what was received: decreasing in i.
    let gap = |i: f64| -> f64 {
        let v = 1.0 / (1.0 + i);
        let mut discount = 1.0;
        payments
            .iter()
            .map(|c| {
                discount *= v;
                c * discount
            })
            .sum::<f64>()
            - (1.0 - fee)
    };
    // gap(r) = fee > 0; widen the upper end until the gap turns negative, then bisect.
    let (mut lo, mut hi) = (r, r + fee.max(1e-6));
    while gap(hi) > 0.0 && hi < 1e6 {
        lo = hi;
        hi = 2.0 * hi + 1e-3;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if gap(mid) > 0.0 { lo = mid } else { hi = mid }
    }
    0.5 * (lo + hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loan(kind: ProductKind, rate: f64, term: u16) -> Loan {
        Loan {
            balance: 100_000,
            limit: 100_000,
            schedule: 0,
            rate_monthly: rate,
            id: 0,
            grade: 0,
            term_months: term,
            segment: 0,
            kind,
            band: 0,
            fraud: false,
            start_bucket: 0,
            fixed_lgd: None,
        }
    }

    /// The annuity's own present value at `i`, from its closed form.
    fn annuity_pv(r: f64, n: u32, i: f64) -> f64 {
        let payment = r / (1.0 - (1.0 + r).powi(-(n as i32)));
        payment * (1.0 - (1.0 + i).powi(-(n as i32))) / i
    }

    #[test]
    fn without_a_fee_the_irr_is_the_contractual_rate() {
        for kind in [
            ProductKind::EqualInstallment,
            ProductKind::EqualPrincipal,
            ProductKind::Bullet,
        ] {
            assert_eq!(monthly_irr(&loan(kind, 0.015, 12), 0.0, 12), 0.015);
        }
        // With a vanishing fee the root is the rate itself, whatever the amortisation.
        for kind in [
            ProductKind::EqualInstallment,
            ProductKind::EqualPrincipal,
            ProductKind::Bullet,
        ] {
            let i = monthly_irr(&loan(kind, 0.015, 12), 1e-13, 12);
            assert!((i - 0.015).abs() < 1e-9, "{kind:?}: {i}");
        }
    }

    #[test]
    fn an_annuitys_irr_with_a_fee_solves_its_closed_form() {
        for (r, n, fee) in [
            (0.01, 12u16, 0.02),
            (0.0166, 6, 0.03),
            (0.02, 3, 0.05),
            (0.005, 1, 0.01),
        ] {
            let i = monthly_irr(&loan(ProductKind::EqualInstallment, r, n), fee, 12);
            assert!(i > r, "a fee raises the IRR");
            let pv = annuity_pv(r, n as u32, i);
            assert!((pv - (1.0 - fee)).abs() < 1e-12, "r {r} n {n} fee {fee}: pv {pv}");
        }
        // A one-month loan: (1 + r) / (1 + i) = 1 - fee.
        let i = monthly_irr(&loan(ProductKind::EqualInstallment, 0.01, 1), 0.03, 12);
        assert!((i - (1.01 / 0.97 - 1.0)).abs() < 1e-12);
        // A revolving line is the equal-installment loan over the chosen life.
        let line = monthly_irr(&loan(ProductKind::Revolving, 0.0166, 0), 0.03, 6);
        let installment = monthly_irr(&loan(ProductKind::EqualInstallment, 0.0166, 6), 0.03, 12);
        assert_eq!(line, installment);
    }

    #[test]
    fn a_23_percent_loan_with_a_2_percent_fee_is_above_the_24_percent_line() {
        // 12 x 1.9167% = 23%; with 2% off the amount received over 12 months the APR is about 27.0%.
        let r = 0.23 / 12.0;
        let apr = 12.0 * monthly_irr(&loan(ProductKind::EqualInstallment, r, 12), 0.02, 12);
        assert!(apr > 0.24 && apr < 0.30, "{apr}");
        // The shorter the loan, the more a fee weighs: over three months the same 2% gives about
        // 35.5%, and 3% lifts it above the 36% line.
        let short = 12.0 * monthly_irr(&loan(ProductKind::EqualInstallment, r, 3), 0.02, 12);
        assert!(short > 0.35 && short < 0.36, "{short}");
        let short = 12.0 * monthly_irr(&loan(ProductKind::EqualInstallment, r, 3), 0.03, 12);
        assert!(short > 0.36, "{short}");
    }
}
