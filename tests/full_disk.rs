//! A full disk (issue 17): on a small tmpfs, a run is refused before it
//! simulates when the outputs cannot fit, and a redraw whose files stop
//! fitting halfway fails with the disk named, leaving the older set byte
//! for byte and no staging folder. Mounting needs root and a kernel that
//! allows it; where it cannot mount, each test says so and passes.

use std::fs;
use std::path::Path;

use tempfile::TempDir;

mod common;
use common::{creditstress, files, repo_file};

/// A tmpfs of `mib` MiB mounted on a temporary folder, unmounted when dropped.
struct SmallDisk {
    dir: TempDir,
}

impl SmallDisk {
    fn mount(mib: u32) -> Option<SmallDisk> {
        let dir = TempDir::new().unwrap();
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            eprintln!("skipped: cannot mount a tmpfs here (needs root and a kernel that allows it)");
            return None;
        }
        Some(SmallDisk { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Fills the disk with a file until `leave` bytes are free.
    fn fill_leaving(&self, leave: u64) {
        let free = free_bytes(self.path());
        let fill = free.saturating_sub(leave);
        fs::write(self.path().join("filler.bin"), vec![0u8; fill as usize]).unwrap();
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(self.dir.path()).status();
    }
}

/// Free bytes of the file system holding `dir`, from `df`.
fn free_bytes(dir: &Path) -> u64 {
    let out = std::process::Command::new("df")
        .args(["-B1", "--output=avail"])
        .arg(dir)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .nth(1)
        .and_then(|l| l.trim().parse().ok())
        .unwrap()
}

#[test]
fn a_run_that_cannot_fit_is_refused_before_it_simulates() {
    let Some(disk) = SmallDisk::mount(4) else {
        return;
    };
    disk.fill_leaving(512 * 1024);
    let out = disk.path().join("out");
    let assert = creditstress()
        .arg("run")
        .arg(repo_file("scenarios/downturn.toml"))
        .args(["--paths", "50", "--quiet", "--out"])
        .arg(&out)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("the outputs need about") && stderr.contains("MiB free"),
        "{stderr}"
    );
    assert!(!out.exists(), "nothing written");
}

#[test]
fn a_redraw_that_stops_fitting_halfway_leaves_the_older_set_whole() {
    let Some(disk) = SmallDisk::mount(8) else {
        return;
    };
    let out = disk.path().join("out");
    // A real run, written elsewhere, copied onto the small disk.
    let elsewhere = TempDir::new().unwrap();
    let source = elsewhere.path().join("run");
    creditstress()
        .arg("run")
        .arg(repo_file("scenarios/downturn.toml"))
        .args(["--paths", "50", "--quiet", "--out"])
        .arg(&source)
        .assert()
        .success();
    for (name, bytes) in files(&source) {
        let target = out.join(&name);
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::write(target, bytes).unwrap();
    }
    fs::write(out.join("report.html"), "the older page").unwrap();
    let before = files(&out);
    // Room for a few plots, not for the whole redrawn set.
    disk.fill_leaving(96 * 1024);
    let assert = creditstress().arg("report").arg(&out).arg("--quiet").assert().code(1);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("cannot write the report to") && stderr.contains("No space left"),
        "{stderr}"
    );
    assert_eq!(files(&out), before, "the older set, byte for byte");
    let left: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".creditstress-"))
        .collect();
    assert!(left.is_empty(), "{left:?} left");
    // Once there is room again, the same redraw succeeds.
    fs::remove_file(disk.path().join("filler.bin")).unwrap();
    creditstress().arg("report").arg(&out).arg("--quiet").assert().success();
    assert_ne!(fs::read(out.join("report.html")).unwrap(), b"the older page");
}
