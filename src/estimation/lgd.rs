//! Beta LGD.
pub struct BetaLgdFit;
pub fn fit_beta_lgd() {}
