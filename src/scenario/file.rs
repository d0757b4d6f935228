//! The scenario file exactly as a user writes it (TOML, parsed by serde).
//!
//! Every struct denies unknown fields and fills documented defaults, so the
//! parsed value, serialised back, is the *fully resolved* scenario that the
//! run manifest records. Checking values (ranges, shapes, PSD correlation) is
//! not done here but in [`super::validate`], which turns a [`ScenarioFile`]
//! into a [`super::Scenario`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The whole scenario file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// Format version; this program reads version 1.
    pub schema_version: u32,
    /// Short name, used for the default output folder `output/<name>/`.
    pub name: String,
    /// Free text shown by `validate` and in reports.
    #[serde(default)]
    pub description: String,
    /// Horizon, paths, seed and risk levels.
    #[serde(default)]
    pub run: RunSection,
    /// Settings shared by all segments (score bands).
    #[serde(default)]
    pub population: PopulationSection,
    /// Borrower segments; at least one.
    pub segments: Vec<SegmentSection>,
    /// Systematic factor model.
    #[serde(default, rename = "macro")]
    pub macro_model: MacroSection,
    /// Monthly loan dynamics: delinquency buckets, roll and cure rates.
    #[serde(default)]
    pub dynamics: DynamicsSection,
    /// Optional operational outage (failed automatic debits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outage: Option<OutageSection>,
    /// Optional fraud waves: attacks that take over existing accounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fraud_waves: Option<FraudWavesSection>,
    /// The other platforms tightening together (contagion through multi-platform borrowers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub industry_tightening: Option<IndustryTighteningSection>,
    /// Seed-risk events: collection restrictions, lending suspensions, reputational and funding shocks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<EventSection>,
    /// Optional risk policy levers (see [`super::PolicySection`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<super::PolicySection>,
    /// What the scorecard PD means and how the entry rates are solved for it.
    #[serde(default)]
    pub calibration: CalibrationSection,
    /// Optional imported book: the current portfolio loan by loan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub book: Option<super::BookSection>,
    /// The APR lines the book's loans are counted against (rate caps).
    #[serde(default, skip_serializing_if = "RateLinesSection::is_default")]
    pub rate_lines: RateLinesSection,
    /// Optional monthly P&L: fees, funding, operating cost and joint lending
    /// (see [`EconomicsSection`]); without it no P&L is kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub economics: Option<EconomicsSection>,
    /// The bytes of the data files named above, attached by the caller
    /// (never part of the TOML; see [`super::Attachments`]).
    #[serde(skip)]
    pub attachments: super::Attachments,
}

impl ScenarioFile {
    /// The data files this scenario names, as written (relative to its folder).
    pub fn referenced_files(&self) -> Vec<String> {
        let book = self.book.iter().map(|b| b.file.clone());
        let link = self.macro_model.link.iter().map(|l| l.file.clone());
        let mut files: Vec<String> = book.chain(link).collect();
        // One file may serve twice; it is read once.
        files.dedup();
        files
    }
}

/// `[calibration]`: what a scorecard PD means. Each grade's monthly
/// missed-payment probit is solved so that the probability of `bad_event`
/// within `dynamics.pd_period_months`, for a loan current at the start and
/// averaged over `factor_law`, equals the scorecard PD, with every channel of
/// the dynamics on (entry, roll and cure, and their factor sensitivities).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CalibrationSection {
    /// The event the scorecard PD counts.
    pub bad_event: BadEvent,
    /// The law of the factor the PD is averaged over.
    pub factor_law: FactorLaw,
}

impl Default for CalibrationSection {
    fn default() -> Self {
        Self {
            bad_event: BadEvent::ChargeOff,
            factor_law: FactorLaw::Noise,
        }
    }
}

/// The "bad" event of a scorecard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BadEvent {
    /// The loan is charged off (rolls out of the 90+ bucket, or misses a
    /// payment when there are no delinquency buckets).
    ChargeOff,
    /// The loan reaches 90 days past due (the Basel default definition).
    #[serde(rename = "dpd90")]
    Dpd90,
}

/// The through-the-cycle law of a segment's factor that a PD is averaged over.
/// The deterministic path and the shocks are the stress, never part of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactorLaw {
    /// The AR(1) noise `sigma X_t` in its stationary law (the default).
    Noise,
    /// The noise plus the regime chain in its stationary distribution.
    NoiseAndRegimes,
    /// The factor held at 0: the PD is the rate of a loan in a neutral economy.
    Zero,
}

/// `[rate_lines]`: annual rates the report counts loans above.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLinesSection {
    /// The lines, increasing: 24% (the line Chinese regulators hold
    /// licensed consumer lenders to) and 36% (above which courts voided
    /// interest under the 2015 private-lending rules) by default.
    pub apr: Vec<f64>,
    /// How a loan's annual rate is measured against them: `nominal` (12 x
    /// the monthly IRR, the annualised IRR regulators quote) or `effective`
    /// (`(1 + i)^12 - 1`).
    pub basis: RateBasis,
    /// Whether the loan's IRR includes `[economics]`'s origination fee
    /// (taken off the amount the borrower receives at booking); without
    /// `[economics]` or a fee, the IRR is the contractual rate.
    pub include_origination_fee: bool,
    /// Months over which a revolving line's drawn balance is taken to be
    /// repaid, in equal installments at its rate, for the IRR of its fee.
    pub revolving_fee_life_months: u32,
}

/// `rate_lines.basis`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RateBasis {
    /// 12 x the monthly rate.
    #[default]
    Nominal,
    /// `(1 + r)^12 - 1`.
    Effective,
}

impl RateBasis {
    /// The annual rate of a monthly rate `r` on this basis.
    pub fn annual(self, r: f64) -> f64 {
        match self {
            RateBasis::Nominal => 12.0 * r,
            RateBasis::Effective => (1.0 + r).powi(12) - 1.0,
        }
    }
}

impl Default for RateLinesSection {
    fn default() -> Self {
        Self {
            apr: vec![0.24, 0.36],
            basis: RateBasis::Nominal,
            include_origination_fee: true,
            revolving_fee_life_months: 12,
        }
    }
}

impl RateLinesSection {
    fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// `[economics]`: what the monthly P&L of every path adds to interest and
/// credit loss. Money amounts are in the book's currency; rates are annual
/// nominal (a month's rate is a twelfth).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EconomicsSection {
    /// Fee charged at booking, as a share of the balance booked, on loans
    /// booked during the run (the opening book's fees were earned before it).
    pub origination_fee_share: f64,
    /// Fee per missed payment (each month a loan is 30+ days past due or
    /// misses the payment that starts a plan), collected with the penalty
    /// interest when the loan cures or enters a plan, never from a loan that
    /// charges off; a forbearance waiver waives it like the penalty.
    pub late_fee: f64,
    /// Operating cost per account on the book at the start of each month.
    pub operating_cost_per_account_month: f64,
    /// Operating cost per loan booked during the run (acquisition, checks).
    pub operating_cost_per_origination: f64,
    /// How the book is funded.
    pub funding: FundingSection,
    /// IFRS 9 loss allowance (`None`: no provisions; the P&L books credit loss at charge-off only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provisions: Option<ProvisionsSection>,
}

impl Default for EconomicsSection {
    fn default() -> Self {
        Self {
            origination_fee_share: 0.0,
            late_fee: 0.0,
            operating_cost_per_account_month: 0.0,
            operating_cost_per_origination: 0.0,
            funding: FundingSection::default(),
            provisions: None,
        }
    }
}

/// `[economics.provisions]`: the expected credit loss of every loan at every
/// month end (IFRS 9 stages; see docs/economics.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProvisionsSection {
    /// Forward-looking scenarios: each holds the factor at a level over the
    /// ECL horizon; the ECL is their probability-weighted mean.
    pub scenarios: Vec<EclScenario>,
    /// Expected life of a revolving line for its lifetime ECL, in months.
    pub revolving_life_months: u32,
    /// Stage 2 by a significant increase in credit risk without arrears: a
    /// current loan whose point-in-time 12-month PD at the month end (the
    /// path's factor that month, held for 12 months) is at least this
    /// multiple of its 12-month PD at booking. 0 (the default): off, stage 2
    /// by the 30 days-past-due backstop and plans only.
    pub pd_rise_ratio: f64,
    /// ... and exceeds it by at least this much (a probability; 0: any rise
    /// by the ratio), so that a low PD that doubles does not move a loan.
    pub pd_rise_min_increase: f64,
    /// The factor level at which loans booked before the run's first month
    /// (the opening book) had their PD at booking: 0, the rating's
    /// through-the-cycle level. A loan booked at the start of month s > 1
    /// is compared with the factor of month s - 1, the last one known when
    /// it was underwritten.
    pub pd_rise_opening_factor: f64,
}

impl Default for ProvisionsSection {
    fn default() -> Self {
        Self {
            scenarios: vec![EclScenario {
                name: "neutral".to_string(),
                weight: 1.0,
                factor: 0.0,
            }],
            revolving_life_months: 12,
            pd_rise_ratio: 0.0,
            pd_rise_min_increase: 0.0,
            pd_rise_opening_factor: 0.0,
        }
    }
}

/// One forward-looking scenario of `[economics.provisions]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EclScenario {
    /// Name in outputs.
    pub name: String,
    /// Probability weight (the weights sum to 1).
    pub weight: f64,
    /// The factor level (standard deviations; negative = a worse economy)
    /// held over the ECL horizon.
    pub factor: f64,
}

/// `[economics.funding]`: the platform's own funding and its partners' (joint lending).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FundingSection {
    /// The platform's annual cost of funds at factor 0, before funding shocks.
    pub cost_of_funds_annual: f64,
    /// Change of the annual cost of funds per standard deviation of the
    /// segment's factor: the rate is `cost_of_funds_annual + funding shocks -
    /// factor_sensitivity_annual x Z`, floored at 0, so it rises as the
    /// economy falls (0: a fixed cost of funds).
    pub factor_sensitivity_annual: f64,
    /// The platform's own share of every loan's funding; the partners
    /// (banks, trusts, securitisation) fund the rest. 1: no partners.
    pub own_share: f64,
    /// What the partners' share earns.
    pub partner_terms: PartnerTerms,
    /// `fixed_rate`: the annual rate the platform pays on the partners' share of the balance.
    pub partner_rate_annual: f64,
    /// `pro_rata`: the platform's service fee, as a share of the interest the partners' share earns.
    pub service_fee_share: f64,
}

impl Default for FundingSection {
    fn default() -> Self {
        Self {
            cost_of_funds_annual: 0.0,
            factor_sensitivity_annual: 0.0,
            own_share: 1.0,
            partner_terms: PartnerTerms::FixedRate,
            partner_rate_annual: 0.0,
            service_fee_share: 0.0,
        }
    }
}

/// `economics.funding.partner_terms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartnerTerms {
    /// The partners lend to the platform at `partner_rate_annual`; the
    /// platform keeps the interest and bears the whole credit loss.
    #[default]
    FixedRate,
    /// Joint lending: the partners take their share of the interest, the
    /// penalty interest, the late fees and the credit loss, and pay the
    /// platform `service_fee_share` of their interest.
    ProRata,
}

/// `[run]`: simulation settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RunSection {
    /// Months simulated (1 = one period).
    pub horizon_months: u32,
    /// Monte Carlo paths (overridden by `--paths`).
    pub paths: u64,
    /// Master seed (overridden by `--seed`).
    pub seed: u64,
    /// Levels for VaR and ES, each in (0, 1).
    pub risk_levels: Vec<f64>,
    /// Draw a fresh borrower population on every path instead of once per run.
    pub redraw_population: bool,
    /// Origination months grouped into one vintage of `vintages.csv` (3: by
    /// quarter). Only read when some segment originates new loans.
    #[serde(skip_serializing_if = "is_default_vintage_months")]
    pub vintage_months: u32,
    /// How paths are sampled: plain Monte Carlo, importance sampling of the
    /// systematic factor, or `auto` (importance when a reported level is at
    /// least 0.99 and the factor has noise). Overridden by `--sampling`.
    #[serde(skip_serializing_if = "SamplingMethod::is_plain")]
    pub sampling: SamplingMethod,
    /// Settings of importance sampling (read when it is chosen).
    #[serde(skip_serializing_if = "ImportanceSection::is_default")]
    pub importance: ImportanceSection,
}

/// `run.sampling`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SamplingMethod {
    /// Every path drawn from the model's own law, weight 1.
    #[default]
    Plain,
    /// The factor innovations of most paths shifted towards the loss tail,
    /// each path weighted by its likelihood ratio.
    Importance,
    /// `importance` when some `run.risk_levels` entry is at least 0.99 and
    /// `macro.noise.sigma > 0`, else `plain`.
    Auto,
}

impl SamplingMethod {
    fn is_plain(&self) -> bool {
        *self == SamplingMethod::Plain
    }
}

/// `[run.importance]`: how importance sampling shifts the factor.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ImportanceSection {
    /// The tail level the shift aims at: the innovations are moved by
    /// `Phi^-1(level)` along the direction that moves the loss most.
    /// Default: the highest of `run.risk_levels`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<f64>,
    /// Share of paths drawn from the model's own law (defensive mixture):
    /// it bounds every weight by `1 / plain_share`, so no figure is far worse
    /// than plain sampling; 0 shifts every path.
    pub plain_share: f64,
    /// Plain paths of the pilot run that estimates the shift's direction
    /// (their own streams; not part of the results).
    pub pilot_paths: u64,
}

/// Default defensive share of plain paths.
pub const DEFAULT_PLAIN_SHARE: f64 = 0.25;
/// Default pilot paths.
pub const DEFAULT_PILOT_PATHS: u64 = 2_000;

impl Default for ImportanceSection {
    fn default() -> Self {
        Self {
            level: None,
            plain_share: DEFAULT_PLAIN_SHARE,
            pilot_paths: DEFAULT_PILOT_PATHS,
        }
    }
}

impl ImportanceSection {
    fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// Quarterly vintages, the usual grouping of vintage analysis.
pub const DEFAULT_VINTAGE_MONTHS: u32 = 3;

fn is_default_vintage_months(v: &u32) -> bool {
    *v == DEFAULT_VINTAGE_MONTHS
}

impl Default for RunSection {
    fn default() -> Self {
        Self {
            horizon_months: 24,
            paths: 10_000,
            seed: 1,
            risk_levels: vec![0.95, 0.99, 0.999],
            redraw_population: false,
            vintage_months: DEFAULT_VINTAGE_MONTHS,
            sampling: SamplingMethod::Plain,
            importance: ImportanceSection::default(),
        }
    }
}

/// `[population]`: settings shared by every segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PopulationSection {
    /// Score band edges on the 350-950 scale, increasing, first 350, last 950.
    /// Pricing and PD tables give one value per band; reports group by band.
    pub score_bands: Vec<f64>,
}

impl Default for PopulationSection {
    fn default() -> Self {
        Self {
            score_bands: vec![350.0, 550.0, 600.0, 650.0, 700.0, 750.0, 950.0],
        }
    }
}

/// `[[segments]]`: one homogeneous group of borrowers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentSection {
    /// Unique segment name.
    pub name: String,
    /// Number of loans booked in this segment.
    pub loans: u64,
    /// Credit score distribution (normal, truncated to 350-950).
    pub score: ScoreSpec,
    /// Monthly income distribution (log-normal).
    /// Required when the segment draws synthetic loans (`loans > 0`); a
    /// segment that only holds an imported book has no use for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub income: Option<IncomeSpec>,
    /// Product mix: revolving lines and installment loans.
    #[serde(default)]
    pub products: ProductMix,
    /// Interest rate by score band.
    #[serde(default)]
    pub pricing: PricingSpec,
    /// Credit limit as a function of score and income.
    #[serde(default)]
    pub limit: LimitSpec,
    /// Score to PD mapping.
    pub pd: PdSpec,
    /// Monthly asset correlation with the segment's systematic factor, in [0, 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rho: Option<f64>,
    /// Or: the asset correlation per PD period (annual for an annual PD) the
    /// monthly one is solved for (see `[calibration]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rho_annual: Option<f64>,
    /// Weights of the macro factors in the segment's systematic factor
    /// (one per factor). Default: all weight on the first factor.
    #[serde(default)]
    pub factor_weights: Vec<f64>,
    /// Loss given default.
    pub lgd: LgdSpec,
    /// Share of loans that are fraudulent (first-payment default), in [0, 1].
    #[serde(default)]
    pub fraud_share: f64,
    /// LGD of fraudulent loans (near-total loss).
    #[serde(default = "default_fraud_lgd")]
    pub fraud_lgd: f64,
    /// Monthly probability that a current loan is repaid in full early
    /// (for a revolving line: the line is closed).
    #[serde(default)]
    pub prepayment_monthly: f64,
    /// This segment's own roll and cure rates; any field left out is taken
    /// from `[dynamics]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dynamics: Option<SegmentDynamicsSection>,
    /// New applications during the run (a going-concern book); without it
    /// the segment's book only runs off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub originations: Option<OriginationsSection>,
    /// Borrowers who also owe other platforms (contagion when the industry tightens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multi_platform: Option<MultiPlatformSection>,
    /// Regulatory capital of the segment's exposures (Basel IRB); without
    /// it the segment has no capital figures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capital: Option<CapitalSection>,
}

/// `[segments.capital]`: the IRB risk-weight function of a segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapitalSection {
    /// `qrre`, `other_retail`, `residential_mortgage` or `corporate`.
    pub asset_class: crate::capital::AssetClass,
    /// Asset class of the segment's revolving lines where it differs (e.g.
    /// `qrre` beside `other_retail` installment loans); default `asset_class`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revolving_asset_class: Option<crate::capital::AssetClass>,
    /// Effective maturity in years, 1 to 5 (corporate only; 2.5 is no adjustment).
    #[serde(default = "default_maturity")]
    pub maturity_years: f64,
    /// Annual turnover of the borrowers in million euros, for the SME size
    /// adjustment (corporate only; without it, none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turnover_millions: Option<f64>,
    /// Floor of the one-year PD (Basel II: 0.0003).
    #[serde(default = "default_pd_floor")]
    pub pd_floor: f64,
    /// Multiplier of the risk weights (1; Basel II's 1.06 where national rules keep it).
    #[serde(default = "one_f64")]
    pub scaling_factor: f64,
}

fn default_maturity() -> f64 {
    2.5
}

fn default_pd_floor() -> f64 {
    0.0003
}

/// `[segments.multi_platform]`: borrowers in debt on other platforms too.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MultiPlatformSection {
    /// Share of the segment's borrowers who owe other platforms, in [0, 1].
    pub share: f64,
    /// Other platforms such a borrower owes.
    #[serde(default = "one_f64")]
    pub other_lenders: f64,
    /// What such a borrower owes each other platform, as a multiple of our limit.
    #[serde(default = "one_f64")]
    pub debt_per_lender_to_limit: f64,
    /// Rise of the monthly miss probability per unit of debt elsewhere
    /// (relative to our limit) while the industry tightens: the
    /// probability is multiplied by `1 + k * other_lenders * debt_per_lender_to_limit`.
    pub hazard_per_debt: f64,
}

fn one_f64() -> f64 {
    1.0
}

/// `[industry_tightening]`: the other platforms cut their lines together;
/// while they do, multi-platform borrowers miss more often.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndustryTighteningSection {
    /// Fixed month (1-based).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub month: Option<u32>,
    /// Or a month drawn uniformly within `[first, last]` (1-based).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<[u32; 2]>,
    /// Probability of a fixed-month or window tightening (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// Or a monthly probability at factor 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability_monthly: Option<f64>,
    /// Probit sensitivity of the monthly probability to the factor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor_sensitivity: Option<f64>,
    /// The factor of `factor_sensitivity` (default: the first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor: Option<String>,
    /// Months the tightening lasts.
    pub duration_months: u32,
    /// Feedback: the industry also tightens from the month after our own
    /// book's 30+ days-past-due rate first exceeds this share.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when_own_dpd30_above: Option<f64>,
}

/// The timing fields `[industry_tightening]` and `[[events]]` share, as one
/// borrowed view for their one check. (Each section spells them out itself:
/// serde cannot flatten a table into one that denies unknown fields.)
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimingFields<'a> {
    /// Fixed month (1-based).
    pub month: Option<u32>,
    /// Window `[first, last]` (1-based).
    pub window: Option<[u32; 2]>,
    /// Probability of a fixed-month or window event.
    pub probability: Option<f64>,
    /// Monthly probability at factor 0.
    pub probability_monthly: Option<f64>,
    /// Probit sensitivity to the factor.
    pub factor_sensitivity: Option<f64>,
    /// The factor's name.
    pub factor: Option<&'a str>,
}

macro_rules! timing_fields {
    ($section:ty) => {
        impl $section {
            /// Its timing fields.
            pub fn timing(&self) -> TimingFields<'_> {
                TimingFields {
                    month: self.month,
                    window: self.window,
                    probability: self.probability,
                    probability_monthly: self.probability_monthly,
                    factor_sensitivity: self.factor_sensitivity,
                    factor: self.factor.as_deref(),
                }
            }
        }
    };
}
timing_fields!(IndustryTighteningSection);
timing_fields!(EventSection);

/// `[[events]]`: a seed-risk event with its timing (see
/// [`EventTimingFields`]) and the fields of its kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventSection {
    /// `collection_restriction`, `lending_suspension`, `reputational_shock` or `funding_shock`.
    pub kind: EventKind,
    /// Name in outputs (default: the kind).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Fixed month (1-based).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub month: Option<u32>,
    /// Or a month drawn uniformly within `[first, last]` (1-based).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<[u32; 2]>,
    /// Probability of a fixed-month or window event (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// Or a monthly probability at factor 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability_monthly: Option<f64>,
    /// Probit sensitivity of the monthly probability to the factor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor_sensitivity: Option<f64>,
    /// The factor of `factor_sensitivity` (default: the first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor: Option<String>,
    /// Months the effect lasts (every kind but `collection_restriction`, which lasts to the horizon).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_months: Option<u32>,
    /// `collection_restriction`: cure rates are multiplied by this from the month on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cure_multiplier: Option<f64>,
    /// `reputational_shock`: applications are multiplied by this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_multiplier: Option<f64>,
    /// `reputational_shock`: prepayment (and line closure) rates are multiplied by this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prepayment_multiplier: Option<f64>,
    /// `funding_shock`: the rise of the annual cost of funds (recorded per path for the economics to come).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub funding_cost_jump_annual: Option<f64>,
    /// `rate_cap`: the largest annual nominal rate (12 x the monthly rate) from the month on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apr_cap: Option<f64>,
}

/// The seed-risk events `[[events]]` can express.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A regulator restricts collection practices: cures fall from the month on.
    CollectionRestriction,
    /// A licensing or platform suspension: no new lending for some months.
    LendingSuspension,
    /// A reputational shock: applications fall and borrowers repay early and leave.
    ReputationalShock,
    /// Funding strain: the cost of funds jumps (no effect on the loss; recorded per path).
    FundingShock,
    /// An interest-rate cap: loans priced above it reprice to it from the month on.
    RateCap,
}

impl EventKind {
    /// The kind's word in files.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::CollectionRestriction => "collection_restriction",
            EventKind::LendingSuspension => "lending_suspension",
            EventKind::ReputationalShock => "reputational_shock",
            EventKind::FundingShock => "funding_shock",
            EventKind::RateCap => "rate_cap",
        }
    }
}

/// `[segments.originations]`: the monthly flow of new applicants. Each
/// applicant is drawn from the segment's own score, income, product, limit
/// and pricing rules and passes the same approval policy as the opening book.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OriginationsSection {
    /// Mean applications a month when the segment's factor is 0.
    pub applications_monthly: f64,
    /// Log-volume per standard deviation of the segment's factor: the month's
    /// mean is `applications_monthly * exp(volume_sensitivity * Z_t)`
    /// (negative: more applications in a downturn, as distressed borrowers
    /// seek credit; positive: demand falls with the economy).
    #[serde(default)]
    pub volume_sensitivity: f64,
    /// The month's mean volume is at most this multiple of `applications_monthly`.
    #[serde(default = "default_volume_cap_multiple")]
    pub volume_cap_multiple: f64,
    /// How the month's count is drawn around its mean.
    #[serde(default)]
    pub volume_noise: VolumeNoise,
    /// Adverse selection: the applicants' mean score moves by this many
    /// points per standard deviation of the factor, `score.mean +
    /// score_shift_per_sd * Z_t` (positive: worse applicants in a downturn).
    #[serde(default)]
    pub score_shift_per_sd: f64,
    /// First month (1-based) in which applicants arrive (default 2: the
    /// opening book is month 1's).
    #[serde(default = "default_first_origination_month")]
    pub first_month: u32,
    /// Last month in which applicants arrive (default: the horizon).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_month: Option<u32>,
    /// Probability that an installment borrower of the segment (opening book
    /// or new) who repays at maturity takes the same loan again from the next month.
    #[serde(default)]
    pub renewal_probability: f64,
}

fn default_volume_cap_multiple() -> f64 {
    5.0
}

fn default_first_origination_month() -> u32 {
    2
}

/// How a month's number of applicants is drawn from its mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VolumeNoise {
    /// A Poisson count with that mean.
    #[default]
    Poisson,
    /// The mean rounded to the nearest whole applicant.
    None,
}

/// Fixed-length arrays that refuse extra or missing values (serde's own
/// array impls, through the TOML deserializer, silently drop extra values).
mod exact {
    use serde::de::Error;
    use serde::{Deserialize, Deserializer};

    pub fn array<'de, D, T, const N: usize>(d: D) -> Result<[T; N], D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        let values = Vec::<T>::deserialize(d)?;
        let len = values.len();
        values
            .try_into()
            .map_err(|_| D::Error::invalid_length(len, &format!("exactly {N} values").as_str()))
    }

    pub fn some_array<'de, D, T, const N: usize>(d: D) -> Result<Option<[T; N]>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        array(d).map(Some)
    }
}

/// `[segments.dynamics]`: a segment's delinquency transitions, each field
/// defaulting to the global `[dynamics]` value.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentDynamicsSection {
    /// Monthly roll rates 30->60, 60->90+, 90+->charge-off.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "exact::some_array"
    )]
    pub roll_rates: Option<[f64; 3]>,
    /// Monthly cure rates from 30, 60, 90+.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "exact::some_array"
    )]
    pub cure_rates: Option<[f64; 3]>,
    /// Sensitivity of roll rates to the factor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roll_sensitivity: Option<f64>,
    /// Sensitivity of cure rates to the factor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cure_sensitivity: Option<f64>,
    /// Revolving lines' own values (each field defaults to the segment's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revolving: Option<ProductDynamicsSection>,
    /// Installment loans' own values (each field defaults to the segment's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub installment: Option<ProductDynamicsSection>,
}

/// `[segments.dynamics.revolving]` or `[segments.dynamics.installment]`:
/// one product's transitions within a segment. (The same four fields as
/// [`SegmentDynamicsSection`], written out twice because serde cannot
/// flatten a struct into one that denies unknown fields.)
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductDynamicsSection {
    /// Monthly roll rates 30->60, 60->90+, 90+->charge-off.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "exact::some_array"
    )]
    pub roll_rates: Option<[f64; 3]>,
    /// Monthly cure rates from 30, 60, 90+.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "exact::some_array"
    )]
    pub cure_rates: Option<[f64; 3]>,
    /// Sensitivity of roll rates to the factor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roll_sensitivity: Option<f64>,
    /// Sensitivity of cure rates to the factor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cure_sensitivity: Option<f64>,
}

fn default_fraud_lgd() -> f64 {
    0.95
}

/// Truncated normal score distribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreSpec {
    /// Mean score (points).
    pub mean: f64,
    /// Standard deviation (points), > 0.
    pub std: f64,
}

/// Log-normal monthly income.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncomeSpec {
    /// Median monthly income (currency units).
    pub median_monthly: f64,
    /// Standard deviation of log income.
    pub sigma: f64,
}

/// A Beta distribution given by its mean and standard deviation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BetaSpec {
    /// Mean, in (0, 1) (or exactly 0 or 1 with `std = 0`).
    pub mean: f64,
    /// Standard deviation; 0 (the default) means the value is fixed at `mean`.
    #[serde(default)]
    pub std: f64,
}

/// Amortisation of an installment loan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Amortisation {
    /// Annuity: equal total payment every month (等额本息).
    EqualInstallment,
    /// Equal principal every month plus interest on the balance (等额本金).
    EqualPrincipal,
    /// Interest only, principal repaid at maturity (先息后本).
    Bullet,
}

/// `[segments.products]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProductMix {
    /// Share of loans that are revolving lines; the rest are installment loans.
    pub revolving_share: f64,
    /// Installment terms in months (each >= 1).
    pub installment_terms: Vec<u32>,
    /// Relative weights of `installment_terms` (default: equal).
    pub installment_term_weights: Vec<f64>,
    /// Amortisation of installment loans.
    pub amortisation: Amortisation,
    /// Installment loan amount as a share of the borrower's limit (`std` defaults to 0).
    pub installment_draw: BetaSpec,
    /// Initial drawn share of a revolving line's limit.
    pub utilisation: BetaSpec,
    /// Share of the drawn revolving balance repaid each month by a current borrower.
    pub revolving_repay_rate: f64,
    /// Share of the undrawn revolving limit drawn each month by a current borrower.
    pub revolving_draw_rate: f64,
    /// Share of the undrawn revolving limit drawn when the borrower first
    /// misses a payment (drawdown before default).
    pub revolving_ccf: f64,
}

impl Default for ProductMix {
    fn default() -> Self {
        Self {
            revolving_share: 0.0,
            installment_terms: vec![3, 6, 12],
            installment_term_weights: Vec::new(),
            amortisation: Amortisation::EqualInstallment,
            installment_draw: BetaSpec { mean: 0.5, std: 0.2 },
            utilisation: BetaSpec { mean: 0.4, std: 0.2 },
            revolving_repay_rate: 0.3,
            revolving_draw_rate: 0.1,
            revolving_ccf: 0.5,
        }
    }
}

/// Daily rates per band used when a segment gives no `[segments.pricing]`
/// (for the six default score bands).
pub const DEFAULT_DAILY_RATES: [f64; 6] = [0.0005, 0.00045, 0.0004, 0.00035, 0.0003, 0.0002];

/// `[segments.pricing]`: one rate per score band; give daily or annual rates.
/// With neither, [`DEFAULT_DAILY_RATES`] apply (only with the default six bands).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PricingSpec {
    /// Daily rate per band (0.0003 = 0.03% a day); annual = daily x 365.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub daily_rate_by_band: Option<Vec<f64>>,
    /// Annual rate per band (0.12 = 12% a year); monthly = annual / 12.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annual_rate_by_band: Option<Vec<f64>>,
}

/// `[segments.limit]`:
/// `limit = clamp(income * income_multiple * (score / score_pivot)^score_elasticity, min, cap)`,
/// rounded down to a multiple of `rounding`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitSpec {
    /// Limit in months of income at the pivot score.
    pub income_multiple: f64,
    /// Score at which the multiple applies unchanged.
    pub score_pivot: f64,
    /// Elasticity of the limit to the score.
    pub score_elasticity: f64,
    /// Smallest limit granted.
    pub min: f64,
    /// Product maximum.
    pub cap: f64,
    /// Limits are multiples of this amount.
    pub rounding: f64,
}

impl Default for LimitSpec {
    fn default() -> Self {
        Self {
            income_multiple: 2.0,
            score_pivot: 650.0,
            score_elasticity: 3.0,
            min: 500.0,
            cap: 300_000.0,
            rounding: 100.0,
        }
    }
}

/// `pd = { model = ..., ... }`: annual (or per `pd_period_months`) PD by score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "snake_case", deny_unknown_fields)]
pub enum PdSpec {
    /// Logistic scorecard: `PD = 1 / (1 + exp(-(intercept + slope_per_100 * (score - pivot) / 100)))`.
    /// Scores are resolved to 5 points.
    Logistic {
        /// Log-odds of default at the pivot score.
        intercept: f64,
        /// Change in log-odds per 100 score points (negative: better score, lower PD).
        slope_per_100: f64,
        /// Pivot score.
        #[serde(default = "default_pd_pivot")]
        pivot: f64,
    },
    /// One PD per score band.
    Table {
        /// PD per band, in [0, 1).
        by_band: Vec<f64>,
    },
    /// The same PD for every borrower.
    Constant {
        /// The PD, in [0, 1).
        value: f64,
    },
}

fn default_pd_pivot() -> f64 {
    600.0
}

/// `lgd = { mean, std, macro_sensitivity }`: Beta LGD whose mean moves with the factor:
/// `mean_t = Phi(Phi^-1(mean) - macro_sensitivity * Z_t)`, concentration fixed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LgdSpec {
    /// Mean LGD in [0, 1].
    pub mean: f64,
    /// Standard deviation; 0 = fixed LGD.
    #[serde(default)]
    pub std: f64,
    /// Sensitivity of the LGD mean to the systematic factor (>= 0).
    #[serde(default)]
    pub macro_sensitivity: f64,
}

/// `[macro]`: the systematic factors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MacroSection {
    /// Factor names (e.g. national, regional).
    pub factors: Vec<String>,
    /// Correlation matrix of the factors' noise (default: identity). Must be PSD.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub correlation: Vec<Vec<f64>>,
    /// AR(1) noise.
    pub noise: NoiseSpec,
    /// Deterministic mean path per factor name, month by month from month 1;
    /// the last value is carried forward. `link` adds to it.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub deterministic: BTreeMap<String, Vec<f64>>,
    /// Optional Markov regime chain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regimes: Option<RegimeSpec>,
    /// Shock events.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub shocks: Vec<ShockSpec>,
    /// Optional stress in economic units: a table of economic variables
    /// whose effect is added to the deterministic path (see [`super::MacroLinkSection`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<super::MacroLinkSection>,
}

impl Default for MacroSection {
    fn default() -> Self {
        Self {
            factors: vec!["national".to_string()],
            correlation: Vec::new(),
            noise: NoiseSpec::default(),
            deterministic: BTreeMap::new(),
            regimes: None,
            shocks: Vec::new(),
            link: None,
        }
    }
}

/// `[macro.noise]`: `X_t = phi X_{t-1} + sqrt(1 - phi^2) eps_t`, factor = mean + sigma X_t.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NoiseSpec {
    /// Month-to-month persistence, in (-1, 1).
    pub phi: f64,
    /// Stationary standard deviation (1 = standard normal factor; 0 = no noise).
    pub sigma: f64,
}

impl Default for NoiseSpec {
    fn default() -> Self {
        Self { phi: 0.0, sigma: 1.0 }
    }
}

/// `[macro.regimes]`: a Markov chain over states with per-state factor means.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegimeSpec {
    /// The states.
    pub states: Vec<RegimeState>,
    /// Monthly transition matrix; row i gives P(next = j | now = i).
    pub transition: Vec<Vec<f64>>,
    /// State in month 1: a state's name, `"stationary"` (drawn from the
    /// chain's stationary distribution), or a list of probabilities, one per
    /// state. Default: the first state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial: Option<RegimeInitial>,
}

/// How the regime chain starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RegimeInitial {
    /// A state's name, or `"stationary"`.
    Name(String),
    /// Probabilities of each state in month 1.
    Probabilities(Vec<f64>),
}

/// One regime.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegimeState {
    /// State name (e.g. expansion, recession).
    pub name: String,
    /// Mean added to every factor while in this state.
    pub mean: f64,
}

/// Shape of a shock's recovery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecoveryShape {
    /// Depth falls linearly to zero over `recovery_months`.
    Linear,
    /// Depth decays as `exp(-3 j / recovery_months)`.
    Exponential,
    /// Depth vanishes at once after the shock.
    Step,
}

/// `[[macro.shocks]]`: a downward shift of the factor(s).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShockSpec {
    /// Label for reports.
    #[serde(default)]
    pub name: String,
    /// Fixed first month of the shock (1-based).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_month: Option<u32>,
    /// Or: first month drawn uniformly from `[lo, hi]` on each path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "exact::some_array")]
    pub start_month_range: Option<[u32; 2]>,
    /// Depth in standard deviations of the factor (subtracted).
    pub depth: f64,
    /// Months at full depth.
    pub duration_months: u32,
    /// Months to recover after full depth.
    #[serde(default)]
    pub recovery_months: u32,
    /// Recovery shape.
    #[serde(default = "default_recovery_shape")]
    pub recovery_shape: RecoveryShape,
    /// Probability that the shock happens on a path.
    #[serde(default = "one")]
    pub probability: f64,
    /// Factors hit (default: all).
    #[serde(default)]
    pub factors: Vec<String>,
}

fn default_recovery_shape() -> RecoveryShape {
    RecoveryShape::Linear
}

fn one() -> f64 {
    1.0
}

/// `[dynamics]`: monthly loan stepping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DynamicsSection {
    /// Period (months) over which the scorecard PD is quoted: 12 = annual PD.
    pub pd_period_months: u32,
    /// Model delinquency buckets (30, 60, 90+ days past due) before charge-off.
    /// When false, a missed payment is an immediate default.
    pub delinquency: bool,
    /// Monthly roll rates 30->60, 60->90+, 90+->charge-off: the mean of the
    /// conditional rate `Phi((Phi^-1(r) - sqrt(s) z) / sqrt(1 - s))` over a
    /// standard normal `z` (the Vasicek convention; at `z = 0` the rate is
    /// `Phi(Phi^-1(r) / sqrt(1 - s))`, not `r`). Default for every segment.
    #[serde(deserialize_with = "exact::array")]
    pub roll_rates: [f64; 3],
    /// Monthly cure rates back to current from 30, 60, 90+, in the same
    /// convention (with `+ sqrt(s) z`: cures fall when `z < 0`).
    #[serde(deserialize_with = "exact::array")]
    pub cure_rates: [f64; 3],
    /// Sensitivity of roll rates to the factor (a Vasicek rho, in [0, 1)).
    pub roll_sensitivity: f64,
    /// Sensitivity of cure rates to the factor (a Vasicek rho, in [0, 1)).
    pub cure_sensitivity: f64,
    /// Months from charge-off to the recovery cash flow (one lump). Default
    /// 6 when `recovery_curve` is not given; not both.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_lag_months: Option<u32>,
    /// Share of the recovered amount received in each month after the
    /// charge-off, the first entry the charge-off month itself; sums to 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_curve: Option<Vec<f64>>,
    /// Annual rate at which recoveries are discounted to the charge-off month
    /// for the economic loss; `None`: each loan's own rate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_discount_rate_annual: Option<f64>,
    /// Cost of collecting recoveries, as a share of the cash recovered.
    pub recovery_cost_share: f64,
    /// How the economy when a recovery arrives moves it: the recovery rate
    /// of that cash flow is `Phi(Phi^-1(1 - LGD) + k Z)` with Z the
    /// segment's factor in that month (0 after the horizon). 0: no effect.
    pub recovery_macro_sensitivity: f64,
    /// Penalty interest per month on the balance of a delinquent loan,
    /// collected if it cures, lost if it charges off.
    pub penalty_rate_monthly: f64,
    /// Days past due at which a revolving line is suspended for good (no
    /// more draws, even after a cure): 30, 60 or 90; 0 = never (a cured line
    /// draws again).
    pub suspend_line_at_dpd: u32,
}

impl Default for DynamicsSection {
    fn default() -> Self {
        Self {
            pd_period_months: 12,
            delinquency: true,
            roll_rates: [0.5, 0.7, 0.9],
            cure_rates: [0.35, 0.15, 0.05],
            roll_sensitivity: 0.1,
            cure_sensitivity: 0.1,
            recovery_lag_months: None,
            recovery_curve: None,
            recovery_discount_rate_annual: None,
            recovery_cost_share: 0.0,
            recovery_macro_sensitivity: 0.0,
            penalty_rate_monthly: 0.0,
            suspend_line_at_dpd: 30,
        }
    }
}

/// `[fraud_waves]`: attacks in which fraudsters take over existing
/// accounts (account takeover), so fraud loss varies from path to path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FraudWavesSection {
    /// Monthly probability that an attack starts, in a month with none running.
    pub probability_monthly: f64,
    /// Months an attack lasts.
    #[serde(default = "one_u32")]
    pub duration_months: u32,
    /// Share of current loans taken over in each month of an attack.
    pub takeover_share: f64,
    /// An outage that happens also opens an attack in its month (controls
    /// lapse while systems fail).
    #[serde(default)]
    pub with_outage: bool,
}

fn one_u32() -> u32 {
    1
}

/// Recovery lag when neither `recovery_lag_months` nor `recovery_curve` is given.
pub const DEFAULT_RECOVERY_LAG_MONTHS: u32 = 6;

impl DynamicsSection {
    /// The recovery assumptions in words, e.g. "recoveries in one lump 6
    /// months after the charge-off (discounted at each loan's own rate ...)".
    pub fn describe_recovery(&self) -> String {
        let schedule = match (&self.recovery_curve, self.recovery_lag_months) {
            (Some(curve), _) => format!(
                "spread over the months after the charge-off ({} in months 0, 1, ...)",
                curve
                    .iter()
                    .map(|s| format!("{}%", s * 100.0))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            (None, lag) => format!(
                "in one lump {} months after the charge-off",
                lag.unwrap_or(DEFAULT_RECOVERY_LAG_MONTHS)
            ),
        };
        let discount = match self.recovery_discount_rate_annual {
            None => "discounted at each loan's own rate".to_string(),
            Some(r) => format!("discounted at {}% a year", r * 100.0),
        };
        let cost = if self.recovery_cost_share > 0.0 {
            format!(", costing {}% of the cash recovered", self.recovery_cost_share * 100.0)
        } else {
            String::new()
        };
        let economy = if self.recovery_macro_sensitivity > 0.0 {
            format!(
                "; each recovery moves with the factor when it arrives (sensitivity {})",
                self.recovery_macro_sensitivity
            )
        } else {
            String::new()
        };
        format!("recoveries {schedule} ({discount} for the economic loss{cost}{economy})")
    }
}

/// `[outage]`: failed automatic debits in one month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutageSection {
    /// Month of the outage (1-based).
    pub month: u32,
    /// Probability that the outage happens on a path.
    #[serde(default = "one")]
    pub probability: f64,
    /// Share of current loans whose debit fails (they become 30 days past due).
    pub share: f64,
    /// Probability that such a technical delinquency cures the next month.
    pub cure_rate: f64,
    /// A debit that failed and is retried next month does not take the loan
    /// out of that month's miss hazard: on the cure it is current and draws
    /// as usual. (False: the month of the cure is skipped, as in earlier versions.)
    #[serde(default = "yes")]
    pub hazard_continues: bool,
}

fn yes() -> bool {
    true
}
