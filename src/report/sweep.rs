//! Files of a parameter sweep: `sweep.json`, `sweep.csv` and the trade-off
//! plot (EL and net income against the parameter, with 95% bands).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::plots::canvas::HouseMesh;
use serde::{Deserialize, Serialize};

use super::plots::canvas::{self, DrawResult, Figure};
use super::plots::canvas::{font, size};
use super::plots::format::{level, money, percent, plain};
use super::to_json;
use crate::stats::compare::{GridPoint, SweepPoint};

/// The `format_version` of sweep.json this program writes.
pub const SWEEP_FORMAT_VERSION: u32 = 1;
/// The `format_version` of grid.json this program writes.
pub const GRID_FORMAT_VERSION: u32 = 1;

/// A finished sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sweep {
    /// The layout's version, [`SWEEP_FORMAT_VERSION`] (1): raised when a field changes meaning or goes
    /// away, never for an added field; files written before it existed read as 0.
    #[serde(default)]
    pub format_version: u32,
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

/// The page of a sweep or grid (`sweep.html`, `grid.html`) in the one page
/// template: what was swept, the plot, and the table of its CSV (the same
/// rows and columns, the figures in the report's formats).
fn study_page(heading: &str, meta: &str, note: &str, csv_bytes: &[u8], plot_title: &str, svg: &str) -> String {
    use super::html::escape;
    let mut body = format!("<p class=\"note\">{}</p>\n", escape(note));
    let svg = svg.find("<svg").map_or(svg, |i| &svg[i..]);
    body.push_str(&format!(
        "<h2 id=\"plots\">Plot</h2>\n<figure>\n<svg role=\"img\" aria-label=\"{}\"{}\n</figure>\n",
        escape(plot_title),
        svg.strip_prefix("<svg").unwrap_or(svg).trim_end()
    ));
    body.push_str("<h2 id=\"points\">Points</h2>\n<div class=\"table-wrap\"><table>\n<thead><tr>");
    let mut reader = csv::Reader::from_reader(csv_bytes);
    // The CSV was written by this program a moment ago: its header and rows parse.
    let header: Vec<String> = reader
        .headers()
        .map(|h| h.iter().map(String::from).collect())
        .unwrap_or_default();
    for h in &header {
        body.push_str(&format!("<th scope=\"col\">{}</th>", escape(&h.replace('_', " "))));
    }
    body.push_str("</tr></thead>\n<tbody>\n");
    for record in reader.records().flatten() {
        body.push_str("<tr>");
        for (h, cell) in header.iter().zip(record.iter()) {
            let shown = match cell.parse::<f64>() {
                Ok(x) if h.contains("rate") => percent(x, 3),
                Ok(x) if h == "loans" => super::plots::format::count(x.round() as u64),
                Ok(x) if h.contains("return") => format!("{x:.4}"),
                Ok(x) if h.starts_with("el") || h.contains("income") || h.starts_with("net") => money(x),
                Ok(x) if h.starts_with("measure_") => plain(x),
                _ => cell.to_string(),
            };
            body.push_str(&format!("<td>{}</td>", escape(&shown)));
        }
        body.push_str("</tr>\n");
    }
    body.push_str("</tbody>\n</table></div>\n");
    let nav = [
        super::page::NavLink::new("plots", "Plot"),
        super::page::NavLink::new("points", "Points"),
    ];
    super::page::Page {
        title: heading,
        heading,
        meta,
        nav: &nav,
        body: &body,
        footer: "Written by creditstress from the folder's JSON; <code>creditstress report &lt;folder&gt;</code> redraws it.",
        css: super::html::CSS,
        extra_css: "",
    }
    .html()
}

/// `sweep.json`, `sweep.csv`, `sweep.html` and `plots/tradeoff.{png,svg}`.
pub fn render(s: &Sweep) -> Vec<(String, Vec<u8>)> {
    let title = format!("{} — sweep of {}", s.scenario, s.param);
    let (png, svg) = canvas::render(
        &Tradeoff {
            title: title.clone(),
            sweep: s.clone(),
        },
        &title,
    );
    let csv = sweep_csv(s);
    let page = study_page(
        &format!("Sweep of {} — {}", s.param, s.scenario),
        &format!(
            "{} paths per point · seed {} · {} points",
            super::plots::format::count(s.paths),
            s.seed,
            s.points.len()
        ),
        "Every point runs the same paths on the same seed (common random numbers), so the differences from the \
         first point (paired, with 95% intervals) are sharper than the points' own intervals.",
        &csv,
        &title,
        &svg,
    );
    vec![
        ("sweep.json".to_string(), to_json(s).into_bytes()),
        ("sweep.csv".to_string(), csv),
        ("sweep.html".to_string(), page.into_bytes()),
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
            // The series is named in a caption above its panel: a legend inside would cover the band.
            let caption = format!("{}: mean with its 95% CI", label.replace(" (millions)", ""));
            let mut chart = ChartBuilder::on(area)
                .caption(caption, font(size::SUBTITLE))
                .margin(10)
                .margin_right(30)
                .x_label_area_size(50)
                .y_label_area_size(90)
                .build_cartesian_2d(x0..x1, y0..y1)?;
            chart
                .configure_mesh()
                .x_desc(s.param.as_str())
                .y_desc(*label)
                .x_label_formatter(&|x| plain(*x))
                .y_label_formatter(&|y| plain(*y))
                .house_style()
                .draw()?;
            let c = canvas::colour(k);
            let mut band: Vec<(f64, f64)> = pts.iter().map(|p| (p.0, p.2[0])).collect();
            band.extend(pts.iter().rev().map(|p| (p.0, p.2[1])));
            chart.draw_series(std::iter::once(Polygon::new(band, c.mix(0.2).filled())))?;
            chart.draw_series(LineSeries::new(pts.iter().map(|p| (p.0, p.1)), c.stroke_width(2)))?;
            chart.draw_series(pts.iter().map(|p| Circle::new((p.0, p.1), 4, c.filled())))?;
        }
        Ok(())
    }
}

/// A finished grid sweep (`sweep --grid FILE`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridSweep {
    /// The layout's version, [`GRID_FORMAT_VERSION`] (1): raised when a field changes meaning or goes
    /// away, never for an added field; files written before it existed read as 0.
    #[serde(default)]
    pub format_version: u32,
    /// Scenario name.
    pub scenario: String,
    /// Seed (the same at every point: common random numbers).
    pub seed: u64,
    /// Paths per point.
    pub paths: u64,
    /// The figure the heatmap shows: `el`, `net_income`, `interest_income`,
    /// `default_rate`, `var.Q` or `es.Q`.
    pub measure: String,
    /// The axes, first the slowest: each a field and its values as written.
    pub axes: Vec<GridAxisValues>,
    /// Every point of the grid, the last axis fastest.
    pub points: Vec<GridPoint>,
}

/// One axis of a grid sweep as its files record it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridAxisValues {
    /// Dotted field path.
    pub param: String,
    /// Its values as written (TOML).
    pub values: Vec<String>,
}

impl GridSweep {
    /// How the measure reads in titles and tables.
    pub fn measure_label(&self) -> String {
        match self.measure.split_once('.') {
            Some(("var", q)) => format!("VaR {} of the loss", q.parse().map_or(q.to_string(), level)),
            Some(("es", q)) => format!("ES {} of the loss", q.parse().map_or(q.to_string(), level)),
            _ => match self.measure.as_str() {
                "el" => "EL (mean loss)".to_string(),
                "net_income" => "mean net income (interest - loss - collection and recovery cost)".to_string(),
                "interest_income" => "mean interest income".to_string(),
                "default_rate" => "mean default rate (charge-offs / loans)".to_string(),
                other => other.to_string(),
            },
        }
    }

    /// The measure's short name, for titles.
    pub fn measure_title(&self) -> String {
        match self.measure.as_str() {
            "el" => "EL".to_string(),
            "net_income" => "mean net income".to_string(),
            "interest_income" => "mean interest income".to_string(),
            "default_rate" => "mean default rate".to_string(),
            _ => self.measure_label().replace(" of the loss", ""),
        }
    }

    /// The measure as a cell shows it.
    fn shown(&self, x: f64) -> String {
        if self.measure == "default_rate" {
            percent(x, 2)
        } else {
            money(x)
        }
    }
}

/// `grid.csv`: one row per grid point: its value on each axis, the measure
/// with its interval (empty where the paths cannot give a bound), and the key figures.
pub fn grid_csv(g: &GridSweep) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = g.axes.iter().map(|a| a.param.clone()).collect();
    header.extend(
        [
            "measure",
            "measure_value",
            "measure_ci_low",
            "measure_ci_high",
            "loans",
            "el",
            "el_ci_low",
            "el_ci_high",
            "el_minus_first",
            "el_minus_first_ci_low",
            "el_minus_first_ci_high",
            "net_income",
            "net_income_ci_low",
            "net_income_ci_high",
            "net_minus_first",
            "net_minus_first_ci_low",
            "net_minus_first_ci_high",
            "default_rate",
            "risk_adjusted_return",
        ]
        .map(String::from),
    );
    w.write_record(&header).expect("writing CSV to memory cannot fail");
    let bound = |b: Option<f64>| b.map_or(String::new(), |x| x.to_string());
    for p in &g.points {
        let f = &p.figures;
        let mut row = p.values.clone();
        row.push(g.measure.clone());
        row.push(p.measure.value.to_string());
        row.push(bound(p.measure.ci[0]));
        row.push(bound(p.measure.ci[1]));
        row.extend(
            [
                f.loans as f64,
                f.el.value,
                f.el.ci[0],
                f.el.ci[1],
                p.el_vs_first.paired.value,
                p.el_vs_first.paired.ci[0],
                p.el_vs_first.paired.ci[1],
                f.net_income.value,
                f.net_income.ci[0],
                f.net_income.ci[1],
                p.net_income_vs_first.paired.value,
                p.net_income_vs_first.paired.ci[0],
                p.net_income_vs_first.paired.ci[1],
                f.default_rate,
                f.risk_adjusted_return,
            ]
            .iter()
            .map(f64::to_string),
        );
        w.write_record(&row).expect("writing CSV to memory cannot fail");
    }
    w.into_inner().expect("flushing CSV to memory cannot fail")
}

/// `grid.json`, `grid.csv` and `plots/heatmap.{png,svg}`.
pub fn render_grid(g: &GridSweep) -> Vec<(String, Vec<u8>)> {
    let title = format!("{} — {} over a grid", g.scenario, g.measure_title());
    let (png, svg) = canvas::render(
        &Heatmap {
            title: title.clone(),
            grid: g.clone(),
        },
        &title,
    );
    let csv = grid_csv(g);
    let axes: Vec<&str> = g.axes.iter().map(|a| a.param.as_str()).collect();
    let page = study_page(
        &format!("Grid of {} — {}", axes.join(" × "), g.scenario),
        &format!(
            "{} paths per point · seed {} · {} points · {}",
            super::plots::format::count(g.paths),
            g.seed,
            g.points.len(),
            super::html::escape(&g.measure_label())
        ),
        "Every point runs the same paths on the same seed (common random numbers); the measure's interval is \
         95%, a bound the paths cannot give is empty.",
        &csv,
        &title,
        &svg,
    );
    vec![
        ("grid.json".to_string(), to_json(g).into_bytes()),
        ("grid.csv".to_string(), csv),
        ("grid.html".to_string(), page.into_bytes()),
        ("plots/heatmap.png".to_string(), png),
        ("plots/heatmap.svg".to_string(), svg.into_bytes()),
    ]
}

/// A grid's measure as coloured cells: the first axis down, the second
/// across (a one-axis grid is one row), one panel per value of a third.
struct Heatmap {
    title: String,
    grid: GridSweep,
}

/// Cell size and the room for the axis labels, in pixels.
const CELL: (i32, i32) = (170, 74);
const LEFT: i32 = 230;
const TOP: i32 = 70;
/// Longest value label drawn over a column and beside a row.
const COLUMN_LABEL_CHARS: usize = 20;
const ROW_LABEL_CHARS: usize = 24;
/// Height of a key line.
const KEY_LINE: i32 = 22;

impl Heatmap {
    fn subtitle(&self) -> String {
        format!(
            "{} paths per point · seed {} · common random numbers · cell: estimate and 95% interval · darker: higher",
            self.grid.paths, self.grid.seed
        )
    }

    /// The labels of an axis's values as drawn (a long one, e.g. a whole
    /// list, becomes "(k)"), and the key lines that spell those out.
    fn labels(axis: &GridAxisValues, max_chars: usize) -> (Vec<String>, Vec<String>) {
        if axis.values.iter().all(|v| v.chars().count() <= max_chars) {
            return (axis.values.clone(), Vec::new());
        }
        let short = (1..=axis.values.len()).map(|k| format!("({k})")).collect();
        let key = axis
            .values
            .iter()
            .enumerate()
            .map(|(k, v)| format!("{} ({}) = {v}", axis.param, k + 1))
            .collect();
        (short, key)
    }

    /// The key lines of every axis drawn with short labels.
    fn key(&self) -> Vec<String> {
        let g = &self.grid;
        let mut key = Vec::new();
        if let Some(rows) = g.axes.first().filter(|_| g.axes.len() >= 2) {
            key.extend(Heatmap::labels(rows, ROW_LABEL_CHARS).1);
        }
        let across = if g.axes.len() >= 2 { &g.axes[1] } else { &g.axes[0] };
        key.extend(Heatmap::labels(across, COLUMN_LABEL_CHARS).1);
        key
    }

    /// (rows, columns, panels) of the drawing.
    fn shape(&self) -> (usize, usize, usize) {
        let n = |k: usize| self.grid.axes.get(k).map_or(1, |a| a.values.len());
        match self.grid.axes.len() {
            1 => (1, n(0), 1),
            _ => (n(0), n(1), n(2)),
        }
    }

    /// Sequential colour of t in [0, 1] (light yellow to dark blue) and the text colour on it.
    fn colour(t: f64) -> (RGBColor, RGBColor) {
        const STOPS: [(f64, (f64, f64, f64)); 3] = [
            (0.0, (255.0, 247.0, 188.0)),
            (0.5, (65.0, 182.0, 196.0)),
            (1.0, (37.0, 52.0, 148.0)),
        ];
        let t = t.clamp(0.0, 1.0);
        let (a, b) = if t <= 0.5 {
            (STOPS[0], STOPS[1])
        } else {
            (STOPS[1], STOPS[2])
        };
        let u = (t - a.0) / (b.0 - a.0);
        let mix = |x: f64, y: f64| (x + u * (y - x)).round() as u8;
        let c = RGBColor(mix(a.1.0, b.1.0), mix(a.1.1, b.1.1), mix(a.1.2, b.1.2));
        let text = if t > 0.55 { WHITE } else { canvas::INK };
        (c, text)
    }
}

impl Figure for Heatmap {
    fn size(&self) -> (u32, u32) {
        let (rows, columns, panels) = self.shape();
        let w = (LEFT + CELL.0 * columns as i32 + 40).max(900);
        // Room for the title and the subtitle (about 14 and 9 pixels a character).
        let w = w
            .max(self.title.chars().count() as i32 * 14 + 40)
            .max(self.subtitle().chars().count() as i32 * 9 + 40);
        let key = self.key();
        let w = w.max(key.iter().map(|k| k.chars().count() as i32 * 8 + 40).max().unwrap_or(0));
        let h = 104 + panels as i32 * (TOP + CELL.1 * rows as i32 + 30) + KEY_LINE * key.len() as i32 + 20;
        (w as u32, h as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let g = &self.grid;
        let body = canvas::titled(root, &self.title, &self.subtitle())?;
        let (rows, columns, panels) = self.shape();
        let values: Vec<f64> = g.points.iter().map(|p| p.measure.value).collect();
        let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let label = font(size::LABEL);
        let small = font(size::LABEL - 2);
        let axis = font(size::AXIS);
        let two = g.axes.len() >= 2;
        body.draw(&Text::new(
            format!("Measure: {}", g.measure_label()),
            (8, 4),
            font(size::SUBTITLE),
        ))?;
        for panel in 0..panels {
            let y0 = 34 + panel as i32 * (TOP + CELL.1 * rows as i32 + 30);
            if let Some(third) = g.axes.get(2) {
                body.draw(&Text::new(
                    format!("{} = {}", third.param, third.values[panel]),
                    (LEFT, y0),
                    font(size::SUBTITLE),
                ))?;
            }
            // Column axis: the last axis drawn across.
            let across = if two { &g.axes[1] } else { &g.axes[0] };
            body.draw(&Text::new(across.param.clone(), (LEFT, y0 + 24), axis.clone()))?;
            for (c, v) in Heatmap::labels(across, COLUMN_LABEL_CHARS).0.iter().enumerate() {
                body.draw(&Text::new(
                    v.clone(),
                    (LEFT + c as i32 * CELL.0 + 6, y0 + 48),
                    label.clone(),
                ))?;
            }
            if two {
                body.draw(&Text::new(g.axes[0].param.clone(), (8, y0 + 48), axis.clone()))?;
            }
            for r in 0..rows {
                let top = y0 + TOP + r as i32 * CELL.1;
                if two {
                    body.draw(&Text::new(
                        Heatmap::labels(&g.axes[0], ROW_LABEL_CHARS).0[r].clone(),
                        (8, top + CELL.1 / 2 - 8),
                        label.clone(),
                    ))?;
                }
                for c in 0..columns {
                    let k = (r * columns + c) * panels + panel;
                    let p = &g.points[k];
                    let t = if hi > lo {
                        (p.measure.value - lo) / (hi - lo)
                    } else {
                        0.5
                    };
                    let (fill, ink) = Heatmap::colour(t);
                    let left = LEFT + c as i32 * CELL.0;
                    body.draw(&Rectangle::new(
                        [(left, top), (left + CELL.0 - 2, top + CELL.1 - 2)],
                        fill.filled(),
                    ))?;
                    body.draw(&Text::new(
                        g.shown(p.measure.value),
                        (left + 8, top + 10),
                        label.clone().color(&ink),
                    ))?;
                    let interval = match p.measure.ci {
                        [Some(a), Some(b)] => format!("[{}, {}]", g.shown(a), g.shown(b)),
                        _ => "interval: more paths".to_string(),
                    };
                    body.draw(&Text::new(interval, (left + 8, top + 38), small.clone().color(&ink)))?;
                }
            }
        }
        let key_top = 34 + panels as i32 * (TOP + CELL.1 * rows as i32 + 30);
        for (i, line) in self.key().iter().enumerate() {
            body.draw(&Text::new(
                line.clone(),
                (8, key_top + i as i32 * KEY_LINE),
                label.clone(),
            ))?;
        }
        Ok(())
    }
}
