//! What the description says about the calibration: what a PD means, how
//! close each segment's grades are to their targets, and what the monthly
//! factor settings imply per PD period.

use super::Inputs;
use super::text::{decimal, percent};
use crate::calibration::{LoanChain, default_rate_quantile, vasicek_correlation_from_second_moment};
use crate::population::PdGrades;
use crate::scenario::{BadEvent, Correlation, FactorLaw, Scenario, Segment, Transitions};
use crate::stats::normal::vasicek_loss_quantile;

/// Factor paths behind the tail default rate.
const TAIL_PATHS: usize = 20_000;
/// PD periods run for the long-run rate.
const LONG_RUN_PERIODS: usize = 20;
/// The tail level described.
const TAIL_LEVEL: f64 = 0.999;

/// A segment's monthly rho, saying where it came from.
pub(super) fn describe_rho(seg: &Segment, rho: f64) -> String {
    match seg.correlation {
        Correlation::Monthly(_) => decimal(rho),
        Correlation::PerPeriod(target) => format!("{}, solved from rho_annual = {target}", decimal(rho)),
    }
}

/// The calibration statement and its details per segment.
pub(super) fn describe(out: &mut Inputs, s: &Scenario, grades: &PdGrades) {
    let period = s.dynamics.pd_period_months as usize;
    let event = match (s.calibration.bad_event, s.dynamics.delinquency) {
        (_, false) => "a missed payment (immediate charge-off)",
        (BadEvent::ChargeOff, true) => "charge-off",
        (BadEvent::Dpd90, true) => "reaching 90 days past due",
    };
    let m = &s.macro_model;
    let law = match s.calibration.factor_law {
        FactorLaw::Zero => "with the factor held at 0".to_string(),
        FactorLaw::Noise => format!(
            "averaged over the stationary AR(1) noise (phi {}, sigma {})",
            m.phi, m.sigma
        ),
        FactorLaw::NoiseAndRegimes if m.regimes.is_some() => format!(
            "averaged over the stationary AR(1) noise (phi {}, sigma {}) and the regime chain's stationary distribution",
            m.phi, m.sigma
        ),
        FactorLaw::NoiseAndRegimes => format!(
            "averaged over the stationary AR(1) noise (phi {}, sigma {}; no regime chain)",
            m.phi, m.sigma
        ),
    };
    out.line(
        0,
        "Calibration",
        format!(
            "PD = P({event} within {period} months) for a loan current at the start, {law}; \
             entry, roll and cure all move with the factor (deterministic paths and shocks are the stress, not part of this average)."
        ),
    );
    for (i, seg) in s.segments.iter().enumerate() {
        let rows = grades.rows_of(i);
        let band = s.bands.band_of(seg.score_mean);
        let worst = rows
            .clone()
            .filter(|&r| !grades.capped[r] && grades.pd_period[r] > 0.0)
            .map(|r| (grades.achieved_pd[r] / grades.pd_period[r] - 1.0).abs())
            .fold(0.0, f64::max);
        let rho = grades.segment_rho[i];
        let products: &[(bool, &str)] = if grades.segment_split[i] {
            &[(true, " revolving lines"), (false, " installment loans")]
        } else {
            &[(true, "")]
        };
        for &(revolving, product) in products {
            let t = seg.transitions.of(revolving);
            let g = grades.grade_of(i, seg.score_mean, band, revolving) as usize;
            describe_grade(
                out,
                s,
                seg,
                GradeView {
                    rho,
                    t,
                    g,
                    product,
                    grades: rows.len(),
                    worst,
                },
                grades,
            );
        }
        let capped: Vec<usize> = rows.clone().filter(|&r| grades.capped[r]).collect();
        if let Some(&first) = capped.first() {
            out.line(
                1,
                "warning",
                format!(
                    "segments[{i}] {}: {} of its {} grades have a PD above {}, the most its dynamics allow within {period} months; \
                     those grades miss every month and reach only that",
                    seg.name,
                    capped.len(),
                    rows.len(),
                    percent(grades.achieved_pd[first]),
                ),
            );
        }
    }
    let multi_month = period > 1 || s.horizon_months > 1;
    if m.phi == 0.0 && m.sigma > 0.0 && multi_month && s.calibration.factor_law != FactorLaw::Zero {
        out.line(
            1,
            "warning",
            format!(
                "macro.noise.phi = 0: the factor is drawn afresh every month, so over several months its effect averages out \
                 and the correlation per {period} months is far below the monthly rho (see the implied values above); \
                 set macro.noise.phi (e.g. 0.8) for a persistent economy"
            ),
        );
    }
}

/// What the calibration does for one grade, and what it implies.
struct GradeView<'a> {
    rho: f64,
    t: &'a Transitions,
    g: usize,
    product: &'a str,
    grades: usize,
    worst: f64,
}

/// One grade's calibration statements: target and implied PD, P(bad | miss),
/// the long-run rate and the per-period correlation and tail.
fn describe_grade(out: &mut Inputs, s: &Scenario, seg: &Segment, view: GradeView, grades: &PdGrades) {
    let GradeView {
        rho,
        t,
        g,
        product,
        grades: count,
        worst,
    } = view;
    let period = s.dynamics.pd_period_months as usize;
    let chain = LoanChain::new(s, seg, rho, t);
    let a = grades.entry_probit[g];
    let pd = grades.achieved_pd[g];
    let mut text = format!(
        "target PD {}, implied {} (largest relative gap over its {count} grades {worst:.1e})",
        percent(grades.pd_period[g]),
        percent(pd),
    );
    if s.dynamics.delinquency {
        text.push_str(&format!(
            "; P({} | missed payment) {:.3} factor-averaged ({:.3} at the nominal rates)",
            if s.calibration.bad_event == BadEvent::Dpd90 {
                "90+ DPD"
            } else {
                "charge-off"
            },
            chain.bad_given_miss(a),
            t.nominal_charge_off_given_miss()
        ));
    }
    out.line(
        1,
        format!("{}{product} (grade at score {})", seg.name, seg.score_mean),
        text,
    );
    // The steady state of a run-off book: the bad-event rate per PD period
    // among loans still on the book after many periods.
    let long = LONG_RUN_PERIODS * period;
    let curve = chain.bad_curve(a, long);
    let (before, after) = (curve[long - period - 1], curve[long - 1]);
    if before < 1.0 {
        out.line(
            2,
            "long run",
            format!(
                "{} of the loans still on the book after {} months have the bad event in the next {period} months (the scorecard's cohort holds only current loans; a seasoned book also holds delinquent ones)",
                percent((after - before) / (1.0 - before)),
                long - period,
            ),
        );
    }
    let second = chain.both_bad_within(a, period);
    let implied = vasicek_correlation_from_second_moment(pd, second);
    let tail = default_rate_quantile(s, seg, &chain, a, TAIL_LEVEL, TAIL_PATHS);
    let level = TAIL_LEVEL * 100.0;
    out.line(
        2,
        format!("per {period} months"),
        format!(
            "implied asset correlation {implied:.3} (monthly rho {}); {level}% default rate {} [{}, {}] from {} factor paths \
             (a one-period Vasicek model gives {} at rho {} and {} at {implied:.3})",
            describe_rho(seg, rho),
            percent(tail.value),
            percent(tail.interval.0),
            percent(tail.interval.1),
            tail.paths,
            percent(vasicek_loss_quantile(pd, rho, 1.0, TAIL_LEVEL)),
            decimal(rho),
            percent(vasicek_loss_quantile(pd, implied, 1.0, TAIL_LEVEL)),
        ),
    );
}
