//! The published JSON Schemas (docs/schema/) and the `format_version` of every
//! JSON output: the committed schema files equal what the output types
//! generate, real outputs of several scenarios validate against them, and
//! every JSON file or `--json` print the program writes names its layout's
//! version.
//!
//! The validation is [`validate`] below, for the keywords schemars emits
//! (and it refuses a schema with any other keyword, so a new one cannot be
//! skipped silently). The `jsonschema` crate (0.61, no default features) was
//! tried first: its build took about nine minutes of this machine's two
//! shared cores (jsonschema itself 385 s, with fancy-regex, referencing,
//! num-bigint, data-encoding and the rest), for eighteen keywords.

mod common;

use std::path::Path;

use creditstress::report::schema::SchemaKind;
use serde_json::Value;
use tempfile::TempDir;

use common::{creditstress, repo_file};

/// The command that rewrites a committed schema from the code.
fn regenerate(kind: SchemaKind) -> String {
    let arg = match kind {
        SchemaKind::Summary => "summary",
        SchemaKind::Comparison => "comparison",
    };
    format!("cargo run --release -- schema {arg} > docs/schema/{}", kind.file_name())
}

fn read_json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()))
}

/// Every error of `instance` against the committed schema of `kind`, one per line with its place.
fn errors(kind: SchemaKind, instance: &Value) -> Vec<String> {
    let schema = read_json(&repo_file(&format!("docs/schema/{}", kind.file_name())));
    let mut found = Vec::new();
    validate(&schema, &schema, instance, "", &mut found);
    found
}

/// Checks `instance` (at `at`, a JSON pointer) against `schema`, a part of
/// `root`, pushing one line per violation to `errors`. Knows the keywords
/// schemars emits: `type`, `properties`, `required`, `additionalProperties`,
/// `items`, `minItems`, `maxItems`, `$ref` (into `#/$defs/`), `anyOf`,
/// `oneOf`, `const`, `minimum`, `format` (the integer widths, `double`),
/// and the annotations `$schema`, `$defs`, `title`, `description`,
/// `default`; any other keyword panics.
fn validate(root: &Value, schema: &Value, instance: &Value, at: &str, errors: &mut Vec<String>) {
    let schema = match schema {
        Value::Bool(true) => return,
        Value::Bool(false) => return errors.push(format!("at {at}: no value is allowed here")),
        Value::Object(map) => map,
        other => panic!("a schema must be an object or a boolean, not {other}"),
    };
    for (keyword, value) in schema {
        match keyword.as_str() {
            "$schema" | "$defs" | "title" | "description" | "default" => {}
            "type" => {
                let types: Vec<&str> = match value {
                    Value::String(t) => vec![t.as_str()],
                    Value::Array(ts) => ts.iter().map(|t| t.as_str().unwrap()).collect(),
                    other => panic!("type {other}"),
                };
                if !types.iter().any(|t| is_type(instance, t)) {
                    fail(errors, at, format!("{instance} is not of type {types:?}"));
                }
            }
            "format" => {
                let format = value.as_str().unwrap();
                let ok = match format {
                    "uint" | "uint8" | "uint16" | "uint32" | "uint64" => {
                        let max = match format {
                            "uint8" => u8::MAX as u64,
                            "uint16" => u16::MAX as u64,
                            "uint32" => u32::MAX as u64,
                            _ => u64::MAX,
                        };
                        !instance.is_number() || instance.as_u64().is_some_and(|v| v <= max)
                    }
                    "int" | "int8" | "int16" | "int32" | "int64" => {
                        !instance.is_number() || instance.as_i64().is_some()
                    }
                    "double" | "float" => true,
                    other => panic!("the test's validator does not know format {other}: extend it"),
                };
                if !ok {
                    fail(errors, at, format!("{instance} is not a {format}"));
                }
            }
            "minimum" => {
                if let (Some(x), Some(min)) = (instance.as_f64(), value.as_f64())
                    && x < min
                {
                    fail(errors, at, format!("{x} is below the minimum {min}"));
                }
            }
            "maximum" => {
                if let (Some(x), Some(max)) = (instance.as_f64(), value.as_f64())
                    && x > max
                {
                    fail(errors, at, format!("{x} is above the maximum {max}"));
                }
            }
            "const" => {
                if instance != value {
                    fail(errors, at, format!("{instance} is not {value}"));
                }
            }
            "properties" => {
                if let Value::Object(fields) = instance {
                    for (name, sub) in value.as_object().unwrap() {
                        if let Some(v) = fields.get(name) {
                            validate(root, sub, v, &format!("{at}/{name}"), errors);
                        }
                    }
                }
            }
            "required" => {
                if let Value::Object(fields) = instance {
                    for name in value.as_array().unwrap() {
                        let name = name.as_str().unwrap();
                        if !fields.contains_key(name) {
                            errors.push(format!("at {at}: the required field {name} is missing"));
                        }
                    }
                }
            }
            "additionalProperties" => {
                if let Value::Object(fields) = instance {
                    let known = schema.get("properties").and_then(Value::as_object);
                    for (name, v) in fields {
                        if known.is_none_or(|k| !k.contains_key(name)) {
                            validate(root, value, v, &format!("{at}/{name}"), errors);
                        }
                    }
                }
            }
            "items" => {
                if let Value::Array(items) = instance {
                    for (i, v) in items.iter().enumerate() {
                        validate(root, value, v, &format!("{at}/{i}"), errors);
                    }
                }
            }
            "minItems" | "maxItems" => {
                if let Value::Array(items) = instance {
                    let bound = value.as_u64().unwrap() as usize;
                    if (keyword == "minItems" && items.len() < bound) || (keyword == "maxItems" && items.len() > bound)
                    {
                        fail(errors, at, format!("{} items, {keyword} is {bound}", items.len()));
                    }
                }
            }
            "$ref" => {
                let reference = value.as_str().unwrap();
                let name = reference.strip_prefix("#/$defs/").unwrap_or_else(|| {
                    panic!("the test's validator follows #/$defs/ references only, not {reference}")
                });
                let target = root["$defs"]
                    .get(name)
                    .unwrap_or_else(|| panic!("{reference} is not in the schema's $defs"));
                validate(root, target, instance, at, errors);
            }
            "anyOf" | "oneOf" => {
                let matching = value
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|sub| {
                        let mut inner = Vec::new();
                        validate(root, sub, instance, at, &mut inner);
                        inner.is_empty()
                    })
                    .count();
                let ok = if keyword == "anyOf" {
                    matching >= 1
                } else {
                    matching == 1
                };
                if !ok {
                    fail(
                        errors,
                        at,
                        format!("{instance} matches {matching} of the {keyword} alternatives"),
                    );
                }
            }
            other => panic!("the test's validator does not know the keyword {other}: extend it"),
        }
    }
}

/// Records a violation at `at`.
fn fail(errors: &mut Vec<String>, at: &str, message: String) {
    errors.push(format!("at {at}: {message}"));
}

/// Whether `v` is of JSON Schema type `t`.
fn is_type(v: &Value, t: &str) -> bool {
    match t {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|x| x.fract() == 0.0),
        other => panic!("unknown type {other}"),
    }
}

fn assert_valid(kind: SchemaKind, path: &Path) {
    let errors = errors(kind, &read_json(path));
    assert!(
        errors.is_empty(),
        "{} does not validate against docs/schema/{}:\n{}",
        path.display(),
        kind.file_name(),
        errors.join("\n")
    );
}

fn run_ok(args: &[&str]) {
    let out = creditstress().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "creditstress {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn committed_schemas_equal_the_generated_ones() {
    for kind in SchemaKind::ALL {
        let path = repo_file(&format!("docs/schema/{}", kind.file_name()));
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        let generated = kind.schema_json();
        assert!(
            committed == generated,
            "{} is not what the types of {} generate: a serialised type changed without its schema. \
             Regenerate it with `{}` and commit it (raise the format_version if a field changed meaning \
             or went away).",
            path.display(),
            kind.output(),
            regenerate(kind)
        );
        // `creditstress schema` prints the same bytes.
        let arg = if kind == SchemaKind::Summary {
            "summary"
        } else {
            "comparison"
        };
        let out = creditstress().args(["schema", arg]).output().unwrap();
        assert!(out.status.success());
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            generated,
            "creditstress schema {arg}"
        );
    }
}

#[test]
fn a_schema_of_an_unknown_output_is_a_usage_error() {
    let out = creditstress().args(["schema", "paths"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("summary") && stderr.contains("comparison"), "{stderr}");
}

#[test]
fn real_summaries_validate_against_the_schema() {
    let tmp = TempDir::new().unwrap();
    // Between them: a run-off book, a policy, importance sampling with a
    // precision target, events and shocks, economics with provisions and
    // capital, a going-concern book, and a merge of shards.
    let runs: [(&str, &[&str]); 5] = [
        ("scenarios/baseline.toml", &["--paths", "300"]),
        (
            "scenarios/downturn.toml",
            &["--paths", "2000", "--sampling", "importance", "--target", "el:0.5"],
        ),
        ("scenarios/pandemic.toml", &["--paths", "200"]),
        ("scenarios/economic_adverse.toml", &["--paths", "100"]),
        ("scenarios/going_concern.toml", &["--paths", "100"]),
    ];
    for (i, (scenario, extra)) in runs.iter().enumerate() {
        let out = tmp.path().join(format!("run-{i}"));
        let mut args = vec!["run", &repo_file(scenario).display().to_string()]
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>();
        args.extend(extra.iter().map(|s| s.to_string()));
        args.extend(["-q".to_string(), "--out".into(), out.display().to_string()]);
        run_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert_valid(SchemaKind::Summary, &out.join("summary.json"));
    }
    // A merge writes the same summary from its shards.
    let baseline = repo_file("scenarios/baseline.toml").display().to_string();
    for k in 0..2 {
        let shard = tmp.path().join(format!("shard-{k}"));
        run_ok(&[
            "run",
            &baseline,
            "--paths",
            "200",
            "--shard",
            &format!("{k}/2"),
            "-q",
            "--out",
            &shard.display().to_string(),
        ]);
    }
    let merged = tmp.path().join("merged");
    run_ok(&[
        "merge",
        &tmp.path().join("shard-0").display().to_string(),
        &tmp.path().join("shard-1").display().to_string(),
        "-q",
        "--out",
        &merged.display().to_string(),
    ]);
    assert_valid(SchemaKind::Summary, &merged.join("summary.json"));
}

#[test]
fn a_real_comparison_validates_against_the_schema() {
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("cmp");
    run_ok(&[
        "compare",
        &repo_file("scenarios/downturn.toml").display().to_string(),
        "--policy",
        &repo_file("scenarios/policies/current.toml").display().to_string(),
        "--policy",
        &repo_file("scenarios/policies/tight.toml").display().to_string(),
        "--policy",
        &repo_file("scenarios/policies/intensive_collections.toml")
            .display()
            .to_string(),
        "--paths",
        "300",
        "-q",
        "--out",
        &out.display().to_string(),
    ]);
    assert_valid(SchemaKind::Comparison, &out.join("comparison.json"));
}

#[test]
fn the_validation_rejects_what_the_program_never_writes() {
    // The schemas are strict enough to catch a changed type: a summary with
    // a string for a number, or without a required field, does not validate.
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("run");
    run_ok(&[
        "run",
        &repo_file("scenarios/baseline.toml").display().to_string(),
        "--paths",
        "100",
        "-q",
        "--out",
        &out.display().to_string(),
    ]);
    let summary = read_json(&out.join("summary.json"));
    assert_eq!(errors(SchemaKind::Summary, &summary), Vec::<String>::new());
    let mut wrong_type = summary.clone();
    wrong_type["loss"]["mean"] = Value::String("12.5".into());
    let found = errors(SchemaKind::Summary, &wrong_type);
    assert!(found.iter().any(|e| e.contains("/loss/mean")), "{found:?}");
    let mut missing = summary.clone();
    missing.as_object_mut().unwrap().remove("paths");
    let found = errors(SchemaKind::Summary, &missing);
    assert!(found.iter().any(|e| e.contains("paths")), "{found:?}");
    let mut negative = summary.clone();
    negative["paths"] = Value::from(-1);
    assert!(!errors(SchemaKind::Summary, &negative).is_empty());
    let mut not_one_of = summary;
    not_one_of["format_version"] = Value::from(1.5);
    assert!(!errors(SchemaKind::Summary, &not_one_of).is_empty());
}

#[test]
fn the_test_validator_checks_each_keyword() {
    use serde_json::json;
    let root = json!({
        "$defs": { "Pair": { "type": "array", "items": { "type": "number" }, "minItems": 2, "maxItems": 2 } },
        "type": "object",
        "properties": {
            "n": { "type": "integer", "format": "uint32", "minimum": 0 },
            "depth": { "type": "integer", "format": "uint8", "minimum": 0, "maximum": 255 },
            "pair": { "$ref": "#/$defs/Pair" },
            "maybe": { "anyOf": [{ "$ref": "#/$defs/Pair" }, { "type": "null" }] },
            "kind": { "oneOf": [{ "const": "a" }, { "const": "b" }] },
            "map": { "type": "object", "additionalProperties": { "type": "string" } }
        },
        "required": ["n"]
    });
    let check = |instance: Value| {
        let mut found = Vec::new();
        validate(&root, &root, &instance, "", &mut found);
        found
    };
    assert!(check(json!({"n": 3, "pair": [1.0, 2], "maybe": null, "kind": "a", "map": {"x": "y"}})).is_empty());
    for bad in [
        json!({}),
        json!({"n": -1}),
        json!({"n": 5000000000u64}),
        json!({"n": 1, "pair": [1.0]}),
        json!({"n": 1, "pair": [1.0, 2.0, 3.0]}),
        json!({"n": 1, "maybe": [1.0, "x"]}),
        json!({"n": 1, "kind": "c"}),
        json!({"n": 1, "map": {"x": 1}}),
        json!({"n": "1"}),
        json!({"n": 1, "depth": 256}),
    ] {
        assert!(!check(bad.clone()).is_empty(), "{bad} passed");
    }
}

#[test]
fn every_json_output_names_its_format_version() {
    let tmp = TempDir::new().unwrap();
    let dir = |name: &str| tmp.path().join(name).display().to_string();
    let baseline = repo_file("scenarios/baseline.toml").display().to_string();
    let downturn = repo_file("scenarios/downturn.toml").display().to_string();
    let version = |file: &str| -> Value {
        let json = read_json(&tmp.path().join(file));
        json.get("format_version")
            .cloned()
            .unwrap_or_else(|| panic!("{file} has no format_version"))
    };
    run_ok(&["run", &baseline, "--paths", "100", "-q", "--out", &dir("run")]);
    assert_eq!(version("run/summary.json"), 1);
    assert_eq!(version("run/manifest.json"), 1);
    run_ok(&[
        "run",
        &baseline,
        "--paths",
        "100",
        "--shard",
        "0/2",
        "-q",
        "--out",
        &dir("shard"),
    ]);
    // shard.json names the layout of shard.bin beside it.
    assert_eq!(version("shard/shard.json"), creditstress::shard::codec::FORMAT_VERSION);
    let policy = |p: &str| repo_file(&format!("scenarios/policies/{p}.toml")).display().to_string();
    run_ok(&[
        "compare",
        &downturn,
        "--policy",
        &policy("current"),
        "--policy",
        &policy("tight"),
        "--paths",
        "100",
        "-q",
        "--out",
        &dir("cmp"),
    ]);
    assert_eq!(version("cmp/comparison.json"), 1);
    assert_eq!(version("cmp/manifest.json"), 1);
    run_ok(&[
        "stress",
        &baseline,
        &downturn,
        "--paths",
        "100",
        "-q",
        "--out",
        &dir("stress"),
    ]);
    assert_eq!(version("stress/stress.json"), 1);
    run_ok(&[
        "sweep",
        &downturn,
        "--param",
        "policy.approval.min_score",
        "--from",
        "500",
        "--to",
        "600",
        "--step",
        "50",
        "--paths",
        "100",
        "-q",
        "--out",
        &dir("sweep"),
    ]);
    assert_eq!(version("sweep/sweep.json"), 1);
    run_ok(&[
        "sweep",
        &repo_file("scenarios/pandemic.toml").display().to_string(),
        "--grid",
        &repo_file("scenarios/grids/pandemic_depth_cutoff.toml")
            .display()
            .to_string(),
        "--paths",
        "50",
        "-q",
        "--out",
        &dir("grid"),
    ]);
    assert_eq!(version("grid/grid.json"), 1);
    run_ok(&[
        "reverse",
        &repo_file("scenarios/pandemic.toml").display().to_string(),
        "--param",
        "macro.shocks[0].depth",
        "--target",
        "net_income.mean=0",
        "--from",
        "0.5",
        "--to",
        "3",
        "--paths",
        "100",
        "-q",
        "--out",
        &dir("reverse"),
    ]);
    assert_eq!(version("reverse/reverse.json"), 1);
    run_ok(&[
        "scaling",
        &baseline,
        "--paths",
        "50",
        "--threads",
        "1",
        "--runs",
        "1",
        "--export-json",
        &dir("scaling.json"),
    ]);
    assert_eq!(version("scaling.json"), 1);
    // What the commands print with --json.
    for args in [
        vec!["validate", baseline.as_str(), "--json"],
        vec!["check", "--json"],
        vec![
            "run",
            baseline.as_str(),
            "--paths",
            "50",
            "--json",
            "--out",
            &dir("printed"),
        ],
    ] {
        let out = creditstress().args(&args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(printed["format_version"], 1, "{args:?}");
    }
    let out = creditstress()
        .args(["validate", "no-such-file.toml", "--json"])
        .output()
        .unwrap();
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (printed["valid"].clone(), printed["format_version"].clone()),
        (false.into(), 1.into())
    );
}
