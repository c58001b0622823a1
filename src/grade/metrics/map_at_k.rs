//! Mean average precision at k, as MLE-bench's `mlebench/metrics.py` (Kaggle's ml_metrics).

use super::error::{MetricError, check_lengths};

/// MAP@k. Per row: only the first `k` predictions count, a prediction scores only the first
/// time it appears, and the sum of precisions at hits is divided by `min(|actual|, k)`;
/// a row with no actual labels scores 0. The result is the mean over rows.
pub fn map_at_k(
    actual: &[Vec<String>],
    predicted: &[Vec<String>],
    k: usize,
) -> Result<f64, MetricError> {
    check_lengths(actual.len(), predicted.len())?;
    if k == 0 {
        return Err(MetricError::Undefined {
            metric: "MAP@k",
            why: "k must be at least 1",
        });
    }
    let total: f64 = actual
        .iter()
        .zip(predicted)
        .map(|(a, p)| average_precision_at_k(a, p, k))
        .sum();
    Ok(total / actual.len() as f64)
}

fn average_precision_at_k(actual: &[String], predicted: &[String], k: usize) -> f64 {
    if actual.is_empty() {
        return 0.0;
    }
    let predicted = &predicted[..predicted.len().min(k)];
    let (mut hits, mut score) = (0.0, 0.0);
    for (i, p) in predicted.iter().enumerate() {
        if actual.contains(p) && !predicted[..i].contains(p) {
            hits += 1.0;
            score += hits / (i as f64 + 1.0);
        }
    }
    let mut distinct = actual.to_vec();
    distinct.sort();
    distinct.dedup();
    score / distinct.len().min(k) as f64
}
