//! Checks of one `[[segments]]` table: score, income, products, pricing,
//! limits, PD, correlation, factor weights, LGD, fraud and prepayment.

use super::super::file::*;
use super::super::resolved::*;
use super::super::{SCORE_MAX, SCORE_MIN};
use super::{
    MAX_LIMIT, MAX_SCORE_STD, NAME_RULE, Result, beta_concentration, correlation_like, err, finite, is_safe_name,
    non_negative, positive, probability, transitions, unit_distribution,
};

/// What the checks of one segment need to know about the rest of the file.
pub(super) struct SegmentContext<'a> {
    pub bands: &'a ScoreBands,
    pub macro_model: &'a MacroModel,
    /// The `[dynamics]` transitions a segment's own ones override.
    pub global: &'a Transitions,
    /// `dynamics.delinquency`.
    pub delinquency: bool,
    /// The file imports a `[book]`.
    pub imported_book: bool,
    /// `run.horizon_months`.
    pub horizon: u32,
}

pub(super) fn segment(field: &str, raw: &SegmentSection, cx: &SegmentContext) -> Result<Segment> {
    let SegmentContext {
        bands,
        macro_model,
        global,
        delinquency,
        imported_book,
        horizon,
    } = *cx;
    let f = |name: &str| format!("{field}.{name}");
    if !is_safe_name(&raw.name) {
        return err(f("name"), format!("{NAME_RULE}, got {:?}", raw.name));
    }
    if raw.loans == 0 && !imported_book {
        return err(f("loans"), "must be at least 1 (0 only with an imported [book])");
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
    let (income_median, income_sigma) = match &raw.income {
        Some(income) => (
            positive(&f("income.median_monthly"), income.median_monthly)?,
            non_negative(&f("income.sigma"), income.sigma)?,
        ),
        None if raw.loans > 0 || raw.originations.is_some() => {
            return err(
                f("income"),
                "required when the segment draws synthetic loans (loans > 0 or [segments.originations])",
            );
        }
        // Never read: the segment draws no applicants.
        None => (0.0, 0.0),
    };

    let p = &raw.products;
    let revolving_share = probability(&f("products.revolving_share"), p.revolving_share)?;
    let terms = installment_terms(&f("products"), p, revolving_share)?;
    let limit = limit_spec(&f("limit"), &raw.limit)?;
    let monthly_rate_by_band = pricing_rates(&f("pricing"), &raw.pricing, bands)?;
    let pd = pd_spec(&f("pd"), &raw.pd, bands)?;
    let correlation = match (raw.rho, raw.rho_annual) {
        (Some(rho), None) => Correlation::Monthly(correlation_like(&f("rho"), rho)?),
        (None, Some(r)) => {
            if !(r > 0.0 && r < 1.0) {
                return err(f("rho_annual"), format!("must be in (0, 1), got {r}"));
            }
            Correlation::PerPeriod(r)
        }
        (Some(_), Some(_)) => {
            return err(
                f("rho_annual"),
                "give rho (monthly) or rho_annual (per PD period), not both",
            );
        }
        (None, None) => {
            return err(
                f("rho"),
                "missing: give rho (the monthly asset correlation) or rho_annual (per PD period)",
            );
        }
    };
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
        correlation,
        factor_weights,
        lgd: Lgd {
            mean: lgd_mean,
            concentration,
            macro_sensitivity,
        },
        fraud_share: probability(&f("fraud_share"), raw.fraud_share)?,
        fraud_lgd: probability(&f("fraud_lgd"), raw.fraud_lgd)?.get(),
        prepayment_monthly: probability(&f("prepayment_monthly"), raw.prepayment_monthly)?,
        originations: raw
            .originations
            .as_ref()
            .map(|o| originations(&f("originations"), o, horizon))
            .transpose()?,
        multi_platform: raw
            .multi_platform
            .as_ref()
            .map(|m| multi_platform(&f("multi_platform"), m))
            .transpose()?,
        capital: raw.capital.as_ref().map(|c| capital(&f("capital"), c)).transpose()?,
        transitions: match &raw.dynamics {
            None => ProductTransitions {
                revolving: *global,
                installment: *global,
            },
            Some(d) => {
                let own = overridden(&f("dynamics"), delinquency, global, &as_product(d))?;
                let product = |name: &str, p: &Option<ProductDynamicsSection>| match p {
                    None => Ok(own),
                    Some(p) => overridden(&f(&format!("dynamics.{name}")), delinquency, &own, p),
                };
                ProductTransitions {
                    revolving: product("revolving", &d.revolving)?,
                    installment: product("installment", &d.installment)?,
                }
            }
        },
    })
}

/// Largest mean number of applications a month in one segment.
pub(super) const MAX_APPLICATIONS_MONTHLY: f64 = 1e7;

fn originations(field: &str, raw: &OriginationsSection, horizon: u32) -> Result<Originations> {
    let f = |name: &str| format!("{field}.{name}");
    let applications_monthly = non_negative(&f("applications_monthly"), raw.applications_monthly)?;
    if applications_monthly > MAX_APPLICATIONS_MONTHLY {
        return err(
            f("applications_monthly"),
            format!("must be at most {MAX_APPLICATIONS_MONTHLY:e}, got {applications_monthly}"),
        );
    }
    let volume_sensitivity = finite(&f("volume_sensitivity"), raw.volume_sensitivity)?;
    if volume_sensitivity.abs() > 5.0 {
        return err(
            f("volume_sensitivity"),
            format!("must be within [-5, 5] (log-volume per sd of the factor), got {volume_sensitivity}"),
        );
    }
    let volume_cap_multiple = finite(&f("volume_cap_multiple"), raw.volume_cap_multiple)?;
    if !(1.0..=100.0).contains(&volume_cap_multiple) {
        return err(
            f("volume_cap_multiple"),
            format!("must be within [1, 100], got {volume_cap_multiple}"),
        );
    }
    let score_shift_per_sd = finite(&f("score_shift_per_sd"), raw.score_shift_per_sd)?;
    if score_shift_per_sd.abs() > SCORE_MAX - SCORE_MIN {
        return err(
            f("score_shift_per_sd"),
            format!(
                "must be within +-{} points per sd, got {score_shift_per_sd}",
                SCORE_MAX - SCORE_MIN
            ),
        );
    }
    let last = raw.last_month.unwrap_or(horizon);
    if raw.first_month < 2 || raw.first_month > horizon {
        return err(
            f("first_month"),
            format!(
                "must be within 2..={horizon} (month 1 is the opening book's), got {}",
                raw.first_month
            ),
        );
    }
    if last < raw.first_month || last > horizon {
        return err(
            f("last_month"),
            format!("must be within {}..={horizon}, got {last}", raw.first_month),
        );
    }
    Ok(Originations {
        applications_monthly,
        volume_sensitivity,
        volume_cap_multiple,
        volume_noise: raw.volume_noise,
        score_shift_per_sd,
        first_month: raw.first_month as usize - 1,
        end_month: last as usize,
        renewal_probability: probability(&f("renewal_probability"), raw.renewal_probability)?.get(),
    })
}

fn capital(field: &str, raw: &CapitalSection) -> Result<crate::capital::SegmentTerms> {
    use crate::capital::AssetClass;
    let f = |name: &str| format!("{field}.{name}");
    if !(raw.maturity_years.is_finite() && (1.0..=5.0).contains(&raw.maturity_years)) {
        return err(
            f("maturity_years"),
            format!("must be in 1..=5 years (the IRB bounds), got {}", raw.maturity_years),
        );
    }
    if raw.asset_class != AssetClass::Corporate && raw.maturity_years != 2.5 {
        return err(
            f("maturity_years"),
            "only corporate exposures have a maturity adjustment (the retail risk weights have none)",
        );
    }
    if let Some(s) = raw.turnover_millions {
        if raw.asset_class != AssetClass::Corporate {
            return err(
                f("turnover_millions"),
                "the SME size adjustment is for corporate exposures only",
            );
        }
        if !(s.is_finite() && s > 0.0 && s <= 1e6) {
            return err(
                f("turnover_millions"),
                format!("must be in (0, 1e6] million euros, got {s}"),
            );
        }
    }
    if !(raw.pd_floor.is_finite() && (0.0..=0.01).contains(&raw.pd_floor)) {
        return err(f("pd_floor"), format!("must be in [0, 0.01], got {}", raw.pd_floor));
    }
    if !(raw.scaling_factor.is_finite() && (0.5..=2.0).contains(&raw.scaling_factor)) {
        return err(
            f("scaling_factor"),
            format!("must be in [0.5, 2], got {}", raw.scaling_factor),
        );
    }
    if raw.revolving_asset_class == Some(AssetClass::Corporate) && raw.asset_class != AssetClass::Corporate {
        return err(
            f("revolving_asset_class"),
            "corporate lines need the segment's asset_class to be corporate too (they share its maturity and turnover)",
        );
    }
    Ok(crate::capital::SegmentTerms {
        terms: crate::capital::IrbTerms {
            class: raw.asset_class,
            maturity_years: raw.maturity_years,
            turnover_millions: raw.turnover_millions,
            // A zero floor would send G(0) to minus infinity: the floor is at least one in a billion.
            pd_floor: raw.pd_floor.max(1e-9),
            scaling_factor: raw.scaling_factor,
        },
        revolving_class: raw.revolving_asset_class.unwrap_or(raw.asset_class),
    })
}

fn multi_platform(field: &str, raw: &MultiPlatformSection) -> Result<MultiPlatform> {
    let f = |name: &str| format!("{field}.{name}");
    let share = probability(&f("share"), raw.share)?;
    let lenders = non_negative(&f("other_lenders"), raw.other_lenders)?;
    let debt = non_negative(&f("debt_per_lender_to_limit"), raw.debt_per_lender_to_limit)?;
    let k = non_negative(&f("hazard_per_debt"), raw.hazard_per_debt)?;
    for (name, v, most) in [
        ("other_lenders", lenders, 100.0),
        ("debt_per_lender_to_limit", debt, 100.0),
        ("hazard_per_debt", k, 100.0),
    ] {
        if v > most {
            return err(f(name), format!("must be at most {most}, got {v}"));
        }
    }
    Ok(MultiPlatform {
        share,
        hazard_multiplier: 1.0 + k * lenders * debt,
    })
}

/// A segment's own fields, in the shape of one product's.
fn as_product(d: &SegmentDynamicsSection) -> ProductDynamicsSection {
    ProductDynamicsSection {
        roll_rates: d.roll_rates,
        cure_rates: d.cure_rates,
        roll_sensitivity: d.roll_sensitivity,
        cure_sensitivity: d.cure_sensitivity,
    }
}

/// `base` with the fields `d` gives replaced, checked under `field`.
fn overridden(field: &str, delinquency: bool, base: &Transitions, d: &ProductDynamicsSection) -> Result<Transitions> {
    let get = |p: Probability| p.get();
    transitions(
        field,
        delinquency,
        d.roll_rates.unwrap_or(base.roll_rates.map(get)),
        d.cure_rates.unwrap_or(base.cure_rates.map(get)),
        d.roll_sensitivity.unwrap_or(base.roll_sensitivity),
        d.cure_sensitivity.unwrap_or(base.cure_sensitivity),
    )
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

pub(super) fn pricing_rates(field: &str, p: &PricingSpec, bands: &ScoreBands) -> Result<Vec<f64>> {
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
