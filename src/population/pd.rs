//! PD grades: the score-to-PD mapping, discretised so that conditional
//! probabilities are computed once per (grade, month, path), not per loan.

use crate::calibration::{calibrate_segment, resolve_rho};
use crate::scenario::{PdSpec, SCORE_MIN, Scenario};

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
    /// Scorecard PD over `pd_period_months` of each grade row.
    pub pd_period: Vec<f64>,
    /// Missed-payment probit `a` of each grade row, solved by
    /// [`crate::calibration`]: the monthly missed-payment probability given
    /// the factor is `Phi((a - sqrt(rho) z) / sqrt(1 - rho))`, one `Phi` per
    /// (grade, month) of a path.
    pub entry_probit: Vec<f64>,
    /// `P(bad event within the PD period)` the probit gives: the scorecard PD
    /// unless the grade is capped.
    pub achieved_pd: Vec<f64>,
    /// The grade's PD is above what the dynamics allow within the PD period
    /// (it misses every month and reaches `achieved_pd`).
    pub capped: Vec<bool>,
    /// Monthly asset correlation of each segment (given, or solved from
    /// `rho_annual` at the grade of the segment's mean score).
    pub segment_rho: Vec<f64>,
    /// For a `rho_annual` above what any monthly rho reaches: the largest
    /// reachable value (the segment then uses the largest monthly rho).
    pub rho_unreachable: Vec<Option<f64>>,
    /// Grades per product block of each segment: with products that move
    /// differently (`segment_split`), the segment's rows are its revolving
    /// grades and then the same grades for installment loans, each block
    /// calibrated with its product's transitions.
    pub segment_grades: Vec<usize>,
    /// Whether each segment has a block per product.
    pub segment_split: Vec<bool>,
    /// Per-loan PDs of each segment's imported loans, sorted and distinct:
    /// each is a grade of its own, after the scorecard's grades of its block.
    pub segment_loan_pds: Vec<Vec<f64>>,
}

impl PdGrades {
    /// Builds the grade tables of a scenario.
    pub fn new(scenario: &Scenario) -> Self {
        let mut out = PdGrades {
            segment_offset: Vec::new(),
            segment_grading: Vec::new(),
            segment_of: Vec::new(),
            pd_period: Vec::new(),
            entry_probit: Vec::new(),
            achieved_pd: Vec::new(),
            capped: Vec::new(),
            segment_rho: Vec::new(),
            rho_unreachable: Vec::new(),
            segment_grades: Vec::new(),
            segment_split: Vec::new(),
            segment_loan_pds: Vec::new(),
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
            let band = scenario.bands.band_of(seg.score_mean);
            let typical = pds[local_grade(grading, seg.score_mean, band).min(pds.len() - 1)];
            let mut loan_pds: Vec<f64> = scenario
                .book
                .iter()
                .filter(|l| l.segment == s)
                .filter_map(|l| l.pd)
                .collect();
            loan_pds.sort_by(f64::total_cmp);
            loan_pds.dedup();
            let mut pds = pds;
            pds.extend_from_slice(&loan_pds);
            out.segment_loan_pds.push(loan_pds);
            let (rho, unreachable) = resolve_rho(scenario, seg, typical);
            out.segment_rho.push(rho);
            out.rho_unreachable.push(unreachable);
            let split = seg.transitions.differ();
            out.segment_grades.push(pds.len());
            out.segment_split.push(split);
            let products: &[bool] = if split { &[true, false] } else { &[true] };
            for &revolving in products {
                let t = seg.transitions.of(revolving);
                for (pd, c) in pds.iter().zip(calibrate_segment(scenario, seg, rho, t, &pds)) {
                    out.segment_of.push(s);
                    out.pd_period.push(*pd);
                    out.entry_probit.push(c.probit);
                    out.achieved_pd.push(c.achieved_pd);
                    out.capped.push(c.capped);
                }
            }
        }
        out
    }

    /// The grade rows of segment `s`.
    pub fn rows_of(&self, s: usize) -> std::ops::Range<usize> {
        let end = self.segment_offset.get(s + 1).copied().unwrap_or(self.len());
        self.segment_offset[s]..end
    }

    /// Number of grade rows over all segments.
    pub fn len(&self) -> usize {
        self.pd_period.len()
    }

    /// True when there are no grades (never for a validated scenario).
    pub fn is_empty(&self) -> bool {
        self.pd_period.is_empty()
    }

    /// Grade row of a borrower of `segment` with this score and band, on a
    /// revolving line (`revolving`) or an installment loan.
    pub fn grade_of(&self, segment: usize, score: f64, band: usize, revolving: bool) -> u32 {
        (self.block_start(segment, revolving) + local_grade(self.segment_grading[segment], score, band)) as u32
    }

    /// Grade row of an imported loan of `segment` with its own PD `pd` (one
    /// of the segment's `segment_loan_pds`).
    pub fn grade_of_loan_pd(&self, segment: usize, pd: f64, revolving: bool) -> u32 {
        let extras = &self.segment_loan_pds[segment];
        let own = self.segment_grades[segment] - extras.len();
        let position = extras.partition_point(|p| p.total_cmp(&pd).is_lt());
        (self.block_start(segment, revolving) + own + position) as u32
    }

    /// First row of the product block of `segment`.
    fn block_start(&self, segment: usize, revolving: bool) -> usize {
        let block = if self.segment_split[segment] && !revolving {
            self.segment_grades[segment]
        } else {
            0
        };
        self.segment_offset[segment] + block
    }
}

/// A borrower's grade within its segment.
fn local_grade(grading: Grading, score: f64, band: usize) -> usize {
    match grading {
        Grading::Single => 0,
        Grading::ByScore => ((score - SCORE_MIN) / LOGISTIC_GRADE_POINTS).round() as usize,
        Grading::ByBand => band,
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
