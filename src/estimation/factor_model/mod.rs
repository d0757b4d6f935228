//! Maximum likelihood of the engine's monthly loan dynamics for one
//! segment, from panel counts.
//!
//! The model is the simulator's. The segment's factor is a unit-variance
//! Gaussian AR(1), `z_1 ~ N(0, 1)`, `z_t = phi z_t-1 + sqrt(1 - phi^2) eps_t`,
//! independent between paths. In month `t` a current loan of grade `g`
//! misses a payment with `Phi((Phi^-1(m_g) - sqrt(rho) z_t) / sqrt(1 - rho))`
//! and otherwise prepays with `pi`; a loan in bucket `b` (30, 60, 90+ days
//! past due) rolls with `roll_b(z) = Phi((Phi^-1(r_b) - sqrt(s_roll) z) /
//! sqrt(1 - s_roll))`, else cures with `min(Phi((Phi^-1(c_b) + sqrt(s_cure) z)
//! / sqrt(1 - s_cure)), 1 - roll_b(z))`, else stays (see
//! [`crate::calibration::bucket_probabilities`]).
//!
//! [`fit_factor_model`] integrates the factor path out with a forward
//! filter on per-month grids ([`likelihood`]), maximises over unconstrained
//! coordinates ([`params`]) with BFGS ([`optimise`]), and takes standard
//! errors from the observed information. Intervals are built on the
//! unconstrained scale and mapped back, so they stay inside each
//! parameter's range.

mod checks;
mod likelihood;
mod optimise;
mod params;
#[cfg(test)]
mod tests;

use rayon::prelude::*;

use super::linalg::{cholesky, cholesky_solve, spd_inverse};
use super::{Estimate, EstimationError, two_sided_quantile};
use checks::{bound_warnings, check_panel, panel_warnings};
use likelihood::{MonthGrid, PathLikelihood, build_grid, path_likelihood};
use params::{Layout, Model, starting_values};

/// A grade's current loans in one month: at risk at the start, and how many
/// missed a payment or prepaid during it (the rest stayed current).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CurrentCounts {
    /// Current loans at the start of the month.
    pub at_risk: u64,
    /// Of those, loans that missed a payment (became 30 days past due, or
    /// defaulted without delinquency).
    pub missed: u64,
    /// Of those, loans that prepaid.
    pub prepaid: u64,
}

/// A delinquency bucket's loans in one month.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BucketCounts {
    /// Loans in the bucket at the start of the month.
    pub at_risk: u64,
    /// Of those, loans that rolled to the next bucket (charged off from 90+).
    pub rolled: u64,
    /// Of those, loans that cured (became current).
    pub cured: u64,
}

/// One month of a segment's counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MonthCounts {
    /// Per PD grade (the same number of grades every month).
    pub current: Vec<CurrentCounts>,
    /// Buckets 30, 60 and 90+ days past due (zero when delinquency is off).
    pub buckets: [BucketCounts; 3],
}

/// Consecutive months of one realisation of the factor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathCounts {
    /// The months, in order.
    pub months: Vec<MonthCounts>,
}

/// A segment's history: independent paths of the factor (real data has
/// one; a simulated tape may hold several).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FactorPanel {
    /// The paths.
    pub paths: Vec<PathCounts>,
}

/// What to estimate and how.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitOptions {
    /// Fit the bucket roll and cure rates and sensitivities (false when
    /// delinquency is off: a miss is a default and bucket counts are ignored).
    pub with_buckets: bool,
    /// Hold rho at this value (in [0, 1)).
    pub fix_rho: Option<f64>,
    /// Hold the roll sensitivity at this value (in [0, 1)).
    pub fix_roll_sensitivity: Option<f64>,
    /// Hold the cure sensitivity at this value (in [0, 1)).
    pub fix_cure_sensitivity: Option<f64>,
    /// Hold phi at this value (in (-1, 1); 0 makes months independent).
    pub fix_phi: Option<f64>,
    /// Confidence of the intervals, e.g. 0.95.
    pub confidence: f64,
    /// Iteration limit of each optimiser run.
    pub max_iterations: usize,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            with_buckets: true,
            fix_rho: None,
            fix_roll_sensitivity: None,
            fix_cure_sensitivity: None,
            fix_phi: None,
            confidence: 0.95,
            max_iterations: 500,
        }
    }
}

/// The fitted model of one segment.
#[derive(Debug, Clone, PartialEq)]
pub struct FactorFit {
    /// Unconditional monthly missed-payment probability `m_g` per grade.
    pub miss_rates: Vec<Estimate>,
    /// Monthly prepayment probability `pi`.
    pub prepay_rate: Estimate,
    /// Mean roll rates `r_b` (`None` without buckets).
    pub roll_rates: Option<[Estimate; 3]>,
    /// Mean cure rates `c_b` (`None` without buckets).
    pub cure_rates: Option<[Estimate; 3]>,
    /// Monthly asset correlation of missed payments.
    pub rho: Estimate,
    /// Roll sensitivity `s_roll` (`None` without buckets).
    pub roll_sensitivity: Option<Estimate>,
    /// Cure sensitivity `s_cure` (`None` without buckets).
    pub cure_sensitivity: Option<Estimate>,
    /// Factor persistence.
    pub phi: Estimate,
    /// Maximised log-likelihood (without the multinomial coefficients).
    pub log_likelihood: f64,
    /// Path-months used.
    pub months: usize,
    /// Paths used (those with at least one month).
    pub paths: usize,
    /// Posterior mean `E[z_t | data]` per path and month (paths without
    /// months give an empty row).
    pub factor_mean: Vec<Vec<f64>>,
    /// Posterior standard deviation of `z_t` per path and month.
    pub factor_sd: Vec<Vec<f64>>,
    /// Names of the estimated parameters, the order of the covariance rows
    /// (`miss_rate[0]`, ..., `prepay_rate`, `roll_rate[0]`, ..., `rho`, `phi`).
    pub parameter_names: Vec<String>,
    /// Covariance of the estimates in the unconstrained coordinates (probit
    /// for rates, logit for sensitivities, `atanh` for phi).
    pub covariance_unconstrained: Vec<Vec<f64>>,
    /// Covariance in natural units, by the delta method.
    pub covariance: Vec<Vec<f64>>,
    /// Optimiser iterations, all rounds together.
    pub iterations: usize,
    /// What a reader should know about the fit.
    pub warnings: Vec<String>,
}

/// Fewer path-months than this and the warning about rho is given.
pub const SHORT_HISTORY_MONTHS: usize = 24;
/// Predicted log-likelihood gain below which the optimiser stops.
const TOLERANCE: f64 = 1e-7;
/// Grid rebuilds: stop once a rebuilt grid changes `ln L` by less than this.
const GRID_TOLERANCE: f64 = 1e-6;
const MAX_ROUNDS: usize = 4;
/// Step of the numerical Hessian in unconstrained coordinates.
const HESSIAN_STEP: f64 = 1e-4;

/// Fits the factor model to `panel` (one segment).
///
/// Starts from the pooled cohort rates and moment estimates of rho and
/// phi, maximises `ln L` by BFGS on per-month grids built at the current
/// point, rebuilding them until `ln L` stops moving, and finishes with a
/// Newton step on the numerical Hessian, whose inverse (the inverse
/// observed information) is the covariance.
pub fn fit_factor_model(panel: &FactorPanel, options: &FitOptions) -> Result<FactorFit, EstimationError> {
    let grades = check_panel(panel, options)?;
    let layout = Layout::new(grades, options);
    let mut warnings = panel_warnings(panel, &layout);
    let months: usize = panel.paths.iter().map(|p| p.months.len()).sum();
    let paths = panel.paths.iter().filter(|p| !p.months.is_empty()).count();
    if months < SHORT_HISTORY_MONTHS && layout.fixed[layout.rho()].is_none() {
        warnings.push(format!(
            "the history is too short to identify rho: {months} months; intervals are wide"
        ));
    }
    let theta0 = starting_values(&layout, panel);
    let mut x: Vec<f64> = layout
        .free
        .iter()
        .map(|&i| layout.link(i).coordinate(theta0[i]))
        .collect();
    let mut grids = build_grids(panel, &layout, &x);
    let mut warm = None;
    let mut iterations = 0;
    let mut stopped = None;
    for round in 0..MAX_ROUNDS {
        let objective = Objective {
            panel,
            layout: &layout,
            grids: &grids,
        };
        let minimum = optimise::bfgs(
            |x| objective.value(x),
            |x| objective.value_gradient(x),
            &x,
            warm.take(),
            TOLERANCE,
            options.max_iterations,
        );
        iterations += minimum.iterations;
        if !minimum.value.is_finite() {
            return Err(EstimationError::OptimiserFailed {
                iterations,
                reason: minimum
                    .stopped
                    .unwrap_or_else(|| "the log-likelihood is not finite".into()),
            });
        }
        x = minimum.x;
        stopped = minimum.stopped;
        warm = Some(minimum.inverse_hessian);
        let rebuilt = build_grids(panel, &layout, &x);
        let moved = (Objective {
            panel,
            layout: &layout,
            grids: &rebuilt,
        }
        .value(&x)
            - minimum.value)
            .abs();
        grids = rebuilt;
        if moved < GRID_TOLERANCE || round + 1 == MAX_ROUNDS {
            break;
        }
    }
    if let Some(reason) = stopped {
        warnings.push(format!("the optimiser stopped before converging: {reason}"));
    }
    let objective = Objective {
        panel,
        layout: &layout,
        grids: &grids,
    };
    let mut information = optimise::hessian(|x| objective.value_gradient(x).1, &x, HESSIAN_STEP);
    // One Newton step polishes the quasi-Newton optimum.
    if let Some(l) = cholesky(&information) {
        let g = objective.value_gradient(&x).1;
        let step = cholesky_solve(&l, &g);
        if step.iter().all(|s| s.abs() < 0.1) {
            let trial: Vec<f64> = x.iter().zip(&step).map(|(a, s)| a - s).collect();
            if objective.value(&trial) <= objective.value(&x) {
                x = trial;
                information = optimise::hessian(|x| objective.value_gradient(x).1, &x, HESSIAN_STEP);
            }
        }
    }
    let free = layout.free.len();
    let covariance_unconstrained = spd_inverse(&information).unwrap_or_else(|| {
        warnings.push(
            "the observed information is not positive definite: some parameters are not identified by \
             this history; their standard errors are reported as infinite"
                .into(),
        );
        vec![vec![f64::INFINITY; free]; free]
    });
    let posterior = objective.evaluate(&x, true);
    let theta = layout.natural(&x);
    let slopes: Vec<f64> = layout
        .free
        .iter()
        .zip(&x)
        .map(|(&i, &xi)| layout.link(i).derivative(xi))
        .collect();
    let covariance = (0..free)
        .map(|a| {
            (0..free)
                .map(|b| slopes[a] * covariance_unconstrained[a][b] * slopes[b])
                .collect()
        })
        .collect();
    let z = two_sided_quantile(options.confidence);
    let estimate = |i: usize| -> Estimate {
        match layout.free.iter().position(|&f| f == i) {
            None => Estimate::fixed(theta[i]),
            Some(k) => {
                let link = layout.link(i);
                let se = covariance_unconstrained[k][k].max(0.0).sqrt();
                let (lo, hi) = (link.natural(x[k] - z * se), link.natural(x[k] + z * se));
                Estimate {
                    value: theta[i],
                    std_error: slopes[k] * se,
                    lower: lo.min(hi),
                    upper: lo.max(hi),
                }
            }
        }
    };
    let with = |b: bool, e: Estimate| b.then_some(e);
    let fit = FactorFit {
        miss_rates: (0..grades).map(estimate).collect(),
        prepay_rate: estimate(layout.prepay()),
        roll_rates: layout
            .buckets
            .then(|| std::array::from_fn(|b| estimate(layout.roll(b)))),
        cure_rates: layout
            .buckets
            .then(|| std::array::from_fn(|b| estimate(layout.cure(b)))),
        rho: estimate(layout.rho()),
        roll_sensitivity: with(layout.buckets, estimate(layout.roll_sensitivity())),
        cure_sensitivity: with(layout.buckets, estimate(layout.cure_sensitivity())),
        phi: estimate(layout.phi()),
        log_likelihood: posterior.iter().map(|p| p.log_likelihood).sum(),
        months,
        paths,
        factor_mean: posterior.iter().map(|p| p.factor_mean.clone()).collect(),
        factor_sd: posterior.iter().map(|p| p.factor_sd.clone()).collect(),
        parameter_names: layout.free.iter().map(|&i| layout.name(i)).collect(),
        covariance_unconstrained,
        covariance,
        iterations,
        warnings,
    };
    Ok(bound_warnings(fit, &layout))
}

/// `-ln L` of the panel on fixed grids, as the optimiser sees it.
struct Objective<'a> {
    panel: &'a FactorPanel,
    layout: &'a Layout,
    grids: &'a [Vec<MonthGrid>],
}

impl Objective<'_> {
    /// Each path's likelihood at free coordinates `x` (paths in parallel,
    /// results in path order).
    fn evaluate(&self, x: &[f64], smooth: bool) -> Vec<PathLikelihood> {
        let model = Model::new(self.layout, &self.layout.natural(x));
        self.panel
            .paths
            .par_iter()
            .zip(self.grids)
            .map(|(path, grids)| {
                if path.months.is_empty() {
                    PathLikelihood {
                        log_likelihood: 0.0,
                        gradient: vec![0.0; self.layout.len()],
                        factor_mean: Vec::new(),
                        factor_sd: Vec::new(),
                    }
                } else {
                    path_likelihood(&model, self.layout, &path.months, grids, smooth)
                }
            })
            .collect()
    }

    fn value(&self, x: &[f64]) -> f64 {
        let ll: f64 = self.evaluate(x, false).iter().map(|p| p.log_likelihood).sum();
        if ll.is_nan() { f64::INFINITY } else { -ll }
    }

    fn value_gradient(&self, x: &[f64]) -> (f64, Vec<f64>) {
        let paths = self.evaluate(x, true);
        let ll: f64 = paths.iter().map(|p| p.log_likelihood).sum();
        let mut full = vec![0.0; self.layout.len()];
        for p in &paths {
            for (f, g) in full.iter_mut().zip(&p.gradient) {
                *f += g;
            }
        }
        let gradient = self.layout.free.iter().map(|&i| -full[i]).collect();
        (if ll.is_nan() { f64::INFINITY } else { -ll }, gradient)
    }
}

/// Every path's month grids at free coordinates `x`.
fn build_grids(panel: &FactorPanel, layout: &Layout, x: &[f64]) -> Vec<Vec<MonthGrid>> {
    let model = Model::new(layout, &layout.natural(x));
    panel
        .paths
        .par_iter()
        .map(|path| path.months.iter().map(|m| build_grid(&model, layout, m)).collect())
        .collect()
}
