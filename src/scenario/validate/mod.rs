//! `ScenarioFile` -> `Scenario`: every range and shape check lives here, once.

use std::collections::BTreeSet;

mod macro_model;
mod segment;

use super::file::*;
use super::policy::{Policy, check_policy};
use super::resolved::*;
use super::{
    BookSection, ImportedLoan, MAX_HORIZON_MONTHS, SCHEMA_VERSION, SCORE_MAX, SCORE_MIN, ScenarioError, StartState,
    parse_book,
};
use macro_model::macro_model;
use segment::{SegmentContext, pricing_rates, segment};

pub(super) type Result<T> = std::result::Result<T, ScenarioError>;

/// Most segments a scenario may have (segment indices are stored in 16 bits).
const MAX_SEGMENTS: usize = 1000;
/// Most loans in a book (loan identities are 32-bit).
const MAX_LOANS: u64 = u32::MAX as u64;
/// Largest credit limit: keeps every cent total of a path far inside 64 bits.
pub(super) const MAX_LIMIT: f64 = 1e9;
/// Largest score standard deviation (scores are truncated by redrawing).
pub(super) const MAX_SCORE_STD: f64 = 1000.0;
/// Largest possible book in cents (2^61): path totals of balances, draws and
/// interest stay inside 64-bit integers.
const MAX_BOOK_CENTS: f64 = 2_305_843_009_213_693_952.0;
/// Most score bands (band indices are stored in 8 bits).
const MAX_BANDS: usize = 255;

/// Longest period a scorecard PD may be quoted over, in months.
const MAX_PD_PERIOD_MONTHS: u32 = 120;

pub(super) fn err<T>(field: impl Into<String>, problem: impl Into<String>) -> Result<T> {
    Err(ScenarioError::invalid(field, problem))
}

pub(super) fn probability(field: &str, v: f64) -> Result<Probability> {
    Probability::new(v).map_or_else(|| err(field, format!("must be a probability in [0, 1], got {v}")), Ok)
}

pub(super) fn finite(field: &str, v: f64) -> Result<f64> {
    if v.is_finite() {
        Ok(v)
    } else {
        err(field, format!("must be a finite number, got {v}"))
    }
}

pub(super) fn positive(field: &str, v: f64) -> Result<f64> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        err(field, format!("must be > 0, got {v}"))
    }
}

pub(super) fn non_negative(field: &str, v: f64) -> Result<f64> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        err(field, format!("must be >= 0, got {v}"))
    }
}

pub(super) fn correlation_like(field: &str, v: f64) -> Result<f64> {
    if (0.0..1.0).contains(&v) {
        Ok(v)
    } else {
        err(field, format!("must be in [0, 1), got {v}"))
    }
}

/// A Beta from mean and std; std 0 gives a fixed value.
pub(crate) fn unit_distribution(field: &str, spec: BetaSpec) -> Result<UnitDistribution> {
    let m = probability(&format!("{field}.mean"), spec.mean)?.get();
    let s = non_negative(&format!("{field}.std"), spec.std)?;
    if s == 0.0 {
        return Ok(UnitDistribution::Fixed(m));
    }
    let concentration = beta_concentration(field, m, s)?;
    let beta = BetaLaw::new(m * concentration, (1.0 - m) * concentration)
        .map_err(|e| ScenarioError::invalid(field, format!("not a valid Beta distribution: {e}")))?;
    Ok(UnitDistribution::Beta(beta))
}

/// Smallest non-zero std of a Beta specification: below it the Beta
/// parameters pass 1e11 and sampling loses all precision (a std of 1e-154
/// once made every draw NaN); give 0 for a fixed value.
pub const MIN_BETA_STD: f64 = 1e-6;

/// `alpha + beta = m (1 - m) / s^2 - 1`, which must be positive.
pub(super) fn beta_concentration(field: &str, m: f64, s: f64) -> Result<f64> {
    if s < MIN_BETA_STD {
        return err(
            format!("{field}.std"),
            format!("must be 0 (a fixed value) or at least {MIN_BETA_STD:e}, got {s:e}"),
        );
    }
    let max_std = (m * (1.0 - m)).sqrt();
    if s >= max_std {
        return err(
            format!("{field}.std"),
            format!("a Beta with mean {m} needs std < sqrt(mean (1 - mean)) = {max_std:.4}, got {s}"),
        );
    }
    Ok(m * (1.0 - m) / (s * s) - 1.0)
}

/// Parses the attached book file and checks it against the scenario.
fn imported_book(
    file: &ScenarioFile,
    section: &BookSection,
    segments: &[Segment],
    synthetic_loans: u64,
    delinquency: bool,
) -> Result<Vec<ImportedLoan>> {
    let data_error = |line: Option<u64>, column: Option<&str>, problem: String| ScenarioError::Data {
        file: section.file.clone(),
        line,
        column: column.map(str::to_string),
        problem,
    };
    let Some(bytes) = file.attachments.get(&section.file) else {
        return Err(data_error(
            None,
            None,
            "the scenario names this file but it was not read (load the scenario from its file)".into(),
        ));
    };
    let names: Vec<String> = segments.iter().map(|s| s.name.clone()).collect();
    let amortisation: Vec<Amortisation> = segments.iter().map(|s| s.amortisation).collect();
    let loans = parse_book(&section.file, bytes, &names, &amortisation, synthetic_loans)?;
    if synthetic_loans + loans.len() as u64 > MAX_LOANS {
        return Err(data_error(
            None,
            None,
            format!("the book may hold at most {MAX_LOANS} loans in all"),
        ));
    }
    let mut per_segment = vec![0u64; segments.len()];
    for loan in &loans {
        per_segment[loan.segment] += 1;
        if !delinquency && loan.state != StartState::Current {
            return Err(data_error(
                None,
                Some("dpd"),
                format!(
                    "loan {:?} is delinquent, but the scenario has no delinquency buckets (dynamics.delinquency = false)",
                    loan.loan_id
                ),
            ));
        }
    }
    for (i, seg) in segments.iter().enumerate() {
        if seg.loans + per_segment[i] == 0 {
            return err(
                format!("segments[{i}].loans"),
                format!(
                    "segment {:?} has no synthetic loans and none in {}",
                    seg.name, section.file
                ),
            );
        }
    }
    let exposure: f64 = loans.iter().map(|l| l.limit as f64).sum();
    if exposure > MAX_BOOK_CENTS {
        return Err(data_error(
            None,
            Some("limit"),
            format!(
                "the limits sum to more than {:e} currency units; cent totals would no longer be exact",
                MAX_BOOK_CENTS / 100.0
            ),
        ));
    }
    Ok(loans)
}

impl Scenario {
    /// Checks every field of a parsed file and builds the engine's view of it.
    pub fn from_file(mut file: ScenarioFile) -> Result<Self> {
        if file.schema_version != SCHEMA_VERSION {
            return err(
                "schema_version",
                format!(
                    "this program reads version {SCHEMA_VERSION}, got {}",
                    file.schema_version
                ),
            );
        }
        if !is_safe_name(&file.name) {
            return err("name", format!("{NAME_RULE}, got {:?}", file.name));
        }
        let run = &file.run;
        if run.horizon_months == 0 || run.horizon_months > MAX_HORIZON_MONTHS {
            return err(
                "run.horizon_months",
                format!("must be in 1..={MAX_HORIZON_MONTHS}, got {}", run.horizon_months),
            );
        }
        if run.paths == 0 {
            return err("run.paths", "must be at least 1");
        }
        if run.vintage_months == 0 || run.vintage_months > MAX_HORIZON_MONTHS {
            return err(
                "run.vintage_months",
                format!("must be in 1..={MAX_HORIZON_MONTHS}, got {}", run.vintage_months),
            );
        }
        check_risk_levels(&run.risk_levels)?;
        check_rate_lines(&file.rate_lines)?;
        if let Some(economics) = &file.economics {
            check_economics(economics)?;
        }
        let bands = score_bands(&file.population.score_bands)?;
        let macro_model = macro_model(&file.macro_model, &file.attachments, run.horizon_months as usize)?;
        let importance = importance(run, &macro_model)?;
        let (dynamics, global_transitions) = dynamics(&file.dynamics)?;
        if file.segments.is_empty() {
            return err("segments", "at least one [[segments]] table is required");
        }
        if file.segments.len() > MAX_SEGMENTS {
            return err(
                "segments",
                format!("at most {MAX_SEGMENTS} segments, got {}", file.segments.len()),
            );
        }
        let policy = match &file.policy {
            Some(raw) => check_policy(raw, "policy", bands.len())?,
            None => Policy::default(),
        };
        if !file.dynamics.delinquency {
            if policy.forbearance.is_some() {
                return err(
                    "policy.forbearance",
                    "plans are offered at 30 days past due, so they need dynamics.delinquency = true",
                );
            }
            if policy
                .early_warning
                .as_ref()
                .is_some_and(|e| e.portfolio_dpd30_above.is_some())
            {
                return err(
                    "policy.early_warning.portfolio_dpd30_above",
                    "without delinquency buckets no loan is ever 30 days past due; set dynamics.delinquency = true",
                );
            }
        }
        if policy.min_score.is_some() && run.redraw_population {
            return err(
                "policy.approval",
                "an approval cutoff with run.redraw_population = true would book a different number of loans on each path; \
                 this combination is not supported",
            );
        }
        // A policy's pricing replaces every segment's (the file keeps both, so
        // that another policy can later replace this one).
        let policy_rates = match file.policy.as_ref().and_then(|p| p.pricing.as_ref()) {
            Some(pricing) => Some(pricing_rates("policy.pricing", pricing, &bands)?),
            None => None,
        };
        // Resolve default pricing into the file so the manifest shows the rates used.
        for raw in &mut file.segments {
            let p = &mut raw.pricing;
            if p.daily_rate_by_band.is_none() && p.annual_rate_by_band.is_none() {
                p.daily_rate_by_band = Some(DEFAULT_DAILY_RATES.to_vec());
            }
        }
        let mut total_loans: u64 = 0;
        let mut max_exposure_cents = 0.0;
        let mut names = BTreeSet::new();
        let mut segments = Vec::with_capacity(file.segments.len());
        for (i, raw) in file.segments.iter().enumerate() {
            let field = format!("segments[{i}]");
            if !names.insert(raw.name.as_str()) {
                return err(
                    format!("{field}.name"),
                    format!("duplicate segment name {:?}", raw.name),
                );
            }
            let mut seg = segment(
                &field,
                raw,
                &SegmentContext {
                    bands: &bands,
                    macro_model: &macro_model,
                    global: &global_transitions,
                    delinquency: dynamics.delinquency,
                    imported_book: file.book.is_some(),
                    horizon: run.horizon_months,
                },
            )?;
            if let Some(rates) = &policy_rates {
                seg.monthly_rate_by_band = rates.clone();
            }
            total_loans += seg.loans;
            max_exposure_cents += seg.loans as f64 * seg.limit.cap * 100.0;
            if let Some(o) = &seg.originations {
                // Twice the largest mean (and 100 more) bounds a Poisson month's count.
                let largest = o.applications_monthly * o.volume_cap_multiple;
                let applicants = (2.0 * largest + 100.0) * o.months().len() as f64;
                max_exposure_cents += applicants * seg.limit.cap * 100.0;
            }
            if max_exposure_cents > MAX_BOOK_CENTS {
                return err(
                    format!("{field}.loans"),
                    format!(
                        "loans x limit.cap over all segments (with the most a run can originate) must stay below {:e} currency units, so that cent totals stay exact",
                        MAX_BOOK_CENTS / 100.0
                    ),
                );
            }
            if total_loans > MAX_LOANS {
                return err(
                    format!("{field}.loans"),
                    format!("the book may hold at most {MAX_LOANS} loans in all"),
                );
            }
            segments.push(seg);
        }
        let outage = file
            .outage
            .as_ref()
            .map(|o| outage(o, run.horizon_months))
            .transpose()?;
        if outage.is_some() && !dynamics.delinquency {
            return err(
                "outage",
                "an outage makes loans 30 days past due, so it needs dynamics.delinquency = true",
            );
        }
        let fraud_waves = file
            .fraud_waves
            .as_ref()
            .map(|f| fraud_waves(f, run.horizon_months))
            .transpose()?;
        if fraud_waves.is_some_and(|f| f.with_outage) && outage.is_none() {
            return err("fraud_waves.with_outage", "needs an [outage]");
        }
        let industry_tightening = file
            .industry_tightening
            .as_ref()
            .map(|t| industry_tightening(t, run.horizon_months, &macro_model))
            .transpose()?;
        if industry_tightening.is_some_and(|t| t.when_own_dpd30_above.is_some())
            && policy
                .early_warning
                .as_ref()
                .is_some_and(|e| e.portfolio_dpd30_above.is_some())
        {
            return err(
                "industry_tightening.when_own_dpd30_above",
                "cannot be combined with policy.early_warning.portfolio_dpd30_above (each trigger needs its own pre-pass of the book)",
            );
        }
        if industry_tightening.is_some_and(|t| t.when_own_dpd30_above.is_some()) && !dynamics.delinquency {
            return err(
                "industry_tightening.when_own_dpd30_above",
                "without delinquency buckets no loan is ever 30 days past due; set dynamics.delinquency = true",
            );
        }
        let mut events = Vec::with_capacity(file.events.len());
        for (i, raw) in file.events.iter().enumerate() {
            let e = event(&format!("events[{i}]"), raw, run.horizon_months, &macro_model)?;
            if events.iter().any(|x: &Event| x.name == e.name) || e.name == "industry_tightening" {
                return err(
                    format!("events[{i}].name"),
                    format!("duplicate event name {:?} (give each event its own name)", e.name),
                );
            }
            if matches!(e.effect, EventEffect::CollectionRestriction { .. }) && !dynamics.delinquency {
                return err(
                    format!("events[{i}]"),
                    "a collection restriction lowers cure rates, which need dynamics.delinquency = true",
                );
            }
            events.push(e);
        }
        let book = match &file.book {
            None => Vec::new(),
            Some(section) => imported_book(&file, section, &segments, total_loans, dynamics.delinquency)?,
        };
        // Resolve the default recovery lag into the file so the manifest shows it.
        if file.dynamics.recovery_curve.is_none() && file.dynamics.recovery_lag_months.is_none() {
            file.dynamics.recovery_lag_months = Some(DEFAULT_RECOVERY_LAG_MONTHS);
        }
        Ok(Scenario {
            name: file.name.clone(),
            horizon_months: run.horizon_months as usize,
            paths: run.paths,
            seed: run.seed,
            risk_levels: run.risk_levels.clone(),
            redraw_population: run.redraw_population,
            vintage_months: run.vintage_months as usize,
            importance,
            bands,
            segments,
            macro_model,
            dynamics,
            outage,
            fraud_waves,
            industry_tightening,
            events,
            policy,
            calibration: Calibration {
                bad_event: file.calibration.bad_event,
                factor_law: file.calibration.factor_law,
            },
            book: std::sync::Arc::new(book),
            file,
        })
    }
}

pub(super) const NAME_RULE: &str =
    "must be non-empty, use only letters, digits, '-', '_' or '.', and not start with '.'";

/// Names become folder and column names: letters, digits, `-`, `_`, `.`,
/// not starting with `.` (so never `.`, `..` or a hidden folder).
pub(super) fn is_safe_name(name: &str) -> bool {
    !name.is_empty() && !name.starts_with('.') && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

/// The APR lines: one to ten, each in (0, 10], increasing.
fn check_rate_lines(lines: &crate::scenario::RateLinesSection) -> Result<()> {
    if lines.apr.is_empty() || lines.apr.len() > 10 {
        return err(
            "rate_lines.apr",
            format!("give one to ten lines, got {}", lines.apr.len()),
        );
    }
    for (i, &a) in lines.apr.iter().enumerate() {
        if !(a.is_finite() && a > 0.0 && a <= 10.0) {
            return err(
                format!("rate_lines.apr[{i}]"),
                format!("must be in (0, 10] (an annual rate), got {a}"),
            );
        }
        if i > 0 && a <= lines.apr[i - 1] {
            return err("rate_lines.apr", "lines must be strictly increasing");
        }
    }
    if !(1..=120).contains(&lines.revolving_fee_life_months) {
        return err(
            "rate_lines.revolving_fee_life_months",
            format!("must be 1 to 120 months, got {}", lines.revolving_fee_life_months),
        );
    }
    Ok(())
}

/// Largest money amount of one `[economics]` fee or cost (10^9 currency
/// units): a path's sums of them over every loan-month stay inside cents in 64 bits.
const MAX_ECONOMICS_AMOUNT: f64 = 1e9;

/// `[economics]`: shares in [0, 1], annual rates in [0, 1], amounts in [0, 10^9].
fn check_economics(e: &crate::scenario::EconomicsSection) -> Result<()> {
    let share = |field: &str, v: f64| -> Result<()> {
        if (0.0..=1.0).contains(&v) {
            Ok(())
        } else {
            err(
                format!("economics.{field}"),
                format!("must be a share in [0, 1], got {v}"),
            )
        }
    };
    let rate = |field: &str, v: f64| -> Result<()> {
        if (0.0..=1.0).contains(&v) {
            Ok(())
        } else {
            err(
                format!("economics.{field}"),
                format!("must be an annual rate in [0, 1], got {v}"),
            )
        }
    };
    let amount = |field: &str, v: f64| -> Result<()> {
        if (0.0..=MAX_ECONOMICS_AMOUNT).contains(&v) {
            Ok(())
        } else {
            err(
                format!("economics.{field}"),
                format!("must be an amount in [0, {MAX_ECONOMICS_AMOUNT:e}], got {v}"),
            )
        }
    };
    share("origination_fee_share", e.origination_fee_share)?;
    amount("late_fee", e.late_fee)?;
    amount("operating_cost_per_account_month", e.operating_cost_per_account_month)?;
    amount("operating_cost_per_origination", e.operating_cost_per_origination)?;
    let f = &e.funding;
    rate("funding.cost_of_funds_annual", f.cost_of_funds_annual)?;
    rate("funding.factor_sensitivity_annual", f.factor_sensitivity_annual)?;
    rate("funding.partner_rate_annual", f.partner_rate_annual)?;
    share("funding.service_fee_share", f.service_fee_share)?;
    if let Some(p) = &e.provisions {
        check_provisions(p)?;
    }
    if !(f.own_share > 0.0 && f.own_share <= 1.0) {
        return err(
            "economics.funding.own_share",
            format!(
                "must be in (0, 1] (the platform's own share of each loan), got {}",
                f.own_share
            ),
        );
    }
    Ok(())
}

/// `[economics.provisions]`: one to ten named scenarios with weights in
/// (0, 1] summing to 1 and factor levels within 10 standard deviations; a
/// revolving life of 1 to 600 months; a PD-rise ratio of 0 (off) or 1 to
/// 100, a minimum increase in [0, 1) and an opening-book factor within 10
/// standard deviations.
fn check_provisions(p: &crate::scenario::ProvisionsSection) -> Result<()> {
    const FIELD: &str = "economics.provisions.scenarios";
    if p.scenarios.is_empty() || p.scenarios.len() > 10 {
        return err(FIELD, format!("give one to ten scenarios, got {}", p.scenarios.len()));
    }
    for (i, s) in p.scenarios.iter().enumerate() {
        if s.name.trim().is_empty() || p.scenarios[..i].iter().any(|o| o.name == s.name) {
            return err(
                format!("{FIELD}[{i}].name"),
                format!("must be non-empty and unique, got {:?}", s.name),
            );
        }
        if !(s.weight > 0.0 && s.weight <= 1.0) {
            return err(
                format!("{FIELD}[{i}].weight"),
                format!("must be in (0, 1], got {}", s.weight),
            );
        }
        if !(s.factor.is_finite() && s.factor.abs() <= 10.0) {
            return err(
                format!("{FIELD}[{i}].factor"),
                format!("must be within [-10, 10] standard deviations, got {}", s.factor),
            );
        }
    }
    let total: f64 = p.scenarios.iter().map(|s| s.weight).sum();
    if (total - 1.0).abs() > 1e-9 {
        return err(FIELD, format!("the weights must sum to 1, got {total}"));
    }
    if !(1..=600).contains(&p.revolving_life_months) {
        return err(
            "economics.provisions.revolving_life_months",
            format!("must be in 1..=600, got {}", p.revolving_life_months),
        );
    }
    if !(p.pd_rise_ratio == 0.0 || (1.0..=100.0).contains(&p.pd_rise_ratio)) {
        return err(
            "economics.provisions.pd_rise_ratio",
            format!(
                "must be 0 (off) or in [1, 100] (a multiple of the PD at booking), got {}",
                p.pd_rise_ratio
            ),
        );
    }
    if !(0.0..1.0).contains(&p.pd_rise_min_increase) {
        return err(
            "economics.provisions.pd_rise_min_increase",
            format!("must be a probability in [0, 1), got {}", p.pd_rise_min_increase),
        );
    }
    if !(p.pd_rise_opening_factor.is_finite() && p.pd_rise_opening_factor.abs() <= 10.0) {
        return err(
            "economics.provisions.pd_rise_opening_factor",
            format!(
                "must be within [-10, 10] standard deviations, got {}",
                p.pd_rise_opening_factor
            ),
        );
    }
    Ok(())
}

/// Fewest and most pilot paths of importance sampling.
const PILOT_PATHS_RANGE: std::ops::RangeInclusive<u64> = 100..=1_000_000;

/// Resolves `run.sampling` (with `auto`) and checks `[run.importance]`.
fn importance(run: &crate::scenario::RunSection, macro_model: &MacroModel) -> Result<Option<ImportanceSettings>> {
    let section = &run.importance;
    if !(section.plain_share.is_finite() && (0.0..1.0).contains(&section.plain_share)) {
        return err(
            "run.importance.plain_share",
            format!("must be in [0, 1), got {}", section.plain_share),
        );
    }
    if !PILOT_PATHS_RANGE.contains(&section.pilot_paths) {
        return err(
            "run.importance.pilot_paths",
            format!(
                "must be in {}..={}, got {}",
                PILOT_PATHS_RANGE.start(),
                PILOT_PATHS_RANGE.end(),
                section.pilot_paths
            ),
        );
    }
    if let Some(level) = section.level
        && !(level > 0.0 && level < 1.0)
    {
        return err("run.importance.level", format!("must be in (0, 1), got {level}"));
    }
    let highest = run.risk_levels.iter().copied().fold(0.0, f64::max);
    let chosen = match run.sampling {
        SamplingMethod::Plain => false,
        SamplingMethod::Auto => highest >= 0.99 && macro_model.sigma > 0.0,
        SamplingMethod::Importance => {
            if macro_model.sigma <= 0.0 {
                return err(
                    "run.sampling",
                    "importance sampling shifts the factor's noise, and macro.noise.sigma is 0; use \"plain\"",
                );
            }
            true
        }
    };
    Ok(chosen.then(|| ImportanceSettings {
        level: section.level.unwrap_or(highest),
        plain_share: section.plain_share,
        pilot_paths: section.pilot_paths,
    }))
}

fn check_risk_levels(levels: &[f64]) -> Result<()> {
    if levels.is_empty() {
        return err("run.risk_levels", "give at least one level");
    }
    for (i, &q) in levels.iter().enumerate() {
        if !(q > 0.0 && q < 1.0) {
            return err(format!("run.risk_levels[{i}]"), format!("must be in (0, 1), got {q}"));
        }
        if i > 0 && q <= levels[i - 1] {
            return err("run.risk_levels", "levels must be strictly increasing");
        }
    }
    Ok(())
}

impl ScoreBands {
    /// Band edges checked as `population.score_bands` is (errors name that
    /// field), for callers with edges but no scenario (`calibrate --bands`).
    pub fn new(edges: &[f64]) -> Result<Self> {
        score_bands(edges)
    }
}

fn score_bands(edges: &[f64]) -> Result<ScoreBands> {
    let field = "population.score_bands";
    if edges.len() < 2 {
        return err(field, "give at least two edges (one band)");
    }
    if let Some(i) = edges.iter().position(|e| !e.is_finite()) {
        return err(
            format!("{field}[{i}]"),
            format!("must be a finite number, got {}", edges[i]),
        );
    }
    if edges[0] != SCORE_MIN || edges[edges.len() - 1] != SCORE_MAX {
        return err(field, format!("must start at {SCORE_MIN} and end at {SCORE_MAX}"));
    }
    if edges.len() - 1 > MAX_BANDS {
        return err(field, format!("at most {MAX_BANDS} bands"));
    }
    if edges.windows(2).any(|w| w[1] <= w[0]) {
        return err(field, "edges must be strictly increasing");
    }
    Ok(ScoreBands { edges: edges.to_vec() })
}

fn dynamics(raw: &DynamicsSection) -> Result<(Dynamics, Transitions)> {
    // The calibration steps every loan state over the period: a period of a
    // million months was accepted and ran for minutes (found by tests/fuzz_scenarios.rs).
    if raw.pd_period_months == 0 || raw.pd_period_months > MAX_PD_PERIOD_MONTHS {
        return err(
            "dynamics.pd_period_months",
            format!("must be 1 to {MAX_PD_PERIOD_MONTHS} months (a PD quoted over at most 10 years)"),
        );
    }
    let global = transitions(
        "dynamics",
        raw.delinquency,
        raw.roll_rates,
        raw.cure_rates,
        raw.roll_sensitivity,
        raw.cure_sensitivity,
    )?;
    let dynamics = Dynamics {
        pd_period_months: raw.pd_period_months,
        delinquency: raw.delinquency,
        recovery_schedule: recovery_schedule(raw)?,
        recovery_discount_rate_annual: match raw.recovery_discount_rate_annual {
            None => None,
            Some(r) if r.is_finite() && (0.0..=10.0).contains(&r) => Some(r),
            Some(r) => {
                return err(
                    "dynamics.recovery_discount_rate_annual",
                    format!("must be in [0, 10] (an annual rate; leave it out for the loan's own rate), got {r}"),
                );
            }
        },
        recovery_cost_share: probability("dynamics.recovery_cost_share", raw.recovery_cost_share)?.get(),
        recovery_macro_sensitivity: {
            let k = raw.recovery_macro_sensitivity;
            if !(0.0..=10.0).contains(&k) {
                return err(
                    "dynamics.recovery_macro_sensitivity",
                    format!("must be in [0, 10], got {k}"),
                );
            }
            k
        },
        penalty_rate_monthly: {
            let r = raw.penalty_rate_monthly;
            if !(0.0..=1.0).contains(&r) {
                return err("dynamics.penalty_rate_monthly", format!("must be in [0, 1], got {r}"));
            }
            r
        },
        suspend_line_from_bucket: match raw.suspend_line_at_dpd {
            0 => None,
            30 => Some(0),
            60 => Some(1),
            90 => Some(2),
            other => {
                return err(
                    "dynamics.suspend_line_at_dpd",
                    format!("must be 30, 60, 90 or 0 (never), got {other}"),
                );
            }
        },
    };
    Ok((dynamics, global))
}

/// Checks one table of roll and cure rates; `field` is `dynamics` or
/// `segments[i].dynamics`.
pub(super) fn transitions(
    field: &str,
    delinquency: bool,
    roll_rates: [f64; 3],
    cure_rates: [f64; 3],
    roll_sensitivity: f64,
    cure_sensitivity: f64,
) -> Result<Transitions> {
    let mut roll = [Probability::new(0.0).expect("0 is a probability"); 3];
    let mut cure = roll;
    for k in 0..3 {
        roll[k] = probability(&format!("{field}.roll_rates[{k}]"), roll_rates[k])?;
        cure[k] = probability(&format!("{field}.cure_rates[{k}]"), cure_rates[k])?;
        if roll[k].get() + cure[k].get() > 1.0 {
            return err(
                format!("{field}.cure_rates[{k}]"),
                "roll rate + cure rate of a bucket must not exceed 1",
            );
        }
        if delinquency && roll[k].get() == 0.0 {
            return err(
                format!("{field}.roll_rates[{k}]"),
                "must be > 0 (otherwise no loan ever charges off)",
            );
        }
    }
    Ok(Transitions {
        roll_rates: roll,
        cure_rates: cure,
        roll_sensitivity: correlation_like(&format!("{field}.roll_sensitivity"), roll_sensitivity)?,
        cure_sensitivity: correlation_like(&format!("{field}.cure_sensitivity"), cure_sensitivity)?,
    })
}

/// Longest recovery curve (months after the charge-off).
const MAX_RECOVERY_MONTHS: usize = 600;

fn recovery_schedule(raw: &DynamicsSection) -> Result<Vec<(usize, f64)>> {
    match (&raw.recovery_curve, raw.recovery_lag_months) {
        (Some(_), Some(_)) => err(
            "dynamics.recovery_curve",
            "give recovery_lag_months (one lump) or recovery_curve (a share per month), not both",
        ),
        (None, lag) => {
            let lag = lag.unwrap_or(DEFAULT_RECOVERY_LAG_MONTHS) as usize;
            if lag > MAX_RECOVERY_MONTHS {
                return err(
                    "dynamics.recovery_lag_months",
                    format!("at most {MAX_RECOVERY_MONTHS}, got {lag}"),
                );
            }
            Ok(vec![(lag, 1.0)])
        }
        (Some(curve), None) => {
            if curve.is_empty() || curve.len() > MAX_RECOVERY_MONTHS + 1 {
                return err(
                    "dynamics.recovery_curve",
                    format!("give 1 to {} shares, got {}", MAX_RECOVERY_MONTHS + 1, curve.len()),
                );
            }
            for (i, &v) in curve.iter().enumerate() {
                probability(&format!("dynamics.recovery_curve[{i}]"), v)?;
            }
            let sum: f64 = curve.iter().sum();
            if (sum - 1.0).abs() > 1e-9 {
                return err("dynamics.recovery_curve", format!("shares must sum to 1, sum to {sum}"));
            }
            Ok(curve
                .iter()
                .enumerate()
                .filter(|(_, v)| **v > 0.0)
                .map(|(i, v)| (i, *v))
                .collect())
        }
    }
}

fn fraud_waves(raw: &FraudWavesSection, horizon: u32) -> Result<FraudWaves> {
    if raw.duration_months == 0 || raw.duration_months > horizon.max(1) {
        return err(
            "fraud_waves.duration_months",
            format!("must be in 1..={horizon}, got {}", raw.duration_months),
        );
    }
    Ok(FraudWaves {
        probability_monthly: probability("fraud_waves.probability_monthly", raw.probability_monthly)?,
        duration_months: raw.duration_months as usize,
        takeover_share: probability("fraud_waves.takeover_share", raw.takeover_share)?,
        with_outage: raw.with_outage,
    })
}

/// The timing fields of an event, checked under `field`.
fn event_timing(field: &str, t: TimingFields, horizon: u32, macro_model: &MacroModel) -> Result<Option<EventTiming>> {
    let TimingFields {
        month,
        window,
        probability: probability_field,
        probability_monthly,
        factor_sensitivity,
        factor,
    } = t;
    let f = |name: &str| format!("{field}.{name}");
    let p = match probability_field {
        Some(p) => probability(&f("probability"), p)?.get(),
        None => 1.0,
    };
    if probability_monthly.is_none() && (factor_sensitivity.is_some() || factor.is_some()) {
        return err(
            f("factor_sensitivity"),
            "factor_sensitivity and factor only go with probability_monthly",
        );
    }
    let timing = match (month, window, probability_monthly) {
        (None, None, None) => return Ok(None),
        (Some(m), None, None) => {
            if m == 0 || m > horizon {
                return err(f("month"), format!("must be in 1..={horizon}, got {m}"));
            }
            EventTiming::Fixed {
                month: m as usize - 1,
                probability: p,
            }
        }
        (None, Some([a, b]), None) => {
            if a == 0 || a > b || b > horizon {
                return err(
                    f("window"),
                    format!("must be [first, last] with 1 <= first <= last <= {horizon}, got [{a}, {b}]"),
                );
            }
            EventTiming::Window {
                first: a as usize - 1,
                last: b as usize - 1,
                probability: p,
            }
        }
        (None, None, Some(q)) => {
            if probability_field.is_some() {
                return err(
                    f("probability"),
                    "probability goes with month or window; with probability_monthly the monthly probability is all",
                );
            }
            let q = probability(&f("probability_monthly"), q)?.get();
            let sensitivity = finite(&f("factor_sensitivity"), factor_sensitivity.unwrap_or(0.0))?;
            if sensitivity.abs() > 10.0 {
                return err(
                    f("factor_sensitivity"),
                    format!("must be within [-10, 10], got {sensitivity}"),
                );
            }
            let index = match factor {
                None => 0,
                Some(name) => macro_model.factor_names.iter().position(|n| n == name).ok_or_else(|| {
                    ScenarioError::invalid(
                        f("factor"),
                        format!(
                            "no macro factor {name:?} (factors: {})",
                            macro_model.factor_names.join(", ")
                        ),
                    )
                })?,
            };
            EventTiming::Hazard {
                probability_monthly: q,
                sensitivity,
                factor: index,
            }
        }
        _ => {
            return err(
                field.to_string(),
                "give exactly one of month, window or probability_monthly",
            );
        }
    };
    Ok(Some(timing))
}

fn industry_tightening(
    raw: &IndustryTighteningSection,
    horizon: u32,
    macro_model: &MacroModel,
) -> Result<IndustryTightening> {
    let field = "industry_tightening";
    let timing = event_timing(field, raw.timing(), horizon, macro_model)?;
    let when = raw
        .when_own_dpd30_above
        .map(|x| probability("industry_tightening.when_own_dpd30_above", x).map(Probability::get))
        .transpose()?;
    if timing.is_none() && when.is_none() {
        return err(
            field,
            "give its timing (month, window or probability_monthly), when_own_dpd30_above, or both",
        );
    }
    if raw.duration_months == 0 || raw.duration_months > horizon {
        return err(
            "industry_tightening.duration_months",
            format!("must be in 1..={horizon}, got {}", raw.duration_months),
        );
    }
    Ok(IndustryTightening {
        timing,
        duration_months: raw.duration_months as usize,
        when_own_dpd30_above: when,
    })
}

fn event(field: &str, raw: &EventSection, horizon: u32, macro_model: &MacroModel) -> Result<Event> {
    let f = |name: &str| format!("{field}.{name}");
    let name = raw.name.clone().unwrap_or_else(|| raw.kind.as_str().to_string());
    if !is_safe_name(&name) {
        return err(f("name"), format!("{NAME_RULE}, got {name:?}"));
    }
    let timing = event_timing(field, raw.timing(), horizon, macro_model)?.ok_or_else(|| {
        ScenarioError::invalid(
            field.to_string(),
            "give exactly one of month, window or probability_monthly",
        )
    })?;
    // Every field that does not belong to the kind is refused, so a typo cannot pass silently.
    let given = [
        ("cure_multiplier", raw.cure_multiplier.is_some()),
        ("volume_multiplier", raw.volume_multiplier.is_some()),
        ("prepayment_multiplier", raw.prepayment_multiplier.is_some()),
        ("funding_cost_jump_annual", raw.funding_cost_jump_annual.is_some()),
        ("duration_months", raw.duration_months.is_some()),
        ("apr_cap", raw.apr_cap.is_some()),
    ];
    let allowed: &[&str] = match raw.kind {
        EventKind::CollectionRestriction => &["cure_multiplier"],
        EventKind::LendingSuspension => &["duration_months"],
        EventKind::ReputationalShock => &["volume_multiplier", "prepayment_multiplier", "duration_months"],
        EventKind::FundingShock => &["funding_cost_jump_annual", "duration_months"],
        EventKind::RateCap => &["apr_cap"],
    };
    if let Some((other, _)) = given.iter().find(|(n, g)| *g && !allowed.contains(n)) {
        return err(
            f(other),
            format!(
                "does not apply to a {} (it takes {})",
                raw.kind.as_str(),
                allowed.join(", ")
            ),
        );
    }
    let duration = match raw.kind {
        EventKind::CollectionRestriction | EventKind::RateCap => horizon as usize,
        _ => {
            let d = raw.duration_months.unwrap_or(1);
            if d == 0 || d > horizon {
                return err(f("duration_months"), format!("must be in 1..={horizon}, got {d}"));
            }
            d as usize
        }
    };
    let multiplier = |name: &str, v: Option<f64>, most: f64| -> Result<f64> {
        let v = non_negative(&f(name), v.unwrap_or(1.0))?;
        if v > most {
            return err(f(name), format!("must be at most {most}, got {v}"));
        }
        Ok(v)
    };
    let effect = match raw.kind {
        EventKind::CollectionRestriction => {
            let m = raw
                .cure_multiplier
                .ok_or_else(|| ScenarioError::invalid(f("cure_multiplier"), "missing: the share of cure rates left"))?;
            EventEffect::CollectionRestriction {
                cure_multiplier: probability(&f("cure_multiplier"), m)?.get(),
            }
        }
        EventKind::LendingSuspension => EventEffect::LendingSuspension,
        EventKind::ReputationalShock => EventEffect::ReputationalShock {
            volume_multiplier: multiplier("volume_multiplier", raw.volume_multiplier, 10.0)?,
            prepayment_multiplier: multiplier("prepayment_multiplier", raw.prepayment_multiplier, 100.0)?,
        },
        EventKind::RateCap => {
            let cap = raw
                .apr_cap
                .ok_or_else(|| ScenarioError::invalid(f("apr_cap"), "missing: the largest annual nominal rate"))?;
            let cap = finite(&f("apr_cap"), cap)?;
            if !(cap > 0.0 && cap <= 12.0) {
                return err(
                    f("apr_cap"),
                    format!("must be in (0, 12] (an annual nominal rate), got {cap}"),
                );
            }
            EventEffect::RateCap {
                monthly_cap: cap / 12.0,
            }
        }
        EventKind::FundingShock => {
            let jump = raw.funding_cost_jump_annual.ok_or_else(|| {
                ScenarioError::invalid(
                    f("funding_cost_jump_annual"),
                    "missing: the rise of the annual cost of funds",
                )
            })?;
            let jump = finite(&f("funding_cost_jump_annual"), jump)?;
            if !(0.0..=1.0).contains(&jump) {
                return err(
                    f("funding_cost_jump_annual"),
                    format!("must be within [0, 1], got {jump}"),
                );
            }
            EventEffect::FundingShock {
                funding_cost_jump_annual: jump,
            }
        }
    };
    Ok(Event {
        name,
        timing,
        duration_months: duration,
        effect,
    })
}

fn outage(raw: &OutageSection, horizon: u32) -> Result<Outage> {
    if raw.month == 0 || raw.month > horizon {
        return err("outage.month", format!("must be in 1..={horizon}, got {}", raw.month));
    }
    Ok(Outage {
        month: raw.month as usize - 1,
        probability: probability("outage.probability", raw.probability)?,
        share: probability("outage.share", raw.share)?,
        cure_rate: probability("outage.cure_rate", raw.cure_rate)?,
        hazard_continues: raw.hazard_continues,
    })
}
