//! Importance sampling of the systematic factor: a mean shift of the
//! factor's standard normal innovations towards the loss tail, mixed with
//! the model's own law (defensive importance sampling, Hesterberg 1995).
//!
//! Each path is drawn from the own law `p` with probability `a` (the plain
//! share) and from the shifted law `q` (innovations `eps ~ N(mu, I)`) with
//! probability `1 - a`, chosen by a keyed uniform so the choice depends only
//! on (seed, path). Every path, whichever law drew it, carries the weight
//!
//! `w = p(eps) / (a p(eps) + (1 - a) q(eps)) = 1 / (a + (1 - a) exp(mu.eps - |mu|^2 / 2))`,
//!
//! the exact likelihood ratio of the mixture, so `E_mix[w f] = E_p[f]` for
//! any figure `f`, and `w <= 1 / a`: no path can weigh more than a plain
//! path counted `1 / a` times. A path drawn plain is bitwise the path of a
//! plain run with the same index.

use serde::{Deserialize, Serialize};

use crate::engine::streams::{Purpose, item_rng, stream_key};
use rand::RngExt;

/// The shift of the factor innovations and the mixture's plain share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tilt {
    /// `shift[t][k]`: the mean of innovation `eps_{k,t}` on a shifted path
    /// (month-major, as [`super::innovations`] orders them).
    pub shift: Vec<Vec<f64>>,
    /// Share of paths drawn from the model's own law.
    pub plain_share: f64,
}

impl Tilt {
    /// The shift of innovation `k` in month `t`.
    pub fn shift_at(&self, k: usize, t: usize) -> f64 {
        self.shift[t][k]
    }

    /// `|mu|^2`.
    pub fn norm_squared(&self) -> f64 {
        self.shift.iter().flatten().map(|m| m * m).sum()
    }

    /// Whether path `path` is drawn from the shifted law (a keyed uniform
    /// against the plain share: the same on any thread or shard).
    pub fn shifts_path(&self, seed: u64, path: u64) -> bool {
        let u: f64 = item_rng(stream_key(seed, path, Purpose::Sampling), 0).random();
        u >= self.plain_share
    }

    /// The mixture weight `1 / (a + (1 - a) exp(log_ratio))` of a path whose
    /// innovations have `log(q / p) = log_ratio`, computed without overflow.
    pub fn weight(&self, log_ratio: f64) -> f64 {
        let a = self.plain_share;
        if log_ratio > 0.0 {
            let e = (-log_ratio).exp();
            e / (a * e + (1.0 - a))
        } else {
            1.0 / (a + (1.0 - a) * log_ratio.exp())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_are_the_mixture_likelihood_ratio_and_bounded() {
        let tilt = Tilt {
            shift: vec![vec![3.0]],
            plain_share: 0.25,
        };
        for x in [-5.0, -1.0, 0.0, 1.5, 3.0, 8.0, 40.0] {
            let log_ratio = 3.0 * x - 4.5;
            let direct = 1.0 / (0.25 + 0.75 * f64::exp(log_ratio));
            assert!((tilt.weight(log_ratio) - direct).abs() <= 1e-12 * direct, "x = {x}");
            assert!(tilt.weight(log_ratio) <= 4.0);
        }
        assert!(tilt.weight(1e6) >= 0.0 && tilt.weight(-1e6) == 4.0);
    }

    #[test]
    fn the_plain_share_of_paths_is_drawn_plain() {
        let tilt = Tilt {
            shift: vec![vec![1.0]],
            plain_share: 0.25,
        };
        let n = 20_000;
        let plain = (0..n).filter(|&i| !tilt.shifts_path(7, i)).count() as f64;
        // Binomial(20,000, 0.25): sd 61.
        assert!((plain - 5_000.0).abs() < 4.0 * 61.3, "{plain}");
    }
}
