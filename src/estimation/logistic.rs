//! Logistic.
pub struct LogisticFit;
pub fn fit_logistic() {}
