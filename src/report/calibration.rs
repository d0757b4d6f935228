//! The report of `creditstress calibrate`: what was fitted to the history,
//! with intervals, and how well the fitted model reproduces the history.
//! Rendered to bytes here; the CLI writes the files.

use std::fmt::Write;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::html::{CSS, escape};
use super::page::Page;
use super::plots::canvas::{self, DrawResult, Figure, HouseMesh};
use super::plots::format::count;
use super::study::{StudyCommand, StudyInput};
use crate::estimation::scenario_fit::Calibrated;
use crate::estimation::tape::History;
use crate::estimation::{Estimate, wilson_interval};
use crate::stats::normal::vasicek_conditional;
use serde::{Deserialize, Serialize};

/// What `calibration.json` says it is.
pub const CALIBRATION_FORMAT: &str = "creditstress-calibration-report";
/// Raised when a field of `calibration.json` changes meaning or goes away.
pub const CALIBRATION_FORMAT_VERSION: u32 = 1;

/// A figure of the page that may not be finite (a standard error the
/// data do not determine): a JSON number when finite, else the text
/// `"inf"`, `"-inf"` or `"NaN"`, so the page redraws to the same bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figure64(pub f64);

impl Serialize for Figure64 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.is_finite() {
            s.serialize_f64(self.0)
        } else {
            s.serialize_str(&self.0.to_string())
        }
    }
}

impl<'de> Deserialize<'de> for Figure64 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(f64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Number(x) => Ok(Figure64(x)),
            Raw::Text(t) => match t.as_str() {
                "inf" => Ok(Figure64(f64::INFINITY)),
                "-inf" => Ok(Figure64(f64::NEG_INFINITY)),
                "NaN" => Ok(Figure64(f64::NAN)),
                _ => Err(serde::de::Error::custom(format!(
                    "expected a number, \"inf\", \"-inf\" or \"NaN\", got {t:?}"
                ))),
            },
        }
    }
}

/// An estimate as the page shows it: the value and its interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// Point estimate.
    pub value: Figure64,
    /// Lower end.
    pub lower: Figure64,
    /// Upper end.
    pub upper: Figure64,
}

impl From<&Estimate> for Interval {
    fn from(e: &Estimate) -> Self {
        Interval {
            value: Figure64(e.value),
            lower: Figure64(e.lower),
            upper: Figure64(e.upper),
        }
    }
}

/// Observed (with its 95% Wilson interval) and fitted monthly miss rate of one band.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BandRates {
    /// Observed rate, lower and upper end of its interval.
    pub observed: [f64; 3],
    /// Fitted mean rate with its interval.
    pub fitted: Interval,
}

/// The fitted transition rates of a segment with delinquency buckets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransitionsPage {
    /// Roll rates from 30, 60 and 90+ days past due.
    pub rolls: [Interval; 3],
    /// Cure rates from the same buckets.
    pub cures: [Interval; 3],
    /// Factor sensitivity of rolls.
    pub roll_sensitivity: Option<Interval>,
    /// Factor sensitivity of cures.
    pub cure_sensitivity: Option<Interval>,
}

/// The Beta LGD fit and recovery curve of a segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LgdPage {
    /// Mean LGD.
    pub mean: Interval,
    /// Standard deviation of LGD.
    pub std: Interval,
    /// Charge-offs used (those whose recoveries the tape saw in full).
    pub used: usize,
    /// All charge-offs.
    pub charge_offs: usize,
    /// Recovery shares by months after the charge-off.
    pub recovery_curve: Vec<f64>,
}

/// One variable of a fitted macro link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkVariable {
    /// Its name in the economic table.
    pub name: String,
    /// Factor units per unit of the variable.
    pub coefficient: Interval,
    /// Its mean over the history (the written baseline).
    pub mean: f64,
}

/// A fitted macro link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkPage {
    /// R² of the regression.
    pub r_squared: Figure64,
    /// Residual standard deviation.
    pub residual_std: Figure64,
    /// Months used.
    pub observations: usize,
    /// The variables, in the table's order.
    pub variables: Vec<LinkVariable>,
}

/// What the page says about one segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentPage {
    /// Segment name.
    pub name: String,
    /// Loans in the book.
    pub loans: u64,
    /// Monthly asset correlation.
    pub rho: Interval,
    /// Monthly prepayment probability.
    pub prepay_rate: Interval,
    /// Fitted mean monthly miss rate per band.
    pub miss_rates: Vec<Interval>,
    /// Loan-months current per band.
    pub band_exposure_months: Vec<u64>,
    /// Observed and fitted rates per band (`None`: no loan of the band was current).
    pub by_band: Vec<Option<BandRates>>,
    /// PD over the PD period per band, as written (`None`: no loan of the band was current).
    pub pd_by_band: Vec<Option<Interval>>,
    /// Per month of path 0: observed miss rate and the fitted rate at the factor's posterior mean.
    pub by_month: Vec<[f64; 2]>,
    /// With delinquency buckets.
    pub transitions: Option<TransitionsPage>,
    /// `None`: too few complete charge-offs.
    pub lgd: Option<LgdPage>,
    /// With a macro series.
    pub macro_link: Option<LinkPage>,
    /// What the history could not pin down.
    pub warnings: Vec<String>,
}

/// `calibration.json`: everything `calibration.html` and its plots show,
/// so `report` redraws them byte for byte without the tape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationPage {
    /// Always [`CALIBRATION_FORMAT`].
    pub format: String,
    /// [`CALIBRATION_FORMAT_VERSION`] when written.
    pub format_version: u32,
    /// The scenario file written.
    pub scenario_file: String,
    /// Months of the history.
    pub months: usize,
    /// Paths of the history.
    pub paths: usize,
    /// Rows of the tape.
    pub rows: u64,
    /// The factor's persistence written to `[macro.noise]`.
    pub phi: Interval,
    /// Score band labels (`lo-hi`).
    pub bands: Vec<String>,
    /// Per segment.
    pub segments: Vec<SegmentPage>,
}

impl CalibrationPage {
    /// What the page shows of the calibration `c` of `history` on the band `edges`.
    pub fn new(c: &Calibrated, history: &History, edges: &[f64], scenario_file: &str) -> Self {
        CalibrationPage {
            format: CALIBRATION_FORMAT.to_string(),
            format_version: CALIBRATION_FORMAT_VERSION,
            scenario_file: scenario_file.to_string(),
            months: c.months,
            paths: c.paths,
            rows: history.rows,
            phi: (&c.phi).into(),
            bands: edges.windows(2).map(|w| format!("{}-{}", w[0], w[1])).collect(),
            segments: (0..c.segments.len())
                .map(|s| segment_page(c, history, s, edges))
                .collect(),
        }
    }

    /// Checks what a redraw reads: the format, its version and one entry per band.
    pub fn check(&self) -> Result<(), String> {
        if self.format != CALIBRATION_FORMAT {
            return Err(format!("format is {:?}, expected {CALIBRATION_FORMAT:?}", self.format));
        }
        if self.format_version > CALIBRATION_FORMAT_VERSION {
            return Err(format!(
                "format_version {} is newer than this build reads ({CALIBRATION_FORMAT_VERSION}); use a newer creditstress",
                self.format_version
            ));
        }
        let bands = self.bands.len();
        for s in &self.segments {
            for (field, n) in [
                ("miss_rates", s.miss_rates.len()),
                ("band_exposure_months", s.band_exposure_months.len()),
                ("by_band", s.by_band.len()),
                ("pd_by_band", s.pd_by_band.len()),
            ] {
                if n != bands {
                    return Err(format!(
                        "segments.{}.{field} has {n} entries for {bands} score bands",
                        s.name
                    ));
                }
            }
        }
        Ok(())
    }
}

fn segment_page(c: &Calibrated, history: &History, s: usize, edges: &[f64]) -> SegmentPage {
    let seg = &c.segments[s];
    let f = &seg.factor;
    let panel = &history.segments[s].panel;
    let by_band = (0..edges.len().saturating_sub(1))
        .map(|g| {
            let (n, d) = panel
                .paths
                .iter()
                .flat_map(|p| &p.months)
                .fold((0u64, 0u64), |(n, d), m| {
                    (n + m.current[g].at_risk, d + m.current[g].missed)
                });
            let (lo, hi) = wilson_interval(d, n, 0.95).ok()?;
            (n > 0).then(|| BandRates {
                observed: [d as f64 / n as f64, lo, hi],
                fitted: (&f.miss_rates[g]).into(),
            })
        })
        .collect();
    let rho = f.rho.value;
    let by_month = panel
        .paths
        .first()
        .map(|p| {
            p.months
                .iter()
                .enumerate()
                .map(|(t, m)| {
                    let n: u64 = m.current.iter().map(|c| c.at_risk).sum();
                    let d: u64 = m.current.iter().map(|c| c.missed).sum();
                    let z = f.factor_mean.first().and_then(|f| f.get(t)).copied().unwrap_or(0.0);
                    let expected: f64 = m
                        .current
                        .iter()
                        .enumerate()
                        .map(|(g, c)| c.at_risk as f64 * vasicek_conditional(f.miss_rates[g].value, rho, z))
                        .sum();
                    let n = n.max(1) as f64;
                    [d as f64 / n, expected / n]
                })
                .collect()
        })
        .unwrap_or_default();
    let all = |e: &[Estimate; 3]| [(&e[0]).into(), (&e[1]).into(), (&e[2]).into()];
    SegmentPage {
        name: seg.name.clone(),
        loans: seg.loans,
        rho: (&f.rho).into(),
        prepay_rate: (&f.prepay_rate).into(),
        miss_rates: f.miss_rates.iter().map(Interval::from).collect(),
        band_exposure_months: seg.band_exposure_months.clone(),
        by_band,
        pd_by_band: seg.pd_by_band.iter().map(|e| e.as_ref().map(Interval::from)).collect(),
        by_month,
        transitions: match (&f.roll_rates, &f.cure_rates) {
            (Some(rolls), Some(cures)) => Some(TransitionsPage {
                rolls: all(rolls),
                cures: all(cures),
                roll_sensitivity: f.roll_sensitivity.as_ref().map(Interval::from),
                cure_sensitivity: f.cure_sensitivity.as_ref().map(Interval::from),
            }),
            _ => None,
        },
        lgd: seg.lgd.as_ref().map(|l| LgdPage {
            mean: (&l.mean).into(),
            std: (&l.std).into(),
            used: seg.charge_offs_used.0,
            charge_offs: seg.charge_offs_used.1,
            recovery_curve: seg.recovery_curve.clone(),
        }),
        macro_link: seg.macro_link.as_ref().map(|link| LinkPage {
            r_squared: Figure64(link.ols.r_squared),
            residual_std: Figure64(link.ols.residual_std),
            observations: link.ols.observations,
            variables: link
                .variables
                .iter()
                .enumerate()
                .map(|(j, v)| LinkVariable {
                    name: v.clone(),
                    coefficient: (&link.ols.coefficients[j + 1]).into(),
                    mean: link.means[j],
                })
                .collect(),
        }),
        warnings: seg.warnings.clone(),
    }
}

struct BandFigure<'a> {
    title: String,
    bands: &'a [String],
    by_band: &'a [Option<BandRates>],
}

impl Figure for BandFigure<'_> {
    fn size(&self) -> (u32, u32) {
        (1100, 560)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let body = canvas::titled(
            root,
            &self.title,
            "monthly missed-payment rate of current loans · observed (95% Wilson interval) and fitted mean (95% interval)",
        )?;
        let top = self
            .by_band
            .iter()
            .flatten()
            .map(|r| r.observed[2].max(r.fitted.upper.0))
            .fold(0.0, f64::max);
        let n = self.bands.len();
        let mut chart = ChartBuilder::on(&body)
            .margin(10)
            .margin_right(30)
            .x_label_area_size(50)
            .y_label_area_size(90)
            .build_cartesian_2d(-0.5..n as f64 - 0.5, 0.0..(top * 1.15).max(1e-6))?;
        let labels = self.bands.to_vec();
        chart
            .configure_mesh()
            .x_labels(n)
            .x_label_formatter(&|x| labels.get(x.round() as usize).cloned().unwrap_or_default())
            .y_label_formatter(&|y| format!("{:.2}%", y * 100.0))
            .x_desc("score band")
            .y_desc("monthly rate")
            .house_style()
            .draw()?;
        let observed = canvas::colour(0);
        let fitted = canvas::colour(1);
        let bands: Vec<(f64, &BandRates)> = self
            .by_band
            .iter()
            .enumerate()
            .filter_map(|(g, entry)| entry.as_ref().map(|r| (g as f64, r)))
            .collect();
        for &(x, r) in &bands {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(x - 0.08, r.observed[1]), (x - 0.08, r.observed[2])],
                observed.stroke_width(2),
            )))?;
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(x + 0.08, r.fitted.lower.0), (x + 0.08, r.fitted.upper.0)],
                fitted.stroke_width(2),
            )))?;
        }
        chart
            .draw_series(
                bands
                    .iter()
                    .map(|&(x, r)| Circle::new((x - 0.08, r.observed[0]), 6, observed.filled())),
            )?
            .label("observed (95% Wilson interval)")
            .legend(move |(x, y)| Circle::new((x + 12, y), 6, observed.filled()));
        chart
            .draw_series(
                bands
                    .iter()
                    .map(|&(x, r)| TriangleMarker::new((x + 0.08, r.fitted.value.0), 7, fitted.filled())),
            )?
            .label("fitted mean (95% interval)")
            .legend(move |(x, y)| TriangleMarker::new((x + 12, y), 7, fitted.filled()));
        canvas::series_legend(&mut chart)?;
        Ok(())
    }
}

struct MonthFigure<'a> {
    title: String,
    by_month: &'a [[f64; 2]],
}

impl Figure for MonthFigure<'_> {
    fn size(&self) -> (u32, u32) {
        (1100, 520)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let body = canvas::titled(
            root,
            &self.title,
            "path 0 · observed share of current loans that missed a payment, and the fitted model at the factor's posterior mean",
        )?;
        let m = self.by_month.len().max(1);
        let top = self.by_month.iter().map(|[o, f]| o.max(*f)).fold(0.0, f64::max);
        let mut chart = ChartBuilder::on(&body)
            .margin(10)
            .margin_right(30)
            .x_label_area_size(50)
            .y_label_area_size(90)
            .build_cartesian_2d(0.5..m as f64 + 0.5, 0.0..(top * 1.15).max(1e-6))?;
        chart
            .configure_mesh()
            .x_labels(m.min(12))
            // Months are whole: a tick between two months gets no label.
            .x_label_formatter(&|x| {
                if (x - x.round()).abs() < 1e-9 {
                    format!("{x:.0}")
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|y| format!("{:.2}%", y * 100.0))
            .x_desc("month")
            .y_desc("monthly rate")
            .house_style()
            .draw()?;
        let observed = canvas::colour(0);
        let fitted = canvas::colour(1);
        chart
            .draw_series(LineSeries::new(
                self.by_month.iter().enumerate().map(|(t, p)| (t as f64 + 1.0, p[0])),
                observed.stroke_width(2),
            ))?
            .label("observed")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], observed.stroke_width(2)));
        chart
            .draw_series(DashedLineSeries::new(
                self.by_month.iter().enumerate().map(|(t, p)| (t as f64 + 1.0, p[1])),
                6,
                4,
                fitted.stroke_width(2),
            ))?
            .label("fitted")
            // Dashed in the legend as on the chart.
            .legend(move |(x, y)| {
                plotters::element::DashedPathElement::new(vec![(x, y), (x + 24, y)], 6, 4, fitted.stroke_width(2))
            });
        canvas::series_legend(&mut chart)?;
        Ok(())
    }
}

fn pct(x: f64) -> String {
    format!("{:.3}%", x * 100.0)
}

fn with_interval(e: &Interval) -> String {
    format!("{} [{}, {}]", pct(e.value.0), pct(e.lower.0), pct(e.upper.0))
}

/// The four-decimal form `value [lower, upper]`.
fn plain(e: &Interval) -> String {
    format!("{:.4} [{:.4}, {:.4}]", e.value.0, e.lower.0, e.upper.0)
}

/// Renders `calibration.html` and its plots: `(file name, bytes)`.
pub fn render(page: &CalibrationPage) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut h = String::new();
    let meta = format!(
        "{} months · {} path(s) · {} rows · factor persistence φ = {} · scenario written to <code>{}</code>",
        page.months,
        count(page.paths as u64),
        count(page.rows),
        plain(&page.phi),
        escape(&page.scenario_file)
    );
    h.push_str(
        "<p class=\"note\">Fitted values carry intervals at the confidence given to calibrate (default 95%); \
         observed rates are counts over loans at risk (cohort estimator) with 95% Wilson intervals. Fitted rates are the maximum-likelihood factor model the \
         simulator runs (monthly Vasicek rates sharing one AR(1) factor).</p>\n",
    );
    for (s, seg) in page.segments.iter().enumerate() {
        let _ = write!(
            h,
            "<h2>Segment {}</h2>\n<p>{} loans · monthly ρ {} · prepayment {} a month</p>\n",
            escape(&seg.name),
            count(seg.loans),
            plain(&seg.rho),
            with_interval(&seg.prepay_rate)
        );
        let _ = write!(
            h,
            "<h3>Default rate by score band</h3>\n<table><tr><th>band</th><th>loan-months current</th>\
             <th>observed monthly miss rate</th><th>fitted monthly miss rate</th><th>PD over the PD period (written)</th></tr>\n"
        );
        for (g, band) in page.bands.iter().enumerate() {
            match (&seg.by_band[g], &seg.pd_by_band[g]) {
                (Some(BandRates { observed: o, fitted: e }), Some(pd)) => {
                    let _ = writeln!(
                        h,
                        "<tr><td>{}</td><td>{}</td><td>{} [{}, {}]</td><td>{}</td><td>{}</td></tr>",
                        escape(band),
                        count(seg.band_exposure_months[g]),
                        pct(o[0]),
                        pct(o[1]),
                        pct(o[2]),
                        with_interval(e),
                        with_interval(pd)
                    );
                }
                _ => {
                    let _ = writeln!(
                        h,
                        "<tr><td>{}</td><td>0</td><td colspan=\"3\">no loans; the written table takes the nearest band's PD</td></tr>",
                        escape(band)
                    );
                }
            }
        }
        h.push_str("</table>\n");
        let by_band_title = format!("Observed and fitted by score band — {}", seg.name);
        let by_month_title = format!("Back-test by month — {}", seg.name);
        for (name, (png, svg)) in [
            (
                format!("calibration_bands_{s}"),
                canvas::render(
                    &BandFigure {
                        title: by_band_title.clone(),
                        bands: &page.bands,
                        by_band: &seg.by_band,
                    },
                    &by_band_title,
                ),
            ),
            (
                format!("calibration_months_{s}"),
                canvas::render(
                    &MonthFigure {
                        title: by_month_title.clone(),
                        by_month: &seg.by_month,
                    },
                    &by_month_title,
                ),
            ),
        ] {
            let start = svg.find("<svg").unwrap_or(0);
            let _ = writeln!(h, "<figure>{}</figure>", &svg[start..]);
            files.push((format!("plots/{name}.png"), png));
            files.push((format!("plots/{name}.svg"), svg.into_bytes()));
        }
        if let Some(t) = &seg.transitions {
            let miss: f64 = {
                let w: u64 = seg.band_exposure_months.iter().sum();
                seg.band_exposure_months
                    .iter()
                    .zip(&seg.miss_rates)
                    .map(|(&n, e)| n as f64 * e.value.0)
                    .sum::<f64>()
                    / w.max(1) as f64
            };
            h.push_str(
                "<h3>Monthly transition matrix (fitted means over the factor)</h3>\n\
                 <p class=\"note\">Row: state at the start of the month; column: state at its end. Shading grows \
                 with the rate. From current, the miss rate is the exposure-weighted mean of the bands'.</p>\n\
                 <table><tr><th>from \\ to</th><th>current</th><th>30 dpd</th><th>60 dpd</th><th>90+ dpd</th>\
                 <th>charged off</th><th>prepaid</th></tr>\n",
            );
            let cell = |e: Option<&Interval>, v: f64| {
                let alpha = (v.sqrt()).clamp(0.0, 1.0) * 0.6;
                let text = e.map_or(pct(v), |e| {
                    format!(
                        "{}<br><small>[{}, {}]</small>",
                        pct(e.value.0),
                        pct(e.lower.0),
                        pct(e.upper.0)
                    )
                });
                format!("<td style=\"background: rgba(31,119,180,{alpha:.3})\">{text}</td>")
            };
            let empty = "<td></td>".to_string();
            let prepay = seg.prepay_rate.value.0;
            let _ = writeln!(
                h,
                "<tr><th>current</th>{}{}{empty}{empty}{empty}{}</tr>",
                cell(None, 1.0 - miss - prepay),
                cell(None, miss),
                cell(Some(&seg.prepay_rate), prepay)
            );
            for b in 0..3 {
                let (roll, cure) = (&t.rolls[b], &t.cures[b]);
                let stay = (1.0 - roll.value.0 - cure.value.0).max(0.0);
                let mut row = vec![empty.clone(); 5];
                row[0] = cell(Some(cure), cure.value.0);
                row[b + 1] = cell(None, stay);
                row[b + 2] = cell(Some(roll), roll.value.0);
                let label = ["30 dpd", "60 dpd", "90+ dpd"][b];
                let _ = writeln!(h, "<tr><th>{label}</th>{}{empty}</tr>", row.concat());
            }
            h.push_str("</table>\n");
            if let (Some(sr), Some(sc)) = (&t.roll_sensitivity, &t.cure_sensitivity) {
                let _ = writeln!(
                    h,
                    "<p>Factor sensitivity of rolls {}, of cures {}.</p>",
                    plain(sr),
                    plain(sc)
                );
            }
        }
        match &seg.lgd {
            Some(l) => {
                let _ = writeln!(
                    h,
                    "<h3>Loss given default</h3>\n<p>Beta LGD by the method of moments from {} of {} charge-offs \
                     (those whose recoveries the tape saw in full): mean {}, std {}. Recovery shares by months \
                     after the charge-off: {}.</p>",
                    count(l.used as u64),
                    count(l.charge_offs as u64),
                    with_interval(&l.mean),
                    with_interval(&l.std),
                    l.recovery_curve.iter().map(|s| pct(*s)).collect::<Vec<_>>().join(", ")
                );
            }
            None => h.push_str("<h3>Loss given default</h3>\n<p>Not estimated: too few complete charge-offs.</p>\n"),
        }
        if let Some(link) = &seg.macro_link {
            let _ = write!(
                h,
                "<h3>Macro link</h3>\n<p>Least squares of the fitted factor (posterior mean by month) on the \
                 economic variables: R² {:.3}, residual sd {:.3} over {} months. The scenario carries it \
                 commented out, for a scenario table in the same units.</p>\n<table><tr><th>variable</th>\
                 <th>coefficient (factor units per unit)</th><th>interval</th><th>history mean (baseline)</th></tr>\n",
                link.r_squared.0, link.residual_std.0, link.observations
            );
            for v in &link.variables {
                let e = &v.coefficient;
                let _ = writeln!(
                    h,
                    "<tr><td>{}</td><td>{:.4}</td><td>[{:.4}, {:.4}]</td><td>{:.4}</td></tr>",
                    escape(&v.name),
                    e.value.0,
                    e.lower.0,
                    e.upper.0,
                    v.mean
                );
            }
            h.push_str("</table>\n");
        }
        if !seg.warnings.is_empty() {
            h.push_str("<h3>Warnings</h3>\n<ul>");
            for w in &seg.warnings {
                let _ = write!(h, "<li>{}</li>", escape(w));
            }
            h.push_str("</ul>\n");
        }
    }
    h.push_str(
        "<h2>Not fitted</h2>\n<p class=\"note\">LGD's sensitivity to the factor, penalty interest, separate \
         dynamics per product, cross-segment factor correlation, fraud and outage behaviour are not estimated; \
         the written scenario keeps the program's defaults for them (0 or off).</p>\n",
    );
    let html = Page {
        title: "Calibration",
        heading: "Calibration report",
        meta: &meta,
        nav: &[],
        body: &h,
        footer: "",
        css: CSS,
        extra_css: "",
    }
    .html();
    files.push(("calibration.html".to_string(), html.into_bytes()));
    files
}

/// `manifest.json` of a calibration folder: what was fitted, from which
/// files, with which options, and the command that fits it again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationManifest {
    /// Always [`super::study::MANIFEST_FORMAT`].
    pub format: String,
    /// [`super::study::MANIFEST_VERSION`] when written.
    pub format_version: u32,
    /// Program name.
    pub program: String,
    /// Program version.
    pub version: String,
    /// Always `calibrate`.
    pub study: StudyCommand,
    /// The tape, the book and, when given, the macro series, with their SHA-256.
    pub inputs: Vec<StudyInput>,
    /// The scenario written, with its SHA-256.
    pub scenario: StudyInput,
    /// Score band edges of the PD table.
    pub bands: Vec<f64>,
    /// Months the written PD is quoted over.
    pub pd_period_months: u32,
    /// Confidence of every interval written.
    pub confidence: f64,
    /// The command that fits it again (into a new `--out`: calibrate never overwrites).
    pub command: String,
}
