//! The runs of a study side by side, month by month: one column per policy
//! or scenario, one row per quantity (30+ days past due, cumulative loss,
//! each macro factor), every row on one scale so that the columns compare
//! at a glance.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::canvas::{self, DrawResult, Figure, Mark};
use super::fan_chart::{ALPHA_50, ALPHA_90, draw_bands, draw_median, monthly_chart, scaled};
use crate::stats::{Band, Timeseries};

/// Width of one run's column and height of one quantity's row, in pixels.
const COLUMN: u32 = 440;
const ROW: u32 = 300;

/// One quantity drawn for every run.
struct Row {
    caption: String,
    y_desc: String,
    /// Per run, its bands per month (empty when the run lacks the quantity).
    runs: Vec<Vec<Band>>,
    /// Draw the zero line (factors: below 0 is worse than normal).
    zero_line: bool,
}

/// The side-by-side figure of a study.
pub struct SideBySide {
    title: String,
    subtitle: String,
    names: Vec<String>,
    months: usize,
    rows: Vec<Row>,
}

fn series(t: &Timeseries, name: &str) -> Vec<Band> {
    t.series(name).unwrap_or_default()
}

impl SideBySide {
    /// The figure of `runs` (name, monthly bands), in order.
    pub fn new(runs: &[(&str, &Timeseries)], title: &str, subtitle: &str) -> Self {
        let mut rows = vec![
            Row {
                caption: "30+ days past due".to_string(),
                y_desc: "Delinquent loans (% of loans)".to_string(),
                runs: runs
                    .iter()
                    .map(|(_, t)| scaled(&series(t, "dpd30_rate"), 100.0))
                    .collect(),
                zero_line: false,
            },
            Row {
                caption: "cumulative loss".to_string(),
                y_desc: "Loss (% of initial exposure)".to_string(),
                runs: runs
                    .iter()
                    .map(|(_, t)| scaled(&series(t, "cumulative_loss_rate"), 100.0))
                    .collect(),
                zero_line: false,
            },
        ];
        // Every factor any run has, in the order they first appear.
        let mut factors: Vec<&str> = Vec::new();
        for (_, t) in runs {
            for n in t.names.iter().filter_map(|n| n.strip_prefix("factor_")) {
                if !factors.contains(&n) {
                    factors.push(n);
                }
            }
        }
        for f in factors {
            rows.push(Row {
                caption: format!("factor {f} (below 0: worse)"),
                y_desc: "Factor (standard deviations)".to_string(),
                runs: runs.iter().map(|(_, t)| series(t, &format!("factor_{f}"))).collect(),
                zero_line: true,
            });
        }
        SideBySide {
            title: title.to_string(),
            subtitle: subtitle.to_string(),
            names: runs.iter().map(|(n, _)| n.to_string()).collect(),
            months: runs.iter().map(|(_, t)| t.rows.len()).max().unwrap_or(0),
            rows,
        }
    }
}

impl Row {
    /// The row's one scale: every run's 5th to 95th percentile, from 0 for rates.
    fn range(&self) -> (f64, f64) {
        let all = self.runs.iter().flatten();
        let lo = all.clone().map(|b| b.p05).fold(f64::INFINITY, f64::min);
        let hi = all.map(|b| b.p95).fold(f64::NEG_INFINITY, f64::max);
        if !(lo.is_finite() && hi.is_finite()) {
            return (0.0, 1.0);
        }
        if self.zero_line {
            canvas::padded(lo.min(0.0), hi.max(0.0), 0.06, 0.5)
        } else {
            let top = if hi > 0.0 { hi * 1.08 } else { 1.0 };
            (lo.min(0.0), top)
        }
    }
}

impl Figure for SideBySide {
    fn size(&self) -> (u32, u32) {
        let columns = self.names.len().max(1) as u32;
        let rows = self.rows.len() as u32;
        (
            (COLUMN * columns + 40).max(1280),
            ROW * rows + 120 + canvas::legend_height(1),
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let body = canvas::titled(root, &self.title, &self.subtitle)?;
        let (legend, rest) = body.split_vertically(canvas::legend_height(1));
        let ink = canvas::MUTED;
        canvas::legend_strip(
            &legend,
            &[
                (Mark::Line(ink, 3), "median across paths".to_string()),
                (
                    Mark::Fill(ink, ALPHA_50),
                    "50% of paths (25th-75th percentile)".to_string(),
                ),
                (
                    Mark::Fill(ink, ALPHA_90),
                    "90% of paths (5th-95th percentile)".to_string(),
                ),
            ],
        )?;
        if self.months == 0 {
            return canvas::message_panel(&rest, &["No months to draw".to_string()]);
        }
        let columns = self.names.len().max(1);
        let cells = rest.split_evenly((self.rows.len(), columns));
        for (r, row) in self.rows.iter().enumerate() {
            let range = row.range();
            for (k, name) in self.names.iter().enumerate() {
                let area = &cells[r * columns + k];
                let caption = format!("{name} · {}", row.caption);
                let mut chart = monthly_chart(area, &caption, "Month", &row.y_desc, self.months, range)?;
                let bands = &row.runs[k];
                if row.zero_line {
                    chart.draw_series(LineSeries::new(
                        vec![(1.0, 0.0), (self.months.max(2) as f64, 0.0)],
                        canvas::MUTED.stroke_width(1),
                    ))?;
                }
                let colour = canvas::colour(k);
                draw_bands(&mut chart, bands, colour, 1.0)?;
                draw_median(&mut chart, bands, colour)?;
                if bands.is_empty() {
                    canvas::note_in_plot(&chart.plotting_area().strip_coord_spec(), "not in this run")?;
                }
            }
        }
        Ok(())
    }
}
