//! Stopping at a target precision: a run adds paths in fixed blocks and,
//! at each block boundary only, checks the relative half-width of one
//! measure's 95% interval. Checking at boundaries fixed by path index makes
//! the stopping point, and so every result, the same for any thread count.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::normal::norm_inv;
use super::risk::{VAR_CI_LEVEL, level_key};
use super::weighted::PathWeights;

/// Paths added between two precision checks.
pub const BLOCK_PATHS: u64 = 1_000;

/// Which measure's interval a target is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Measure {
    /// Expected loss (mean).
    El,
    /// Value at risk.
    Var,
    /// Expected shortfall.
    Es,
}

/// `measure:level:relative_half_width`, e.g. `es:0.999:0.02`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PrecisionTarget {
    /// The measure.
    pub measure: Measure,
    /// Its level (ignored for `el`, written `el:0:0.01` or `el:0.01`).
    pub level: f64,
    /// Largest accepted half-width of its 95% interval, relative to the estimate.
    pub relative_half_width: f64,
}

/// A target that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "--target {given:?}: {problem} (write measure:level:relative_half_width, e.g. es:0.999:0.02, var:0.99:0.01 or el:0.005)"
)]
pub struct TargetError {
    given: String,
    problem: String,
}

impl PrecisionTarget {
    /// Parses `var:0.99:0.01`, `es:0.999:0.02` or `el:0.005`.
    pub fn parse(text: &str) -> Result<Self, TargetError> {
        let fail = |problem: &str| TargetError {
            given: text.to_string(),
            problem: problem.to_string(),
        };
        let parts: Vec<&str> = text.split(':').collect();
        let number = |s: &str, what: &str| {
            s.trim()
                .parse::<f64>()
                .map_err(|_| fail(&format!("{what} {s:?} is not a number")))
        };
        let (measure, level, width) = match parts.as_slice() {
            [m, w] if m.eq_ignore_ascii_case("el") => (Measure::El, 0.0, number(w, "the half-width")?),
            [m, q, w] => {
                let measure = match m.to_ascii_lowercase().as_str() {
                    "el" => Measure::El,
                    "var" => Measure::Var,
                    "es" => Measure::Es,
                    other => return Err(fail(&format!("unknown measure {other:?}, expected el, var or es"))),
                };
                (measure, number(q, "the level")?, number(w, "the half-width")?)
            }
            [_, _] => return Err(fail("var and es take three fields, measure:level:width")),
            _ => return Err(fail("expected two or three fields separated by ':'")),
        };
        if measure != Measure::El && !(level > 0.0 && level < 1.0) {
            return Err(fail(&format!("the level must be in (0, 1), got {level}")));
        }
        if !(width > 0.0 && width < 1.0) {
            return Err(fail(&format!("the relative half-width must be in (0, 1), got {width}")));
        }
        Ok(PrecisionTarget {
            measure,
            level,
            relative_half_width: width,
        })
    }

    /// The relative half-width of the measure's 95% interval on `losses`
    /// (in path order, counted by `weights`); `None` while it has no
    /// interval (a VaR bound beyond the sample, fewer than two ES tail
    /// paths) or a zero estimate.
    pub fn reached(&self, losses: &[f64], weights: PathWeights) -> Option<f64> {
        let levels = [if self.measure == Measure::El { 0.5 } else { self.level }];
        let r = weights.risk_measures(losses, &levels);
        let key = level_key(levels[0]);
        let (estimate, lo, hi) = match self.measure {
            Measure::El => {
                let z = norm_inv(0.5 + VAR_CI_LEVEL / 2.0);
                (r.mean, r.mean - z * r.stderr, r.mean + z * r.stderr)
            }
            Measure::Var => {
                let [lo, hi] = *r.var_ci.get(&key)?;
                (r.var[&key], lo?, hi?)
            }
            Measure::Es => {
                let [lo, hi] = (*r.es_ci.get(&key)?)?;
                (r.es[&key], lo, hi)
            }
        };
        (estimate > 0.0).then(|| (hi - lo) / 2.0 / estimate)
    }
}

/// Why a targeted run stopped, and where.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PrecisionReport {
    /// The target as given.
    pub target: PrecisionTarget,
    /// The relative half-width reached (`null` if the measure never had an interval).
    pub reached: Option<f64>,
    /// Paths run.
    pub paths: u64,
    /// `target reached` or `max paths reached`.
    pub stopped: String,
}

/// Where the checks fall for a run of at most `max_paths`: every
/// [`BLOCK_PATHS`] and at `max_paths`.
pub fn checkpoints(max_paths: u64) -> Vec<u64> {
    let mut points: Vec<u64> = (1..).map(|k| k * BLOCK_PATHS).take_while(|&p| p < max_paths).collect();
    points.push(max_paths);
    points
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_and_bad_ones_say_why() {
        let t = PrecisionTarget::parse("es:0.999:0.02").unwrap();
        assert_eq!((t.measure, t.level, t.relative_half_width), (Measure::Es, 0.999, 0.02));
        assert_eq!(PrecisionTarget::parse("el:0.005").unwrap().measure, Measure::El);
        for bad in ["es", "cvar:0.99:0.1", "var:1.5:0.1", "var:0.99:0", "var:x:0.1"] {
            let e = PrecisionTarget::parse(bad).unwrap_err().to_string();
            assert!(e.contains(bad) && e.contains("e.g."), "{e}");
        }
        assert_eq!(checkpoints(2_500), vec![1_000, 2_000, 2_500]);
        assert_eq!(checkpoints(1_000), vec![1_000]);
    }

    #[test]
    fn precision_shrinks_with_paths_and_is_open_without_an_interval() {
        let losses: Vec<f64> = (0..20_000).map(|i| 1.0 + ((i * 7919) % 10_007) as f64).collect();
        let t = PrecisionTarget::parse("var:0.99:0.01").unwrap();
        let small = t.reached(&losses[..2_000], PathWeights::Equal).unwrap();
        let large = t.reached(&losses, PathWeights::Equal).unwrap();
        assert!(large < small, "{large} vs {small}");
        // 500 paths cannot bound VaR 99.9% from above.
        assert_eq!(
            PrecisionTarget::parse("var:0.999:0.01")
                .unwrap()
                .reached(&losses[..500], PathWeights::Equal),
            None
        );
    }
}
