//! The roll-rate flows of the delinquency buckets: for each bucket, the
//! shares of its account-months that cured, stayed and rolled on (to the
//! next bucket, or to charge-off from the last), as stacked bars.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::canvas::{self, DrawResult, Figure, HPos, Mark, Pos, VPos, font, size};
use super::format::{number, percent};
use super::{Plot, ReportInput, finish, subtitle};
use crate::stats::breakdowns::RollRates;

const SIZE: (u32, u32) = (1500, 520);
/// Width of the bucket names' column.
const NAMES: i32 = 250;
/// Width of the destination column on the right.
const TO: i32 = 170;
/// Height of one bar and the gap under it.
const BAR: i32 = 72;
const GAP: i32 = 40;

const CURED: RGBColor = RGBColor(44, 160, 44);
const STAYED: RGBColor = RGBColor(173, 181, 189);
const ROLLED: RGBColor = RGBColor(214, 39, 40);

struct RollChart {
    title: String,
    subtitle: String,
    rolls: RollRates,
}

pub fn plot(input: &ReportInput) -> Plot {
    let title = format!("Roll rates of the delinquency buckets — {}", input.name());
    let figure = match &input.summary.roll_rates {
        Some(r) => Ok(RollChart {
            title: title.clone(),
            subtitle: subtitle(input),
            rolls: r.clone(),
        }),
        None => Err(canvas::Message {
            size: SIZE,
            title: title.clone(),
            lines: vec![
                "This run has no roll-rate table: without delinquency buckets (dynamics.delinquency = false)"
                    .to_string(),
                "a missed payment is a charge-off at once, or the run is from an older version.".to_string(),
            ],
        }),
    };
    finish("roll_rates", title, figure)
}

impl Figure for RollChart {
    fn size(&self) -> (u32, u32) {
        SIZE
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let body = canvas::titled(root, &self.title, &self.subtitle)?;
        let items = vec![
            (Mark::Fill(CURED, 1.0), "cured (back to current)".to_string()),
            (Mark::Fill(STAYED, 1.0), "stayed in the bucket".to_string()),
            (
                Mark::Fill(ROLLED, 1.0),
                "rolled on (next bucket, or charged off from 90+)".to_string(),
            ),
        ];
        let rest = canvas::legend_above(&body, &items)?;
        let (w, _) = rest.dim_in_pixel();
        let r = &self.rolls;
        let centre = Pos::new(HPos::Center, VPos::Center);
        rest.draw(&Text::new(
            format!(
                "Month-on-month moves pooled over the horizon and the paths. Per path: {} current accounts \
                 became 30 dpd, {} were charged off from 90+ dpd.",
                number(r.entered, 1),
                number(r.charged_off_through_buckets, 1)
            ),
            (w as i32 / 2, 16),
            font(size::LABEL).color(&canvas::MUTED).pos(centre),
        ))?;
        let left = NAMES + 16;
        let bar_w = w as i32 - left - TO - 20;
        for (k, b) in r.buckets.iter().enumerate() {
            let y0 = 46 + k as i32 * (BAR + GAP);
            let mid = y0 + BAR / 2;
            rest.draw(&Text::new(
                format!("from {}", b.bucket),
                (NAMES, mid - 11),
                font(size::SUBTITLE + 1).pos(Pos::new(HPos::Right, VPos::Center)),
            ))?;
            rest.draw(&Text::new(
                format!("{} account-months per path", number(b.account_months, 1)),
                (NAMES, mid + 13),
                font(size::LABEL - 2)
                    .color(&canvas::MUTED)
                    .pos(Pos::new(HPos::Right, VPos::Center)),
            ))?;
            let mut x = left;
            let parts = [
                (b.cure_rate.value, CURED),
                (b.stay_rate.value, STAYED),
                (b.roll_rate.value, ROLLED),
            ];
            for (i, &(share, colour)) in parts.iter().enumerate() {
                // The last part ends at the bar's end, so rounding leaves no gap.
                let x1 = if i + 1 == parts.len() {
                    left + bar_w
                } else {
                    x + (share * bar_w as f64).round() as i32
                };
                if x1 > x {
                    rest.draw(&Rectangle::new([(x, y0), (x1, y0 + BAR)], colour.filled()))?;
                    let text = percent(share, 1);
                    let style = font(size::LABEL + 1);
                    let fits = canvas::text_size(&rest, &text, &style).is_ok_and(|(tw, _)| (tw as i32) + 8 <= x1 - x);
                    if fits {
                        let ink = if colour == STAYED { canvas::INK } else { WHITE };
                        rest.draw(&Text::new(text, ((x + x1) / 2, mid), style.color(&ink).pos(centre)))?;
                    }
                }
                x = x1;
            }
            rest.draw(&Text::new(
                format!("→ {}", b.rolls_to),
                (left + bar_w + 12, mid),
                font(size::SUBTITLE).pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
        }
        Ok(())
    }
}
