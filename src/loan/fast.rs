//! The fast path for the plain default model, and the book view
//! ([`FastBook`]) that it and monthly stepping share: survivors' cash summed
//! once per run, only the loans with an event stepped on a path.

use super::spell::open_unit;
use super::stepping::{Account, charge_offs, settle, settlement, simulate_loan};
use super::{LoanKeys, LoanModel, PathTables, PathTally};
use crate::engine::streams::{LoanStream, first_uniforms, mix64, threshold};
use crate::population::{Book, Cents, Loan, ProductKind, round_cents};
use crate::stats::binomial::binomial_quantile;
use std::collections::HashMap;

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
    /// `[p_t, (e_t - p_t) / (1 - p_t)]`, `[grade * horizon + t]`: a live
    /// loan's default probability in month `t`, and its prepayment
    /// probability when it does not default; filled only for a book with
    /// pools ([`FastBook::has_pools`]), empty otherwise.
    pub pool_probability: Vec<[f64; 2]>,
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
            if let Some(pool) = self.pool_probability.get_mut(row + t) {
                let prepaid = if p < 1.0 { (event - p) / (1.0 - p) } else { 0.0 };
                *pool = [p, prepaid];
            }
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
    let default = u < fast.default_split[row + t];
    book_event(loan, model, tables, keys, t, default, &mut account, 1, tally);
    t + 1
}

/// Books the first event in month `t` of `count` loans identical to `loan`
/// whose account (each one's) is `account` after its on-time months: a
/// charge-off, with a revolving line's drawdown before it, or a prepayment.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn book_event(
    loan: &Loan,
    model: &LoanModel,
    tables: &PathTables,
    keys: &LoanKeys,
    t: usize,
    default: bool,
    account: &mut Account,
    count: u32,
    tally: &mut PathTally,
) {
    let times = count as Cents;
    if default {
        if loan.kind == ProductKind::Revolving {
            let extra = round_cents((account.limit - account.balance) as f64 * model.rules[loan.segment as usize].ccf);
            account.balance += extra;
            tally.ledger.originated += extra * times;
        }
        charge_offs(loan, model, tables, keys, t, account.balance, count, tally);
    } else {
        tally.ledger.prepaid += account.balance * times;
        if tally.records_months() {
            let mut row = super::tape::TapeRow::state(loan.id, t, super::tape::TapeState::Prepaid, 0);
            row.principal_paid = account.balance;
            tally.record_row(row);
        }
    }
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
        self.add_times(other, 1);
    }

    /// Adds `count` times `other` (the survival of a pool's loans).
    fn add_times(&mut self, other: &Survival, count: u32) {
        let c = count as Cents;
        self.originated += other.originated * c;
        self.interest += other.interest * c;
        self.repaid += other.repaid * c;
        self.outstanding += other.outstanding * c;
        self.loan_months += other.loan_months * count as u64;
    }
}

/// Loans whose first uniforms are drawn at once (a few vectors' worth, on the stack).
const CHUNK: usize = 256;

/// Marks a loan stepped on every path (a fraudulent one, which never pays).
const ALWAYS_STEPPED: u32 = u32::MAX;

/// Mixed into a path's loan-event key for the pools' counts, so that they
/// are a stream of their own (no loan's uniform is reused).
const POOL_STREAM: u64 = 0x706f_6f6c_6564_0001;

/// What makes two loans of a book identical for the fast path: every field
/// but the identity (which only keys a loan's own draws) and the LGD row
/// (replaced by the LGD itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct PoolKey {
    balance: Cents,
    limit: Cents,
    schedule: u32,
    rate_bits: u64,
    grade: u32,
    term_months: u16,
    segment: u16,
    revolving: bool,
    band: u8,
    start_bucket: u8,
    fixed_lgd_bits: Option<u64>,
}

impl PoolKey {
    fn of(loan: &Loan, model: &LoanModel) -> Self {
        PoolKey {
            balance: loan.balance,
            limit: loan.limit,
            schedule: loan.schedule,
            rate_bits: loan.rate_monthly.to_bits(),
            grade: loan.grade,
            term_months: loan.term_months,
            segment: loan.segment,
            revolving: loan.kind == ProductKind::Revolving,
            band: loan.band,
            start_bucket: loan.start_bucket,
            fixed_lgd_bits: loan
                .fixed_lgd
                .map(|row| model.fixed_lgd[row.get() as usize - 1].to_bits()),
        }
    }

    /// The key of the pool's count stream: a hash of what the loans are,
    /// so the same pool in another policy's book draws the same counts.
    fn stream_id(&self) -> u64 {
        [
            self.balance as u64,
            self.limit as u64,
            self.schedule as u64,
            self.rate_bits,
            self.grade as u64,
            self.term_months as u64 | (self.segment as u64) << 16 | (self.revolving as u64) << 32,
            self.band as u64 | (self.start_bucket as u64) << 8,
            self.fixed_lgd_bits.unwrap_or(u64::MAX),
        ]
        .iter()
        .fold(0x005e_ed0f_9001, |h, &x| mix64(h ^ x))
    }
}

/// Identical loans drawn together: their counts of defaults and
/// prepayments month by month, not each loan's uniform (see
/// [`FastBook::new`]).
#[derive(Debug, Clone)]
struct Pool {
    /// Book row of the pool's first loan (all are alike).
    loan: u32,
    /// Loans in the pool.
    count: u32,
    /// Months the loans can have an event in.
    months: u32,
    /// Row of the loans' grade in the fast tables.
    row: u32,
    /// Key of the pool's count stream ([`PoolKey::stream_id`]).
    stream: u64,
    /// One loan's survival.
    survival: Survival,
}

/// Which curve decides whether a loan has an event on a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventCurve {
    /// The fast path's first-event thresholds ([`FastTables::first_event`]).
    FirstEvent,
    /// Monthly stepping's survival curves of current spells
    /// ([`SpellCurves`](super::spell::SpellCurves)): a loan whose first
    /// uniform keeps it current through its last month has no event, and
    /// adds the same closed-form cash on every path, as on the fast path.
    Spell,
}

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
///
/// With pooling (`--engine pooled`), loans that are identical in everything
/// but their identity form pools, and a pool draws, month by month, how many
/// of its live loans default (a binomial count of the live loans at the
/// month's default probability) and how many of the rest prepay: the same
/// law as one uniform per loan, at a cost per pool and month instead of per
/// loan. Each count is the binomial quantile of one uniform of the pool's
/// own stream (keyed by the path and by what the loans are), so a worse
/// month or a larger pool gives more defaults on the same uniform: common
/// random numbers survive across policies whose books share the pool.
#[derive(Debug, Clone)]
pub struct FastBook {
    /// The curve the flags read.
    curve: EventCurve,
    /// `mix64(id + GOLDEN_GAMMA)`: the path-independent half of each loan's
    /// stream seed ([`LoanStream::new`]), by row of the loans drawn one by one.
    id_hash: Vec<u64>,
    /// Index in the event curve of each loan's last month, or
    /// [`ALWAYS_STEPPED`]: in [`FastTables::first_event`], a uniform below
    /// the threshold there is an event within the loan's months; in the
    /// spell curves' rows, a survival below the uniform's `(0, 1]` value is.
    last_event: Vec<u32>,
    /// Book row of each loan drawn one by one; empty when that is every loan
    /// in book order (no pools).
    book_row: Vec<u32>,
    /// The survival of each loan drawn one by one (default for one stepped
    /// on every path): what a path with an event takes back out of the sum,
    /// kept rather than recomputed (its settlement) on every path.
    survival: Vec<Survival>,
    /// The pools, in the book order of their first loans.
    pools: Vec<Pool>,
    /// The survival of every loan that is not stepped on every path, summed.
    survivors: Survival,
}

impl FastBook {
    /// The fast-path view of `book` (for `FastTables` of `horizon` months).
    /// With `pooling`, the loans of segment `s` with `pooling[s]` (its LGD
    /// is fixed: a drawn LGD needs each loan's own draw) or with a fixed
    /// LGD of their own form pools wherever at least two are identical.
    ///
    /// With [`EventCurve::Spell`] (monthly stepping), no pools are formed, and
    /// a loan delinquent at the start is stepped on every path.
    pub fn new(book: &Book, model: &LoanModel, pooling: Option<&[bool]>, curve: EventCurve) -> Self {
        let horizon = model.horizon;
        let pooling = pooling.filter(|_| curve == EventCurve::FirstEvent);
        // The index one past the loan's last month: the fast tables' rows
        // are `horizon` wide, the spell curves' `horizon + 1` with S_{-1} first.
        let width = match curve {
            EventCurve::FirstEvent => horizon as u64,
            EventCurve::Spell => horizon as u64 + 1,
        };
        let event_row = |loan: &Loan| {
            let last = last_month(loan, horizon);
            let row = loan.grade as u64 * width + last as u64;
            (!loan.fraud && loan.start_bucket == 0 && last > 0 && row < ALWAYS_STEPPED as u64).then_some(row)
        };
        // Pools first: which loans are drawn one by one depends on them.
        let mut pooled = vec![false; if pooling.is_some() { book.loans.len() } else { 0 }];
        let mut pools = Vec::new();
        if let Some(fixed_lgd) = pooling {
            let mut members: HashMap<PoolKey, Vec<u32>> = HashMap::new();
            let mut order = Vec::new();
            for (i, loan) in book.loans.iter().enumerate() {
                let eligible =
                    event_row(loan).is_some() && (loan.fixed_lgd.is_some() || fixed_lgd[loan.segment as usize]);
                if eligible {
                    let key = PoolKey::of(loan, model);
                    let rows = members.entry(key).or_default();
                    if rows.is_empty() {
                        order.push(key);
                    }
                    rows.push(i as u32);
                }
            }
            for key in order {
                let rows = &members[&key];
                if rows.len() < 2 {
                    continue;
                }
                let loan = &book.loans[rows[0] as usize];
                rows.iter().for_each(|&r| pooled[r as usize] = true);
                pools.push(Pool {
                    loan: rows[0],
                    count: rows.len() as u32,
                    months: last_month(loan, horizon) as u32,
                    row: loan.grade * horizon as u32,
                    stream: key.stream_id(),
                    survival: Survival::of(loan, model),
                });
            }
        }
        let mut survivors = Survival::default();
        pools.iter().for_each(|p| survivors.add_times(&p.survival, p.count));
        let (mut id_hash, mut last_event, mut book_row, mut survival) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (i, loan) in book.loans.iter().enumerate() {
            if pooled.get(i).copied().unwrap_or(false) {
                continue;
            }
            id_hash.push(LoanStream::id_hash(loan.id as u64));
            let row = event_row(loan);
            let survives = row.map_or_else(Survival::default, |_| Survival::of(loan, model));
            survival.push(survives);
            last_event.push(match row {
                Some(row) => {
                    survivors.add(&survives);
                    match curve {
                        EventCurve::FirstEvent => (row - 1) as u32,
                        EventCurve::Spell => row as u32,
                    }
                }
                None => ALWAYS_STEPPED,
            });
            book_row.push(i as u32);
        }
        if pools.is_empty() {
            book_row.clear();
        }
        FastBook {
            curve,
            id_hash,
            last_event,
            book_row,
            survival,
            pools,
            survivors,
        }
    }

    /// Whether some loans are drawn as pools (their tables need [`FastTables::pool_probability`]).
    pub fn has_pools(&self) -> bool {
        !self.pools.is_empty()
    }

    /// Loans drawn as pools, and the pools.
    pub fn pooled_loans(&self) -> (u64, usize) {
        (self.pools.iter().map(|p| p.count as u64).sum(), self.pools.len())
    }

    /// Steps `book` (the one this was built from) through one path: the
    /// same tally as [`simulate_loan`] on every loan in book order (without
    /// pools; with them, the same law).
    pub fn step(&self, book: &Book, model: &LoanModel, tables: &PathTables, keys: &LoanKeys, tally: &mut PathTally) {
        match self.curve {
            EventCurve::FirstEvent => {
                let fast = tables.fast.as_ref().expect("the fast path has first-event tables");
                let first_event = &fast.first_event;
                self.step_with(book, model, tables, keys, tally, |u, row| u < first_event[row as usize]);
            }
            EventCurve::Spell => {
                // `Residual::spell` from month 0 (S_{-1} = 1): an event when S_last < r.
                let survival = tables.spells.flat();
                self.step_with(book, model, tables, keys, tally, |u, row| {
                    survival[row as usize] < open_unit(u)
                });
            }
        }
    }

    /// [`FastBook::step`] with `has_event(u, row)` the test of a loan's
    /// first uniform against its curve at `row` ([`FastBook::last_event`]).
    #[inline(always)]
    fn step_with(
        &self,
        book: &Book,
        model: &LoanModel,
        tables: &PathTables,
        keys: &LoanKeys,
        tally: &mut PathTally,
        has_event: impl Fn(u64, u32) -> bool,
    ) {
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
            let first = c * CHUNK;
            let loan_at = |j: usize| match self.book_row.get(first + j) {
                Some(&row) => &book.loans[row as usize],
                None => &book.loans[first + j],
            };
            // Each loan written to the next slot, the slot kept on an event:
            // no branch to mispredict when a large share of loans have one
            // (about 45% over the 24 months of the downturn book).
            let mut n = 0;
            for (j, (&u, &row)) in uniforms.iter().zip(rows).enumerate() {
                flagged[n] = j as u16;
                n += usize::from(row == ALWAYS_STEPPED || has_event(u, row));
            }
            for &j in &flagged[..n] {
                prefetch(loan_at(j as usize));
            }
            for &j in &flagged[..n] {
                let loan = loan_at(j as usize);
                simulate_loan(loan, 0, model, tables, keys, tally);
                if rows[j as usize] != ALWAYS_STEPPED {
                    stepped.add(&self.survival[first + j as usize]);
                }
            }
        }
        if !self.pools.is_empty() {
            let fast = tables.fast.as_ref().expect("pools are on the fast path");
            let key = mix64(keys.events ^ POOL_STREAM);
            for pool in &self.pools {
                let left = self.step_pool(pool, book, model, tables, fast, keys, key, tally);
                stepped.add_times(&pool.survival, pool.count - left);
            }
        }
        let s = &self.survivors;
        tally.ledger.originated += s.originated - stepped.originated;
        tally.interest += s.interest - stepped.interest;
        tally.ledger.repaid += s.repaid - stepped.repaid;
        tally.ledger.outstanding += s.outstanding - stepped.outstanding;
        tally.loan_months += s.loan_months - stepped.loan_months;
    }

    /// Draws one path of `pool`: month by month, how many of its live loans
    /// default and how many of the others prepay, each booked as that many
    /// first events of the pool's loan. Returns the loans without an event.
    #[allow(clippy::too_many_arguments)]
    fn step_pool(
        &self,
        pool: &Pool,
        book: &Book,
        model: &LoanModel,
        tables: &PathTables,
        fast: &FastTables,
        keys: &LoanKeys,
        path_key: u64,
        tally: &mut PathTally,
    ) -> u32 {
        let loan = &book.loans[pool.loan as usize];
        let mut stream = LoanStream::from_id_hash(path_key, pool.stream);
        let mut unit = || ((stream.next_u64() >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64);
        let mut alive = pool.count;
        for t in 0..pool.months as usize {
            let [default, prepayment] = fast.pool_probability[pool.row as usize + t];
            let defaults = binomial_quantile(alive, default, unit());
            let prepaid = if prepayment > 0.0 {
                binomial_quantile(alive - defaults, prepayment, unit())
            } else {
                0
            };
            for (count, is_default) in [(defaults, true), (prepaid, false)] {
                if count == 0 {
                    continue;
                }
                // What `simulate_loan` books for each: the loan, its on-time months, the event.
                let mut account = Account::open(loan);
                let settled = settlement(loan, model, &mut account, t);
                let times = count as Cents;
                tally.ledger.originated += (loan.balance + settled.drawn) * times;
                tally.interest += settled.interest * times;
                tally.ledger.repaid += settled.repaid * times;
                book_event(loan, model, tables, keys, t, is_default, &mut account, count, tally);
                tally.loan_months += (t as u64 + 1) * count as u64;
            }
            alive -= defaults + prepaid;
            if alive == 0 {
                break;
            }
        }
        alive
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
