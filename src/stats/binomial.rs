//! The binomial distribution by inversion: the count of a pool of identical
//! loans (see [`crate::loan::FastBook`]'s pools).
//!
//! Inversion (the smallest `k` with `P(K <= k) >= u`) rather than a faster
//! rejection sampler because the count is then a monotone function of one
//! uniform: the same uniform gives more defaults in a worse month and in a
//! larger pool, which is what keeps common random numbers useful when two
//! policies or two paths are compared.

/// `stirlerr(n) = ln(n!) - ln(sqrt(2 pi n) (n / e)^n)` at `n = 0..=15`
/// (Loader 2000, the table of R's `stirlerr.c`): the Stirling series is not
/// accurate enough there.
#[allow(clippy::excessive_precision)] // the published digits, rounded by the compiler
const STIRLERR_SMALL: [f64; 16] = [
    0.0,
    0.081_061_466_795_327_258_22,
    0.041_340_695_955_409_294_09,
    0.027_677_925_684_998_339_15,
    0.020_790_672_103_765_093_11,
    0.016_644_691_189_821_192_16,
    0.013_876_128_823_070_747_99,
    0.011_896_709_945_891_770_10,
    0.010_411_265_261_972_096_50,
    0.009_255_462_182_712_732_92,
    0.008_330_563_433_362_871_26,
    0.007_573_675_487_951_840_79,
    0.006_942_840_107_209_529_87,
    0.006_408_994_188_004_207_07,
    0.005_951_370_112_758_847_74,
    0.005_554_733_551_962_801_37,
];

/// The error of Stirling's formula for `ln(n!)`, `n` a non-negative integer.
fn stirlerr(n: f64) -> f64 {
    if n <= 15.0 {
        return STIRLERR_SMALL[n as usize];
    }
    const S0: f64 = 1.0 / 12.0;
    const S1: f64 = 1.0 / 360.0;
    const S2: f64 = 1.0 / 1260.0;
    const S3: f64 = 1.0 / 1680.0;
    const S4: f64 = 1.0 / 1188.0;
    let nn = n * n;
    if n > 500.0 {
        (S0 - S1 / nn) / n
    } else if n > 80.0 {
        (S0 - (S1 - S2 / nn) / nn) / n
    } else if n > 35.0 {
        (S0 - (S1 - (S2 - S3 / nn) / nn) / nn) / n
    } else {
        (S0 - (S1 - (S2 - (S3 - S4 / nn) / nn) / nn) / nn) / n
    }
}

/// `x ln(x / m) + m - x` without the cancellation of the direct formula
/// when `x` is close to `m` (Loader's deviance term).
fn bd0(x: f64, m: f64) -> f64 {
    if (x - m).abs() < 0.1 * (x + m) {
        let mut v = (x - m) / (x + m);
        let mut s = (x - m) * v;
        let mut ej = 2.0 * x * v;
        v *= v;
        for j in 1..1000 {
            ej *= v;
            let next = s + ej / (2 * j + 1) as f64;
            if next == s {
                return next;
            }
            s = next;
        }
        s
    } else {
        x * (x / m).ln() + m - x
    }
}

/// `P(K = k)` for `K ~ Binomial(n, p)`, `q = 1 - p`, to a few units in the
/// last place (Loader's saddle-point form, as in R's `dbinom`).
pub fn binomial_pmf(k: u32, n: u32, p: f64, q: f64) -> f64 {
    let (x, n) = (k as f64, n as f64);
    if p == 0.0 {
        return if k == 0 { 1.0 } else { 0.0 };
    }
    if q == 0.0 {
        return if x == n { 1.0 } else { 0.0 };
    }
    if k == 0 {
        let lc = if p < 0.1 { -bd0(n, n * q) - n * p } else { n * q.ln() };
        return lc.exp();
    }
    if x == n {
        let lc = if q < 0.1 { -bd0(n, n * p) - n * q } else { n * p.ln() };
        return lc.exp();
    }
    let lc = stirlerr(n) - stirlerr(x) - stirlerr(n - x) - bd0(x, n * p) - bd0(n - x, n * q);
    let lf = std::f64::consts::TAU.ln() + x.ln() + (-x / n).ln_1p();
    (lc - 0.5 * lf).exp()
}

/// The smallest `k` with `P(K <= k) >= u` for `K ~ Binomial(n, p)`, `u` in
/// `(0, 1)`: a binomial count from one uniform, monotone in `u`, `n` and `p`.
///
/// The CDF is summed from the mode outwards, so the cost is a few standard
/// deviations of terms, `O(sqrt(n p (1 - p)))`, and the CDF's absolute
/// error is a few units of 1e-16.
pub fn binomial_quantile(n: u32, p: f64, u: f64) -> u32 {
    if n == 0 || p <= 0.0 {
        return 0;
    }
    if p >= 1.0 {
        return n;
    }
    if p > 0.5 {
        // K = n - K' with K' ~ Binomial(n, 1 - p): still a quantile function of u.
        return n - lower_half_quantile(n, 1.0 - p, 1.0 - u);
    }
    lower_half_quantile(n, p, u)
}

/// [`binomial_quantile`] for `0 < p <= 1/2`.
fn lower_half_quantile(n: u32, p: f64, u: f64) -> u32 {
    let q = 1.0 - p;
    let mode = (((n as f64 + 1.0) * p).floor() as u32).min(n);
    let at_mode = binomial_pmf(mode, n, p, q);
    // pmf(k - 1) / pmf(k) = k q / ((n - k + 1) p)
    let down = |k: u32| k as f64 * q / ((n - k + 1) as f64 * p);
    let mut cdf = at_mode;
    let (mut k, mut term) = (mode, at_mode);
    while k > 0 {
        term *= down(k);
        k -= 1;
        cdf += term;
        if term < cdf * 1e-17 {
            break;
        }
    }
    if u <= cdf {
        let (mut k, mut f, mut term) = (mode, cdf, at_mode);
        loop {
            let below = f - term;
            if k == 0 || below < u {
                return k;
            }
            f = below;
            term *= down(k);
            k -= 1;
        }
    }
    let (mut k, mut f, mut term) = (mode, cdf, at_mode);
    while k < n {
        term *= (n - k) as f64 * p / ((k + 1) as f64 * q);
        k += 1;
        f += term;
        // Past the last term that float can hold, the rest of the CDF is below 1e-300.
        if f >= u || term == 0.0 {
            return k;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use statrs::distribution::{Binomial, Discrete, DiscreteCDF};

    #[test]
    fn stirling_error_table_matches_its_definition() {
        let mut ln_factorial = 0.0f64;
        for n in 1..=15u32 {
            ln_factorial += (n as f64).ln();
            let x = n as f64;
            let direct = ln_factorial - (x + 0.5) * x.ln() + x - 0.5 * std::f64::consts::TAU.ln();
            assert!(
                (stirlerr(x) - direct).abs() < 1e-13,
                "n = {n}: {} vs {direct}",
                stirlerr(x)
            );
        }
        // The series agrees with the table's definition just past the table.
        for n in [16.0f64, 36.0, 81.0, 501.0] {
            let direct = statrs::function::factorial::ln_factorial(n as u64) - (n + 0.5) * n.ln() + n
                - 0.5 * std::f64::consts::TAU.ln();
            assert!((stirlerr(n) - direct).abs() < 1e-12, "n = {n}");
        }
    }

    #[test]
    fn pmf_matches_statrs() {
        for &(n, p) in &[
            (1u32, 0.3),
            (10, 0.02),
            (1000, 0.02),
            (1000, 0.5),
            (100_000, 0.001),
            (37, 0.97),
        ] {
            let b = Binomial::new(p, n as u64).unwrap();
            for k in 0..=n.min(2000) {
                let ours = binomial_pmf(k, n, p, 1.0 - p);
                let theirs = b.pmf(k as u64);
                // statrs goes through ln-factorials, good to about 1e-10 far in the tail.
                let tolerance = 1e-9 * theirs.max(1e-300);
                assert!(
                    (ours - theirs).abs() <= tolerance.max(1e-290),
                    "n {n} p {p} k {k}: {ours} vs {theirs}"
                );
            }
        }
    }

    #[test]
    fn pmf_matches_closed_forms_to_the_last_places() {
        // P(K = 1) = n p q^(n - 1) and P(K = n - 1) = n q p^(n - 1), by logs of exact terms.
        for &(n, p) in &[(100_000u32, 0.001f64), (1000, 0.02), (50, 0.5), (7, 0.9)] {
            let q = 1.0 - p;
            let one = ((n as f64 * p).ln() + (n - 1) as f64 * (-p).ln_1p()).exp();
            let ours = binomial_pmf(1, n, p, q);
            assert!((ours / one - 1.0).abs() < 1e-13, "n {n} p {p}: {ours} vs {one}");
            let all_but_one = ((n as f64 * q).ln() + (n - 1) as f64 * p.ln()).exp();
            let ours = binomial_pmf(n - 1, n, p, q);
            if all_but_one == 0.0 {
                assert!(ours < 1e-300, "n {n} p {p}: {ours} where the term underflows");
            } else {
                assert!(
                    (ours / all_but_one - 1.0).abs() < 1e-12,
                    "n {n} p {p}: {ours} vs {all_but_one}"
                );
            }
        }
    }

    #[test]
    fn quantile_inverts_the_cdf() {
        for &(n, p) in &[
            (1u32, 0.3),
            (10, 0.02),
            (1000, 0.02),
            (1000, 0.5),
            (5000, 0.73),
            (100_000, 0.001),
        ] {
            let b = Binomial::new(p, n as u64).unwrap();
            for i in 0..2000 {
                let u = (i as f64 + 0.5) / 2000.0;
                let k = binomial_quantile(n, p, u);
                assert!(b.cdf(k as u64) >= u - 1e-12, "n {n} p {p} u {u}: F({k}) < u");
                if k > 0 {
                    assert!(b.cdf(k as u64 - 1) < u + 1e-12, "n {n} p {p} u {u}: F({} ) >= u", k - 1);
                }
            }
        }
    }

    #[test]
    fn quantile_is_monotone_in_u_n_and_p() {
        let us: Vec<f64> = (0..500).map(|i| (i as f64 + 0.5) / 500.0).collect();
        for &u in &us {
            let mut last = 0;
            for n in [10u32, 100, 1000, 10_000] {
                let k = binomial_quantile(n, 0.03, u);
                assert!(k >= last, "more loans, fewer defaults at u {u}");
                last = k;
            }
            let mut last = 0;
            for p in [0.001, 0.01, 0.1, 0.4, 0.5, 0.6, 0.9, 0.999] {
                let k = binomial_quantile(1000, p, u);
                assert!(k >= last, "higher p, fewer defaults at u {u}, p {p}");
                last = k;
            }
        }
        let mut last = 0;
        for &u in &us {
            let k = binomial_quantile(777, 0.2, u);
            assert!(k >= last);
            last = k;
        }
    }

    #[test]
    fn edges() {
        assert_eq!(binomial_quantile(0, 0.5, 0.5), 0);
        assert_eq!(binomial_quantile(10, 0.0, 0.99), 0);
        assert_eq!(binomial_quantile(10, 1.0, 0.01), 10);
        assert_eq!(binomial_quantile(10, 0.5, 1.0 - 1e-16), 10);
        assert_eq!(binomial_quantile(10, 0.5, 1e-16), 0);
        assert_eq!(binomial_quantile(4_000_000_000, 1e-12, 0.5), 0);
    }
}
