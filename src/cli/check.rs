//! `creditstress check`: the built-in analytic validations (see `creditstress::checks`).

use anyhow::anyhow;
use clap::Args;

use creditstress::checks::{Check, run_all};
use creditstress::engine::RunControl;

use super::{Failure, emit, format};

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Print the checks as JSON (`checks`: name, expected, got, interval, pass, basis; `passed`).
    #[arg(long)]
    json: bool,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
}

/// The `format_version` of what `check --json` prints: raised when a field
/// changes meaning or goes away, never for an added field.
const CHECK_FORMAT_VERSION: u32 = 1;

pub fn execute(args: CheckArgs) -> Result<(), Failure> {
    let threads = super::run::thread_count(args.threads, "--threads")?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Failure::Runtime(anyhow!("cannot start the worker threads: {e}")))?;
    let cancel = super::run::interrupt_flag();
    let control = RunControl {
        progress: None,
        cancel: Some(cancel),
    };
    let checks = pool
        .install(|| run_all(control))
        .map_err(|e| Failure::Interrupted(anyhow!("interrupted: {e}")))?;
    let failed = checks.iter().filter(|c| !c.pass).count();
    if args.json {
        emit(&creditstress::report::to_json(&serde_json::json!({
            "format_version": CHECK_FORMAT_VERSION,
            "checks": checks,
            "passed": failed == 0,
        })));
    } else {
        emit(&render(&checks));
    }
    if failed > 0 {
        return Err(Failure::Runtime(anyhow!("{failed} of {} checks failed", checks.len())));
    }
    Ok(())
}

/// The checks as a table (a number's precision follows its size).
fn render(checks: &[Check]) -> String {
    let value = |x: f64| {
        if x.abs() >= 1e4 {
            format::money(x)
        } else {
            format!("{x:.6}")
        }
    };
    let mut rows = vec![vec![
        "check".to_string(),
        "expected".into(),
        "got".into(),
        "interval".into(),
        "".into(),
    ]];
    for c in checks {
        rows.push(vec![
            c.name.clone(),
            value(c.expected),
            value(c.got),
            format!("[{}, {}]", value(c.interval[0]), value(c.interval[1])),
            if c.pass { "PASS" } else { "FAIL" }.to_string(),
        ]);
    }
    let passed = checks.iter().filter(|c| c.pass).count();
    // Each distinct basis once, as a footnote.
    let mut notes: Vec<&str> = Vec::new();
    for c in checks {
        if !notes.contains(&c.basis.as_str()) {
            notes.push(&c.basis);
        }
    }
    let notes: String = notes.iter().map(|n| format!("- {n}\n")).collect();
    format!(
        "{}\n{passed} of {} checks pass: each passes when the expected value (a published table or an exact \
         result) lies in the interval.\n{notes}",
        format::table(&rows),
        checks.len()
    )
}
