//! Plots of a finished run, each rendered to PNG bytes and an SVG string by a
//! pure function of the run's files ([`ReportInput`]): the loss distribution,
//! its tail (exceedance), the monthly fan chart with the macro factors, the
//! segment and score-band breakdown, the segment × band default rates, each
//! segment over time, the loss and income waterfalls, the Monte Carlo
//! convergence, and the roll rates of the delinquency buckets.
//!
//! Each plot is drawn once, as SVG; its PNG is that SVG rasterised by resvg
//! with DejaVu Sans embedded in the binary, so the two are the same picture
//! and the PNGs look the same on any machine. A plot whose data cannot be drawn (no losses, a single
//! path) is an image that says why, never an error.

pub mod canvas;
pub mod format;
pub mod png;

mod convergence;
mod economics;
mod exceedance;
mod fan_chart;
mod heatmap;
mod loss_distribution;
mod roll_rates;
mod segment_series;
mod segments;
mod side_by_side;
mod vintages;
mod waterfall;
pub mod waterfalls;

use rayon::prelude::*;

pub use side_by_side::SideBySide;

use super::input::ReportInput;
use canvas::{Figure, render};

/// One rendered plot.
#[derive(Debug, Clone, PartialEq)]
pub struct Plot {
    /// File stem, e.g. `loss_distribution` (files `plots/<name>.png` and `.svg`).
    pub name: &'static str,
    /// Title drawn on the plot (also the report's heading for it).
    pub title: String,
    /// PNG file contents.
    pub png: Vec<u8>,
    /// SVG document.
    pub svg: String,
}

/// The plots in report order.
pub const PLOT_NAMES: [&str; 8] = [
    "loss_distribution",
    "exceedance",
    "fan_chart",
    "segments",
    "heatmap",
    "segment_series",
    "waterfalls",
    "convergence",
];

/// The plot of a run with delinquency buckets, after [`PLOT_NAMES`]: the roll rates.
pub const DELINQUENCY_PLOT_NAMES: [&str; 1] = ["roll_rates"];

/// The plots of a going-concern run (one that booked loans during the run), after [`PLOT_NAMES`].
pub const GOING_CONCERN_PLOT_NAMES: [&str; 1] = ["vintages"];

/// The plots of a run with `[economics]`, after the others: the P&L, and
/// (with provisions or capital terms) the allowance, stages and capital by month.
pub const ECONOMICS_PLOT_NAMES: [&str; 2] = ["economics", "provisions_capital"];

/// The plots of this run in report order: [`PLOT_NAMES`],
/// [`GOING_CONCERN_PLOT_NAMES`] when it booked loans during the run, and
/// [`ECONOMICS_PLOT_NAMES`] when it kept a P&L.
pub fn plot_names(input: &ReportInput) -> Vec<&'static str> {
    let mut names = PLOT_NAMES.to_vec();
    if input.summary.roll_rates.is_some() {
        names.extend(DELINQUENCY_PLOT_NAMES);
    }
    if input.summary.originations.is_some() {
        names.extend(GOING_CONCERN_PLOT_NAMES);
    }
    if input.summary.economics.is_some() {
        names.push("economics");
        if economics::has_provisions_or_capital(input) {
            names.push("provisions_capital");
        }
    }
    names
}

/// Renders every plot (in parallel; the result does not depend on the number of threads).
pub fn render_plots(input: &ReportInput) -> Vec<Plot> {
    plot_names(input)
        .par_iter()
        .map(|name| render_plot(name, input))
        .collect()
}

/// Renders one plot by name; `None` for a name this run has no plot of.
pub fn render_named(name: &str, input: &ReportInput) -> Option<Plot> {
    plot_names(input)
        .into_iter()
        .find(|&n| n == name)
        .map(|n| render_plot(n, input))
}

fn render_plot(name: &'static str, input: &ReportInput) -> Plot {
    match name {
        "loss_distribution" => loss_distribution::plot(input),
        "exceedance" => exceedance::plot(input),
        "fan_chart" => fan_chart::plot(input),
        "segments" => segments::plot(input),
        "heatmap" => heatmap::plot(input),
        "segment_series" => segment_series::plot(input),
        "roll_rates" => roll_rates::plot(input),
        "waterfalls" => waterfalls::plot(input),
        "vintages" => vintages::plot(input),
        "economics" => economics::plot(input),
        "provisions_capital" => economics::provisions_capital_plot(input),
        _ => convergence::plot(input),
    }
}

/// Renders `figure` (or the message when there is nothing to draw) into a [`Plot`].
fn finish<F: Figure>(name: &'static str, title: String, figure: Result<F, canvas::Message>) -> Plot {
    let (png, svg) = match figure {
        Ok(f) => render(&f, &title),
        Err(m) => render(&m, &title),
    };
    Plot { name, title, png, svg }
}

/// The line under every plot's title: `20,000 paths · seed 7 · 24 months · 12,000 loans`.
fn subtitle(input: &ReportInput) -> String {
    let s = &input.summary;
    format!(
        "{} paths · seed {} · {} month{} · {} loans",
        format::count(s.paths),
        s.seed,
        s.horizon_months,
        if s.horizon_months == 1 { "" } else { "s" },
        format::count(s.loans)
    )
}

/// Why the loss-based plots have nothing to draw, if so: a single path, or no losses at all.
fn nothing_to_draw(input: &ReportInput, size: (u32, u32), title: &str) -> Option<canvas::Message> {
    let rates = &input.paths.loss_rate;
    let lines = if rates.len() < 2 {
        vec![
            format!("Only {} path: there is no distribution to draw.", rates.len()),
            "Run the scenario with more paths (--paths) to see it.".to_string(),
        ]
    } else if rates.iter().all(|&r| r == 0.0) {
        vec![
            "No losses on any path.".to_string(),
            format!(
                "All {} paths ended with zero loss, so there is no loss distribution to draw.",
                format::count(rates.len() as u64)
            ),
        ]
    } else {
        return None;
    };
    Some(canvas::Message {
        size,
        title: title.to_string(),
        lines,
    })
}
