//! Policy levers and their comparison on common random numbers.

use std::path::Path;

use creditstress::engine::{PathOutcome, Prepared, RunControl};
use creditstress::population::cents_to_money;
use creditstress::scenario::{PolicySection, Scenario, parse_policy_file, parse_scenario, with_field};
use creditstress::stats::compare::{PolicySample, compare_policies};

const BOOK: &str = r#"
schema_version = 1
name = "policy_book"
[run]
horizon_months = 12
[macro.noise]
phi = 0.8
[[segments]]
name = "mixed"
loans = 3000
score = { mean = 620, std = 80 }
income = { median_monthly = 6000, sigma = 0.5 }
pd = { model = "logistic", intercept = -2.2, slope_per_100 = -1.2 }
rho = 0.1
lgd = { mean = 0.7, std = 0.15 }
prepayment_monthly = 0.01
[segments.products]
revolving_share = 0.5
installment_terms = [6, 12]
"#;

fn scenario(text: &str, policy: Option<&str>) -> Scenario {
    let s = parse_scenario(text).unwrap();
    match policy {
        Some(p) => s.with_policy(parse_policy_file(p).unwrap()).unwrap(),
        None => s,
    }
}

fn run(s: &Scenario, paths: u64) -> (u64, Vec<PathOutcome>) {
    let p = Prepared::new(s);
    (
        p.profile.loans,
        p.simulate_paths(0..paths, RunControl::default()).unwrap(),
    )
}

fn sample(name: &str, loans: u64, paths: &[PathOutcome]) -> PolicySample {
    PolicySample {
        name: name.into(),
        loans,
        loss: paths.iter().map(|p| p.tally.loss).collect(),
        default_rate: paths.iter().map(|p| p.tally.defaults as f64 / loans as f64).collect(),
        interest: paths.iter().map(|p| cents_to_money(p.tally.interest)).collect(),
        net_income: paths.iter().map(|p| p.tally.net_income()).collect(),
        pnl_net_income: None,
    }
}

#[test]
fn an_empty_policy_changes_nothing_bitwise() {
    let plain = scenario(BOOK, None);
    let empty = scenario(BOOK, Some(""));
    let in_file = scenario(&format!("{BOOK}\n[policy]\n"), None);
    let (_, a) = run(&plain, 40);
    assert_eq!(a, run(&empty, 40).1);
    assert_eq!(a, run(&in_file, 40).1);
}

#[test]
fn forbearance_with_zero_take_up_equals_no_forbearance_bitwise() {
    let none = scenario(BOOK, None);
    let zero = scenario(
        BOOK,
        Some("[forbearance]\ntake_up = 0.0\nterm_extension_months = 6\ncure_boost = 0.5\nredefault_monthly = 0.1\n"),
    );
    assert!(zero.policy.forbearance.is_some());
    let (_, a) = run(&none, 60);
    let (_, b) = run(&zero, 60);
    assert_eq!(a, b);
    // And a positive take-up does change things (so the comparison above can fail).
    let some = scenario(BOOK, Some("[forbearance]\ntake_up = 0.8\nredefault_monthly = 0.02\n"));
    let (_, c) = run(&some, 60);
    assert!(c.iter().map(|p| p.tally.plans).sum::<u64>() > 0);
    assert_ne!(a, c);
}

#[test]
fn a_stricter_cutoff_books_fewer_loans_and_loses_less() {
    let paths = 400;
    let mut previous_loans = u64::MAX;
    let mut samples = Vec::new();
    for cutoff in [350.0, 550.0, 600.0, 650.0] {
        let s = scenario(BOOK, Some(&format!("[approval]\nmin_score = {cutoff}\n")));
        let (loans, outcomes) = run(&s, paths);
        assert!(
            loans <= previous_loans,
            "cutoff {cutoff}: {loans} loans after {previous_loans}"
        );
        previous_loans = loans;
        samples.push(sample(&format!("cutoff_{cutoff}"), loans, &outcomes));
    }
    // A cutoff at the bottom of the scale books everyone.
    assert_eq!(samples[0].loans, 3000);
    let c = compare_policies("policy_book", 1, &[samples[0].clone(), samples[2].clone()], &[0.99]);
    let el = &c.versus_baseline[0].differences[0];
    assert_eq!(el.metric, "el");
    assert!(
        el.paired.ci[1] < 0.0,
        "the paired CI of the EL change must exclude zero: {:?}",
        el.paired
    );
    // Pairing is what makes the difference sharp.
    assert!(el.width_ratio < 1.0, "{}", el.width_ratio);
}

#[test]
fn common_random_numbers_keep_a_booked_borrowers_draws() {
    // The same applicant has the same identity (and so the same draws) whether or
    // not a cutoff removes others: the loss of the high-score borrowers is
    // identical path by path under cutoffs that both book them.
    let text = BOOK.replace("revolving_share = 0.5", "revolving_share = 0.0");
    let lo = scenario(&text, Some("[approval]\nmin_score = 700\n"));
    let hi = scenario(
        &text,
        Some("[approval]\nmin_score = 700.0\n[limits]\nmultiplier_by_band = [1, 1, 1, 1, 1, 1]\n"),
    );
    assert_eq!(run(&lo, 30).1, run(&hi, 30).1);
}

#[test]
fn paired_intervals_are_narrower_on_the_bundled_example() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("scenarios/downturn.toml")).unwrap();
    let base = parse_scenario(&text).unwrap().with_overrides(Some(300), Some(7));
    let policy = |name: &str| -> PolicySection {
        parse_policy_file(&std::fs::read_to_string(root.join("scenarios/policies").join(name)).unwrap()).unwrap()
    };
    let current = base.with_policy(policy("current.toml")).unwrap();
    let tight = base.with_policy(policy("tight.toml")).unwrap();
    let (la, a) = run(&current, 300);
    let (lb, b) = run(&tight, 300);
    let c = compare_policies(
        "downturn",
        7,
        &[sample("current", la, &a), sample("tight", lb, &b)],
        &base.risk_levels,
    );
    for d in &c.versus_baseline[0].differences {
        let paired = d.paired.ci[1] - d.paired.ci[0];
        let unpaired = d.unpaired_ci[1] - d.unpaired_ci[0];
        if d.metric == "el" || d.metric == "net_income" || d.metric.starts_with("es_") {
            assert!(
                paired < unpaired,
                "{}: paired width {paired} >= unpaired {unpaired}",
                d.metric
            );
        }
    }
}

#[test]
fn limit_cuts_keep_exposure_accounting() {
    let text = BOOK.replace("revolving_share = 0.5", "revolving_share = 1.0");
    // A freeze from month 1 (the trigger is always on): no draw after booking,
    // the whole undrawn limit is removed, and the ledger still balances.
    let frozen = scenario(
        &text,
        Some("[early_warning]\nfactor_below = 100.0\naction = \"freeze\"\n"),
    );
    let prepared = Prepared::new(&frozen);
    let book = prepared.book.as_ref().unwrap();
    let undrawn: i64 = book
        .loans
        .iter()
        .filter(|l| !l.fraud)
        .map(|l| l.limit - l.balance)
        .sum();
    let initial: i64 = book.loans.iter().map(|l| l.balance).sum();
    let fraud_drawdown: i64 = book
        .loans
        .iter()
        .filter(|l| l.fraud)
        .map(|l| creditstress::population::round_cents((l.limit - l.balance) as f64 * 0.5))
        .sum();
    for p in prepared.simulate_paths(0..20, RunControl::default()).unwrap() {
        let l = p.tally.ledger;
        assert_eq!(l.originated, l.repaid + l.prepaid + l.charged_off + l.outstanding);
        assert_eq!(
            p.tally.limit_cut, undrawn,
            "drawn + undrawn = limit: the cut is the whole undrawn limit"
        );
        assert_eq!(
            l.originated,
            initial + fraud_drawdown,
            "no draws once the lines are frozen"
        );
        assert!(l.outstanding >= 0 && l.repaid >= 0 && l.prepaid >= 0);
    }
    // Cutting half the undrawn limit on missed payments and on a portfolio trigger.
    let cut = scenario(
        &text,
        Some(
            "[early_warning]\nportfolio_dpd30_above = 0.01\nborrower_delinquent = true\naction = \"cut\"\ncut_share = 0.5\nshock_hazard_multiplier = 1.0\n",
        ),
    );
    let (_, with_cuts) = run(&cut, 20);
    let (_, without) = run(&scenario(&text, None), 20);
    for (a, b) in with_cuts.iter().zip(&without) {
        let l = a.tally.ledger;
        assert_eq!(l.originated, l.repaid + l.prepaid + l.charged_off + l.outstanding);
        assert!(a.tally.limit_cut > 0 && a.tally.limit_cut <= undrawn);
        // Without a liquidity shock, cuts never change who defaults, only how much is drawn.
        assert_eq!(a.tally.defaults, b.tally.defaults);
        assert_eq!(a.tally.monthly_delinquent, b.tally.monthly_delinquent);
        assert!(a.tally.loss <= b.tally.loss + 1e-6 && a.tally.interest <= b.tally.interest);
    }
}

#[test]
fn collections_cost_is_charged_per_delinquent_account_month() {
    let s = scenario(
        BOOK,
        Some("[collections]\nstrategy = \"standard\"\ncost_per_account_month = 10\n"),
    );
    let (_, a) = run(&s, 10);
    let (_, b) = run(&scenario(BOOK, None), 10);
    for (x, y) in a.iter().zip(&b) {
        // Standard collections keep cure and LGD multipliers at 1: only the cost differs.
        assert_eq!(x.tally.loss, y.tally.loss);
        assert_eq!(
            x.tally.collection_cost,
            10.0 * x.tally.delinquent_account_months() as f64
        );
        assert!((x.tally.net_income() - (y.tally.net_income() - x.tally.collection_cost)).abs() < 1e-6);
    }
}

#[test]
fn the_first_sweep_point_equals_a_plain_run() {
    let base = scenario(BOOK, None);
    let first = Scenario::from_file(with_field(&base.file, "policy.approval.min_score", 350.0).unwrap()).unwrap();
    let plain = scenario(BOOK, Some("[approval]\nmin_score = 350\n"));
    assert_eq!(run(&first, 30).1, run(&plain, 30).1);
    // A cutoff at 350 books every applicant, so it also equals the run without a policy.
    assert_eq!(run(&first, 30).1, run(&base, 30).1);
}

#[test]
fn bad_policy_files_name_the_field() {
    let base = scenario(BOOK, None);
    let bad = |text: &str| {
        base.with_policy(parse_policy_file(text).unwrap())
            .unwrap_err()
            .to_string()
    };
    assert!(bad("[approval]\nmin_score = 1000\n").contains("policy.approval.min_score"));
    assert!(bad("[forbearance]\ntake_up = 1.5\nredefault_monthly = 0.1\n").contains("policy.forbearance.take_up"));
    assert!(bad("[early_warning]\naction = \"cut\"\n").contains("policy.early_warning"));
    assert!(
        bad("[early_warning]\nfactor_below = -1.0\naction = \"cut\"\nshock_hazard_multiplier = 0.5\n")
            .contains("policy.early_warning.shock_hazard_multiplier: must be in [1, 100]")
    );
    assert!(bad("[limits]\nmultiplier_by_band = [1, 2]\n").contains("policy.limits.multiplier_by_band"));
    let unknown = parse_policy_file("[approval]\nmin_scor = 600\n")
        .unwrap_err()
        .to_string();
    assert!(unknown.contains("min_scor"), "{unknown}");
}

#[test]
fn a_new_policy_replaces_the_pricing_of_the_old_one() {
    let priced = scenario(
        BOOK,
        Some("[pricing]\nannual_rate_by_band = [0.3, 0.3, 0.3, 0.3, 0.3, 0.3]\n"),
    );
    assert!(
        priced.segments[0]
            .monthly_rate_by_band
            .iter()
            .all(|&r| (r - 0.025).abs() < 1e-15)
    );
    let replaced = priced
        .with_policy(parse_policy_file("name = \"plain\"").unwrap())
        .unwrap();
    let plain = scenario(BOOK, None);
    assert_eq!(
        replaced.segments[0].monthly_rate_by_band,
        plain.segments[0].monthly_rate_by_band
    );
    assert_eq!(run(&replaced, 20).1, run(&plain, 20).1);
}

#[test]
fn levers_that_need_delinquency_buckets_say_so() {
    let plain = BOOK.replace("[run]", "[dynamics]\ndelinquency = false\n[run]");
    let base = parse_scenario(&plain).unwrap();
    let refuse = |policy: &str| {
        base.with_policy(parse_policy_file(policy).unwrap())
            .unwrap_err()
            .to_string()
    };
    assert!(refuse("[forbearance]\ntake_up = 0.5\nredefault_monthly = 0.1\n").contains("policy.forbearance"));
    assert!(
        refuse("[early_warning]\nportfolio_dpd30_above = 0.05\naction = \"freeze\"\n")
            .contains("policy.early_warning.portfolio_dpd30_above")
    );
    // A borrower trigger still works there: it acts at the missed payment.
    assert!(
        base.with_policy(
            parse_policy_file("[early_warning]\nborrower_delinquent = true\naction = \"freeze\"\n").unwrap()
        )
        .is_ok()
    );
}
