//! `report.html`: one self-contained page (inline SVG plots and CSS, no
//! scripts, no network) with the scenario, the key figures, the segment and
//! score-band tables and every plot; and [`ReportFiles`], the page plus the
//! plot files, rendered from a [`ReportInput`] before anything touches the disk.

use std::fmt::Write;

mod sections;

use sections::{
    capital, cards, contributions, economics, events, going_concern, inputs, key_figures, policy, rate_lines,
    reproduce, roll_rates, sampling, scenario, segments, tail_scenario,
};

use super::input::ReportInput;
use super::page::{NavLink, Page};
use super::plots::format::{count, money};
use super::plots::{Plot, render_plots};

/// Decimals of the percentages in the tables.
pub(super) const PCT_DECIMALS: usize = 3;

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

pub(crate) const CSS: &str = r#"
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
.warning { background: #fff6e0; border: 1px solid #e8c46a; border-radius: 6px; padding: 8px 12px; margin: 8px 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(200px, 1fr)); gap: 12px; margin: 18px 0 6px; }
.card { background: var(--soft); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; }
.card .label { color: var(--muted); font-size: 13px; text-transform: uppercase; letter-spacing: .04em; }
.card .value { font-size: 23px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card .sub { color: var(--muted); font-size: 13px; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; font-size: 14px; }
th, td { padding: 6px 12px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
thead th { background: var(--soft); font-weight: 600; border-bottom: 2px solid var(--line); vertical-align: bottom; white-space: normal; }
tbody tr:hover { background: #f1f3f5; }
td.text { text-align: left; white-space: normal; }
table.inputs th[scope="row"] { font-weight: 600; white-space: normal; min-width: 12em; vertical-align: top; }
table.inputs td { text-align: left; white-space: normal; }
table.inputs .depth1 { padding-left: 28px; font-weight: 400; }
table.inputs .depth2 { padding-left: 52px; font-weight: 400; }
table.inputs table.inner { width: auto; font-size: 13px; margin: 2px 0; }
table.inputs table.inner th, table.inputs table.inner td { padding: 3px 10px; text-align: right; white-space: nowrap; }
table.inputs table.inner th:first-child, table.inputs table.inner td:first-child { text-align: left; }
table.inputs table.inner th { background: var(--soft); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; margin: 8px 0; font-size: 14px; }
dt { color: var(--muted); }
dd { margin: 0; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px;
  background: var(--soft); padding: 1px 5px; border-radius: 4px; word-break: break-all; }
figure { margin: 22px 0 30px; }
figure svg { display: block; width: 100%; height: auto; border: 1px solid var(--line); border-radius: 6px; }
figcaption { font-size: 14px; margin-top: 6px; }
footer { margin-top: 48px; color: var(--muted); font-size: 13px; border-top: 1px solid var(--line); padding-top: 10px; }
/* Printed (what a risk committee gets): A4 landscape; every column on the
   page (tables wrap at spaces instead of scrolling, so nothing is cut and no
   scrollbar prints); headings stay with what follows them. */
@page { size: A4 landscape; margin: 12mm 12mm 14mm; }
@media print {
  body { font-size: 12px; line-height: 1.4; }
  main { max-width: none; padding: 0; }
  nav { display: none; }
  .table-wrap { overflow: visible; }
  table { font-size: 11px; }
  th, td { white-space: normal; padding: 3px 7px; }
  .note, .meta, figcaption, footer { font-size: 11px; }
  code { font-size: 10.5px; }
  tbody tr:hover { background: none; }
  table.inputs table.inner th, table.inputs table.inner td { white-space: normal; padding: 2px 6px; }
  h1, h2, h3 { break-after: avoid; }
  h2 { margin-top: 22px; }
  h2 + p, h3 + p, p + .table-wrap { break-before: avoid; }
  p { orphans: 3; widows: 3; }
  figure, tr, .cards, .card, .warning { break-inside: avoid; }
  figure svg { border: none; }
  a { color: inherit; text-decoration: none; }
}
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
            "Probability that the loss rate exceeds x, with its return period (1 in N), on a log scale down to \
             one path in the run: the tail \
             of the distribution. Dots mark VaR at each level, where the curve crosses 1 − level."
        }
        "fan_chart" => {
            "Month by month across paths: the median (line), the middle 50% and the middle 90% of paths \
             (bands) of charge-offs in the month, loans 30+ days past due at month end and the cumulative \
             loss; below, the macro factor paths."
        }
        "vintages" => {
            "Top: each vintage's cumulative default rate (charge-offs / loans it booked) and loss rate (loss / \
             balance it booked) by months on book, the median across the paths on which it booked loans; the \
             opening book dashed, later vintages lighter. A curve ends at the months on book all of its loans \
             reached by the horizon. Below: the balance on the book at each month end."
        }
        "economics" => {
            "Left: the mean P&L over the horizon as a waterfall, from interest through each fee and cost to \
             net income (lines that are zero on every path are left out). Right: net income month by month \
             and its cumulative sum, the median and the middle 50% and 90% of paths."
        }
        "provisions_capital" => {
            "Month by month across paths, the median (line) and the middle 50% and 90% of paths (bands): the \
             IFRS 9 loss allowance and the shares of the balance in stages 2 and 3 (with \
             [economics.provisions]), and the Basel IRB risk-weighted assets and capital requirement of the \
             accounts on the book and not in default (with [segments.capital])."
        }
        "segments" => {
            "Left: each segment's expected loss and its contribution to portfolio ES (its mean loss on the \
             paths beyond the portfolio VaR). Right: mean share of each score band's loans charged off over \
             the horizon."
        }
        "heatmap" => {
            "Each cell: the mean number of charged-off loans over the horizon in the segment and score band, \
             divided by the mean number of loans in that cell (with new lending, those booked on the path, \
             opening book included). The shade is relative to the highest cell; a cell without loans shows \
             a dash."
        }
        "segment_series" => {
            "Month by month across paths, per segment. Left: the cumulative loss rate, its median (line), the \
             middle 50% (filled, solid edges) and the middle 90% (dashed edges) of paths. Right: the monthly \
             default rate (charge-offs in the month / the segment's loans), median and mean. With new lending \
             the bases are the segment's loans and balance booked up to the month, as in the portfolio's series."
        }
        "roll_rates" => {
            "For each delinquency bucket, the account-months that began in it, split by where they ended a \
             month later: current again (cured), the same bucket, or the next bucket (charge-off from 90+ days \
             past due). Pooled over the horizon and the paths; summary.json's roll_rates gives each rate with \
             a 95% interval."
        }
        "waterfalls" => {
            "Means over paths, in yuan. Left: the exposure (with new lending, the opening book's plus the \
             balance booked), less what was not charged off, is the EAD charged off over the horizon; less the \
             recoveries received within it and those due after it (netted in the loss), the loss. Right: \
             interest income less the loss, the collection cost and the recovery cost (each shown when not \
             zero) is net income as in the key figures. Every figure is taken to the cent and every total is \
             the sum of the bars before it."
        }
        _ => {
            "Running estimates as paths are added in simulation order, with 95% confidence intervals (normal \
             for EL, order statistics for VaR). Narrow bands that settle on the final value mean the run has \
             enough paths for these figures."
        }
    }
}

/// The whole page, in the one page template ([`super::page`]).
pub fn report_html(input: &ReportInput, plots: &[Plot]) -> String {
    let s = &input.summary;
    let meta = format!(
        "{} paths · seed {} · {} months · {} loans · {} exposure {} yuan",
        count(s.paths),
        s.seed,
        s.horizon_months,
        count(s.loans),
        if s.originations.is_some() { "opening" } else { "initial" },
        money(s.exposure),
    );
    // The sections in page order, each linked where the run has it.
    let nav: Vec<NavLink> = [
        ("key-figures", "Key figures", true),
        ("inputs", "Inputs", s.inputs.is_some()),
        ("sampling", "Sampling", s.sampling.is_some()),
        ("segments", "Segments", true),
        ("roll-rates", "Roll rates", s.roll_rates.is_some()),
        ("policy", "Policy", input.manifest.scenario.policy.is_some()),
        ("going-concern", "Going concern", s.originations.is_some()),
        ("contributions", "Contributions", true),
        ("economics", "Economics", s.economics.is_some()),
        ("capital", "Capital", s.capital.is_some()),
        ("plots", "Plots", true),
        ("scenario", "Scenario", true),
        ("reproduce", "Reproduce", true),
    ]
    .into_iter()
    .filter(|&(_, _, shown)| shown)
    .map(|(anchor, label, _)| NavLink::new(anchor, label))
    .collect();
    let mut h = String::with_capacity(plots.iter().map(|p| p.svg.len()).sum::<usize>() + 32_768);
    let description = input.manifest.scenario.description.trim();
    if !description.is_empty() {
        let _ = writeln!(h, "<p>{}</p>", escape(description));
    }
    cards(&mut h, input);
    key_figures(&mut h, input);
    inputs(&mut h, input);
    sampling(&mut h, input);
    segments(&mut h, input);
    roll_rates(&mut h, input);
    policy(&mut h, input);
    going_concern(&mut h, input);
    events(&mut h, input);
    tail_scenario(&mut h, input);
    contributions(&mut h, input);
    economics(&mut h, input);
    capital(&mut h, input);
    rate_lines(&mut h, input);
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
    let footer = format!(
        "Written by {} {} from the run's summary.json, paths.csv, timeseries.csv and manifest.json; \
         <code>creditstress report &lt;folder&gt;</code> redraws it.",
        escape(&input.manifest.program),
        escape(&input.manifest.version)
    );
    Page {
        title: &format!("{} report", s.scenario),
        heading: &format!("Stress test report: {}", s.scenario),
        meta: &meta,
        nav: &nav,
        body: &h,
        footer: &footer,
        css: CSS,
        extra_css: "",
    }
    .html()
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
