//! One loan's delinquency chain, month by month, averaged exactly over a
//! segment's factor law on its grid.
//!
//! States at a month end: current, 30, 60, 90+ days past due, and the bad
//! event (absorbing). In month `t` with factor `z = Z_t`, a current loan
//! misses with `p(z) = Phi((a - sqrt(rho) z) / sqrt(1 - rho))`; a loan in
//! bucket `b` rolls with `roll_b(z)`, cures (current again) with `cure_b(z)`
//! or stays; a roll out of 90+ is a charge-off. These are the engine's own
//! rates ([`bucket_probabilities`]), so the chain is the engine's law of one
//! loan without prepayment, maturity, fraud, outages or policy levers.

use super::{FactorGrid, bucket_probabilities};
use crate::scenario::{BadEvent, Scenario, Segment, Transitions};
use crate::stats::normal::norm_cdf;

/// Chain states: current, buckets 30/60/90+, bad.
pub const STATES: usize = 5;
const CURRENT: usize = 0;
const BAD: usize = STATES - 1;

type Matrix = [[f64; STATES]; STATES];

/// A segment's loan chain on its factor grid.
#[derive(Debug, Clone)]
pub struct LoanChain {
    /// The factor law.
    pub grid: FactorGrid,
    sqrt_rho: f64,
    inv_sqrt_idiosyncratic: f64,
    /// The transition matrix at each grid point with the missed-payment row left empty.
    base: Vec<Matrix>,
    /// State a missed payment leads to: 30 days past due, or bad without buckets.
    miss_to: usize,
    transitions: Transitions,
    delinquency: bool,
    event: BadEvent,
}

impl LoanChain {
    /// The chain of a loan of `segment` in `scenario` with monthly asset
    /// correlation `rho` and delinquency transitions `t` (its product's),
    /// counting `scenario.calibration.bad_event`.
    pub fn new(scenario: &Scenario, segment: &Segment, rho: f64, t: &Transitions) -> Self {
        Self::with_event(scenario, segment, rho, t, scenario.calibration.bad_event)
    }

    /// The chain counting `event` as bad.
    pub fn with_event(scenario: &Scenario, segment: &Segment, rho: f64, t: &Transitions, event: BadEvent) -> Self {
        let delinquency = scenario.dynamics.delinquency;
        let slope = |s: f64| (s / (1.0 - s)).sqrt();
        let mut steepest = slope(rho);
        if delinquency {
            steepest = steepest.max(slope(t.roll_sensitivity)).max(slope(t.cure_sensitivity));
        }
        let grid = FactorGrid::new(scenario, segment, steepest);
        let base = (0..grid.len())
            .map(|k| base_matrix(t, grid.z(k), delinquency, event))
            .collect();
        LoanChain {
            grid,
            sqrt_rho: rho.sqrt(),
            inv_sqrt_idiosyncratic: 1.0 / (1.0 - rho).sqrt(),
            base,
            miss_to: if delinquency { 1 } else { BAD },
            transitions: *t,
            delinquency,
            event,
        }
    }

    /// Monthly missed-payment probability at grid point `k` for probit `a`
    /// (the engine's formula, term for term).
    pub fn entry(&self, a: f64, k: usize) -> f64 {
        if a == f64::INFINITY {
            return 1.0;
        }
        norm_cdf((a - self.sqrt_rho * self.grid.z(k)) * self.inv_sqrt_idiosyncratic)
    }

    fn matrix(&self, a: f64, k: usize) -> Matrix {
        let mut m = self.base[k];
        let p = self.entry(a, k);
        m[CURRENT][CURRENT] = 1.0 - p;
        m[CURRENT][self.miss_to] = p;
        m
    }

    /// `P(bad event by the end of month t)` for `t = 1..=months`, for a loan
    /// current at the start, with probit `a`.
    pub fn bad_curve(&self, a: f64, months: usize) -> Vec<f64> {
        let n = self.grid.len();
        let mut mass = vec![0.0; n * STATES];
        for k in 0..n {
            mass[k * STATES + CURRENT] = self.grid.start_weight(k);
        }
        let matrices: Vec<Matrix> = (0..n).map(|k| self.matrix(a, k)).collect();
        let mut next = vec![0.0; mass.len()];
        let mut curve = Vec::with_capacity(months);
        for t in 0..months {
            step_states(&mut mass, &matrices);
            curve.push((0..n).map(|k| mass[k * STATES + BAD]).sum());
            if t + 1 < months {
                self.grid.advance(&mass, STATES, &mut next);
                std::mem::swap(&mut mass, &mut next);
            }
        }
        curve
    }

    /// `P(bad event within z.len() months | Z_t = z[t])` for probit `a`: the
    /// default rate of a large book on one factor path.
    pub fn bad_given_path(&self, a: f64, z: &[f64]) -> f64 {
        let mut mass = [0.0; STATES];
        mass[CURRENT] = 1.0;
        for &zt in z {
            let mut m = base_matrix(&self.transitions, zt, self.delinquency, self.event);
            let p = norm_cdf((a - self.sqrt_rho * zt) * self.inv_sqrt_idiosyncratic);
            m[CURRENT][CURRENT] = 1.0 - p;
            m[CURRENT][self.miss_to] = p;
            let from = mass;
            for s2 in 0..STATES {
                mass[s2] = (0..STATES).map(|s| from[s] * m[s][s2]).sum();
            }
        }
        mass[BAD]
    }

    /// `P(bad event within months)` for probit `a`.
    pub fn bad_within(&self, a: f64, months: usize) -> f64 {
        *self.bad_curve(a, months).last().expect("months >= 1")
    }

    /// `P(both of two loans have the bad event within months)`, the loans
    /// independent given the factor path: `E[PD(path)^2]`, the second moment
    /// of a large book's default rate.
    pub fn both_bad_within(&self, a: f64, months: usize) -> f64 {
        const PAIR: usize = STATES * STATES;
        let n = self.grid.len();
        let mut mass = vec![0.0; n * PAIR];
        for k in 0..n {
            mass[k * PAIR] = self.grid.start_weight(k);
        }
        let matrices: Vec<Matrix> = (0..n).map(|k| self.matrix(a, k)).collect();
        let mut next = vec![0.0; mass.len()];
        for t in 0..months {
            for k in 0..n {
                let m = &matrices[k];
                let block = &mut mass[k * PAIR..(k + 1) * PAIR];
                // P' = M^T P M, in two steps.
                let mut half = [0.0; PAIR];
                for s1 in 0..STATES {
                    for s2b in 0..STATES {
                        half[s1 * STATES + s2b] = (0..STATES).map(|s2| block[s1 * STATES + s2] * m[s2][s2b]).sum();
                    }
                }
                for s1b in 0..STATES {
                    for s2b in 0..STATES {
                        block[s1b * STATES + s2b] = (0..STATES).map(|s1| m[s1][s1b] * half[s1 * STATES + s2b]).sum();
                    }
                }
            }
            if t + 1 < months {
                self.grid.advance(&mass, PAIR, &mut next);
                std::mem::swap(&mut mass, &mut next);
            }
        }
        (0..n).map(|k| mass[k * PAIR + BAD * STATES + BAD]).sum()
    }

    /// Factor-averaged probability that a missed payment ends in the bad
    /// event, weighting each economy by how likely a miss is in it:
    /// `E[p(Z_0) P(bad | miss in month 0, Z)] / E[p(Z_0)]`. A cure ends the
    /// count (a later miss is a new one).
    pub fn bad_given_miss(&self, a: f64) -> f64 {
        let n = self.grid.len();
        let mut mass = vec![0.0; n * STATES];
        let mut total = 0.0;
        for k in 0..n {
            let w = self.grid.start_weight(k) * self.entry(a, k);
            mass[k * STATES + self.miss_to] = w;
            total += w;
        }
        if total == 0.0 {
            return f64::NAN;
        }
        let matrices: Vec<Matrix> = (0..n).map(|k| self.matrix(f64::NEG_INFINITY, k)).collect();
        let mut next = vec![0.0; mass.len()];
        for _ in 0..1200 {
            self.grid.advance(&mass, STATES, &mut next);
            std::mem::swap(&mut mass, &mut next);
            step_states(&mut mass, &matrices);
            let pending: f64 = mass.chunks(STATES).map(|m| m[1] + m[2] + m[3]).sum();
            if pending < 1e-15 * total {
                break;
            }
        }
        (0..n).map(|k| mass[k * STATES + BAD]).sum::<f64>() / total
    }
}

/// One month of the chain at every grid point: `mass[k] <- mass[k] M_k`.
fn step_states(mass: &mut [f64], matrices: &[Matrix]) {
    for (block, m) in mass.chunks_mut(STATES).zip(matrices) {
        let from: [f64; STATES] = (&*block).try_into().expect("STATES wide");
        for s2 in 0..STATES {
            block[s2] = (0..STATES).map(|s| from[s] * m[s][s2]).sum();
        }
    }
}

/// The transition matrix at factor `z` without the current row (filled per probit).
fn base_matrix(t: &Transitions, z: f64, delinquency: bool, event: BadEvent) -> Matrix {
    let mut m = [[0.0; STATES]; STATES];
    m[BAD][BAD] = 1.0;
    if !delinquency {
        return m;
    }
    // With 90+ DPD as the bad event, the roll out of 60 is the event.
    let bad_from = match event {
        BadEvent::ChargeOff => 2,
        BadEvent::Dpd90 => 1,
    };
    for (b, (roll, cure)) in bucket_probabilities(t, z, 1.0).into_iter().enumerate() {
        let state = 1 + b;
        if b > bad_from {
            m[state][BAD] = 1.0; // never reached
            continue;
        }
        m[state][if b == bad_from { BAD } else { state + 1 }] = roll;
        m[state][CURRENT] = cure;
        m[state][state] = 1.0 - roll - cure;
    }
    m
}
