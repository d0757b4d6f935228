//! The scenario's inputs and assumptions in words: what `creditstress
//! validate` prints and report.html shows as its inputs table, made once from
//! the checked scenario and the book it draws (pure: no I/O, no printing).
//!
//! [`describe`] gives an [`Inputs`]: statements (`label: text`, nested by
//! depth) and tables in the order `validate` prints them. [`Inputs::to_text`]
//! is `validate`'s text; a run keeps the same [`Inputs`] in summary.json
//! (`inputs`), from which the report draws its table, so the two cannot
//! drift apart.

mod calibration;
mod macro_link;
pub mod text;

use serde::{Deserialize, Serialize};

use crate::engine::BookProfile;
use crate::population::PdGrades;
use crate::report::plots::format::count;
use crate::scenario::{PdSpec, RegimeStart, Scenario, ShockStart};
use text::{money, percent};

/// One statement or table of the description.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InputItem {
    /// `label: text` (`text` alone when the label is empty), under the
    /// statement above it at `depth` > 0.
    Line {
        /// Nesting: 0 for a heading statement, 1 and 2 for its details.
        depth: u8,
        /// What the statement is about (`Run`, `Macro`, a segment's name).
        label: String,
        /// What it says.
        text: String,
    },
    /// A table: the first row is the header.
    Table {
        /// Nesting, as for a line.
        depth: u8,
        /// Header first, then one row per entry.
        rows: Vec<Vec<String>>,
    },
    /// A blank line in the text (nothing in a page).
    Break,
}

/// The scenario's inputs and assumptions, in `validate`'s order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, schemars::JsonSchema)]
pub struct Inputs {
    /// Statements and tables.
    pub items: Vec<InputItem>,
}

impl Inputs {
    fn line(&mut self, depth: u8, label: impl Into<String>, text: impl Into<String>) {
        self.items.push(InputItem::Line {
            depth,
            label: label.into(),
            text: text.into(),
        });
    }

    fn table(&mut self, depth: u8, rows: Vec<Vec<String>>) {
        self.items.push(InputItem::Table { depth, rows });
    }

    /// The description as `validate` prints it: two spaces of indent per
    /// depth, tables aligned (first column left, the others right).
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for item in &self.items {
            match item {
                InputItem::Line { depth, label, text } => {
                    out.push_str(&"  ".repeat(*depth as usize));
                    if label.is_empty() {
                        out.push_str(text);
                    } else {
                        out.push_str(label);
                        out.push_str(": ");
                        out.push_str(text);
                    }
                    out.push('\n');
                }
                InputItem::Table { depth, rows } => {
                    let indent = "  ".repeat(*depth as usize);
                    let rows: Vec<Vec<String>> = rows
                        .iter()
                        .map(|r| {
                            r.iter()
                                .enumerate()
                                .map(|(i, c)| if i == 0 { format!("{indent}{c}") } else { c.clone() })
                                .collect()
                        })
                        .collect();
                    out.push_str(&text::table(&rows));
                }
                InputItem::Break => out.push('\n'),
            }
        }
        out
    }
}

/// Describes a scenario and the book drawn for it (its profile and PD
/// grades, as [`crate::engine::Prepared`] holds them): the run, the
/// tail's paths, the book and its segments (PD model, rho, LGD), the macro
/// model, the dynamics, what a PD means, outages, fraud waves, originations,
/// events and the policy.
pub fn describe(s: &Scenario, profile: &BookProfile, grades: &PdGrades) -> Inputs {
    let p = profile;
    let mut out = Inputs::default();
    out.line(0, format!("Scenario {}", s.name), s.file.description.trim());
    out.line(
        0,
        "Run",
        format!(
            "{} month{}, {} paths, seed {}, risk levels {:?}{}",
            s.horizon_months,
            if s.horizon_months == 1 { "" } else { "s" },
            count(s.paths),
            s.seed,
            s.risk_levels,
            if s.redraw_population {
                ", population redrawn on every path"
            } else {
                ""
            }
        ),
    );
    let tails: Vec<String> = s
        .risk_levels
        .iter()
        .map(|&q| {
            let tail = crate::stats::risk::tail_paths(s.paths, q);
            let rough = if tail < crate::stats::risk::FEW_TAIL_PATHS {
                " (rough)"
            } else {
                ""
            };
            let needs = crate::stats::risk::paths_for_quantile_ci(q, crate::stats::risk::VAR_CI_LEVEL);
            let ci = if s.paths < needs {
                format!(", VaR interval needs {needs} paths")
            } else {
                String::new()
            };
            format!("{}%: {tail} tail paths{rough}{ci}", q * 100.0)
        })
        .collect();
    out.line(
        0,
        format!(
            "Tail at {} paths{}",
            s.paths,
            if s.importance.is_some() {
                " under plain sampling"
            } else {
                ""
            }
        ),
        tails.join("; "),
    );
    if let Some(i) = &s.importance {
        out.line(
            0,
            "Sampling",
            format!(
                "importance, aimed at the {}% tail ({} pilot paths, {}% of paths drawn plain): more paths \
                 fall in the tail than the counts above, and the run reports how many plain paths each is worth",
                i.level * 100.0,
                count(i.pilot_paths),
                i.plain_share * 100.0
            ),
        );
    }
    let imported = match &s.file.book {
        Some(b) => format!("; {} imported from {}", s.book.len(), b.file),
        None => String::new(),
    };
    out.line(
        0,
        "Book",
        format!(
            "{} loans ({} revolving, {} flagged fraud{imported}), exposure {}",
            p.loans,
            p.revolving_loans,
            p.fraud_loans,
            money(p.exposure)
        ),
    );
    out.items.push(InputItem::Break);
    let mut rows = vec![vec![
        "segment".to_string(),
        "loans".into(),
        "exposure".into(),
        "score".into(),
        "PD model".into(),
        "rho".into(),
        "LGD".into(),
        "revolving".into(),
        "fraud".into(),
    ]];
    for (i, seg) in s.segments.iter().enumerate() {
        let pd = match &seg.pd {
            PdSpec::Logistic {
                intercept,
                slope_per_100,
                pivot,
            } => {
                format!("logistic({intercept}, {slope_per_100}/100 @ {pivot})")
            }
            PdSpec::Table { by_band } => format!(
                "table [{}]",
                by_band.iter().map(|v| format!("{v:.4}")).collect::<Vec<_>>().join(", ")
            ),
            PdSpec::Constant { value } => format!("constant {value}"),
        };
        rows.push(vec![
            seg.name.clone(),
            // Booked: synthetic applicants that passed the cutoff and imported loans.
            p.segment_loans[i].to_string(),
            money(p.segment_exposure[i]),
            format!("{}+-{}", seg.score_mean, seg.score_std),
            pd,
            calibration::describe_rho(seg, grades.segment_rho[i]),
            format!("{:.2}", seg.lgd.mean),
            percent(seg.revolving_share.get()),
            percent(seg.fraud_share.get()),
        ]);
    }
    out.table(0, rows);
    out.items.push(InputItem::Break);
    let m = &s.macro_model;
    out.line(
        0,
        "Macro",
        format!("factors {:?}, AR(1) phi {} sigma {}", m.factor_names, m.phi, m.sigma),
    );
    if m.deterministic.iter().any(|f| f.iter().any(|&v| v != 0.0)) {
        for (k, (name, path)) in m.factor_names.iter().zip(&m.deterministic).enumerate() {
            let linked = m.link.as_ref().is_some_and(|l| l.drives_factor[k]);
            let with_link = if linked { " (with the link below)" } else { "" };
            out.line(
                1,
                format!("deterministic {name}{with_link}"),
                format!(
                    "{:?}",
                    path.iter().map(|v| (v * 100.0).round() / 100.0).collect::<Vec<_>>()
                ),
            );
        }
    }
    if let Some(link) = &m.link {
        macro_link::describe(&mut out, link, &m.factor_names, s.horizon_months);
    }
    if let Some(r) = &m.regimes {
        let start = match &r.initial {
            RegimeStart::Fixed(state) => r.names[*state].clone(),
            RegimeStart::Drawn {
                stationary: true,
                probabilities,
            } => format!("the stationary distribution {probabilities:.4?}"),
            RegimeStart::Drawn { probabilities, .. } => format!("a state drawn with probabilities {probabilities:?}"),
        };
        out.line(
            1,
            "",
            format!("regimes {:?} with means {:?}, starting in {start}", r.names, r.means),
        );
    }
    for shock in &m.shocks {
        let start = match shock.start {
            ShockStart::Fixed(t) => format!("month {}", t + 1),
            ShockStart::Uniform(a, b) => format!("a month in {}..={}", a + 1, b + 1),
        };
        out.line(
            1,
            format!("shock {:?}", shock.name),
            format!(
                "depth {} from {start} for {} months, {:?} recovery over {} months, probability {}",
                shock.depth,
                shock.duration_months,
                shock.recovery_shape,
                shock.recovery_months,
                shock.probability.get()
            ),
        );
    }
    let d = &s.dynamics;
    if d.delinquency {
        out.line(
            0,
            "Dynamics",
            format!(
                "buckets 30/60/90+, {}; per segment (roll and cure rates are Vasicek means, s = factor sensitivity):",
                s.file.dynamics.describe_recovery()
            ),
        );
        for seg in &s.segments {
            let products: &[(bool, &str)] = if seg.transitions.differ() {
                &[(true, " revolving"), (false, " installment")]
            } else {
                &[(true, "")]
            };
            for &(revolving, product) in products {
                let t = seg.transitions.of(revolving);
                out.line(
                    1,
                    format!("{}{product}", seg.name),
                    format!(
                        "roll {:?} (s {}), cure {:?} (s {})",
                        t.roll_rates.map(|p| p.get()),
                        t.roll_sensitivity,
                        t.cure_rates.map(|p| p.get()),
                        t.cure_sensitivity,
                    ),
                );
            }
        }
        out.line(
            1,
            "revolving lines",
            match d.suspend_line_from_bucket {
                None => "a cured line draws again (dynamics.suspend_line_at_dpd = 0)".to_string(),
                Some(b) => format!(
                    "suspended for good once {} days past due (no draws after a cure)",
                    30 * (b + 1)
                ),
            },
        );
    } else {
        out.line(
            0,
            "Dynamics",
            "a missed payment is an immediate default (no delinquency buckets)",
        );
    }
    calibration::describe(&mut out, s, grades);
    if let Some(o) = &s.outage {
        out.line(
            0,
            "Outage",
            format!(
                "month {}, probability {}, {} of current loans miss a debit, {} cure next month{}",
                o.month + 1,
                o.probability.get(),
                percent(o.share.get()),
                percent(o.cure_rate.get()),
                if o.hazard_continues {
                    " and face that month's miss hazard as usual"
                } else {
                    " (the month of the cure skips its miss hazard: outage.hazard_continues = false)"
                }
            ),
        );
    }
    if let Some(f) = &s.fraud_waves {
        out.line(
            0,
            "Fraud waves",
            format!(
                "an attack starts with probability {} a month and lasts {} months, taking over {} of current loans a month{}",
                f.probability_monthly.get(),
                f.duration_months,
                percent(f.takeover_share.get()),
                if f.with_outage {
                    "; the outage starts one too"
                } else {
                    ""
                }
            ),
        );
    }
    for (name, o) in s.segments.iter().filter_map(|g| g.originations.map(|o| (&g.name, o))) {
        out.line(
            0,
            format!("Originations {name}"),
            format!(
                "{} applications a month at factor 0 (x exp({} Z), at most x{}), months {}-{}, \
                 applicants' score mean {:+} x Z points{}",
                o.applications_monthly,
                o.volume_sensitivity,
                o.volume_cap_multiple,
                o.first_month + 1,
                o.end_month,
                o.score_shift_per_sd,
                if o.renewal_probability > 0.0 {
                    format!(
                        ", {} of repaid installment borrowers renew",
                        percent(o.renewal_probability)
                    )
                } else {
                    String::new()
                }
            ),
        );
    }
    let names = s.event_names();
    if !names.is_empty() {
        out.line(0, "Events (each recorded per path in paths.csv)", names.join(", "));
    }
    out.items.extend(policy(s));
    out
}

/// The policy's levers in one statement, `Policy NAME: lever, lever, ...`
/// (nothing without a `[policy]`).
pub fn policy(s: &Scenario) -> Option<InputItem> {
    let raw = s.file.policy.as_ref()?;
    let p = &s.policy;
    let mut levers = Vec::new();
    if let Some(cutoff) = p.min_score {
        levers.push(format!("approval cutoff {cutoff}"));
    }
    if !p.limit_multiplier_by_band.is_empty() || p.limit_cap.is_some() {
        levers.push("limit multipliers/cap".to_string());
    }
    if raw.pricing.is_some() {
        levers.push("pricing by band".to_string());
    }
    if let Some(e) = &p.early_warning {
        let shock = if e.has_liquidity_shock() {
            format!(
                "; a cut borrower misses {}x as often for {} months",
                e.shock_hazard_multiplier, e.shock_months
            )
        } else {
            "; no liquidity shock".to_string()
        };
        levers.push(format!(
            "early warning (cuts {} of undrawn limits{shock})",
            percent(e.cut_share)
        ));
    }
    if let Some(li) = &p.limit_increase {
        levers.push(format!(
            "limit increases ({} of lines current {} months raised by {}, at most {} times)",
            percent(li.probability.get()),
            li.after_months,
            percent(li.increase_share),
            li.max_increases
        ));
    }
    if let Some(f) = &p.forbearance {
        levers.push(format!(
            "forbearance (take-up {}, re-default {} a month{})",
            percent(f.take_up.get()),
            percent(f.redefault_monthly.get()),
            if f.redefault_follows_factor {
                ", moving with the factor"
            } else {
                ", constant"
            }
        ));
    }
    if let Some(c) = &p.collections {
        levers.push(format!("{:?} collections", c.strategy).to_lowercase());
    }
    let list = if levers.is_empty() {
        "no levers".to_string()
    } else {
        levers.join(", ")
    };
    Some(InputItem::Line {
        depth: 0,
        label: format!("Policy {}", p.name),
        text: list,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_indents_by_depth_aligns_tables_and_keeps_blank_lines() {
        let inputs = Inputs {
            items: vec![
                InputItem::Line {
                    depth: 0,
                    label: "Macro".to_string(),
                    text: "factors".to_string(),
                },
                InputItem::Line {
                    depth: 1,
                    label: String::new(),
                    text: "regimes".to_string(),
                },
                InputItem::Table {
                    depth: 2,
                    rows: vec![vec!["a".to_string(), "1".into()], vec!["bb".to_string(), "22".into()]],
                },
                InputItem::Break,
            ],
        };
        assert_eq!(
            inputs.to_text(),
            "Macro: factors\n  regimes\n    a    1\n    bb  22\n\n"
        );
    }
}
