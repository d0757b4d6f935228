//! `run --export monthly`: the long table of every path, month and segment
//! (monthly.csv) adds up to paths.csv, leaves every other output as it was,
//! is the same on any thread count, is listed in the manifest, survives
//! `report DIR` byte for byte, and is refused clearly where it cannot be given.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use tempfile::TempDir;

use common::{creditstress, files, repo_file};

/// A CSV file as its header and rows of strings.
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

fn column(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

fn run(args: &[&str]) -> std::process::Output {
    creditstress().args(args).output().unwrap()
}

fn run_ok(args: &[&str]) {
    let out = run(args);
    assert!(
        out.status.success(),
        "creditstress {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `scenario` with `extra` arguments into `out`, with `--export monthly`.
fn export_run(scenario: &str, extra: &[&str], out: &Path) {
    let scenario = repo_file(scenario).display().to_string();
    let out = out.display().to_string();
    let mut args = vec![
        "run",
        scenario.as_str(),
        "--export",
        "monthly",
        "-q",
        "--out",
        out.as_str(),
    ];
    args.extend_from_slice(extra);
    run_ok(&args);
}

/// Checks that monthly.csv in `dir` adds up to its paths.csv, path by path.
fn assert_adds_up(dir: &Path) {
    let (ph, paths) = read_csv(&dir.join("paths.csv"));
    let (mh, months) = read_csv(&dir.join("monthly.csv"));
    assert_eq!(
        mh,
        creditstress::report::monthly::MONTHLY_HEADER.map(String::from).to_vec()
    );
    let segments: Vec<String> = ph
        .iter()
        .filter(|h| *h != "loss_rate")
        .filter_map(|h| h.strip_prefix("loss_").map(String::from))
        .collect();
    let horizon = months.iter().map(|r| r[1].parse::<usize>().unwrap()).max().unwrap();
    assert_eq!(
        months.len(),
        paths.len() * horizon * segments.len(),
        "one row per path, month and segment"
    );
    // Sums over the months and segments of each path, as f64 (money) and exact integers (counts, cents).
    let mut sums: BTreeMap<(String, String), f64> = BTreeMap::new();
    let mut cents: BTreeMap<(String, String), i64> = BTreeMap::new();
    for (i, r) in months.iter().enumerate() {
        // The order: path, then month, then segment in the scenario's order.
        let k = i % segments.len();
        assert_eq!(r[2], segments[k], "row {i}");
        assert_eq!(r[1], ((i / segments.len()) % horizon + 1).to_string(), "row {i}");
        let path = r[0].clone();
        for name in [
            "loss",
            "fraud_loss",
            "economic_loss",
            "recoveries",
            "recoveries_after_horizon",
            "net_income",
        ] {
            *sums.entry((path.clone(), name.to_string())).or_default() += r[column(&mh, name)].parse::<f64>().unwrap();
        }
        *sums.entry((path.clone(), format!("loss_{}", r[2]))).or_default() +=
            r[column(&mh, "loss")].parse::<f64>().unwrap();
        for name in ["defaults", "loans_booked"] {
            *cents.entry((path.clone(), name.to_string())).or_default() += r[column(&mh, name)].parse::<i64>().unwrap();
        }
        let interest: f64 = r[column(&mh, "interest_income")].parse().unwrap();
        *cents.entry((path.clone(), "interest_income".into())).or_default() += (interest * 100.0).round() as i64;
        // Each row's net income is its own identity.
        let net = interest
            - r[column(&mh, "loss")].parse::<f64>().unwrap()
            - r[column(&mh, "collection_cost")].parse::<f64>().unwrap()
            - r[column(&mh, "recovery_cost")].parse::<f64>().unwrap();
        assert!(
            (net - r[column(&mh, "net_income")].parse::<f64>().unwrap()).abs() < 1e-6,
            "row {i}"
        );
    }
    let mut checked = 0;
    for row in &paths {
        let path = &row[0];
        let value = |name: &str| row[column(&ph, name)].parse::<f64>().unwrap();
        let mut money = vec![
            "loss",
            "fraud_loss",
            "economic_loss",
            "recoveries",
            "recoveries_after_horizon",
            "net_income",
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
        money.extend(segments.iter().map(|s| format!("loss_{s}")));
        for name in &money {
            let got = sums[&(path.clone(), name.clone())];
            let want = value(name);
            assert!(
                (got - want).abs() < 0.005,
                "{}: path {path}: monthly.csv's {name} adds up to {got}, paths.csv has {want}",
                dir.display()
            );
            checked += 1;
        }
        assert_eq!(
            cents[&(path.clone(), "defaults".into())],
            row[column(&ph, "defaults")].parse::<i64>().unwrap(),
            "path {path}: defaults"
        );
        assert_eq!(
            cents[&(path.clone(), "interest_income".into())],
            (value("interest_income") * 100.0).round() as i64,
            "path {path}: interest_income"
        );
        if ph.iter().any(|h| h == "loans_booked") {
            assert_eq!(
                cents[&(path.clone(), "loans_booked".into())],
                row[column(&ph, "loans_booked")].parse::<i64>().unwrap(),
                "path {path}: loans_booked"
            );
        }
    }
    assert!(checked > 0);
    // Something happened: the sums are not all zeros.
    assert!(sums.iter().any(|((_, n), v)| n == "loss" && *v > 0.0));
}

#[test]
fn the_monthly_table_adds_up_to_paths_csv() {
    let tmp = TempDir::new().unwrap();
    // A run-off book on the fast path; delinquency buckets with a collections
    // policy (collection cost, penalty interest, plans); fraud waves and shocks;
    // a P&L with provisions; a going-concern book.
    let runs: [(&str, &[&str]); 5] = [
        ("scenarios/baseline.toml", &["--paths", "60"]),
        (
            "scenarios/downturn.toml",
            &[
                "--paths",
                "40",
                "--set",
                "dynamics.delinquency=true",
                "--set",
                "policy.collections.strategy='intensive'",
            ],
        ),
        ("scenarios/pandemic.toml", &["--paths", "40"]),
        ("scenarios/economic_adverse.toml", &["--paths", "20"]),
        ("scenarios/going_concern.toml", &["--paths", "20"]),
    ];
    for (i, (scenario, extra)) in runs.iter().enumerate() {
        let out = tmp.path().join(format!("run-{i}"));
        export_run(scenario, extra, &out);
        assert_adds_up(&out);
    }
}

#[test]
fn the_export_changes_no_other_output_and_is_the_same_on_any_thread_count() {
    let tmp = TempDir::new().unwrap();
    let scenario = repo_file("scenarios/downturn.toml").display().to_string();
    let plain = tmp.path().join("plain");
    run_ok(&[
        "run",
        &scenario,
        "--paths",
        "200",
        "--threads",
        "2",
        "-q",
        "--out",
        &plain.display().to_string(),
    ]);
    let one = tmp.path().join("one");
    let two = tmp.path().join("two");
    export_run("scenarios/downturn.toml", &["--paths", "200", "--threads", "1"], &one);
    export_run("scenarios/downturn.toml", &["--paths", "200", "--threads", "2"], &two);
    let monthly = std::fs::read(one.join("monthly.csv")).unwrap();
    assert!(monthly.len() > 1000);
    assert_eq!(
        monthly,
        std::fs::read(two.join("monthly.csv")).unwrap(),
        "monthly.csv differs between 1 and 2 threads"
    );
    for name in ["paths.csv", "timeseries.csv"] {
        assert_eq!(
            std::fs::read(plain.join(name)).unwrap(),
            std::fs::read(one.join(name)).unwrap(),
            "{name} changed with --export monthly"
        );
    }
    // summary.json is the same but for the timing, memory and thread fields.
    let summary = |dir: &Path| {
        let mut v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
        for k in ["elapsed_seconds", "loan_months_per_second", "peak_rss_bytes", "threads"] {
            v.as_object_mut().unwrap().remove(k);
        }
        v
    };
    assert_eq!(summary(&plain), summary(&one));
}

#[test]
fn the_manifest_lists_the_export_and_report_redraws_the_folder_byte_for_byte() {
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("run");
    export_run("scenarios/baseline.toml", &["--paths", "50"], &out);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["exports"], serde_json::json!(["monthly.csv"]));
    let command = manifest["command"].as_str().unwrap();
    assert!(command.contains(" --export monthly "), "{command}");
    let before = files(&out);
    assert!(before.contains_key("monthly.csv"));
    run_ok(&["report", &out.display().to_string(), "-q"]);
    let after = files(&out);
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "report changed the folder's files"
    );
    for (name, bytes) in &before {
        assert!(after[name] == *bytes, "report changed {name}");
    }
    // The manifest's command gives the same table again.
    let again = tmp.path().join("again");
    export_run("scenarios/baseline.toml", &["--paths", "50"], &again);
    assert_eq!(before["monthly.csv"], std::fs::read(again.join("monthly.csv")).unwrap());
    // A later run without the export removes the older table with the rest of its set.
    run_ok(&[
        "run",
        &repo_file("scenarios/baseline.toml").display().to_string(),
        "--paths",
        "50",
        "-q",
        "--out",
        &out.display().to_string(),
    ]);
    assert!(!out.join("monthly.csv").exists(), "an older run's monthly.csv stayed");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert!(manifest.get("exports").is_none());
}

#[test]
fn an_export_the_run_cannot_give_is_a_usage_error() {
    let tmp = TempDir::new().unwrap();
    let scenario = repo_file("scenarios/baseline.toml").display().to_string();
    let out = tmp.path().join("out").display().to_string();
    let refused = |args: &[&str], says: &[&str]| {
        let o = run(args);
        let stderr = String::from_utf8_lossy(&o.stderr).to_string();
        assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
        for s in says {
            assert!(stderr.contains(s), "{args:?}: {stderr}");
        }
    };
    refused(
        &["run", &scenario, "--export", "weekly", "--out", &out],
        &["weekly", "--export", "monthly"],
    );
    refused(
        &["run", &scenario, "--export-format", "parquet", "--out", &out],
        &["--export"],
    );
    refused(
        &["run", &scenario, "--export", "monthly", "--shard", "0/2", "--out", &out],
        &["--shard", "monthly.csv"],
    );
    if !cfg!(feature = "parquet") {
        refused(
            &[
                "run",
                &scenario,
                "--export",
                "monthly",
                "--export-format",
                "both",
                "--out",
                &out,
            ],
            &["--export-format both", "parquet"],
        );
    }
    // Nothing was written by any of them.
    assert!(!tmp.path().join("out").join("summary.json").exists());
}

#[cfg(feature = "parquet")]
#[test]
fn monthly_parquet_holds_the_rows_of_monthly_csv() {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::Field;
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("run");
    export_run(
        "scenarios/downturn.toml",
        &["--paths", "20", "--export-format", "both"],
        &out,
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(
        manifest["exports"],
        serde_json::json!(["monthly.csv", "monthly.parquet"])
    );
    assert!(
        manifest["command"]
            .as_str()
            .unwrap()
            .contains("--export monthly --export-format both")
    );
    let (header, rows) = read_csv(&out.join("monthly.csv"));
    let reader = SerializedFileReader::new(std::fs::File::open(out.join("monthly.parquet")).unwrap()).unwrap();
    let names: Vec<String> = reader
        .metadata()
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    assert_eq!(names, header, "the Parquet columns are the CSV's");
    let mut n = 0;
    for (i, row) in reader.get_row_iter(None).unwrap().enumerate() {
        let row = row.unwrap();
        for (k, (_, field)) in row.get_column_iter().enumerate() {
            let got = match field {
                Field::Double(v) => v.to_string(),
                Field::Str(s) => s.clone(),
                other => other.to_string(),
            };
            let want = &rows[i][k];
            match (got.parse::<f64>(), want.parse::<f64>()) {
                (Ok(a), Ok(b)) => assert_eq!(a.to_bits(), b.to_bits(), "row {i}, {}: {got} vs {want}", header[k]),
                _ => assert_eq!(&got, want, "row {i}, {}", header[k]),
            }
        }
        n += 1;
    }
    assert_eq!(n, rows.len());
}
