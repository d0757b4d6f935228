//! Histogram of the portfolio loss rate across paths, with markers for EL and
//! for VaR and ES at each risk level.

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::canvas::HouseMesh;

use super::canvas::{self, DrawResult, Figure, INK, Mark, font, size};
use super::format::{level, percent, tick};
use super::{Plot, ReportInput, finish, nothing_to_draw, subtitle};
use crate::stats::risk::{level_key, quantile};

const SIZE: (u32, u32) = (1280, 720);
/// Most bins drawn, whatever Freedman-Diaconis asks for.
const MAX_BINS: usize = 120;
/// Fewest bins drawn when there is any spread.
const MIN_BINS: usize = 5;

/// A vertical marker: EL, or VaR / ES at a level.
struct Marker {
    /// Short tag drawn at the top of the line, e.g. `VaR 99%`.
    tag: String,
    /// Loss rate in percent.
    x: f64,
    colour: RGBColor,
    dashed: bool,
}

struct LossDistribution {
    title: String,
    subtitle: String,
    /// `(lower edge, upper edge, share of paths)` in percent.
    bins: Vec<(f64, f64, f64)>,
    markers: Vec<Marker>,
    /// Whether bars are shares of importance-sampling weight.
    weighted: bool,
}

/// Bin count by the Freedman-Diaconis rule, capped to [`MIN_BINS`, `MAX_BINS`].
///
/// # Formula
/// width `h = 2 IQR / n^(1/3)`, bins `= ceil((max - min) / h)`; when the IQR
/// is zero (most paths equal), `ceil(sqrt(n))` bins.
pub fn freedman_diaconis_bins(sorted: &[f64]) -> usize {
    let n = sorted.len();
    if n < 2 {
        return 1;
    }
    let range = sorted[n - 1] - sorted[0];
    let iqr = quantile(sorted, 0.75) - quantile(sorted, 0.25);
    let bins = if iqr > 0.0 && range > 0.0 {
        (range / (2.0 * iqr / (n as f64).cbrt())).ceil()
    } else {
        (n as f64).sqrt().ceil()
    };
    (bins as usize).clamp(MIN_BINS, MAX_BINS)
}

pub fn plot(input: &ReportInput) -> Plot {
    let title = format!("Portfolio loss distribution — {}", input.name());
    let figure = match nothing_to_draw(input, SIZE, &title) {
        Some(message) => Err(message),
        None => Ok(build(input, &title)),
    };
    finish("loss_distribution", title, figure)
}

fn build(input: &ReportInput, title: &str) -> LossDistribution {
    let mut sorted: Vec<f64> = input.paths.loss_rate.iter().map(|r| 100.0 * r).collect();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let (lo, hi) = (sorted[0], sorted[n - 1]);
    let bins = freedman_diaconis_bins(&sorted);
    let width = (hi - lo) / bins as f64;
    // Each bar: the share of paths in the bin (their weights' share under importance sampling).
    let mut shares = vec![0.0; bins];
    let bin_of = |x: f64| (if width > 0.0 { ((x - lo) / width) as usize } else { 0 }).min(bins - 1);
    // Counts over n, or weights summing to 1.
    let total = match input.paths.normalised_weights() {
        None => {
            sorted.iter().for_each(|&x| shares[bin_of(x)] += 1.0);
            n as f64
        }
        Some(w) => {
            input
                .paths
                .loss_rate
                .iter()
                .zip(&w)
                .for_each(|(r, w)| shares[bin_of(100.0 * r)] += w);
            1.0
        }
    };
    let bins = shares
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let left = lo + i as f64 * width;
            (left, left + width, 100.0 * c / total)
        })
        .collect();

    let rate = &input.summary.loss_rate;
    let mut markers = vec![Marker {
        tag: "EL".to_string(),
        x: 100.0 * rate.mean,
        colour: INK,
        dashed: false,
    }];
    for (i, &q) in input.risk_levels().iter().enumerate() {
        let key = level_key(q);
        let colour = canvas::colour(i + 1);
        if let Some(&v) = rate.var.get(&key) {
            markers.push(Marker {
                tag: format!("VaR {}", level(q)),
                x: 100.0 * v,
                colour,
                dashed: false,
            });
        }
        if let Some(&v) = rate.es.get(&key) {
            markers.push(Marker {
                tag: format!("ES {}", level(q)),
                x: 100.0 * v,
                colour,
                dashed: true,
            });
        }
    }
    LossDistribution {
        weighted: !input.paths.weight.is_empty(),
        title: title.to_string(),
        subtitle: format!(
            "{} · EL {} · loss rate = loss / initial exposure",
            subtitle(input),
            percent(rate.mean, 2)
        ),
        bins,
        markers,
    }
}

impl Figure for LossDistribution {
    fn size(&self) -> (u32, u32) {
        SIZE
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let body = canvas::titled(root, &self.title, &self.subtitle)?;
        let (w, _) = body.dim_in_pixel();
        let (plot_area, legend_area) = body.split_horizontally(w - 250);
        let lo = self.bins.first().map_or(0.0, |b| b.0);
        let hi = self.bins.last().map_or(1.0, |b| b.1);
        let (x0, x1) = canvas::padded(lo, hi, 0.03, 1e-9);
        // Room right of the largest loss for the tag of a marker there.
        let x1 = x1 + 0.08 * (x1 - x0);
        let y_max = self.bins.iter().map(|b| b.2).fold(0.0, f64::max);
        // Room above the tallest bar for the marker tags.
        let rows = tag_rows_needed(self.markers.len());
        let y_top = y_max * (1.12 + 0.07 * rows as f64);
        let mut chart = ChartBuilder::on(&plot_area)
            .margin(10)
            .margin_right(24)
            .x_label_area_size(58)
            .y_label_area_size(78)
            .build_cartesian_2d(x0..x1, 0.0..y_top)?;
        let x_step = (x1 - x0) / 10.0;
        let y_step = y_top / 10.0;
        chart
            .configure_mesh()
            .x_desc("Loss rate over the horizon (% of initial exposure)")
            .y_desc(if self.weighted {
                "Share of paths, by weight (%)"
            } else {
                "Share of paths (%)"
            })
            .house_style()
            .max_light_lines(1)
            .x_label_formatter(&|x| tick(*x, x_step))
            .y_label_formatter(&|y| tick(*y, y_step))
            .draw()?;
        let bar = canvas::BLUE.mix(0.55).filled();
        chart.draw_series(
            self.bins
                .iter()
                .filter(|b| b.2 > 0.0)
                .map(|&(l, r, h)| Rectangle::new([(l, 0.0), (r, h)], bar)),
        )?;
        chart.draw_series(
            self.bins
                .iter()
                .filter(|b| b.2 > 0.0)
                .map(|&(l, r, h)| Rectangle::new([(l, 0.0), (r, h)], WHITE.stroke_width(1))),
        )?;
        for m in &self.markers {
            let style = m.colour.stroke_width(2);
            let points = vec![(m.x, 0.0), (m.x, y_top)];
            if m.dashed {
                chart.draw_series(DashedLineSeries::new(points, 7, 5, style))?;
            } else {
                chart.draw_series(LineSeries::new(points, style))?;
            }
        }
        self.draw_tags(&chart)?;
        self.draw_legend(&legend_area)
    }
}

/// Rows of tags the markers may need (an upper bound used to leave room above the bars).
fn tag_rows_needed(markers: usize) -> usize {
    markers.clamp(1, 4)
}

impl LossDistribution {
    /// Tags at the top of the marker lines. Each goes right of its line, or
    /// left when that side runs out of the plot or crosses another marker's
    /// line, in the first row where it overlaps no other tag.
    fn draw_tags<DB: DrawingBackend>(
        &self,
        chart: &ChartContext<DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    ) -> DrawResult {
        let area = chart.plotting_area().strip_coord_spec();
        let (base_x, _) = area.get_base_pixel();
        let (width, _) = area.dim_in_pixel();
        let style = font(size::LABEL);
        let row_h = size::LABEL as i32 + 9;
        let px = |x: f64| chart.backend_coord(&(x, 0.0)).0 - base_x;
        let lines: Vec<i32> = self.markers.iter().map(|m| px(m.x)).collect();
        let mut order: Vec<usize> = (0..self.markers.len()).collect();
        order.sort_by(|&a, &b| self.markers[a].x.total_cmp(&self.markers[b].x));
        // Pixel spans taken in each row.
        let mut rows: Vec<Vec<(i32, i32)>> = Vec::new();
        for i in order {
            let m = &self.markers[i];
            let (tw, _) = super::canvas::text_size(&area, &m.tag, &style)?;
            let (tw, x) = (tw as i32, lines[i]);
            let sides = [(x + 4, x + 4 + tw), (x - 4 - tw, x - 4)];
            let crosses = |(l, r): (i32, i32)| {
                lines
                    .iter()
                    .enumerate()
                    .any(|(j, &lx)| j != i && lx >= l - 2 && lx <= r + 2)
            };
            let free = |row: &[(i32, i32)], (l, r): (i32, i32)| row.iter().all(|&(a, b)| r + 6 < a || l > b + 6);
            let mut best: Option<(f64, usize, (i32, i32))> = None;
            for side in sides.into_iter().filter(|&(l, r)| l >= 2 && r <= width as i32 - 2) {
                let row = (0..=rows.len())
                    .find(|&k| k == rows.len() || free(&rows[k], side))
                    .unwrap_or(rows.len());
                let score = row as f64 + if crosses(side) { 1.5 } else { 0.0 };
                if best.is_none_or(|b| score < b.0) {
                    best = Some((score, row, side));
                }
            }
            let Some((_, row, (left, right))) = best else {
                continue;
            };
            if row == rows.len() {
                rows.push(Vec::new());
            }
            rows[row].push((left, right));
            let y = 6 + row as i32 * row_h;
            area.draw(&Rectangle::new(
                [(left - 2, y - 1), (right + 2, y + row_h - 6)],
                WHITE.filled(),
            ))?;
            area.draw(&Text::new(m.tag.clone(), (left, y), style.clone().color(&m.colour)))?;
        }
        Ok(())
    }

    /// The markers with their values, in a column to the right of the chart.
    fn draw_legend<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult {
        let head = font(size::LABEL + 1);
        area.draw(&Text::new("Markers (loss rate)".to_string(), (8, 24), head))?;
        let style = font(size::LABEL);
        let row_h = size::LABEL as i32 + 12;
        for (i, m) in self.markers.iter().enumerate() {
            let y = 24 + 30 + i as i32 * row_h;
            let mark = if m.dashed {
                Mark::Dashed(m.colour, 2)
            } else {
                Mark::Line(m.colour, 2)
            };
            canvas::legend_mark(area, mark, 10, y + 8, 28)?;
            area.draw(&Text::new(
                format!("{}  {}", m.tag, value_text(m.x)),
                (46, y),
                style.clone(),
            ))?;
        }
        let note_y = 24 + 30 + self.markers.len() as i32 * row_h + 14;
        for (i, line) in ["VaR: solid, ES: dashed.", "ES = mean loss beyond VaR."]
            .iter()
            .enumerate()
        {
            area.draw(&Text::new(
                line.to_string(),
                (10, note_y + i as i32 * (size::LABEL as i32 + 6)),
                font(size::LABEL - 1).color(&canvas::MUTED),
            ))?;
        }
        Ok(())
    }
}

/// A loss rate already in percent, with two decimals (three below 0.1%).
fn value_text(pct: f64) -> String {
    if pct.abs() < 0.1 && pct != 0.0 {
        format!("{pct:.3}%")
    } else {
        format!("{pct:.2}%")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freedman_diaconis_is_capped() {
        let uniform: Vec<f64> = (0..1000).map(|i| i as f64).collect();
        // IQR 500, n^(1/3) = 10: width 100, 10 bins.
        assert_eq!(freedman_diaconis_bins(&uniform), 10);
        let mut spiky = vec![0.0; 10_000];
        spiky.push(1.0);
        assert_eq!(freedman_diaconis_bins(&spiky), 101);
        let mut heavy: Vec<f64> = (0..100_000).map(|i| (i % 100) as f64).collect();
        heavy.push(1e9);
        heavy.sort_by(f64::total_cmp);
        assert_eq!(freedman_diaconis_bins(&heavy), MAX_BINS);
        assert_eq!(freedman_diaconis_bins(&[1.0]), 1);
    }
}
