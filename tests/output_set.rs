//! An output folder holds one run's set, whole: a new run into a folder an
//! older run wrote removes the older files it does not write itself (no
//! vintages or plots of another scenario beside the new summary), `report`
//! redraws the same way, and a set that cannot be moved into place leaves
//! the older set exactly as it was, with no staging folder behind.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use assert_cmd::cargo::cargo_bin_cmd;
use tempfile::TempDir;

fn creditstress() -> Command {
    let mut cmd = cargo_bin_cmd!("creditstress");
    cmd.env_remove("RUST_BACKTRACE").env("NO_COLOR", "1");
    cmd
}

fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Every file under `dir`, relative, sorted.
fn listing(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.push(path.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn run(scenario: &str, out: &Path) -> assert_cmd::assert::Assert {
    creditstress()
        .arg("run")
        .arg(repo_file(scenario))
        .args(["--paths", "40", "--threads", "1", "--quiet", "--out"])
        .arg(out)
        .assert()
}

#[test]
fn a_new_run_replaces_the_older_set_whole() {
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("out");
    run("scenarios/going_concern.toml", &out).success();
    let older = listing(&out);
    for f in ["vintages.csv", "plots/vintages.png", "plots/economics.svg"] {
        assert!(older.iter().any(|n| n == f), "going_concern writes {f}: {older:?}");
    }
    run("scenarios/downturn.toml", &out).success();
    let newer = listing(&out);
    let alone = tmp.path().join("alone");
    run("scenarios/downturn.toml", &alone).success();
    assert_eq!(newer, listing(&alone), "the folder holds exactly the new run's files");
    let summary = fs::read_to_string(out.join("summary.json")).unwrap();
    assert!(
        summary.contains("\"scenario\": \"downturn\""),
        "the new summary is in place"
    );
    // `report` redraws the same way: a plot of another run goes.
    fs::write(out.join("plots/vintages.png"), b"an older plot").unwrap();
    creditstress().arg("report").arg(&out).arg("--quiet").assert().success();
    assert_eq!(listing(&out), listing(&alone));
}

#[test]
fn a_set_that_cannot_be_moved_in_leaves_the_older_set_untouched() {
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("out");
    run("scenarios/baseline.toml", &out).success();
    let before: Vec<(String, Vec<u8>)> = listing(&out)
        .into_iter()
        .map(|n| {
            let bytes = fs::read(out.join(&n)).unwrap();
            (n, bytes)
        })
        .collect();
    // A folder where the new run's last plot must go: its move fails after the others.
    let blocker = out.join("plots/segments.svg");
    fs::remove_file(&blocker).unwrap();
    fs::create_dir_all(blocker.join("in_the_way")).unwrap();
    let assert = run("scenarios/downturn.toml", &out).failure();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("cannot write results to"), "{stderr}");
    for (name, bytes) in before.iter().filter(|(n, _)| n != "plots/segments.svg") {
        assert_eq!(&fs::read(out.join(name)).unwrap(), bytes, "{name} is the older run's");
    }
    let left: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".creditstress-"))
        .collect();
    assert!(left.is_empty(), "no staging or backup folder left: {left:?}");
}
