//! Statistical validation of the engine against closed forms.
//!
//! Each statistical claim is tested statistically: the tolerance comes from a
//! confidence interval computed from the sample (4 standard errors for means,
//! a distribution-free order-statistic interval at 99.9% for quantiles, a
//! chi-square critical value at 0.999), never from a bare epsilon. Seeds are
//! fixed, so every test is deterministic; with the levels used the chance
//! that a correct engine fails any one check is below 0.1%.
//!
//! The reference values come from exact computations, not from the engine:
//!
//! - **One-period homogeneous book.** With a single standard normal factor,
//!   identical exposures, a fixed LGD and no delinquency buckets, the number of
//!   defaults `D` of `n` loans is a mixture over `Z ~ N(0, 1)` of
//!   `Binomial(n, p(Z))`, `p(Z) = Phi((Phi^-1(PD) - sqrt(rho) Z) / sqrt(1 - rho))`.
//!   Its law is computed two independent ways: (A) Simpson quadrature over `Z`
//!   of the binomial pmf (log space, `ln_gamma`); (B) the identity
//!   `P(D <= k) = E[G(B)]`, `B ~ Beta(k + 1, n - k)`, `G` the Vasicek CDF of
//!   `p(Z)` (because `P(Bin(n, p) <= k) = P(B > p)`), by Simpson quadrature
//!   over `B`. (B) is cheap for any `n`, which is what lets the test follow the
//!   exact quantile up to `n = 10^6`.
//! - **Large `n`.** The quantile of `D / n` tends to the Vasicek value
//!   `vasicek_loss_quantile(PD, rho, 1, q)`, with the first-order granularity
//!   adjustment (Gordy 2003; Martin and Wilde 2002)
//!   `GA = -(1 / (2 f(l))) d/dl [f(l) l (1 - l)] / n` at `l = L_q`,
//!   `f` the Vasicek density.
//! - **Multi-period.** A constant monthly hazard `h` gives the geometric
//!   default month: `P(default in month t) = h (1 - h)^(t - 1)` and
//!   cumulative default probability `1 - (1 - h)^T`.
//!
//! Every simulation check runs on both engines that can simulate these books
//! (loan-level monthly stepping and the fast path), with separate seeds.

use std::path::PathBuf;
use std::sync::OnceLock;

use creditstress::engine::{EngineChoice, PathOutcome, Prepared, RunControl};
use creditstress::population::ProductKind;
use creditstress::scenario::{Scenario, parse_scenario};
use creditstress::stats::normal::{norm_cdf, norm_inv, norm_pdf, vasicek_conditional, vasicek_loss_quantile};
use creditstress::stats::risk::{moments, quantile};
use statrs::distribution::{ChiSquared, ContinuousCDF};
use statrs::function::gamma::ln_gamma;

/// Exposure of every loan in the homogeneous book (currency units).
const EAD: f64 = 10_000.0;
/// Fixed LGD of the homogeneous book.
const LGD: f64 = 0.45;
/// Number of standard errors allowed between a sample mean and its exact value
/// (two-sided normal tail probability 6.3e-5).
const MEAN_SIGMAS: f64 = 4.0;
/// Confidence of the order-statistic intervals for quantiles.
const QUANTILE_CONFIDENCE: f64 = 0.999;
/// Simpson intervals of the quadratures. Doubling them moves the computed
/// CDFs by less than 1e-14; the two independent methods agree to about 1e-11
/// (checked in `exact_mixture_quadratures_agree`).
const QUADRATURE_INTERVALS: usize = 4_000;

// ---------------------------------------------------------------------------
// Scenarios

/// A one-segment book of identical, fully drawn revolving lines of `EAD` with a
/// constant PD per month, fixed LGD, no delinquency buckets, fraud or
/// prepayment, and a single factor with unit (or zero) variance.
#[derive(Debug, Clone, Copy)]
struct Homogeneous {
    loans: u64,
    pd: f64,
    rho: f64,
    horizon_months: u32,
    /// Factor noise scale: 1 = standard normal factor, 0 = no systematic risk.
    sigma: f64,
    seed: u64,
}

impl Homogeneous {
    fn one_period(loans: u64, pd: f64, rho: f64, seed: u64) -> Self {
        Self {
            loans,
            pd,
            rho,
            horizon_months: 1,
            sigma: 1.0,
            seed,
        }
    }

    fn toml(&self) -> String {
        let Self {
            loans,
            pd,
            rho,
            horizon_months,
            sigma,
            seed,
        } = *self;
        format!(
            r#"
schema_version = 1
name = "homogeneous"

[run]
horizon_months = {horizon_months}
paths = 1
seed = {seed}

[macro]
factors = ["national"]

[macro.noise]
phi = 0.0
sigma = {sigma:?}

[dynamics]
pd_period_months = 1
delinquency = false

[[segments]]
name = "homogeneous"
loans = {loans}
score = {{ mean = 650, std = 50 }}
income = {{ median_monthly = 5000, sigma = 0.5 }}
pd = {{ model = "constant", value = {pd:?} }}
rho = {rho:?}
lgd = {{ mean = {LGD:?} }}
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
min = {EAD:?}
cap = {EAD:?}
rounding = 100.0
"#
        )
    }

    fn scenario(&self) -> Scenario {
        parse_scenario(&self.toml()).unwrap_or_else(|e| panic!("homogeneous scenario {self:?}: {e}"))
    }
}

/// Both engines that can run these books, each checked on its own: loan-level
/// monthly stepping and the fast path (one uniform per loan inverting its
/// first-event curve; used automatically without delinquency buckets).
const ENGINES: [EngineChoice; 2] = [EngineChoice::Stepping, EngineChoice::FastPath];

/// Simulates paths `0..paths` with `engine` and hands each outcome to `visit`, in path
/// order and in chunks so that long runs do not hold every outcome in memory.
/// Checks first that the book really is the homogeneous one the closed forms
/// assume, so that a failure below points at the model and not at the set-up.
fn simulate_homogeneous(h: &Homogeneous, engine: EngineChoice, paths: u64, mut visit: impl FnMut(PathOutcome)) {
    const CHUNK: u64 = 10_000;
    let scenario = h.scenario();
    let prepared = Prepared::with_engine(&scenario, engine).expect("both engines can run this book");
    assert_eq!(prepared.fast_path, engine == EngineChoice::FastPath, "{engine:?}");
    let book = prepared.book.as_ref().expect("the book is drawn once per run");
    assert_eq!(book.loans.len() as u64, h.loans);
    let ead_cents = (EAD * 100.0) as i64;
    for loan in &book.loans {
        assert_eq!(loan.kind, ProductKind::Revolving);
        assert!(!loan.fraud);
        assert_eq!(
            (loan.balance, loan.limit),
            (ead_cents, ead_cents),
            "every line fully drawn at EAD"
        );
    }
    // With pd_period_months = 1, no buckets and a unit-variance factor the
    // calibrated probit is Phi^-1(PD) (computing 1 - (1 - PD) loses at most
    // half an ulp of 1): the factor-averaged monthly PD is the PD itself.
    let probit = prepared.grades.entry_probit[0];
    assert_eq!(probit, norm_inv(1.0 - (1.0 - h.pd)), "PD {}", h.pd);
    for start in (0..paths).step_by(CHUNK as usize) {
        let chunk = prepared
            .simulate_paths(start..paths.min(start + CHUNK), RunControl::default())
            .expect("not cancelled");
        chunk.into_iter().for_each(&mut visit);
    }
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

// ---------------------------------------------------------------------------
// Exact distributions

/// Composite Simpson nodes and weights on `[lo, hi]` with `m` (even) intervals.
fn simpson(lo: f64, hi: f64, m: usize) -> impl Iterator<Item = (f64, f64)> {
    assert!(m & 1 == 0 && hi > lo, "Simpson needs an even number of intervals");
    let h = (hi - lo) / m as f64;
    (0..=m).map(move |i| {
        let w = if i == 0 || i == m {
            1.0
        } else if i % 2 == 1 {
            4.0
        } else {
            2.0
        };
        (lo + i as f64 * h, w * h / 3.0)
    })
}

/// `ln C(n, k)`.
fn ln_choose(n: u64, k: u64) -> f64 {
    ln_gamma(n as f64 + 1.0) - ln_gamma(k as f64 + 1.0) - ln_gamma((n - k) as f64 + 1.0)
}

/// Binomial(n, p) pmf over `0..=n`, computed in log space.
fn binomial_pmf(n: u64, p: f64) -> Vec<f64> {
    let (lp, lq) = (p.ln(), (-p).ln_1p());
    (0..=n)
        .map(|k| (ln_choose(n, k) + k as f64 * lp + (n - k) as f64 * lq).exp())
        .collect()
}

/// Method (A): pmf of the mixture of `Binomial(n, p(Z))` over `Z ~ N(0, 1)`,
/// by Simpson quadrature over `Z` in `[-9, 9]` (the mass outside is 2e-19),
/// normalised by the quadrature's total weight.
fn mixture_pmf(n: u64, pd: f64, rho: f64) -> Vec<f64> {
    let ln_fact: Vec<f64> = (0..=n).map(|k| ln_gamma(k as f64 + 1.0)).collect();
    let nf = n as f64;
    let mut pmf = vec![0.0; n as usize + 1];
    let mut total = 0.0;
    for (z, w) in simpson(-9.0, 9.0, QUADRATURE_INTERVALS) {
        let w = w * norm_pdf(z);
        total += w;
        let p = vasicek_conditional(pd, rho, z);
        if p <= 0.0 {
            pmf[0] += w;
            continue;
        }
        // Beyond 40 standard deviations (plus a margin for tiny n p) the
        // binomial terms underflow anyway.
        let sd = (nf * p * (1.0 - p)).sqrt();
        let lo = (nf * p - 40.0 * sd - 50.0).max(0.0) as usize;
        let hi = (nf * p + 40.0 * sd + 50.0).min(nf) as usize;
        let (lp, lq) = (p.ln(), (-p).ln_1p());
        for k in lo..=hi {
            let kf = k as f64;
            let ln_term = ln_fact[n as usize] - ln_fact[k] - ln_fact[n as usize - k] + kf * lp + (nf - kf) * lq;
            pmf[k] += w * ln_term.exp();
        }
    }
    pmf.iter_mut().for_each(|x| *x /= total);
    pmf
}

fn cumulative(pmf: &[f64]) -> Vec<f64> {
    pmf.iter()
        .scan(0.0, |s, p| {
            *s += p;
            Some(*s)
        })
        .collect()
}

/// Smallest `k` with `cdf[k] >= q`.
fn quantile_of_cdf(cdf: &[f64], q: f64) -> u64 {
    cdf.iter().position(|&c| c >= q).expect("the cdf reaches q") as u64
}

/// `(a - 1) ln x + (b - 1) ln(1 - x)`, the log of the Beta(a, b) kernel
/// (with `0 ln 0 = 0` so that `a = 1` or `b = 1` is finite at the edge).
fn ln_beta_kernel(x: f64, a: f64, b: f64) -> f64 {
    let s = if a == 1.0 { 0.0 } else { (a - 1.0) * x.ln() };
    let t = if b == 1.0 { 0.0 } else { (b - 1.0) * (-x).ln_1p() };
    s + t
}

/// The Vasicek CDF of the conditional PD: `P(p(Z) <= x) = Phi((sqrt(1 - rho) Phi^-1(x) - Phi^-1(PD)) / sqrt(rho))`.
fn vasicek_cdf(x: f64, pd: f64, rho: f64) -> f64 {
    norm_cdf(((1.0 - rho).sqrt() * norm_inv(x) - norm_inv(pd)) / rho.sqrt())
}

/// The Vasicek density of the conditional PD.
fn vasicek_pdf(x: f64, pd: f64, rho: f64) -> f64 {
    let y = norm_inv(x);
    ((1.0 - rho) / rho).sqrt() * norm_pdf(((1.0 - rho).sqrt() * y - norm_inv(pd)) / rho.sqrt()) / norm_pdf(y)
}

/// Method (B): `P(D <= k) = E[G(B)]` with `B ~ Beta(k + 1, n - k)` and `G` the
/// Vasicek CDF, by Simpson quadrature over `B` within 40 standard deviations
/// of its mean, normalised numerically (so no Beta function is needed).
fn mixture_cdf(n: u64, k: u64, pd: f64, rho: f64) -> f64 {
    if k >= n {
        return 1.0;
    }
    let (a, b) = (k as f64 + 1.0, (n - k) as f64);
    let mean = a / (a + b);
    let sd = (a * b / ((a + b) * (a + b) * (a + b + 1.0))).sqrt();
    let lo = (mean - 40.0 * sd).max(0.0);
    let hi = (mean + 40.0 * sd).min(1.0);
    let mode = if a > 1.0 && b > 1.0 {
        (a - 1.0) / (a + b - 2.0)
    } else if a == 1.0 {
        0.0
    } else {
        1.0
    };
    let peak = ln_beta_kernel(mode, a, b);
    let (mut num, mut den) = (0.0, 0.0);
    for (x, w) in simpson(lo, hi, QUADRATURE_INTERVALS) {
        let f = w * (ln_beta_kernel(x, a, b) - peak).exp();
        if f > 0.0 {
            den += f;
            num += f * vasicek_cdf(x, pd, rho);
        }
    }
    num / den
}

/// Exact `q`-quantile of `D` (smallest `k` with `P(D <= k) >= q`) by method
/// (B): bracket from the Vasicek guess, then bisect.
fn mixture_quantile(n: u64, pd: f64, rho: f64, q: f64) -> u64 {
    let f = |k: u64| mixture_cdf(n, k, pd, rho);
    let guess = ((n as f64 * vasicek_loss_quantile(pd, rho, 1.0, q)) as u64).min(n);
    let mut step = 1;
    // Invariant after bracketing: f(lo) < q <= f(hi) (lo = None: below 0).
    let (mut lo, mut hi): (Option<u64>, u64);
    if f(guess) >= q {
        hi = guess;
        loop {
            if hi == 0 {
                return 0;
            }
            let c = hi.saturating_sub(step);
            if f(c) < q {
                lo = Some(c);
                break;
            }
            hi = c;
            step *= 2;
        }
    } else {
        lo = Some(guess);
        loop {
            let c = (lo.unwrap() + step).min(n);
            if f(c) >= q {
                hi = c;
                break;
            }
            lo = Some(c);
            step *= 2;
        }
    }
    let mut lo = lo.expect("bracketed");
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if f(mid) >= q {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}

/// 1-based ranks `(r, s)` such that `[x_(r), x_(s)]` of `n` sorted draws covers
/// the true `q`-quantile with probability at least `confidence`, for any
/// distribution (exactly from `Binomial(n, q)`; conservative when the
/// distribution is discrete).
///
/// The count `C` of draws at or below the quantile `xi` is binomial with
/// success probability `F(xi) >= q`, so `P(x_(r) > xi) = P(C <= r - 1) <=
/// P(Bin(n, q) <= r - 1)`; symmetrically `P(x_(s) < xi) <= P(Bin(n, q) >= s)`.
/// Each tail gets half of `1 - confidence`.
fn order_statistic_ranks(n: usize, q: f64, confidence: f64) -> (usize, usize) {
    let alpha = (1.0 - confidence) / 2.0;
    let pmf = binomial_pmf(n as u64, q);
    // r = first j with P(C <= j) > alpha (then P(C <= r - 1) <= alpha).
    let mut cum = 0.0;
    let r = (0..=n)
        .find(|&j| {
            cum += pmf[j];
            cum > alpha
        })
        .expect("the cdf reaches 1");
    // s = 1 + last j (from the top) with P(C >= j) > alpha.
    let mut tail = 0.0;
    let s = (0..=n)
        .rev()
        .find(|&j| {
            tail += pmf[j];
            tail > alpha
        })
        .expect("the tail reaches 1")
        + 1;
    assert!(
        r >= 1 && s <= n,
        "{n} draws are too few for a {confidence} interval of the {q} quantile"
    );
    (r, s)
}

/// `[x_(r), x_(s)]` of an ascending sample (see [`order_statistic_ranks`]).
fn quantile_interval(sorted: &[f64], q: f64) -> [f64; 2] {
    let (r, s) = order_statistic_ranks(sorted.len(), q, QUANTILE_CONFIDENCE);
    [sorted[r - 1], sorted[s - 1]]
}

// ---------------------------------------------------------------------------
// 0. The reference computation itself

#[test]
fn exact_mixture_quadratures_agree() {
    // Two independent quadratures of the same law must agree far below the
    // resolution that decides a quantile (at the 99% and 99.9% points of these
    // cases the CDF steps by 3e-6 or more per default), and the mean must be n PD
    // exactly because E[p(Z)] = PD. The tolerances are quadrature accuracy,
    // not statistics: both converge to 1e-11 or better (doubling the Simpson
    // intervals moves them by < 1e-14).
    for (n, rho) in [(1_000, 0.15), (10_000, 0.15), (1_000, 0.04), (10_000, 0.04)] {
        let pd = 0.02;
        let pmf = mixture_pmf(n, pd, rho);
        let cdf = cumulative(&pmf);
        assert!((cdf[n as usize] - 1.0).abs() < 1e-9, "total mass {}", cdf[n as usize]);
        let mean: f64 = pmf.iter().enumerate().map(|(k, p)| k as f64 * p).sum();
        assert!(
            (mean / (n as f64 * pd) - 1.0).abs() < 1e-9,
            "n {n} rho {rho}: mean {mean}"
        );
        for q in [0.99, 0.999] {
            let k = quantile_of_cdf(&cdf, q);
            assert_eq!(k, mixture_quantile(n, pd, rho, q), "n {n} rho {rho} q {q}");
            for j in [k - 1, k, k + 1] {
                let (a, b) = (cdf[j as usize], mixture_cdf(n, j, pd, rho));
                assert!((a - b).abs() < 1e-9, "n {n} rho {rho} k {j}: {a} vs {b}");
            }
        }
    }
    // rho -> 0: the mixture is the plain binomial.
    let (n, pd) = (1_000, 0.02);
    let mix = mixture_pmf(n, pd, 0.0);
    // The same p as the mixture's: Phi(Phi^-1(PD)) differs from PD by ~1e-13.
    let bin = binomial_pmf(n, vasicek_conditional(pd, 0.0, 0.0));
    let worst = mix.iter().zip(&bin).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    assert!(worst < 1e-12, "{worst}");
}

// ---------------------------------------------------------------------------
// 1. One-period Vasicek: simulation against the exact mixture binomial

/// What the one-period tests need of a simulated run, one entry per path.
struct OnePeriod {
    defaults: Vec<f64>,
    losses: Vec<f64>,
    loss_rates: Vec<f64>,
}

/// Simulated one-period homogeneous books, cached so that the Vasicek-limit
/// test reuses the n = 10,000 runs.
fn one_period_run(loans: u64, rho: f64, engine: EngineChoice) -> &'static OnePeriod {
    static CACHE: [OnceLock<OnePeriod>; 8] = [const { OnceLock::new() }; 8];
    let (slot, paths, seed) = match (loans, rho) {
        (1_000, 0.15) => (0, 100_000, 101),
        (1_000, 0.04) => (1, 100_000, 102),
        (10_000, 0.15) => (2, 40_000, 103),
        (10_000, 0.04) => (3, 40_000, 104),
        _ => panic!("no cached run for n {loans} rho {rho}"),
    };
    // Over one month both engines use a loan's first uniform the same way, so
    // the same seed would give bitwise the same sample: the fast path gets
    // other seeds so that its checks are independent of the stepping ones.
    let fast = engine == EngineChoice::FastPath;
    let (slot, seed) = (slot + 4 * fast as usize, seed + 1_000 * fast as u64);
    CACHE[slot].get_or_init(|| {
        let mut run = OnePeriod {
            defaults: Vec::new(),
            losses: Vec::new(),
            loss_rates: Vec::new(),
        };
        let h = Homogeneous::one_period(loans, 0.02, rho, seed);
        simulate_homogeneous(&h, engine, paths, |o| {
            // Loss is exactly D x EAD x LGD on every path: EAD x LGD = 4500.0
            // is exact in binary and a sum of D copies of it is exact below 2^53.
            assert_eq!(o.tally.loss, o.tally.defaults as f64 * (EAD * LGD), "path {}", o.index);
            assert_eq!(o.exposure, loans as f64 * EAD);
            run.defaults.push(o.tally.defaults as f64);
            run.losses.push(o.tally.loss);
            run.loss_rates.push(o.loss_rate());
        });
        run
    })
}

fn check_one_period(loans: u64, rho: f64, engine: EngineChoice) {
    let pd = 0.02;
    let run = one_period_run(loans, rho, engine);
    let paths = run.defaults.len();

    let exact_pmf = mixture_pmf(loans, pd, rho);
    let exact_cdf = cumulative(&exact_pmf);
    let exact_mean: f64 = exact_pmf.iter().enumerate().map(|(k, p)| k as f64 * p).sum();

    let m = moments(&run.defaults);
    eprintln!(
        "{engine:?} n {loans} rho {rho}: mean defaults {:.3} +- {:.3} (exact {exact_mean:.3})",
        m.mean, m.stderr
    );
    assert!(
        (m.mean - exact_mean).abs() <= MEAN_SIGMAS * m.stderr,
        "{engine:?} n {loans} rho {rho}: mean defaults {} vs exact {exact_mean} (stderr {})",
        m.mean,
        m.stderr
    );

    let d_sorted = sorted(run.defaults.clone());
    let losses = sorted(run.losses.clone());
    for q in [0.99, 0.999] {
        let exact = quantile_of_cdf(&exact_cdf, q) as f64;
        let sample = quantile(&d_sorted, q);
        let [lo, hi] = quantile_interval(&d_sorted, q);
        eprintln!(
            "{engine:?} n {loans} rho {rho} q {q}: D quantile {sample} in [{lo}, {hi}] ({paths} paths), exact {exact}"
        );
        assert!(
            lo <= exact && exact <= hi,
            "{engine:?} n {loans} rho {rho}: exact {q}-quantile of D {exact} outside the {QUANTILE_CONFIDENCE} interval \
             [{lo}, {hi}] of the sample (sample quantile {sample})"
        );
        // The loss quantile is the default quantile times EAD x LGD.
        assert_eq!(quantile(&losses, q), sample * EAD * LGD);
    }
}

#[test]
fn vasicek_one_period_n1000_rho015_stepping_matches_exact_mixture() {
    check_one_period(1_000, 0.15, EngineChoice::Stepping);
}

#[test]
fn vasicek_one_period_n1000_rho015_fast_path_matches_exact_mixture() {
    check_one_period(1_000, 0.15, EngineChoice::FastPath);
}

#[test]
fn vasicek_one_period_n1000_rho004_stepping_matches_exact_mixture() {
    check_one_period(1_000, 0.04, EngineChoice::Stepping);
}

#[test]
fn vasicek_one_period_n1000_rho004_fast_path_matches_exact_mixture() {
    check_one_period(1_000, 0.04, EngineChoice::FastPath);
}

#[test]
fn vasicek_one_period_n10000_rho015_stepping_matches_exact_mixture() {
    check_one_period(10_000, 0.15, EngineChoice::Stepping);
}

#[test]
fn vasicek_one_period_n10000_rho015_fast_path_matches_exact_mixture() {
    check_one_period(10_000, 0.15, EngineChoice::FastPath);
}

#[test]
fn vasicek_one_period_n10000_rho004_stepping_matches_exact_mixture() {
    check_one_period(10_000, 0.04, EngineChoice::Stepping);
}

#[test]
fn vasicek_one_period_n10000_rho004_fast_path_matches_exact_mixture() {
    check_one_period(10_000, 0.04, EngineChoice::FastPath);
}

// ---------------------------------------------------------------------------
// 2. Large n: the Vasicek closed form

#[test]
fn exact_quantiles_converge_to_the_vasicek_closed_form() {
    let pd = 0.02;
    for rho in [0.15, 0.04] {
        for q in [0.99, 0.999] {
            let vasicek = vasicek_loss_quantile(pd, rho, 1.0, q);
            // First-order granularity adjustment times n (see the module docs),
            // by a central difference of the smooth function f(l) l (1 - l).
            let g = |l: f64| vasicek_pdf(l, pd, rho) * l * (1.0 - l);
            let dl = 1e-6 * vasicek;
            let ga_times_n = -(g(vasicek + dl) - g(vasicek - dl)) / (2.0 * dl) / (2.0 * vasicek_pdf(vasicek, pd, rho));
            let mut previous = f64::INFINITY;
            for n in [1_000u64, 10_000, 100_000, 1_000_000] {
                let k = mixture_quantile(n, pd, rho, q);
                let rate = k as f64 / n as f64;
                let rel = (rate - vasicek).abs() / vasicek;
                eprintln!(
                    "rho {rho} q {q} n {n}: exact default-rate quantile {rate:.6}, Vasicek {vasicek:.6}, \
                     relative error {rel:.2e}, n x error {:.3} (granularity adjustment {ga_times_n:.3})",
                    (rate - vasicek) * n as f64
                );
                assert!(rel < previous, "rho {rho} q {q}: error does not shrink at n {n}");
                previous = rel;
                // k is the smallest integer with P(D <= k) >= q; D being an
                // integer, it is within half a default (continuity correction)
                // of the continuous quantile n (L_q + GA), up to O(1/n) terms.
                let predicted = n as f64 * vasicek + ga_times_n;
                assert!(
                    (k as f64 - predicted).abs() < 1.0,
                    "rho {rho} q {q} n {n}: exact quantile {k} vs Vasicek + granularity adjustment {predicted}"
                );
            }
            assert!(
                previous < 0.01,
                "rho {rho} q {q}: relative error {previous} at n = 10^6"
            );
        }
    }
}

#[test]
fn simulated_tail_at_n_10000_is_consistent_with_vasicek() {
    // At n = 10,000 the exact 99.9% quantile exceeds n L_q by the granularity
    // adjustment, about 2 defaults (1765 vs 1763.3 for rho 0.15), far less
    // than the Monte Carlo interval of 40,000 paths (about 300 defaults
    // wide): the simulation cannot resolve the finite-n correction, so the
    // honest claim is that the loss-rate interval contains both the exact
    // finite-n value (tested above) and the Vasicek large-portfolio value.
    let (loans, pd, q) = (10_000u64, 0.02, 0.999);
    for (rho, engine) in [0.15, 0.04].into_iter().flat_map(|rho| ENGINES.map(|e| (rho, e))) {
        let rates = sorted(one_period_run(loans, rho, engine).loss_rates.clone());
        let [lo, hi] = quantile_interval(&rates, q);
        let vasicek = vasicek_loss_quantile(pd, rho, LGD, q);
        let exact = mixture_quantile(loans, pd, rho, q) as f64 / loans as f64 * LGD;
        eprintln!(
            "{engine:?} rho {rho}: loss-rate {q}-quantile {:.5} in [{lo:.5}, {hi:.5}], Vasicek {vasicek:.5}, exact n = {loans} \
             {exact:.5}",
            quantile(&rates, q)
        );
        assert!(
            exact > vasicek && exact - vasicek < hi - lo,
            "the granularity gap is below MC resolution"
        );
        assert!(
            lo <= vasicek && vasicek <= hi,
            "{engine:?} rho {rho}: Vasicek {vasicek} outside [{lo}, {hi}]"
        );
        assert!(
            lo <= exact && exact <= hi,
            "{engine:?} rho {rho}: exact {exact} outside [{lo}, {hi}]"
        );
    }
}

// ---------------------------------------------------------------------------
// 3. rho = 0: independent defaults

#[test]
fn zero_correlation_gives_binomial_default_counts_stepping() {
    check_zero_correlation(EngineChoice::Stepping);
}

#[test]
fn zero_correlation_gives_binomial_default_counts_fast_path() {
    check_zero_correlation(EngineChoice::FastPath);
}

fn check_zero_correlation(engine: EngineChoice) {
    let (loans, pd, paths) = (1_000u64, 0.02, 20_000u64);
    // Another seed per engine: see `one_period_run`.
    let seed = 301 + 1_000 * (engine == EngineChoice::FastPath) as u64;
    let h = Homogeneous::one_period(loans, pd, 0.0, seed);
    let mut d = Vec::new();
    simulate_homogeneous(&h, engine, paths, |o| d.push(o.tally.defaults as f64));

    // Chi-square goodness of fit against Binomial(n, PD), bins pooled until
    // each expects at least 5 paths.
    let pmf = binomial_pmf(loans, pd);
    let mut observed = vec![0u64; loans as usize + 1];
    for &x in &d {
        observed[x as usize] += 1;
    }
    let mut bins: Vec<(f64, f64)> = Vec::new(); // (expected, observed)
    let (mut e, mut o) = (0.0, 0.0);
    for k in 0..=loans as usize {
        e += paths as f64 * pmf[k];
        o += observed[k] as f64;
        if e >= 5.0 {
            bins.push((e, o));
            (e, o) = (0.0, 0.0);
        }
    }
    let last = bins.last_mut().expect("at least one bin");
    last.0 += e;
    last.1 += o;
    let chi2: f64 = bins.iter().map(|(e, o)| (o - e) * (o - e) / e).sum();
    let df = bins.len() - 1;
    let critical = ChiSquared::new(df as f64).unwrap().inverse_cdf(0.999);
    eprintln!("{engine:?} rho 0: chi-square {chi2:.2} on {df} df (critical {critical:.2} at 0.999)");
    assert!(chi2 < critical, "{engine:?}: chi-square {chi2} >= {critical} ({df} df)");

    // Mean within 4 standard errors of n PD.
    let m = moments(&d);
    let mean = loans as f64 * pd;
    assert!(
        (m.mean - mean).abs() <= MEAN_SIGMAS * m.stderr,
        "{engine:?}: mean {} vs {mean} (stderr {})",
        m.mean,
        m.stderr
    );

    // Variance ratio s^2 / (n p (1 - p)): asymptotically normal around 1 with
    // variance (kurtosis - 1) / N, the binomial kurtosis being
    // 3 + (1 - 6 p (1 - p)) / (n p (1 - p)). Any correlation would inflate it
    // (rho = 0.04 gives a ratio of about 5).
    let var = loans as f64 * pd * (1.0 - pd);
    let ratio = m.std * m.std / var;
    let kurtosis = 3.0 + (1.0 - 6.0 * pd * (1.0 - pd)) / var;
    let sd_ratio = ((kurtosis - 1.0) / paths as f64).sqrt();
    eprintln!(
        "{engine:?} rho 0: mean {:.4} +- {:.4} (n PD {mean}), variance ratio {ratio:.4} +- {sd_ratio:.4}",
        m.mean, m.stderr
    );
    assert!(
        (ratio - 1.0).abs() <= MEAN_SIGMAS * sd_ratio,
        "{engine:?}: variance ratio {ratio} (sd {sd_ratio})"
    );
}

// ---------------------------------------------------------------------------
// 4. Multi-period: a constant monthly hazard

#[test]
fn constant_monthly_hazard_gives_geometric_default_times_stepping() {
    check_constant_hazard(EngineChoice::Stepping);
}

#[test]
fn constant_monthly_hazard_gives_geometric_default_times_fast_path() {
    check_constant_hazard(EngineChoice::FastPath);
}

fn check_constant_hazard(engine: EngineChoice) {
    let (loans, h, horizon, paths) = (2_000u64, 0.01, 12u32, 4_000u64);
    let spec = Homogeneous {
        loans,
        pd: h,
        rho: 0.0,
        horizon_months: horizon,
        sigma: 0.0,
        seed: 401 + 1_000 * (engine == EngineChoice::FastPath) as u64,
    };
    let (mut fraction, mut monthly) = (Vec::new(), vec![Vec::new(); horizon as usize]);
    simulate_homogeneous(&spec, engine, paths, |o| {
        assert!(
            o.factors.iter().flatten().all(|&f| f == 0.0),
            "sigma = 0 gives a zero factor"
        );
        fraction.push(o.tally.defaults as f64 / loans as f64);
        for (month, &d) in monthly.iter_mut().zip(&o.tally.monthly_defaults) {
            month.push(d as f64);
        }
    });
    let m = moments(&fraction);
    let expected = 1.0 - (1.0 - h).powi(horizon as i32);
    eprintln!(
        "{engine:?}: cumulative default fraction {:.6} +- {:.6}, closed form {expected:.6}",
        m.mean, m.stderr
    );
    assert!(
        (m.mean - expected).abs() <= MEAN_SIGMAS * m.stderr,
        "{engine:?}: cumulative default fraction {} vs {expected} (stderr {})",
        m.mean,
        m.stderr
    );

    for (t, month) in (1i32..).zip(&monthly) {
        let m = moments(month);
        let expected = loans as f64 * h * (1.0 - h).powi(t - 1);
        assert!(
            (m.mean - expected).abs() <= MEAN_SIGMAS * m.stderr,
            "{engine:?} month {t}: mean defaults {} vs {expected} (stderr {})",
            m.mean,
            m.stderr
        );
    }
}

// ---------------------------------------------------------------------------
// 5. Determinism

/// `scenarios/downturn.toml` with `paths` paths and optionally another seed.
/// Without delinquency buckets the engine takes the fast path, so both
/// engines are checked.
fn downturn(paths: u64, seed: Option<u64>, delinquency: bool) -> Scenario {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/downturn.toml");
    let mut text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if !delinquency {
        assert_eq!(
            text.matches("\ndelinquency = true\n").count(),
            1,
            "downturn.toml changed shape"
        );
        text = text.replace("\ndelinquency = true\n", "\ndelinquency = false\n");
    }
    parse_scenario(&text)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .with_overrides(Some(paths), seed)
}

fn run_on_threads(scenario: &Scenario, threads: usize) -> Vec<PathOutcome> {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    pool.install(|| {
        let prepared = Prepared::new(scenario);
        assert_eq!(prepared.fast_path, !scenario.dynamics.delinquency);
        prepared
            .simulate_paths(0..scenario.paths, RunControl::default())
            .expect("not cancelled")
    })
}

/// Every number of an outcome, floats as their bit patterns.
fn bits(o: &PathOutcome) -> Vec<u64> {
    let t = &o.tally;
    let l = &t.ledger;
    let mut v = vec![
        o.index,
        o.exposure.to_bits(),
        t.loss.to_bits(),
        t.defaults,
        t.interest as u64,
        t.recoveries.to_bits(),
        l.originated as u64,
        l.repaid as u64,
        l.prepaid as u64,
        l.charged_off as u64,
        l.outstanding as u64,
    ];
    v.extend(t.segment_loss.iter().map(|x| x.to_bits()));
    v.extend(t.segment_defaults.iter().copied());
    v.extend(t.band_defaults.iter().copied());
    v.extend(t.monthly_defaults.iter().map(|&x| x as u64));
    v.extend(t.monthly_delinquent.iter().map(|&x| x as u64));
    v.extend(t.monthly_loss.iter().map(|x| x.to_bits()));
    v.extend(o.factors.iter().flatten().map(|x| x.to_bits()));
    v
}

#[test]
fn results_are_bitwise_identical_on_any_number_of_threads() {
    for delinquency in [true, false] {
        let scenario = downturn(64, None, delinquency);
        let one = run_on_threads(&scenario, 1);
        assert_eq!(one.len(), 64);
        assert!(one.iter().any(|o| o.tally.loss > 0.0), "the run has losses to compare");
        let one_bits: Vec<Vec<u64>> = one.iter().map(bits).collect();
        for threads in [2, 3] {
            let other = run_on_threads(&scenario, threads);
            // `==` compares every field; `bits` adds the bit patterns of the floats.
            assert!(
                one == other,
                "delinquency {delinquency}: {threads} threads differ from 1 thread"
            );
            let other_bits: Vec<Vec<u64>> = other.iter().map(bits).collect();
            assert_eq!(
                one_bits, other_bits,
                "delinquency {delinquency}: {threads} threads differ bitwise from 1 thread"
            );
        }
    }
}

#[test]
fn a_different_seed_gives_different_losses() {
    for delinquency in [true, false] {
        let scenario = downturn(64, None, delinquency);
        let reseeded = downturn(64, Some(scenario.seed + 1), delinquency);
        let a = run_on_threads(&scenario, 2);
        let b = run_on_threads(&reseeded, 2);
        // Continuous Beta LGDs and factor paths: an equal loss on the same path
        // index under another seed would be a coincidence of probability ~0.
        let same = a
            .iter()
            .zip(&b)
            .filter(|(x, y)| x.tally.loss.to_bits() == y.tally.loss.to_bits())
            .count();
        assert_eq!(
            same, 0,
            "delinquency {delinquency}: {same} of 64 paths have the same loss under seeds {} and {}",
            scenario.seed, reseeded.seed
        );
        assert!(a.iter().zip(&b).any(|(x, y)| x.factors != y.factors));
    }
}
