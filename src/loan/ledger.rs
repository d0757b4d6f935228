//! What a path's loans did per segment and month: the raw material of the
//! monthly P&L (see `crate::accounting`). Kept only when the scenario has
//! `[economics]` (`PathTally::monthly` is `Some`); it is filled from the
//! same month rows as the loan tape, so it adds up to the path's totals.

use std::sync::Arc;

use super::tape::{TapeRow, TapeState};
use crate::calibration::term_structure::{PdTermStructure, twelve_month_pd};
use crate::population::{Cents, Loan, PdGrades, ProductKind, cents_to_money};
use crate::scenario::Scenario;

/// Months of the 12-month ECL of a stage-1 loan.
pub const TWELVE_MONTHS: usize = 12;

/// What the expected credit loss of a loan needs (see [`EclRules::ecl`]).
#[derive(Debug, Clone, PartialEq)]
pub struct EclRules {
    /// Scenario-weighted marginal charge-off probabilities by grade, product and state.
    pub term: PdTermStructure,
    /// Each segment's LGD: its mean, times the collections' LGD multiplier (at most 1).
    pub lgd: Vec<f64>,
    /// Expected life of a revolving line, in months.
    pub revolving_life: usize,
    /// The PD-rise trigger of stage 2 (`None`: off).
    pub pd_rise: Option<PdRise>,
}

/// The PD-rise trigger of stage 2 (`[economics.provisions] pd_rise_*`): a
/// current loan not in a plan is in stage 2 when its point-in-time 12-month
/// PD at the month end is at least `ratio` times, and at least
/// `min_increase` above, its 12-month PD at booking.
#[derive(Debug, Clone, PartialEq)]
pub struct PdRise {
    /// Multiple of the PD at booking.
    pub ratio: f64,
    /// Least absolute rise.
    pub min_increase: f64,
    /// Factor level of the opening book's booking.
    pub opening_factor: f64,
    /// The point-in-time PDs the trigger reads, computed once per run.
    pub grid: Arc<PdGrid>,
}

/// Factor levels of the [`PdGrid`]: `-GRID_REACH..=GRID_REACH` standard deviations ...
const GRID_REACH: f64 = 12.0;
/// ... in steps of `1 / GRID_STEPS_PER_SD`.
const GRID_STEPS_PER_SD: f64 = 16.0;

/// The point-in-time 12-month PD ([`twelve_month_pd`]) of every grade row
/// and product as a function of the factor level, computed once per run on
/// a grid of 1/16 standard deviation over +-12 and interpolated in its
/// logarithm by a cubic (Catmull-Rom: the log-PD of the probit chain is
/// smooth and nearly linear in the factor, so the relative error is below
/// 1e-6, tested); levels beyond the grid are computed exactly. Paths then read it for every month at
/// the cost of a lookup, where the exact chain for every grade row, product
/// and month would have cost ~3 ms per path on a 360-row book.
#[derive(Debug, Clone, PartialEq)]
pub struct PdGrid {
    points: usize,
    /// `[(row * 2 + revolving) * points + j]`: ln PD at level `-GRID_REACH + j / GRID_STEPS_PER_SD`.
    ln_pd: Vec<f64>,
}

impl PdGrid {
    /// The grid of the grade rows `rows` of `grades` (the others stay 0: no
    /// loan reads them), a row per task on the current thread pool (each
    /// row's figures are its own: the same on any number of threads).
    pub fn new(scenario: &Scenario, grades: &PdGrades, rows: &[u32]) -> Self {
        use rayon::prelude::*;
        let points = (2.0 * GRID_REACH * GRID_STEPS_PER_SD) as usize + 1;
        let mut ln_pd = vec![0.0; grades.len() * 2 * points];
        let mut used = vec![false; grades.len()];
        rows.iter().for_each(|&r| used[r as usize] = true);
        ln_pd
            .par_chunks_mut(2 * points)
            .enumerate()
            .filter(|(row, _)| used[*row])
            .for_each(|(row, cells)| {
                for (k, cell) in cells.iter_mut().enumerate() {
                    let (revolving, j) = (k >= points, k % points);
                    let z = -GRID_REACH + j as f64 / GRID_STEPS_PER_SD;
                    *cell = twelve_month_pd(scenario, grades, row, revolving, z)
                        .max(f64::MIN_POSITIVE)
                        .ln();
                }
            });
        PdGrid { points, ln_pd }
    }

    /// The 12-month PD of grade row `row` at factor level `z`.
    pub fn pd(&self, scenario: &Scenario, grades: &PdGrades, row: usize, revolving: bool, z: f64) -> f64 {
        let x = (z + GRID_REACH) * GRID_STEPS_PER_SD;
        // Catmull-Rom needs a point on either side of the interval.
        if !(1.0..(self.points - 2) as f64).contains(&x) {
            return twelve_month_pd(scenario, grades, row, revolving, z);
        }
        let j = x as usize;
        let f = x - j as f64;
        let at = (row * 2 + usize::from(revolving)) * self.points + j;
        let [y0, y1, y2, y3] = [
            self.ln_pd[at - 1],
            self.ln_pd[at],
            self.ln_pd[at + 1],
            self.ln_pd[at + 2],
        ];
        // The cubic through y1, y2 with the central-difference slopes at both ends.
        let ln =
            y1 + 0.5 * f * ((y2 - y0) + f * ((2.0 * y0 - 5.0 * y1 + 4.0 * y2 - y3) + f * (3.0 * (y1 - y2) + y3 - y0)));
        ln.exp()
    }
}

/// One path's point-in-time 12-month PDs ([`PdGrid`]) by grade row,
/// product and month: index 0 at the opening book's booking level, index
/// `t + 1` at the factor of month `t` (0-based) of the row's segment.
#[derive(Debug, Clone, PartialEq)]
pub struct PointInTimePd {
    months: usize,
    /// `[(row * 2 + revolving) * (months + 1) + i]`.
    pd: Vec<f64>,
    rule: PdRise,
}

impl PointInTimePd {
    /// The table of the grade rows `rows` (the others stay 0: no loan reads
    /// them) under the path whose factor is `z[segment][t]`.
    pub fn new(scenario: &Scenario, grades: &PdGrades, rows: &[u32], z: &[Vec<f64>], rule: &PdRise) -> Self {
        let months = scenario.horizon_months;
        let mut pd = vec![0.0; grades.len() * 2 * (months + 1)];
        for &row in rows {
            let row = row as usize;
            let z = &z[grades.segment_of[row]];
            for revolving in [false, true] {
                let at = (row * 2 + usize::from(revolving)) * (months + 1);
                let levels = std::iter::once(rule.opening_factor).chain(z.iter().copied());
                for (i, level) in levels.enumerate() {
                    pd[at + i] = rule.grid.pd(scenario, grades, row, revolving, level);
                }
            }
        }
        PointInTimePd {
            months,
            pd,
            rule: rule.clone(),
        }
    }

    /// The 12-month PD of `loan` at table index `i`.
    #[inline]
    pub fn at(&self, loan: &LoanCursor, i: usize) -> f64 {
        self.pd[(loan.row * 2 + usize::from(loan.revolving)) * (self.months + 1) + i]
    }

    /// Whether `loan`'s PD at the end of month `t` has risen past the
    /// trigger since booking (booked at the start of month `loan.start`, it
    /// was underwritten on the factor of the month before: index `start`).
    #[inline]
    pub fn risen(&self, loan: &LoanCursor, t: usize) -> bool {
        let (now, booked) = (self.at(loan, t + 1), self.at(loan, loan.start));
        now >= self.rule.ratio * booked && now - booked >= self.rule.min_increase
    }
}

impl EclRules {
    /// The rules of `scenario`'s `[economics.provisions]` (`None` without it);
    /// `longest_term`: the longest installment term any loan can have.
    /// `rows`: the grade rows loans can have (the PD-rise grid covers only them).
    pub fn new(scenario: &Scenario, grades: &PdGrades, rows: &[u32], longest_term: usize) -> Option<Self> {
        let p = scenario.file.economics.as_ref()?.provisions.as_ref()?;
        let revolving_life = p.revolving_life_months as usize;
        let extension = scenario
            .policy
            .forbearance
            .as_ref()
            .map_or(0, |f| f.term_extension_months as usize);
        let months = TWELVE_MONTHS.max(revolving_life).max(longest_term + extension);
        let levels: Vec<(f64, f64)> = p.scenarios.iter().map(|s| (s.weight, s.factor)).collect();
        let multiplier = scenario.policy.collections.map_or(1.0, |c| c.lgd_multiplier);
        Some(EclRules {
            term: PdTermStructure::new(scenario, grades, &levels, months),
            lgd: scenario
                .segments
                .iter()
                .map(|s| (s.lgd.mean * multiplier).min(1.0))
                .collect(),
            revolving_life,
            pd_rise: (p.pd_rise_ratio > 0.0).then(|| PdRise {
                ratio: p.pd_rise_ratio,
                min_increase: p.pd_rise_min_increase,
                opening_factor: p.pd_rise_opening_factor,
                grid: Arc::new(PdGrid::new(scenario, grades, rows)),
            }),
        })
    }

    /// The stage (1, 2 or 3) and expected credit loss of a loan of grade
    /// row `row` and segment `segment` in delinquency state `state` (0
    /// current to 3 for 90+ days past due; `plan`: current in a forbearance
    /// plan) with `life` months left and balance `balance`, discounted at
    /// the monthly factor `v`: `EAD LGD sum_k q_k v^k` over 12 months
    /// (stage 1: current, not in a plan, its PD not `risen` past the
    /// trigger) or the remaining life (stage 2: in a plan, 30-89 days past
    /// due, or current with a risen PD; stage 3: 90+ days past due).
    pub fn ecl(
        &self,
        loan: &LoanCursor,
        state: usize,
        plan: bool,
        risen: bool,
        life: usize,
        balance: Cents,
    ) -> (usize, f64) {
        let stage = match (state, plan) {
            (0, false) if !risen => 1,
            (3, _) => 3,
            _ => 2,
        };
        let horizon = if stage == 1 { life.min(TWELVE_MONTHS) } else { life };
        let pd = self
            .term
            .discounted_pd(loan.row, loan.revolving, state, horizon, loan.discount);
        (stage, cents_to_money(balance) * self.lgd[loan.segment] * pd)
    }

    /// Months of life left at the end of month `t` of a loan booked in month `start`.
    pub fn life_left(&self, loan: &LoanCursor, t: usize) -> usize {
        if loan.revolving {
            self.revolving_life
        } else {
            (loan.term as usize).saturating_sub(t + 1 - loan.start).max(1)
        }
    }
}

/// Regulatory capital per unit of exposure at default: what the ledger
/// multiplies each month-end exposure by (built by
/// `crate::capital::path::exposure_weights`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct UnitCapital {
    /// Risk weight `RW` (RWA per unit of EAD).
    pub risk_weight: f64,
    /// Capital requirement per unit of EAD, `K`.
    pub k: f64,
}

/// The IRB capital of every exposure the run can hold, per unit of EAD:
/// the month-end RWA path of a P&L (see `crate::capital::path`).
#[derive(Debug, Clone, PartialEq)]
pub struct ExposureWeights {
    /// Per grade row: `[installment loan, revolving line]` at the segment's
    /// mean LGD (zero in segments without `[segments.capital]`).
    pub grade: Vec<[UnitCapital; 2]>,
    /// Per fixed-LGD row of the loan model (imported loans with their own LGD).
    pub fixed_lgd: Vec<UnitCapital>,
    /// Per segment: the credit conversion factor of revolving lines' undrawn limits.
    pub ccf: Vec<f64>,
}

impl ExposureWeights {
    fn of(&self, loan: &Loan) -> UnitCapital {
        match loan.fixed_lgd {
            Some(row) => self.fixed_lgd[row.get() as usize - 1],
            None => self.grade[loan.grade as usize][usize::from(loan.kind == ProductKind::Revolving)],
        }
    }
}

/// The loan being stepped, as its ECL and its capital need it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LoanCursor {
    /// Segment.
    pub segment: usize,
    /// Grade row.
    pub row: usize,
    /// A revolving line.
    pub revolving: bool,
    /// Monthly discount factor at its effective interest rate at booking: `1 / (1 + r)`.
    pub discount: f64,
    /// Contractual term (installment loans).
    pub term: u16,
    /// Month it was booked in.
    pub start: usize,
    /// Its capital per unit of EAD (zero without capital terms).
    pub capital: UnitCapital,
    /// Its credit limit (revolving lines; cut or raised by the levers while stepped).
    pub limit: Cents,
    /// Credit conversion factor of its undrawn limit (revolving lines; 0 otherwise).
    pub ccf: f64,
}

impl LoanCursor {
    fn of(loan: &Loan, start: usize, weights: Option<&ExposureWeights>) -> Self {
        let revolving = loan.kind == ProductKind::Revolving;
        LoanCursor {
            segment: loan.segment as usize,
            row: loan.grade as usize,
            revolving,
            discount: 1.0 / (1.0 + loan.rate_monthly),
            term: loan.term_months,
            start,
            capital: weights.map_or(UnitCapital::default(), |w| w.of(loan)),
            limit: loan.limit,
            ccf: match weights {
                Some(w) if revolving => w.ccf[loan.segment as usize],
                _ => 0.0,
            },
        }
    }

    /// Exposure at default of the loan with `balance` drawn: the balance,
    /// plus, for a revolving line that can still be drawn (`drawable`:
    /// current, not in a plan, not frozen), the CCF times its undrawn limit.
    /// A line in arrears or in a plan draws nothing in the model (its
    /// drawdown came at the missed payment), so only its balance counts.
    #[inline]
    fn ead(&self, balance: Cents, drawable: bool) -> f64 {
        let undrawn = if drawable {
            self.ccf * cents_to_money((self.limit - balance).max(0))
        } else {
            0.0
        };
        cents_to_money(balance) + undrawn
    }
}

/// Per `[segment * horizon + t]` cell.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthlyLedger {
    /// Months.
    pub horizon: usize,
    /// Contractual interest paid by current loans in the month.
    pub interest: Vec<Cents>,
    /// Penalty interest collected in the month (at a cure or a plan).
    pub penalty_interest: Vec<Cents>,
    /// Late fees collected in the month (with the penalty interest).
    pub late_fees: Vec<Cents>,
    /// Balance booked at the start of the month: the opening book in month 0,
    /// loans booked during the run in their first month.
    pub booked_balance: Vec<Cents>,
    /// Loans booked at the start of the month (as `booked_balance`).
    pub booked_loans: Vec<u32>,
    /// Of it, the balance of loans booked during the run (the base of origination fees).
    pub originated_balance: Vec<Cents>,
    /// Loans booked during the run.
    pub originated_loans: Vec<u32>,
    /// Balance of the accounts on the book at the month end.
    pub balance_end: Vec<Cents>,
    /// Accounts on the book at the month end (current, delinquent or in a plan).
    pub accounts_end: Vec<u32>,
    /// Accounts 30+ days past due at the month end.
    pub delinquent_end: Vec<u32>,
    /// Credit loss booked in the month (charge-offs), currency units.
    pub loss: Vec<f64>,
    /// Cost of the recovery cash received in the month, currency units.
    pub recovery_cost: Vec<f64>,
    /// With provisions: the loss allowance (ECL) of the accounts on the book at the month end.
    pub allowance: Vec<f64>,
    /// With provisions: balance of the accounts in stage 1, 2, 3 at the month end.
    pub stage_balance: [Vec<Cents>; 3],
    /// With provisions: accounts in stage 1, 2, 3 at the month end.
    pub stage_accounts: [Vec<u32>; 3],
    /// With provisions: each segment's allowance of the opening book at the start of the run.
    pub opening_allowance: Vec<f64>,
    /// The ECL rules (`None`: no provisions).
    pub ecl: Option<Arc<EclRules>>,
    /// The path's point-in-time PDs for the PD-rise trigger (`None`: off).
    pub pit_pd: Option<PointInTimePd>,
    /// With capital: risk-weighted assets of the accounts on the book at the
    /// month end that are not in default (90+ days past due), currency units.
    pub rwa: Vec<f64>,
    /// With capital: their capital requirement `sum K EAD`, currency units.
    pub capital_requirement: Vec<f64>,
    /// The capital per unit of EAD (`None`: no capital path).
    pub weights: Option<Arc<ExposureWeights>>,
    /// With the charge-off detail (`run --export monthly`): charge-offs in the month.
    pub defaults: Vec<u32>,
    /// With the charge-off detail: exposure at default of the month's charge-offs.
    pub charged_off: Vec<Cents>,
    /// With the charge-off detail: loss of the month's fraudulent charge-offs, currency units.
    pub fraud_loss: Vec<f64>,
    /// With the charge-off detail: EAD of the month's charge-offs less their
    /// recoveries discounted to the month, currency units.
    pub economic_loss: Vec<f64>,
    /// With the charge-off detail: recovery cash received in the month, currency units.
    pub recoveries: Vec<f64>,
    /// With the charge-off detail: recovery cash of the month's charge-offs
    /// that falls after the horizon, currency units.
    pub recoveries_after_horizon: Vec<f64>,
    /// The loan being stepped.
    pub(crate) cursor: LoanCursor,
}

impl MonthlyLedger {
    /// An empty ledger.
    pub fn new(segments: usize, horizon: usize) -> Self {
        let cells = segments * horizon;
        MonthlyLedger {
            horizon,
            interest: vec![0; cells],
            penalty_interest: vec![0; cells],
            late_fees: vec![0; cells],
            booked_balance: vec![0; cells],
            booked_loans: vec![0; cells],
            originated_balance: vec![0; cells],
            originated_loans: vec![0; cells],
            balance_end: vec![0; cells],
            accounts_end: vec![0; cells],
            delinquent_end: vec![0; cells],
            loss: vec![0.0; cells],
            recovery_cost: vec![0.0; cells],
            allowance: Vec::new(),
            stage_balance: Default::default(),
            stage_accounts: Default::default(),
            opening_allowance: Vec::new(),
            ecl: None,
            pit_pd: None,
            rwa: Vec::new(),
            capital_requirement: Vec::new(),
            weights: None,
            defaults: Vec::new(),
            charged_off: Vec::new(),
            fraud_loss: Vec::new(),
            economic_loss: Vec::new(),
            recoveries: Vec::new(),
            recoveries_after_horizon: Vec::new(),
            cursor: LoanCursor::default(),
        }
    }

    /// The same ledger keeping the charge-offs' count, EAD, fraud loss,
    /// economic loss and recovery cash by month too (what `run --export
    /// monthly` adds to the P&L's cells).
    pub fn with_charge_off_detail(mut self) -> Self {
        let cells = self.interest.len();
        self.defaults = vec![0; cells];
        self.charged_off = vec![0; cells];
        self.fraud_loss = vec![0.0; cells];
        self.economic_loss = vec![0.0; cells];
        self.recoveries = vec![0.0; cells];
        self.recoveries_after_horizon = vec![0.0; cells];
        self
    }

    /// The same ledger keeping the loss allowance and the stages too.
    pub fn with_provisions(mut self, ecl: Arc<EclRules>) -> Self {
        let cells = self.interest.len();
        self.allowance = vec![0.0; cells];
        self.stage_balance = std::array::from_fn(|_| vec![0; cells]);
        self.stage_accounts = std::array::from_fn(|_| vec![0; cells]);
        self.opening_allowance = vec![0.0; self.segments()];
        self.ecl = Some(ecl);
        self
    }

    /// The same ledger with the path's point-in-time PDs, for the PD-rise trigger of stage 2.
    pub fn with_pit_pd(mut self, table: PointInTimePd) -> Self {
        self.pit_pd = Some(table);
        self
    }

    /// The same ledger keeping the month-end RWA and capital requirement too.
    pub fn with_capital(mut self, weights: Arc<ExposureWeights>) -> Self {
        let cells = self.interest.len();
        self.rwa = vec![0.0; cells];
        self.capital_requirement = vec![0.0; cells];
        self.weights = Some(weights);
        self
    }

    /// Adds a loan on the book at the end of month `t` to the allowance and
    /// its stage, and (not in default) to the RWA.
    #[inline]
    fn provide(&mut self, t: usize, state: usize, plan: bool, balance: Cents) {
        if self.weights.is_some() && state < 3 {
            // A defaulted exposure (90+ days past due) holds K = max(0, LGD - best-estimate EL) = 0:
            // the model's LGD is its best estimate, so its whole loss is expected (and provided for).
            let c = self.cell(t);
            let ead = self.cursor.ead(balance, state == 0 && !plan);
            self.rwa[c] += self.cursor.capital.risk_weight * ead;
            self.capital_requirement[c] += self.cursor.capital.k * ead;
        }
        let Some(rules) = self.ecl.as_deref() else {
            return;
        };
        let life = rules.life_left(&self.cursor, t);
        let risen = state == 0 && !plan && self.pit_pd.as_ref().is_some_and(|p| p.risen(&self.cursor, t));
        let (stage, ecl) = rules.ecl(&self.cursor, state, plan, risen, life, balance);
        let c = self.cell(t);
        self.allowance[c] += ecl;
        self.stage_balance[stage - 1][c] += balance;
        self.stage_accounts[stage - 1][c] += 1;
    }

    /// Segments.
    pub fn segments(&self) -> usize {
        self.interest.len() / self.horizon.max(1)
    }

    /// The cell of the loan being stepped in month `t`.
    #[inline(always)]
    fn cell(&self, t: usize) -> usize {
        self.cursor.segment * self.horizon + t
    }

    /// Books `loan` at the start of month `start`; `during_run`: booked by
    /// the run (an origination or a renewal), not part of the opening book.
    pub(crate) fn book(&mut self, start: usize, loan: &Loan, during_run: bool) {
        let c = loan.segment as usize * self.horizon + start;
        self.booked_balance[c] += loan.balance;
        self.booked_loans[c] += 1;
        if during_run {
            self.originated_balance[c] += loan.balance;
            self.originated_loans[c] += 1;
        } else if let Some(rules) = self.ecl.as_deref() {
            // The opening book's allowance, before month 1: its state at the start, its whole term left.
            let cursor = LoanCursor::of(loan, start, None);
            let life = if cursor.revolving {
                rules.revolving_life
            } else {
                (loan.term_months as usize).max(1)
            };
            let (_, ecl) = rules.ecl(&cursor, loan.start_bucket as usize, false, false, life, loan.balance);
            self.opening_allowance[cursor.segment] += ecl;
        }
    }

    /// Sets the loan about to be stepped, booked in month `start`.
    #[inline(always)]
    pub(crate) fn begin_loan(&mut self, loan: &Loan, start: usize) {
        self.cursor = LoanCursor::of(loan, start, self.weights.as_deref());
    }

    /// The line being stepped was cut, raised or frozen: a frozen line
    /// cannot be drawn, so its EAD is its balance alone.
    #[inline]
    pub(crate) fn set_line(&mut self, limit: Cents, frozen: bool) {
        self.cursor.limit = limit;
        if frozen {
            self.cursor.ccf = 0.0;
        }
    }

    /// One month row of the loan being stepped: its interest, and where it
    /// stands at the month end.
    pub(crate) fn month_row(&mut self, row: &TapeRow) {
        let t = row.month as usize - 1;
        let c = self.cell(t);
        self.interest[c] += row.interest_paid;
        let (state, plan) = match row.state {
            TapeState::Current => (0, false),
            TapeState::Plan => (0, true),
            TapeState::Dpd30 => (1, false),
            TapeState::Dpd60 => (2, false),
            TapeState::Dpd90 => (3, false),
            TapeState::Repaid | TapeState::Prepaid | TapeState::ChargedOff | TapeState::Recovery => return,
        };
        if state > 0 {
            self.delinquent_end[c] += 1;
        }
        self.accounts_end[c] += 1;
        self.balance_end[c] += row.balance;
        self.provide(t, state, plan, row.balance);
    }

    /// A month paid on time in month `t`: its interest, and the balance at
    /// its end when the account stays on the book (`on_book`; not after the last payment).
    #[inline(always)]
    pub(crate) fn current_month(&mut self, t: usize, interest: Cents, balance: Cents, on_book: bool) {
        let c = self.cell(t);
        self.interest[c] += interest;
        if on_book {
            self.accounts_end[c] += 1;
            self.balance_end[c] += balance;
            self.provide(t, 0, false, balance);
        }
    }

    /// Penalty interest and late fees collected in month `t`.
    pub(crate) fn collect(&mut self, t: usize, penalty: Cents, fees: Cents) {
        let c = self.cell(t);
        self.penalty_interest[c] += penalty;
        self.late_fees[c] += fees;
    }

    /// A charge-off's loss in month `t`.
    pub(crate) fn charge_off(&mut self, t: usize, loss: f64) {
        let c = self.cell(t);
        self.loss[c] += loss;
    }

    /// Recovery cash received in month `t` and its cost.
    pub(crate) fn recovery(&mut self, t: usize, cash: f64, cost: f64) {
        let c = self.cell(t);
        self.recovery_cost[c] += cost;
        if let Some(r) = self.recoveries.get_mut(c) {
            *r += cash;
        }
    }

    /// With the charge-off detail: a charge-off in month `t` of `ead`, its
    /// loss (`fraud`: a fraudulent loan's), its economic loss and its
    /// recovery cash after the horizon.
    pub(crate) fn charge_off_detail(
        &mut self,
        t: usize,
        ead: Cents,
        loss: f64,
        fraud: bool,
        economic: f64,
        after: f64,
    ) {
        let c = self.cell(t);
        if c >= self.defaults.len() {
            return;
        }
        self.defaults[c] += 1;
        self.charged_off[c] += ead;
        if fraud {
            self.fraud_loss[c] += loss;
        }
        self.economic_loss[c] += economic;
        self.recoveries_after_horizon[c] += after;
    }
}
