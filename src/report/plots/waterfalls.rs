//! The run's loss and income as waterfalls of means over paths (yuan):
//! exposure → EAD at charge-off → recoveries → loss, and interest income →
//! loss → collection and recovery cost → net income, from the figures in
//! summary.json. Each figure is taken to the cent and every total is the
//! exact sum of the steps before it, so the bars add up.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::canvas::{self, DrawResult, Figure, Mark};
use super::economics::{COST, INCOME};
use super::waterfall::{Bar, draw_waterfall};
use super::{Plot, ReportInput, finish, subtitle};
use crate::stats::RunSummary;

const SIZE: (u32, u32) = (1500, 720);

/// One bar of a waterfall, in cents: a step adds `cents` to the running
/// level; a total stands at `cents`, the running level there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// What the bar is.
    pub label: String,
    /// The amount added (a step) or the level (a total), in cents.
    pub cents: i128,
    /// Whether the bar is a total (drawn from zero).
    pub total: bool,
}

/// A mean in yuan to whole cents.
fn cents(yuan: f64) -> i128 {
    (yuan * 100.0).round() as i128
}

fn step(label: &str, cents: i128) -> Step {
    Step {
        label: label.to_string(),
        cents,
        total: false,
    }
}

fn total(label: &str, cents: i128) -> Step {
    Step {
        label: label.to_string(),
        cents,
        total: true,
    }
}

/// From the exposure to the loss, means per path: the exposure (the opening
/// book's, plus the balance booked on the path for a going-concern book),
/// less what was not charged off, is the EAD charged off over the horizon
/// (= loss + recoveries received + recoveries due after the horizon, as
/// summary.json defines them); less both recoveries, the loss.
pub fn loss_steps(s: &RunSummary) -> Vec<Step> {
    let exposure = cents(s.originations.as_ref().map_or(s.exposure, |o| o.exposure.mean));
    let (loss, received, after) = (
        cents(s.loss.mean),
        cents(s.recoveries.mean),
        cents(s.recoveries_after_horizon.mean),
    );
    let ead = loss + received + after;
    let mut steps = vec![
        total(
            if s.originations.is_some() {
                "exposure (opening + booked)"
            } else {
                "exposure"
            },
            exposure,
        ),
        step("not charged off", ead - exposure),
        total("EAD charged off", ead),
        step("recoveries received", -received),
    ];
    if after != 0 {
        steps.push(step("recoveries after horizon", -after));
    }
    steps.push(total("loss", loss));
    steps
}

/// From interest income to net income, means per path: interest, less the
/// loss, the collection cost and the recovery cost (each left out when zero),
/// is net income as summary.json defines it.
pub fn income_steps(s: &RunSummary) -> Vec<Step> {
    let interest = cents(s.interest_income.mean);
    let mut steps = vec![step("interest income", interest), step("loss", -cents(s.loss.mean))];
    for (label, cost) in [
        ("collection cost", s.policy.collection_cost.mean),
        ("recovery cost", s.recovery_cost.mean),
    ] {
        if cost != 0.0 {
            steps.push(step(label, -cents(cost)));
        }
    }
    let net = steps.iter().map(|x| x.cents).sum();
    steps.push(total("net income", net));
    steps
}

/// The bars of `steps` in yuan, running from zero: steps in `up` or `down`
/// by their sign, totals in `total` (the last one in `last`).
fn bars(steps: &[Step], up: RGBColor, down: RGBColor, total: RGBColor, last: RGBColor) -> Vec<Bar> {
    let mut level: i128 = 0;
    let n = steps.len();
    steps
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let yuan = |c: i128| c as f64 / 100.0;
            if x.total {
                level = x.cents;
                Bar {
                    label: x.label.clone(),
                    from: 0.0,
                    to: yuan(x.cents),
                    colour: if i + 1 == n { last } else { total },
                }
            } else {
                let from = level;
                level += x.cents;
                Bar {
                    label: x.label.clone(),
                    from: yuan(from),
                    to: yuan(level),
                    colour: if x.cents >= 0 { up } else { down },
                }
            }
        })
        .collect()
}

struct Waterfalls {
    title: String,
    subtitle: String,
    loss: Vec<Step>,
    income: Vec<Step>,
}

pub fn plot(input: &ReportInput) -> Plot {
    let title = format!("Loss and income waterfalls — {}", input.name());
    let s = &input.summary;
    let figure = Waterfalls {
        title: title.clone(),
        subtitle: format!("{} · means over paths, in yuan", subtitle(input)),
        loss: loss_steps(s),
        income: income_steps(s),
    };
    finish("waterfalls", title, Ok::<_, canvas::Message>(figure))
}

impl Figure for Waterfalls {
    fn size(&self) -> (u32, u32) {
        SIZE
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let body = canvas::titled(root, &self.title, &self.subtitle)?;
        let (w, _) = body.dim_in_pixel();
        let (left, right) = body.split_horizontally(w / 2);
        let grey = canvas::MUTED;
        draw_waterfall(
            &left,
            "Loss: from exposure to loss",
            "Yuan (mean per path)",
            &bars(&self.loss, INCOME, grey, canvas::BLUE, COST),
            &[
                (Mark::Fill(canvas::BLUE, 0.85), "exposure and EAD".to_string()),
                (Mark::Fill(grey, 0.85), "not lost".to_string()),
                (Mark::Fill(COST, 0.85), "loss".to_string()),
            ],
        )?;
        draw_waterfall(
            &right,
            "Income: from interest to net income",
            "Yuan (mean per path)",
            &bars(&self.income, INCOME, COST, canvas::INK, canvas::INK),
            &[
                (Mark::Fill(INCOME, 0.85), "income".to_string()),
                (Mark::Fill(COST, 0.85), "loss and cost".to_string()),
                (Mark::Fill(canvas::INK, 0.85), "net income".to_string()),
            ],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_run_from_the_level_before_and_totals_stand_from_zero() {
        let steps = vec![total("a", 1000), step("b", -300), total("c", 700)];
        let b = bars(&steps, INCOME, COST, canvas::BLUE, canvas::INK);
        assert_eq!((b[0].from, b[0].to), (0.0, 10.0));
        assert_eq!((b[1].from, b[1].to), (10.0, 7.0));
        assert_eq!(b[1].colour, COST);
        assert_eq!((b[2].from, b[2].to, b[2].colour), (0.0, 7.0, canvas::INK));
    }
}
