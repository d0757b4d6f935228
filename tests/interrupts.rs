//! Signals at every stage of every command that writes: simulation (timed,
//! in tests/cli.rs), statistics, rendering, writing, a merge's reading, and
//! `report`. `CREDITSTRESS_SIGNAL_AT=STAGE[:TERM|:HUP]` makes the command
//! send itself the signal at that stage, so no test races a timer. Before
//! the writing nothing is written; during it the whole set lands; both exit
//! 128 + the signal. And a command killed in the middle of moving its set
//! into place leaves the older set, which the next command puts back.

use std::fs;
use std::path::Path;

use tempfile::TempDir;

mod common;
use common::{creditstress, files, repo_file};

fn stderr_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

/// `run` on downturn.toml, 200 paths, seed 5, into `out`, with a signal at `at` (if any).
fn run(out: &Path, at: Option<&str>) -> assert_cmd::assert::Assert {
    let mut cmd = creditstress();
    cmd.arg("run")
        .arg(repo_file("scenarios/downturn.toml"))
        .args(["--paths", "200", "--seed", "5", "--threads", "1", "--quiet", "--out"])
        .arg(out);
    if let Some(at) = at {
        cmd.env("CREDITSTRESS_SIGNAL_AT", at);
    }
    cmd.assert()
}

/// The lock beside `out` is gone.
fn assert_unlocked(out: &Path) {
    let lock = out.with_file_name(format!(".{}.lock", out.file_name().unwrap().to_string_lossy()));
    assert!(!lock.exists(), "{} left", lock.display());
}

#[test]
fn a_signal_before_the_writing_leaves_the_folder_as_it_was_and_exits_128_plus_the_signal() {
    let tmp = TempDir::new().unwrap();
    let reference = tmp.path().join("reference");
    run(&reference, None).success();
    for (at, code) in [
        ("statistics", 130),
        ("statistics:TERM", 143),
        ("rendering", 130),
        ("rendering:TERM", 143),
        ("rendering:HUP", 129),
    ] {
        // Into a new folder: nothing appears.
        let fresh = tmp.path().join(format!("fresh-{}", at.replace(':', "-")));
        let assert = run(&fresh, Some(at)).code(code);
        let stderr = stderr_of(&assert);
        assert!(stderr.contains("interrupted: nothing was written"), "{at}: {stderr}");
        assert!(files(&fresh).is_empty(), "{at}: {:?}", files(&fresh).keys());
        assert_unlocked(&fresh);
        // Over an older run: it stays byte for byte.
        let older = tmp.path().join(format!("older-{}", at.replace(':', "-")));
        creditstress()
            .arg("run")
            .arg(repo_file("scenarios/baseline.toml"))
            .args(["--paths", "50", "--quiet", "--out"])
            .arg(&older)
            .assert()
            .success();
        let before = files(&older);
        run(&older, Some(at)).code(code);
        assert_eq!(files(&older), before, "{at}: the older run was touched");
        assert_unlocked(&older);
    }
}

#[test]
fn a_signal_during_the_writing_lets_the_whole_set_land_then_exits_128_plus_the_signal() {
    let tmp = TempDir::new().unwrap();
    let reference = tmp.path().join("reference");
    run(&reference, None).success();
    let expected = files(&reference);
    for (at, code) in [("writing", 130), ("writing:TERM", 143)] {
        let out = tmp.path().join(at.replace(':', "-"));
        let assert = run(&out, Some(at)).code(code);
        let stderr = stderr_of(&assert);
        assert!(
            stderr.contains("interrupted while writing: the whole set was written"),
            "{at}: {stderr}"
        );
        let written = files(&out);
        assert_eq!(
            written.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>(),
            "{at}: the whole set"
        );
        // (report.html and summary.json hold the wall time and the folder.)
        for name in ["paths.csv", "timeseries.csv", "plots/loss_distribution.svg"] {
            assert!(
                written[name] == expected[name],
                "{at}: {name} differs from an uninterrupted run"
            );
        }
        assert_unlocked(&out);
    }
}

#[test]
fn report_stopped_while_rendering_or_writing_leaves_the_older_page_or_the_whole_new_one() {
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("out");
    run(&out, None).success();
    let before = files(&out);
    fs::write(out.join("report.html"), "an older page").unwrap();
    let assert = creditstress()
        .arg("report")
        .arg(&out)
        .env("CREDITSTRESS_SIGNAL_AT", "rendering:TERM")
        .assert()
        .code(143);
    assert!(
        stderr_of(&assert).contains("nothing was written"),
        "{}",
        stderr_of(&assert)
    );
    assert_eq!(fs::read(out.join("report.html")).unwrap(), b"an older page");
    creditstress()
        .arg("report")
        .arg(&out)
        .env("CREDITSTRESS_SIGNAL_AT", "writing")
        .assert()
        .code(130);
    assert_eq!(files(&out), before, "the whole redrawn report landed");
    assert_unlocked(&out);
}

#[test]
fn merge_stopped_while_reading_or_computing_writes_nothing_and_while_writing_writes_all() {
    let tmp = TempDir::new().unwrap();
    let mut shards = Vec::new();
    for k in 0..2 {
        let dir = tmp.path().join(format!("shard-{k}"));
        creditstress()
            .arg("run")
            .arg(repo_file("scenarios/baseline.toml"))
            .args([
                "--paths",
                "60",
                "--seed",
                "3",
                "--quiet",
                "--shard",
                &format!("{k}/2"),
                "--out",
            ])
            .arg(&dir)
            .assert()
            .success();
        shards.push(dir);
    }
    let merge = |out: &Path, at: Option<&str>| {
        let mut cmd = creditstress();
        cmd.arg("merge").args(&shards).arg("--quiet").arg("--out").arg(out);
        if let Some(at) = at {
            cmd.env("CREDITSTRESS_SIGNAL_AT", at);
        }
        cmd.assert()
    };
    let reference = tmp.path().join("merged");
    merge(&reference, None).success();
    for (at, code) in [
        ("reading", 130),
        ("reading:TERM", 143),
        ("statistics", 130),
        ("rendering:TERM", 143),
    ] {
        let out = tmp.path().join(format!("m-{}", at.replace(':', "-")));
        let assert = merge(&out, Some(at)).code(code);
        assert!(
            stderr_of(&assert).contains("nothing was written"),
            "{at}: {}",
            stderr_of(&assert)
        );
        assert!(files(&out).is_empty(), "{at}: {:?}", files(&out).keys());
        assert_unlocked(&out);
    }
    let out = tmp.path().join("m-writing");
    merge(&out, Some("writing:TERM")).code(143);
    assert_eq!(
        files(&out).keys().collect::<Vec<_>>(),
        files(&reference).keys().collect::<Vec<_>>()
    );
    assert!(files(&out)["paths.csv"] == files(&reference)["paths.csv"]);
    assert_unlocked(&out);
}

#[test]
fn a_study_stopped_before_its_writing_writes_nothing() {
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("cmp");
    let assert = creditstress()
        .arg("compare")
        .arg(repo_file("scenarios/baseline.toml"))
        .arg("--policy")
        .arg(repo_file("scenarios/policies/current.toml"))
        .arg("--policy")
        .arg(repo_file("scenarios/policies/tight.toml"))
        .args(["--paths", "40", "--quiet", "--out"])
        .arg(&out)
        .env("CREDITSTRESS_SIGNAL_AT", "writing:TERM")
        .assert()
        .code(143);
    assert!(
        stderr_of(&assert).contains("the whole set was written"),
        "{}",
        stderr_of(&assert)
    );
    assert!(out.join("comparison.json").is_file() && out.join("manifest.json").is_file());
    assert_unlocked(&out);
}

/// The state a SIGKILL leaves in the middle of a swap, built by hand from
/// two real runs: summary.json already moved aside and replaced, paths.csv
/// still staged. The next command into the folder puts the older set back
/// (with a note) before it does its own work.
#[test]
fn a_set_half_moved_in_by_a_killed_command_is_put_back_by_the_next_one() {
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("out");
    run(&out, None).success();
    let older = files(&out);
    fs::write(out.join("notes.txt"), "the user's own").unwrap();
    let pid = 4_294_967u32;
    let staging = out.join(format!(".creditstress-staging-{pid}"));
    let backup = out.join(format!(".creditstress-backup-{pid}"));
    fs::create_dir_all(&staging).unwrap();
    fs::create_dir_all(&backup).unwrap();
    fs::rename(out.join("summary.json"), backup.join("summary.json")).unwrap();
    fs::write(out.join("summary.json"), "{\"the newer\": true}").unwrap();
    fs::write(staging.join("paths.csv"), "the newer paths").unwrap();
    fs::write(
        out.join(format!(".creditstress-journal-{pid}")),
        "summary.json\npaths.csv\n",
    )
    .unwrap();
    // `report` takes the folder's lock, so it recovers first, then redraws from the older data.
    let assert = creditstress().arg("report").arg(&out).arg("--quiet").assert().success();
    assert!(
        stderr_of(&assert).contains("put back the older set"),
        "{}",
        stderr_of(&assert)
    );
    let mut now = files(&out);
    assert_eq!(now.remove("notes.txt").as_deref(), Some(&b"the user's own"[..]));
    assert_eq!(
        now, older,
        "the older run, byte for byte, and nothing of the killed one"
    );
}
