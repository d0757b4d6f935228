//! Setting one field of a scenario by its dotted path, for parameter sweeps:
//! `policy.approval.min_score`, `macro.shocks[0].depth`, `segments[1].rho`.

use super::{ScenarioError, ScenarioFile};

/// A dotted field path split into keys and array indices.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

fn parse_path(path: &str) -> Result<Vec<Step>, ScenarioError> {
    let bad = || {
        ScenarioError::invalid(
            path,
            "is not a field path like policy.approval.min_score or macro.shocks[0].depth",
        )
    };
    let mut steps = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = part.split_at(part.find('[').unwrap_or(part.len()));
        if key.is_empty() {
            return Err(bad());
        }
        steps.push(Step::Key(key.to_string()));
        while !rest.is_empty() {
            let close = rest.find(']').ok_or_else(bad)?;
            let index = rest[1..close].parse().map_err(|_| bad())?;
            steps.push(Step::Index(index));
            rest = &rest[close + 1..];
            if !rest.is_empty() && !rest.starts_with('[') {
                return Err(bad());
            }
        }
    }
    Ok(steps)
}

/// Returns a copy of `file` with the number at `path` set to `value`.
/// Missing tables on the way are created (so a sweep can switch a lever on);
/// an integer field receives an integer (the value must then be whole).
pub fn with_field(file: &ScenarioFile, path: &str, value: f64) -> Result<ScenarioFile, ScenarioError> {
    with_value(file, path, toml::Value::Float(value))
}

/// One `--set PATH=VALUE`: the value is read as TOML (a number, a quoted
/// string, a boolean, an array or an inline table); a bare word that is not
/// TOML (`--set run.sampling=importance`) is taken as a string.
pub fn parse_setting(text: &str) -> Result<(String, toml::Value), ScenarioError> {
    let Some((path, value)) = text.split_once('=') else {
        return Err(ScenarioError::invalid(
            "--set",
            format!("{text:?} is not PATH=VALUE (e.g. --set segments[0].rho=0.12 or --set run.sampling=importance)"),
        ));
    };
    let (path, value) = (path.trim(), value.trim());
    parse_path(path)?;
    let parsed = toml::from_str::<toml::Table>(&format!("v = {value}"))
        .ok()
        .and_then(|mut t| t.remove("v"));
    let bare_word = !value.is_empty() && value.chars().all(|c| c.is_alphanumeric() || "_-.:/".contains(c));
    match parsed {
        Some(v) => Ok((path.to_string(), v)),
        None if bare_word => Ok((path.to_string(), toml::Value::String(value.to_string()))),
        None => Err(ScenarioError::invalid(
            path,
            format!("--set value {value:?} is not a TOML value (quote strings with spaces: 'name=\"a b\"')"),
        )),
    }
}

/// Returns a copy of `file` with the field at `path` set to `value` (see
/// [`with_field`] for missing tables). Numbers follow the field: an integer
/// field takes a whole float as an integer, a float field takes an integer
/// as a float.
pub fn with_value(file: &ScenarioFile, path: &str, value: toml::Value) -> Result<ScenarioFile, ScenarioError> {
    let steps = parse_path(path)?;
    let mut doc = toml::Value::try_from(file).map_err(|e| ScenarioError::Parse(e.to_string()))?;
    let mut node = &mut doc;
    for (i, step) in steps.iter().enumerate() {
        let last = i + 1 == steps.len();
        node = match step {
            Step::Key(k) => {
                let table = node
                    .as_table_mut()
                    .ok_or_else(|| ScenarioError::invalid(path, format!("{k:?} is not inside a table")))?;
                if last {
                    let fitted = fitted(path, table.get(k), &value)?;
                    table.insert(k.clone(), fitted);
                    break;
                }
                let next_is_index = matches!(steps[i + 1], Step::Index(_));
                table.entry(k.clone()).or_insert_with(|| {
                    if next_is_index {
                        toml::Value::Array(Vec::new())
                    } else {
                        toml::Value::Table(toml::Table::new())
                    }
                })
            }
            Step::Index(n) => {
                let array = node.as_array_mut().ok_or_else(|| {
                    ScenarioError::invalid(path, format!("[{n}] indexes something that is not a list"))
                })?;
                let len = array.len();
                let entry = array.get_mut(*n).ok_or_else(|| {
                    ScenarioError::invalid(path, format!("index {n} is out of range (the list has {len})"))
                })?;
                if last {
                    // A list entry, e.g. segments[0].pricing.daily_rate_by_band[2].
                    *entry = fitted(path, Some(entry), &value)?;
                    break;
                }
                entry
            }
        };
    }
    let mut swept: ScenarioFile = serde_path_to_error::deserialize(doc).map_err(|e| {
        let at = e.path().to_string();
        ScenarioError::invalid(
            path,
            format!("the value does not fit the format at {at}: {}", e.into_inner()),
        )
    })?;
    // The data files are not part of the TOML: without this, a swept book or
    // economic table would be refused as "not read".
    swept.attachments = file.attachments.clone();
    Ok(swept)
}

/// `value` as the field now holding `current` takes it: an integer field
/// takes a whole float as an integer, a float field takes an integer as a
/// float, and a number field takes nothing but a number.
fn fitted(path: &str, current: Option<&toml::Value>, value: &toml::Value) -> Result<toml::Value, ScenarioError> {
    Ok(match (current, value) {
        (Some(toml::Value::Integer(_)), toml::Value::Float(x)) => {
            if x.fract() != 0.0 || !x.is_finite() {
                return Err(ScenarioError::invalid(path, format!("must be a whole number; got {x}")));
            }
            // Beyond 2^53 a float no longer holds every integer: 1e30 would be set as another number.
            if x.abs() > 9.0e15 {
                return Err(ScenarioError::invalid(
                    path,
                    format!("must be a whole number of at most 9e15 in size to be swept exactly; got {x:e}"),
                ));
            }
            toml::Value::Integer(*x as i64)
        }
        (Some(toml::Value::Float(_)), toml::Value::Integer(n)) => toml::Value::Float(*n as f64),
        (Some(toml::Value::Integer(_) | toml::Value::Float(_)), v)
            if !matches!(v, toml::Value::Integer(_) | toml::Value::Float(_)) =>
        {
            return Err(ScenarioError::invalid(path, "is a number"));
        }
        // A whole list of numbers: each entry fitted to the list's kind.
        (Some(toml::Value::Array(old)), toml::Value::Array(new)) if !old.is_empty() => toml::Value::Array(
            new.iter()
                .map(|v| fitted(path, old.first(), v))
                .collect::<Result<_, _>>()?,
        ),
        (_, v) => v.clone(),
    })
}

/// The values `from, from + step, ...` up to `to` (included when the steps
/// land on it, to 1e-9 of a step), each rounded to 12 significant digits;
/// at most `max` of them.
pub fn range_values(from: f64, to: f64, step: f64, max: usize) -> Result<Vec<f64>, String> {
    if !(step > 0.0 && step.is_finite() && from.is_finite() && to.is_finite() && from <= to) {
        return Err("from/to/step need from <= to and step > 0".to_string());
    }
    let n = ((to - from) / step + 1e-9).floor() + 1.0;
    if n > max as f64 {
        return Err(format!("the range has {n} points; at most {max}"));
    }
    // Rounded to 12 significant digits, so that 0.0003 + 0.0001 is 0.0004 and
    // not 0.00039999999999999996 (the value set, and the label shown).
    let round = |x: f64| format!("{x:.11e}").parse::<f64>().unwrap_or(x);
    Ok((0..n as usize).map(|i| round(from + i as f64 * step)).collect())
}

/// Most grid points a sweep runs (each is a full run of the scenario's paths).
pub const MAX_GRID_POINTS: usize = 1000;
/// Most axes of a grid: two make a heatmap, a third one heatmap per value.
pub const MAX_GRID_AXES: usize = 3;

/// A grid study file: one `[[sweep]]` block per axis, the grid their product.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct GridFileToml {
    /// The figure the heatmap shows (see [`GridMeasure`]); default `net_income`.
    #[serde(default)]
    measure: Option<String>,
    sweep: Vec<GridAxisToml>,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct GridAxisToml {
    param: String,
    #[serde(default)]
    values: Option<Vec<toml::Value>>,
    #[serde(default)]
    from: Option<f64>,
    #[serde(default)]
    to: Option<f64>,
    #[serde(default)]
    step: Option<f64>,
}

/// One axis of a grid: a field and the values it takes, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct GridAxis {
    /// Dotted field path, e.g. `segments[0].pricing.daily_rate_by_band[2]`.
    pub param: String,
    /// Its values (numbers, or whole lists for a list field).
    pub values: Vec<toml::Value>,
}

impl GridAxis {
    /// A value as the tables and plots show it (TOML's own spelling).
    pub fn label(value: &toml::Value) -> String {
        match value {
            toml::Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }
}

/// The figure a grid's heatmap shows, with its 95% interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GridMeasure {
    /// Mean loss (EL).
    El,
    /// Mean net income (interest - loss - collection and recovery cost).
    NetIncome,
    /// Mean interest income.
    InterestIncome,
    /// Mean default rate (charge-offs / loans booked).
    DefaultRate,
    /// VaR of the loss at a level.
    Var(f64),
    /// ES of the loss at a level.
    Es(f64),
}

impl GridMeasure {
    /// Parses `el`, `net_income`, `interest_income`, `default_rate`, `var.Q` or `es.Q`.
    pub fn parse(text: &str) -> Result<GridMeasure, String> {
        let level = |q: &str| {
            q.parse::<f64>()
                .ok()
                .filter(|q| *q > 0.0 && *q < 1.0)
                .ok_or_else(|| format!("{q:?} is not a level in (0, 1)"))
        };
        match text.trim() {
            "el" => Ok(GridMeasure::El),
            "net_income" => Ok(GridMeasure::NetIncome),
            "interest_income" => Ok(GridMeasure::InterestIncome),
            "default_rate" => Ok(GridMeasure::DefaultRate),
            t => match t.split_once('.') {
                Some(("var", q)) => Ok(GridMeasure::Var(level(q)?)),
                Some(("es", q)) => Ok(GridMeasure::Es(level(q)?)),
                _ => Err(format!(
                    "{t:?} is not a measure: give el, net_income, interest_income, default_rate, var.Q or es.Q \
                     (Q a level in (0, 1), e.g. var.0.99)"
                )),
            },
        }
    }

    /// Its name as written in the study file.
    pub fn key(self) -> String {
        match self {
            GridMeasure::El => "el".to_string(),
            GridMeasure::NetIncome => "net_income".to_string(),
            GridMeasure::InterestIncome => "interest_income".to_string(),
            GridMeasure::DefaultRate => "default_rate".to_string(),
            GridMeasure::Var(q) => format!("var.{q}"),
            GridMeasure::Es(q) => format!("es.{q}"),
        }
    }
}

/// A parsed grid study file.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    /// The axes, first the slowest.
    pub axes: Vec<GridAxis>,
    /// What the heatmap shows.
    pub measure: GridMeasure,
}

impl Grid {
    /// Every grid point as one index per axis, the first axis slowest.
    pub fn points(&self) -> Vec<Vec<usize>> {
        let mut points = vec![Vec::new()];
        for axis in &self.axes {
            points = points
                .into_iter()
                .flat_map(|p| {
                    (0..axis.values.len()).map(move |i| {
                        let mut q = p.clone();
                        q.push(i);
                        q
                    })
                })
                .collect();
        }
        points
    }

    /// The scenario at one grid point: every axis's value set in order.
    pub fn apply(&self, file: &ScenarioFile, point: &[usize]) -> Result<ScenarioFile, ScenarioError> {
        let mut out = file.clone();
        for (axis, &i) in self.axes.iter().zip(point) {
            out = with_value(&out, &axis.param, axis.values[i].clone())?;
        }
        Ok(out)
    }
}

/// Parses a grid study file: `[[sweep]]` blocks, each with `param` and
/// either `values = [...]` or `from`, `to` and `step`, and an optional
/// `measure`. Errors name the block and the field.
pub fn parse_grid_file(text: &str) -> Result<Grid, ScenarioError> {
    let raw: GridFileToml = toml::from_str(text).map_err(|e| ScenarioError::Parse(e.to_string()))?;
    let measure = match &raw.measure {
        Some(m) => GridMeasure::parse(m).map_err(|e| ScenarioError::invalid("measure", e))?,
        None => GridMeasure::NetIncome,
    };
    if raw.sweep.is_empty() || raw.sweep.len() > MAX_GRID_AXES {
        return Err(ScenarioError::invalid(
            "sweep",
            format!(
                "has {} [[sweep]] blocks; give 1 to {MAX_GRID_AXES} (one per axis of the grid)",
                raw.sweep.len()
            ),
        ));
    }
    let mut axes = Vec::with_capacity(raw.sweep.len());
    for (k, a) in raw.sweep.into_iter().enumerate() {
        let field = |f: &str| format!("sweep[{k}].{f}");
        parse_path(&a.param)
            .map_err(|_| ScenarioError::invalid(field("param"), format!("{:?} is not a field path", a.param)))?;
        if axes.iter().any(|x: &GridAxis| x.param == a.param) {
            return Err(ScenarioError::invalid(
                field("param"),
                format!("{} is swept twice; give each field one block", a.param),
            ));
        }
        let values = match (a.values, a.from, a.to, a.step) {
            (Some(v), None, None, None) => v,
            (None, Some(from), Some(to), Some(step)) => range_values(from, to, step, MAX_GRID_POINTS)
                .map_err(|e| ScenarioError::invalid(field("from"), e))?
                .into_iter()
                .map(toml::Value::Float)
                .collect(),
            _ => {
                return Err(ScenarioError::invalid(
                    field("values"),
                    "give either values = [...] or all of from, to and step",
                ));
            }
        };
        if values.is_empty() {
            return Err(ScenarioError::invalid(field("values"), "is empty"));
        }
        if let Some(v) = values
            .iter()
            .find(|v| matches!(v, toml::Value::Float(x) if !x.is_finite()))
        {
            return Err(ScenarioError::invalid(
                field("values"),
                format!("{v} is not a finite number"),
            ));
        }
        axes.push(GridAxis { param: a.param, values });
    }
    let points: f64 = axes.iter().map(|a| a.values.len() as f64).product();
    if points > MAX_GRID_POINTS as f64 {
        return Err(ScenarioError::invalid(
            "sweep",
            format!("the grid has {points} points; at most {MAX_GRID_POINTS}"),
        ));
    }
    Ok(Grid { axes, measure })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Scenario, parse_scenario_file};

    const BASE: &str = r#"
schema_version = 1
name = "s"
[[segments]]
name = "a"
loans = 10
score = { mean = 650, std = 50 }
income = { median_monthly = 5000, sigma = 0.5 }
pd = { model = "constant", value = 0.02 }
rho = 0.1
lgd = { mean = 0.6 }
[[macro.shocks]]
start_month = 3
depth = 1.0
duration_months = 2
"#;

    #[test]
    fn sets_nested_fields_and_creates_missing_tables() {
        let file = parse_scenario_file(BASE).unwrap();
        let f = with_field(&file, "macro.shocks[0].depth", 2.5).unwrap();
        assert_eq!(f.macro_model.shocks[0].depth, 2.5);
        let f = with_field(&file, "policy.approval.min_score", 600.0).unwrap();
        assert_eq!(Scenario::from_file(f).unwrap().policy.min_score, Some(600.0));
        let f = with_field(&file, "run.horizon_months", 12.0).unwrap();
        assert_eq!(f.run.horizon_months, 12);
        assert!(with_field(&file, "run.horizon_months", 12.5).is_err());
        assert!(
            with_field(&file, "macro.shocks[3].depth", 1.0)
                .unwrap_err()
                .to_string()
                .contains("out of range")
        );
        assert!(
            with_field(&file, "segments[0].nonsense", 1.0)
                .unwrap_err()
                .to_string()
                .contains("nonsense")
        );
        assert!(with_field(&file, "bad..path", 1.0).is_err());
    }

    #[test]
    fn settings_parse_as_toml_and_fit_the_field() {
        let file = parse_scenario_file(BASE).unwrap();
        let (path, value) = parse_setting("segments[0].rho=0").unwrap();
        // An integer given to a float field becomes a float.
        let f = with_value(&file, &path, value).unwrap();
        assert_eq!(Scenario::from_file(f).unwrap().segments[0].loans, 10);
        let (path, value) = parse_setting("run.risk_levels = [0.9, 0.99]").unwrap();
        let f = with_value(&file, &path, value).unwrap();
        assert_eq!(f.run.risk_levels, vec![0.9, 0.99]);
        // A bare word is a string.
        let (path, value) = parse_setting("run.sampling=importance").unwrap();
        assert_eq!(value, toml::Value::String("importance".into()));
        let f = with_value(&file, &path, value).unwrap();
        assert_eq!(f.run.sampling, crate::scenario::SamplingMethod::Importance);
        // A whole float goes into an integer field; a fraction does not; a string never goes into a number.
        let f = with_value(&file, "run.paths", toml::Value::Float(500.0)).unwrap();
        assert_eq!(f.run.paths, 500);
        assert!(with_value(&file, "run.paths", toml::Value::Float(1.5)).is_err());
        let e = with_value(&file, "run.paths", toml::Value::String("many".into())).unwrap_err();
        assert!(e.to_string().contains("run.paths: is a number"), "{e}");
        for bad in ["rho", "=3", "segments[x].rho=1", "name=a b"] {
            assert!(parse_setting(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn list_entries_and_whole_lists_can_be_set() {
        let file = parse_scenario_file(BASE).unwrap();
        let f = with_value(&file, "population.score_bands[1]", toml::Value::Integer(560)).unwrap();
        assert_eq!(f.population.score_bands[1], 560.0);
        assert_eq!(f.population.score_bands[2], file.population.score_bands[2]);
        let whole: toml::Value =
            toml::from_str::<toml::Table>("v = [350, 560, 620, 650, 700, 750, 950]").unwrap()["v"].clone();
        let f = with_value(&file, "population.score_bands", whole).unwrap();
        assert_eq!(f.population.score_bands[2], 620.0);
        let e = with_value(&file, "population.score_bands[40]", toml::Value::Float(1.0)).unwrap_err();
        assert!(e.to_string().contains("out of range"), "{e}");
        let e = with_value(&file, "population.score_bands[1]", toml::Value::String("x".into())).unwrap_err();
        assert!(e.to_string().contains("is a number"), "{e}");
    }

    #[test]
    fn grid_files_parse_into_axes_and_points() {
        let grid = parse_grid_file(
            r#"
measure = "var.0.99"
[[sweep]]
param = "macro.shocks[0].depth"
from = 1.0
to = 2.0
step = 0.5
[[sweep]]
param = "population.score_bands"
values = [[350, 550, 600, 650, 700, 750, 950], [350, 560, 620, 660, 700, 750, 950]]
"#,
        )
        .unwrap();
        assert_eq!(grid.measure, GridMeasure::Var(0.99));
        assert_eq!(grid.axes[0].values.len(), 3);
        let points = grid.points();
        assert_eq!(points.len(), 6);
        assert_eq!(points[0], vec![0, 0]);
        assert_eq!(points[1], vec![0, 1]);
        assert_eq!(points[5], vec![2, 1]);
        let file = parse_scenario_file(BASE).unwrap();
        let f = grid.apply(&file, &[2, 1]).unwrap();
        assert_eq!(f.macro_model.shocks[0].depth, 2.0);
        assert_eq!(f.population.score_bands[1], 560.0);
        for (bad, says) in [
            ("[[sweep]]\nparam = \"a.b\"\n", "values"),
            (
                "measure = \"median\"\n[[sweep]]\nparam = \"a\"\nvalues = [1]",
                "measure",
            ),
            ("[[sweep]]\nparam = \"a\"\nvalues = []", "sweep[0].values"),
            ("[[sweep]]\nparam = \"a\"\nfrom = 0\nto = 1e9\nstep = 1", "at most"),
            (
                "[[sweep]]\nparam = \"a\"\nvalues = [1]\n[[sweep]]\nparam = \"a\"\nvalues = [2]",
                "twice",
            ),
            ("[[sweep]]\nparam = \"a\"\nvalues = [1]\nnonsense = 2", "nonsense"),
            ("sweep = []", "1 to 3"),
        ] {
            let e = parse_grid_file(bad).unwrap_err().to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
