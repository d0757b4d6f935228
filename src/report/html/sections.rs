//! The sections of `report.html`: headline cards, the key-figures table, the
//! segment and score-band tables, the scenario and how to reproduce the run.

use std::fmt::Write;

use super::super::input::ReportInput;
use super::super::plots::format::{count, level, money, number, percent};
use super::{PCT_DECIMALS, escape};
use crate::scenario::{Frequency, Interpolation};
use crate::stats::risk::{VAR_CI_LEVEL, level_key};

pub(super) fn cards(h: &mut String, input: &ReportInput) {
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
        "interest − loss − collection and recovery cost, mean".to_string(),
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
    for w in &s.warnings {
        let _ = writeln!(h, "<p class=\"warning\"><strong>Warning:</strong> {}</p>", escape(w));
    }
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

pub(super) fn key_figures(h: &mut String, input: &ReportInput) {
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
        let bounds = |c: &[Option<f64>; 2]| match c {
            [Some(lo), Some(hi)] => interval(*lo, *hi),
            [lo, hi] => format!(
                "{} – {}*",
                lo.map_or("n/a".to_string(), money),
                hi.map_or("n/a".to_string(), money),
            ),
        };
        let ci = s.loss.var_ci.get(&key).map_or(String::new(), bounds);
        row(
            h,
            &[format!("VaR {}", level(q)), money(*var), rate(&s.loss_rate.var), ci],
        );
        let es_ci = match s.loss.es_ci.get(&key) {
            Some(Some([lo, hi])) => interval(*lo, *hi),
            _ => "n/a — fewer than 2 tail paths".to_string(),
        };
        row(
            h,
            &[format!("ES {}", level(q)), money(*es), rate(&s.loss_rate.es), es_ci],
        );
        if let (Some(ul), Some(ul_ci)) = (s.loss.ul.get(&key), s.loss.ul_ci.get(&key)) {
            let ul_rate = s
                .loss_rate
                .ul
                .get(&key)
                .map_or(String::new(), |r| percent(*r, PCT_DECIMALS));
            row(
                h,
                &[
                    format!("UL {} (VaR − EL)", level(q)),
                    money(*ul),
                    ul_rate,
                    bounds(ul_ci),
                ],
            );
        }
    }
    let m = |x: &crate::stats::Moments| interval(x.mean - z * x.stderr, x.mean + z * x.stderr);
    let of_exposure = |x: f64| {
        if s.exposure > 0.0 {
            percent(x / s.exposure, PCT_DECIMALS)
        } else {
            String::new()
        }
    };
    for (label, figure) in [
        ("Interest income", &s.interest_income),
        (
            "Net income (interest − loss − collection cost − recovery cost)",
            &s.net_income,
        ),
        ("Recoveries received within the horizon", &s.recoveries),
        (
            "Recoveries due after the horizon (netted in the loss)",
            &s.recoveries_after_horizon,
        ),
        (
            "Economic loss (recoveries discounted to the charge-off)",
            &s.economic_loss,
        ),
        (
            "Fraud loss (booked fraud and takeovers; part of the loss)",
            &s.fraud_loss,
        ),
    ] {
        row(
            h,
            &[
                label.to_string(),
                money(figure.mean),
                of_exposure(figure.mean),
                m(figure),
            ],
        );
    }
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
    let open: Vec<String> = input
        .risk_levels()
        .iter()
        .filter_map(|&q| {
            let key = level_key(q);
            let c = s.loss.var_ci.get(&key)?;
            c.iter()
                .any(Option::is_none)
                .then(|| match s.loss.var_ci_needs_paths.get(&key) {
                    Some(&n) => format!("VaR {} needs ≥ {} paths", level(q), count(n)),
                    None => format!("VaR {}: beyond the weighted sample", level(q)),
                })
        })
        .collect();
    let footnote = if open.is_empty() {
        String::new()
    } else {
        format!(
            " * n/a: these paths cannot bound the interval on that side ({}).",
            open.join(", ")
        )
    };
    let weighting = if s.sampling.is_some() {
        " Importance sampling: every figure counts each path by its likelihood-ratio weight (see Sampling); \
         the VaR interval inverts the weighted tail share's normal interval and the ES interval uses the \
         weighted influence function."
    } else {
        ""
    };
    let _ = writeln!(
        h,
        "<p class=\"note\">Amounts are means across paths in yuan. VaR at level q is the q-quantile of the \
         loss across paths, ES the mean loss of the worst 1 − q share of paths and UL = VaR − EL. Intervals \
         (95%): EL and incomes ± 1.96 standard errors; VaR from order statistics; ES asymptotic (variance of \
         the Acerbi–Tasche estimator); UL from the VaR and EL intervals at 97.5% each.{}{}</p>",
        escape(weighting),
        escape(&footnote)
    );
}

/// The tail scenario: what the factor and the events did on the paths at or beyond VaR.
pub(super) fn tail_scenario(h: &mut String, input: &ReportInput) {
    let s = &input.summary;
    if s.tail_scenario.is_empty() {
        return;
    }
    let _ = writeln!(h, "<h2 id=\"tail-scenario\">Tail scenario</h2>");
    let _ = writeln!(
        h,
        "<p>What the worst worlds look like: the macro factors on the paths whose loss is at or beyond VaR at \
         each level, beside all paths (below 0 is worse than normal). Month by month bands are in \
         summary.json, <code>tail_scenario</code>.</p>"
    );
    head(
        h,
        &[
            "Level",
            "Tail paths",
            "Factor",
            "Mean over the horizon, tail",
            "Mean over the horizon, all paths",
            "Lowest monthly mean, tail (month)",
            "Lowest monthly mean, all paths (month)",
        ],
    );
    let lowest = |v: &[f64]| {
        v.iter()
            .enumerate()
            .min_by(|a, b| a.1.total_cmp(b.1))
            .map_or("–".to_string(), |(t, x)| format!("{} ({})", number(*x, 2), t + 1))
    };
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    for &q in input.risk_levels() {
        let Some(t) = s.tail_scenario.get(&level_key(q)) else {
            continue;
        };
        for (name, bands) in &t.factors {
            let tail: Vec<f64> = bands.iter().map(|b| b.mean).collect();
            let all = t.factors_all_paths_mean.get(name).cloned().unwrap_or_default();
            row(
                h,
                &[
                    level(q),
                    count(t.paths),
                    escape(name),
                    number(mean(&tail), 2),
                    number(mean(&all), 2),
                    lowest(&tail),
                    lowest(&all),
                ],
            );
        }
    }
    end_table(h);
    let with_events: Vec<_> = input
        .risk_levels()
        .iter()
        .filter_map(|&q| s.tail_scenario.get(&level_key(q)).map(|t| (q, t)))
        .filter(|(_, t)| !t.events.is_empty())
        .collect();
    if !with_events.is_empty() {
        head(h, &["Level", "Event", "Share of tail paths", "Share of all paths"]);
        for (q, t) in with_events {
            for (name, [tail, all]) in &t.events {
                row(h, &[level(q), escape(name), percent(*tail, 1), percent(*all, 1)]);
            }
        }
        end_table(h);
    }
}

/// The P&L of `[economics]` (nothing without it).
pub(super) fn economics(h: &mut String, input: &ReportInput) {
    let Some(e) = &input.summary.economics else {
        return;
    };
    let names: Vec<String> = input
        .manifest
        .scenario
        .segments
        .iter()
        .map(|seg| seg.name.clone())
        .collect();
    // Normal 95% intervals of means across paths.
    let z = crate::stats::normal::norm_inv(0.975);
    let _ = writeln!(h, "<h2 id=\"economics\">Economics</h2>");
    let _ = writeln!(
        h,
        "<p>{} Net income = interest + penalty interest + late fees + origination fees − funding − operating \
         − collection − recovery cost − credit loss − the change in the loss allowance − the partners' share. See the waterfall and the monthly \
         bands under <a href=\"#plot-economics\">Plots</a>.</p>",
        escape(&e.basis)
    );
    let mut columns: Vec<String> = vec![
        "Line (yuan over the horizon)".to_string(),
        "Mean".to_string(),
        "95% CI".to_string(),
    ];
    columns.extend(names.iter().map(|n| escape(n)));
    head(h, &columns.iter().map(String::as_str).collect::<Vec<_>>());
    let ci = |m: &crate::stats::Moments| interval(m.mean - z * m.stderr, m.mean + z * m.stderr);
    for l in &e.lines {
        let signed = |x: f64| money(l.sign as f64 * x);
        let (lo, hi) = (
            l.sign as f64 * (l.total.mean - z * l.total.stderr),
            l.sign as f64 * (l.total.mean + z * l.total.stderr),
        );
        let mut cells = vec![
            format!(
                "<span title=\"{}\">{} {}</span>",
                escape(&l.label),
                if l.sign > 0 { "+" } else { "−" },
                escape(&l.short)
            ),
            signed(l.total.mean),
            interval(lo.min(hi), lo.max(hi)),
        ];
        cells.extend(names.iter().map(|n| signed(l.segments.get(n).copied().unwrap_or(0.0))));
        row(h, &cells);
    }
    let mut cells = vec![
        "<strong>= Net income</strong>".to_string(),
        format!("<strong>{}</strong>", money(e.net_income.mean)),
        ci(&e.net_income),
    ];
    cells.extend(
        names
            .iter()
            .map(|n| e.segment_net_income.get(n).map_or(String::new(), |m| money(m.mean))),
    );
    row(h, &cells);
    end_table(h);
    let b = &e.net_income_band;
    let _ = writeln!(
        h,
        "<p class=\"note\">Costs are shown negative. Net income over the horizon across paths: 5th \
         percentile {}, median {}, 95th percentile {}; {} of paths lose money.</p>",
        money(b.p05),
        money(b.p50),
        money(b.p95),
        percent(e.loss_making_share, 1)
    );
    if let Some(p) = &e.provisions {
        provisions(h, p);
    }
    if let Some(c) = &e.capital {
        capital_over_time(h, c);
    }
}

/// The IFRS 9 allowance and stages of a run with `[economics.provisions]`.
fn provisions(h: &mut String, p: &crate::stats::economics::ProvisionSummary) {
    let _ = writeln!(h, "<h3>Provisions (IFRS 9)</h3>\n<p>{}</p>", escape(&p.basis));
    head(
        h,
        &[
            "Loss allowance (yuan)",
            "Mean",
            "5th percentile",
            "Median",
            "95th percentile",
        ],
    );
    row(
        h,
        &[
            "Opening book, start of the run".to_string(),
            money(p.opening_allowance.mean),
            String::new(),
            String::new(),
            String::new(),
        ],
    );
    let c = &p.closing_allowance;
    row(
        h,
        &[
            "At the horizon".to_string(),
            money(c.mean),
            money(c.p05),
            money(c.p50),
            money(c.p95),
        ],
    );
    end_table(h);
    head(h, &["At the horizon", "Stage 1", "Stage 2", "Stage 3"]);
    row(
        h,
        &[
            "Share of the balance (mean)".to_string(),
            percent(p.closing_stage_share[0], 2),
            percent(p.closing_stage_share[1], 2),
            percent(p.closing_stage_share[2], 2),
        ],
    );
    row(
        h,
        &[
            "Accounts (mean)".to_string(),
            number(p.closing_stage_accounts[0], 0),
            number(p.closing_stage_accounts[1], 0),
            number(p.closing_stage_accounts[2], 0),
        ],
    );
    end_table(h);
    let _ = writeln!(
        h,
        "<p class=\"note\">Coverage at the horizon (mean allowance / mean balance on the book): {}. The \
         month-by-month allowance and stage shares are in timeseries.csv (<code>allowance</code>, \
         <code>stage2_balance_share</code>, <code>stage3_balance_share</code>) and drawn under \
         <a href=\"#plot-provisions_capital\">Plots</a>.</p>",
        percent(p.closing_coverage, 2)
    );
}

/// The book's RWA and capital requirement month by month (`[economics]` with `[segments.capital]`).
fn capital_over_time(h: &mut String, c: &crate::stats::economics::CapitalPathSummary) {
    let _ = writeln!(
        h,
        "<h3>Capital over the horizon (Basel IRB)</h3>\n<p>{}</p>",
        escape(&c.basis)
    );
    head(h, &["Yuan", "Mean", "5th percentile", "Median", "95th percentile"]);
    for (label, b) in [
        ("RWA at the horizon", &c.closing_rwa),
        ("Capital requirement at the horizon", &c.closing_capital_requirement),
        ("Highest month-end capital requirement", &c.peak_capital_requirement),
    ] {
        row(
            h,
            &[
                label.to_string(),
                money(b.mean),
                money(b.p05),
                money(b.p50),
                money(b.p95),
            ],
        );
    }
    let a = &c.average_capital_requirement;
    row(
        h,
        &[
            "Capital requirement averaged over the month ends".to_string(),
            money(a.mean),
            String::new(),
            String::new(),
            String::new(),
        ],
    );
    end_table(h);
    let _ = writeln!(
        h,
        "<p class=\"note\">Mean net income over the horizon / the mean averaged capital requirement \
         (over the whole horizon, not annualised): {}. Month by month in timeseries.csv (<code>rwa</code>, \
         <code>capital_requirement</code>) and under <a href=\"#plot-provisions_capital\">Plots</a>.</p>",
        c.return_on_average_capital.map_or("–".to_string(), |r| percent(r, 2))
    );
}

/// Regulatory and economic capital (nothing without `[segments.capital]`).
pub(super) fn capital(h: &mut String, input: &ReportInput) {
    let Some(c) = &input.summary.capital else {
        return;
    };
    let _ = writeln!(h, "<h2 id=\"capital\">Capital</h2>");
    let _ = writeln!(
        h,
        "<p>Basel IRB capital of the book at the start of the run, per segment: K = LGD · N[(G(PD) + √R · \
         G(0.999)) / √(1 − R)] − PD · LGD (times the maturity adjustment for corporates), risk weight 12.5 K, \
         RWA = RW · EAD. The formulas reproduce the Basel II Annex 5 illustrative risk weights to their \
         published hundredth of a point (<code>creditstress check</code>).</p>"
    );
    head(
        h,
        &[
            "Segment",
            "Asset class",
            "EAD (yuan)",
            "One-year PD",
            "LGD",
            "Correlation",
            "Risk weight",
            "RWA (yuan)",
            "Capital requirement (yuan)",
        ],
    );
    for (name, seg) in &c.segments {
        row(
            h,
            &[
                escape(name),
                escape(&seg.asset_class),
                money(seg.ead),
                percent(seg.pd, PCT_DECIMALS),
                percent(seg.lgd, 1),
                number(seg.correlation, 4),
                percent(seg.risk_weight, 1),
                money(seg.rwa),
                money(seg.capital_requirement),
            ],
        );
    }
    row(
        h,
        &[
            "All".to_string(),
            String::new(),
            money(c.total.ead),
            String::new(),
            String::new(),
            String::new(),
            percent(
                if c.total.ead > 0.0 {
                    c.total.rwa / c.total.ead
                } else {
                    0.0
                },
                1,
            ),
            money(c.total.rwa),
            money(c.total.capital_requirement),
        ],
    );
    end_table(h);
    head(
        h,
        &[
            "Level",
            "Economic capital VaR − EL (yuan)",
            "Economic capital ES − EL (yuan)",
            "Net income / (ES − EL)",
        ],
    );
    for &q in input.risk_levels() {
        if let Some(e) = c.economic.get(&level_key(q)) {
            row(
                h,
                &[
                    level(q),
                    money(e.var_minus_el),
                    money(e.es_minus_el),
                    e.return_on_es_capital.map_or("–".to_string(), |r| percent(r, 2)),
                ],
            );
        }
    }
    end_table(h);
    let _ = writeln!(
        h,
        "<p class=\"note\">{} Mean net income over the horizon / IRB capital requirement: {}.</p>",
        escape(&c.basis),
        c.return_on_regulatory_capital
            .map_or("–".to_string(), |r| percent(r, 2))
    );
}

/// Loans priced above the rate lines.
pub(super) fn rate_lines(h: &mut String, input: &ReportInput) {
    let Some(r) = &input.summary.rate_lines else {
        return;
    };
    let _ = writeln!(h, "<h2 id=\"rate-lines\">Pricing against rate lines</h2>");
    head(
        h,
        &[
            "Annual rate line",
            "Loans above",
            "Share of loans",
            "Balance above (yuan)",
            "Share of balance",
        ],
    );
    for l in &r.lines {
        row(
            h,
            &[
                percent(l.apr, 1),
                count(l.loans_above),
                percent(l.share_of_loans, 2),
                money(l.balance_above),
                percent(l.share_of_balance, 2),
            ],
        );
    }
    end_table(h);
    let _ = writeln!(
        h,
        "<p class=\"note\">{}. The highest annual rate in the book is {}. To cap the pricing at a line, add an \
         <code>[[events]]</code> <code>rate_cap</code> from month 1 and compare the runs on the same seed.</p>",
        escape(&r.basis),
        percent(r.highest_apr, 2)
    );
}

/// The importance-sampling diagnostics (nothing for plain sampling).
pub(super) fn sampling(h: &mut String, input: &ReportInput) {
    let Some(x) = &input.summary.sampling else {
        return;
    };
    let _ = writeln!(h, "<h2 id=\"sampling\">Sampling</h2>");
    let _ = writeln!(
        h,
        "<p>Importance sampling of the systematic factor: a pilot of {} plain paths found the direction in \
         which the factor's innovations move the loss most ({} of the pilot's loss variance lies along it), \
         and {} of the {} paths had their innovations shifted {} standard deviations that way (aimed at the \
         {} tail); the other {} were drawn from the model's own law, which bounds every weight by {}. Regimes \
         and shocks keep their own law. Each path is weighted by its likelihood ratio.</p>",
        count(x.pilot.pilot_paths),
        percent(x.pilot.explained_share, 1),
        count(x.shifted_paths),
        count(input.summary.paths),
        number(x.pilot.shift_norm, 2),
        level(x.pilot.level),
        count(input.summary.paths.saturating_sub(x.shifted_paths)),
        if x.pilot.plain_share > 0.0 {
            number(1.0 / x.pilot.plain_share, 1)
        } else {
            "nothing".to_string()
        },
    );
    head(h, &["Diagnostic", "Value", "Reads as"]);
    row(
        h,
        &[
            "Effective sample size".to_string(),
            count(x.effective_sample_size.round() as u64),
            "(Σw)² / Σw²: the plain paths a figure that ignores the tail would be worth".to_string(),
        ],
    );
    row(
        h,
        &[
            "Largest weight share".to_string(),
            percent(x.largest_weight_share, 3),
            "near 0 is healthy; a large share means the figures rest on one path".to_string(),
        ],
    );
    row(
        h,
        &[
            "Mean weight".to_string(),
            number(x.mean_weight, 4),
            "1 in expectation; far from 1, the weights are unreliable".to_string(),
        ],
    );
    end_table(h);
    head(h, &["Figure", "Variance reduction (plain paths each path is worth)"]);
    row(h, &["EL".to_string(), number(x.variance_reduction_el, 2)]);
    for &q in input.risk_levels() {
        if let Some(r) = x.variance_reduction.get(&level_key(q)) {
            row(h, &[format!("VaR {}", level(q)), number(r.var, 1)]);
            row(h, &[format!("ES {}", level(q)), number(r.es, 1)]);
        }
    }
    end_table(h);
    let _ = writeln!(
        h,
        "<p class=\"note\">Variance reduction: the variance one plain path would give a figure over the \
         variance one weighted path gives it, both estimated from this run (the figure's influence function \
         under the weights); below 1 the figure is less precise than under plain sampling with the same \
         paths (EL usually is: the shift sends paths away from where most of the loss is).</p>"
    );
}

pub(super) fn segments(h: &mut String, input: &ReportInput) {
    let s = &input.summary;
    let levels = input.risk_levels();
    let _ = writeln!(h, "<h2 id=\"segments\">Segments</h2>");
    let going_concern = s.originations.is_some();
    let mut cols: Vec<String> = [
        "Segment",
        if going_concern {
            "Loans booked (mean per path)"
        } else {
            "Loans"
        },
        if going_concern {
            "Exposure booked (yuan, mean per path)"
        } else {
            "Exposure (yuan)"
        },
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
        let (loans, exposure) = match x.booked {
            Some(b) => (count(b.loans.round() as u64), money(b.exposure)),
            None => (count(x.loans), money(x.exposure)),
        };
        let mut cells = vec![
            escape(name),
            loans,
            exposure,
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
    head(
        h,
        &[
            "Score band",
            if going_concern {
                "Loans booked (mean per path)"
            } else {
                "Loans"
            },
            "Default rate",
        ],
    );
    for b in &s.score_bands {
        let loans = b.booked_loans.map_or(b.loans as f64, |n| n);
        row(
            h,
            &[
                escape(&b.band),
                count(loans.round() as u64),
                if loans > 0.0 {
                    percent(b.default_rate, PCT_DECIMALS)
                } else {
                    "–".to_string()
                },
            ],
        );
    }
    end_table(h);
}

/// The roll-rate table of the delinquency buckets (runs with buckets only).
pub(super) fn roll_rates(h: &mut String, input: &ReportInput) {
    let Some(r) = &input.summary.roll_rates else {
        return;
    };
    let _ = writeln!(h, "<h2 id=\"roll-rates\">Roll rates</h2>");
    let _ = writeln!(
        h,
        "<p class=\"note\">Where the account-months that began in each delinquency bucket ended a month later, \
         pooled over the horizon and the paths, with 95% intervals (delta method over paths). Per path, \
         {} current accounts missed a payment and became 30 days past due (failed debits and fraud included; \
         missed payments that took a forbearance plan are not), and {} were charged off from 90+ days past due.</p>",
        number(r.entered, 1),
        number(r.charged_off_through_buckets, 1)
    );
    head(
        h,
        &[
            "From",
            "Account-months (mean per path)",
            "Cured (to current)",
            "Stayed",
            "Rolled on",
            "Rolls to",
        ],
    );
    let rate = |e: &crate::stats::compare::Estimate| {
        format!(
            "{} <span class=\"meta\">[{}, {}]</span>",
            percent(e.value, 2),
            percent(e.ci[0], 2),
            percent(e.ci[1], 2)
        )
    };
    for b in &r.buckets {
        row(
            h,
            &[
                escape(&b.bucket),
                number(b.account_months, 1),
                rate(&b.cure_rate),
                rate(&b.stay_rate),
                rate(&b.roll_rate),
                escape(&b.rolls_to),
            ],
        );
    }
    end_table(h);
}

/// Euler contributions at the highest risk level: segments, score bands, products.
pub(super) fn contributions(h: &mut String, input: &ReportInput) {
    let s = &input.summary;
    // The highest level whose tail has enough paths to read; else the lowest.
    let levels = input.risk_levels();
    // Under importance sampling the tail's effective paths count, not its path units.
    let readable = levels.iter().rev().find(|&&q| {
        let key = level_key(q);
        match s.loss.tail_effective_paths.get(&key) {
            Some(&effective) => effective >= crate::stats::risk::FEW_TAIL_PATHS as f64,
            None => s
                .contributions
                .get(&key)
                .is_some_and(|c| c.portfolio.tail_paths >= crate::stats::risk::FEW_TAIL_PATHS as f64 - 1e-9),
        }
    });
    let Some(&q) = readable.or(levels.first()) else {
        return;
    };
    let Some(all) = s.contributions.get(&level_key(q)) else {
        return;
    };
    let c = &all.portfolio;
    let key = level_key(q);
    let tail = match s.loss.tail_effective_paths.get(&key) {
        Some(effective) => format!(
            "{} tail paths (weighted; {} effective)",
            count(s.loss.tail_paths.get(&key).copied().unwrap_or(0)),
            number(*effective, 0)
        ),
        None => format!("{} tail paths", number(c.tail_paths.round(), 0)),
    };
    let _ = writeln!(
        h,
        "<h2 id=\"contributions\">Risk contributions at {}</h2>\n<p class=\"note\">The highest risk level with at \
         least 50 tail paths. Euler contributions: \
         the ES contribution of a part is its mean loss on the {} the ES averages (so the parts \
         add up to ES {}); the VaR contribution its mean loss on paths near VaR {}, by a Gaussian kernel \
         (bandwidth {}, {} effective paths; the parts add up to {}, the kernel mean of the loss near VaR). \
         Intervals 95%: ES asymptotic, VaR from the kernel's effective paths (sampling error only, not the \
         smoothing bias). Every level is in summary.json, <code>contributions</code>.</p>",
        level(q),
        tail,
        money(c.es),
        money(c.var),
        money(c.kernel_bandwidth),
        number(c.kernel_effective_paths, 0),
        money(c.var_contributions_sum)
    );
    let bound = |b: Option<f64>| b.map_or("n/a".to_string(), money);
    for (title, parts) in [
        ("Segment", &all.segments),
        ("Score band", &all.score_bands),
        ("Product", &all.products),
    ] {
        head(
            h,
            &[
                title,
                "VaR contribution (yuan)",
                "95% interval",
                "ES contribution (yuan)",
                "95% interval",
                "Share of ES",
            ],
        );
        for p in parts {
            let x = &p.contribution;
            row(
                h,
                &[
                    escape(&p.name),
                    money(x.var),
                    format!("{} – {}", bound(x.var_ci[0]), bound(x.var_ci[1])),
                    money(x.es),
                    format!("{} – {}", bound(x.es_ci[0]), bound(x.es_ci[1])),
                    if c.es > 0.0 {
                        percent(x.es / c.es, 1)
                    } else {
                        "–".to_string()
                    },
                ],
            );
        }
        end_table(h);
    }
}

pub(super) fn scenario(h: &mut String, input: &ReportInput) {
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
            "{} loans in {} segment{}, initial exposure {} yuan{}",
            count(s.loans),
            f.segments.len(),
            if f.segments.len() == 1 { "" } else { "s" },
            money(s.exposure),
            f.book.as_ref().map_or(String::new(), |b| format!(
                "; loans imported from {} (see Reproduce)",
                b.file
            ))
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
    if let Some(link) = &m.link {
        let variables: Vec<String> = link
            .variables
            .iter()
            .map(|(name, v)| {
                format!(
                    "{} (coefficient {}, baseline {})",
                    escape(name),
                    v.coefficient,
                    v.baseline
                )
            })
            .collect();
        let factors = if link.factors.is_empty() {
            "every factor".to_string()
        } else {
            escape(&link.factors.join(", "))
        };
        item(
            "Macro link",
            format!(
                "{} ({}), added to {factors}: {}",
                escape(&link.file),
                match (link.frequency, link.interpolation) {
                    (Frequency::Monthly, _) => "monthly",
                    (Frequency::Quarterly, Interpolation::Linear) => "quarterly, linear between quarter midpoints",
                    (Frequency::Quarterly, Interpolation::Step) => "quarterly, each month its quarter's value",
                },
                variables.join("; ")
            ),
        );
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
                "30/60/90+ days-past-due buckets, roll rates {:?}, cure rates {:?} (segments may override them), {}",
                d.roll_rates,
                d.cure_rates,
                d.describe_recovery()
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

pub(super) fn reproduce(h: &mut String, input: &ReportInput) {
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
    for d in &mf.data_files {
        let _ = writeln!(
            h,
            "<dt>Data file</dt><dd><code>{}</code> (SHA-256 <code>{}</code>), relative to the scenario's folder</dd>",
            escape(&d.path),
            escape(&d.sha256)
        );
    }
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

/// The going-concern book: what was booked during the run, and each
/// vintage at the last month on book all its loans reached.
pub(super) fn going_concern(h: &mut String, input: &ReportInput) {
    let Some(o) = &input.summary.originations else {
        return;
    };
    let _ = writeln!(h, "<h2 id=\"going-concern\">Going-concern book</h2>");
    let _ = writeln!(
        h,
        "<p>Besides the opening book ({} loans, {} yuan), each path booked on average {} loans and {} yuan \
         during the run, from {} applications (approval rate {}, pooled over paths). Every rate in this report \
         is of what was booked: the exposure of the loss rate is the opening book's plus the balance booked on \
         the path, {} yuan on average.</p>",
        count(input.summary.loans),
        money(input.summary.exposure),
        count(o.booked_loans.mean.round() as u64),
        money(o.booked_balance.mean),
        count(o.applications.mean.round() as u64),
        percent(o.approval_rate, 1),
        money(o.exposure.mean)
    );
    head(
        h,
        &[
            "Vintage",
            "Loans booked (mean)",
            "Balance booked (yuan, mean)",
            "Months on book",
            "Cumulative default rate (median; 5–95%)",
            "Loss rate of balance booked (median; 5–95%)",
        ],
    );
    let band = |b: &crate::stats::Band| {
        format!(
            "{}<br><small>{} – {}</small>",
            percent(b.p50, 2),
            percent(b.p05, 1),
            percent(b.p95, 1)
        )
    };
    // The last point of each vintage: the months on book all its loans reached.
    let mut last: Vec<&crate::stats::vintages::VintagePoint> = Vec::new();
    for p in &input.vintages {
        match last.last_mut() {
            Some(l) if l.vintage == p.vintage => *l = p,
            _ => last.push(p),
        }
    }
    for p in last {
        row(
            h,
            &[
                if p.vintage == "opening" {
                    "opening book".to_string()
                } else {
                    format!("booked in {}", escape(&p.vintage))
                },
                count(p.loans.round() as u64),
                money(p.booked_balance),
                p.months_on_book.to_string(),
                band(&p.cumulative_default_rate),
                band(&p.cumulative_loss_rate),
            ],
        );
    }
    end_table(h);
    let _ = writeln!(
        h,
        "<p class=\"note\">vintages.csv has every vintage at every month on book, with the mean and the \
         5th/25th/50th/75th/95th percentiles across paths; timeseries.csv the applications, bookings, \
         accounts and balance on the book month by month.</p>"
    );
}

/// Path-level events: how often each happened, when, and the mean loss of
/// the paths with and without it.
pub(super) fn events(h: &mut String, input: &ReportInput) {
    let s = &input.summary;
    if s.events.is_empty() {
        return;
    }
    let _ = writeln!(h, "<h2 id=\"events\">Events</h2>");
    let _ = writeln!(
        h,
        "<p>Each path draws whether and when each event happens (paths.csv has the month, empty when it did \
         not). The losses with and without an event are means over different paths: an event likelier in a \
         downturn also marks the worse paths, so the gap is not its effect; for that, run the scenario with \
         and without it on the same seed (common random numbers).</p>"
    );
    head(
        h,
        &[
            "Event",
            "Paths with it",
            "Mean start month",
            "Mean loss with it (yuan)",
            "Mean loss without it (yuan)",
        ],
    );
    let dash = |v: Option<String>| v.unwrap_or_else(|| "–".to_string());
    for e in &s.events {
        row(
            h,
            &[
                escape(&e.name),
                format!("{} ({})", count(e.paths), percent(e.share, 1)),
                dash(e.mean_month.map(|m| number(m, 1))),
                dash(e.loss_with.map(money)),
                dash(e.loss_without.map(money)),
            ],
        );
    }
    end_table(h);
}

/// The scenario's `[policy]`: its levers as resolved (every default filled
/// in) and what they did, mean per path. Absent without a policy.
pub(super) fn policy(h: &mut String, input: &ReportInput) {
    let Some(p) = input.manifest.scenario.policy.as_ref() else {
        return;
    };
    let levers: Vec<(&str, Option<String>)> = vec![
        ("Approval", p.approval.as_ref().map(inline_toml)),
        ("Limits", p.limits.as_ref().map(inline_toml)),
        ("Pricing", p.pricing.as_ref().map(inline_toml)),
        ("Early warning", p.early_warning.as_ref().map(inline_toml)),
        ("Limit increases", p.limit_increase.as_ref().map(inline_toml)),
        ("Forbearance", p.forbearance.as_ref().map(inline_toml)),
        ("Collections", p.collections.as_ref().map(inline_toml)),
    ];
    let name = if p.name.is_empty() { "policy" } else { p.name.as_str() };
    let _ = writeln!(h, "<h2 id=\"policy\">Policy: {}</h2>", escape(name));
    if !p.description.trim().is_empty() {
        let _ = writeln!(h, "<p>{}</p>", escape(p.description.trim()));
    }
    let _ = writeln!(
        h,
        "<p class=\"note\">The levers in effect, as the run resolved them (defaults filled in):</p>\n<dl>"
    );
    let mut any = false;
    for (label, spec) in &levers {
        if let Some(spec) = spec {
            any = true;
            let _ = writeln!(h, "<dt>{label}</dt><dd><code>{}</code></dd>", escape(spec));
        }
    }
    if !any {
        let _ = writeln!(h, "<dt>Levers</dt><dd>none: the policy only names the run</dd>");
    }
    let _ = writeln!(h, "</dl>");
    let e = &input.summary.policy;
    head(h, &["What the levers did (mean per path)", "Value"]);
    row(
        h,
        &[
            "Collection cost (yuan; subtracted in net income)".to_string(),
            money(e.collection_cost.mean),
        ],
    );
    row(
        h,
        &["Forbearance plans taken up".to_string(), number(e.forbearance_plans, 1)],
    );
    row(
        h,
        &[
            "Undrawn limit removed by early warning and plans (yuan)".to_string(),
            money(e.limit_cut),
        ],
    );
    row(
        h,
        &[
            "Limit added by limit increases (yuan)".to_string(),
            money(e.limit_raised),
        ],
    );
    row(
        h,
        &[
            "Penalty interest collected (yuan; part of interest income)".to_string(),
            money(e.penalty_interest),
        ],
    );
    let f = &input.manifest.scenario;
    if let (Some(cutoff), None, None) = (
        p.approval.as_ref(),
        f.book.as_ref(),
        input.summary.originations.as_ref(),
    ) {
        // A static synthetic book: every segment's applicants were scored, those below the cutoff declined.
        let applicants: u64 = f.segments.iter().map(|s| s.loans).sum();
        let booked = input.summary.loans;
        if applicants >= booked && applicants > 0 {
            let declined = applicants - booked;
            row(
                h,
                &[
                    format!("Applicants declined by the cutoff ({})", escape(&inline_toml(cutoff))),
                    format!(
                        "{} of {} ({})",
                        count(declined),
                        count(applicants),
                        percent(declined as f64 / applicants as f64, 1)
                    ),
                ],
            );
        }
    }
    end_table(h);
    if input.summary.originations.is_some() && p.approval.is_some() {
        let _ = writeln!(
            h,
            "<p class=\"note\">Applications, approvals and the approval rate of the new lending are in the \
             going-concern section.</p>"
        );
    }
}

/// A policy table as one line of TOML: `min_score = 560, ...`.
fn inline_toml<T: serde::Serialize>(spec: &T) -> String {
    match toml::to_string(spec) {
        Ok(text) => text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(", "),
        Err(e) => format!("(cannot be shown: {e})"),
    }
}

/// The scenario's inputs and assumptions, as `creditstress validate` prints
/// them (summary.json `inputs`; nothing for the summary of an older run,
/// which lacks them): one statement a row, details indented under it, and
/// the segment and macro-link tables in place.
pub(super) fn inputs(h: &mut String, input: &ReportInput) {
    use crate::describe::InputItem;
    let Some(inputs) = &input.summary.inputs else {
        return;
    };
    let _ = writeln!(h, "<h2 id=\"inputs\">Inputs and assumptions</h2>");
    let _ = writeln!(
        h,
        "<p class=\"note\">What <code>creditstress validate</code> prints about this scenario and the book it \
         drew: the run, the segments (PD model, rho, LGD), the macro model, the dynamics, what a PD means, \
         and the policy.</p>"
    );
    h.push_str("<div class=\"table-wrap\"><table class=\"inputs\">\n<tbody>\n");
    for item in &inputs.items {
        match item {
            InputItem::Line { depth, label, text } => {
                let class = format!(" class=\"depth{}\"", (*depth).min(2));
                if label.is_empty() {
                    let _ = writeln!(h, "<tr><td colspan=\"2\"{class}>{}</td></tr>", escape(text));
                } else {
                    let _ = writeln!(
                        h,
                        "<tr><th scope=\"row\"{class}>{}</th><td class=\"text\">{}</td></tr>",
                        escape(label),
                        escape(text)
                    );
                }
            }
            InputItem::Table { depth, rows } => {
                let _ = writeln!(
                    h,
                    "<tr><td colspan=\"2\" class=\"depth{}\"><table class=\"inner\">",
                    (*depth).min(2)
                );
                for (r, cells) in rows.iter().enumerate() {
                    let tag = if r == 0 { "th scope=\"col\"" } else { "td" };
                    let close = if r == 0 { "th" } else { "td" };
                    h.push_str("<tr>");
                    for c in cells {
                        let _ = write!(h, "<{tag}>{}</{close}>", escape(c));
                    }
                    h.push_str("</tr>\n");
                }
                h.push_str("</table></td></tr>\n");
            }
            InputItem::Break => {}
        }
    }
    end_table(h);
}
