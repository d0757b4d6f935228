//! The model's own PD term structure, for expected credit loss (IFRS 9):
//! for each grade, product and delinquency state, the probability that a
//! loan is charged off in month k = 1, 2, ... after a month end, under each
//! forward-looking scenario's factor level and weighted across them.
//!
//! The chain is the engine's monthly law of one loan with the factor held
//! at the scenario's level `z`: a current loan misses with
//! `Phi((a - sqrt(rho) z) / sqrt(1 - rho))` (its grade's probit `a`) and
//! repays early with the segment's prepayment rate; a delinquent loan rolls
//! or cures with the bucket rates at `z` ([`super::bucket_probabilities`]);
//! a roll out of 90+ days past due (or a miss, without buckets) is a
//! charge-off. Maturity, fraud and policy levers are not in the chain.

use super::bucket_probabilities;
use crate::population::PdGrades;
use crate::scenario::Scenario;
use crate::stats::normal::norm_cdf;

/// Delinquency states a loan can be in at a month end: current, 30, 60, 90+ days past due.
pub const ECL_STATES: usize = 4;
/// The states of the chain: the four above and charged off (absorbing;
/// prepaid mass leaves the chain).
const CHAIN: usize = ECL_STATES + 1;
const CHARGED_OFF: usize = ECL_STATES;

/// Scenario-weighted marginal charge-off probabilities by month ahead.
#[derive(Debug, Clone, PartialEq)]
pub struct PdTermStructure {
    /// Months ahead kept (the longest lifetime an ECL needs).
    pub months: usize,
    /// `[((row * 2 + product) * ECL_STATES + state) * months + k - 1]`,
    /// product 0 revolving, 1 installment.
    marginal: Vec<f64>,
}

/// The monthly transition matrix of a loan of grade row `row` (a revolving
/// line or an installment loan) with the factor held at `z`: the chain the
/// module's header describes.
fn chain(scenario: &Scenario, grades: &PdGrades, row: usize, revolving: bool, z: f64) -> [[f64; CHAIN]; CHAIN] {
    let seg = &scenario.segments[grades.segment_of[row]];
    let rho = grades.segment_rho[grades.segment_of[row]];
    let miss = if grades.entry_probit[row] == f64::INFINITY {
        1.0
    } else {
        norm_cdf((grades.entry_probit[row] - rho.sqrt() * z) / (1.0 - rho).sqrt())
    };
    let prepay = seg.prepayment_monthly.get().min(1.0 - miss);
    let mut m = [[0.0; CHAIN]; CHAIN];
    m[CHARGED_OFF][CHARGED_OFF] = 1.0;
    m[0][0] = 1.0 - miss - prepay;
    if scenario.dynamics.delinquency {
        m[0][1] = miss;
        let t = seg.transitions.of(revolving);
        for (b, (roll, cure)) in bucket_probabilities(t, z, 1.0).into_iter().enumerate() {
            let state = 1 + b;
            m[state][state + 1] = roll;
            m[state][0] = cure;
            m[state][state] = 1.0 - roll - cure;
        }
    } else {
        m[0][CHARGED_OFF] = miss;
    }
    m
}

/// Steps the chain `m` for `months` months from `start`, calling `marginal(k, q)`
/// with the probability `q` of a charge-off in month `k` (0-based).
fn charge_offs(m: &[[f64; CHAIN]; CHAIN], start: usize, months: usize, mut marginal: impl FnMut(usize, f64)) {
    let mut mass = [0.0; CHAIN];
    mass[start] = 1.0;
    for k in 0..months {
        let before = mass[CHARGED_OFF];
        let from = mass;
        for (s2, slot) in mass.iter_mut().enumerate() {
            *slot = (0..CHAIN).map(|s| from[s] * m[s][s2]).sum();
        }
        marginal(k, mass[CHARGED_OFF] - before);
    }
}

/// The 12-month probability of a charge-off of a current loan of grade row
/// `row` with the factor held at `z` (the chain of [`PdTermStructure`]):
/// its point-in-time 12-month PD, which the PD-rise trigger of stage 2
/// compares with that at booking.
pub fn twelve_month_pd(scenario: &Scenario, grades: &PdGrades, row: usize, revolving: bool, z: f64) -> f64 {
    let mut pd = 0.0;
    charge_offs(&chain(scenario, grades, row, revolving, z), 0, 12, |_, q| pd += q);
    pd
}

impl PdTermStructure {
    /// The term structure of every grade row of `grades`, for `months`
    /// months ahead, under the factor levels `scenarios` (`(weight, z)`,
    /// weights summing to 1).
    pub fn new(scenario: &Scenario, grades: &PdGrades, scenarios: &[(f64, f64)], months: usize) -> Self {
        let rows = grades.entry_probit.len();
        let mut marginal = vec![0.0; rows * 2 * ECL_STATES * months];
        for row in 0..rows {
            for (product, revolving) in [(0, true), (1, false)] {
                for &(weight, z) in scenarios {
                    let m = chain(scenario, grades, row, revolving, z);
                    for start in 0..ECL_STATES {
                        let at = ((row * 2 + product) * ECL_STATES + start) * months;
                        charge_offs(&m, start, months, |k, q| marginal[at + k] += weight * q);
                    }
                }
            }
        }
        PdTermStructure { months, marginal }
    }

    /// The marginal probabilities of a loan of grade row `row` in `state`.
    pub fn marginal(&self, row: usize, revolving: bool, state: usize) -> &[f64] {
        let at = ((row * 2 + usize::from(!revolving)) * ECL_STATES + state) * self.months;
        &self.marginal[at..at + self.months]
    }

    /// `sum_{k=1..horizon} q_k v^k`: the discounted probability of a
    /// charge-off within `horizon` months (capped at [`Self::months`]), with
    /// `v = 1 / (1 + r)` the monthly discount factor.
    #[inline]
    pub fn discounted_pd(&self, row: usize, revolving: bool, state: usize, horizon: usize, v: f64) -> f64 {
        let q = &self.marginal(row, revolving, state)[..horizon.min(self.months)];
        // Horner from the far end: v (q1 + v (q2 + ...)).
        q.iter().rev().fold(0.0, |acc, &x| v * (x + acc))
    }
}
