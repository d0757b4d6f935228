//! `creditstress check`: analytic validations a user can run anywhere in
//! seconds. Each check compares the program with a published table or an
//! exact result, and passes when the exact value lies inside the stated
//! tolerance or interval. Pure: the CLI prints the result.
//!
//! - the Basel II Annex 5 illustrative IRB risk weights, from the formulas;
//! - the Vasicek large-pool quantile, closed form against a bisection of
//!   the large-pool loss distribution;
//! - the Vasicek large-pool ES, a quadrature over the factor against the
//!   bivariate-normal closed form;
//! - a one-period homogeneous book simulated by the engine against its exact
//!   finite-n mixture-binomial law (EL, VaR 99%, VaR 99.9%, ES 99%);
//! - a constant monthly hazard without systematic risk against the cohort
//!   default probability `1 - (1 - h)^T`;
//! - the same hazard on 12-month equal-installment loans against their
//!   expected loss in closed form, `LGD sum_k (1 - h)^(k-1) h B_(k-1)` with
//!   the annuity balance `B_k`.

use serde::Serialize;

use crate::capital::annex5::{ANNEX_5, annex_5_columns};
use crate::capital::{IrbTerms, irb_risk};
use crate::engine::{Prepared, RunControl};
use crate::scenario::parse_scenario;
use crate::stats::normal::{norm_cdf, norm_inv, vasicek_loss_es, vasicek_loss_quantile};
use crate::stats::risk::risk_measures;

/// One check's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// What is checked.
    pub name: String,
    /// The exact or published value.
    pub expected: f64,
    /// What the program gives.
    pub got: f64,
    /// The interval or tolerance band `got` is judged by: the exact value must lie in it.
    pub interval: [f64; 2],
    /// Whether it does.
    pub pass: bool,
    /// How the interval is made.
    pub basis: String,
}

impl Check {
    fn within(name: String, expected: f64, got: f64, interval: [f64; 2], basis: &str) -> Self {
        Check {
            name,
            expected,
            got,
            interval,
            pass: interval[0] <= expected && expected <= interval[1],
            basis: basis.to_string(),
        }
    }
}

/// Every check, in the order printed.
pub fn run_all(control: RunControl) -> Result<Vec<Check>, crate::engine::EngineError> {
    let mut out = annex_5();
    out.extend(vasicek());
    out.extend(vasicek_es());
    out.extend(mixture_binomial(control)?);
    out.extend(cohort_pd(control)?);
    out.extend(amortising_el(control)?);
    Ok(out)
}

/// Annex 5, one check per column: the largest gap over its PD rows, within
/// one unit of the table's last digit (0.01 point).
pub fn annex_5() -> Vec<Check> {
    let names = [
        "corporate LGD 45% S 50",
        "corporate LGD 45% S 5",
        "mortgage LGD 45%",
        "mortgage LGD 25%",
        "other retail LGD 45%",
        "other retail LGD 85%",
        "QRRE LGD 45%",
        "QRRE LGD 85%",
    ];
    annex_5_columns()
        .into_iter()
        .enumerate()
        .map(|(c, (class, turnover, lgd))| {
            let terms = IrbTerms {
                class,
                maturity_years: 2.5,
                turnover_millions: turnover,
                pd_floor: 0.0003,
                scaling_factor: 1.0,
            };
            // The row with the largest gap stands for the column.
            let (pd, published, got) = ANNEX_5
                .iter()
                .map(|(pd, row)| (*pd, row[c], 100.0 * irb_risk(&terms, pd / 100.0, lgd).risk_weight))
                .max_by(|a, b| (a.2 - a.1).abs().total_cmp(&(b.2 - b.1).abs()))
                .expect("rows");
            Check::within(
                format!("Annex 5 RW %, {} (PD {pd}%)", names[c]),
                published,
                got,
                [got - 0.01, got + 0.01],
                "Basel II Annex 5 risk weight in percent at the worst of the column's 12 PDs; the table has two \
                 decimals: within one unit of the last",
            )
        })
        .collect()
}

/// The Vasicek quantile against a bisection of the large-pool law
/// `P(L <= x) = Phi((sqrt(1 - rho) Phi^-1(x / LGD) - Phi^-1(PD)) / sqrt(rho))`.
pub fn vasicek() -> Vec<Check> {
    let (pd, rho, lgd): (f64, f64, f64) = (0.02, 0.15, 0.45);
    [0.99, 0.999]
        .iter()
        .map(|&q| {
            let cdf = |x: f64| norm_cdf(((1.0 - rho).sqrt() * norm_inv(x / lgd) - norm_inv(pd)) / rho.sqrt());
            let (mut lo, mut hi) = (1e-12, lgd * (1.0 - 1e-12));
            for _ in 0..200 {
                let mid = 0.5 * (lo + hi);
                if cdf(mid) < q { lo = mid } else { hi = mid }
            }
            let exact = 0.5 * (lo + hi);
            let got = vasicek_loss_quantile(pd, rho, lgd, q);
            Check::within(
                format!("Vasicek quantile {}%", q * 100.0),
                exact,
                got,
                [got - 1e-9, got + 1e-9],
                "large-pool loss quantile (PD 2%, rho 0.15, LGD 45%), closed form against a bisection of the \
                 large-pool distribution: within 1e-9",
            )
        })
        .collect()
}

/// The bivariate standard normal CDF `P(X <= a, Y <= b)` with correlation
/// `r`, by Sheppard's formula `Phi(a) Phi(b) + (1 / 2 pi) integral_0^asin(r)
/// exp(-(a^2 + b^2 - 2 a b sin t) / (2 cos^2 t)) dt` (a smooth integrand on a
/// finite range; composite Simpson, 2,000 intervals).
fn bivariate_normal_cdf(a: f64, b: f64, r: f64) -> f64 {
    let f = |t: f64| (-(a * a + b * b - 2.0 * a * b * t.sin()) / (2.0 * t.cos().powi(2))).exp();
    let (end, n) = (r.asin(), 2000);
    let h = end / n as f64;
    let inner: f64 = (1..n)
        .map(|i| if i % 2 == 1 { 4.0 } else { 2.0 } * f(i as f64 * h))
        .sum();
    norm_cdf(a) * norm_cdf(b) + h / 3.0 * (f(0.0) + inner + f(end)) / (2.0 * std::f64::consts::PI)
}

/// The Vasicek large-pool ES (a quadrature over the factor) against its
/// closed form `LGD Phi_2(Phi^-1(PD), -Phi^-1(q); sqrt(rho)) / (1 - q)`: a
/// default (`sqrt(rho) Z + sqrt(1 - rho) e <= Phi^-1(PD)`) and a tail factor
/// (`Z <= -Phi^-1(q)`) together, their correlation `sqrt(rho)`.
pub fn vasicek_es() -> Vec<Check> {
    let (pd, rho, lgd): (f64, f64, f64) = (0.02, 0.15, 0.45);
    [0.99, 0.999]
        .iter()
        .map(|&q| {
            let exact = lgd * bivariate_normal_cdf(norm_inv(pd), -norm_inv(q), rho.sqrt()) / (1.0 - q);
            let got = vasicek_loss_es(pd, rho, lgd, q);
            Check::within(
                format!("Vasicek ES {}%", q * 100.0),
                exact,
                got,
                [got - 1e-9, got + 1e-9],
                "large-pool loss ES (PD 2%, rho 0.15, LGD 45%), the quadrature over the factor against the \
                 bivariate-normal closed form (Sheppard's integral): within 1e-9",
            )
        })
        .collect()
}

const HOMOGENEOUS_LOANS: usize = 1_000;
const HOMOGENEOUS_PD: f64 = 0.02;
const HOMOGENEOUS_RHO: f64 = 0.15;
const HOMOGENEOUS_EAD: f64 = 10_000.0;
const HOMOGENEOUS_LGD: f64 = 0.5;
const HOMOGENEOUS_PATHS: u64 = 20_000;

fn homogeneous_book() -> String {
    format!(
        r#"
schema_version = 1
name = "check_mixture_binomial"
[run]
horizon_months = 1
seed = 2026
risk_levels = [0.99, 0.999]
[macro.noise]
phi = 0.0
sigma = 1.0
[dynamics]
pd_period_months = 1
delinquency = false
[[segments]]
name = "book"
loans = {HOMOGENEOUS_LOANS}
score = {{ mean = 650, std = 50 }}
income = {{ median_monthly = 5000, sigma = 0.5 }}
pd = {{ model = "constant", value = {HOMOGENEOUS_PD:?} }}
rho = {HOMOGENEOUS_RHO:?}
lgd = {{ mean = {HOMOGENEOUS_LGD:?} }}
fraud_share = 0.0
prepayment_monthly = 0.0
[segments.products]
revolving_share = 1.0
installment_terms = []
utilisation = {{ mean = 1.0, std = 0.0 }}
revolving_repay_rate = 0.0
revolving_draw_rate = 0.0
revolving_ccf = 0.0
[segments.limit]
min = {HOMOGENEOUS_EAD:?}
cap = {HOMOGENEOUS_EAD:?}
rounding = 100.0
"#
    )
}

/// `P(D = k)` of the default count of the homogeneous book: the binomial
/// mixed over the factor by the trapezoid rule on 8,001 nodes over [-10, 10].
pub fn mixture_binomial_pmf(n: usize, pd: f64, rho: f64) -> Vec<f64> {
    let (nodes, lo, hi) = (8_001, -10.0, 10.0);
    let h = (hi - lo) / (nodes - 1) as f64;
    let mut ln_choose = vec![0.0; n + 1];
    for k in 1..=n {
        ln_choose[k] = ln_choose[k - 1] + ((n - k + 1) as f64).ln() - (k as f64).ln();
    }
    let mut pmf = vec![0.0; n + 1];
    let mut total = 0.0;
    for i in 0..nodes {
        let z = lo + i as f64 * h;
        let w = (-0.5 * z * z).exp();
        total += w;
        let p = norm_cdf((norm_inv(pd) - rho.sqrt() * z) / (1.0 - rho).sqrt());
        if p <= 0.0 || p >= 1.0 {
            continue;
        }
        let (lp, lq) = (p.ln(), (1.0 - p).ln());
        for (k, m) in pmf.iter_mut().enumerate() {
            *m += w * (ln_choose[k] + k as f64 * lp + (n - k) as f64 * lq).exp();
        }
    }
    pmf.iter_mut().for_each(|m| *m /= total);
    pmf
}

/// Half-width of a 95% interval stretched to 99.9% (z 3.29 for 1.96).
const STRETCH: f64 = 3.290_527 / 1.959_964;

/// The engine's one-period homogeneous book against its exact law.
pub fn mixture_binomial(control: RunControl) -> Result<Vec<Check>, crate::engine::EngineError> {
    let s = parse_scenario(&homogeneous_book()).expect("the built-in book is valid");
    let paths = Prepared::new(&s).simulate_paths(0..HOMOGENEOUS_PATHS, control)?;
    let loss: Vec<f64> = paths.iter().map(|p| p.tally.loss).collect();
    let r = risk_measures(&loss, &[0.99, 0.999]);
    let pmf = mixture_binomial_pmf(HOMOGENEOUS_LOANS, HOMOGENEOUS_PD, HOMOGENEOUS_RHO);
    let unit = HOMOGENEOUS_EAD * HOMOGENEOUS_LGD;
    let exact_var_es = |q: f64| {
        let mut cdf = 0.0;
        let k = pmf
            .iter()
            .position(|&p| {
                cdf += p;
                cdf >= q
            })
            .unwrap_or(pmf.len() - 1);
        let beyond: f64 = pmf.iter().enumerate().skip(k + 1).map(|(j, p)| j as f64 * p).sum();
        (k as f64 * unit, (beyond + (cdf - q) * k as f64) / (1.0 - q) * unit)
    };
    let el = HOMOGENEOUS_LOANS as f64 * HOMOGENEOUS_PD * unit;
    let book = "the engine on 1,000 loans, PD 2%, rho 0.15, EAD 10,000, LGD 50%, one period, 20,000 paths, \
                against the exact mixture binomial";
    let stretch = |lo: f64, hi: f64, centre: f64| {
        [
            centre - (centre - lo) * STRETCH - unit,
            centre + (hi - centre) * STRETCH + unit,
        ]
    };
    let mut out = vec![Check::within(
        "mixture binomial EL".to_string(),
        el,
        r.mean,
        [r.mean - 3.29 * r.stderr, r.mean + 3.29 * r.stderr],
        &format!("{book}: the mean -+ 3.29 standard errors (99.9%)"),
    )];
    for q in [0.99, 0.999] {
        let key = format!("{q}");
        let (var, _) = exact_var_es(q);
        let [lo, hi] = r.var_ci[&key];
        let got = r.var[&key];
        out.push(Check::within(
            format!("mixture binomial VaR {}%", q * 100.0),
            var,
            got,
            stretch(lo.unwrap_or(f64::NEG_INFINITY), hi.unwrap_or(f64::INFINITY), got),
            &format!("{book}: the 95% order-statistic interval stretched to 99.9%, plus one default"),
        ));
    }
    let (_, es) = exact_var_es(0.99);
    let [lo, hi] = r.es_ci["0.99"].expect("200 tail paths");
    let got = r.es["0.99"];
    out.push(Check::within(
        "mixture binomial ES 99%".to_string(),
        es,
        got,
        stretch(lo, hi, got),
        &format!("{book}: the 95% asymptotic interval stretched to 99.9%, plus one default"),
    ));
    Ok(out)
}

/// The cohort default probability `1 - (1 - h)^T` of a constant monthly
/// hazard without systematic risk (the bundled constant_hazard.toml).
pub fn cohort_pd(control: RunControl) -> Result<Vec<Check>, crate::engine::EngineError> {
    let text = include_str!("../scenarios/validation/constant_hazard.toml");
    let s = parse_scenario(text).expect("the bundled scenario is valid");
    let paths = Prepared::new(&s).simulate_paths(0..2_000, control)?;
    let rates: Vec<f64> = paths
        .iter()
        .map(|p| p.tally.defaults as f64 / s.total_loans() as f64)
        .collect();
    let m = crate::stats::risk::moments(&rates);
    let exact = 1.0 - 0.99f64.powi(12);
    Ok(vec![Check::within(
        "cohort PD 1 - (1 - h)^12, h = 1%".to_string(),
        exact,
        m.mean,
        [m.mean - 3.29 * m.stderr, m.mean + 3.29 * m.stderr],
        "the engine's 12-month default rate of 10,000 independent loans (scenarios/validation/constant_hazard.toml, \
         2,000 paths): the mean -+ 3.29 standard errors (99.9%)",
    )])
}

/// The expected loss of amortising loans: constant_hazard.toml's book as
/// 12-month equal-installment loans of 10,000 at their band's rate. A loan
/// that misses in month k is charged off with the balance left after k - 1
/// payments, `B_j = P ((1 + r)^n - (1 + r)^j) / ((1 + r)^n - 1)`, so
/// `EL = LGD sum_loans sum_{k=1..n} (1 - h)^(k-1) h B_(k-1)`, from the
/// annuity formula (not the engine's schedule tables).
pub fn amortising_el(control: RunControl) -> Result<Vec<Check>, crate::engine::EngineError> {
    let text = include_str!("../scenarios/validation/constant_hazard.toml")
        .replace("revolving_share = 1.0", "revolving_share = 0.0")
        .replace(
            "installment_terms = []",
            "installment_terms = [12]\ninstallment_draw = { mean = 1.0, std = 0.0 }",
        );
    let s = parse_scenario(&text).expect("the amortising variant of the bundled scenario is valid");
    let prepared = Prepared::new(&s);
    let book = prepared.book.as_ref().expect("one book for every path");
    let (h, lgd, n) = (0.01f64, 0.5, 12);
    let exact: f64 = book
        .loans
        .iter()
        .map(|loan| {
            let p = crate::population::cents_to_money(loan.balance);
            let growth = 1.0 + loan.rate_monthly;
            let balance = |j: i32| p * (growth.powi(n) - growth.powi(j)) / (growth.powi(n) - 1.0);
            (1..=n).map(|k| (1.0 - h).powi(k - 1) * h * balance(k - 1)).sum::<f64>() * lgd
        })
        .sum();
    let paths = prepared.simulate_paths(0..2_000, control)?;
    let loss: Vec<f64> = paths.iter().map(|p| p.tally.loss).collect();
    let m = crate::stats::risk::moments(&loss);
    Ok(vec![Check::within(
        "amortising-loan EL, 12-month annuities, h = 1%".to_string(),
        exact,
        m.mean,
        [m.mean - 3.29 * m.stderr, m.mean + 3.29 * m.stderr],
        "the engine's mean loss of 10,000 independent equal-installment loans (constant_hazard.toml's book, \
         2,000 paths) against LGD sum_k (1 - h)^(k-1) h B_(k-1): the mean -+ 3.29 standard errors (99.9%)",
    )])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_check_passes() {
        let checks = run_all(RunControl::default()).unwrap();
        assert_eq!(checks.len(), 8 + 2 + 2 + 4 + 1 + 1);
        for c in &checks {
            assert!(c.pass, "{c:?}");
        }
    }

    #[test]
    fn the_bivariate_normal_cdf_has_its_known_values() {
        // Independence, the diagonal orthant P(X <= 0, Y <= 0) = 1/4 + asin(r) / (2 pi), and a
        // one-sided limit.
        assert!((bivariate_normal_cdf(0.3, -0.7, 0.0) - norm_cdf(0.3) * norm_cdf(-0.7)).abs() < 1e-14);
        for r in [0.1f64, 0.5, 0.9] {
            let exact = 0.25 + r.asin() / (2.0 * std::f64::consts::PI);
            assert!((bivariate_normal_cdf(0.0, 0.0, r) - exact).abs() < 1e-12, "{r}");
        }
        assert!((bivariate_normal_cdf(1.2, 30.0, 0.4) - norm_cdf(1.2)).abs() < 1e-10);
        // The large-pool ES lies above the VaR at the same level.
        assert!(vasicek_loss_es(0.02, 0.15, 0.45, 0.99) > vasicek_loss_quantile(0.02, 0.15, 0.45, 0.99));
    }
}
