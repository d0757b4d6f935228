//! The fast path for the plain default model.

use super::stepping::{Account, charge_off, settle, settlement, simulate_loan};
use super::{LoanKeys, LoanModel, PathTables, PathTally};
use crate::engine::streams::{LoanStream, first_uniforms, threshold};
use crate::population::{Book, Cents, Loan, ProductKind, round_cents};

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
    let last = last_month(loan, horizon);
    let row = loan.grade as usize * fast.horizon;
    let u = LoanStream::new(keys.events, loan.id as u64).next_u64();
    let t = fast.first_event[row..row + last].partition_point(|&f| f <= u);
    let mut account = Account::open(loan);
    settle(loan, model, &mut account, 0, t, tally);
    if t == last {
        if account.repaid_in_full(loan) {
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

/// Months a loan can have an event in: the horizon, or an installment
/// loan's remaining term when it is shorter.
#[inline(always)]
fn last_month(loan: &Loan, horizon: usize) -> usize {
    if loan.kind == ProductKind::Revolving {
        horizon
    } else {
        horizon.min(loan.term_months as usize)
    }
}

/// What a loan adds to a path's tally when it has no event within its
/// months: integer cents and months only, so sums of it are exact in any order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Survival {
    originated: Cents,
    interest: Cents,
    repaid: Cents,
    outstanding: Cents,
    loan_months: u64,
}

impl Survival {
    /// The survival of `loan`: exactly what [`first_event`] (through
    /// [`simulate_loan`]) books for it when its uniform falls after its first-event curve.
    fn of(loan: &Loan, model: &LoanModel) -> Self {
        let last = last_month(loan, model.horizon);
        let mut account = Account::open(loan);
        let settled = settlement(loan, model, &mut account, last);
        let matured = account.repaid_in_full(loan);
        Survival {
            originated: loan.balance + settled.drawn,
            interest: settled.interest,
            repaid: settled.repaid,
            outstanding: if matured { 0 } else { account.balance },
            loan_months: if matured { last } else { model.horizon } as u64,
        }
    }

    fn add(&mut self, other: &Survival) {
        self.originated += other.originated;
        self.interest += other.interest;
        self.repaid += other.repaid;
        self.outstanding += other.outstanding;
        self.loan_months += other.loan_months;
    }
}

/// Loans whose first uniforms are drawn at once (a few vectors' worth, on the stack).
const CHUNK: usize = 256;

/// Marks a loan stepped on every path (a fraudulent one, which never pays).
const ALWAYS_STEPPED: u32 = u32::MAX;

/// The opening book as the fast path reads it, built once per run.
///
/// Most loans have no event on a path (their uniform falls after their
/// first-event curve) and then add the same closed-form cash on every path.
/// That cash is summed once per run; a path draws each loan's uniform from
/// two arrays (no `Loan` is read), and steps only the loans with an event,
/// taking their survival back out of the sum. The tally is bitwise the one
/// of stepping every loan: the same uniform decides each loan, loans with an
/// event are stepped in book order (so float sums add in the same order),
/// and everything the survivors add is integer cents and months.
#[derive(Debug, Clone)]
pub struct FastBook {
    /// `mix64(id + GOLDEN_GAMMA)`: the path-independent half of each loan's
    /// stream seed ([`LoanStream::new`]), by book row.
    id_hash: Vec<u64>,
    /// Index in [`FastTables::first_event`] of each loan's last month, or
    /// [`ALWAYS_STEPPED`]: a uniform below the threshold there is an event within the loan's months.
    last_event: Vec<u32>,
    /// The survival of every loan that is not stepped on every path, summed.
    survivors: Survival,
}

impl FastBook {
    /// The fast-path view of `book` (for `FastTables` of `horizon` months).
    pub fn new(book: &Book, model: &LoanModel) -> Self {
        let horizon = model.horizon;
        let mut survivors = Survival::default();
        let last_event = book
            .loans
            .iter()
            .map(|loan| {
                let last = last_month(loan, horizon);
                let row = loan.grade as u64 * horizon as u64 + last as u64;
                if loan.fraud || last == 0 || row > ALWAYS_STEPPED as u64 {
                    return ALWAYS_STEPPED;
                }
                survivors.add(&Survival::of(loan, model));
                (row - 1) as u32
            })
            .collect();
        FastBook {
            id_hash: book.loans.iter().map(|l| LoanStream::id_hash(l.id as u64)).collect(),
            last_event,
            survivors,
        }
    }

    /// Steps `book` (the one this was built from) through one path: the
    /// same tally as [`simulate_loan`] on every loan in book order.
    pub fn step(&self, book: &Book, model: &LoanModel, tables: &PathTables, keys: &LoanKeys, tally: &mut PathTally) {
        let fast = tables.fast.as_ref().expect("the fast path has first-event tables");
        debug_assert!(!tally.records_months(), "months are recorded loan by loan");
        let mut stepped = Survival::default();
        let mut uniforms = [0u64; CHUNK];
        let mut flagged = [0u16; CHUNK];
        let chunks = self.id_hash.chunks(CHUNK).zip(self.last_event.chunks(CHUNK));
        for (c, (hashes, rows)) in chunks.enumerate() {
            let uniforms = &mut uniforms[..hashes.len()];
            first_uniforms(keys.events, hashes, uniforms);
            // The loans with an event first, their `Loan`s asked for from
            // memory all at once: a few scattered rows of a large book are
            // then fetched in parallel instead of one miss after another.
            let loans = &book.loans[c * CHUNK..c * CHUNK + hashes.len()];
            let mut n = 0;
            for (j, (&u, &row)) in uniforms.iter().zip(rows).enumerate() {
                if row == ALWAYS_STEPPED || u < fast.first_event[row as usize] {
                    prefetch(&loans[j]);
                    flagged[n] = j as u16;
                    n += 1;
                }
            }
            for &j in &flagged[..n] {
                let loan = &loans[j as usize];
                simulate_loan(loan, 0, model, tables, keys, tally);
                if rows[j as usize] != ALWAYS_STEPPED {
                    stepped.add(&Survival::of(loan, model));
                }
            }
        }
        let s = &self.survivors;
        tally.ledger.originated += s.originated - stepped.originated;
        tally.interest += s.interest - stepped.interest;
        tally.ledger.repaid += s.repaid - stepped.repaid;
        tally.ledger.outstanding += s.outstanding - stepped.outstanding;
        tally.loan_months += s.loan_months - stepped.loan_months;
    }
}

/// Asks for the cache line of `value` ahead of its use (a hint: no effect on results).
#[inline(always)]
fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch never faults and reads nothing the program sees; SSE is part of x86-64.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>((value as *const T).cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}
