//! The standard normal CDF `Phi(x) = erfc(-x / sqrt 2) / 2`, with erfc
//! from W. J. Cody's rational Chebyshev approximations (Math. Comp. 23
//! (1969) 631-637; the netlib specfun routine CALERF), and `exp` of the
//! Cody-Waite reduction with a degree-12 polynomial, so that one array of
//! arguments is computed several at a time in vector registers.
//!
//! Why not statrs' `erfc`: it is about 1e-10 off in relative terms over most
//! of the line (measured against glibc's and musl's erfc, which are within an
//! ulp); this is within about 1e-15 of 40-digit values (tests below; far in
//! the tail the rounding of `x / sqrt 2` alone costs about `x^2` ulp),
//! and the per-path tables evaluate it for every grade and month, where the
//! array form [`norm_cdf_in_place`] is several times faster than a call per
//! value. The scalar [`norm_cdf`] computes only the branch its argument needs,
//! with the same operations, so both give the same bits.

// Cody's coefficients are kept as published (18 digits), so that they can
// be checked against CALERF by eye; the compiler rounds them to the nearest double.
#![allow(clippy::excessive_precision)]

/// Cody's coefficients for erf on `|y| <= 0.46875`.
const A: [f64; 5] = [
    3.1611237438705656,
    113.864154151050156,
    377.485237685302021,
    3209.37758913846947,
    0.185777706184603153,
];
const B: [f64; 4] = [
    23.6012909523441209,
    244.024637934444173,
    1282.61652607737228,
    2844.23683343917062,
];
/// For erfc on `0.46875 < y <= 4`.
const C: [f64; 9] = [
    0.564188496988670089,
    8.88314979438837594,
    66.1191906371416295,
    298.635138197400131,
    881.95222124176909,
    1712.04761263407058,
    2051.07837782607147,
    1230.33935479799725,
    2.15311535474403846e-8,
];
const D: [f64; 8] = [
    15.7449261107098347,
    117.693950891312499,
    537.181101862009858,
    1621.38957456669019,
    3290.79923573345963,
    4362.61909014324716,
    3439.36767414372164,
    1230.33935480374942,
];
/// For erfc on `y > 4`.
const P: [f64; 6] = [
    0.305326634961232344,
    0.360344899949804439,
    0.125781726111229246,
    0.0160837851487422766,
    6.58749161529837803e-4,
    0.0163153871373020978,
];
const Q: [f64; 5] = [
    2.56852019228982242,
    1.87295284992346047,
    0.527905102951428412,
    0.0605183413124413191,
    0.00233520497626869185,
];
/// `1 / sqrt(pi)`.
const SQRPI: f64 = 0.564_189_583_547_756_286_95;
const THRESH: f64 = 0.46875;
/// erfc(y) is below the smallest normal double from here on.
const XBIG: f64 = 26.543;

/// `ln 2` split so that `k * LN2_HI` is exact for `|k| < 2^20` (fdlibm's constants).
const LN2_HI: f64 = 6.931_471_803_691_238_164_90e-1;
const LN2_LO: f64 = 1.908_214_929_270_587_700_02e-10;
/// Adding and subtracting it rounds to the nearest integer (for `|x| < 2^51`).
const ROUNDER: f64 = 6_755_399_441_055_744.0;

/// `e^(a + b)` for `a + b` in `[-705, 0]`, `a` exact, without rounding their
/// sum first: `k = round((a + b) / ln 2)`, `r = (a - k ln2_hi) + b - k ln2_lo`,
/// `e^r` by its Taylor polynomial of degree 12 (remainder below 2e-16 for
/// `|r| <= ln 2 / 2`), times `2^k`.
#[inline(always)]
fn exp_sum(a: f64, b: f64) -> f64 {
    let k = ((a + b) * std::f64::consts::LOG2_E + ROUNDER) - ROUNDER;
    let r = ((a - k * LN2_HI) + b) - k * LN2_LO;
    let mut p = 1.0 / 479_001_600.0;
    for n in (1..=11).rev() {
        p = p * r + INVERSE_FACTORIAL[n];
    }
    p = p * r + 1.0;
    let scale = f64::from_bits(((k as i64 + 1023) << 52) as u64);
    p * scale
}

/// `1 / n!` for `n` in `0..=11`.
const INVERSE_FACTORIAL: [f64; 12] = [
    1.0,
    1.0,
    1.0 / 2.0,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5_040.0,
    1.0 / 40_320.0,
    1.0 / 362_880.0,
    1.0 / 3_628_800.0,
    1.0 / 39_916_800.0,
];

/// erfc(w) for `|w| <= 0.46875`: `1 - w R(w^2)`.
#[inline(always)]
fn erfc_small(w: f64) -> f64 {
    let ysq = w * w;
    let (mut num, mut den) = (A[4] * ysq, ysq);
    for i in 0..3 {
        num = (num + A[i]) * ysq;
        den = (den + B[i]) * ysq;
    }
    1.0 - w * (num + A[3]) / (den + B[3])
}

/// `e^(-y^2)` as Cody computes it: `y^2 = s^2 + (y - s)(y + s)` with `s`
/// the multiple of 1/16 below `y`, so `s^2` is exact.
#[inline(always)]
fn gauss(y: f64) -> f64 {
    let s = (y * 16.0).trunc() / 16.0;
    exp_sum(-(s * s), -((y - s) * (y + s)))
}

/// erfc(y) for `0.46875 < y <= 4`.
#[inline(always)]
fn erfc_mid(y: f64) -> f64 {
    let (mut num, mut den) = (C[8] * y, y);
    for i in 0..7 {
        num = (num + C[i]) * y;
        den = (den + D[i]) * y;
    }
    gauss(y) * ((num + C[7]) / (den + D[7]))
}

/// erfc(y) for `4 < y < 26.543`.
#[inline(always)]
fn erfc_large(y: f64) -> f64 {
    let ysq = 1.0 / (y * y);
    let (mut num, mut den) = (P[5] * ysq, ysq);
    for i in 0..4 {
        num = (num + P[i]) * ysq;
        den = (den + Q[i]) * ysq;
    }
    let r = ysq * (num + P[4]) / (den + Q[4]);
    gauss(y) * ((SQRPI - r) / y)
}

/// erfc(w) of a positive tail value `tail = erfc(|w|)`, reflected for `w < 0`.
#[inline(always)]
fn reflect(w: f64, tail: f64) -> f64 {
    if w < 0.0 { 2.0 - tail } else { tail }
}

/// `Phi(x)`, computing only the branch `x` needs.
#[inline]
pub fn norm_cdf(x: f64) -> f64 {
    let w = -x / std::f64::consts::SQRT_2;
    let y = w.abs();
    let erfc = if y <= THRESH {
        erfc_small(w)
    } else if y <= 4.0 {
        reflect(w, erfc_mid(y))
    } else if y < XBIG {
        reflect(w, erfc_large(y))
    } else if y.is_nan() {
        y
    } else {
        reflect(w, 0.0)
    };
    0.5 * erfc
}

/// `Phi(x)` of every value, in place: the same bits as [`norm_cdf`] of each,
/// several at a time where the CPU has AVX-512 (detected at run time).
pub fn norm_cdf_in_place(xs: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512dq") {
        // SAFETY: the CPU has AVX-512 F and DQ (detected just above; DQ implies F).
        return unsafe { norm_cdf_in_place_avx512(xs) };
    }
    norm_cdf_in_place_portable(xs);
}

/// Every branch of every value, then the one that applies: a loop without
/// branches, which the compiler vectorises.
#[inline(always)]
fn norm_cdf_in_place_portable(xs: &mut [f64]) {
    for x in xs.iter_mut() {
        let w = -*x / std::f64::consts::SQRT_2;
        let y = w.abs();
        let (small, mid, large) = (erfc_small(w), erfc_mid(y), erfc_large(y));
        let tail = if y <= 4.0 {
            mid
        } else if y < XBIG {
            large
        } else if y.is_nan() {
            y
        } else {
            0.0
        };
        let erfc = if y <= THRESH { small } else { reflect(w, tail) };
        *x = 0.5 * erfc;
    }
}

/// The portable loop compiled for AVX-512.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq")]
unsafe fn norm_cdf_in_place_avx512(xs: &mut [f64]) {
    norm_cdf_in_place_portable(xs);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Phi(x)` to 20 digits (mpmath, 40-digit arithmetic).
    const REFERENCE: [(f64, f64); 26] = [
        (-37.5, 4.6053530095819548438e-308),
        (-30.0, 4.9067139271481870595e-198),
        (-20.0, 2.7536241186062336951e-89),
        (-12.3, 4.5287069561587846514e-35),
        (-8.0, 6.2209605742717841235e-16),
        (-6.1, 5.3034232629488415248e-10),
        (-5.0, 2.8665157187919391167e-7),
        (-4.2, 1.3345749015906327883e-5),
        (-3.0, 1.3498980316300945267e-3),
        (-2.5, 6.209665325776135167e-3),
        (-1.7, 4.4565462758543043664e-2),
        (-1.2, 1.1506967022170827665e-1),
        (-0.8, 2.1185539858339667271e-1),
        (-0.5, 3.0853753872598689636e-1),
        (-0.3, 3.8208857781104736693e-1),
        (-0.1, 4.6017216272297101633e-1),
        (-1e-05, 4.9999601057719605216e-1),
        (0.0, 0.5),
        (1e-08, 5.0000000398942280401e-1),
        (0.2, 5.7925970943910302738e-1),
        (0.66, 7.4537308532866386236e-1),
        (1.3, 9.0319951541438967446e-1),
        (2.2, 9.8609655248650139569e-1),
        (3.9, 9.9995190365598239727e-1),
        (5.5, 9.9999998101043753411e-1),
        (8.5, 9.9999999999999999052e-1),
    ];

    #[test]
    fn phi_is_within_1e_14_of_forty_digit_values() {
        for (x, want) in REFERENCE {
            let got = norm_cdf(x);
            let relative = ((got - want) / want).abs();
            // Far in the tail the rounding of x / sqrt 2 alone moves Phi by
            // about x^2 ulp (its relative condition number): 3e-13 at -37.5.
            let tolerance = (x * x * 2e-16).max(1e-14);
            assert!(
                relative < tolerance,
                "Phi({x}) = {got:e}, want {want:e} (relative {relative:e})"
            );
        }
    }

    /// Against musl's erfc (the `libm` crate, within an ulp) over the whole
    /// line, and against statrs to its own accuracy (about 1e-10).
    #[test]
    fn phi_agrees_with_libm_over_the_line() {
        let n = 200_000;
        let (mut worst_libm, mut worst_statrs) = (0.0f64, 0.0f64);
        for i in 0..=n {
            let x = -37.0 + 46.0 * i as f64 / n as f64;
            let got = norm_cdf(x);
            let musl = 0.5 * libm::erfc(-x / std::f64::consts::SQRT_2);
            let statrs = 0.5 * statrs::function::erf::erfc(-x / std::f64::consts::SQRT_2);
            worst_libm = worst_libm.max(((got - musl) / musl).abs());
            worst_statrs = worst_statrs.max(((got - statrs) / statrs).abs());
        }
        assert!(worst_libm < 1e-13, "largest relative gap to musl {worst_libm:e}");
        assert!(worst_statrs < 3e-10, "largest relative gap to statrs {worst_statrs:e}");
    }

    #[test]
    fn edges_and_symmetry() {
        assert_eq!(norm_cdf(f64::NEG_INFINITY), 0.0);
        assert_eq!(norm_cdf(f64::INFINITY), 1.0);
        assert!(norm_cdf(f64::NAN).is_nan());
        assert_eq!(norm_cdf(-40.0), 0.0);
        assert_eq!(norm_cdf(0.0), 0.5);
        for x in [0.1, 0.5, 0.66, 1.0, 2.5, 4.1, 6.0] {
            let sum = norm_cdf(x) + norm_cdf(-x);
            assert!((sum - 1.0).abs() < 2e-16, "Phi({x}) + Phi(-{x}) = {sum}");
        }
        // Monotone across the branch boundaries.
        for edge in [THRESH, 4.0, XBIG] {
            let x = -edge * std::f64::consts::SQRT_2;
            let (below, at, above) = (norm_cdf(x - 1e-9), norm_cdf(x), norm_cdf(x + 1e-9));
            assert!(below <= at && at <= above, "around {x}: {below} {at} {above}");
        }
    }

    #[test]
    fn the_array_form_is_bitwise_the_scalar_one() {
        // Lengths around the vector widths; both kernels where the CPU has AVX-512.
        let values: Vec<f64> = (0..1000)
            .map(|i| -40.0 + 0.0913 * i as f64)
            .chain([f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.0, -0.0])
            .collect();
        for n in [0usize, 1, 7, 8, 9, 63, 64, 65, values.len()] {
            let mut fast = values[..n].to_vec();
            let mut portable = values[..n].to_vec();
            norm_cdf_in_place(&mut fast);
            norm_cdf_in_place_portable(&mut portable);
            for (i, &x) in values[..n].iter().enumerate() {
                let want = norm_cdf(x);
                assert_eq!(fast[i].to_bits(), want.to_bits(), "Phi({x}): array form {}", fast[i]);
                assert_eq!(
                    portable[i].to_bits(),
                    want.to_bits(),
                    "Phi({x}): portable {}",
                    portable[i]
                );
            }
        }
    }
}
