//! Unit tests of the calibration: the chain against closed forms and the
//! solver against its target.

use super::*;
use crate::scenario::{Scenario, parse_scenario_file};
use crate::stats::normal::norm_cdf;

fn scenario(extra: &str, phi: f64, delinquency: bool) -> Scenario {
    let text = format!(
        r#"
schema_version = 1
name = "t"
[run]
horizon_months = 12
[macro.noise]
phi = {phi}
sigma = 1.0
[dynamics]
delinquency = {delinquency}
{extra}
[[segments]]
name = "a"
loans = 10
score = {{ mean = 650, std = 50 }}
income = {{ median_monthly = 5000, sigma = 0.3 }}
pd = {{ model = "constant", value = 0.05 }}
rho = 0.1
lgd = {{ mean = 0.5, std = 0.0 }}
"#
    );
    Scenario::from_file(parse_scenario_file(&text).expect("parses")).expect("valid")
}

#[test]
fn without_buckets_and_iid_factor_the_chain_is_the_closed_form() {
    // phi = 0: P(miss within 12) = 1 - (1 - Phi(a))^12 for sigma = 1.
    let s = scenario("", 0.0, false);
    let chain = LoanChain::new(&s, &s.segments[0], 0.1, &s.segments[0].transitions.revolving);
    for a in [-3.0f64, -2.0, -1.2] {
        let exact = 1.0 - (1.0 - norm_cdf(a)).powi(12);
        let got = chain.bad_within(a, 12);
        // The floor is the normal CDF's own accuracy (statrs' erfc, ~1e-11 relative), not the grid.
        assert!((got - exact).abs() < 1e-9 * exact, "a {a}: {got} vs {exact}");
    }
}

#[test]
fn the_solver_hits_its_target_with_every_channel_on() {
    for phi in [0.0, 0.8] {
        for delinquency in [false, true] {
            let s = scenario("roll_sensitivity = 0.3\ncure_sensitivity = 0.3", phi, delinquency);
            let pds = [1e-4, 0.01, 0.05, 0.2];
            for (pd, c) in pds.iter().zip(calibrate_segment(
                &s,
                &s.segments[0],
                0.1,
                &s.segments[0].transitions.revolving,
                &pds,
            )) {
                assert!(!c.capped);
                let chain = LoanChain::new(&s, &s.segments[0], 0.1, &s.segments[0].transitions.revolving);
                let got = chain.bad_within(c.probit, 12);
                assert!(
                    (got - pd).abs() < 1e-9 * pd,
                    "phi {phi} buckets {delinquency}: {got} vs {pd}"
                );
            }
        }
    }
}

#[test]
fn a_pd_beyond_the_dynamics_is_capped_not_faked() {
    // Charge-off needs at least four months from a miss, and cures are likely:
    // 99.9% within 12 months is out of reach.
    let s = scenario("", 0.0, true);
    let c = calibrate_segment(&s, &s.segments[0], 0.1, &s.segments[0].transitions.revolving, &[0.999])[0];
    assert!(c.capped);
    assert!(c.achieved_pd < 0.999 && c.achieved_pd > 0.0);
}

#[test]
fn bad_given_path_averages_to_the_grid_value() {
    // E over factor paths of the path-conditional PD is the chain's PD: check with
    // the iid factor, where a Gauss-Hermite-free check is the closed form again.
    let s = scenario("", 0.0, false);
    let chain = LoanChain::new(&s, &s.segments[0], 0.1, &s.segments[0].transitions.revolving);
    let z = [0.0; 12];
    let p = norm_cdf(-2.0 / 0.9f64.sqrt());
    let exact = 1.0 - (1.0 - p).powi(12);
    assert!((chain.bad_given_path(-2.0, &z) - exact).abs() < 1e-15);
}

#[test]
fn vasicek_correlation_round_trips() {
    let pd: f64 = 0.05;
    for r in [0.01f64, 0.04, 0.12, 0.3] {
        // Second moment by brute-force quadrature at a different resolution.
        let a = norm_inv(pd);
        let n = 20_001;
        let (mut m, mut w) = (0.0, 0.0);
        for i in 0..n {
            let x = -10.0 + 20.0 * i as f64 / (n - 1) as f64;
            let wt = (-0.5 * x * x).exp();
            let p = norm_cdf((a - r.sqrt() * x) / (1.0 - r).sqrt());
            m += wt * p * p;
            w += wt;
        }
        let back = vasicek_correlation_from_second_moment(pd, m / w);
        assert!((back - r).abs() < 1e-8, "{r} -> {back}");
    }
}
