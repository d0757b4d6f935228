//! The P&L of a run with `[economics]`: a waterfall of the mean lines over
//! the horizon, from interest down to net income, and the monthly net income
//! and its cumulative sum across paths; and, with provisions or capital,
//! the loss allowance, the stage mix, RWA and the capital requirement month
//! by month.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::canvas::{self, DrawResult, Figure, Mark};
use super::fan_chart::{draw_bands, draw_median, monthly_chart};
use super::waterfall::{Bar, draw_waterfall};
use super::{Plot, ReportInput, finish, subtitle};
use crate::stats::Band;

const SIZE: (u32, u32) = (1500, 800);

/// Green for income, red for costs, ink for the net.
pub(super) const INCOME: RGBColor = RGBColor(44, 160, 44);
pub(super) const COST: RGBColor = RGBColor(214, 39, 40);

struct Economics {
    title: String,
    subtitle: String,
    /// `(short label, signed mean over the horizon in yuan)`, in P&L order.
    steps: Vec<(String, f64)>,
    /// Mean net income over the horizon.
    net: f64,
    months: usize,
    monthly_net: Vec<Band>,
    cumulative_net: Vec<Band>,
}

pub fn plot(input: &ReportInput) -> Plot {
    let title = format!("P&L: from interest to net income — {}", input.name());
    let figure = build(input, &title);
    finish("economics", title, figure)
}

fn build(input: &ReportInput, title: &str) -> Result<Economics, canvas::Message> {
    let Some(e) = &input.summary.economics else {
        return Err(canvas::Message {
            size: SIZE,
            title: title.to_string(),
            lines: vec!["The scenario has no [economics] section: no P&L was kept.".to_string()],
        });
    };
    // Lines that are zero on every path (a term the scenario does not use) are left out.
    let steps = e
        .lines
        .iter()
        .filter(|l| l.total.mean != 0.0 || l.total.std != 0.0)
        .map(|l| (l.short.to_lowercase(), l.sign as f64 * l.total.mean))
        .collect();
    Ok(Economics {
        title: title.to_string(),
        subtitle: format!("{} · means over paths, in yuan", subtitle(input)),
        steps,
        net: e.net_income.mean,
        months: input.summary.horizon_months,
        monthly_net: input.series("pnl_net_income").unwrap_or_default(),
        cumulative_net: input.series("pnl_cumulative_net_income").unwrap_or_default(),
    })
}

impl Economics {
    fn draw_waterfall<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult {
        // Running level after each step; the bars span from the level before to the level after.
        let mut level = 0.0;
        let mut bars = Vec::with_capacity(self.steps.len() + 1);
        for (label, delta) in &self.steps {
            let colour = if *delta >= 0.0 { INCOME } else { COST };
            bars.push(Bar {
                label: label.clone(),
                from: level,
                to: level + delta,
                colour,
            });
            level += delta;
        }
        bars.push(Bar {
            label: "net income".to_string(),
            from: 0.0,
            to: self.net,
            colour: canvas::INK,
        });
        draw_waterfall(
            area,
            "Mean P&L over the horizon",
            "Yuan over the horizon",
            &bars,
            &[
                (Mark::Fill(INCOME, 0.85), "income".to_string()),
                (Mark::Fill(COST, 0.85), "cost".to_string()),
                (Mark::Fill(canvas::INK, 0.85), "net income".to_string()),
            ],
        )
    }
}

/// One quantity's bands month by month, in units of `scale` (1e6: millions of yuan).
fn draw_monthly<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    months: usize,
    bands: &[Band],
    caption: &str,
    y_desc: &str,
    colour: RGBColor,
    scale: f64,
) -> DrawResult {
    let (_, h) = area.dim_in_pixel();
    let (chart_area, legend_area) = area.split_vertically(h - canvas::legend_height(1) - 4);
    let hi = bands.iter().map(|b| b.p95 / scale).fold(0.0, f64::max);
    let lo = bands.iter().map(|b| b.p05 / scale).fold(0.0, f64::min);
    let pad = 0.06 * (hi - lo).max(1e-6);
    let scaled: Vec<Band> = bands
        .iter()
        .map(|b| Band {
            mean: b.mean / scale,
            p05: b.p05 / scale,
            p25: b.p25 / scale,
            p50: b.p50 / scale,
            p75: b.p75 / scale,
            p95: b.p95 / scale,
        })
        .collect();
    let mut chart = monthly_chart(&chart_area, caption, "Month", y_desc, months, (lo - pad, hi + pad))?;
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(0.5, 0.0), (months as f64 + 0.5, 0.0)],
        canvas::MUTED.stroke_width(1),
    )))?;
    draw_bands(&mut chart, &scaled, colour, 1.0)?;
    draw_median(&mut chart, &scaled, colour)?;
    canvas::legend_strip(
        &legend_area,
        &[
            (Mark::Line(colour, 2), "median".to_string()),
            (Mark::Fill(colour, 0.5), "25–75%".to_string()),
            (Mark::Fill(colour, 0.25), "5–95% of paths".to_string()),
        ],
    )
}

impl Figure for Economics {
    fn size(&self) -> (u32, u32) {
        SIZE
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let body = canvas::titled(root, &self.title, &self.subtitle)?;
        let (w, _) = body.dim_in_pixel();
        let (left, right) = body.split_horizontally(w * 50 / 100);
        self.draw_waterfall(&left)?;
        let (_, h) = right.dim_in_pixel();
        let (top, bottom) = right.split_vertically(h / 2);
        draw_monthly(
            &top,
            self.months,
            &self.monthly_net,
            "Net income per month",
            "Millions of yuan",
            canvas::BLUE,
            1e6,
        )?;
        draw_monthly(
            &bottom,
            self.months,
            &self.cumulative_net,
            "Cumulative net income",
            "Millions of yuan",
            canvas::colour(4),
            1e6,
        )
    }
}

const PANEL_SIZE: (u32, u32) = (1500, 820);

/// The loss allowance, the stage mix, RWA and the capital requirement month
/// by month: the panels the run has series for.
struct ProvisionsCapital {
    title: String,
    subtitle: String,
    months: usize,
    /// `(caption, axis, bands, colour, scale)`.
    panels: Vec<(String, String, Vec<Band>, RGBColor, f64)>,
}

pub fn provisions_capital_plot(input: &ReportInput) -> Plot {
    let title = format!("Provisions and capital month by month — {}", input.name());
    let figure = build_provisions_capital(input, &title);
    finish("provisions_capital", title, figure)
}

/// Whether the run has the series of [`provisions_capital_plot`].
pub fn has_provisions_or_capital(input: &ReportInput) -> bool {
    input
        .summary
        .economics
        .as_ref()
        .is_some_and(|e| e.provisions.is_some() || e.capital.is_some())
}

fn build_provisions_capital(input: &ReportInput, title: &str) -> Result<ProvisionsCapital, canvas::Message> {
    let series = |name: &str| input.series(name).filter(|b| !b.is_empty());
    let mut panels = Vec::new();
    let mut add = |name: &str, caption: &str, axis: &str, colour: RGBColor, scale: f64| {
        if let Some(b) = series(name) {
            panels.push((caption.to_string(), axis.to_string(), b, colour, scale));
        }
    };
    add(
        "allowance",
        "Loss allowance (IFRS 9 ECL) at month end",
        "Millions of yuan",
        canvas::BLUE,
        1e6,
    );
    add(
        "stage2_balance_share",
        "Stage 2 share of the balance",
        "Percent of the balance",
        canvas::colour(1),
        0.01,
    );
    add(
        "stage3_balance_share",
        "Stage 3 share of the balance",
        "Percent of the balance",
        canvas::colour(3),
        0.01,
    );
    add(
        "rwa",
        "Risk-weighted assets (Basel IRB) at month end",
        "Millions of yuan",
        canvas::colour(4),
        1e6,
    );
    add(
        "capital_requirement",
        "Capital requirement (sum K · EAD) at month end",
        "Millions of yuan",
        canvas::colour(2),
        1e6,
    );
    if panels.is_empty() {
        return Err(canvas::Message {
            size: PANEL_SIZE,
            title: title.to_string(),
            lines: vec!["The run kept neither provisions nor a capital path.".to_string()],
        });
    }
    Ok(ProvisionsCapital {
        title: title.to_string(),
        subtitle: format!("{} · across paths", subtitle(input)),
        months: input.summary.horizon_months,
        panels,
    })
}

impl Figure for ProvisionsCapital {
    fn size(&self) -> (u32, u32) {
        PANEL_SIZE
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let body = canvas::titled(root, &self.title, &self.subtitle)?;
        // Up to three panels a row, two rows at most (five series at most).
        let columns = self.panels.len().min(3);
        let rows = self.panels.len().div_ceil(columns);
        let cells = body.split_evenly((rows, columns));
        for (cell, (caption, axis, bands, colour, scale)) in cells.iter().zip(&self.panels) {
            draw_monthly(cell, self.months, bands, caption, axis, *colour, *scale)?;
        }
        Ok(())
    }
}
