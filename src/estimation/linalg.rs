//! The small dense linear algebra the estimators need: Cholesky
//! factorisation and inversion of symmetric positive-definite matrices,
//! stored row-major as `Vec<Vec<f64>>` (at most a few dozen rows).

/// Lower-triangular `L` with `A = L L^T`, or `None` if `A` is not
/// (numerically) positive definite.
///
/// # Formula
/// `L_jj = sqrt(A_jj - sum_{k<j} L_jk^2)`, `L_ij = (A_ij - sum_{k<j} L_ik L_jk) / L_jj`.
pub(crate) fn cholesky(a: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = a.len();
    let mut l = vec![vec![0.0; n]; n];
    for j in 0..n {
        let mut d = a[j][j];
        for k in 0..j {
            d -= l[j][k] * l[j][k];
        }
        // Relative pivot floor: a pivot lost to rounding is a singular matrix.
        if d.is_nan() || d <= 1e-13 * a[j][j].abs() || d.is_infinite() {
            return None;
        }
        let d = d.sqrt();
        l[j][j] = d;
        for i in j + 1..n {
            let mut s = a[i][j];
            for k in 0..j {
                s -= l[i][k] * l[j][k];
            }
            l[i][j] = s / d;
        }
    }
    Some(l)
}

/// Solves `L L^T x = b` given the Cholesky factor `L`.
pub(crate) fn cholesky_solve(l: &[Vec<f64>], b: &[f64]) -> Vec<f64> {
    let n = l.len();
    let mut y = b.to_vec();
    for i in 0..n {
        for k in 0..i {
            y[i] -= l[i][k] * y[k];
        }
        y[i] /= l[i][i];
    }
    for i in (0..n).rev() {
        for k in i + 1..n {
            y[i] -= l[k][i] * y[k];
        }
        y[i] /= l[i][i];
    }
    y
}

/// `A^-1` of a symmetric positive-definite `A`, or `None` if it is not.
pub(crate) fn spd_inverse(a: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = a.len();
    let l = cholesky(a)?;
    let mut inv = vec![vec![0.0; n]; n];
    for j in 0..n {
        let mut e = vec![0.0; n];
        e[j] = 1.0;
        let col = cholesky_solve(&l, &e);
        for i in 0..n {
            inv[i][j] = col[i];
        }
    }
    // Symmetrise away the rounding of the two triangular solves.
    for i in 0..n {
        for j in 0..i {
            let m = 0.5 * (inv[i][j] + inv[j][i]);
            inv[i][j] = m;
            inv[j][i] = m;
        }
    }
    Some(inv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_of_a_small_spd_matrix() {
        let a = vec![vec![4.0, 2.0, 0.6], vec![2.0, 5.0, 1.0], vec![0.6, 1.0, 3.0]];
        let inv = spd_inverse(&a).expect("positive definite");
        for i in 0..3 {
            for j in 0..3 {
                let p: f64 = (0..3).map(|k| a[i][k] * inv[k][j]).sum();
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((p - want).abs() < 1e-14, "({i},{j}) {p}");
            }
        }
        assert!(spd_inverse(&[vec![1.0, 2.0], vec![2.0, 1.0]]).is_none());
    }
}
