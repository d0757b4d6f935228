//! `report.html`: one self-contained page (inline SVG plots and CSS, no
//! scripts, no network) with the scenario, the key figures, the segment and
//! score-band tables and every plot; and [`ReportFiles`], the page plus the
//! plot files, rendered from a [`ReportInput`] before anything touches the disk.

use std::fmt::Write;
use std::io;
use std::path::{Path, PathBuf};

use super::input::ReportInput;
use super::plots::format::{count, level, money, number, percent};
use super::plots::{Plot, render_plots};
use crate::stats::risk::{VAR_CI_LEVEL, level_key};

/// Decimals of the percentages in the tables.
const PCT_DECIMALS: usize = 3;

/// The report of a run: `plots/<name>.png`, `plots/<name>.svg` for each plot, and `report.html`.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportFiles {
    /// `(path relative to the run's folder, contents)`.
    pub files: Vec<(String, Vec<u8>)>,
}

impl ReportFiles {
    /// Renders every plot and the page.
    pub fn render(input: &ReportInput) -> Self {
        let plots = render_plots(input);
        let mut files = Vec::with_capacity(2 * plots.len() + 1);
        for p in &plots {
            files.push((format!("plots/{}.png", p.name), p.png.clone()));
            files.push((format!("plots/{}.svg", p.name), p.svg.clone().into_bytes()));
        }
        files.push(("report.html".to_string(), report_html(input, &plots).into_bytes()));
        ReportFiles { files }
    }

    /// Writes every file under `dir` (creating `dir/plots`), each atomically; returns the paths written.
    pub fn write(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        super::write_files(
            dir,
            self.files.iter().map(|(name, bytes)| (name.as_str(), bytes.as_slice())),
        )
    }
}

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const CSS: &str = r#"
:root { --ink: #212529; --muted: #6c757d; --line: #dee2e6; --soft: #f8f9fa; --accent: #1f77b4; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1140px; margin: 0 auto; padding: 28px 24px 64px; }
header { border-bottom: 3px solid var(--accent); padding-bottom: 14px; margin-bottom: 10px; }
h1 { font-size: 28px; margin: 0 0 6px; line-height: 1.2; }
h2 { font-size: 21px; margin: 40px 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
h3 { font-size: 17px; margin: 28px 0 8px; }
p { margin: 8px 0; }
.meta, .note, figcaption { color: var(--muted); }
.note { font-size: 14px; }
nav { font-size: 14px; margin: 10px 0 0; }
nav a { color: var(--accent); text-decoration: none; margin-right: 16px; white-space: nowrap; }
nav a:hover { text-decoration: underline; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(200px, 1fr)); gap: 12px; margin: 18px 0 6px; }
.card { background: var(--soft); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; }
.card .label { color: var(--muted); font-size: 13px; text-transform: uppercase; letter-spacing: .04em; }
.card .value { font-size: 23px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card .sub { color: var(--muted); font-size: 13px; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; font-size: 14px; }
th, td { padding: 6px 12px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
thead th { background: var(--soft); font-weight: 600; border-bottom: 2px solid var(--line); vertical-align: bottom; }
tbody tr:hover { background: #f1f3f5; }
td.text { text-align: left; white-space: normal; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; margin: 8px 0; font-size: 14px; }
dt { color: var(--muted); }
dd { margin: 0; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px;
  background: var(--soft); padding: 1px 5px; border-radius: 4px; word-break: break-all; }
figure { margin: 22px 0 30px; }
figure svg { display: block; width: 100%; height: auto; border: 1px solid var(--line); border-radius: 6px; }
figcaption { font-size: 14px; margin-top: 6px; }
footer { margin-top: 48px; color: var(--muted); font-size: 13px; border-top: 1px solid var(--line); padding-top: 10px; }
@media print { nav { display: none; } figure, table { break-inside: avoid; } }
"#;

/// What each plot shows, for its caption.
fn caption(name: &str) -> &'static str {
    match name {
        "loss_distribution" => {
            "Histogram of the portfolio loss rate (loss over the horizon / initial exposure) across paths, \
             with Freedman–Diaconis bins. Vertical lines mark the expected loss (EL), and VaR (solid) and \
             ES (dashed) at each risk level."
        }
        "exceedance" => {
            "Probability that the loss rate exceeds x, on a log scale down to one path in the run: the tail \
             of the distribution. Dots mark VaR at each level, where the curve crosses 1 − level."
        }
        "fan_chart" => {
            "Month by month across paths: the median (line), the middle 50% and the middle 90% of paths \
             (bands) of charge-offs in the month, loans 30+ days past due at month end and the cumulative \
             loss; below, the macro factor paths."
        }
        "segments" => {
            "Left: each segment's expected loss and its contribution to portfolio ES (its mean loss on the \
             paths beyond the portfolio VaR). Right: mean share of each score band's loans charged off over \
             the horizon."
        }
        _ => {
            "Running estimates as paths are added in simulation order, with 95% confidence intervals (normal \
             for EL, order statistics for VaR). Narrow bands that settle on the final value mean the run has \
             enough paths for these figures."
        }
    }
}

/// The whole page.
pub fn report_html(input: &ReportInput, plots: &[Plot]) -> String {
    let s = &input.summary;
    let name = escape(&s.scenario);
    let mut h = String::with_capacity(plots.iter().map(|p| p.svg.len()).sum::<usize>() + 32_768);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{name} — creditstress report</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
    );
    let _ = write!(
        h,
        "<header>\n<h1>Stress test report: {name}</h1>\n<p class=\"meta\">{} paths · seed {} · {} months · \
         {} loans · initial exposure {} yuan</p>\n<nav><a href=\"#key-figures\">Key figures</a>\
         <a href=\"#segments\">Segments</a><a href=\"#plots\">Plots</a><a href=\"#scenario\">Scenario</a>\
         <a href=\"#reproduce\">Reproduce</a></nav>\n</header>\n",
        count(s.paths),
        s.seed,
        s.horizon_months,
        count(s.loans),
        money(s.exposure)
    );
    let description = input.manifest.scenario.description.trim();
    if !description.is_empty() {
        let _ = writeln!(h, "<p>{}</p>", escape(description));
    }
    cards(&mut h, input);
    key_figures(&mut h, input);
    segments(&mut h, input);
    let _ = writeln!(h, "<h2 id=\"plots\">Plots</h2>");
    for p in plots {
        let _ = write!(
            h,
            "<figure id=\"plot-{}\">\n{}\n<figcaption>{}</figcaption>\n</figure>\n",
            p.name,
            inline_svg(&p.svg, &p.title),
            escape(caption(p.name))
        );
    }
    scenario(&mut h, input);
    reproduce(&mut h, input);
    let _ = write!(
        h,
        "<footer>Written by {} {} from the run's summary.json, paths.csv, timeseries.csv and manifest.json; \
         <code>creditstress report &lt;folder&gt;</code> redraws it.</footer>\n</main>\n</body>\n</html>\n",
        escape(&input.manifest.program),
        escape(&input.manifest.version)
    );
    h
}

/// The SVG document as an inline element with an accessible name (any XML prolog dropped).
fn inline_svg(svg: &str, title: &str) -> String {
    let start = svg.find("<svg").unwrap_or(0);
    let body = &svg[start..];
    match body.strip_prefix("<svg") {
        Some(rest) => format!("<svg role=\"img\" aria-label=\"{}\"{}", escape(title), rest.trim_end()),
        None => body.trim_end().to_string(),
    }
}

fn cards(h: &mut String, input: &ReportInput) {
    let s = &input.summary;
    let mut items = vec![(
        "Expected loss".to_string(),
        money(s.loss.mean),
        format!("{} of exposure", percent(s.loss_rate.mean, 2)),
    )];
    if let Some(&q) = input.risk_levels().last() {
        let key = level_key(q);
        if let (Some(v), Some(r)) = (s.loss.var.get(&key), s.loss_rate.var.get(&key)) {
            items.push((
                format!("VaR {}", level(q)),
                money(*v),
                format!("{} of exposure", percent(*r, 2)),
            ));
        }
        if let (Some(v), Some(r)) = (s.loss.es.get(&key), s.loss_rate.es.get(&key)) {
            items.push((
                format!("ES {}", level(q)),
                money(*v),
                format!("{} of exposure", percent(*r, 2)),
            ));
        }
    }
    items.push((
        "Net income".to_string(),
        money(s.net_income.mean),
        "interest income − loss, mean".to_string(),
    ));
    let _ = writeln!(h, "<div class=\"cards\">");
    for (label, value, sub) in items {
        let _ = writeln!(
            h,
            "<div class=\"card\"><div class=\"label\">{}</div><div class=\"value\">{}</div>\
             <div class=\"sub\">{}</div></div>",
            escape(&label),
            value,
            escape(&sub)
        );
    }
    let _ = writeln!(h, "</div>");
}

fn row(h: &mut String, cells: &[String]) {
    h.push_str("<tr>");
    for (i, c) in cells.iter().enumerate() {
        if i == 0 {
            let _ = write!(h, "<th scope=\"row\">{c}</th>");
        } else {
            let _ = write!(h, "<td>{c}</td>");
        }
    }
    h.push_str("</tr>\n");
}

fn head(h: &mut String, cells: &[&str]) {
    h.push_str("<div class=\"table-wrap\"><table>\n<thead><tr>");
    for c in cells {
        let _ = write!(h, "<th scope=\"col\">{c}</th>");
    }
    h.push_str("</tr></thead>\n<tbody>\n");
}

fn end_table(h: &mut String) {
    h.push_str("</tbody>\n</table></div>\n");
}

fn interval(lo: f64, hi: f64) -> String {
    format!("{} – {}", money(lo), money(hi))
}

fn key_figures(h: &mut String, input: &ReportInput) {
    let s = &input.summary;
    let z = 1.96;
    let _ = writeln!(h, "<h2 id=\"key-figures\">Key figures</h2>");
    let ci_head = format!("{}% confidence interval (yuan)", number(100.0 * VAR_CI_LEVEL, 0));
    head(h, &["Measure", "Amount (yuan)", "Share of exposure", &ci_head]);
    row(
        h,
        &[
            "Expected loss (EL)".to_string(),
            money(s.loss.mean),
            percent(s.loss_rate.mean, PCT_DECIMALS),
            interval(s.loss.mean - z * s.loss.stderr, s.loss.mean + z * s.loss.stderr),
        ],
    );
    row(
        h,
        &[
            "Standard deviation of loss".to_string(),
            money(s.loss.std),
            percent(s.loss_rate.std, PCT_DECIMALS),
            String::new(),
        ],
    );
    for &q in input.risk_levels() {
        let key = level_key(q);
        let (Some(var), Some(es)) = (s.loss.var.get(&key), s.loss.es.get(&key)) else {
            continue;
        };
        let rate = |m: &std::collections::BTreeMap<String, f64>| {
            m.get(&key).map_or(String::new(), |r| percent(*r, PCT_DECIMALS))
        };
        let ci = s.loss.var_ci.get(&key).map_or(String::new(), |c| interval(c[0], c[1]));
        row(
            h,
            &[format!("VaR {}", level(q)), money(*var), rate(&s.loss_rate.var), ci],
        );
        row(
            h,
            &[
                format!("ES {}", level(q)),
                money(*es),
                rate(&s.loss_rate.es),
                String::new(),
            ],
        );
    }
    let m = |x: &crate::stats::Moments| interval(x.mean - z * x.stderr, x.mean + z * x.stderr);
    let of_exposure = |x: f64| {
        if s.exposure > 0.0 {
            percent(x / s.exposure, PCT_DECIMALS)
        } else {
            String::new()
        }
    };
    row(
        h,
        &[
            "Interest income".to_string(),
            money(s.interest_income.mean),
            of_exposure(s.interest_income.mean),
            m(&s.interest_income),
        ],
    );
    row(
        h,
        &[
            "Net income (interest − loss)".to_string(),
            money(s.net_income.mean),
            of_exposure(s.net_income.mean),
            m(&s.net_income),
        ],
    );
    row(
        h,
        &[
            "Recoveries received".to_string(),
            money(s.recoveries.mean),
            of_exposure(s.recoveries.mean),
            m(&s.recoveries),
        ],
    );
    end_table(h);
    head(
        h,
        &[
            "Defaults",
            "Loans charged off (mean)",
            "Default rate",
            "Standard deviation",
        ],
    );
    row(
        h,
        &[
            "Charged-off loans over the horizon".to_string(),
            number(s.default_rate.mean * s.loans as f64, 0),
            percent(s.default_rate.mean, PCT_DECIMALS),
            percent(s.default_rate.std, PCT_DECIMALS),
        ],
    );
    end_table(h);
    let _ = writeln!(
        h,
        "<p class=\"note\">Amounts are means across paths in yuan. VaR at level q is the q-quantile of the \
         loss across paths and ES the mean loss of the worst 1 − q share of paths. Intervals: EL and incomes \
         ± 1.96 standard errors; VaR from order statistics.</p>"
    );
}

fn segments(h: &mut String, input: &ReportInput) {
    let s = &input.summary;
    let levels = input.risk_levels();
    let _ = writeln!(h, "<h2 id=\"segments\">Segments</h2>");
    let mut cols: Vec<String> = [
        "Segment",
        "Loans",
        "Exposure (yuan)",
        "EL (yuan)",
        "EL rate",
        "Share of EL",
        "Default rate",
    ]
    .map(str::to_string)
    .to_vec();
    cols.extend(levels.iter().map(|&q| format!("ES {} contribution (yuan)", level(q))));
    head(h, &cols.iter().map(String::as_str).collect::<Vec<_>>());
    let mut names: Vec<&String> = input.manifest.scenario.segments.iter().map(|x| &x.name).collect();
    names.extend(s.segments.keys().filter(|k| !names.contains(k)).collect::<Vec<_>>());
    for name in names {
        let Some(x) = s.segments.get(name) else {
            continue;
        };
        let mut cells = vec![
            escape(name),
            count(x.loans),
            money(x.exposure),
            money(x.loss.mean),
            percent(x.loss_rate.mean, PCT_DECIMALS),
            percent(x.el_share, 1),
            percent(x.default_rate.mean, PCT_DECIMALS),
        ];
        cells.extend(levels.iter().map(|&q| {
            x.es_contribution
                .get(&level_key(q))
                .map_or(String::new(), |v| money(*v))
        }));
        row(h, &cells);
    }
    end_table(h);
    let _ = writeln!(h, "<h3>Score bands</h3>");
    head(h, &["Score band", "Loans", "Default rate"]);
    for b in &s.score_bands {
        row(
            h,
            &[
                escape(&b.band),
                count(b.loans),
                if b.loans > 0 {
                    percent(b.default_rate, PCT_DECIMALS)
                } else {
                    "–".to_string()
                },
            ],
        );
    }
    end_table(h);
}

fn scenario(h: &mut String, input: &ReportInput) {
    let f = &input.manifest.scenario;
    let s = &input.summary;
    let _ = writeln!(h, "<h2 id=\"scenario\">Scenario</h2>\n<dl>");
    let mut item = |k: &str, v: String| {
        let _ = writeln!(h, "<dt>{}</dt><dd>{}</dd>", escape(k), v);
    };
    item("Name", escape(&f.name));
    item(
        "Run",
        format!(
            "{} months, {} paths, seed {}, risk levels {}{}",
            s.horizon_months,
            count(s.paths),
            s.seed,
            f.run
                .risk_levels
                .iter()
                .map(|&q| level(q))
                .collect::<Vec<_>>()
                .join(", "),
            if f.run.redraw_population {
                "; a fresh population on every path"
            } else {
                ""
            }
        ),
    );
    item(
        "Book",
        format!(
            "{} loans in {} segment{}, initial exposure {} yuan",
            count(s.loans),
            f.segments.len(),
            if f.segments.len() == 1 { "" } else { "s" },
            money(s.exposure)
        ),
    );
    let m = &f.macro_model;
    item(
        "Macro factors",
        format!(
            "{}: AR(1) noise with persistence {} and standard deviation {}",
            escape(&m.factors.join(", ")),
            m.noise.phi,
            m.noise.sigma
        ),
    );
    if !m.deterministic.is_empty() {
        let paths: Vec<String> = m
            .deterministic
            .iter()
            .map(|(k, v)| {
                let trough = v.iter().copied().fold(f64::INFINITY, f64::min);
                format!("{} (lowest {})", escape(k), trough)
            })
            .collect();
        item("Deterministic paths", paths.join("; "));
    }
    if let Some(r) = &m.regimes {
        let states: Vec<String> = r
            .states
            .iter()
            .map(|st| format!("{} (mean {})", escape(&st.name), st.mean))
            .collect();
        item("Regimes", states.join(", "));
    }
    for shock in &m.shocks {
        let start = match (shock.start_month, shock.start_month_range) {
            (Some(t), _) => format!("month {t}"),
            (None, Some([a, b])) => format!("a month in {a}–{b}"),
            _ => "—".to_string(),
        };
        item(
            "Shock",
            format!(
                "{}depth {} from {start} for {} months, recovery over {} months, probability {}",
                if shock.name.is_empty() {
                    String::new()
                } else {
                    format!("{}: ", escape(&shock.name))
                },
                shock.depth,
                shock.duration_months,
                shock.recovery_months,
                shock.probability
            ),
        );
    }
    let d = &f.dynamics;
    item(
        "Dynamics",
        if d.delinquency {
            format!(
                "30/60/90+ days-past-due buckets, roll rates {:?}, cure rates {:?}, recovery lag {} months",
                d.roll_rates, d.cure_rates, d.recovery_lag_months
            )
        } else {
            "a missed payment is an immediate charge-off".to_string()
        },
    );
    if let Some(o) = &f.outage {
        item(
            "Outage",
            format!(
                "month {}, probability {}: {} of current loans miss a debit, {} cure the next month",
                o.month,
                o.probability,
                percent(o.share, 1),
                percent(o.cure_rate, 1)
            ),
        );
    }
    item("Engine", escape(&s.engine));
    let _ = writeln!(h, "</dl>");
}

fn reproduce(h: &mut String, input: &ReportInput) {
    let mf = &input.manifest;
    let s = &input.summary;
    let _ = writeln!(h, "<h2 id=\"reproduce\">Reproduce</h2>\n<dl>");
    let _ = writeln!(h, "<dt>Command</dt><dd><code>{}</code></dd>", escape(&mf.command));
    let _ = writeln!(
        h,
        "<dt>Scenario file</dt><dd><code>{}</code> (SHA-256 <code>{}</code>)</dd>",
        escape(&mf.scenario_file),
        escape(&mf.scenario_sha256)
    );
    let _ = writeln!(
        h,
        "<dt>Run</dt><dd>{} loan-months simulated in {} s on {} thread{} (results do not depend on the thread count)</dd>",
        count(s.loan_months),
        number(s.elapsed_seconds, 2),
        s.threads,
        if s.threads == 1 { "" } else { "s" }
    );
    let _ = writeln!(h, "</dl>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_characters() {
        assert_eq!(
            escape(r#"<a href="x">Tom & 'Jerry'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn inline_svg_drops_the_prolog_and_names_the_image() {
        let svg = "<?xml version=\"1.0\"?>\n<svg width=\"10\" height=\"10\"></svg>\n";
        assert_eq!(
            inline_svg(svg, "A & B"),
            "<svg role=\"img\" aria-label=\"A &amp; B\" width=\"10\" height=\"10\"></svg>"
        );
    }
}
