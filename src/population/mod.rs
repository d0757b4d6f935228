//! Population: the second stage. Draws the synthetic book of loans from the
//! scenario's segments (scores, incomes, limits, products, pricing, PD grade).
//!
//! A loan's attributes come from its segment's own stream, in applicant
//! order, so the same seed always books the same borrowers.

mod pd;

pub use pd::PdGrades;

use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};

use crate::engine::streams::{Purpose, item_rng, stream_key};
use crate::loan::schedule::ScheduleTemplates;
use crate::scenario::{ImportedLoan, ImportedProduct, SCORE_MAX, SCORE_MIN, Scenario, Segment, StartState};

/// Amounts of money are kept in integer cents so that repayments, balances
/// and accounting identities are exact.
pub type Cents = i64;

/// Rounds a non-negative amount of currency units to cents (half up).
#[inline(always)]
pub fn to_cents(amount: f64) -> Cents {
    (amount * 100.0 + 0.5) as Cents
}

/// Rounds a non-negative amount already in cents to whole cents (half up).
#[inline(always)]
pub fn round_cents(cents: f64) -> Cents {
    (cents + 0.5) as Cents
}

/// Converts cents to currency units.
#[inline(always)]
pub fn cents_to_money(c: Cents) -> f64 {
    c as f64 / 100.0
}

/// The product of a loan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum ProductKind {
    /// Revolving credit line.
    Revolving,
    /// Annuity installment loan.
    EqualInstallment,
    /// Equal-principal installment loan.
    EqualPrincipal,
    /// Interest-only loan with bullet repayment.
    Bullet,
}

impl ProductKind {
    /// The kind whose `as u8` is `index`.
    pub fn from_index(index: u8) -> Self {
        match index {
            0 => ProductKind::Revolving,
            1 => ProductKind::EqualInstallment,
            2 => ProductKind::EqualPrincipal,
            _ => ProductKind::Bullet,
        }
    }
}

/// One booked loan (compact: the hot loop reads a few of these fields).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Loan {
    /// Outstanding (installment) or drawn (revolving) balance at the start.
    pub balance: Cents,
    /// Credit limit.
    pub limit: Cents,
    /// Offset of the loan's repayment curve in [`ScheduleTemplates`] (0 for revolving lines).
    pub schedule: u32,
    /// Monthly interest rate.
    pub rate_monthly: f64,
    /// Stable identity of the applicant (keys the loan's random streams).
    pub id: u32,
    /// Row of the PD grade table.
    pub grade: u32,
    /// Term in months (0 for revolving lines).
    pub term_months: u16,
    /// Segment index.
    pub segment: u16,
    /// Product.
    pub kind: ProductKind,
    /// Score band index.
    pub band: u8,
    /// Fraudulent application (never pays).
    pub fraud: bool,
    /// Delinquency at the start: 0 current, `b + 1` in bucket `b` (imported books).
    pub start_bucket: u8,
    /// Fixed LGD of an imported loan: its row in `scenario.book`, plus 1.
    pub fixed_lgd: Option<std::num::NonZeroU32>,
}

// The hot loop streams loans through the cache: keep them at 48 bytes.
const _: () = assert!(std::mem::size_of::<Loan>() == 48);

/// The booked portfolio.
#[derive(Debug, Clone)]
pub struct Book {
    /// Loans, segment by segment.
    pub loans: Vec<Loan>,
    /// Index range of each segment's loans.
    pub segment_ranges: Vec<std::ops::Range<usize>>,
}

impl Book {
    /// Total initial balance in cents.
    pub fn exposure(&self) -> Cents {
        self.loans.iter().map(|l| l.balance).sum()
    }
}

/// Draws the whole book for the run (`path = None`) or for one path when the
/// population is redrawn per path.
pub fn draw_book(scenario: &Scenario, grades: &PdGrades, schedules: &ScheduleTemplates, path: Option<u64>) -> Book {
    draw_book_into(scenario, grades, schedules, path, None)
}

/// Where a booked loan came from, for exporting a book.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoanOrigin {
    /// The borrower's credit score.
    pub score: f64,
    /// Row in `scenario.book` of an imported loan (`None`: synthetic).
    pub imported_row: Option<usize>,
}

/// [`draw_book`] with the origin of every booked loan, in book order.
pub fn draw_book_with_origins(
    scenario: &Scenario,
    grades: &PdGrades,
    schedules: &ScheduleTemplates,
    path: Option<u64>,
) -> (Book, Vec<LoanOrigin>) {
    let mut origins = Vec::new();
    let book = draw_book_into(scenario, grades, schedules, path, Some(&mut origins));
    (book, origins)
}

fn draw_book_into(
    scenario: &Scenario,
    grades: &PdGrades,
    schedules: &ScheduleTemplates,
    path: Option<u64>,
    mut origins: Option<&mut Vec<LoanOrigin>>,
) -> Book {
    let key = stream_key(
        scenario.seed,
        path.unwrap_or(crate::engine::streams::RUN_LEVEL),
        Purpose::Population,
    );
    let total = scenario.total_loans() as usize;
    let mut loans = Vec::with_capacity(total);
    let mut segment_ranges = Vec::with_capacity(scenario.segments.len());
    let mut next_id: u32 = 0;
    for (s, seg) in scenario.segments.iter().enumerate() {
        let start = loans.len();
        let mut rng = item_rng(key, s as u64);
        for _ in 0..seg.loans {
            // Every applicant is drawn, booked or not, so that a cutoff never
            // shifts another applicant's draws (common random numbers).
            let (loan, score) = draw_loan(scenario, seg, s, grades, schedules, next_id, 0.0, &mut rng);
            if approved(scenario, score) {
                loans.push(loan);
                if let Some(o) = origins.as_deref_mut() {
                    o.push(LoanOrigin {
                        score,
                        imported_row: None,
                    });
                }
            }
            next_id = next_id.wrapping_add(1);
        }
        // The imported loans of the segment follow its synthetic ones, in
        // file order. Approval and limit policy act on applicants, never on
        // loans already on the book.
        for (row, imported) in scenario.book.iter().enumerate().filter(|(_, l)| l.segment == s) {
            loans.push(imported_loan(scenario, grades, schedules, row, imported));
            if let Some(o) = origins.as_deref_mut() {
                o.push(LoanOrigin {
                    score: imported.score,
                    imported_row: Some(row),
                });
            }
        }
        segment_ranges.push(start..loans.len());
    }
    Book { loans, segment_ranges }
}

/// The engine's view of row `row` of the imported book. An installment loan
/// with `k` of `n` payments made runs on the curve of its remaining
/// `n - k` payments from its balance: the same schedule as the original
/// one, since every amortisation here restarts exactly from any balance.
fn imported_loan(
    scenario: &Scenario,
    grades: &PdGrades,
    schedules: &ScheduleTemplates,
    row: usize,
    l: &ImportedLoan,
) -> Loan {
    let band = scenario.bands.band_of(l.score);
    let (kind, schedule, term) = match l.product {
        ImportedProduct::Revolving => (ProductKind::Revolving, 0, 0),
        ImportedProduct::Installment(a) => {
            let kind = ProductKind::from(a);
            let term = l.remaining_term();
            (kind, schedules.offset(kind, l.rate_monthly, term), term as u16)
        }
    };
    let revolving = kind == ProductKind::Revolving;
    Loan {
        balance: l.balance,
        limit: l.limit,
        schedule,
        rate_monthly: l.rate_monthly,
        id: l.stream_id,
        grade: match l.pd {
            Some(pd) => grades.grade_of_loan_pd(l.segment, pd, revolving),
            None => grades.grade_of(l.segment, l.score, band, revolving),
        },
        term_months: term,
        segment: l.segment as u16,
        kind,
        band: band as u8,
        fraud: l.fraud,
        start_bucket: match l.state {
            StartState::Current => 0,
            StartState::Delinquent(b) => b + 1,
        },
        fixed_lgd: l.lgd.and_then(|_| std::num::NonZeroU32::new(row as u32 + 1)),
    }
}

/// Whether the approval policy books an applicant with this score.
pub fn approved(scenario: &Scenario, score: f64) -> bool {
    scenario.policy.min_score.is_none_or(|cutoff| score >= cutoff)
}

/// Draws one applicant of segment `segment` (whether approved or not) and
/// returns the loan it would book and its score. The score is normal with
/// mean `score.mean + score_shift` (the shift is adverse selection of
/// applicants during the run; 0 for the opening book), redrawn until it lies
/// within 350-950.
#[allow(clippy::too_many_arguments)]
pub(crate) fn draw_loan<R: rand::Rng>(
    scenario: &Scenario,
    seg: &Segment,
    segment: usize,
    grades: &PdGrades,
    schedules: &ScheduleTemplates,
    id: u32,
    score_shift: f64,
    rng: &mut R,
) -> (Loan, f64) {
    let mean = seg.score_mean + score_shift;
    let score = loop {
        let z: f64 = StandardNormal.sample(rng);
        let s = mean + seg.score_std * z;
        if (SCORE_MIN..=SCORE_MAX).contains(&s) {
            break s;
        }
    };
    let z: f64 = StandardNormal.sample(rng);
    let income = seg.income_median * (seg.income_sigma * z).exp();
    let l = &seg.limit;
    let raw_limit = income * l.income_multiple * (score / l.score_pivot).powf(l.score_elasticity);
    // Rounded down to a multiple of `rounding`, then kept inside [min, cap].
    let band = scenario.bands.band_of(score);
    let policy = &scenario.policy;
    let multiplier = policy.limit_multiplier_by_band.get(band).copied().unwrap_or(1.0);
    let cap = policy.limit_cap.map_or(l.cap, |c| c.min(l.cap));
    let limit_units = ((raw_limit * multiplier / l.rounding).floor() * l.rounding).clamp(l.min.min(cap), cap);
    let limit = to_cents(limit_units);
    let rate_monthly = seg.monthly_rate_by_band[band];
    let fraud = rng.random::<f64>() < seg.fraud_share.get();
    let revolving = rng.random::<f64>() < seg.revolving_share.get();
    let (kind, balance, term_months, schedule) = if revolving {
        let drawn = round_cents(limit as f64 * seg.utilisation.sample(rng));
        (ProductKind::Revolving, drawn.clamp(0, limit), 0u16, 0)
    } else {
        let u: f64 = rng.random();
        let term_index = seg
            .terms
            .iter()
            .position(|(_, cum)| u < *cum)
            .unwrap_or(seg.terms.len() - 1);
        let term = seg.terms[term_index].0;
        // At least one cent per month so that every installment repays something.
        let principal =
            round_cents(limit as f64 * seg.installment_draw.sample(rng)).clamp(term as Cents, limit.max(term as Cents));
        let kind = ProductKind::from(seg.amortisation);
        (kind, principal, term as u16, schedules.offset(kind, rate_monthly, term))
    };
    let loan = Loan {
        balance,
        limit,
        schedule,
        rate_monthly,
        id,
        grade: grades.grade_of(segment, score, band, revolving),
        term_months,
        segment: segment as u16,
        kind,
        band: band as u8,
        fraud,
        start_bucket: 0,
        fixed_lgd: None,
    };
    (loan, score)
}
