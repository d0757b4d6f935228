//! Accounting invariants that must hold exactly on every path, whatever the
//! scenario, and properties of the repayment schedules. The invariants are
//! checked on every bundled scenario, on the pandemic book under every bundled
//! policy, and on a book that exercises every feature and policy lever, with
//! both engines (monthly stepping and the fast path) where they apply.
//!
//! - Exposure conservation, in integer cents:
//!   `originated = repaid + prepaid + charged_off + outstanding`.
//! - A loan defaults at most once: defaults never exceed the loans booked,
//!   overall and per segment, and the per-segment, per-band and per-month
//!   default counts add up to the total.
//! - Losses add up: per segment and per month they sum to the path's loss
//!   within the rounding of a float sum, and no loss exceeds the exposure
//!   charged off (LGD <= 1).
//! - Repayment schedules (property tests): the principal is repaid exactly,
//!   balances never go negative and follow the closed forms to the cent,
//!   interest is the rate times the balance up to the cent rounding.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use creditstress::engine::{EngineChoice, PathOutcome, Prepared, RunControl};
use creditstress::loan::BUCKETS;
use creditstress::loan::schedule::{Payment, ScheduleTemplates, annuity_payment, full_schedule};
use creditstress::population::{Cents, ProductKind};
use creditstress::scenario::{Amortisation, Scenario, parse_policy_file, parse_scenario, parse_scenario_file};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// All `*.toml` files under `dir`, recursively, sorted.
fn toml_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap_or_else(|e| panic!("cannot read {}: {e}", d.display())) {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "toml") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// What a run produced, and the loans booked per segment on every path (the
/// run-level book's when it is drawn once, else the scenario's counts, an
/// upper bound under an approval cutoff).
struct Run {
    outcomes: Vec<PathOutcome>,
    segment_loans: Vec<u64>,
    /// Imported loans already delinquent at the start.
    imported_delinquent: u64,
}

/// A scenario file with the data files it names (read relative to its folder).
fn load(path: &Path) -> Scenario {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut file = parse_scenario_file(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let folder = path.parent().expect("a file has a folder");
    for name in file.referenced_files() {
        let bytes = fs::read(folder.join(&name)).unwrap_or_else(|e| panic!("{}: {name}: {e}", path.display()));
        file.attachments.insert(name, bytes);
    }
    Scenario::from_file(file).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn simulate(scenario: &Scenario, engine: EngineChoice) -> Run {
    let prepared = Prepared::with_engine(scenario, engine).expect("the engine can run this scenario");
    let segment_loans = match &prepared.book {
        Some(_) => prepared.profile.segment_loans.clone(),
        None => scenario.segments.iter().map(|s| s.loans).collect(),
    };
    let outcomes = prepared
        .simulate_paths(0..scenario.paths, RunControl::default())
        .expect("not cancelled");
    let imported_delinquent = prepared
        .book
        .as_ref()
        .map_or(0, |b| b.loans.iter().filter(|l| l.start_bucket > 0).count() as u64);
    Run {
        outcomes,
        segment_loans,
        imported_delinquent,
    }
}

/// Rounding bound of comparing two float sums of the same `terms` non-negative
/// numbers (total `sum`) taken in different orders and groupings: recursive
/// summation of `m` terms errs by at most `(m - 1) u sum`, `u = EPSILON / 2`,
/// so the two sums differ by at most `terms * EPSILON * sum`.
fn sum_rounding(terms: usize, sum: f64) -> f64 {
    terms as f64 * f64::EPSILON * sum
}

/// Checks every invariant on every path; `label` names the scenario in messages.
fn check_invariants(label: &str, scenario: &Scenario, run: &Run) {
    let outcomes = &run.outcomes;
    assert_eq!(outcomes.len() as u64, scenario.paths, "{label}");
    let segments = scenario.segments.len();
    let horizon = scenario.horizon_months;
    let mut any_default = false;
    for o in outcomes {
        let at = format!("{label}, path {}", o.index);
        let t = &o.tally;
        let l = &t.ledger;
        // A going-concern book's loans are those booked on the path.
        let segment_loans: Vec<u64> = match t.flow.as_deref() {
            Some(f) => f.segment_loans.iter().map(|&n| n as u64).collect(),
            None => run.segment_loans.clone(),
        };
        let loans: u64 = segment_loans.iter().sum();
        if let Some(f) = t.flow.as_deref() {
            assert_eq!(f.total_loans(), loans, "{at}: bookings by month and by segment");
            assert_eq!(
                f.band_loans.iter().map(|&n| n as u64).sum::<u64>(),
                loans,
                "{at}: by band"
            );
            assert_eq!(
                f.outstanding[horizon - 1],
                l.outstanding,
                "{at}: the book at the horizon"
            );
            assert!(
                f.active_accounts.iter().all(|&n| n as u64 <= loans),
                "{at}: more accounts than loans"
            );
        }

        // Exposure conservation, exactly, in cents.
        for (name, v) in [
            ("originated", l.originated),
            ("repaid", l.repaid),
            ("prepaid", l.prepaid),
            ("charged_off", l.charged_off),
            ("outstanding", l.outstanding),
        ] {
            assert!(v >= 0, "{at}: ledger.{name} = {v}");
        }
        assert_eq!(
            l.originated,
            l.repaid + l.prepaid + l.charged_off + l.outstanding,
            "{at}: exposure not conserved: {l:?}"
        );
        // The initial balances are part of what was originated.
        assert!(
            l.originated >= (o.exposure * 100.0).round() as i64,
            "{at}: originated {} below the initial exposure {}",
            l.originated,
            o.exposure
        );

        // A loan defaults at most once.
        assert!(t.defaults <= loans, "{at}: {} defaults of {loans} loans", t.defaults);
        assert_eq!(t.segment_defaults.len(), segments);
        for (s, (&d, &booked)) in t.segment_defaults.iter().zip(&segment_loans).enumerate() {
            assert!(d <= booked, "{at}: segment {s}: {d} defaults of {booked} loans");
        }
        assert_eq!(
            t.segment_defaults.iter().sum::<u64>(),
            t.defaults,
            "{at}: segment defaults"
        );
        assert_eq!(t.band_defaults.iter().sum::<u64>(), t.defaults, "{at}: band defaults");
        assert_eq!(t.monthly_defaults.len(), horizon);
        assert_eq!(
            t.monthly_defaults.iter().map(|&d| d as u64).sum::<u64>(),
            t.defaults,
            "{at}: monthly defaults"
        );
        assert!(
            t.monthly_delinquent.iter().all(|&d| d as u64 <= loans),
            "{at}: more delinquent loans than loans"
        );
        // The segment x band cells and the segment x month cells add up to
        // the segment, band and month counts.
        let bands = t.band_defaults.len();
        for s in 0..segments {
            let cells = &t.cell_defaults[s * bands..(s + 1) * bands];
            assert_eq!(
                cells.iter().sum::<u64>(),
                t.segment_defaults[s],
                "{at}: segment {s}'s cells"
            );
            let months = &t.segment_monthly_defaults[s * horizon..(s + 1) * horizon];
            assert_eq!(
                months.iter().map(|&d| d as u64).sum::<u64>(),
                t.segment_defaults[s],
                "{at}: segment {s}'s months"
            );
            let loss: f64 = t.segment_monthly_loss[s * horizon..(s + 1) * horizon].iter().sum();
            let tol = sum_rounding(t.defaults as usize + horizon, t.segment_loss[s]);
            assert!(
                (loss - t.segment_loss[s]).abs() <= tol,
                "{at}: segment {s}'s monthly losses {loss} vs {}",
                t.segment_loss[s]
            );
        }
        for b in 0..bands {
            let column: u64 = (0..segments).map(|s| t.cell_defaults[s * bands + b]).sum();
            assert_eq!(column, t.band_defaults[b], "{at}: band {b}'s cells");
        }
        for m in 0..horizon {
            let month: u64 = (0..segments)
                .map(|s| t.segment_monthly_defaults[s * horizon + m] as u64)
                .sum();
            assert_eq!(month, t.monthly_defaults[m] as u64, "{at}: month {m}'s segments");
        }
        if let Some(f) = t.flow.as_deref() {
            let bands = f.band_loans.len();
            for s in 0..segments {
                let cells: u64 = f.cell_loans[s * bands..(s + 1) * bands].iter().map(|&n| n as u64).sum();
                assert_eq!(cells, f.segment_loans[s] as u64, "{at}: segment {s}'s booked cells");
                let months: u64 = f.segment_booked_loans[s * horizon..(s + 1) * horizon]
                    .iter()
                    .map(|&n| n as u64)
                    .sum();
                assert_eq!(
                    months, f.segment_loans[s] as u64,
                    "{at}: segment {s}'s bookings by month"
                );
                let balance: i64 = f.segment_booked_balance[s * horizon..(s + 1) * horizon].iter().sum();
                assert_eq!(balance, f.segment_balance[s], "{at}: segment {s}'s balance by month");
            }
        }
        // The roll-rate flows: every account-month that ends in a bucket
        // before the horizon's last month moves (cures, stays or rolls) the
        // next month, so what entered the buckets (entries, and the imported
        // loans already in one) is what cured, what was charged off from
        // the last bucket, and what is still delinquent at the horizon.
        let r = &t.rolls;
        let bucket_months: u64 = (0..BUCKETS).map(|b| r.cured[b] + r.stayed[b] + r.rolled[b]).sum();
        let delinquent_months: u64 = t.monthly_delinquent.iter().map(|&d| d as u64).sum();
        let still = t.monthly_delinquent[horizon - 1] as u64;
        assert_eq!(
            bucket_months,
            delinquent_months - still + run.imported_delinquent,
            "{at}: account-months in the buckets vs their moves: {r:?}"
        );
        assert_eq!(
            r.entered + run.imported_delinquent,
            r.cured.iter().sum::<u64>() + r.rolled[BUCKETS - 1] + still,
            "{at}: entries vs cures, charge-offs and the delinquent at the horizon: {r:?}"
        );
        assert!(
            r.rolled[BUCKETS - 1] <= t.defaults,
            "{at}: more charge-offs from the buckets than charge-offs"
        );
        if scenario.dynamics.delinquency {
            assert_eq!(
                r.rolled[BUCKETS - 1],
                t.defaults,
                "{at}: a charge-off that skipped the buckets"
            );
        } else {
            assert_eq!(*r, Default::default(), "{at}: rolls without buckets");
        }
        any_default |= t.defaults > 0;

        // Losses add up, and LGD <= 1.
        let terms = t.defaults as usize + segments + horizon;
        let tol = sum_rounding(terms, t.loss);
        let by_segment: f64 = t.segment_loss.iter().sum();
        assert!(
            (by_segment - t.loss).abs() <= tol,
            "{at}: segment losses {by_segment} vs loss {} (tolerance {tol})",
            t.loss
        );
        let by_month: f64 = t.monthly_loss.iter().sum();
        assert!(
            (by_month - t.loss).abs() <= tol,
            "{at}: monthly losses {by_month} vs loss {} (tolerance {tol})",
            t.loss
        );
        assert!(
            t.loss >= 0.0 && t.segment_loss.iter().all(|&x| x >= 0.0),
            "{at}: negative loss"
        );
        let charged_off = l.charged_off as f64 / 100.0;
        assert!(
            t.loss <= charged_off + sum_rounding(t.defaults as usize + 1, charged_off),
            "{at}: loss {} above the exposure charged off {charged_off}",
            t.loss
        );
        // (A default may have a zero EAD, e.g. an undrawn line; the converse is impossible.)
        assert!(
            l.charged_off == 0 || t.defaults > 0,
            "{at}: exposure charged off without a default"
        );
    }
    assert!(
        any_default,
        "{label}: no path has a default, the loss checks are vacuous"
    );
}

#[test]
fn bundled_scenarios_conserve_exposure_and_count_each_default_once() {
    // Policy files (scenarios/policies/) are not scenarios: see the next test;
    // grid study files (scenarios/grids/) have theirs in tests/scenario_files.rs.
    let files: Vec<PathBuf> = toml_files(&root().join("scenarios"))
        .into_iter()
        .filter(|p| !p.starts_with(root().join("scenarios/policies")) && !p.starts_with(root().join("scenarios/grids")))
        .collect();
    assert!(files.len() >= 3, "bundled scenarios: {files:?}");
    for path in &files {
        let scenario = load(path).with_overrides(Some(64), None);
        // Auto: the fast path for the books without delinquency buckets.
        let run = simulate(&scenario, EngineChoice::Auto);
        check_invariants(&path.display().to_string(), &scenario, &run);
    }
}

#[test]
fn bundled_policies_conserve_exposure_and_count_each_default_once() {
    // Every policy on the pandemic book (shock, outage, delinquency).
    let base = load(&root().join("scenarios/pandemic.toml"));
    let files = toml_files(&root().join("scenarios/policies"));
    for path in &files {
        let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let policy = parse_policy_file(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let scenario = base
            .with_policy(policy)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .with_overrides(Some(32), None);
        let run = simulate(&scenario, EngineChoice::Auto);
        check_invariants(&format!("pandemic under {}", path.display()), &scenario, &run);
    }
}

/// A book exercising every feature at once: delinquency buckets with cures,
/// prepayment, an outage, fraud, revolving lines with draws and drawdown
/// before default, the three amortisation types with terms both shorter and
/// longer than the horizon, Beta LGDs moving with the factor, a shock.
/// Without `delinquency` (no buckets, no outage) the fast path can run it too.
/// `policy` adds every policy lever: approval cutoff (book drawn once only), limit multipliers and
/// cap, early-warning freezes, forbearance with term extension, intensive
/// collections.
fn mixed_book(redraw_population: bool, delinquency: bool, policy: bool) -> Scenario {
    let segment = |name: &str, amortisation: &str, pd: &str, rho: f64| {
        format!(
            r#"
[[segments]]
name = "{name}"
loans = 1500
score = {{ mean = 640, std = 80 }}
income = {{ median_monthly = 6000, sigma = 0.7 }}
pd = {pd}
rho = {rho:?}
lgd = {{ mean = 0.6, std = 0.2, macro_sensitivity = 0.3 }}
fraud_share = 0.01
prepayment_monthly = 0.03

[segments.products]
revolving_share = 0.3
installment_terms = [1, 3, 6, 12, 24]
amortisation = "{amortisation}"
installment_draw = {{ mean = 0.5, std = 0.25 }}
utilisation = {{ mean = 0.5, std = 0.25 }}
revolving_repay_rate = 0.25
revolving_draw_rate = 0.15
revolving_ccf = 0.6
"#
        )
    };
    let mut text = format!(
        r#"
schema_version = 1
name = "mixed"

[run]
horizon_months = 18
paths = 64
seed = 99
redraw_population = {redraw_population}

[macro]
factors = ["national", "regional"]
correlation = [[1.0, 0.3], [0.3, 1.0]]

[macro.noise]
phi = 0.7
sigma = 1.0

[[macro.shocks]]
start_month_range = [2, 8]
depth = 2.0
duration_months = 2
recovery_months = 4
probability = 0.5

[dynamics]
pd_period_months = 12
delinquency = {delinquency}
roll_rates = [0.5, 0.7, 0.9]
cure_rates = [0.3, 0.2, 0.05]
recovery_lag_months = 3
"#
    );
    if delinquency {
        text += "\n[outage]\nmonth = 4\nprobability = 1.0\nshare = 0.15\ncure_rate = 0.6\n";
    }
    if policy {
        text += r#"
[policy]
name = "everything"
[policy.limits]
multiplier_by_band = [0.5, 0.8, 1.0, 1.0, 1.2, 1.5]
cap = 150000
[policy.early_warning]
factor_below = -1.0
borrower_delinquent = true
action = "freeze"
[policy.forbearance]
take_up = 0.5
term_extension_months = 4
penalty_waiver = 0.5
cure_boost = 0.2
redefault_monthly = 0.05
[policy.collections]
strategy = "intensive"
"#;
        // An approval cutoff needs the book drawn once (a fixed number of loans).
        if !redraw_population {
            text += "[policy.approval]\nmin_score = 480\n";
        }
    }
    text += &segment(
        "annuity",
        "equal_installment",
        r#"{ model = "logistic", intercept = -2.5, slope_per_100 = -1.2 }"#,
        0.08,
    );
    text += &segment(
        "equal_principal",
        "equal_principal",
        r#"{ model = "table", by_band = [0.3, 0.2, 0.12, 0.08, 0.05, 0.02] }"#,
        0.15,
    );
    text += &segment("bullet", "bullet", r#"{ model = "constant", value = 0.1 }"#, 0.04);
    parse_scenario(&text).unwrap_or_else(|e| panic!("mixed book: {e}"))
}

#[test]
fn a_book_with_every_feature_conserves_exposure_and_counts_each_default_once() {
    // (redraw the population per path, delinquency buckets and outage, policy levers, engine)
    let runs = [
        (false, true, false, EngineChoice::Stepping),
        (true, true, false, EngineChoice::Stepping),
        (false, true, true, EngineChoice::Stepping),
        (true, true, true, EngineChoice::Stepping),
        (false, false, false, EngineChoice::Stepping),
        (false, false, false, EngineChoice::FastPath),
        (true, false, false, EngineChoice::FastPath),
    ];
    for (redraw, delinquency, policy, engine) in runs {
        let label = format!("mixed book (redraw {redraw}, delinquency {delinquency}, policy {policy}, {engine:?})");
        let scenario = mixed_book(redraw, delinquency, policy);
        let run = simulate(&scenario, engine);
        check_invariants(&label, &scenario, &run);
        let outcomes = &run.outcomes;
        // The features really are exercised.
        let sum = |f: fn(&PathOutcome) -> i64| outcomes.iter().map(f).sum::<i64>();
        assert!(sum(|o| o.tally.ledger.prepaid) > 0, "{label}: no prepayment");
        assert!(
            sum(|o| o.tally.ledger.outstanding) > 0,
            "{label}: nothing outstanding at the horizon"
        );
        assert!(sum(|o| o.tally.ledger.repaid) > 0, "{label}: nothing repaid");
        if delinquency {
            let delinquent = |t: usize| {
                outcomes
                    .iter()
                    .map(|o| o.tally.monthly_delinquent[t] as u64)
                    .sum::<u64>()
            };
            assert!(
                delinquent(3) > delinquent(2),
                "{label}: the outage in month 4 raises delinquency"
            );
        }
        assert!(
            outcomes.iter().all(|o| o.tally.segment_defaults.iter().all(|&d| d > 0)),
            "{label}: every segment defaults"
        );
    }
}

// ---------------------------------------------------------------------------
// Repayment schedules

/// A one-band, one-segment scenario whose installment product is replaced per
/// case: `ScheduleTemplates::new` builds the curves the engine uses from it.
fn base_scenario() -> &'static Scenario {
    static BASE: OnceLock<Scenario> = OnceLock::new();
    BASE.get_or_init(|| {
        parse_scenario(
            r#"
schema_version = 1
name = "schedule"
[run]
horizon_months = 1
[population]
score_bands = [350, 950]
[[segments]]
name = "one"
loans = 1
score = { mean = 650, std = 50 }
income = { median_monthly = 5000, sigma = 0.5 }
pd = { model = "constant", value = 0.02 }
rho = 0.1
lgd = { mean = 0.5 }
[segments.products]
installment_terms = [1]
[segments.pricing]
annual_rate_by_band = [0.12]
"#,
        )
        .expect("base scenario")
    })
}

/// The engine's on-time schedule of principal `p` at monthly rate `r` over `term` months.
fn schedule_of(amortisation: Amortisation, r: f64, p: Cents, term: u16) -> Vec<Payment> {
    let mut scenario = base_scenario().clone();
    let seg = &mut scenario.segments[0];
    seg.amortisation = amortisation;
    seg.monthly_rate_by_band = vec![r];
    seg.terms = vec![(term as u32, 1.0)];
    let templates = ScheduleTemplates::new(&scenario);
    full_schedule(
        &templates,
        templates.offset(ProductKind::from(amortisation), r, term as u32),
        p,
        term,
    )
}

/// Fraction of the principal outstanding after `k` of `n` on-time payments,
/// computed independently of the engine and without cancellation:
/// annuity `((1+r)^n - (1+r)^k) / ((1+r)^n - 1)` as `expm1` of `n ln(1+r)`.
fn closed_form_fraction(kind: ProductKind, r: f64, n: u32, k: u32) -> f64 {
    if k >= n {
        return 0.0;
    }
    match kind {
        ProductKind::EqualInstallment if r > 0.0 => {
            let l = r.ln_1p();
            let gn = (n as f64 * l).exp_m1();
            (gn - (k as f64 * l).exp_m1()) / gn
        }
        ProductKind::EqualInstallment | ProductKind::EqualPrincipal => 1.0 - k as f64 / n as f64,
        ProductKind::Bullet | ProductKind::Revolving => 1.0,
    }
}

/// Checks one schedule; returns the first violation.
fn check_schedule(amortisation: Amortisation, r: f64, p: Cents, term: u16) -> Result<(), String> {
    let kind = ProductKind::from(amortisation);
    let s = schedule_of(amortisation, r, p, term);
    let case = format!("{amortisation:?} P {p} r {r:e} n {term}");
    if s.len() != term as usize {
        return Err(format!("{case}: {} payments", s.len()));
    }
    let repaid: Cents = s.iter().map(|x| x.principal).sum();
    if repaid != p {
        return Err(format!("{case}: principals sum to {repaid}"));
    }
    let a = annuity_payment(p, r, term as u32);
    let (mut balance, mut interest, mut closed_interest) = (p, 0, 0.0);
    for (k, pay) in s.iter().enumerate() {
        let month = format!("{case}, month {}", k + 1);
        if pay.principal < 0 || pay.interest < 0 {
            return Err(format!("{month}: negative payment {pay:?}"));
        }
        // Interest: the rate times the balance, to the cent. The engine books
        // the difference of the rounded cumulative closed form, so a month's
        // interest may differ from round(B r) by one cent (two roundings of
        // half a cent plus the rounding of B): the cumulative interest is
        // exact to the cent instead.
        let on_balance = (balance as f64 * r).round() as Cents;
        if (pay.interest - on_balance).abs() > 1 {
            return Err(format!(
                "{month}: interest {} vs round(B r) = {on_balance}",
                pay.interest
            ));
        }
        closed_interest += r * p as f64 * closed_form_fraction(kind, r, term as u32, k as u32);
        interest += pay.interest;
        if (interest as f64 - closed_interest).abs() > 1.0 {
            return Err(format!(
                "{month}: cumulative interest {interest} vs closed form {closed_interest}"
            ));
        }
        balance -= pay.principal;
        if balance < 0 {
            return Err(format!("{month}: balance {balance}"));
        }
        let closed = p as f64 * closed_form_fraction(kind, r, term as u32, k as u32 + 1);
        if (balance as f64 - closed).abs() > 1.0 {
            return Err(format!("{month}: balance {balance} vs closed form {closed}"));
        }
        // Equal installments: each payment is A = annuity_payment(P, r, n) up
        // to the four half-cent roundings of two balances and two cumulative
        // interests plus A's own (< 2.5 cents, so at most 2).
        if kind == ProductKind::EqualInstallment && (pay.principal + pay.interest - a).abs() > 2 {
            return Err(format!(
                "{month}: payment {} vs annuity {a}",
                pay.principal + pay.interest
            ));
        }
    }
    Ok(())
}

fn schedule_config() -> ProptestConfig {
    let mut config = ProptestConfig::with_cases(2_000);
    // Deterministic like the rest of the suite; the failing input is printed.
    config.rng_seed = RngSeed::Fixed(20_250_101);
    config.failure_persistence = None;
    config
}

proptest! {
    #![proptest_config(schedule_config())]

    #[test]
    fn schedules_repay_exactly_and_follow_the_closed_forms(
        p in 1i64..=1_000_000_000,
        r in prop_oneof![Just(0.0), 0.0..0.05f64],
        term in 1u16..=36,
    ) {
        for amortisation in [Amortisation::EqualInstallment, Amortisation::EqualPrincipal, Amortisation::Bullet] {
            if let Err(e) = check_schedule(amortisation, r, p, term) {
                prop_assert!(false, "{}", e);
            }
        }
    }
}

#[test]
fn tiny_positive_rates_follow_the_closed_forms() {
    // Rates far below any real price, but accepted by the scenario check
    // (pricing rates only need to be >= 0). 1e-17 is below 2^-53, where
    // 1 + r rounds to 1.
    let failures: Vec<String> = [1e-17, 1e-12, 1e-10, 1e-9, 1e-8, 1e-6]
        .into_iter()
        .flat_map(|r| [12, 36].map(|term| (r, term)))
        .filter_map(|(r, term)| check_schedule(Amortisation::EqualInstallment, r, 1_000_000_000, term).err())
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
