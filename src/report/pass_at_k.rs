//! pass@k with the unbiased estimator of Chen et al. (2021): the chance that at least one
//! of k seeds drawn without replacement from the n run succeeds, given c successes; and
//! which k a report shows.

/// `1 - C(n-c, k) / C(n, k)` for each k in `ks` (ascending, each at most n), through
/// `C(n-c, k) / C(n, k) = prod_{i<k} (n-c-i) / (n-i)`: one pass up to the largest k, no
/// large binomials. Requires c <= n.
pub fn pass_at_ks(n: usize, c: usize, ks: &[usize]) -> Vec<f64> {
    let mut out = Vec::with_capacity(ks.len());
    let (mut none, mut k) = (1.0f64, 0usize);
    for &want in ks {
        while k < want {
            k += 1;
            none = if k > n - c {
                0.0
            } else {
                none * (n - c - k + 1) as f64 / (n - k + 1) as f64
            };
        }
        out.push(1.0 - none);
    }
    out
}

/// pass@k for one k; `None` when k is 0 or exceeds n, or c exceeds n.
pub fn pass_at_k(n: usize, c: usize, k: usize) -> Option<f64> {
    (k >= 1 && k <= n && c <= n).then(|| pass_at_ks(n, c, &[k])[0])
}

/// The k a report shows for n seeds: every k up to 20, then powers of two, then n.
pub fn report_ks(n: usize) -> Vec<usize> {
    let mut ks: Vec<usize> = (1..=n.min(20)).collect();
    let mut k = 32;
    while k < n {
        ks.push(k);
        k *= 2;
    }
    if n > 20 {
        ks.push(n);
    }
    ks
}
