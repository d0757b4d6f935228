//! The bundled scenarios parse and validate; the bad-input corpus is refused
//! with the expected message.
//!
//! - every `*.toml` under `scenarios/` (recursively) is a valid scenario whose
//!   `name` equals its file stem;
//! - every file in `tests/scenarios/bad/` starts with `# expect: <text>` and
//!   fails with an error whose message contains `<text>`;
//! - baseline, downturn, pandemic and economic_adverse describe the same book.
//!
//! A bundled scenario that names a data file (`[macro.link] file`) is loaded
//! with it, read relative to the scenario's folder as the CLI reads it.

use std::fs;
use std::path::{Path, PathBuf};

use creditstress::scenario::{Correlation, Scenario, parse_scenario, parse_scenario_file};

const MIN_BAD_FILES: usize = 14;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// All `*.toml` files under `dir`, recursively, sorted.
fn toml_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = fs::read_dir(&d).unwrap_or_else(|e| panic!("cannot read {}: {e}", d.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                // Policy and grid files are not scenarios; they have their own tests.
                if path.file_name().is_some_and(|n| n == "policies" || n == "grids") {
                    continue;
                }
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "toml") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn stem(path: &Path) -> &str {
    path.file_stem().and_then(|s| s.to_str()).expect("UTF-8 file stem")
}

/// Parses and validates a scenario file with the data files it names
/// (a book, an economic table) read relative to its folder, as the CLI does.
fn parse_with_attachments(path: &Path) -> Result<Scenario, String> {
    let mut file = parse_scenario_file(&read(path)).map_err(|e| e.to_string())?;
    let folder = path.parent().expect("a file has a folder");
    for name in file.referenced_files() {
        let bytes = fs::read(folder.join(&name)).map_err(|e| format!("cannot read {name}: {e}"))?;
        file.attachments.insert(name, bytes);
    }
    Scenario::from_file(file).map_err(|e| e.to_string())
}

fn load(rel: &str) -> Scenario {
    let path = root().join(rel);
    parse_with_attachments(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn bundled_scenarios_are_valid_and_named_after_their_file() {
    let files = toml_files(&root().join("scenarios"));
    assert!(
        files.len() >= 5,
        "expected at least 5 bundled scenarios, found {files:?}"
    );
    let mut failures = Vec::new();
    for path in &files {
        match parse_with_attachments(path) {
            Ok(s) if s.name == stem(path) => {}
            Ok(s) => failures.push(format!(
                "{}: name is {:?}, expected the file stem {:?}",
                path.display(),
                s.name,
                stem(path)
            )),
            Err(e) => failures.push(format!("{}: {e}", path.display())),
        }
    }
    assert!(
        failures.is_empty(),
        "invalid bundled scenarios:\n{}",
        failures.join("\n")
    );
}

#[test]
fn bundled_scenarios_start_with_schema_version_and_have_a_description() {
    for path in toml_files(&root().join("scenarios")) {
        let text = read(&path);
        let first_key = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .unwrap_or("");
        assert_eq!(
            first_key,
            "schema_version = 1",
            "{}: the first setting must be schema_version = 1",
            path.display()
        );
        let s = parse_with_attachments(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            !s.file.description.trim().is_empty(),
            "{}: give a description",
            path.display()
        );
    }
}

/// The `# expect:` text on the first line of a bad file.
fn expected_message(path: &Path, text: &str) -> String {
    let first = text.lines().next().unwrap_or("");
    let Some(expect) = first.strip_prefix("# expect:") else {
        panic!(
            "{}: the first line must be `# expect: <part of the error message>`, got {first:?}",
            path.display()
        );
    };
    let expect = expect.trim();
    assert!(!expect.is_empty(), "{}: empty `# expect:`", path.display());
    expect.to_string()
}

#[test]
fn bad_scenarios_fail_with_the_expected_message() {
    let files = toml_files(&root().join("tests/scenarios/bad"));
    let mut failures = Vec::new();
    for path in &files {
        let text = read(path);
        let expect = expected_message(path, &text);
        match parse_scenario(&text) {
            Ok(_) => failures.push(format!(
                "{}: was accepted, expected an error containing {expect:?}",
                path.display()
            )),
            Err(e) => {
                let message = e.to_string();
                if !message.contains(&expect) {
                    failures.push(format!(
                        "{}: expected an error containing {expect:?}, got:\n{message}",
                        path.display()
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} bad scenarios misbehaved:\n\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}

#[test]
fn bad_corpus_is_large_enough() {
    let files = toml_files(&root().join("tests/scenarios/bad"));
    assert!(
        files.len() >= MIN_BAD_FILES,
        "expected at least {MIN_BAD_FILES} bad scenarios, found {}",
        files.len()
    );
}

#[test]
fn stress_scenarios_share_the_baseline_book() {
    let baseline = load("scenarios/baseline.toml");
    for other in [
        "scenarios/downturn.toml",
        "scenarios/pandemic.toml",
        "scenarios/economic_adverse.toml",
    ] {
        let s = load(other);
        assert_eq!(s.file.run, baseline.file.run, "{other}: [run] differs from baseline");
        assert_eq!(
            s.file.population, baseline.file.population,
            "{other}: [population] differs from baseline"
        );
        assert_eq!(
            s.file.segments, baseline.file.segments,
            "{other}: [[segments]] differ from baseline"
        );
        assert_eq!(
            s.file.dynamics, baseline.file.dynamics,
            "{other}: [dynamics] differs from baseline"
        );
        assert_eq!(
            s.file.macro_model.factors, baseline.file.macro_model.factors,
            "{other}: macro factors differ from baseline"
        );
        assert_eq!(
            s.file.macro_model.correlation, baseline.file.macro_model.correlation,
            "{other}: macro correlation differs from baseline"
        );
        assert_eq!(
            s.file.macro_model.noise, baseline.file.macro_model.noise,
            "{other}: macro noise differs from baseline"
        );
    }
}

#[test]
fn validation_scenarios_have_the_closed_form_setup() {
    let v = load("scenarios/validation/vasicek.toml");
    assert_eq!(v.horizon_months, 1);
    assert_eq!(v.segments.len(), 1);
    assert_eq!(v.macro_model.factor_names.len(), 1);
    assert!(!v.dynamics.delinquency);
    assert_eq!(v.dynamics.pd_period_months, 1);
    let seg = &v.segments[0];
    assert_eq!(seg.correlation, Correlation::Monthly(0.15));
    assert_eq!(seg.lgd.concentration, None, "the LGD must be fixed");
    assert_eq!(seg.revolving_share.get(), 1.0);
    assert_eq!((seg.limit.min, seg.limit.cap), (10_000.0, 10_000.0));

    let c = load("scenarios/validation/constant_hazard.toml");
    assert_eq!(c.horizon_months, 12);
    assert_eq!(c.macro_model.sigma, 0.0);
    assert_eq!(c.segments[0].correlation, Correlation::Monthly(0.0));
    assert!(!c.dynamics.delinquency);
    assert_eq!(c.dynamics.pd_period_months, 1);
    assert_eq!(c.segments[0].prepayment_monthly.get(), 0.0);
}

/// Every bundled grid parses, and each of its points is a valid scenario of
/// the bundled book it is written for (named in its first comment line).
#[test]
fn bundled_grids_are_valid_against_their_scenarios() {
    let dir = root().join("scenarios/grids");
    let mut count = 0;
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = read(&path);
        let grid = creditstress::scenario::parse_grid_file(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let scenario = text
            .split_whitespace()
            .find(|w| w.starts_with("scenarios/") && w.ends_with(".toml"))
            .unwrap_or_else(|| panic!("{}: name its scenario in the comments", path.display()));
        let base = load(scenario);
        for point in grid.points() {
            let file = grid
                .apply(&base.file, &point)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            Scenario::from_file(file).unwrap_or_else(|e| panic!("{}: at {point:?}: {e}", path.display()));
        }
        count += 1;
    }
    assert!(count >= 1, "expected the bundled grids in {}", dir.display());
}

#[test]
fn bundled_policies_are_valid_against_the_downturn_book() {
    let base = load("scenarios/downturn.toml");
    let dir = root().join("scenarios/policies");
    let mut count = 0;
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let policy = creditstress::scenario::parse_policy_file(&read(&path))
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(
            policy.name,
            stem(&path),
            "{}: name the policy after its file",
            path.display()
        );
        assert!(!policy.description.is_empty(), "{}: give a description", path.display());
        base.with_policy(policy)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        count += 1;
    }
    assert!(count >= 3, "expected the bundled policies in {}", dir.display());
}

#[test]
fn the_smallest_beta_std_still_draws_finite_values() {
    // At the floor of a Beta std (1e-6) the parameters are about 2.5e11:
    // every draw must still be finite and near the mean.
    let text = read(&root().join("tests/scenarios/bad/utilisation_std_tiny.toml"))
        .replace("std = 1e-160", "std = 1e-6")
        .replace("lgd = { mean = 0.6, std = 0.2 }", "lgd = { mean = 0.6, std = 1e-6 }");
    let s = parse_scenario(&text).expect("the floor itself is accepted");
    let prepared = creditstress::engine::Prepared::new(&s);
    let book = prepared.book.as_ref().unwrap();
    for loan in &book.loans {
        let share = loan.balance as f64 / loan.limit as f64;
        if loan.kind == creditstress::population::ProductKind::Revolving {
            assert!((share - 0.5).abs() < 0.01, "utilisation {share}");
        }
    }
    let paths = prepared
        .simulate_paths(0..5, creditstress::engine::RunControl::default())
        .unwrap();
    assert!(
        paths
            .iter()
            .all(|p| p.tally.loss.is_finite() && p.tally.recoveries.is_finite())
    );
}
