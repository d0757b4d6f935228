//! Capital over time (`economics.capital`, the `rwa` and
//! `capital_requirement` columns of timeseries.csv): every month end's RWA
//! and capital requirement reconcile with the loan tape of the same path,
//! loan by loan through the IRB functions; a defaulted loan (90+ days past
//! due) holds none; a frozen line's undrawn limit stops counting; and the
//! summary's figures are the paths' own.

use std::collections::HashMap;

use creditstress::capital::irb_risk;
use creditstress::capital::path::one_year_pd;
use creditstress::engine::{Prepared, RunControl};
use creditstress::loan::tape::TapeState;
use creditstress::population::{ProductKind, cents_to_money};
use creditstress::scenario::parse_scenario;
use creditstress::stats::RunSummary;

/// One segment of installment loans and credit lines on the full
/// delinquency machinery, with a recession path so that loans go 90+ days
/// past due and charge off within 12 months; `policy`: extra policy tables.
fn book(policy: &str) -> String {
    format!(
        r#"
schema_version = 1
name = "capital_path"
[run]
horizon_months = 12
paths = 120
seed = 29
[macro]
factors = ["national"]
[macro.noise]
phi = 0.7
sigma = 0.4
[macro.deterministic]
national = [0.0, -0.5, -1.0, -1.5, -1.5, -1.0, -0.5, 0.0, 0.0, 0.0, 0.0, 0.0]
[dynamics]
pd_period_months = 12
delinquency = true
roll_rates = [0.45, 0.70, 0.90]
cure_rates = [0.40, 0.15, 0.05]
recovery_lag_months = 2
suspend_line_at_dpd = 0
[[segments]]
name = "loans"
loans = 2000
score = {{ mean = 620, std = 60 }}
income = {{ median_monthly = 5000, sigma = 0.5 }}
pd = {{ model = "logistic", intercept = -2.4, slope_per_100 = -1.0, pivot = 620 }}
rho = 0.1
lgd = {{ mean = 0.6, std = 0.15 }}
fraud_share = 0.0
prepayment_monthly = 0.01
[segments.products]
revolving_share = 0.4
installment_terms = [3, 6, 12]
utilisation = {{ mean = 0.5, std = 0.2 }}
revolving_repay_rate = 0.1
revolving_draw_rate = 0.05
revolving_ccf = 0.6
[segments.limit]
min = 1000.0
cap = 20000.0
rounding = 100.0
[segments.capital]
asset_class = "other_retail"
revolving_asset_class = "qrre"
[policy]
name = "capital"
{policy}
[economics]
operating_cost_per_account_month = 1.0
"#
    )
}

fn parse(text: &str) -> creditstress::scenario::Scenario {
    parse_scenario(text).unwrap_or_else(|e| panic!("valid scenario: {e}"))
}

/// The month-end RWA and capital requirement of a path recomputed from its
/// tape: each row on the book and not in default at its grade's IRB risk
/// weight, its EAD the balance plus, for a current line, the CCF times the
/// undrawn limit (none once `frozen_after_miss` and the line has missed a payment).
fn from_tape(prepared: &Prepared, index: u64, frozen_after_miss: bool) -> (Vec<f64>, Vec<f64>, u64) {
    let s = prepared.scenario;
    let seg = &s.segments[0];
    let terms = seg.capital.expect("[segments.capital]");
    let ccf = seg.revolving_ccf.get();
    let (outcome, book, _) = prepared.simulate_path_with_tape(index);
    let tape = outcome.tally.tape.as_deref().expect("a tape");
    let loans: HashMap<u32, _> = book.loans.iter().map(|l| (l.id, l)).collect();
    let (mut rwa, mut capital) = (vec![0.0; s.horizon_months], vec![0.0; s.horizon_months]);
    let mut missed: HashMap<u32, bool> = HashMap::new();
    let mut defaulted_rows = 0;
    for row in &tape.rows {
        let loan = loans[&row.loan];
        let revolving = loan.kind == ProductKind::Revolving;
        if matches!(row.state, TapeState::Dpd30 | TapeState::Plan) {
            missed.insert(row.loan, true);
        }
        let t = row.month as usize - 1;
        match row.state {
            TapeState::Current | TapeState::Plan | TapeState::Dpd30 | TapeState::Dpd60 => {}
            TapeState::Dpd90 => {
                defaulted_rows += 1;
                continue;
            }
            _ => continue,
        }
        let frozen = frozen_after_miss && missed.get(&row.loan).copied().unwrap_or(false);
        // Only a current line that is not frozen can still be drawn.
        let undrawn = if revolving && !frozen && row.state == TapeState::Current {
            ccf * cents_to_money((loan.limit - row.balance).max(0))
        } else {
            0.0
        };
        let ead = cents_to_money(row.balance) + undrawn;
        let risk = irb_risk(
            &terms.of(revolving),
            one_year_pd(prepared, loan.grade as usize),
            seg.lgd.mean,
        );
        rwa[t] += risk.risk_weight * ead;
        capital[t] += risk.k * ead;
    }
    let months = outcome
        .pnl
        .as_deref()
        .expect("a P&L")
        .capital
        .as_deref()
        .expect("a capital path");
    let got = |f: &dyn Fn(&creditstress::accounting::CapitalMonth) -> i64| -> Vec<f64> {
        months.iter().map(|m| cents_to_money(f(m))).collect()
    };
    for (t, (want, have)) in rwa.iter().zip(got(&|m| m.rwa)).enumerate() {
        assert!(
            (want - have).abs() <= 0.011,
            "path {index} month {}: RWA {have} against the tape's {want}",
            t + 1
        );
    }
    for (t, (want, have)) in capital.iter().zip(got(&|m| m.requirement)).enumerate() {
        assert!(
            (want - have).abs() <= 0.011,
            "path {index} month {}: capital requirement {have} against the tape's {want}",
            t + 1
        );
    }
    (rwa, capital, defaulted_rows)
}

#[test]
fn every_month_ends_rwa_reconciles_with_the_loan_tape() {
    let s = parse(&book(""));
    let prepared = Prepared::new(&s);
    let mut defaulted = 0;
    for index in 0..4 {
        let (rwa, capital, d) = from_tape(&prepared, index, false);
        defaulted += d;
        assert!(rwa.iter().all(|&x| x > 0.0), "a book on every month end: {rwa:?}");
        // Other retail and QRRE at a scaling factor of 1: the requirement is 8% of RWA.
        for (r, k) in rwa.iter().zip(&capital) {
            assert!((k / r - 0.08).abs() < 1e-12, "K EAD = RWA / 12.5: {k} against {r}");
        }
    }
    assert!(
        defaulted > 100,
        "the recession sends loans 90+ days past due: {defaulted} rows"
    );
}

#[test]
fn a_frozen_lines_undrawn_limit_stops_counting() {
    let freeze = "[policy.early_warning]\nborrower_delinquent = true\naction = \"freeze\"\n";
    let s = parse(&book(freeze));
    let prepared = Prepared::new(&s);
    let plain = parse(&book(""));
    let plain_prepared = Prepared::new(&plain);
    for index in 0..3 {
        let (frozen, _, _) = from_tape(&prepared, index, true);
        let (open, _, _) = from_tape(&plain_prepared, index, false);
        // The same draws: the lines frozen at their first miss hold less capital from then on.
        assert!(
            frozen.last().unwrap() < open.last().unwrap(),
            "path {index}: freezing lines that miss lowers the closing RWA ({} against {})",
            frozen.last().unwrap(),
            open.last().unwrap()
        );
    }
}

#[test]
fn the_summary_and_timeseries_give_the_paths_capital() {
    let s = parse(&book(""));
    let (prepared, paths) = creditstress::engine::run(&s, RunControl::default()).expect("runs");
    let summary = RunSummary::new(&s, &prepared.profile, &paths);
    let economics = summary.economics.as_ref().expect("economics");
    let capital = economics.capital.as_ref().expect("economics.capital");
    let closing: Vec<f64> = paths
        .iter()
        .map(|p| {
            cents_to_money(
                p.pnl
                    .as_deref()
                    .unwrap()
                    .capital
                    .as_deref()
                    .unwrap()
                    .last()
                    .unwrap()
                    .requirement,
            )
        })
        .collect();
    let mean = closing.iter().sum::<f64>() / closing.len() as f64;
    assert!((capital.closing_capital_requirement.mean - mean).abs() < 1e-6 * mean);
    assert!(capital.peak_capital_requirement.mean >= capital.closing_capital_requirement.mean);
    let average = capital.average_capital_requirement.mean;
    let ratio = capital.return_on_average_capital.expect("a positive capital");
    assert!((ratio - economics.net_income.mean / average).abs() < 1e-12);
    let series = creditstress::stats::Timeseries::new(&s, &prepared.profile, &paths);
    let column = series
        .names
        .iter()
        .position(|n| n == "capital_requirement")
        .expect("a column");
    let last = series.rows.last().unwrap()[column].mean;
    assert!((last - mean).abs() < 1e-6 * mean, "timeseries {last} against {mean}");
}
