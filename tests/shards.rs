//! End-to-end tests of sharded runs: `run --shard K/N` on different thread
//! counts, then `merge`, must give the files of one `run` byte for byte apart
//! from the documented timing and thread fields; `merge` refuses incomplete,
//! duplicated or foreign sets and then writes nothing; the shard can come from
//! Slurm, Kubernetes or AWS Batch environment variables.
//!
//! Scenario: the shipped baseline with 200 paths (a run takes about 0.1 s in release mode).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::Value;
use tempfile::TempDir;

const PATHS: &str = "200";
const SEED: &str = "7";

/// Fields of summary.json that may differ between a merge and a single run.
const SUMMARY_FIELDS: [&str; 4] = ["elapsed_seconds", "loan_months_per_second", "threads", "peak_rss_bytes"];
/// Fields of manifest.json that may differ between a merge and a single run.
const MANIFEST_FIELDS: [&str; 3] = ["wall_seconds", "threads", "command"];

/// Environment variables a shard may be taken from; removed so that the host's do not leak in.
const SHARD_VARS: [&str; 10] = [
    "SLURM_ARRAY_TASK_ID",
    "SLURM_ARRAY_TASK_MIN",
    "SLURM_ARRAY_TASK_MAX",
    "SLURM_ARRAY_TASK_STEP",
    "SLURM_ARRAY_TASK_COUNT",
    "JOB_COMPLETION_INDEX",
    "CREDITSTRESS_SHARD_COUNT",
    "AWS_BATCH_JOB_ARRAY_INDEX",
    "AWS_BATCH_JOB_ARRAY_SIZE",
    "RUST_BACKTRACE",
];

fn creditstress() -> Command {
    let mut cmd = cargo_bin_cmd!("creditstress");
    for var in SHARD_VARS {
        cmd.env_remove(var);
    }
    cmd.env("NO_COLOR", "1");
    cmd
}

fn baseline() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml")
}

fn stderr_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

/// One run of every path.
fn run_single(out: &Path, threads: &str) {
    creditstress()
        .args([
            "run",
            "--paths",
            PATHS,
            "--seed",
            SEED,
            "--threads",
            threads,
            "-q",
            "--out",
        ])
        .arg(out)
        .arg(baseline())
        .assert()
        .success();
}

/// One shard through `--shard K/N`.
fn run_shard(out: &Path, shard: &str, threads: &str, seed: &str) {
    creditstress()
        .args([
            "run",
            "--paths",
            PATHS,
            "--seed",
            seed,
            "--threads",
            threads,
            "-q",
            "--shard",
            shard,
            "--out",
        ])
        .arg(out)
        .arg(baseline())
        .assert()
        .success();
}

/// Runs shards 0..n of the baseline into `dir/shard-K`, alternating 1 and 2 threads.
fn run_shards(dir: &Path, n: u32) -> Vec<PathBuf> {
    (0..n)
        .map(|k| {
            let out = dir.join(format!("shard-{k}"));
            run_shard(&out, &format!("{k}/{n}"), if k % 2 == 0 { "1" } else { "2" }, SEED);
            out
        })
        .collect()
}

fn merge(shards: &[PathBuf], out: &Path) -> assert_cmd::assert::Assert {
    creditstress()
        .arg("merge")
        .args(shards)
        .arg("--out")
        .arg(out)
        .arg("-q")
        .assert()
}

/// Every file under `dir`, by relative path.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.insert(rel, fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The top-level key of a pretty-printed JSON line (`  "key": ...`).
fn top_level_key(line: &str) -> Option<&str> {
    line.strip_prefix("  \"")?.split_once("\": ").map(|(k, _)| k)
}

/// Asserts two pretty-printed JSON files are identical line for line except
/// top-level fields in `allowed`, and returns `single` with those lines taken from `merged`.
fn assert_json_equal_except(single: &[u8], merged: &[u8], allowed: &[&str], what: &str) -> Vec<u8> {
    let (a, b) = (String::from_utf8_lossy(single), String::from_utf8_lossy(merged));
    let (la, lb): (Vec<&str>, Vec<&str>) = (a.split('\n').collect(), b.split('\n').collect());
    assert_eq!(la.len(), lb.len(), "{what}: different number of lines");
    let mut patched = Vec::new();
    for (x, y) in la.iter().zip(&lb) {
        if x != y {
            let key = top_level_key(x);
            assert!(
                key.is_some() && key == top_level_key(y) && allowed.contains(&key.unwrap()),
                "{what}: undocumented difference:\n  single: {x}\n  merged: {y}"
            );
        }
        patched.push(*y);
    }
    patched.join("\n").into_bytes()
}

/// Asserts a merged output folder holds exactly the files of the single run,
/// byte for byte apart from the documented fields; report.html may differ only
/// through those fields (checked by redrawing the single run's report from its
/// files with the merged values of those fields).
fn assert_same_outputs(single: &Path, merged: &Path) {
    let (a, b) = (files(single), files(merged));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "different files"
    );
    let patched_dir = TempDir::new().unwrap();
    for (name, bytes) in &a {
        let target = patched_dir.path().join(name);
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        let patched = match name.as_str() {
            "summary.json" => assert_json_equal_except(bytes, &b[name], &SUMMARY_FIELDS, name),
            "manifest.json" => assert_json_equal_except(bytes, &b[name], &MANIFEST_FIELDS, name),
            "report.html" => continue,
            _ => {
                assert!(bytes == &b[name], "{name} differs between the single run and the merge");
                bytes.clone()
            }
        };
        fs::write(&target, patched).unwrap();
    }
    if a.contains_key("report.html") {
        creditstress()
            .arg("report")
            .arg(patched_dir.path())
            .arg("-q")
            .assert()
            .success();
        let redrawn = files(patched_dir.path());
        assert!(
            redrawn == b,
            "the merge's report differs from the single run's beyond the documented fields"
        );
    }
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

#[test]
fn one_three_and_four_shards_merge_into_the_single_run() {
    let tmp = TempDir::new().unwrap();
    let single = tmp.path().join("single");
    run_single(&single, "2");
    for n in [1, 3, 4] {
        let dir = tmp.path().join(format!("n{n}"));
        let shards = run_shards(&dir, n);
        let merged = dir.join("merged");
        merge(&shards, &merged).success();
        assert_same_outputs(&single, &merged);

        // The documented meaning of the timing fields of a merge.
        let manifests: Vec<Value> = shards.iter().map(|s| json(&s.join("shard.json"))).collect();
        let summary = json(&merged.join("summary.json"));
        // serde_json's default float parser may be an ulp or two off: compare to a few ulps.
        let close = |a: f64, b: f64| (a - b).abs() <= 4.0 * f64::EPSILON * b.abs();
        let wall: f64 = manifests.iter().map(|m| m["wall_seconds"].as_f64().unwrap()).sum();
        assert!(close(summary["elapsed_seconds"].as_f64().unwrap(), wall));
        let threads = manifests.iter().map(|m| m["threads"].as_u64().unwrap()).max().unwrap();
        assert_eq!(summary["threads"].as_u64().unwrap(), threads);
        assert!(close(
            json(&merged.join("manifest.json"))["wall_seconds"].as_f64().unwrap(),
            wall
        ));
    }
}

#[test]
fn shards_hold_the_documented_path_ranges() {
    let tmp = TempDir::new().unwrap();
    let shards = run_shards(tmp.path(), 3);
    let ranges: Vec<(u64, u64)> = shards
        .iter()
        .map(|s| {
            let m = json(&s.join("shard.json"));
            (m["path_start"].as_u64().unwrap(), m["path_end"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(ranges, [(0, 66), (66, 133), (133, 200)]);
    let m = json(&shards[1].join("shard.json"));
    assert_eq!(m["shard"], serde_json::json!({"index": 1, "count": 3}));
    assert_eq!(m["total_paths"], 200);
    assert_eq!(m["seed"], 7);
    assert_eq!(m["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(m["scenario"]["run"]["paths"], 200);
    assert_eq!(m["scenario_sha256"].as_str().unwrap().len(), 64);
    let mut names: Vec<String> = fs::read_dir(&shards[1])
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["shard.bin", "shard.json"], "a shard writes only its two files");
}

#[test]
fn merge_is_idempotent_and_a_failed_shard_can_be_rerun_alone() {
    let tmp = TempDir::new().unwrap();
    let shards = run_shards(tmp.path(), 3);
    let merged = tmp.path().join("merged");
    merge(&shards, &merged).success();
    let first = files(&merged);
    merge(&shards, &merged).success();
    assert!(files(&merged) == first, "merging twice changed the files");

    // A shard killed mid-write: its binary is truncated. Merge refuses and names it.
    let bin = shards[1].join("shard.bin");
    let bytes = fs::read(&bin).unwrap();
    fs::write(&bin, &bytes[..bytes.len() / 2]).unwrap();
    let elsewhere = tmp.path().join("elsewhere");
    let err = stderr_of(&merge(&shards, &elsewhere).code(2));
    assert!(
        err.contains("shard-1/shard.bin") && err.contains("--shard 1/3"),
        "{err}"
    );
    assert!(!elsewhere.exists());
    // A shard that never finished has no shard.json.
    fs::remove_file(shards[1].join("shard.json")).unwrap();
    let err = stderr_of(&merge(&shards, &elsewhere).code(2));
    assert!(err.contains("shard-1: not a finished shard"), "{err}");

    // Rerun alone (its timing differs, nothing else does).
    run_shard(&shards[1], "1/3", "2", SEED);
    let after_rerun = tmp.path().join("after-rerun");
    merge(&shards, &after_rerun).success();
    assert_same_outputs(&merged, &after_rerun);
}

/// A merge that must be refused with exit code 2, leave `out` as it was, and mention `needles`.
fn assert_refused(shards: &[PathBuf], out: &Path, needles: &[&str]) {
    let before = out.exists().then(|| files(out));
    let err = stderr_of(&merge(shards, out).code(2));
    for needle in needles {
        assert!(err.contains(needle), "expected {needle:?} in:\n{err}");
    }
    assert_eq!(
        out.exists().then(|| files(out)),
        before,
        "a refused merge touched {}",
        out.display()
    );
}

#[test]
fn merge_refuses_missing_duplicated_and_foreign_shards_and_writes_nothing() {
    let tmp = TempDir::new().unwrap();
    let shards = run_shards(tmp.path(), 3);
    let out = tmp.path().join("out");

    assert_refused(&shards[..2], &out, &["shard 2/3 is missing", "paths 133..200 of 200"]);
    assert_refused(&[shards[0].clone(), shards[2].clone()], &out, &["shard 1/3 is missing"]);
    let dup = vec![
        shards[0].clone(),
        shards[1].clone(),
        shards[1].clone(),
        shards[2].clone(),
    ];
    assert_refused(&dup, &out, &["shard 1/3 is duplicated", "shard-1 and"]);

    // Another seed.
    let other_seed = tmp.path().join("seed8-shard-1");
    run_shard(&other_seed, "1/3", "1", "8");
    let foreign = vec![shards[0].clone(), other_seed.clone(), shards[2].clone()];
    assert_refused(
        &foreign,
        &out,
        &["seed8-shard-1: foreign shard", "seed 8 (the other shards: 7)"],
    );

    // Another scenario file (a byte changed: another hash), same seed and paths.
    let edited = tmp.path().join("edited.toml");
    fs::write(
        &edited,
        format!("{}\n# edited\n", fs::read_to_string(baseline()).unwrap()),
    )
    .unwrap();
    let other_scenario = tmp.path().join("edited-shard-2");
    creditstress()
        .args(["run", "--paths", PATHS, "--seed", SEED, "-q", "--shard", "2/3", "--out"])
        .arg(&other_scenario)
        .arg(&edited)
        .assert()
        .success();
    let foreign = vec![shards[0].clone(), shards[1].clone(), other_scenario];
    assert_refused(&foreign, &out, &["edited-shard-2: foreign shard", "scenario sha256"]);

    // Another shard count and path total.
    let other_count = tmp.path().join("of4");
    creditstress()
        .args(["run", "--paths", "100", "--seed", SEED, "-q", "--shard", "3/4", "--out"])
        .arg(&other_count)
        .arg(baseline())
        .assert()
        .success();
    let foreign = vec![shards[0].clone(), shards[1].clone(), shards[2].clone(), other_count];
    assert_refused(
        &foreign,
        &out,
        &["of4: foreign shard", "shard count 4", "total paths 100"],
    );
    assert!(!out.exists(), "a refused merge created its output folder");

    // An existing output folder stays untouched.
    fs::create_dir_all(&out).unwrap();
    fs::write(out.join("keep.txt"), "untouched").unwrap();
    assert_refused(&shards[1..], &out, &["shard 0/3 is missing"]);
    assert_refused(
        &[tmp.path().join("no-such-shard")],
        &out,
        &["no-such-shard: not a finished shard"],
    );
}

/// Runs the baseline shard chosen by environment variables; returns (stderr, shard.json).
fn run_with_env(out: &Path, vars: &[(&str, &str)], extra: &[&str]) -> (String, Value) {
    let mut cmd = creditstress();
    cmd.args(["run", "--paths", PATHS, "--seed", SEED, "--threads", "1", "--out"])
        .arg(out)
        .arg(baseline())
        .args(extra);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let assert = cmd.assert().success();
    (stderr_of(&assert), json(&out.join("shard.json")))
}

fn shard_of(manifest: &Value) -> (u64, u64) {
    (
        manifest["shard"]["index"].as_u64().unwrap(),
        manifest["shard"]["count"].as_u64().unwrap(),
    )
}

#[test]
fn the_shard_is_taken_from_slurm_kubernetes_or_aws_batch() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();

    // Slurm, --array=1-4: task 3 is shard 2 of 4.
    let slurm = [
        ("SLURM_ARRAY_TASK_ID", "3"),
        ("SLURM_ARRAY_TASK_MIN", "1"),
        ("SLURM_ARRAY_TASK_MAX", "4"),
        ("SLURM_ARRAY_TASK_COUNT", "4"),
    ];
    let (err, m) = run_with_env(&dir.join("slurm"), &slurm, &[]);
    assert_eq!(shard_of(&m), (2, 4));
    assert!(
        err.contains("shard 2/4 (from Slurm job array: SLURM_ARRAY_TASK_ID=3"),
        "{err}"
    );

    // Kubernetes indexed job, count from --shard-count or CREDITSTRESS_SHARD_COUNT.
    let (err, m) = run_with_env(
        &dir.join("k8s-flag"),
        &[("JOB_COMPLETION_INDEX", "1")],
        &["--shard-count", "4"],
    );
    assert_eq!(shard_of(&m), (1, 4));
    assert!(
        err.contains("Kubernetes indexed job: JOB_COMPLETION_INDEX=1, --shard-count 4"),
        "{err}"
    );
    let k8s = [("JOB_COMPLETION_INDEX", "0"), ("CREDITSTRESS_SHARD_COUNT", "4")];
    let (err, m) = run_with_env(&dir.join("k8s-env"), &k8s, &[]);
    assert_eq!(shard_of(&m), (0, 4));
    assert!(err.contains("CREDITSTRESS_SHARD_COUNT=4"), "{err}");
    let missing_count = creditstress()
        .args(["run", "--paths", PATHS, "--out"])
        .arg(dir.join("never"))
        .arg(baseline())
        .env("JOB_COMPLETION_INDEX", "1")
        .assert()
        .code(2);
    assert!(stderr_of(&missing_count).contains("--shard-count"));
    assert!(!dir.join("never").exists());

    // AWS Batch array job.
    let aws = [("AWS_BATCH_JOB_ARRAY_INDEX", "3"), ("AWS_BATCH_JOB_ARRAY_SIZE", "4")];
    let (err, m) = run_with_env(&dir.join("aws"), &aws, &[]);
    assert_eq!(shard_of(&m), (3, 4));
    assert!(
        err.contains("AWS Batch array job: AWS_BATCH_JOB_ARRAY_INDEX=3"),
        "{err}"
    );

    // The four shards, from four sources, make the single run.
    let single = dir.join("single");
    run_single(&single, "2");
    let shards = ["k8s-env", "k8s-flag", "slurm", "aws"].map(|s| dir.join(s));
    let merged = dir.join("merged");
    merge(&shards, &merged).success();
    assert_same_outputs(&single, &merged);

    // --shard wins over the environment; --shard none ignores it.
    let (err, m) = run_with_env(&dir.join("flag"), &slurm, &["--shard", "0/2"]);
    assert_eq!(shard_of(&m), (0, 2));
    assert!(err.contains("(from --shard)"), "{err}");
    let whole = dir.join("whole");
    let mut cmd = creditstress();
    cmd.args([
        "run", "--paths", PATHS, "--seed", SEED, "-q", "--shard", "none", "--out",
    ])
    .arg(&whole)
    .arg(baseline());
    for (k, v) in slurm {
        cmd.env(k, v);
    }
    cmd.assert().success();
    assert!(whole.join("summary.json").exists() && !whole.join("shard.json").exists());
}

#[test]
fn shard_without_out_writes_to_output_name_shard_k() {
    let tmp = TempDir::new().unwrap();
    creditstress()
        .current_dir(tmp.path())
        .args(["run", "--paths", "20", "-q", "--shard", "1/2"])
        .arg(baseline())
        .assert()
        .success();
    assert!(tmp.path().join("output/baseline/shard-1/shard.json").exists());
}

#[test]
fn bad_shard_arguments_exit_2() {
    for (args, needle) in [
        (&["--shard", "3/3"][..], "out of range"),
        (&["--shard", "1-3"][..], "expected K/N"),
        (&["--shard", "0/0"][..], "at least 1"),
        (&["--shard-count", "3"][..], "needs a shard index"),
        (&["--shard", "0/2", "--shard-count", "3"][..], "disagrees"),
    ] {
        let assert = creditstress()
            .args(["run", "--paths", "10", "--out", "/nonexistent/never"])
            .arg(baseline())
            .args(args)
            .assert()
            .code(2);
        let err = stderr_of(&assert);
        assert!(err.contains(needle), "{args:?}: expected {needle:?} in {err}");
    }
    let assert = creditstress().arg("merge").assert().code(2);
    assert!(stderr_of(&assert).contains("<SHARD>"));
}

/// Runs `scenario` whole and as 3 shards (1 and 2 threads), merges, and compares.
fn assert_sharding_is_exact(scenario: &Path, extra: &[&str], dir: &Path) {
    let base = ["run", "--paths", "120", "--seed", "11", "-q"];
    let single = dir.join("single");
    creditstress()
        .args(base)
        .args(extra)
        .arg("--out")
        .arg(&single)
        .arg(scenario)
        .assert()
        .success();
    let shards: Vec<PathBuf> = (0..3)
        .map(|k| {
            let out = dir.join(format!("shard-{k}"));
            creditstress()
                .args(base)
                .args(extra)
                .args([
                    "--threads",
                    if k == 1 { "2" } else { "1" },
                    "--shard",
                    &format!("{k}/3"),
                    "--out",
                ])
                .arg(&out)
                .arg(scenario)
                .assert()
                .success();
            out
        })
        .collect();
    let merged = dir.join("merged");
    merge(&shards, &merged).success();
    assert_same_outputs(&single, &merged);
}

#[test]
fn fast_path_forced_stepping_and_redrawn_populations_merge_exactly() {
    let tmp = TempDir::new().unwrap();
    let hazard = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/validation/constant_hazard.toml");
    assert_sharding_is_exact(&hazard, &[], &tmp.path().join("fast"));
    assert_sharding_is_exact(&hazard, &["--engine", "stepping"], &tmp.path().join("stepping"));
    // Identical loans drawn as pools: their counts are keyed by path as every loan's draws are.
    let vasicek = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/validation/vasicek.toml");
    assert_sharding_is_exact(&vasicek, &["--engine", "pooled"], &tmp.path().join("pooled"));
    let redraw = tmp.path().join("redraw.toml");
    let text = fs::read_to_string(baseline()).unwrap();
    assert!(text.contains("\n[run]\n"));
    fs::write(
        &redraw,
        text.replacen("\n[run]\n", "\n[run]\nredraw_population = true\n", 1),
    )
    .unwrap();
    assert_sharding_is_exact(&redraw, &[], &tmp.path().join("redraw"));

    // Shards of one engine do not merge with shards of the other.
    let mixed = [
        tmp.path().join("fast/shard-0"),
        tmp.path().join("stepping/shard-1"),
        tmp.path().join("fast/shard-2"),
    ];
    let err = stderr_of(&merge(&mixed, &tmp.path().join("mixed")).code(2));
    assert!(
        err.contains("stepping/shard-1: foreign shard") && err.contains("engine"),
        "{err}"
    );
}

#[test]
fn a_scenario_with_an_imported_book_merges_exactly_and_a_changed_book_is_refused() {
    let tmp = TempDir::new().unwrap();
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/own_book.toml");
    let run = |out: &Path, shard: Option<&str>| {
        let mut cmd = creditstress();
        cmd.args(["run", "--paths", "60", "--seed", "5", "-q", "--out"])
            .arg(out);
        if let Some(s) = shard {
            cmd.args(["--shard", s]);
        }
        cmd.arg(&scenario).assert().success();
    };
    let single = tmp.path().join("single");
    run(&single, None);
    let shards: Vec<PathBuf> = (0..2)
        .map(|k| {
            let out = tmp.path().join(format!("shard-{k}"));
            run(&out, Some(&format!("{k}/2")));
            out
        })
        .collect();
    let manifest = json(&shards[0].join("shard.json"));
    assert_eq!(
        manifest["data_files"].as_array().map(Vec::len),
        Some(2),
        "the book and the macro table"
    );
    let merged = tmp.path().join("merged");
    merge(&shards, &merged).success();
    assert_eq!(
        json(&single.join("summary.json"))["loss"],
        json(&merged.join("summary.json"))["loss"]
    );
    // The merge reads the data files again beside the scenario and checks
    // them: shards that recorded another book (resealed, so that only the
    // book differs) are refused.
    for s in &shards {
        let file = s.join("shard.json");
        let mut m = creditstress::shard::ShardManifest::from_json(&fs::read(&file).unwrap()).unwrap();
        m.data_files[0].sha256 = "0".repeat(64);
        fs::write(&file, m.sealed().to_json()).unwrap();
    }
    let refused = merge(&shards, &tmp.path().join("merged2")).code(2);
    assert!(stderr_of(&refused).contains("data files"), "{}", stderr_of(&refused));
}

#[test]
fn originations_contagion_and_events_are_the_same_on_any_thread_and_shard_count() {
    for name in ["going_concern", "multi_platform"] {
        let tmp = TempDir::new().unwrap();
        let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/{name}.toml"));
        same_on_threads_and_shards(&scenario, tmp.path(), name == "going_concern");
    }
    // Everything at once: originations and renewals, contagion with its
    // feedback trigger, and every kind of event.
    let tmp = TempDir::new().unwrap();
    let text = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/going_concern.toml")).unwrap();
    let text = text.replacen(
        "score_shift_per_sd = 8\n",
        "score_shift_per_sd = 8\nrenewal_probability = 0.4\n",
        1,
    ) + r#"
[segments.multi_platform]
share = 0.3
other_lenders = 2
hazard_per_debt = 0.5

[industry_tightening]
probability_monthly = 0.01
factor_sensitivity = 0.5
duration_months = 4
when_own_dpd30_above = 0.1

[[events]]
kind = "collection_restriction"
window = [8, 14]
probability = 0.5
cure_multiplier = 0.8

[[events]]
kind = "lending_suspension"
month = 10
probability = 0.3
duration_months = 2

[[events]]
kind = "reputational_shock"
probability_monthly = 0.02
duration_months = 3
volume_multiplier = 0.5
prepayment_multiplier = 1.5

[[events]]
kind = "rate_cap"
month = 6
probability = 0.5
apr_cap = 0.12

[[events]]
kind = "funding_shock"
month = 4
funding_cost_jump_annual = 0.02
"#;
    assert!(text.contains("renewal_probability = 0.4"));
    let all = tmp.path().join("everything.toml");
    fs::write(&all, text).unwrap();
    same_on_threads_and_shards(&all, &tmp.path().join("run"), true);
}

fn same_on_threads_and_shards(scenario: &Path, dir: &Path, vintages: bool) {
    let (scenario, tmp) = (scenario.to_path_buf(), dir);
    assert_sharding_is_exact(&scenario, &[], tmp);
    // The single run above used the default threads; 1 and 3 threads give the same bytes.
    for threads in ["1", "3"] {
        let out = tmp.join(format!("threads-{threads}"));
        creditstress()
            .args([
                "run",
                "--paths",
                "120",
                "--seed",
                "11",
                "-q",
                "--threads",
                threads,
                "--out",
            ])
            .arg(&out)
            .arg(&scenario)
            .assert()
            .success();
        let files: &[&str] = if vintages {
            &["paths.csv", "timeseries.csv", "vintages.csv"]
        } else {
            &["paths.csv", "timeseries.csv"]
        };
        for file in files {
            assert!(
                fs::read(out.join(file)).unwrap() == fs::read(tmp.join("single").join(file)).unwrap(),
                "{file} differs on {threads} threads"
            );
        }
    }
}

#[test]
fn importance_sampled_shards_merge_exactly_and_do_not_mix_with_plain_ones() {
    let tmp = TempDir::new().unwrap();
    assert_sharding_is_exact(&baseline(), &["--sampling", "importance"], &tmp.path().join("is"));
    let summary = json(&tmp.path().join("is/merged/summary.json"));
    assert_eq!(summary["sampling"]["method"], "importance");
    let header = fs::read_to_string(tmp.path().join("is/merged/paths.csv")).unwrap();
    assert!(header.lines().next().unwrap().ends_with(",weight"));
    assert_sharding_is_exact(&baseline(), &[], &tmp.path().join("plain"));
    let mixed = [
        tmp.path().join("is/shard-0"),
        tmp.path().join("plain/shard-1"),
        tmp.path().join("is/shard-2"),
    ];
    let err = stderr_of(&merge(&mixed, &tmp.path().join("mixed")).code(2));
    assert!(
        err.contains("plain/shard-1: foreign shard") && err.contains("sampling"),
        "{err}"
    );
}

#[test]
fn shards_run_with_set_merge_exactly_and_do_not_mix_with_other_settings() {
    let tmp = TempDir::new().unwrap();
    assert_sharding_is_exact(&baseline(), &["--set", "segments[0].rho=0.2"], &tmp.path().join("set"));
    let manifest = json(&tmp.path().join("set/shard-1/shard.json"));
    assert_eq!(manifest["sets"][0], "segments[0].rho=0.2");
    assert!(
        manifest["command"]
            .as_str()
            .unwrap()
            .contains("--set 'segments[0].rho=0.2'")
    );
    assert_sharding_is_exact(&baseline(), &[], &tmp.path().join("plain"));
    let mixed = [
        tmp.path().join("set/shard-0"),
        tmp.path().join("plain/shard-1"),
        tmp.path().join("set/shard-2"),
    ];
    let err = stderr_of(&merge(&mixed, &tmp.path().join("mixed")).code(2));
    assert!(
        err.contains("plain/shard-1: foreign shard") && err.contains("--set"),
        "{err}"
    );
}

/// Copies every shard folder of `shards` under `dir` (as `dir/shard-K`).
fn copy_set(shards: &[PathBuf], dir: &Path) -> Vec<PathBuf> {
    shards
        .iter()
        .map(|s| {
            let to = dir.join(s.file_name().unwrap());
            fs::create_dir_all(&to).unwrap();
            for f in ["shard.json", "shard.bin"] {
                fs::copy(s.join(f), to.join(f)).unwrap();
            }
            to
        })
        .collect()
}

/// A corpus of broken shard sets, each made from a good three-shard set by
/// one change: a field of one `shard.json` edited (every field, including
/// those no other check reads: loan-months, wall time, threads, the command,
/// the resolved scenario), a file truncated, a byte flipped, a file removed
/// or swapped between shards. Every one is refused with exit 2, its message
/// names the shard, and nothing is written; the untouched set still merges.
#[test]
fn merge_refuses_every_broken_shard_set_of_a_corpus() {
    let tmp = TempDir::new().unwrap();
    let good = run_shards(&tmp.path().join("good"), 3);
    type Edit = Box<dyn Fn(&mut Value)>;
    let edits: Vec<(&str, Edit)> = vec![
        ("path_start", Box::new(|m| m["path_start"] = Value::from(1))),
        (
            "path_end",
            Box::new(|m| m["path_end"] = Value::from(m["path_end"].as_u64().unwrap() + 1)),
        ),
        ("total_paths", Box::new(|m| m["total_paths"] = Value::from(201))),
        ("seed", Box::new(|m| m["seed"] = Value::from(8))),
        ("engine", Box::new(|m| m["engine"] = Value::from("fast path"))),
        ("version", Box::new(|m| m["version"] = Value::from("0.0.9"))),
        ("format_version", Box::new(|m| m["format_version"] = Value::from(99))),
        (
            "scenario_text",
            Box::new(|m| {
                let t = m["scenario_text"].as_str().unwrap().to_string() + "\n# edited\n";
                m["scenario_text"] = Value::from(t)
            }),
        ),
        (
            "scenario_sha256",
            Box::new(|m| m["scenario_sha256"] = Value::from("0".repeat(64))),
        ),
        ("scenario", Box::new(|m| m["scenario"]["run"]["seed"] = Value::from(8))),
        (
            "scenario_file",
            Box::new(|m| m["scenario_file"] = Value::from("elsewhere.toml")),
        ),
        (
            "paths_bytes",
            Box::new(|m| m["paths_bytes"] = Value::from(m["paths_bytes"].as_u64().unwrap() - 1)),
        ),
        (
            "paths_sha256",
            Box::new(|m| m["paths_sha256"] = Value::from("f".repeat(64))),
        ),
        ("paths_file", Box::new(|m| m["paths_file"] = Value::from("other.bin"))),
        ("shard", Box::new(|m| m["shard"] = Value::from("0/3"))),
        ("threads", Box::new(|m| m["threads"] = Value::from(64))),
        ("wall_seconds", Box::new(|m| m["wall_seconds"] = Value::from(1e9))),
        ("loan_months", Box::new(|m| m["loan_months"] = Value::from(1))),
        ("peak_rss_bytes", Box::new(|m| m["peak_rss_bytes"] = Value::from(1))),
        ("command", Box::new(|m| m["command"] = Value::from("rm -rf /"))),
        (
            "sets",
            Box::new(|m| m["sets"] = serde_json::json!(["segments[0].rho=0.2"])),
        ),
        (
            "manifest_sha256",
            Box::new(|m| m["manifest_sha256"] = Value::from("0".repeat(64))),
        ),
        (
            "no manifest_sha256",
            Box::new(|m| {
                m.as_object_mut().unwrap().remove("manifest_sha256");
            }),
        ),
        ("unknown field", Box::new(|m| m["extra"] = Value::from(1))),
    ];
    let mut refused = 0;
    for (k, (what, edit)) in edits.iter().enumerate() {
        let dir = tmp.path().join(format!("edit-{k}"));
        let set = copy_set(&good, &dir);
        let file = set[1].join("shard.json");
        let mut m = json(&file);
        edit(&mut m);
        fs::write(&file, serde_json::to_string_pretty(&m).unwrap() + "\n").unwrap();
        let out = dir.join("out");
        let err = stderr_of(&merge(&set, &out).code(2));
        assert!(err.contains("shard-1"), "{what}: the message names the shard:\n{err}");
        assert!(!out.exists(), "{what}: a refused merge wrote {}", out.display());
        refused += 1;
    }
    // Files damaged, missing or swapped.
    type Damage = Box<dyn Fn(&[PathBuf])>;
    let damages: Vec<(&str, Damage)> = vec![
        (
            "shard.bin truncated",
            Box::new(|s| {
                let b = fs::read(s[1].join("shard.bin")).unwrap();
                fs::write(s[1].join("shard.bin"), &b[..b.len() / 2]).unwrap();
            }),
        ),
        (
            "shard.bin byte flipped",
            Box::new(|s| {
                let mut b = fs::read(s[1].join("shard.bin")).unwrap();
                let i = b.len() / 3;
                b[i] ^= 0x40;
                fs::write(s[1].join("shard.bin"), b).unwrap();
            }),
        ),
        (
            "shard.bin empty",
            Box::new(|s| fs::write(s[1].join("shard.bin"), b"").unwrap()),
        ),
        (
            "shard.bin removed",
            Box::new(|s| fs::remove_file(s[1].join("shard.bin")).unwrap()),
        ),
        (
            "shard.json removed",
            Box::new(|s| fs::remove_file(s[1].join("shard.json")).unwrap()),
        ),
        (
            "shard.json truncated",
            Box::new(|s| {
                let b = fs::read(s[1].join("shard.json")).unwrap();
                fs::write(s[1].join("shard.json"), &b[..b.len() / 2]).unwrap();
            }),
        ),
        (
            "shard.json not JSON",
            Box::new(|s| fs::write(s[1].join("shard.json"), b"\xff\xfe").unwrap()),
        ),
        (
            "shard.bin of another shard",
            Box::new(|s| {
                fs::copy(s[2].join("shard.bin"), s[1].join("shard.bin")).unwrap();
            }),
        ),
        (
            "both files of another shard",
            Box::new(|s| {
                for f in ["shard.json", "shard.bin"] {
                    fs::copy(s[2].join(f), s[1].join(f)).unwrap();
                }
            }),
        ),
    ];
    for (k, (what, damage)) in damages.iter().enumerate() {
        let dir = tmp.path().join(format!("damage-{k}"));
        let set = copy_set(&good, &dir);
        damage(&set);
        let out = dir.join("out");
        let err = stderr_of(&merge(&set, &out).code(2));
        assert!(
            err.contains("shard-1") || err.contains("shard 1/3"),
            "{what}: the message names the shard:\n{err}"
        );
        assert!(!out.exists(), "{what}: a refused merge wrote {}", out.display());
        refused += 1;
    }
    assert_eq!(refused, 33);
    // The good set, copied the same way, merges.
    let dir = tmp.path().join("copy");
    let set = copy_set(&good, &dir);
    merge(&set, &dir.join("out")).success();
}
