//! An imported book (`[book] file`) and the loan-level tape (`--emit-tape`):
//! an exported book runs bitwise as the synthetic one it came from, the tape
//! adds up to the path's totals, imported loans start where the file says,
//! and every bad cell is refused with its file, line and column.

use creditstress::engine::Prepared;
use creditstress::loan::tape::TapeState;
use creditstress::population::{Cents, cents_to_money};
use creditstress::report::tape::{LoanIds, write_tape_csv};
use creditstress::scenario::{Scenario, ScenarioError, parse_scenario};

mod common;

use common::{TWO_SEGMENT_BOOK as BASE, emit_csv, imported, simulate};

fn scenario_with_book(text: &str, csv: &[u8]) -> Result<Scenario, ScenarioError> {
    common::scenario_with_book(text, "book.csv", csv)
}

#[test]
fn an_exported_book_runs_bitwise_as_the_synthetic_book_it_came_from() {
    let policy = "[policy.forbearance]\ntake_up = 0.5\nterm_extension_months = 3\npenalty_waiver = 0.5\nredefault_monthly = 0.04\n\
                  [policy.early_warning]\naction = \"cut\"\ncut_share = 0.5\nborrower_delinquent = true\nportfolio_dpd30_above = 0.03\n";
    for (dynamics, policy) in [("", ""), ("", policy), ("delinquency = false", "")] {
        let text = BASE.replace("#dynamics", dynamics).replace("#policy", policy);
        let synthetic = parse_scenario(&text).expect("valid");
        let (csv, _) = emit_csv(&synthetic, 1);
        let from_file = scenario_with_book(&imported(&text, "book.csv"), &csv).expect("the exported book is valid");
        assert_eq!(from_file.total_loans(), Prepared::new(&synthetic).profile.loans);
        let (a, b) = (simulate(&synthetic, 40), simulate(&from_file, 40));
        assert_eq!(a, b, "dynamics {dynamics:?}, policy {policy:?}");
    }
}

#[test]
fn the_tape_adds_up_to_the_paths_totals() {
    let text = BASE.replace("#dynamics", "").replace("#policy", "");
    let s = parse_scenario(&text).expect("valid");
    let prepared = Prepared::new(&s);
    for path in 0..3 {
        let (outcome, book, origins) = prepared.simulate_path_with_tape(path);
        assert_eq!(
            outcome.tally.loss,
            prepared.simulate_path(path).tally.loss,
            "the tape run is the run"
        );
        let tape = outcome.tally.tape.as_deref().expect("recorded");
        let t = &outcome.tally;
        let sum = |f: fn(&creditstress::loan::tape::TapeRow) -> Cents| tape.rows.iter().map(f).sum::<Cents>();
        assert_eq!(sum(|r| r.charge_off), t.ledger.charged_off);
        let opening: Cents = book.loans.iter().map(|l| l.balance).sum();
        // Draws on the tape are the revolving current-month draws; drawdowns
        // at a first miss (CCF) and fraud takeovers add to the exposure charged off.
        let ccf_and_takeover = t.ledger.originated - opening - sum(|r| r.drawn);
        assert!(ccf_and_takeover >= 0);
        assert_eq!(sum(|r| r.principal_paid), t.ledger.repaid + t.ledger.prepaid);
        assert_eq!(sum(|r| r.interest_paid), t.interest);
        let recovered: f64 = tape.rows.iter().map(|r| r.recovery).sum();
        assert!((recovered - t.recoveries).abs() <= 1e-6 * t.recoveries.max(1.0));
        let charged = tape.rows.iter().filter(|r| r.state == TapeState::ChargedOff).count() as u64;
        assert_eq!(charged, t.defaults);
        for month in 0..s.horizon_months {
            let delinquent = tape
                .rows
                .iter()
                .filter(|r| r.month as usize == month + 1 && r.state.bucket().is_some())
                .count() as u32;
            assert_eq!(delinquent, t.monthly_delinquent[month], "month {}", month + 1);
        }
        // Each loan's months are in order, one row per month.
        for w in tape.rows.windows(2) {
            if w[0].loan == w[1].loan {
                assert!(w[1].month > w[0].month);
            }
        }
        // The balance left at the horizon is the last row of every loan still open.
        let mut last = std::collections::HashMap::new();
        for r in &tape.rows {
            last.insert(r.loan, *r);
        }
        let outstanding: Cents = last
            .values()
            .filter(|r| r.month as usize == s.horizon_months)
            .map(|r| r.balance)
            .sum();
        assert_eq!(outstanding, t.ledger.outstanding);
        // The CSV writer names every loan by its book id.
        let ids = LoanIds::new(&s, &book, &origins);
        let mut csv = Vec::new();
        write_tape_csv(&mut csv, &[(path, tape)], &ids).expect("in memory");
        assert_eq!(String::from_utf8(csv).unwrap().lines().count(), tape.rows.len() + 1);
    }
}

const ONE_SEGMENT: &str = r#"
schema_version = 1
name = "imported_only"
[run]
horizon_months = 12
seed = 7
[macro.noise]
sigma = 0
[dynamics]
roll_rates = [0.5, 0.6, 0.7]
cure_rates = [0.2, 0.1, 0.05]
roll_sensitivity = 0
cure_sensitivity = 0
recovery_lag_months = 0
[[segments]]
name = "book"
loans = 0
score = { mean = 650, std = 50 }
income = { median_monthly = 5000, sigma = 0.5 }
pd = { model = "constant", value = 0.05 }
rho = 0.0
lgd = { mean = 0.6, std = 0.2 }
[book]
file = "book.csv"
"#;

const HEADER: &str = "loan_id,segment,product,amortisation,balance,limit,rate_monthly,term_months,payments_made,months_on_book,dpd,score,pd,lgd,fraud\n";

fn book_of(rows: &str) -> Vec<u8> {
    format!("{HEADER}{rows}").into_bytes()
}

#[test]
fn loans_in_90_days_past_due_charge_off_in_month_one_at_the_roll_rate() {
    let n = 4000;
    let rows: String = (0..n)
        .map(|i| format!("L{i},book,revolving,,1000.00,2000.00,0.01,0,0,5,90,640,,,false\n"))
        .collect();
    let s = scenario_with_book(ONE_SEGMENT, &book_of(&rows)).expect("valid");
    let outcome = simulate(&s, 1).remove(0);
    let month_one = outcome.tally.monthly_defaults[0] as f64;
    // Binomial(n, 0.7): inside 4.5 standard deviations.
    let (mean, sd) = (n as f64 * 0.7, (n as f64 * 0.7 * 0.3).sqrt());
    assert!((month_one - mean).abs() < 4.5 * sd, "{month_one} vs {mean}");
    // Nothing current at the start: no loan misses a new payment in month 1,
    // and every 90+ loan that neither rolled nor cured is still 90+.
    assert_eq!(
        outcome.tally.monthly_delinquent[0] as f64,
        n as f64 - month_one - cured_in_month_one(&s)
    );
}

fn cured_in_month_one(s: &Scenario) -> f64 {
    let (outcome, _, _) = Prepared::new(s).simulate_path_with_tape(0);
    let tape = outcome.tally.tape.expect("recorded");
    tape.rows
        .iter()
        .filter(|r| r.month == 1 && r.state == TapeState::Current)
        .count() as f64
}

#[test]
fn a_partly_repaid_installment_loan_runs_on_its_remaining_schedule() {
    // 4 of 12 equal-principal payments made on 1,200: 800 left, 100 a month
    // for 8 months; a PD too small to ever miss and no prepayment.
    let row = "A-1,book,installment,equal_principal,800.00,1200.00,0.02,12,4,4,0,700,0.000000001,,false\n";
    let s = scenario_with_book(ONE_SEGMENT, &book_of(row)).expect("valid");
    let (outcome, _, _) = Prepared::new(&s).simulate_path_with_tape(0);
    let tape = outcome.tally.tape.expect("recorded");
    assert_eq!(tape.rows.len(), 8);
    for (k, r) in tape.rows.iter().enumerate() {
        assert_eq!(r.principal_paid, 10_000, "month {}", k + 1);
        // Interest on the balance at the start of the month, 2% a month.
        assert_eq!(r.interest_paid, (80_000 - 10_000 * k as Cents) * 2 / 100);
    }
    assert_eq!(tape.rows[7].state, TapeState::Repaid);
    assert_eq!(tape.rows[7].balance, 0);
}

#[test]
fn a_fixed_lgd_is_the_loss_share_of_every_charge_off_and_a_loan_pd_is_its_own_grade() {
    let mut rows = String::new();
    for i in 0..3000 {
        // Half the loans with PD 2%, half with 30%, over 12 months, no delinquency below.
        let pd = if i % 2 == 0 { 0.02 } else { 0.30 };
        // Bullet loans: the balance stays 500 until maturity after the horizon.
        rows.push_str(&format!(
            "{i},book,installment,bullet,500.00,500.00,0.0,24,0,0,0,650,{pd},0.25,false\n"
        ));
    }
    let text = ONE_SEGMENT
        .replace("roll_rates = [0.5, 0.6, 0.7]", "delinquency = false")
        .replace("cure_rates = [0.2, 0.1, 0.05]\n", "")
        .replace("roll_sensitivity = 0\ncure_sensitivity = 0\n", "");
    let s = scenario_with_book(&text, &book_of(&rows)).expect("valid");
    let paths = simulate(&s, 4);
    for p in &paths {
        // Every charge-off loses exactly a quarter of 500.
        assert!((p.tally.loss - 125.0 * p.tally.defaults as f64).abs() < 1e-6);
    }
    // 12-month default fractions of each PD group, pooled over paths: the
    // factor has no noise, so defaults are Binomial(1500 x 4, pd) per group.
    let (outcome, book, _) = Prepared::new(&s).simulate_path_with_tape(0);
    let tape = outcome.tally.tape.expect("recorded");
    let defaulted: std::collections::HashSet<u32> = tape
        .rows
        .iter()
        .filter(|r| r.state == TapeState::ChargedOff)
        .map(|r| r.loan)
        .collect();
    for (parity, pd) in [(0, 0.02), (1, 0.30)] {
        let group: Vec<_> = book.loans.iter().filter(|l| l.id % 2 == parity).collect();
        let d = group.iter().filter(|l| defaulted.contains(&l.id)).count() as f64;
        let n = group.len() as f64;
        let sd = (n * pd * (1.0 - pd)).sqrt();
        assert!((d - n * pd).abs() < 4.5 * sd, "pd {pd}: {d} of {n}");
    }
    let _ = cents_to_money(0);
}

#[test]
fn every_bad_cell_is_refused_with_file_line_and_column() {
    let good = "1,book,revolving,,100.00,200.00,0.01,0,0,0,0,650,,,false\n";
    let cases: &[(&str, &str, &str)] = &[
        (
            "1,nobody,revolving,,100,200,0.01,0,0,0,0,650,,,false\n",
            "segment",
            "no segment named",
        ),
        (
            "1,book,lease,,100,200,0.01,0,0,0,0,650,,,false\n",
            "product",
            "expected revolving or installment",
        ),
        (
            "1,book,revolving,,abc,200,0.01,0,0,0,0,650,,,false\n",
            "balance",
            "expected a number",
        ),
        (
            "1,book,revolving,,-5,200,0.01,0,0,0,0,650,,,false\n",
            "balance",
            "must be 0 or more",
        ),
        (
            "1,book,revolving,,300,200,0.01,0,0,0,0,650,,,false\n",
            "balance",
            "above the limit",
        ),
        (
            "1,book,revolving,,100,200,NaN,0,0,0,0,650,,,false\n",
            "rate_monthly",
            "finite",
        ),
        (
            "1,book,revolving,,100,200,2,0,0,0,0,650,,,false\n",
            "rate_monthly",
            "monthly rate must be in",
        ),
        (
            "1,book,installment,,100,200,0.01,0,0,0,0,650,,,false\n",
            "term_months",
            "must be in 1..=",
        ),
        (
            "1,book,installment,,100,200,0.01,6,6,6,0,650,,,false\n",
            "payments_made",
            "must be below term_months",
        ),
        (
            "1,book,installment,,0.01,200,0.01,6,0,0,0,650,,,false\n",
            "balance",
            "at least one cent per payment",
        ),
        (
            "1,book,installment,weekly,100,200,0.01,6,0,0,0,650,,,false\n",
            "amortisation",
            "expected equal_installment",
        ),
        (
            "1,book,revolving,bullet,100,200,0.01,0,0,0,0,650,,,false\n",
            "amortisation",
            "no amortisation",
        ),
        (
            "1,book,revolving,,100,200,0.01,12,0,0,0,650,,,false\n",
            "term_months",
            "has no term",
        ),
        (
            "1,book,revolving,,100,200,0.01,0,0,0,45,650,,,false\n",
            "dpd",
            "expected 0, 30, 60 or 90",
        ),
        (
            "1,book,revolving,,100,200,0.01,0,0,0,0,200,,,false\n",
            "score",
            "must be in [350, 950]",
        ),
        (
            "1,book,revolving,,100,200,0.01,0,0,0,0,650,1.5,,false\n",
            "pd",
            "must be in (0, 1)",
        ),
        (
            "1,book,revolving,,100,200,0.01,0,0,0,0,650,,-0.1,false\n",
            "lgd",
            "must be in [0, 1]",
        ),
        (
            "1,book,revolving,,100,200,0.01,0,0,0,0,650,,,maybe\n",
            "fraud",
            "expected true or false",
        ),
        (
            "1,book,revolving,,100,200,0.01,0,0,-1,0,650,,,false\n",
            "months_on_book",
            "whole number",
        ),
        (
            ",book,revolving,,100,200,0.01,0,0,0,0,650,,,false\n",
            "loan_id",
            "a value is required",
        ),
    ];
    for (row, column, problem) in cases {
        let e = scenario_with_book(ONE_SEGMENT, &book_of(&format!("{good}{row}")))
            .expect_err(row)
            .to_string();
        assert!(e.starts_with("book.csv, line 3, column `"), "{row}: {e}");
        assert!(e.contains(&format!("column `{column}`")), "{row}: {e}");
        assert!(e.contains(problem), "{row}: {e}");
    }
    let whole_file: &[(String, &str)] = &[
        (format!("{HEADER}{good}{good}"), "appears twice"),
        (HEADER.to_string(), "no loans"),
        (HEADER.replace(",fraud", ",colour") + good, "unknown column"),
        (HEADER.replace("score,", "") + good, "required column missing"),
        (
            HEADER.replace("rate_monthly", "rate_annual_nominal,rate_monthly") + good,
            "not both",
        ),
        (format!("{HEADER}1,book,revolving\n"), "not a valid CSV row"),
    ];
    for (csv, problem) in whole_file {
        let e = scenario_with_book(ONE_SEGMENT, csv.as_bytes())
            .expect_err(problem)
            .to_string();
        assert!(e.starts_with("book.csv"), "{e}");
        assert!(e.contains(problem), "{problem}: {e}");
    }
    // A delinquent loan needs delinquency buckets.
    let no_buckets = ONE_SEGMENT.replace("roll_rates = [0.5, 0.6, 0.7]", "delinquency = false");
    let e = scenario_with_book(
        &no_buckets,
        &book_of("1,book,revolving,,100,200,0.01,0,0,0,30,650,,,false\n"),
    )
    .expect_err("delinquent without buckets")
    .to_string();
    assert!(
        e.contains("column `dpd`") && e.contains("no delinquency buckets"),
        "{e}"
    );
    // A book named but not attached.
    let e = parse_scenario(ONE_SEGMENT).expect_err("not attached").to_string();
    assert!(e.contains("book.csv") && e.contains("not read"), "{e}");
    // Without a book a segment needs loans.
    let e = parse_scenario(&ONE_SEGMENT.replace("[book]\nfile = \"book.csv\"\n", ""))
        .expect_err("no loans")
        .to_string();
    assert!(e.contains("segments[0].loans"), "{e}");
}

#[test]
fn annual_nominal_rates_are_twelve_monthly_rates_and_ids_key_streams() {
    let monthly = "7,book,revolving,,100,200,0.01,0,0,0,0,650,,,false\n";
    let annual_csv = format!(
        "{}7,book,revolving,,100,200,0.12,0,0,0,0,650,,,false\n",
        HEADER.replace("rate_monthly", "rate_annual_nominal")
    );
    let a = scenario_with_book(ONE_SEGMENT, &book_of(monthly)).expect("valid");
    let b = scenario_with_book(ONE_SEGMENT, annual_csv.as_bytes()).expect("valid");
    assert_eq!(a.book[0].rate_monthly, b.book[0].rate_monthly);
    assert_eq!(a.book[0].stream_id, 7);
    // Ids that are not all integers key streams by row.
    let named = scenario_with_book(
        ONE_SEGMENT,
        &book_of("x,book,revolving,,100,200,0.01,0,0,0,0,650,,,false\n"),
    )
    .expect("valid");
    assert_eq!(named.book[0].stream_id, 0);
}
