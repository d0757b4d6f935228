//! Two views of where the losses come from, computed from the path outcomes:
//! the default rate of every segment × score band cell, and the roll-rate
//! table of the delinquency buckets (how accounts move from one month to the
//! next).

use serde::{Deserialize, Serialize};

use super::compare::Estimate;
use super::weighted::PathWeights;
use crate::engine::{BookProfile, PathOutcome};
use crate::loan::BUCKETS;
use crate::scenario::Scenario;

/// Two-sided normal quantile of the roll-rate intervals (95%).
const Z_95: f64 = 1.959_963_984_540_054;

/// The default rate of each segment × score band cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SegmentBandGrid {
    /// Segment names, the rows.
    pub segments: Vec<String>,
    /// Score band labels, the columns.
    pub bands: Vec<String>,
    /// `loans[segment][band]`: loans booked in the cell, the mean over paths
    /// (the opening book's on a run-off book; opening and new loans on a
    /// going-concern book).
    pub loans: Vec<Vec<f64>>,
    /// `charge_offs[segment][band]`: charge-offs over the horizon, the mean over paths.
    pub charge_offs: Vec<Vec<f64>>,
    /// `default_rate[segment][band]`: `charge_offs / loans` (0 for a cell without loans).
    pub default_rate: Vec<Vec<f64>>,
}

impl SegmentBandGrid {
    /// The grid of a run; `None` without paths.
    pub fn new(scenario: &Scenario, profile: &BookProfile, paths: &[PathOutcome], w: PathWeights) -> Option<Self> {
        if paths.is_empty() {
            return None;
        }
        let bands = scenario.bands.len();
        let mean_of = |f: &dyn Fn(&PathOutcome) -> f64| w.mean(&paths.iter().map(f).collect::<Vec<_>>());
        let mut grid = SegmentBandGrid {
            segments: scenario.segments.iter().map(|s| s.name.clone()).collect(),
            bands: (0..bands).map(|b| scenario.bands.label(b)).collect(),
            loans: Vec::new(),
            charge_offs: Vec::new(),
            default_rate: Vec::new(),
        };
        for s in 0..scenario.segments.len() {
            let loans: Vec<f64> = (0..bands)
                .map(|b| mean_of(&|p| p.cell_loans(profile, s, b) as f64))
                .collect();
            let charge_offs: Vec<f64> = (0..bands)
                .map(|b| mean_of(&|p| p.tally.cell_defaults[s * bands + b] as f64))
                .collect();
            grid.default_rate.push(
                loans
                    .iter()
                    .zip(&charge_offs)
                    .map(|(&n, &d)| if n > 0.0 { d / n } else { 0.0 })
                    .collect(),
            );
            grid.loans.push(loans);
            grid.charge_offs.push(charge_offs);
        }
        Some(grid)
    }
}

/// The moves out of one delinquency bucket, per month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BucketRolls {
    /// The bucket, e.g. `30 dpd`.
    pub bucket: String,
    /// Where a roll leads: the next bucket, or `charged off` from the last.
    pub rolls_to: String,
    /// Account-months that began in the bucket (the base of the rates), the mean over paths.
    pub account_months: f64,
    /// Share of those account-months that ended current, with a 95% interval.
    pub cure_rate: Estimate,
    /// Share that ended in the same bucket, with a 95% interval.
    pub stay_rate: Estimate,
    /// Share that rolled to `rolls_to`, with a 95% interval.
    pub roll_rate: Estimate,
}

/// The roll-rate table of a run with delinquency buckets: month-on-month
/// moves pooled over the horizon and the paths (each rate is the ratio of
/// the mean counts; its interval is the delta method's over paths).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RollRates {
    /// Current accounts that missed a payment and became 30 days past due,
    /// per path (failed automatic debits and fraud included; missed payments
    /// that took a forbearance plan are the policy's `forbearance_plans`).
    pub entered: f64,
    /// One row per bucket, from 30 days past due.
    pub buckets: Vec<BucketRolls>,
    /// Charge-offs per path from the last bucket (its rolls). With buckets
    /// every charge-off comes this way (fraud and imported delinquent loans
    /// included), so it is the mean number of charge-offs per path.
    pub charged_off_through_buckets: f64,
}

impl RollRates {
    /// The table of a run; `None` without delinquency buckets or paths.
    pub fn new(scenario: &Scenario, paths: &[PathOutcome], w: PathWeights) -> Option<Self> {
        if !scenario.dynamics.delinquency || paths.is_empty() {
            return None;
        }
        let per_path = |f: &dyn Fn(&crate::loan::RollCounts) -> f64| -> Vec<f64> {
            paths.iter().map(|p| f(&p.tally.rolls)).collect()
        };
        let buckets = (0..BUCKETS)
            .map(|b| {
                let base = per_path(&|r| (r.cured[b] + r.stayed[b] + r.rolled[b]) as f64);
                let rate = |counts: Vec<f64>| ratio_estimate(&counts, &base, w);
                BucketRolls {
                    bucket: bucket_name(b),
                    rolls_to: if b + 1 == BUCKETS {
                        "charged off".to_string()
                    } else {
                        bucket_name(b + 1)
                    },
                    account_months: w.mean(&base),
                    cure_rate: rate(per_path(&|r| r.cured[b] as f64)),
                    stay_rate: rate(per_path(&|r| r.stayed[b] as f64)),
                    roll_rate: rate(per_path(&|r| r.rolled[b] as f64)),
                }
            })
            .collect();
        Some(RollRates {
            entered: w.mean(&per_path(&|r| r.entered as f64)),
            buckets,
            charged_off_through_buckets: w.mean(&per_path(&|r| r.rolled[BUCKETS - 1] as f64)),
        })
    }
}

/// `30 dpd`, `60 dpd`, `90+ dpd` for buckets 0, 1, 2.
fn bucket_name(b: usize) -> String {
    if b + 1 == BUCKETS {
        format!("{}+ dpd", 30 * (b + 1))
    } else {
        format!("{} dpd", 30 * (b + 1))
    }
}

/// The ratio of means `R = mean(x) / mean(n)` with the delta method's 95%
/// interval: `R ± z se(x - R n) / mean(n)`, the standard error over paths
/// (weighted under importance sampling), clamped to [0, 1] for a share.
fn ratio_estimate(x: &[f64], n: &[f64], w: PathWeights) -> Estimate {
    let mean_n = w.mean(n);
    if mean_n <= 0.0 {
        return Estimate {
            value: 0.0,
            ci: [0.0, 0.0],
        };
    }
    let r = w.mean(x) / mean_n;
    let residuals: Vec<f64> = x.iter().zip(n).map(|(xi, ni)| xi - r * ni).collect();
    let half = Z_95 * w.moments(&residuals).stderr / mean_n;
    Estimate {
        value: r,
        ci: [(r - half).max(0.0), (r + half).min(1.0)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_follow_the_days_past_due() {
        assert_eq!(bucket_name(0), "30 dpd");
        assert_eq!(bucket_name(1), "60 dpd");
        assert_eq!(bucket_name(2), "90+ dpd");
    }

    #[test]
    fn a_ratio_of_equal_shares_has_no_spread() {
        let e = ratio_estimate(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0], PathWeights::Equal);
        assert_eq!(e.value, 0.5);
        assert!((e.ci[0] - 0.5).abs() < 1e-15 && (e.ci[1] - 0.5).abs() < 1e-15);
        let none = ratio_estimate(&[0.0, 0.0], &[0.0, 0.0], PathWeights::Equal);
        assert_eq!(none.value, 0.0);
    }

    /// The delta-method interval covers a known binomial share about 95% of
    /// the time (400 replications of 200 paths, each with a Poisson-like
    /// count of trials; the coverage must lie within 4 sigma of 0.95).
    #[test]
    fn the_ratio_interval_covers_the_true_share() {
        let mut rng = crate::engine::streams::LoanStream::new(17, 3);
        let u = |rng: &mut crate::engine::streams::LoanStream| rng.next_u64() as f64 / 2f64.powi(64);
        let p = 0.3;
        let replications = 400;
        let mut covered = 0;
        for _ in 0..replications {
            let (mut x, mut n) = (Vec::new(), Vec::new());
            for _ in 0..200 {
                let trials = 1 + (u(&mut rng) * 20.0) as usize;
                let hits = (0..trials).filter(|_| u(&mut rng) < p).count();
                x.push(hits as f64);
                n.push(trials as f64);
            }
            let e = ratio_estimate(&x, &n, PathWeights::Equal);
            covered += usize::from(e.ci[0] <= p && p <= e.ci[1]);
        }
        let share = covered as f64 / replications as f64;
        let sigma = (0.95 * 0.05 / replications as f64).sqrt();
        assert!((share - 0.95).abs() < 4.0 * sigma, "coverage {share}");
    }
}
