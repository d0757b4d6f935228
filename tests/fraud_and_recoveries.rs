//! Fraud that comes in waves, and recoveries as a curve whose loss view and
//! cash view reconcile to the cent.

use creditstress::engine::{EngineChoice, PathOutcome, Prepared, RunControl};
use creditstress::population::cents_to_money;
use creditstress::scenario::parse_scenario;

const BOOK: &str = r#"
schema_version = 1
name = "fraud_book"
[run]
horizon_months = 24
seed = 99
[macro.noise]
phi = 0.8
[dynamics]
#dynamics
[[segments]]
name = "mixed"
loans = 3000
score = { mean = 640, std = 70 }
income = { median_monthly = 6000, sigma = 0.5 }
pd = { model = "logistic", intercept = -2.6, slope_per_100 = -1.2 }
rho = 0.08
lgd = { mean = 0.6, std = 0.2 }
fraud_share = 0.004
prepayment_monthly = 0.01
[segments.products]
revolving_share = 0.5
installment_terms = [6, 12]
revolving_draw_rate = 0.1
"#;

fn simulate(text: &str, paths: u64) -> Vec<PathOutcome> {
    let s = parse_scenario(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    Prepared::with_engine(&s, EngineChoice::Stepping)
        .expect("stepping runs anything")
        .simulate_paths(0..paths, RunControl::default())
        .expect("not cancelled")
}

fn with(dynamics: &str, extra: &str) -> String {
    format!("{}{extra}", BOOK.replace("#dynamics", dynamics))
}

fn std(v: &[f64]) -> f64 {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
}

const WAVES: &str = "\n[fraud_waves]\nprobability_monthly = 0.05\nduration_months = 2\ntakeover_share = 0.01\n";

#[test]
fn booked_fraud_alone_is_the_same_on_every_path_and_waves_make_it_a_risk() {
    let booked = simulate(&with("", ""), 200);
    let fraud: Vec<f64> = booked.iter().map(|p| p.tally.fraud_loss).collect();
    assert!(fraud[0] > 0.0);
    // Booked fraud always charges off at the fraud LGD: the same loss on every path.
    assert!(
        std(&fraud) < 1e-6 * fraud[0],
        "booked fraud loss varies: std {}",
        std(&fraud)
    );

    let waves = simulate(&with("", WAVES), 200);
    let fraud: Vec<f64> = waves.iter().map(|p| p.tally.fraud_loss).collect();
    let takeovers: u64 = waves.iter().map(|p| p.tally.takeovers).sum();
    assert!(takeovers > 0);
    assert!(
        std(&fraud) > 0.05 * fraud.iter().sum::<f64>() / 200.0,
        "waves should spread fraud loss"
    );
    for (w, b) in waves.iter().zip(&booked) {
        assert!(w.tally.fraud_loss >= b.tally.fraud_loss - 1e-6);
        assert!(
            w.tally.fraud_loss <= w.tally.loss + 1e-6,
            "fraud loss is part of the loss"
        );
        let l = w.tally.ledger;
        assert_eq!(l.originated, l.repaid + l.prepaid + l.charged_off + l.outstanding);
    }
}

#[test]
fn waves_that_never_start_are_bitwise_booked_fraud_alone() {
    let booked = simulate(&with("", ""), 50);
    let never = simulate(
        &with(
            "",
            "\n[fraud_waves]\nprobability_monthly = 0.0\ntakeover_share = 0.05\n",
        ),
        50,
    );
    assert_eq!(booked, never);
}

#[test]
fn an_outage_can_open_an_attack() {
    let outage = "\n[outage]\nmonth = 5\nshare = 0.05\ncure_rate = 0.9\n";
    let tied = format!("{outage}[fraud_waves]\nprobability_monthly = 0.0\ntakeover_share = 0.01\nwith_outage = true\n");
    let paths = simulate(&with("", &tied), 20);
    assert!(
        paths.iter().all(|p| p.tally.takeovers > 0),
        "every path has the outage, so every path has an attack"
    );
    let untied = format!("{outage}[fraud_waves]\nprobability_monthly = 0.0\ntakeover_share = 0.01\n");
    assert!(simulate(&with("", &untied), 20).iter().all(|p| p.tally.takeovers == 0));
}

#[test]
fn loss_and_cash_views_reconcile_to_the_cent() {
    // A curve that runs past the 24-month horizon for late charge-offs.
    let curve = "recovery_curve = [0.0, 0.1, 0.2, 0.2, 0.2, 0.1, 0.1, 0.05, 0.05]\nrecovery_cost_share = 0.1";
    for (dynamics, extra) in [("", ""), (curve, WAVES), ("recovery_lag_months = 30", "")] {
        let paths = simulate(&with(dynamics, extra), 100);
        let mut after = 0.0;
        for p in &paths {
            let t = &p.tally;
            let ead = cents_to_money(t.ledger.charged_off);
            let reconciled = t.loss + t.recoveries + t.recoveries_after_horizon;
            assert!(
                (ead - reconciled).abs() < 0.005,
                "{dynamics:?}: charged-off EAD {ead} vs loss + recoveries in and after the horizon {reconciled}"
            );
            assert!(
                t.economic_loss >= t.loss - 1e-6,
                "discounting recoveries cannot lower the loss"
            );
            after += t.recoveries_after_horizon;
            let cost_share = if dynamics.contains("recovery_cost_share") {
                0.1
            } else {
                0.0
            };
            assert!((t.recovery_cost - cost_share * t.recoveries).abs() < 1e-6 * (1.0 + t.recoveries));
        }
        assert!(after > 0.0, "{dynamics:?}: some recoveries fall after the horizon");
    }
    // Lag 30 > horizon 24: nothing is received, everything is after the horizon.
    let late = simulate(&with("recovery_lag_months = 30", ""), 10);
    assert!(
        late.iter()
            .all(|p| p.tally.recoveries == 0.0 && p.tally.recoveries_after_horizon > 0.0)
    );
}

#[test]
fn a_zero_discount_rate_makes_the_economic_loss_the_loss() {
    let paths = simulate(&with("recovery_discount_rate_annual = 0.0", ""), 20);
    for p in &paths {
        assert!((p.tally.economic_loss - p.tally.loss).abs() < 1e-6 * (1.0 + p.tally.loss));
    }
    // At the loans' own rates (the default) it is strictly above.
    let paths = simulate(&with("", ""), 20);
    assert!(paths.iter().all(|p| p.tally.economic_loss > p.tally.loss));
}

#[test]
fn recoveries_that_arrive_in_a_recession_bring_less() {
    // A fixed recession (no noise): every recovery month has Z = -1.5, so with
    // a sensitivity every recovery is smaller, every loss larger, and the
    // books still reconcile; with the default 0 nothing changes.
    let stressed = |extra: &str| {
        with(&format!("recovery_curve = [0.0, 0.2, 0.3, 0.3, 0.2]\n{extra}"), "").replace(
            "[macro.noise]\nphi = 0.8",
            "[macro.noise]\nphi = 0.8\nsigma = 0.0\n[macro.deterministic]\nnational = [-1.5]",
        )
    };
    let plain = simulate(&stressed(""), 30);
    let zero = simulate(&stressed("recovery_macro_sensitivity = 0.0"), 30);
    assert_eq!(plain, zero);
    let moved = simulate(&stressed("recovery_macro_sensitivity = 0.3"), 30);
    for (m, p) in moved.iter().zip(&plain) {
        assert_eq!(
            m.tally.defaults, p.tally.defaults,
            "the economy at recovery changes no event"
        );
        assert!(m.tally.loss > p.tally.loss, "{} vs {}", m.tally.loss, p.tally.loss);
        assert!(
            m.tally.recoveries + m.tally.recoveries_after_horizon
                < p.tally.recoveries + p.tally.recoveries_after_horizon
        );
        let ead = cents_to_money(m.tally.ledger.charged_off);
        let reconciled = m.tally.loss + m.tally.recoveries + m.tally.recoveries_after_horizon;
        assert!((ead - reconciled).abs() < 0.005, "{ead} vs {reconciled}");
    }
}
