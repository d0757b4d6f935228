//! The reduction after the paths: risk measures (mean, std, VaR, ES and VaR
//! confidence intervals at three levels) of 10^5 and 10^6 path losses, and
//! the monthly percentile bands of [`Timeseries`] for 10^5 paths x 24 months.
//! Throughput is in paths.
//!
//! Run with `cargo bench --bench statistics`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand_distr::{Distribution, StandardNormal};

use creditstress::engine::{PathOutcome, Prepared};
use creditstress::loan::PathTally;
use creditstress::scenario::parse_scenario;
use creditstress::stats::{Timeseries, risk_measures};

/// The levels the bundled scenarios report.
const LEVELS: [f64; 3] = [0.95, 0.99, 0.999];

/// Two factors and 24 months, like the bundled scenarios; the book is small
/// because only its profile (loan count) enters the bands.
const SCENARIO: &str = r#"
schema_version = 1
name = "bench_statistics"

[run]
horizon_months = 24
seed = 11

[macro]
factors = ["national", "regional"]

[[segments]]
name = "only"
loans = 1000
score = { mean = 660, std = 70 }
income = { median_monthly = 6000, sigma = 0.5 }
pd = { model = "constant", value = 0.03 }
rho = 0.08
lgd = { mean = 0.7 }
"#;

/// `n` right-skewed synthetic path losses (log-normal, about 10^7 each).
fn synthetic_losses(n: usize) -> Vec<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    (0..n)
        .map(|_| {
            let z: f64 = StandardNormal.sample(&mut rng);
            1.0e7 * (0.6 * z).exp()
        })
        .collect()
}

/// `n` synthetic path outcomes with every monthly vector filled.
fn synthetic_paths(n: u64, horizon: usize, factors: usize, loans: u64) -> Vec<PathOutcome> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2);
    (0..n)
        .map(|index| {
            let mut tally = PathTally::new(1, 6, horizon);
            let mut z = || -> f64 { StandardNormal.sample(&mut rng) };
            for t in 0..horizon {
                let stress = (0.5 * z()).exp();
                tally.monthly_defaults[t] = (loans as f64 * 0.003 * stress) as u32;
                tally.monthly_delinquent[t] = (loans as f64 * 0.02 * stress) as u32;
                tally.monthly_loss[t] = 20_000.0 * stress;
            }
            tally.loss = tally.monthly_loss.iter().sum();
            tally.defaults = tally.monthly_defaults.iter().map(|&d| d as u64).sum();
            tally.loan_months = loans * horizon as u64;
            PathOutcome {
                index,
                exposure: 1.0e7,
                tally,
                factors: (0..factors).map(|_| (0..horizon).map(|_| z()).collect()).collect(),
                weight: 1.0,
                pnl: None,
            }
        })
        .collect()
}

fn statistics(c: &mut Criterion) {
    let mut group = c.benchmark_group("statistics/risk_measures");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(3));
    for n in [100_000usize, 1_000_000] {
        let losses = synthetic_losses(n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(
            BenchmarkId::from_parameter(format!("{n}_paths")),
            &losses,
            |b, losses| b.iter(|| risk_measures(black_box(losses), &LEVELS)),
        );
    }
    group.finish();

    let scenario = parse_scenario(SCENARIO).expect("the statistics bench scenario is valid");
    let prepared = Prepared::new(&scenario);
    let n = 100_000;
    let paths = synthetic_paths(
        n,
        scenario.horizon_months,
        scenario.macro_model.factor_names.len(),
        prepared.profile.loans,
    );
    let mut group = c.benchmark_group("statistics/timeseries_bands");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(4));
    group.throughput(Throughput::Elements(n));
    group.bench_function(format!("{n}_paths_x_{}_months", scenario.horizon_months), |b| {
        b.iter(|| Timeseries::new(&scenario, &prepared.profile, black_box(&paths)))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    // No plots: with this crate's plotters features (no system fonts) criterion's plot backend
    // cannot find a font and panics. The numbers and target/criterion/*.json are unaffected.
    config = Criterion::default().without_plots();
    targets = statistics
}
criterion_main!(benches);
