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
