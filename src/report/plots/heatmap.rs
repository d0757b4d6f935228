//! The default rate of every segment × score band cell, as a grid of
//! shaded cells with the rate and the cell's loans written in each.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::canvas::{self, DrawResult, Figure, HPos, Pos, VPos, font, size};
use super::format::{number, percent};
use super::segments::fit;
use super::{Plot, ReportInput, finish, subtitle};
use crate::stats::breakdowns::SegmentBandGrid;

/// Width of the plot; the height follows from the segments.
const WIDTH: u32 = 1500;
/// Least height of one row of cells (rows grow to fill [`MIN_HEIGHT`]).
const ROW: u32 = 74;
/// Least height of the plot.
const MIN_HEIGHT: u32 = 500;
/// Height above the first row: title, subtitle, note and band labels.
const ABOVE: u32 = 135;
/// Width of the segment names' column.
const NAMES: i32 = 220;
/// The colour of the highest default rate (white is zero).
const HOT: RGBColor = RGBColor(178, 24, 43);

struct Heatmap {
    title: String,
    subtitle: String,
    grid: SegmentBandGrid,
    going_concern: bool,
}

pub fn plot(input: &ReportInput) -> Plot {
    let title = format!("Default rate by segment and score band — {}", input.name());
    let figure = match &input.summary.segment_bands {
        Some(grid) if !grid.segments.is_empty() && !grid.bands.is_empty() => Ok(Heatmap {
            title: title.clone(),
            subtitle: subtitle(input),
            grid: grid.clone(),
            going_concern: input.summary.originations.is_some(),
        }),
        _ => Err(canvas::Message {
            size: (WIDTH, MIN_HEIGHT),
            title: title.clone(),
            lines: vec![
                "summary.json has no segment × score band grid (a run from an older version).".to_string(),
                "Re-run the scenario to see it.".to_string(),
            ],
        }),
    };
    finish("heatmap", title, figure)
}

/// `t` in [0, 1] from white to [`HOT`].
fn shade(t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    let mix = |hot: u8| (255.0 + (f64::from(hot) - 255.0) * t).round() as u8;
    RGBColor(mix(HOT.0), mix(HOT.1), mix(HOT.2))
}

impl Heatmap {
    /// Row height: [`ROW`], or more when a few segments leave the plot short of [`MIN_HEIGHT`].
    fn row_height(&self) -> u32 {
        let n = self.grid.segments.len().max(1) as u32;
        ROW.max((MIN_HEIGHT - ABOVE - 25).div_ceil(n))
    }
}

impl Figure for Heatmap {
    fn size(&self) -> (u32, u32) {
        (WIDTH, ABOVE + 25 + self.row_height() * self.grid.segments.len() as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let body = canvas::titled(root, &self.title, &self.subtitle)?;
        let (w, _) = body.dim_in_pixel();
        let g = &self.grid;
        let cols = g.bands.len() as i32;
        let left = NAMES + 20;
        let cell_w = (w as i32 - left - 30) / cols;
        let top = 50;
        let centre = Pos::new(HPos::Center, VPos::Center);
        let loans_word = if self.going_concern { "loans booked" } else { "loans" };
        body.draw(&Text::new(
            format!(
                "Charged-off loans over the horizon / {loans_word} in the cell (means over paths); \
                 darker is higher, the darkest cell is the highest rate"
            ),
            (w as i32 / 2, 14),
            font(size::LABEL).color(&canvas::MUTED).pos(centre),
        ))?;
        for (b, label) in g.bands.iter().enumerate() {
            body.draw(&Text::new(
                format!("score {label}"),
                (left + b as i32 * cell_w + cell_w / 2, top - 12),
                font(size::LABEL).pos(centre),
            ))?;
        }
        let hi = g.default_rate.iter().flatten().copied().fold(0.0, f64::max);
        let row_h = self.row_height() as i32;
        let name_style = font(size::LABEL + 1).pos(Pos::new(HPos::Right, VPos::Center));
        for (s, name) in g.segments.iter().enumerate() {
            let y0 = top + s as i32 * row_h;
            body.draw(&Text::new(
                fit(&body, name, NAMES as u32, &font(size::LABEL + 1)),
                (NAMES + 8, y0 + row_h / 2),
                name_style.clone(),
            ))?;
            for b in 0..g.bands.len() {
                let x0 = left + b as i32 * cell_w;
                let rate = g.default_rate[s][b];
                let loans = g.loans[s][b];
                let t = if hi > 0.0 { rate / hi } else { 0.0 };
                body.draw(&Rectangle::new(
                    [(x0, y0), (x0 + cell_w - 2, y0 + row_h - 2)],
                    shade(t).filled(),
                ))?;
                // An edge, so that a cell with no charge-offs still shows on white.
                body.draw(&Rectangle::new(
                    [(x0, y0), (x0 + cell_w - 2, y0 + row_h - 2)],
                    canvas::GRID.stroke_width(1),
                ))?;
                let ink = if t > 0.55 { WHITE } else { canvas::INK };
                let (text, sub) = if loans > 0.0 {
                    (
                        percent(rate, 2),
                        format!("{} {loans_word}", number(loans, if self.going_concern { 1 } else { 0 })),
                    )
                } else {
                    ("–".to_string(), format!("no {loans_word}"))
                };
                let cx = x0 + cell_w / 2;
                body.draw(&Text::new(
                    text,
                    (cx, y0 + row_h / 2 - 11),
                    font(size::SUBTITLE + 1).color(&ink).pos(centre),
                ))?;
                body.draw(&Text::new(
                    sub,
                    (cx, y0 + row_h / 2 + 15),
                    font(size::LABEL - 2).color(&ink).pos(centre),
                ))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shade_runs_from_white_to_the_hot_colour() {
        assert_eq!(shade(0.0), WHITE);
        assert_eq!(shade(1.0), HOT);
        assert_eq!(shade(2.0), HOT);
        assert!(shade(0.5).1 < 255 && shade(0.5).1 > HOT.1);
    }
}
