//! Per-path tables: every conditional probability of a path, computed once
//! from its factor path and reused for every loan.

use rand::RngExt;

use super::Prepared;
use crate::calibration::BucketCurves;
use crate::events::PathEvents;
use crate::loan::spell::SpellCurves;
use crate::loan::{BucketThresholds, FastTables, OutageThresholds, PathTables};
use crate::macro_paths::FactorPath;
use crate::scenario::{BetaLaw, UnitDistribution};
use crate::stats::normal::{norm_cdf, norm_cdf_in_place, norm_inv, vasicek_conditional};

use super::streams::{Purpose, item_rng, stream_key, threshold};

/// Builds the tables of path `path` from its factor path.
///
/// - missed payment: `p_t = Phi((a - sqrt(rho) Z_t) / sqrt(1 - rho))`, `a` the grade's calibrated probit;
/// - roll and cure: [`bucket_probabilities`] of the segment's transitions (worse when `Z_t < 0`);
/// - LGD mean: `Phi(Phi^-1(mean) - k Z_t)`, Beta concentration fixed.
///
/// Only the grade rows in `used_grades` are filled (the others stay 0: no loan reads them).
/// - contagion: while the industry tightens, a multi-platform borrower's miss
///   probability is `min(1, m p_t)`, `m` its segment's multiplier;
/// - events: a collection restriction multiplies cure rates, a reputational
///   shock prepayment rates, in the months they are in effect.
pub fn build_path_tables(
    prepared: &Prepared,
    factors: &FactorPath,
    path: u64,
    portfolio_cut_month: Option<usize>,
    events: &PathEvents,
) -> PathTables {
    let Prepared {
        scenario,
        grades,
        used_grades,
        model,
        fast_path,
        ..
    } = prepared;
    let (scenario, fast_path) = (*scenario, *fast_path);
    let horizon = scenario.horizon_months;
    let z: Vec<Vec<f64>> = scenario
        .segments
        .iter()
        .map(|s| factors.combine(&s.factor_weights))
        .collect();
    let scale: Vec<(f64, f64)> = grades
        .segment_rho
        .iter()
        .map(|rho| (rho.sqrt(), 1.0 / (1.0 - rho).sqrt()))
        .collect();

    let mut entry = vec![0u64; horizon * grades.len()];
    let mut fast = fast_path.then(|| FastTables {
        horizon,
        first_event: vec![u64::MAX; horizon * grades.len()],
        default_split: vec![0; horizon * grades.len()],
        pool_probability: if prepared.fast_book.as_ref().is_some_and(|b| b.has_pools()) {
            vec![[0.0; 2]; horizon * grades.len()]
        } else {
            Vec::new()
        },
    });
    let shock = policy_shock(scenario);
    let mut shocked_entry = vec![0u64; if shock.is_some() { horizon * grades.len() } else { 0 }];
    let contagion = scenario.has_contagion();
    let mut contagion_entry = vec![0u64; if contagion { horizon * grades.len() } else { 0 }];
    let mut miss = vec![0.0; horizon];
    for &g in used_grades {
        let g = g as usize;
        let s = grades.segment_of[g];
        let (sqrt_rho, inv_sqrt_idiosyncratic) = scale[s];
        let probit = grades.entry_probit[g];
        // The Vasicek conditional probability, with Phi^-1(h) hoisted out of
        // the path loop, for every month at once (Phi of an array is several
        // times faster than one call per month).
        for (m, &zt) in miss.iter_mut().zip(&z[s]) {
            *m = (probit - sqrt_rho * zt) * inv_sqrt_idiosyncratic;
        }
        norm_cdf_in_place(&mut miss);
        for t in 0..horizon {
            entry[t * grades.len() + g] = threshold(miss[t]);
            if let Some(m) = shock {
                shocked_entry[t * grades.len() + g] = threshold((m * miss[t]).min(1.0));
            }
            if contagion {
                let raised = match scenario.segments[s].multi_platform {
                    Some(mp) if events.tightening_in(scenario, t) => {
                        threshold((mp.hazard_multiplier * miss[t]).min(1.0))
                    }
                    _ => entry[t * grades.len() + g],
                };
                contagion_entry[t * grades.len() + g] = raised;
            }
        }
        if let Some(fast) = fast.as_mut() {
            fast.fill_grade(g, &miss, scenario.segments[s].prepayment_monthly.get());
        }
    }

    let policy = &scenario.policy;
    let plan_redefault = match &policy.forbearance {
        None => Vec::new(),
        Some(f) => (0..scenario.segments.len())
            .flat_map(|s| {
                let r = f.redefault_monthly.get();
                let (follows, zs, rho) = (f.redefault_follows_factor, &z[s], grades.segment_rho[s]);
                zs.iter()
                    .map(move |&zt| threshold(if follows { vasicek_conditional(r, rho, zt) } else { r }))
            })
            .collect(),
    };
    let cure_multiplier = policy.collections.map_or(1.0, |c| c.cure_multiplier);
    let plan_cure_multiplier = policy
        .forbearance
        .as_ref()
        .map(|f| cure_multiplier * (1.0 + f.cure_boost));
    let mut buckets = Vec::with_capacity(scenario.segments.len() * horizon);
    let mut plan_buckets = Vec::new();
    let mut lgd = Vec::with_capacity(scenario.segments.len() * horizon);
    // Roll, then cure (scaled by collections and, for plan borrowers, the plan's boost; capped at 1 - roll).
    let bucket_thresholds = |curves: &BucketCurves, zt: f64, multiplier: f64| {
        let mut th = BucketThresholds::default();
        for (b, (roll, cure)) in curves.at(zt, multiplier).into_iter().enumerate() {
            th.roll[b] = threshold(roll);
            th.roll_or_cure[b] = threshold(roll + cure);
        }
        th
    };
    // One row of bucket thresholds per segment, or per (segment, product)
    // when its products move differently.
    let mut bucket_rows = Vec::with_capacity(scenario.segments.len());
    for (s, seg) in scenario.segments.iter().enumerate() {
        let first = buckets.len() / horizon;
        // The fast path has no delinquency buckets: it never reads their thresholds.
        let products: &[bool] = if fast_path {
            &[]
        } else if seg.transitions.differ() {
            &[true, false]
        } else {
            &[true]
        };
        for &revolving in products {
            // The rates' probits once per row, not once per month.
            let curves = BucketCurves::new(seg.transitions.of(revolving));
            for t in 0..horizon {
                // A collection restriction in effect lowers every cure (1 without one).
                let restricted = events.cure_multiplier(scenario, t);
                buckets.push(bucket_thresholds(&curves, z[s][t], cure_multiplier * restricted));
                if let Some(m) = plan_cure_multiplier {
                    plan_buckets.push(bucket_thresholds(&curves, z[s][t], m * restricted));
                }
            }
        }
        bucket_rows.push([first, (first + products.len()).saturating_sub(1)]);
        let l = &seg.lgd;
        let mean_probit = norm_inv(l.mean);
        for t in 0..horizon {
            let zt = z[s][t];
            let mean = if l.macro_sensitivity > 0.0 {
                norm_cdf(mean_probit - l.macro_sensitivity * zt)
            } else {
                l.mean
            };
            lgd.push(match l.concentration {
                // A mean pushed to the edge of (0, 1) by an extreme factor is a fixed LGD.
                Some(c) if mean > 1e-9 && mean < 1.0 - 1e-9 => BetaLaw::new(mean * c, (1.0 - mean) * c)
                    .map_or(UnitDistribution::Fixed(mean), UnitDistribution::Beta),
                _ => UnitDistribution::Fixed(mean),
            });
        }
    }

    let outage = scenario.outage.and_then(|o| {
        let mut rng = item_rng(stream_key(scenario.seed, path, Purpose::Outage), 0);
        (rng.random::<f64>() < o.probability.get()).then_some((
            o.month,
            threshold(o.share.get()),
            threshold(o.cure_rate.get()),
        ))
    });

    let attack = attack_months(scenario, path, outage.map(|o| o.0));
    // A reputational shock moves the prepayment rate month by month.
    let prepay: Vec<u64> = if (0..horizon).any(|t| events.prepayment_multiplier(scenario, t) != 1.0) {
        scenario
            .segments
            .iter()
            .flat_map(|seg| {
                (0..horizon).map(move |t| {
                    threshold((seg.prepayment_monthly.get() * events.prepayment_multiplier(scenario, t)).min(1.0))
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    // The prepayment threshold of segment `s` in month `t` (as `PathTables::prepay_at`).
    let prepay_at = |s: usize, t: usize| {
        if prepay.is_empty() {
            model.rules[s].prepay
        } else {
            prepay[s * horizon + t]
        }
    };
    let takeover = scenario.fraud_waves.map_or(0, |f| threshold(f.takeover_share.get()));
    // Any event of a current loan: missed payment, prepayment, failed debit,
    // account takeover (in that order of u).
    let any_event = |entry: &[u64]| {
        let mut event = entry.to_vec();
        for (t, row) in event.chunks_mut(grades.len()).enumerate() {
            let outage_share = outage.filter(|o| o.0 == t).map_or(0, |o| o.1);
            let takeover_share = if attack.get(t).copied().unwrap_or(false) {
                takeover
            } else {
                0
            };
            for &g in used_grades {
                let cell = &mut row[g as usize];
                *cell = cell
                    .saturating_add(prepay_at(grades.segment_of[g as usize], t))
                    .saturating_add(outage_share)
                    .saturating_add(takeover_share);
            }
        }
        event
    };
    let event = any_event(&entry);
    let shocked_event = any_event(&shocked_entry);
    let contagion_event = any_event(&contagion_entry);
    let spells = if fast_path {
        SpellCurves::default()
    } else {
        let plan_segments = if plan_redefault.is_empty() {
            0
        } else {
            scenario.segments.len()
        };
        SpellCurves::new(
            horizon,
            grades.len(),
            used_grades,
            [&event, &contagion_event, &shocked_event],
            plan_segments,
            |s, t| plan_redefault[s * horizon + t].saturating_add(prepay_at(s, t)),
        )
    };

    // Early warning: the first month a segment's factor is below the trigger,
    // or the month after the portfolio's 30+ DPD rate crossed its trigger.
    let limit_cut_month = match &policy.early_warning {
        None => Vec::new(),
        Some(e) => z
            .iter()
            .map(|zs| {
                let by_factor = e
                    .factor_below
                    .and_then(|x| zs.iter().position(|&v| v < x))
                    .unwrap_or(horizon);
                by_factor.min(portfolio_cut_month.unwrap_or(horizon))
            })
            .collect(),
    };
    let plan_offered = match &policy.forbearance {
        None => Vec::new(),
        Some(f) => z
            .iter()
            .flat_map(|zs| zs.iter().map(move |&v| f.downturn_factor_below.is_none_or(|x| v < x)))
            .collect(),
    };

    PathTables {
        grades: grades.len(),
        limit_cut_month,
        plan_offered,
        plan_buckets,
        entry,
        event,
        buckets,
        lgd,
        outage: outage.map(|(month, share, cure)| OutageThresholds { month, cure, share }),
        fast,
        shocked_entry,
        shocked_event,
        plan_redefault,
        attack,
        bucket_rows,
        recovery_factor: if scenario.dynamics.recovery_macro_sensitivity > 0.0 {
            z.concat()
        } else {
            Vec::new()
        },
        multi_platform_share: if contagion {
            scenario
                .segments
                .iter()
                .map(|s| s.multi_platform.map_or(0, |m| threshold(m.share.get())))
                .collect()
        } else {
            Vec::new()
        },
        contagion_entry,
        contagion_event,
        prepay,
        rate_caps: {
            let mut caps: Vec<(usize, f64)> = scenario
                .events
                .iter()
                .zip(&events.events)
                .filter_map(|(e, m)| match (e.effect, m) {
                    (crate::scenario::EventEffect::RateCap { monthly_cap }, Some(m)) => Some((*m, monthly_cap)),
                    _ => None,
                })
                .collect();
            caps.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
            caps
        },
        spells,
    }
}

/// The months of path `path` in which a fraud attack runs: each month with
/// none running starts one with `probability_monthly` (one draw from the
/// path's fraud stream), lasting `duration_months`; with `with_outage`, the
/// outage month (when the outage happens) starts one too. Empty without waves.
fn attack_months(scenario: &crate::scenario::Scenario, path: u64, outage_month: Option<usize>) -> Vec<bool> {
    let Some(f) = scenario.fraud_waves else {
        return Vec::new();
    };
    let horizon = scenario.horizon_months;
    let mut attack = vec![false; horizon];
    let mut rng = item_rng(stream_key(scenario.seed, path, Purpose::Fraud), 0);
    let mut t = 0;
    while t < horizon {
        if rng.random::<f64>() < f.probability_monthly.get() {
            attack[t..(t + f.duration_months).min(horizon)].fill(true);
            t += f.duration_months;
        } else {
            t += 1;
        }
    }
    if let Some(m) = outage_month.filter(|_| f.with_outage) {
        attack[m..(m + f.duration_months).min(horizon)].fill(true);
    }
    attack
}

/// The miss-probability multiplier of a borrower whose line early warning
/// cut, when the policy has a liquidity shock.
fn policy_shock(scenario: &crate::scenario::Scenario) -> Option<f64> {
    scenario
        .policy
        .early_warning
        .as_ref()
        .filter(|e| e.has_liquidity_shock())
        .map(|e| e.shock_hazard_multiplier)
}
