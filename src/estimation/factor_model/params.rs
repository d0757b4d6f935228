//! The factor model's parameter vector: its layout, the maps between the
//! natural parameters and the unconstrained coordinates the optimiser
//! works in, and closed-form starting values from the cohort rates.
//!
//! Full layout, `G` grades: miss rates `0..G`, prepayment `G`, roll rates
//! `G+1..G+4`, cure rates `G+4..G+7`, then rho, roll sensitivity, cure
//! sensitivity and phi. Rates move on the probit scale (so a grade's
//! coordinate is the engine's own probit `Phi^-1(m_g)`), the three
//! sensitivities on the logit scale and phi on the `atanh` scale: every
//! point of the unconstrained space is a valid model, and an interval
//! built there maps back inside the parameter's range.

use super::{FactorPanel, FitOptions};
use crate::stats::normal::{norm_cdf, norm_inv, norm_pdf};

/// How one coordinate maps to its natural parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Link {
    /// `theta = Phi(x)`.
    Probit,
    /// `theta = 1 / (1 + e^-x)`.
    Logit,
    /// `theta = tanh x`.
    Tanh,
}

impl Link {
    /// Natural value of coordinate `x`.
    pub(crate) fn natural(self, x: f64) -> f64 {
        match self {
            Link::Probit => norm_cdf(x),
            Link::Logit => 1.0 / (1.0 + (-x).exp()),
            Link::Tanh => x.tanh(),
        }
    }

    /// Coordinate of natural value `theta`.
    pub(crate) fn coordinate(self, theta: f64) -> f64 {
        match self {
            Link::Probit => norm_inv(theta),
            Link::Logit => (theta / (1.0 - theta)).ln(),
            Link::Tanh => theta.atanh(),
        }
    }

    /// `d theta / d x` at coordinate `x`.
    pub(crate) fn derivative(self, x: f64) -> f64 {
        match self {
            Link::Probit => norm_pdf(x),
            Link::Logit => {
                let t = self.natural(x);
                t * (1.0 - t)
            }
            Link::Tanh => 1.0 - x.tanh().powi(2),
        }
    }
}

/// Which coordinates are estimated and the values of those held fixed.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    /// Number of grades `G`.
    pub grades: usize,
    /// Whether bucket transitions enter the likelihood.
    pub buckets: bool,
    /// Full indices of the free coordinates, in order.
    pub free: Vec<usize>,
    /// Natural value of each full index held fixed (`None` if free).
    pub fixed: Vec<Option<f64>>,
}

impl Layout {
    pub(crate) fn prepay(&self) -> usize {
        self.grades
    }
    pub(crate) fn roll(&self, b: usize) -> usize {
        self.grades + 1 + b
    }
    pub(crate) fn cure(&self, b: usize) -> usize {
        self.grades + 4 + b
    }
    pub(crate) fn rho(&self) -> usize {
        self.grades + 7
    }
    pub(crate) fn roll_sensitivity(&self) -> usize {
        self.grades + 8
    }
    pub(crate) fn cure_sensitivity(&self) -> usize {
        self.grades + 9
    }
    pub(crate) fn phi(&self) -> usize {
        self.grades + 10
    }
    /// Length of the full vector.
    pub(crate) fn len(&self) -> usize {
        self.grades + 11
    }

    /// The layout for `grades` grades under `options` (fixed values are
    /// checked by the caller).
    pub(crate) fn new(grades: usize, options: &FitOptions) -> Self {
        let mut layout = Layout {
            grades,
            buckets: options.with_buckets,
            free: Vec::new(),
            fixed: Vec::new(),
        };
        let mut fixed = vec![None; layout.len()];
        fixed[layout.rho()] = options.fix_rho;
        fixed[layout.phi()] = options.fix_phi;
        if options.with_buckets {
            fixed[layout.roll_sensitivity()] = options.fix_roll_sensitivity;
            fixed[layout.cure_sensitivity()] = options.fix_cure_sensitivity;
        } else {
            // Placeholders: without buckets these enter nothing.
            for b in 0..3 {
                fixed[layout.roll(b)] = Some(0.5);
                fixed[layout.cure(b)] = Some(0.0);
            }
            fixed[layout.roll_sensitivity()] = Some(0.0);
            fixed[layout.cure_sensitivity()] = Some(0.0);
        }
        layout.fixed = fixed;
        layout.free = (0..layout.len()).filter(|&i| layout.fixed[i].is_none()).collect();
        layout
    }

    /// The link of full index `i`.
    pub(crate) fn link(&self, i: usize) -> Link {
        if i == self.phi() {
            Link::Tanh
        } else if i >= self.rho() {
            Link::Logit
        } else {
            Link::Probit
        }
    }

    /// The name of full index `i` as a caller reports it.
    pub(crate) fn name(&self, i: usize) -> String {
        let g = self.grades;
        match i {
            i if i < g => format!("miss_rate[{i}]"),
            i if i == g => "prepay_rate".into(),
            i if i < g + 4 => format!("roll_rate[{}]", i - g - 1),
            i if i < g + 7 => format!("cure_rate[{}]", i - g - 4),
            i if i == g + 7 => "rho".into(),
            i if i == g + 8 => "roll_sensitivity".into(),
            i if i == g + 9 => "cure_sensitivity".into(),
            _ => "phi".into(),
        }
    }

    /// The full natural vector for free coordinates `x`.
    pub(crate) fn natural(&self, x: &[f64]) -> Vec<f64> {
        let mut theta: Vec<f64> = self.fixed.iter().map(|f| f.unwrap_or(f64::NAN)).collect();
        for (&i, &xi) in self.free.iter().zip(x) {
            theta[i] = self.link(i).natural(xi);
        }
        theta
    }
}

/// The model at one parameter point, in the form the likelihood uses.
#[derive(Debug, Clone)]
pub(crate) struct Model {
    /// `Phi^-1(m_g)` per grade.
    pub miss_probit: Vec<f64>,
    /// Prepayment probability `pi` and its probit.
    pub prepay: f64,
    pub prepay_probit: f64,
    /// `Phi^-1(r_b)`, `Phi^-1(c_b)`.
    pub roll_probit: [f64; 3],
    pub cure_probit: [f64; 3],
    /// Sensitivities: rho, s_roll, s_cure.
    pub rho: f64,
    pub s_roll: f64,
    pub s_cure: f64,
    /// Factor persistence.
    pub phi: f64,
    /// Whether buckets enter.
    pub buckets: bool,
}

impl Model {
    /// The model of full natural vector `theta`.
    pub(crate) fn new(layout: &Layout, theta: &[f64]) -> Self {
        Model {
            miss_probit: theta[..layout.grades].iter().map(|&m| norm_inv(m)).collect(),
            prepay: theta[layout.prepay()],
            prepay_probit: norm_inv(theta[layout.prepay()]),
            roll_probit: std::array::from_fn(|b| norm_inv(theta[layout.roll(b)])),
            cure_probit: std::array::from_fn(|b| norm_inv(theta[layout.cure(b)])),
            rho: theta[layout.rho()],
            s_roll: theta[layout.roll_sensitivity()],
            s_cure: theta[layout.cure_sensitivity()],
            phi: theta[layout.phi()],
            buckets: layout.buckets,
        }
    }
}

/// Keeps a starting rate off 0 and 1, where its probit is infinite.
fn clamp_rate(p: f64) -> f64 {
    p.clamp(1e-6, 1.0 - 1e-6)
}

/// Starting values (full natural vector, fixed entries at their values).
///
/// Rates: the pooled cohort rates `sum d / sum n` (the mean of a Vasicek
/// conditional probability over the factor is the unconditional one, so
/// these are consistent for the `m_g`, `r_b`, `c_b` of the model).
/// rho and phi: from the monthly probits `y_t = Phi^-1(d_t / n_t)` of the
/// grade with most missed payments, `y_t = (a - sqrt(rho) z_t) / sqrt(1 - rho)` plus
/// sampling noise of variance about `p (1 - p) / (n phi(Phi^-1 p)^2)`:
/// `rho / (1 - rho) = Var(y) - noise` and `phi = corr(y_t, y_t-1) Var(y) / (Var(y) - noise)`.
/// Roll and cure sensitivities start at a moderate 0.1.
pub(crate) fn starting_values(layout: &Layout, panel: &FactorPanel) -> Vec<f64> {
    let g = layout.grades;
    let mut at_risk = vec![0.0; g];
    let mut missed = vec![0.0; g];
    let (mut prepay_risk, mut prepaid) = (0.0, 0.0);
    let mut bucket_risk = [0.0; 3];
    let mut rolled = [0.0; 3];
    let mut cured = [0.0; 3];
    for month in panel.paths.iter().flat_map(|p| &p.months) {
        for (k, c) in month.current.iter().enumerate() {
            at_risk[k] += c.at_risk as f64;
            missed[k] += c.missed as f64;
            prepay_risk += c.at_risk as f64;
            prepaid += c.prepaid as f64;
        }
        for (b, c) in month.buckets.iter().enumerate() {
            bucket_risk[b] += c.at_risk as f64;
            rolled[b] += c.rolled as f64;
            cured[b] += c.cured as f64;
        }
    }
    let mut theta = vec![f64::NAN; layout.len()];
    for k in 0..g {
        theta[k] = clamp_rate(missed[k] / at_risk[k]);
    }
    theta[layout.prepay()] = clamp_rate(prepaid / prepay_risk);
    for b in 0..3 {
        theta[layout.roll(b)] = clamp_rate(rolled[b] / bucket_risk[b].max(1.0));
        theta[layout.cure(b)] = clamp_rate(cured[b] / bucket_risk[b].max(1.0));
    }
    let busiest = (0..g).max_by(|&a, &b| missed[a].total_cmp(&missed[b])).unwrap_or(0);
    let (rho, phi) = moment_start(panel, busiest);
    theta[layout.rho()] = rho;
    theta[layout.phi()] = phi;
    theta[layout.roll_sensitivity()] = 0.1;
    theta[layout.cure_sensitivity()] = 0.1;
    for (t, f) in theta.iter_mut().zip(&layout.fixed) {
        if let Some(v) = f {
            *t = *v;
        }
    }
    theta
}

/// Moment starting values of (rho, phi) from grade `grade`'s monthly probits.
fn moment_start(panel: &FactorPanel, grade: usize) -> (f64, f64) {
    let probits: Vec<Vec<(f64, f64)>> = panel
        .paths
        .iter()
        .map(|path| {
            path.months
                .iter()
                .filter_map(|m| m.current.get(grade))
                .filter(|c| c.at_risk > 0)
                .map(|c| {
                    let n = c.at_risk as f64;
                    // Half a count keeps a month without events finite.
                    let p = (c.missed as f64 + 0.5) / (n + 1.0);
                    let y = norm_inv(p);
                    let noise = p * (1.0 - p) / (n * norm_pdf(y).powi(2));
                    (y, noise)
                })
                .collect()
        })
        .collect();
    let all: Vec<&(f64, f64)> = probits.iter().flatten().collect();
    if all.len() < 3 {
        return (0.05, 0.0);
    }
    let count = all.len() as f64;
    let mean = all.iter().map(|(y, _)| y).sum::<f64>() / count;
    let var = all.iter().map(|(y, _)| (y - mean).powi(2)).sum::<f64>() / (count - 1.0);
    let noise = all.iter().map(|(_, n)| n).sum::<f64>() / count;
    let signal = (var - noise).max(0.01 * var);
    let rho = (signal / (1.0 + signal)).clamp(0.01, 0.5);
    let (mut lagged, mut pairs) = (0.0, 0usize);
    for path in &probits {
        for w in path.windows(2) {
            lagged += (w[0].0 - mean) * (w[1].0 - mean);
            pairs += 1;
        }
    }
    let phi = if pairs == 0 {
        0.0
    } else {
        (lagged / pairs as f64 / signal).clamp(-0.9, 0.9)
    };
    (rho, phi)
}
