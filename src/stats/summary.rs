//! The run summary and the monthly series, computed from path outcomes.

use super::contributions::EulerWeights;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::risk::{FEW_TAIL_PATHS, Moments, RiskMeasures, moments};
use super::weighted::{PathWeights, Sorted, normalise};
use crate::engine::{BookProfile, PathOutcome};
use crate::population::cents_to_money;
use crate::scenario::Scenario;

/// Loss figures of one segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SegmentSummary {
    /// Loans booked.
    pub loans: u64,
    /// Initial exposure.
    pub exposure: f64,
    /// Loss (currency units).
    pub loss: RiskMeasures,
    /// Loss / segment exposure.
    pub loss_rate: RiskMeasures,
    /// Charged-off loans / segment loans.
    pub default_rate: RiskMeasures,
    /// Share of the portfolio's expected loss.
    pub el_share: f64,
    /// On a going-concern book: the loans and exposure booked per path
    /// (opening book and originations), means over paths; the bases of the
    /// segment's rates. Absent for a run-off book, whose bases are `loans`
    /// and `exposure`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booked: Option<Booked>,
    /// The segment's Euler contribution to portfolio ES per level: its mean
    /// loss on the tail paths the ES averages (the same weights), so the
    /// segments' contributions add up to ES (see `contributions` for intervals).
    pub es_contribution: BTreeMap<String, f64>,
}

/// Loans and exposure booked per path, means over paths.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Booked {
    /// Loans booked (opening book and originations).
    pub loans: f64,
    /// Balance booked (opening book and originations).
    pub exposure: f64,
}

/// Default rate of one score band.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BandSummary {
    /// Band label, e.g. `600-650`.
    pub band: String,
    /// Loans booked in the band (the opening book's).
    pub loans: u64,
    /// On a going-concern book: loans booked in the band per path, opening
    /// and new, the mean over paths (the base of `default_rate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booked_loans: Option<f64>,
    /// Mean charge-offs of the band over the horizon / its loans (mean booked loans on a going-concern book).
    pub default_rate: f64,
}

/// Means over paths of what the policy levers did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, schemars::JsonSchema)]
pub struct PolicyEffects {
    /// Policy name (empty without a policy).
    pub name: String,
    /// Collection cost (subtracted in net income).
    pub collection_cost: Moments,
    /// Mean forbearance plans taken up.
    pub forbearance_plans: f64,
    /// Mean undrawn limit removed by early warning and plans.
    pub limit_cut: f64,
    /// Mean limit added by limit increases.
    #[serde(default)]
    pub limit_raised: f64,
    /// Mean penalty interest collected (part of interest income).
    pub penalty_interest: f64,
}

/// Everything `summary.json` reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RunSummary {
    /// What the file is: always `creditstress-run-summary` ([`SUMMARY_FORMAT`]).
    #[serde(default = "summary_format")]
    pub format: String,
    /// The layout's version, [`SUMMARY_FORMAT_VERSION`] (1): raised when a field changes meaning or
    /// goes away (added fields keep it; readers ignore what they do not know).
    #[serde(default)]
    pub format_version: u32,
    /// Scenario name.
    pub scenario: String,
    /// Master seed.
    pub seed: u64,
    /// Paths simulated.
    pub paths: u64,
    /// Months simulated.
    pub horizon_months: usize,
    /// Loans booked.
    pub loans: u64,
    /// Initial exposure (currency units).
    pub exposure: f64,
    /// Portfolio loss (currency units).
    pub loss: RiskMeasures,
    /// Loss / exposure.
    pub loss_rate: RiskMeasures,
    /// Charged-off loans / loans.
    pub default_rate: RiskMeasures,
    /// Per segment.
    pub segments: BTreeMap<String, SegmentSummary>,
    /// Per score band.
    pub score_bands: Vec<BandSummary>,
    /// The default rate of each segment × score band cell (absent in the
    /// summaries of older runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment_bands: Option<super::breakdowns::SegmentBandGrid>,
    /// The roll-rate table of the delinquency buckets (absent without
    /// `dynamics.delinquency`, and in the summaries of older runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roll_rates: Option<super::breakdowns::RollRates>,
    /// Interest paid.
    pub interest_income: Moments,
    /// Interest income minus loss, collection cost and recovery cost.
    pub net_income: Moments,
    /// Recovery cash received within the horizon.
    pub recoveries: Moments,
    /// Recovery cash of the horizon's charge-offs that falls after the
    /// horizon: netted in `loss`, not in `recoveries`. Charged-off EAD =
    /// loss + recoveries + recoveries_after_horizon.
    pub recoveries_after_horizon: Moments,
    /// Economic loss: EAD minus the recoveries discounted to the charge-off
    /// month (the workout-LGD convention; at least `loss`).
    pub economic_loss: Moments,
    /// Cost of the recoveries received within the horizon.
    pub recovery_cost: Moments,
    /// Loss of fraudulent loans (booked as fraud, or taken over in a fraud wave); part of `loss`.
    pub fraud_loss: Moments,
    /// Accounts taken over in fraud waves, per path.
    pub takeovers: Moments,
    /// What a reader must know before trusting a figure (tail levels that
    /// rest on few paths, intervals the sample cannot bound).
    pub warnings: Vec<String>,
    /// What the policy's loan-level levers did (zeros without a policy).
    pub policy: PolicyEffects,
    /// How loans were simulated.
    pub engine: String,
    /// Loan-months actually stepped, over all paths (a loan stops at maturity,
    /// prepayment or charge-off); the unit of the throughput figure.
    pub loan_months: u64,
    /// Loans x months x paths: the loan-months of the book whether active or not.
    pub book_months: u64,
    /// Wall time of the simulation (filled by the caller).
    pub elapsed_seconds: f64,
    /// Loan-months per second (filled by the caller).
    pub loan_months_per_second: f64,
    /// Worker threads (filled by the caller).
    pub threads: usize,
    /// Peak resident memory of the process in bytes, where the OS reports it
    /// (filled by the caller: a run reads it once everything is rendered,
    /// just before writing; a merge gives the largest of its shards').
    pub peak_rss_bytes: Option<u64>,
    /// For a run with `--target`: the target, the precision reached and why it stopped (filled by the caller).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<super::precision::PrecisionReport>,
    /// Euler contributions to VaR and ES by segment, score band and product,
    /// at each risk level (see [`super::contributions`]).
    #[serde(default)]
    pub contributions: BTreeMap<String, RiskContributions>,
    /// Loans booked during the run (absent for a run-off book).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub originations: Option<super::vintages::OriginationSummary>,
    /// Path-level events: how often each happened and the loss with and without it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<EventSummary>,
    /// With importance sampling: the shift, the weights' diagnostics and the
    /// variance reduction against plain sampling (absent for plain sampling;
    /// filled by the caller, see [`super::sampling`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sampling: Option<super::sampling::SamplingSummary>,
    /// What the worst worlds look like at each risk level: the factor paths
    /// and event shares of the paths at or beyond VaR (see [`super::tail_scenario`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tail_scenario: BTreeMap<String, super::tail_scenario::TailScenario>,
    /// Regulatory (Basel IRB) and economic capital, when some segment has
    /// `[segments.capital]` (filled by the caller, see [`crate::capital::book`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capital: Option<crate::capital::book::CapitalSummary>,
    /// Loans priced above the `[rate_lines]` (filled by the caller, see [`crate::economics`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_lines: Option<crate::economics::RateLines>,
    /// The monthly P&L summed over the horizon, when the scenario has
    /// `[economics]` (see [`super::economics`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub economics: Option<super::economics::EconomicsSummary>,
    /// The scenario's inputs and assumptions as `validate` describes them
    /// (filled by the caller, see [`crate::describe`]; absent in the
    /// summaries of older runs, whose report then has no inputs table).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<crate::describe::Inputs>,
}

/// How often a path-level event happened, and the mean loss of the paths
/// with it and without it (not a causal effect: an event likelier in a
/// downturn also marks the worse paths; compare runs on common random
/// numbers for its effect).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EventSummary {
    /// Event name (`industry_tightening` or the `[[events]]` name).
    pub name: String,
    /// Paths on which it happened.
    pub paths: u64,
    /// Share of paths on which it happened.
    pub share: f64,
    /// Mean 1-based start month over those paths (null when it never happened).
    pub mean_month: Option<f64>,
    /// Mean loss of the paths with the event (null when none).
    pub loss_with: Option<f64>,
    /// Mean loss of the paths without it (null when none).
    pub loss_without: Option<f64>,
}

/// Summaries of every path-level event.
fn event_summaries(scenario: &Scenario, paths: &[PathOutcome], weights: PathWeights) -> Vec<EventSummary> {
    scenario
        .event_names()
        .into_iter()
        .enumerate()
        .map(|(k, name)| {
            let month = |p: &PathOutcome| p.tally.event_months.get(k).copied().unwrap_or(0);
            let hit: Vec<bool> = paths.iter().map(|p| month(p) > 0).collect();
            // The mean of `figure` over the paths with (`side`) or without the event.
            let mean = |side: bool, figure: &dyn Fn(&PathOutcome) -> f64| -> Option<f64> {
                let mask: Vec<bool> = hit.iter().map(|&h| h == side).collect();
                let values: Vec<f64> = paths
                    .iter()
                    .zip(&mask)
                    .filter(|(_, m)| **m)
                    .map(|(p, _)| figure(p))
                    .collect();
                if values.is_empty() {
                    return None;
                }
                let within = weights.within(&mask);
                Some(PathWeights::of(&within).mean(&values))
            };
            EventSummary {
                name,
                paths: hit.iter().filter(|&&h| h).count() as u64,
                share: weights.share(hit.iter().copied()),
                mean_month: mean(true, &|p| month(p) as f64),
                loss_with: mean(true, &|p| p.tally.loss),
                loss_without: mean(false, &|p| p.tally.loss),
            }
        })
        .collect()
}

/// The Euler contributions at one risk level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RiskContributions {
    /// The portfolio's VaR, ES and the weights' diagnostics.
    #[serde(flatten)]
    pub portfolio: super::contributions::TailSummary,
    /// By segment, in scenario order.
    pub segments: Vec<PartContribution>,
    /// By score band, lowest first.
    pub score_bands: Vec<PartContribution>,
    /// By product: revolving, installment.
    pub products: Vec<PartContribution>,
}

/// One part's contributions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PartContribution {
    /// Segment name, band label or product.
    pub name: String,
    /// The contributions.
    #[serde(flatten)]
    pub contribution: super::contributions::Contribution,
}

/// Euler contributions at every level of `levels`.
fn risk_contributions(
    scenario: &Scenario,
    paths: &[PathOutcome],
    levels: &[f64],
    path_weights: PathWeights,
) -> BTreeMap<String, RiskContributions> {
    let loss: Vec<f64> = paths.iter().map(|p| p.tally.loss).collect();
    let series = |f: &dyn Fn(&PathOutcome) -> f64| -> Vec<f64> { paths.iter().map(f).collect() };
    let segments: Vec<(String, Vec<f64>)> = scenario
        .segments
        .iter()
        .enumerate()
        .map(|(s, seg)| (seg.name.clone(), series(&|p| p.tally.segment_loss[s])))
        .collect();
    let bands: Vec<(String, Vec<f64>)> = (0..scenario.bands.len())
        .map(|b| (scenario.bands.label(b), series(&|p| p.tally.band_loss[b])))
        .collect();
    let products: Vec<(String, Vec<f64>)> = ["revolving", "installment"]
        .iter()
        .enumerate()
        .map(|(k, name)| (name.to_string(), series(&|p| p.tally.product_loss[k])))
        .collect();
    levels
        .iter()
        .map(|&q| {
            // One set of tail and kernel weights serves every breakdown.
            let weights = match path_weights {
                PathWeights::Equal => EulerWeights::new(&loss, q),
                PathWeights::Normalised(w) => EulerWeights::weighted(&loss, w, q),
            };
            let parts = |breakdown: &[(String, Vec<f64>)]| -> Vec<PartContribution> {
                breakdown
                    .iter()
                    .map(|(name, part)| PartContribution {
                        name: name.clone(),
                        contribution: weights.contribution(part),
                    })
                    .collect()
            };
            let entry = RiskContributions {
                portfolio: weights.summary().clone(),
                segments: parts(&segments),
                score_bands: parts(&bands),
                products: parts(&products),
            };
            (super::risk::level_key(q), entry)
        })
        .collect()
}

/// Warnings for the portfolio loss's tail levels: fewer than
/// [`FEW_TAIL_PATHS`] paths beyond a level, or a VaR interval with a bound
/// the sample cannot give.
pub fn tail_warnings(loss: &RiskMeasures, levels: &[f64]) -> Vec<String> {
    let mut out = Vec::new();
    for &q in levels {
        let key = super::risk::level_key(q);
        if let Some(&effective) = loss.tail_effective_paths.get(&key) {
            // Importance sampling: the tail's effective paths, not the path count, say how much it rests on.
            if effective < FEW_TAIL_PATHS as f64 {
                out.push(format!(
                    "VaR and ES {}% rest on {effective:.1} effective tail paths (fewer than {FEW_TAIL_PATHS}); run more paths",
                    q * 100.0,
                ));
            }
        } else {
            let tail = loss.tail_paths.get(&key).copied().unwrap_or(0);
            if tail < FEW_TAIL_PATHS {
                out.push(format!(
                    "VaR and ES {}% rest on {tail} tail paths (fewer than {FEW_TAIL_PATHS}); run at least {} paths for {FEW_TAIL_PATHS}",
                    q * 100.0,
                    (FEW_TAIL_PATHS as f64 / (1.0 - q)).ceil()
                ));
            }
        }
        if loss.var_ci.get(&key).is_some_and(|c| c.iter().any(Option::is_none)) {
            out.push(match loss.var_ci_needs_paths.get(&key) {
                Some(n) => format!(
                    "the 95% interval of VaR {}% needs at least {n} paths for both bounds; the missing bound is null",
                    q * 100.0
                ),
                None => format!(
                    "the 95% interval of VaR {}% reaches beyond the weighted sample; the missing bound is null",
                    q * 100.0
                ),
            });
        }
    }
    out
}

/// Moments across paths of one per-path figure.
fn per_path(paths: &[PathOutcome], weights: PathWeights, figure: impl Fn(&crate::loan::PathTally) -> f64) -> Moments {
    weights.moments(&paths.iter().map(|p| figure(&p.tally)).collect::<Vec<_>>())
}

/// The self-normalised weights of `paths`, or `None` under plain sampling.
pub fn path_weights(paths: &[PathOutcome]) -> Option<Vec<f64>> {
    normalise(&paths.iter().map(|p| p.weight).collect::<Vec<_>>())
}

/// The `format` of summary.json.
pub const SUMMARY_FORMAT: &str = "creditstress-run-summary";
/// The `format_version` of summary.json this program writes; files written
/// before the field existed read as 0.
pub const SUMMARY_FORMAT_VERSION: u32 = 1;

fn summary_format() -> String {
    SUMMARY_FORMAT.to_string()
}

/// Description of the engine written into the summary.
pub const ENGINE_FULL: &str = "loan-level monthly stepping with delinquency buckets";

impl RunSummary {
    /// Summarises path outcomes (timing fields zero until the caller sets them).
    pub fn new(scenario: &Scenario, profile: &BookProfile, paths: &[PathOutcome]) -> Self {
        let levels = &scenario.risk_levels;
        let normalised = path_weights(paths);
        let w = PathWeights::of(&normalised);
        let loss: Vec<f64> = paths.iter().map(|p| p.tally.loss).collect();
        let loss_rate: Vec<f64> = paths.iter().map(PathOutcome::loss_rate).collect();
        // Rates are against what each path booked: the opening book, plus
        // the loans originated on the path.
        let default_rate: Vec<f64> = paths
            .iter()
            .map(|p| p.tally.defaults as f64 / p.loans(profile).max(1) as f64)
            .collect();
        let interest: Vec<f64> = paths.iter().map(|p| cents_to_money(p.tally.interest)).collect();
        let net: Vec<f64> = paths.iter().map(|p| p.tally.net_income()).collect();
        let recoveries: Vec<f64> = paths.iter().map(|p| p.tally.recoveries).collect();
        let portfolio_loss = w.risk_measures(&loss, levels);
        let contributions = risk_contributions(scenario, paths, levels, w);
        let warnings = tail_warnings(&portfolio_loss, levels);
        let tail_scenario = super::tail_scenario::tail_scenarios(scenario, paths, w, &portfolio_loss.var, levels);

        let mut segments = BTreeMap::new();
        for (s, seg) in scenario.segments.iter().enumerate() {
            let seg_loss: Vec<f64> = paths.iter().map(|p| p.tally.segment_loss[s]).collect();
            let exposure = profile.segment_exposure[s];
            let seg_rate: Vec<f64> = seg_loss
                .iter()
                .zip(paths)
                .map(|(l, p)| {
                    let exposure = p.segment_exposure(profile, s);
                    if exposure > 0.0 { l / exposure } else { 0.0 }
                })
                .collect();
            let seg_def: Vec<f64> = paths
                .iter()
                .map(|p| p.tally.segment_defaults[s] as f64 / p.segment_loans(profile, s).max(1) as f64)
                .collect();
            let measures = w.risk_measures(&seg_loss, levels);
            let el_share = if portfolio_loss.mean > 0.0 {
                measures.mean / portfolio_loss.mean
            } else {
                0.0
            };
            // The Euler ES contribution: one definition, shared with `contributions`.
            let es_contribution = contributions
                .iter()
                .map(|(key, c)| (key.clone(), c.segments[s].contribution.es))
                .collect();
            segments.insert(
                seg.name.clone(),
                SegmentSummary {
                    loans: profile.segment_loans[s],
                    exposure,
                    loss: measures,
                    loss_rate: w.risk_measures(&seg_rate, levels),
                    default_rate: w.risk_measures(&seg_def, levels),
                    el_share,
                    booked: paths.iter().any(|p| p.tally.flow.is_some()).then(|| Booked {
                        loans: w
                            .moments(
                                &paths
                                    .iter()
                                    .map(|p| p.segment_loans(profile, s) as f64)
                                    .collect::<Vec<_>>(),
                            )
                            .mean,
                        exposure: w
                            .moments(&paths.iter().map(|p| p.segment_exposure(profile, s)).collect::<Vec<_>>())
                            .mean,
                    }),
                    es_contribution,
                },
            );
        }

        let score_bands = (0..scenario.bands.len())
            .map(|b| {
                let band_loans = profile.band_loans[b];
                let mean_defaults = w
                    .moments(
                        &paths
                            .iter()
                            .map(|p| p.tally.band_defaults[b] as f64)
                            .collect::<Vec<_>>(),
                    )
                    .mean;
                // With originations the band's loans vary by path: their mean.
                let booked_loans = paths.iter().any(|p| p.tally.flow.is_some()).then(|| {
                    w.moments(
                        &paths
                            .iter()
                            .map(|p| p.band_loans(profile, b) as f64)
                            .collect::<Vec<_>>(),
                    )
                    .mean
                });
                let mean_loans = booked_loans.unwrap_or(band_loans as f64);
                BandSummary {
                    band: scenario.bands.label(b),
                    loans: band_loans,
                    booked_loans,
                    default_rate: if mean_loans > 0.0 {
                        mean_defaults / mean_loans
                    } else {
                        0.0
                    },
                }
            })
            .collect();

        RunSummary {
            format: SUMMARY_FORMAT.to_string(),
            format_version: SUMMARY_FORMAT_VERSION,
            scenario: scenario.name.clone(),
            seed: scenario.seed,
            paths: paths.len() as u64,
            horizon_months: scenario.horizon_months,
            loans: profile.loans,
            exposure: profile.exposure,
            loss: portfolio_loss,
            loss_rate: w.risk_measures(&loss_rate, levels),
            default_rate: w.risk_measures(&default_rate, levels),
            segments,
            score_bands,
            segment_bands: super::breakdowns::SegmentBandGrid::new(scenario, profile, paths, w),
            roll_rates: super::breakdowns::RollRates::new(scenario, paths, w),
            interest_income: w.moments(&interest),
            net_income: w.moments(&net),
            recoveries: w.moments(&recoveries),
            recoveries_after_horizon: per_path(paths, w, |t| t.recoveries_after_horizon),
            economic_loss: per_path(paths, w, |t| t.economic_loss),
            recovery_cost: per_path(paths, w, |t| t.recovery_cost),
            fraud_loss: per_path(paths, w, |t| t.fraud_loss),
            takeovers: per_path(paths, w, |t| t.takeovers as f64),
            warnings,
            policy: PolicyEffects {
                name: scenario.policy.name.clone(),
                collection_cost: w.moments(&paths.iter().map(|p| p.tally.collection_cost).collect::<Vec<_>>()),
                forbearance_plans: w
                    .moments(&paths.iter().map(|p| p.tally.plans as f64).collect::<Vec<_>>())
                    .mean,
                limit_cut: w
                    .moments(
                        &paths
                            .iter()
                            .map(|p| cents_to_money(p.tally.limit_cut))
                            .collect::<Vec<_>>(),
                    )
                    .mean,
                limit_raised: per_path(paths, w, |t| cents_to_money(t.limit_raised)).mean,
                penalty_interest: w
                    .moments(
                        &paths
                            .iter()
                            .map(|p| cents_to_money(p.tally.penalty_interest))
                            .collect::<Vec<_>>(),
                    )
                    .mean,
            },
            engine: ENGINE_FULL.to_string(),
            loan_months: paths.iter().map(|p| p.tally.loan_months).sum(),
            book_months: profile.loans * scenario.horizon_months as u64 * paths.len() as u64,
            elapsed_seconds: 0.0,
            loan_months_per_second: 0.0,
            threads: 0,
            peak_rss_bytes: None,
            contributions,
            precision: None,
            originations: super::vintages::OriginationSummary::new(paths, w),
            events: event_summaries(scenario, paths, w),
            sampling: None,
            capital: None,
            rate_lines: None,
            economics: super::economics::EconomicsSummary::new(scenario, paths, w),
            inputs: None,
            tail_scenario,
        }
    }
}

/// Mean and 5/25/50/75/95th percentiles across paths of one monthly quantity.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Band {
    /// Mean.
    pub mean: f64,
    /// 5th percentile.
    pub p05: f64,
    /// 25th percentile.
    pub p25: f64,
    /// Median.
    pub p50: f64,
    /// 75th percentile.
    pub p75: f64,
    /// 95th percentile.
    pub p95: f64,
}

/// Mean and percentiles; the percentiles are the same order statistics as
/// [`super::risk::quantile`] of the sorted sample, found by selection (linear time) from
/// the highest down, each within the part left of the previous one.
pub(crate) fn band_of(values: &mut [f64]) -> Band {
    let mean = moments(values).mean;
    let n = values.len();
    let mut pick = [0.0; 5];
    let mut end = n;
    for (slot, q) in pick.iter_mut().zip([0.95, 0.75, 0.50, 0.25, 0.05]) {
        let k = ((n as f64 * q).ceil() as usize).clamp(1, n.max(1)) - 1;
        if n == 0 {
            break;
        }
        let k = k.min(end - 1);
        values[..end].select_nth_unstable_by(k, f64::total_cmp);
        *slot = values[k];
        end = k + 1;
    }
    let [p95, p75, p50, p25, p05] = pick;
    Band {
        mean,
        p05,
        p25,
        p50,
        p75,
        p95,
    }
}

/// [`band_of`] with the paths' weights: under importance sampling the
/// weighted mean and weighted quantiles (see [`super::weighted`]).
pub(crate) fn band_weighted(weights: PathWeights, mut values: Vec<f64>) -> Band {
    match weights {
        PathWeights::Equal => band_of(&mut values),
        PathWeights::Normalised(w) => {
            let mean = super::weighted::weighted_moments(&values, w).mean;
            let sorted = Sorted::new(&values, w);
            let [p05, p25, p50, p75, p95] = [0.05, 0.25, 0.5, 0.75, 0.95].map(|q| sorted.x[sorted.quantile_index(q)]);
            Band {
                mean,
                p05,
                p25,
                p50,
                p75,
                p95,
            }
        }
    }
}

/// The per-segment columns of [`Timeseries`], month by month: each
/// segment's charge-offs in the month / its loans, and its cumulative loss /
/// its exposure, the loans and exposure being the opening book's plus, on a
/// going-concern book, the segment's bookings up to the month (the
/// portfolio's `default_rate` and `cumulative_loss_rate`, segment by segment).
struct SegmentSeries {
    /// `[segment][path]`: loans, the default rate's base (at least 1).
    loans: Vec<Vec<f64>>,
    /// `[segment][path]`: loans booked up to the month (going concern).
    booked_loans: Vec<Vec<u64>>,
    /// `[segment][path]`: balance booked up to the month, in cents (going concern).
    booked_cents: Vec<Vec<i64>>,
    /// `[segment][path]`: exposure, the loss rate's base.
    exposure: Vec<Vec<f64>>,
    /// `[segment][path]`: loss booked up to the month.
    cumulative: Vec<Vec<f64>>,
}

impl SegmentSeries {
    fn new(segments: usize, profile: &BookProfile, paths: &[PathOutcome]) -> Self {
        let per_path = |f: &dyn Fn(&PathOutcome, usize) -> f64| -> Vec<Vec<f64>> {
            (0..segments).map(|s| paths.iter().map(|p| f(p, s)).collect()).collect()
        };
        SegmentSeries {
            loans: per_path(&|p, s| p.segment_loans(profile, s).max(1) as f64),
            booked_loans: vec![vec![0; paths.len()]; segments],
            booked_cents: vec![vec![0; paths.len()]; segments],
            exposure: per_path(&|p, s| p.segment_exposure(profile, s)),
            cumulative: vec![vec![0.0; paths.len()]; segments],
        }
    }

    /// Pushes month `t`'s bands, segment by segment.
    fn month(&mut self, paths: &[PathOutcome], w: PathWeights, t: usize, row: &mut Vec<Band>) {
        let horizon = paths.first().map_or(0, |p| p.tally.monthly_loss.len());
        for s in 0..self.loans.len() {
            let cell = s * horizon + t;
            let mut defaults = Vec::with_capacity(paths.len());
            let mut loss_rate = Vec::with_capacity(paths.len());
            for (k, p) in paths.iter().enumerate() {
                if let Some(f) = p.tally.flow.as_deref() {
                    self.booked_loans[s][k] += f.segment_booked_loans[cell] as u64;
                    self.booked_cents[s][k] += f.segment_booked_balance[cell];
                    self.loans[s][k] = self.booked_loans[s][k].max(1) as f64;
                    self.exposure[s][k] = crate::population::cents_to_money(self.booked_cents[s][k]);
                }
                self.cumulative[s][k] += p.tally.segment_monthly_loss[cell];
                defaults.push(p.tally.segment_monthly_defaults[cell] as f64 / self.loans[s][k]);
                let e = self.exposure[s][k];
                loss_rate.push(if e > 0.0 { self.cumulative[s][k] / e } else { 0.0 });
            }
            row.push(band_weighted(w, defaults));
            row.push(band_weighted(w, loss_rate));
        }
    }
}

/// Monthly series across paths: one named column group per quantity.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeseries {
    /// Quantity names, e.g. `default_rate`, `factor_national`.
    pub names: Vec<String>,
    /// `rows[t][i]`: band of quantity i in month t (month = t + 1).
    pub rows: Vec<Vec<Band>>,
}

impl Timeseries {
    /// One quantity's band per month, or `None` when there is no such quantity.
    pub fn series(&self, name: &str) -> Option<Vec<Band>> {
        let i = self.names.iter().position(|n| n == name)?;
        Some(self.rows.iter().map(|row| row[i]).collect())
    }

    /// Per month: charge-offs in the month / loans, loans 30+ days past due at
    /// month end / loans, cumulative loss / exposure, and each macro factor.
    /// The loans and exposure are the opening book's, plus, on a
    /// going-concern book, those booked up to the month; such a book adds
    /// applications, loans and balance booked in the month, and the accounts
    /// and balance on the book at its end.
    pub fn new(scenario: &Scenario, profile: &BookProfile, paths: &[PathOutcome]) -> Self {
        let mut names = vec![
            "default_rate".to_string(),
            "dpd30_rate".to_string(),
            "cumulative_loss_rate".to_string(),
        ];
        names.extend(scenario.macro_model.factor_names.iter().map(|f| format!("factor_{f}")));
        let going_concern = paths.iter().any(|p| p.tally.flow.is_some());
        if going_concern {
            names.extend(
                [
                    "applications",
                    "booked_loans",
                    "renewed_loans",
                    "booked_balance",
                    "active_accounts",
                    "outstanding_balance",
                ]
                .map(String::from),
            );
        }
        let economics = !paths.is_empty() && paths.iter().all(|p| p.pnl.is_some());
        if economics {
            names.extend(super::economics::TIMESERIES_NAMES.map(String::from));
        }
        let every_pnl = |has: fn(&crate::accounting::PathPnl) -> bool| {
            economics && paths.iter().all(|p| p.pnl.as_deref().is_some_and(has))
        };
        let provisions = every_pnl(|x| x.provisions.is_some());
        if provisions {
            names.extend(super::economics::PROVISION_TIMESERIES_NAMES.map(String::from));
        }
        let capital = every_pnl(|x| x.capital.is_some());
        if capital {
            names.extend(super::economics::CAPITAL_TIMESERIES_NAMES.map(String::from));
        }
        for seg in &scenario.segments {
            names.push(format!("segment_{}_default_rate", seg.name));
            names.push(format!("segment_{}_cumulative_loss_rate", seg.name));
        }
        let mut by_segment = SegmentSeries::new(scenario.segments.len(), profile, paths);
        let mut pnl_cumulative = vec![0.0; paths.len()];
        let horizon = scenario.horizon_months;
        let normalised = path_weights(paths);
        let w = PathWeights::of(&normalised);
        let mut cumulative: Vec<f64> = vec![0.0; paths.len()];
        // Loans and balance booked up to the month, per path.
        let mut loans: Vec<f64> = vec![profile.loans.max(1) as f64; paths.len()];
        let mut exposure: Vec<f64> = paths.iter().map(|p| p.exposure).collect();
        let (mut booked_loans, mut booked_cents) = (vec![0u64; paths.len()], vec![0i64; paths.len()]);
        let mut rows = Vec::with_capacity(horizon);
        for t in 0..horizon {
            for (k, p) in paths.iter().enumerate() {
                if let Some(f) = p.tally.flow.as_deref() {
                    booked_loans[k] += f.booked_loans[t] as u64;
                    booked_cents[k] += f.booked_balance[t];
                    loans[k] = booked_loans[k].max(1) as f64;
                    exposure[k] = crate::population::cents_to_money(booked_cents[k]);
                }
            }
            let mut row = Vec::with_capacity(names.len());
            row.push(band_weighted(
                w,
                paths
                    .iter()
                    .zip(&loans)
                    .map(|(p, n)| p.tally.monthly_defaults[t] as f64 / n)
                    .collect::<Vec<_>>(),
            ));
            row.push(band_weighted(
                w,
                paths
                    .iter()
                    .zip(&loans)
                    .map(|(p, n)| p.tally.monthly_delinquent[t] as f64 / n)
                    .collect::<Vec<_>>(),
            ));
            for (c, p) in cumulative.iter_mut().zip(paths) {
                *c += p.tally.monthly_loss[t];
            }
            row.push(band_weighted(
                w,
                cumulative
                    .iter()
                    .zip(&exposure)
                    .map(|(c, e)| if *e > 0.0 { c / e } else { 0.0 })
                    .collect::<Vec<_>>(),
            ));
            for k in 0..scenario.macro_model.factor_names.len() {
                row.push(band_weighted(
                    w,
                    paths.iter().map(|p| p.factors[k][t]).collect::<Vec<_>>(),
                ));
            }
            if going_concern {
                let series = |f: &dyn Fn(&crate::loan::BookFlow) -> f64| -> Band {
                    band_weighted(
                        w,
                        paths
                            .iter()
                            .map(|p| p.tally.flow.as_deref().map_or(0.0, f))
                            .collect::<Vec<_>>(),
                    )
                };
                row.push(series(&|f| f.applications[t] as f64));
                row.push(series(&|f| f.booked_loans[t] as f64));
                row.push(series(&|f| f.renewed_loans[t] as f64));
                row.push(series(&|f| crate::population::cents_to_money(f.booked_balance[t])));
                row.push(series(&|f| f.active_accounts[t] as f64));
                row.push(series(&|f| crate::population::cents_to_money(f.outstanding[t])));
            }
            if economics {
                row.extend(super::economics::month_bands(paths, w, t, &mut pnl_cumulative));
            }
            if provisions {
                row.extend(super::economics::provision_bands(paths, w, t));
            }
            if capital {
                row.extend(super::economics::capital_bands(paths, w, t));
            }
            by_segment.month(paths, w, t, &mut row);
            rows.push(row);
        }
        Timeseries { names, rows }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::risk::quantile;

    #[test]
    fn bands_by_selection_equal_quantiles_of_the_sorted_sample() {
        for n in [1usize, 2, 7, 20, 101, 1000] {
            let values: Vec<f64> = (0..n).map(|i| ((i * 7919) % 1013) as f64 - 300.0).collect();
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            let b = band_of(&mut values.clone());
            let expect = [0.05, 0.25, 0.5, 0.75, 0.95].map(|q| quantile(&sorted, q));
            assert_eq!([b.p05, b.p25, b.p50, b.p75, b.p95], expect, "n = {n}");
            assert_eq!(b.mean, moments(&values).mean);
        }
    }
}
