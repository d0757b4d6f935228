//! The scorecard PD means what `[calibration]` says, with every channel of
//! the dynamics on: the engine's realised, factor-averaged probability of the
//! bad event within the PD period matches the target inside its Monte Carlo
//! interval, and the implied per-period correlation that `validate` prints
//! matches the engine's simulated default rates.
//!
//! Each book is homogeneous (one segment, constant PD, fully drawn revolving
//! lines that neither repay nor draw, no prepayment, no fraud), so the only
//! way a loan leaves is the bad event, and a path's default fraction estimates
//! `P(bad within T | factor path)` with binomial noise on top.

use creditstress::calibration::{LoanChain, implied_period_correlation, vasicek_correlation_from_second_moment};
use creditstress::engine::{EngineChoice, Prepared, RunControl};
use creditstress::scenario::{Scenario, parse_scenario_file};

/// Half-width of the acceptance interval in standard errors (two-sided 99.9%).
const SIGMAS: f64 = 3.29;

struct Book {
    loans: u64,
    pd: f64,
    rho: f64,
    phi: f64,
    sensitivity: f64,
    /// `charge_off` or `dpd90`.
    bad_event: &'static str,
    horizon_months: u32,
    /// Roll rates; with 90+ DPD as the bad event the last roll is 1 and its
    /// cure 0, so reaching 90+ in month t is a charge-off in month t + 1.
    roll_rates: [f64; 3],
    cure_rates: [f64; 3],
    seed: u64,
    /// `[calibration] factor_law`.
    factor_law: &'static str,
    /// Extra TOML for `[macro]` (e.g. a regime chain).
    macro_extra: String,
}

impl Book {
    fn new(rho: f64, sensitivity: f64, bad_event: &'static str, seed: u64) -> Self {
        let dpd90 = bad_event == "dpd90";
        Book {
            loans: 1_000,
            pd: 0.05,
            rho,
            phi: 0.8,
            sensitivity,
            bad_event,
            horizon_months: 120,
            roll_rates: [0.45, 0.70, if dpd90 { 1.0 } else { 0.90 }],
            cure_rates: [0.40, 0.15, if dpd90 { 0.0 } else { 0.05 }],
            seed,
            factor_law: "noise",
            macro_extra: String::new(),
        }
    }

    fn scenario(&self) -> Scenario {
        Scenario::from_file(parse_scenario_file(&book_text(self)).expect("parses")).expect("valid")
    }
}

/// The scenario file of a book.
fn book_text(book: &Book) -> String {
    let b = book;
    {
        format!(
            r#"
schema_version = 1
name = "calibration"
[run]
horizon_months = {h}
seed = {seed}
[macro.noise]
phi = {phi:?}
sigma = 1.0
{macro_extra}
[dynamics]
pd_period_months = 12
delinquency = true
roll_rates = {roll:?}
cure_rates = {cure:?}
roll_sensitivity = {s:?}
cure_sensitivity = {s:?}
[calibration]
bad_event = "{event}"
factor_law = "{law}"
[[segments]]
name = "book"
loans = {loans}
score = {{ mean = 650, std = 50 }}
income = {{ median_monthly = 5000, sigma = 0.5 }}
pd = {{ model = "constant", value = {pd:?} }}
rho = {rho:?}
lgd = {{ mean = 0.5 }}
fraud_share = 0.0
prepayment_monthly = 0.0
[segments.products]
revolving_share = 1.0
installment_terms = []
utilisation = {{ mean = 1.0, std = 0.0 }}
revolving_repay_rate = 0.0
revolving_draw_rate = 0.0
revolving_ccf = 0.0
[segments.limit]
income_multiple = 1.0
min = 1000
cap = 1000
rounding = 100
"#,
            h = b.horizon_months,
            seed = b.seed,
            phi = b.phi,
            roll = b.roll_rates,
            cure = b.cure_rates,
            s = b.sensitivity,
            event = b.bad_event,
            loans = b.loans,
            pd = b.pd,
            rho = b.rho,
            law = b.factor_law,
            macro_extra = b.macro_extra,
        )
    }
}

/// Per path, the number of loans charged off by the end of each month.
fn cumulative_defaults(scenario: &Scenario, paths: u64) -> Vec<Vec<u64>> {
    let prepared = Prepared::with_engine(scenario, EngineChoice::Stepping).expect("stepping runs anything");
    prepared
        .simulate_paths(0..paths, RunControl::default())
        .expect("not cancelled")
        .into_iter()
        .map(|o| {
            let mut total = 0;
            o.tally
                .monthly_defaults
                .iter()
                .map(|&d| {
                    total += d as u64;
                    total
                })
                .collect()
        })
        .collect()
}

fn mean_and_stderr(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

/// Over `paths` paths, the mean and standard error of `D (D - 1) / (n (n - 1))`
/// with D the loans charged off within 12 months: an unbiased estimate of
/// `P(two loans both have the bad event) = E[PD(path)^2]`.
fn simulated_second_moment(scenario: &Scenario, loans: u64, paths: u64) -> (f64, f64) {
    let n = loans as f64;
    let pairs: Vec<f64> = cumulative_defaults(scenario, paths)
        .iter()
        .map(|p| {
            let d = p[11] as f64;
            d * (d - 1.0) / (n * (n - 1.0))
        })
        .collect();
    mean_and_stderr(&pairs)
}

/// The realised fraction with the bad event by month `month` (1-based) against `expected`.
fn check(label: &str, per_path: &[Vec<u64>], loans: u64, month: usize, expected: f64) {
    let fractions: Vec<f64> = per_path.iter().map(|p| p[month - 1] as f64 / loans as f64).collect();
    let (mean, stderr) = mean_and_stderr(&fractions);
    eprintln!("{label} month {month}: realised {mean:.5} +- {stderr:.5}, expected {expected:.5}");
    assert!(
        (mean - expected).abs() <= SIGMAS * stderr,
        "{label} month {month}: realised {mean} (stderr {stderr}) vs {expected}"
    );
}

#[test]
fn the_realised_pd_is_the_target_for_every_correlation_and_sensitivity() {
    let paths = 1_500;
    let mut seed = 7_000;
    for bad_event in ["charge_off", "dpd90"] {
        for rho in [0.04, 0.12] {
            for sensitivity in [0.0, 0.1, 0.3] {
                seed += 1;
                let book = Book::new(rho, sensitivity, bad_event, seed);
                let scenario = book.scenario();
                let per_path = cumulative_defaults(&scenario, paths);
                let label = format!("{bad_event} rho {rho} s {sensitivity}");
                // With 90+ DPD the charge-off follows one month after the event.
                let lag = usize::from(bad_event == "dpd90");
                check(&label, &per_path, book.loans, 12 + lag, book.pd);
                // The long run follows the same chain: months 60 and 120.
                let chain = LoanChain::new(
                    &scenario,
                    &scenario.segments[0],
                    book.rho,
                    &scenario.segments[0].transitions.revolving,
                );
                let prepared = Prepared::new(&scenario);
                let curve = chain.bad_curve(prepared.grades.entry_probit[0], 120);
                for month in [60, 120 - lag] {
                    check(&label, &per_path, book.loans, month + lag, curve[month - 1]);
                }
            }
        }
    }
}

#[test]
fn the_implied_annual_correlation_matches_simulated_default_rates() {
    // A large book over one PD period: E[D (D - 1)] / (n (n - 1)) is an
    // unbiased estimate of P(two loans both default) = E[PD(path)^2], which
    // the chain computes exactly and validate turns into a correlation.
    for (rho, phi) in [(0.04, 0.8), (0.12, 0.0), (0.12, 0.8)] {
        let mut book = Book::new(
            rho,
            0.1,
            "charge_off",
            9_100 + (rho * 100.0) as u64 + (phi * 10.0) as u64,
        );
        book.loans = 4_000;
        book.horizon_months = 12;
        book.phi = phi;
        let scenario = book.scenario();
        let (second, stderr) = simulated_second_moment(&scenario, book.loans, 3_000);
        let prepared = Prepared::new(&scenario);
        let a = prepared.grades.entry_probit[0];
        let chain = LoanChain::new(
            &scenario,
            &scenario.segments[0],
            book.rho,
            &scenario.segments[0].transitions.revolving,
        );
        let exact = chain.both_bad_within(a, 12);
        let implied = vasicek_correlation_from_second_moment(book.pd, exact);
        let lo = vasicek_correlation_from_second_moment(book.pd, second - SIGMAS * stderr);
        let hi = vasicek_correlation_from_second_moment(book.pd, second + SIGMAS * stderr);
        eprintln!("rho {rho} phi {phi}: implied annual correlation {implied:.4}, simulated [{lo:.4}, {hi:.4}]");
        assert!(
            (second - exact).abs() <= SIGMAS * stderr,
            "rho {rho} phi {phi}: E[PD^2] simulated {second} +- {stderr}, chain {exact}"
        );
        assert!(lo <= implied && implied <= hi);
    }
}

#[test]
fn a_stationary_regime_start_gives_the_stationary_pd() {
    // Calibrated over the noise and the regime chain in its stationary law
    // (a quarter of the time in recession), a book whose chain starts in the
    // stationary distribution realises the PD; one that always starts in
    // expansion realises clearly less, which shows the test can fail.
    let regimes = |initial: &str| {
        format!(
            r#"
[macro.regimes]
initial = {initial}
states = [{{ name = "expansion", mean = 0.0 }}, {{ name = "recession", mean = -1.0 }}]
transition = [[0.96, 0.04], [0.12, 0.88]]
"#
        )
    };
    let mut realised = Vec::new();
    for (initial, seed) in [("\"stationary\"", 501), ("\"expansion\"", 502)] {
        let mut book = Book::new(0.12, 0.1, "charge_off", seed);
        book.horizon_months = 12;
        book.factor_law = "noise_and_regimes";
        book.macro_extra = regimes(initial);
        let scenario = book.scenario();
        let per_path = cumulative_defaults(&scenario, 4_000);
        let fractions: Vec<f64> = per_path.iter().map(|p| p[11] as f64 / book.loans as f64).collect();
        realised.push(mean_and_stderr(&fractions));
        if initial.contains("stationary") {
            check("stationary start", &per_path, book.loans, 12, book.pd);
        }
    }
    let ((stationary, se_s), (expansion, se_e)) = (realised[0], realised[1]);
    eprintln!("expansion start: {expansion:.5} +- {se_e:.5}");
    assert!(
        stationary - expansion > SIGMAS * (se_s * se_s + se_e * se_e).sqrt(),
        "a fixed expansion start should realise less than the stationary PD: {expansion} vs {stationary}"
    );
}

#[test]
fn a_stated_annual_correlation_is_met_by_the_solved_monthly_rho() {
    // rho_annual = 0.12 instead of a monthly rho: the solved monthly rho
    // implies 0.12 per year exactly (on the chain), and the engine's simulated
    // annual default rates agree within their interval.
    let mut book = Book::new(0.0, 0.1, "charge_off", 9_500);
    book.loans = 4_000;
    book.horizon_months = 12;
    let text = book_text(&book).replace("rho = 0.0\n", "rho_annual = 0.12\n");
    let scenario = Scenario::from_file(parse_scenario_file(&text).expect("parses")).expect("valid");
    let prepared = Prepared::new(&scenario);
    let rho = prepared.grades.segment_rho[0];
    assert!(
        rho > 0.0 && rho < 0.12,
        "a persistent monthly factor needs a smaller monthly rho: {rho}"
    );
    let exact = implied_period_correlation(&scenario, &scenario.segments[0], rho, book.pd);
    assert!((exact - 0.12).abs() < 1e-6, "implied {exact}");
    let (second, stderr) = simulated_second_moment(&scenario, book.loans, 3_000);
    let lo = vasicek_correlation_from_second_moment(book.pd, second - SIGMAS * stderr);
    let hi = vasicek_correlation_from_second_moment(book.pd, second + SIGMAS * stderr);
    eprintln!("rho_annual 0.12: monthly rho {rho:.4}, simulated annual correlation [{lo:.4}, {hi:.4}]");
    assert!(lo <= 0.12 && 0.12 <= hi);
}

#[test]
fn each_product_with_its_own_dynamics_realises_the_pd() {
    // Installment loans that cure less than revolving lines need a lower
    // missed-payment rate for the same PD: the grades split by product and
    // each product's realised PD is the target.
    let text = |products: &str| {
        format!(
            r#"
schema_version = 1
name = "products"
[run]
horizon_months = 12
seed = 77
[macro.noise]
phi = 0.8
[dynamics]
roll_sensitivity = 0.1
cure_sensitivity = 0.1
[[segments]]
name = "book"
loans = 1000
score = {{ mean = 650, std = 50 }}
income = {{ median_monthly = 5000, sigma = 0.5 }}
pd = {{ model = "constant", value = 0.05 }}
rho = 0.08
lgd = {{ mean = 0.5 }}
[segments.dynamics.installment]
cure_rates = [0.15, 0.08, 0.02]
roll_sensitivity = 0.3
[segments.products]
{products}
utilisation = {{ mean = 1.0, std = 0.0 }}
revolving_repay_rate = 0.0
revolving_draw_rate = 0.0
revolving_ccf = 0.0
"#
        )
    };
    let lines = text("revolving_share = 1.0\ninstallment_terms = []");
    let loans = text("revolving_share = 0.0\ninstallment_terms = [12]\namortisation = \"bullet\"");
    let mut probits = Vec::new();
    for (label, t) in [("revolving", lines), ("installment", loans)] {
        let scenario = Scenario::from_file(parse_scenario_file(&t).expect("parses")).expect("valid");
        let prepared = Prepared::new(&scenario);
        assert!(prepared.grades.segment_split[0], "the products move differently");
        let revolving = label == "revolving";
        let g = prepared.grades.grade_of(0, 650.0, 0, revolving) as usize;
        probits.push(prepared.grades.entry_probit[g]);
        let per_path = cumulative_defaults(&scenario, 2_000);
        check(label, &per_path, 1_000, 12, 0.05);
    }
    assert!(
        probits[1] < probits[0],
        "installments cure less, so they miss less for the same PD: {probits:?}"
    );
}
