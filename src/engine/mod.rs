//! Engine: the fifth stage. Runs Monte Carlo paths in parallel with rayon.
//!
//! A path's result depends only on (scenario, seed, path index): its factor
//! path, tables and every loan's draws come from streams keyed by those.
//! Results are collected in path order, so any thread count gives bitwise
//! the same output. The engine uses the rayon pool it is called in; the CLI
//! decides how many threads that pool has.

pub mod importance;
pub mod streams;
pub mod tables;

use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;
use thiserror::Error;

use crate::events::{PathEvents, draw_path_events};
use crate::loan::{BookFlow, LoanKeys, LoanModel, PathTally, simulate_loan};
use crate::macro_paths::{FactorPath, draw_factor_path_sampled};
use crate::originations;
use crate::population::{Book, Loan, LoanOrigin, PdGrades, cents_to_money, draw_book, draw_book_with_origins};
use crate::scenario::Scenario;

use streams::{Purpose, stream_key};

/// Why a run stopped without a result.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EngineError {
    /// The cancel flag was raised (e.g. Ctrl-C).
    #[error("the run was cancelled before all paths finished")]
    Cancelled,
    /// The fast path was requested for a scenario it cannot simulate exactly.
    #[error("the fast path cannot run this scenario: {0}")]
    FastPathUnavailable(&'static str),
    /// Importance sampling was asked for and the pilot found no shift.
    #[error("importance sampling: {0}")]
    ImportanceUnavailable(String),
}

/// How loans are simulated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EngineChoice {
    /// The fast path when the scenario allows it, else monthly stepping.
    #[default]
    Auto,
    /// Always step every loan month by month.
    Stepping,
    /// Insist on the fast path (an error when the scenario needs stepping).
    FastPath,
    /// The fast path, with identical loans drawn as pools: per month, a
    /// binomial count of a pool's defaults and prepayments instead of one
    /// uniform per loan (the same law, other draws; an error when the
    /// scenario needs stepping).
    Pooled,
}

/// Description of the monthly stepping engine, every loan stepped (`--engine stepping`).
pub const ENGINE_STEPPING: &str = "loan-level monthly stepping";
/// Description of the monthly stepping engine with the loans that stay
/// current all their life summed once per run (what `auto` picks when
/// the scenario needs stepping; bitwise the same results).
pub const ENGINE_STEPPING_SUMMED: &str =
    "loan-level monthly stepping (loans current all their life: one uniform each, cash summed once per run)";
/// Description of the fast path.
pub const ENGINE_FAST: &str = "fast path: one uniform per loan inverts its first-event curve (no delinquency dynamics)";
/// Description of the fast path with pools of identical loans.
pub const ENGINE_POOLED: &str = "pooled fast path: identical loans drawn as monthly binomial counts of defaults and prepayments, other loans one uniform each (no delinquency dynamics)";

/// Why a scenario needs monthly stepping, or `None` when the fast path is exact for it.
pub fn fast_path_blocker(scenario: &Scenario) -> Option<&'static str> {
    if scenario.dynamics.delinquency {
        return Some("delinquency buckets (dynamics.delinquency = true) need monthly stepping");
    }
    if scenario.outage.is_some() {
        return Some("an outage needs monthly stepping");
    }
    if scenario.fraud_waves.is_some() {
        return Some("fraud waves need monthly stepping");
    }
    if scenario.originates() {
        return Some("loans booked during the run (originations) need monthly stepping");
    }
    if scenario.has_contagion() {
        return Some("multi-platform borrowers in an industry tightening need monthly stepping");
    }
    if scenario
        .events
        .iter()
        .any(|e| matches!(e.effect, crate::scenario::EventEffect::ReputationalShock { .. }))
    {
        return Some("a reputational shock moves prepayment month by month, which needs monthly stepping");
    }
    if has_rate_cap(scenario) {
        return Some("a rate cap reprices loans during the run, which needs monthly stepping");
    }
    if scenario.policy.acts_on_loans() {
        return Some(
            "policy levers that act on individual loans (early warning, forbearance, collections) need monthly stepping",
        );
    }
    None
}

/// Whether an event of the scenario caps the rates of loans during the run.
fn has_rate_cap(scenario: &Scenario) -> bool {
    scenario
        .events
        .iter()
        .any(|e| matches!(e.effect, crate::scenario::EventEffect::RateCap { .. }))
}

/// Why monthly stepping must step every loan of the opening book on every
/// path, or `None` when a loan that stays current all its life adds the
/// same closed-form cash on every path (so [`crate::loan::FastBook`] with
/// [`crate::loan::EventCurve::Spell`] sums it once per run, bitwise the
/// same results). The levers named here change a current loan's cash or
/// hazard from a month of the path on (they split its current spell).
pub fn survivor_sum_blocker(scenario: &Scenario) -> Option<&'static str> {
    let policy = &scenario.policy;
    if policy.early_warning.is_some() {
        return Some("early warning cuts current lines in a month of the path");
    }
    if policy.limit_increase.is_some() {
        return Some("limit reviews raise current lines");
    }
    if has_rate_cap(scenario) {
        return Some("a rate cap reprices current loans");
    }
    if scenario.has_contagion() {
        return Some("multi-platform borrowers follow curves of their own");
    }
    if scenario.originates() {
        return Some("loans booked during the run are stepped as they come");
    }
    None
}

/// Hooks the caller gives the engine; the engine itself never prints.
#[derive(Default, Clone, Copy)]
pub struct RunControl<'a> {
    /// Called once per finished path (from worker threads).
    pub progress: Option<&'a (dyn Fn() + Sync)>,
    /// Checked before each path; when true, the run stops with [`EngineError::Cancelled`].
    pub cancel: Option<&'a AtomicBool>,
}

/// One Monte Carlo path's result.
#[derive(Debug, Clone, PartialEq)]
pub struct PathOutcome {
    /// Path index.
    pub index: u64,
    /// Exposure of the path: the opening book's balance, plus the balance
    /// booked during the run (varies when the population is redrawn or loans are originated).
    pub exposure: f64,
    /// What the loans did.
    pub tally: PathTally,
    /// Factor values `[k][t]`.
    pub factors: Vec<Vec<f64>>,
    /// Likelihood-ratio weight of the path (1 under plain sampling; see
    /// [`crate::macro_paths::tilt`]): every figure across paths is a mean weighted by it.
    pub weight: f64,
    /// The monthly P&L, when the scenario has `[economics]` (see [`crate::accounting`]).
    pub pnl: Option<Box<crate::accounting::PathPnl>>,
}

impl PathOutcome {
    /// Net income of the monthly P&L over the horizon (`None` without `[economics]`).
    pub fn pnl_net_income(&self) -> Option<f64> {
        self.pnl.as_deref().map(|p| cents_to_money(p.total().net_income()))
    }

    /// Loans booked on the path: the opening book's, plus those originated during the run.
    pub fn loans(&self, profile: &BookProfile) -> u64 {
        self.tally.flow.as_ref().map_or(profile.loans, |f| f.total_loans())
    }

    /// Loans booked in segment `s` on the path.
    pub fn segment_loans(&self, profile: &BookProfile, s: usize) -> u64 {
        self.tally
            .flow
            .as_ref()
            .map_or(profile.segment_loans[s], |f| f.segment_loans[s] as u64)
    }

    /// Balance booked in segment `s` on the path (the exposure of its loss rate).
    pub fn segment_exposure(&self, profile: &BookProfile, s: usize) -> f64 {
        self.tally
            .flow
            .as_ref()
            .map_or(profile.segment_exposure[s], |f| cents_to_money(f.segment_balance[s]))
    }

    /// Loans booked in score band `b` on the path.
    pub fn band_loans(&self, profile: &BookProfile, b: usize) -> u64 {
        self.tally
            .flow
            .as_ref()
            .map_or(profile.band_loans[b], |f| f.band_loans[b] as u64)
    }

    /// Loans booked in segment `s` and score band `b` on the path.
    pub fn cell_loans(&self, profile: &BookProfile, s: usize, b: usize) -> u64 {
        let bands = profile.band_loans.len();
        self.tally.flow.as_ref().map_or(profile.cell_loans[s * bands + b], |f| {
            f.cell_loans[s * bands + b] as u64
        })
    }

    /// Loss as a fraction of exposure: the opening book's, plus every balance booked on the path.
    pub fn loss_rate(&self) -> f64 {
        if self.exposure > 0.0 {
            self.tally.loss / self.exposure
        } else {
            0.0
        }
    }
}

/// Loans and exposure of the book, overall and by segment and band.
#[derive(Debug, Clone, PartialEq)]
pub struct BookProfile {
    /// Loans booked.
    pub loans: u64,
    /// Initial exposure (currency units).
    pub exposure: f64,
    /// Loans per segment.
    pub segment_loans: Vec<u64>,
    /// Exposure per segment.
    pub segment_exposure: Vec<f64>,
    /// Loans per score band.
    pub band_loans: Vec<u64>,
    /// Loans per segment and score band, `[segment * bands + band]`.
    pub cell_loans: Vec<u64>,
    /// Revolving lines booked.
    pub revolving_loans: u64,
    /// Fraudulent loans booked.
    pub fraud_loans: u64,
}

impl BookProfile {
    /// Summarises a book.
    pub fn of(book: &Book, segments: usize, bands: usize) -> Self {
        let mut p = BookProfile {
            loans: book.loans.len() as u64,
            exposure: cents_to_money(book.exposure()),
            segment_loans: vec![0; segments],
            segment_exposure: vec![0.0; segments],
            band_loans: vec![0; bands],
            cell_loans: vec![0; segments * bands],
            revolving_loans: 0,
            fraud_loans: 0,
        };
        let mut seg_cents = vec![0i64; segments];
        for l in &book.loans {
            p.segment_loans[l.segment as usize] += 1;
            seg_cents[l.segment as usize] += l.balance;
            p.band_loans[l.band as usize] += 1;
            p.cell_loans[l.segment as usize * bands + l.band as usize] += 1;
            p.revolving_loans += (l.kind == crate::population::ProductKind::Revolving) as u64;
            p.fraud_loans += l.fraud as u64;
        }
        p.segment_exposure = seg_cents.into_iter().map(cents_to_money).collect();
        p
    }
}

/// The scenario with everything derived once per run: PD grades and (unless
/// redrawn per path) the book.
#[derive(Debug, Clone)]
pub struct Prepared<'a> {
    /// The scenario.
    pub scenario: &'a Scenario,
    /// PD grade tables.
    pub grades: PdGrades,
    /// The book drawn once, or `None` when each path draws its own.
    pub book: Option<Book>,
    /// Profile of the run-level book (of path 0's book when redrawn).
    pub profile: BookProfile,
    /// Grade rows any loan can have (all rows when the book is redrawn per
    /// path or loans are originated during the run).
    pub used_grades: Vec<u32>,
    /// Run-level constants of loan stepping (repayment curves, segment rules).
    pub model: LoanModel,
    /// Whether paths use the fast path.
    pub fast_path: bool,
    /// The book as the fast path reads it (when it uses the fast path on a book drawn once).
    pub fast_book: Option<crate::loan::FastBook>,
    /// Renewal threshold of each segment's loans repaid at maturity (0: none).
    pub renewal: Vec<u64>,
    /// Importance sampling's shift of the factor, once planned (`None`: plain sampling).
    pub importance: Option<importance::ImportancePlan>,
    /// The expected-credit-loss rules of `[economics.provisions]` (`None` without them).
    pub ecl: Option<std::sync::Arc<crate::loan::ledger::EclRules>>,
    /// Capital per unit of EAD for the P&L's month-end RWA path (`None`
    /// without `[economics]` or without any `[segments.capital]`).
    pub exposure_weights: Option<std::sync::Arc<crate::loan::ledger::ExposureWeights>>,
    /// Whether every path keeps its monthly ledger, with the charge-off
    /// detail, in `tally.monthly` (`run --export monthly`; see
    /// [`Prepared::with_monthly_export`]).
    pub monthly_export: bool,
}

impl<'a> Prepared<'a> {
    /// Draws the book and grade tables; uses the fast path when it is exact for the scenario.
    pub fn new(scenario: &'a Scenario) -> Self {
        Self::with_engine(scenario, EngineChoice::Auto).expect("auto always has an engine")
    }

    /// Like [`Prepared::new`] with an explicit engine choice.
    pub fn with_engine(scenario: &'a Scenario, choice: EngineChoice) -> Result<Self, EngineError> {
        let fast_path = match (choice, fast_path_blocker(scenario)) {
            (EngineChoice::Stepping, _) => false,
            (EngineChoice::FastPath | EngineChoice::Pooled, Some(why)) => {
                return Err(EngineError::FastPathUnavailable(why));
            }
            (_, blocker) => blocker.is_none(),
        };
        let sum_survivors = choice == EngineChoice::Auto;
        Ok(Self::build(
            scenario,
            fast_path,
            choice == EngineChoice::Pooled,
            sum_survivors,
        ))
    }

    /// The run-level book: the book drawn once, or path 0's when the
    /// population is redrawn per path (the book `profile` describes).
    pub fn run_level_book(&self) -> std::borrow::Cow<'_, Book> {
        match &self.book {
            Some(b) => std::borrow::Cow::Borrowed(b),
            None => std::borrow::Cow::Owned(draw_book(self.scenario, &self.grades, &self.model.schedules, Some(0))),
        }
    }

    /// Which engine the paths use, in words.
    pub fn engine_description(&self) -> &'static str {
        match (self.fast_path, self.pools()) {
            (false, _) if self.fast_book.is_some() => ENGINE_STEPPING_SUMMED,
            (false, _) => ENGINE_STEPPING,
            (true, Some(_)) => ENGINE_POOLED,
            (true, None) => ENGINE_FAST,
        }
    }

    /// With `--engine pooled` and pools in the book: the loans drawn as
    /// pools and the number of pools.
    pub fn pools(&self) -> Option<(u64, usize)> {
        self.fast_book
            .as_ref()
            .filter(|b| b.has_pools())
            .map(|b| b.pooled_loans())
    }

    /// With `sum_survivors`, monthly stepping sums the cash of the loans
    /// that stay current all their life once per run where that is exact
    /// ([`survivor_sum_blocker`]).
    fn build(scenario: &'a Scenario, fast_path: bool, pooled: bool, sum_survivors: bool) -> Self {
        let grades = PdGrades::new(scenario);
        let model = LoanModel::new(scenario);
        let book = draw_book(
            scenario,
            &grades,
            &model.schedules,
            scenario.redraw_population.then_some(0),
        );
        let profile = BookProfile::of(&book, scenario.segments.len(), scenario.bands.len());
        let used_grades: Vec<u32> = if scenario.redraw_population || scenario.originates() {
            (0..grades.len() as u32).collect()
        } else {
            let mut used = vec![false; grades.len()];
            book.loans.iter().for_each(|l| used[l.grade as usize] = true);
            (0..grades.len() as u32).filter(|&g| used[g as usize]).collect()
        };
        // The longest installment term a loan of the run can have: the book's, or any segment's.
        let longest_term = book
            .loans
            .iter()
            .map(|l| l.term_months as usize)
            .chain(
                scenario
                    .segments
                    .iter()
                    .flat_map(|s| s.terms.iter().map(|&(t, _)| t as usize)),
            )
            .max()
            .unwrap_or(0);
        let ecl =
            crate::loan::ledger::EclRules::new(scenario, &grades, &used_grades, longest_term).map(std::sync::Arc::new);
        let book = (!scenario.redraw_population).then_some(book);
        // A P&L records every path month by month, loan by loan: it never reads a fast book.
        let curve = if fast_path {
            Some(crate::loan::EventCurve::FirstEvent)
        } else {
            (sum_survivors && survivor_sum_blocker(scenario).is_none()).then_some(crate::loan::EventCurve::Spell)
        };
        let fast_book = book
            .as_ref()
            .filter(|_| scenario.file.economics.is_none())
            .zip(curve)
            .map(|(b, curve)| {
                // A drawn LGD is each loan's own draw: only a segment with a fixed one pools.
                let fixed_lgd: Vec<bool> = scenario
                    .segments
                    .iter()
                    .map(|s| s.lgd.concentration.is_none())
                    .collect();
                crate::loan::FastBook::new(b, &model, pooled.then_some(fixed_lgd.as_slice()), curve)
            });
        let renewal = scenario
            .segments
            .iter()
            .map(|seg| {
                seg.originations
                    .map_or(0, |o| streams::threshold(o.renewal_probability))
            })
            .collect();
        let mut prepared = Prepared {
            scenario,
            grades,
            book,
            profile,
            used_grades,
            model,
            fast_path,
            fast_book,
            renewal,
            importance: None,
            ecl,
            exposure_weights: None,
            monthly_export: false,
        };
        if scenario.file.economics.is_some() {
            prepared.exposure_weights = crate::capital::path::exposure_weights(&prepared).map(std::sync::Arc::new);
        }
        prepared
    }

    /// Plans importance sampling when the scenario asks for it (a pilot
    /// run; see [`importance`]); plain sampling otherwise.
    pub fn with_sampling(mut self, control: RunControl) -> Result<Self, EngineError> {
        if let Some(settings) = &self.scenario.importance {
            self.importance = Some(self.plan_importance(settings, control)?);
        }
        Ok(self)
    }

    /// The same run with every path keeping its monthly ledger by segment
    /// and month, with the charge-off detail, in `tally.monthly` (for
    /// `monthly.csv`). The paths step loan by loan, recording their months
    /// (the fast path's whole-book shortcut is skipped; its tally is the
    /// same), so every other figure is bit for bit the run's without it.
    pub fn with_monthly_export(mut self) -> Self {
        self.monthly_export = true;
        self
    }

    /// Simulates path `index`.
    pub fn simulate_path(&self, index: u64) -> PathOutcome {
        self.simulate_path_with(index, false)
    }

    /// Simulates path `index` and records its loan-level tape
    /// (`outcome.tally.tape`): the same path as in the run, loan by loan in
    /// book order. Also returns the book the path ran on and where each of
    /// its loans came from.
    pub fn simulate_path_with_tape(&self, index: u64) -> (PathOutcome, Book, Vec<LoanOrigin>) {
        let outcome = self.simulate_path_with(index, true);
        let path = self.book.is_none().then_some(index);
        let (book, origins) = draw_book_with_origins(self.scenario, &self.grades, &self.model.schedules, path);
        (outcome, book, origins)
    }

    fn simulate_path_with(&self, index: u64, record_tape: bool) -> PathOutcome {
        let s = self.scenario;
        let tilt = self.importance.as_ref().map(|p| &p.tilt);
        let factors = draw_factor_path_sampled(&s.macro_model, s.horizon_months, s.seed, index, tilt);
        let redrawn;
        let book = match &self.book {
            Some(b) => b,
            None => {
                redrawn = draw_book(s, &self.grades, &self.model.schedules, Some(index));
                &redrawn
            }
        };
        let mut events = draw_path_events(s, &factors, index);
        // The month after our own book's 30+ DPD rate first exceeds `limit`,
        // from a pre-pass. A trigger acts from the month after the crossing,
        // so up to the crossing month the final pass is the pre-pass (even
        // when what the trigger sets off changes later delinquency), and the
        // pre-pass finds exactly the same month. The rate's base is the
        // loans booked by the month (the opening book's when nothing is
        // originated). At most one trigger needs a pre-pass (validated).
        let crossing = |limit: f64, events: &PathEvents| {
            let pre = self.step_book(book, &factors, index, None, events, false);
            let mut booked = 0u64;
            pre.monthly_delinquent
                .iter()
                .enumerate()
                .position(|(t, &n)| {
                    booked += pre
                        .flow
                        .as_ref()
                        .map_or(if t == 0 { book.loans.len() as u64 } else { 0 }, |f| {
                            f.booked_loans[t] as u64
                        });
                    n as f64 / booked.max(1) as f64 > limit
                })
                .map(|t| t + 1)
        };
        let trigger = s.policy.early_warning.as_ref().and_then(|e| e.portfolio_dpd30_above);
        let portfolio_cut_month = trigger.and_then(|limit| crossing(limit, &events));
        // Feedback: the industry also tightens once our own delinquency crosses its line.
        if let Some(limit) = s.industry_tightening.and_then(|t| t.when_own_dpd30_above)
            && let Some(month) = crossing(limit, &events).filter(|&m| m < s.horizon_months)
        {
            events.tightening = Some(events.tightening.map_or(month, |m| m.min(month)));
        }
        let mut tally = self.step_book(book, &factors, index, portfolio_cut_month, &events, record_tape);
        tally.event_months = events.recorded(s);
        if let Some(c) = &s.policy.collections {
            tally.collection_cost = c.cost_per_account_month * tally.delinquent_account_months() as f64;
        }
        // A going-concern book is exposed with every balance booked on the path.
        let exposure = match (&tally.flow, &self.book) {
            (Some(flow), _) => cents_to_money(flow.total_balance()),
            // The book drawn once: its profile's balance, summed once per run (not once per path).
            (None, Some(_)) => self.profile.exposure,
            (None, None) => cents_to_money(book.exposure()),
        };
        let ledger = tally.monthly.take();
        let pnl = ledger.as_deref().filter(|_| s.file.economics.is_some()).map(|ledger| {
            let segment_factors: Vec<Vec<f64>> = s
                .segments
                .iter()
                .map(|seg| factors.combine(&seg.factor_weights))
                .collect();
            let funding_jump: Vec<f64> = (0..s.horizon_months).map(|t| events.funding_jump(s, t)).collect();
            let conditions = crate::accounting::PathConditions {
                segment_factors: &segment_factors,
                funding_jump: &funding_jump,
            };
            Box::new(crate::accounting::path_pnl(s, ledger, &conditions))
        });
        if self.monthly_export {
            tally.monthly = ledger;
        }
        tally.records = tally.tape.is_some() || tally.flow.is_some();
        PathOutcome {
            index,
            exposure,
            tally,
            weight: factors.weight,
            factors: factors.values,
            pnl,
        }
    }

    /// Steps every loan of `book` through one path.
    fn step_book(
        &self,
        book: &Book,
        factors: &FactorPath,
        index: u64,
        portfolio_cut_month: Option<usize>,
        events: &PathEvents,
        record_tape: bool,
    ) -> PathTally {
        let s = self.scenario;
        let tables = tables::build_path_tables(self, factors, index, portfolio_cut_month, events);
        let mut tally = PathTally::new(s.segments.len(), s.bands.len(), s.horizon_months);
        if record_tape {
            tally.record_tape();
        }
        if s.originates() {
            tally.record_flow(BookFlow::new(
                s.horizon_months,
                s.vintage_months,
                s.segments.len(),
                s.bands.len(),
            ));
        }
        if s.file.economics.is_some() || self.monthly_export {
            let mut ledger = crate::loan::MonthlyLedger::new(s.segments.len(), s.horizon_months);
            if self.monthly_export {
                ledger = ledger.with_charge_off_detail();
            }
            if let Some(rules) = &self.ecl {
                ledger = ledger.with_provisions(rules.clone());
                if let Some(rule) = &rules.pd_rise {
                    let z: Vec<Vec<f64>> = s
                        .segments
                        .iter()
                        .map(|seg| factors.combine(&seg.factor_weights))
                        .collect();
                    let table = crate::loan::ledger::PointInTimePd::new(s, &self.grades, &self.used_grades, &z, rule);
                    ledger = ledger.with_pit_pd(table);
                }
            }
            if let Some(weights) = &self.exposure_weights {
                ledger = ledger.with_capital(weights.clone());
            }
            tally.record_monthly(ledger);
        }
        if tally.flow.is_some() || tally.monthly.is_some() {
            book.loans.iter().for_each(|loan| tally.book(0, loan, false));
        }
        let keys = opening_keys(s, index);
        if let Some(fast_book) = self.fast_book.as_ref().filter(|_| !tally.records_months()) {
            // The run-level book (a redrawn one has no fast book).
            fast_book.step(book, &self.model, &tables, &keys, &mut tally);
        } else if self.renewal.iter().all(|&p| p == 0) {
            for loan in &book.loans {
                simulate_loan(loan, 0, &self.model, &tables, &keys, &mut tally);
            }
        } else {
            for loan in &book.loans {
                self.step_with_renewals(loan, 0, &keys, &tables, &mut tally);
            }
        }
        if s.originates() {
            self.originate(factors, index, &tables, events, &mut tally);
        }
        tally
    }

    /// Steps `loan` from month `start` and, each time it repays at maturity
    /// within the horizon, renews it with its segment's renewal probability:
    /// the same loan (amount, rate, term, borrower) booked again from the
    /// month after its last payment. A renewal's decision and its draws come
    /// from the loan's keys mixed with the renewal's generation, so they are
    /// the same under every policy and move no other loan's draws.
    fn step_with_renewals(
        &self,
        loan: &Loan,
        start: usize,
        keys: &LoanKeys,
        tables: &crate::loan::PathTables,
        tally: &mut PathTally,
    ) {
        let mut matured = simulate_loan(loan, start, &self.model, tables, keys, tally);
        let renewal = self.renewal[loan.segment as usize];
        let mut keys = *keys;
        let mut generation = 0u64;
        while let Some(month) = matured.filter(|&m| m < self.scenario.horizon_months && renewal > 0) {
            generation += 1;
            keys = renewed_keys(&keys, generation);
            // The decision has a stream of its own (not the renewed loan's policy stream).
            let decision = streams::mix64(keys.policy ^ 0x0052_656e_6577_616c);
            if streams::LoanStream::new(decision, loan.id as u64).next_u64() >= renewal {
                break;
            }
            tally.book(month, loan, true);
            if let Some(flow) = tally.flow.as_deref_mut() {
                flow.renewed_loans[month] += 1;
            }
            matured = simulate_loan(loan, month, &self.model, tables, &keys, tally);
        }
    }

    /// Books and steps the loans originated on path `index`, segment by
    /// segment and month by month (see [`originations`]).
    fn originate(
        &self,
        factors: &FactorPath,
        index: u64,
        tables: &crate::loan::PathTables,
        events: &PathEvents,
        tally: &mut PathTally,
    ) {
        let s = self.scenario;
        for (g, seg) in s.segments.iter().enumerate() {
            let Some(o) = &seg.originations else { continue };
            let z = factors.combine(&seg.factor_weights);
            for month in o.months() {
                // A lending suspension takes no applications; a reputational shock scales them.
                let multiplier = events.volume_multiplier(s, month);
                if multiplier == 0.0 {
                    continue;
                }
                let n = originations::applications(s, o, g, month, z[month], multiplier, index);
                let keys = originations::loan_keys(s, g, month, index);
                tally.flow.as_deref_mut().expect("a book flow is kept").applications[month] += n;
                for i in 0..n {
                    let a = originations::applicant(
                        s,
                        &self.grades,
                        &self.model.schedules,
                        o,
                        g,
                        month,
                        i,
                        z[month],
                        index,
                    );
                    if a.approved {
                        tally.book(month, &a.loan, true);
                        self.step_with_renewals(&a.loan, month, &keys, tables, tally);
                    }
                }
            }
        }
    }

    /// Simulates the paths in `range` in parallel, returned in path order.
    pub fn simulate_paths(&self, range: Range<u64>, control: RunControl) -> Result<Vec<PathOutcome>, EngineError> {
        range
            .into_par_iter()
            .map(|index| {
                if control.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
                    return Err(EngineError::Cancelled);
                }
                let outcome = self.simulate_path(index);
                if let Some(progress) = control.progress {
                    progress();
                }
                Ok(outcome)
            })
            .collect()
    }
}

/// Runs every path of the scenario (engine chosen automatically).
pub fn run<'a>(scenario: &'a Scenario, control: RunControl) -> Result<(Prepared<'a>, Vec<PathOutcome>), EngineError> {
    run_with(scenario, EngineChoice::Auto, control)
}

/// Runs every path of the scenario with the given engine choice (and the
/// scenario's sampling: a pilot first under importance sampling).
pub fn run_with<'a>(
    scenario: &'a Scenario,
    choice: EngineChoice,
    control: RunControl,
) -> Result<(Prepared<'a>, Vec<PathOutcome>), EngineError> {
    let prepared = Prepared::with_engine(scenario, choice)?.with_sampling(control)?;
    let paths = prepared.simulate_paths(0..scenario.paths, control)?;
    Ok((prepared, paths))
}

/// Stream keys of the opening book's loans on path `path`.
pub fn opening_keys(scenario: &Scenario, path: u64) -> LoanKeys {
    let borrowers = if scenario.redraw_population {
        path
    } else {
        streams::RUN_LEVEL
    };
    LoanKeys {
        events: stream_key(scenario.seed, path, Purpose::LoanEvents),
        lgd: stream_key(scenario.seed, path, Purpose::Lgd),
        policy: stream_key(scenario.seed, path, Purpose::Policy),
        borrower: stream_key(scenario.seed, borrowers, Purpose::Borrowers),
    }
}

/// The keys of renewal `generation` of a loan whose previous keys are `keys`.
fn renewed_keys(keys: &LoanKeys, generation: u64) -> LoanKeys {
    let mix = |k: u64| streams::item_key(k, generation.wrapping_mul(0x52_656e_6577));
    LoanKeys {
        events: mix(keys.events),
        lgd: mix(keys.lgd),
        policy: mix(keys.policy),
        borrower: keys.borrower,
    }
}
