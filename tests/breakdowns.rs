//! The segment × score band grid, the per-segment monthly series and the
//! roll-rate table of summary.json and timeseries.csv: statistically against
//! the rates the scenario sets, and exactly against the figures they break
//! down.

mod common;

use common::TWO_SEGMENT_BOOK;
use creditstress::engine::{EngineChoice, PathOutcome, Prepared, RunControl};
use creditstress::stats::{RunSummary, Timeseries};

const ROLL: [f64; 3] = [0.4, 0.6, 0.8];
const CURE: [f64; 3] = [0.3, 0.2, 0.1];

/// The two-segment book without fraud, with roll and cure rates that do not
/// move with the factor: every account-month in bucket k rolls with
/// probability ROLL[k] and cures with CURE[k], independently.
fn fixed_rate_book(roll: [f64; 3]) -> creditstress::scenario::Scenario {
    let dynamics = format!(
        "delinquency = true\nroll_rates = {roll:?}\ncure_rates = {CURE:?}\nroll_sensitivity = 0.0\ncure_sensitivity = 0.0\n"
    );
    let text = TWO_SEGMENT_BOOK
        .replace("fraud_share = 0.003", "fraud_share = 0.0")
        .replace("#dynamics", &dynamics);
    creditstress::scenario::parse_scenario(&text).expect("the test scenario parses")
}

fn run(s: &creditstress::scenario::Scenario, paths: u64) -> (Prepared<'_>, Vec<PathOutcome>) {
    let prepared = Prepared::with_engine(s, EngineChoice::Auto).expect("engine");
    let outcomes = prepared
        .simulate_paths(0..paths, RunControl::default())
        .expect("not cancelled");
    (prepared, outcomes)
}

/// Each bucket's roll, cure and stay rates match the scenario's within 4
/// standard errors (the interval's half-width / 1.96), and the intervals are
/// narrow enough to tell the rates from ones 10% higher (a power guard).
#[test]
fn roll_rates_recover_the_scenarios_fixed_rates() {
    let s = fixed_rate_book(ROLL);
    let (prepared, paths) = run(&s, 400);
    let summary = RunSummary::new(&s, &prepared.profile, &paths);
    let rolls = summary
        .roll_rates
        .expect("a run with delinquency buckets has a roll-rate table");
    assert_eq!(rolls.buckets.len(), 3);
    assert!(rolls.entered > 0.0);
    for (k, b) in rolls.buckets.iter().enumerate() {
        assert!(
            b.account_months > 50.0,
            "bucket {k}: too few account-months for the test"
        );
        for (what, e, truth) in [
            ("roll", b.roll_rate, ROLL[k]),
            ("cure", b.cure_rate, CURE[k]),
            ("stay", b.stay_rate, 1.0 - ROLL[k] - CURE[k]),
        ] {
            let se = (e.ci[1] - e.ci[0]) / (2.0 * 1.96);
            assert!(se > 0.0, "bucket {k} {what}: a zero-width interval");
            assert!(
                (e.value - truth).abs() < 4.0 * se,
                "bucket {k} {what}: {} vs {truth} (se {se})",
                e.value
            );
            assert!(e.ci[0] <= e.value && e.value <= e.ci[1]);
            assert!(
                4.0 * se < 0.1 * truth,
                "bucket {k} {what}: se {se} cannot tell {truth} from 1.1x"
            );
        }
        let sum = b.roll_rate.value + b.cure_rate.value + b.stay_rate.value;
        assert!((sum - 1.0).abs() < 1e-12, "bucket {k}: the moves add up to {sum}");
    }
    assert_eq!(rolls.buckets[2].rolls_to, "charged off");
    // Without fraud or buckets skipped, every charge-off comes through the buckets.
    let defaults: f64 = paths.iter().map(|p| p.tally.defaults as f64).sum::<f64>() / paths.len() as f64;
    assert!((rolls.charged_off_through_buckets - defaults).abs() < 1e-9 * defaults.max(1.0));
}

/// A higher roll rate out of 60 dpd shows in that bucket's estimate (and
/// the others stay where they are): the table tracks the model, not a constant.
#[test]
fn a_higher_roll_rate_moves_its_own_bucket() {
    let mut roll = ROLL;
    roll[1] = 0.75;
    let s = fixed_rate_book(roll);
    let (prepared, paths) = run(&s, 200);
    let rolls = RunSummary::new(&s, &prepared.profile, &paths)
        .roll_rates
        .expect("rolls");
    let e = rolls.buckets[1].roll_rate;
    assert!(e.ci[0] > ROLL[1], "60 dpd roll {e:?} should exceed {}", ROLL[1]);
    assert!(e.ci[0] <= 0.75 && 0.75 <= e.ci[1] + 0.02, "{e:?}");
}

/// Without delinquency buckets there is no roll-rate table.
#[test]
fn no_buckets_no_roll_rates() {
    let text = TWO_SEGMENT_BOOK.replace("#dynamics", "delinquency = false\n");
    let s = creditstress::scenario::parse_scenario(&text).expect("parses");
    let (prepared, paths) = run(&s, 20);
    assert!(RunSummary::new(&s, &prepared.profile, &paths).roll_rates.is_none());
}

/// The grid's cells add up to the segment and band figures, and the
/// per-segment series of timeseries.csv end where the segment's loss rate
/// is and add up to its default rate (a run-off book: one base per segment).
#[test]
fn the_grid_and_the_segment_series_add_up_to_the_segment_figures() {
    let s = fixed_rate_book(ROLL);
    let (prepared, paths) = run(&s, 60);
    let summary = RunSummary::new(&s, &prepared.profile, &paths);
    let grid = summary.segment_bands.as_ref().expect("a grid");
    assert_eq!(grid.segments, ["mass", "prime"]);
    assert_eq!(grid.bands.len(), summary.score_bands.len());
    for (s_index, name) in grid.segments.iter().enumerate() {
        let seg = &summary.segments[name];
        let loans: f64 = grid.loans[s_index].iter().sum();
        assert_eq!(loans, seg.loans as f64, "{name}: the cells' loans");
        let charge_offs: f64 = grid.charge_offs[s_index].iter().sum();
        let rate = charge_offs / loans;
        assert!(
            (rate - seg.default_rate.mean).abs() <= 1e-12 * rate.max(1e-300),
            "{name}: cells {rate} vs segment {}",
            seg.default_rate.mean
        );
        for (b, (&d, &n)) in grid.charge_offs[s_index].iter().zip(&grid.loans[s_index]).enumerate() {
            let expect = if n > 0.0 { d / n } else { 0.0 };
            assert_eq!(grid.default_rate[s_index][b], expect);
        }
    }
    for (b, band) in summary.score_bands.iter().enumerate() {
        let loans: f64 = grid.loans.iter().map(|row| row[b]).sum();
        assert_eq!(loans, band.loans as f64, "band {b}: the cells' loans");
    }

    let series = Timeseries::new(&s, &prepared.profile, &paths);
    for name in &grid.segments {
        let seg = &summary.segments[name];
        let loss = series
            .series(&format!("segment_{name}_cumulative_loss_rate"))
            .expect("a cumulative loss rate per segment");
        let last = loss.last().expect("months").mean;
        assert!(
            (last - seg.loss_rate.mean).abs() <= 1e-12 * seg.loss_rate.mean,
            "{name}: the series ends at {last}, the segment's loss rate is {}",
            seg.loss_rate.mean
        );
        assert!(
            loss.windows(2).all(|w| w[1].mean >= w[0].mean),
            "{name}: a cumulative rate falls"
        );
        let defaults: f64 = series
            .series(&format!("segment_{name}_default_rate"))
            .expect("a default rate per segment")
            .iter()
            .map(|b| b.mean)
            .sum();
        assert!(
            (defaults - seg.default_rate.mean).abs() <= 1e-12 * seg.default_rate.mean,
            "{name}: monthly default rates sum to {defaults}, the segment's is {}",
            seg.default_rate.mean
        );
    }
}

/// On a going-concern book the per-segment series use the segment's
/// bookings up to each month, as the portfolio's series do: on one path
/// (where each band is the path's value) the segments' rates times their
/// bases add up to the portfolio's rate times its base, month by month.
#[test]
fn segment_series_use_the_bookings_up_to_the_month_on_a_going_concern_book() {
    let text = std::fs::read_to_string(common::repo_file("scenarios/going_concern.toml")).expect("bundled");
    let s = creditstress::scenario::parse_scenario(&text).expect("parses");
    let (prepared, paths) = run(&s, 1);
    let flow = paths[0].tally.flow.as_deref().expect("a going-concern book has a flow");
    let series = Timeseries::new(&s, &prepared.profile, &paths);
    let h = s.horizon_months;
    let portfolio_defaults = series.series("default_rate").expect("portfolio");
    let portfolio_loss = series.series("cumulative_loss_rate").expect("portfolio");
    let segments: Vec<_> = s
        .segments
        .iter()
        .map(|seg| {
            (
                series
                    .series(&format!("segment_{}_default_rate", seg.name))
                    .expect("segment"),
                series
                    .series(&format!("segment_{}_cumulative_loss_rate", seg.name))
                    .expect("segment"),
            )
        })
        .collect();
    let (mut loans, mut cents) = (vec![0u64; segments.len()], vec![0i64; segments.len()]);
    let mut booked_balances = 0.0;
    for t in 0..h {
        let (mut defaults, mut loss) = (0.0, 0.0);
        for (k, (d, l)) in segments.iter().enumerate() {
            loans[k] += flow.segment_booked_loans[k * h + t] as u64;
            cents[k] += flow.segment_booked_balance[k * h + t];
            defaults += d[t].mean * loans[k].max(1) as f64;
            loss += l[t].mean * cents[k] as f64 / 100.0;
        }
        let all_loans: u64 = loans.iter().sum();
        booked_balances = cents.iter().sum::<i64>() as f64 / 100.0;
        let expect_defaults = portfolio_defaults[t].mean * all_loans.max(1) as f64;
        let expect_loss = portfolio_loss[t].mean * booked_balances;
        assert!(
            (defaults - expect_defaults).abs() <= 1e-9 * expect_defaults.max(1.0),
            "month {t}: charge-offs"
        );
        assert!(
            (loss - expect_loss).abs() <= 1e-9 * expect_loss.max(1.0),
            "month {t}: loss"
        );
    }
    assert!(booked_balances > 0.0);
    assert!(portfolio_loss[h - 1].mean > 0.0, "no loss: the check is vacuous");
}
