//! Statistical tests of the factor model: counts simulated from the model
//! itself, fitted back, with tolerances that are the fit's own intervals.

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rand_distr::{Binomial, StandardNormal};

use super::*;
use crate::stats::normal::vasicek_conditional;

/// The parameters a panel is simulated from.
#[derive(Debug, Clone)]
struct Truth {
    miss: Vec<f64>,
    prepay: f64,
    roll: [f64; 3],
    cure: [f64; 3],
    rho: f64,
    s_roll: f64,
    s_cure: f64,
    phi: f64,
}

fn reference() -> Truth {
    Truth {
        miss: vec![0.01, 0.03, 0.08],
        prepay: 0.02,
        roll: [0.4, 0.6, 0.85],
        cure: [0.3, 0.15, 0.05],
        rho: 0.08,
        s_roll: 0.1,
        s_cure: 0.1,
        phi: 0.7,
    }
}

fn binomial(rng: &mut Xoshiro256PlusPlus, n: u64, p: f64) -> u64 {
    rng.sample(Binomial::new(n, p.clamp(0.0, 1.0)).expect("a probability in [0, 1]"))
}

/// `paths` x `months` of counts: `loans` current loans per grade and
/// `bucket_loans` per bucket at risk every month (the likelihood conditions
/// on the numbers at risk, so they need not follow from the flows).
fn simulate(truth: &Truth, paths: usize, months: usize, loans: u64, bucket_loans: [u64; 3], seed: u64) -> FactorPanel {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let innovation = (1.0 - truth.phi * truth.phi).sqrt();
    let paths = (0..paths)
        .map(|_| {
            let mut z: f64 = rng.sample(StandardNormal);
            let months = (0..months)
                .map(|t| {
                    if t > 0 {
                        let e: f64 = rng.sample(StandardNormal);
                        z = truth.phi * z + innovation * e;
                    }
                    let current = truth
                        .miss
                        .iter()
                        .map(|&m| {
                            let p = vasicek_conditional(m, truth.rho, z);
                            let missed = binomial(&mut rng, loans, p);
                            let prepay = truth.prepay.min(1.0 - p) / (1.0 - p);
                            let prepaid = binomial(&mut rng, loans - missed, prepay);
                            CurrentCounts {
                                at_risk: loans,
                                missed,
                                prepaid,
                            }
                        })
                        .collect();
                    let buckets = std::array::from_fn(|b| {
                        let n = bucket_loans[b];
                        let roll = vasicek_conditional(truth.roll[b], truth.s_roll, z);
                        let cure = vasicek_conditional(truth.cure[b], truth.s_cure, -z).min(1.0 - roll);
                        let rolled = binomial(&mut rng, n, roll);
                        let cured = binomial(&mut rng, n - rolled, cure / (1.0 - roll));
                        BucketCounts {
                            at_risk: n,
                            rolled,
                            cured,
                        }
                    });
                    MonthCounts { current, buckets }
                })
                .collect();
            PathCounts { months }
        })
        .collect();
    FactorPanel { paths }
}

/// Asserts that every estimated parameter's interval covers the truth.
fn assert_covers(fit: &FactorFit, truth: &Truth) {
    let mut pairs: Vec<(String, Estimate, f64)> = Vec::new();
    for (g, (e, &m)) in fit.miss_rates.iter().zip(&truth.miss).enumerate() {
        pairs.push((format!("miss {g}"), *e, m));
    }
    pairs.push(("prepay".into(), fit.prepay_rate, truth.prepay));
    pairs.push(("rho".into(), fit.rho, truth.rho));
    pairs.push(("phi".into(), fit.phi, truth.phi));
    if let (Some(r), Some(c)) = (fit.roll_rates, fit.cure_rates) {
        for b in 0..3 {
            pairs.push((format!("roll {b}"), r[b], truth.roll[b]));
            pairs.push((format!("cure {b}"), c[b], truth.cure[b]));
        }
    }
    if let (Some(sr), Some(sc)) = (fit.roll_sensitivity, fit.cure_sensitivity) {
        pairs.push(("s_roll".into(), sr, truth.s_roll));
        pairs.push(("s_cure".into(), sc, truth.s_cure));
    }
    for (name, e, t) in pairs {
        assert!(
            e.covers(t),
            "{name}: truth {t} outside [{}, {}] (estimate {})",
            e.lower,
            e.upper,
            e.value
        );
    }
}

fn options_99() -> FitOptions {
    FitOptions {
        confidence: 0.99,
        ..FitOptions::default()
    }
}

#[test]
fn recovers_every_parameter_of_the_full_model() {
    let truth = reference();
    let panel = simulate(&truth, 20, 36, 3000, [300, 120, 100], 11);
    let fit = fit_factor_model(&panel, &options_99()).expect("fits");
    assert_covers(&fit, &truth);
    assert_eq!((fit.months, fit.paths), (720, 20));
    assert_eq!(fit.parameter_names.len(), 3 + 1 + 6 + 4);
    assert!(fit.warnings.is_empty(), "{:?}", fit.warnings);
    // Intervals sit inside the parameters' ranges.
    assert!(fit.rho.lower > 0.0 && fit.rho.upper < 1.0);
    assert!(fit.phi.lower > -1.0 && fit.phi.upper < 1.0);
}

#[test]
fn the_gradient_is_the_derivative_of_the_likelihood() {
    // On fixed grids the forward-backward gradient must match central
    // differences of ln L (up to their O(h^2) error and rounding).
    let truth = reference();
    let panel = simulate(&truth, 2, 12, 2000, [200, 100, 80], 5);
    let layout = Layout::new(3, &FitOptions::default());
    let theta = starting_values(&layout, &panel);
    let x: Vec<f64> = layout
        .free
        .iter()
        .map(|&i| layout.link(i).coordinate(theta[i]))
        .collect();
    let grids = build_grids(&panel, &layout, &x);
    let objective = Objective {
        panel: &panel,
        layout: &layout,
        grids: &grids,
    };
    let (_, g) = objective.value_gradient(&x);
    for k in 0..x.len() {
        let h = 1e-5;
        let mut up = x.clone();
        let mut down = x.clone();
        up[k] += h;
        down[k] -= h;
        let numeric = (objective.value(&up) - objective.value(&down)) / (2.0 * h);
        let scale = g[k].abs().max(1.0);
        assert!(
            (numeric - g[k]).abs() < 1e-4 * scale,
            "{}: analytic {} numeric {numeric}",
            layout.name(layout.free[k]),
            g[k]
        );
    }
}

#[test]
fn independent_months_with_phi_fixed_at_zero() {
    let truth = Truth {
        phi: 0.0,
        ..reference()
    };
    let panel = simulate(&truth, 10, 24, 3000, [300, 120, 100], 21);
    let options = FitOptions {
        fix_phi: Some(0.0),
        ..options_99()
    };
    let fit = fit_factor_model(&panel, &options).expect("fits");
    assert_covers(&fit, &truth);
    assert_eq!(fit.phi, Estimate::fixed(0.0));
    assert!(!fit.parameter_names.contains(&"phi".to_string()));
    assert_eq!(fit.covariance.len(), fit.parameter_names.len());
}

#[test]
fn fixed_sensitivities_are_held_and_the_rest_estimated() {
    let truth = reference();
    let panel = simulate(&truth, 6, 36, 3000, [300, 120, 100], 31);
    let options = FitOptions {
        fix_rho: Some(truth.rho),
        fix_roll_sensitivity: Some(truth.s_roll),
        fix_cure_sensitivity: Some(truth.s_cure),
        ..options_99()
    };
    let fit = fit_factor_model(&panel, &options).expect("fits");
    assert_covers(&fit, &truth);
    assert_eq!(fit.rho, Estimate::fixed(truth.rho));
    assert_eq!(fit.roll_sensitivity, Some(Estimate::fixed(truth.s_roll)));
    assert_eq!(fit.parameter_names.len(), 3 + 1 + 6 + 1);
}

#[test]
fn without_buckets_a_miss_is_a_default() {
    let truth = Truth {
        miss: vec![0.002, 0.005, 0.01, 0.02],
        ..reference()
    };
    let panel = simulate(&truth, 10, 36, 5000, [0, 0, 0], 41);
    let options = FitOptions {
        with_buckets: false,
        ..options_99()
    };
    let fit = fit_factor_model(&panel, &options).expect("fits");
    assert_covers(&fit, &truth);
    assert!(fit.roll_rates.is_none() && fit.cure_sensitivity.is_none());
    assert_eq!(
        fit.parameter_names,
        [
            "miss_rate[0]",
            "miss_rate[1]",
            "miss_rate[2]",
            "miss_rate[3]",
            "prepay_rate",
            "rho",
            "phi"
        ]
    );
    assert!(fit.warnings.is_empty(), "{:?}", fit.warnings);
    // The posterior factor tracks the simulated one: its mean over a path
    // is finite and its standard deviation below the prior's.
    assert!(fit.factor_sd.iter().flatten().all(|&s| s > 0.0 && s < 0.5));
}

#[test]
fn a_short_history_is_fitted_with_a_warning() {
    let truth = reference();
    let panel = simulate(&truth, 1, 12, 3000, [300, 120, 100], 51);
    let fit = fit_factor_model(&panel, &FitOptions::default()).expect("fits");
    assert!(
        fit.warnings
            .iter()
            .any(|w| w.contains("too short to identify rho: 12 months")),
        "{:?}",
        fit.warnings
    );
    assert_eq!(fit.factor_mean[0].len(), 12);
}

#[test]
fn bad_panels_are_errors() {
    let empty = FactorPanel::default();
    assert_eq!(
        fit_factor_model(&empty, &FitOptions::default()),
        Err(EstimationError::EmptyPanel)
    );
    let no_months = FactorPanel {
        paths: vec![PathCounts::default()],
    };
    assert_eq!(
        fit_factor_model(&no_months, &FitOptions::default()),
        Err(EstimationError::EmptyPanel)
    );

    let mut panel = simulate(&reference(), 1, 6, 100, [20, 10, 5], 61);
    panel.paths[0].months[3].current[1].missed = 90;
    panel.paths[0].months[3].current[1].prepaid = 20;
    let err = fit_factor_model(&panel, &FitOptions::default()).expect_err("110 events of 100");
    assert_eq!(
        err.to_string(),
        "path 0, month 3, grade 1: missed + prepaid: 110 events out of 100 at risk"
    );

    let mut panel = simulate(&reference(), 1, 6, 100, [20, 10, 5], 61);
    panel.paths[0].months[2].buckets[2].rolled = 6;
    assert!(matches!(
        fit_factor_model(&panel, &FitOptions::default()),
        Err(EstimationError::EventsExceedAtRisk { events, at_risk: 5, .. }) if events >= 6
    ));

    let no_buckets = simulate(&reference(), 1, 6, 100, [0, 0, 0], 61);
    let err = fit_factor_model(&no_buckets, &FitOptions::default()).expect_err("buckets asked for");
    assert!(err.to_string().contains("with_buckets: false"), "{err}");

    let bad_phi = FitOptions {
        fix_phi: Some(1.0),
        ..FitOptions::default()
    };
    assert!(matches!(
        fit_factor_model(&no_buckets, &bad_phi),
        Err(EstimationError::InvalidInput(_))
    ));
}

/// `(lo, hi)`: the central `level` acceptance band of a Binomial(n, p) count.
fn binomial_band(n: u64, p: f64, level: f64) -> (u64, u64) {
    let ln_choose = |k: u64| -> f64 { (1..=k).map(|i| ((n - k + i) as f64 / i as f64).ln()).sum() };
    let pmf: Vec<f64> = (0..=n)
        .map(|k| (ln_choose(k) + k as f64 * p.ln() + (n - k) as f64 * (1.0 - p).ln()).exp())
        .collect();
    let tail = 0.5 * (1.0 - level);
    let (mut lo, mut below) = (0, 0.0);
    while below + pmf[lo as usize] <= tail {
        below += pmf[lo as usize];
        lo += 1;
    }
    let (mut hi, mut above) = (n, 0.0);
    while above + pmf[hi as usize] <= tail {
        above += pmf[hi as usize];
        hi -= 1;
    }
    (lo, hi)
}

#[test]
fn the_rho_interval_covers_at_its_nominal_rate() {
    // 80 independent histories of 8 paths x 24 months, 2 grades, no buckets.
    let truth = Truth {
        miss: vec![0.01, 0.04],
        phi: 0.5,
        ..reference()
    };
    let options = FitOptions {
        with_buckets: false,
        ..FitOptions::default()
    };
    let replications = 80u64;
    let covered: u64 = (0..replications)
        .into_par_iter()
        .map(|r| {
            let panel = simulate(&truth, 8, 24, 2000, [0, 0, 0], 1000 + r);
            let fit = fit_factor_model(&panel, &options).expect("fits");
            u64::from(fit.rho.covers(truth.rho))
        })
        .sum();
    let (lo, hi) = binomial_band(replications, 0.95, 0.999);
    assert!(
        (lo..=hi).contains(&covered),
        "rho covered {covered} of {replications}, outside the 99.9% band [{lo}, {hi}] for 95% coverage"
    );
}
