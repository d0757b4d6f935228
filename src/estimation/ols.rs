//! OLS.
pub struct OlsFit;
pub fn fit_ols() {}
