//! `ScenarioFile` -> `Scenario`: every range and shape check lives here, once.

use std::collections::BTreeSet;

use rand_distr::Beta;

use super::file::*;
use super::policy::{Policy, check_policy};
use super::resolved::*;
use super::{SCHEMA_VERSION, SCORE_MAX, SCORE_MIN, ScenarioError};

type Result<T> = std::result::Result<T, ScenarioError>;

/// Most segments a scenario may have (segment indices are stored in 16 bits).
const MAX_SEGMENTS: usize = 1000;
/// Most loans in a book (loan identities are 32-bit).
const MAX_LOANS: u64 = u32::MAX as u64;
/// Largest credit limit: keeps every cent total of a path far inside 64 bits.
const MAX_LIMIT: f64 = 1e9;
/// Largest score standard deviation (scores are truncated by redrawing).
const MAX_SCORE_STD: f64 = 1000.0;
/// Largest possible book in cents (2^61): path totals of balances, draws and
/// interest stay inside 64-bit integers.
const MAX_BOOK_CENTS: f64 = 2_305_843_009_213_693_952.0;
/// Most score bands (band indices are stored in 8 bits).
const MAX_BANDS: usize = 255;

fn err<T>(field: impl Into<String>, problem: impl Into<String>) -> Result<T> {
    Err(ScenarioError::invalid(field, problem))
}

fn probability(field: &str, v: f64) -> Result<Probability> {
    Probability::new(v).map_or_else(|| err(field, format!("must be a probability in [0, 1], got {v}")), Ok)
}

fn finite(field: &str, v: f64) -> Result<f64> {
    if v.is_finite() {
        Ok(v)
    } else {
        err(field, format!("must be a finite number, got {v}"))
    }
}

fn positive(field: &str, v: f64) -> Result<f64> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        err(field, format!("must be > 0, got {v}"))
    }
}

fn non_negative(field: &str, v: f64) -> Result<f64> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        err(field, format!("must be >= 0, got {v}"))
    }
}

fn correlation_like(field: &str, v: f64) -> Result<f64> {
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
    let beta = Beta::new(m * concentration, (1.0 - m) * concentration)
        .map_err(|e| ScenarioError::invalid(field, format!("not a valid Beta distribution: {e}")))?;
    Ok(UnitDistribution::Beta(beta))
}

/// `alpha + beta = m (1 - m) / s^2 - 1`, which must be positive.
fn beta_concentration(field: &str, m: f64, s: f64) -> Result<f64> {
    let max_std = (m * (1.0 - m)).sqrt();
    if s >= max_std {
        return err(
            format!("{field}.std"),
            format!("a Beta with mean {m} needs std < sqrt(mean (1 - mean)) = {max_std:.4}, got {s}"),
        );
    }
    Ok(m * (1.0 - m) / (s * s) - 1.0)
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
        if run.horizon_months == 0 || run.horizon_months > 600 {
            return err(
                "run.horizon_months",
                format!("must be in 1..=600, got {}", run.horizon_months),
            );
        }
        if run.paths == 0 {
            return err("run.paths", "must be at least 1");
        }
        check_risk_levels(&run.risk_levels)?;
        let bands = score_bands(&file.population.score_bands)?;
        let macro_model = macro_model(&file.macro_model, run.horizon_months as usize)?;
        let dynamics = dynamics(&file.dynamics)?;
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
            let mut seg = segment(&field, raw, &bands, &macro_model)?;
            if let Some(rates) = &policy_rates {
                seg.monthly_rate_by_band = rates.clone();
            }
            total_loans += seg.loans;
            max_exposure_cents += seg.loans as f64 * seg.limit.cap * 100.0;
            if max_exposure_cents > MAX_BOOK_CENTS {
                return err(
                    format!("{field}.loans"),
                    format!(
                        "loans x limit.cap over all segments must stay below {:e} currency units, so that cent totals stay exact",
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
        Ok(Scenario {
            name: file.name.clone(),
            horizon_months: run.horizon_months as usize,
            paths: run.paths,
            seed: run.seed,
            risk_levels: run.risk_levels.clone(),
            redraw_population: run.redraw_population,
            bands,
            segments,
            macro_model,
            dynamics,
            outage,
            policy,
            file,
        })
    }
}

const NAME_RULE: &str = "must be non-empty, use only letters, digits, '-', '_' or '.', and not start with '.'";

/// Names become folder and column names: letters, digits, `-`, `_`, `.`,
/// not starting with `.` (so never `.`, `..` or a hidden folder).
fn is_safe_name(name: &str) -> bool {
    !name.is_empty() && !name.starts_with('.') && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
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

fn score_bands(edges: &[f64]) -> Result<ScoreBands> {
    let field = "population.score_bands";
    if edges.len() < 2 {
        return err(field, "give at least two edges (one band)");
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

fn segment(field: &str, raw: &SegmentSection, bands: &ScoreBands, macro_model: &MacroModel) -> Result<Segment> {
    let f = |name: &str| format!("{field}.{name}");
    if !is_safe_name(&raw.name) {
        return err(f("name"), format!("{NAME_RULE}, got {:?}", raw.name));
    }
    if raw.loans == 0 {
        return err(f("loans"), "must be at least 1");
    }
    if raw.loans > u32::MAX as u64 {
        return err(f("loans"), format!("at most {} loans per segment", u32::MAX));
    }
    let score_mean = finite(&f("score.mean"), raw.score.mean)?;
    if !(SCORE_MIN..=SCORE_MAX).contains(&score_mean) {
        return err(
            f("score.mean"),
            format!("must be within {SCORE_MIN}-{SCORE_MAX}, got {score_mean}"),
        );
    }
    let score_std = positive(&f("score.std"), raw.score.std)?;
    if score_std > MAX_SCORE_STD {
        // Scores are truncated to 350-950 by redrawing; a huge spread would redraw forever.
        return err(
            f("score.std"),
            format!("must be at most {MAX_SCORE_STD} points, got {score_std}"),
        );
    }
    let income_median = positive(&f("income.median_monthly"), raw.income.median_monthly)?;
    let income_sigma = non_negative(&f("income.sigma"), raw.income.sigma)?;

    let p = &raw.products;
    let revolving_share = probability(&f("products.revolving_share"), p.revolving_share)?;
    let terms = installment_terms(&f("products"), p, revolving_share)?;
    let limit = limit_spec(&f("limit"), &raw.limit)?;
    let monthly_rate_by_band = pricing_rates(&f("pricing"), &raw.pricing, bands)?;
    let pd = pd_spec(&f("pd"), &raw.pd, bands)?;
    let rho = correlation_like(&f("rho"), raw.rho)?;
    let factor_weights = factor_weights(&f("factor_weights"), &raw.factor_weights, macro_model)?;

    let lgd_mean = probability(&f("lgd.mean"), raw.lgd.mean)?.get();
    let lgd_std = non_negative(&f("lgd.std"), raw.lgd.std)?;
    let concentration = if lgd_std == 0.0 {
        None
    } else {
        Some(beta_concentration(&f("lgd"), lgd_mean, lgd_std)?)
    };
    let macro_sensitivity = non_negative(&f("lgd.macro_sensitivity"), raw.lgd.macro_sensitivity)?;
    if macro_sensitivity > 0.0 && (lgd_mean == 0.0 || lgd_mean == 1.0) {
        return err(f("lgd.macro_sensitivity"), "needs 0 < lgd.mean < 1 to move the mean");
    }

    Ok(Segment {
        name: raw.name.clone(),
        loans: raw.loans,
        score_mean,
        score_std,
        income_median,
        income_sigma,
        revolving_share,
        terms,
        amortisation: p.amortisation,
        installment_draw: unit_distribution(&f("products.installment_draw"), p.installment_draw)?,
        utilisation: unit_distribution(&f("products.utilisation"), p.utilisation)?,
        revolving_repay_rate: probability(&f("products.revolving_repay_rate"), p.revolving_repay_rate)?,
        revolving_draw_rate: probability(&f("products.revolving_draw_rate"), p.revolving_draw_rate)?,
        revolving_ccf: probability(&f("products.revolving_ccf"), p.revolving_ccf)?,
        monthly_rate_by_band,
        limit,
        pd,
        rho,
        factor_weights,
        lgd: Lgd {
            mean: lgd_mean,
            concentration,
            macro_sensitivity,
        },
        fraud_share: probability(&f("fraud_share"), raw.fraud_share)?,
        fraud_lgd: probability(&f("fraud_lgd"), raw.fraud_lgd)?.get(),
        prepayment_monthly: probability(&f("prepayment_monthly"), raw.prepayment_monthly)?,
    })
}

fn installment_terms(field: &str, p: &ProductMix, revolving_share: Probability) -> Result<Vec<(u32, f64)>> {
    if p.installment_terms.is_empty() {
        if revolving_share.get() < 1.0 {
            return err(
                format!("{field}.installment_terms"),
                "needed unless revolving_share = 1",
            );
        }
        return Ok(Vec::new());
    }
    for (i, &t) in p.installment_terms.iter().enumerate() {
        if t == 0 || t > 360 {
            return err(
                format!("{field}.installment_terms[{i}]"),
                format!("must be in 1..=360 months, got {t}"),
            );
        }
    }
    let weights = if p.installment_term_weights.is_empty() {
        vec![1.0; p.installment_terms.len()]
    } else {
        p.installment_term_weights.clone()
    };
    if weights.len() != p.installment_terms.len() {
        return err(
            format!("{field}.installment_term_weights"),
            format!("has {} weights for {} terms", weights.len(), p.installment_terms.len()),
        );
    }
    for (i, &w) in weights.iter().enumerate() {
        non_negative(&format!("{field}.installment_term_weights[{i}]"), w)?;
    }
    let total: f64 = weights.iter().sum();
    if total <= 0.0 {
        return err(format!("{field}.installment_term_weights"), "must not all be zero");
    }
    let mut cumulative = 0.0;
    Ok(p.installment_terms
        .iter()
        .zip(&weights)
        .map(|(&t, &w)| {
            cumulative += w / total;
            (t, cumulative)
        })
        .collect())
}

fn limit_spec(field: &str, l: &LimitSpec) -> Result<LimitSpec> {
    positive(&format!("{field}.income_multiple"), l.income_multiple)?;
    positive(&format!("{field}.score_pivot"), l.score_pivot)?;
    finite(&format!("{field}.score_elasticity"), l.score_elasticity)?;
    positive(&format!("{field}.min"), l.min)?;
    positive(&format!("{field}.cap"), l.cap)?;
    positive(&format!("{field}.rounding"), l.rounding)?;
    if l.min > l.cap {
        return err(format!("{field}.min"), format!("{} is above cap {}", l.min, l.cap));
    }
    if l.cap > MAX_LIMIT {
        return err(format!("{field}.cap"), format!("must be at most {MAX_LIMIT:e}"));
    }
    Ok(l.clone())
}

fn pricing_rates(field: &str, p: &PricingSpec, bands: &ScoreBands) -> Result<Vec<f64>> {
    let (key, rates, to_monthly) = match (&p.daily_rate_by_band, &p.annual_rate_by_band) {
        (Some(d), None) => ("daily_rate_by_band", d, 365.0 / 12.0),
        (None, Some(a)) => ("annual_rate_by_band", a, 1.0 / 12.0),
        _ => return err(field, "give exactly one of daily_rate_by_band or annual_rate_by_band"),
    };
    if rates.len() != bands.len()
        && rates.as_slice() == DEFAULT_DAILY_RATES.as_slice()
        && p.annual_rate_by_band.is_none()
    {
        return err(
            field,
            format!(
                "the default pricing has {} rates for the default score bands; give daily_rate_by_band or \
                 annual_rate_by_band with {} rates for population.score_bands",
                DEFAULT_DAILY_RATES.len(),
                bands.len()
            ),
        );
    }
    if rates.len() != bands.len() {
        return err(
            format!("{field}.{key}"),
            format!(
                "has {} rates but population.score_bands defines {} bands",
                rates.len(),
                bands.len()
            ),
        );
    }
    rates
        .iter()
        .enumerate()
        .map(|(i, &r)| {
            let r = non_negative(&format!("{field}.{key}[{i}]"), r)?;
            let monthly = r * to_monthly;
            if monthly > 1.0 {
                return err(format!("{field}.{key}[{i}]"), format!("{r} is over 100% a month"));
            }
            Ok(monthly)
        })
        .collect()
}

fn pd_spec(field: &str, pd: &PdSpec, bands: &ScoreBands) -> Result<PdSpec> {
    match pd {
        PdSpec::Logistic {
            intercept,
            slope_per_100,
            pivot,
        } => {
            finite(&format!("{field}.intercept"), *intercept)?;
            finite(&format!("{field}.slope_per_100"), *slope_per_100)?;
            finite(&format!("{field}.pivot"), *pivot)?;
        }
        PdSpec::Table { by_band } => {
            if by_band.len() != bands.len() {
                return err(
                    format!("{field}.by_band"),
                    format!(
                        "has {} values but population.score_bands defines {} bands",
                        by_band.len(),
                        bands.len()
                    ),
                );
            }
            for (i, &v) in by_band.iter().enumerate() {
                let name = format!("{field}.by_band[{i}]");
                if probability(&name, v)?.get() >= 1.0 {
                    return err(name, "a PD must be below 1");
                }
            }
        }
        PdSpec::Constant { value } => {
            let name = format!("{field}.value");
            if probability(&name, *value)?.get() >= 1.0 {
                return err(name, "a PD must be below 1");
            }
        }
    }
    Ok(pd.clone())
}

fn factor_weights(field: &str, raw: &[f64], m: &MacroModel) -> Result<Vec<f64>> {
    let k = m.factor_names.len();
    let mut w = if raw.is_empty() {
        let mut w = vec![0.0; k];
        w[0] = 1.0;
        w
    } else {
        raw.to_vec()
    };
    if w.len() != k {
        return err(field, format!("has {} weights for {} macro factors", w.len(), k));
    }
    for (i, &x) in w.iter().enumerate() {
        finite(&format!("{field}[{i}]"), x)?;
    }
    let variance: f64 = (0..k)
        .map(|i| (0..k).map(|j| w[i] * m.correlation[i][j] * w[j]).sum::<f64>())
        .sum();
    if variance <= 1e-12 {
        return err(field, "the weighted factor has zero variance; give non-zero weights");
    }
    let scale = variance.sqrt();
    w.iter_mut().for_each(|x| *x /= scale);
    Ok(w)
}

fn macro_model(raw: &MacroSection, horizon: usize) -> Result<MacroModel> {
    let k = raw.factors.len();
    if k == 0 {
        return err("macro.factors", "give at least one factor name");
    }
    let mut seen = BTreeSet::new();
    for (i, name) in raw.factors.iter().enumerate() {
        if name.trim().is_empty() || !seen.insert(name.as_str()) {
            return err(
                format!("macro.factors[{i}]"),
                format!("names must be non-empty and unique, got {name:?}"),
            );
        }
    }
    let correlation = if raw.correlation.is_empty() {
        (0..k)
            .map(|i| (0..k).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
            .collect()
    } else {
        raw.correlation.clone()
    };
    let cholesky = check_correlation(&correlation, k)?;
    let phi = raw.noise.phi;
    if !(phi > -1.0 && phi < 1.0) {
        return err("macro.noise.phi", format!("must be in (-1, 1), got {phi}"));
    }
    let sigma = non_negative("macro.noise.sigma", raw.noise.sigma)?;

    let mut deterministic = vec![vec![0.0; horizon]; k];
    for (name, path) in &raw.deterministic {
        let field = format!("macro.deterministic.{name}");
        let Some(idx) = raw.factors.iter().position(|f| f == name) else {
            return err(field, format!("no factor named {name:?} in macro.factors"));
        };
        if path.is_empty() {
            return err(field, "give at least one month");
        }
        for (t, slot) in deterministic[idx].iter_mut().enumerate() {
            let v = path[t.min(path.len() - 1)];
            *slot = v;
        }
        for (t, &v) in path.iter().enumerate() {
            finite(&format!("{field}[{t}]"), v)?;
        }
    }
    let regimes = raw.regimes.as_ref().map(regimes).transpose()?;
    let shocks = raw
        .shocks
        .iter()
        .enumerate()
        .map(|(i, s)| shock(&format!("macro.shocks[{i}]"), s, &raw.factors, horizon))
        .collect::<Result<Vec<_>>>()?;
    Ok(MacroModel {
        factor_names: raw.factors.clone(),
        cholesky,
        correlation,
        phi,
        sigma,
        deterministic,
        regimes,
        shocks,
    })
}

/// Checks shape, symmetry, unit diagonal and positive semi-definiteness, and
/// returns a lower-triangular `L` with `L L^T = C` (zero columns where `C` is singular).
fn check_correlation(c: &[Vec<f64>], k: usize) -> Result<Vec<Vec<f64>>> {
    let field = "macro.correlation";
    if c.len() != k || c.iter().any(|row| row.len() != k) {
        return err(
            field,
            format!("must be a {k}x{k} matrix (one row and column per factor)"),
        );
    }
    for i in 0..k {
        if c[i][i] != 1.0 {
            return err(
                format!("{field}[{i}][{i}]"),
                format!("the diagonal must be 1, got {}", c[i][i]),
            );
        }
        for j in 0..k {
            if !(-1.0..=1.0).contains(&c[i][j]) {
                return err(
                    format!("{field}[{i}][{j}]"),
                    format!("must be in [-1, 1], got {}", c[i][j]),
                );
            }
            if (c[i][j] - c[j][i]).abs() > 1e-12 {
                return err(format!("{field}[{i}][{j}]"), "the matrix must be symmetric");
            }
        }
    }
    const TOL: f64 = 1e-10;
    let mut l = vec![vec![0.0; k]; k];
    for j in 0..k {
        let d = c[j][j] - (0..j).map(|p| l[j][p] * l[j][p]).sum::<f64>();
        if d < -TOL {
            return err(
                field,
                "is not positive semi-definite (no valid joint distribution has these correlations)",
            );
        }
        let d = d.max(0.0).sqrt();
        l[j][j] = d;
        for i in j + 1..k {
            let s = c[i][j] - (0..j).map(|p| l[i][p] * l[j][p]).sum::<f64>();
            if d > TOL {
                l[i][j] = s / d;
            } else if s.abs() > 1e-8 {
                return err(
                    field,
                    "is not positive semi-definite (no valid joint distribution has these correlations)",
                );
            }
        }
    }
    Ok(l)
}

fn regimes(raw: &RegimeSpec) -> Result<Regimes> {
    let n = raw.states.len();
    if n < 2 {
        return err("macro.regimes.states", "give at least two states");
    }
    let names: Vec<String> = raw.states.iter().map(|s| s.name.clone()).collect();
    let mut seen = BTreeSet::new();
    for (i, name) in names.iter().enumerate() {
        if name.trim().is_empty() || !seen.insert(name.as_str()) {
            return err(
                format!("macro.regimes.states[{i}].name"),
                format!("names must be non-empty and unique, got {name:?}"),
            );
        }
    }
    for (i, s) in raw.states.iter().enumerate() {
        finite(&format!("macro.regimes.states[{i}].mean"), s.mean)?;
    }
    if raw.transition.len() != n || raw.transition.iter().any(|r| r.len() != n) {
        return err("macro.regimes.transition", format!("must be a {n}x{n} matrix"));
    }
    for (i, row) in raw.transition.iter().enumerate() {
        for (j, &p) in row.iter().enumerate() {
            probability(&format!("macro.regimes.transition[{i}][{j}]"), p)?;
        }
        let sum: f64 = row.iter().sum();
        if (sum - 1.0).abs() > 1e-9 {
            return err(
                format!("macro.regimes.transition[{i}]"),
                format!("row must sum to 1, sums to {sum}"),
            );
        }
    }
    let initial = match &raw.initial {
        None => 0,
        Some(name) => names
            .iter()
            .position(|n| n == name)
            .map_or_else(|| err("macro.regimes.initial", format!("no state named {name:?}")), Ok)?,
    };
    Ok(Regimes {
        names,
        means: raw.states.iter().map(|s| s.mean).collect(),
        transition: raw.transition.clone(),
        initial,
    })
}

fn shock(field: &str, raw: &ShockSpec, factors: &[String], horizon: usize) -> Result<Shock> {
    let month_ok = |m: u32| m >= 1 && (m as usize) <= horizon;
    let start = match (raw.start_month, raw.start_month_range) {
        (Some(m), None) if month_ok(m) => ShockStart::Fixed(m as usize - 1),
        (Some(m), None) => {
            return err(
                format!("{field}.start_month"),
                format!("must be in 1..={horizon}, got {m}"),
            );
        }
        (None, Some([lo, hi])) if month_ok(lo) && month_ok(hi) && lo <= hi => {
            ShockStart::Uniform(lo as usize - 1, hi as usize - 1)
        }
        (None, Some(r)) => {
            return err(
                format!("{field}.start_month_range"),
                format!("must be [lo, hi] with 1 <= lo <= hi <= {horizon}, got {r:?}"),
            );
        }
        _ => return err(field, "give exactly one of start_month or start_month_range"),
    };
    let depth = non_negative(&format!("{field}.depth"), raw.depth)?;
    if raw.duration_months == 0 {
        return err(format!("{field}.duration_months"), "must be at least 1");
    }
    let hits_factor = if raw.factors.is_empty() {
        vec![true; factors.len()]
    } else {
        let mut hits = vec![false; factors.len()];
        for (i, name) in raw.factors.iter().enumerate() {
            match factors.iter().position(|f| f == name) {
                Some(idx) => hits[idx] = true,
                None => {
                    return err(
                        format!("{field}.factors[{i}]"),
                        format!("no factor named {name:?} in macro.factors"),
                    );
                }
            }
        }
        hits
    };
    if raw.recovery_shape == RecoveryShape::Exponential && raw.recovery_months == 0 {
        return err(
            format!("{field}.recovery_months"),
            "an exponential recovery needs recovery_months >= 1",
        );
    }
    Ok(Shock {
        name: raw.name.clone(),
        start,
        depth,
        duration_months: raw.duration_months as usize,
        recovery_months: raw.recovery_months as usize,
        recovery_shape: raw.recovery_shape,
        probability: probability(&format!("{field}.probability"), raw.probability)?,
        hits_factor,
    })
}

fn dynamics(raw: &DynamicsSection) -> Result<Dynamics> {
    if raw.pd_period_months == 0 {
        return err("dynamics.pd_period_months", "must be at least 1");
    }
    let mut roll = [Probability::new(0.0).expect("0 is a probability"); 3];
    let mut cure = roll;
    for k in 0..3 {
        roll[k] = probability(&format!("dynamics.roll_rates[{k}]"), raw.roll_rates[k])?;
        cure[k] = probability(&format!("dynamics.cure_rates[{k}]"), raw.cure_rates[k])?;
        if roll[k].get() + cure[k].get() > 1.0 {
            return err(
                format!("dynamics.cure_rates[{k}]"),
                "roll rate + cure rate of a bucket must not exceed 1",
            );
        }
        if raw.delinquency && roll[k].get() == 0.0 {
            return err(
                format!("dynamics.roll_rates[{k}]"),
                "must be > 0 (otherwise no loan ever charges off)",
            );
        }
    }
    Ok(Dynamics {
        pd_period_months: raw.pd_period_months,
        delinquency: raw.delinquency,
        roll_rates: roll,
        cure_rates: cure,
        roll_sensitivity: correlation_like("dynamics.roll_sensitivity", raw.roll_sensitivity)?,
        cure_sensitivity: correlation_like("dynamics.cure_sensitivity", raw.cure_sensitivity)?,
        recovery_lag_months: raw.recovery_lag_months as usize,
        penalty_rate_monthly: {
            let r = raw.penalty_rate_monthly;
            if !(0.0..=1.0).contains(&r) {
                return err("dynamics.penalty_rate_monthly", format!("must be in [0, 1], got {r}"));
            }
            r
        },
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
    })
}
