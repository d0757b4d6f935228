//! The cohort (count) estimator of a monthly transition rate: of `n` loans
//! at risk in a state, `d` made the transition. The maximum-likelihood rate
//! is `d / n`; its interval is Wilson's score interval, which stays inside
//! [0, 1] and keeps close to its nominal coverage for rare events (a
//! Wald interval collapses to a point at `d = 0`).
//!
//! A state with several exits (a current loan misses, prepays or stays)
//! is a multinomial; [`cohort_rates`] treats each exit as a binomial
//! against all the others, which gives each exit's exact marginal interval.

use super::{Estimate, EstimationError, check_confidence, two_sided_quantile};

/// Wilson score interval for a binomial proportion.
///
/// # Formula
/// With `p = d / n` and `z = Phi^-1((1 + confidence) / 2)`:
/// `(p + z^2 / 2n ± z sqrt(p (1 - p) / n + z^2 / 4n^2)) / (1 + z^2 / n)`.
pub fn wilson_interval(events: u64, at_risk: u64, confidence: f64) -> Result<(f64, f64), EstimationError> {
    check_counts(events, at_risk, "cohort")?;
    check_confidence(confidence)?;
    let n = at_risk as f64;
    let p = events as f64 / n;
    let z = two_sided_quantile(confidence);
    let z2 = z * z;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = z / denominator * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    // At d = 0 or d = n one end is exactly 0 or 1; clamp the rounding.
    Ok(((centre - half).max(0.0), (centre + half).min(1.0)))
}

/// The cohort rate `d / n` with its binomial standard error
/// `sqrt(p (1 - p) / n)` and Wilson interval ([`wilson_interval`]).
pub fn cohort_rate(at_risk: u64, events: u64, confidence: f64) -> Result<Estimate, EstimationError> {
    let (lower, upper) = wilson_interval(events, at_risk, confidence)?;
    let n = at_risk as f64;
    let p = events as f64 / n;
    Ok(Estimate {
        value: p,
        std_error: (p * (1.0 - p) / n).sqrt(),
        lower,
        upper,
    })
}

/// The rates of the exits of one state: `events[k]` of `at_risk` took exit
/// `k` (the remainder stayed). Each is a [`cohort_rate`] of its own.
pub fn cohort_rates(at_risk: u64, events: &[u64], confidence: f64) -> Result<Vec<Estimate>, EstimationError> {
    let total = events.iter().try_fold(0u64, |s, &e| s.checked_add(e));
    match total {
        Some(t) => check_counts(t, at_risk, "cohort (all exits)")?,
        None => return Err(EstimationError::InvalidInput("event counts overflow u64".into())),
    }
    events.iter().map(|&d| cohort_rate(at_risk, d, confidence)).collect()
}

/// `events <= at_risk` and `at_risk > 0`.
fn check_counts(events: u64, at_risk: u64, cell: &str) -> Result<(), EstimationError> {
    if at_risk == 0 {
        return Err(EstimationError::TooFewObservations {
            what: "cohort rate",
            needed: 1,
            got: 0,
        });
    }
    if events > at_risk {
        return Err(EstimationError::EventsExceedAtRisk {
            cell: cell.to_string(),
            events,
            at_risk,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_and_standard_error_from_hand_counts() {
        // 12 of 400 loans missed: 3%, se sqrt(0.03 * 0.97 / 400) = 0.0085294.
        let e = cohort_rate(400, 12, 0.95).expect("valid counts");
        assert_eq!(e.value, 0.03);
        assert!(
            (e.std_error - 0.008_529_361_054_615_99).abs() < 1e-15,
            "{}",
            e.std_error
        );
        assert!(e.covers(0.03));
    }

    #[test]
    fn wilson_against_known_values() {
        // Values from Python's statistics.NormalDist with the same formula.
        let cases = [
            (10, 100, 0.95, 0.055_229_137_060_675_1, 0.174_365_661_504_913_45),
            (0, 10, 0.95, 0.0, 0.277_532_799_862_889_15),
            (45, 50, 0.99, 0.740_269_210_404_316, 0.966_009_116_221_581_6),
        ];
        for (d, n, c, lo, hi) in cases {
            let (l, u) = wilson_interval(d, n, c).expect("valid counts");
            assert!((l - lo).abs() < 1e-12 && (u - hi).abs() < 1e-12, "{d}/{n}: ({l}, {u})");
        }
        // All events: the interval ends at exactly 1.
        assert_eq!(wilson_interval(7, 7, 0.95).expect("valid").1, 1.0);
    }

    #[test]
    fn multinomial_exits_as_separate_binomials() {
        // 1000 current loans: 30 missed, 20 prepaid, 950 stayed.
        let r = cohort_rates(1000, &[30, 20], 0.95).expect("valid counts");
        assert_eq!(r[0].value, 0.03);
        assert_eq!(r[1].value, 0.02);
        assert_eq!(r[1], cohort_rate(1000, 20, 0.95).expect("valid"));
    }

    #[test]
    fn bad_counts_are_errors() {
        assert!(matches!(
            cohort_rate(5, 6, 0.95),
            Err(EstimationError::EventsExceedAtRisk {
                events: 6,
                at_risk: 5,
                ..
            })
        ));
        assert!(matches!(
            cohort_rates(10, &[6, 5], 0.95),
            Err(EstimationError::EventsExceedAtRisk { events: 11, .. })
        ));
        assert!(matches!(
            cohort_rate(0, 0, 0.95),
            Err(EstimationError::TooFewObservations { .. })
        ));
        assert!(matches!(cohort_rate(10, 1, 1.0), Err(EstimationError::InvalidInput(_))));
    }
}
