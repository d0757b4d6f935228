//! Each segment over time: its cumulative loss rate (median with the 50%
//! and 90% bands across paths) and its monthly default rate (median), from
//! the `segment_<name>_*` columns of timeseries.csv.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::canvas::{self, DrawResult, Figure, Mark};
use super::fan_chart::{draw_median, draw_outlined_bands, monthly_chart, scaled};
use super::{Plot, ReportInput, finish, subtitle};
use crate::stats::Band;

const SIZE: (u32, u32) = (1500, 700);

/// One segment's series, in percent.
struct SegmentCurves {
    name: String,
    cumulative_loss_rate: Vec<Band>,
    default_rate: Vec<Band>,
}

struct SegmentSeriesChart {
    title: String,
    subtitle: String,
    months: usize,
    segments: Vec<SegmentCurves>,
    going_concern: bool,
}

pub fn plot(input: &ReportInput) -> Plot {
    let title = format!("Segments over time — {}", input.name());
    let figure = build(input, &title);
    finish("segment_series", title, figure)
}

fn build(input: &ReportInput, title: &str) -> Result<SegmentSeriesChart, canvas::Message> {
    let segments: Vec<SegmentCurves> = input
        .manifest
        .scenario
        .segments
        .iter()
        .filter_map(|seg| {
            let loss = input.series(&format!("segment_{}_cumulative_loss_rate", seg.name))?;
            let defaults = input.series(&format!("segment_{}_default_rate", seg.name))?;
            Some(SegmentCurves {
                name: seg.name.clone(),
                cumulative_loss_rate: scaled(&loss, 100.0),
                default_rate: scaled(&defaults, 100.0),
            })
        })
        .collect();
    if segments.is_empty() {
        return Err(canvas::Message {
            size: SIZE,
            title: title.to_string(),
            lines: vec![
                "timeseries.csv has no per-segment columns (a run from an older version).".to_string(),
                "Re-run the scenario to see each segment over time.".to_string(),
            ],
        });
    }
    Ok(SegmentSeriesChart {
        title: title.to_string(),
        subtitle: subtitle(input),
        months: input.summary.horizon_months,
        segments,
        going_concern: input.summary.originations.is_some(),
    })
}

impl SegmentSeriesChart {
    fn legend(&self) -> Vec<(Mark, String)> {
        self.segments
            .iter()
            .enumerate()
            .map(|(i, s)| (Mark::Outlined(canvas::colour(i), 0.25), s.name.clone()))
            .collect()
    }

    fn draw_loss<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult {
        let hi = self
            .segments
            .iter()
            .flat_map(|s| s.cumulative_loss_rate.iter().map(|b| b.p95))
            .fold(0.0, f64::max);
        let y_top = if hi > 0.0 { hi * 1.08 } else { 1.0 };
        let base = if self.going_concern {
            "Loss (% of the segment's balance booked so far)"
        } else {
            "Loss (% of the segment's exposure)"
        };
        let mut chart = monthly_chart(
            area,
            "Cumulative loss rate (median, 50% band filled, 90% band dashed)",
            "Month",
            base,
            self.months,
            (0.0, y_top),
        )?;
        for (i, s) in self.segments.iter().enumerate() {
            draw_outlined_bands(&mut chart, &s.cumulative_loss_rate, canvas::colour(i))?;
        }
        for (i, s) in self.segments.iter().enumerate() {
            draw_median(&mut chart, &s.cumulative_loss_rate, canvas::colour(i))?;
        }
        if hi <= 0.0 {
            canvas::note_in_plot(&chart.plotting_area().strip_coord_spec(), "No loss in any segment")?;
        }
        Ok(())
    }

    fn draw_defaults<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult {
        let hi = self
            .segments
            .iter()
            .flat_map(|s| s.default_rate.iter().map(|b| b.p50.max(b.mean)))
            .fold(0.0, f64::max);
        let y_top = if hi > 0.0 { hi * 1.12 } else { 1.0 };
        let base = if self.going_concern {
            "Charged off in the month (% of loans booked so far)"
        } else {
            "Charged off in the month (% of loans)"
        };
        let mut chart = monthly_chart(
            area,
            "Monthly default rate (median solid, mean dashed)",
            "Month",
            base,
            self.months,
            (0.0, y_top),
        )?;
        for (i, s) in self.segments.iter().enumerate() {
            let colour = canvas::colour(i);
            draw_median(&mut chart, &s.default_rate, colour)?;
            let mean: Vec<(f64, f64)> = s
                .default_rate
                .iter()
                .enumerate()
                .map(|(t, b)| ((t + 1) as f64, b.mean))
                .collect();
            chart.draw_series(DashedLineSeries::new(mean, 8, 5, colour.mix(0.8).stroke_width(1)))?;
        }
        if hi <= 0.0 {
            canvas::note_in_plot(
                &chart.plotting_area().strip_coord_spec(),
                "No charge-offs in any segment",
            )?;
        }
        Ok(())
    }
}

impl Figure for SegmentSeriesChart {
    fn size(&self) -> (u32, u32) {
        SIZE
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let body = canvas::titled(root, &self.title, &self.subtitle)?;
        let items = self.legend();
        let rest = canvas::legend_above(&body, &items)?;
        let halves = rest.split_evenly((1, 2));
        self.draw_loss(&halves[0])?;
        self.draw_defaults(&halves[1])
    }
}
