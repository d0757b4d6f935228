//! The monthly P&L of `[economics]`: every line reconciles to the cent with
//! the loan tape of the same path (interest, fees, funding on the balance at
//! the start of each month, operating and collection cost), the months and
//! the segments add up to the same totals, net income is income less costs,
//! joint lending shares as documented, funding shocks and the factor move
//! only the funding line, and adding `[economics]` changes no loss.

use creditstress::accounting::{LINES, PnlLines};
use creditstress::engine::{Prepared, RunControl};
use creditstress::loan::tape::TapeState;
use creditstress::population::{Cents, to_cents};
use creditstress::scenario::{parse_policy_file, parse_scenario};
use creditstress::stats::RunSummary;
use creditstress::stats::compare::{PolicySample, compare_policies};

/// One segment of installment loans on the full delinquency machinery, with
/// penalty interest, standard collections and a recession path, so that
/// cures, charge-offs and recoveries all happen within 12 months.
fn book(economics: &str) -> String {
    format!(
        r#"
schema_version = 1
name = "economics"
[run]
horizon_months = 12
paths = 200
seed = 17
[macro]
factors = ["national"]
[macro.noise]
phi = 0.7
sigma = 0.4
[macro.deterministic]
national = [0.0, -0.5, -1.0, -1.5, -1.5, -1.0, -0.5, 0.0, 0.0, 0.0, 0.0, 0.0]
[dynamics]
pd_period_months = 12
delinquency = true
roll_rates = [0.45, 0.70, 0.90]
cure_rates = [0.40, 0.15, 0.05]
penalty_rate_monthly = 0.01
recovery_lag_months = 2
[[segments]]
name = "loans"
loans = 3000
score = {{ mean = 620, std = 60 }}
income = {{ median_monthly = 5000, sigma = 0.5 }}
pd = {{ model = "constant", value = 0.12 }}
rho = 0.1
lgd = {{ mean = 0.6, std = 0.15 }}
fraud_share = 0.0
prepayment_monthly = 0.01
[segments.products]
revolving_share = 0.3
installment_terms = [3, 6, 12]
utilisation = {{ mean = 0.5, std = 0.2 }}
revolving_repay_rate = 0.1
revolving_draw_rate = 0.05
[segments.limit]
min = 1000.0
cap = 20000.0
rounding = 100.0
[policy]
name = "collect"
[policy.collections]
strategy = "standard"
{economics}
"#
    )
}

const OWN_FUNDS: &str = r#"
[economics]
late_fee = 12.5
operating_cost_per_account_month = 1.25
[economics.funding]
cost_of_funds_annual = 0.06
"#;

fn parse(text: &str) -> creditstress::scenario::Scenario {
    parse_scenario(text).unwrap_or_else(|e| panic!("valid scenario: {e}"))
}

#[test]
fn every_line_reconciles_to_the_cent_with_the_loan_tape() {
    let s = parse(&book(OWN_FUNDS));
    let economics = s.file.economics.clone().expect("[economics]");
    let collection_cost = s.policy.collections.expect("collections").cost_per_account_month;
    let prepared = Prepared::new(&s);
    let horizon = s.horizon_months;
    let (mut cures, mut charge_offs) = (0, 0);
    for index in 0..4 {
        let (outcome, book, _) = prepared.simulate_path_with_tape(index);
        let tape = outcome.tally.tape.as_deref().expect("a tape");
        let pnl = outcome.pnl.as_deref().expect("a P&L with [economics]");
        // The month-end book and the cash of each month, from the tape alone.
        let active = |st: TapeState| {
            matches!(
                st,
                TapeState::Current | TapeState::Dpd30 | TapeState::Dpd60 | TapeState::Dpd90 | TapeState::Plan
            )
        };
        let delinquent = |st: TapeState| matches!(st, TapeState::Dpd30 | TapeState::Dpd60 | TapeState::Dpd90);
        let mut balance_end = vec![0 as Cents; horizon];
        let mut accounts_end = vec![0u64; horizon];
        let mut delinquent_end = vec![0u64; horizon];
        let mut cash_interest = vec![0 as Cents; horizon];
        for row in &tape.rows {
            let t = row.month as usize - 1;
            cash_interest[t] += row.interest_paid;
            if active(row.state) {
                balance_end[t] += row.balance;
                accounts_end[t] += 1;
            }
            if delinquent(row.state) {
                delinquent_end[t] += 1;
            }
        }
        // Late fees: one per delinquent month of every spell that ended in a cure.
        let mut fee_months = vec![0i64; horizon];
        let mut rows_by_loan: std::collections::BTreeMap<u32, Vec<_>> = Default::default();
        for row in &tape.rows {
            rows_by_loan.entry(row.loan).or_default().push(row);
        }
        for rows in rows_by_loan.values() {
            let mut spell = 0;
            for row in rows {
                if delinquent(row.state) {
                    spell += 1;
                } else {
                    if spell > 0 && row.state == TapeState::Current {
                        fee_months[row.month as usize - 1] += spell;
                        cures += 1;
                    }
                    spell = 0;
                }
                charge_offs += usize::from(row.state == TapeState::ChargedOff);
            }
        }
        let opening: Cents = book.loans.iter().map(|l| l.balance).sum();
        let rate = economics.funding.cost_of_funds_annual / 12.0;
        for t in 0..horizon {
            let m = &pnl.monthly[t];
            let (balance_start, accounts_start) = if t == 0 {
                (opening, book.loans.len() as u64)
            } else {
                (balance_end[t - 1], accounts_end[t - 1])
            };
            assert_eq!(
                m.interest + m.penalty_interest,
                cash_interest[t],
                "path {index} month {t}: interest"
            );
            assert_eq!(
                m.funding_cost,
                (balance_start as f64 * rate).round() as Cents,
                "month {t}: funding"
            );
            assert_eq!(
                m.operating_cost,
                (100.0 * economics.operating_cost_per_account_month * accounts_start as f64).round() as Cents,
                "month {t}: operating cost"
            );
            assert_eq!(
                m.collection_cost,
                (100.0 * collection_cost * delinquent_end[t] as f64).round() as Cents,
                "month {t}: collection cost"
            );
            assert_eq!(
                m.late_fees,
                fee_months[t] * to_cents(economics.late_fee),
                "month {t}: late fees"
            );
            assert_eq!(m.origination_fees, 0, "nothing is booked during the run");
            assert_eq!(m.partner_share, 0, "no partners");
        }
        // Totals: to the cent against the path's own tally.
        let total = pnl.total();
        assert_eq!(total.interest + total.penalty_interest, outcome.tally.interest);
        assert_eq!(
            total.penalty_interest, outcome.tally.penalty_interest,
            "path {index}: the P&L's penalty is the tally's"
        );
        let rounding = 0.005 * horizon as f64 + 1e-6;
        assert!((total.credit_loss as f64 / 100.0 - outcome.tally.loss).abs() <= rounding);
        assert!((total.recovery_cost as f64 / 100.0 - outcome.tally.recovery_cost).abs() <= rounding);
        assert!((total.collection_cost as f64 / 100.0 - outcome.tally.collection_cost).abs() <= rounding);
        assert_eq!(balance_end[horizon - 1], outcome.tally.ledger.outstanding);
        // Net income is income less costs, month by month and in total, and
        // the segments add up to the months exactly.
        let by_hand: Cents = total.values().iter().zip(&LINES).map(|(v, l)| l.sign * v).sum();
        assert_eq!(
            total.net_income(),
            total.interest + total.penalty_interest + total.late_fees + total.origination_fees
                - total.funding_cost
                - total.operating_cost
                - total.collection_cost
                - total.recovery_cost
                - total.credit_loss
                - total.partner_share
        );
        assert_eq!(total.net_income(), by_hand);
        assert_eq!(PnlLines::sum(&pnl.segments), total);
        assert_eq!(
            pnl.monthly.iter().map(PnlLines::net_income).sum::<Cents>(),
            total.net_income()
        );
    }
    assert!(
        cures > 20 && charge_offs > 20,
        "the example exercises cures ({cures}) and charge-offs ({charge_offs})"
    );
}

#[test]
fn adding_economics_changes_no_loss_and_its_net_income_extends_the_credit_one() {
    let plain = parse(&book(""));
    let with = parse(&book(OWN_FUNDS));
    let (_, a) = creditstress::engine::run(&plain, RunControl::default()).expect("runs");
    let (prepared, b) = creditstress::engine::run(&with, RunControl::default()).expect("runs");
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert!(x.pnl.is_none());
        assert_eq!(x.tally, y.tally, "path {}: the loans did the same", x.index);
        assert_eq!(x.factors, y.factors);
    }
    // With no fees, funding or operating cost the P&L's net income is the
    // credit net income to within the rounding of its cells.
    let bare = parse(&book("[economics]\n"));
    let (_, c) = creditstress::engine::run(&bare, RunControl::default()).expect("runs");
    for (x, z) in a.iter().zip(&c) {
        let net = z.pnl_net_income().expect("a P&L");
        assert!((net - x.tally.net_income()).abs() <= 0.015 * 12.0, "path {}", x.index);
    }
    let summary = RunSummary::new(&with, &prepared.profile, &b);
    let e = summary.economics.expect("economics in the summary");
    assert_eq!(e.lines.len(), LINES.len());
    let mean_of_lines: f64 = e.lines.iter().map(|l| l.sign as f64 * l.total.mean).sum();
    assert!((mean_of_lines - e.net_income.mean).abs() < 1e-6 * e.net_income.mean.abs().max(1.0));
    assert!(e.line_mean("funding_cost") > 0.0 && e.line_mean("late_fees") > 0.0);
    assert!(RunSummary::new(&plain, &prepared.profile, &a).economics.is_none());
}

#[test]
fn pro_rata_partners_take_their_share_of_interest_fees_and_loss_less_the_service_fee() {
    let terms = |own: f64| {
        format!(
            "[economics]\nlate_fee = 10.0\n[economics.funding]\ncost_of_funds_annual = 0.05\nown_share = {own:?}\n\
             partner_terms = \"pro_rata\"\nservice_fee_share = 0.2\n"
        )
    };
    let alone = parse(&book(&terms(1.0)));
    let joint = parse(&book(&terms(0.3)));
    let (_, a) = creditstress::engine::run(&alone, RunControl::default()).expect("runs");
    let (_, b) = creditstress::engine::run(&joint, RunControl::default()).expect("runs");
    for (x, y) in a.iter().zip(&b) {
        let (pa, pb) = (x.pnl.as_deref().expect("P&L"), y.pnl.as_deref().expect("P&L"));
        for (ma, mb) in pa.monthly.iter().zip(&pb.monthly) {
            assert_eq!(ma.partner_share, 0, "alone: no partners");
            assert_eq!(ma.interest, mb.interest, "the loans are the same");
            // Own funds pay on 30% of the balance only.
            assert!((mb.funding_cost as f64 - 0.3 * ma.funding_cost as f64).abs() <= 1.0);
            let taken = 0.7 * (mb.interest + mb.penalty_interest + mb.late_fees) as f64;
            let borne = 0.7 * mb.credit_loss as f64;
            let fee = 0.2 * 0.7 * (mb.interest + mb.penalty_interest) as f64;
            assert!((mb.partner_share as f64 - (taken - borne - fee)).abs() <= 1.5);
        }
    }
}

#[test]
fn a_funding_shock_and_the_factor_move_the_funding_line_and_nothing_else() {
    let shocked_terms = format!(
        "{OWN_FUNDS}\n[[events]]\nname = \"funding_squeeze\"\nkind = \"funding_shock\"\nmonth = 4\nprobability = 1.0\n\
         duration_months = 3\nfunding_cost_jump_annual = 0.03\n"
    );
    let sensitive_terms = OWN_FUNDS.replace(
        "cost_of_funds_annual = 0.06",
        "cost_of_funds_annual = 0.06\nfactor_sensitivity_annual = 0.02",
    );
    let base = parse(&book(OWN_FUNDS));
    let shocked = parse(&book(&shocked_terms));
    let sensitive = parse(&book(&sensitive_terms));
    let (_, a) = creditstress::engine::run(&base, RunControl::default()).expect("runs");
    let (_, b) = creditstress::engine::run(&shocked, RunControl::default()).expect("runs");
    let (_, c) = creditstress::engine::run(&sensitive, RunControl::default()).expect("runs");
    for ((x, y), z) in a.iter().zip(&b).zip(&c) {
        assert_eq!(x.tally.loss, y.tally.loss, "a funding shock moves no loss");
        let (px, py, pz) = (
            x.pnl.as_deref().unwrap(),
            y.pnl.as_deref().unwrap(),
            z.pnl.as_deref().unwrap(),
        );
        for t in 0..12 {
            let (mx, my, mz) = (px.monthly[t], py.monthly[t], pz.monthly[t]);
            let in_shock = (3..6).contains(&t);
            // Both sides are rounded to the cent: the base's half cent scales with the ratio.
            let ratio = if in_shock { 0.09 / 0.06 } else { 1.0 };
            let expected = mx.funding_cost as f64 * ratio;
            assert!(
                (my.funding_cost as f64 - expected).abs() <= 0.5 * (ratio + 1.0) + 1e-9,
                "month {t}"
            );
            let mut same = my;
            same.funding_cost = mx.funding_cost;
            assert_eq!(same, mx, "month {t}: only funding moves");
            // The rate rises by 2 points per SD the factor falls (floored at 0).
            let z_t = x.factors[0][t];
            let rate = (0.06 - 0.02 * z_t).max(0.0);
            let ratio = rate / 0.06;
            let expected = mx.funding_cost as f64 * ratio;
            assert!(
                (mz.funding_cost as f64 - expected).abs() <= 0.5 * (ratio + 1.0) + 1e-9,
                "month {t}: factor {z_t}: {} vs {expected} (base {})",
                mz.funding_cost,
                mx.funding_cost
            );
        }
    }
}

#[test]
fn economics_terms_out_of_range_are_refused_by_name() {
    for (terms, field) in [
        (
            "[economics]\norigination_fee_share = 1.5\n",
            "economics.origination_fee_share",
        ),
        ("[economics]\nlate_fee = -1.0\n", "economics.late_fee"),
        (
            "[economics]\noperating_cost_per_account_month = 1e300\n",
            "economics.operating_cost_per_account_month",
        ),
        ("[economics.funding]\nown_share = 0.0\n", "economics.funding.own_share"),
        (
            "[economics.funding]\ncost_of_funds_annual = nan\n",
            "economics.funding.cost_of_funds_annual",
        ),
        ("[economics.funding]\npartner_terms = \"equity\"\n", "partner_terms"),
        ("[economics]\nfee = 1.0\n", "fee"),
    ] {
        let e = parse_scenario(&book(terms)).expect_err(terms).to_string();
        assert!(e.contains(field), "{terms}: {e}");
    }
}

/// The per-path figures `compare` pairs, as the CLI builds them.
fn sample(name: &str, paths: &[creditstress::engine::PathOutcome], loans: u64) -> PolicySample {
    PolicySample {
        name: name.into(),
        loans,
        loss: paths.iter().map(|p| p.tally.loss).collect(),
        default_rate: paths.iter().map(|p| p.tally.defaults as f64 / loans as f64).collect(),
        interest: paths
            .iter()
            .map(|p| creditstress::population::cents_to_money(p.tally.interest))
            .collect(),
        net_income: paths.iter().map(|p| p.tally.net_income()).collect(),
        pnl_net_income: paths.iter().map(|p| p.pnl_net_income()).collect(),
    }
}

#[test]
fn paired_intervals_of_p_and_l_net_income_and_risk_adjusted_return_are_narrower_than_unpaired() {
    let base = parse(&book(OWN_FUNDS));
    let tight = base
        .clone()
        .with_policy(
            parse_policy_file(
                "name = \"tight\"\n[approval]\nmin_score = 600\n[collections]\nstrategy = \"standard\"\n",
            )
            .expect("a policy"),
        )
        .expect("applies");
    let (pa, a) = creditstress::engine::run(&base, RunControl::default()).expect("runs");
    let (pb, b) = creditstress::engine::run(&tight, RunControl::default()).expect("runs");
    let samples = [
        sample("collect", &a, pa.profile.loans),
        sample("tight", &b, pb.profile.loans),
    ];
    let c = compare_policies("economics", 17, &samples, &[0.99]);
    let basis = &c.risk_adjusted_return_basis;
    assert!(basis.contains("ES - EL") && basis.contains("[economics]"), "{basis}");
    for p in &c.policies {
        let e = p.pnl_net_income.expect("the P&L's net income");
        let es = p.es["0.99"];
        let el = p.el.value;
        assert!(
            (p.risk_adjusted_return - e.value / (es - el)).abs() < 1e-12,
            "{}",
            p.name
        );
    }
    let rows = &c.versus_baseline[0].differences;
    for metric in ["pnl_net_income", "risk_adjusted_return_0.99"] {
        let d = rows
            .iter()
            .find(|d| d.metric == metric)
            .unwrap_or_else(|| panic!("a {metric} row"));
        assert!(
            d.width_ratio < 1.0,
            "{metric}: paired interval {:?} not narrower than unpaired {:?}",
            d.paired.ci,
            d.unpaired_ci
        );
    }
}
