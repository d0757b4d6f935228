//! PD grades: the score-to-PD mapping, discretised so that conditional
//! probabilities are computed once per (grade, month, path), not per loan.

use crate::scenario::{PdSpec, SCORE_MIN, Scenario};
use crate::stats::normal::norm_inv;

/// Score resolution of a logistic scorecard (points per grade).
pub const LOGISTIC_GRADE_POINTS: f64 = 5.0;

/// Through-the-cycle PD of every grade of every segment, stored flat.
#[derive(Debug, Clone)]
pub struct PdGrades {
    /// First grade row of each segment.
    pub segment_offset: Vec<usize>,
    /// How each segment's borrowers map to its grades.
    pub segment_grading: Vec<Grading>,
    /// Segment of each grade row.
    pub segment_of: Vec<usize>,
    /// PD over `pd_period_months` of each grade row.
    pub pd_period: Vec<f64>,
    /// Monthly charge-off hazard `1 - (1 - PD)^(1 / period)` of each grade row.
    pub monthly_hazard: Vec<f64>,
    /// Monthly probability of missing a payment, calibrated so that the
    /// charge-off hazard at factor 0 equals `monthly_hazard` (see
    /// [`crate::scenario::Dynamics::charge_off_given_entry`]).
    pub monthly_entry: Vec<f64>,
    /// `Phi^-1(monthly_entry)`, so that a path needs one `Phi` per (grade, month).
    pub entry_probit: Vec<f64>,
}

impl PdGrades {
    /// Builds the grade tables of a scenario.
    pub fn new(scenario: &Scenario) -> Self {
        let period = scenario.dynamics.pd_period_months as f64;
        let co_given_entry = scenario.dynamics.charge_off_given_entry();
        let mut out = PdGrades {
            segment_offset: Vec::new(),
            segment_grading: Vec::new(),
            segment_of: Vec::new(),
            pd_period: Vec::new(),
            monthly_hazard: Vec::new(),
            monthly_entry: Vec::new(),
            entry_probit: Vec::new(),
        };
        for (s, seg) in scenario.segments.iter().enumerate() {
            out.segment_offset.push(out.pd_period.len());
            let (grading, pds): (Grading, Vec<f64>) = match &seg.pd {
                PdSpec::Logistic {
                    intercept,
                    slope_per_100,
                    pivot,
                } => (
                    Grading::ByScore,
                    (0..grade_count_logistic())
                        .map(|g| {
                            let score = SCORE_MIN + g as f64 * LOGISTIC_GRADE_POINTS;
                            logistic(intercept + slope_per_100 * (score - pivot) / 100.0)
                        })
                        .collect(),
                ),
                PdSpec::Table { by_band } => (Grading::ByBand, by_band.clone()),
                PdSpec::Constant { value } => (Grading::Single, vec![*value]),
            };
            out.segment_grading.push(grading);
            for pd in pds {
                let h = 1.0 - (1.0 - pd).powf(1.0 / period);
                out.segment_of.push(s);
                out.pd_period.push(pd);
                out.monthly_hazard.push(h);
                let entry = (h / co_given_entry).min(1.0 - 1e-12);
                out.monthly_entry.push(entry);
                out.entry_probit.push(norm_inv(entry));
            }
        }
        out
    }

    /// Number of grade rows over all segments.
    pub fn len(&self) -> usize {
        self.pd_period.len()
    }

    /// True when there are no grades (never for a validated scenario).
    pub fn is_empty(&self) -> bool {
        self.pd_period.is_empty()
    }

    /// Grade row of a borrower of `segment` with this score and band.
    pub fn grade_of(&self, segment: usize, score: f64, band: usize) -> u32 {
        let offset = self.segment_offset[segment];
        let local = match self.segment_grading[segment] {
            Grading::Single => 0,
            Grading::ByScore => ((score - SCORE_MIN) / LOGISTIC_GRADE_POINTS).round() as usize,
            Grading::ByBand => band,
        };
        (offset + local) as u32
    }
}

/// How a segment's borrowers map to PD grades.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grading {
    /// One PD for all.
    Single,
    /// One PD per score band.
    ByBand,
    /// Logistic scorecard at 5-point resolution.
    ByScore,
}

fn grade_count_logistic() -> usize {
    ((crate::scenario::SCORE_MAX - SCORE_MIN) / LOGISTIC_GRADE_POINTS) as usize + 1
}

/// `1 / (1 + exp(-x))`.
pub fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}
