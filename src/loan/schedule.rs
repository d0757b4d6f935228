//! Repayment schedules in closed form.
//!
//! A current borrower's balance follows a deterministic curve, so the
//! engine never steps balances month by month: it counts the months a loan
//! stays current and, when something happens (a missed payment, a
//! prepayment, maturity, the horizon), settles the whole run at once from
//! the closed forms below, rounded to the cent. This keeps the monthly loop
//! down to one uniform draw and one compare.

use crate::population::{Cents, ProductKind, round_cents};
use crate::scenario::{Amortisation, Scenario};

/// Fraction of the principal outstanding after `k` of `n` on-time payments.
///
/// # Formula
/// - equal installment (annuity): `b_k = ((1+r)^n - (1+r)^k) / ((1+r)^n - 1)`, or `1 - k/n` when `r = 0`;
/// - equal principal: `b_k = 1 - k/n`;
/// - bullet: `b_k = 1` for `k < n`, `0` at `n`.
pub fn balance_fraction(kind: ProductKind, rate_monthly: f64, n: u32, k: u32) -> f64 {
    if k >= n {
        return 0.0;
    }
    match kind {
        ProductKind::EqualInstallment if rate_monthly > 0.0 => {
            // (g^n - g^k) / (g^n - 1) = g^k (g^(n-k) - 1) / (g^n - 1), in exp_m1 / ln_1p
            // form so that tiny rates keep their precision.
            let log_g = rate_monthly.ln_1p();
            let denominator = (n as f64 * log_g).exp_m1();
            if denominator == 0.0 {
                return 1.0 - k as f64 / n as f64;
            }
            (k as f64 * log_g).exp() * ((n - k) as f64 * log_g).exp_m1() / denominator
        }
        ProductKind::EqualInstallment | ProductKind::EqualPrincipal => 1.0 - k as f64 / n as f64,
        ProductKind::Bullet | ProductKind::Revolving => 1.0,
    }
}

/// Annuity payment `P r / (1 - (1 + r)^-n)` in cents, rounded (`P / n` when `r = 0`).
pub fn annuity_payment(principal: Cents, rate_monthly: f64, term_months: u32) -> Cents {
    let p = principal as f64;
    let n = term_months as f64;
    let denominator = -(-n * rate_monthly.ln_1p()).exp_m1();
    if rate_monthly == 0.0 || denominator == 0.0 {
        return round_cents(p / n);
    }
    round_cents(p * rate_monthly / denominator)
}

/// Balance and cumulative-interest fractions of every installment curve a
/// run can book or restructure, stored flat: one curve per (amortisation,
/// monthly rate, term), the rates those of every segment's bands and of
/// every imported loan. A loan keeps the offset of its curve. Terms run from
/// 1 to the longest term at that rate plus any forbearance extension, so
/// that a restructured loan finds its new curve too.
#[derive(Debug, Clone, Default)]
pub struct ScheduleTemplates {
    /// `balance[offset + k]`: fraction of principal outstanding after `k` payments.
    pub balance: Vec<f64>,
    /// `interest[offset + k]`: interest paid over the first `k` payments, as a
    /// fraction of principal: `r * sum_{j<k} b_j`.
    pub interest: Vec<f64>,
    /// Offset of each `(kind, rate bits)` curve of term `n`, at `[n - 1]`.
    offsets: std::collections::BTreeMap<(u8, u64), Vec<u32>>,
}

impl ScheduleTemplates {
    /// Builds every curve a scenario can book or restructure.
    pub fn new(scenario: &Scenario) -> Self {
        let extension = scenario
            .policy
            .forbearance
            .as_ref()
            .map_or(0, |f| f.term_extension_months);
        // The longest term needed at each (kind, rate).
        let mut longest = std::collections::BTreeMap::<(u8, u64), u32>::new();
        let mut need = |kind: ProductKind, rate: f64, term: u32| {
            let slot = longest.entry((kind as u8, rate.to_bits())).or_insert(0);
            *slot = (*slot).max(term + extension);
        };
        for seg in &scenario.segments {
            let kind = ProductKind::from(seg.amortisation);
            let term = seg.terms.iter().map(|&(n, _)| n).max().unwrap_or(0);
            for &r in &seg.monthly_rate_by_band {
                need(kind, r, term);
            }
        }
        for loan in scenario.book.iter() {
            if let crate::scenario::ImportedProduct::Installment(a) = loan.product {
                need(ProductKind::from(a), loan.rate_monthly, loan.remaining_term());
            }
        }
        // A rate cap reprices loans of any kind and term to the capped rate.
        let kinds: Vec<(u8, u32)> = {
            let mut by_kind = std::collections::BTreeMap::<u8, u32>::new();
            for (&(kind, _), &n) in &longest {
                let slot = by_kind.entry(kind).or_insert(0);
                *slot = (*slot).max(n);
            }
            by_kind.into_iter().collect()
        };
        for e in &scenario.events {
            if let crate::scenario::EventEffect::RateCap { monthly_cap } = e.effect {
                for &(kind, n) in &kinds {
                    let slot = longest.entry((kind, monthly_cap.to_bits())).or_insert(0);
                    *slot = (*slot).max(n);
                }
            }
        }
        let mut t = ScheduleTemplates::default();
        for (&(kind, bits), &n_max) in &longest {
            let kind = ProductKind::from_index(kind);
            let r = f64::from_bits(bits);
            let by_term = (1..=n_max).map(|n| t.push_curve(kind, r, n)).collect();
            t.offsets.insert((kind as u8, bits), by_term);
        }
        t
    }

    /// Appends the curve of a `kind` loan at monthly rate `r` over `n` months; returns its offset.
    pub fn push_curve(&mut self, kind: ProductKind, r: f64, n: u32) -> u32 {
        let offset = self.balance.len() as u32;
        let mut cumulative = 0.0;
        for k in 0..=n {
            let b = balance_fraction(kind, r, n, k);
            self.balance.push(b);
            self.interest.push(cumulative);
            cumulative += r * b;
        }
        offset
    }

    /// Offset of the curve of a `kind` loan at monthly rate `rate` with
    /// `term` months (>= 1); every (kind, rate, term) of the scenario has one.
    pub fn offset(&self, kind: ProductKind, rate: f64, term: u32) -> u32 {
        self.offsets[&(kind as u8, rate.to_bits())][term as usize - 1]
    }

    /// Balance of principal `p` after `k` payments on the curve at `offset`, to the cent.
    #[inline(always)]
    pub fn balance_after(&self, offset: u32, p: Cents, k: u16) -> Cents {
        round_cents(p as f64 * self.balance[offset as usize + k as usize])
    }

    /// Interest paid over the first `k` payments, to the cent.
    #[inline(always)]
    pub fn interest_through(&self, offset: u32, p: Cents, k: u16) -> Cents {
        round_cents(p as f64 * self.interest[offset as usize + k as usize])
    }
}

/// One month's payment of an installment loan paid on time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Payment {
    /// Interest paid.
    pub interest: Cents,
    /// Principal repaid.
    pub principal: Cents,
}

/// The on-time schedule of a loan of principal `p` on the curve at `offset`:
/// month `k`'s principal is `B_{k-1} - B_k` and its interest
/// `I_k - I_{k-1}`, with `B` and `I` the rounded closed forms, so that the
/// balances match the formula to the cent and the principal sums to `p`.
pub fn full_schedule(templates: &ScheduleTemplates, offset: u32, p: Cents, term: u16) -> Vec<Payment> {
    (1..=term)
        .map(|k| Payment {
            interest: templates.interest_through(offset, p, k) - templates.interest_through(offset, p, k - 1),
            principal: templates.balance_after(offset, p, k - 1) - templates.balance_after(offset, p, k),
        })
        .collect()
}

/// Closed-form path of a current revolving line: each month the borrower
/// repays a share `a` of the balance and draws a share `d` of the undrawn
/// limit `L`, so `B_{j+1} = m B_j + d L` with `m = 1 - a - d`:
///
/// # Formula
/// `B_j = B* + (B_0 - B*) m^j`, `B* = d L / (a + d)`,
/// `sum_{i<j} B_i = j B* + (B_0 - B*) S_j`, `S_j = sum_{i<j} m^i`.
#[derive(Debug, Clone)]
pub struct RevolvingCurve {
    /// Repayment share `a`.
    pub repay_rate: f64,
    /// Draw share `d`.
    pub draw_rate: f64,
    /// `m^j` for `j = 0..=horizon`.
    pub decay: Vec<f64>,
    /// `S_j` for `j = 0..=horizon`.
    pub decay_sum: Vec<f64>,
}

/// What `j` current months of a revolving line paid and drew, in cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RevolvingRun {
    /// Interest paid: `round(r sum B_i)`.
    pub interest: Cents,
    /// Balance repaid.
    pub repaid: Cents,
    /// New draws: `round(d (j L - sum B_i))`.
    pub drawn: Cents,
    /// Balance at the end: `round(B_j)`, within `[0, L]`; equals start + drawn - repaid exactly.
    pub balance: Cents,
}

impl RevolvingCurve {
    /// The curve for these shares over `horizon` months.
    pub fn new(repay_rate: f64, draw_rate: f64, horizon: usize) -> Self {
        let m = 1.0 - repay_rate - draw_rate;
        let mut decay = Vec::with_capacity(horizon + 1);
        let mut decay_sum = Vec::with_capacity(horizon + 1);
        let (mut pow, mut sum) = (1.0, 0.0);
        for _ in 0..=horizon {
            decay.push(pow);
            decay_sum.push(sum);
            sum += pow;
            pow *= m;
        }
        RevolvingCurve {
            repay_rate,
            draw_rate,
            decay,
            decay_sum,
        }
    }

    /// The long-run balance `B*` of a line from `b0` with limit `limit`.
    #[inline(always)]
    fn target(&self, b0: Cents, limit: Cents) -> f64 {
        let (a, d) = (self.repay_rate, self.draw_rate);
        if a + d > 0.0 {
            d * limit as f64 / (a + d)
        } else {
            b0 as f64
        }
    }

    /// The balance after `j` months towards `target`, to the cent.
    #[inline(always)]
    fn balance_towards(&self, target: f64, b0: Cents, limit: Cents, j: usize) -> Cents {
        let end = target + (b0 as f64 - target) * self.decay[j];
        round_cents(end.max(0.0)).clamp(0, limit.max(b0))
    }

    /// The balance after `j` current months from `b0`, to the cent: the
    /// balance [`RevolvingCurve::run`] settles.
    #[inline(always)]
    pub fn balance_after(&self, b0: Cents, limit: Cents, j: usize) -> Cents {
        self.balance_towards(self.target(b0, limit), b0, limit, j)
    }

    /// Settles `j` current months from balance `b0` on a line with limit `limit`.
    #[inline]
    pub fn run(&self, b0: Cents, limit: Cents, rate_monthly: f64, j: usize) -> RevolvingRun {
        let d = self.draw_rate;
        let start = b0 as f64;
        let target = self.target(b0, limit);
        let sum = j as f64 * target + (start - target) * self.decay_sum[j];
        let balance = self.balance_towards(target, b0, limit, j);
        let mut drawn = round_cents((d * (j as f64 * limit as f64 - sum)).max(0.0));
        let mut repaid = b0 + drawn - balance;
        if repaid < 0 {
            // Rounding left the balance a cent above start + draws: book it as a draw.
            drawn -= repaid;
            repaid = 0;
        }
        RevolvingRun {
            interest: round_cents((rate_monthly * sum).max(0.0)),
            repaid,
            drawn,
            balance,
        }
    }
}

impl From<Amortisation> for ProductKind {
    fn from(a: Amortisation) -> Self {
        match a {
            Amortisation::EqualInstallment => Self::EqualInstallment,
            Amortisation::EqualPrincipal => Self::EqualPrincipal,
            Amortisation::Bullet => Self::Bullet,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(kind: ProductKind, r: f64, n: u32) -> (ScheduleTemplates, u32) {
        let mut t = ScheduleTemplates::default();
        let offset = t.push_curve(kind, r, n);
        (t, offset)
    }

    #[test]
    fn annuity_matches_the_closed_form_to_the_cent() {
        // 10,000.00 over 12 months at 1% a month: A = 888.49 (standard annuity tables).
        let a = annuity_payment(1_000_000, 0.01, 12);
        assert_eq!(a, 88_849);
        let (t, o) = template(ProductKind::EqualInstallment, 0.01, 12);
        let s = full_schedule(&t, o, 1_000_000, 12);
        assert_eq!(s[0].interest, 10_000);
        // Balance after k payments: B_k = P (1+r)^k - A ((1+r)^k - 1) / r with the exact A.
        let exact_a = 1_000_000.0 * 0.01 / (1.0 - 1.01f64.powi(-12));
        let mut b = 1_000_000;
        for (k, p) in s.iter().enumerate() {
            b -= p.principal;
            let g = 1.01f64.powi(k as i32 + 1);
            let closed = 1_000_000.0 * g - exact_a * (g - 1.0) / 0.01;
            assert!((b as f64 - closed).abs() <= 0.5 + 1e-6, "month {k}: {b} vs {closed}");
            // Each payment is the annuity to within the rounding of two differences.
            assert!((p.interest + p.principal - a).abs() <= 2, "month {k}: {p:?}");
        }
        assert_eq!(b, 0);
        assert_eq!(s.iter().map(|p| p.principal).sum::<Cents>(), 1_000_000);
    }

    #[test]
    fn equal_principal_repays_p_over_n_plus_interest() {
        let (t, o) = template(ProductKind::EqualPrincipal, 0.02, 6);
        let s = full_schedule(&t, o, 600_000, 6);
        for (k, p) in s.iter().enumerate() {
            assert_eq!(p.principal, 100_000);
            assert_eq!(p.interest, (600_000 - 100_000 * k as i64) * 2 / 100);
        }
    }

    #[test]
    fn bullet_pays_interest_then_principal() {
        let (t, o) = template(ProductKind::Bullet, 0.015, 3);
        let s = full_schedule(&t, o, 500_000, 3);
        assert_eq!(s.iter().map(|p| p.interest).collect::<Vec<_>>(), vec![7_500; 3]);
        assert_eq!(s.iter().map(|p| p.principal).collect::<Vec<_>>(), vec![0, 0, 500_000]);
    }

    #[test]
    fn zero_rate_annuity_is_equal_principal() {
        assert_eq!(annuity_payment(1_000, 0.0, 3), 333);
        let (t, o) = template(ProductKind::EqualInstallment, 0.0, 3);
        let s = full_schedule(&t, o, 1_000, 3);
        assert_eq!(s.iter().map(|p| p.principal).collect::<Vec<_>>(), vec![333, 334, 333]);
        assert!(s.iter().all(|p| p.interest == 0));
    }

    #[test]
    fn revolving_curve_matches_month_by_month_recurrence() {
        let curve = RevolvingCurve::new(0.3, 0.1, 24);
        let (limit, b0, r) = (10_000_000i64, 4_000_000i64, 0.01);
        let (mut b, mut interest, mut drawn) = (b0 as f64, 0.0, 0.0);
        for j in 1..=24 {
            interest += r * b;
            drawn += 0.1 * (limit as f64 - b);
            b = b - 0.3 * b + 0.1 * (limit as f64 - b);
            let run = curve.run(b0, limit, r, j);
            assert!((run.balance as f64 - b).abs() <= 0.5 + 1e-6, "month {j}");
            assert!((run.interest as f64 - interest).abs() <= 0.5 + 1e-6, "month {j}");
            assert!((run.drawn as f64 - drawn).abs() <= 1.0 + 1e-6, "month {j}");
            assert_eq!(run.balance, b0 + run.drawn - run.repaid);
            assert!(run.repaid >= 0 && run.drawn >= 0 && run.balance >= 0 && run.balance <= limit);
        }
        // The balance tends to d L / (a + d) = 25% of the limit.
        assert!((curve.run(b0, limit, r, 24).balance as f64 / limit as f64 - 0.25).abs() < 1e-3);
    }
}
