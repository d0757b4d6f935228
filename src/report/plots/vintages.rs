//! Vintage curves of a going-concern book: each vintage's cumulative
//! default rate and loss rate (of the balance it booked) by months on book,
//! the median across paths, and the book's balance at each month end.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::canvas::{self, DrawResult, Figure, Mark};
use super::fan_chart::{draw_bands, draw_median, monthly_chart};
use super::{Plot, ReportInput, finish, subtitle};
use crate::stats::Band;

const SIZE: (u32, u32) = (1500, 1040);

/// One vintage's median curves, in percent.
struct Curve {
    label: String,
    /// `(months on book, cumulative default rate %)`.
    default_rate: Vec<(f64, f64)>,
    /// `(months on book, cumulative loss rate %)`.
    loss_rate: Vec<(f64, f64)>,
}

struct VintageChart {
    title: String,
    subtitle: String,
    months: usize,
    curves: Vec<Curve>,
    /// Balance on the book at month end, millions of yuan, per month.
    outstanding: Vec<Band>,
}

pub fn plot(input: &ReportInput) -> Plot {
    let title = format!("Vintage curves and the book — {}", input.name());
    let figure = build(input, &title);
    finish("vintages", title, figure)
}

fn build(input: &ReportInput, title: &str) -> Result<VintageChart, canvas::Message> {
    if input.vintages.is_empty() {
        return Err(canvas::Message {
            size: SIZE,
            title: title.to_string(),
            lines: vec!["No loans were booked during the run: a run-off book has no vintages.".to_string()],
        });
    }
    let mut curves: Vec<Curve> = Vec::new();
    let mut last = "";
    for p in &input.vintages {
        if p.vintage != last {
            curves.push(Curve {
                label: p.vintage.clone(),
                default_rate: Vec::new(),
                loss_rate: Vec::new(),
            });
            last = &p.vintage;
        }
        let c = curves.last_mut().expect("a curve was just pushed");
        let point = |b: &Band| (p.months_on_book as f64, 100.0 * b.p50);
        c.default_rate.push(point(&p.cumulative_default_rate));
        c.loss_rate.push(point(&p.cumulative_loss_rate));
    }
    let outstanding = input
        .series("outstanding_balance")
        .unwrap_or_default()
        .into_iter()
        .map(|b| Band {
            mean: b.mean / 1e6,
            p05: b.p05 / 1e6,
            p25: b.p25 / 1e6,
            p50: b.p50 / 1e6,
            p75: b.p75 / 1e6,
            p95: b.p95 / 1e6,
        })
        .collect();
    Ok(VintageChart {
        title: title.to_string(),
        subtitle: subtitle(input),
        months: input.summary.horizon_months,
        curves,
        outstanding,
    })
}

/// Vintage `i` of `n`: the opening book in ink, later vintages along a
/// viridis-like ramp from purple through teal to green, so the order of
/// booking reads at a glance (stopping short of viridis' yellow, which is
/// faint on white).
fn vintage_colour(i: usize, n: usize) -> RGBColor {
    const RAMP: [(f64, f64, f64); 5] = [
        (68.0, 1.0, 84.0),
        (59.0, 82.0, 139.0),
        (33.0, 145.0, 140.0),
        (53.0, 183.0, 121.0),
        (144.0, 215.0, 67.0),
    ];
    if i == 0 {
        return canvas::INK;
    }
    let t = if n > 2 { (i - 1) as f64 / (n - 2) as f64 } else { 0.0 };
    let x = t * (RAMP.len() - 1) as f64;
    let k = (x.floor() as usize).min(RAMP.len() - 2);
    let f = x - k as f64;
    let (a, b) = (RAMP[k], RAMP[k + 1]);
    let mix = |p: f64, q: f64| (p + (q - p) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

impl VintageChart {
    fn legend(&self) -> Vec<(Mark, String)> {
        let n = self.curves.len();
        self.curves
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let colour = vintage_colour(i, n);
                let mark = if i == 0 {
                    Mark::Dashed(colour, 3)
                } else {
                    Mark::Line(colour, 3)
                };
                let label = if i == 0 {
                    "opening book".to_string()
                } else {
                    format!("booked in {}", c.label)
                };
                (mark, label)
            })
            .collect()
    }

    fn draw_curves<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        caption: &str,
        y_desc: &str,
        points: fn(&Curve) -> &[(f64, f64)],
    ) -> DrawResult {
        let hi = self
            .curves
            .iter()
            .flat_map(|c| points(c).iter().map(|p| p.1))
            .fold(0.0, f64::max);
        let y_top = if hi > 0.0 { hi * 1.08 } else { 1.0 };
        let mut chart = monthly_chart(area, caption, "Months on book", y_desc, self.months, (0.0, y_top))?;
        let n = self.curves.len();
        for (i, c) in self.curves.iter().enumerate().rev() {
            let colour = vintage_colour(i, n);
            let line = points(c).to_vec();
            if i == 0 {
                chart.draw_series(DashedLineSeries::new(line, 10, 6, colour.stroke_width(3)))?;
            } else if line.len() == 1 {
                chart.draw_series(std::iter::once(Circle::new(line[0], 4, colour.filled())))?;
            } else {
                chart.draw_series(LineSeries::new(line, colour.stroke_width(2)))?;
            }
        }
        if hi <= 0.0 {
            canvas::note_in_plot(
                &chart.plotting_area().strip_coord_spec(),
                "No charge-offs in any vintage",
            )?;
        }
        Ok(())
    }

    fn draw_book<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult {
        let hi = self.outstanding.iter().map(|b| b.p95).fold(0.0, f64::max);
        let y_top = if hi > 0.0 { hi * 1.08 } else { 1.0 };
        let mut chart = monthly_chart(
            area,
            "Balance on the book at month end (median with 50% and 90% bands across paths)",
            "Month",
            "Outstanding (million yuan)",
            self.months,
            (0.0, y_top),
        )?;
        draw_bands(&mut chart, &self.outstanding, canvas::BLUE, 1.0)?;
        draw_median(&mut chart, &self.outstanding, canvas::BLUE)?;
        Ok(())
    }
}

impl Figure for VintageChart {
    fn size(&self) -> (u32, u32) {
        SIZE
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let body = canvas::titled(root, &self.title, &self.subtitle)?;
        let items = self.legend();
        let rest = canvas::legend_above(&body, &items)?;
        let (_, h) = rest.dim_in_pixel();
        let (top, bottom) = rest.split_vertically(h * 60 / 100);
        let halves = top.split_evenly((1, 2));
        self.draw_curves(
            &halves[0],
            "Cumulative default rate (median across paths)",
            "Charged off (% of loans booked)",
            |c| &c.default_rate,
        )?;
        self.draw_curves(
            &halves[1],
            "Cumulative loss rate (median across paths)",
            "Loss (% of balance booked)",
            |c| &c.loss_rate,
        )?;
        self.draw_book(&bottom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_opening_book_is_ink_and_later_vintages_run_along_the_ramp() {
        assert_eq!(vintage_colour(0, 5), canvas::INK);
        assert_eq!(vintage_colour(1, 5), RGBColor(68, 1, 84));
        assert_eq!(vintage_colour(4, 5), RGBColor(144, 215, 67));
        assert_eq!(vintage_colour(1, 2), RGBColor(68, 1, 84));
        // Greener as vintages get later.
        assert!((1..9).all(|i| vintage_colour(i, 10).1 < vintage_colour(i + 1, 10).1));
    }
}
