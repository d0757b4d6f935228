//! Every HTML page (a run's report, comparison, stress, sweep and
//! calibration pages) goes through the one page template: the same frame,
//! and user text escaped exactly once.

mod common;

use std::fs;
use std::path::Path;

use common::{creditstress, repo_file};
use tempfile::TempDir;

/// Text with every character HTML must escape.
const MARKUP_TEXT: &str = r#"x <b>&"' y"#;

fn page(path: &Path) -> String {
    String::from_utf8(fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).expect("UTF-8")
}

/// The frame up to the page's own title: doctype, head, charset, viewport.
const FRAME_START: &str = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
                           <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>";

/// The contents of a page's `<style>`.
fn stylesheet(html: &str) -> String {
    let start = html.find("<style>").expect("a stylesheet") + "<style>".len();
    let end = html.find("</style>").expect("a closed stylesheet");
    html[start..end].to_string()
}

fn check_frame(what: &str, html: &str, css: &str) {
    assert!(
        html.starts_with(FRAME_START),
        "{what}: {}",
        &html[..html.len().min(300)]
    );
    assert!(html.contains(" — creditstress</title>\n<style>"), "{what}: title");
    assert!(stylesheet(html).starts_with(css), "{what}: the house stylesheet");
    assert!(
        html.contains("</style>\n</head>\n<body>\n<main>\n<header>\n<h1>"),
        "{what}: header"
    );
    assert!(html.trim_end().ends_with("</main>\n</body>\n</html>"), "{what}: end");
    assert_eq!(html.matches("<header>").count(), 1, "{what}: one header");
    assert_eq!(html.matches("<!DOCTYPE").count(), 1, "{what}: one document");
}

#[test]
fn every_page_kind_has_the_same_frame() {
    let tmp = TempDir::new().unwrap();
    let run = tmp.path().join("run");
    creditstress()
        .arg("run")
        .arg(repo_file("scenarios/baseline.toml"))
        .args(["--paths", "40", "-q", "--out"])
        .arg(&run)
        .assert()
        .success();
    let html = page(&run.join("report.html"));
    // The run report's stylesheet is the house one; every other page starts its own with it.
    let css = stylesheet(&html);
    assert!(css.len() > 1000, "run: a stylesheet of {} bytes", css.len());
    let css = css.as_str();
    check_frame("run", &html, css);
    assert!(
        html.contains("<nav><a href=\"#key-figures\">Key figures</a>"),
        "run: nav"
    );
    for anchor in [
        "key-figures",
        "segments",
        "roll-rates",
        "plots",
        "scenario",
        "reproduce",
    ] {
        assert!(
            html.contains(&format!("href=\"#{anchor}\"")),
            "run: no link to {anchor}"
        );
        assert!(
            html.contains(&format!("id=\"{anchor}\"")),
            "run: a link to a missing #{anchor}"
        );
    }

    let compare = tmp.path().join("compare");
    creditstress()
        .arg("compare")
        .arg(repo_file("scenarios/downturn.toml"))
        .arg("--policy")
        .arg(repo_file("scenarios/policies/current.toml"))
        .arg("--policy")
        .arg(repo_file("scenarios/policies/tight.toml"))
        .args(["--paths", "40", "-q", "--out"])
        .arg(&compare)
        .assert()
        .success();
    let stress = tmp.path().join("stress");
    creditstress()
        .arg("stress")
        .arg(repo_file("scenarios/baseline.toml"))
        .arg(repo_file("scenarios/downturn.toml"))
        .args(["--paths", "40", "-q", "--out"])
        .arg(&stress)
        .assert()
        .success();
    for (what, file) in [
        ("comparison", compare.join("comparison.html")),
        ("stress", stress.join("stress.html")),
    ] {
        let html = page(&file);
        check_frame(what, &html, css);
        for anchor in ["key-figures", "baseline", "plots", "reproduce"] {
            assert!(
                html.contains(&format!("href=\"#{anchor}\"")),
                "{what}: no link to {anchor}"
            );
            assert!(
                html.contains(&format!("id=\"{anchor}\"")),
                "{what}: a link to a missing #{anchor}"
            );
        }
    }

    let sweep = tmp.path().join("sweep");
    creditstress()
        .arg("sweep")
        .arg(repo_file("scenarios/downturn.toml"))
        .arg("--policy")
        .arg(repo_file("scenarios/policies/tight.toml"))
        .args(["--param", "policy.approval.min_score", "--values", "550,650"])
        .args(["--paths", "40", "-q", "--out"])
        .arg(&sweep)
        .assert()
        .success();
    let html = page(&sweep.join("sweep.html"));
    check_frame("sweep", &html, css);
    assert!(
        html.contains("<h1>Sweep of policy.approval.min_score — downturn</h1>"),
        "sweep: heading"
    );
    assert_eq!(
        html.matches("<tr>").count(),
        1 + 2,
        "sweep: a header row and one row per point"
    );
    assert!(
        html.contains("aria-label=\"downturn — sweep of policy.approval.min_score\""),
        "sweep: the plot inline"
    );
    // `report` redraws the page byte for byte from sweep.json.
    fs::remove_file(sweep.join("sweep.html")).unwrap();
    creditstress().arg("report").arg(&sweep).arg("-q").assert().success();
    assert!(
        page(&sweep.join("sweep.html")) == html,
        "sweep: the page redrawn differently"
    );

    let tape = tmp.path().join("tape");
    creditstress()
        .arg("run")
        .arg(repo_file("scenarios/downturn.toml"))
        .args(["--paths", "4", "-q", "--out"])
        .arg(tmp.path().join("taped"))
        .arg("--emit-tape")
        .arg(&tape)
        .args(["--tape-paths", "4"])
        .assert()
        .success();
    let fitted = tmp.path().join("fitted").join("fitted.toml");
    creditstress()
        .arg("calibrate")
        .arg(tape.join("tape.csv"))
        .arg("--out")
        .arg(&fitted)
        .assert()
        .success();
    let folder = tmp.path().join("fitted").join("fitted.calibration");
    check_frame("calibration", &page(&folder.join("calibration.html")), css);
    calibration_folder_redraws_byte_for_byte(&folder, &tape, &fitted);
}

/// The calibration folder has a manifest and its page data; `report`
/// redraws its page and every plot byte for byte, removes a plot no
/// segment has, and refuses a damaged calibration.json naming it.
fn calibration_folder_redraws_byte_for_byte(folder: &Path, tape: &Path, fitted: &Path) {
    let manifest: serde_json::Value = serde_json::from_slice(&fs::read(folder.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["study"], "calibrate");
    let roles: Vec<&str> = manifest["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["tape", "book"]);
    assert_eq!(
        manifest["inputs"][0]["sha256"],
        creditstress::report::sha256_hex(&fs::read(tape.join("tape.csv")).unwrap())
    );
    assert_eq!(
        manifest["scenario"]["sha256"],
        creditstress::report::sha256_hex(&fs::read(fitted).unwrap())
    );
    assert!(
        manifest["command"]
            .as_str()
            .unwrap()
            .starts_with("creditstress calibrate "),
        "{manifest}"
    );
    let before = common::files(folder);
    assert!(before.contains_key("calibration.json") && before.contains_key("plots/calibration_months_2.png"));
    // Page and plots gone, and a plot of a segment the calibration does not have.
    fs::remove_file(folder.join("calibration.html")).unwrap();
    for (name, _) in before.iter().filter(|(n, _)| n.starts_with("plots/")) {
        fs::remove_file(folder.join(name)).unwrap();
    }
    fs::write(folder.join("plots/calibration_bands_9.png"), b"stale").unwrap();
    creditstress().arg("report").arg(folder).arg("-q").assert().success();
    let after = common::files(folder);
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "the same files"
    );
    for (name, bytes) in &before {
        assert!(after[name] == *bytes, "{name} redrawn differently");
    }
    // A damaged calibration.json: refused, naming the file, and nothing changes.
    let json = fs::read_to_string(folder.join("calibration.json")).unwrap();
    fs::write(
        folder.join("calibration.json"),
        json.replacen("\"bands\": [", "\"bands\": [\"x\", ", 1),
    )
    .unwrap();
    let a = creditstress().arg("report").arg(folder).assert().code(2);
    let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert!(err.contains("calibration.json") && err.contains("score bands"), "{err}");
    fs::remove_file(folder.join("calibration.json")).unwrap();
    let a = creditstress().arg("report").arg(folder).assert().code(2);
    let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert!(err.contains("calibration.json: cannot read"), "{err}");
    let kept = common::files(folder);
    assert!(kept["calibration.html"] == before["calibration.html"]);
}

/// No raw tag and no double escape of the user's text.
fn check_escaped_once(what: &str, html: &str) {
    assert!(!html.contains("<b>"), "{what}: the text's tag reached the page raw");
    for double in ["&amp;amp;", "&amp;lt;", "&amp;#", "&#38;amp;", "&#38;lt;", "&#38;#"] {
        assert!(!html.contains(double), "{what}: double escaping ({double})");
    }
}

#[test]
fn user_text_is_escaped_exactly_once_on_the_run_and_comparison_pages() {
    // Names are restricted to letters, digits, '-', '_' and '.'; a
    // description is free text and the report shows it.
    let tmp = TempDir::new().unwrap();
    let text = fs::read_to_string(repo_file("scenarios/baseline.toml")).unwrap();
    let start = text
        .find("description = \"\"\"")
        .expect("the bundled scenario has a description");
    let end = start + 17 + text[start + 17..].find("\"\"\"").expect("closed") + 3;
    let described = format!(
        "{}description = {}{}",
        &text[..start],
        toml_string(MARKUP_TEXT),
        &text[end..]
    );
    let scenario = tmp.path().join("markup.toml");
    fs::write(&scenario, described).unwrap();
    let run = tmp.path().join("run");
    creditstress()
        .arg("run")
        .arg(&scenario)
        .args(["--paths", "30", "-q", "--out"])
        .arg(&run)
        .assert()
        .success();
    let html = page(&run.join("report.html"));
    check_escaped_once("run", &html);
    assert!(
        html.contains("<p>x &lt;b&gt;&amp;&quot;&#39; y</p>"),
        "run: the description, escaped once"
    );

    let compare = tmp.path().join("compare");
    creditstress()
        .arg("compare")
        .arg(&scenario)
        .arg("--policy")
        .arg(repo_file("scenarios/policies/current.toml"))
        .arg("--policy")
        .arg(repo_file("scenarios/policies/tight.toml"))
        .args(["--paths", "30", "-q", "--out"])
        .arg(&compare)
        .assert()
        .success();
    let html = page(&compare.join("comparison.html"));
    check_escaped_once("comparison", &html);
    // Its own markup: escaped once, never twice.
    assert!(
        html.contains("<h1>Policy comparison — baseline</h1>"),
        "comparison: heading"
    );
    assert!(html.contains("net income (interest - loss - collection and recovery cost)"));
}

/// `value` as a TOML basic string.
fn toml_string(value: &str) -> String {
    toml::Value::String(value.to_string()).to_string()
}
