//! Where the losses come from: expected loss and ES contribution by segment,
//! and the default rate by score band.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::canvas::HouseMesh;

use super::canvas::{self, DrawResult, Figure, HPos, Mark, PlotError, Pos, VPos, font, size};
use super::format::{compact, level, tick};
use super::{Plot, ReportInput, finish, subtitle};
use crate::stats::risk::level_key;

const SIZE: (u32, u32) = (1500, 760);

struct Segments {
    title: String,
    subtitle: String,
    /// Segment names in scenario order.
    names: Vec<String>,
    /// Series of bars: `(legend label, colour, value per segment)`.
    series: Vec<(String, RGBColor, Vec<f64>)>,
    /// `(band label, loans, default rate in percent)`.
    bands: Vec<(String, u64, f64)>,
}

pub fn plot(input: &ReportInput) -> Plot {
    let title = format!("Losses by segment and defaults by score band — {}", input.name());
    finish(
        "segments",
        title.clone(),
        Ok::<_, canvas::Message>(build(input, &title)),
    )
}

fn build(input: &ReportInput, title: &str) -> Segments {
    let s = &input.summary;
    // Scenario order; any segment the manifest does not list (there should be none) follows by name.
    let mut names: Vec<String> = input
        .manifest
        .scenario
        .segments
        .iter()
        .map(|seg| seg.name.clone())
        .filter(|n| s.segments.contains_key(n))
        .collect();
    names.extend(
        s.segments
            .keys()
            .filter(|k| !names.contains(k))
            .cloned()
            .collect::<Vec<_>>(),
    );
    let mut series = vec![(
        "expected loss".to_string(),
        canvas::BLUE,
        names.iter().map(|n| s.segments[n].loss.mean).collect(),
    )];
    for (i, &q) in input.risk_levels().iter().enumerate() {
        let key = level_key(q);
        series.push((
            format!("ES {} contribution", level(q)),
            canvas::colour(i + 1),
            names
                .iter()
                .map(|n| s.segments[n].es_contribution.get(&key).copied().unwrap_or(0.0))
                .collect(),
        ));
    }
    let bands = s
        .score_bands
        .iter()
        .map(|b| (b.band.clone(), b.loans, 100.0 * b.default_rate))
        .collect();
    Segments {
        title: title.to_string(),
        subtitle: subtitle(input),
        names,
        series,
        bands,
    }
}

/// Shortens `text` with an ellipsis until it fits in `max_px` pixels.
pub(super) fn fit<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    max_px: u32,
    style: &TextStyle,
) -> String {
    let fits = |t: &str| canvas::text_size(area, t, style).map_or(true, |(w, _)| w <= max_px);
    if fits(text) {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    for keep in (1..chars.len()).rev() {
        let candidate: String = chars[..keep].iter().collect::<String>() + "…";
        if fits(&candidate) {
            return candidate;
        }
    }
    "…".to_string()
}

/// Category labels under the bars of a chart whose x axis runs over `0..count`.
fn draw_categories<DB: DrawingBackend, Y: Ranged<ValueType = f64>>(
    chart: &ChartContext<DB, Cartesian2d<plotters::coord::types::RangedCoordf64, Y>>,
    root: &DrawingArea<DB, Shift>,
    labels: &[String],
    y_zero: f64,
) -> Result<(), PlotError> {
    let style = font(size::LABEL);
    let slot = if labels.is_empty() {
        0
    } else {
        let (a, _) = chart.backend_coord(&(0.0, y_zero));
        let (b, _) = chart.backend_coord(&(1.0, y_zero));
        (b - a).max(1) as u32 - 6
    };
    let (rx, ry) = root.get_base_pixel();
    for (i, label) in labels.iter().enumerate() {
        let (px, py) = chart.backend_coord(&(i as f64 + 0.5, y_zero));
        root.draw(&Text::new(
            fit(root, label, slot, &style),
            (px - rx, py - ry + 10),
            style.clone().pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
    }
    Ok(())
}

impl Segments {
    fn legend_items(&self) -> Vec<(Mark, String)> {
        self.series
            .iter()
            .map(|(label, colour, _)| (Mark::Fill(*colour, 0.85), label.clone()))
            .collect()
    }

    fn draw_losses<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, rows: u32) -> DrawResult {
        let (_, h) = area.dim_in_pixel();
        let (chart_area, legend_area) = area.split_vertically(h - canvas::legend_height(rows) - 4);
        let k = self.names.len().max(1) as f64;
        let top = self.series.iter().flat_map(|s| s.2.iter().copied()).fold(0.0, f64::max);
        let y_top = if top > 0.0 { top * 1.1 } else { 1.0 };
        let mut chart = ChartBuilder::on(&chart_area)
            .caption("Expected loss and ES contribution by segment", font(size::SUBTITLE + 1))
            .margin(8)
            .margin_right(16)
            .x_label_area_size(56)
            .y_label_area_size(78)
            .build_cartesian_2d(0.0..k, 0.0..y_top)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .x_desc("Segment")
            .y_desc("Loss over the horizon (yuan)")
            .house_style()
            .max_light_lines(1)
            .y_label_formatter(&|y| compact(*y))
            .draw()?;
        let m = self.series.len() as f64;
        let bar_w = 0.8 / m;
        for (j, (_, colour, values)) in self.series.iter().enumerate() {
            chart.draw_series(values.iter().enumerate().map(|(i, &v)| {
                let left = i as f64 + 0.1 + j as f64 * bar_w;
                Rectangle::new([(left, 0.0), (left + bar_w * 0.92, v)], colour.mix(0.85).filled())
            }))?;
        }
        draw_categories(&chart, area, &self.names, 0.0)?;
        if top <= 0.0 {
            canvas::note_in_plot(&chart.plotting_area().strip_coord_spec(), "No losses on any path")?;
        }
        canvas::legend_strip(&legend_area, &self.legend_items())
    }

    fn draw_bands<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, rows: u32) -> DrawResult {
        let (_, h) = area.dim_in_pixel();
        let (chart_area, note_area) = area.split_vertically(h - canvas::legend_height(rows) - 4);
        let k = self.bands.len().max(1) as f64;
        let top = self.bands.iter().map(|b| b.2).fold(0.0, f64::max);
        let y_top = if top > 0.0 { top * 1.18 } else { 1.0 };
        let mut chart = ChartBuilder::on(&chart_area)
            .caption("Default rate by score band", font(size::SUBTITLE + 1))
            .margin(8)
            .margin_right(16)
            .x_label_area_size(56)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..k, 0.0..y_top)?;
        let y_step = y_top / 8.0;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .x_desc("Score band (points)")
            .y_desc("Loans charged off over the horizon (%)")
            .house_style()
            .max_light_lines(1)
            .y_label_formatter(&|y| tick(*y, y_step))
            .draw()?;
        let colour = canvas::colour(4);
        chart.draw_series(self.bands.iter().enumerate().filter(|(_, b)| b.1 > 0).map(|(i, b)| {
            Rectangle::new(
                [(i as f64 + 0.15, 0.0), (i as f64 + 0.85, b.2)],
                colour.mix(0.8).filled(),
            )
        }))?;
        let value_style = font(size::LABEL - 1).pos(Pos::new(HPos::Center, VPos::Bottom));
        chart.draw_series(self.bands.iter().enumerate().map(|(i, b)| {
            let text = if b.1 == 0 {
                "no loans".to_string()
            } else {
                format!("{:.2}%", b.2)
            };
            Text::new(text, (i as f64 + 0.5, b.2 + 0.015 * y_top), value_style.clone())
        }))?;
        let labels: Vec<String> = self.bands.iter().map(|b| b.0.clone()).collect();
        draw_categories(&chart, area, &labels, 0.0)?;
        if top <= 0.0 {
            canvas::note_in_plot(&chart.plotting_area().strip_coord_spec(), "No defaults on any path")?;
        }
        canvas::legend_strip(
            &note_area,
            &[(
                Mark::Fill(colour, 0.8),
                "mean share of the band's loans charged off".to_string(),
            )],
        )
    }
}

impl Figure for Segments {
    fn size(&self) -> (u32, u32) {
        SIZE
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let body = canvas::titled(root, &self.title, &self.subtitle)?;
        let (w, _) = body.dim_in_pixel();
        let (left, right) = body.split_horizontally(w * 56 / 100);
        // Both panels leave the same room for their legends so that their x axes line up.
        let rows = canvas::legend_rows(&left, &self.legend_items()).max(1);
        self.draw_losses(&left, rows)?;
        self.draw_bands(&right, rows)
    }
}
