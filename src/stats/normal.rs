//! The standard normal distribution and the Vasicek formulas built on it.

use statrs::function::erf::erfc_inv;

/// Standard normal CDF `Phi(x) = erfc(-x / sqrt 2) / 2`, after Cody (see
/// `src/stats/cody.rs`), and its array form.
pub use super::cody::{norm_cdf, norm_cdf_in_place};

/// Inverse standard normal CDF `Phi^-1(p) = -sqrt 2 erfc^-1(2p)`;
/// `-inf` at 0 and `+inf` at 1.
pub fn norm_inv(p: f64) -> f64 {
    if p <= 0.0 {
        f64::NEG_INFINITY
    } else if p >= 1.0 {
        f64::INFINITY
    } else {
        -std::f64::consts::SQRT_2 * erfc_inv(2.0 * p)
    }
}

/// Standard normal density.
pub fn norm_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// Vasicek conditional probability given the factor `z`:
///
/// # Formula
/// `p(z) = Phi((Phi^-1(p) - sqrt(rho) z) / sqrt(1 - rho))`.
pub fn vasicek_conditional(p: f64, rho: f64, z: f64) -> f64 {
    VasicekCurve::new(p, rho).at(z)
}

/// [`vasicek_conditional`] of one `(p, rho)` as a function of `z`, with
/// `Phi^-1(p)` and the square roots computed once (the per-path tables
/// evaluate one curve in every month): `at(z)` is bitwise `vasicek_conditional(p, rho, z)`.
#[derive(Debug, Clone, Copy)]
pub struct VasicekCurve {
    p: f64,
    probit: f64,
    sqrt_rho: f64,
    sqrt_idiosyncratic: f64,
}

impl VasicekCurve {
    /// The curve of probability `p` and correlation `rho`.
    pub fn new(p: f64, rho: f64) -> Self {
        VasicekCurve {
            p,
            probit: norm_inv(p),
            sqrt_rho: rho.sqrt(),
            sqrt_idiosyncratic: (1.0 - rho).sqrt(),
        }
    }

    /// The conditional probability at factor `z` (0 for `p <= 0`, 1 for `p >= 1`).
    #[inline]
    pub fn at(&self, z: f64) -> f64 {
        if self.p <= 0.0 {
            return 0.0;
        }
        if self.p >= 1.0 {
            return 1.0;
        }
        norm_cdf((self.probit - self.sqrt_rho * z) / self.sqrt_idiosyncratic)
    }
}

/// Large homogeneous portfolio loss-fraction quantile (Vasicek / Basel IRB):
///
/// # Formula
/// `L_q = LGD Phi((Phi^-1(PD) + sqrt(rho) Phi^-1(q)) / sqrt(1 - rho))`.
pub fn vasicek_loss_quantile(pd: f64, rho: f64, lgd: f64, q: f64) -> f64 {
    lgd * norm_cdf((norm_inv(pd) + rho.sqrt() * norm_inv(q)) / (1.0 - rho).sqrt())
}

/// Large homogeneous portfolio expected shortfall of the loss fraction at
/// level `q` (Vasicek): the mean loss over the worst `1 - q` of factor draws.
///
/// # Formula
/// The loss `LGD Phi((Phi^-1(PD) - sqrt(rho) z) / sqrt(1 - rho))` falls as the
/// factor `z ~ N(0, 1)` rises, so the tail is `z <= -Phi^-1(q)` and
/// `ES_q = LGD / (1 - q) * integral_{-inf}^{-Phi^-1(q)} Phi((Phi^-1(PD) - sqrt(rho) z) / sqrt(1 - rho)) phi(z) dz`,
/// computed by composite Simpson on `[-12, -Phi^-1(q)]` (4,096 intervals;
/// the mass below -12 is under 1e-32).
pub fn vasicek_loss_es(pd: f64, rho: f64, lgd: f64, q: f64) -> f64 {
    let curve = VasicekCurve::new(pd, rho);
    let density = |z: f64| (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
    let f = |z: f64| curve.at(z) * density(z);
    let (a, b) = (-12.0, -norm_inv(q));
    let n = 4096;
    let h = (b - a) / n as f64;
    let inner: f64 = (1..n)
        .map(|i| {
            let weight = if i % 2 == 1 { 4.0 } else { 2.0 };
            weight * f(a + i as f64 * h)
        })
        .sum();
    let integral = h / 3.0 * (f(a) + inner + f(b));
    lgd * integral / (1.0 - q)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        assert!((norm_cdf(0.0) - 0.5).abs() < 1e-15);
        // statrs' erfc is good to about 1e-12 absolute here, far below Monte Carlo error.
        assert!((norm_cdf(1.959963984540054) - 0.975).abs() < 5e-12);
        assert!((norm_inv(0.975) - 1.959963984540054).abs() < 1e-9);
        assert!((norm_inv(0.02) + 2.053748910631823).abs() < 1e-9);
        for p in [1e-10, 0.001, 0.3, 0.5, 0.77, 0.999] {
            assert!((norm_cdf(norm_inv(p)) - p).abs() < 1e-9 * p, "{p}");
        }
    }

    #[test]
    fn vasicek_at_zero_factor_with_zero_rho_is_the_pd() {
        assert!((vasicek_conditional(0.02, 0.0, 1.3) - 0.02).abs() < 1e-12);
        // PD 2%, rho 0.15, q 0.999, LGD 1 (value from Python statistics.NormalDist).
        let l = vasicek_loss_quantile(0.02, 0.15, 1.0, 0.999);
        assert!((l - 0.176_328_939_146_198).abs() < 1e-10, "{l}");
    }
}
