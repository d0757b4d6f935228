//! Fixtures shared by the tests of imported books, loan tapes and
//! calibration (tests/book_import.rs, tests/calibrate.rs, tests/parquet.rs),
//! and of going-concern books and events (tests/originations.rs,
//! tests/contagion_and_events.rs); the binary and a folder's files for the
//! output-set tests (tests/interrupts.rs, tests/full_disk.rs).

// Each test file uses its own subset of these.
#![allow(dead_code)]

use creditstress::engine::{EngineChoice, PathOutcome, Prepared, RunControl};
use creditstress::estimation::scenario_fit::CalibrateOptions;
use creditstress::loan::tape::LoanTape;
use creditstress::population::{Book, LoanOrigin};
use creditstress::report::tape::{LoanIds, write_book_csv, write_tape_csv};
use creditstress::scenario::{PopulationSection, Scenario, ScenarioError, parse_scenario_file};

/// A small book with two segments, both product kinds, delinquency and
/// fraud; `#dynamics` and `#policy` are the places to put more.
pub const TWO_SEGMENT_BOOK: &str = r#"
schema_version = 1
name = "book_test"
[run]
horizon_months = 18
seed = 4242
[macro.noise]
phi = 0.7
[dynamics]
recovery_curve = [0.2, 0.3, 0.5]
penalty_rate_monthly = 0.01
#dynamics
[[segments]]
name = "mass"
loans = 1500
score = { mean = 630, std = 70 }
income = { median_monthly = 5000, sigma = 0.5 }
pd = { model = "logistic", intercept = -2.4, slope_per_100 = -1.1 }
rho = 0.06
lgd = { mean = 0.7, std = 0.15 }
fraud_share = 0.003
prepayment_monthly = 0.01
[segments.products]
revolving_share = 0.4
installment_terms = [3, 6, 12]
amortisation = "equal_principal"
revolving_draw_rate = 0.05
[[segments]]
name = "prime"
loans = 800
score = { mean = 720, std = 40 }
income = { median_monthly = 9000, sigma = 0.4 }
pd = { model = "table", by_band = [0.25, 0.2, 0.1, 0.05, 0.02, 0.01] }
rho = 0.04
lgd = { mean = 0.5, std = 0.2 }
[segments.products]
revolving_share = 0.6
installment_terms = [12]
#policy
"#;

/// A bundled scenario file (`rel` from the repository root) with the data
/// files it names read from its folder, as the CLI reads it.
pub fn bundled(rel: &str) -> Scenario {
    let path = repo_file(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{rel}: {e}"));
    let mut file = parse_scenario_file(&text).unwrap_or_else(|e| panic!("{rel}: {e}"));
    let folder = path.parent().expect("a file has a folder");
    for name in file.referenced_files() {
        let bytes = std::fs::read(folder.join(&name)).unwrap_or_else(|e| panic!("{rel}: {name}: {e}"));
        file.attachments.insert(name, bytes);
    }
    Scenario::from_file(file).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// `text` with every segment's synthetic loans replaced by an imported book `file`.
pub fn imported(text: &str, file: &str) -> String {
    let mut out = text
        .replace("loans = 1500", "loans = 0")
        .replace("loans = 800", "loans = 0");
    out.push_str(&format!("\n[book]\nfile = \"{file}\"\n"));
    out
}

/// The scenario `text` with `bytes` attached as `file`.
pub fn scenario_with_book(text: &str, file: &str, bytes: &[u8]) -> Result<Scenario, ScenarioError> {
    let mut scenario = parse_scenario_file(text)?;
    scenario.attachments.insert(file, bytes.to_vec());
    Scenario::from_file(scenario)
}

/// Paths `0..paths` of `s`.
pub fn simulate(s: &Scenario, paths: u64) -> Vec<PathOutcome> {
    Prepared::with_engine(s, EngineChoice::Auto)
        .expect("engine")
        .simulate_paths(0..paths, RunControl::default())
        .expect("not cancelled")
}

/// Paths `0..k` of `s` with their tapes, and the book they ran on.
pub struct Recorded {
    /// Each path's outcome, its tape in `tally.tape`.
    pub outcomes: Vec<PathOutcome>,
    /// The book.
    pub book: Book,
    /// Where each loan came from.
    pub origins: Vec<LoanOrigin>,
}

impl Recorded {
    /// Records paths `0..k` of `s`.
    pub fn of(s: &Scenario, k: u64) -> Self {
        let prepared = Prepared::new(s);
        let mut outcomes = Vec::new();
        let mut last = None;
        for i in 0..k {
            let (outcome, book, origins) = prepared.simulate_path_with_tape(i);
            outcomes.push(outcome);
            last = Some((book, origins));
        }
        let (book, origins) = last.expect("at least one path");
        Recorded {
            outcomes,
            book,
            origins,
        }
    }

    /// `(path, tape)` of every recorded path.
    pub fn tapes(&self) -> Vec<(u64, &LoanTape)> {
        self.outcomes
            .iter()
            .enumerate()
            .map(|(i, o)| (i as u64, o.tally.tape.as_deref().expect("recorded")))
            .collect()
    }

    /// `book.csv` and `tape.csv` as bytes.
    pub fn csv(&self, s: &Scenario) -> (Vec<u8>, Vec<u8>) {
        let mut book_csv = Vec::new();
        write_book_csv(&mut book_csv, s, &self.book, &self.origins).expect("in memory");
        let ids = LoanIds::new(s, &self.book, &self.origins);
        let mut tape_csv = Vec::new();
        write_tape_csv(&mut tape_csv, &self.tapes(), &ids).expect("in memory");
        (book_csv, tape_csv)
    }
}

/// The book and tape of paths `0..k` of `s`, as CSV bytes.
pub fn emit_csv(s: &Scenario, k: u64) -> (Vec<u8>, Vec<u8>) {
    Recorded::of(s, k).csv(s)
}

/// What the tests ask `calibrate` for: the default bands, a 12-month PD,
/// no macro series.
pub fn calibrate_options(confidence: f64) -> CalibrateOptions {
    CalibrateOptions {
        name: "calibrated".into(),
        book_path: "book.csv".into(),
        source: "tape.csv".into(),
        bands: PopulationSection::default().score_bands,
        pd_period_months: 12,
        confidence,
        macro_series: None,
    }
}

/// The binary, with no backtrace, no colour and no signal injection from the caller's environment.
pub fn creditstress() -> assert_cmd::Command {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("creditstress");
    cmd.env_remove("RUST_BACKTRACE")
        .env_remove("CREDITSTRESS_SIGNAL_AT")
        .env("NO_COLOR", "1");
    cmd
}

/// A file of the repository.
pub fn repo_file(rel: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Every file under `dir`, relative, with its bytes (an absent folder has none).
pub fn files(dir: &std::path::Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    fn walk(root: &std::path::Path, dir: &std::path::Path, out: &mut std::collections::BTreeMap<String, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = std::collections::BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}
