//! A whole run of `scenarios/downturn.toml` at a fixed size: drawing the
//! book, simulating every path in parallel, then the run summary and the
//! monthly bands (no files written). Throughput is in loan-months actually
//! stepped, the unit the run summary quotes.
//!
//! Run with `cargo bench --bench run`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use creditstress::engine::{self, RunControl};
use creditstress::scenario::{Scenario, parse_scenario};
use creditstress::stats::{RunSummary, Timeseries};

/// Paths per benchmarked run.
const PATHS: u64 = 200;

/// One complete run as the CLI does it, minus writing files.
fn whole_run(scenario: &Scenario) -> (RunSummary, Timeseries) {
    let (prepared, paths) = engine::run(scenario, RunControl::default()).expect("no cancel flag is set");
    let summary = RunSummary::new(scenario, &prepared.profile, &paths);
    let series = Timeseries::new(scenario, &prepared.profile, &paths);
    (summary, series)
}

fn run(c: &mut Criterion) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/downturn.toml");
    let text = std::fs::read_to_string(path).expect("scenarios/downturn.toml is readable");
    let scenario = parse_scenario(&text)
        .expect("scenarios/downturn.toml is valid")
        .with_overrides(Some(PATHS), None);
    let loan_months = whole_run(&scenario).0.loan_months;

    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut threads = vec![1];
    if cores > 1 {
        threads.push(cores);
    }

    let mut group = c.benchmark_group("run/downturn");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(4));
    group.throughput(Throughput::Elements(loan_months));
    for n in threads {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .expect("the bench can start its worker threads");
        group.bench_function(format!("{PATHS}_paths_{n}_threads"), |b| {
            b.iter(|| pool.install(|| black_box(whole_run(black_box(&scenario)))))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    // No plots: with this crate's plotters features (no system fonts) criterion's plot backend
    // cannot find a font and panics. The numbers and target/criterion/*.json are unaffected.
    config = Criterion::default().without_plots();
    targets = run
}
criterion_main!(benches);
