//! Risk policy levers: the `[policy]` table of a scenario, or a policy file
//! given to `compare` / `sweep`. Every lever is optional; an absent lever
//! leaves the engine exactly as it is without it.

use serde::{Deserialize, Serialize};

use super::ScenarioError;
use super::resolved::Probability;

/// `[policy]` as written (also the whole content of a policy file).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySection {
    /// Policy name, used in comparison outputs (default `policy`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Approval cutoff.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<ApprovalSpec>,
    /// Limit multipliers and cap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<LimitPolicySpec>,
    /// Risk-based pricing for every segment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pricing: Option<super::PricingSpec>,
    /// Early warning and dynamic limit management of revolving lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub early_warning: Option<EarlyWarningSpec>,
    /// Limit increases for revolving lines that stay current.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_increase: Option<LimitIncreaseSpec>,
    /// Forbearance plans for borrowers who miss a payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forbearance: Option<ForbearanceSpec>,
    /// Collection strategy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collections: Option<CollectionsSpec>,
}

/// `[policy.limit_increase]`: dynamic limit management upwards. A revolving
/// line current for `after_months_current` months in a row is reviewed; a
/// share `probability` of reviews raise its limit by `increase_share`
/// (within the segment's `limit.cap` and the policy's cap), at most
/// `max_increases` times per line. The clock restarts at every review and
/// at every cure; lines cut or frozen by early warning, a plan or a
/// suspension are never raised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitIncreaseSpec {
    /// Months current in a row before a review.
    pub after_months_current: u32,
    /// Share of reviews that raise the limit.
    pub probability: f64,
    /// Relative rise of the limit at a raise.
    pub increase_share: f64,
    /// Raises per line at most.
    #[serde(default = "default_max_increases")]
    pub max_increases: u32,
}

fn default_max_increases() -> u32 {
    1
}

/// Checked limit increases.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LimitIncrease {
    /// Months current before a review.
    pub after_months: u32,
    /// Share of reviews that raise the limit.
    pub probability: Probability,
    /// Relative rise.
    pub increase_share: f64,
    /// Raises per line at most.
    pub max_increases: u32,
}

/// `[policy.approval]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalSpec {
    /// Applicants scoring below this are not booked.
    pub min_score: f64,
}

/// `[policy.limits]`: `limit = min(cap, scenario limit x multiplier_by_band[band])`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitPolicySpec {
    /// Multiplier per score band (default: 1 for every band).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub multiplier_by_band: Vec<f64>,
    /// Hard cap on any limit (default: the segments' own caps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap: Option<f64>,
}

/// What early warning does to a revolving line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitAction {
    /// Remove a share of the undrawn limit.
    Cut,
    /// Remove the whole undrawn limit (no more draws).
    Freeze,
}

/// `[policy.early_warning]`: at least one trigger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EarlyWarningSpec {
    /// Act on every current line from the month after the portfolio's 30+ DPD rate exceeds this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub portfolio_dpd30_above: Option<f64>,
    /// Act on a segment's lines from the first month its systematic factor is below this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor_below: Option<f64>,
    /// Act on a borrower's own line when they miss a payment (before the drawdown).
    #[serde(default)]
    pub borrower_delinquent: bool,
    /// The action.
    pub action: LimitAction,
    /// Share of the undrawn limit removed by `cut`.
    #[serde(default = "half")]
    pub cut_share: f64,
    /// Liquidity shock: a borrower whose line is cut or frozen misses
    /// payments this many times as often (1 = no shock) ...
    #[serde(default = "default_shock_multiplier")]
    pub shock_hazard_multiplier: f64,
    /// ... for this many months from the cut.
    #[serde(default = "default_shock_months")]
    pub shock_months: u32,
}

fn default_shock_multiplier() -> f64 {
    1.5
}

fn default_shock_months() -> u32 {
    6
}

fn yes() -> bool {
    true
}

fn half() -> f64 {
    0.5
}

/// `[policy.forbearance]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForbearanceSpec {
    /// Share of eligible borrowers who take the plan.
    pub take_up: f64,
    /// Offer plans only while the segment's factor is below `downturn_factor_below`.
    #[serde(default)]
    pub only_in_downturn: bool,
    /// Factor level that marks a downturn.
    #[serde(default = "minus_one")]
    pub downturn_factor_below: f64,
    /// Months added to an installment loan's remaining term (its installment falls).
    #[serde(default)]
    pub term_extension_months: u32,
    /// Share of penalty interest waived for borrowers in a plan.
    #[serde(default)]
    pub penalty_waiver: f64,
    /// Relative rise of the cure rates of a plan borrower who falls behind again.
    #[serde(default)]
    pub cure_boost: f64,
    /// Monthly probability that a plan borrower misses a payment again
    /// (averaged over a standard normal factor when it follows the factor).
    pub redefault_monthly: f64,
    /// The re-default probability moves with the segment's factor like any
    /// borrower's miss: `Phi((Phi^-1(r) - sqrt(rho) z) / sqrt(1 - rho))`.
    #[serde(default = "yes")]
    pub redefault_follows_factor: bool,
}

fn minus_one() -> f64 {
    -1.0
}

/// Collection intensity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CollectionStrategy {
    /// Reminders only: cheap, fewer cures, lower recoveries.
    Soft,
    /// The engine's own roll, cure and LGD assumptions.
    Standard,
    /// Calls and field visits: costly, more cures, higher recoveries.
    Intensive,
}

impl CollectionStrategy {
    /// Default (cost per delinquent account-month, cure multiplier, LGD multiplier).
    pub fn defaults(self) -> (f64, f64, f64) {
        match self {
            CollectionStrategy::Soft => (5.0, 0.85, 1.05),
            CollectionStrategy::Standard => (15.0, 1.0, 1.0),
            CollectionStrategy::Intensive => (40.0, 1.25, 0.9),
        }
    }
}

/// `[policy.collections]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectionsSpec {
    /// Strategy level; its defaults fill the fields below.
    pub strategy: CollectionStrategy,
    /// Cost per delinquent account per month (currency units).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_per_account_month: Option<f64>,
    /// Multiplier of the cure rates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cure_multiplier: Option<f64>,
    /// Multiplier of LGD (capped at 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lgd_multiplier: Option<f64>,
}

/// Checked policy; `Policy::default()` changes nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Policy {
    /// Name.
    pub name: String,
    /// Minimum score booked.
    pub min_score: Option<f64>,
    /// Limit multiplier per band (empty: none).
    pub limit_multiplier_by_band: Vec<f64>,
    /// Policy cap on limits.
    pub limit_cap: Option<f64>,
    /// Early warning.
    pub early_warning: Option<EarlyWarning>,
    /// Limit increases.
    pub limit_increase: Option<LimitIncrease>,
    /// Forbearance.
    pub forbearance: Option<Forbearance>,
    /// Collections.
    pub collections: Option<Collections>,
}

/// Checked early warning.
#[derive(Debug, Clone, PartialEq)]
pub struct EarlyWarning {
    /// Portfolio 30+ DPD trigger.
    pub portfolio_dpd30_above: Option<f64>,
    /// Factor trigger.
    pub factor_below: Option<f64>,
    /// Borrower trigger.
    pub borrower_delinquent: bool,
    /// Share of the undrawn limit removed (1 for a freeze).
    pub cut_share: f64,
    /// Miss-probability multiplier after a cut (>= 1; 1 = no liquidity shock).
    pub shock_hazard_multiplier: f64,
    /// Months the multiplier lasts (0 = no shock).
    pub shock_months: u32,
}

impl EarlyWarning {
    /// Whether a cut raises the borrower's miss probability.
    pub fn has_liquidity_shock(&self) -> bool {
        self.shock_hazard_multiplier > 1.0 && self.shock_months > 0
    }
}

/// Checked forbearance.
#[derive(Debug, Clone, PartialEq)]
pub struct Forbearance {
    /// Take-up rate.
    pub take_up: Probability,
    /// Offered only when the factor is below this (`None`: always).
    pub downturn_factor_below: Option<f64>,
    /// Term extension.
    pub term_extension_months: u32,
    /// Penalty waiver share.
    pub penalty_waiver: Probability,
    /// Cure boost (>= 0).
    pub cure_boost: f64,
    /// Re-default probability per month.
    pub redefault_monthly: Probability,
    /// Re-defaults move with the factor.
    pub redefault_follows_factor: bool,
}

/// Checked collections.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Collections {
    /// Strategy.
    pub strategy: CollectionStrategy,
    /// Cost per delinquent account-month.
    pub cost_per_account_month: f64,
    /// Cure multiplier.
    pub cure_multiplier: f64,
    /// LGD multiplier.
    pub lgd_multiplier: f64,
}

impl Policy {
    /// True when the policy acts on individual loans after booking (so the
    /// fast path, which has no delinquency, cannot apply it exactly).
    pub fn acts_on_loans(&self) -> bool {
        self.early_warning.is_some()
            || self.forbearance.is_some()
            || self.collections.is_some()
            || self.limit_increase.is_some()
    }
}

/// Largest collection cost per delinquent account-month: far above any real
/// cost, and small enough that a path's total stays finite and exact in cents.
pub const MAX_COST_PER_ACCOUNT_MONTH: f64 = 1e6;

fn err<T>(field: String, problem: String) -> Result<T, ScenarioError> {
    Err(ScenarioError::invalid(field, problem))
}

fn prob(field: String, v: f64) -> Result<Probability, ScenarioError> {
    Probability::new(v).map_or_else(|| err(field, format!("must be a probability in [0, 1], got {v}")), Ok)
}

fn non_negative(field: String, v: f64) -> Result<f64, ScenarioError> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        err(field, format!("must be >= 0, got {v}"))
    }
}

/// Checks a policy; `prefix` is `policy` inside a scenario, or the policy file's own root.
pub fn check_policy(raw: &PolicySection, prefix: &str, bands: usize) -> Result<Policy, ScenarioError> {
    let f = |name: &str| {
        if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}.{name}")
        }
    };
    let mut p = Policy {
        name: if raw.name.is_empty() {
            "policy".to_string()
        } else {
            raw.name.clone()
        },
        ..Policy::default()
    };
    if !p.name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) || p.name.starts_with('.') {
        return err(
            f("name"),
            format!("use only letters, digits, '-', '_' or '.', got {:?}", raw.name),
        );
    }
    if let Some(a) = &raw.approval {
        if !(a.min_score.is_finite() && (super::SCORE_MIN..=super::SCORE_MAX).contains(&a.min_score)) {
            return err(
                f("approval.min_score"),
                format!("must be within 350-950, got {}", a.min_score),
            );
        }
        p.min_score = Some(a.min_score);
    }
    if let Some(l) = &raw.limits {
        if !l.multiplier_by_band.is_empty() && l.multiplier_by_band.len() != bands {
            return err(
                f("limits.multiplier_by_band"),
                format!(
                    "has {} values but population.score_bands defines {bands} bands",
                    l.multiplier_by_band.len()
                ),
            );
        }
        for (i, &m) in l.multiplier_by_band.iter().enumerate() {
            non_negative(f(&format!("limits.multiplier_by_band[{i}]")), m)?;
        }
        p.limit_multiplier_by_band = l.multiplier_by_band.clone();
        if let Some(cap) = l.cap {
            if !(cap.is_finite() && cap > 0.0) {
                return err(f("limits.cap"), format!("must be > 0, got {cap}"));
            }
            p.limit_cap = Some(cap);
        }
    }
    if let Some(e) = &raw.early_warning {
        if e.portfolio_dpd30_above.is_none() && e.factor_below.is_none() && !e.borrower_delinquent {
            return err(
                f("early_warning"),
                "give a trigger: portfolio_dpd30_above, factor_below or borrower_delinquent = true".to_string(),
            );
        }
        if let Some(x) = e.portfolio_dpd30_above {
            prob(f("early_warning.portfolio_dpd30_above"), x)?;
        }
        if let Some(x) = e.factor_below
            && !x.is_finite()
        {
            return err(
                f("early_warning.factor_below"),
                format!("must be a finite number, got {x}"),
            );
        }
        let cut_share = match e.action {
            LimitAction::Cut => prob(f("early_warning.cut_share"), e.cut_share)?.get(),
            LimitAction::Freeze => 1.0,
        };
        p.early_warning = Some(EarlyWarning {
            portfolio_dpd30_above: e.portfolio_dpd30_above,
            factor_below: e.factor_below,
            borrower_delinquent: e.borrower_delinquent,
            cut_share,
            shock_hazard_multiplier: {
                let m = e.shock_hazard_multiplier;
                if !(1.0..=100.0).contains(&m) {
                    return err(
                        f("early_warning.shock_hazard_multiplier"),
                        format!("must be in [1, 100] (1 = no liquidity shock), got {m}"),
                    );
                }
                m
            },
            shock_months: {
                if e.shock_months > 600 {
                    return err(
                        f("early_warning.shock_months"),
                        format!("at most 600, got {}", e.shock_months),
                    );
                }
                e.shock_months
            },
        });
    }
    if let Some(fb) = &raw.forbearance {
        if !fb.downturn_factor_below.is_finite() {
            return err(
                f("forbearance.downturn_factor_below"),
                "must be a finite number".to_string(),
            );
        }
        if fb.term_extension_months > 120 {
            return err(
                f("forbearance.term_extension_months"),
                format!("at most 120, got {}", fb.term_extension_months),
            );
        }
        p.forbearance = Some(Forbearance {
            take_up: prob(f("forbearance.take_up"), fb.take_up)?,
            downturn_factor_below: fb.only_in_downturn.then_some(fb.downturn_factor_below),
            term_extension_months: fb.term_extension_months,
            penalty_waiver: prob(f("forbearance.penalty_waiver"), fb.penalty_waiver)?,
            cure_boost: non_negative(f("forbearance.cure_boost"), fb.cure_boost)?,
            redefault_monthly: prob(f("forbearance.redefault_monthly"), fb.redefault_monthly)?,
            redefault_follows_factor: fb.redefault_follows_factor,
        });
    }
    if let Some(li) = &raw.limit_increase {
        if li.after_months_current == 0 || li.after_months_current > 600 {
            return err(
                f("limit_increase.after_months_current"),
                format!("must be in 1..=600, got {}", li.after_months_current),
            );
        }
        let share = non_negative(f("limit_increase.increase_share"), li.increase_share)?;
        if share > 10.0 {
            return err(
                f("limit_increase.increase_share"),
                format!("at most 10 (an elevenfold limit), got {share}"),
            );
        }
        if li.max_increases == 0 || li.max_increases > 100 {
            return err(
                f("limit_increase.max_increases"),
                format!("must be in 1..=100, got {}", li.max_increases),
            );
        }
        p.limit_increase = Some(LimitIncrease {
            after_months: li.after_months_current,
            probability: prob(f("limit_increase.probability"), li.probability)?,
            increase_share: share,
            max_increases: li.max_increases,
        });
    }
    if let Some(c) = &raw.collections {
        let (cost, cure, lgd) = c.strategy.defaults();
        p.collections = Some(Collections {
            strategy: c.strategy,
            cost_per_account_month: {
                let field = f("collections.cost_per_account_month");
                let v = non_negative(field.clone(), c.cost_per_account_month.unwrap_or(cost))?;
                if v > MAX_COST_PER_ACCOUNT_MONTH {
                    return err(
                        field,
                        format!("at most {MAX_COST_PER_ACCOUNT_MONTH:e} currency units per account-month, got {v:e}"),
                    );
                }
                v
            },
            cure_multiplier: non_negative(f("collections.cure_multiplier"), c.cure_multiplier.unwrap_or(cure))?,
            lgd_multiplier: non_negative(f("collections.lgd_multiplier"), c.lgd_multiplier.unwrap_or(lgd))?,
        });
    }
    Ok(p)
}
