//! Multi-platform contagion and the seed-risk events.
//!
//! - contagion: a zero share of multi-platform borrowers, or no tightening,
//!   is bitwise the engine without the feature; a positive share raises the
//!   loss on the paths where the industry tightens and leaves every other
//!   path bitwise unchanged;
//! - every event: probability 0 is bitwise no event; probability 1 fires on
//!   every path at its month; its effect has the documented sign;
//! - an event's timing: a window draws months uniformly, a monthly hazard
//!   rising as the factor falls happens earlier in a downturn.

mod common;
use common::simulate;

use creditstress::engine::PathOutcome;
use creditstress::scenario::{Scenario, parse_scenario};

/// A small book with delinquency buckets, a recession and originations;
/// `#segment` marks where the first segment's extra tables go, `#tail`
/// where top-level tables go.
const BOOK: &str = r#"schema_version = 1
name = "contagion_book"
[run]
horizon_months = 18
seed = 31
[macro.noise]
phi = 0.7
[macro.deterministic]
national = [0.0, 0.0, -0.5, -1.0, -1.5, -1.5, -1.2, -0.8, -0.4, 0.0]
[[segments]]
name = "mass"
loans = 1500
score = { mean = 620, std = 70 }
income = { median_monthly = 5000, sigma = 0.5 }
pd = { model = "logistic", intercept = -2.3, slope_per_100 = -1.1 }
rho = 0.08
lgd = { mean = 0.7, std = 0.15 }
prepayment_monthly = 0.01
[segments.products]
revolving_share = 0.5
installment_terms = [3, 6, 12]
revolving_draw_rate = 0.05
[segments.originations]
applications_monthly = 40
#segment
#tail
"#;

fn scenario(segment: &str, tail: &str) -> Scenario {
    let text = BOOK.replace("#segment", segment).replace("#tail", tail);
    parse_scenario(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// Everything a path's result holds but its event record.
fn same_result(a: &PathOutcome, b: &PathOutcome) -> bool {
    let (mut x, mut y) = (a.tally.clone(), b.tally.clone());
    x.event_months.clear();
    y.event_months.clear();
    x == y && a.exposure.to_bits() == b.exposure.to_bits() && a.factors == b.factors
}

const MULTI: &str =
    "[segments.multi_platform]\nshare = 0.5\nother_lenders = 2\ndebt_per_lender_to_limit = 1.0\nhazard_per_debt = 1.0";
const TIGHTENING: &str = "[industry_tightening]\nwindow = [4, 10]\nprobability = 0.5\nduration_months = 6";

#[test]
fn no_share_or_no_tightening_is_bitwise_the_engine_without_contagion() {
    let plain = simulate(&scenario("", ""), 30);
    let zero_share = MULTI.replace("share = 0.5", "share = 0.0");
    for (segment, tail) in [(zero_share.as_str(), TIGHTENING), (MULTI, ""), ("", TIGHTENING)] {
        let other = simulate(&scenario(segment, tail), 30);
        for (a, b) in plain.iter().zip(&other) {
            assert!(same_result(a, b), "{segment} / {tail}: path {} differs", a.index);
        }
    }
}

#[test]
fn contagion_raises_the_loss_on_the_tightening_paths_only() {
    let without = simulate(&scenario(&MULTI.replace("share = 0.5", "share = 0.0"), TIGHTENING), 120);
    let with = simulate(&scenario(MULTI, TIGHTENING), 120);
    let mut raised = Vec::new();
    for (a, b) in without.iter().zip(&with) {
        assert_eq!(a.tally.event_months, b.tally.event_months, "the same tightening months");
        match b.tally.event_months[0] {
            0 => assert!(
                same_result(a, b),
                "path {}: no tightening, yet the result moved",
                a.index
            ),
            month => {
                assert!((4..=10).contains(&month), "a window month: {month}");
                raised.push(b.tally.loss - a.tally.loss);
            }
        }
    }
    let n = raised.len() as f64;
    assert!(n > 30.0 && n < 90.0, "about half the paths tighten: {n}");
    let mean = raised.iter().sum::<f64>() / n;
    let sd = (raised.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    assert!(
        mean > 3.29 * sd / n.sqrt(),
        "loss raised by {mean} (se {})",
        sd / n.sqrt()
    );
}

#[test]
fn our_own_delinquency_can_set_off_the_tightening() {
    // Only the feedback trigger, at a 30+ DPD rate the recession reaches.
    let feedback = "[industry_tightening]\nwhen_own_dpd30_above = 0.02\nduration_months = 4";
    let out = simulate(&scenario(MULTI, feedback), 40);
    let fired = out.iter().filter(|o| o.tally.event_months[0] > 0).count();
    assert!(fired > 0, "the trigger never fired");
    for o in &out {
        let month = o.tally.event_months[0] as usize;
        if month > 0 {
            // The month after the first month whose 30+ DPD rate (of loans booked so far) exceeded 2%.
            let f = o.tally.flow.as_deref().unwrap();
            let mut booked = 0u64;
            let crossing = o
                .tally
                .monthly_delinquent
                .iter()
                .enumerate()
                .position(|(t, &n)| {
                    booked += f.booked_loans[t] as u64;
                    n as f64 / booked as f64 > 0.02
                })
                .unwrap();
            assert_eq!(month, crossing + 2, "path {}", o.index);
        }
    }
}

/// An `[[events]]` entry of `kind` at month 6 with `probability` and `fields`.
fn event(kind: &str, probability: f64, fields: &str) -> String {
    format!("[[events]]\nkind = \"{kind}\"\nmonth = 6\nprobability = {probability}\n{fields}")
}

#[test]
fn every_event_with_probability_zero_is_no_event_and_with_one_fires_at_its_month() {
    let plain = simulate(&scenario("", ""), 20);
    for (kind, fields) in [
        ("collection_restriction", "cure_multiplier = 0.5"),
        ("lending_suspension", "duration_months = 3"),
        (
            "reputational_shock",
            "volume_multiplier = 0.3\nprepayment_multiplier = 3.0\nduration_months = 4",
        ),
        ("funding_shock", "funding_cost_jump_annual = 0.02"),
    ] {
        let never = simulate(&scenario("", &event(kind, 0.0, fields)), 20);
        let always = simulate(&scenario("", &event(kind, 1.0, fields)), 20);
        for ((p, n), a) in plain.iter().zip(&never).zip(&always) {
            assert!(same_result(p, n), "{kind} with probability 0 moved path {}", p.index);
            assert_eq!(n.tally.event_months, vec![0], "{kind}");
            assert_eq!(a.tally.event_months, vec![6], "{kind} fires at month 6");
        }
        let sum = |out: &[PathOutcome], f: &dyn Fn(&PathOutcome) -> f64| out.iter().map(f).sum::<f64>();
        let flow = |o: &PathOutcome| o.tally.flow.as_deref().unwrap().clone();
        match kind {
            "collection_restriction" => {
                // Fewer cures: more charge-offs, path by path never fewer in total.
                let d = |o: &PathOutcome| o.tally.defaults as f64;
                assert!(sum(&always, &d) > sum(&plain, &d) * 1.02, "{kind}");
            }
            "lending_suspension" => {
                for o in &always {
                    let f = flow(o);
                    assert_eq!(&f.applications[5..8], &[0, 0, 0], "no applications in months 6-8");
                    assert_eq!(&f.booked_loans[5..8], &[0, 0, 0]);
                    assert!(f.booked_loans[8] > 0, "lending resumes in month 9");
                }
            }
            "reputational_shock" => {
                let apps = |o: &PathOutcome| flow(o).applications[5..9].iter().map(|&n| n as f64).sum::<f64>();
                assert!(
                    sum(&always, &apps) < 0.5 * sum(&plain, &apps),
                    "{kind}: applications fall"
                );
                let prepaid = |o: &PathOutcome| o.tally.ledger.prepaid as f64;
                assert!(
                    sum(&always, &prepaid) > 1.2 * sum(&plain, &prepaid),
                    "{kind}: prepayments rise"
                );
            }
            _ => {
                // Recorded for the economics; no effect on the loss or the book.
                for (p, a) in plain.iter().zip(&always) {
                    assert!(same_result(p, a), "a funding shock moved path {}", p.index);
                }
            }
        }
    }
}

#[test]
fn a_window_draws_its_months_uniformly_and_a_hazard_follows_the_factor() {
    let window = "[[events]]\nkind = \"funding_shock\"\nwindow = [3, 8]\nfunding_cost_jump_annual = 0.01";
    let out = simulate(&scenario("", window), 600);
    let mut counts = [0u32; 6];
    for o in &out {
        counts[o.tally.event_months[0] as usize - 3] += 1;
    }
    // 100 expected per month; chi-square with 5 degrees of freedom below its 99.9% point 20.5.
    let chi2: f64 = counts.iter().map(|&c| (c as f64 - 100.0).powi(2) / 100.0).sum();
    assert!(chi2 < 20.5, "{counts:?}");

    // A monthly hazard rising as the factor falls happens earlier (and more) in the recession.
    let hazard = |s: f64| {
        format!(
            "[[events]]\nkind = \"funding_shock\"\nprobability_monthly = 0.02\nfactor_sensitivity = {s}\nfunding_cost_jump_annual = 0.01"
        )
    };
    let share = |s: f64| {
        let out = simulate(&scenario("", &hazard(s)), 400);
        out.iter().filter(|o| o.tally.event_months[0] > 0).count() as f64 / 400.0
    };
    let (flat, sensitive) = (share(0.0), share(1.0));
    // Without sensitivity: 1 - 0.98^18 = 30.5%.
    let p = 1.0 - 0.98f64.powi(18);
    assert!(
        (flat - p).abs() < 3.29 * (p * (1.0 - p) / 400.0).sqrt(),
        "{flat} against {p}"
    );
    assert!(sensitive > flat + 0.1, "{sensitive} vs {flat}");
}

#[test]
fn a_rate_cap_reprices_loans_above_it_and_income_falls() {
    // The default prices run from 7.2% to 18% a year (0.02% to 0.05% a day); cap at 12%.
    let cap = "apr_cap = 0.12";
    let plain = simulate(&scenario("", ""), 30);
    let never = simulate(&scenario("", &event("rate_cap", 0.0, cap)), 30);
    let capped = simulate(&scenario("", &event("rate_cap", 1.0, cap)), 30);
    for ((p, n), c) in plain.iter().zip(&never).zip(&capped) {
        assert!(
            same_result(p, n),
            "a rate cap with probability 0 moved path {}",
            p.index
        );
        assert_eq!(c.tally.event_months, vec![6]);
        assert!(
            c.tally.interest < p.tally.interest,
            "path {}: interest {} not below {}",
            p.index,
            c.tally.interest,
            p.tally.interest
        );
        let l = c.tally.ledger;
        assert_eq!(l.originated, l.repaid + l.prepaid + l.charged_off + l.outstanding);
    }
    // A cap above every price changes nothing.
    let loose = simulate(&scenario("", &event("rate_cap", 1.0, "apr_cap = 5.0")), 30);
    for (p, c) in plain.iter().zip(&loose) {
        assert!(same_result(p, c), "a cap above every rate moved path {}", p.index);
    }
}

/// The tail scenario: the factor paths and event shares of the paths at or
/// beyond VaR are those paths' own figures; a tightening that raises the
/// loss is more frequent in the tail than overall, and the tail's factor
/// lies below the average path's.
#[test]
fn the_tail_scenario_is_the_worst_paths_factor_and_events() {
    use creditstress::engine::Prepared;
    use creditstress::stats::RunSummary;
    let s = scenario(MULTI, TIGHTENING);
    let paths = simulate(&s, 200);
    let summary = RunSummary::new(&s, &Prepared::new(&s).profile, &paths);
    let t = &summary.tail_scenario["0.95"];
    let var = summary.loss.var["0.95"];
    assert_eq!(t.loss_from, var);
    let tail: Vec<&PathOutcome> = paths.iter().filter(|p| p.tally.loss >= var).collect();
    assert_eq!(t.paths, tail.len() as u64);
    let month = 6;
    let mean = tail.iter().map(|p| p.factors[0][month]).sum::<f64>() / tail.len() as f64;
    assert!((t.factors["national"][month].mean - mean).abs() < 1e-12);
    let all = paths.iter().map(|p| p.factors[0][month]).sum::<f64>() / paths.len() as f64;
    assert!((t.factors_all_paths_mean["national"][month] - all).abs() < 1e-12);
    let horizon_mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let tail_path: Vec<f64> = t.factors["national"].iter().map(|b| b.mean).collect();
    assert!(horizon_mean(&tail_path) < horizon_mean(&t.factors_all_paths_mean["national"]));
    let [in_tail, overall] = t.events["industry_tightening"];
    let hit = tail.iter().filter(|p| p.tally.event_months[0] > 0).count() as f64 / tail.len() as f64;
    assert!((in_tail - hit).abs() < 1e-12);
    assert!(
        in_tail > overall,
        "tightening in {in_tail} of the tail against {overall} overall"
    );
}
