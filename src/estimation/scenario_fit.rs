//! From a loan-level history to a scenario: fits every parameter the
//! engine needs to run the history's book forward, with intervals, and
//! writes them as a commented scenario file whose segments hold the
//! imported book (`[book] file`).
//!
//! Per segment: the factor model (monthly missed-payment rate per score
//! band, prepayment, roll and cure rates and their sensitivities, the
//! monthly asset correlation, the factor's persistence) by maximum
//! likelihood; the scorecard as a PD table by band, each PD the
//! probability of a charge-off within the PD period that the fitted
//! monthly dynamics imply (the forward map of the engine's own
//! calibration, so running the file gives back the fitted monthly rates),
//! with a delta-method interval; Beta LGD and the recovery curve from
//! charge-offs whose recoveries the tape saw in full; the revolving lines'
//! repayment, draw and drawdown-at-miss shares as ratios of sums.

use super::factor_model::{FactorFit, FitOptions, fit_factor_model};
use super::lgd::{BetaLgdFit, fit_beta_lgd};
use super::ols::{OlsFit, fit_ols};
use super::tape::{History, HistoryBook, SegmentHistory};
use super::{Estimate, EstimationError, two_sided_quantile};
use crate::calibration::period_pd_of_miss_rate;
use crate::scenario::{
    EconomicTable, Frequency, ImportedProduct, Interpolation, Probability, Scenario, ScenarioError, Transitions,
    monthly_values, parse_scenario,
};

/// What `calibrate` is asked for.
#[derive(Debug, Clone)]
pub struct CalibrateOptions {
    /// Name of the written scenario.
    pub name: String,
    /// The book file as the written scenario names it (relative to its folder).
    pub book_path: String,
    /// Where the history came from, for the description.
    pub source: String,
    /// Score band edges the PD table is given by.
    pub bands: Vec<f64>,
    /// Months the scorecard PD is quoted over.
    pub pd_period_months: u32,
    /// Confidence of every interval.
    pub confidence: f64,
    /// A macro series in economic units over the tape's months, to fit a
    /// `[macro.link]` from (the tape must then hold one path).
    pub macro_series: Option<MacroSeries>,
}

/// A history of economic variables beside the tape.
#[derive(Debug, Clone)]
pub struct MacroSeries {
    /// The file, as the user named it.
    pub file: String,
    /// Its contents.
    pub table: EconomicTable,
    /// What one row is.
    pub frequency: Frequency,
    /// How quarters spread over months.
    pub interpolation: Interpolation,
}

/// A `[macro.link]` fitted by least squares of a segment's fitted factor on
/// the economic variables.
#[derive(Debug, Clone)]
pub struct MacroLinkFit {
    /// The variables, in the table's order.
    pub variables: Vec<String>,
    /// The regression (intercept first, then one coefficient per variable).
    pub ols: OlsFit,
    /// Each variable's mean over the history (the written baselines).
    pub means: Vec<f64>,
}

/// One segment's fitted parameters.
#[derive(Debug, Clone)]
pub struct SegmentCalibration {
    /// Segment name.
    pub name: String,
    /// Loans in the book.
    pub loans: u64,
    /// The factor model fit.
    pub factor: FactorFit,
    /// PD over the PD period by score band (`None`: no loan of the band was ever current).
    pub pd_by_band: Vec<Option<Estimate>>,
    /// Loans current at the start of a month, summed over months and paths, by band.
    pub band_exposure_months: Vec<u64>,
    /// Beta LGD from the charge-offs with complete recoveries.
    pub lgd: Option<BetaLgdFit>,
    /// Recovery shares by months after the charge-off.
    pub recovery_curve: Vec<f64>,
    /// Charge-offs used for the LGD and the curve, of all charge-offs.
    pub charge_offs_used: (usize, usize),
    /// Revolving repayment share of the balance per current month.
    pub revolving_repay_rate: Option<f64>,
    /// Revolving draw share of the undrawn limit per current month.
    pub revolving_draw_rate: Option<f64>,
    /// Share of the undrawn limit drawn at a first missed payment.
    pub revolving_ccf: Option<f64>,
    /// Score mean and standard deviation of the book.
    pub score: (f64, f64),
    /// Share of revolving lines in the book.
    pub revolving_share: f64,
    /// Warnings about what the history could not pin down.
    pub warnings: Vec<String>,
    /// The macro link fitted to this segment's factor, with a macro series.
    pub macro_link: Option<MacroLinkFit>,
}

/// The whole calibration.
#[derive(Debug, Clone)]
pub struct Calibrated {
    /// Per segment.
    pub segments: Vec<SegmentCalibration>,
    /// The factor's persistence written to `[macro.noise]`: the
    /// inverse-variance weighted mean of the segments' estimates.
    pub phi: Estimate,
    /// Months and paths of the history.
    pub months: usize,
    /// Paths of the history.
    pub paths: usize,
    /// Whether the history has delinquency buckets.
    pub delinquency: bool,
    /// The scenario file, commented.
    pub scenario_toml: String,
}

/// Why a calibration failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CalibrateError {
    /// An estimator failed on one segment.
    #[error("segment {segment:?}: {source}")]
    Estimation {
        /// The segment.
        segment: String,
        /// What failed.
        source: EstimationError,
    },
    /// The fitted scenario does not validate (a bug or a degenerate history).
    #[error("the fitted scenario is refused: {0}")]
    Scenario(ScenarioError),
    /// The macro series cannot be matched to the tape.
    #[error("{file}: {problem}")]
    MacroSeries {
        /// The series' file.
        file: String,
        /// What does not match.
        problem: String,
    },
}

/// Fits a scenario to a history.
pub fn calibrate_history(
    book: &HistoryBook,
    history: &History,
    options: &CalibrateOptions,
) -> Result<Calibrated, CalibrateError> {
    let delinquency = history.segments.iter().any(|s| s.delinquency);
    let mut fits = Vec::new();
    for (s, h) in history.segments.iter().enumerate() {
        let name = &book.segments[s];
        let fail = |source| CalibrateError::Estimation {
            segment: name.clone(),
            source,
        };
        let fit_options = FitOptions {
            with_buckets: delinquency,
            confidence: options.confidence,
            ..FitOptions::default()
        };
        let factor = fit_factor_model(&h.panel, &fit_options).map_err(fail)?;
        fits.push(factor);
    }
    let phi = pooled_persistence(fits.iter().map(|f| f.phi), options.confidence);

    // A provisional scenario carries the fitted dynamics for the forward map
    // from monthly rates to PD-period PDs (its PDs are not used).
    let provisional_text = scenario_text(book, history, options, &fits, phi.value, delinquency, None);
    let provisional = parse_scenario(&provisional_text).map_err(CalibrateError::Scenario)?;

    let mut segments = Vec::new();
    let mut pd_tables = Vec::new();
    for (s, (h, factor)) in history.segments.iter().zip(&fits).enumerate() {
        let exposure: Vec<u64> = (0..options.bands.len() - 1)
            .map(|g| {
                h.panel
                    .paths
                    .iter()
                    .flat_map(|p| &p.months)
                    .map(|m| m.current.get(g).map_or(0, |c| c.at_risk))
                    .sum()
            })
            .collect();
        let pd_by_band: Vec<Option<Estimate>> = (0..exposure.len())
            .map(|g| {
                (exposure[g] > 0).then(|| pd_estimate(&provisional, s, factor, g, options.confidence, delinquency))
            })
            .collect();
        pd_tables.push(filled_table(&pd_by_band));
        segments.push(segment_side(
            book,
            h,
            s,
            factor.clone(),
            pd_by_band,
            exposure,
            history.months,
            options,
        )?);
    }
    if let Some(series) = &options.macro_series {
        fit_macro_links(series, history, &mut segments, options.confidence)?;
    }
    let scenario_toml = scenario_text(
        book,
        history,
        options,
        &fits,
        phi.value,
        delinquency,
        Some((&segments, &pd_tables)),
    );
    Ok(Calibrated {
        segments,
        phi,
        months: history.months,
        paths: history.paths.len(),
        delinquency,
        scenario_toml,
    })
}

/// Fits each segment's `[macro.link]`: OLS of the factor's posterior mean in
/// each month of the (single) path on the series' monthly values.
fn fit_macro_links(
    series: &MacroSeries,
    history: &History,
    segments: &mut [SegmentCalibration],
    confidence: f64,
) -> Result<(), CalibrateError> {
    let problem = |problem: String| CalibrateError::MacroSeries {
        file: series.file.clone(),
        problem,
    };
    if history.paths.len() != 1 {
        return Err(problem(format!(
            "a macro series describes one history, but the tape holds {} paths",
            history.paths.len()
        )));
    }
    let months = history.months;
    let table_months = series.table.months(series.frequency);
    if table_months < months {
        return Err(problem(format!(
            "covers {table_months} months ({} {}s), the tape {months}",
            series.table.periods(),
            series.frequency.period_name()
        )));
    }
    let x = monthly_values(&series.table, series.frequency, series.interpolation, months);
    let means: Vec<f64> = x.iter().map(|v| v.iter().sum::<f64>() / months as f64).collect();
    for seg in segments.iter_mut() {
        let Some(z) = seg.factor.factor_mean.first() else {
            continue;
        };
        let ols = fit_ols(z, &x, confidence).map_err(|source| CalibrateError::Estimation {
            segment: seg.name.clone(),
            source,
        })?;
        seg.macro_link = Some(MacroLinkFit {
            variables: series.table.variables.clone(),
            ols,
            means: means.clone(),
        });
    }
    Ok(())
}

/// The segments' factor persistence pooled by inverse variance over the
/// estimates with a finite, positive standard error (the first estimate as
/// it is when none has one); the interval is kept inside phi's range.
fn pooled_persistence(estimates: impl Iterator<Item = Estimate>, confidence: f64) -> Estimate {
    let all: Vec<Estimate> = estimates.collect();
    let finite: Vec<&Estimate> = all
        .iter()
        .filter(|e| e.std_error.is_finite() && e.std_error > 0.0)
        .collect();
    if finite.is_empty() {
        return all.first().copied().unwrap_or(Estimate::fixed(0.0));
    }
    let w: f64 = finite.iter().map(|e| 1.0 / (e.std_error * e.std_error)).sum();
    let value = finite
        .iter()
        .map(|e| e.value / (e.std_error * e.std_error))
        .sum::<f64>()
        / w;
    let se = (1.0 / w).sqrt();
    let z = two_sided_quantile(confidence);
    Estimate {
        value,
        std_error: se,
        lower: (value - z * se).max(-0.999),
        upper: (value + z * se).min(0.999),
    }
}

/// The point of the factor model's parameters a PD depends on.
#[derive(Debug, Clone)]
struct ModelPoint {
    miss: Vec<f64>,
    rho: f64,
    roll: [f64; 3],
    cure: [f64; 3],
    roll_sensitivity: f64,
    cure_sensitivity: f64,
    phi: f64,
}

impl ModelPoint {
    fn of(fit: &FactorFit) -> Self {
        let triple =
            |r: &Option<[Estimate; 3]>, default: [f64; 3]| r.map_or(default, |r| [r[0].value, r[1].value, r[2].value]);
        ModelPoint {
            miss: fit.miss_rates.iter().map(|e| e.value).collect(),
            rho: fit.rho.value,
            roll: triple(&fit.roll_rates, [0.5; 3]),
            cure: triple(&fit.cure_rates, [0.1; 3]),
            roll_sensitivity: fit.roll_sensitivity.map_or(0.0, |e| e.value),
            cure_sensitivity: fit.cure_sensitivity.map_or(0.0, |e| e.value),
            phi: fit.phi.value,
        }
    }

    /// The parameter a factor-model name refers to.
    fn slot(&mut self, name: &str) -> Option<&mut f64> {
        let indexed = |prefix: &str| {
            name.strip_prefix(prefix)
                .and_then(|r| r.strip_suffix(']'))
                .and_then(|i| i.parse::<usize>().ok())
        };
        if let Some(i) = indexed("miss_rate[") {
            return self.miss.get_mut(i);
        }
        if let Some(i) = indexed("roll_rate[") {
            return self.roll.get_mut(i);
        }
        if let Some(i) = indexed("cure_rate[") {
            return self.cure.get_mut(i);
        }
        match name {
            "rho" => Some(&mut self.rho),
            "roll_sensitivity" => Some(&mut self.roll_sensitivity),
            "cure_sensitivity" => Some(&mut self.cure_sensitivity),
            "phi" => Some(&mut self.phi),
            _ => None,
        }
    }

    /// The PD-period PD of grade `g` at this point.
    fn pd(&self, scenario: &Scenario, s: usize, g: usize) -> f64 {
        let p = |x: f64| Probability::new(x.clamp(0.0, 1.0)).expect("clamped");
        let t = Transitions {
            roll_rates: self.roll.map(p),
            cure_rates: self.cure.map(p),
            roll_sensitivity: self.roll_sensitivity.clamp(0.0, 0.999),
            cure_sensitivity: self.cure_sensitivity.clamp(0.0, 0.999),
        };
        let mut at = scenario.clone();
        at.macro_model.phi = self.phi.clamp(-0.999, 0.999);
        period_pd_of_miss_rate(
            &at,
            &at.segments[s],
            self.rho.clamp(0.0, 0.999),
            &t,
            self.miss[g].clamp(1e-12, 1.0 - 1e-12),
        )
    }
}

/// The PD of band `g` with a delta-method interval from the fit's covariance.
fn pd_estimate(
    scenario: &Scenario,
    s: usize,
    fit: &FactorFit,
    g: usize,
    confidence: f64,
    delinquency: bool,
) -> Estimate {
    let point = ModelPoint::of(fit);
    let value = point.pd(scenario, s, g);
    // Central differences of the PD in each estimated parameter it depends on.
    let mut gradient = vec![0.0; fit.parameter_names.len()];
    for (k, name) in fit.parameter_names.iter().enumerate() {
        let relevant = name == &format!("miss_rate[{g}]")
            || name == "rho"
            || name == "phi"
            || (delinquency && (name.starts_with("roll") || name.starts_with("cure")));
        if !relevant {
            continue;
        }
        let mut up = point.clone();
        let Some(x) = up.slot(name).map(|x| *x) else {
            continue;
        };
        let h = 1e-5 * x.abs().max(1e-3);
        *up.slot(name).expect("exists") = x + h;
        let mut down = point.clone();
        *down.slot(name).expect("exists") = x - h;
        gradient[k] = (up.pd(scenario, s, g) - down.pd(scenario, s, g)) / (2.0 * h);
    }
    let variance: f64 = (0..gradient.len())
        .map(|i| {
            (0..gradient.len())
                .map(|j| gradient[i] * fit.covariance[i][j] * gradient[j])
                .sum::<f64>()
        })
        .sum();
    let se = variance.max(0.0).sqrt();
    // On the probit scale, so that the interval stays inside (0, 1).
    let z = two_sided_quantile(confidence);
    let q = crate::stats::normal::norm_inv(value);
    let dq = se / crate::stats::normal::norm_pdf(q).max(1e-300);
    Estimate {
        value,
        std_error: se,
        lower: crate::stats::normal::norm_cdf(q - z * dq),
        upper: crate::stats::normal::norm_cdf(q + z * dq),
    }
}

/// A full PD table: an empty band takes the PD of the nearest band with data.
fn filled_table(pd: &[Option<Estimate>]) -> Vec<(f64, bool)> {
    (0..pd.len())
        .map(|g| match pd[g] {
            Some(e) => (e.value, false),
            None => {
                let nearest = (1..pd.len())
                    .flat_map(|d| [g.checked_sub(d), Some(g + d)])
                    .flatten()
                    .find_map(|i| pd.get(i).copied().flatten());
                (nearest.map_or(0.01, |e| e.value), true)
            }
        })
        .collect()
}

/// LGD, recoveries, revolving shares and book profile of one segment.
#[allow(clippy::too_many_arguments)]
fn segment_side(
    book: &HistoryBook,
    h: &SegmentHistory,
    s: usize,
    factor: FactorFit,
    pd_by_band: Vec<Option<Estimate>>,
    band_exposure_months: Vec<u64>,
    months: usize,
    options: &CalibrateOptions,
) -> Result<SegmentCalibration, CalibrateError> {
    let name = book.segments[s].clone();
    let mut warnings = factor.warnings.clone();
    // Recoveries are complete when the charge-off came early enough for the
    // longest lag the tape shows to fall inside it.
    let longest_lag = h.charge_offs.iter().map(|c| c.recoveries.len()).max().unwrap_or(1) - 1;
    let complete: Vec<_> = h
        .charge_offs
        .iter()
        .filter(|c| c.month as usize + longest_lag <= months && c.ead > 0.0)
        .collect();
    let lgd_values: Vec<f64> = complete
        .iter()
        .map(|c| (1.0 - c.recoveries.iter().sum::<f64>() / c.ead).clamp(0.0, 1.0))
        .collect();
    let lgd = match fit_beta_lgd(&lgd_values, options.confidence) {
        Ok(fit) => Some(fit),
        Err(e) => {
            warnings.push(format!(
                "LGD not estimated ({e}): {} charge-offs with complete recoveries; the scenario keeps lgd.mean = 0.6, std = 0.2",
                lgd_values.len()
            ));
            None
        }
    };
    let total_recovered: f64 = complete.iter().flat_map(|c| &c.recoveries).sum();
    let recovery_curve = if total_recovered > 0.0 {
        (0..=longest_lag)
            .map(|l| {
                complete
                    .iter()
                    .map(|c| c.recoveries.get(l).copied().unwrap_or(0.0))
                    .sum::<f64>()
                    / total_recovered
            })
            .collect()
    } else {
        Vec::new()
    };
    let ratio = |num: f64, den: f64| (den > 0.0).then(|| (num / den).clamp(0.0, 1.0));
    let loans: Vec<_> = book.loans.iter().filter(|l| l.segment == s).collect();
    let n = loans.len().max(1) as f64;
    let mean = loans.iter().map(|l| l.score).sum::<f64>() / n;
    let sd = (loans.iter().map(|l| (l.score - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0)).sqrt();
    let revolving = loans.iter().filter(|l| l.product == ImportedProduct::Revolving).count() as f64;
    Ok(SegmentCalibration {
        name,
        loans: h.loans,
        factor,
        pd_by_band,
        band_exposure_months,
        lgd,
        recovery_curve,
        charge_offs_used: (complete.len(), h.charge_offs.len()),
        revolving_repay_rate: ratio(h.revolving_repaid, h.revolving_balance),
        revolving_draw_rate: ratio(h.revolving_drawn, h.revolving_undrawn),
        revolving_ccf: ratio(h.miss_drawdown, h.miss_undrawn),
        score: (mean, sd.max(1.0)),
        revolving_share: revolving / n,
        warnings,
        macro_link: None,
    })
}

/// `value  # lower-upper` for a comment.
fn interval(e: &Estimate) -> String {
    format!("[{:.6}, {:.6}], std error {:.6}", e.lower, e.upper, e.std_error)
}

/// A fitted value to 6 significant digits: far below any interval's width,
/// and a file a person can read.
fn short(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let decimals = (5 - x.abs().log10().floor() as i32).clamp(0, 15);
    let p = 10f64.powi(decimals);
    format!("{}", (x * p).round() / p)
}

fn list(values: &[f64]) -> String {
    format!("[{}]", values.iter().map(|v| short(*v)).collect::<Vec<_>>().join(", "))
}

/// Recovery shares to 6 decimals that still sum to 1 (the largest takes the rest).
fn rounded_shares(curve: &[f64]) -> Vec<f64> {
    let mut out: Vec<f64> = curve.iter().map(|s| (s * 1e6).round() / 1e6).collect();
    if let Some(largest) = (0..out.len()).max_by(|&a, &b| out[a].total_cmp(&out[b])) {
        let others: f64 = out
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != largest)
            .map(|(_, v)| v)
            .sum();
        // Every share is a whole number of millionths, so this one is too,
        // and the decimals written sum to exactly 1.
        out[largest] = ((1.0 - others) * 1e6).round() / 1e6;
    }
    out
}

/// The fitted segments and their PD tables (`(pd, taken from a neighbour)` per band).
type Fitted<'a> = (&'a [SegmentCalibration], &'a [Vec<(f64, bool)>]);

/// The scenario text; without `fitted` a provisional one for the forward map.
#[allow(clippy::too_many_arguments)]
fn scenario_text(
    book: &HistoryBook,
    history: &History,
    options: &CalibrateOptions,
    fits: &[FactorFit],
    phi: f64,
    delinquency: bool,
    fitted: Option<Fitted>,
) -> String {
    use std::fmt::Write;
    let level = options.confidence * 100.0;
    let mut t = String::new();
    let _ = writeln!(
        t,
        "# Calibrated by `creditstress calibrate` from {} ({} months, {} path(s), {} rows).\n\
         # Every fitted value is followed by its {level}% interval. Parameters the\n\
         # history does not inform keep the program's defaults and say so.\n",
        options.source,
        history.months,
        history.paths.len(),
        history.rows
    );
    let _ = writeln!(t, "schema_version = 1\nname = {:?}", options.name);
    let _ = writeln!(
        t,
        "description = \"Fitted to {}: the book of {} runs forward under the fitted dynamics.\"\n",
        options.source.replace('"', "'"),
        options.book_path.replace('"', "'")
    );
    let _ = writeln!(
        t,
        "[run]\nhorizon_months = {}\npaths = 2000\nseed = 1\n",
        history.months
    );
    let _ = writeln!(t, "[population]\nscore_bands = {}\n", list(&options.bands));
    let _ = writeln!(
        t,
        "# The factor: a unit-variance AR(1) (its scale is absorbed in rho and the\n\
         # sensitivities); phi is the inverse-variance mean of the segments' fits.\n\
         [macro.noise]\nphi = {}\nsigma = 1\n",
        short(phi)
    );
    let _ = writeln!(
        t,
        "[dynamics]\npd_period_months = {}\ndelinquency = {delinquency}",
        options.pd_period_months
    );
    if let Some((segments, _)) = fitted
        && let Some(curve) = segments
            .iter()
            .find(|s| !s.recovery_curve.is_empty())
            .map(|s| &s.recovery_curve)
    {
        let _ = writeln!(
            t,
            "# Recovery shares by months after the charge-off, one curve for the book: the\n\
             # first segment's with charge-offs whose recoveries the tape saw in full.\n\
             recovery_curve = [{}]",
            rounded_shares(curve)
                .iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    t.push('\n');
    for (s, fit) in fits.iter().enumerate() {
        let seg = fitted.map(|(segs, _)| &segs[s]);
        let _ = writeln!(t, "[[segments]]\nname = {:?}", book.segments[s]);
        match fitted {
            Some(_) => {
                let _ = writeln!(t, "# Only the imported book: no synthetic applicants.\nloans = 0");
            }
            None => {
                let _ = writeln!(t, "loans = 1\nincome = {{ median_monthly = 1000, sigma = 0.5 }}");
            }
        }
        let (mean, sd) = seg.map_or((650.0, 50.0), |c| c.score);
        let _ = writeln!(t, "score = {{ mean = {mean:.2}, std = {sd:.2} }}  # the book's scores");
        match fitted.map(|(_, tables)| &tables[s]) {
            Some(table) => {
                let _ = writeln!(
                    t,
                    "# P(charge-off within {} months) by score band: what the fitted monthly\n\
                     # missed-payment rates imply under the fitted dynamics.",
                    options.pd_period_months
                );
                let values: Vec<f64> = table.iter().map(|(v, _)| *v).collect();
                let _ = writeln!(t, "pd = {{ model = \"table\", by_band = {} }}", list(&values));
                if let Some(c) = seg {
                    for (g, pd) in c.pd_by_band.iter().enumerate() {
                        let band = format!("{}-{}", options.bands[g], options.bands[g + 1]);
                        match pd {
                            Some(e) => {
                                let _ = writeln!(
                                    t,
                                    "#   band {band}: {:.6} {} (monthly miss rate {:.6} {}; {} loan-months)",
                                    e.value,
                                    interval(e),
                                    c.factor.miss_rates[g].value,
                                    interval(&c.factor.miss_rates[g]),
                                    c.band_exposure_months[g]
                                );
                            }
                            None => {
                                let _ = writeln!(
                                    t,
                                    "#   band {band}: no loans in the history; takes the nearest band's PD"
                                );
                            }
                        }
                    }
                }
            }
            None => {
                let _ = writeln!(t, "pd = {{ model = \"constant\", value = 0.01 }}");
            }
        }
        let _ = writeln!(t, "rho = {}  # monthly; {}", short(fit.rho.value), interval(&fit.rho));
        match seg.and_then(|c| c.lgd.as_ref()) {
            Some(l) => {
                let std = if l.std.value > 0.0 { l.std.value.max(1e-6) } else { 0.0 };
                let _ = writeln!(
                    t,
                    "lgd = {{ mean = {}, std = {} }}  # mean {}; std {}; {} charge-offs",
                    short(l.mean.value),
                    short(std),
                    interval(&l.mean),
                    interval(&l.std),
                    l.observations
                );
            }
            None => {
                let _ = writeln!(t, "lgd = {{ mean = 0.6, std = 0.2 }}  # not estimated (see the report)");
            }
        }
        let _ = writeln!(
            t,
            "prepayment_monthly = {}  # {}",
            short(fit.prepay_rate.value),
            interval(&fit.prepay_rate)
        );
        let _ = writeln!(t, "[segments.products]");
        if let Some(c) = seg {
            let _ = writeln!(t, "revolving_share = {}", short(c.revolving_share));
            let rate = |name: &str, v: Option<f64>| match v {
                Some(v) => format!("{name} = {}\n", short(v)),
                None => format!("# {name}: no revolving months in the history; default kept\n"),
            };
            t.push_str(&rate("revolving_repay_rate", c.revolving_repay_rate));
            t.push_str(&rate("revolving_draw_rate", c.revolving_draw_rate));
            t.push_str(&rate("revolving_ccf", c.revolving_ccf));
        }
        if delinquency {
            let _ = writeln!(t, "[segments.dynamics]");
            if let (Some(r), Some(c)) = (&fit.roll_rates, &fit.cure_rates) {
                let _ = writeln!(t, "roll_rates = {}", list(&r.map(|e| e.value)));
                for (b, e) in r.iter().enumerate() {
                    let _ = writeln!(t, "#   roll from {} dpd: {}", 30 * (b + 1), interval(e));
                }
                let _ = writeln!(t, "cure_rates = {}", list(&c.map(|e| e.value)));
                for (b, e) in c.iter().enumerate() {
                    let _ = writeln!(t, "#   cure from {} dpd: {}", 30 * (b + 1), interval(e));
                }
            }
            if let Some(e) = fit.roll_sensitivity {
                let _ = writeln!(
                    t,
                    "roll_sensitivity = {}  # {}",
                    short(e.value.clamp(0.0, 0.99)),
                    interval(&e)
                );
            }
            if let Some(e) = fit.cure_sensitivity {
                let _ = writeln!(
                    t,
                    "cure_sensitivity = {}  # {}",
                    short(e.value.clamp(0.0, 0.99)),
                    interval(&e)
                );
            }
        }
        if let Some(c) = seg {
            for w in &c.warnings {
                let _ = writeln!(t, "# warning: {w}");
            }
        }
        t.push('\n');
    }
    if fitted.is_some() {
        let _ = writeln!(t, "[book]\nfile = {:?}", options.book_path);
    }
    if let (Some((segments, _)), Some(series)) = (fitted, &options.macro_series) {
        macro_link_block(&mut t, segments, series);
    }
    t
}

/// The fitted link, commented out: applied to the history itself it would
/// count the history's economy twice (once in the noise the factor was
/// fitted as, once as a path), so it waits for a scenario table.
fn macro_link_block(t: &mut String, segments: &[SegmentCalibration], series: &MacroSeries) {
    use std::fmt::Write;
    let Some((seg, link)) = segments
        .iter()
        .filter_map(|s| s.macro_link.as_ref().map(|l| (s, l)))
        .max_by_key(|(s, _)| s.band_exposure_months.iter().sum::<u64>())
    else {
        return;
    };
    let _ = writeln!(
        t,
        "\n# Macro link fitted by least squares of each segment's fitted factor (its\n\
         # posterior mean, month by month) on the variables of {} ({}, {}):",
        series.file,
        series.frequency.period_name(),
        match series.interpolation {
            Interpolation::Linear => "linear between quarter midpoints",
            Interpolation::Step => "each month its period's value",
        }
    );
    for s in segments {
        if let Some(l) = &s.macro_link {
            let coefficients: Vec<String> = l
                .variables
                .iter()
                .zip(&l.ols.coefficients[1..])
                .map(|(v, e)| format!("{v} {}", interval(e)))
                .collect();
            let _ = writeln!(
                t,
                "#   {}: R^2 {:.3}, residual sd {:.3}; {}",
                s.name,
                l.ols.r_squared,
                l.ols.residual_std,
                coefficients.join("; ")
            );
        }
    }
    let _ = writeln!(
        t,
        "# To stress in economic units: uncomment, point `file` at a scenario table\n\
         # in the same units and frequency, and set [macro.noise] sigma to the\n\
         # residual sd ({:.3}): the link then carries the part of the factor the\n\
         # economy explains. Written from segment {} (the most loan-months); the\n\
         # baselines are the history's means.\n\
         # [macro.link]\n# file = \"your_scenario_table.csv\"\n# frequency = \"{}\"",
        link.ols.residual_std,
        seg.name,
        match series.frequency {
            Frequency::Monthly => "monthly",
            Frequency::Quarterly => "quarterly",
        }
    );
    for (j, v) in link.variables.iter().enumerate() {
        let _ = writeln!(
            t,
            "# [macro.link.variables.{v}]\n# coefficient = {}\n# baseline = {}",
            short(link.ols.coefficients[j + 1].value),
            short(link.means[j])
        );
    }
}
