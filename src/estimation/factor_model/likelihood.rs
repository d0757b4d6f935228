//! The factor model's log-likelihood for one path of months, integrated
//! over the unobserved factor path by a forward (hidden-Markov) filter on
//! a grid, and its gradient and the factor's posterior from the
//! forward-backward pass.
//!
//! Given `z_t`, month `t`'s counts are independent multinomials, so its
//! emission is `e_t(z) = prod_g p^d pi^k (1 - p - pi)^(n - d - k) prod_b
//! roll^r cure^c stay^(n - r - c)` (the multinomial coefficients do not
//! involve the parameters and are dropped). The likelihood of a path is
//! `int N(z_1) e_1(z_1) prod_{t>1} f(z_t | z_t-1) e_t(z_t) dz` with `f` the
//! AR(1) kernel `N(phi z_t-1, 1 - phi^2)`.
//!
//! With thousands of loans a month, `e_t` is far narrower in `z` than the
//! factor's law (a standard deviation of 0.05 against 1), so a grid fixed
//! on [-6, 6] would need hundreds of nodes. Each month gets its own evenly
//! spaced grid instead, centred on the mode of `e_t(z) N(z)` and `±8`
//! of its Laplace standard deviations wide, with a spacing of at most half
//! that deviation and of the kernel's `sqrt(1 - phi^2)`. The integrals are
//! then trapezoid sums, whose error for such smooth, fast-decaying
//! integrands falls like `exp(-2 pi^2 (sd / h)^2)`: below `1e-30` here.
//! Grids are built at one parameter point and held while the optimiser
//! moves (so the likelihood it sees is one smooth function, with the exact
//! gradient below), then rebuilt at the optimum until nothing changes.

use super::MonthCounts;
use super::params::{Layout, Model};
use crate::stats::normal::{norm_cdf, norm_pdf};

/// Half-width of a month's grid in Laplace standard deviations.
const GRID_HALF_WIDTH_SD: f64 = 8.0;
/// Nodes per standard deviation of the narrowest integrand.
const NODES_PER_SD: f64 = 2.0;
/// Bounds on a month's nodes.
const MIN_NODES: usize = 21;
const MAX_NODES: usize = 241;
/// The factor range searched for the mode.
const SEARCH_HALF_WIDTH: f64 = 6.0;

/// One month's quadrature nodes (evenly spaced by `h`).
#[derive(Debug, Clone)]
pub(crate) struct MonthGrid {
    pub nodes: Vec<f64>,
    pub h: f64,
}

/// One month's outcome counts `(n1, n2, n_stay)` when the engine carves the
/// first outcome (probability `p1`) and then the second (`p2`, capped at
/// `1 - p1`) from one uniform: the multinomial log-likelihood and its
/// derivatives in `p1` and `p2` (0 in `p2` when the cap binds). `None` when
/// the cap leaves nothing to stay in but some stayed.
fn carved_trinomial(n1: f64, p1: f64, n2: f64, p2: f64, n_stay: f64) -> Option<(f64, f64, f64)> {
    if p2 < 1.0 - p1 {
        let stay = 1.0 - p1 - p2;
        Some((
            xlogy(n1, p1) + xlogy(n2, p2) + xlogy(n_stay, stay),
            ratio(n1, p1) - ratio(n_stay, stay),
            ratio(n2, p2) - ratio(n_stay, stay),
        ))
    } else if n_stay > 0.0 {
        None
    } else {
        Some((
            xlogy(n1, p1) + xlogy(n2, 1.0 - p1),
            ratio(n1, p1) - ratio(n2, 1.0 - p1),
            0.0,
        ))
    }
}

/// `count * ln p`, with `0 ln 0 = 0`.
fn xlogy(count: f64, p: f64) -> f64 {
    if count == 0.0 { 0.0 } else { count * p.ln() }
}

/// `count / p`, with `0 / 0 = 0`.
fn ratio(count: f64, p: f64) -> f64 {
    if count == 0.0 { 0.0 } else { count / p }
}

/// `ln e_t(z)`; with `grad`, also adds its gradient with respect to the full
/// unconstrained vector into `grad` (the phi entry is left alone).
///
/// # Formula
/// Grade `g`: `u = (a_g - sqrt(rho) z) / sqrt(1 - rho)`, `p = Phi(u)`,
/// prepayment `min(pi, 1 - p)`; `d ln p / d a_g = phi(u) / (p sqrt(1 - rho))` and,
/// with `rho = logit^-1(y)`, `d u / d y = (rho u - sqrt(rho (1 - rho)) z) / 2`.
/// Buckets likewise with `+ sqrt(s_cure) z` in the cure probit.
pub(crate) fn log_emission(
    model: &Model,
    layout: &Layout,
    month: &MonthCounts,
    z: f64,
    mut grad: Option<&mut [f64]>,
) -> f64 {
    let mut total = 0.0;
    let (s, q) = (model.rho.sqrt(), (1.0 - model.rho).sqrt());
    let pi = model.prepay;
    for (g, c) in month.current.iter().enumerate() {
        if c.at_risk == 0 {
            continue;
        }
        let (d, k) = (c.missed as f64, c.prepaid as f64);
        let r = c.at_risk as f64 - d - k;
        let u = (model.miss_probit[g] - s * z) / q;
        let p = norm_cdf(u);
        // Miss and prepayment share one uniform: prepayment takes what is left.
        let Some((log, dp, dpi)) = carved_trinomial(d, p, k, pi, r) else {
            return f64::NEG_INFINITY;
        };
        total += log;
        if let Some(grad) = grad.as_deref_mut() {
            let density = norm_pdf(u);
            grad[g] += dp * density / q;
            grad[layout.rho()] += dp * density * 0.5 * (model.rho * u - s * q * z);
            grad[layout.prepay()] += dpi * norm_pdf(model.prepay_probit);
        }
    }
    if !model.buckets {
        return total;
    }
    let (sr, qr) = (model.s_roll.sqrt(), (1.0 - model.s_roll).sqrt());
    let (sc, qc) = (model.s_cure.sqrt(), (1.0 - model.s_cure).sqrt());
    for (b, c) in month.buckets.iter().enumerate() {
        if c.at_risk == 0 {
            continue;
        }
        let (nr, nc) = (c.rolled as f64, c.cured as f64);
        let ns = c.at_risk as f64 - nr - nc;
        let v = (model.roll_probit[b] - sr * z) / qr;
        let w = (model.cure_probit[b] + sc * z) / qc;
        let (roll, cure) = (norm_cdf(v), norm_cdf(w));
        // The engine caps the cure at 1 - roll.
        let Some((log, droll, dcure)) = carved_trinomial(nr, roll, nc, cure, ns) else {
            return f64::NEG_INFINITY;
        };
        total += log;
        if let Some(grad) = grad.as_deref_mut() {
            let (fv, fw) = (norm_pdf(v), norm_pdf(w));
            grad[layout.roll(b)] += droll * fv / qr;
            grad[layout.roll_sensitivity()] += droll * fv * 0.5 * (model.s_roll * v - sr * qr * z);
            grad[layout.cure(b)] += dcure * fw / qc;
            grad[layout.cure_sensitivity()] += dcure * fw * 0.5 * (model.s_cure * w + sc * qc * z);
        }
    }
    total
}

/// The grid for one month at `model`: the mode of `ln e(z) - z^2 / 2` by a
/// scan that zooms in until its spacing resolves the peak, its Laplace
/// standard deviation from the parabola through the top three points.
pub(crate) fn build_grid(model: &Model, layout: &Layout, month: &MonthCounts) -> MonthGrid {
    let target = |z: f64| log_emission(model, layout, month, z, None) - 0.5 * z * z;
    let (mut lo, mut hi) = (-SEARCH_HALF_WIDTH, SEARCH_HALF_WIDTH);
    let (mut mode, mut sd) = (0.0, 1.0f64);
    for _ in 0..6 {
        let n = 41;
        let step = (hi - lo) / (n - 1) as f64;
        let values: Vec<f64> = (0..n).map(|i| target(lo + i as f64 * step)).collect();
        let Some(best) = (0..n)
            .filter(|&i| values[i].is_finite())
            .max_by(|&a, &b| values[a].total_cmp(&values[b]))
        else {
            break;
        };
        mode = lo + best as f64 * step;
        if best == 0 || best == n - 1 || !values[best - 1].is_finite() || !values[best + 1].is_finite() {
            // A mode at the edge of the range or against an impossible
            // region: keep the scan's resolution as the scale.
            sd = sd.min(step.max(1e-6));
            break;
        }
        let (l, c, r) = (values[best - 1], values[best], values[best + 1]);
        let curvature = (l - 2.0 * c + r) / (step * step);
        if curvature < 0.0 {
            mode -= step * (r - l) / (2.0 * (l - 2.0 * c + r));
            sd = (-1.0 / curvature).sqrt().min(1.0);
        }
        if step <= 0.25 * sd {
            break;
        }
        // Zoom to a window a few deviations (and at least two old steps) wide.
        let half = (6.0 * sd).max(2.0 * step);
        lo = mode - half;
        hi = mode + half;
    }
    let kernel_sd = (1.0 - model.phi * model.phi).sqrt();
    let h = sd.min(kernel_sd) / NODES_PER_SD;
    let half_width = GRID_HALF_WIDTH_SD * sd;
    let half = ((half_width / h).ceil() as usize).clamp(MIN_NODES / 2, MAX_NODES / 2);
    let h = half_width / half as f64;
    MonthGrid {
        nodes: (0..=2 * half).map(|i| mode + (i as f64 - half as f64) * h).collect(),
        h,
    }
}

/// What one path contributes.
#[derive(Debug, Clone)]
pub(crate) struct PathLikelihood {
    /// `ln L` of the path (`-inf` where the counts are impossible).
    pub log_likelihood: f64,
    /// Gradient of `ln L` in the full unconstrained coordinates (with `smooth`).
    pub gradient: Vec<f64>,
    /// Posterior mean and standard deviation of `z_t` (with `smooth`).
    pub factor_mean: Vec<f64>,
    pub factor_sd: Vec<f64>,
}

/// The forward pass over `months` on `grids`, and with `smooth` the
/// backward pass: the gradient by Fisher's identity (the posterior mean of
/// the complete-data score, which on fixed nodes is the exact gradient of
/// the trapezoid sum) and the factor's posterior moments.
pub(crate) fn path_likelihood(
    model: &Model,
    layout: &Layout,
    months: &[MonthCounts],
    grids: &[MonthGrid],
    smooth: bool,
) -> PathLikelihood {
    let width = layout.len();
    let impossible = || PathLikelihood {
        log_likelihood: f64::NEG_INFINITY,
        gradient: vec![0.0; width],
        factor_mean: vec![f64::NAN; months.len()],
        factor_sd: vec![f64::NAN; months.len()],
    };
    let phi = model.phi;
    let var = 1.0 - phi * phi;
    let norm = 1.0 / (2.0 * std::f64::consts::PI * var).sqrt();
    let mut log_likelihood = 0.0;
    // Per month: scaled emissions, their gradients, filtered weights, kernels, scales.
    let mut emissions: Vec<Vec<f64>> = Vec::with_capacity(months.len());
    let mut scores: Vec<Vec<f64>> = Vec::with_capacity(if smooth { months.len() } else { 0 });
    let mut alphas: Vec<Vec<f64>> = Vec::with_capacity(months.len());
    let mut kernels: Vec<Vec<f64>> = Vec::with_capacity(months.len());
    let mut scales: Vec<f64> = Vec::with_capacity(months.len());
    for (t, (month, grid)) in months.iter().zip(grids).enumerate() {
        let k = grid.nodes.len();
        let mut log_e = vec![0.0; k];
        let mut score = if smooth { vec![0.0; k * width] } else { Vec::new() };
        for (j, &z) in grid.nodes.iter().enumerate() {
            log_e[j] = if smooth {
                log_emission(model, layout, month, z, Some(&mut score[j * width..(j + 1) * width]))
            } else {
                log_emission(model, layout, month, z, None)
            };
        }
        let top = log_e.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if top == f64::NEG_INFINITY {
            return impossible();
        }
        let e: Vec<f64> = log_e.iter().map(|&l| (l - top).exp() * grid.h).collect();
        let mut alpha = vec![0.0; k];
        let mut kernel = Vec::new();
        if t == 0 {
            for j in 0..k {
                alpha[j] = e[j] * norm_pdf(grid.nodes[j]);
            }
        } else {
            let previous = &grids[t - 1].nodes;
            let prior = &alphas[t - 1];
            kernel = vec![0.0; previous.len() * k];
            for (i, &zi) in previous.iter().enumerate() {
                let row = &mut kernel[i * k..(i + 1) * k];
                for (j, &zj) in grid.nodes.iter().enumerate() {
                    let gap = zj - phi * zi;
                    row[j] = norm * (-0.5 * gap * gap / var).exp();
                }
                let a = prior[i];
                if a != 0.0 {
                    for j in 0..k {
                        alpha[j] += a * row[j];
                    }
                }
            }
            for j in 0..k {
                alpha[j] *= e[j];
            }
        }
        let c: f64 = alpha.iter().sum();
        if c.is_nan() || c <= 0.0 || c.is_infinite() {
            return impossible();
        }
        alpha.iter_mut().for_each(|a| *a /= c);
        log_likelihood += top + c.ln();
        emissions.push(e);
        if smooth {
            scores.push(score);
        }
        alphas.push(alpha);
        kernels.push(kernel);
        scales.push(c);
    }
    if !smooth {
        return PathLikelihood {
            log_likelihood,
            gradient: Vec::new(),
            factor_mean: Vec::new(),
            factor_sd: Vec::new(),
        };
    }
    let months_n = months.len();
    let mut gradient = vec![0.0; width];
    let mut factor_mean = vec![0.0; months_n];
    let mut factor_sd = vec![0.0; months_n];
    let mut beta = vec![1.0; grids[months_n - 1].nodes.len()];
    for t in (0..months_n).rev() {
        let nodes = &grids[t].nodes;
        let k = nodes.len();
        // Smoothed weights gamma_t = alpha_t beta_t (sum to 1 by the scaling).
        let (mut mean, mut second) = (0.0, 0.0);
        for j in 0..k {
            let gamma = alphas[t][j] * beta[j];
            if gamma == 0.0 {
                continue;
            }
            mean += gamma * nodes[j];
            second += gamma * nodes[j] * nodes[j];
            let score = &scores[t][j * width..(j + 1) * width];
            for (g, s) in gradient.iter_mut().zip(score) {
                *g += gamma * s;
            }
        }
        factor_mean[t] = mean;
        factor_sd[t] = (second - mean * mean).max(0.0).sqrt();
        if t == 0 {
            break;
        }
        // Pair weights xi(i, j) = alpha_t-1(i) f_ij e_t(j) beta_t(j) / c_t: the
        // phi score, and beta_t-1.
        let previous = &grids[t - 1].nodes;
        let weighted: Vec<f64> = (0..k).map(|j| emissions[t][j] * beta[j] / scales[t]).collect();
        let mut next_beta = vec![0.0; previous.len()];
        let mut phi_score = 0.0;
        for (i, &zi) in previous.iter().enumerate() {
            let row = &kernels[t][i * k..(i + 1) * k];
            let mut b = 0.0;
            let mut s = 0.0;
            for j in 0..k {
                let w = row[j] * weighted[j];
                b += w;
                let gap = nodes[j] - phi * zi;
                // d ln f / d atanh(phi) = phi + gap z_i - gap^2 phi / (1 - phi^2).
                s += w * (phi + gap * zi - gap * gap * phi / var);
            }
            next_beta[i] = b;
            phi_score += alphas[t - 1][i] * s;
        }
        gradient[layout.phi()] += phi_score;
        beta = next_beta;
    }
    PathLikelihood {
        log_likelihood,
        gradient,
        factor_mean,
        factor_sd,
    }
}
