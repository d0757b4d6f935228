//! Statistics: the sixth stage. Risk measures with their Monte Carlo error,
//! per-segment and per-band figures, and monthly percentile bands. Pure
//! functions of the path outcomes, evaluated in path order.

mod cody;
pub mod normal;
pub mod risk;
pub mod contributions;
pub mod summary;
pub mod binomial;
pub mod compare;
pub mod precision;
pub mod vintages;
pub mod weighted;
pub mod sampling;
pub mod tail_scenario;
pub mod root;
pub mod economics;
pub mod breakdowns;

pub use risk::{Moments, RiskMeasures, risk_measures};
pub use summary::{Band, RunSummary, Timeseries};
