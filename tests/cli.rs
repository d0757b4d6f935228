//! End-to-end tests of the `creditstress` binary: exit codes, messages, the
//! files a run writes and their consistency, reproducibility across thread
//! counts, and the default output folder.
//!
//! Every run uses a few hundred paths at most so that the file finishes in
//! seconds in release mode.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tempfile::TempDir;

/// Risk levels of the shipped scenarios, as written in JSON keys.
const LEVELS: [&str; 3] = ["0.95", "0.99", "0.999"];

/// The four files a run writes, and nothing else.
const OUTPUT_FILES: [&str; 6] = [
    "manifest.json",
    "paths.csv",
    "plots",
    "report.html",
    "summary.json",
    "timeseries.csv",
];

/// Fields of summary.json that may differ between two runs of the same scenario and seed.
const TIMING_FIELDS: [&str; 4] = ["elapsed_seconds", "loan_months_per_second", "threads", "peak_rss_bytes"];

/// A scenario that leaves out every optional table (no [population], [macro], [dynamics]).
const TINY: &str = r#"
schema_version = 1
name = "tiny"

[run]
horizon_months = 3

[[segments]]
name = "all"
loans = 200
score = { mean = 650, std = 50 }
income = { median_monthly = 5000, sigma = 0.5 }
pd = { model = "constant", value = 0.02 }
rho = 0.1
lgd = { mean = 0.6 }
"#;

fn creditstress() -> Command {
    let mut cmd = cargo_bin_cmd!("creditstress");
    // Keep panics (if any) short and the output free of colour codes.
    cmd.env_remove("RUST_BACKTRACE").env("NO_COLOR", "1");
    cmd
}

/// Absolute path of a file in the repository.
fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn read(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&read(path)).unwrap_or_else(|e| panic!("{} is not valid JSON: {e}", path.display()))
}

fn stdout_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stdout).into_owned()
}

fn stderr_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

/// Names of the entries of a folder, sorted.
fn entries(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// Segment names of a scenario file, in file order.
fn segment_names(scenario: &Path) -> Vec<String> {
    let text = fs::read_to_string(scenario).unwrap();
    let table: toml::Table = toml::from_str(&text).unwrap();
    table["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect()
}

/// `creditstress run scenarios/baseline.toml --paths 200 --seed <seed> --threads <threads> --out <out> --quiet`.
fn run_baseline(out: &Path, seed: u64, threads: usize) {
    let assert = creditstress()
        .arg("run")
        .arg(repo_file("scenarios/baseline.toml"))
        .args([
            "--paths",
            "200",
            "--seed",
            &seed.to_string(),
            "--threads",
            &threads.to_string(),
        ])
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .assert()
        .code(0);
    assert!(
        stdout_of(&assert).is_empty(),
        "--quiet printed on stdout:\n{}",
        stdout_of(&assert)
    );
}

/// A temp folder with the standard baseline run (200 paths, seed 3, 2 threads) in `x/`.
fn baseline_run() -> (TempDir, PathBuf) {
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("x");
    run_baseline(&out, 3, 2);
    (tmp, out)
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(f64::MIN_POSITIVE)
}

/// A parsed CSV file: header and rows of cells.
struct Csv {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Csv {
    fn read(path: &Path) -> Self {
        let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let header = r.headers().unwrap().iter().map(str::to_string).collect();
        let rows = r
            .records()
            .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
            .collect();
        Csv { header, rows }
    }

    fn column(&self, name: &str) -> Vec<f64> {
        let i = self
            .header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name:?} in {:?}", self.header));
        self.rows
            .iter()
            .map(|r| r[i].parse().unwrap_or_else(|e| panic!("{name}: {:?}: {e}", r[i])))
            .collect()
    }
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks one `RiskMeasures` object of summary.json.
fn assert_risk_measures(v: &Value, what: &str) {
    for key in ["mean", "std", "stderr"] {
        assert!(
            v[key].is_f64() || v[key].is_u64(),
            "{what}.{key} missing or not a number: {v}"
        );
    }
    assert!(v["std"].as_f64().unwrap() >= 0.0, "{what}.std negative");
    for key in [
        "var",
        "es",
        "var_ci",
        "var_ci_needs_paths",
        "es_ci",
        "ul",
        "ul_ci",
        "tail_paths",
    ] {
        let keys: Vec<&str> = v[key]
            .as_object()
            .unwrap_or_else(|| panic!("{what}.{key} missing"))
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, LEVELS, "{what}.{key} keys");
    }
    for level in LEVELS {
        let var = v["var"][level].as_f64().unwrap();
        let es = v["es"][level].as_f64().unwrap();
        let ci = v["var_ci"][level].as_array().unwrap();
        assert_eq!(ci.len(), 2, "{what}.var_ci.{level}");
        // A bound the paths cannot give is null, never clamped to an extreme path.
        let paths = v["tail_paths"][level].as_u64().unwrap();
        let needs = v["var_ci_needs_paths"][level].as_u64().unwrap();
        let (lo, hi) = (ci[0].as_f64(), ci[1].as_f64());
        assert!(
            lo.is_none_or(|lo| lo <= var) && hi.is_none_or(|hi| var <= hi),
            "{what}: VaR {level} {var} outside its CI {ci:?}"
        );
        assert!(
            ci.iter().all(|b| b.is_null() || b.is_f64()),
            "{what}.var_ci.{level}: {ci:?}"
        );
        assert!(
            paths < 200 && needs > 0,
            "{what}: {paths} tail paths, interval needs {needs}"
        );
        assert!(es >= var, "{what}: ES {level} {es} below VaR {var}");
        if let Some(es_ci) = v["es_ci"][level].as_array() {
            let (lo, hi) = (es_ci[0].as_f64().unwrap(), es_ci[1].as_f64().unwrap());
            assert!(lo <= es && es <= hi, "{what}: ES {level} {es} outside [{lo}, {hi}]");
        }
        let ul = v["ul"][level].as_f64().unwrap();
        assert!(
            (ul - (var - v["mean"].as_f64().unwrap())).abs() <= 1e-9 * (1.0 + var.abs()),
            "{what}: UL {level}"
        );
    }
}

fn without_timing(mut summary: Value) -> Value {
    let obj = summary.as_object_mut().unwrap();
    for key in TIMING_FIELDS {
        assert!(obj.remove(key).is_some(), "summary.json has no {key}");
    }
    summary
}

// ---------------------------------------------------------------------------
// validate

#[test]
fn validate_downturn_prints_segments_and_ok() {
    let scenario = repo_file("scenarios/downturn.toml");
    let assert = creditstress().arg("validate").arg(&scenario).assert().code(0);
    let out = stdout_of(&assert);
    for name in segment_names(&scenario) {
        assert!(out.contains(&name), "segment {name} not described:\n{out}");
    }
    assert!(out.contains("downturn"), "scenario name missing:\n{out}");
    assert!(out.trim_end().ends_with("OK"), "no OK at the end:\n{out}");
    assert!(stderr_of(&assert).is_empty(), "stderr: {}", stderr_of(&assert));
}

#[test]
fn validate_writes_nothing() {
    let tmp = TempDir::new().unwrap();
    creditstress()
        .current_dir(tmp.path())
        .arg("validate")
        .arg(repo_file("scenarios/baseline.toml"))
        .assert()
        .code(0);
    assert!(
        entries(tmp.path()).is_empty(),
        "validate wrote {:?}",
        entries(tmp.path())
    );
}

// ---------------------------------------------------------------------------
// run: the files

#[test]
fn run_writes_exactly_the_documented_output_files() {
    let (_tmp, out) = baseline_run();
    let names = entries(&out);
    let expected: BTreeSet<String> = OUTPUT_FILES.iter().map(|s| s.to_string()).collect();
    assert_eq!(names, expected, "leftover or missing files in {}", out.display());
    assert!(
        !names.iter().any(|n| n.starts_with('.')),
        "temporary files left: {names:?}"
    );
}

#[test]
fn summary_json_has_every_documented_field() {
    let (_tmp, out) = baseline_run();
    let s = read_json(&out.join("summary.json"));
    assert_eq!(s["scenario"], "baseline");
    assert_eq!(s["seed"], 3);
    assert_eq!(s["paths"], 200);
    assert_eq!(s["horizon_months"], 24);
    assert_eq!(s["loans"], 12000);
    assert_eq!(s["threads"], 2);
    assert!(s["exposure"].as_f64().unwrap() > 0.0);
    assert!(s["elapsed_seconds"].as_f64().unwrap() >= 0.0);
    for key in ["loss", "loss_rate", "default_rate"] {
        assert_risk_measures(&s[key], key);
    }
    for key in ["interest_income", "net_income"] {
        assert!(s[key]["mean"].is_number(), "{key}.mean");
        assert!(s[key]["std"].as_f64().unwrap() >= 0.0, "{key}.std");
    }
    let net = s["net_income"]["mean"].as_f64().unwrap();
    let gross = s["interest_income"]["mean"].as_f64().unwrap() - s["loss"]["mean"].as_f64().unwrap();
    assert!(close(net, gross, 1e-9), "net income {net} != interest - loss {gross}");

    let names = segment_names(&repo_file("scenarios/baseline.toml"));
    let segments = s["segments"].as_object().expect("segments");
    assert_eq!(
        segments.keys().cloned().collect::<BTreeSet<_>>(),
        names.iter().cloned().collect::<BTreeSet<_>>()
    );
    let mut loans = 0;
    let mut el = 0.0;
    for name in &names {
        let seg = &segments[name];
        assert_risk_measures(&seg["loss"], &format!("segments.{name}.loss"));
        assert_risk_measures(&seg["loss_rate"], &format!("segments.{name}.loss_rate"));
        loans += seg["loans"].as_u64().unwrap();
        el += seg["loss"]["mean"].as_f64().unwrap();
    }
    assert_eq!(loans, 12000, "segment loans do not add up");
    assert!(
        close(el, s["loss"]["mean"].as_f64().unwrap(), 1e-9),
        "segment ELs do not add up"
    );
}

#[test]
fn paths_csv_has_one_row_per_path_and_matches_the_summary() {
    let (_tmp, out) = baseline_run();
    let summary = read_json(&out.join("summary.json"));
    let paths = Csv::read(&out.join("paths.csv"));
    let names = segment_names(&repo_file("scenarios/baseline.toml"));
    let mut required = vec![
        "path".to_string(),
        "loss".into(),
        "loss_rate".into(),
        "defaults".into(),
        "interest_income".into(),
    ];
    required.extend(names.iter().map(|n| format!("loss_{n}")));
    for col in &required {
        assert!(paths.header.contains(col), "paths.csv lacks {col}: {:?}", paths.header);
    }
    assert_eq!(&paths.header[..5], &required[..5], "first columns of paths.csv");
    assert_eq!(paths.rows.len(), 200);
    let index: Vec<f64> = paths.column("path");
    assert_eq!(index, (0..200).map(f64::from).collect::<Vec<_>>(), "paths not in order");

    let loss = paths.column("loss");
    let el = summary["loss"]["mean"].as_f64().unwrap();
    assert!(
        close(mean(&loss), el, 1e-9),
        "mean of paths.csv loss {} != summary {el}",
        mean(&loss)
    );
    let rate = summary["loss_rate"]["mean"].as_f64().unwrap();
    assert!(close(mean(&paths.column("loss_rate")), rate, 1e-9));
    let income = summary["interest_income"]["mean"].as_f64().unwrap();
    assert!(close(mean(&paths.column("interest_income")), income, 1e-9));
    let loans = summary["loans"].as_f64().unwrap();
    let default_rate = mean(&paths.column("defaults")) / loans;
    assert!(close(
        default_rate,
        summary["default_rate"]["mean"].as_f64().unwrap(),
        1e-9
    ));

    let seg_cols: Vec<Vec<f64>> = names.iter().map(|n| paths.column(&format!("loss_{n}"))).collect();
    for (p, total) in loss.iter().enumerate() {
        let sum: f64 = seg_cols.iter().map(|c| c[p]).sum();
        assert!(
            close(sum, *total, 1e-9),
            "path {p}: segment losses {sum} != loss {total}"
        );
    }
    for (name, col) in names.iter().zip(&seg_cols) {
        let seg_el = summary["segments"][name]["loss"]["mean"].as_f64().unwrap();
        assert!(close(mean(col), seg_el, 1e-9), "segment {name}");
    }
}

#[test]
fn timeseries_csv_has_one_row_per_month() {
    let (_tmp, out) = baseline_run();
    let summary = read_json(&out.join("summary.json"));
    let ts = Csv::read(&out.join("timeseries.csv"));
    assert_eq!(ts.rows.len(), 24, "one row per month of the horizon");
    assert_eq!(ts.column("month"), (1..=24).map(f64::from).collect::<Vec<_>>());
    let quantities = [
        "default_rate",
        "dpd30_rate",
        "cumulative_loss_rate",
        "factor_national",
        "factor_regional",
    ];
    for q in quantities {
        let (p05, p50, p95) = (
            ts.column(&format!("{q}_p05")),
            ts.column(&format!("{q}_p50")),
            ts.column(&format!("{q}_p95")),
        );
        let mean = ts.column(&format!("{q}_mean"));
        assert_eq!(mean.len(), 24, "{q}_mean");
        for (t, ((lo, mid), hi)) in p05.iter().zip(&p50).zip(&p95).enumerate() {
            assert!(
                lo <= mid && mid <= hi,
                "{q} month {}: p05 <= p50 <= p95 violated",
                t + 1
            );
        }
    }
    let cumulative = ts.column("cumulative_loss_rate_mean");
    assert!(
        cumulative.windows(2).all(|w| w[1] >= w[0]),
        "cumulative loss rate decreases"
    );
    let last = *cumulative.last().unwrap();
    let rate = summary["loss_rate"]["mean"].as_f64().unwrap();
    assert!(
        close(last, rate, 1e-9),
        "cumulative loss rate at the horizon {last} != loss rate {rate}"
    );
    let monthly_defaults: f64 = ts.column("default_rate_mean").iter().sum();
    let default_rate = summary["default_rate"]["mean"].as_f64().unwrap();
    assert!(
        close(monthly_defaults, default_rate, 1e-9),
        "monthly default rates do not add up"
    );
}

#[test]
fn manifest_records_hash_resolved_scenario_seed_and_threads() {
    let (_tmp, out) = baseline_run();
    let scenario = repo_file("scenarios/baseline.toml");
    let m = read_json(&out.join("manifest.json"));
    assert_eq!(m["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(m["scenario_sha256"], sha256_hex(&read(&scenario)).as_str());
    assert_eq!(m["seed"], 3);
    assert_eq!(m["threads"], 2);
    assert!(m["wall_seconds"].as_f64().unwrap() >= 0.0);
    let resolved = &m["scenario"];
    assert_eq!(resolved["name"], "baseline");
    assert_eq!(
        resolved["run"]["paths"], 200,
        "--paths not applied to the resolved scenario"
    );
    assert_eq!(
        resolved["run"]["seed"], 3,
        "--seed not applied to the resolved scenario"
    );
    assert_eq!(resolved["segments"].as_array().unwrap().len(), 3);
}

#[test]
fn manifest_fills_defaults_of_omitted_tables() {
    let tmp = TempDir::new().unwrap();
    let scenario = tmp.path().join("tiny.toml");
    fs::write(&scenario, TINY).unwrap();
    let out = tmp.path().join("out");
    creditstress()
        .arg("run")
        .arg(&scenario)
        .args(["--paths", "20", "--threads", "1", "--quiet", "--out"])
        .arg(&out)
        .assert()
        .code(0);
    let m = read_json(&out.join("manifest.json"));
    assert_eq!(m["scenario_sha256"], sha256_hex(TINY.as_bytes()).as_str());
    let resolved = &m["scenario"];
    for table in ["run", "population", "macro", "dynamics"] {
        assert!(
            resolved[table].is_object(),
            "resolved scenario lacks [{table}]:\n{resolved:#}"
        );
    }
    assert!(!resolved["dynamics"].as_object().unwrap().is_empty());
    assert_eq!(resolved["run"]["paths"], 20);
    assert_eq!(resolved["run"]["horizon_months"], 3);
    assert_eq!(Csv::read(&out.join("timeseries.csv")).rows.len(), 3);
    assert_eq!(Csv::read(&out.join("paths.csv")).rows.len(), 20);
}

// ---------------------------------------------------------------------------
// run: reproducibility

#[test]
fn results_do_not_depend_on_threads_but_on_seed() {
    let tmp = TempDir::new().unwrap();
    let (one, two, other) = (tmp.path().join("t1"), tmp.path().join("t2"), tmp.path().join("s4"));
    run_baseline(&one, 3, 1);
    run_baseline(&two, 3, 2);
    run_baseline(&other, 4, 2);
    for file in ["paths.csv", "timeseries.csv"] {
        assert!(
            read(&one.join(file)) == read(&two.join(file)),
            "{file} differs between --threads 1 and --threads 2"
        );
    }
    let s1 = read_json(&one.join("summary.json"));
    let s2 = read_json(&two.join("summary.json"));
    assert_eq!(s1["threads"], 1);
    assert_eq!(s2["threads"], 2);
    assert_eq!(
        without_timing(s1),
        without_timing(s2),
        "summary.json depends on --threads"
    );
    let m1 = read_json(&one.join("manifest.json"));
    let m2 = read_json(&two.join("manifest.json"));
    assert_eq!(m1["scenario"], m2["scenario"]);
    assert_eq!(m1["scenario_sha256"], m2["scenario_sha256"]);

    assert!(
        read(&one.join("paths.csv")) != read(&other.join("paths.csv")),
        "--seed 4 gave the same paths.csv as --seed 3"
    );
    assert_eq!(read_json(&other.join("summary.json"))["seed"], 4);
}

// ---------------------------------------------------------------------------
// run: default output folder and --json

#[test]
fn default_output_folder_is_output_slash_scenario_name() {
    let tmp = TempDir::new().unwrap();
    fs::copy(repo_file("scenarios/baseline.toml"), tmp.path().join("my_copy.toml")).unwrap();
    let assert = creditstress()
        .current_dir(tmp.path())
        .args(["run", "my_copy.toml", "--paths", "20", "--threads", "2"])
        .assert()
        .code(0);
    let out = tmp.path().join("output").join("baseline");
    let expected: BTreeSet<String> = OUTPUT_FILES.iter().map(|s| s.to_string()).collect();
    assert_eq!(entries(&out), expected);
    assert_eq!(
        entries(&tmp.path().join("output")),
        BTreeSet::from(["baseline".to_string()])
    );
    let stdout = stdout_of(&assert);
    assert!(
        stdout.contains(&Path::new("output").join("baseline").display().to_string()),
        "the table does not say where the results went:\n{stdout}"
    );
    let manifest = read_json(&out.join("manifest.json"));
    assert_eq!(manifest["scenario_file"], "my_copy.toml");
}

#[test]
fn default_output_folder_is_relative_to_the_working_directory() {
    let tmp = TempDir::new().unwrap();
    let scenario = repo_file("scenarios/baseline.toml");
    creditstress()
        .current_dir(tmp.path())
        .arg("run")
        .arg(&scenario)
        .args(["--paths", "20", "--threads", "1", "--quiet"])
        .assert()
        .code(0);
    assert!(tmp.path().join("output/baseline/summary.json").is_file());
    assert_eq!(entries(tmp.path()), BTreeSet::from(["output".to_string()]));
}

#[test]
fn json_flag_prints_the_summary_on_stdout() {
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("j");
    let assert = creditstress()
        .arg("run")
        .arg(repo_file("scenarios/baseline.toml"))
        .args(["--paths", "50", "--seed", "3", "--threads", "2", "--json", "--out"])
        .arg(&out)
        .assert()
        .code(0);
    let stdout = stdout_of(&assert);
    let printed: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{stdout}"));
    assert_eq!(printed, read_json(&out.join("summary.json")));
    assert_eq!(printed["paths"], 50);
}

#[test]
fn table_output_reports_the_expected_loss() {
    let tmp = TempDir::new().unwrap();
    let assert = creditstress()
        .arg("run")
        .arg(repo_file("scenarios/baseline.toml"))
        .args(["--paths", "20", "--threads", "2", "--out"])
        .arg(tmp.path().join("t"))
        .assert()
        .code(0);
    let stdout = stdout_of(&assert);
    for word in [
        "EL (mean)",
        "VaR 99.9%",
        "ES 99%",
        "prime_salaried",
        "Results written to",
    ] {
        assert!(stdout.contains(word), "{word:?} missing from the table:\n{stdout}");
    }
}

// ---------------------------------------------------------------------------
// errors

/// scenarios/validation/vasicek.toml with `from` replaced by `to` (which must occur).
fn vasicek_with(from: &str, to: &str) -> String {
    let text = fs::read_to_string(repo_file("scenarios/validation/vasicek.toml")).unwrap();
    assert!(text.contains(from), "vasicek.toml no longer contains {from:?}");
    text.replacen(from, to, 1)
}

/// Writes `text` to `<tmp>/<file>`, then runs `validate` and `run` on it from
/// `tmp` (both without --out and with --out), and checks that each exits 2 with
/// a message on stderr starting `error: <file>: ` and containing `needle`, and
/// that no output folder appears.
fn assert_bad_scenario(file: &str, text: &str, needle: &str) {
    let tmp = TempDir::new().unwrap();
    let path = tmp.path().join(file);
    fs::write(&path, text).unwrap();
    let out = tmp.path().join("out");
    let invocations: [Vec<&std::ffi::OsStr>; 3] = [
        vec!["validate".as_ref(), path.as_os_str()],
        vec!["run".as_ref(), path.as_os_str(), "--paths".as_ref(), "10".as_ref()],
        vec!["run".as_ref(), path.as_os_str(), "--out".as_ref(), out.as_os_str()],
    ];
    for args in invocations {
        let assert = creditstress().current_dir(tmp.path()).args(&args).assert().code(2);
        let stderr = stderr_of(&assert);
        let prefix = format!("error: {}: ", path.display());
        assert!(
            stderr.starts_with(&prefix),
            "{args:?}: stderr does not start with {prefix:?}:\n{stderr}"
        );
        assert!(stderr.contains(needle), "{args:?}: stderr lacks {needle:?}:\n{stderr}");
        assert!(
            stdout_of(&assert).is_empty(),
            "{args:?}: stdout: {}",
            stdout_of(&assert)
        );
        assert_eq!(
            entries(tmp.path()),
            BTreeSet::from([file.to_string()]),
            "{args:?} created something"
        );
    }
}

#[test]
fn the_vasicek_base_of_the_error_tests_is_valid() {
    let tmp = TempDir::new().unwrap();
    let path = tmp.path().join("ok.toml");
    fs::write(&path, vasicek_with("paths = 100000", "paths = 10")).unwrap();
    creditstress().arg("validate").arg(&path).assert().code(0);
}

#[test]
fn malformed_file_exits_2_and_points_at_the_line() {
    let text = vasicek_with("[dynamics]", "[dynamics");
    let line = text.lines().position(|l| l == "[dynamics").unwrap() + 1;
    assert_bad_scenario("malformed.toml", &text, &format!("line {line}"));
}

#[test]
fn unknown_field_exits_2_and_names_the_field() {
    let text = vasicek_with("rho = 0.15\n", "rho = 0.15\ncorrelation = 0.15\n");
    assert_bad_scenario("unknown_field.toml", &text, "unknown field `correlation`");
}

#[test]
fn unknown_top_level_field_exits_2_and_names_the_field() {
    let text = vasicek_with("name = \"vasicek\"\n", "name = \"vasicek\"\nhorizon = 12\n");
    assert_bad_scenario("unknown_top.toml", &text, "unknown field `horizon`");
}

#[test]
fn probability_outside_unit_interval_exits_2_and_names_the_field() {
    let text = vasicek_with("fraud_share = 0.0", "fraud_share = 1.5");
    assert_bad_scenario("probability.toml", &text, "segments[0].fraud_share: ");
    let text = vasicek_with("value = 0.02", "value = -0.1");
    assert_bad_scenario("negative_pd.toml", &text, "segments[0].pd");
}

#[test]
fn non_psd_correlation_exits_2_and_names_the_field() {
    let text = vasicek_with(
        "factors = [\"national\"]",
        "factors = [\"national\", \"regional\", \"sector\"]\n\
         correlation = [[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]]",
    );
    assert_bad_scenario("not_psd.toml", &text, "macro.correlation: ");
}

#[test]
fn missing_scenario_file_exits_2() {
    let tmp = TempDir::new().unwrap();
    for cmd in ["run", "validate"] {
        let assert = creditstress()
            .current_dir(tmp.path())
            .args([cmd, "no_such_file.toml"])
            .assert()
            .code(2);
        let stderr = stderr_of(&assert);
        assert!(
            stderr.starts_with("error: ") && stderr.contains("no_such_file.toml"),
            "{cmd}: {stderr}"
        );
        assert!(
            entries(tmp.path()).is_empty(),
            "{cmd} created {:?}",
            entries(tmp.path())
        );
    }
}

/// Runs `run <baseline> <extra...>` from an empty folder; expects exit 2,
/// `needle` on stderr and nothing written.
fn assert_usage_error(extra: &[&str], needle: &str) {
    let tmp = TempDir::new().unwrap();
    let assert = creditstress()
        .current_dir(tmp.path())
        .arg("run")
        .arg(repo_file("scenarios/baseline.toml"))
        .args(extra)
        .assert()
        .code(2);
    let stderr = stderr_of(&assert);
    assert!(stderr.contains("error"), "{extra:?}: no error message: {stderr}");
    assert!(stderr.contains(needle), "{extra:?}: stderr lacks {needle:?}:\n{stderr}");
    assert!(
        entries(tmp.path()).is_empty(),
        "{extra:?} created {:?}",
        entries(tmp.path())
    );
}

#[test]
fn unknown_flag_exits_2() {
    assert_usage_error(&["--bogus"], "--bogus");
}

#[test]
fn paths_zero_exits_2() {
    assert_usage_error(&["--paths", "0"], "--paths");
}

#[test]
fn threads_zero_exits_2() {
    assert_usage_error(&["--threads", "0"], "--threads");
}

#[test]
fn paths_that_cannot_fit_in_memory_exit_2_before_running() {
    // Once an allocation abort (SIGABRT); now a usage error naming the memory needed.
    assert_usage_error(&["--paths", "18446744073709551615"], "GiB available");
}

#[test]
fn threads_far_beyond_the_cores_exit_2_before_spawning() {
    // 100,000 threads only spawn idle workers (and once made the machine unusable).
    assert_usage_error(&["--threads", "100000"], "per core on this machine");
}

#[test]
fn non_numeric_options_exit_2() {
    assert_usage_error(&["--paths", "many"], "--paths");
    assert_usage_error(&["--seed=-1"], "--seed");
    assert_usage_error(&["--threads", "two"], "--threads");
}

#[test]
fn missing_subcommand_or_argument_exits_2() {
    creditstress().assert().code(2);
    creditstress().arg("run").assert().code(2);
    creditstress().arg("simulate").assert().code(2);
}

#[test]
fn output_folder_that_is_a_regular_file_is_a_usage_error_exit_2() {
    let tmp = TempDir::new().unwrap();
    let file = tmp.path().join("regular_file");
    fs::write(&file, "not a folder").unwrap();
    for out in [file.join("sub"), file.clone()] {
        let assert = creditstress()
            .arg("run")
            .arg(repo_file("scenarios/baseline.toml"))
            .args(["--paths", "10", "--threads", "1", "--quiet", "--out"])
            .arg(&out)
            .assert()
            .code(2);
        let stderr = stderr_of(&assert);
        assert!(
            stderr.starts_with("error: ") && stderr.contains(&out.display().to_string()),
            "--out {}: {stderr}",
            out.display()
        );
        assert_eq!(read(&file), b"not a folder");
    }
    assert_eq!(entries(tmp.path()), BTreeSet::from(["regular_file".to_string()]));
}

// ---------------------------------------------------------------------------
// help

#[test]
fn help_of_run_and_validate_shows_an_example() {
    for (cmd, example) in [
        ("run", "creditstress run scenarios/"),
        ("validate", "creditstress validate scenarios/"),
    ] {
        let assert = creditstress().args([cmd, "--help"]).assert().code(0);
        let stdout = stdout_of(&assert);
        assert!(stdout.contains("Example"), "{cmd} --help has no example:\n{stdout}");
        assert!(stdout.contains(example), "{cmd} --help lacks {example:?}:\n{stdout}");
        assert!(stdout.contains("Usage: creditstress"), "{cmd} --help:\n{stdout}");
    }
    let assert = creditstress().args(["help", "run"]).assert().code(0);
    assert!(stdout_of(&assert).contains("--threads"));
    let assert = creditstress().arg("--version").assert().code(0);
    assert!(stdout_of(&assert).contains(env!("CARGO_PKG_VERSION")));
}

// ---------------------------------------------------------------------------
// known bugs (un-ignore once fixed)

#[test]
fn scenario_name_of_dots_cannot_escape_the_output_folder() {
    let tmp = TempDir::new().unwrap();
    fs::write(
        tmp.path().join("dots.toml"),
        vasicek_with("name = \"vasicek\"", "name = \"..\"").replace("paths = 100000", "paths = 10"),
    )
    .unwrap();
    let assert = creditstress()
        .current_dir(tmp.path())
        .args(["run", "dots.toml", "--quiet"])
        .assert();
    // Either refused as a scenario error, or written inside output/.
    let code = assert.get_output().status.code();
    assert!(
        !tmp.path().join("summary.json").exists(),
        "exit {code:?}: results written to the working directory: {:?}",
        entries(tmp.path())
    );
    assert_eq!(code, Some(2), "stderr: {}", stderr_of(&assert));
}

#[test]
fn an_unreachable_annual_correlation_is_refused_with_the_field() {
    // With phi = 0 the monthly factor averages out over a year: no monthly
    // rho (up to 0.99) reaches an annual correlation of 0.9.
    let tmp = TempDir::new().unwrap();
    let file = tmp.path().join("annual.toml");
    fs::write(
        &file,
        r#"schema_version = 1
name = "annual"
[run]
horizon_months = 12
paths = 10
[macro.noise]
phi = 0.0
[[segments]]
name = "a"
loans = 100
score = { mean = 650, std = 50 }
income = { median_monthly = 5000, sigma = 0.3 }
pd = { model = "constant", value = 0.05 }
rho_annual = 0.9
lgd = { mean = 0.5 }
"#,
    )
    .unwrap();
    let out = tmp.path().join("out");
    let assert = creditstress()
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2);
    let err = stderr_of(&assert);
    assert!(err.contains("segments[0].rho_annual: above"), "{err}");
    assert!(err.contains("raise phi"), "{err}");
    assert!(!out.exists(), "nothing is written");
    // A reachable target is solved and said so.
    let text = fs::read_to_string(&file)
        .unwrap()
        .replace("rho_annual = 0.9", "rho_annual = 0.2");
    fs::write(&file, text).unwrap();
    let assert = creditstress().arg("validate").arg(&file).assert().success();
    assert!(stdout_of(&assert).contains("solved from rho_annual = 0.2"));
}

#[test]
fn a_precision_target_stops_at_the_same_block_on_any_thread_count() {
    let tmp = TempDir::new().unwrap();
    let scenario = repo_file("scenarios/baseline.toml");
    let run = |threads: &str, out: &Path, target: &str, max: &str| {
        creditstress()
            .arg("run")
            .arg(&scenario)
            .args([
                "--target",
                target,
                "--max-paths",
                max,
                "--seed",
                "5",
                "--threads",
                threads,
                "--quiet",
                "--out",
            ])
            .arg(out)
            .assert()
            .success();
        read_json(&out.join("summary.json"))
    };
    let (one, two) = (tmp.path().join("one"), tmp.path().join("two"));
    let a = run("1", &one, "var:0.95:0.04", "12000");
    let b = run("2", &two, "var:0.95:0.04", "12000");
    assert_eq!(a["precision"], b["precision"]);
    assert_eq!(
        read(&one.join("paths.csv")),
        read(&two.join("paths.csv")),
        "bitwise the same paths"
    );
    let p = &a["precision"];
    assert_eq!(p["stopped"], "target reached");
    let paths = p["paths"].as_u64().unwrap();
    assert_eq!(a["paths"].as_u64(), Some(paths));
    assert!(paths % 1000 == 0 && paths < 12000, "stopped at a block end: {paths}");
    assert!(p["reached"].as_f64().unwrap() <= 0.04);
    // The manifest reproduces the run with its final path count.
    let manifest = read_json(&one.join("manifest.json"));
    assert!(
        manifest["command"]
            .as_str()
            .unwrap()
            .contains(&format!("--paths {paths}"))
    );
    // A target out of reach stops at --max-paths and says so.
    let c = run("2", &tmp.path().join("three"), "es:0.999:0.001", "1500");
    assert_eq!(c["precision"]["stopped"], "max paths reached");
    assert_eq!(c["paths"].as_u64(), Some(1500));
    // A target that cannot be read is a usage error naming it.
    let assert = creditstress()
        .arg("run")
        .arg(&scenario)
        .args(["--target", "cvar:0.99:0.1"])
        .assert()
        .code(2);
    assert!(stderr_of(&assert).contains("--target \"cvar:0.99:0.1\""));
}

#[test]
fn an_importance_sampled_precision_target_stops_at_the_same_block_on_any_thread_count() {
    let tmp = TempDir::new().unwrap();
    let scenario = repo_file("scenarios/baseline.toml");
    let run = |threads: &str, out: &Path| {
        let assert = creditstress()
            .arg("run")
            .arg(&scenario)
            .args([
                "--sampling",
                "importance",
                "--target",
                "es:0.999:0.05",
                "--max-paths",
                "20000",
                "--seed",
                "5",
                "--threads",
                threads,
                "--out",
            ])
            .arg(out)
            .assert()
            .success();
        (
            String::from_utf8_lossy(&assert.get_output().stdout).into_owned(),
            read_json(&out.join("summary.json")),
        )
    };
    let (one, two) = (tmp.path().join("one"), tmp.path().join("two"));
    let (text, a) = run("1", &one);
    let (_, b) = run("2", &two);
    assert_eq!(a["precision"], b["precision"]);
    assert_eq!(a["sampling"], b["sampling"]);
    assert_eq!(
        read(&one.join("paths.csv")),
        read(&two.join("paths.csv")),
        "bitwise the same paths"
    );
    let p = &a["precision"];
    assert_eq!(p["stopped"], "target reached", "{p}");
    assert!(p["reached"].as_f64().unwrap() <= 0.05);
    assert!(p["paths"].as_u64().unwrap() % 1000 == 0);
    // The terminal says what the sampling did; the manifest reproduces it.
    assert!(text.contains("sampling: importance"), "{text}");
    let manifest = read_json(&one.join("manifest.json"));
    assert!(manifest["command"].as_str().unwrap().contains("--sampling importance"));
    // The report has its diagnostics.
    let report = String::from_utf8(read(&one.join("report.html"))).unwrap();
    assert!(report.contains("<h2 id=\"sampling\">Sampling</h2>") && report.contains("Effective sample size"));
    // compare pairs plain runs only, and says so rather than sampling plain silently.
    let weighted = tmp.path().join("weighted.toml");
    let text = fs::read_to_string(&scenario)
        .unwrap()
        .replacen("\n[run]\n", "\n[run]\nsampling = \"importance\"\n", 1);
    fs::write(&weighted, text).unwrap();
    let assert = creditstress()
        .arg("compare")
        .arg(&weighted)
        .arg("--policy")
        .arg(repo_file("scenarios/policies/current.toml"))
        .arg("--policy")
        .arg(repo_file("scenarios/policies/tight.toml"))
        .args(["--paths", "100", "--out"])
        .arg(tmp.path().join("cmp"))
        .assert()
        .code(2);
    assert!(stderr_of(&assert).contains("run.sampling"), "{}", stderr_of(&assert));
    // Importance sampling needs factor noise to shift.
    let assert = creditstress()
        .arg("run")
        .arg(repo_file("scenarios/validation/constant_hazard.toml"))
        .args(["--sampling", "importance", "--paths", "10", "--out"])
        .arg(tmp.path().join("still"))
        .assert()
        .code(2);
    let err = stderr_of(&assert);
    assert!(
        err.contains("run.sampling") && err.contains("macro.noise.sigma is 0"),
        "{err}"
    );
    assert!(!tmp.path().join("still").exists());
    // A loan tape has no weights: it is refused under importance sampling.
    let assert = creditstress()
        .arg("run")
        .arg(&scenario)
        .args(["--sampling", "importance", "--paths", "10", "--emit-tape"])
        .arg(tmp.path().join("tape"))
        .arg("--out")
        .arg(tmp.path().join("with-tape"))
        .assert()
        .code(2);
    assert!(
        stderr_of(&assert).contains("a tape has no weights"),
        "{}",
        stderr_of(&assert)
    );
}

#[test]
fn set_overrides_a_field_is_checked_like_the_file_and_reproduces() {
    let tmp = TempDir::new().unwrap();
    let scenario = repo_file("scenarios/baseline.toml");
    let run = |out: &Path, sets: &[&str]| {
        let mut cmd = creditstress();
        cmd.arg("run")
            .arg(&scenario)
            .args(["--paths", "300", "--seed", "3", "--quiet", "--out"])
            .arg(out);
        for s in sets {
            cmd.args(["--set", s]);
        }
        cmd.assert().success();
        read_json(&out.join("summary.json"))
    };
    let plain = run(&tmp.path().join("plain"), &[]);
    let set = tmp.path().join("set");
    let changed = run(
        &set,
        &[
            "segments[0].rho=0.25",
            "run.risk_levels=[0.9, 0.99]",
            "name=\"baseline_b\"",
        ],
    );
    assert_ne!(
        plain["loss"]["mean"], changed["loss"]["mean"],
        "a higher correlation moves the loss"
    );
    assert!(changed["loss"]["var"].get("0.9").is_some() && changed["loss"]["var"].get("0.95").is_none());
    assert_eq!(changed["scenario"], "baseline_b");
    // The manifest records the resolved value and a command that reproduces the run bitwise.
    let manifest = read_json(&set.join("manifest.json"));
    assert_eq!(manifest["scenario"]["segments"][0]["rho"], 0.25);
    let command = manifest["command"].as_str().unwrap().to_string();
    assert!(command.contains("--set 'segments[0].rho=0.25'"), "{command}");
    let again = tmp.path().join("again");
    let words = shell_words(&command.replace(&set.display().to_string(), &again.display().to_string()));
    creditstress().args(&words[1..]).arg("--quiet").assert().success();
    assert_eq!(read(&set.join("paths.csv")), read(&again.join("paths.csv")));
    // A value the format refuses is a usage error naming the field; nothing is written.
    let bad = tmp.path().join("bad");
    let assert = creditstress()
        .arg("run")
        .arg(&scenario)
        .args(["--set", "segments[0].rho=2", "--out"])
        .arg(&bad)
        .assert()
        .code(2);
    assert!(
        stderr_of(&assert).contains("segments[0].rho: must be in [0, 1), got 2"),
        "{}",
        stderr_of(&assert)
    );
    assert!(!bad.exists());
    let assert = creditstress()
        .args(["validate", "--set", "run.paths=many"])
        .arg(&scenario)
        .assert()
        .code(2);
    assert!(stderr_of(&assert).contains("run.paths"), "{}", stderr_of(&assert));
    // `-` reads the scenario from standard input.
    let text = fs::read_to_string(&scenario).unwrap();
    let assert = creditstress()
        .args(["validate", "-", "--set", "run.paths=123"])
        .write_stdin(text)
        .assert()
        .success();
    assert!(String::from_utf8_lossy(&assert.get_output().stdout).contains("123 paths"));
}

/// Splits a command line as a POSIX shell would (single quotes only, as shell_quote writes them).
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let (mut quoted, mut any) = (false, false);
    for c in line.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                any = true;
            }
            ' ' if !quoted => {
                if any {
                    words.push(std::mem::take(&mut word));
                    any = false;
                }
            }
            _ => {
                word.push(c);
                any = true;
            }
        }
    }
    if any {
        words.push(word);
    }
    words
}

#[test]
fn reverse_finds_where_net_income_turns_negative_with_an_interval() {
    let tmp = TempDir::new().unwrap();
    let scenario = repo_file("scenarios/pandemic.toml");
    let reverse = |out: &Path, extra: &[&str]| {
        creditstress()
            .arg("reverse")
            .arg(&scenario)
            .args([
                "--param",
                "macro.shocks[0].depth",
                "--paths",
                "400",
                "--seed",
                "9",
                "--quiet",
                "--out",
            ])
            .arg(out)
            .args(extra)
            .assert()
    };
    let out = tmp.path().join("rev");
    reverse(&out, &["--target", "net_income.mean=0", "--from", "0.5", "--to", "3"]).success();
    let r = read_json(&out.join("reverse.json"));
    let root = &r["root"];
    let x = root["x"].as_f64().unwrap();
    let [lo, hi] = [root["ci"][0].as_f64().unwrap(), root["ci"][1].as_f64().unwrap()];
    assert!(root["converged"].as_bool().unwrap());
    assert!(0.5 < x && x < 3.0 && lo < x && x < hi, "{root}");
    // The evaluations on either side of the root straddle the target.
    let evaluations = root["evaluations"].as_array().unwrap();
    assert!(evaluations.iter().any(|e| e["value"].as_f64().unwrap() > 0.0));
    assert!(evaluations.iter().any(|e| e["value"].as_f64().unwrap() < 0.0));
    // A run at the root has a mean net income within its interval of zero.
    let at = tmp.path().join("at");
    creditstress()
        .arg("run")
        .arg(&scenario)
        .args(["--paths", "400", "--seed", "9", "--quiet", "--set"])
        .arg(format!("macro.shocks[0].depth={x}"))
        .arg("--out")
        .arg(&at)
        .assert()
        .success();
    let net = &read_json(&at.join("summary.json"))["net_income"];
    assert!(
        net["mean"].as_f64().unwrap().abs() <= 3.29 * net["stderr"].as_f64().unwrap(),
        "{net}"
    );
    // The same command gives the same root (common random numbers, fixed seed).
    let again = tmp.path().join("again");
    reverse(&again, &["--target", "net_income.mean=0", "--from", "0.5", "--to", "3"]).success();
    assert_eq!(read_json(&again.join("reverse.json"))["root"], r["root"]);
    // No crossing in the bracket, or a target that cannot be read, is a usage error.
    let err = reverse(
        &tmp.path().join("no"),
        &["--target", "net_income.mean=0", "--from", "0.1", "--to", "0.5"],
    )
    .code(2);
    assert!(
        stderr_of(&err).contains("does not cross the target"),
        "{}",
        stderr_of(&err)
    );
    let err = reverse(
        &tmp.path().join("bad"),
        &["--target", "profit=0", "--from", "0.1", "--to", "0.5"],
    )
    .code(2);
    assert!(stderr_of(&err).contains("FIGURE=VALUE"), "{}", stderr_of(&err));
}

#[test]
fn a_destination_that_cannot_be_written_is_refused_before_simulating() {
    // /proc takes no new files, even for root (a chmod'ed folder would not stop root).
    let assert = creditstress()
        .arg("run")
        .arg(repo_file("scenarios/downturn.toml"))
        .args(["--paths", "1000000", "--out", "/proc/creditstress-test-out"])
        .assert()
        .code(2);
    let err = stderr_of(&assert);
    assert!(
        err.contains("cannot write into /proc") && err.contains("nothing was simulated"),
        "{err}"
    );
    for command in ["compare", "sweep"] {
        let mut cmd = creditstress();
        cmd.arg(command).arg(repo_file("scenarios/baseline.toml"));
        if command == "compare" {
            cmd.args(["--policy"]).arg(repo_file("scenarios/policies/current.toml"));
            cmd.args(["--policy"]).arg(repo_file("scenarios/policies/tight.toml"));
        } else {
            cmd.args(["--param", "policy.approval.min_score", "--values", "500,600"]);
        }
        let assert = cmd
            .args(["--paths", "100", "--out", "/proc/creditstress-test-out"])
            .assert()
            .code(2);
        assert!(
            stderr_of(&assert).contains("cannot write into /proc"),
            "{command}: {}",
            stderr_of(&assert)
        );
    }
}

#[test]
fn stress_runs_one_book_through_several_scenarios_on_common_random_numbers() {
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("stress");
    let assert = creditstress()
        .arg("stress")
        .arg(repo_file("scenarios/baseline.toml"))
        .arg(repo_file("scenarios/downturn.toml"))
        .args(["--paths", "300", "--threads", "1", "--out"])
        .arg(&out)
        .assert()
        .success();
    let text = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(
        text.contains("scenario  loans") && text.contains("downturn - baseline"),
        "{text}"
    );
    assert!(text.contains("book the same loans"), "{text}");
    let s = read_json(&out.join("stress.json"));
    assert_eq!(s["books_agree"], true);
    assert_eq!(s["policies"].as_array().unwrap().len(), 2);
    // The downturn's EL exceeds the baseline's, with a paired interval narrower than the unpaired one.
    let el = &s["versus_baseline"][0]["differences"][0];
    assert_eq!(el["metric"], "el");
    assert!(el["paired"]["ci"][0].as_f64().unwrap() > 0.0, "{el}");
    assert!(el["width_ratio"].as_f64().unwrap() < 1.0, "{el}");
    for f in ["stress.csv", "stress.html", "plots/exceedance.png"] {
        assert!(out.join(f).exists(), "{f}");
    }
    let html = String::from_utf8(read(&out.join("stress.html"))).unwrap();
    assert!(html.contains("<h1>Stress test") && html.contains("every scenario draws the same borrowers"));
    assert!(
        !html.contains("Probability-weighted"),
        "no weights, no weighted section"
    );
    // A scenario with another book runs, and the output says the books differ.
    let other = creditstress()
        .arg("stress")
        .arg(repo_file("scenarios/baseline.toml"))
        .arg(repo_file("scenarios/own_book.toml"))
        .args(["--paths", "50", "--json", "--out"])
        .arg(tmp.path().join("other"))
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&other.get_output().stdout).unwrap();
    assert_eq!(v["books_agree"], false);
    assert!(
        v["book_differences"][0].as_str().unwrap().contains("[[segments]]"),
        "{v}"
    );
    // The same scenario twice is refused.
    let twice = creditstress()
        .arg("stress")
        .arg(repo_file("scenarios/baseline.toml"))
        .arg(repo_file("scenarios/baseline.toml"))
        .args(["--paths", "50", "--out"])
        .arg(tmp.path().join("twice"))
        .assert()
        .code(2);
    assert!(stderr_of(&twice).contains("used twice"), "{}", stderr_of(&twice));
}

/// The rows of a CSV as maps from column name to text.
fn csv_rows(bytes: &[u8]) -> Vec<std::collections::BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_reader(bytes);
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    reader
        .records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(str::to_string))
                .collect()
        })
        .collect()
}

/// `stress` on the three bundled stresses: each scenario's per-path losses,
/// key figures and monthly bands are bitwise those of its own `run` with the
/// same seed and paths (common random numbers change nothing in a scenario
/// alone); the paired interval of the EL, net income and tail differences
/// (with 10 paths or more beyond the level) is narrower than the unpaired one.
#[test]
fn stress_figures_equal_each_scenarios_own_run_bitwise() {
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("stress");
    let names = ["baseline", "downturn", "pandemic"];
    let mut cmd = creditstress();
    cmd.arg("stress");
    for n in names {
        cmd.arg(repo_file(&format!("scenarios/{n}.toml")));
    }
    cmd.args(["--paths", "200", "--seed", "11", "--threads", "2", "-q", "--out"])
        .arg(&out)
        .assert()
        .success();
    let stress = read_json(&out.join("stress.json"));
    let paths = csv_rows(&read(&out.join("stress_paths.csv")));
    let monthly = csv_rows(&read(&out.join("stress_timeseries.csv")));
    for (k, n) in names.iter().enumerate() {
        let own = tmp.path().join(n);
        creditstress()
            .arg("run")
            .arg(repo_file(&format!("scenarios/{n}.toml")))
            .args(["--paths", "200", "--seed", "11", "--threads", "1", "-q", "--out"])
            .arg(&own)
            .assert()
            .success();
        let summary = read_json(&own.join("summary.json"));
        let figures = &stress["policies"][k];
        assert_eq!(figures["name"], *n);
        assert_eq!(figures["el"]["value"], summary["loss"]["mean"], "{n}: EL");
        for level in ["0.95", "0.99"] {
            assert_eq!(figures["var"][level], summary["loss"]["var"][level], "{n}: VaR {level}");
            assert_eq!(figures["es"][level], summary["loss"]["es"][level], "{n}: ES {level}");
        }
        let run_paths = csv_rows(&read(&own.join("paths.csv")));
        let losses: Vec<&String> = paths
            .iter()
            .filter(|r| r["scenario"] == *n)
            .map(|r| &r["loss"])
            .collect();
        assert_eq!(
            losses,
            run_paths.iter().map(|r| &r["loss"]).collect::<Vec<_>>(),
            "{n}: per-path loss"
        );
        let nets: Vec<&String> = paths
            .iter()
            .filter(|r| r["scenario"] == *n)
            .map(|r| &r["net_income"])
            .collect();
        assert_eq!(
            nets,
            run_paths.iter().map(|r| &r["net_income"]).collect::<Vec<_>>(),
            "{n}: net income"
        );
        // Every monthly band equals the run's timeseries.csv cell for the same quantity.
        let series = csv_rows(&read(&own.join("timeseries.csv")));
        let mine: Vec<_> = monthly.iter().filter(|r| r["scenario"] == *n).collect();
        assert_eq!(mine.len(), series.len() * (mine.len() / series.len()));
        for r in mine {
            let month: usize = r["month"].parse().unwrap();
            for stat in ["mean", "p05", "p25", "p50", "p75", "p95"] {
                let column = format!("{}_{stat}", r["quantity"]);
                assert_eq!(r[stat], series[month - 1][&column], "{n}: month {month}, {column}");
            }
        }
    }
    for v in stress["versus_baseline"].as_array().unwrap() {
        for d in v["differences"].as_array().unwrap() {
            let metric = d["metric"].as_str().unwrap();
            // Tail measures with at least 10 paths beyond them (200 paths: VaR 95%, ES 95%).
            let tail =
                (metric.starts_with("var_") || metric.starts_with("es_")) && d["tail_paths"].as_u64() >= Some(10);
            if metric == "el" || metric == "net_income" || tail {
                assert!(d["width_ratio"].as_f64().unwrap() < 1.0, "{d}");
            }
        }
    }
}

/// `report` on a stress or comparison folder redraws its page and plots byte
/// for byte from the data files; the manifest says what was run and how to rerun it.
#[test]
fn report_redraws_stress_and_comparison_folders_byte_for_byte() {
    let tmp = TempDir::new().unwrap();
    let stress = tmp.path().join("stress");
    creditstress()
        .arg("stress")
        .arg(repo_file("scenarios/baseline.toml"))
        .arg(repo_file("scenarios/downturn.toml"))
        .args(["--paths", "150", "--weights", "0.7,0.3", "-q", "--out"])
        .arg(&stress)
        .assert()
        .success();
    let compare = tmp.path().join("compare");
    creditstress()
        .arg("compare")
        .arg(repo_file("scenarios/downturn.toml"))
        .arg("--policy")
        .arg(repo_file("scenarios/policies/current.toml"))
        .arg("--policy")
        .arg(repo_file("scenarios/policies/tight.toml"))
        .args(["--paths", "150", "-q", "--out"])
        .arg(&compare)
        .assert()
        .success();
    for (dir, stem, noun) in [(&stress, "stress", "scenario"), (&compare, "comparison", "policy")] {
        let manifest = read_json(&dir.join("manifest.json"));
        assert_eq!(manifest["format"], "creditstress-study-manifest");
        assert_eq!(manifest["runs"].as_array().unwrap().len(), 2);
        assert!(
            manifest["command"].as_str().unwrap().starts_with("creditstress "),
            "{manifest}"
        );
        assert_eq!(manifest["inputs"][0]["role"], "scenario");
        let page = format!("{stem}.html");
        let html = String::from_utf8(read(&dir.join(&page))).unwrap();
        assert!(
            html.contains(">Reproduce</h2>") && html.contains("Month by month"),
            "{stem}"
        );
        let drawn: Vec<String> = std::iter::once(page.clone())
            .chain(
                ["exceedance", "el_vs_income", "paired_differences", "monthly"]
                    .iter()
                    .flat_map(|p| [format!("plots/{p}.png"), format!("plots/{p}.svg")]),
            )
            .collect();
        let before: Vec<Vec<u8>> = drawn.iter().map(|f| read(&dir.join(f))).collect();
        for f in &drawn {
            fs::remove_file(dir.join(f)).unwrap();
        }
        creditstress().arg("report").arg(dir).arg("-q").assert().success();
        for (f, bytes) in drawn.iter().zip(&before) {
            assert!(read(&dir.join(f)) == *bytes, "{stem}: {f} redrawn differently");
        }
        // A damaged per-path file is refused naming it.
        let paths = dir.join(format!("{stem}_paths.csv"));
        let text = String::from_utf8(read(&paths)).unwrap();
        fs::write(
            &paths,
            text.replacen(&format!("{noun},path"), &format!("{noun},row"), 1),
        )
        .unwrap();
        let refused = creditstress().arg("report").arg(dir).assert().code(2);
        assert!(
            stderr_of(&refused).contains(&format!("{stem}_paths.csv")),
            "{}",
            stderr_of(&refused)
        );
    }
    // The weights are recorded and the rerun command reproduces stress.json.
    let manifest = read_json(&stress.join("manifest.json"));
    assert_eq!(manifest["weights"], serde_json::json!([0.7, 0.3]));
    let command = manifest["command"].as_str().unwrap().to_string();
    assert!(
        command.contains("--weights 0.7,0.3") && command.contains("--paths 150"),
        "{command}"
    );
}

/// `sweep --grid`: a 2-D grid over a list entry and a whole list, each point
/// bitwise the run of the scenario with those values set (`--set`), the
/// measure with its interval in grid.json and the heatmap drawn; a bad grid
/// file is refused naming the file and the block's field.
#[test]
fn sweep_grid_runs_every_point_of_a_two_axis_grid() {
    let tmp = TempDir::new().unwrap();
    let grid = tmp.path().join("grid.toml");
    fs::write(
        &grid,
        r#"
measure = "var.0.95"
[[sweep]]
param = "segments[0].pricing.daily_rate_by_band[2]"
from = 0.0003
to = 0.0005
step = 0.0001
[[sweep]]
param = "macro.shocks[0].depth"
values = [1.5, 3]
"#,
    )
    .unwrap();
    let out = tmp.path().join("grid");
    let sweep_grid = || {
        creditstress()
            .arg("sweep")
            .arg(repo_file("scenarios/pandemic.toml"))
            .arg("--grid")
            .arg(&grid)
            .args(["--paths", "120", "-q", "--out"])
            .arg(&out)
            .assert()
            .success();
    };
    sweep_grid();
    let g = read_json(&out.join("grid.json"));
    assert_eq!(g["measure"], "var.0.95");
    assert_eq!(
        g["axes"][0]["values"],
        serde_json::json!(["0.0003", "0.0004", "0.0005"])
    );
    let points = g["points"].as_array().unwrap();
    assert_eq!(points.len(), 6);
    for f in ["grid.csv", "grid.html", "plots/heatmap.png", "plots/heatmap.svg"] {
        assert!(out.join(f).exists(), "{f}");
    }
    // The manifest names the inputs and the rerun; `report` redraws the heatmap byte for byte.
    let manifest = read_json(&out.join("manifest.json"));
    assert_eq!(manifest["study"], "grid");
    assert_eq!(manifest["inputs"][1]["role"], "grid");
    assert!(manifest["command"].as_str().unwrap().contains("--grid"), "{manifest}");
    let heatmap = read(&out.join("plots/heatmap.png"));
    let page = read(&out.join("grid.html"));
    fs::remove_file(out.join("plots/heatmap.png")).unwrap();
    fs::remove_file(out.join("grid.html")).unwrap();
    creditstress().arg("report").arg(&out).arg("-q").assert().success();
    assert!(
        read(&out.join("plots/heatmap.png")) == heatmap,
        "the heatmap redrawn differently"
    );
    assert!(
        read(&out.join("grid.html")) == page,
        "the grid page redrawn differently"
    );
    // The same sweep again into its own folder: every file is one creditstress writes.
    sweep_grid();
    assert!(read(&out.join("grid.html")) == page, "the rerun wrote another page");
    // Point (0.0004, 3): the fourth, the last axis fastest.
    let p = &points[3];
    assert_eq!(p["values"], serde_json::json!(["0.0004", "3"]));
    let own = tmp.path().join("own");
    creditstress()
        .arg("run")
        .arg(repo_file("scenarios/pandemic.toml"))
        .args([
            "--set",
            "segments[0].pricing.daily_rate_by_band[2]=0.0004",
            "--set",
            "macro.shocks[0].depth=3",
            "--paths",
            "120",
            "-q",
            "--out",
        ])
        .arg(&own)
        .assert()
        .success();
    let summary = read_json(&own.join("summary.json"));
    assert_eq!(p["figures"]["el"]["value"], summary["loss"]["mean"]);
    assert_eq!(p["measure"]["value"], summary["loss"]["var"]["0.95"]);
    assert_eq!(p["measure"]["ci"], summary["loss"]["var_ci"]["0.95"]);
    // A deeper shock loses more at either rate.
    assert!(points[1]["measure"]["value"].as_f64() > points[0]["measure"]["value"].as_f64());
    // Bad grid files and mixed flags are refused, naming the problem.
    fs::write(&grid, "[[sweep]]\nparam = \"macro.shocks[0].depth\"\nvalues = []\n").unwrap();
    let refused = creditstress()
        .arg("sweep")
        .arg(repo_file("scenarios/pandemic.toml"))
        .arg("--grid")
        .arg(&grid)
        .args(["--paths", "10", "--out"])
        .arg(tmp.path().join("bad"))
        .assert()
        .code(2);
    let e = stderr_of(&refused);
    assert!(e.contains("grid.toml") && e.contains("sweep[0].values"), "{e}");
    fs::write(&grid, "[[sweep]]\nparam = \"segments[0].nonsense\"\nvalues = [1]\n").unwrap();
    let refused = creditstress()
        .arg("sweep")
        .arg(repo_file("scenarios/pandemic.toml"))
        .arg("--grid")
        .arg(&grid)
        .args(["--paths", "10", "--out"])
        .arg(tmp.path().join("bad"))
        .assert()
        .code(2);
    assert!(stderr_of(&refused).contains("nonsense"), "{}", stderr_of(&refused));
    creditstress()
        .arg("sweep")
        .arg(repo_file("scenarios/pandemic.toml"))
        .arg("--grid")
        .arg(&grid)
        .args(["--param", "run.seed", "--values", "1"])
        .assert()
        .code(2);
    assert!(!tmp.path().join("bad").exists(), "nothing written for a refused grid");
}

/// Reverse stress against a closed form: on the one-period Vasicek book
/// (10,000 loans, PD 2%, LGD 45%), the asset correlation that puts VaR 99%
/// of the loss rate at the large-pool value for rho = 0.15 is found with a
/// 95% interval that holds 0.15 (the book's granularity moves the quantile
/// by far less than the Monte Carlo error of 4,000 paths).
#[test]
fn reverse_finds_the_vasicek_correlation_of_a_var_within_its_interval() {
    use creditstress::stats::normal::vasicek_loss_quantile;
    let tmp = TempDir::new().unwrap();
    let target = vasicek_loss_quantile(0.02, 0.15, 0.45, 0.99);
    let out = tmp.path().join("rev");
    creditstress()
        .arg("reverse")
        .arg(repo_file("scenarios/validation/vasicek.toml"))
        .args(["--param", "segments[0].rho", "--target"])
        .arg(format!("loss_rate.var.0.99={target}"))
        .args([
            "--from", "0.05", "--to", "0.3", "--paths", "4000", "--seed", "42", "-q", "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let root = read_json(&out.join("reverse.json"))["root"].clone();
    let [lo, hi] = [root["ci"][0].as_f64().unwrap(), root["ci"][1].as_f64().unwrap()];
    assert!(lo < 0.15 && 0.15 < hi, "target {target}: {root}");
    assert!(hi - lo < 0.1, "the interval is informative: {root}");
}

/// The tail scenario against a closed form: on the one-factor Vasicek book
/// the loss falls as the factor Z ~ N(0, 1) rises, so the paths at or beyond
/// VaR 95% are those with Z below -z_0.95, whose mean is -phi(z_0.95) / 0.05
/// = -2.063. The tail paths' mean factor is within 3 standard errors of it
/// (the truncated normal's sd 0.371 over the tail paths' root).
#[test]
fn the_tail_scenario_of_a_one_factor_book_has_the_conditional_mean_factor() {
    use creditstress::stats::normal::norm_inv;
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("vasicek");
    creditstress()
        .arg("run")
        .arg(repo_file("scenarios/validation/vasicek.toml"))
        .args(["--paths", "4000", "--seed", "42", "-q", "--out"])
        .arg(&out)
        .assert()
        .success();
    let tail = read_json(&out.join("summary.json"))["tail_scenario"]["0.95"].clone();
    let n = tail["paths"].as_f64().unwrap();
    let got = tail["factors"]["national"][0]["mean"].as_f64().unwrap();
    let a = -norm_inv(0.95);
    let density = (-0.5 * a * a).exp() / (2.0 * std::f64::consts::PI).sqrt();
    let lambda = density / 0.05;
    let expected = -lambda;
    let sd = (1.0 - a * lambda - lambda * lambda).sqrt();
    assert!(
        (expected + 2.0627).abs() < 1e-3 && (sd - 0.3711).abs() < 2e-3,
        "{expected} {sd}"
    );
    assert!((195.0..=205.0).contains(&n), "{tail}");
    assert!(
        (got - expected).abs() < 3.0 * sd / n.sqrt(),
        "tail mean factor {got}, expected {expected}"
    );
}

/// `stress --weights`: the mixture's EL is the weighted ELs, its VaR lies
/// between the scenarios' own (a mixture's quantile always does), all weight
/// on one scenario gives exactly that scenario's EL and VaR, and bad weights
/// are refused naming the problem.
#[test]
fn stress_weights_give_the_mixture_of_the_scenarios() {
    let tmp = TempDir::new().unwrap();
    let run = |weights: &str, out: &str| {
        let assert = creditstress()
            .arg("stress")
            .arg(repo_file("scenarios/baseline.toml"))
            .arg(repo_file("scenarios/downturn.toml"))
            .args([
                "--paths",
                "400",
                "--threads",
                "2",
                "--weights",
                weights,
                "--json",
                "--out",
            ])
            .arg(tmp.path().join(out))
            .assert()
            .success();
        serde_json::from_slice::<Value>(&assert.get_output().stdout).unwrap()
    };
    let v = run("3,1", "mix");
    let w = &v["weighted"];
    let html = String::from_utf8(read(&tmp.path().join("mix/stress.html"))).unwrap();
    assert!(html.contains("<h2>Probability-weighted</h2>") && html.contains("baseline 75.0%"));
    assert_eq!(w["weights"][0]["weight"].as_f64(), Some(0.75), "normalised: {w}");
    let el = |k: usize| v["policies"][k]["el"]["value"].as_f64().unwrap();
    let mix_el = w["el"]["value"].as_f64().unwrap();
    assert!((mix_el - (0.75 * el(0) + 0.25 * el(1))).abs() < 1e-6 * mix_el, "{w}");
    let ci = w["el"]["ci"].as_array().unwrap();
    assert!(ci[0].as_f64().unwrap() < mix_el && mix_el < ci[1].as_f64().unwrap());
    for level in ["0.95", "0.99"] {
        let var = |k: usize| v["policies"][k]["var"][level].as_f64().unwrap();
        let mix = w["var"][level]["value"].as_f64().unwrap();
        assert!(var(0).min(var(1)) <= mix && mix <= var(0).max(var(1)), "{level}: {w}");
        let es = w["es"][level]["value"].as_f64().unwrap();
        assert!(es >= mix, "ES at least VaR: {w}");
    }
    let first = run("1,0", "first");
    let w = &first["weighted"];
    assert_eq!(w["el"]["value"], first["policies"][0]["el"]["value"]);
    assert_eq!(w["var"]["0.99"]["value"], first["policies"][0]["var"]["0.99"]);
    for (weights, message) in [
        ("1", "1 weight(s) for 2 scenario files"),
        ("1,-1", "-1 is not a probability weight"),
        ("0,0", "every weight is 0"),
    ] {
        let refused = creditstress()
            .arg("stress")
            .arg(repo_file("scenarios/baseline.toml"))
            .arg(repo_file("scenarios/downturn.toml"))
            .args(["--paths", "50", "--weights", weights, "--out"])
            .arg(tmp.path().join("refused"))
            .assert()
            .code(2);
        assert!(stderr_of(&refused).contains(message), "{}", stderr_of(&refused));
        assert!(!tmp.path().join("refused").exists(), "nothing written");
    }
}

#[test]
fn sigint_and_sigterm_stop_a_run_with_130_or_143_and_write_nothing() {
    for (signal, code) in [("-INT", 130), ("-TERM", 143)] {
        let tmp = TempDir::new().unwrap();
        let out = tmp.path().join("out");
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_creditstress"))
            .arg("run")
            .arg(repo_file("scenarios/downturn.toml"))
            .args(["--paths", "200000", "--threads", "1", "--quiet", "--out"])
            .arg(&out)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Long enough to be simulating, far before the 200,000 paths end.
        std::thread::sleep(std::time::Duration::from_millis(1500));
        let killed = std::process::Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(code), "{signal}: {stderr}");
        assert!(
            stderr.contains("interrupted: nothing was written"),
            "{signal}: {stderr}"
        );
        assert!(!out.exists(), "{signal}: the output folder was written");
    }
}

/// Ctrl-C during the simulation of a study (compare, stress, a grid sweep)
/// stops it the same way: exit 130, nothing written, no lock left.
#[test]
fn sigint_stops_compare_stress_and_grid_sweeps_with_130_and_writes_nothing() {
    let tmp = TempDir::new().unwrap();
    let grid = tmp.path().join("grid.toml");
    fs::write(
        &grid,
        "[[sweep]]\nparam = \"macro.shocks[0].depth\"\nvalues = [1, 2, 3]\n",
    )
    .unwrap();
    let downturn = repo_file("scenarios/downturn.toml");
    let commands: Vec<(&str, Vec<std::ffi::OsString>)> = vec![
        (
            "compare",
            vec![
                "compare".into(),
                downturn.clone().into(),
                "--policy".into(),
                repo_file("scenarios/policies/current.toml").into(),
                "--policy".into(),
                repo_file("scenarios/policies/tight.toml").into(),
            ],
        ),
        (
            "stress",
            vec![
                "stress".into(),
                repo_file("scenarios/baseline.toml").into(),
                downturn.clone().into(),
            ],
        ),
        (
            "sweep --grid",
            vec![
                "sweep".into(),
                repo_file("scenarios/pandemic.toml").into(),
                "--grid".into(),
                grid.clone().into(),
            ],
        ),
    ];
    for (what, args) in commands {
        let out = tmp.path().join(what.replace(' ', "_"));
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_creditstress"))
            .args(&args)
            .args(["--paths", "200000", "--threads", "1", "--quiet", "--out"])
            .arg(&out)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1500));
        let killed = std::process::Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(130), "{what}: {stderr}");
        assert!(stderr.contains("nothing was written"), "{what}: {stderr}");
        assert!(!out.exists(), "{what}: the output folder was written");
        let lock = tmp
            .path()
            .join(format!(".{}.lock", out.file_name().unwrap().to_string_lossy()));
        assert!(!lock.exists(), "{what}: the lock was left");
    }
}

// ---------------------------------------------------------------------------
// [macro.link]: the stress in economic units

/// A copy of scenarios/economic_adverse.toml and its table in a temporary
/// folder, with `edit` applied to the scenario text and `table` (if given)
/// replacing the table.
fn economic_adverse_copy(edit: impl Fn(String) -> String, table: Option<&str>) -> (TempDir, PathBuf) {
    let tmp = TempDir::new().unwrap();
    let text = fs::read_to_string(repo_file("scenarios/economic_adverse.toml")).unwrap();
    let scenario = tmp.path().join("economic_adverse.toml");
    fs::write(&scenario, edit(text)).unwrap();
    fs::create_dir(tmp.path().join("data")).unwrap();
    let table = match table {
        Some(t) => t.to_string(),
        None => fs::read_to_string(repo_file("scenarios/data/macro_adverse.csv")).unwrap(),
    };
    fs::write(tmp.path().join("data/macro_adverse.csv"), table).unwrap();
    (tmp, scenario)
}

#[test]
fn validate_shows_the_macro_link() {
    let assert = creditstress()
        .args(["validate"])
        .arg(repo_file("scenarios/economic_adverse.toml"))
        .assert()
        .code(0);
    let stdout = stdout_of(&assert);
    for expect in [
        "link from data/macro_adverse.csv (quarterly, linear between quarter midpoints) to national",
        "unemployment_rate         -0.5         5",
        "gdp_growth                0.25         2",
        "factor contribution",
        // Quarter 1: unemployment 5.0, growth 1.0: 0.25 (1 - 2) in months 1-2,
        // then a third of the way to quarter 2's midpoint.
        "1           1-3           1                  5  -0.250 -0.250 -0.558",
        "the horizon (24 months) uses 8 of the table's 9 quarters",
        "deterministic national (with the link below)",
    ] {
        assert!(stdout.contains(expect), "validate does not show {expect:?}:\n{stdout}");
    }
    assert!(
        !stdout.contains("deterministic regional (with the link"),
        "regional is not linked:\n{stdout}"
    );
}

#[test]
fn validate_says_where_the_table_ends() {
    let (_tmp, scenario) = economic_adverse_copy(|t| t.replace("horizon_months = 24", "horizon_months = 36"), None);
    let assert = creditstress().arg("validate").arg(&scenario).assert().code(0);
    let stdout = stdout_of(&assert);
    assert!(
        stdout.contains("the table ends with quarter 9 (month 27); months 28-36 carry its last values forward"),
        "{stdout}"
    );
    // 12 quarters in the horizon: all shown.
    assert!(stdout.contains("12        34-36"), "{stdout}");
}

#[test]
fn the_economic_adverse_scenario_runs_and_records_its_table() {
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("out");
    creditstress()
        .arg("run")
        .arg(repo_file("scenarios/economic_adverse.toml"))
        .args(["--paths", "20", "--seed", "3", "--threads", "2", "--quiet", "--out"])
        .arg(&out)
        .assert()
        .code(0);
    let summary = read_json(&out.join("summary.json"));
    assert_eq!(summary["paths"], 20);
    let manifest = fs::read_to_string(out.join("manifest.json")).unwrap();
    let digest = sha256_hex(&read(&repo_file("scenarios/data/macro_adverse.csv")));
    assert!(
        manifest.contains("data/macro_adverse.csv") && manifest.contains(&digest),
        "the manifest does not name the table and its digest:\n{manifest}"
    );
}

#[test]
fn a_bad_economic_table_is_refused_with_its_line_and_column() {
    let table = "period,unemployment_rate,gdp_growth\n1,5.0,1.0\n2,5.6,n/a\n";
    let (_tmp, scenario) = economic_adverse_copy(|t| t, Some(table));
    let assert = creditstress().arg("validate").arg(&scenario).assert().code(2);
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains(&format!(
            "{}: data/macro_adverse.csv, line 3, column `gdp_growth`: expected a number, got \"n/a\"",
            scenario.display()
        )),
        "{stderr}"
    );
}

#[test]
fn a_missing_economic_table_is_refused() {
    let (tmp, scenario) = economic_adverse_copy(|t| t, None);
    fs::remove_file(tmp.path().join("data/macro_adverse.csv")).unwrap();
    let assert = creditstress().arg("validate").arg(&scenario).assert().code(2);
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains("cannot read") && stderr.contains("\"data/macro_adverse.csv\""),
        "{stderr}"
    );
}

#[test]
fn emit_tape_then_calibrate_then_run_the_calibrated_book() {
    let dir = TempDir::new().expect("temp dir");
    let tape = dir.path().join("tape");
    let out = dir.path().join("run");
    let a = creditstress()
        .args([
            "run",
            repo_file("scenarios/downturn.toml").to_str().unwrap(),
            "--paths",
            "4",
            "--out",
        ])
        .arg(&out)
        .arg("--emit-tape")
        .arg(&tape)
        .args(["--tape-paths", "4"])
        .assert()
        .success();
    assert!(stderr_of(&a).contains("tape.csv"), "{}", stderr_of(&a));
    assert_eq!(
        entries(&tape),
        BTreeSet::from(["book.csv".to_string(), "tape.csv".to_string()])
    );
    let calibrated = dir.path().join("fitted").join("calibrated.toml");
    let c = creditstress()
        .arg("calibrate")
        .arg(tape.join("tape.csv"))
        .arg("--out")
        .arg(&calibrated)
        .assert()
        .success();
    assert!(stdout_of(&c).contains("monthly rho"), "{}", stdout_of(&c));
    let report = dir.path().join("fitted").join("calibrated.calibration");
    assert!(report.join("calibration.html").is_file());
    assert!(report.join("plots").join("calibration_bands_0.svg").is_file());
    let text = String::from_utf8(read(&calibrated)).unwrap();
    assert!(text.contains("file = \"../tape/book.csv\""), "{text}");
    // The written scenario validates and runs its imported book.
    creditstress().arg("validate").arg(&calibrated).assert().success();
    let run = dir.path().join("calibrated-run");
    creditstress()
        .arg("run")
        .arg(&calibrated)
        .args(["--paths", "20", "--out"])
        .arg(&run)
        .assert()
        .success();
    let summary = read_json(&run.join("summary.json"));
    let booked = String::from_utf8(read(&tape.join("book.csv"))).unwrap().lines().count() as u64 - 1;
    assert_eq!(summary["loans"].as_u64().unwrap(), booked);
    // The manifest names the book it ran on, with its digest.
    let manifest = read_json(&run.join("manifest.json"));
    assert_eq!(
        manifest["data_files"][0]["sha256"].as_str().unwrap(),
        sha256_hex(&read(&tape.join("book.csv")))
    );
    // Calibrate never overwrites its output.
    let again = creditstress()
        .arg("calibrate")
        .arg(tape.join("tape.csv"))
        .arg("--out")
        .arg(&calibrated)
        .assert()
        .code(2);
    assert!(stderr_of(&again).contains("never overwrites"));
    // A report folder holding a user's file is refused before the fit, naming it;
    // nothing is written, and --force writes beside the file.
    let other = dir.path().join("fitted").join("other.toml");
    let folder = dir.path().join("fitted").join("other.calibration");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("notes.txt"), "mine").unwrap();
    let refused = creditstress()
        .arg("calibrate")
        .arg(tape.join("tape.csv"))
        .arg("--out")
        .arg(&other)
        .assert()
        .code(2);
    let err = stderr_of(&refused);
    assert!(
        err.contains("other.calibration (the report folder of --out)") && err.contains("notes.txt"),
        "{err}"
    );
    assert!(!other.exists());
    assert_eq!(entries(&folder), BTreeSet::from(["notes.txt".to_string()]));
    creditstress()
        .arg("calibrate")
        .arg(tape.join("tape.csv"))
        .arg("--out")
        .arg(&other)
        .arg("--force")
        .assert()
        .success();
    assert_eq!(read(&folder.join("notes.txt")), b"mine");
    assert!(folder.join("calibration.json").is_file());
}

#[test]
fn emit_tape_is_refused_where_it_cannot_be_honest() {
    let dir = TempDir::new().expect("temp dir");
    let scenario = repo_file("scenarios/downturn.toml");
    let e = creditstress()
        .arg("run")
        .arg(&scenario)
        .args(["--paths", "4", "--shard", "0/2", "--emit-tape"])
        .arg(dir.path().join("t"))
        .assert()
        .code(2);
    assert!(stderr_of(&e).contains("--emit-tape cannot be combined with --shard"));
    let e = creditstress()
        .arg("run")
        .arg(&scenario)
        .args(["--paths", "4", "--tape-paths", "5", "--emit-tape"])
        .arg(dir.path().join("t"))
        .arg("--out")
        .arg(dir.path().join("o"))
        .assert()
        .code(2);
    assert!(stderr_of(&e).contains("more than the run's 4 paths"));
    let e = creditstress()
        .arg("run")
        .arg(repo_file("scenarios/validation/vasicek.toml"))
        .args(["--paths", "4", "--engine", "pooled", "--emit-tape"])
        .arg(dir.path().join("t"))
        .arg("--out")
        .arg(dir.path().join("o"))
        .assert()
        .code(2);
    assert!(stderr_of(&e).contains("--engine pooled draws identical loans as counts"));
    let e = creditstress()
        .arg("run")
        .arg(repo_file("scenarios/validation/vasicek.toml"))
        .args(["--paths", "4", "--engine", "pooled", "--export", "monthly", "--out"])
        .arg(dir.path().join("o"))
        .assert()
        .code(2);
    assert!(stderr_of(&e).contains("--engine pooled draws"));
    assert!(!dir.path().join("t").exists() && !dir.path().join("o").exists());
}

#[test]
fn a_pooled_run_says_so_and_its_manifest_reruns_it() {
    let dir = TempDir::new().expect("temp dir");
    let out = dir.path().join("o");
    let run = creditstress()
        .arg("run")
        .arg(repo_file("scenarios/validation/vasicek.toml"))
        .args(["--paths", "200", "--engine", "pooled", "--json", "--out"])
        .arg(&out)
        .assert()
        .success();
    let summary: serde_json::Value = serde_json::from_slice(&run.get_output().stdout).unwrap();
    assert_eq!(summary["engine"], creditstress::engine::ENGINE_POOLED);
    let manifest = fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(manifest.contains("--engine pooled"), "{manifest}");
}

#[test]
fn a_bad_book_cell_is_refused_with_file_line_and_column_and_nothing_is_written() {
    let dir = TempDir::new().expect("temp dir");
    let data = dir.path().join("data");
    fs::create_dir_all(&data).unwrap();
    fs::write(
        data.join("book.csv"),
        "loan_id,segment,product,balance,limit,rate_monthly,term_months,dpd,score\n\
         1,all,revolving,100,200,0.01,0,0,650\n\
         2,all,revolving,100,200,0.01,0,0,1200\n",
    )
    .unwrap();
    let scenario = dir.path().join("imported.toml");
    fs::write(
        &scenario,
        "schema_version = 1\nname = \"imported\"\n[[segments]]\nname = \"all\"\nloans = 0\n\
         score = { mean = 650, std = 50 }\npd = { model = \"constant\", value = 0.02 }\nrho = 0.1\n\
         lgd = { mean = 0.6 }\n[book]\nfile = \"data/book.csv\"\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let e = creditstress()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2);
    let message = stderr_of(&e);
    assert!(
        message.contains("data/book.csv, line 3, column `score`: must be in [350, 950], got 1200"),
        "{message}"
    );
    assert!(!out.exists());
    // A missing book names the scenario and the path it looked for.
    fs::remove_file(data.join("book.csv")).unwrap();
    let e = creditstress().arg("validate").arg(&scenario).assert().code(2);
    assert!(stderr_of(&e).contains("cannot read") && stderr_of(&e).contains("book.csv"));
}

#[test]
fn risk_contributions_add_up_and_the_report_shows_them() {
    let (_tmp, out) = baseline_run();
    let v = read_json(&out.join("summary.json"));
    for key in LEVELS {
        let c = &v["contributions"][key];
        let es = c["es"].as_f64().unwrap();
        assert!(close(es, v["loss"]["es"][key].as_f64().unwrap(), 1e-12), "ES at {key}");
        assert_eq!(c["var"], v["loss"]["var"][key]);
        for breakdown in ["segments", "score_bands", "products"] {
            let parts = c[breakdown].as_array().unwrap();
            let sum: f64 = parts.iter().map(|p| p["es"].as_f64().unwrap()).sum();
            assert!(close(sum, es, 1e-9), "{breakdown} at {key}: {sum} vs {es}");
            let kernel: f64 = parts.iter().map(|p| p["var"].as_f64().unwrap()).sum();
            assert!(close(kernel, c["var_contributions_sum"].as_f64().unwrap(), 1e-9));
        }
        // The segments' es_contribution is the same figure.
        for p in c["segments"].as_array().unwrap() {
            let name = p["name"].as_str().unwrap();
            assert_eq!(v["segments"][name]["es_contribution"][key], p["es"]);
        }
    }
    let html = String::from_utf8(read(&out.join("report.html"))).unwrap();
    assert!(html.contains("id=\"contributions\"") && html.contains("VaR contribution (yuan)"));
}

#[test]
fn a_book_too_big_for_memory_is_refused_before_it_is_drawn() {
    // Issue 17, item 4: 10^9 loans asked for 48 GB and aborted (SIGABRT).
    let dir = TempDir::new().expect("temp dir");
    let scenario = dir.path().join("huge.toml");
    fs::write(
        &scenario,
        "schema_version = 1\nname = \"huge\"\n[[segments]]\nname = \"all\"\nloans = 4000000000\n\
         score = { mean = 650, std = 50 }\nincome = { median_monthly = 5000, sigma = 0.5 }\n\
         pd = { model = \"constant\", value = 0.02 }\nrho = 0.1\nlgd = { mean = 0.6 }\n\
         [segments.limit]\ncap = 1000\n",
    )
    .unwrap();
    for command in ["validate", "run"] {
        let mut cmd = creditstress();
        cmd.arg(command).arg(&scenario);
        if command == "run" {
            cmd.arg("--out").arg(dir.path().join("out"));
        }
        let refused = cmd.assert().code(2);
        let message = stderr_of(&refused);
        assert!(
            message.contains("4000000000 loans") && message.contains("GiB available"),
            "{command}: {message}"
        );
    }
    assert!(!dir.path().join("out").exists());
}

#[test]
fn a_second_run_into_a_folder_in_use_is_refused_and_a_stale_lock_is_taken_over() {
    // Issue 17, item 7: two runs into one folder could mix their files.
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("out");
    let lock = tmp.path().join(".out.lock");
    let first = std::process::Command::new(env!("CARGO_BIN_EXE_creditstress"))
        .arg("run")
        .arg(repo_file("scenarios/downturn.toml"))
        .args(["--paths", "200000", "--threads", "1", "--quiet", "--out"])
        .arg(&out)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1000));
    assert!(lock.exists(), "the running command holds the lock");
    let second = creditstress()
        .arg("run")
        .arg(repo_file("scenarios/downturn.toml"))
        .args(["--paths", "10", "--out"])
        .arg(&out)
        .assert()
        .code(2);
    assert!(
        stderr_of(&second).contains("is in use by another creditstress command"),
        "{}",
        stderr_of(&second)
    );
    std::process::Command::new("kill")
        .args(["-INT", &first.id().to_string()])
        .status()
        .unwrap();
    let output = first.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130));
    assert!(!lock.exists(), "the lock goes with the command");
    // A lock whose process is gone (a SIGKILL) is taken over, with a note,
    // and the temporary files such a process left are removed.
    fs::write(&lock, "4294967\n").unwrap();
    fs::create_dir_all(out.join("plots")).unwrap();
    fs::write(out.join(".paths.csv.tmp-4294967"), "half a file").unwrap();
    fs::write(out.join("plots").join(".fan_chart.png.tmp-4294967"), "half a plot").unwrap();
    fs::write(out.join("mine.txt"), "the user's own file").unwrap();
    // (A folder with the user's own file needs --force; see the next test.)
    let third = creditstress()
        .arg("run")
        .arg(repo_file("scenarios/downturn.toml"))
        .args(["--paths", "10", "--quiet", "--force", "--out"])
        .arg(&out)
        .assert()
        .success();
    assert!(stderr_of(&third).contains("taking over"), "{}", stderr_of(&third));
    assert!(!lock.exists() && out.join("summary.json").exists());
    assert!(!out.join(".paths.csv.tmp-4294967").exists());
    assert!(!out.join("plots").join(".fan_chart.png.tmp-4294967").exists());
    assert!(out.join("mine.txt").exists(), "nothing the user had is lost");
}

// ---------------------------------------------------------------------------
// conventions: completions, man page, version, exit codes in the help

#[test]
fn completions_generate_for_bash_zsh_and_fish_and_name_every_subcommand() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let assert = creditstress().args(["completions", shell]).assert().success();
        let script = stdout_of(&assert);
        for sub in [
            "validate",
            "run",
            "compare",
            "sweep",
            "merge",
            "report",
            "calibrate",
            "completions",
        ] {
            assert!(script.contains(sub), "{shell}: no {sub} in the script");
        }
        assert!(
            script.contains("--paths") || script.contains("paths"),
            "{shell}: no --paths"
        );
    }
    let assert = creditstress().args(["completions", "tcsh"]).assert().code(2);
    assert!(stderr_of(&assert).contains("tcsh"));
}

#[test]
fn the_man_page_is_roff_and_lists_the_subcommands() {
    let assert = creditstress().arg("man").assert().success();
    let page = stdout_of(&assert);
    assert!(page.contains(".TH creditstress 1"), "{}", &page[..page.len().min(300)]);
    for sub in ["validate", "run", "compare", "merge"] {
        assert!(page.contains(sub), "no {sub}");
    }
}

#[test]
fn version_names_the_commit_and_help_lists_the_exit_codes() {
    let assert = creditstress().arg("--version").assert().success();
    let version = stdout_of(&assert);
    assert!(
        version.starts_with(&format!("creditstress {} (commit ", env!("CARGO_PKG_VERSION"))),
        "{version}"
    );
    let assert = creditstress().arg("--help").assert().success();
    let help = stdout_of(&assert);
    for line in [
        "Exit codes:",
        "0    success",
        "2    usage or input error",
        "130  interrupted",
    ] {
        assert!(help.contains(line), "--help lacks {line:?}:\n{help}");
    }
}

#[test]
fn validate_checks_policy_files_and_speaks_json() {
    let tmp = TempDir::new().unwrap();
    let scenario = repo_file("scenarios/downturn.toml");
    let assert = creditstress()
        .arg("validate")
        .arg(&scenario)
        .arg("--policy")
        .arg(repo_file("scenarios/policies/tight.toml"))
        .assert()
        .success();
    let out = stdout_of(&assert);
    assert!(
        out.contains("Policy tight: approval cutoff 600") && out.contains("tight.toml: OK (against"),
        "{out}"
    );

    let bad = tmp.path().join("bad_policy.toml");
    fs::write(&bad, "name = \"bad\"\n[approval]\nmin_score = 2000\n").unwrap();
    let assert = creditstress()
        .arg("validate")
        .arg(&scenario)
        .arg("--policy")
        .arg(&bad)
        .assert()
        .code(2);
    let err = stderr_of(&assert);
    assert!(err.contains("bad_policy.toml") && err.contains("min_score"), "{err}");

    let assert = creditstress()
        .arg("validate")
        .arg(&scenario)
        .arg("--json")
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_str(&stdout_of(&assert)).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["scenario"]["loans"], 12000);
    assert_eq!(v["scenario"]["segments"].as_array().unwrap().len(), 3);

    let broken = repo_file("tests/scenarios/bad/event_two_timings.toml");
    let assert = creditstress()
        .arg("validate")
        .arg(&broken)
        .arg("--json")
        .assert()
        .code(2);
    let v: serde_json::Value = serde_json::from_str(&stdout_of(&assert)).unwrap();
    assert_eq!(v["valid"], false);
    assert!(v["error"].as_str().unwrap().contains("events[0]"), "{v}");
}

#[test]
fn the_terminal_uses_thousands_separators_and_singular_units() {
    let assert = creditstress()
        .arg("run")
        .arg(repo_file("scenarios/baseline.toml"))
        .args(["--paths", "1200", "--threads", "1", "--out"])
        .arg(TempDir::new().unwrap().path().join("out"))
        .assert()
        .success();
    let out = stdout_of(&assert) + &stderr_of(&assert);
    assert!(out.contains("12,000 loans") && out.contains("1,200 paths"), "{out}");
    assert!(out.contains("loan-months in") && out.contains("on 1 thread ("), "{out}");
    let line = out.lines().find(|l| l.contains("loan-months in")).unwrap();
    assert!(line.split(' ').next().unwrap().contains(','), "{line}");
}

#[test]
fn a_folder_of_someone_elses_files_is_refused_unless_forced() {
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("mine");
    fs::create_dir(&out).unwrap();
    fs::write(out.join("thesis.docx"), "months of work").unwrap();
    let run = |extra: &[&str]| {
        let mut cmd = creditstress();
        cmd.arg("run")
            .arg(repo_file("scenarios/baseline.toml"))
            .args(["--paths", "20", "--threads", "1", "--quiet", "--out"])
            .arg(&out)
            .args(extra);
        cmd.assert()
    };
    let assert = run(&[]).code(2);
    let err = stderr_of(&assert);
    assert!(err.contains("thesis.docx") && err.contains("--force"), "{err}");
    assert_eq!(
        entries(&out),
        BTreeSet::from(["thesis.docx".to_string()]),
        "nothing written"
    );
    run(&["--force"]).success();
    assert_eq!(read(&out.join("thesis.docx")), b"months of work");
    assert!(out.join("summary.json").exists());
    // Our own output folder (and a study folder of shards) is written again without --force.
    let own = tmp.path().join("own");
    for _ in 0..2 {
        creditstress()
            .arg("run")
            .arg(repo_file("scenarios/baseline.toml"))
            .args(["--paths", "20", "--threads", "1", "--quiet", "--out"])
            .arg(&own)
            .assert()
            .success();
    }
}

#[test]
fn the_comparison_tables_fit_in_100_columns_and_name_metrics_in_words() {
    let tmp = TempDir::new().unwrap();
    let assert = creditstress()
        .arg("compare")
        .arg(repo_file("scenarios/downturn.toml"))
        .arg("--policy")
        .arg(repo_file("scenarios/policies/current.toml"))
        .arg("--policy")
        .arg(repo_file("scenarios/policies/tight.toml"))
        .args(["--paths", "300", "--threads", "1", "--out"])
        .arg(tmp.path().join("cmp"))
        .assert()
        .success();
    let out = stdout_of(&assert);
    for line in out.lines() {
        assert!(line.chars().count() <= 100, "{} columns: {line}", line.chars().count());
    }
    for words in [
        "EL ",
        "VaR 99.9% *",
        "ES 95%",
        "net / (ES - EL) 99.9%",
        "unpaired +-",
        "* rough: rests on fewer than 50 tail paths",
    ] {
        assert!(out.contains(words), "no {words:?} in:\n{out}");
    }
    assert!(!out.contains("var_0.999"), "{out}");
}

/// `scaling` measures each run in a process of its own, repeats it, checks
/// every run bitwise against the first thread count's, and exports the
/// table as Markdown, CSV and JSON.
#[test]
fn scaling_repeats_runs_in_their_own_processes_and_exports_them() {
    let tmp = TempDir::new().unwrap();
    let (md, csv, json) = (
        tmp.path().join("s.md"),
        tmp.path().join("s.csv"),
        tmp.path().join("s.json"),
    );
    let assert = creditstress()
        .arg("scaling")
        .arg(repo_file("scenarios/baseline.toml"))
        .args(["--paths", "40", "--threads", "1,2", "--runs", "2", "--warmup", "1"])
        .arg("--export-markdown")
        .arg(&md)
        .arg("--export-csv")
        .arg(&csv)
        .arg("--export-json")
        .arg(&json)
        .assert()
        .success();
    let table = stdout_of(&assert);
    assert!(table.contains("| 1 | 2 |") && table.contains("| 2 | 2 |"), "{table}");
    assert_eq!(fs::read_to_string(&md).unwrap(), table);
    assert_eq!(fs::read_to_string(&csv).unwrap().lines().count(), 3);
    let v = read_json(&json);
    let measurements = v["measurements"].as_array().unwrap();
    assert_eq!(
        measurements.len(),
        4,
        "two counted runs per thread count (warm-ups not counted)"
    );
    let digests: BTreeSet<&str> = measurements.iter().map(|m| m["digest"].as_str().unwrap()).collect();
    assert_eq!(digests.len(), 1, "every run gave the same paths");
    // Each measurement is a process of its own: a worker's loan-months are its run's alone.
    let months: BTreeSet<u64> = measurements
        .iter()
        .map(|m| m["loan_months"].as_u64().unwrap())
        .collect();
    assert_eq!(months.len(), 1);
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows[0]["speedup"].as_f64(), Some(1.0));
    assert!(rows[1]["wall_std"].as_f64().unwrap() >= 0.0);
    assert!(
        stderr_of(&assert).contains("40 paths on 2 thread(s), run 2..."),
        "{}",
        stderr_of(&assert)
    );
    let refused = creditstress()
        .arg("scaling")
        .arg(repo_file("scenarios/baseline.toml"))
        .args(["--runs", "0"])
        .assert()
        .code(2);
    assert!(
        stderr_of(&refused).contains("--runs must be at least 1"),
        "{}",
        stderr_of(&refused)
    );
}

/// Issue 17, item 8: an error quoting a 50 MB one-line file prints its start
/// (the file and the problem) and its end, not 50 MB; a seed beyond what a
/// scenario file can hold is refused naming `--seed`; a swept integer
/// beyond 2^53 (where a float stops holding every integer) is refused, not
/// set as another number.
#[test]
fn huge_inputs_give_bounded_messages_that_name_their_field() {
    let tmp = TempDir::new().unwrap();
    let big = tmp.path().join("big.toml");
    fs::write(&big, format!("name = \"{}\"\n", "x".repeat(50_000_000))).unwrap();
    for command in ["validate", "run"] {
        let assert = creditstress().arg(command).arg(&big).assert().code(2);
        let stderr = stderr_of(&assert);
        assert!(stderr.len() < 8192, "{command}: {} bytes of stderr", stderr.len());
        assert!(
            stderr.contains("big.toml") && stderr.contains("bytes omitted"),
            "{command}: {}",
            &stderr[..stderr.len().min(400)]
        );
    }
    let baseline = repo_file("scenarios/baseline.toml");
    let assert = creditstress()
        .arg("sweep")
        .arg(&baseline)
        .args([
            "--param",
            "run.horizon_months",
            "--values",
            "3",
            "--seed",
            "9223372036854775808",
        ])
        .assert()
        .code(2);
    assert!(stderr_of(&assert).contains("'--seed <SEED>'"), "{}", stderr_of(&assert));
    let assert = creditstress()
        .arg("sweep")
        .arg(&baseline)
        .args(["--param", "run.seed", "--values", "1e30", "--paths", "10", "--out"])
        .arg(tmp.path().join("never"))
        .assert()
        .code(2);
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains("run.seed") && stderr.contains("at most 9e15"),
        "{stderr}"
    );
    assert!(!tmp.path().join("never").exists());
}
