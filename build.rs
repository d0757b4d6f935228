//! Records the commit the binary is built from, for `--version` and the
//! `--help` (`unknown` outside a git checkout or without git).

use std::process::Command;

fn main() {
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    // Uncommitted changes are not tracked (that would rebuild on every edit).
    let value = commit.unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=CREDITSTRESS_COMMIT={value}");
    // Rebuild when the checked-out commit changes.
    if std::path::Path::new(".git/HEAD").exists() {
        println!("cargo:rerun-if-changed=.git/HEAD");
    }
    if let Ok(head) = std::fs::read_to_string(".git/HEAD")
        && let Some(reference) = head.strip_prefix("ref: ")
    {
        let path = format!(".git/{}", reference.trim());
        if std::path::Path::new(&path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
