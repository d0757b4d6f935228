//! Root finding for reverse stress tests: the parameter value at which a
//! Monte Carlo figure crosses a target, on common random numbers (so the
//! figure is a fixed function of the parameter and a bracketing method
//! converges), with the root's Monte Carlo interval.

use serde::{Deserialize, Serialize};

/// One evaluation: the parameter, the figure and its standard error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Parameter value.
    pub x: f64,
    /// The figure at it.
    pub value: f64,
    /// Its Monte Carlo standard error.
    pub stderr: f64,
}

/// The root and how it was found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Root {
    /// The parameter value where the figure crosses the target (linear
    /// interpolation within the final bracket).
    pub x: f64,
    /// 95% interval of the root from the Monte Carlo error of the figure:
    /// `x -+ 1.96 se / |slope|`, the slope between the nearest evaluations on
    /// either side of the root whose figures differ by at least two standard
    /// errors (see [`slope_pair`]).
    pub ci: [f64; 2],
    /// The final bracket `[lo, hi]` (the figure's sign differs at its ends).
    pub bracket: [f64; 2],
    /// Every evaluation, in order.
    pub evaluations: Vec<Evaluation>,
    /// Whether the bracket shrank below the tolerance (else the evaluation budget ran out).
    pub converged: bool,
}

/// Why no root was found.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RootError<E> {
    /// The figure minus the target has the same sign at both ends.
    #[error(
        "the figure does not cross the target between {lo} and {hi}: it is {f_lo} above the target at {lo} and {f_hi} at {hi} (widen the bracket)"
    )]
    NotBracketed {
        /// Lower end.
        lo: f64,
        /// Upper end.
        hi: f64,
        /// Figure minus target at `lo`.
        f_lo: f64,
        /// Figure minus target at `hi`.
        f_hi: f64,
    },
    /// An evaluation failed.
    #[error("{0}")]
    Evaluation(E),
}

/// Finds where `evaluate(x).value` crosses `target` in `[lo, hi]` by the
/// Illinois variant of regula falsi (superlinear, and never worse than
/// bisection on a bracket), stopping when the bracket is narrower than
/// `tolerance` or after `max_evaluations`.
pub fn find_root<E>(
    mut evaluate: impl FnMut(f64) -> Result<Evaluation, E>,
    target: f64,
    lo: f64,
    hi: f64,
    tolerance: f64,
    max_evaluations: usize,
) -> Result<Root, RootError<E>> {
    let mut evaluations = Vec::new();
    let mut eval = |x: f64, evaluations: &mut Vec<Evaluation>| -> Result<f64, RootError<E>> {
        let e = evaluate(x).map_err(RootError::Evaluation)?;
        evaluations.push(e);
        Ok(e.value - target)
    };
    let (mut a, mut b) = (lo, hi);
    let (mut fa, mut fb) = (eval(a, &mut evaluations)?, eval(b, &mut evaluations)?);
    if fa == 0.0 || fb == 0.0 {
        let x = if fa == 0.0 { a } else { b };
        return Ok(finish(x, [a, b], evaluations, true));
    }
    if fa.signum() == fb.signum() {
        return Err(RootError::NotBracketed {
            lo,
            hi,
            f_lo: fa,
            f_hi: fb,
        });
    }
    // Which end was kept last time (for the Illinois halving).
    let mut side = 0i8;
    let mut converged = false;
    while evaluations.len() < max_evaluations {
        if (b - a).abs() <= tolerance {
            converged = true;
            break;
        }
        let mut c = (a * fb - b * fa) / (fb - fa);
        // Guard against a step that falls on (or outside) the bracket's ends.
        if !(c > a.min(b) && c < a.max(b)) {
            c = 0.5 * (a + b);
        }
        let fc = eval(c, &mut evaluations)?;
        if fc == 0.0 {
            a = c;
            b = c;
            fa = 0.0;
            fb = 0.0;
            converged = true;
            break;
        }
        if fc.signum() == fb.signum() {
            b = c;
            fb = fc;
            if side == -1 {
                fa /= 2.0;
            }
            side = -1;
        } else {
            a = c;
            fa = fc;
            if side == 1 {
                fb /= 2.0;
            }
            side = 1;
        }
    }
    if (b - a).abs() <= tolerance {
        converged = true;
    }
    let x = if fa == fb { a } else { (a * fb - b * fa) / (fb - fa) };
    Ok(finish(x, [a.min(b), a.max(b)], evaluations, converged))
}

fn finish(x: f64, bracket: [f64; 2], evaluations: Vec<Evaluation>, converged: bool) -> Root {
    let ci = match slope_pair(x, &evaluations) {
        Some((p, q)) => {
            let slope = (q.value - p.value) / (q.x - p.x);
            let se = p.stderr.max(q.stderr);
            if slope != 0.0 && slope.is_finite() {
                let half = 1.96 * se / slope.abs();
                [x - half, x + half]
            } else {
                [f64::NEG_INFINITY, f64::INFINITY]
            }
        }
        None => [x, x],
    };
    Root {
        x,
        ci,
        bracket,
        evaluations,
        converged,
    }
}

/// The two evaluations the root's slope is read from: the nearest on either
/// side of `x`, widened outwards (the nearer next one first) until their
/// figures differ by at least two standard errors. A figure that moves in
/// steps (a VaR on finite paths: each path's loss jumps as the parameter
/// crosses a loan's default threshold) is then not read as infinitely steep
/// across a bracket narrower than its steps, which would make the interval
/// far too narrow. Without evaluations on both sides, the two nearest.
fn slope_pair(x: f64, evaluations: &[Evaluation]) -> Option<(Evaluation, Evaluation)> {
    let mut below: Vec<Evaluation> = evaluations.iter().copied().filter(|e| e.x <= x).collect();
    let mut above: Vec<Evaluation> = evaluations.iter().copied().filter(|e| e.x > x).collect();
    below.sort_by(|p, q| q.x.total_cmp(&p.x));
    above.sort_by(|p, q| p.x.total_cmp(&q.x));
    if below.is_empty() || above.is_empty() {
        let mut near: Vec<Evaluation> = evaluations.to_vec();
        near.sort_by(|p, q| (p.x - x).abs().total_cmp(&(q.x - x).abs()));
        let first = *near.first()?;
        let second = near.iter().skip(1).find(|e| e.x != first.x)?;
        return Some((first, *second));
    }
    let (mut i, mut j) = (0, 0);
    loop {
        let (p, q) = (below[i], above[j]);
        let apart = (q.value - p.value).abs() >= 2.0 * p.stderr.max(q.stderr);
        let (more_below, more_above) = (i + 1 < below.len(), j + 1 < above.len());
        if apart || !(more_below || more_above) {
            return Some((p, q));
        }
        // Widen on the side whose next evaluation is nearer the root.
        let step_below = more_below && (!more_above || x - below[i + 1].x <= above[j + 1].x - x);
        if step_below {
            i += 1;
        } else {
            j += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_root_of_a_smooth_monotone_figure_and_its_interval() {
        // f(x) = x^3 + x, target 10: root 2; slope there 13.
        let r = find_root(
            |x| {
                Ok::<_, ()>(Evaluation {
                    x,
                    value: x * x * x + x,
                    stderr: 0.13,
                })
            },
            10.0,
            0.0,
            5.0,
            1e-9,
            100,
        )
        .unwrap();
        assert!(r.converged && (r.x - 2.0).abs() < 1e-8, "{r:?}");
        assert!(r.evaluations.len() < 40, "{}", r.evaluations.len());
        // se 0.13 / slope 13 = 0.01, read off a secant over evaluations at
        // least 2 se apart in value: within 5% of 1.96 x 0.01.
        assert!(((r.ci[1] - r.ci[0]) / 2.0 / 0.0196 - 1.0).abs() < 0.05, "{:?}", r.ci);
    }

    #[test]
    fn a_target_outside_the_bracket_is_named() {
        let e = find_root(
            |x| {
                Ok::<_, String>(Evaluation {
                    x,
                    value: x,
                    stderr: 0.0,
                })
            },
            10.0,
            0.0,
            5.0,
            1e-6,
            50,
        )
        .unwrap_err();
        assert!(matches!(e, RootError::NotBracketed { .. }));
        assert!(e.to_string().contains("between 0 and 5"));
    }

    #[test]
    fn a_figure_that_moves_in_steps_is_not_read_as_infinitely_steep() {
        // f(x) = floor(100 x) / 100 (steps of 0.01), se 0.02, target 0.505:
        // the bracket closes on a jump, but the slope is read over evaluations
        // at least 0.04 apart in value, so it is about 1 and the half-width
        // about 1.96 * 0.02 = 0.039, not ~0.
        let r = find_root(
            |x| {
                Ok::<_, ()>(Evaluation {
                    x,
                    value: (100.0 * x).floor() / 100.0,
                    stderr: 0.02,
                })
            },
            0.505,
            0.0,
            1.0,
            1e-6,
            60,
        )
        .unwrap();
        let half = (r.ci[1] - r.ci[0]) / 2.0;
        assert!((0.51 - r.x).abs() < 0.01, "{r:?}");
        assert!(half > 0.02 && half < 0.06, "half-width {half}: {:?}", r.ci);
    }
}
