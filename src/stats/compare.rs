//! Paired comparison of policies run on common random numbers.
//!
//! Every policy sees the same macro paths and the same idiosyncratic draws
//! for the same borrower, so path `i` of one policy and path `i` of another
//! differ only through the policy. The difference of two policies is then
//! estimated from the per-path differences (paired), whose spread is far
//! smaller than that of either policy alone; the unpaired interval, which
//! ignores the pairing, is reported next to it to show what the pairing buys.

use rand::RngExt;
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::normal::norm_inv;
use super::risk::{FEW_TAIL_PATHS, expected_shortfall, level_key, moments, quantile, tail_paths};
use crate::scenario::GridMeasure;

/// Confidence level of every interval in a comparison.
pub const COMPARE_CI_LEVEL: f64 = 0.95;
/// Bootstrap resamples for the tail measures.
pub const BOOTSTRAP_RESAMPLES: usize = 400;

/// Per-path results of one policy, in path order.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicySample {
    /// Policy name.
    pub name: String,
    /// Loans booked.
    pub loans: u64,
    /// Loss per path.
    pub loss: Vec<f64>,
    /// Default rate per path.
    pub default_rate: Vec<f64>,
    /// Interest income per path.
    pub interest: Vec<f64>,
    /// Net income per path (interest - loss - collection cost - recovery cost).
    pub net_income: Vec<f64>,
    /// The `[economics]` P&L's net income per path (`None` without it).
    pub pnl_net_income: Option<Vec<f64>>,
}

impl PolicySample {
    /// The net income a risk-adjusted return divides: the P&L's when there is one.
    fn return_income(&self) -> &[f64] {
        self.pnl_net_income.as_deref().unwrap_or(&self.net_income)
    }
}

/// What `risk_adjusted_return` divides by what.
pub const RISK_ADJUSTED_RETURN_BASIS: &str = "mean net income over the horizon (the [economics] P&L's when the \
     scenario has one, else interest - loss - collection cost - recovery cost) / economic capital ES - EL at the \
     highest risk level";

/// A point estimate with its confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Estimate {
    /// Estimate.
    pub value: f64,
    /// 95% confidence interval.
    pub ci: [f64; 2],
}

/// One metric of one policy against the baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Difference {
    /// Metric name, e.g. `el`, `var_0.99`, `net_income`.
    pub metric: String,
    /// Baseline value.
    pub baseline: f64,
    /// This policy's value.
    pub policy: f64,
    /// `policy - baseline` with the paired confidence interval.
    pub paired: Estimate,
    /// The same difference with the interval that ignores the pairing.
    pub unpaired_ci: [f64; 2],
    /// Width of the paired interval over that of the unpaired one.
    pub width_ratio: f64,
    /// For a tail measure: the paths beyond its level, `floor(n (1 - q))`;
    /// below [`FEW_TAIL_PATHS`] its interval is rough (`null` for means).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tail_paths: Option<u64>,
}

/// Key figures of one policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PolicyFigures {
    /// Policy name.
    pub name: String,
    /// Loans booked.
    pub loans: u64,
    /// Expected loss with its CI.
    pub el: Estimate,
    /// Mean interest income with its CI.
    pub interest_income: Estimate,
    /// Mean net income with its CI.
    pub net_income: Estimate,
    /// Mean net income of the `[economics]` P&L with its CI (absent without it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pnl_net_income: Option<Estimate>,
    /// Mean default rate.
    pub default_rate: f64,
    /// VaR per level.
    pub var: std::collections::BTreeMap<String, f64>,
    /// ES per level.
    pub es: std::collections::BTreeMap<String, f64>,
    /// Mean net income / (ES - EL) at the highest level (see [`RISK_ADJUSTED_RETURN_BASIS`]).
    pub risk_adjusted_return: f64,
}

/// A policy against the baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PolicyDifferences {
    /// Policy name.
    pub policy: String,
    /// Baseline name.
    pub baseline: String,
    /// One row per metric.
    pub differences: Vec<Difference>,
}

impl Difference {
    /// The metric with a note when its interval rests on few tail paths,
    /// e.g. `var_0.999 (rough: 20 tail paths)`.
    pub fn label(&self) -> String {
        self.label_as(&self.metric)
    }

    /// [`Self::label`] with the metric shown as `name` (its words on a page).
    pub fn label_as(&self, name: &str) -> String {
        match self.tail_paths {
            Some(t) if t < FEW_TAIL_PATHS => format!("{name} (rough: {t} tail paths)"),
            _ => name.to_string(),
        }
    }
}

/// The `format_version` of comparison.json and stress.json this program writes.
pub const COMPARISON_FORMAT_VERSION: u32 = 1;

/// Everything `comparison.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Comparison {
    /// The layout's version of comparison.json (and of stress.json, which
    /// holds a comparison), [`COMPARISON_FORMAT_VERSION`] (1): raised when a field changes
    /// meaning or goes away, never for an added field; files written before
    /// the field existed read as 0.
    #[serde(default)]
    pub format_version: u32,
    /// Scenario name.
    pub scenario: String,
    /// Seed.
    pub seed: u64,
    /// Paths per policy.
    pub paths: u64,
    /// Confidence level of the intervals.
    pub confidence: f64,
    /// Bootstrap resamples behind the tail-measure intervals.
    pub bootstrap_resamples: usize,
    /// What `risk_adjusted_return` is.
    #[serde(default)]
    pub risk_adjusted_return_basis: String,
    /// Figures per policy, baseline first.
    pub policies: Vec<PolicyFigures>,
    /// Each other policy against the baseline.
    pub versus_baseline: Vec<PolicyDifferences>,
}

fn z() -> f64 {
    norm_inv(0.5 + COMPARE_CI_LEVEL / 2.0)
}

fn mean_ci(x: &[f64]) -> Estimate {
    let m = moments(x);
    Estimate {
        value: m.mean,
        ci: [m.mean - z() * m.stderr, m.mean + z() * m.stderr],
    }
}

/// VaR and ES at each level and mean net income / (ES - EL) at the highest level.
struct TailStats {
    var: Vec<f64>,
    es: Vec<f64>,
    risk_adjusted: f64,
}

fn tail_stats(loss: impl Iterator<Item = f64>, net_mean: f64, levels: &[f64]) -> TailStats {
    let mut sorted: Vec<f64> = loss.collect();
    sorted.sort_unstable_by(f64::total_cmp);
    let el = moments(&sorted).mean;
    let var = levels.iter().map(|&q| quantile(&sorted, q)).collect();
    let es: Vec<f64> = levels.iter().map(|&q| expected_shortfall(&sorted, q)).collect();
    let capital = *es.last().expect("validated scenarios have at least one risk level") - el;
    TailStats {
        var,
        es,
        risk_adjusted: if capital > 0.0 { net_mean / capital } else { 0.0 },
    }
}

impl TailStats {
    fn of(s: &PolicySample, levels: &[f64]) -> Self {
        tail_stats(s.loss.iter().copied(), moments(s.return_income()).mean, levels)
    }

    fn of_resample(s: &PolicySample, idx: &[usize], levels: &[f64]) -> Self {
        let income = s.return_income();
        let net = idx.iter().map(|&i| income[i]).sum::<f64>() / idx.len() as f64;
        tail_stats(idx.iter().map(|&i| s.loss[i]), net, levels)
    }

    /// The statistics as one flat list: VaRs, ESs, risk-adjusted return.
    fn flat(&self) -> Vec<f64> {
        self.var
            .iter()
            .chain(&self.es)
            .copied()
            .chain(std::iter::once(self.risk_adjusted))
            .collect()
    }
}

/// Normal-approximation bootstrap interval `estimate -+ z sd(replicates)`.
/// The percentile interval of an extreme order statistic is not centred (its
/// replicates cannot go beyond the sample's largest values, so the estimate
/// sat at one end of its own interval); the normal one is, and it is valid
/// where the quantile estimator is asymptotically normal, which needs enough
/// paths beyond the level (see [`Difference::tail_paths`]).
fn bootstrap_ci(estimate: f64, replicates: &[f64]) -> [f64; 2] {
    let se = moments(replicates).std;
    [estimate - z() * se, estimate + z() * se]
}

/// Differences of the tail statistics with paired and unpaired bootstrap
/// intervals. Resample `r` draws from its own generator, so the result does
/// not depend on how rayon splits the work.
fn tail_differences(a: &PolicySample, b: &PolicySample, levels: &[f64], seed: u64) -> Vec<Difference> {
    let n = a.loss.len();
    let base = TailStats::of(a, levels).flat();
    let pol = TailStats::of(b, levels).flat();
    let replicates: Vec<(Vec<f64>, Vec<f64>)> = (0..BOOTSTRAP_RESAMPLES as u64)
        .into_par_iter()
        .map(|r| {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed ^ r.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let i: Vec<usize> = (0..n).map(|_| rng.random_range(0..n)).collect();
            let j: Vec<usize> = (0..n).map(|_| rng.random_range(0..n)).collect();
            let sa = TailStats::of_resample(a, &i, levels).flat();
            let sb_paired = TailStats::of_resample(b, &i, levels).flat();
            let sb_indep = TailStats::of_resample(b, &j, levels).flat();
            let paired = sb_paired.iter().zip(&sa).map(|(x, y)| x - y).collect();
            let unpaired = sb_indep.iter().zip(&sa).map(|(x, y)| x - y).collect();
            (paired, unpaired)
        })
        .collect();
    let top = level_key(*levels.last().expect("validated scenarios have at least one risk level"));
    let names: Vec<String> = levels
        .iter()
        .map(|&q| format!("var_{}", level_key(q)))
        .chain(levels.iter().map(|&q| format!("es_{}", level_key(q))))
        .chain(std::iter::once(format!("risk_adjusted_return_{top}")))
        .collect();
    // Tail paths behind each statistic: VaRs and ESs by level, the
    // risk-adjusted return by the highest level's ES.
    let tail = |q: f64| tail_paths(n as u64, q);
    let tails: Vec<u64> = levels
        .iter()
        .chain(levels)
        .map(|&q| tail(q))
        .chain(std::iter::once(tail(
            *levels.last().expect("validated scenarios have at least one risk level"),
        )))
        .collect();
    names
        .into_iter()
        .enumerate()
        .map(|(m, name)| {
            let estimate = pol[m] - base[m];
            let paired = bootstrap_ci(estimate, &replicates.iter().map(|r| r.0[m]).collect::<Vec<_>>());
            let unpaired = bootstrap_ci(estimate, &replicates.iter().map(|r| r.1[m]).collect::<Vec<_>>());
            Difference {
                tail_paths: Some(tails[m]),
                ..difference(name, base[m], pol[m], paired, unpaired)
            }
        })
        .collect()
}

fn difference(metric: String, baseline: f64, policy: f64, paired_ci: [f64; 2], unpaired_ci: [f64; 2]) -> Difference {
    let unpaired_width = unpaired_ci[1] - unpaired_ci[0];
    Difference {
        metric,
        baseline,
        policy,
        paired: Estimate {
            value: policy - baseline,
            ci: paired_ci,
        },
        unpaired_ci,
        width_ratio: if unpaired_width > 0.0 {
            (paired_ci[1] - paired_ci[0]) / unpaired_width
        } else {
            1.0
        },
        tail_paths: None,
    }
}

/// Difference of means: paired interval from the per-path differences,
/// unpaired from the two variances.
fn mean_difference(metric: &str, a: &[f64], b: &[f64]) -> Difference {
    let d: Vec<f64> = b.iter().zip(a).map(|(x, y)| x - y).collect();
    let paired = mean_ci(&d);
    let (ma, mb) = (moments(a), moments(b));
    let se = (ma.stderr * ma.stderr + mb.stderr * mb.stderr).sqrt();
    let diff = mb.mean - ma.mean;
    difference(
        metric.to_string(),
        ma.mean,
        mb.mean,
        paired.ci,
        [diff - z() * se, diff + z() * se],
    )
}

fn figures(s: &PolicySample, levels: &[f64]) -> PolicyFigures {
    let tail = TailStats::of(s, levels);
    PolicyFigures {
        name: s.name.clone(),
        loans: s.loans,
        el: mean_ci(&s.loss),
        interest_income: mean_ci(&s.interest),
        net_income: mean_ci(&s.net_income),
        pnl_net_income: s.pnl_net_income.as_deref().map(mean_ci),
        default_rate: moments(&s.default_rate).mean,
        var: levels.iter().zip(&tail.var).map(|(&q, &v)| (level_key(q), v)).collect(),
        es: levels.iter().zip(&tail.es).map(|(&q, &v)| (level_key(q), v)).collect(),
        risk_adjusted_return: tail.risk_adjusted,
    }
}

/// Compares every policy with the first (the baseline). All samples must
/// have the same number of paths, in the same path order.
/// A scenario's probability in a weighted stress test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioWeight {
    /// Scenario name.
    pub name: String,
    /// Its probability (the weights given, normalised to sum to 1).
    pub weight: f64,
}

/// Probability-weighted figures of several scenarios run on common random
/// numbers: the loss is that of scenario `s` with probability `w_s`, so its
/// law is the mixture `sum_s w_s F_s`.
///
/// - EL and mean net income: `sum_s w_s mean_s`, with the interval of the
///   mean of the per-path combination `Y_i = sum_s w_s L_{s,i}` (which holds
///   the pairing of the scenarios' paths);
/// - VaR and ES: of the pooled sample, each path of scenario `s` weighted
///   `w_s / n` (the weighted quantile and the Acerbi-Tasche ES of
///   [`super::weighted`]), with normal bootstrap intervals over path indices
///   (a resampled index takes that path in every scenario).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeightedFigures {
    /// The scenarios and their probabilities.
    pub weights: Vec<ScenarioWeight>,
    /// Probability-weighted expected loss.
    pub el: Estimate,
    /// Probability-weighted mean net income (the `[economics]` P&L's where
    /// every scenario has one, else interest - loss - collection cost - recovery cost).
    pub net_income: Estimate,
    /// Probability-weighted mean default rate.
    pub default_rate: f64,
    /// VaR of the mixture per level.
    pub var: std::collections::BTreeMap<String, Estimate>,
    /// ES of the mixture per level.
    pub es: std::collections::BTreeMap<String, Estimate>,
}

/// VaR and ES of the mixture at each level, from the paths `idx` of every sample.
fn mixture_tail(samples: &[PolicySample], weights: &[f64], idx: &[usize], levels: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let n = idx.len() as f64;
    let values: Vec<f64> = samples.iter().flat_map(|s| idx.iter().map(|&i| s.loss[i])).collect();
    let w: Vec<f64> = weights
        .iter()
        .flat_map(|&ws| std::iter::repeat_n(ws / n, idx.len()))
        .collect();
    let sorted = super::weighted::Sorted::new(&values, &w);
    levels
        .iter()
        .map(|&q| {
            let tail = super::weighted::tail_of(&sorted, q);
            (tail.var, tail.es)
        })
        .unzip()
}

/// The probability-weighted figures of `samples` (see [`WeightedFigures`]);
/// `weights` are non-negative, one per sample, and sum to 1.
pub fn weighted_figures(samples: &[PolicySample], weights: &[f64], levels: &[f64], seed: u64) -> WeightedFigures {
    let n = samples[0].loss.len();
    let combine = |series: &dyn Fn(&PolicySample) -> &[f64]| -> Vec<f64> {
        (0..n)
            .map(|i| samples.iter().zip(weights).map(|(s, w)| w * series(s)[i]).sum())
            .collect()
    };
    let every_pnl = samples.iter().all(|s| s.pnl_net_income.is_some());
    let net = combine(&|s: &PolicySample| if every_pnl { s.return_income() } else { &s.net_income });
    let all: Vec<usize> = (0..n).collect();
    let (var, es) = mixture_tail(samples, weights, &all, levels);
    let (var_replicates, es_replicates): (Vec<Vec<f64>>, Vec<Vec<f64>>) = (0..BOOTSTRAP_RESAMPLES as u64)
        .into_par_iter()
        .map(|r| {
            let mut rng =
                Xoshiro256PlusPlus::seed_from_u64(seed ^ 0x7765_6967_6874 ^ r.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let idx: Vec<usize> = (0..n).map(|_| rng.random_range(0..n)).collect();
            mixture_tail(samples, weights, &idx, levels)
        })
        .unzip();
    let estimates = |values: &[f64], replicates: &[Vec<f64>]| {
        levels
            .iter()
            .enumerate()
            .map(|(k, &q)| {
                let reps: Vec<f64> = replicates.iter().map(|r| r[k]).collect();
                let value = values[k];
                (
                    level_key(q),
                    Estimate {
                        value,
                        ci: bootstrap_ci(value, &reps),
                    },
                )
            })
            .collect()
    };
    WeightedFigures {
        weights: samples
            .iter()
            .zip(weights)
            .map(|(s, &weight)| ScenarioWeight {
                name: s.name.clone(),
                weight,
            })
            .collect(),
        el: mean_ci(&combine(&|s: &PolicySample| &s.loss)),
        net_income: mean_ci(&net),
        default_rate: samples
            .iter()
            .zip(weights)
            .map(|(s, w)| w * moments(&s.default_rate).mean)
            .sum(),
        var: estimates(&var, &var_replicates),
        es: estimates(&es, &es_replicates),
    }
}

pub fn compare_policies(scenario: &str, seed: u64, samples: &[PolicySample], levels: &[f64]) -> Comparison {
    let baseline = &samples[0];
    let versus_baseline = samples[1..]
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let mut rows = vec![
                mean_difference("el", &baseline.loss, &s.loss),
                mean_difference("default_rate", &baseline.default_rate, &s.default_rate),
                mean_difference("interest_income", &baseline.interest, &s.interest),
                mean_difference("net_income", &baseline.net_income, &s.net_income),
            ];
            if let (Some(a), Some(b)) = (&baseline.pnl_net_income, &s.pnl_net_income) {
                rows.push(mean_difference("pnl_net_income", a, b));
            }
            rows.extend(tail_differences(baseline, s, levels, seed ^ ((k as u64 + 1) << 40)));
            PolicyDifferences {
                policy: s.name.clone(),
                baseline: baseline.name.clone(),
                differences: rows,
            }
        })
        .collect();
    Comparison {
        format_version: COMPARISON_FORMAT_VERSION,
        scenario: scenario.to_string(),
        seed,
        paths: baseline.loss.len() as u64,
        confidence: COMPARE_CI_LEVEL,
        bootstrap_resamples: BOOTSTRAP_RESAMPLES,
        risk_adjusted_return_basis: RISK_ADJUSTED_RETURN_BASIS.to_string(),
        policies: samples.iter().map(|s| figures(s, levels)).collect(),
        versus_baseline,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str, loss: Vec<f64>) -> PolicySample {
        let n = loss.len();
        PolicySample {
            name: name.into(),
            loans: 10,
            net_income: loss.iter().map(|l| 100.0 - l).collect(),
            loss,
            default_rate: vec![0.1; n],
            interest: vec![100.0; n],
            pnl_net_income: None,
        }
    }

    #[test]
    fn an_extreme_quantile_difference_sits_inside_its_interval() {
        // Heavy-tailed losses, and a policy that changes the tail: the
        // percentile bootstrap put the 99.9% difference at an end of its
        // interval; the normal bootstrap interval is centred on it.
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let a: Vec<f64> = (0..2000).map(|_| (3.0 * rng.random::<f64>()).exp().powi(3)).collect();
        let b: Vec<f64> = a.iter().map(|x| if *x > 1000.0 { 0.7 * x } else { *x }).collect();
        let c = compare_policies("t", 1, &[sample("a", a), sample("b", b)], &[0.999]);
        let var = c.versus_baseline[0]
            .differences
            .iter()
            .find(|d| d.metric == "var_0.999")
            .unwrap();
        let [lo, hi] = var.paired.ci;
        assert!(lo < var.paired.value && var.paired.value < hi, "{:?}", var.paired);
        assert!(((var.paired.value - lo) - (hi - var.paired.value)).abs() < 1e-9 * (1.0 + hi - lo));
        assert_eq!(var.tail_paths, Some(2));
    }

    #[test]
    fn pairing_narrows_the_interval_of_a_common_shock() {
        // Policy b = a * 0.9 path by path: a large common component, a small difference.
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let a: Vec<f64> = (0..2000).map(|_| 50.0 + 40.0 * rng.random::<f64>()).collect();
        let b: Vec<f64> = a.iter().map(|x| 0.9 * x).collect();
        let c = compare_policies("t", 1, &[sample("a", a.clone()), sample("b", b)], &[0.99]);
        let el = &c.versus_baseline[0].differences[0];
        assert_eq!(el.metric, "el");
        assert!(el.paired.ci[1] < 0.0, "the paired CI excludes zero: {:?}", el.paired);
        assert!(el.width_ratio < 0.2, "{}", el.width_ratio);
        let var = c.versus_baseline[0]
            .differences
            .iter()
            .find(|d| d.metric == "var_0.99")
            .unwrap();
        assert!(var.paired.ci[0] <= var.paired.value && var.paired.value <= var.paired.ci[1]);
        assert!(var.width_ratio < 1.0);
        assert_eq!(var.tail_paths, Some(20));
        assert!(var.label().contains("rough: 20 tail paths"), "{}", var.label());
        // Identical policies: a zero difference with a degenerate paired interval.
        let same = compare_policies("t", 1, &[sample("a", a.clone()), sample("a2", a)], &[0.99]);
        assert!(
            same.versus_baseline[0]
                .differences
                .iter()
                .all(|d| d.paired.value == 0.0 && d.paired.ci == [0.0, 0.0])
        );
    }
}

/// One grid point of a sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepPoint {
    /// Parameter value.
    pub value: f64,
    /// Key figures.
    pub figures: PolicyFigures,
    /// EL minus the first grid point's, paired over paths.
    pub el_vs_first: Difference,
    /// Net income minus the first grid point's, paired over paths.
    pub net_income_vs_first: Difference,
}

/// A grid measure's estimate and its 95% interval; a bound the paths cannot
/// give (a VaR's order statistic beyond the sample, an ES with fewer than
/// two tail paths) is `None`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MeasureEstimate {
    /// Estimate.
    pub value: f64,
    /// 95% confidence interval.
    pub ci: [Option<f64>; 2],
}

/// One point of a grid sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridPoint {
    /// Index of the point's value on each axis.
    pub index: Vec<usize>,
    /// Its value on each axis, as written (TOML).
    pub values: Vec<String>,
    /// The grid's measure at this point, with its interval.
    pub measure: MeasureEstimate,
    /// Key figures.
    pub figures: PolicyFigures,
    /// EL minus the first point's, paired over paths.
    pub el_vs_first: Difference,
    /// Net income minus the first point's, paired over paths.
    pub net_income_vs_first: Difference,
}

/// The grid's measure on one point's sample.
pub fn grid_measure(measure: GridMeasure, s: &PolicySample, f: &PolicyFigures) -> MeasureEstimate {
    let of = |e: Estimate| MeasureEstimate {
        value: e.value,
        ci: e.ci.map(Some),
    };
    match measure {
        GridMeasure::El => of(f.el),
        GridMeasure::NetIncome => of(f.net_income),
        GridMeasure::InterestIncome => of(f.interest_income),
        GridMeasure::DefaultRate => of(mean_ci(&s.default_rate)),
        GridMeasure::Var(q) | GridMeasure::Es(q) => {
            let r = super::risk::risk_measures(&s.loss, &[q]);
            let key = level_key(q);
            if matches!(measure, GridMeasure::Var(_)) {
                MeasureEstimate {
                    value: r.var[&key],
                    ci: r.var_ci[&key],
                }
            } else {
                MeasureEstimate {
                    value: r.es[&key],
                    ci: r.es_ci[&key].map_or([None, None], |c| c.map(Some)),
                }
            }
        }
    }
}

/// Summarises each grid point's sample (`index[k]` the point's indices on
/// the axes, `values[k]` its values), with paired differences against the first.
pub fn grid_points(
    index: &[Vec<usize>],
    values: &[Vec<String>],
    samples: &[PolicySample],
    levels: &[f64],
    measure: GridMeasure,
) -> Vec<GridPoint> {
    let first = &samples[0];
    index
        .iter()
        .zip(values)
        .zip(samples)
        .map(|((index, values), s)| {
            let figures = figures(s, levels);
            GridPoint {
                index: index.clone(),
                values: values.clone(),
                measure: grid_measure(measure, s, &figures),
                el_vs_first: mean_difference("el", &first.loss, &s.loss),
                net_income_vs_first: mean_difference("net_income", &first.net_income, &s.net_income),
                figures,
            }
        })
        .collect()
}

/// Summarises each grid point's sample, with paired differences against the first.
pub fn sweep_points(values: &[f64], samples: &[PolicySample], levels: &[f64]) -> Vec<SweepPoint> {
    let first = &samples[0];
    values
        .iter()
        .zip(samples)
        .map(|(&value, s)| SweepPoint {
            value,
            figures: figures(s, levels),
            el_vs_first: mean_difference("el", &first.loss, &s.loss),
            net_income_vs_first: mean_difference("net_income", &first.net_income, &s.net_income),
        })
        .collect()
}
