//! Monthly stepping draws a current loan's months by inversion (one uniform
//! from one event to the next, `src/loan/spell.rs`), and `--engine auto`
//! sums the cash of the loans that stay current all their life once per run
//! where that is exact. These tests hold the second to bitwise the first on
//! every bundled scenario that needs stepping, and check that the engine
//! says which it ran. The law of the inversion itself is tested in
//! `src/loan/spell.rs` and, through whole runs, by the closed-form checks
//! of `tests/validation.rs`.

use std::fs;
use std::path::{Path, PathBuf};

use creditstress::engine::{
    ENGINE_STEPPING, ENGINE_STEPPING_SUMMED, EngineChoice, Prepared, fast_path_blocker, survivor_sum_blocker,
};
use creditstress::scenario::{Scenario, parse_scenario, parse_scenario_file};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A bundled scenario with the data files it names, as the CLI reads it.
fn load(rel: &str) -> Scenario {
    let path: &Path = &root().join(rel);
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut file = parse_scenario_file(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let folder = path.parent().expect("a file has a folder");
    for name in file.referenced_files() {
        let bytes = fs::read(folder.join(&name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        file.attachments.insert(name, bytes);
    }
    Scenario::from_file(file).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A book with the levers that leave survivors' cash alone: an outage,
/// fraud waves, forbearance (plan spells with their own curves),
/// collections, penalty interest, line suspension, revolving lines.
const LEVERS: &str = r#"schema_version = 1
name = "levers"
[run]
horizon_months = 18
seed = 4242
[macro.noise]
phi = 0.8
[macro.deterministic]
national = [0.0, 0.0, -0.5, -1.0, -1.5, -1.5, -1.2, -0.8, -0.4, 0.0]
[dynamics]
penalty_rate_monthly = 0.01
[[segments]]
name = "mixed"
loans = 2000
score = { mean = 620, std = 80 }
income = { median_monthly = 6000, sigma = 0.5 }
pd = { model = "logistic", intercept = -2.2, slope_per_100 = -1.2 }
rho = 0.1
lgd = { mean = 0.7, std = 0.15 }
prepayment_monthly = 0.01
fraud_share = 0.01
[segments.products]
revolving_share = 0.6
installment_terms = [6, 12]
revolving_repay_rate = 0.2
revolving_draw_rate = 0.2
[outage]
month = 3
share = 0.1
cure_rate = 0.8
[fraud_waves]
probability_monthly = 0.1
duration_months = 2
takeover_share = 0.002
[policy]
name = "levers"
[policy.forbearance]
take_up = 0.5
redefault_monthly = 0.06
term_extension_months = 3
[policy.collections]
strategy = "intensive"
"#;

/// Every bundled scenario that needs monthly stepping, and [`LEVERS`]: `auto` against
/// `stepping` (every loan stepped), path by path, bitwise, where `auto` sums
/// survivors; where a lever splits current spells, `auto` steps every loan.
#[test]
fn summed_survivors_are_bitwise_every_loan_stepped() {
    let files = [
        "scenarios/downturn.toml",
        "scenarios/baseline.toml",
        "scenarios/pandemic.toml",
        "scenarios/economic_adverse.toml",
        "scenarios/own_book.toml",
        "scenarios/multi_platform.toml",
        "scenarios/going_concern.toml",
        "levers",
    ];
    let mut summed = 0;
    for rel in files {
        let scenario = if rel == "levers" {
            parse_scenario(LEVERS).unwrap()
        } else {
            load(rel)
        };
        assert!(fast_path_blocker(&scenario).is_some(), "{rel}: needs stepping");
        let auto = Prepared::with_engine(&scenario, EngineChoice::Auto).unwrap();
        let every = Prepared::with_engine(&scenario, EngineChoice::Stepping).unwrap();
        assert!(every.fast_book.is_none(), "{rel}: --engine stepping steps every loan");
        assert_eq!(every.engine_description(), ENGINE_STEPPING);
        let sums = survivor_sum_blocker(&scenario).is_none()
            && scenario.file.economics.is_none()
            && !scenario.redraw_population;
        assert_eq!(auto.fast_book.is_some(), sums, "{rel}: survivors summed");
        if !sums {
            assert_eq!(auto.engine_description(), ENGINE_STEPPING, "{rel}");
            continue;
        }
        summed += 1;
        assert_eq!(auto.engine_description(), ENGINE_STEPPING_SUMMED, "{rel}");
        let (mut events, mut survivors) = (0u64, 0u64);
        for index in 0..12 {
            let (a, b) = (auto.simulate_path(index), every.simulate_path(index));
            assert_eq!(a, b, "{rel}: path {index}");
            events += a.tally.defaults + a.tally.rolls.entered;
            survivors += a.tally.loan_months;
        }
        assert!(events > 0 && survivors > 0, "{rel}: loans with and without events");
    }
    assert!(summed >= 3, "only {summed} bundled scenarios sum survivors");
}
