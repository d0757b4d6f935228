//! The tail of the loss distribution: the empirical P(loss rate > x) against x
//! on a log probability axis that reaches down to one path in `paths`.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::canvas::HouseMesh;

use super::canvas::{self, DrawResult, Figure, HPos, Pos, VPos, font, size};
use super::format::{level, probability, probability_and_return_period, tick};
use super::{Plot, ReportInput, finish, nothing_to_draw, subtitle};
use crate::stats::risk::level_key;

const SIZE: (u32, u32) = (1280, 720);

struct Exceedance {
    title: String,
    subtitle: String,
    /// Vertices of the step curve `(loss rate %, P(loss rate > x))`, without the drop to zero.
    curve: Vec<(f64, f64)>,
    /// `(level, VaR in %)` per risk level.
    vars: Vec<(f64, f64)>,
    /// One path in `paths`: the smallest non-zero probability (under
    /// importance sampling, the weight of the largest loss's path).
    floor: f64,
    /// Whether the floor is a weight rather than one path in `paths`.
    floor_weighted: bool,
    x_range: (f64, f64),
}

pub fn plot(input: &ReportInput) -> Plot {
    let title = format!("Tail of the loss distribution — {}", input.name());
    let figure = match nothing_to_draw(input, SIZE, &title) {
        Some(message) => Err(message),
        None => Ok(build(input, &title)),
    };
    finish("exceedance", title, figure)
}

/// Indices `i` (in ascending order of loss) at which the step curve keeps a
/// vertex: the first, every one of the last 1,000 paths, then about 900 per decade of
/// exceedance count, so a million paths draw a few thousand vertices.
fn kept(n: usize) -> Vec<usize> {
    (0..n)
        .filter(|&i| {
            let m = n - 1 - i;
            if i == 0 || m < 1000 {
                return true;
            }
            let step = 10usize.pow((m as f64).log10().floor() as u32 - 2);
            m.is_multiple_of(step)
        })
        .collect()
}

fn build(input: &ReportInput, title: &str) -> Exceedance {
    let rates: Vec<f64> = input.paths.loss_rate.iter().map(|r| 100.0 * r).collect();
    let n = rates.len();
    let nf = n as f64;
    // Each path's share of the probability: 1 / n, or its normalised
    // importance-sampling weight (then the tail reaches far below one path in n).
    let normalised = input.paths.normalised_weights();
    let (sorted, shares): (Vec<f64>, Vec<f64>) = match &normalised {
        None => {
            let mut sorted = rates;
            sorted.sort_by(f64::total_cmp);
            (sorted, vec![1.0 / nf; n])
        }
        Some(w) => {
            let s = crate::stats::weighted::Sorted::new(&rates, w);
            (s.x, s.w)
        }
    };
    let (x0, x1) = canvas::padded(sorted[0], sorted[n - 1], 0.03, 1e-9);
    // P(L > x) = 1 left of the smallest loss; after the i-th smallest, the share of the paths above it.
    let mut above = vec![0.0; n];
    for i in (0..n.saturating_sub(1)).rev() {
        above[i] = above[i + 1] + shares[i + 1];
    }
    let mut curve = vec![(x0, 1.0)];
    let mut level_before = 1.0;
    for i in kept(n) {
        let x = sorted[i];
        let after = if normalised.is_some() {
            above[i]
        } else {
            (n - 1 - i) as f64 / nf
        };
        curve.push((x, level_before));
        if after > 0.0 {
            curve.push((x, after));
        }
        level_before = after;
    }
    let vars: Vec<(f64, f64)> = input
        .risk_levels()
        .iter()
        .filter_map(|&q| input.summary.loss_rate.var.get(&level_key(q)).map(|&v| (q, 100.0 * v)))
        .collect();
    let (floor, floor_note) = match &normalised {
        None => (
            1.0 / nf,
            format!(
                "one path in {} is the smallest visible probability",
                super::format::count(n as u64)
            ),
        ),
        Some(_) => (
            shares[n - 1].max(f64::MIN_POSITIVE),
            "importance sampling: each path weighs its likelihood ratio, so the tail reaches below one path in the run"
                .to_string(),
        ),
    };
    Exceedance {
        title: title.to_string(),
        subtitle: format!("{} · {floor_note}", subtitle(input)),
        curve,
        vars,
        floor,
        floor_weighted: normalised.is_some(),
        x_range: (x0, x1),
    }
}

impl Figure for Exceedance {
    fn size(&self) -> (u32, u32) {
        SIZE
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let body = canvas::titled(root, &self.title, &self.subtitle)?;
        let smallest_level = self.vars.iter().map(|v| 1.0 - v.0).fold(1.0, f64::min);
        let y_min = (0.5 * self.floor).min(0.5 * smallest_level);
        let decades: Vec<f64> = (0..=12).map(|k| 10f64.powi(-k)).filter(|&p| p >= y_min).collect();
        let (x0, x1) = self.x_range;
        let mut chart = ChartBuilder::on(&body)
            .margin(10)
            .margin_right(30)
            .x_label_area_size(58)
            .y_label_area_size(170)
            .build_cartesian_2d(x0..x1, (y_min..1.3).log_scale().with_key_points(decades))?;
        let x_step = (x1 - x0) / 10.0;
        chart
            .configure_mesh()
            .x_desc("Loss rate over the horizon, x (% of initial exposure)")
            .y_desc("P(loss rate > x) · return period, log scale")
            .house_style()
            .max_light_lines(1)
            .x_label_formatter(&|x| tick(*x, x_step))
            .y_label_formatter(&|p| probability_and_return_period(*p))
            .draw()?;

        // One path in `paths`: below this the empirical curve cannot go.
        chart.draw_series(DashedLineSeries::new(
            vec![(x0, self.floor), (x1, self.floor)],
            5,
            5,
            canvas::MUTED.stroke_width(1),
        ))?;
        let floor_label = if self.floor_weighted {
            format!("weight of the worst path: {}", probability(self.floor))
        } else {
            format!("1 path in {}", super::format::count((1.0 / self.floor).round() as u64))
        };
        chart.draw_series(std::iter::once(Text::new(
            floor_label,
            (x1 - 0.01 * (x1 - x0), self.floor * 1.12),
            font(size::LABEL - 1)
                .color(&canvas::MUTED)
                .pos(Pos::new(HPos::Right, VPos::Bottom)),
        )))?;

        let mut curve = self.curve.clone();
        if let Some(&(x_last, _)) = curve.last() {
            curve.push((x_last, y_min));
        }
        chart
            .draw_series(LineSeries::new(curve, canvas::BLUE.stroke_width(2)))?
            .label("empirical P(loss rate > x)")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], canvas::BLUE.stroke_width(2)));

        for (i, &(q, var)) in self.vars.iter().enumerate() {
            let c = canvas::colour(i + 1);
            let p = 1.0 - q;
            chart.draw_series(DashedLineSeries::new(vec![(x0, p), (var, p)], 4, 4, c.stroke_width(1)))?;
            chart.draw_series(DashedLineSeries::new(
                vec![(var, y_min), (var, p)],
                4,
                4,
                c.stroke_width(1),
            ))?;
            chart
                .draw_series(std::iter::once(Circle::new((var, p), 6, c.filled())))?
                .label(format!("VaR {} = {:.2}% (P = {})", level(q), var, probability(p)))
                .legend(move |(x, y)| Circle::new((x + 12, y), 6, c.filled()));
        }
        canvas::series_legend(&mut chart)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::kept;

    #[test]
    fn the_tail_keeps_every_path_and_the_bulk_is_thinned() {
        assert_eq!(kept(500).len(), 500);
        let big = kept(1_000_000);
        assert!(big.len() < 5_000, "{}", big.len());
        assert_eq!(*big.last().unwrap(), 999_999);
        assert!(big.contains(&0));
    }
}
