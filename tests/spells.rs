//! Monthly stepping draws a current loan's months by inversion (one uniform
//! from one event to the next, `src/loan/spell.rs`), and `--engine auto`
//! sums the cash of the loans that stay current all their life once per run
//! where that is exact. These tests hold the second to bitwise the first on
//! every bundled scenario that needs stepping, and check that the engine
//! says which it ran. The law of the inversion itself is tested in
//! `src/loan/spell.rs` and, through whole runs, by the closed-form checks
//! of `tests/validation.rs`.

mod common;

use creditstress::engine::{
    ENGINE_STEPPING, ENGINE_STEPPING_SUMMED, EngineChoice, Prepared, fast_path_blocker, survivor_sum_blocker,
};
use creditstress::scenario::parse_scenario;

/// The levers that leave survivors' cash alone, on the shared two-segment
/// book: an outage, fraud waves, forbearance (plan spells with their own
/// curves), collections.
const LEVERS: &str = r#"
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

/// Every bundled scenario that needs monthly stepping, and the shared book with [`LEVERS`]: `auto` against
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
            parse_scenario(&common::TWO_SEGMENT_BOOK.replace("#policy", LEVERS)).unwrap()
        } else {
            common::bundled(rel)
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

/// Common random numbers through a split spell: limit reviews stop a
/// revolving line's current spell without changing its probabilities, so
/// the spell's uniform is handed on and every loan has its events in the
/// same months with and without the lever. Path by path, the delinquency
/// entries and charge-offs month by month are the same, while the raised
/// limits do change the cash (the drawdowns at a missed payment).
#[test]
fn a_limit_review_splits_a_spell_without_moving_its_event() {
    let review = "[policy]\nname = \"raise\"\n[policy.limit_increase]\nafter_months_current = 3\nprobability = 0.6\nincrease_share = 0.5\nmax_increases = 3\n";
    let plain = parse_scenario(&common::TWO_SEGMENT_BOOK.replace("#policy", "")).unwrap();
    let raised = parse_scenario(&common::TWO_SEGMENT_BOOK.replace("#policy", review)).unwrap();
    let (a, b) = (common::simulate(&plain, 20), common::simulate(&raised, 20));
    let mut originated_differ = 0;
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(
            x.tally.monthly_delinquent, y.tally.monthly_delinquent,
            "path {}",
            x.index
        );
        assert_eq!(x.tally.monthly_defaults, y.tally.monthly_defaults, "path {}", x.index);
        assert_eq!(
            x.tally.ledger.prepaid > 0,
            y.tally.ledger.prepaid > 0,
            "path {}",
            x.index
        );
        originated_differ += usize::from(x.tally.ledger.originated != y.tally.ledger.originated);
    }
    assert!(
        originated_differ > 15,
        "the reviews raised limits on most paths ({originated_differ} of 20)"
    );
}
