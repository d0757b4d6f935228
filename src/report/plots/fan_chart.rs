//! Monthly fan charts: default rate, 30+ days-past-due rate and cumulative
//! loss rate (median with 50% and 90% bands across paths), and the macro
//! factor paths in a panel below.

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::canvas::{self, DrawResult, Figure, Mark, font, size};
use super::format::tick;
use super::{Plot, ReportInput, finish, subtitle};
use crate::stats::Band;

const SIZE: (u32, u32) = (1500, 1040);
/// Opacity of the 90% and 50% bands.
pub(super) const ALPHA_90: f64 = 0.16;
pub(super) const ALPHA_50: f64 = 0.34;

/// One panel of monthly bands.
struct Panel {
    caption: String,
    y_desc: String,
    /// Per month, values in percent.
    bands: Vec<Band>,
    /// Shown in the panel when every value is zero.
    empty_note: &'static str,
}

struct FanChart {
    title: String,
    subtitle: String,
    months: usize,
    panels: Vec<Panel>,
    /// `(factor name, per month)` in factor units.
    factors: Vec<(String, Vec<Band>)>,
}

pub fn plot(input: &ReportInput) -> Plot {
    let title = format!("Monthly defaults, delinquency and losses — {}", input.name());
    let figure = build(input, &title);
    finish("fan_chart", title, Ok::<_, canvas::Message>(figure))
}

/// Every band's figures times `k` (e.g. 100 for rates shown in percent).
pub(super) fn scaled(bands: &[Band], k: f64) -> Vec<Band> {
    bands
        .iter()
        .map(|b| Band {
            mean: k * b.mean,
            p05: k * b.p05,
            p25: k * b.p25,
            p50: k * b.p50,
            p75: k * b.p75,
            p95: k * b.p95,
        })
        .collect()
}

fn build(input: &ReportInput, title: &str) -> FanChart {
    let series = |name: &str| scaled(&input.series(name).unwrap_or_default(), 100.0);
    let panels = vec![
        Panel {
            caption: "Defaults in the month".to_string(),
            y_desc: "Charge-offs (% of loans)".to_string(),
            bands: series("default_rate"),
            empty_note: "No defaults on any path",
        },
        Panel {
            caption: "30+ days past due at month end".to_string(),
            y_desc: "Delinquent loans (% of loans)".to_string(),
            bands: series("dpd30_rate"),
            empty_note: "No delinquency on any path",
        },
        Panel {
            caption: "Cumulative loss".to_string(),
            y_desc: "Loss (% of initial exposure)".to_string(),
            bands: series("cumulative_loss_rate"),
            empty_note: "No losses on any path",
        },
    ];
    let factors = input
        .factor_names()
        .into_iter()
        .map(|f| {
            let bands = input.series(&format!("factor_{f}")).unwrap_or_default();
            (f, bands)
        })
        .collect();
    FanChart {
        title: title.to_string(),
        subtitle: subtitle(input),
        months: input.summary.horizon_months,
        panels,
        factors,
    }
}

/// How many x labels to ask plotters for: one per month up to 12 (its "nice"
/// steps then fall on whole months; labels between months are left blank).
fn month_labels(months: usize) -> usize {
    months.clamp(2, 12)
}

/// A month tick label, blank between whole months.
fn month_label(m: f64) -> String {
    if (m - m.round()).abs() < 1e-9 {
        format!("{m:.0}")
    } else {
        String::new()
    }
}

/// The x range: months 1..=n, widened to half a month around a single month.
fn x_range(months: usize) -> (f64, f64) {
    if months <= 1 { (0.5, 1.5) } else { (1.0, months as f64) }
}

/// A band polygon: lower edge forward, upper edge back. A single month becomes a short block.
fn band_polygon(bands: &[Band], lower: fn(&Band) -> f64, upper: fn(&Band) -> f64) -> Vec<(f64, f64)> {
    let xs: Vec<f64> = if bands.len() == 1 {
        vec![0.8, 1.2]
    } else {
        (1..=bands.len()).map(|m| m as f64).collect()
    };
    let at = |i: usize| if bands.len() == 1 { &bands[0] } else { &bands[i] };
    let mut points: Vec<(f64, f64)> = xs.iter().enumerate().map(|(i, &x)| (x, lower(at(i)))).collect();
    points.extend(xs.iter().enumerate().rev().map(|(i, &x)| (x, upper(at(i)))));
    points
}

fn median_line(bands: &[Band]) -> Vec<(f64, f64)> {
    if bands.len() == 1 {
        vec![(0.8, bands[0].p50), (1.2, bands[0].p50)]
    } else {
        bands.iter().enumerate().map(|(i, b)| ((i + 1) as f64, b.p50)).collect()
    }
}

/// A chart over months `1..=months` with the house mesh: `caption` above,
/// `x_desc` and `y_desc` on the axes, whole-month x labels and y ticks on
/// eight steps of `lo..hi`. Every monthly panel (fan chart, vintages) is built here.
pub(super) fn monthly_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    caption: &str,
    x_desc: &str,
    y_desc: &str,
    months: usize,
    (lo, hi): (f64, f64),
) -> Result<ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>, canvas::PlotError> {
    let (x0, x1) = x_range(months);
    let mut chart = ChartBuilder::on(area)
        .caption(caption, font(size::SUBTITLE + 1))
        .margin(8)
        .margin_right(18)
        .x_label_area_size(50)
        .y_label_area_size(68)
        .build_cartesian_2d(x0..x1, lo..hi)?;
    let y_step = (hi - lo) / 8.0;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .axis_desc_style(font(size::AXIS - 1))
        .label_style(font(size::LABEL - 1))
        .max_light_lines(1)
        .light_line_style(canvas::GRID.mix(0.6))
        .bold_line_style(canvas::GRID)
        .x_labels(month_labels(months))
        .x_label_formatter(&|m| month_label(*m))
        .y_label_formatter(&|y| tick(*y, y_step))
        .draw()?;
    Ok(chart)
}

/// Draws the 90% and 50% bands of one quantity in `colour`.
pub(super) fn draw_bands<DB: DrawingBackend>(
    chart: &mut ChartContext<DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    bands: &[Band],
    colour: RGBColor,
    opacity: f64,
) -> DrawResult {
    if bands.is_empty() {
        return Ok(());
    }
    chart.draw_series(std::iter::once(Polygon::new(
        band_polygon(bands, |b| b.p05, |b| b.p95),
        colour.mix(ALPHA_90 * opacity).filled(),
    )))?;
    chart.draw_series(std::iter::once(Polygon::new(
        band_polygon(bands, |b| b.p25, |b| b.p75),
        colour.mix(ALPHA_50 * opacity).filled(),
    )))?;
    Ok(())
}

/// Opacity of the fill of an outlined 50% band (several quantities on one chart).
pub(super) const ALPHA_OUTLINED_50: f64 = 0.12;

/// Draws the bands of one quantity among several on a chart, so that they stay
/// apart where they overlap: the 50% band as a faint fill with solid edges, the
/// 90% band as dashed edges without a fill, all in `colour`.
pub(super) fn draw_outlined_bands<DB: DrawingBackend>(
    chart: &mut ChartContext<DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    bands: &[Band],
    colour: RGBColor,
) -> DrawResult {
    if bands.is_empty() {
        return Ok(());
    }
    chart.draw_series(std::iter::once(Polygon::new(
        band_polygon(bands, |b| b.p25, |b| b.p75),
        colour.mix(ALPHA_OUTLINED_50).filled(),
    )))?;
    for edge in [band_edge(bands, |b| b.p25), band_edge(bands, |b| b.p75)] {
        chart.draw_series(LineSeries::new(edge, colour.mix(0.8).stroke_width(1)))?;
    }
    for edge in [band_edge(bands, |b| b.p05), band_edge(bands, |b| b.p95)] {
        chart.draw_series(DashedLineSeries::new(edge, 6, 4, colour.mix(0.9).stroke_width(1)))?;
    }
    Ok(())
}

/// One edge of a band (a percentile month by month), on the x positions of [`band_polygon`].
fn band_edge(bands: &[Band], edge: fn(&Band) -> f64) -> Vec<(f64, f64)> {
    if bands.len() == 1 {
        vec![(0.8, edge(&bands[0])), (1.2, edge(&bands[0]))]
    } else {
        bands
            .iter()
            .enumerate()
            .map(|(i, b)| ((i + 1) as f64, edge(b)))
            .collect()
    }
}

/// Draws the median line of one quantity (a dot too when there is a single month).
pub(super) fn draw_median<DB: DrawingBackend>(
    chart: &mut ChartContext<DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    bands: &[Band],
    colour: RGBColor,
) -> DrawResult {
    if bands.is_empty() {
        return Ok(());
    }
    chart.draw_series(LineSeries::new(median_line(bands), colour.stroke_width(2)))?;
    if bands.len() == 1 {
        chart.draw_series(std::iter::once(Circle::new((1.0, bands[0].p50), 4, colour.filled())))?;
    }
    Ok(())
}

impl FanChart {
    fn draw_panel<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, panel: &Panel) -> DrawResult {
        let hi = panel.bands.iter().map(|b| b.p95).fold(0.0, f64::max);
        let lo = panel.bands.iter().map(|b| b.p05).fold(f64::INFINITY, f64::min).min(0.0);
        let y_top = if hi > lo { hi * 1.08 } else { 1.0 };
        let mut chart = monthly_chart(area, &panel.caption, "Month", &panel.y_desc, self.months, (lo, y_top))?;
        draw_bands(&mut chart, &panel.bands, canvas::BLUE, 1.0)?;
        draw_median(&mut chart, &panel.bands, canvas::BLUE)?;
        if hi <= 0.0 {
            canvas::note_in_plot(&chart.plotting_area().strip_coord_spec(), panel.empty_note)?;
        }
        Ok(())
    }

    fn draw_factors<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult {
        let (_, h) = area.dim_in_pixel();
        let (chart_area, legend_area) = area.split_vertically(h - canvas::legend_height(1) - 4);
        let lo = self
            .factors
            .iter()
            .flat_map(|(_, b)| b.iter().map(|x| x.p05))
            .fold(0.0, f64::min);
        let hi = self
            .factors
            .iter()
            .flat_map(|(_, b)| b.iter().map(|x| x.p95))
            .fold(0.0, f64::max);
        let (lo, hi) = canvas::padded(lo, hi, 0.06, 0.5);
        let several = self.factors.len() > 1;
        let mut chart = monthly_chart(
            &chart_area,
            if several {
                "Macro factors (each factor's median with its 50% and 90% bands; below 0 = worse than normal)"
            } else {
                "Macro factors (median with 50% and 90% bands; below 0 = worse than normal)"
            },
            "Month",
            "Factor (standard deviations)",
            self.months,
            (lo, hi),
        )?;
        let (x0, x1) = x_range(self.months);
        chart.draw_series(LineSeries::new(
            vec![(x0, 0.0), (x1, 0.0)],
            canvas::MUTED.stroke_width(1),
        ))?;
        let several = self.factors.len() > 1;
        // Several factors' bands overlap: filled bands of two hues blend into a third
        // colour and hide each other's edges, so each factor's bands are outlined in its
        // own colour (50% solid over a faint fill, 90% dashed, unfilled), and every
        // median is drawn on top of all the bands.
        for (i, (_, bands)) in self.factors.iter().enumerate() {
            if several {
                draw_outlined_bands(&mut chart, bands, canvas::factor_colour(i))?;
            } else {
                draw_bands(&mut chart, bands, canvas::factor_colour(i), 1.0)?;
            }
        }
        let mut items = Vec::new();
        for (i, (name, bands)) in self.factors.iter().enumerate() {
            let c = canvas::factor_colour(i);
            draw_median(&mut chart, bands, c)?;
            items.push((Mark::Line(c, 3), format!("{name}, median")));
        }
        if several {
            items.push((
                Mark::Outlined(canvas::MUTED, ALPHA_OUTLINED_50),
                "50% of paths (outlined, shaded)".to_string(),
            ));
            items.push((
                Mark::Dashed(canvas::MUTED, 1),
                "90% of paths (dashed edges)".to_string(),
            ));
        }
        canvas::legend_strip(&legend_area, &items)
    }
}

impl Figure for FanChart {
    fn size(&self) -> (u32, u32) {
        SIZE
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let body = canvas::titled(root, &self.title, &self.subtitle)?;
        let (legend, rest) = body.split_vertically(canvas::legend_height(1));
        canvas::legend_strip(
            &legend,
            &[
                (Mark::Line(canvas::BLUE, 3), "median across paths".to_string()),
                (
                    Mark::Fill(canvas::BLUE, ALPHA_50),
                    "50% of paths (25th-75th percentile)".to_string(),
                ),
                (
                    Mark::Fill(canvas::BLUE, ALPHA_90),
                    "90% of paths (5th-95th percentile)".to_string(),
                ),
            ],
        )?;
        let (_, h) = rest.dim_in_pixel();
        let (top, bottom) = rest.split_vertically(h * 56 / 100);
        for (area, panel) in top.split_evenly((1, 3)).iter().zip(&self.panels) {
            self.draw_panel(area, panel)?;
        }
        self.draw_factors(&bottom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn band(x: f64) -> Band {
        Band {
            mean: x,
            p05: x - 2.0,
            p25: x - 1.0,
            p50: x,
            p75: x + 1.0,
            p95: x + 2.0,
        }
    }

    fn chart_with_factors(n: usize) -> String {
        let months = 6;
        let factors = (0..n)
            .map(|i| {
                let bands = (0..months).map(|t| band(-(t as f64) * (i + 1) as f64 / 4.0)).collect();
                (format!("factor{i}"), bands)
            })
            .collect();
        let chart = FanChart {
            title: "t".to_string(),
            subtitle: String::new(),
            months,
            panels: Vec::new(),
            factors,
        };
        canvas::render(&chart, "t").1
    }

    /// Where each SVG element of `colour` starts, and what it is.
    fn elements_of(svg: &str, colour: RGBColor) -> Vec<(usize, &str)> {
        let hex = format!("\"#{:02X}{:02X}{:02X}\"", colour.0, colour.1, colour.2);
        svg.match_indices('<')
            .map(|(i, _)| (i, &svg[i..i + svg[i..].find('>').unwrap_or(0)]))
            .filter(|(_, e)| e.contains(&hex))
            .collect()
    }

    #[test]
    fn several_factors_have_outlined_bands_of_their_own_hue_under_every_median() {
        let svg = chart_with_factors(2);
        let (a, b) = (canvas::factor_colour(0), canvas::factor_colour(1));
        // Hues far apart: no shared dominant channel.
        assert_ne!(a, b);
        let mut last_band = 0;
        let mut first_median = usize::MAX;
        for c in [a, b] {
            let els = elements_of(&svg, c);
            // One fill only (the faint 50% band); the 90% band is dashed edges without a fill.
            let fills: Vec<_> = els.iter().filter(|(_, e)| e.starts_with("<polygon")).collect();
            assert_eq!(fills.len(), 1, "{c:?}: {fills:?}");
            assert!(fills[0].1.contains(&format!("opacity=\"{ALPHA_OUTLINED_50}\"")));
            // Solid 50% edges, and many dash segments for the 90% edges.
            let thin = els
                .iter()
                .filter(|(_, e)| e.starts_with("<polyline") && e.contains("stroke-width=\"1\""))
                .count();
            assert!(thin > 2 + 10, "{c:?}: {thin} thin lines");
            for (i, e) in &els {
                if e.starts_with("<polygon") || e.contains("stroke-width=\"1\"") {
                    last_band = last_band.max(*i);
                } else if e.starts_with("<polyline") && e.contains("stroke-width=\"2\"") {
                    first_median = first_median.min(*i);
                }
            }
        }
        assert!(first_median < usize::MAX, "no median drawn");
        assert!(last_band < first_median, "a band is drawn over a median");
        assert!(svg.contains("90% of paths (dashed edges)"));
    }

    #[test]
    fn a_single_factor_keeps_its_two_filled_bands() {
        let svg = chart_with_factors(1);
        let els = elements_of(&svg, canvas::factor_colour(0));
        assert_eq!(els.iter().filter(|(_, e)| e.starts_with("<polygon")).count(), 2);
        assert!(!svg.contains("dashed edges"));
    }

    #[test]
    fn month_labels_are_whole_months() {
        assert_eq!(month_label(3.0), "3");
        assert_eq!(month_label(2.5), "");
        assert_eq!(month_labels(1), 2);
        assert_eq!(month_labels(600), 12);
    }

    #[test]
    fn a_band_polygon_goes_out_along_the_lower_edge_and_back_along_the_upper() {
        let b = |x: f64| Band {
            mean: x,
            p05: x - 2.0,
            p25: x - 1.0,
            p50: x,
            p75: x + 1.0,
            p95: x + 2.0,
        };
        let poly = band_polygon(&[b(1.0), b(2.0)], |b| b.p05, |b| b.p95);
        assert_eq!(poly, vec![(1.0, -1.0), (2.0, 0.0), (2.0, 4.0), (1.0, 3.0)]);
        assert_eq!(band_polygon(&[b(1.0)], |b| b.p25, |b| b.p75).len(), 4);
    }
}
