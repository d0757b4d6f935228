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
                    let fitted = match (table.get(k), &value) {
                        (Some(toml::Value::Integer(_)), toml::Value::Float(x)) => {
                            if x.fract() != 0.0 || !x.is_finite() || x.abs() > 9.0e15 {
                                return Err(ScenarioError::invalid(path, format!("is a whole number; got {x}")));
                            }
                            toml::Value::Integer(*x as i64)
                        }
                        (Some(toml::Value::Float(_)), toml::Value::Integer(n)) => toml::Value::Float(*n as f64),
                        (Some(toml::Value::Integer(_) | toml::Value::Float(_)), v)
                            if !matches!(v, toml::Value::Integer(_) | toml::Value::Float(_)) =>
                        {
                            return Err(ScenarioError::invalid(path, "is a number"));
                        }
                        (_, v) => v.clone(),
                    };
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
                if last {
                    return Err(ScenarioError::invalid(path, "must end with a field name"));
                }
                array.get_mut(*n).ok_or_else(|| {
                    ScenarioError::invalid(path, format!("index {n} is out of range (the list has {len})"))
                })?
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
}
