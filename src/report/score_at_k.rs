//! RE-Bench's score@k: the expected best normalised score of k runs drawn with replacement
//! from a task's runs. METR estimates it by bootstrap; this is the exact expectation of
//! that bootstrap, so it has no sampling noise.

/// With the n scores sorted ascending, the best of k draws is the i-th one with
/// probability `(i/n)^k - ((i-1)/n)^k`. `None` without scores or for k = 0.
pub fn score_at_k(scores: &[f64], k: usize) -> Option<f64> {
    if scores.is_empty() || k == 0 {
        return None;
    }
    let mut sorted = scores.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len() as f64;
    let k = i32::try_from(k).unwrap_or(i32::MAX);
    let expected = sorted
        .iter()
        .enumerate()
        .map(|(i, x)| x * ((i as f64 + 1.0) / n).powi(k) - x * (i as f64 / n).powi(k))
        .sum();
    Some(expected)
}
