//! `[macro.link]`: the stress in economic units.
//!
//! - the factor path (noise sigma 0) is, month by month, the hand-computed
//!   `sum_j c_j (x_j(t) - b_j)` for quarterly linear, quarterly step and
//!   monthly tables, carried forward past the table's end, and adds up with a
//!   `[macro.deterministic]` path and a shock;
//! - a link whose coefficients are all 0 leaves a run bitwise unchanged;
//! - every malformed table is refused with file, line and column, and every
//!   bad `[macro.link]` field is named.
//!
//! Factor values are compared to 1e-12: they are sums of a few products of
//! numbers of order 1, computed in a different order here than in the library.

use creditstress::engine::{RunControl, run};
use creditstress::macro_paths::draw_factor_path;
use creditstress::scenario::{Scenario, ScenarioError, parse_scenario_file, with_field};

const TABLE_FILE: &str = "data/table.csv";

/// A one-segment scenario with `horizon` months, two factors (national,
/// regional), no noise unless `extra` sets it, and `extra` appended (the
/// `[macro.link]` and anything else).
fn scenario_text(horizon: u32, extra: &str) -> String {
    format!(
        r#"
schema_version = 1
name = "link"
[run]
horizon_months = {horizon}
paths = 8
seed = 11
[[segments]]
name = "all"
loans = 300
score = {{ mean = 650, std = 50 }}
income = {{ median_monthly = 5000, sigma = 0.5 }}
pd = {{ model = "constant", value = 0.05 }}
rho = 0.1
factor_weights = [1.0, 0.0]
lgd = {{ mean = 0.6, std = 0.2, macro_sensitivity = 0.2 }}
[macro]
factors = ["national", "regional"]
[macro.noise]
sigma = 0.0
{extra}
"#
    )
}

/// Validates `text` with `table` attached as [`TABLE_FILE`].
fn load(text: &str, table: &str) -> Result<Scenario, ScenarioError> {
    let mut file = parse_scenario_file(text)?;
    file.attachments.insert(TABLE_FILE, table.as_bytes().to_vec());
    Scenario::from_file(file)
}

/// The usual two-variable link (unemployment -0.5 around 5, growth 0.25 around 2).
fn link(frequency: &str, interpolation: &str, factors: &str) -> String {
    format!(
        r#"
[macro.link]
file = "{TABLE_FILE}"
frequency = "{frequency}"
interpolation = "{interpolation}"
factors = {factors}
[macro.link.variables.unemployment_rate]
coefficient = -0.5
baseline = 5.0
[macro.link.variables.gdp_growth]
coefficient = 0.25
baseline = 2.0
"#
    )
}

/// `-0.5 (u - 5) + 0.25 (g - 2)` month by month.
fn contribution(u: &[f64], g: &[f64]) -> Vec<f64> {
    u.iter()
        .zip(g)
        .map(|(u, g)| -0.5 * (u - 5.0) + 0.25 * (g - 2.0))
        .collect()
}

fn factor_path(s: &Scenario) -> Vec<Vec<f64>> {
    draw_factor_path(&s.macro_model, s.horizon_months, s.seed, 0).values
}

fn assert_close(label: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{label}: length");
    for (t, (a, b)) in got.iter().zip(want).enumerate() {
        assert!((a - b).abs() < 1e-12, "{label}, month {}: got {a}, want {b}", t + 1);
    }
}

const QUARTERLY: &str = "period,unemployment_rate,gdp_growth\n1,6,1\n2,8,0\n3,7,3\n";

#[test]
fn quarterly_linear_table_gives_the_factor_path_month_by_month() {
    let s = load(
        &scenario_text(12, &link("quarterly", "linear", "[\"national\"]")),
        QUARTERLY,
    )
    .unwrap();
    // Quarter midpoints are months 2, 5, 8; flat before 2 and after 8 (the
    // table ends with month 9; months 10-12 carry quarter 3 forward).
    let third = 1.0 / 3.0;
    let u = [
        6.0,
        6.0,
        6.0 + 2.0 * third,
        6.0 + 4.0 * third,
        8.0,
        8.0 - third,
        8.0 - 2.0 * third,
        7.0,
        7.0,
        7.0,
        7.0,
        7.0,
    ];
    let g = [
        1.0,
        1.0,
        1.0 - third,
        1.0 - 2.0 * third,
        0.0,
        1.0,
        2.0,
        3.0,
        3.0,
        3.0,
        3.0,
        3.0,
    ];
    let f = factor_path(&s);
    assert_close("national", &f[0], &contribution(&u, &g));
    assert_close("regional (not linked)", &f[1], &[0.0; 12]);
    let link = s.macro_model.link.as_ref().unwrap();
    assert_eq!(link.table_months(), 9);
    assert_eq!(link.drives_factor, [true, false]);
}

#[test]
fn quarterly_step_table_gives_each_month_its_quarters_value() {
    // factors = [] drives every factor.
    let s = load(&scenario_text(11, &link("quarterly", "step", "[]")), QUARTERLY).unwrap();
    let u = [6.0, 6.0, 6.0, 8.0, 8.0, 8.0, 7.0, 7.0, 7.0, 7.0, 7.0];
    let g = [1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 3.0, 3.0, 3.0, 3.0, 3.0];
    let want = contribution(&u, &g);
    let f = factor_path(&s);
    assert_close("national", &f[0], &want);
    assert_close("regional", &f[1], &want);
}

#[test]
fn monthly_table_is_read_month_by_month_and_carried_forward() {
    let table = "period,gdp_growth,unemployment_rate\n1,2,5\n2,1,5.5\n3,-1,6.5\n4,0,7\n";
    // The interpolation has no effect on a monthly table.
    for interpolation in ["linear", "step"] {
        let s = load(
            &scenario_text(7, &link("monthly", interpolation, "[\"national\"]")),
            table,
        )
        .unwrap();
        let u = [5.0, 5.5, 6.5, 7.0, 7.0, 7.0, 7.0];
        let g = [2.0, 1.0, -1.0, 0.0, 0.0, 0.0, 0.0];
        assert_close(interpolation, &factor_path(&s)[0], &contribution(&u, &g));
    }
}

#[test]
fn the_link_adds_to_the_deterministic_path_and_the_shocks() {
    let extra = format!(
        r#"{}
[macro.deterministic]
national = [0.1, 0.2, 0.3]
regional = [-0.4]
[[macro.shocks]]
start_month = 4
depth = 1.5
duration_months = 2
recovery_shape = "step"
factors = ["national"]
"#,
        link("quarterly", "step", "[\"national\"]")
    );
    let s = load(&scenario_text(8, &extra), QUARTERLY).unwrap();
    let u = [6.0, 6.0, 6.0, 8.0, 8.0, 8.0, 7.0, 7.0];
    let g = [1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 3.0, 3.0];
    let path = [0.1, 0.2, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3];
    let shock = [0.0, 0.0, 0.0, 1.5, 1.5, 0.0, 0.0, 0.0];
    let want: Vec<f64> = contribution(&u, &g)
        .iter()
        .zip(path)
        .zip(shock)
        .map(|((c, d), s)| c + d - s)
        .collect();
    let f = factor_path(&s);
    assert_close("national", &f[0], &want);
    assert_close("regional", &f[1], &[-0.4; 8]);
}

#[test]
fn a_link_with_zero_coefficients_changes_nothing() {
    // With noise, regimes and a shock, on a book with delinquency buckets.
    let common = r#"
[macro.noise]
phi = 0.7
sigma = 1.0
[macro.deterministic]
national = [0.0, -0.5, -1.0, -0.5]
[[macro.shocks]]
start_month_range = [2, 5]
depth = 1.0
duration_months = 2
recovery_months = 3
probability = 0.5
"#;
    let zero_link = format!(
        r#"
[macro.link]
file = "{TABLE_FILE}"
[macro.link.variables.unemployment_rate]
coefficient = 0.0
baseline = 5.0
[macro.link.variables.gdp_growth]
coefficient = 0.0
baseline = 2.0
"#
    );
    // sigma is set twice otherwise: take the noise out of the template.
    let without = scenario_text(9, "").replace("[macro.noise]\nsigma = 0.0\n", "") + common;
    let with = without.clone() + &zero_link;
    let a = load(&without, QUARTERLY).unwrap().with_overrides(Some(24), None);
    let b = load(&with, QUARTERLY).unwrap().with_overrides(Some(24), None);
    assert!(b.macro_model.link.is_some());
    let (_, outcomes_a) = run(&a, RunControl::default()).unwrap();
    let (_, outcomes_b) = run(&b, RunControl::default()).unwrap();
    assert!(
        outcomes_a.iter().any(|o| o.tally.loss > 0.0),
        "the comparison must see losses"
    );
    assert_eq!(outcomes_a, outcomes_b, "a zero link changed the path outcomes");
    for path in 0..24 {
        let fa = draw_factor_path(&a.macro_model, 9, a.seed, path);
        let fb = draw_factor_path(&b.macro_model, 9, b.seed, path);
        for (x, y) in fa.values.iter().flatten().zip(fb.values.iter().flatten()) {
            assert_eq!(x.to_bits(), y.to_bits(), "path {path}");
        }
    }
}

/// The error of loading the step link with `table` attached.
fn table_error(table: &str) -> String {
    let text = scenario_text(12, &link("quarterly", "step", "[\"national\"]"));
    match load(&text, table) {
        Err(e @ ScenarioError::Data { .. }) => e.to_string(),
        other => panic!("expected a data error for {table:?}, got {other:?}"),
    }
}

#[test]
fn every_malformed_table_is_refused_with_file_line_and_column() {
    let cases = [
        (
            "period,unemployment_rate,gdp_growth\n1,5,2\n2,five,2\n",
            "data/table.csv, line 3, column `unemployment_rate`: expected a number, got \"five\"",
        ),
        (
            "period,unemployment_rate,gdp_growth\n1,5,inf\n",
            "data/table.csv, line 2, column `gdp_growth`: must be finite, got inf",
        ),
        (
            "period,unemployment_rate,gdp_growth\n1,5,NaN\n",
            "data/table.csv, line 2, column `gdp_growth`: must be finite, got NaN",
        ),
        (
            "period,unemployment_rate\n1,5\n",
            "data/table.csv, line 1, column `gdp_growth`: column missing",
        ),
        (
            "period,unemployment_rate,gdp_growth\n1,5,2\n2,5,2\n4,5,2\n",
            "data/table.csv, line 4, column `period`: periods must be consecutive from 1: expected 3, got 4",
        ),
        (
            "period,unemployment_rate,gdp_growth\n2,5,2\n",
            "data/table.csv, line 2, column `period`: periods must be consecutive from 1: expected 1, got 2",
        ),
        (
            "period,unemployment_rate,gdp_growth\nq1,5,2\n",
            "data/table.csv, line 2, column `period`: expected a whole number",
        ),
        (
            "quarter,unemployment_rate,gdp_growth\n1,5,2\n",
            "data/table.csv, line 1, column `period`: required column missing",
        ),
        (
            "period,unemployment_rate,gdp_growth,gdp_growth\n1,5,2,2\n",
            "data/table.csv, line 1, column `gdp_growth`: column given twice",
        ),
        (
            "period,unemployment_rate,gdp_growth\n1,5,2\n2,5\n",
            "data/table.csv, line 3: not a valid CSV row",
        ),
        (
            "period,unemployment_rate,gdp_growth\n",
            "data/table.csv: no periods (only a header row)",
        ),
        ("", "data/table.csv, line 1, column `period`: required column missing"),
    ];
    for (table, expect) in cases {
        let message = table_error(table);
        assert!(
            message.starts_with(expect),
            "table {table:?}:\n  got  {message}\n  want {expect}..."
        );
    }
}

#[test]
fn extra_columns_are_ignored_and_listed() {
    let table = "period,house_prices,unemployment_rate,gdp_growth\n1,100,6,1\n";
    let s = load(&scenario_text(3, &link("quarterly", "step", "[\"national\"]")), table).unwrap();
    let link = s.macro_model.link.as_ref().unwrap();
    assert_eq!(link.unused_columns, ["house_prices"]);
    assert_close("national", &factor_path(&s)[0], &contribution(&[6.0; 3], &[1.0; 3]));
}

#[test]
fn an_unattached_table_is_refused() {
    let text = scenario_text(3, &link("quarterly", "step", "[]"));
    let e = Scenario::from_file(parse_scenario_file(&text).unwrap()).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("data/table.csv: the scenario names this file but it was not read"),
        "{e}"
    );
}

#[test]
fn the_link_file_is_a_referenced_file() {
    let text = scenario_text(3, &link("quarterly", "step", "[]"));
    assert_eq!(parse_scenario_file(&text).unwrap().referenced_files(), [TABLE_FILE]);
}

#[test]
fn bad_link_fields_are_named() {
    let base = link("quarterly", "step", "[\"national\"]");
    let cases = [
        (
            base.replace("factors = [\"national\"]", "factors = [\"national\", \"global\"]"),
            "macro.link.factors[1]: no factor named \"global\" in macro.factors",
        ),
        (
            base.replace("factors = [\"national\"]", "factors = [\"national\", \"national\"]"),
            "macro.link.factors[1]: \"national\" is given twice",
        ),
        (
            base.replace("coefficient = -0.5", "coefficient = nan"),
            "macro.link.variables.unemployment_rate.coefficient: must be a finite number, got NaN",
        ),
        (
            base.replace("coefficient = 0.25", "coefficient = inf"),
            "macro.link.variables.gdp_growth.coefficient: must be a finite number, got inf",
        ),
        (
            base.replace("baseline = 5.0", "baseline = -inf"),
            "macro.link.variables.unemployment_rate.baseline: must be a finite number, got -inf",
        ),
        (
            base.replace("coefficient = -0.5", "coefficient = -1e308"),
            "macro.link: the contribution to the factor in month 1 is not finite",
        ),
        (
            format!("[macro.link]\nfile = \"{TABLE_FILE}\"\nvariables = {{}}\n"),
            "macro.link.variables: give at least one variable",
        ),
        (
            format!(
                "[macro.link]\nfile = \"{TABLE_FILE}\"\n[macro.link.variables.period]\ncoefficient = 1.0\nbaseline = 0.0\n"
            ),
            "macro.link.variables.period: `period` numbers the rows",
        ),
        (
            "[macro.link]\nfile = \"\"\n[macro.link.variables.u]\ncoefficient = 1.0\nbaseline = 0.0\n".to_string(),
            "macro.link.file: give the table's path",
        ),
        (
            base.replace("frequency = \"quarterly\"", "frequency = \"weekly\""),
            "macro.link.frequency: ... unknown variant `weekly`",
        ),
        (
            base.replace("baseline = 2.0", "baseline = 2.0\nlag = 1"),
            "macro.link.variables.gdp_growth.lag: ... unknown field `lag`",
        ),
        (
            base.replace("baseline = 2.0", ""),
            "macro.link.variables.gdp_growth: ... missing field `baseline`",
        ),
    ];
    for (extra, expect) in cases {
        // Unemployment 7: a coefficient of -1e308 times (7 - 5) overflows.
        let table = "period,unemployment_rate,gdp_growth\n1,7,2\n";
        let message = match load(&scenario_text(3, &extra), table) {
            Ok(_) => panic!("accepted:\n{extra}"),
            Err(e) => e.to_string(),
        };
        // ` ... ` separates parts that the parser's line/column report may split.
        assert!(
            expect.split(" ... ").all(|part| message.contains(part)),
            "{extra}\n  got  {message}\n  want {expect}"
        );
    }
}

#[test]
fn a_sweep_of_a_coefficient_keeps_the_table() {
    let mut file = parse_scenario_file(&scenario_text(3, &link("quarterly", "step", "[]"))).unwrap();
    file.attachments.insert(TABLE_FILE, QUARTERLY.as_bytes().to_vec());
    let swept = with_field(&file, "macro.link.variables.unemployment_rate.coefficient", -1.0).unwrap();
    let s = Scenario::from_file(swept).unwrap();
    let want: Vec<f64> = [(6.0, 1.0); 3]
        .iter()
        .map(|(u, g)| -(u - 5.0) + 0.25 * (g - 2.0))
        .collect();
    assert_close("national", &factor_path(&s)[0], &want);
}
