//! Files of a parameter sweep: `sweep.json`, `sweep.csv` and the trade-off
//! plot (EL and net income against the parameter, with 95% bands).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::plots::canvas::HouseMesh;
use serde::{Deserialize, Serialize};

use super::plots::canvas::{self, DrawResult, Figure};
use super::to_json;
use crate::stats::compare::SweepPoint;

/// A finished sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sweep {
    /// Scenario name.
    pub scenario: String,
    /// Dotted path of the swept field.
    pub param: String,
    /// Seed (the same at every point: common random numbers).
    pub seed: u64,
    /// Paths per point.
    pub paths: u64,
    /// Grid points in order.
    pub points: Vec<SweepPoint>,
}

/// `sweep.csv`: one row per grid point.
pub fn sweep_csv(s: &Sweep) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "value",
        "loans",
        "el",
        "el_ci_low",
        "el_ci_high",
        "el_minus_first",
        "el_minus_first_ci_low",
        "el_minus_first_ci_high",
        "interest_income",
        "net_income",
        "net_income_ci_low",
        "net_income_ci_high",
        "net_minus_first",
        "net_minus_first_ci_low",
        "net_minus_first_ci_high",
        "default_rate",
        "risk_adjusted_return",
    ])
    .expect("writing CSV to memory cannot fail");
    for p in &s.points {
        let f = &p.figures;
        let row = [
            p.value,
            f.loans as f64,
            f.el.value,
            f.el.ci[0],
            f.el.ci[1],
            p.el_vs_first.paired.value,
            p.el_vs_first.paired.ci[0],
            p.el_vs_first.paired.ci[1],
            f.interest_income.value,
            f.net_income.value,
            f.net_income.ci[0],
            f.net_income.ci[1],
            p.net_income_vs_first.paired.value,
            p.net_income_vs_first.paired.ci[0],
            p.net_income_vs_first.paired.ci[1],
            f.default_rate,
            f.risk_adjusted_return,
        ];
        w.write_record(row.iter().map(f64::to_string))
            .expect("writing CSV to memory cannot fail");
    }
    w.into_inner().expect("flushing CSV to memory cannot fail")
}

/// `sweep.json`, `sweep.csv` and `plots/tradeoff.{png,svg}`.
pub fn render(s: &Sweep) -> Vec<(String, Vec<u8>)> {
    let title = format!("{} — sweep of {}", s.scenario, s.param);
    let (png, svg) = canvas::render(
        &Tradeoff {
            title: title.clone(),
            sweep: s.clone(),
        },
        &title,
    );
    vec![
        ("sweep.json".to_string(), to_json(s).into_bytes()),
        ("sweep.csv".to_string(), sweep_csv(s)),
        ("plots/tradeoff.png".to_string(), png),
        ("plots/tradeoff.svg".to_string(), svg.into_bytes()),
    ]
}

/// Reads a figure and its 95% interval off a grid point.
type Metric = fn(&SweepPoint) -> (f64, [f64; 2]);

struct Tradeoff {
    title: String,
    sweep: Sweep,
}

impl Figure for Tradeoff {
    fn size(&self) -> (u32, u32) {
        (1280, 820)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let s = &self.sweep;
        let subtitle = format!(
            "{} paths per point · seed {} · common random numbers · bands: 95% CIs of the means",
            s.paths, s.seed
        );
        let body = canvas::titled(root, &self.title, &subtitle)?;
        let panels = body.split_evenly((2, 1));
        let series: [(&str, Metric); 2] = [
            ("Expected loss (millions)", |p| (p.figures.el.value, p.figures.el.ci)),
            ("Net income (millions)", |p| {
                (p.figures.net_income.value, p.figures.net_income.ci)
            }),
        ];
        let xs: Vec<f64> = s.points.iter().map(|p| p.value).collect();
        let (x0, x1) = canvas::padded(
            xs.iter().copied().fold(f64::INFINITY, f64::min),
            xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            0.03,
            1e-9,
        );
        for (k, ((label, get), area)) in series.iter().zip(panels.iter()).enumerate() {
            let pts: Vec<(f64, f64, [f64; 2])> = s
                .points
                .iter()
                .map(|p| (p.value, get(p).0 / 1e6, get(p).1.map(|v| v / 1e6)))
                .collect();
            let lo = pts.iter().map(|p| p.2[0]).fold(f64::INFINITY, f64::min);
            let hi = pts.iter().map(|p| p.2[1]).fold(f64::NEG_INFINITY, f64::max);
            let (y0, y1) = canvas::padded(lo, hi, 0.1, 1e-9);
            let mut chart = ChartBuilder::on(area)
                .margin(10)
                .margin_right(30)
                .x_label_area_size(50)
                .y_label_area_size(90)
                .build_cartesian_2d(x0..x1, y0..y1)?;
            chart
                .configure_mesh()
                .x_desc(s.param.as_str())
                .y_desc(*label)
                .house_style()
                .draw()?;
            let c = canvas::colour(k);
            let mut band: Vec<(f64, f64)> = pts.iter().map(|p| (p.0, p.2[0])).collect();
            band.extend(pts.iter().rev().map(|p| (p.0, p.2[1])));
            chart.draw_series(std::iter::once(Polygon::new(band, c.mix(0.2).filled())))?;
            chart
                .draw_series(LineSeries::new(pts.iter().map(|p| (p.0, p.1)), c.stroke_width(2)))?
                .label(label.replace(" (millions)", ""))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], c.stroke_width(2)));
            chart.draw_series(pts.iter().map(|p| Circle::new((p.0, p.1), 4, c.filled())))?;
            canvas::series_legend(&mut chart)?;
        }
        Ok(())
    }
}
