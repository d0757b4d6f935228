//! A mutation fuzzer over the scenario parser and validation, on stable Rust
//! with proptest (issue 17): from one of four bundled scenarios, each case changes one
//! to three fields (a number made extreme, tiny, negative, infinite or NaN;
//! a whole float given to an integer field; a list made longer or shorter;
//! a key removed) and checks that
//!
//! - parsing and validating never panic: the input is refused with a named
//!   error or accepted;
//! - an accepted input gives finite results: every path's loss, exposure,
//!   interest and net income, and the summary's EL, VaR, ES, default rate and
//!   monthly bands, are finite numbers.
//!
//! The cases are drawn from a fixed seed, so the test is deterministic, and
//! their number bounds its time (1,500 cases, about 20 s in a release build on
//! 2 cores); `CREDITSTRESS_FUZZ_CASES` runs more and `CREDITSTRESS_FUZZ_SEED`
//! draws others (e.g. 20000 cases for a longer session). A failing case
//! prints the mutated scenario; a case that runs longer than 30 s fails too.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use creditstress::engine::{EngineChoice, Prepared, RunControl};
use creditstress::scenario::{Scenario, parse_scenario_file};
use creditstress::stats::{RunSummary, Timeseries};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};

/// Longest a case may take (parse, validate and simulate), in seconds.
const CASE_SECONDS: u64 = 30;
/// Paths simulated for an accepted case.
const PATHS: u64 = 12;
/// Accepted cases bigger than this (loans times months) are validated but not simulated.
const MAX_LOAN_MONTHS: u64 = 2_000_000;

/// The bases: bundled scenarios that between them use every section (the
/// monthly engine with regimes, a going-concern book with originations,
/// the P&L and provisions, contagion and events), each with 120 loans per
/// segment so that a simulated case takes milliseconds.
const BASES: [&str; 4] = [
    "scenarios/downturn.toml",
    "scenarios/going_concern.toml",
    "scenarios/economic_adverse.toml",
    "scenarios/multi_platform.toml",
];

fn bases() -> Vec<toml::Value> {
    BASES
        .iter()
        .map(|rel| {
            let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel);
            let mut doc: toml::Value = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            for s in doc["segments"].as_array_mut().unwrap() {
                s["loans"] = toml::Value::Integer(120);
            }
            doc
        })
        .collect()
}

/// A place in the TOML tree: keys and indices from the root.
#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

/// Every place in `v` (tables, arrays and leaves alike), depth first.
fn places(v: &toml::Value, at: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    out.push(at.clone());
    match v {
        toml::Value::Table(t) => {
            for (k, x) in t {
                at.push(Step::Key(k.clone()));
                places(x, at, out);
                at.pop();
            }
        }
        toml::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                at.push(Step::Index(i));
                places(x, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

fn get_mut<'a>(v: &'a mut toml::Value, path: &[Step]) -> Option<&'a mut toml::Value> {
    let mut node = v;
    for step in path {
        node = match step {
            Step::Key(k) => node.as_table_mut()?.get_mut(k)?,
            Step::Index(i) => node.as_array_mut()?.get_mut(*i)?,
        };
    }
    Some(node)
}

/// Values a number is replaced by: the edges where arithmetic breaks.
const EXTREMES: [f64; 16] = [
    0.0,
    -1.0,
    1e-300,
    1e-160,
    -1e-160,
    1e-9,
    0.5,
    1.0 - 1e-12,
    2.0,
    1e6,
    1e15,
    1e308,
    -1e308,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
];

/// One mutation of the place `pick` (an index into the tree's places, taken
/// modulo their number): `kind` chooses what, `value` which extreme.
fn mutate(doc: &mut toml::Value, pick: usize, kind: u8, value: usize) {
    let mut all = Vec::new();
    places(doc, &mut Vec::new(), &mut all);
    let path = all[pick % all.len()].clone();
    if kind == 4 {
        // Remove the key (or the list entry) at the place.
        if let Some((last, parent)) = path.split_last() {
            match (get_mut(doc, parent), last) {
                (Some(toml::Value::Table(t)), Step::Key(k)) => {
                    t.remove(k);
                }
                (Some(toml::Value::Array(a)), Step::Index(i)) if *i < a.len() => {
                    a.remove(*i);
                }
                _ => {}
            }
        }
        return;
    }
    let Some(node) = get_mut(doc, &path) else { return };
    let extreme = EXTREMES[value % EXTREMES.len()];
    *node = match (kind, node.clone()) {
        // A number made extreme; an integer given a float (whole or not).
        (0, toml::Value::Integer(_) | toml::Value::Float(_)) => toml::Value::Float(extreme),
        // A number scaled.
        (1, toml::Value::Float(x)) => toml::Value::Float(x * [-1.0, 10.0, 1e6, 1e-6][value % 4]),
        (1, toml::Value::Integer(n)) => toml::Value::Integer(n.saturating_mul([-1, 10, 1_000_000, 0][value % 4])),
        // A list one longer (its last entry again) or one shorter.
        (2, toml::Value::Array(mut a)) => {
            if let Some(last) = a.last().cloned() {
                a.push(last);
            }
            toml::Value::Array(a)
        }
        (3, toml::Value::Array(mut a)) => {
            a.pop();
            toml::Value::Array(a)
        }
        // A string where a number was, or a number where a string was.
        (_, toml::Value::Integer(_) | toml::Value::Float(_)) => toml::Value::String("many".into()),
        (_, toml::Value::String(_)) => toml::Value::Float(extreme),
        (_, other) => other,
    };
}

/// Checks an accepted scenario's results are finite; `Err` names the first
/// figure that is not. `Ok(false)`: too big to simulate here, or refused by the engine with a named error.
fn check_finite(s: &Scenario) -> Result<bool, String> {
    let s = s.clone().with_overrides(Some(PATHS), None);
    // New lending adds up to its capped volume every month it books.
    let originated: f64 = s
        .segments
        .iter()
        .filter_map(|g| g.originations.as_ref())
        .map(|o| o.applications_monthly * o.volume_cap_multiple.max(1.0) * o.months().len() as f64)
        .sum();
    let loans = s.total_loans() as f64 + originated;
    if loans * s.horizon_months as f64 > MAX_LOAN_MONTHS as f64 {
        return Ok(false);
    }
    let prepared = match Prepared::with_engine(&s, EngineChoice::Auto) {
        Ok(p) => p,
        // A named error (e.g. an imported book that cannot be drawn) is a refusal, not a wrong answer.
        Err(_) => return Ok(false),
    };
    let paths = prepared
        .simulate_paths(0..PATHS, RunControl::default())
        .map_err(|e| format!("simulation failed: {e}"))?;
    for (k, p) in paths.iter().enumerate() {
        for (name, x) in [
            ("loss", p.tally.loss),
            ("exposure", p.exposure),
            ("net_income", p.tally.net_income()),
            ("loss_rate", p.loss_rate()),
        ] {
            if !x.is_finite() {
                return Err(format!("path {k}: {name} = {x}"));
            }
        }
    }
    let summary = RunSummary::new(&s, &prepared.profile, &paths);
    let mut figures = vec![
        ("loss.mean", summary.loss.mean),
        ("loss.std", summary.loss.std),
        ("default_rate.mean", summary.default_rate.mean),
        ("net_income.mean", summary.net_income.mean),
        ("interest_income.mean", summary.interest_income.mean),
        ("exposure", summary.exposure),
    ];
    figures.extend(summary.loss.var.values().map(|v| ("loss.var", *v)));
    figures.extend(summary.loss.es.values().map(|v| ("loss.es", *v)));
    if let Some((name, x)) = figures.into_iter().find(|(_, x)| !x.is_finite()) {
        return Err(format!("summary: {name} = {x}"));
    }
    let series = Timeseries::new(&s, &prepared.profile, &paths);
    for (t, row) in series.rows.iter().enumerate() {
        for (name, b) in series.names.iter().zip(row) {
            if ![b.mean, b.p05, b.p25, b.p50, b.p75, b.p95]
                .iter()
                .all(|x| x.is_finite())
            {
                return Err(format!("timeseries: {name} in month {} is not finite: {b:?}", t + 1));
            }
        }
    }
    Ok(true)
}

#[test]
fn mutated_scenarios_are_refused_by_name_or_give_finite_results() {
    let cases = std::env::var("CREDITSTRESS_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1500);
    let mut config = Config::with_cases(cases);
    let seed = std::env::var("CREDITSTRESS_FUZZ_SEED")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(17);
    config.rng_seed = RngSeed::Fixed(seed);
    config.failure_persistence = None;
    let bases = bases();
    let mutation = (any::<usize>(), 0u8..5, any::<usize>());
    let mut runner = TestRunner::new(config);
    // A case that runs longer than CASE_SECONDS is a defect too (a valid
    // input must not hang the tool): the watchdog prints it and fails the test.
    let current: Arc<Mutex<(Instant, String)>> = Arc::new(Mutex::new((Instant::now(), String::new())));
    let watched = Arc::clone(&current);
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(Duration::from_millis(500));
            let (started, text) = watched.lock().unwrap().clone();
            if started.elapsed() > Duration::from_secs(CASE_SECONDS) {
                eprintln!("a case ran longer than {CASE_SECONDS} s:\n{text}");
                std::process::exit(101);
            }
        }
    });
    let (accepted, simulated, refused) = (Cell::new(0u32), Cell::new(0u32), Cell::new(0u32));
    runner
        .run(
            &(0..BASES.len(), proptest::collection::vec(mutation, 1..=3)),
            |(base, mutations)| {
                let mut doc = bases[base].clone();
                for (pick, kind, value) in mutations {
                    mutate(&mut doc, pick, kind, value);
                }
                let text = toml::to_string(&doc).map_err(|e| TestCaseError::reject(e.to_string()))?;
                *current.lock().unwrap() = (Instant::now(), text.clone());
                let outcome = catch_unwind(AssertUnwindSafe(|| {
                    parse_scenario_file(&text)
                        .and_then(Scenario::from_file)
                        .map(|s| check_finite(&s))
                }));
                match outcome {
                    Err(_) => Err(TestCaseError::fail(format!("panicked on:\n{text}"))),
                    Ok(Err(e)) => {
                        // A refusal names what it refuses.
                        let message = e.to_string();
                        prop_assert!(!message.trim().is_empty(), "an empty error for:\n{text}");
                        refused.set(refused.get() + 1);
                        Ok(())
                    }
                    Ok(Ok(Err(problem))) => Err(TestCaseError::fail(format!("accepted, but {problem}, on:\n{text}"))),
                    Ok(Ok(Ok(ran))) => {
                        accepted.set(accepted.get() + 1);
                        simulated.set(simulated.get() + u32::from(ran));
                        Ok(())
                    }
                }
            },
        )
        .unwrap();
    // Both kinds occur, so the fuzzer reaches past the parser.
    let (accepted, simulated, refused) = (accepted.get(), simulated.get(), refused.get());
    eprintln!("fuzz: {accepted} accepted ({simulated} simulated), {refused} refused");
    assert!(
        simulated > 20 && refused > 20,
        "accepted {accepted} ({simulated} simulated), refused {refused}"
    );
}

/// The first defect the fuzzer found: `dynamics.pd_period_months` of 12
/// million months (a 12 scaled by 10^6) passed validation and the PD
/// calibration then stepped every state for minutes. It is refused, naming
/// the field, before any calibration.
#[test]
fn a_pd_period_of_millions_of_months_is_refused_at_once() {
    let mut doc = bases().remove(0);
    doc["dynamics"]["pd_period_months"] = toml::Value::Integer(12_000_000);
    let e = parse_scenario_file(&toml::to_string(&doc).unwrap())
        .and_then(Scenario::from_file)
        .unwrap_err()
        .to_string();
    assert!(e.contains("dynamics.pd_period_months") && e.contains("1 to 120"), "{e}");
    doc["dynamics"]["pd_period_months"] = toml::Value::Integer(120);
    parse_scenario_file(&toml::to_string(&doc).unwrap())
        .and_then(Scenario::from_file)
        .unwrap();
}
