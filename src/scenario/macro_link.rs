//! `[macro.link]`: the stress given in economic units (unemployment rate,
//! GDP growth, ...) instead of factor units.
//!
//! A table of economic variables, quarterly or monthly, is turned into
//! monthly values and then into an addition to the deterministic path of
//! the linked factors:
//!
//! `link_k(t) = sum_j coefficient_j * (x_j(t) - baseline_j)` for every linked factor k.
//!
//! Like `[macro.deterministic]`, the link is part of the stress and never of
//! the through-the-cycle calibration. The table parser and the
//! quarterly-to-monthly rule are public and pure so that a calibration of the
//! coefficients from a historical series reads its table the same way. The
//! file's format is documented in `docs/scenario.md` ("Stress in economic
//! units").

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Attachments, ScenarioError};

/// `[macro.link]` in the scenario file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MacroLinkSection {
    /// CSV table in economic units, relative to the scenario's folder.
    pub file: String,
    /// What one row of the table is.
    #[serde(default)]
    pub frequency: Frequency,
    /// How quarterly values become monthly ones (no effect on a monthly table).
    #[serde(default)]
    pub interpolation: Interpolation,
    /// Factors the link drives (default: all).
    #[serde(default)]
    pub factors: Vec<String>,
    /// The variables used, by column name; at least one.
    pub variables: BTreeMap<String, LinkVariable>,
}

/// `[macro.link.variables.NAME]`: one economic variable's effect.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkVariable {
    /// Factor units per unit of the variable (negative: a higher value is a
    /// worse economy, as for an unemployment rate).
    pub coefficient: f64,
    /// Value of the variable at which it adds nothing to the factor.
    pub baseline: f64,
}

/// What one row of an economic table is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    /// One row per month.
    Monthly,
    /// One row per quarter (quarter q covers months 3q-2, 3q-1, 3q).
    #[default]
    Quarterly,
}

impl Frequency {
    /// Months in one period (row).
    pub fn months(self) -> usize {
        match self {
            Frequency::Monthly => 1,
            Frequency::Quarterly => 3,
        }
    }

    /// The period's name in words ("month", "quarter").
    pub fn period_name(self) -> &'static str {
        match self {
            Frequency::Monthly => "month",
            Frequency::Quarterly => "quarter",
        }
    }
}

/// How the value of a quarter is spread over its months.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Interpolation {
    /// Straight lines between quarter midpoints (the middle month of each
    /// quarter has the quarter's value), flat before the first midpoint and
    /// after the last.
    #[default]
    Linear,
    /// Every month of a quarter has the quarter's value.
    Step,
}

/// Name of the column that numbers the periods.
pub const PERIOD_COLUMN: &str = "period";

/// A checked table in economic units: periods 1, 2, ..., n and one finite
/// value per variable and period.
#[derive(Debug, Clone, PartialEq)]
pub struct EconomicTable {
    /// Variable (column) names in file order, without `period`.
    pub variables: Vec<String>,
    /// `values[j][p]`: variable j in period p + 1.
    pub values: Vec<Vec<f64>>,
}

impl EconomicTable {
    /// Number of periods (rows), at least 1.
    pub fn periods(&self) -> usize {
        self.values.first().map_or(0, Vec::len)
    }

    /// The values of variable `name`, period by period.
    pub fn column(&self, name: &str) -> Option<&[f64]> {
        self.variables
            .iter()
            .position(|v| v == name)
            .map(|j| self.values[j].as_slice())
    }

    /// Months the table covers at this frequency (`periods * months per period`).
    pub fn months(&self, frequency: Frequency) -> usize {
        self.periods() * frequency.months()
    }
}

/// Parses a CSV table in economic units. `file` is the name used in errors.
///
/// The header row names a `period` column (1-based index of the month or
/// quarter, consecutive from 1) and at least one variable column; every cell
/// of a variable column is a finite number. Every refusal is a
/// [`ScenarioError::Data`] naming the line (the header is line 1) and the
/// column where there is one.
pub fn parse_economic_table(file: &str, bytes: &[u8]) -> Result<EconomicTable, ScenarioError> {
    let error = |line: Option<u64>, column: Option<&str>, problem: String| ScenarioError::Data {
        file: file.to_string(),
        line,
        column: column.map(str::to_string),
        problem,
    };
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| error(Some(1), None, format!("cannot read the header row: {e}")))?
        .clone();
    let mut period_index = None;
    let mut variables = Vec::new();
    let mut variable_index = Vec::new();
    for (i, name) in headers.iter().enumerate() {
        if name.is_empty() {
            return Err(error(Some(1), None, format!("column {} has no name", i + 1)));
        }
        if name == PERIOD_COLUMN {
            if period_index.replace(i).is_some() {
                return Err(error(Some(1), Some(name), "column given twice".into()));
            }
        } else if variables.iter().any(|v| v == name) {
            return Err(error(Some(1), Some(name), "column given twice".into()));
        } else {
            variables.push(name.to_string());
            variable_index.push(i);
        }
    }
    let Some(period_index) = period_index else {
        return Err(error(
            Some(1),
            Some(PERIOD_COLUMN),
            "required column missing (1, 2, 3, ...: the month or quarter of each row)".into(),
        ));
    };
    if variables.is_empty() {
        return Err(error(Some(1), None, "no variable columns besides period".into()));
    }

    let mut values = vec![Vec::new(); variables.len()];
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map(|p| p.line());
                return Err(error(line, None, format!("not a valid CSV row: {e}")));
            }
        }
        let line = record.position().map_or(0, |p| p.line());
        let cell = |i: usize| record.get(i).unwrap_or("");
        let expected = values[0].len() as u64 + 1;
        let text = cell(period_index);
        match text.parse::<u64>() {
            Ok(p) if p == expected => {}
            Ok(p) => {
                return Err(error(
                    Some(line),
                    Some(PERIOD_COLUMN),
                    format!("periods must be consecutive from 1: expected {expected}, got {p}"),
                ));
            }
            Err(_) => {
                return Err(error(
                    Some(line),
                    Some(PERIOD_COLUMN),
                    format!("expected a whole number (1, 2, 3, ...), got {text:?}"),
                ));
            }
        }
        for (j, &i) in variable_index.iter().enumerate() {
            let text = cell(i);
            let value: f64 = text.parse().map_err(|_| {
                error(
                    Some(line),
                    Some(&variables[j]),
                    format!("expected a number, got {text:?}"),
                )
            })?;
            if !value.is_finite() {
                return Err(error(
                    Some(line),
                    Some(&variables[j]),
                    format!("must be finite, got {text}"),
                ));
            }
            values[j].push(value);
        }
    }
    if values[0].is_empty() {
        return Err(error(None, None, "no periods (only a header row)".into()));
    }
    Ok(EconomicTable { variables, values })
}

/// One variable's value in each of months 1..=`horizon`, from its values per
/// period (`series[p]` is period p + 1; at least one value).
///
/// # Formula
/// With `x_p` the value of period p (1-based) and n periods, month t (1-based) gets:
/// - monthly: `x_min(t, n)`;
/// - quarterly, step: `x_min(ceil(t / 3), n)`;
/// - quarterly, linear: with quarter midpoints `m_q = 3q - 1`,
///   `x_1` for `t <= m_1`, `x_n` for `t >= m_n`, and otherwise
///   `x_q + (t - m_q) / 3 * (x_{q+1} - x_q)` for the q with `m_q <= t < m_{q+1}`.
///
/// Beyond the table's last period the last value carries forward, as a
/// `[macro.deterministic]` path does. An empty series gives zeros.
pub fn monthly_series(series: &[f64], frequency: Frequency, interpolation: Interpolation, horizon: usize) -> Vec<f64> {
    let Some(&last) = series.last() else {
        return vec![0.0; horizon];
    };
    let n = series.len();
    (1..=horizon)
        .map(|t| match (frequency, interpolation) {
            (Frequency::Monthly, _) => series[t.min(n) - 1],
            (Frequency::Quarterly, Interpolation::Step) => series[t.div_ceil(3).min(n) - 1],
            (Frequency::Quarterly, Interpolation::Linear) => {
                if t <= 2 {
                    series[0]
                } else if t >= 3 * n - 1 {
                    last
                } else {
                    // m_q <= t < m_{q+1}  <=>  q = floor((t + 1) / 3), 1-based.
                    let q = (t + 1) / 3;
                    let offset = (t - (3 * q - 1)) as f64 / 3.0;
                    series[q - 1] + offset * (series[q] - series[q - 1])
                }
            }
        })
        .collect()
}

/// Every variable of `table` month by month (`[j][t]`, t from month 1 to
/// `horizon`), by [`monthly_series`].
pub fn monthly_values(
    table: &EconomicTable,
    frequency: Frequency,
    interpolation: Interpolation,
    horizon: usize,
) -> Vec<Vec<f64>> {
    table
        .values
        .iter()
        .map(|series| monthly_series(series, frequency, interpolation, horizon))
        .collect()
}

/// One variable of a checked link.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkTerm {
    /// Column name.
    pub name: String,
    /// Factor units per unit of the variable.
    pub coefficient: f64,
    /// Value at which the variable adds nothing.
    pub baseline: f64,
    /// The table's values, period by period.
    pub table_values: Vec<f64>,
    /// The variable in each month of the horizon (see [`monthly_series`]).
    pub monthly: Vec<f64>,
}

/// A checked `[macro.link]`: what it adds to the linked factors.
#[derive(Debug, Clone, PartialEq)]
pub struct MacroLink {
    /// The table as the scenario names it.
    pub file: String,
    /// What one row of the table is.
    pub frequency: Frequency,
    /// Quarterly-to-monthly rule.
    pub interpolation: Interpolation,
    /// The variables, in name order.
    pub terms: Vec<LinkTerm>,
    /// Which factors the link drives (one flag per factor).
    pub drives_factor: Vec<bool>,
    /// `sum_j coefficient_j * (x_j(t) - baseline_j)` in each month of the
    /// horizon, added to the deterministic path of every driven factor.
    pub contribution: Vec<f64>,
    /// Periods in the table.
    pub table_periods: usize,
    /// Columns of the table that no variable uses (ignored).
    pub unused_columns: Vec<String>,
}

impl MacroLink {
    /// Months the table covers; later months carry its last period forward.
    pub fn table_months(&self) -> usize {
        self.table_periods * self.frequency.months()
    }
}

/// Checks `[macro.link]` against the factors and the attached table, and
/// computes its monthly contribution.
///
/// # Formula
/// `contribution(t) = sum_j coefficient_j * (x_j(t) - baseline_j)`, the sum
/// over variables in name order, with `x_j(t)` from [`monthly_series`].
pub(crate) fn resolve_link(
    raw: &MacroLinkSection,
    attachments: &Attachments,
    factors: &[String],
    horizon: usize,
) -> Result<MacroLink, ScenarioError> {
    let invalid = |field: String, problem: String| Err(ScenarioError::invalid(field, problem));
    if raw.file.trim().is_empty() {
        return invalid("macro.link.file".into(), "give the table's path".into());
    }
    let drives_factor = if raw.factors.is_empty() {
        vec![true; factors.len()]
    } else {
        let mut drives = vec![false; factors.len()];
        for (i, name) in raw.factors.iter().enumerate() {
            match factors.iter().position(|f| f == name) {
                Some(k) if drives[k] => {
                    return invalid(format!("macro.link.factors[{i}]"), format!("{name:?} is given twice"));
                }
                Some(k) => drives[k] = true,
                None => {
                    return invalid(
                        format!("macro.link.factors[{i}]"),
                        format!("no factor named {name:?} in macro.factors"),
                    );
                }
            }
        }
        drives
    };
    if raw.variables.is_empty() {
        return invalid(
            "macro.link.variables".into(),
            "give at least one variable, e.g. [macro.link.variables.unemployment_rate] with coefficient and baseline"
                .into(),
        );
    }
    for (name, v) in &raw.variables {
        let field = format!("macro.link.variables.{name}");
        if name == PERIOD_COLUMN {
            return invalid(field, "`period` numbers the rows; it is not a variable".into());
        }
        if !v.coefficient.is_finite() {
            return invalid(
                format!("{field}.coefficient"),
                format!("must be a finite number, got {}", v.coefficient),
            );
        }
        if !v.baseline.is_finite() {
            return invalid(
                format!("{field}.baseline"),
                format!("must be a finite number, got {}", v.baseline),
            );
        }
    }

    let Some(bytes) = attachments.get(&raw.file) else {
        return Err(ScenarioError::Data {
            file: raw.file.clone(),
            line: None,
            column: None,
            problem: "the scenario names this file but it was not read (load the scenario from its file)".into(),
        });
    };
    let table = parse_economic_table(&raw.file, bytes)?;
    let mut terms = Vec::with_capacity(raw.variables.len());
    for (name, v) in &raw.variables {
        let Some(series) = table.column(name) else {
            return Err(ScenarioError::Data {
                file: raw.file.clone(),
                line: Some(1),
                column: Some(name.clone()),
                problem: format!(
                    "column missing: macro.link.variables names it (the table has {})",
                    table.variables.join(", ")
                ),
            });
        };
        terms.push(LinkTerm {
            name: name.clone(),
            coefficient: v.coefficient,
            baseline: v.baseline,
            table_values: series.to_vec(),
            monthly: monthly_series(series, raw.frequency, raw.interpolation, horizon),
        });
    }
    let contribution: Vec<f64> = (0..horizon)
        .map(|t| terms.iter().map(|j| j.coefficient * (j.monthly[t] - j.baseline)).sum())
        .collect();
    // Finite inputs can still overflow (a coefficient of 1e300 times a
    // value of 1e10): refuse rather than hand the engine an infinite factor.
    if let Some(t) = contribution.iter().position(|c| !c.is_finite()) {
        return invalid(
            "macro.link".into(),
            format!(
                "the contribution to the factor in month {} is not finite; the coefficients are too large",
                t + 1
            ),
        );
    }
    let unused_columns = table
        .variables
        .iter()
        .filter(|c| !raw.variables.contains_key(*c))
        .cloned()
        .collect();
    Ok(MacroLink {
        file: raw.file.clone(),
        frequency: raw.frequency,
        interpolation: raw.interpolation,
        terms,
        drives_factor,
        contribution,
        table_periods: table.periods(),
        unused_columns,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data_error(bytes: &str) -> (Option<u64>, Option<String>, String) {
        match parse_economic_table("t.csv", bytes.as_bytes()) {
            Err(ScenarioError::Data {
                file,
                line,
                column,
                problem,
            }) => {
                assert_eq!(file, "t.csv");
                (line, column, problem)
            }
            other => panic!("expected a data error for {bytes:?}, got {other:?}"),
        }
    }

    #[test]
    fn a_table_parses_in_file_order() {
        let t = parse_economic_table("t.csv", b"period,u,g\n1,5.0,2\n2, 6.5 ,-1\n").unwrap();
        assert_eq!(t.variables, ["u", "g"]);
        assert_eq!(t.values, vec![vec![5.0, 6.5], vec![2.0, -1.0]]);
        assert_eq!(t.periods(), 2);
        assert_eq!(t.months(Frequency::Quarterly), 6);
        assert_eq!(t.column("g"), Some(&[2.0, -1.0][..]));
        // The period column may come anywhere.
        let t = parse_economic_table("t.csv", b"u,period\n5,1\n").unwrap();
        assert_eq!(t.values, vec![vec![5.0]]);
    }

    #[test]
    fn every_malformed_table_names_line_and_column() {
        let cases: [(&str, Option<u64>, Option<&str>, &str); 10] = [
            (
                "period,u\n1,abc\n",
                Some(2),
                Some("u"),
                "expected a number, got \"abc\"",
            ),
            ("period,u\n1,5\n2,\n", Some(3), Some("u"), "expected a number, got \"\""),
            ("period,u\n1,NaN\n", Some(2), Some("u"), "must be finite"),
            ("period,u\n1,inf\n", Some(2), Some("u"), "must be finite"),
            ("period,u\n1,5\n3,6\n", Some(3), Some("period"), "expected 2, got 3"),
            ("period,u\n0,5\n", Some(2), Some("period"), "expected 1, got 0"),
            ("period,u\n1.5,5\n", Some(2), Some("period"), "expected a whole number"),
            ("u,g\n1,2\n", Some(1), Some("period"), "required column missing"),
            ("period,u,u\n1,2,3\n", Some(1), Some("u"), "column given twice"),
            ("period,u\n1,5,7\n", Some(2), None, "not a valid CSV row"),
        ];
        for (bytes, line, column, problem) in cases {
            let (l, c, p) = data_error(bytes);
            assert_eq!(l, line, "{bytes:?}: {p}");
            assert_eq!(c.as_deref(), column, "{bytes:?}: {p}");
            assert!(p.contains(problem), "{bytes:?}: {p:?} lacks {problem:?}");
        }
        let (l, _, p) = data_error("period,u\n");
        assert_eq!(l, None);
        assert!(p.contains("no periods"), "{p}");
        let (l, _, p) = data_error("period\n1\n");
        assert_eq!(l, Some(1));
        assert!(p.contains("no variable columns"), "{p}");
        let (l, c, p) = data_error("");
        assert_eq!((l, c.as_deref()), (Some(1), Some("period")), "empty file: {p}");
        let message = parse_economic_table("t.csv", b"period,u\n1,x\n")
            .unwrap_err()
            .to_string();
        assert_eq!(message, "t.csv, line 2, column `u`: expected a number, got \"x\"");
    }

    #[test]
    fn quarterly_linear_runs_between_midpoints_and_is_flat_outside() {
        let x = [4.0, 7.0, 10.0];
        let m = monthly_series(&x, Frequency::Quarterly, Interpolation::Linear, 11);
        // Months 1-2 flat at q1; 2 (q1 mid) .. 5 (q2 mid) .. 8 (q3 mid); flat after.
        let expected = [4.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 10.0, 10.0, 10.0];
        for (t, (a, b)) in m.iter().zip(expected).enumerate() {
            assert!((a - b).abs() < 1e-12, "month {}: {a} vs {b}", t + 1);
        }
        // The middle month of each quarter has exactly the quarter's value.
        assert_eq!([m[1], m[4], m[7]], x);
    }

    #[test]
    fn quarterly_step_and_monthly_carry_the_last_value_forward() {
        let x = [1.0, 2.0];
        assert_eq!(
            monthly_series(&x, Frequency::Quarterly, Interpolation::Step, 8),
            [1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 2.0, 2.0]
        );
        for interpolation in [Interpolation::Step, Interpolation::Linear] {
            assert_eq!(
                monthly_series(&x, Frequency::Monthly, interpolation, 4),
                [1.0, 2.0, 2.0, 2.0]
            );
        }
        // A one-quarter table is flat whatever the rule.
        assert_eq!(
            monthly_series(&[3.0], Frequency::Quarterly, Interpolation::Linear, 5),
            [3.0; 5]
        );
        // A horizon shorter than the table uses its start.
        assert_eq!(
            monthly_series(&[1.0, 2.0, 3.0], Frequency::Monthly, Interpolation::Linear, 2),
            [1.0, 2.0]
        );
        assert_eq!(
            monthly_series(&[], Frequency::Monthly, Interpolation::Linear, 2),
            [0.0, 0.0]
        );
    }
}
