//! The report of `creditstress calibrate`: what was fitted to the history,
//! with intervals, and how well the fitted model reproduces the history.
//! Rendered to bytes here; the CLI writes the files.

use std::fmt::Write;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::html::{CSS, escape};
use super::page::Page;
use super::plots::canvas::{self, DrawResult, Figure, HouseMesh};
use crate::estimation::scenario_fit::Calibrated;
use crate::estimation::tape::History;
use crate::estimation::{Estimate, wilson_interval};
use crate::stats::normal::vasicek_conditional;

/// Observed and fitted monthly missed-payment rates of one segment.
struct Fit {
    /// Band labels.
    bands: Vec<String>,
    /// Per band: observed rate with its 95% Wilson interval, and the fitted mean rate.
    by_band: Vec<Option<([f64; 3], Estimate)>>,
    /// Per month of path 0: observed rate, fitted rate at the factor's posterior mean.
    by_month: Vec<(f64, f64)>,
}

fn segment_fit(c: &Calibrated, history: &History, s: usize, edges: &[f64]) -> Fit {
    let seg = &c.segments[s];
    let panel = &history.segments[s].panel;
    let bands: Vec<String> = edges.windows(2).map(|w| format!("{}-{}", w[0], w[1])).collect();
    let by_band = (0..bands.len())
        .map(|g| {
            let (n, d) = panel
                .paths
                .iter()
                .flat_map(|p| &p.months)
                .fold((0u64, 0u64), |(n, d), m| {
                    (n + m.current[g].at_risk, d + m.current[g].missed)
                });
            let (lo, hi) = wilson_interval(d, n, 0.95).ok()?;
            (n > 0).then(|| ([d as f64 / n as f64, lo, hi], seg.factor.miss_rates[g]))
        })
        .collect();
    let rho = seg.factor.rho.value;
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
                    let z = seg
                        .factor
                        .factor_mean
                        .first()
                        .and_then(|f| f.get(t))
                        .copied()
                        .unwrap_or(0.0);
                    let expected: f64 = m
                        .current
                        .iter()
                        .enumerate()
                        .map(|(g, c)| c.at_risk as f64 * vasicek_conditional(seg.factor.miss_rates[g].value, rho, z))
                        .sum();
                    let n = n.max(1) as f64;
                    (d as f64 / n, expected / n)
                })
                .collect()
        })
        .unwrap_or_default();
    Fit {
        bands,
        by_band,
        by_month,
    }
}

struct BandFigure<'a> {
    title: String,
    fit: &'a Fit,
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
            .fit
            .by_band
            .iter()
            .flatten()
            .map(|(o, e)| o[2].max(e.upper))
            .fold(0.0, f64::max);
        let n = self.fit.bands.len();
        let mut chart = ChartBuilder::on(&body)
            .margin(10)
            .margin_right(30)
            .x_label_area_size(50)
            .y_label_area_size(90)
            .build_cartesian_2d(-0.5..n as f64 - 0.5, 0.0..(top * 1.15).max(1e-6))?;
        let labels = self.fit.bands.clone();
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
        for (g, entry) in self.fit.by_band.iter().enumerate() {
            let Some((o, e)) = entry else { continue };
            let x = g as f64;
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(x - 0.08, o[1]), (x - 0.08, o[2])],
                observed.stroke_width(2),
            )))?;
            chart.draw_series(std::iter::once(Circle::new((x - 0.08, o[0]), 6, observed.filled())))?;
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(x + 0.08, e.lower), (x + 0.08, e.upper)],
                fitted.stroke_width(2),
            )))?;
            chart.draw_series(std::iter::once(TriangleMarker::new(
                (x + 0.08, e.value),
                7,
                fitted.filled(),
            )))?;
        }
        Ok(())
    }
}

struct MonthFigure<'a> {
    title: String,
    fit: &'a Fit,
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
        let m = self.fit.by_month.len().max(1);
        let top = self.fit.by_month.iter().map(|(o, f)| o.max(*f)).fold(0.0, f64::max);
        let mut chart = ChartBuilder::on(&body)
            .margin(10)
            .margin_right(30)
            .x_label_area_size(50)
            .y_label_area_size(90)
            .build_cartesian_2d(0.5..m as f64 + 0.5, 0.0..(top * 1.15).max(1e-6))?;
        chart
            .configure_mesh()
            .y_label_formatter(&|y| format!("{:.2}%", y * 100.0))
            .x_desc("month")
            .y_desc("monthly rate")
            .house_style()
            .draw()?;
        let observed = canvas::colour(0);
        let fitted = canvas::colour(1);
        chart
            .draw_series(LineSeries::new(
                self.fit.by_month.iter().enumerate().map(|(t, p)| (t as f64 + 1.0, p.0)),
                observed.stroke_width(2),
            ))?
            .label("observed")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], observed.stroke_width(2)));
        chart
            .draw_series(DashedLineSeries::new(
                self.fit.by_month.iter().enumerate().map(|(t, p)| (t as f64 + 1.0, p.1)),
                6,
                4,
                fitted.stroke_width(2),
            ))?
            .label("fitted")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], fitted.stroke_width(2)));
        canvas::series_legend(&mut chart)?;
        Ok(())
    }
}

fn pct(x: f64) -> String {
    format!("{:.3}%", x * 100.0)
}

fn with_interval(e: &Estimate) -> String {
    format!("{} [{}, {}]", pct(e.value), pct(e.lower), pct(e.upper))
}

/// Renders `calibration.html` and its plots: `(file name, bytes)`.
pub fn render(c: &Calibrated, history: &History, edges: &[f64], scenario_file: &str) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut h = String::new();
    let meta = format!(
        "{} months · {} path(s) · {} rows · factor persistence φ = {:.4} [{:.4}, {:.4}] · scenario written to \
         <code>{}</code>",
        c.months,
        c.paths,
        history.rows,
        c.phi.value,
        c.phi.lower,
        c.phi.upper,
        escape(scenario_file)
    );
    h.push_str(
        "<p class=\"note\">Fitted values carry intervals at the confidence given to calibrate (default 95%); \
         observed rates are counts over loans at risk (cohort estimator) with 95% Wilson intervals. Fitted rates are the maximum-likelihood factor model the \
         simulator runs (monthly Vasicek rates sharing one AR(1) factor).</p>\n",
    );
    for (s, seg) in c.segments.iter().enumerate() {
        let fit = segment_fit(c, history, s, edges);
        let f = &seg.factor;
        let _ = write!(
            h,
            "<h2>Segment {}</h2>\n<p>{} loans · monthly ρ {} · prepayment {} a month</p>\n",
            escape(&seg.name),
            seg.loans,
            format_args!("{:.4} [{:.4}, {:.4}]", f.rho.value, f.rho.lower, f.rho.upper),
            with_interval(&f.prepay_rate)
        );
        let _ = write!(
            h,
            "<h3>Default rate by score band</h3>\n<table><tr><th>band</th><th>loan-months current</th>\
             <th>observed monthly miss rate</th><th>fitted monthly miss rate</th><th>PD over the PD period (written)</th></tr>\n"
        );
        for (g, band) in fit.bands.iter().enumerate() {
            match (&fit.by_band[g], &seg.pd_by_band[g]) {
                (Some((o, e)), Some(pd)) => {
                    let _ = writeln!(
                        h,
                        "<tr><td>{band}</td><td>{}</td><td>{} [{}, {}]</td><td>{}</td><td>{}</td></tr>",
                        seg.band_exposure_months[g],
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
                        "<tr><td>{band}</td><td>0</td><td colspan=\"3\">no loans; the written table takes the nearest band's PD</td></tr>"
                    );
                }
            }
        }
        h.push_str("</table>\n");
        for (name, title, rendered) in [
            (
                format!("calibration_bands_{s}"),
                format!("Observed and fitted by score band — {}", seg.name),
                true,
            ),
            (
                format!("calibration_months_{s}"),
                format!("Back-test by month — {}", seg.name),
                false,
            ),
        ] {
            let (png, svg) = if rendered {
                canvas::render(
                    &BandFigure {
                        title: title.clone(),
                        fit: &fit,
                    },
                    &title,
                )
            } else {
                canvas::render(
                    &MonthFigure {
                        title: title.clone(),
                        fit: &fit,
                    },
                    &title,
                )
            };
            let start = svg.find("<svg").unwrap_or(0);
            let _ = writeln!(h, "<figure>{}</figure>", &svg[start..]);
            files.push((format!("plots/{name}.png"), png));
            files.push((format!("plots/{name}.svg"), svg.into_bytes()));
        }
        if let (Some(rolls), Some(cures)) = (&f.roll_rates, &f.cure_rates) {
            let miss: f64 = {
                let w: u64 = seg.band_exposure_months.iter().sum();
                seg.band_exposure_months
                    .iter()
                    .zip(&f.miss_rates)
                    .map(|(&n, e)| n as f64 * e.value)
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
            let cell = |e: Option<&Estimate>, v: f64| {
                let alpha = (v.sqrt()).clamp(0.0, 1.0) * 0.6;
                let text = e.map_or(pct(v), |e| {
                    format!(
                        "{}<br><small>[{}, {}]</small>",
                        pct(e.value),
                        pct(e.lower),
                        pct(e.upper)
                    )
                });
                format!("<td style=\"background: rgba(31,119,180,{alpha:.3})\">{text}</td>")
            };
            let empty = "<td></td>".to_string();
            let _ = writeln!(
                h,
                "<tr><th>current</th>{}{}{empty}{empty}{empty}{}</tr>",
                cell(None, 1.0 - miss - f.prepay_rate.value),
                cell(None, miss),
                cell(Some(&f.prepay_rate), f.prepay_rate.value)
            );
            for b in 0..3 {
                let stay = (1.0 - rolls[b].value - cures[b].value).max(0.0);
                let mut row = vec![empty.clone(); 5];
                row[0] = cell(Some(&cures[b]), cures[b].value);
                row[b + 1] = cell(None, stay);
                row[b + 2] = cell(Some(&rolls[b]), rolls[b].value);
                let label = ["30 dpd", "60 dpd", "90+ dpd"][b];
                let _ = writeln!(h, "<tr><th>{label}</th>{}{empty}</tr>", row.concat());
            }
            h.push_str("</table>\n");
            if let (Some(sr), Some(sc)) = (f.roll_sensitivity, f.cure_sensitivity) {
                let _ = writeln!(
                    h,
                    "<p>Factor sensitivity of rolls {:.4} [{:.4}, {:.4}], of cures {:.4} [{:.4}, {:.4}].</p>",
                    sr.value, sr.lower, sr.upper, sc.value, sc.lower, sc.upper
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
                    seg.charge_offs_used.0,
                    seg.charge_offs_used.1,
                    with_interval(&l.mean),
                    with_interval(&l.std),
                    seg.recovery_curve
                        .iter()
                        .map(|s| pct(*s))
                        .collect::<Vec<_>>()
                        .join(", ")
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
                link.ols.r_squared, link.ols.residual_std, link.ols.observations
            );
            for (j, v) in link.variables.iter().enumerate() {
                let e = &link.ols.coefficients[j + 1];
                let _ = writeln!(
                    h,
                    "<tr><td>{}</td><td>{:.4}</td><td>[{:.4}, {:.4}]</td><td>{:.4}</td></tr>",
                    escape(v),
                    e.value,
                    e.lower,
                    e.upper,
                    link.means[j]
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
    let page = Page {
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
    files.push(("calibration.html".to_string(), page.into_bytes()));
    files
}
