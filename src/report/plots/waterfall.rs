//! One way to draw a waterfall: bars that step from the running level
//! before to the level after (or stand from zero, for a total), joined by
//! connectors, each with its value, and the labels in two alternating rows
//! below. The P&L of `[economics]` and the run's loss and income waterfalls
//! are drawn here.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::canvas::{self, DrawResult, HPos, HouseMesh, Mark, Pos, VPos, font, size};
use super::format::compact;

/// One bar of a waterfall: from `from` to `to` (yuan), in `colour`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Bar {
    /// Label under the bar.
    pub label: String,
    /// Where the bar starts: the level before a step, 0 for a total.
    pub from: f64,
    /// Where it ends: the level after a step, the total itself.
    pub to: f64,
    /// Fill.
    pub colour: RGBColor,
}

/// Draws `bars` with `caption` above and `legend` below, on a y axis of yuan (`y_desc`).
pub(super) fn draw_waterfall<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    caption: &str,
    y_desc: &str,
    bars: &[Bar],
    legend: &[(Mark, String)],
) -> DrawResult {
    let (_, h) = area.dim_in_pixel();
    let (chart_area, legend_area) = area.split_vertically(h - canvas::legend_height(1) - 4);
    let lo = bars.iter().map(|b| b.from.min(b.to)).fold(0.0, f64::min);
    let hi = bars.iter().map(|b| b.from.max(b.to)).fold(0.0, f64::max);
    let pad = 0.08 * (hi - lo).max(1.0);
    let k = bars.len() as f64;
    let mut chart = ChartBuilder::on(&chart_area)
        .caption(caption, font(size::SUBTITLE + 1))
        .margin(8)
        .margin_right(16)
        .x_label_area_size(56)
        .y_label_area_size(78)
        .build_cartesian_2d(0.0..k, (lo - pad)..(hi + pad))?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_desc(y_desc)
        .house_style()
        .max_light_lines(1)
        .y_label_formatter(&|y| compact(*y))
        .draw()?;
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(0.0, 0.0), (k, 0.0)],
        canvas::MUTED.stroke_width(1),
    )))?;
    let last = bars.len().saturating_sub(1);
    for (i, b) in bars.iter().enumerate() {
        let (from, to) = (b.from, b.to);
        let x = i as f64;
        chart.draw_series(std::iter::once(Rectangle::new(
            [(x + 0.15, from), (x + 0.85, to)],
            b.colour.mix(0.85).filled(),
        )))?;
        // The connector to the next bar's start.
        if i + 1 < last {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(x + 0.85, to), (x + 1.15, to)],
                canvas::MUTED.stroke_width(1),
            )))?;
        }
        let value = to - from;
        let (anchor, y) = if to >= from {
            (VPos::Bottom, from.max(to) + 0.01 * (hi - lo))
        } else {
            (VPos::Top, from.min(to) - 0.01 * (hi - lo))
        };
        chart.draw_series(std::iter::once(Text::new(
            compact(value),
            (x + 0.5, y),
            font(size::LABEL - 1).pos(Pos::new(HPos::Center, anchor)),
        )))?;
    }
    let (rx, ry) = area.get_base_pixel();
    let style = font(size::LABEL - 1);
    // Two rows, alternating, so that neighbouring labels never run into each other.
    for (i, b) in bars.iter().enumerate() {
        let (px, py) = chart.backend_coord(&(i as f64 + 0.5, lo - pad));
        let row = if i % 2 == 0 { 8 } else { 8 + size::LABEL as i32 + 6 };
        area.draw(&Text::new(
            b.label.clone(),
            (px - rx, py - ry + row),
            style.clone().pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
    }
    canvas::legend_strip(&legend_area, legend)
}
