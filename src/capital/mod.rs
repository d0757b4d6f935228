//! Capital: the Basel IRB risk-weight functions (Basel II, June 2006,
//! paragraphs 272-273 and 328-330; unchanged in Basel III for these asset
//! classes) and the book's regulatory capital at the start of the run.
//!
//! For a non-defaulted exposure with one-year PD `p` (floored), LGD and EAD:
//!
//! - correlation `R`: QRRE 0.04; residential mortgage 0.15; other retail
//!   `0.03 f_35 + 0.16 (1 - f_35)`; corporate `0.12 f_50 + 0.24 (1 - f_50)`
//!   less `0.04 (1 - (S - 5) / 45)` for firms with turnover `S` of 5 to 50
//!   (million euros), with `f_k = (1 - e^{-k p}) / (1 - e^{-k})`;
//! - `K = LGD N[(G(p) + sqrt(R) G(0.999)) / sqrt(1 - R)] - p LGD`, times the
//!   maturity adjustment `(1 + (M - 2.5) b) / (1 - 1.5 b)`,
//!   `b = (0.11852 - 0.05478 ln p)^2` for corporates only;
//! - risk weight `RW = 12.5 K` (times a scaling factor, 1 by default: the
//!   1.06 of Basel II where national rules keep it), RWA `= RW EAD`, the
//!   capital requirement `K EAD` (8% of RWA).
//!
//! The functions are checked against the Basel II Annex 5 table of
//! illustrative risk weights to its published 0.01 percentage point.

pub mod annex5;
pub mod book;
pub mod path;

use serde::{Deserialize, Serialize};

use crate::stats::normal::{norm_cdf, norm_inv};

/// The IRB asset class of a segment's exposures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssetClass {
    /// Qualifying revolving retail (credit lines and cards): R = 0.04.
    Qrre,
    /// Other retail (consumer installment loans): R from 0.16 down to 0.03 as PD rises.
    OtherRetail,
    /// Residential mortgages: R = 0.15.
    ResidentialMortgage,
    /// Corporate (small-business loans): R from 0.24 down to 0.12, maturity adjustment, SME size adjustment.
    Corporate,
}

impl AssetClass {
    /// The class as written in scenario files and summary.json.
    pub fn name(self) -> &'static str {
        match self {
            AssetClass::Qrre => "qrre",
            AssetClass::OtherRetail => "other_retail",
            AssetClass::ResidentialMortgage => "residential_mortgage",
            AssetClass::Corporate => "corporate",
        }
    }
}

/// A segment's IRB terms: those of its installment loans, and the asset
/// class of its revolving lines.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SegmentTerms {
    /// Terms of the segment's loans (its installment loans' class).
    pub terms: IrbTerms,
    /// Asset class of its revolving lines.
    pub revolving_class: AssetClass,
}

impl SegmentTerms {
    /// The terms of a revolving line (`true`) or an installment loan.
    pub fn of(&self, revolving: bool) -> IrbTerms {
        if revolving {
            IrbTerms {
                class: self.revolving_class,
                ..self.terms
            }
        } else {
            self.terms
        }
    }

    /// The class or classes, as summary.json names them.
    pub fn name(&self) -> String {
        if self.revolving_class == self.terms.class {
            self.terms.class.name().to_string()
        } else {
            format!(
                "{} (revolving: {})",
                self.terms.class.name(),
                self.revolving_class.name()
            )
        }
    }
}

/// What the risk-weight function needs beside PD and LGD.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IrbTerms {
    /// Asset class.
    pub class: AssetClass,
    /// Effective maturity in years (corporates only; 2.5 is no adjustment).
    pub maturity_years: f64,
    /// Annual turnover in million euros for the SME size adjustment
    /// (corporates only; `None`: no adjustment; clamped to 5..=50).
    pub turnover_millions: Option<f64>,
    /// Floor of the one-year PD (0.0003 in Basel II).
    pub pd_floor: f64,
    /// Multiplier of the risk weight (1; 1.06 where the Basel II scaling factor applies).
    pub scaling_factor: f64,
}

/// The IRB figures of one exposure per unit of EAD.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct IrbRisk {
    /// Asset correlation `R`.
    pub correlation: f64,
    /// Capital requirement per unit of EAD, `K`.
    pub k: f64,
    /// Risk weight, `12.5 K` times the scaling factor.
    pub risk_weight: f64,
}

/// The 99.9% quantile the IRB functions use.
pub const IRB_CONFIDENCE: f64 = 0.999;

/// `(1 - e^{-k p}) / (1 - e^{-k})`, the weight between the two correlation ends.
fn pd_weight(k: f64, pd: f64) -> f64 {
    (1.0 - (-k * pd).exp()) / (1.0 - (-k).exp())
}

/// The IRB risk of an exposure with one-year PD `pd` and loss given default `lgd`.
pub fn irb_risk(terms: &IrbTerms, pd: f64, lgd: f64) -> IrbRisk {
    let p = pd.clamp(terms.pd_floor, 1.0);
    let correlation = match terms.class {
        AssetClass::Qrre => 0.04,
        AssetClass::ResidentialMortgage => 0.15,
        AssetClass::OtherRetail => {
            let f = pd_weight(35.0, p);
            0.03 * f + 0.16 * (1.0 - f)
        }
        AssetClass::Corporate => {
            let f = pd_weight(50.0, p);
            let size = terms
                .turnover_millions
                .map_or(0.0, |s| 0.04 * (1.0 - (s.clamp(5.0, 50.0) - 5.0) / 45.0));
            0.12 * f + 0.24 * (1.0 - f) - size
        }
    };
    // A PD of 1 is a default: no unexpected loss left beyond the expected one.
    let k = if p >= 1.0 {
        0.0
    } else {
        let conditional =
            norm_cdf((norm_inv(p) + correlation.sqrt() * norm_inv(IRB_CONFIDENCE)) / (1.0 - correlation).sqrt());
        let unexpected = lgd * conditional - p * lgd;
        let adjustment = match terms.class {
            AssetClass::Corporate => {
                let b = (0.11852 - 0.05478 * p.ln()).powi(2);
                (1.0 + (terms.maturity_years - 2.5) * b) / (1.0 - 1.5 * b)
            }
            _ => 1.0,
        };
        (unexpected * adjustment).max(0.0)
    };
    IrbRisk {
        correlation,
        k,
        risk_weight: 12.5 * k * terms.scaling_factor,
    }
}

/// The IRB capital of one segment's book at the start of the run: sums and
/// EAD-weighted means over its loans.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SegmentCapital {
    /// Asset class.
    pub asset_class: String,
    /// Exposure at default: drawn balances plus the CCF times undrawn limits.
    pub ead: f64,
    /// EAD-weighted mean one-year PD (after the floor).
    pub pd: f64,
    /// EAD-weighted mean LGD.
    pub lgd: f64,
    /// EAD-weighted mean asset correlation.
    pub correlation: f64,
    /// Capital per unit of EAD, `capital_requirement / ead`.
    pub k: f64,
    /// `rwa / ead`.
    pub risk_weight: f64,
    /// Risk-weighted assets, `sum RW_i EAD_i`.
    pub rwa: f64,
    /// Capital requirement, `sum K_i EAD_i` (8% of RWA at a scaling factor of 1).
    pub capital_requirement: f64,
    /// Regulatory expected loss, `sum PD_i LGD_i EAD_i` (one year).
    pub expected_loss: f64,
}

/// Accumulates loans into a [`SegmentCapital`].
#[derive(Debug, Clone, Default)]
pub struct CapitalSum {
    ead: f64,
    pd: f64,
    lgd: f64,
    correlation: f64,
    rwa: f64,
    capital: f64,
    expected_loss: f64,
}

impl CapitalSum {
    /// Adds one exposure.
    pub fn add(&mut self, terms: &IrbTerms, pd: f64, lgd: f64, ead: f64) {
        let risk = irb_risk(terms, pd, lgd);
        let p = pd.clamp(terms.pd_floor, 1.0);
        self.ead += ead;
        self.pd += p * ead;
        self.lgd += lgd * ead;
        self.correlation += risk.correlation * ead;
        self.rwa += risk.risk_weight * ead;
        self.capital += risk.k * ead;
        self.expected_loss += p * lgd * ead;
    }

    /// The segment's figures (`asset_class` as summary.json names it).
    pub fn finish(&self, asset_class: String) -> SegmentCapital {
        let per = |x: f64| if self.ead > 0.0 { x / self.ead } else { 0.0 };
        SegmentCapital {
            asset_class,
            ead: self.ead,
            pd: per(self.pd),
            lgd: per(self.lgd),
            correlation: per(self.correlation),
            k: per(self.capital),
            risk_weight: per(self.rwa),
            rwa: self.rwa,
            capital_requirement: self.capital,
            expected_loss: self.expected_loss,
        }
    }
}

#[cfg(test)]
mod tests;
