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
                    let number = match table.get(k) {
                        Some(toml::Value::Integer(_)) => {
                            if value.fract() != 0.0 || !value.is_finite() {
                                return Err(ScenarioError::invalid(path, format!("is a whole number; got {value}")));
                            }
                            toml::Value::Integer(value as i64)
                        }
                        Some(toml::Value::Float(_)) | None => toml::Value::Float(value),
                        Some(_) => return Err(ScenarioError::invalid(path, "is not a number")),
                    };
                    table.insert(k.clone(), number);
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
            format!("the swept value does not fit the format at {at}: {}", e.into_inner()),
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
}
