//! Mean, standard deviation and standard error computed with the same floating-point
//! operations, in the same order, as numpy and scipy, so that our aggregates equal
//! MLE-bench's (`np.mean`, `scipy.stats.sem`) bit for bit, not just to a tolerance.

/// numpy's pairwise summation of a contiguous float64 array (`DOUBLE_pairwise_sum`):
/// plain loop under 8 values, 8 accumulators up to 128, halves (at a multiple of 8) above.
fn pairwise_sum(a: &[f64]) -> f64 {
    const BLOCK: usize = 128;
    let n = a.len();
    if n < 8 {
        let mut res = 0.0;
        for &x in a {
            res += x;
        }
        res
    } else if n <= BLOCK {
        let mut r = [0.0f64; 8];
        r.copy_from_slice(&a[..8]);
        let mut i = 8;
        while i < n - n % 8 {
            for (j, acc) in r.iter_mut().enumerate() {
                *acc += a[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &x in &a[i..] {
            res += x;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise_sum(&a[..n2]) + pairwise_sum(&a[n2..])
    }
}

/// `np.add.reduce`: the identity 0.0 plus the pairwise sum of every value.
pub fn sum(a: &[f64]) -> f64 {
    0.0 + pairwise_sum(a)
}

/// `np.mean`; NaN for no values, as numpy.
pub fn mean(a: &[f64]) -> f64 {
    sum(a) / a.len() as f64
}

/// `np.std(a, ddof)`: square root of the summed squared deviations over `n - ddof`.
pub fn std(a: &[f64], ddof: usize) -> f64 {
    let m = mean(a);
    let squares: Vec<f64> = a.iter().map(|&x| (x - m) * (x - m)).collect();
    let dof = a.len().saturating_sub(ddof) as f64;
    (sum(&squares) / dof).sqrt()
}

/// `scipy.stats.sem(a, ddof=1)`: `np.std(a, ddof=1) / n**0.5`. Python's `n**0.5` is the C
/// library's `pow`, which is not always the correctly rounded square root (n = 2921 is
/// one case), so `pow` it is; the exponent is opaque so the compiler cannot turn it into
/// `sqrt`.
pub fn sem(a: &[f64]) -> f64 {
    let half = std::hint::black_box(0.5f64);
    std(a, 1) / (a.len() as f64).powf(half)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairwise_sum_matches_numpys_grouping() {
        // 0.1 * 9 summed left to right is 0.8999999999999999; numpy's 8 accumulators
        // give 0.9 for the first eight, then add the ninth.
        let a = [0.1; 9];
        let r = ((0.1f64 + 0.1) + (0.1 + 0.1)) + ((0.1 + 0.1) + (0.1 + 0.1));
        assert_eq!(sum(&a), r + 0.1);
    }

    #[test]
    fn single_value_has_zero_spread() {
        assert_eq!(std(&[4.0], 0), 0.0);
        assert!(std(&[4.0], 1).is_nan());
    }
}
