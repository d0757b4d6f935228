//! Capital over time: the IRB risk weight of every exposure the run can
//! hold, per unit of EAD, which the monthly ledger of a P&L multiplies each
//! month-end exposure by. The path of RWA and of the capital requirement
//! then comes out of every path's ledger, month by month (see
//! [`crate::accounting::PathCapital`]).
//!
//! Each loan keeps its grade's one-year PD (the ratings are through the
//! cycle: a loan does not migrate between grades), its segment's mean LGD
//! (an imported loan its own) and its product's asset class, as in
//! [`super::book`]; its EAD at a month end is its balance plus, for a
//! current revolving line, the segment's `revolving_ccf` times its undrawn
//! limit (after any cut or raise). A frozen or suspended line, a line in
//! arrears (its drawdown came at the missed payment, and it draws nothing
//! more) and a line in a forbearance plan count their balance alone. A loan
//! 90+ days past due is in default and holds no capital
//! (`K = max(0, LGD - best-estimate EL)`, 0 since the model's LGD is its best
//! estimate); a charged-off, repaid or prepaid loan has left the book.

use crate::engine::Prepared;
use crate::loan::ledger::{ExposureWeights, UnitCapital};
use crate::population::ProductKind;

use super::irb_risk;

/// The one-year PD of grade row `grade`: `1 - (1 - PD)^(12 / pd_period_months)`
/// of its achieved PD over the scenario's PD period.
pub fn one_year_pd(prepared: &Prepared, grade: usize) -> f64 {
    let period = prepared.scenario.dynamics.pd_period_months as f64;
    1.0 - (1.0 - prepared.grades.achieved_pd[grade]).powf(12.0 / period)
}

/// The capital per unit of EAD of every grade, product and imported loan of
/// `prepared`; `None` when no segment has `[segments.capital]`.
pub fn exposure_weights(prepared: &Prepared) -> Option<ExposureWeights> {
    let s = prepared.scenario;
    if s.segments.iter().all(|seg| seg.capital.is_none()) {
        return None;
    }
    let unit = |segment: usize, grade: usize, revolving: bool, lgd: f64| -> UnitCapital {
        s.segments[segment].capital.map_or(UnitCapital::default(), |terms| {
            let risk = irb_risk(&terms.of(revolving), one_year_pd(prepared, grade), lgd);
            UnitCapital {
                risk_weight: risk.risk_weight,
                k: risk.k,
            }
        })
    };
    let grade = (0..prepared.grades.segment_of.len())
        .map(|g| {
            let segment = prepared.grades.segment_of[g];
            let lgd = s.segments[segment].lgd.mean;
            [unit(segment, g, false, lgd), unit(segment, g, true, lgd)]
        })
        .collect();
    let mut fixed_lgd = vec![UnitCapital::default(); prepared.model.fixed_lgd.len()];
    // Only an imported book has loans with their own LGD (an imported book is never redrawn).
    let book = (!fixed_lgd.is_empty()).then(|| prepared.run_level_book());
    for loan in book.iter().flat_map(|b| b.loans.iter()) {
        if let Some(row) = loan.fixed_lgd {
            let row = row.get() as usize - 1;
            fixed_lgd[row] = unit(
                loan.segment as usize,
                loan.grade as usize,
                loan.kind == ProductKind::Revolving,
                prepared.model.fixed_lgd[row],
            );
        }
    }
    Some(ExposureWeights {
        grade,
        fixed_lgd,
        ccf: s.segments.iter().map(|seg| seg.revolving_ccf.get()).collect(),
    })
}
