//! IFRS 9 provisions of `[economics.provisions]`: a loan that stays current
//! carries the closed-form 12-month ECL of its PD, LGD and EAD, discounted
//! at its rate; stages follow the documented rules month by month on the
//! loan tape; the probability-weighted ECL is the weighted mean of its
//! scenarios' (one scenario of weight 1 is that scenario); the provision
//! changes add up to the closing less the opening allowance, to the cent.

use creditstress::engine::Prepared;
use creditstress::loan::tape::TapeState;
use creditstress::population::Cents;
use creditstress::scenario::parse_scenario;
use creditstress::stats::normal::norm_cdf;

/// One segment of 24-month installment loans; `dynamics` and `provisions`
/// are spliced in.
fn book(dynamics: &str, provisions: &str) -> String {
    format!(
        r#"
schema_version = 1
name = "provisions"
[run]
horizon_months = 12
paths = 40
seed = 29
[macro]
factors = ["national"]
[macro.noise]
phi = 0.7
sigma = 0.5
[dynamics]
pd_period_months = 12
{dynamics}
[[segments]]
name = "loans"
loans = 2000
score = {{ mean = 640, std = 60 }}
income = {{ median_monthly = 5000, sigma = 0.5 }}
pd = {{ model = "constant", value = 0.08 }}
rho = 0.1
lgd = {{ mean = 0.55 }}
fraud_share = 0.0
prepayment_monthly = 0.0
[segments.products]
revolving_share = 0.0
installment_terms = [24]
[segments.limit]
min = 1000.0
cap = 20000.0
rounding = 100.0
[economics]
[economics.provisions]
{provisions}
"#
    )
}

const NO_BUCKETS: &str = "delinquency = false";
const BUCKETS: &str = "delinquency = true\nroll_rates = [0.45, 0.70, 0.90]\ncure_rates = [0.40, 0.15, 0.05]";

/// The allowance and stages a path kept.
fn provisions_of(outcome: &creditstress::engine::PathOutcome) -> &creditstress::accounting::PathProvisions {
    outcome
        .pnl
        .as_deref()
        .expect("a P&L")
        .provisions
        .as_ref()
        .expect("provisions")
}

fn parse(text: &str) -> creditstress::scenario::Scenario {
    parse_scenario(text).unwrap_or_else(|e| panic!("valid scenario: {e}"))
}

#[test]
fn a_current_loan_carries_the_closed_form_twelve_month_ecl() {
    let s = parse(&book(NO_BUCKETS, ""));
    let prepared = Prepared::new(&s);
    let book = prepared.book.as_ref().expect("one book");
    let rho = prepared.grades.segment_rho[0];
    // Without buckets a miss is a charge-off: q_k = (1 - p)^(k-1) p at factor 0.
    let twelve_month = |loan: &creditstress::population::Loan, months: usize| {
        let a = prepared.grades.entry_probit[loan.grade as usize];
        let p = norm_cdf(a / (1.0 - rho).sqrt());
        let v = 1.0 / (1.0 + loan.rate_monthly);
        (1..=months)
            .map(|k| (1.0 - p).powi(k as i32 - 1) * p * v.powi(k as i32))
            .sum::<f64>()
            * 0.55
    };
    let opening: f64 = book
        .loans
        .iter()
        .map(|l| l.balance as f64 / 100.0 * twelve_month(l, 12))
        .sum();
    let (outcome, _, _) = prepared.simulate_path_with_tape(0);
    let p = provisions_of(&outcome);
    assert!(
        (p.opening as f64 / 100.0 - opening).abs() <= 0.01,
        "{} vs {opening}",
        p.opening
    );
    // At the end of month 1 every loan still on the book is current, with 23 months left.
    let tape = outcome.tally.tape.as_deref().expect("a tape");
    let by_id: std::collections::HashMap<u32, &creditstress::population::Loan> =
        book.loans.iter().map(|l| (l.id, l)).collect();
    let month_one: f64 = tape
        .rows
        .iter()
        .filter(|r| r.month == 1 && r.state == TapeState::Current)
        .map(|r| r.balance as f64 / 100.0 * twelve_month(by_id[&r.loan], 12))
        .sum();
    assert!(
        (p.monthly[0].allowance as f64 / 100.0 - month_one).abs() <= 0.01,
        "{} vs {month_one}",
        p.monthly[0].allowance
    );
    assert!(opening > 0.0 && p.monthly[0].stage_accounts[1] == 0 && p.monthly[0].stage_accounts[2] == 0);
}

#[test]
fn stages_follow_the_documented_rules_on_the_loan_tape() {
    let s = parse(&book(BUCKETS, ""));
    let prepared = Prepared::new(&s);
    let mut seen = [0u64; 3];
    for index in 0..3 {
        let (outcome, _, _) = prepared.simulate_path_with_tape(index);
        let tape = outcome.tally.tape.as_deref().expect("a tape");
        let p = provisions_of(&outcome);
        for t in 0..12 {
            let mut accounts = [0u32; 3];
            let mut balance = [0 as Cents; 3];
            for r in tape.rows.iter().filter(|r| r.month as usize == t + 1) {
                let stage = match r.state {
                    TapeState::Current => 0,
                    TapeState::Plan | TapeState::Dpd30 | TapeState::Dpd60 => 1,
                    TapeState::Dpd90 => 2,
                    _ => continue,
                };
                accounts[stage] += 1;
                balance[stage] += r.balance;
            }
            assert_eq!(p.monthly[t].stage_accounts, accounts, "path {index} month {t}");
            assert_eq!(p.monthly[t].stage_balance, balance, "path {index} month {t}");
            for k in 0..3 {
                seen[k] += accounts[k] as u64;
            }
        }
        // The allowance's changes add up to the closing less the opening allowance, to the cent.
        let pnl = outcome.pnl.as_deref().unwrap();
        let changes: Cents = pnl.monthly.iter().map(|m| m.provision_change).sum();
        assert_eq!(changes, p.monthly[11].allowance - p.opening);
        assert_eq!(
            pnl.total().net_income(),
            pnl.monthly.iter().map(|m| m.net_income()).sum::<Cents>()
        );
    }
    assert!(seen.iter().all(|&n| n > 50), "every stage occurs: {seen:?}");
    // Per unit of balance, a loan further behind carries more ECL.
    let rules = prepared.ecl.as_deref().expect("provision rules");
    let row = prepared.book.as_ref().unwrap().loans[0].grade as usize;
    let pd: Vec<f64> = (0..4)
        .map(|state| rules.term.discounted_pd(row, false, state, 12, 0.99))
        .collect();
    assert!(pd.windows(2).all(|w| w[0] < w[1]), "{pd:?}");
}

#[test]
fn the_weighted_ecl_is_the_weighted_mean_of_its_scenarios() {
    let one =
        |name: &str, factor: f64| format!("scenarios = [{{ name = \"{name}\", weight = 1.0, factor = {factor:?} }}]");
    let base = parse(&book(BUCKETS, &one("base", 0.0)));
    let adverse = parse(&book(BUCKETS, &one("adverse", -1.5)));
    let neutral = parse(&book(BUCKETS, ""));
    let mixed = parse(&book(
        BUCKETS,
        "scenarios = [{ name = \"base\", weight = 0.7, factor = 0.0 }, { name = \"adverse\", weight = 0.3, factor = -1.5 }]",
    ));
    let allowance = |s: &creditstress::scenario::Scenario| -> Vec<Vec<Cents>> {
        let prepared = Prepared::new(s);
        (0..4)
            .map(|i| {
                let o = prepared.simulate_path(i);
                let p = o.pnl.as_deref().unwrap().provisions.clone().unwrap();
                std::iter::once(p.opening)
                    .chain(p.monthly.iter().map(|m| m.allowance))
                    .collect()
            })
            .collect()
    };
    let (a, b, n, m) = (
        allowance(&base),
        allowance(&adverse),
        allowance(&neutral),
        allowance(&mixed),
    );
    assert_eq!(a, n, "one scenario of weight 1 at factor 0 is the default");
    for ((pa, pb), pm) in a.iter().zip(&b).zip(&m) {
        for ((x, y), z) in pa.iter().zip(pb).zip(pm) {
            assert!(*y > *x, "the adverse scenario provides more");
            let expected = 0.7 * *x as f64 + 0.3 * *y as f64;
            assert!((*z as f64 - expected).abs() <= 1.0, "{z} vs {expected}");
        }
    }
}

#[test]
fn provision_settings_out_of_range_are_refused_by_name() {
    for (text, field) in [
        (
            "scenarios = [{ name = \"a\", weight = 0.5, factor = 0.0 }]",
            "economics.provisions.scenarios",
        ),
        (
            "scenarios = [{ name = \"a\", weight = 0.5, factor = 0.0 }, { name = \"a\", weight = 0.5, factor = 1.0 }]",
            "economics.provisions.scenarios[1].name",
        ),
        (
            "scenarios = [{ name = \"a\", weight = 1.0, factor = -40.0 }]",
            "economics.provisions.scenarios[0].factor",
        ),
        (
            "revolving_life_months = 0",
            "economics.provisions.revolving_life_months",
        ),
        ("stages = 3", "stages"),
    ] {
        let e = parse_scenario(&book(BUCKETS, text)).expect_err(text).to_string();
        assert!(e.contains(field), "{text}: {e}");
    }
}

/// Without buckets and prepayment a miss is a charge-off, so the
/// point-in-time 12-month PD at a factor level `z` is `1 - (1 - p(z))^12`
/// with `p(z) = Phi((a - sqrt(rho) z) / sqrt(1 - rho))`.
#[test]
fn the_point_in_time_twelve_month_pd_is_the_closed_form_at_the_factor() {
    use creditstress::calibration::term_structure::twelve_month_pd;
    let s = parse(&book(NO_BUCKETS, ""));
    let prepared = Prepared::new(&s);
    let rho = prepared.grades.segment_rho[0];
    let a = prepared.grades.entry_probit[0];
    for z in [-3.0, -1.0, 0.0, 0.5, 2.0] {
        let p = norm_cdf((a - rho.sqrt() * z) / (1.0 - rho).sqrt());
        let expected = 1.0 - (1.0 - p).powi(12);
        let got = twelve_month_pd(&s, &prepared.grades, 0, false, z);
        assert!((got - expected).abs() <= 1e-14, "z = {z}: {got} vs {expected}");
    }
    // At the through-the-cycle level it is the grade's own annual PD (8%).
    let ttc = twelve_month_pd(&s, &prepared.grades, 0, false, 0.0);
    assert!((ttc - 0.08).abs() < 0.01, "{ttc}");
}

/// With `pd_rise_ratio`, a current loan moves to stage 2 in exactly the
/// months whose point-in-time 12-month PD is at least the ratio times, and
/// at least `pd_rise_min_increase` above, the PD at booking (the opening
/// book: at `pd_rise_opening_factor`); checked on the loan tape of several
/// paths where both cases occur. Its ECL is then lifetime, so the
/// allowance is at least that without the trigger, and equal in the months
/// that do not trigger.
#[test]
fn a_pd_rise_past_the_trigger_moves_current_loans_to_stage_two_in_exactly_those_months() {
    use creditstress::calibration::term_structure::twelve_month_pd;
    let rule = "pd_rise_ratio = 1.3\npd_rise_min_increase = 0.005\npd_rise_opening_factor = 0.2";
    let s = parse(&book(BUCKETS, rule));
    let plain = parse(&book(BUCKETS, ""));
    let prepared = Prepared::new(&s);
    let plain_prepared = Prepared::new(&plain);
    let grid = prepared
        .ecl
        .as_deref()
        .and_then(|r| r.pd_rise.as_ref().map(|p| p.grid.clone()))
        .expect("a PD grid");
    let pd = |z: f64| grid.pd(&s, &prepared.grades, 0, false, z);
    let booked = pd(0.2);
    assert!((booked / twelve_month_pd(&s, &prepared.grades, 0, false, 0.2) - 1.0).abs() < 1e-6);
    let mut months_risen = [0u32; 2];
    for index in 0..4 {
        let (outcome, _, _) = prepared.simulate_path_with_tape(index);
        let (plain_outcome, _, _) = plain_prepared.simulate_path_with_tape(index);
        let tape = outcome.tally.tape.as_deref().expect("a tape");
        let (p, q) = (provisions_of(&outcome), provisions_of(&plain_outcome));
        for t in 0..12 {
            let now = pd(outcome.factors[0][t]);
            let risen = now >= 1.3 * booked && now - booked >= 0.005;
            months_risen[usize::from(risen)] += 1;
            let mut accounts = [0u32; 3];
            for r in tape.rows.iter().filter(|r| r.month as usize == t + 1) {
                let stage = match r.state {
                    TapeState::Current if !risen => 0,
                    TapeState::Current | TapeState::Plan | TapeState::Dpd30 | TapeState::Dpd60 => 1,
                    TapeState::Dpd90 => 2,
                    _ => continue,
                };
                accounts[stage] += 1;
            }
            let m = &p.monthly[t];
            assert_eq!(m.stage_accounts, accounts, "path {index} month {t} (risen: {risen})");
            // The same draws: the trigger moves loans between stages, nothing else.
            assert_eq!(
                m.stage_accounts.iter().sum::<u32>(),
                q.monthly[t].stage_accounts.iter().sum::<u32>()
            );
            if risen && t < 11 {
                // Lifetime (24 - t - 1 > 12 months left) exceeds 12 months.
                assert!(m.allowance > q.monthly[t].allowance, "path {index} month {t}");
            } else if risen {
                // In month 12 a 24-month loan has 12 months left: lifetime is 12 months.
                assert_eq!(m.allowance, q.monthly[t].allowance, "path {index} month {t}");
            } else {
                assert_eq!(m.allowance, q.monthly[t].allowance, "path {index} month {t}");
            }
        }
    }
    assert!(
        months_risen.iter().all(|&n| n >= 5),
        "months without and with a PD rise: {months_risen:?}"
    );
}

/// The grid the trigger reads is the exact chain to 1e-6 relative at any
/// factor level (a cubic in the log between its points, exact beyond them), for
/// installment loans and revolving lines, with and without buckets.
#[test]
fn the_pd_grid_is_the_exact_twelve_month_pd_to_one_part_in_a_million() {
    use creditstress::calibration::term_structure::twelve_month_pd;
    for dynamics in [NO_BUCKETS, BUCKETS] {
        let s = parse(&book(dynamics, "pd_rise_ratio = 2"));
        let prepared = Prepared::new(&s);
        let grid = prepared
            .ecl
            .as_deref()
            .and_then(|r| r.pd_rise.as_ref().map(|p| p.grid.clone()))
            .expect("a PD grid");
        let mut worst: f64 = 0.0;
        for revolving in [false, true] {
            for i in 0..=3000 {
                // Off the grid points too: a step of 1/100 from -15 to +15.
                let z = -15.0 + i as f64 / 100.0;
                let exact = twelve_month_pd(&s, &prepared.grades, 0, revolving, z);
                let got = grid.pd(&s, &prepared.grades, 0, revolving, z);
                worst = worst.max((got / exact - 1.0).abs());
            }
        }
        assert!(worst < 1e-6, "{dynamics}: worst relative error {worst:e}");
    }
}

#[test]
fn pd_rise_settings_out_of_range_are_refused_by_name() {
    for (text, field) in [
        ("pd_rise_ratio = 0.5", "economics.provisions.pd_rise_ratio"),
        ("pd_rise_ratio = 1000", "economics.provisions.pd_rise_ratio"),
        ("pd_rise_ratio = nan", "economics.provisions.pd_rise_ratio"),
        (
            "pd_rise_min_increase = -0.1",
            "economics.provisions.pd_rise_min_increase",
        ),
        (
            "pd_rise_min_increase = 1.0",
            "economics.provisions.pd_rise_min_increase",
        ),
        (
            "pd_rise_opening_factor = 11",
            "economics.provisions.pd_rise_opening_factor",
        ),
        (
            "pd_rise_opening_factor = inf",
            "economics.provisions.pd_rise_opening_factor",
        ),
    ] {
        let e = parse_scenario(&book(BUCKETS, text)).expect_err(text).to_string();
        assert!(e.contains(field), "{text}: {e}");
    }
}

/// The IASB's illustrative example of a 12-month ECL by an explicit
/// probability of default (IFRS 9 Illustrative Examples, Example 9): a
/// single amortising 10-year loan of CU1,000,000 with a 12-month PD of 0.5%
/// and an LGD of 25% carries a loss allowance of CU1,250
/// (0.5% x 25% x CU1,000,000). Written in the format: the loan imported
/// with its own PD and LGD, no correlation (so the PD at the neutral factor
/// is the PD), a miss is a charge-off (no buckets), no prepayment, and a
/// rate of 0, as the example does not discount within the year. The
/// opening allowance is the example's figure to the cent.
#[test]
fn the_iasb_twelve_month_ecl_example_is_reproduced_to_the_cent() {
    let text = r#"
schema_version = 1
name = "ifrs9_ie_example_9"
[run]
horizon_months = 12
paths = 1
seed = 1
[macro]
factors = ["national"]
[macro.noise]
sigma = 0
[dynamics]
pd_period_months = 12
delinquency = false
[[segments]]
name = "loans"
loans = 0
score = { mean = 650, std = 50 }
pd = { model = "constant", value = 0.005 }
rho = 0.0
lgd = { mean = 0.25 }
fraud_share = 0.0
prepayment_monthly = 0.0
[book]
file = "book.csv"
[economics]
[economics.provisions]
"#;
    let csv = "loan_id,segment,product,amortisation,balance,limit,rate_monthly,term_months,payments_made,dpd,score,pd,lgd\n\
               1,loans,installment,equal_installment,1000000.00,1000000.00,0,120,0,0,650,0.005,0.25\n";
    let mut file = creditstress::scenario::parse_scenario_file(text).unwrap_or_else(|e| panic!("{e}"));
    file.attachments.insert("book.csv", csv.as_bytes().to_vec());
    let s = creditstress::scenario::Scenario::from_file(file).unwrap_or_else(|e| panic!("{e}"));
    let prepared = Prepared::new(&s);
    let (outcome, _, _) = prepared.simulate_path_with_tape(0);
    let p = provisions_of(&outcome);
    assert!(
        (p.opening - 125_000).abs() <= 1,
        "the opening allowance is {} cents, the example's CU1,250.00",
        p.opening
    );
}
