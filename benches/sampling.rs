//! Random numbers and distribution sampling as the hot loop uses them.
//! Every benchmark does a batch of [`BATCH`] operations per iteration and
//! reports throughput in operations (draws, compares, samples, evaluations).
//!
//! - `loan_stream_next_u64`: one raw uniform of a loan's stream (SplitMix64);
//! - `threshold_compare`: a current loan-month as the loop does it: one draw
//!   compared with the month's integer threshold, counting events;
//! - `item_rng_beta_lgd`: seeding a loan's LGD generator and one Beta draw, as
//!   at a charge-off;
//! - `xoshiro_standard_normal`: one `StandardNormal` (ziggurat) draw, as in
//!   the macro factor noise;
//! - `norm_cdf` / `norm_inv`: Phi and Phi^-1 (statrs erfc / erfc_inv), as in
//!   the per-path tables.
//!
//! Run with `cargo bench --bench sampling`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand_distr::{Beta, Distribution, StandardNormal};

use creditstress::engine::streams::{LoanStream, Purpose, item_rng, stream_key, threshold};
use creditstress::stats::normal::{norm_cdf, norm_inv};

/// Operations per benchmark iteration.
const BATCH: u64 = 4096;

fn sampling(c: &mut Criterion) {
    let key = stream_key(20250101, 0, Purpose::LoanEvents);
    let mut group = c.benchmark_group("sampling");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Elements(BATCH));

    group.bench_function("loan_stream_next_u64", |b| {
        let mut stream = LoanStream::new(key, 1);
        b.iter(|| {
            let mut acc = 0u64;
            for _ in 0..BATCH {
                acc ^= stream.next_u64();
            }
            black_box(acc)
        })
    });

    // 24 monthly thresholds of a missed payment or prepayment around 1-3% a month.
    let thresholds: Vec<u64> = (0..24).map(|t| threshold(0.01 + 0.001 * t as f64)).collect();
    group.bench_function("threshold_compare", |b| {
        let mut stream = LoanStream::new(key, 2);
        b.iter(|| {
            let thresholds = black_box(&thresholds);
            let mut events = 0u32;
            for i in 0..BATCH as usize {
                events += (stream.next_u64() < thresholds[i % 24]) as u32;
            }
            black_box(events)
        })
    });

    // LGD mean 0.7, std 0.15: concentration m (1 - m) / s^2 - 1.
    let (mean, std) = (0.7, 0.15);
    let concentration = mean * (1.0 - mean) / (std * std) - 1.0;
    let beta = Beta::new(mean * concentration, (1.0 - mean) * concentration).expect("valid Beta parameters");
    let lgd_key = stream_key(20250101, 0, Purpose::Lgd);
    group.bench_function("item_rng_beta_lgd", |b| {
        let mut loan = 0u64;
        b.iter(|| {
            let mut acc = 0.0;
            for _ in 0..BATCH {
                loan += 1;
                let lgd: f64 = beta.sample(&mut item_rng(lgd_key, black_box(loan)));
                acc += lgd;
            }
            black_box(acc)
        })
    });

    group.bench_function("xoshiro_standard_normal", |b| {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        b.iter(|| {
            let mut acc = 0.0;
            for _ in 0..BATCH {
                let z: f64 = StandardNormal.sample(&mut rng);
                acc += z;
            }
            black_box(acc)
        })
    });

    let xs: Vec<f64> = (0..BATCH)
        .map(|i| -4.0 + 8.0 * (i as f64 + 0.5) / BATCH as f64)
        .collect();
    group.bench_function("norm_cdf", |b| {
        b.iter(|| black_box(&xs).iter().map(|&x| norm_cdf(x)).sum::<f64>())
    });

    let ps: Vec<f64> = (0..BATCH).map(|i| (i as f64 + 0.5) / BATCH as f64).collect();
    group.bench_function("norm_inv", |b| {
        b.iter(|| black_box(&ps).iter().map(|&p| norm_inv(p)).sum::<f64>())
    });
    group.finish();
}

criterion_group! {
    name = benches;
    // No plots: with this crate's plotters features (no system fonts) criterion's plot backend
    // cannot find a font and panics. The numbers and target/criterion/*.json are unaffected.
    config = Criterion::default().without_plots();
    targets = sampling
}
criterion_main!(benches);
