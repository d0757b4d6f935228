//! Inner loan-month stepping throughput, in loan-months per second.
//!
//! Each benchmark simulates a handful of whole paths with
//! `Prepared::simulate_path` (factor path, per-path tables, then every loan
//! through the horizon) and reports the loan-months actually stepped (the sum
//! of `tally.loan_months`: a loan stops at maturity, prepayment or
//! charge-off) as criterion's throughput elements. This is the unit the run
//! summary quotes as "M loan-months/s".
//!
//! Run with `cargo bench --bench stepping`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use creditstress::engine::{EngineChoice, Prepared};
use creditstress::scenario::{Scenario, parse_scenario};

/// Path indices simulated per benchmark iteration.
const PATHS: std::ops::Range<u64> = 0..4;

/// One segment of 4,000 loans, delinquency buckets on; `products` is the
/// body of its `[segments.products]` table.
fn book(name: &str, products: &str) -> String {
    format!(
        r#"
schema_version = 1
name = "{name}"

[run]
horizon_months = 24
seed = 7

[macro.noise]
phi = 0.8
sigma = 1.0

[dynamics]
delinquency = true

[[segments]]
name = "book"
loans = 4000
score = {{ mean = 660, std = 70 }}
income = {{ median_monthly = 6000, sigma = 0.5 }}
pd = {{ model = "logistic", intercept = -2.8, slope_per_100 = -1.1, pivot = 600 }}
rho = 0.08
lgd = {{ mean = 0.7, std = 0.15, macro_sensitivity = 0.15 }}
prepayment_monthly = 0.01

[segments.products]
{products}
"#
    )
}

/// Installment loans with 12-36 month terms, so most loans live through the 24-month horizon.
const INSTALLMENT_PRODUCTS: &str = r#"revolving_share = 0.0
installment_terms = [12, 24, 36]
amortisation = "equal_installment""#;

/// Revolving lines only.
const REVOLVING_PRODUCTS: &str = r#"revolving_share = 1.0
utilisation = { mean = 0.4, std = 0.2 }
revolving_repay_rate = 0.3
revolving_draw_rate = 0.1
revolving_ccf = 0.5"#;

/// Loan-months actually stepped on the benchmarked paths.
fn stepped_loan_months(prepared: &Prepared) -> u64 {
    PATHS.map(|i| prepared.simulate_path(i).tally.loan_months).sum()
}

fn bench_book(c: &mut Criterion, group_name: &str, scenario: &Scenario) {
    bench_prepared(c, group_name, scenario, Prepared::new(scenario));
}

fn bench_prepared(c: &mut Criterion, group_name: &str, scenario: &Scenario, prepared: Prepared) {
    let loan_months = stepped_loan_months(&prepared);
    let mut group = c.benchmark_group(group_name);
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Elements(loan_months));
    let id = format!(
        "{}_loans_x_{}_months_x_{}_paths",
        prepared.profile.loans,
        scenario.horizon_months,
        PATHS.end - PATHS.start
    );
    group.bench_function(id, |b| {
        b.iter(|| {
            for i in PATHS {
                black_box(prepared.simulate_path(black_box(i)));
            }
        })
    });
    group.finish();
}

fn stepping(c: &mut Criterion) {
    let installment = parse_scenario(&book("bench_installment", INSTALLMENT_PRODUCTS))
        .expect("the installment bench scenario is valid");
    bench_book(c, "stepping/installment", &installment);

    let revolving =
        parse_scenario(&book("bench_revolving", REVOLVING_PRODUCTS)).expect("the revolving bench scenario is valid");
    bench_book(c, "stepping/revolving", &revolving);

    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/downturn.toml");
    let text = std::fs::read_to_string(path).expect("scenarios/downturn.toml is readable");
    let downturn = parse_scenario(&text).expect("scenarios/downturn.toml is valid");
    bench_book(c, "stepping/downturn", &downturn);
    // The same book with every loan stepped on every path (`--engine
    // stepping`): `auto` above sums the loans that stay current all their
    // life once per run, bitwise the same results.
    let every_loan = Prepared::with_engine(&downturn, EngineChoice::Stepping).expect("stepping always applies");
    bench_prepared(c, "stepping/downturn_every_loan", &downturn, every_loan);

    // The plain default model (no delinquency buckets) on both engines: the
    // fast path draws one uniform per loan instead of one per loan-month.
    // Throughput counts the same loan-months (those a loan is alive) for both.
    let plain =
        parse_scenario(&book("bench_plain", INSTALLMENT_PRODUCTS).replace("delinquency = true", "delinquency = false"))
            .expect("the plain-default bench scenario is valid");
    for (name, choice) in [
        ("stepping", EngineChoice::Stepping),
        ("fast_path", EngineChoice::FastPath),
    ] {
        let prepared = Prepared::with_engine(&plain, choice).expect("the plain default model allows both engines");
        bench_prepared(c, &format!("plain_default/{name}"), &plain, prepared);
    }
}

criterion_group! {
    name = benches;
    // No plots: with this crate's plotters features (no system fonts) criterion's plot backend
    // cannot find a font and panics. The numbers and target/criterion/*.json are unaffected.
    config = Criterion::default().without_plots();
    targets = stepping
}
criterion_main!(benches);
