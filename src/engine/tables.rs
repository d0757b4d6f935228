//! Per-path tables: every conditional probability of a path, computed once
//! from its factor path and reused for every loan.

use rand::RngExt;
use rand_distr::Beta;

use crate::loan::{BUCKETS, BucketThresholds, OutageThresholds, PathTables, SegmentRules};
use crate::macro_paths::FactorPath;
use crate::population::PdGrades;
use crate::scenario::{Scenario, UnitDistribution};
use crate::stats::normal::{norm_cdf, norm_inv, vasicek_conditional};

use super::streams::{Purpose, item_rng, stream_key, threshold};

/// Builds the tables of path `path` from its factor path.
///
/// - missed payment: `p_t = Phi((Phi^-1(h_entry) - sqrt(rho) Z_t) / sqrt(1 - rho))`;
/// - roll: `Phi((Phi^-1(roll) - sqrt(s) Z_t) / sqrt(1 - s))` (worse when `Z_t < 0`);
/// - cure: `Phi((Phi^-1(cure) + sqrt(s) Z_t) / sqrt(1 - s))` (worse when `Z_t < 0`);
/// - LGD mean: `Phi(Phi^-1(mean) - k Z_t)`, Beta concentration fixed.
///
/// Only the grade rows in `used_grades` are filled (the others stay 0: no loan reads them).
pub fn build_path_tables(
    scenario: &Scenario,
    grades: &PdGrades,
    used_grades: &[u32],
    factors: &FactorPath,
    path: u64,
) -> PathTables {
    let horizon = scenario.horizon_months;
    let z: Vec<Vec<f64>> = scenario
        .segments
        .iter()
        .map(|s| factors.combine(&s.factor_weights))
        .collect();
    let scale: Vec<(f64, f64)> = scenario
        .segments
        .iter()
        .map(|s| (s.rho.sqrt(), 1.0 / (1.0 - s.rho).sqrt()))
        .collect();

    let mut entry = vec![0u64; horizon * grades.len()];
    for &g in used_grades {
        let g = g as usize;
        let s = grades.segment_of[g];
        let (sqrt_rho, inv_sqrt_idiosyncratic) = scale[s];
        let probit = grades.entry_probit[g];
        for t in 0..horizon {
            // The Vasicek conditional probability, with Phi^-1(h) hoisted out of the path loop.
            entry[t * grades.len() + g] = threshold(norm_cdf((probit - sqrt_rho * z[s][t]) * inv_sqrt_idiosyncratic));
        }
    }

    let d = &scenario.dynamics;
    let mut buckets = Vec::with_capacity(scenario.segments.len() * horizon);
    let mut lgd = Vec::with_capacity(scenario.segments.len() * horizon);
    for (s, seg) in scenario.segments.iter().enumerate() {
        for t in 0..horizon {
            let zt = z[s][t];
            let mut th = BucketThresholds::default();
            for b in 0..BUCKETS {
                let roll = vasicek_conditional(d.roll_rates[b].get(), d.roll_sensitivity, zt);
                let cure = vasicek_conditional(d.cure_rates[b].get(), d.cure_sensitivity, -zt).min(1.0 - roll);
                th.roll[b] = threshold(roll);
                th.roll_or_cure[b] = threshold(roll + cure);
            }
            buckets.push(th);
            let l = &seg.lgd;
            let mean = if l.macro_sensitivity > 0.0 {
                norm_cdf(norm_inv(l.mean) - l.macro_sensitivity * zt)
            } else {
                l.mean
            };
            lgd.push(match l.concentration {
                // A mean pushed to the edge of (0, 1) by an extreme factor is a fixed LGD.
                Some(c) if mean > 1e-9 && mean < 1.0 - 1e-9 => {
                    Beta::new(mean * c, (1.0 - mean) * c).map_or(UnitDistribution::Fixed(mean), UnitDistribution::Beta)
                }
                _ => UnitDistribution::Fixed(mean),
            });
        }
    }

    let rules = scenario
        .segments
        .iter()
        .map(|seg| SegmentRules {
            prepay: threshold(seg.prepayment_monthly.get()),
            repay_rate: seg.revolving_repay_rate.get(),
            draw_rate: seg.revolving_draw_rate.get(),
            ccf: seg.revolving_ccf.get(),
            fraud_lgd: seg.fraud_lgd,
        })
        .collect();

    let outage = scenario.outage.and_then(|o| {
        let mut rng = item_rng(stream_key(scenario.seed, path, Purpose::Outage), 0);
        (rng.random::<f64>() < o.probability.get()).then(|| OutageThresholds {
            month: o.month,
            share: threshold(o.share.get()),
            cure: threshold(o.cure_rate.get()),
        })
    });

    PathTables {
        horizon,
        grades: grades.len(),
        entry,
        buckets,
        lgd,
        rules,
        delinquency: d.delinquency,
        outage,
        recovery_lag: d.recovery_lag_months,
        lgd_key: stream_key(scenario.seed, path, Purpose::Lgd),
    }
}
