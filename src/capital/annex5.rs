//! The Basel II Annex 5 table of illustrative IRB risk weights: the published
//! figures the risk-weight functions are checked against (unit tests and
//! `creditstress check`).

use super::AssetClass;

/// Basel II (June 2006), Annex 5, "Illustrative IRB risk weights for UL", in
/// percent: PD, then corporate (LGD 45%, M 2.5 years, turnover 50 and 5
/// million euros), residential mortgage (LGD 45%, 25%), other retail (45%,
/// 85%), QRRE (45%, 85%).
pub const ANNEX_5: [(f64, [f64; 8]); 12] = [
    (0.03, [14.44, 11.30, 4.15, 2.30, 4.45, 8.41, 0.98, 1.85]),
    (0.05, [19.65, 15.39, 6.23, 3.46, 6.63, 12.52, 1.51, 2.86]),
    (0.10, [29.65, 23.30, 10.69, 5.94, 11.16, 21.08, 2.71, 5.12]),
    (0.25, [49.47, 39.01, 21.30, 11.83, 21.15, 39.96, 5.76, 10.88]),
    (0.40, [62.72, 49.49, 29.94, 16.64, 28.42, 53.69, 8.41, 15.88]),
    (0.50, [69.61, 54.91, 35.08, 19.49, 32.36, 61.13, 10.04, 18.97]),
    (0.75, [82.78, 65.14, 46.46, 25.81, 40.10, 75.74, 13.80, 26.06]),
    (1.00, [92.32, 72.40, 56.40, 31.33, 45.77, 86.46, 17.22, 32.53]),
    (1.30, [100.95, 78.77, 67.00, 37.22, 50.80, 95.95, 21.02, 39.70]),
    (1.50, [105.59, 82.11, 73.45, 40.80, 53.37, 100.81, 23.40, 44.19]),
    (2.00, [114.86, 88.55, 87.94, 48.85, 57.99, 109.53, 28.92, 54.63]),
    (2.50, [122.16, 93.43, 100.64, 55.91, 60.90, 115.03, 33.98, 64.18]),
];

/// The (asset class, turnover, LGD) of each Annex 5 column.
pub fn annex_5_columns() -> [(AssetClass, Option<f64>, f64); 8] {
    [
        (AssetClass::Corporate, Some(50.0), 0.45),
        (AssetClass::Corporate, Some(5.0), 0.45),
        (AssetClass::ResidentialMortgage, None, 0.45),
        (AssetClass::ResidentialMortgage, None, 0.25),
        (AssetClass::OtherRetail, None, 0.45),
        (AssetClass::OtherRetail, None, 0.85),
        (AssetClass::Qrre, None, 0.45),
        (AssetClass::Qrre, None, 0.85),
    ]
}
