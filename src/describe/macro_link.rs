//! The description of `[macro.link]`: the variables, what they add to the
//! factors in the first periods, and where the table ends (under `Macro`).

use super::Inputs;
use crate::scenario::{Frequency, Interpolation, MacroLink};

/// Periods shown in the contribution table: enough for a supervisory
/// horizon's first years without flooding the terminal.
const SHOWN_PERIODS: usize = 12;

/// The link in words and two short tables, under `Macro`.
pub(super) fn describe(out: &mut Inputs, link: &MacroLink, factor_names: &[String], horizon: usize) {
    let driven: Vec<&str> = factor_names
        .iter()
        .zip(&link.drives_factor)
        .filter(|(_, d)| **d)
        .map(|(n, _)| n.as_str())
        .collect();
    let rule = match (link.frequency, link.interpolation) {
        (Frequency::Monthly, _) => "monthly",
        (Frequency::Quarterly, Interpolation::Linear) => "quarterly, linear between quarter midpoints",
        (Frequency::Quarterly, Interpolation::Step) => "quarterly, each month its quarter's value",
    };
    out.line(
        1,
        format!("link from {} ({rule}) to {}", link.file, driven.join(", ")),
        "adds sum_j coefficient_j (x_j(t) - baseline_j) to the deterministic path",
    );
    let mut rows = vec![vec!["variable".to_string(), "coefficient".into(), "baseline".into()]];
    for term in &link.terms {
        rows.push(vec![
            term.name.clone(),
            term.coefficient.to_string(),
            term.baseline.to_string(),
        ]);
    }
    out.table(2, rows);

    let per = link.frequency.months();
    let period = link.frequency.period_name();
    let in_horizon = horizon.div_ceil(per);
    let shown = in_horizon.min(SHOWN_PERIODS);
    let mut header = vec![period.to_string(), "months".into()];
    header.extend(link.terms.iter().map(|t| t.name.clone()));
    header.push("factor contribution".into());
    let mut rows = vec![header];
    for p in 0..shown {
        let first = p * per;
        let last = ((p + 1) * per).min(horizon);
        let months = if last - first == 1 {
            format!("{}", first + 1)
        } else {
            format!("{}-{}", first + 1, last)
        };
        let mut row = vec![format!("{}", p + 1), months];
        // The table's value of the period (the last one carried forward).
        row.extend(link.terms.iter().map(|t| {
            let v = t.table_values[p.min(t.table_values.len() - 1)];
            v.to_string()
        }));
        let contribution: Vec<String> = link.contribution[first..last]
            .iter()
            .map(|c| format!("{c:+.3}"))
            .collect();
        row.push(contribution.join(" "));
        rows.push(row);
    }
    out.table(2, rows);
    if shown < in_horizon {
        out.line(
            2,
            "",
            format!(
                "(first {shown} of the {in_horizon} {period}s in the horizon; `creditstress run` plots the whole factor path)"
            ),
        );
    }
    let table_months = link.table_months();
    if horizon > table_months {
        out.line(
            2,
            "",
            format!(
                "the table ends with {period} {} (month {table_months}); months {}-{horizon} carry its last values forward",
                link.table_periods,
                table_months + 1
            ),
        );
    } else if horizon < table_months {
        out.line(
            2,
            "",
            format!(
                "the horizon ({horizon} months) uses {in_horizon} of the table's {} {period}s",
                link.table_periods
            ),
        );
    }
    if !link.unused_columns.is_empty() {
        out.line(
            2,
            "columns of the table not used (no [macro.link.variables] entry)",
            link.unused_columns.join(", "),
        );
    }
}
