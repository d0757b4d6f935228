//! Checked scenario types: what the engine consumes.

use rand::Rng;
use rand_distr::{Beta, Distribution, Gamma};

use super::file::{Amortisation, LimitSpec, PdSpec, RecoveryShape, ScenarioFile};

/// A probability known to lie in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Probability(f64);

impl Probability {
    /// Returns `None` unless `0 <= p <= 1`.
    pub fn new(p: f64) -> Option<Self> {
        (0.0..=1.0).contains(&p).then_some(Self(p))
    }
    /// The value in [0, 1].
    pub fn get(self) -> f64 {
        self.0
    }
}

/// A validated scenario, ready for the engine.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The fully resolved file (defaults filled, overrides applied); recorded in the manifest.
    pub file: ScenarioFile,
    /// Scenario name.
    pub name: String,
    /// Months simulated.
    pub horizon_months: usize,
    /// Monte Carlo paths.
    pub paths: u64,
    /// Master seed.
    pub seed: u64,
    /// VaR / ES levels, increasing, each in (0, 1).
    pub risk_levels: Vec<f64>,
    /// Draw a new population on every path.
    pub redraw_population: bool,
    /// Origination months per vintage of `vintages.csv`.
    pub vintage_months: usize,
    /// Importance sampling of the factor, or `None` for plain sampling
    /// (`run.sampling` with `auto` resolved).
    pub importance: Option<ImportanceSettings>,
    /// Score band edges.
    pub bands: ScoreBands,
    /// Segments in file order.
    pub segments: Vec<Segment>,
    /// Systematic factor model.
    pub macro_model: MacroModel,
    /// Loan dynamics.
    pub dynamics: Dynamics,
    /// Operational outage, if any.
    pub outage: Option<Outage>,
    /// Fraud waves, if any.
    pub fraud_waves: Option<FraudWaves>,
    /// The industry's tightening, if any.
    pub industry_tightening: Option<IndustryTightening>,
    /// Seed-risk events, in file order.
    pub events: Vec<Event>,
    /// Risk policy (the default changes nothing).
    pub policy: super::Policy,
    /// What the scorecard PDs mean.
    pub calibration: Calibration,
    /// Loans imported from `[book] file`, in file order (empty without a book).
    pub book: std::sync::Arc<Vec<super::ImportedLoan>>,
}

/// Importance sampling as resolved from `run.sampling` and `[run.importance]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImportanceSettings {
    /// The tail level the shift aims at.
    pub level: f64,
    /// Share of paths drawn from the model's own law.
    pub plain_share: f64,
    /// Pilot paths that estimate the shift's direction.
    pub pilot_paths: u64,
}

/// What a scorecard PD means (see [`super::CalibrationSection`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Calibration {
    /// The event the PD counts.
    pub bad_event: super::BadEvent,
    /// The factor law the PD is averaged over.
    pub factor_law: super::FactorLaw,
}

impl Scenario {
    /// Total loans over all segments, synthetic and imported.
    pub fn total_loans(&self) -> u64 {
        self.segments.iter().map(|s| s.loans).sum::<u64>() + self.book.len() as u64
    }

    /// Names of the path-level events in output order: the industry
    /// tightening (as `industry_tightening`) first, then `[[events]]`.
    pub fn event_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .industry_tightening
            .iter()
            .map(|_| "industry_tightening".to_string())
            .collect();
        names.extend(self.events.iter().map(|e| e.name.clone()));
        names
    }

    /// Whether contagion can act: some segment has multi-platform borrowers and the industry can tighten.
    pub fn has_contagion(&self) -> bool {
        self.industry_tightening.is_some()
            && self
                .segments
                .iter()
                .any(|s| s.multi_platform.is_some_and(|m| m.share.get() > 0.0))
    }

    /// Whether any segment books new loans during the run.
    pub fn originates(&self) -> bool {
        self.segments.iter().any(|s| s.originations.is_some())
    }

    /// Synthetic applicants over all segments (the stream keys `0..n`).
    pub fn synthetic_loans(&self) -> u64 {
        self.segments.iter().map(|s| s.loans).sum()
    }

    /// The same scenario under another policy (replacing any `[policy]` of the file).
    pub fn with_policy(&self, policy: super::PolicySection) -> Result<Self, super::ScenarioError> {
        let mut file = self.file.clone();
        file.policy = Some(policy);
        Scenario::from_file(file)
    }

    /// The same scenario sampled by `method` (the `--sampling` override),
    /// validated again (importance sampling needs factor noise).
    pub fn with_sampling(&self, method: super::SamplingMethod) -> Result<Self, super::ScenarioError> {
        let mut file = self.file.clone();
        file.run.sampling = method;
        Scenario::from_file(file)
    }

    /// Replaces the number of paths and/or the seed (CLI overrides), keeping
    /// the resolved file in step so the manifest reproduces the run.
    pub fn with_overrides(mut self, paths: Option<u64>, seed: Option<u64>) -> Self {
        if let Some(p) = paths {
            self.paths = p;
            self.file.run.paths = p;
        }
        if let Some(s) = seed {
            self.seed = s;
            self.file.run.seed = s;
        }
        self
    }
}

/// Increasing score band edges from 350 to 950.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreBands {
    pub(crate) edges: Vec<f64>,
}

impl ScoreBands {
    /// Number of bands.
    pub fn len(&self) -> usize {
        self.edges.len() - 1
    }
    /// Always false: a validated set has at least one band.
    pub fn is_empty(&self) -> bool {
        false
    }
    /// Band index of a score: band i covers `[edge_i, edge_{i+1})`, the last one includes 950.
    pub fn band_of(&self, score: f64) -> usize {
        let upper = &self.edges[1..self.edges.len() - 1];
        upper.partition_point(|&e| e <= score)
    }
    /// Human label of band i, e.g. `600-650`.
    pub fn label(&self, band: usize) -> String {
        format!("{}-{}", self.edges[band], self.edges[band + 1])
    }
}

/// A Beta distribution on [0, 1], or a fixed value when its std is 0.
#[derive(Debug, Clone, Copy)]
pub enum UnitDistribution {
    /// Always this value.
    Fixed(f64),
    /// Beta(alpha, beta).
    Beta(BetaLaw),
}

impl UnitDistribution {
    /// Draws one value in [0, 1].
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Self::Fixed(v) => *v,
            Self::Beta(b) => b.sample(rng),
        }
    }
}

/// Beta(alpha, beta), drawn by the sampler that is fastest for its shapes.
///
/// With both shapes at least 1 (most LGDs of the bundled scenarios; the
/// downturn book's micro-business LGD, whose mean rises with a bad factor
/// at a fixed concentration, has its beta shape below 1 in bad months), as
/// `X / (X + Y)` from `X ~ Gamma(alpha)` and `Y ~ Gamma(beta)`: Marsaglia and
/// Tsang's method takes a normal and a uniform per gamma and no logarithm
/// in about 98% of draws, where Cheng's Beta algorithms (rand_distr's `Beta`)
/// take two or three logarithms and exponentials per draw; a charge-off's
/// LGD was about 10% of a downturn run. With a shape below 1 (a U- or
/// J-shaped Beta), Cheng's algorithm, which has no underflow of `X + Y`
/// there. Both are exact; they draw different values from the same stream.
#[derive(Debug, Clone, Copy)]
pub enum BetaLaw {
    /// Gamma(alpha, 1) and Gamma(beta, 1).
    Gammas(Gamma<f64>, Gamma<f64>),
    /// Cheng's algorithms.
    Cheng(Beta<f64>),
}

impl BetaLaw {
    /// Beta(alpha, beta); an error unless both are positive and finite.
    pub fn new(alpha: f64, beta: f64) -> Result<Self, rand_distr::BetaError> {
        let cheng = Beta::new(alpha, beta)?;
        Ok(match (Gamma::new(alpha, 1.0), Gamma::new(beta, 1.0)) {
            (Ok(x), Ok(y)) if alpha >= 1.0 && beta >= 1.0 => BetaLaw::Gammas(x, y),
            _ => BetaLaw::Cheng(cheng),
        })
    }

    /// One draw in [0, 1].
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            BetaLaw::Gammas(x, y) => {
                let x = x.sample(rng);
                x / (x + y.sample(rng))
            }
            BetaLaw::Cheng(b) => b.sample(rng),
        }
    }
}

/// A segment, checked.
#[derive(Debug, Clone)]
pub struct Segment {
    /// Name.
    pub name: String,
    /// Loans booked.
    pub loans: u64,
    /// Mean score.
    pub score_mean: f64,
    /// Score standard deviation (> 0).
    pub score_std: f64,
    /// Median monthly income.
    pub income_median: f64,
    /// Log-income standard deviation.
    pub income_sigma: f64,
    /// Share of revolving lines.
    pub revolving_share: Probability,
    /// Installment terms (months) with cumulative weights summing to 1.
    pub terms: Vec<(u32, f64)>,
    /// Amortisation of installment loans.
    pub amortisation: Amortisation,
    /// Installment amount as a share of the limit.
    pub installment_draw: UnitDistribution,
    /// Initial revolving utilisation.
    pub utilisation: UnitDistribution,
    /// Monthly repayment share of the drawn revolving balance.
    pub revolving_repay_rate: Probability,
    /// Monthly draw share of the undrawn revolving limit.
    pub revolving_draw_rate: Probability,
    /// Drawdown of the undrawn limit when a revolving borrower first misses a payment.
    pub revolving_ccf: Probability,
    /// Monthly interest rate per score band.
    pub monthly_rate_by_band: Vec<f64>,
    /// Limit policy (checked).
    pub limit: LimitSpec,
    /// Score to PD (checked), per `pd_period_months`.
    pub pd: PdSpec,
    /// Asset correlation: monthly, or a target per PD period that the
    /// calibration turns into a monthly one.
    pub correlation: Correlation,
    /// Factor weights, scaled so that the weighted noise has unit variance.
    pub factor_weights: Vec<f64>,
    /// LGD at factor 0.
    pub lgd: Lgd,
    /// Share of fraudulent loans.
    pub fraud_share: Probability,
    /// LGD of fraudulent loans.
    pub fraud_lgd: f64,
    /// Monthly prepayment probability.
    pub prepayment_monthly: Probability,
    /// Delinquency transitions of this segment's revolving lines and
    /// installment loans (their own, the segment's, or the global ones).
    pub transitions: ProductTransitions,
    /// New applications during the run, if any.
    pub originations: Option<Originations>,
    /// Borrowers in debt on other platforms, if any.
    pub multi_platform: Option<MultiPlatform>,
    /// The IRB risk-weight function of the segment's exposures, if given.
    pub capital: Option<crate::capital::SegmentTerms>,
}

/// A segment's multi-platform borrowers (see [`super::MultiPlatformSection`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MultiPlatform {
    /// Share of borrowers with debt elsewhere.
    pub share: Probability,
    /// Their miss-probability multiplier while the industry tightens:
    /// `1 + hazard_per_debt * other_lenders * debt_per_lender_to_limit`.
    pub hazard_multiplier: f64,
}

/// When a path-level event happens (each path draws it from its own stream).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EventTiming {
    /// At `month` (0-based) with `probability`.
    Fixed {
        /// Month, 0-based.
        month: usize,
        /// Probability of happening on a path.
        probability: f64,
    },
    /// At a month uniform on `first..=last` (0-based) with `probability`.
    Window {
        /// First month, 0-based.
        first: usize,
        /// Last month, 0-based.
        last: usize,
        /// Probability of happening on a path.
        probability: f64,
    },
    /// The first month `t` whose draw falls below `Phi(Phi^-1(p) - s Z_t)`.
    Hazard {
        /// Monthly probability at factor 0.
        probability_monthly: f64,
        /// Probit sensitivity to the factor.
        sensitivity: f64,
        /// Index of the macro factor.
        factor: usize,
    },
}

/// The industry's tightening (see [`super::IndustryTighteningSection`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IndustryTightening {
    /// Its own timing (`None`: only the feedback trigger).
    pub timing: Option<EventTiming>,
    /// Months it lasts.
    pub duration_months: usize,
    /// The feedback trigger on our own 30+ DPD rate.
    pub when_own_dpd30_above: Option<f64>,
}

/// What a seed-risk event does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EventEffect {
    /// Cure rates multiplied by this from the event month to the horizon.
    CollectionRestriction {
        /// Multiplier of cure rates.
        cure_multiplier: f64,
    },
    /// No applications are taken during the event.
    LendingSuspension,
    /// Applications and prepayment rates multiplied during the event.
    ReputationalShock {
        /// Multiplier of the application volume.
        volume_multiplier: f64,
        /// Multiplier of prepayment (and line closure) rates.
        prepayment_multiplier: f64,
    },
    /// The cost of funds rises for the event's months: no effect on the
    /// loss; the `[economics]` P&L pays it on the platform's own funding.
    FundingShock {
        /// Rise of the annual cost of funds.
        funding_cost_jump_annual: f64,
    },
    /// Every loan priced above the cap reprices to it, from the event month to the horizon.
    RateCap {
        /// The cap as a monthly rate (the annual nominal cap / 12).
        monthly_cap: f64,
    },
}

/// A seed-risk event (see [`super::EventSection`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Name in outputs.
    pub name: String,
    /// When it happens.
    pub timing: EventTiming,
    /// Months its effect lasts (to the horizon for a collection restriction).
    pub duration_months: usize,
    /// What it does.
    pub effect: EventEffect,
}

/// A segment's monthly flow of applicants (see [`super::OriginationsSection`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Originations {
    /// Mean applications a month at factor 0.
    pub applications_monthly: f64,
    /// Log-volume per standard deviation of the factor.
    pub volume_sensitivity: f64,
    /// Largest monthly mean, as a multiple of `applications_monthly`.
    pub volume_cap_multiple: f64,
    /// How the count is drawn around its mean.
    pub volume_noise: super::VolumeNoise,
    /// Score points the applicants' mean moves per standard deviation of the factor.
    pub score_shift_per_sd: f64,
    /// First month (0-based: a loan's first month on the book) in which applicants arrive.
    pub first_month: usize,
    /// The month after the last one in which applicants arrive (0-based).
    pub end_month: usize,
    /// Probability that a borrower repaid at maturity renews.
    pub renewal_probability: f64,
}

impl Originations {
    /// The months (0-based) in which applicants arrive.
    pub fn months(&self) -> std::ops::Range<usize> {
        self.first_month..self.end_month
    }

    /// Mean applications in a month whose factor is `z`:
    /// `min(a exp(s z), cap a)`.
    pub fn mean_volume(&self, z: f64) -> f64 {
        let a = self.applications_monthly;
        (a * (self.volume_sensitivity * z).exp()).min(a * self.volume_cap_multiple)
    }
}

/// How a segment's asset correlation is given.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Correlation {
    /// The monthly Vasicek rho in [0, 1).
    Monthly(f64),
    /// The one-period Vasicek correlation per PD period (in (0, 1)) that the
    /// monthly rho must imply; solved by `crate::calibration::monthly_rho`.
    PerPeriod(f64),
}

impl Segment {
    /// The transitions of the segment's main product (revolving lines when
    /// they are at least half the mix): what a per-segment figure (the
    /// typical grade's implied correlation, `rho_annual`) is computed with.
    pub fn main_transitions(&self) -> &Transitions {
        self.transitions.of(self.revolving_share.get() >= 0.5)
    }
}

/// Beta LGD with a macro-sensitive mean.
#[derive(Debug, Clone, Copy)]
pub struct Lgd {
    /// Mean at factor 0.
    pub mean: f64,
    /// Beta concentration `alpha + beta`; `None` for a fixed LGD.
    pub concentration: Option<f64>,
    /// `mean_t = Phi(Phi^-1(mean) - sensitivity * Z_t)`.
    pub macro_sensitivity: f64,
}

/// The checked factor model.
#[derive(Debug, Clone)]
pub struct MacroModel {
    /// Factor names.
    pub factor_names: Vec<String>,
    /// Lower Cholesky factor of the correlation matrix.
    pub cholesky: Vec<Vec<f64>>,
    /// Correlation matrix.
    pub correlation: Vec<Vec<f64>>,
    /// AR(1) persistence.
    pub phi: f64,
    /// Noise scale.
    pub sigma: f64,
    /// Deterministic mean per factor per month (length = horizon): the
    /// `[macro.deterministic]` path plus the link's contribution,
    /// `det_k(t) = path_k(t) + link(t)` for a factor the link drives.
    pub deterministic: Vec<Vec<f64>>,
    /// The stress in economic units, if any (already in `deterministic`;
    /// kept to describe it).
    pub link: Option<super::MacroLink>,
    /// Regime chain.
    pub regimes: Option<Regimes>,
    /// Shocks.
    pub shocks: Vec<Shock>,
}

/// A checked Markov regime chain.
#[derive(Debug, Clone)]
pub struct Regimes {
    /// State names.
    pub names: Vec<String>,
    /// Factor mean per state.
    pub means: Vec<f64>,
    /// Transition rows (each sums to 1).
    pub transition: Vec<Vec<f64>>,
    /// State in month 1.
    pub initial: RegimeStart,
}

/// How the regime chain starts.
#[derive(Debug, Clone, PartialEq)]
pub enum RegimeStart {
    /// Always this state (no draw).
    Fixed(usize),
    /// Drawn from these probabilities (one per state, summing to 1);
    /// `stationary` says they are the chain's stationary distribution.
    Drawn {
        /// Probability of each state in month 1.
        probabilities: Vec<f64>,
        /// The probabilities are the stationary distribution.
        stationary: bool,
    },
}

/// The stationary distribution `pi = pi P` of a row-stochastic matrix, by
/// power iteration of the lazy chain `(I + P) / 2` from the uniform
/// distribution (the same `pi` for an irreducible chain; the limit from the
/// uniform start otherwise).
pub fn stationary_distribution(transition: &[Vec<f64>]) -> Vec<f64> {
    let n = transition.len();
    let mut pi = vec![1.0 / n as f64; n];
    for _ in 0..1_000_000 {
        let mut next = vec![0.0; n];
        for (i, row) in transition.iter().enumerate() {
            for (j, &p) in row.iter().enumerate() {
                next[j] += 0.5 * pi[i] * p;
            }
            next[i] += 0.5 * pi[i];
        }
        let total: f64 = next.iter().sum();
        next.iter_mut().for_each(|p| *p /= total);
        let change: f64 = next.iter().zip(&pi).map(|(a, b)| (a - b).abs()).sum();
        pi = next;
        if change < 1e-16 {
            break;
        }
    }
    pi
}

/// When a shock starts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ShockStart {
    /// This month (0-based).
    Fixed(usize),
    /// Uniform over these months (0-based, inclusive).
    Uniform(usize, usize),
}

/// A checked shock.
#[derive(Debug, Clone)]
pub struct Shock {
    /// Label.
    pub name: String,
    /// Start.
    pub start: ShockStart,
    /// Depth (>= 0), subtracted from the factor.
    pub depth: f64,
    /// Months at full depth.
    pub duration_months: usize,
    /// Months of recovery.
    pub recovery_months: usize,
    /// Recovery shape.
    pub recovery_shape: RecoveryShape,
    /// Probability of happening.
    pub probability: Probability,
    /// Which factors are hit.
    pub hits_factor: Vec<bool>,
}

impl Shock {
    /// Depth of the shock `months_since_start` months after it began (0 = first month).
    pub fn depth_at(&self, months_since_start: usize) -> f64 {
        if months_since_start < self.duration_months {
            return self.depth;
        }
        let j = months_since_start - self.duration_months + 1;
        if j > self.recovery_months {
            return 0.0;
        }
        let r = self.recovery_months as f64;
        match self.recovery_shape {
            RecoveryShape::Step => 0.0,
            RecoveryShape::Linear => self.depth * (1.0 - j as f64 / (r + 1.0)),
            RecoveryShape::Exponential => self.depth * (-3.0 * j as f64 / r).exp(),
        }
    }
}

/// Checked loan dynamics shared by all segments.
#[derive(Debug, Clone)]
pub struct Dynamics {
    /// Months over which the scorecard PD is quoted.
    pub pd_period_months: u32,
    /// Delinquency buckets on.
    pub delinquency: bool,
    /// Recovery cash per month after a charge-off: `(lag in months, share of
    /// the recovered amount)`, shares summing to 1 (a lump: one entry).
    pub recovery_schedule: Vec<(usize, f64)>,
    /// Annual discount rate of recoveries; `None`: the loan's own rate.
    pub recovery_discount_rate_annual: Option<f64>,
    /// Recovery cost as a share of the cash recovered.
    pub recovery_cost_share: f64,
    /// Sensitivity of each recovery cash flow to the factor when it arrives.
    pub recovery_macro_sensitivity: f64,
    /// Penalty interest per delinquent month.
    pub penalty_rate_monthly: f64,
    /// Delinquency bucket (0 = 30 days past due) from which a revolving line
    /// is suspended for good; `None`: never.
    pub suspend_line_from_bucket: Option<usize>,
}

/// A segment's transitions per product.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProductTransitions {
    /// Revolving lines.
    pub revolving: Transitions,
    /// Installment loans.
    pub installment: Transitions,
}

impl ProductTransitions {
    /// The transitions of revolving lines (`true`) or installment loans.
    pub fn of(&self, revolving: bool) -> &Transitions {
        if revolving { &self.revolving } else { &self.installment }
    }

    /// The two products move differently.
    pub fn differ(&self) -> bool {
        self.revolving != self.installment
    }
}

/// A segment's monthly delinquency transitions: nominal roll and cure rates
/// per bucket (30, 60, 90+ days past due) and their factor sensitivities.
/// A nominal rate `r` with sensitivity `s` is the Vasicek mean: the rate given
/// the factor is `Phi((Phi^-1(r) - sqrt(s) z) / sqrt(1 - s))` (cures with `+`),
/// whose mean over a standard normal `z` is `r`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Transitions {
    /// Roll rates from 30, 60, 90+.
    pub roll_rates: [Probability; 3],
    /// Cure rates from 30, 60, 90+.
    pub cure_rates: [Probability; 3],
    /// Roll sensitivity (a Vasicek rho).
    pub roll_sensitivity: f64,
    /// Cure sensitivity.
    pub cure_sensitivity: f64,
}

impl Transitions {
    /// Probability that a missed payment ends in charge-off with every rate
    /// at its nominal value: `prod_k roll_k / (roll_k + cure_k)` (staying in
    /// a bucket only delays the outcome). The factor-averaged value, which
    /// the calibration uses, is in `crate::calibration`.
    pub fn nominal_charge_off_given_miss(&self) -> f64 {
        self.roll_rates
            .iter()
            .zip(&self.cure_rates)
            .map(|(r, c)| r.get() / (r.get() + c.get()))
            .product()
    }
}

/// Checked fraud waves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FraudWaves {
    /// Monthly probability that an attack starts.
    pub probability_monthly: Probability,
    /// Months an attack lasts (>= 1).
    pub duration_months: usize,
    /// Share of current loans taken over per attack month.
    pub takeover_share: Probability,
    /// An outage opens an attack.
    pub with_outage: bool,
}

/// A checked outage.
#[derive(Debug, Clone, Copy)]
pub struct Outage {
    /// Month (0-based).
    pub month: usize,
    /// Probability of happening.
    pub probability: Probability,
    /// Share of current loans hit.
    pub share: Probability,
    /// Cure rate of technical delinquencies.
    pub cure_rate: Probability,
    /// The month of the retried debit keeps its miss hazard.
    pub hazard_continues: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::Xoshiro256PlusPlus;
    use statrs::distribution::{Beta as BetaCdf, ContinuousCDF};

    /// Both samplers against the exact Beta CDF: the Kolmogorov-Smirnov
    /// distance of 100,000 draws below its 0.1% critical value 1.95 / sqrt(n),
    /// for shapes that take the gamma ratio, Cheng's algorithms, and both sides of 1.
    #[test]
    fn beta_draws_follow_the_beta_law() {
        let n = 100_000;
        for (alpha, beta) in [(5.8, 2.5), (1.0, 3.0), (40.0, 60.0), (0.4, 2.0), (0.5, 0.5)] {
            let law = BetaLaw::new(alpha, beta).unwrap();
            assert_eq!(
                matches!(law, BetaLaw::Gammas(..)),
                alpha >= 1.0 && beta >= 1.0,
                "Beta({alpha}, {beta}) sampler"
            );
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(0xbe7a);
            let mut x: Vec<f64> = (0..n).map(|_| law.sample(&mut rng)).collect();
            x.sort_by(f64::total_cmp);
            let cdf = BetaCdf::new(alpha, beta).unwrap();
            let d = x
                .iter()
                .enumerate()
                .map(|(i, &v)| {
                    let f = cdf.cdf(v);
                    (f - i as f64 / n as f64).max((i + 1) as f64 / n as f64 - f)
                })
                .fold(0.0, f64::max);
            assert!(
                x.iter().all(|v| (0.0..=1.0).contains(v)),
                "Beta({alpha}, {beta}) draw outside [0, 1]"
            );
            assert!(
                d < 1.95 / (n as f64).sqrt(),
                "Beta({alpha}, {beta}): KS distance {d:.5}"
            );
        }
    }
}
