//! Monte Carlo convergence: the running estimates of EL and of VaR at the
//! highest risk level, with their 95% confidence intervals, against the number
//! of paths (taken in path order, as the run simulated them).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::canvas::HouseMesh;

use super::canvas::{self, DrawResult, Figure, HPos, Mark, Pos, VPos, font, size};
use super::format::{compact, count, level, tick};
use super::{Plot, ReportInput, finish, nothing_to_draw, subtitle};
use crate::stats::normal::norm_inv;
use crate::stats::risk::{VAR_CI_LEVEL, level_key, quantile, quantile_ci};

const SIZE: (u32, u32) = (1280, 940);
/// Path counts at which the running estimates are evaluated.
const CHECKPOINTS: usize = 100;

/// Running estimate at one path count, in percent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunningPoint {
    /// Paths used.
    pub paths: usize,
    /// Estimate.
    pub value: f64,
    /// Lower end of the 95% confidence interval (`None` where the paths so
    /// far cannot bound it).
    pub lo: Option<f64>,
    /// Upper end.
    pub hi: Option<f64>,
}

struct Convergence {
    title: String,
    subtitle: String,
    total: usize,
    q: f64,
    el: Vec<RunningPoint>,
    var: Vec<RunningPoint>,
    final_el: f64,
    final_var: f64,
    /// Paths carry importance-sampling weights (then no path count makes VaR the worst path).
    weighted: bool,
}

/// About `count` path counts from `first` to `last`, evenly spaced on a log scale, distinct and ascending.
pub fn log_checkpoints(first: usize, last: usize, count: usize) -> Vec<usize> {
    let first = first.clamp(1, last.max(1));
    if last <= first || count < 2 {
        return vec![last.max(1)];
    }
    let (a, b) = ((first as f64).ln(), (last as f64).ln());
    let mut out: Vec<usize> = (0..count)
        .map(|i| (a + (b - a) * i as f64 / (count - 1) as f64).exp().round() as usize)
        .map(|k| k.clamp(first, last))
        .collect();
    out.dedup();
    if out.last() != Some(&last) {
        out.push(last);
    }
    out
}

/// Running mean with a normal 95% interval, and running `q`-quantile with the
/// order-statistic interval of [`quantile_ci`], at each checkpoint (values in path order).
pub fn running_estimates(values: &[f64], q: f64, checkpoints: &[usize]) -> (Vec<RunningPoint>, Vec<RunningPoint>) {
    let z = norm_inv(0.5 + VAR_CI_LEVEL / 2.0);
    let mut sorted: Vec<f64> = Vec::with_capacity(values.len());
    let (mut mean, mut m2) = (0.0, 0.0);
    let mut done = 0;
    let mut el = Vec::with_capacity(checkpoints.len());
    let mut var = Vec::with_capacity(checkpoints.len());
    for &k in checkpoints {
        let k = k.min(values.len());
        if k <= done {
            continue;
        }
        // Welford's update, in path order.
        for (j, &x) in values[done..k].iter().enumerate() {
            let n = (done + j + 1) as f64;
            let d = x - mean;
            mean += d / n;
            m2 += d * (x - mean);
        }
        // Merge the newly sorted chunk into the sorted prefix, from the back.
        let mut chunk = values[done..k].to_vec();
        chunk.sort_by(f64::total_cmp);
        let old = sorted.len();
        sorted.extend_from_slice(&chunk);
        let (mut i, mut j, mut w) = (old, chunk.len(), sorted.len());
        while j > 0 {
            if i > 0 && sorted[i - 1] > chunk[j - 1] {
                sorted[w - 1] = sorted[i - 1];
                i -= 1;
            } else {
                sorted[w - 1] = chunk[j - 1];
                j -= 1;
            }
            w -= 1;
        }
        done = k;
        let se = if k > 1 {
            (m2 / (k - 1) as f64).sqrt() / (k as f64).sqrt()
        } else {
            0.0
        };
        el.push(RunningPoint {
            paths: k,
            value: mean,
            lo: Some(mean - z * se),
            hi: Some(mean + z * se),
        });
        let [lo, hi] = quantile_ci(&sorted, q, VAR_CI_LEVEL);
        var.push(RunningPoint {
            paths: k,
            value: quantile(&sorted, q),
            lo,
            hi,
        });
    }
    (el, var)
}

pub fn plot(input: &ReportInput) -> Plot {
    let title = format!("Monte Carlo convergence — {}", input.name());
    let figure = match nothing_to_draw(input, SIZE, &title) {
        Some(message) => Err(message),
        None => Ok(build(input, &title)),
    };
    finish("convergence", title, figure)
}

fn build(input: &ReportInput, title: &str) -> Convergence {
    let rates: Vec<f64> = input.paths.loss_rate.iter().map(|r| 100.0 * r).collect();
    let n = rates.len();
    let q = input.risk_levels().last().copied().unwrap_or(0.99);
    let first = if n >= 100 { 10 } else { 2 };
    let checkpoints = log_checkpoints(first, n, CHECKPOINTS);
    let (el, var) = if input.paths.weight.is_empty() {
        running_estimates(&rates, q, &checkpoints)
    } else {
        running_weighted_estimates(&rates, &input.paths.weight, q, &checkpoints)
    };
    let rate = &input.summary.loss_rate;
    let weighted = !input.paths.weight.is_empty();
    Convergence {
        weighted,
        title: title.to_string(),
        subtitle: if weighted {
            format!(
                "{} · importance sampling: weighted estimates of each prefix",
                subtitle(input)
            )
        } else {
            subtitle(input)
        },
        total: n,
        q,
        el,
        var,
        final_el: 100.0 * rate.mean,
        final_var: 100.0 * rate.var.get(&level_key(q)).copied().unwrap_or(f64::NAN),
    }
}

/// [`running_estimates`] of importance-sampled paths with raw weights
/// `weights`: at each checkpoint, the weighted mean and quantile of the
/// prefix with their intervals (see [`crate::stats::weighted`]), the
/// prefix's weights normalised again.
pub fn running_weighted_estimates(
    values: &[f64],
    weights: &[f64],
    q: f64,
    checkpoints: &[usize],
) -> (Vec<RunningPoint>, Vec<RunningPoint>) {
    let z = norm_inv(0.5 + VAR_CI_LEVEL / 2.0);
    let mut el = Vec::new();
    let mut var = Vec::new();
    let mut done = 0;
    for &k in checkpoints {
        let k = k.min(values.len());
        if k <= done {
            continue;
        }
        done = k;
        let total: f64 = weights[..k].iter().sum();
        if total <= 0.0 {
            continue;
        }
        let w: Vec<f64> = weights[..k].iter().map(|x| x / total).collect();
        let r = crate::stats::weighted::weighted_risk_measures(&values[..k], &w, &[q]);
        el.push(RunningPoint {
            paths: k,
            value: r.mean,
            lo: Some(r.mean - z * r.stderr),
            hi: Some(r.mean + z * r.stderr),
        });
        let key = level_key(q);
        let [lo, hi] = r.var_ci[&key];
        var.push(RunningPoint {
            paths: k,
            value: r.var[&key],
            lo,
            hi,
        });
    }
    (el, var)
}

/// Tick positions on a log axis of path counts: powers of 10, with 2 and 5 times them over a short range.
fn count_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let powers: Vec<f64> = (0..=9).map(|k| 10f64.powi(k)).filter(|&p| p >= lo && p <= hi).collect();
    if powers.len() >= 3 {
        return powers;
    }
    (0..=9)
        .flat_map(|k| [1.0, 2.0, 5.0].map(|m| m * 10f64.powi(k)))
        .filter(|&p| p >= lo && p <= hi)
        .collect()
}

impl Convergence {
    fn draw_panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        caption: &str,
        y_desc: &str,
        points: &[RunningPoint],
        final_value: f64,
        threshold: Option<f64>,
    ) -> DrawResult {
        let first = points.first().map_or(1, |p| p.paths) as f64;
        let last = self.total as f64;
        let (x0, x1) = if last > first {
            (first, last)
        } else {
            (first / 1.5, last * 1.5)
        };
        // The band is drawn where both bounds exist (a suffix: more paths only add ranks).
        let bounded: Vec<(f64, f64, f64)> = points
            .iter()
            .filter_map(|p| Some((p.paths as f64, p.lo?, p.hi?)))
            .collect();
        let values = points.iter().map(|p| p.value);
        let lo = bounded
            .iter()
            .map(|b| b.1)
            .chain(values.clone())
            .fold(final_value, f64::min);
        let hi = bounded.iter().map(|b| b.2).chain(values).fold(final_value, f64::max);
        let (lo, hi) = canvas::padded(lo, hi, 0.05, 1e-6);
        let mut chart = ChartBuilder::on(area)
            .caption(caption, font(size::SUBTITLE + 1))
            .margin(8)
            .margin_right(24)
            .x_label_area_size(52)
            .y_label_area_size(78)
            .build_cartesian_2d((x0..x1).log_scale().with_key_points(count_ticks(x0, x1)), lo..hi)?;
        let y_step = (hi - lo) / 8.0;
        chart
            .configure_mesh()
            .x_desc("Paths used (log scale, in simulation order)")
            .y_desc(y_desc)
            .house_style()
            .max_light_lines(1)
            .x_label_formatter(&|k| compact(*k))
            .y_label_formatter(&|y| tick(*y, y_step))
            .draw()?;
        if !bounded.is_empty() {
            let mut band: Vec<(f64, f64)> = bounded.iter().map(|b| (b.0, b.1)).collect();
            band.extend(bounded.iter().rev().map(|b| (b.0, b.2)));
            chart.draw_series(std::iter::once(Polygon::new(band, canvas::BLUE.mix(0.18).filled())))?;
        }
        chart.draw_series(DashedLineSeries::new(
            vec![(x0, final_value), (x1, final_value)],
            8,
            6,
            canvas::INK.stroke_width(1),
        ))?;
        chart.draw_series(LineSeries::new(
            points.iter().map(|p| (p.paths as f64, p.value)),
            canvas::BLUE.stroke_width(2),
        ))?;
        if let Some(k) = threshold.filter(|&k| k > x0 && k < x1) {
            chart.draw_series(DashedLineSeries::new(
                vec![(k, lo), (k, hi)],
                4,
                4,
                canvas::MUTED.stroke_width(1),
            ))?;
            chart.draw_series(std::iter::once(Text::new(
                format!("VaR = worst path below {} paths  ", count(k.round() as u64)),
                (k, hi - 0.02 * (hi - lo)),
                font(size::LABEL - 1)
                    .color(&canvas::MUTED)
                    .pos(Pos::new(HPos::Right, VPos::Top)),
            )))?;
        }
        Ok(())
    }
}

impl Figure for Convergence {
    fn size(&self) -> (u32, u32) {
        SIZE
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let body = canvas::titled(root, &self.title, &self.subtitle)?;
        let (legend, rest) = body.split_vertically(canvas::legend_height(1));
        canvas::legend_strip(
            &legend,
            &[
                (Mark::Line(canvas::BLUE, 3), "running estimate".to_string()),
                (
                    Mark::Fill(canvas::BLUE, 0.18),
                    "95% confidence interval (where the paths so far can bound it)".to_string(),
                ),
                (
                    Mark::Dashed(canvas::INK, 1),
                    format!("estimate from all {} paths", count(self.total as u64)),
                ),
            ],
        )?;
        let panels = rest.split_evenly((2, 1));
        self.draw_panel(
            &panels[0],
            "Expected loss (mean loss rate)",
            "EL (% of initial exposure)",
            &self.el,
            self.final_el,
            None,
        )?;
        let lvl = level(self.q);
        self.draw_panel(
            &panels[1],
            &format!("VaR {lvl} of the loss rate"),
            &format!("VaR {lvl} (% of initial exposure)"),
            &self.var,
            self.final_var,
            (!self.weighted).then(|| 1.0 / (1.0 - self.q)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoints_are_log_spaced_and_end_at_the_total() {
        let k = log_checkpoints(10, 1_000_000, 100);
        assert_eq!(k.first(), Some(&10));
        assert_eq!(k.last(), Some(&1_000_000));
        assert!(k.windows(2).all(|w| w[0] < w[1]));
        assert!(k.len() <= 100 && k.len() > 90);
        assert_eq!(log_checkpoints(2, 2, 100), vec![2]);
    }

    #[test]
    fn running_estimates_end_at_the_full_sample_values() {
        let values: Vec<f64> = (0..5000).map(|i| ((i * 7919) % 5000) as f64).collect();
        let ks = log_checkpoints(10, values.len(), 100);
        let (el, var) = running_estimates(&values, 0.99, &ks);
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        let last = var.last().unwrap();
        assert_eq!(last.value, quantile(&sorted, 0.99));
        assert_eq!([last.lo, last.hi], quantile_ci(&sorted, 0.99, VAR_CI_LEVEL));
        assert!((el.last().unwrap().value - 2499.5).abs() < 1e-9);
        // Each prefix is checked against a fresh sort.
        for p in &var {
            let mut prefix = values[..p.paths].to_vec();
            prefix.sort_by(f64::total_cmp);
            assert_eq!(p.value, quantile(&prefix, 0.99));
        }
    }
}
