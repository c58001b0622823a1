//! pass@k with the unbiased estimator of Chen et al. (2021): the chance that at least one
//! of k seeds drawn without replacement from the n run succeeds, given c successes.

/// `1 - C(n-c, k) / C(n, k)`, as the product `1 - prod_{i=n-c+1}^{n} (1 - k/i)`, which never
/// forms the large binomials. `None` when k is 0 or exceeds n.
pub fn pass_at_k(n: usize, c: usize, k: usize) -> Option<f64> {
    if k == 0 || k > n || c > n {
        return None;
    }
    if n - c < k {
        return Some(1.0);
    }
    let none = ((n - c + 1)..=n).fold(1.0, |p, i| p * (1.0 - k as f64 / i as f64));
    Some(1.0 - none)
}
