//! Regulatory capital of a book: segments whose one-year PD and LGD sit on a
//! row of the Basel II Annex 5 table get the published risk weight; EAD
//! counts the undrawn limit at the CCF; economic capital is the run's own
//! ES - EL; `creditstress check` passes and says so.

use assert_cmd::cargo::cargo_bin_cmd;
use creditstress::capital::book::{CapitalSummary, RegulatoryCapital};
use creditstress::engine::{Prepared, RunControl};
use creditstress::scenario::parse_scenario;
use creditstress::stats::RunSummary;

/// One segment of revolving lines with a one-year PD of exactly 1% (the PD
/// is quoted over 12 months) and a fixed LGD of 45%: Annex 5's row at PD 1%.
fn book(asset_class: &str, utilisation: f64, ccf: f64) -> String {
    format!(
        r#"
schema_version = 1
name = "capital"
[run]
horizon_months = 12
seed = 5
[dynamics]
pd_period_months = 12
delinquency = false
[[segments]]
name = "lines"
loans = 500
score = {{ mean = 650, std = 50 }}
income = {{ median_monthly = 5000, sigma = 0.5 }}
pd = {{ model = "constant", value = 0.01 }}
rho = 0.1
lgd = {{ mean = 0.45 }}
fraud_share = 0.0
prepayment_monthly = 0.0
[segments.products]
revolving_share = 1.0
installment_terms = []
utilisation = {{ mean = {utilisation:?}, std = 0.0 }}
revolving_repay_rate = 0.0
revolving_draw_rate = 0.0
revolving_ccf = {ccf:?}
[segments.limit]
min = 10000.0
cap = 10000.0
rounding = 100.0
[segments.capital]
asset_class = "{asset_class}"
"#
    )
}

#[test]
fn risk_weights_are_annex_5_s_and_ead_counts_the_undrawn_limit_at_the_ccf() {
    // Annex 5 at PD 1%, LGD 45%: other retail 45.77%, QRRE 17.22%.
    for (class, published) in [("other_retail", 0.4577), ("qrre", 0.1722)] {
        let s = parse_scenario(&book(class, 0.6, 0.5)).expect("valid");
        let prepared = Prepared::new(&s);
        let c = RegulatoryCapital::of(&prepared).expect("a segment with capital");
        let seg = &c.segments["lines"];
        assert_eq!(seg.asset_class, class);
        // Drawn 6,000 plus half the undrawn 4,000, on each of 500 lines.
        assert!((seg.ead - 500.0 * 8_000.0).abs() < 1e-6, "{}", seg.ead);
        assert!((seg.pd - 0.01).abs() < 1e-12 && (seg.lgd - 0.45).abs() < 1e-12);
        assert!(
            (seg.risk_weight - published).abs() <= 1e-4,
            "{class}: {}",
            seg.risk_weight
        );
        assert!((seg.rwa - seg.risk_weight * seg.ead).abs() < 1e-6 * seg.rwa);
        assert!((seg.capital_requirement - seg.rwa / 12.5).abs() < 1e-6 * seg.rwa);
        assert!((seg.expected_loss - 0.01 * 0.45 * seg.ead).abs() < 1e-6);
        assert_eq!(c.total.rwa, seg.rwa);
    }
}

#[test]
fn economic_capital_is_the_run_s_es_less_el_and_returns_divide_net_income() {
    let s = parse_scenario(&book("other_retail", 1.0, 0.0)).expect("valid");
    let prepared = Prepared::new(&s);
    let paths = prepared.simulate_paths(0..2_000, RunControl::default()).unwrap();
    let summary = RunSummary::new(&s, &prepared.profile, &paths);
    let regulatory = RegulatoryCapital::of(&prepared).unwrap();
    let c = CapitalSummary::new(&regulatory, &summary, &s.risk_levels);
    for q in ["0.95", "0.99", "0.999"] {
        let e = &c.economic[q];
        assert_eq!(e.es_minus_el, summary.loss.es[q] - summary.loss.mean);
        assert_eq!(e.var_minus_el, summary.loss.var[q] - summary.loss.mean);
        assert_eq!(e.return_on_es_capital, Some(summary.net_income.mean / e.es_minus_el));
    }
    assert_eq!(
        c.return_on_regulatory_capital,
        Some(summary.net_income.mean / c.total.capital_requirement)
    );
    // A scenario without [segments.capital] has no capital figures.
    let plain = parse_scenario(&book("qrre", 1.0, 0.0).replace("[segments.capital]\nasset_class = \"qrre\"\n", ""))
        .expect("valid");
    assert!(RegulatoryCapital::of(&Prepared::new(&plain)).is_none());
}

#[test]
fn creditstress_check_passes_and_speaks_json() {
    let out = cargo_bin_cmd!("creditstress").arg("check").assert().success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(text.contains("18 of 18 checks pass"), "{text}");
    assert!(!text.contains("FAIL"));
    let out = cargo_bin_cmd!("creditstress")
        .args(["check", "--json", "--threads", "1"])
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["passed"], true);
    assert_eq!(v["checks"].as_array().unwrap().len(), 18);
}

#[test]
fn loans_above_the_rate_lines_are_counted_on_the_chosen_basis() {
    use creditstress::economics::RateLines;
    // Every band priced at 30% a year (2.5% a month): above 24% and below 36%
    // nominally; (1.025)^12 - 1 = 34.5% effective, still below 36%.
    let text = book("other_retail", 1.0, 0.0).replace(
        "[segments.capital]",
        "[segments.pricing]\nannual_rate_by_band = [0.30, 0.30, 0.30, 0.30, 0.30, 0.30]\n[segments.capital]",
    );
    let s = parse_scenario(&text).expect("valid");
    let r = RateLines::of(&Prepared::new(&s));
    assert_eq!(r.lines.len(), 2);
    assert_eq!((r.lines[0].apr, r.lines[0].loans_above), (0.24, 500));
    assert_eq!((r.lines[0].share_of_loans, r.lines[0].share_of_balance), (1.0, 1.0));
    assert_eq!(r.lines[1].loans_above, 0);
    assert!((r.highest_apr - 0.30).abs() < 1e-12);
    let effective = parse_scenario(&format!(
        "{text}\n[rate_lines]\napr = [0.3, 0.344, 0.35]\nbasis = \"effective\"\n"
    ))
    .expect("valid");
    let r = RateLines::of(&Prepared::new(&effective));
    let above: Vec<u64> = r.lines.iter().map(|l| l.loans_above).collect();
    assert_eq!(above, vec![500, 500, 0], "34.49% effective");
    // Lines that are not increasing are refused, naming the field.
    let bad = parse_scenario(&format!("{text}\n[rate_lines]\napr = [0.36, 0.24]\n")).unwrap_err();
    assert!(bad.to_string().contains("rate_lines.apr"), "{bad}");
}
