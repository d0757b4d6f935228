//! Files of a policy comparison: `comparison.csv`, three plots (overlaid
//! exceedance curves, EL against income with error bars, paired-difference
//! histograms) and a self-contained `comparison.html`. Pure functions to bytes.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::html::escape;
use super::page::{NavLink, Page};
use super::plots::canvas::HouseMesh;

use super::plots::SideBySide;
use super::plots::canvas::{self, DrawResult, Figure, HPos, Mark, Pos, VPos, font, size};
use super::plots::format::{level, money, percent, plain, probability_and_return_period};
use super::study::{StressResult, Study, StudyManifest, StudyResult};
use crate::stats::Timeseries;
use crate::stats::compare::{Comparison, Estimate, PolicySample, WeightedFigures};
use crate::stats::risk::moments;

const SIZE: (u32, u32) = (1280, 720);

/// What the compared runs are: policies under one stress (`compare`), or
/// stress scenarios of one book (`stress`). It names the files, the titles
/// and the columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subject {
    /// `policy` or `scenario`.
    pub noun: &'static str,
    /// The page's title.
    pub title: &'static str,
    /// Stem of the CSV and HTML files.
    pub file_stem: &'static str,
    /// What the common random numbers hold fixed, for the page's note.
    pub pairing: &'static str,
}

/// `compare`: policies under one stress.
pub const POLICIES: Subject = Subject {
    noun: "policy",
    title: "Policy comparison",
    file_stem: "comparison",
    pairing: "every policy sees the same macro paths and the same draws for the same borrower",
};

/// `stress`: scenarios of one book.
pub const SCENARIOS: Subject = Subject {
    noun: "scenario",
    title: "Stress test",
    file_stem: "stress",
    pairing: "every scenario draws the same borrowers, the same loan draws and the same factor innovations; \
              only the stress differs",
};

/// A rendered figure: PNG bytes and SVG text.
type Rendered = (Vec<u8>, String);

/// `comparison.csv` (or `stress.csv`): one row per (policy or scenario, metric) against the baseline.
pub fn comparison_csv(c: &Comparison, subject: Subject) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let value = format!("{}_value", subject.noun);
    let header = [
        subject.noun,
        "baseline",
        "metric",
        "baseline_value",
        value.as_str(),
        "difference",
        "paired_ci_low",
        "paired_ci_high",
        "unpaired_ci_low",
        "unpaired_ci_high",
        "width_ratio",
    ];
    w.write_record(header).expect("writing CSV to memory cannot fail");
    for v in &c.versus_baseline {
        for d in &v.differences {
            let row = [
                v.policy.clone(),
                v.baseline.clone(),
                d.metric.clone(),
                d.baseline.to_string(),
                d.policy.to_string(),
                d.paired.value.to_string(),
                d.paired.ci[0].to_string(),
                d.paired.ci[1].to_string(),
                d.unpaired_ci[0].to_string(),
                d.unpaired_ci[1].to_string(),
                d.width_ratio.to_string(),
            ];
            w.write_record(&row).expect("writing CSV to memory cannot fail");
        }
    }
    w.into_inner().expect("flushing CSV to memory cannot fail")
}

/// The plots every study draws, by file stem under `plots/`.
pub const STUDY_PLOT_NAMES: [&str; 4] = ["exceedance", "el_vs_income", "paired_differences", "monthly"];

/// A study's page and plots: overlaid exceedance curves, EL against income,
/// paired loss differences, the runs' monthly bands side by side, and the
/// HTML page with every table. A stress test's page adds whether the
/// scenarios book the same loans and, with `--weights`, the
/// probability-weighted figures.
pub fn render(study: &Study) -> Vec<(String, Vec<u8>)> {
    let subject = study.kind().subject();
    let c = study.result.comparison();
    let samples = &study.samples;
    let figures: Vec<(&str, String, Rendered)> = vec![
        {
            let title = format!("Loss exceedance by {} — {}", subject.noun, c.scenario);
            (
                "exceedance",
                title.clone(),
                canvas::render(&Exceedance::new(c, samples, &title, subject), &title),
            )
        },
        {
            let title = format!("Expected loss against income — {}", c.scenario);
            (
                "el_vs_income",
                title.clone(),
                canvas::render(
                    &Tradeoff {
                        title: title.clone(),
                        c: c.clone(),
                    },
                    &title,
                ),
            )
        },
        {
            let title = format!(
                "Paired loss differences against {} — {}",
                c.policies[0].name, c.scenario
            );
            (
                "paired_differences",
                title.clone(),
                canvas::render(&PairedHistograms::new(samples, &title), &title),
            )
        },
        {
            let title = format!("Month by month, {} by {} — {}", subject.noun, subject.noun, c.scenario);
            let runs: Vec<(&str, &Timeseries)> = samples.iter().map(|s| s.name.as_str()).zip(&study.monthly).collect();
            let subtitle = format!(
                "{} paths · seed {} · median with 50% and 90% bands across paths · one column per {}, one scale per row",
                c.paths, c.seed, subject.noun
            );
            (
                "monthly",
                title.clone(),
                canvas::render(&SideBySide::new(&runs, &title, &subtitle), &title),
            )
        },
    ];
    debug_assert!(figures.iter().map(|f| f.0).eq(STUDY_PLOT_NAMES));
    let mut files = Vec::new();
    let mut html_figures = String::new();
    for (name, title, (png, svg)) in figures {
        files.push((format!("plots/{name}.png"), png));
        html_figures.push_str(&format!(
            "<section><h2>{}</h2>{}</section>\n",
            escape(&title),
            strip_xml_header(&svg)
        ));
        files.push((format!("plots/{name}.svg"), svg.into_bytes()));
    }
    let (books, weighted) = match &study.result {
        StudyResult::Compare(_) => (None, None),
        StudyResult::Stress(s) => (Some(books_note(s)), s.weighted.as_ref()),
    };
    files.push((
        format!("{}.html", subject.file_stem),
        html(c, &html_figures, subject, books.as_deref(), weighted, &study.manifest).into_bytes(),
    ));
    files
}

/// Whether the scenarios book the same loans, as a sentence for the page.
fn books_note(s: &StressResult) -> String {
    if s.books_agree {
        "The scenarios book the same loans: the differences are the stresses' alone.".to_string()
    } else {
        format!(
            "The books differ ({}): the runs share their seed and streams, but the differences mix the stress \
             with the change of book.",
            escape(&s.book_differences.join("; "))
        )
    }
}

fn strip_xml_header(svg: &str) -> &str {
    svg.find("<svg").map_or(svg, |i| &svg[i..])
}

/// The probability-weighted figures as a page section.
fn weighted_section(w: &WeightedFigures) -> String {
    let weights: Vec<String> = w
        .weights
        .iter()
        .map(|s| format!("{} {}", escape(&s.name), percent(s.weight, 1)))
        .collect();
    let row = |label: String, e: &Estimate| {
        format!(
            "<tr><td>{label}</td><td>{}</td><td>[{}, {}]</td></tr>",
            money(e.value),
            money(e.ci[0]),
            money(e.ci[1])
        )
    };
    let label = |key: &str| key.parse::<f64>().map_or_else(|_| key.to_string(), level);
    let mut rows = row("EL".to_string(), &w.el);
    for (key, e) in &w.var {
        rows.push_str(&row(format!("VaR {}", label(key)), e));
    }
    for (key, e) in &w.es {
        rows.push_str(&row(format!("ES {}", label(key)), e));
    }
    rows.push_str(&row("net income".to_string(), &w.net_income));
    rows.push_str(&format!(
        "<tr><td>default rate</td><td>{}</td><td></td></tr>",
        percent(w.default_rate, 3)
    ));
    format!(
        "<h2>Probability-weighted</h2><p>The loss is that of each scenario with its probability ({}), so its law \
         is the mixture of the scenarios'. EL and net income: the weighted means, with the interval of the mean \
         of the per-path combination (paired); VaR and ES: of the mixture's loss (the pooled paths, weighted), \
         with bootstrap intervals over paths.</p><table><tr><th>figure</th><th>value</th><th>95% CI</th></tr>\
         {rows}</table>",
        weights.join(", ")
    )
}

fn html(
    c: &Comparison,
    figures: &str,
    subject: Subject,
    books: Option<&str>,
    weighted: Option<&WeightedFigures>,
    manifest: &StudyManifest,
) -> String {
    let pnl = c.policies.iter().all(|p| p.pnl_net_income.is_some());
    let mut key = format!(
        "<table><tr><th>{}</th><th>loans</th><th>EL (95% CI)</th><th>interest income</th>\
         <th>net income (interest - loss - collection and recovery cost)</th>{}<th>default rate</th>\
         <th>risk-adjusted return: net income / (ES - EL)</th></tr>",
        subject.noun,
        if pnl {
            "<th>P&amp;L net income (95% CI)</th>"
        } else {
            ""
        }
    );
    for p in &c.policies {
        let pnl_cell = p.pnl_net_income.filter(|_| pnl).map_or(String::new(), |e| {
            format!("<td>{} [{}, {}]</td>", money(e.value), money(e.ci[0]), money(e.ci[1]))
        });
        key.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{} [{}, {}]</td><td>{}</td><td>{}</td>{pnl_cell}<td>{}</td><td>{:.4}</td></tr>",
            escape(&p.name),
            p.loans,
            money(p.el.value),
            money(p.el.ci[0]),
            money(p.el.ci[1]),
            money(p.interest_income.value),
            money(p.net_income.value),
            percent(p.default_rate, 3),
            p.risk_adjusted_return
        ));
    }
    key.push_str("</table>");
    key.push_str(&format!(
        "<p class=\"note\">Risk-adjusted return: {}.</p>",
        escape(&c.risk_adjusted_return_basis)
    ));
    let mut diffs = String::new();
    for v in &c.versus_baseline {
        diffs.push_str(&format!(
            "<h3>{} − {}</h3><table><tr><th>metric</th><th>baseline</th><th>{}</th><th>difference</th>\
             <th>paired 95% CI</th><th>unpaired 95% CI</th><th>width ratio</th></tr>",
            escape(&v.policy),
            escape(&v.baseline),
            subject.noun
        ));
        for d in &v.differences {
            let f = |x: f64| {
                if d.metric == "default_rate" {
                    percent(x, 3)
                } else if d.metric.starts_with("risk") {
                    format!("{x:.4}")
                } else {
                    money(x)
                }
            };
            let excludes_zero = d.paired.ci[0] > 0.0 || d.paired.ci[1] < 0.0;
            diffs.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td{}>{}</td><td>[{}, {}]</td><td>[{}, {}]</td><td>{:.2}</td></tr>",
                escape(&d.label_as(&metric_words(&d.metric))),
                f(d.baseline),
                f(d.policy),
                if excludes_zero { " class=\"sig\"" } else { "" },
                f(d.paired.value),
                f(d.paired.ci[0]),
                f(d.paired.ci[1]),
                f(d.unpaired_ci[0]),
                f(d.unpaired_ci[1]),
                d.width_ratio
            ));
        }
        diffs.push_str("</table>");
    }
    let body = format!(
        "<p>{paths} paths, seed {seed}, common random numbers: {pairing}. Differences are \
{noun} − baseline; the paired interval uses the \
per-path differences, the unpaired one ignores the pairing (width ratio = paired / unpaired). Tail measures use a \
{b}-resample bootstrap. Bold: the paired interval excludes zero.</p>\
{books}<h2 id=\"key-figures\">Key figures</h2>{key}{weighted}<h2 id=\"baseline\">Against the baseline</h2>{diffs}<div id=\"plots\">{figures}</div>{reproduce}",
        books = books.map_or_else(String::new, |b| format!("<p>{b}</p>")),
        weighted = weighted.map_or_else(String::new, weighted_section),
        reproduce = reproduce_section(manifest),
        paths = c.paths,
        seed = c.seed,
        b = c.bootstrap_resamples,
        pairing = subject.pairing,
        noun = subject.noun,
    );
    let nav = [
        NavLink::new("key-figures", "Key figures"),
        NavLink::new("baseline", "Against the baseline"),
        NavLink::new("plots", "Plots"),
        NavLink::new("reproduce", "Reproduce"),
    ];
    let heading = format!("{} — {}", subject.title, c.scenario);
    let names: Vec<String> = c.policies.iter().map(|p| escape(&p.name)).collect();
    let meta = format!(
        "{} paths · seed {} · {}",
        crate::report::plots::format::count(c.paths),
        c.seed,
        names.join(", ")
    );
    Page {
        title: &heading,
        heading: &heading,
        meta: &meta,
        nav: &nav,
        body: &body,
        footer: &format!(
            "Written by {} {}; <code>creditstress report &lt;folder&gt;</code> redraws it.",
            escape(&manifest.program),
            escape(&manifest.version)
        ),
        css: super::html::CSS,
        extra_css: COMPARISON_CSS,
    }
    .html()
    // Every table in a scroller on screen (it wraps in print), as in the run report.
    .replace("<table>", "<div class=\"table-wrap\"><table>")
    .replace("</table>", "</table></div>")
}

/// A comparison metric in words, for the terminal and the page alike:
/// `var_0.999` is `VaR 99.9%`, `risk_adjusted_return_0.99` is
/// `net / (ES - EL) 99%`, `el` is `EL`.
pub fn metric_words(metric: &str) -> String {
    let at = |q: &str| q.parse::<f64>().map_or(q.to_string(), level);
    if let Some(q) = metric.strip_prefix("var_") {
        format!("VaR {}", at(q))
    } else if let Some(q) = metric.strip_prefix("es_") {
        format!("ES {}", at(q))
    } else if let Some(q) = metric.strip_prefix("risk_adjusted_return_") {
        format!("net / (ES - EL) {}", at(q))
    } else if metric == "pnl_net_income" {
        "P&L net income".to_string()
    } else if metric == "el" {
        "EL".to_string()
    } else {
        metric.replace('_', " ")
    }
}

/// What the study page adds to the report's stylesheet: a wider page for its
/// difference tables, its header cells (rows without a `thead`), the bold of
/// a significant difference, and the wrapped rerun command.
const COMPARISON_CSS: &str = "main { max-width: 1320px; } \
     th { background: var(--soft); white-space: normal; } .sig { font-weight: 700; } \
     pre { white-space: pre-wrap; word-break: break-all; background: var(--soft); padding: .6em; font-size: 13px; } \
     figure svg, svg { max-width: 100%; height: auto; }";

/// The inputs and the command that reproduces the study, from its manifest.
fn reproduce_section(m: &StudyManifest) -> String {
    let rows: String = m
        .inputs
        .iter()
        .map(|i| {
            format!(
                "<tr><td>{}</td><td><code>{}</code></td><td><code>{}</code></td></tr>",
                escape(&i.role),
                escape(&i.path),
                escape(&i.sha256)
            )
        })
        .collect();
    format!(
        "<h2 id=\"reproduce\">Reproduce</h2><p>{} {}, {} paths per run, seed {}. The resolved scenario of every run is in \
         <code>manifest.json</code>; the per-path figures and monthly bands this page is drawn from are beside it, \
         and <code>creditstress report</code> on this folder redraws the page and plots.</p>\
         <table><tr><th>input</th><th>file</th><th>SHA-256</th></tr>{rows}</table><pre>{}</pre>",
        escape(&m.program),
        escape(&m.version),
        m.paths,
        m.seed,
        escape(&m.command)
    )
}

/// Overlaid empirical exceedance curves `P(loss > x)`.
struct Exceedance {
    title: String,
    subtitle: String,
    curves: Vec<(String, Vec<(f64, f64)>)>,
    x_range: (f64, f64),
    floor: f64,
}

impl Exceedance {
    fn new(c: &Comparison, samples: &[PolicySample], title: &str, subject: Subject) -> Self {
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        let curves = samples
            .iter()
            .map(|s| {
                let mut sorted = s.loss.clone();
                sorted.sort_by(f64::total_cmp);
                let n = sorted.len();
                lo = lo.min(sorted[0]);
                hi = hi.max(sorted[n - 1]);
                // Vertices every ~1/500 of the paths and every path of the last 1,000.
                let step = (n / 500).max(1);
                let pts = (0..n)
                    .filter(|&i| i % step == 0 || n - i <= 1000)
                    .filter(|&i| i + 1 < n)
                    .map(|i| (sorted[i] / 1e6, (n - 1 - i) as f64 / n as f64))
                    .collect();
                (s.name.clone(), pts)
            })
            .collect();
        Exceedance {
            title: title.to_string(),
            subtitle: format!(
                "{} paths · seed {} · same draws for every {}",
                c.paths, c.seed, subject.noun
            ),
            curves,
            x_range: canvas::padded(lo / 1e6, hi / 1e6, 0.03, 1e-9),
            floor: 1.0 / c.paths.max(1) as f64,
        }
    }
}

impl Figure for Exceedance {
    fn size(&self) -> (u32, u32) {
        SIZE
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let body = canvas::titled(root, &self.title, &self.subtitle)?;
        let y_min = 0.5 * self.floor;
        let (x0, x1) = self.x_range;
        let mut chart = ChartBuilder::on(&body)
            .margin(10)
            .margin_right(30)
            .x_label_area_size(58)
            .y_label_area_size(170)
            .build_cartesian_2d(x0..x1, (y_min..1.3).log_scale())?;
        chart
            .configure_mesh()
            .x_desc("Portfolio loss over the horizon, x (millions)")
            .y_desc("P(loss > x) · return period, log scale")
            .house_style()
            .y_label_formatter(&|p| probability_and_return_period(*p))
            .draw()?;
        for (i, (name, pts)) in self.curves.iter().enumerate() {
            let c = canvas::colour(i);
            chart
                .draw_series(LineSeries::new(
                    pts.iter().copied().filter(|p| p.1 > 0.0),
                    c.stroke_width(2),
                ))?
                .label(name.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], c.stroke_width(2)));
        }
        canvas::series_legend(&mut chart)?;
        Ok(())
    }
}

/// One point per policy: EL (x) against interest and net income (y), with 95% error bars.
struct Tradeoff {
    title: String,
    c: Comparison,
}

impl Figure for Tradeoff {
    fn size(&self) -> (u32, u32) {
        SIZE
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let body = canvas::titled(
            root,
            &self.title,
            "filled: interest income · hollow: net income (after losses and collection cost) · bars: 95% CIs",
        )?;
        let ps = &self.c.policies;
        let xs = ps.iter().flat_map(|p| p.el.ci);
        let ys = ps
            .iter()
            .flat_map(|p| p.interest_income.ci.into_iter().chain(p.net_income.ci));
        let (x0, x1) = bounds(xs.map(|v| v / 1e6));
        let (y0, y1) = bounds(ys.map(|v| v / 1e6));
        // The legend goes above the chart, where it covers no point and no label.
        let items: Vec<(Mark, String)> = ps
            .iter()
            .enumerate()
            .map(|(i, p)| (Mark::Dot(canvas::colour(i)), p.name.clone()))
            .collect();
        let body = canvas::legend_above(&body, &items)?;
        let mut chart = ChartBuilder::on(&body)
            .margin(10)
            .margin_right(30)
            .x_label_area_size(58)
            .y_label_area_size(90)
            .build_cartesian_2d(x0..x1, y0..y1)?;
        chart
            .configure_mesh()
            .x_desc("Expected loss (millions)")
            .y_desc("Income (millions)")
            .x_label_formatter(&|v| plain(*v))
            .y_label_formatter(&|v| plain(*v))
            .house_style()
            .draw()?;
        for (series, (label, filled)) in [("interest income", true), ("net income", false)].iter().enumerate() {
            for (i, p) in ps.iter().enumerate() {
                let c = canvas::colour(i);
                let est = if series == 0 { p.interest_income } else { p.net_income };
                let (x, y) = (p.el.value / 1e6, est.value / 1e6);
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(p.el.ci[0] / 1e6, y), (p.el.ci[1] / 1e6, y)],
                    c.stroke_width(2),
                )))?;
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(x, est.ci[0] / 1e6), (x, est.ci[1] / 1e6)],
                    c.stroke_width(2),
                )))?;
                let style = if *filled { c.filled() } else { c.stroke_width(2) };
                chart.draw_series(std::iter::once(Circle::new((x, y), 7, style)))?;
                // Right of a point in the left half, left of one in the right half: inside the plot.
                let (dx, anchor) = if x > (x0 + x1) / 2.0 {
                    (-12, HPos::Right)
                } else {
                    (12, HPos::Left)
                };
                chart.draw_series(std::iter::once(
                    EmptyElement::at((x, y))
                        + Text::new(
                            format!("{} ({label})", p.name),
                            (dx, -24),
                            font(size::LABEL).color(&canvas::INK).pos(Pos::new(anchor, VPos::Top)),
                        ),
                ))?;
            }
        }
        Ok(())
    }
}

fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    canvas::padded(lo, hi, 0.1, 1e-9)
}

/// Histogram of `loss(policy) - loss(baseline)` per path, one panel per policy.
struct PairedHistograms {
    title: String,
    panels: Vec<(String, Vec<f64>, f64)>,
}

impl PairedHistograms {
    fn new(samples: &[PolicySample], title: &str) -> Self {
        let base = &samples[0];
        let panels = samples[1..]
            .iter()
            .map(|s| {
                let d: Vec<f64> = s.loss.iter().zip(&base.loss).map(|(a, b)| (a - b) / 1e6).collect();
                let mean = moments(&d).mean;
                (format!("{} − {}", s.name, base.name), d, mean)
            })
            .collect();
        PairedHistograms {
            title: title.to_string(),
            panels,
        }
    }
}

impl Figure for PairedHistograms {
    fn size(&self) -> (u32, u32) {
        (SIZE.0, 360 * self.panels.len().max(1) as u32 + 80)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let body = canvas::titled(
            root,
            &self.title,
            "per path, on common random numbers; dashed line: mean",
        )?;
        let areas = body.split_evenly((self.panels.len().max(1), 1));
        for ((name, d, mean), area) in self.panels.iter().zip(areas.iter()) {
            let (lo, hi) = bounds(d.iter().copied());
            let bins = 60usize;
            let width = (hi - lo) / bins as f64;
            let mut counts = vec![0u32; bins];
            for &v in d {
                let b = (((v - lo) / width) as usize).min(bins - 1);
                counts[b] += 1;
            }
            let top = counts.iter().copied().max().unwrap_or(1).max(1) as f64 * 1.1;
            let mut chart = ChartBuilder::on(area)
                .margin(10)
                .margin_right(30)
                .caption(name, font(size::SUBTITLE))
                .x_label_area_size(50)
                .y_label_area_size(80)
                .build_cartesian_2d(lo..hi, 0.0..top)?;
            chart
                .configure_mesh()
                .x_desc("Loss difference per path (millions)")
                .y_desc("Paths")
                .y_label_formatter(&|v| format!("{v:.0}"))
                .house_style()
                .draw()?;
            chart.draw_series(counts.iter().enumerate().map(|(b, &n)| {
                let x = lo + b as f64 * width;
                Rectangle::new([(x, 0.0), (x + width, n as f64)], canvas::BLUE.mix(0.7).filled())
            }))?;
            chart.draw_series(DashedLineSeries::new(
                vec![(*mean, 0.0), (*mean, top)],
                6,
                4,
                canvas::INK.stroke_width(2),
            ))?;
            chart.draw_series(std::iter::once(Text::new(
                format!("mean {}", money(mean * 1e6)),
                (*mean, top * 0.92),
                font(size::LABEL).color(&canvas::INK),
            )))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::compare::PolicyFigures;

    fn estimate(value: f64, half: f64) -> Estimate {
        Estimate {
            value,
            ci: [value - half, value + half],
        }
    }

    fn policy(name: &str, el: f64, interest: f64, net: f64) -> PolicyFigures {
        PolicyFigures {
            name: name.to_string(),
            loans: 100,
            el: estimate(el, 0.3e6),
            interest_income: estimate(interest, 0.1e6),
            net_income: estimate(net, 0.2e6),
            pnl_net_income: None,
            default_rate: 0.1,
            var: Default::default(),
            es: Default::default(),
            risk_adjusted_return: 0.0,
        }
    }

    /// `(x, y, anchor, text)` of every text element of an SVG.
    fn texts(svg: &str) -> Vec<(f64, f64, String, String)> {
        let attr = |tag: &str, name: &str| -> String {
            let key = format!(" {name}=\"");
            tag.find(&key)
                .map(|i| {
                    let rest = &tag[i + key.len()..];
                    rest[..rest.find('"').unwrap_or(0)].to_string()
                })
                .unwrap_or_default()
        };
        svg.split("<text")
            .skip(1)
            .map(|t| {
                let (tag, rest) = t.split_once('>').unwrap_or((t, ""));
                let text = rest.split("</text>").next().unwrap_or("").trim().to_string();
                let num = |n: &str| attr(tag, n).parse::<f64>().unwrap_or(f64::NAN);
                (num("x"), num("y"), attr(tag, "text-anchor"), text)
            })
            .collect()
    }

    #[test]
    fn el_vs_income_keeps_its_legend_off_the_points_and_their_labels_inside() {
        let c = Comparison {
            format_version: crate::stats::compare::COMPARISON_FORMAT_VERSION,
            scenario: "s".to_string(),
            seed: 1,
            paths: 100,
            confidence: 0.95,
            bootstrap_resamples: 0,
            risk_adjusted_return_basis: String::new(),
            policies: vec![
                policy("current", 13e6, 12.7e6, -0.4e6),
                policy("tight", 8.6e6, 11.2e6, 2.5e6),
            ],
            versus_baseline: Vec::new(),
        };
        let figure = Tradeoff {
            title: "t".to_string(),
            c,
        };
        let svg = canvas::render(&figure, "t").1;
        let all = texts(&svg);
        let find = |s: &str| {
            all.iter()
                .find(|t| t.3 == s)
                .unwrap_or_else(|| panic!("no {s:?} in {all:?}"))
        };
        let labels: Vec<_> = all.iter().filter(|t| t.3.contains(" income)")).collect();
        assert_eq!(labels.len(), 4);
        for name in ["current", "tight"] {
            let legend = find(name);
            // Above every point label: outside the plotting area.
            assert!(labels.iter().all(|l| l.1 > legend.1 + 20.0), "{legend:?} vs {labels:?}");
        }
        // The point on the right (current, the higher EL) is labelled to its left, ending before it.
        let (width, _) = figure.size();
        for l in &labels {
            if l.3.starts_with("current") {
                assert_eq!(l.2, "end", "{l:?}");
                assert!(l.0 < width as f64 - 60.0);
            } else {
                assert_eq!(l.2, "start", "{l:?}");
            }
        }
    }
}
