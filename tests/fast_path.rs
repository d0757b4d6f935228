//! The fast path (one uniform per loan) and monthly stepping must give the
//! same distribution of results. Two independent samples (disjoint path
//! ranges of one run: the same book, independent path streams) are compared with a two-sample Kolmogorov-Smirnov test and with z-tests on
//! means; every tolerance comes from the samples themselves.

use creditstress::engine::{EngineChoice, PathOutcome, Prepared, RunControl};
use creditstress::scenario::parse_scenario;

/// No delinquency buckets: a mixed book with prepayment, three amortisation
/// types over segments, revolving lines with drawdown, a persistent factor.
const BOOK: &str = r#"
schema_version = 1
name = "fast_vs_stepping"
[run]
horizon_months = 18
[dynamics]
delinquency = false
pd_period_months = 12
[macro.noise]
phi = 0.8
sigma = 1.0
[[segments]]
name = "annuity"
loans = 1500
score = { mean = 650, std = 60 }
income = { median_monthly = 6000, sigma = 0.5 }
pd = { model = "logistic", intercept = -2.5, slope_per_100 = -1.0 }
rho = 0.1
lgd = { mean = 0.6, std = 0.2, macro_sensitivity = 0.2 }
prepayment_monthly = 0.02
fraud_share = 0.01
[segments.products]
installment_terms = [3, 12, 24]
amortisation = "equal_installment"
[[segments]]
name = "bullet_and_lines"
loans = 1500
score = { mean = 600, std = 60 }
income = { median_monthly = 4000, sigma = 0.5 }
pd = { model = "table", by_band = [0.2, 0.12, 0.08, 0.05, 0.03, 0.02] }
rho = 0.15
lgd = { mean = 0.7 }
prepayment_monthly = 0.01
[segments.products]
revolving_share = 0.5
installment_terms = [6, 12]
amortisation = "bullet"
"#;

/// Paths `first..first + paths` of the book (the population depends on the seed only).
fn run_text(text: &str, choice: EngineChoice, first: u64, paths: u64) -> Vec<PathOutcome> {
    let scenario = parse_scenario(text).unwrap().with_overrides(None, Some(7));
    let prepared = Prepared::with_engine(&scenario, choice).unwrap();
    assert_eq!(prepared.fast_path, choice == EngineChoice::FastPath);
    prepared
        .simulate_paths(first..first + paths, RunControl::default())
        .unwrap()
}

fn run(choice: EngineChoice, first: u64, paths: u64) -> Vec<PathOutcome> {
    run_text(BOOK, choice, first, paths)
}

/// Largest gap between the two empirical CDFs.
fn ks_statistic(a: &[f64], b: &[f64]) -> f64 {
    let (mut a, mut b) = (a.to_vec(), b.to_vec());
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    let (mut i, mut j, mut d) = (0, 0, 0.0f64);
    while i < a.len() && j < b.len() {
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        d = d.max((i as f64 / a.len() as f64 - j as f64 / b.len() as f64).abs());
    }
    d
}

fn mean_and_var(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    (m, x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1.0))
}

/// |mean_a - mean_b| within 4 standard errors of the difference (independent samples).
fn assert_same_mean(name: &str, a: &[f64], b: &[f64]) {
    let ((ma, va), (mb, vb)) = (mean_and_var(a), mean_and_var(b));
    let se = (va / a.len() as f64 + vb / b.len() as f64).sqrt();
    assert!(
        (ma - mb).abs() <= 4.0 * se,
        "{name}: stepping {ma} vs fast {mb}, 4 se = {}",
        4.0 * se
    );
}

#[test]
fn fast_path_and_stepping_have_the_same_distribution() {
    let paths = 3000;
    let stepping = run(EngineChoice::Stepping, 0, paths);
    let fast = run(EngineChoice::FastPath, paths, paths);
    assert_same_distribution(&stepping, &fast, &[0, 5, 17]);
}

/// Two independent samples of paths have the same distribution of the
/// path's figures (two-sample KS at alpha = 0.001 and z-tests on the means)
/// and the same mean defaults in `months` and in every score band.
fn assert_same_distribution(a: &[PathOutcome], b: &[PathOutcome], months: &[usize]) {
    // c(alpha) = sqrt(-ln(alpha / 2) / 2) = 1.949.
    let critical = 1.949 * ((a.len() + b.len()) as f64 / (a.len() * b.len()) as f64).sqrt();
    type Metric = fn(&PathOutcome) -> f64;
    let metrics: [(&str, Metric); 9] = [
        ("loss", |p| p.tally.loss),
        ("defaults", |p| p.tally.defaults as f64),
        ("interest", |p| p.tally.interest as f64),
        ("prepaid", |p| p.tally.ledger.prepaid as f64),
        ("originated", |p| p.tally.ledger.originated as f64),
        ("outstanding", |p| p.tally.ledger.outstanding as f64),
        ("loan_months", |p| p.tally.loan_months as f64),
        ("recoveries", |p| p.tally.recoveries),
        ("economic_loss", |p| p.tally.economic_loss),
    ];
    let figure = |paths: &[PathOutcome], f: &dyn Fn(&PathOutcome) -> f64| paths.iter().map(f).collect::<Vec<f64>>();
    for (name, metric) in metrics {
        let (x, y) = (figure(a, &metric), figure(b, &metric));
        let d = ks_statistic(&x, &y);
        assert!(d < critical, "{name}: KS distance {d} >= critical {critical}");
        assert_same_mean(name, &x, &y);
    }
    for &t in months {
        let defaults = |p: &PathOutcome| p.tally.monthly_defaults[t] as f64;
        assert_same_mean(
            &format!("defaults in month {}", t + 1),
            &figure(a, &defaults),
            &figure(b, &defaults),
        );
    }
    for band in 0..a[0].tally.band_defaults.len() {
        let defaults = |p: &PathOutcome| p.tally.band_defaults[band] as f64;
        assert_same_mean(
            &format!("defaults in band {band}"),
            &figure(a, &defaults),
            &figure(b, &defaults),
        );
    }
}

#[test]
fn the_test_can_tell_different_distributions_apart() {
    // Guard against a KS test that never rejects: raising one segment's
    // log-odds of default by 0.3 (PD about 1.35 times) must be detected.
    let paths = 3000;
    let base = run(EngineChoice::FastPath, 0, paths);
    let worse = run_text(
        &BOOK.replace("intercept = -2.5", "intercept = -2.2"),
        EngineChoice::FastPath,
        paths,
        paths,
    );
    let a: Vec<f64> = base.iter().map(|p| p.tally.defaults as f64).collect();
    let b: Vec<f64> = worse.iter().map(|p| p.tally.defaults as f64).collect();
    let critical = 1.949 * ((2 * paths) as f64 / (paths * paths) as f64).sqrt();
    let d = ks_statistic(&a, &b);
    assert!(d > critical, "KS distance {d} <= critical {critical}");
}

#[test]
fn fast_path_is_chosen_only_when_exact() {
    let scenario = parse_scenario(BOOK).unwrap();
    assert!(Prepared::new(&scenario).fast_path);
    let with_buckets = parse_scenario(&BOOK.replace("delinquency = false", "delinquency = true")).unwrap();
    assert!(!Prepared::new(&with_buckets).fast_path);
    assert!(Prepared::with_engine(&with_buckets, EngineChoice::FastPath).is_err());
}

#[test]
fn ledger_balances_on_the_fast_path() {
    for p in run(EngineChoice::FastPath, 0, 50) {
        let l = p.tally.ledger;
        assert_eq!(
            l.originated,
            l.repaid + l.prepaid + l.charged_off + l.outstanding,
            "path {}",
            p.index
        );
    }
}

/// The fast path's book view (`FastBook`: survivors' cash summed once per
/// run, only loans with an event stepped) gives bitwise the tally of
/// stepping every loan through `first_event`, on a book with fraud,
/// prepayment, revolving lines that draw, three amortisation types and
/// factor-driven LGDs, and on the bundled closed-form books.
#[test]
fn the_fast_book_is_bitwise_the_loan_by_loan_fast_path() {
    let constant = std::fs::read_to_string("scenarios/validation/constant_hazard.toml").unwrap();
    let vasicek = std::fs::read_to_string("scenarios/validation/vasicek.toml").unwrap();
    for text in [BOOK, constant.as_str(), vasicek.as_str()] {
        let scenario = parse_scenario(text).unwrap().with_overrides(None, Some(7));
        let with_book = Prepared::with_engine(&scenario, EngineChoice::FastPath).unwrap();
        assert!(with_book.fast_book.is_some(), "{}: a fast book is built", scenario.name);
        let mut loan_by_loan = with_book.clone();
        loan_by_loan.fast_book = None;
        let mut events = 0;
        for index in 0..40 {
            let (a, b) = (with_book.simulate_path(index), loan_by_loan.simulate_path(index));
            assert_eq!(a, b, "{}: path {index}", scenario.name);
            events += a.tally.defaults + a.tally.ledger.prepaid.signum() as u64;
        }
        assert!(events > 0, "{}: some loans had an event", scenario.name);
    }
}

/// A book with pools of identical loans (`--engine pooled`): revolving lines
/// of one fixed limit and utilisation in six score bands at a constant PD
/// (so identical within a band), which draw, repay and prepay, with fraud
/// (never pooled); beside them installment loans with a drawn LGD (never
/// pooled: each loan draws its own).
const POOLED_BOOK: &str = r#"
schema_version = 1
name = "pooled_vs_fast"
[run]
horizon_months = 12
[dynamics]
delinquency = false
pd_period_months = 12
[macro.noise]
phi = 0.8
sigma = 1.0
[[segments]]
name = "identical_lines"
loans = 2000
score = { mean = 650, std = 60 }
income = { median_monthly = 6000, sigma = 0.5 }
pd = { model = "constant", value = 0.08 }
rho = 0.12
lgd = { mean = 0.65, macro_sensitivity = 0.2 }
prepayment_monthly = 0.02
fraud_share = 0.01
[segments.products]
revolving_share = 1.0
installment_terms = []
utilisation = { mean = 0.6, std = 0.0 }
revolving_repay_rate = 0.05
revolving_draw_rate = 0.03
revolving_ccf = 0.5
[segments.limit]
min = 5000
cap = 5000
rounding = 100
[[segments]]
name = "installments"
loans = 500
score = { mean = 600, std = 60 }
income = { median_monthly = 4000, sigma = 0.5 }
pd = { model = "logistic", intercept = -2.5, slope_per_100 = -1.0 }
rho = 0.15
lgd = { mean = 0.6, std = 0.2 }
prepayment_monthly = 0.01
[segments.products]
installment_terms = [3, 12]
"#;

#[test]
fn pooled_and_fast_path_have_the_same_distribution() {
    let scenario = parse_scenario(POOLED_BOOK).unwrap().with_overrides(None, Some(7));
    let pooled = Prepared::with_engine(&scenario, EngineChoice::Pooled).unwrap();
    let (pooled_loans, pools) = pooled.pools().expect("the identical lines form pools");
    assert!((2..20).contains(&pools), "{pools} pools");
    // All the identical lines but the fraudulent ones (about 1%), none of the installments.
    assert!((1900..2000).contains(&pooled_loans), "{pooled_loans} loans pooled");
    assert_eq!(pooled.engine_description(), creditstress::engine::ENGINE_POOLED);
    let paths = 3000;
    let a = pooled.simulate_paths(0..paths, RunControl::default()).unwrap();
    let fast = Prepared::with_engine(&scenario, EngineChoice::FastPath).unwrap();
    let b = fast.simulate_paths(paths..2 * paths, RunControl::default()).unwrap();
    assert_same_distribution(&a, &b, &[0, 5, 11]);
    for p in &a {
        let l = p.tally.ledger;
        assert_eq!(
            l.originated,
            l.repaid + l.prepaid + l.charged_off + l.outstanding,
            "path {}",
            p.index
        );
    }
}

#[test]
fn the_pooled_test_can_tell_a_wrong_count_apart() {
    // The same guard as for the fast path: a PD of 0.09 instead of 0.08 on
    // the pooled lines must be told apart by the test above's statistics.
    let paths = 3000;
    let run_pooled = |text: &str, first: u64| {
        let scenario = parse_scenario(text).unwrap().with_overrides(None, Some(7));
        let prepared = Prepared::with_engine(&scenario, EngineChoice::Pooled).unwrap();
        prepared
            .simulate_paths(first..first + paths, RunControl::default())
            .unwrap()
    };
    let base = run_pooled(POOLED_BOOK, 0);
    let worse = run_pooled(&POOLED_BOOK.replace("value = 0.08", "value = 0.09"), paths);
    let x: Vec<f64> = base.iter().map(|p| p.tally.defaults as f64).collect();
    let y: Vec<f64> = worse.iter().map(|p| p.tally.defaults as f64).collect();
    let critical = 1.949 * ((2 * paths) as f64 / (paths * paths) as f64).sqrt();
    assert!(ks_statistic(&x, &y) > critical);
}

/// Without identical loans `--engine pooled` is the fast path, bitwise; with
/// them the pools' counts are the same on every run of a path.
#[test]
fn pooled_without_pools_is_the_fast_path_and_is_reproducible() {
    let scenario = parse_scenario(BOOK).unwrap().with_overrides(None, Some(7));
    let pooled = Prepared::with_engine(&scenario, EngineChoice::Pooled).unwrap();
    assert_eq!(pooled.pools(), None);
    assert_eq!(pooled.engine_description(), creditstress::engine::ENGINE_FAST);
    let fast = Prepared::with_engine(&scenario, EngineChoice::FastPath).unwrap();
    for index in 0..20 {
        assert_eq!(pooled.simulate_path(index), fast.simulate_path(index), "path {index}");
    }
    let scenario = parse_scenario(POOLED_BOOK).unwrap().with_overrides(None, Some(7));
    let pooled = Prepared::with_engine(&scenario, EngineChoice::Pooled).unwrap();
    let again = Prepared::with_engine(&scenario, EngineChoice::Pooled).unwrap();
    let all = pooled.simulate_paths(0..40, RunControl::default()).unwrap();
    for index in (0..40).rev() {
        assert_eq!(again.simulate_path(index), all[index as usize], "path {index}");
    }
    let with_buckets = parse_scenario(&POOLED_BOOK.replace("delinquency = false", "delinquency = true")).unwrap();
    assert!(Prepared::with_engine(&with_buckets, EngineChoice::Pooled).is_err());
}
