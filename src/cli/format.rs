//! Terminal formatting: aligned tables and human-readable money.

use std::fmt::Write;

use creditstress::scenario::Scenario;
use creditstress::stats::RunSummary;

pub use creditstress::describe::text::{decimal, money, percent, table};

/// The compact summary printed at the end of `run`.
/// What importance sampling did, in one sentence: the shift, the weights'
/// health and the precision bought at the highest level.
pub fn sampling_line(x: &creditstress::stats::sampling::SamplingSummary, levels: &[f64]) -> String {
    let top = levels.last().copied().unwrap_or(0.99);
    let reduction = x.variance_reduction.get(&creditstress::stats::risk::level_key(top));
    format!(
        "sampling: importance, factor shifted {:.2} sd towards the loss tail on {} paths ({} of the pilot's loss variance \
         along the shift); effective sample size {}, largest weight {} of the total; each path is worth {} plain \
         paths for VaR {}, {} for ES, {:.2} for EL",
        x.pilot.shift_norm,
        creditstress::report::plots::format::count(x.shifted_paths),
        percent(x.pilot.explained_share),
        creditstress::report::plots::format::count(x.effective_sample_size.round() as u64),
        percent(x.largest_weight_share),
        reduction.map_or("n/a".to_string(), |r| format!("{:.1}", r.var)),
        percent_level(top),
        reduction.map_or("n/a".to_string(), |r| format!("{:.1}", r.es)),
        x.variance_reduction_el,
    )
}

pub fn summary_table(s: &RunSummary, scenario: &Scenario) -> String {
    let mut rows = vec![vec!["".to_string(), "loss".into(), "loss rate".into(), "95% CI".into()]];
    rows.push(vec![
        "EL (mean)".into(),
        money(s.loss.mean),
        percent(s.loss_rate.mean),
        format!("+-{}", money(1.96 * s.loss.stderr)),
    ]);
    rows.push(vec![
        "std".into(),
        money(s.loss.std),
        percent(s.loss_rate.std),
        String::new(),
    ]);
    for &q in &scenario.risk_levels {
        let k = creditstress::stats::risk::level_key(q);
        let needs = match s.loss.var_ci_needs_paths.get(&k) {
            Some(n) => format!("needs >= {n} paths"),
            None => "beyond the weighted sample".to_string(),
        };
        let bounds = |ci: [Option<f64>; 2]| match ci {
            [Some(lo), Some(hi)] => format!("[{}, {}]", money(lo), money(hi)),
            [lo, hi] => format!(
                "[{}, {}] n/a: {needs}",
                lo.map_or("n/a".to_string(), money),
                hi.map_or("n/a".to_string(), money),
            ),
        };
        rows.push(vec![
            format!("VaR {}", percent_level(q)),
            money(s.loss.var[&k]),
            percent(s.loss_rate.var[&k]),
            bounds(s.loss.var_ci[&k]),
        ]);
        rows.push(vec![
            format!("ES {}", percent_level(q)),
            money(s.loss.es[&k]),
            percent(s.loss_rate.es[&k]),
            s.loss.es_ci[&k].map_or("n/a: fewer than 2 tail paths".to_string(), |[lo, hi]| {
                format!("[{}, {}]", money(lo), money(hi))
            }),
        ]);
        rows.push(vec![
            format!("UL {}", percent_level(q)),
            money(s.loss.ul[&k]),
            percent(s.loss_rate.ul[&k]),
            bounds(s.loss.ul_ci[&k]),
        ]);
    }
    let mut out = format!(
        "{}: {} loans, exposure {}, {} month{}, {} paths, seed {}\n",
        s.scenario,
        creditstress::report::plots::format::count(s.loans),
        money(s.exposure),
        s.horizon_months,
        if s.horizon_months == 1 { "" } else { "s" },
        creditstress::report::plots::format::count(s.paths),
        s.seed
    );
    if let Some(o) = &s.originations {
        let _ = writeln!(
            out,
            "going concern: {} loans ({} balance) booked during the run on average, approval {} of {} applications; \
             rates are of the exposure booked, {} on average",
            creditstress::report::plots::format::count(o.booked_loans.mean.round() as u64),
            money(o.booked_balance.mean),
            percent(o.approval_rate),
            creditstress::report::plots::format::count(o.applications.mean.round() as u64),
            money(o.exposure.mean)
        );
    }
    out.push('\n');
    out.push_str(&table(&rows));
    out.push('\n');
    let row =
        |label: &str, m: &creditstress::stats::risk::Moments| vec![label.to_string(), money(m.mean), money(m.std)];
    let mut income = vec![
        vec!["".to_string(), "mean".into(), "std".into()],
        vec![
            "default rate".into(),
            percent(s.default_rate.mean),
            percent(s.default_rate.std),
        ],
        row("fraud loss (in loss)", &s.fraud_loss),
        row("economic loss (recoveries discounted)", &s.economic_loss),
        row("recoveries received", &s.recoveries),
        row("recoveries after horizon", &s.recoveries_after_horizon),
        vec![
            "interest income".into(),
            money(s.interest_income.mean),
            money(s.interest_income.std),
        ],
        vec![
            "net income (interest - loss - collection, recovery cost)".into(),
            money(s.net_income.mean),
            money(s.net_income.std),
        ],
    ];
    if let Some(e) = &s.economics {
        income.push(vec![
            "P&L net income ([economics])".into(),
            money(e.net_income.mean),
            money(e.net_income.std),
        ]);
    }
    out.push_str(&table(&income));
    out.push('\n');
    let going_concern = s.originations.is_some();
    let mut seg_rows = vec![vec![
        "segment".to_string(),
        if going_concern { "loans booked (mean)" } else { "loans" }.into(),
        if going_concern {
            "exposure booked (mean)"
        } else {
            "exposure"
        }
        .into(),
        "EL".into(),
        "EL rate".into(),
        "default rate".into(),
    ]];
    for seg in &scenario.segments {
        let x = &s.segments[&seg.name];
        let (loans, exposure) = match x.booked {
            Some(b) => (
                creditstress::report::plots::format::count(b.loans.round() as u64),
                money(b.exposure),
            ),
            None => (creditstress::report::plots::format::count(x.loans), money(x.exposure)),
        };
        seg_rows.push(vec![
            seg.name.clone(),
            loans,
            exposure,
            money(x.loss.mean),
            percent(x.loss_rate.mean),
            percent(x.default_rate.mean),
        ]);
    }
    out.push_str(&table(&seg_rows));
    if !s.events.is_empty() {
        let mut rows = vec![vec![
            "event".to_string(),
            "share of paths".into(),
            "mean month".into(),
            "mean loss with".into(),
            "without".into(),
        ]];
        for e in &s.events {
            let or_dash = |v: Option<f64>, f: &dyn Fn(f64) -> String| v.map_or("-".to_string(), f);
            rows.push(vec![
                e.name.clone(),
                percent(e.share),
                or_dash(e.mean_month, &|m| format!("{m:.1}")),
                or_dash(e.loss_with, &money),
                or_dash(e.loss_without, &money),
            ]);
        }
        out.push('\n');
        out.push_str(&table(&rows));
    }
    for w in &s.warnings {
        let _ = write!(out, "\nwarning: {w}");
    }
    if let Some(x) = &s.sampling {
        let _ = write!(out, "\n{}", sampling_line(x, &scenario.risk_levels));
    }
    if let Some(r) = &s.rate_lines {
        let lines: Vec<String> = r
            .lines
            .iter()
            .map(|l| {
                format!(
                    "{} loans above {} ({} of loans, {} of balance)",
                    creditstress::report::plots::format::count(l.loans_above),
                    percent_level(l.apr),
                    percent(l.share_of_loans),
                    percent(l.share_of_balance)
                )
            })
            .collect();
        let measure = if r.origination_fee_share > 0.0 {
            format!(
                "annual IRR at booking, {} origination fee included",
                percent(r.origination_fee_share)
            )
        } else {
            "annual rate at booking".to_string()
        };
        let _ = write!(
            out,
            "\nrate lines ({measure}): {}; highest {}",
            lines.join(", "),
            percent(r.highest_apr)
        );
    }
    if let Some(c) = &s.capital {
        let top = scenario
            .risk_levels
            .last()
            .map(|&q| creditstress::stats::risk::level_key(q));
        let economic = top.as_ref().and_then(|k| c.economic.get(k).map(|e| (k, e)));
        let _ = write!(
            out,
            "\ncapital: Basel IRB at the start, RWA {} on EAD {} ({} risk weight), requirement {}; \
             net income / requirement {}{}",
            money(c.total.rwa),
            money(c.total.ead),
            percent(if c.total.ead > 0.0 {
                c.total.rwa / c.total.ead
            } else {
                0.0
            }),
            money(c.total.capital_requirement),
            c.return_on_regulatory_capital.map_or("n/a".to_string(), percent),
            economic.map_or(String::new(), |(k, e)| format!(
                "; economic capital over the horizon ES {}% - EL {}",
                k.parse::<f64>().map_or(k.clone(), |q| format!("{}", q * 100.0)),
                money(e.es_minus_el)
            )),
        );
    }
    if let Some(p) = &s.precision {
        let t = &p.target;
        let measure = match t.measure {
            creditstress::stats::precision::Measure::El => "EL".to_string(),
            creditstress::stats::precision::Measure::Var => format!("VaR {}", percent_level(t.level)),
            creditstress::stats::precision::Measure::Es => format!("ES {}", percent_level(t.level)),
        };
        let reached = p
            .reached
            .map_or("no interval yet".to_string(), |r| format!("+-{}", percent(r)));
        let _ = write!(
            out,
            "\nprecision: {measure} to {reached} of its value after {} paths, target +-{}: {}",
            p.paths,
            percent(t.relative_half_width),
            p.stopped
        );
    }
    let _ = write!(
        out,
        "\n{} loan-months in {:.2} s on {} thread{} ({:.1} M loan-months/s)",
        creditstress::report::plots::format::count(s.loan_months),
        s.elapsed_seconds,
        s.threads,
        if s.threads == 1 { "" } else { "s" },
        s.loan_months_per_second / 1e6
    );
    out
}

/// A risk level in percent, e.g. `99.9%`.
pub fn percent_level(q: f64) -> String {
    format!("{}%", (q * 1000.0).round() / 10.0)
}

/// A risk level's key in the outputs (`0.999`) in percent (`99.9%`); a key that is not a number as it is.
pub fn percent_level_key(key: &str) -> String {
    key.parse::<f64>().map_or(key.to_string(), percent_level)
}
