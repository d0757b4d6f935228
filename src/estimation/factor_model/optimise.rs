//! A small quasi-Newton minimiser (BFGS on the inverse Hessian with a
//! backtracking Armijo line search) and a central-difference Hessian from
//! the gradient. Written for a few dozen smooth coordinates of order 1.

/// Largest move of any coordinate in one step: keeps an early step, made
/// with a poor Hessian, from leaving the region the grids were built for.
const MAX_STEP: f64 = 1.0;
/// Armijo sufficient-decrease constant.
const ARMIJO: f64 = 1e-4;
/// Halvings of the step before the line search gives up.
const MAX_HALVINGS: usize = 40;

/// Where a minimisation ended.
#[derive(Debug, Clone)]
pub(crate) struct Minimum {
    pub x: Vec<f64>,
    pub value: f64,
    pub iterations: usize,
    /// The inverse-Hessian approximation at the end (to warm-start a rerun).
    pub inverse_hessian: Vec<Vec<f64>>,
    /// `None` if converged, else why it stopped.
    pub stopped: Option<String>,
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn mat_vec(m: &[Vec<f64>], v: &[f64]) -> Vec<f64> {
    m.iter().map(|row| dot(row, v)).collect()
}

fn scaled_identity(n: usize, scale: f64) -> Vec<Vec<f64>> {
    (0..n)
        .map(|i| (0..n).map(|j| if i == j { scale } else { 0.0 }).collect())
        .collect()
}

/// Minimises `f` from `x0`; `value(x)` gives `f`, `value_gradient(x)` gives
/// `f` and its gradient. Stops when the predicted decrease `g^T H g / 2`
/// is below `tolerance`.
pub(crate) fn bfgs(
    value: impl Fn(&[f64]) -> f64,
    value_gradient: impl Fn(&[f64]) -> (f64, Vec<f64>),
    x0: &[f64],
    warm_inverse_hessian: Option<Vec<Vec<f64>>>,
    tolerance: f64,
    max_iterations: usize,
) -> Minimum {
    let n = x0.len();
    let mut x = x0.to_vec();
    let (mut f, mut g) = value_gradient(&x);
    let fresh = |g: &[f64]| {
        // First step of at most MAX_STEP along the steepest descent.
        let gmax = g.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        scaled_identity(n, if gmax > 0.0 { MAX_STEP / gmax } else { 1.0 })
    };
    let mut h = warm_inverse_hessian
        .filter(|m| m.len() == n)
        .unwrap_or_else(|| fresh(&g));
    let mut first_update = true;
    let mut stopped = None;
    let mut iterations = 0;
    if !f.is_finite() {
        return Minimum {
            x,
            value: f,
            iterations,
            inverse_hessian: h,
            stopped: Some("the log-likelihood is not finite at the starting point".into()),
        };
    }
    while iterations < max_iterations {
        let mut d: Vec<f64> = mat_vec(&h, &g).iter().map(|v| -v).collect();
        let mut slope = dot(&g, &d);
        if slope.is_nan() || slope >= 0.0 {
            // Not a descent direction: restart from steepest descent.
            h = fresh(&g);
            d = mat_vec(&h, &g).iter().map(|v| -v).collect();
            slope = dot(&g, &d);
            first_update = true;
        }
        if -0.5 * slope < tolerance {
            break;
        }
        iterations += 1;
        let longest = d.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let mut step = if longest > MAX_STEP { MAX_STEP / longest } else { 1.0 };
        let mut accepted = None;
        for _ in 0..MAX_HALVINGS {
            let trial: Vec<f64> = x.iter().zip(&d).map(|(xi, di)| xi + step * di).collect();
            let ft = value(&trial);
            if ft.is_finite() && ft <= f + ARMIJO * step * slope {
                accepted = Some(trial);
                break;
            }
            step *= 0.5;
        }
        let Some(trial) = accepted else {
            stopped = Some(format!(
                "the line search found no decrease (predicted decrease {:.3e})",
                -0.5 * slope
            ));
            break;
        };
        let (ft, gt) = value_gradient(&trial);
        let s: Vec<f64> = trial.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = gt.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &y);
        if sy > 1e-12 * dot(&s, &s).sqrt() * dot(&y, &y).sqrt() {
            if first_update {
                // Shanno-Phua: scale the initial matrix to the curvature seen.
                h = scaled_identity(n, sy / dot(&y, &y));
                first_update = false;
            }
            // H <- (I - r s y^T) H (I - r y s^T) + r s s^T, r = 1 / (y^T s).
            let r = 1.0 / sy;
            let hy = mat_vec(&h, &y);
            let yhy = dot(&y, &hy);
            for i in 0..n {
                for j in 0..n {
                    h[i][j] += -r * (hy[i] * s[j] + s[i] * hy[j]) + (r * r * yhy + r) * s[i] * s[j];
                }
            }
        }
        x = trial;
        f = ft;
        g = gt;
    }
    if iterations >= max_iterations && stopped.is_none() {
        stopped = Some(format!("reached the iteration limit of {max_iterations}"));
    }
    Minimum {
        x,
        value: f,
        iterations,
        inverse_hessian: h,
        stopped,
    }
}

/// Hessian of `f` at `x` by central differences of its gradient, step
/// `step` in every coordinate, symmetrised.
pub(crate) fn hessian(gradient: impl Fn(&[f64]) -> Vec<f64>, x: &[f64], step: f64) -> Vec<Vec<f64>> {
    let n = x.len();
    let mut columns = Vec::with_capacity(n);
    for j in 0..n {
        let mut up = x.to_vec();
        let mut down = x.to_vec();
        up[j] += step;
        down[j] -= step;
        let (gu, gd) = (gradient(&up), gradient(&down));
        columns.push(
            gu.iter()
                .zip(&gd)
                .map(|(a, b)| (a - b) / (2.0 * step))
                .collect::<Vec<f64>>(),
        );
    }
    (0..n)
        .map(|i| (0..n).map(|j| 0.5 * (columns[j][i] + columns[i][j])).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimises_the_rosenbrock_function() {
        let f = |x: &[f64]| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2);
        let fg = |x: &[f64]| {
            let g = vec![
                -2.0 * (1.0 - x[0]) - 400.0 * x[0] * (x[1] - x[0] * x[0]),
                200.0 * (x[1] - x[0] * x[0]),
            ];
            (f(x), g)
        };
        let m = bfgs(f, fg, &[-1.2, 1.0], None, 1e-14, 500);
        assert!(m.stopped.is_none(), "{:?}", m.stopped);
        assert!((m.x[0] - 1.0).abs() < 1e-5 && (m.x[1] - 1.0).abs() < 1e-5, "{:?}", m.x);
        let h = hessian(|x| fg(x).1, &m.x, 1e-5);
        // The exact Hessian at (1, 1) is [[802, -400], [-400, 200]].
        assert!((h[0][0] - 802.0).abs() < 1e-3 && (h[0][1] + 400.0).abs() < 1e-3 && (h[1][1] - 200.0).abs() < 1e-3);
    }
}
