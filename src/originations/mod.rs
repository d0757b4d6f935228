//! Originations: new lending during the run (a going-concern book).
//!
//! Each month `t` in a segment's origination window, `N_t` applicants
//! arrive: Poisson with mean `min(a exp(s Z_t), cap a)` (or that mean
//! rounded), `Z_t` the segment's systematic factor in that month. Applicant
//! `i` is drawn from the segment's own rules (score, income, product,
//! limit, pricing) with its score mean moved by `shift Z_t` (adverse
//! selection), and booked when it passes the approval policy that books the
//! opening book. A booked loan is on the book from month `t`: its first
//! payment is due at the end of that month, as the opening book's is at the
//! end of month 0.
//!
//! # Common random numbers
//! Applicant `i`'s attributes come from a stream keyed by (seed, segment,
//! month, i), and its loan's events, LGD and policy draws from streams keyed
//! by (seed, path, segment, month, i). Every applicant is drawn whether it
//! is booked or not, so two approval policies see the same applicants on the
//! same path, and a stricter one books a subset of them with the same draws.
//! The count `N_t` comes from its own stream keyed by (seed, path, segment,
//! month). With the population redrawn per path, the applicants' stream is
//! keyed by the path as well.

use rand_distr::{Distribution, Poisson};

use crate::engine::streams::{Purpose, RUN_LEVEL, item_key, item_rng, stream_key};
use crate::loan::LoanKeys;
use crate::loan::schedule::ScheduleTemplates;
use crate::population::{Loan, PdGrades, approved, draw_loan};
use crate::scenario::{Originations, SCORE_MAX, SCORE_MIN, Scenario, VolumeNoise};

/// The item of `(segment, month)` in the originations' streams.
fn cell(segment: usize, month: usize) -> u64 {
    ((segment as u64) << 32) | month as u64
}

/// Number of applicants of `segment` in month `month` on path `path`, whose
/// segment factor that month is `z`; `multiplier` scales the month's mean
/// (a reputational shock; 1 without one).
pub fn applications(
    scenario: &Scenario,
    o: &Originations,
    segment: usize,
    month: usize,
    z: f64,
    multiplier: f64,
    path: u64,
) -> u32 {
    let mean = o.mean_volume(z) * multiplier;
    let count = match o.volume_noise {
        VolumeNoise::None => mean.round(),
        VolumeNoise::Poisson if mean > 0.0 => {
            let mut rng = item_rng(
                stream_key(scenario.seed, path, Purpose::Applications),
                cell(segment, month),
            );
            // The mean is at most 1e9 (validated), far inside Poisson's range.
            Poisson::new(mean).map_or(mean.round(), |p| p.sample(&mut rng))
        }
        VolumeNoise::Poisson => 0.0,
    };
    count.clamp(0.0, u32::MAX as f64) as u32
}

/// What one applicant would borrow, and whether the policy books it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Applicant {
    /// The loan it would book (its id is its index in the month).
    pub loan: Loan,
    /// Its credit score (after the adverse-selection shift).
    pub score: f64,
    /// Whether the approval policy books it.
    pub approved: bool,
}

/// Applicant `index` of `segment` in month `month`, whose segment factor that
/// month is `z`, on path `path`.
#[allow(clippy::too_many_arguments)]
pub fn applicant(
    scenario: &Scenario,
    grades: &PdGrades,
    schedules: &ScheduleTemplates,
    o: &Originations,
    segment: usize,
    month: usize,
    index: u32,
    z: f64,
    path: u64,
) -> Applicant {
    let seg = &scenario.segments[segment];
    let stream_path = if scenario.redraw_population { path } else { RUN_LEVEL };
    let key = item_key(
        stream_key(scenario.seed, stream_path, Purpose::Applicants),
        cell(segment, month),
    );
    let mut rng = item_rng(key, index as u64);
    // The shifted mean stays within the score range, so that the redrawing
    // of scores outside 350-950 always ends.
    let mean = (seg.score_mean + o.score_shift_per_sd * z).clamp(SCORE_MIN, SCORE_MAX);
    let shift = mean - seg.score_mean;
    let (loan, score) = draw_loan(scenario, seg, segment, grades, schedules, index, shift, &mut rng);
    Applicant {
        loan,
        score,
        approved: approved(scenario, score),
    }
}

/// Stream keys of the loans booked in `segment` in month `month` on path `path`.
pub fn loan_keys(scenario: &Scenario, segment: usize, month: usize, path: u64) -> LoanKeys {
    let key = |path, purpose| item_key(stream_key(scenario.seed, path, purpose), cell(segment, month));
    let borrowers = if scenario.redraw_population { path } else { RUN_LEVEL };
    LoanKeys {
        events: key(path, Purpose::OriginatedEvents),
        lgd: key(path, Purpose::OriginatedLgd),
        policy: key(path, Purpose::OriginatedPolicy),
        borrower: key(borrowers, Purpose::Borrowers),
    }
}
