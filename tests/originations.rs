//! A going-concern book: loans originated during the run.
//!
//! - originations that book nothing leave every figure of the opening book
//!   bitwise as without them;
//! - the loans booked per month match the application flow times the
//!   approval probability within their interval, and a count without noise
//!   is exactly the documented mean;
//! - a vintage with a constant hazard h defaults 1 - (1 - h)^m by m months on book;
//! - common random numbers: a stricter cutoff books a subset of the same
//!   applicants, whose loans do exactly the same loan by loan;
//! - adverse selection raises the default rate of vintages booked in a downturn.

mod common;
use common::simulate;

use creditstress::engine::tables::build_path_tables;
use creditstress::engine::{PathOutcome, Prepared};
use creditstress::events::PathEvents;
use creditstress::loan::{BookFlow, PathTally, simulate_loan};
use creditstress::macro_paths::draw_factor_path;
use creditstress::originations::{applicant, applications, loan_keys};
use creditstress::scenario::{Scenario, parse_scenario};
use creditstress::stats::normal::norm_cdf;
use creditstress::stats::vintages::vintage_curves;

/// Two-sided normal quantile used against many cells at once (Bonferroni
/// over a few hundred comparisons at 5%).
const SIGMAS: f64 = 4.0;

/// A two-segment book with delinquency; `#originations` marks where the
/// first segment's `[segments.originations]` goes, `#policy` the policy.
const BOOK: &str = r#"schema_version = 1
name = "originations_book"
[run]
horizon_months = 12
seed = 99
[macro.noise]
phi = 0.7
[[segments]]
name = "mass"
loans = 800
score = { mean = 620, std = 70 }
income = { median_monthly = 5000, sigma = 0.5 }
pd = { model = "logistic", intercept = -2.3, slope_per_100 = -1.1 }
rho = 0.08
lgd = { mean = 0.7, std = 0.15 }
prepayment_monthly = 0.01
[segments.products]
revolving_share = 0.5
installment_terms = [3, 6]
revolving_draw_rate = 0.05
#originations
[[segments]]
name = "prime"
loans = 300
score = { mean = 720, std = 40 }
income = { median_monthly = 9000, sigma = 0.4 }
pd = { model = "constant", value = 0.01 }
rho = 0.04
lgd = { mean = 0.5, std = 0.2 }
#policy
"#;

fn scenario(originations: &str, policy: &str) -> Scenario {
    let text = BOOK.replace("#originations", originations).replace("#policy", policy);
    parse_scenario(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn flow(o: &PathOutcome) -> &BookFlow {
    o.tally.flow.as_deref().expect("a going-concern run keeps a book flow")
}

#[test]
fn originations_that_book_nothing_leave_the_opening_book_bitwise_unchanged() {
    let run_off = simulate(&scenario("", ""), 30);
    let none = simulate(&scenario("[segments.originations]\napplications_monthly = 0", ""), 30);
    {
        for (a, b) in run_off.iter().zip(&none) {
            assert!(a.tally.flow.is_none());
            assert_eq!(flow(b).total_loans(), 1100, "only the opening book");
            assert_eq!(a.exposure, b.exposure);
            assert_eq!(a.tally.loss.to_bits(), b.tally.loss.to_bits());
            assert_eq!(a.tally.defaults, b.tally.defaults);
            assert_eq!(a.tally.interest, b.tally.interest);
            assert_eq!(a.tally.ledger, b.tally.ledger);
            assert_eq!(a.tally.monthly_delinquent, b.tally.monthly_delinquent);
            assert_eq!(a.tally.segment_loss, b.tally.segment_loss);
            assert_eq!(a.factors, b.factors);
        }
    }
}

#[test]
fn the_book_at_month_end_adds_up_to_the_ledger() {
    let s = scenario("[segments.originations]\napplications_monthly = 60", "");
    for o in simulate(&s, 10) {
        let f = flow(&o);
        let horizon = s.horizon_months;
        // The balance on the book at the horizon is what the ledger leaves outstanding.
        assert_eq!(f.outstanding[horizon - 1], o.tally.ledger.outstanding);
        let l = o.tally.ledger;
        assert_eq!(l.originated, l.repaid + l.prepaid + l.charged_off + l.outstanding);
        // Accounts: booked = closed + still open at the horizon, so at most the booked ones.
        assert!(f.active_accounts[horizon - 1] as u64 <= f.total_loans());
        assert_eq!(o.exposure, f.total_balance() as f64 / 100.0);
        assert!(f.booked_loans[1..].iter().any(|&n| n > 0));
    }
}

#[test]
fn booked_loans_match_the_flow_times_the_approval_probability() {
    // Scores N(620, 70) truncated to 350-950; cutoff 600.
    let (mean, sd, cutoff) = (620.0, 70.0, 600.0);
    let cdf = |x: f64| norm_cdf((x - mean) / sd);
    let approval = (cdf(950.0) - cdf(cutoff)) / (cdf(950.0) - cdf(350.0));
    let lambda = 2000.0;
    let s = scenario(
        "[segments.originations]\napplications_monthly = 2000",
        "[policy]\nname = \"p\"\n[policy.approval]\nmin_score = 600",
    );
    let paths = 30;
    let out = simulate(&s, paths);
    let months = s.horizon_months - 1;
    let (mut all_apps, mut all_booked) = (0.0, 0.0);
    for t in 1..s.horizon_months {
        let apps: f64 = out.iter().map(|o| flow(o).applications[t] as f64).sum();
        let booked: f64 = out.iter().map(|o| flow(o).booked_loans[t] as f64).sum();
        // The count is Poisson(lambda) on each path.
        let se_count = (lambda / paths as f64).sqrt();
        assert!(
            (apps / paths as f64 - lambda).abs() < SIGMAS * se_count,
            "month {t}: {apps} applications"
        );
        // Applicants are keyed by (segment, month, index), not by path (the
        // same people apply on every path; only how many differs), so the
        // approval rate rests on about lambda distinct applicants a month.
        let se_rate = (approval * (1.0 - approval) / lambda).sqrt();
        assert!(
            (booked / apps - approval).abs() < SIGMAS * se_rate,
            "month {t}: approval {} against {approval} (+-{})",
            booked / apps,
            SIGMAS * se_rate
        );
        all_apps += apps;
        all_booked += booked;
    }
    let se_all = (approval * (1.0 - approval) / (lambda * months as f64)).sqrt();
    assert!((all_booked / all_apps - approval).abs() < SIGMAS * se_all);
    assert_eq!(flow(&out[0]).booked_loans[0] as u64, Prepared::new(&s).profile.loans);
}

#[test]
fn a_count_without_noise_is_the_documented_mean_volume() {
    let s = scenario(
        "[segments.originations]\napplications_monthly = 30\nvolume_sensitivity = -0.4\nvolume_cap_multiple = 1.5\nvolume_noise = \"none\"\nfirst_month = 3\nlast_month = 10",
        "",
    );
    let o = s.segments[0].originations.expect("the first segment originates");
    for out in simulate(&s, 20) {
        let f = flow(&out);
        for t in 0..s.horizon_months {
            // A one-factor model: the segment's factor is the factor itself.
            let z = out.factors[0][t];
            let expected = if (2..10).contains(&t) {
                (30.0 * (-0.4 * z).exp()).min(45.0).round() as u32
            } else {
                0
            };
            assert_eq!(f.applications[t], expected, "month {}", t + 1);
            if o.months().contains(&t) {
                assert_eq!(applications(&s, &o, 0, t, z, 1.0, out.index), expected);
            }
        }
    }
}

#[test]
fn a_vintage_with_a_constant_hazard_defaults_one_minus_survival() {
    // No buckets, one-month PD period and rho = 0: every current loan misses
    // (and is charged off) with probability h each month, whatever the factor.
    let h: f64 = 0.03;
    let text = format!(
        r#"schema_version = 1
name = "constant_hazard_vintages"
[run]
horizon_months = 12
seed = 5
vintage_months = 1
[macro.noise]
phi = 0.0
[dynamics]
delinquency = false
pd_period_months = 1
[[segments]]
name = "lines"
loans = 500
score = {{ mean = 650, std = 50 }}
income = {{ median_monthly = 5000, sigma = 0.5 }}
pd = {{ model = "constant", value = {h} }}
rho = 0.0
lgd = {{ mean = 0.6, std = 0.0 }}
[segments.products]
revolving_share = 1.0
[segments.originations]
applications_monthly = 200
"#
    );
    let s = parse_scenario(&text).unwrap();
    let paths = 200;
    let out = simulate(&s, paths);
    let horizon = s.horizon_months;
    let first = flow(&out[0]);
    for g in 0..first.vintages() {
        let months = first.vintage_months_of(g);
        let loans: f64 = out
            .iter()
            .map(|o| months.clone().map(|t| flow(o).booked_loans[t] as f64).sum::<f64>())
            .sum();
        let mut defaults = 0.0;
        for m in 0..horizon - (months.end - 1) {
            defaults += out
                .iter()
                .map(|o| flow(o).vintage_defaults[g * horizon + m] as f64)
                .sum::<f64>();
            let p = 1.0 - (1.0 - h).powi(m as i32 + 1);
            let rate = defaults / loans;
            let se = (p * (1.0 - p) / loans).sqrt();
            assert!(
                (rate - p).abs() < SIGMAS * se,
                "vintage {g}, {} months on book: {rate} against {p} (+-{})",
                m + 1,
                SIGMAS * se
            );
        }
    }
    // The reported curves say the same: the mean of the per-path rates.
    let curves = vintage_curves(&out);
    let last = curves
        .iter()
        .find(|v| v.vintage == "month 2" && v.months_on_book == 11)
        .unwrap();
    let p = 1.0 - (1.0 - h).powi(11);
    assert!((last.cumulative_default_rate.mean - p).abs() < 0.01, "{last:?}");
    assert_eq!(last.paths, paths as usize);
}

#[test]
fn a_stricter_cutoff_books_a_subset_of_the_same_applicants_with_the_same_draws() {
    let originations = "[segments.originations]\napplications_monthly = 25\nscore_shift_per_sd = 10";
    let loose = scenario(
        originations,
        "[policy]\nname = \"loose\"\n[policy.approval]\nmin_score = 560",
    );
    let strict = scenario(
        originations,
        "[policy]\nname = \"strict\"\n[policy.approval]\nmin_score = 640",
    );
    let (pl, ps) = (Prepared::new(&loose), Prepared::new(&strict));
    let (mut common, mut only_loose) = (0, 0);
    for path in 0..4u64 {
        let factors = draw_factor_path(&loose.macro_model, loose.horizon_months, loose.seed, path);
        let tl = build_path_tables(&pl, &factors, path, None, &PathEvents::default());
        let ts = build_path_tables(&ps, &factors, path, None, &PathEvents::default());
        let o = loose.segments[0].originations.unwrap();
        let z = factors.combine(&loose.segments[0].factor_weights);
        for month in o.months() {
            let n = applications(&loose, &o, 0, month, z[month], 1.0, path);
            assert_eq!(
                n,
                applications(&strict, &o, 0, month, z[month], 1.0, path),
                "the same flow"
            );
            let keys = loan_keys(&loose, 0, month, path);
            assert_eq!(keys, loan_keys(&strict, 0, month, path));
            for i in 0..n {
                let a = applicant(&loose, &pl.grades, &pl.model.schedules, &o, 0, month, i, z[month], path);
                let b = applicant(
                    &strict,
                    &ps.grades,
                    &ps.model.schedules,
                    &o,
                    0,
                    month,
                    i,
                    z[month],
                    path,
                );
                assert_eq!((a.loan, a.score), (b.loan, b.score), "the same applicant");
                assert!(!b.approved || a.approved, "strict approves only what loose approves");
                if b.approved {
                    common += 1;
                    let run = |p: &Prepared, t| {
                        let mut tally = PathTally::new(2, loose.bands.len(), loose.horizon_months);
                        simulate_loan(&a.loan, month, &p.model, t, &keys, &mut tally);
                        tally
                    };
                    assert_eq!(run(&pl, &tl), run(&ps, &ts), "the same loan path");
                } else if a.approved {
                    only_loose += 1;
                }
            }
        }
    }
    assert!(
        common > 100 && only_loose > 100,
        "{common} common, {only_loose} only loose"
    );
    // Whole paths: every month books at most what the loose policy books.
    for (a, b) in simulate(&loose, 20).iter().zip(&simulate(&strict, 20)) {
        assert_eq!(flow(a).applications, flow(b).applications);
        for t in 1..loose.horizon_months {
            assert!(flow(b).booked_loans[t] <= flow(a).booked_loans[t]);
        }
    }
}

#[test]
fn adverse_selection_raises_the_default_rate_of_downturn_vintages() {
    let downturn = "[macro.deterministic]\nnational = [0.0, -1.5, -2.0, -2.0, -1.5, -1.0]";
    let with = |shift: f64| {
        let text = BOOK
            .replace(
                "#originations",
                &format!("[segments.originations]\napplications_monthly = 80\nscore_shift_per_sd = {shift}"),
            )
            .replace("#policy", "")
            .replace("[macro.noise]", &format!("{downturn}\n[macro.noise]"));
        parse_scenario(&text).unwrap()
    };
    let (plain, adverse) = (simulate(&with(0.0), 100), simulate(&with(20.0), 100));
    // Vintage 1 (months 2-4) is booked in the downturn: the adverse
    // applicants score lower, so more of its loans default, path by path.
    let rate = |o: &PathOutcome| {
        let f = flow(o);
        let booked: u32 = f.booked_loans[1..4].iter().sum();
        f.vintage_defaults[f.horizon..2 * f.horizon].iter().sum::<u32>() as f64 / booked as f64
    };
    let diffs: Vec<f64> = adverse.iter().zip(&plain).map(|(a, b)| rate(a) - rate(b)).collect();
    let n = diffs.len() as f64;
    let mean = diffs.iter().sum::<f64>() / n;
    let sd = (diffs.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    assert!(
        mean > 3.29 * sd / n.sqrt(),
        "mean difference {mean}, se {}",
        sd / n.sqrt()
    );
}

#[test]
fn limit_increases_raise_exposure_within_the_cap_and_probability_zero_is_no_lever() {
    let lever = |p: f64| {
        format!(
            "[policy]\nname = \"raise\"\n[policy.limit_increase]\nafter_months_current = 3\nprobability = {p}\nincrease_share = 0.5\nmax_increases = 2\n[policy.limits]\ncap = 30000"
        )
    };
    let none = simulate(
        &scenario("", "[policy]\nname = \"raise\"\n[policy.limits]\ncap = 30000"),
        40,
    );
    let zero = simulate(&scenario("", &lever(0.0)), 40);
    for (a, b) in none.iter().zip(&zero) {
        assert_eq!(a, b, "probability 0 is no lever, bitwise");
    }
    let raised = simulate(&scenario("", &lever(0.8)), 40);
    let mut more_drawn = 0;
    for (a, b) in none.iter().zip(&raised) {
        assert_eq!(a.tally.limit_raised, 0);
        assert!(b.tally.limit_raised > 0, "path {}: no raise", b.index);
        // Conservation still holds, and raised room is drawn.
        let l = b.tally.ledger;
        assert_eq!(l.originated, l.repaid + l.prepaid + l.charged_off + l.outstanding);
        more_drawn += usize::from(b.tally.ledger.originated > a.tally.ledger.originated);
    }
    assert_eq!(more_drawn, 40, "every path draws more on raised lines");
    // At most two raises of 50% per line, within the 30,000 cap: the most a
    // line can gain is 30,000 less its booked limit, and 125% of it at most.
    let s = scenario("", &lever(0.8));
    let p = Prepared::new(&s);
    let book = p.book.as_ref().unwrap();
    let room: i64 = book
        .loans
        .iter()
        .filter(|l| l.kind == creditstress::population::ProductKind::Revolving)
        .map(|l| (3_000_000 - l.limit).min(l.limit + l.limit / 4).max(0))
        .sum();
    assert!(raised.iter().all(|o| o.tally.limit_raised <= room));
}

/// A book of 3-month installment loans that never default or prepay, over 12 months.
fn renewing_book(probability: f64) -> Scenario {
    let text = format!(
        r#"schema_version = 1
name = "renewals"
[run]
horizon_months = 12
seed = 8
[dynamics]
delinquency = false
[[segments]]
name = "quarterly"
loans = 400
score = {{ mean = 650, std = 50 }}
income = {{ median_monthly = 5000, sigma = 0.5 }}
pd = {{ model = "constant", value = 0.000001 }}
rho = 0.0
lgd = {{ mean = 0.6, std = 0.0 }}
[segments.products]
revolving_share = 0.0
installment_terms = [3]
[segments.originations]
applications_monthly = 0
renewal_probability = {probability}
"#
    );
    parse_scenario(&text).unwrap()
}

#[test]
fn repaid_borrowers_renew_with_their_probability_and_zero_is_no_renewal() {
    // Without renewals nothing is booked after month 1.
    let none = simulate(&renewing_book(0.0), 5);
    for o in &none {
        assert_eq!(flow(o).renewed_loans, vec![0; 12]);
        assert_eq!(flow(o).total_loans(), 400);
    }
    // Every borrower renews: the book rolls over at months 4, 7 and 10
    // (the month after each last payment); a loan maturing at the horizon cannot.
    for o in &simulate(&renewing_book(1.0), 5) {
        let f = flow(o);
        let mut expected = vec![0u32; 12];
        for m in [3, 6, 9] {
            expected[m] = 400;
        }
        assert_eq!(f.renewed_loans, expected, "path {}", o.index);
        assert_eq!(f.booked_loans[3..], expected[3..]);
        assert_eq!(f.total_loans(), 1600);
        // At the end of a maturity month the old loans are repaid and the
        // renewals not yet booked (they start the next month).
        let active: Vec<u32> = (0..12).map(|t| if t % 3 == 2 { 0 } else { 400 }).collect();
        assert_eq!(f.active_accounts, active);
    }
    // Half renew, draw by draw: a binomial chain 400 -> ~200 -> ~100 -> ~50.
    let paths = 200;
    let out = simulate(&renewing_book(0.5), paths);
    let mean = |m: usize| out.iter().map(|o| flow(o).renewed_loans[m] as f64).sum::<f64>() / paths as f64;
    for (m, k) in [(3usize, 1), (6, 2), (9, 3)] {
        let p = 0.5f64.powi(k);
        let expected = 400.0 * p;
        let se = (400.0 * p * (1.0 - p) / paths as f64).sqrt();
        assert!(
            (mean(m) - expected).abs() < SIGMAS * se,
            "month {}: {} renewals, expected {expected}",
            m + 1,
            mean(m)
        );
    }
}
