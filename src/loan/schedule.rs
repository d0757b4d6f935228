//! Repayment schedules: what a current borrower pays in one month.

use crate::population::{Cents, ProductKind, round_cents};

/// One month's scheduled payment of a current installment loan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Payment {
    /// Interest: `round(balance * r)`.
    pub interest: Cents,
    /// Principal repaid.
    pub principal: Cents,
}

/// The payment due on an installment loan with `installments_left` payments
/// to go (>= 1). The last payment clears the balance.
///
/// # Formula
/// - interest `I = round(B r)` for all types;
/// - equal installment: principal `A - I` with `A = P r / (1 - (1 + r)^-n)`;
/// - equal principal: principal `round(P / n)`;
/// - bullet: principal 0 until the last month.
#[inline(always)]
pub fn installment_payment(
    kind: ProductKind,
    balance: Cents,
    rate_monthly: f64,
    installment: Cents,
    installments_left: u16,
) -> Payment {
    let interest = round_cents(balance as f64 * rate_monthly);
    let principal = if installments_left <= 1 {
        balance
    } else {
        match kind {
            ProductKind::EqualInstallment => (installment - interest).clamp(0, balance),
            ProductKind::EqualPrincipal => installment.min(balance),
            ProductKind::Bullet | ProductKind::Revolving => 0,
        }
    };
    Payment { interest, principal }
}

/// One month of a current revolving line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RevolvingMonth {
    /// Interest paid: `round(B r)`.
    pub interest: Cents,
    /// Balance repaid: `round(B repay_rate)`.
    pub repaid: Cents,
    /// New draws: `round((limit - B) draw_rate)`.
    pub drawn: Cents,
}

/// What a current revolving borrower pays and draws this month.
#[inline(always)]
pub fn revolving_month(
    balance: Cents,
    limit: Cents,
    rate_monthly: f64,
    repay_rate: f64,
    draw_rate: f64,
) -> RevolvingMonth {
    let interest = round_cents(balance as f64 * rate_monthly);
    let repaid = round_cents(balance as f64 * repay_rate).min(balance);
    let drawn = round_cents((limit - balance) as f64 * draw_rate).clamp(0, limit - balance);
    RevolvingMonth {
        interest,
        repaid,
        drawn,
    }
}

/// The full schedule of an installment loan paid on time, month by month.
/// Used by reports and tests; the engine steps one month at a time.
pub fn full_schedule(
    kind: ProductKind,
    principal: Cents,
    rate_monthly: f64,
    installment: Cents,
    term: u16,
) -> Vec<Payment> {
    let mut balance = principal;
    (0..term)
        .map(|paid| {
            let p = installment_payment(kind, balance, rate_monthly, installment, term - paid);
            balance -= p.principal;
            p
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::population::annuity_payment;

    #[test]
    fn annuity_matches_the_closed_form_to_the_cent() {
        // 10,000.00 over 12 months at 1% a month: A = 888.49 (standard tables).
        let a = annuity_payment(1_000_000, 0.01, 12);
        assert_eq!(a, 88_849);
        let s = full_schedule(ProductKind::EqualInstallment, 1_000_000, 0.01, a, 12);
        assert_eq!(s[0].interest, 10_000);
        assert_eq!(s[0].principal, 78_849);
        // Closed form balance after k payments: B_k = P (1+r)^k - A ((1+r)^k - 1) / r.
        let mut b = 1_000_000;
        for (k, p) in s.iter().enumerate().take(11) {
            b -= p.principal;
            let g = 1.01f64.powi(k as i32 + 1);
            let closed = 1_000_000.0 * g - a as f64 * (g - 1.0) / 0.01;
            // Each month's interest is rounded to the cent: the drift is at most half a cent a month.
            assert!(
                (b as f64 - closed).abs() <= 0.5 * (k as f64 + 1.0) * 1.02,
                "month {k}: {b} vs {closed}"
            );
        }
        let total: Cents = s.iter().map(|p| p.principal).sum();
        assert_eq!(total, 1_000_000);
        // Every payment but the last equals A to the cent; the last clears the rest.
        assert!(s[..11].iter().all(|p| p.interest + p.principal == a));
        assert!((s[11].interest + s[11].principal - a).abs() <= 12);
    }

    #[test]
    fn equal_principal_repays_p_over_n_plus_interest() {
        let s = full_schedule(ProductKind::EqualPrincipal, 600_000, 0.02, 100_000, 6);
        for (k, p) in s.iter().enumerate() {
            assert_eq!(p.principal, 100_000);
            assert_eq!(p.interest, (600_000 - 100_000 * k as i64) * 2 / 100);
        }
    }

    #[test]
    fn bullet_pays_interest_then_principal() {
        let s = full_schedule(ProductKind::Bullet, 500_000, 0.015, 0, 3);
        assert_eq!(s.iter().map(|p| p.interest).collect::<Vec<_>>(), vec![7_500; 3]);
        assert_eq!(s.iter().map(|p| p.principal).collect::<Vec<_>>(), vec![0, 0, 500_000]);
    }

    #[test]
    fn zero_rate_annuity_is_equal_principal() {
        let a = annuity_payment(1_000, 0.0, 3);
        assert_eq!(a, 333);
        let s = full_schedule(ProductKind::EqualInstallment, 1_000, 0.0, a, 3);
        assert_eq!(s.iter().map(|p| p.principal).collect::<Vec<_>>(), vec![333, 333, 334]);
    }

    #[test]
    fn revolving_month_keeps_balance_within_limit() {
        let m = revolving_month(40_000, 100_000, 0.01, 0.3, 0.1);
        assert_eq!(
            m,
            RevolvingMonth {
                interest: 400,
                repaid: 12_000,
                drawn: 6_000
            }
        );
        let m = revolving_month(100_000, 100_000, 0.01, 0.0, 1.0);
        assert_eq!(m.drawn, 0);
    }
}
