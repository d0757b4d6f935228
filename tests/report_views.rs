//! End-to-end tests of the report's views of issue 16: the inputs table is
//! what `validate` prints (and absent for a summary without it), and the
//! loss and income waterfalls add up exactly to summary.json's figures.

use std::fs;
use std::path::PathBuf;
use std::sync::OnceLock;

use tempfile::TempDir;

use creditstress::describe::InputItem;
use creditstress::report::ReportInput;
use creditstress::report::html::escape;
use creditstress::report::plots::waterfalls::{Step, income_steps, loss_steps};

mod common;
use common::{creditstress, repo_file};

const PATHS: u64 = 200;

/// The baseline scenario with a policy that costs collections, run once.
fn policy_run() -> &'static (TempDir, PathBuf, PathBuf) {
    static RUN: OnceLock<(TempDir, PathBuf, PathBuf)> = OnceLock::new();
    RUN.get_or_init(|| {
        let tmp = TempDir::new().expect("temp dir");
        let scenario = tmp.path().join("with_policy.toml");
        let text = fs::read_to_string(repo_file("scenarios/baseline.toml")).unwrap()
            + "\n[policy]\nname = \"cutoff_600\"\n[policy.approval]\nmin_score = 600\n\
               [policy.collections]\nstrategy = \"intensive\"\n";
        fs::write(&scenario, text).unwrap();
        let out = tmp.path().join("out");
        creditstress()
            .arg("run")
            .arg(&scenario)
            .args(["--paths", &PATHS.to_string(), "--quiet", "--out"])
            .arg(&out)
            .assert()
            .success();
        (tmp, scenario, out)
    })
}

#[test]
fn the_inputs_table_is_what_validate_prints() {
    let (_, scenario, out) = policy_run();
    let input = ReportInput::load(out).expect("the run's files load");
    let inputs = input.summary.inputs.as_ref().expect("summary.json has the inputs");
    // The same description, word for word, as validate gives for the run's settings.
    let validate = creditstress()
        .arg("validate")
        .arg(scenario)
        .args(["--set", &format!("run.paths={PATHS}")])
        .assert()
        .success();
    let printed = String::from_utf8_lossy(&validate.get_output().stdout).into_owned();
    assert_eq!(printed, format!("{}{}: OK\n", inputs.to_text(), scenario.display()));
    for expected in ["Run", "Book", "Macro", "Dynamics", "Calibration", "Policy cutoff_600"] {
        assert!(
            inputs
                .items
                .iter()
                .any(|i| matches!(i, InputItem::Line { label, .. } if label == expected)),
            "no {expected} statement"
        );
    }
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<h2 id=\"inputs\">Inputs and assumptions</h2>"));
    assert!(html.contains("<a href=\"#inputs\">Inputs</a>"));
    // Near the top: right after the key figures.
    let at = |s: &str| html.find(s).unwrap_or_else(|| panic!("no {s}"));
    assert!(at("id=\"key-figures\"") < at("id=\"inputs\"") && at("id=\"inputs\"") < at("id=\"segments\""));
    for item in &inputs.items {
        match item {
            InputItem::Line { label, text, .. } => {
                assert!(html.contains(&escape(label)), "report.html lacks {label}");
                assert!(html.contains(&escape(text)), "report.html lacks {text}");
            }
            InputItem::Table { rows, .. } => {
                for cell in rows.iter().flatten() {
                    assert!(
                        html.contains(&format!(">{}</", escape(cell))),
                        "report.html lacks {cell}"
                    );
                }
            }
            InputItem::Break => {}
        }
    }
}

#[test]
fn a_summary_without_inputs_draws_no_inputs_table() {
    let (_, _, out) = policy_run();
    let tmp = TempDir::new().unwrap();
    let copy = tmp.path().join("older");
    fs::create_dir_all(&copy).unwrap();
    for name in ["paths.csv", "timeseries.csv", "manifest.json"] {
        fs::copy(out.join(name), copy.join(name)).unwrap();
    }
    // A summary written before the inputs were kept.
    let mut summary: serde_json::Value = serde_json::from_slice(&fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert!(summary.as_object_mut().unwrap().remove("inputs").is_some());
    fs::write(
        copy.join("summary.json"),
        serde_json::to_string_pretty(&summary).unwrap(),
    )
    .unwrap();
    creditstress().arg("report").arg(&copy).assert().success();
    let html = fs::read_to_string(copy.join("report.html")).unwrap();
    assert!(!html.contains("id=\"inputs\""));
    assert!(!html.contains("href=\"#inputs\""));
    // Everything else is as the run drew it.
    let original = fs::read_to_string(out.join("report.html")).unwrap();
    let start = original.find("<h2 id=\"inputs\"").unwrap();
    let end = original[start..].find("<h2 id=\"segments\"").unwrap() + start;
    let without = original[..start].to_string() + &original[end..];
    assert_eq!(without.replace("<a href=\"#inputs\">Inputs</a>", ""), html);
}

fn cents(yuan: f64) -> i128 {
    (yuan * 100.0).round() as i128
}

/// Checks that every total after the first is the running sum of the bars before it.
fn assert_adds_up(steps: &[Step]) {
    let mut level: Option<i128> = None;
    for x in steps {
        match (x.total, level) {
            (true, Some(l)) => assert_eq!(l, x.cents, "{} is not the sum of the bars before it", x.label),
            (false, Some(l)) => level = Some(l + x.cents),
            (false, None) => level = Some(x.cents),
            (true, None) => {}
        }
        if x.total {
            level = Some(x.cents);
        }
    }
}

#[test]
fn the_waterfalls_add_up_exactly_to_the_summary_figures() {
    let (_, _, out) = policy_run();
    let input = ReportInput::load(out).expect("the run's files load");
    let s = &input.summary;
    let loss = loss_steps(s);
    assert_adds_up(&loss);
    let get = |steps: &[Step], l: &str| steps.iter().find(|x| x.label == l).map(|x| x.cents);
    assert_eq!(get(&loss, "exposure"), Some(cents(s.exposure)));
    assert_eq!(get(&loss, "recoveries received"), Some(-cents(s.recoveries.mean)));
    assert_eq!(
        get(&loss, "recoveries after horizon"),
        Some(-cents(s.recoveries_after_horizon.mean))
    );
    assert_eq!(
        get(&loss, "EAD charged off"),
        Some(cents(s.loss.mean) + cents(s.recoveries.mean) + cents(s.recoveries_after_horizon.mean))
    );
    assert_eq!(
        loss.last().map(|x| (x.label.as_str(), x.cents)),
        Some(("loss", cents(s.loss.mean)))
    );
    let income = income_steps(s);
    assert_adds_up(&income);
    assert_eq!(get(&income, "interest income"), Some(cents(s.interest_income.mean)));
    assert_eq!(get(&income, "loss"), Some(-cents(s.loss.mean)));
    // The policy's collections cost something: its bar is there.
    assert!(s.policy.collection_cost.mean > 0.0);
    assert_eq!(
        get(&income, "collection cost"),
        Some(-cents(s.policy.collection_cost.mean))
    );
    let net = income.last().unwrap();
    assert_eq!(net.label, "net income");
    assert_eq!(
        net.cents,
        income[..income.len() - 1].iter().map(|x| x.cents).sum::<i128>()
    );
    // Each rounded figure is within half a cent of its mean, so net income is within a cent per bar.
    assert!((net.cents - cents(s.net_income.mean)).abs() < income.len() as i128);
    let svg = fs::read_to_string(out.join("plots/waterfalls.svg")).unwrap();
    for x in loss.iter().chain(&income) {
        assert!(svg.contains(&x.label), "waterfalls.svg lacks {}", x.label);
    }
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<figure id=\"plot-waterfalls\">"));
}
