//! Quadratic weighted kappa, as scikit-learn's `cohen_kappa_score(weights="quadratic")`.

use std::collections::BTreeMap;

use super::error::{MetricError, check_lengths};
use crate::grade::Label;

/// Quadratic weighted kappa. Weights are squared distances between label *indices* in the
/// sorted set of labels seen on either side, not between label values: with ratings
/// {0, 2, 4} the distance from 0 to 4 is 2. That is what sklearn computes.
pub fn quadratic_weighted_kappa(y_true: &[Label], y_pred: &[Label]) -> Result<f64, MetricError> {
    check_lengths(y_true.len(), y_pred.len())?;
    let index = label_index(y_true.iter().chain(y_pred));
    let k = index.len();
    let mut confusion = vec![vec![0.0f64; k]; k];
    let mut true_counts = vec![0.0f64; k];
    let mut pred_counts = vec![0.0f64; k];
    for (t, p) in y_true.iter().zip(y_pred) {
        let (i, j) = (index[t], index[p]);
        confusion[i][j] += 1.0;
        true_counts[i] += 1.0;
        pred_counts[j] += 1.0;
    }
    let n = y_true.len() as f64;
    let (mut observed, mut expected) = (0.0, 0.0);
    for i in 0..k {
        for j in 0..k {
            let w = (i as f64 - j as f64).powi(2);
            observed += w * confusion[i][j];
            expected += w * true_counts[i] * pred_counts[j] / n;
        }
    }
    if expected == 0.0 {
        return Err(MetricError::Undefined {
            metric: "quadratic weighted kappa",
            why: "truth and prediction agree on a single label, so chance agreement is total",
        });
    }
    Ok(1.0 - observed / expected)
}

/// Sorted distinct labels, each mapped to its position.
pub(crate) fn label_index<'a>(
    labels: impl Iterator<Item = &'a Label>,
) -> BTreeMap<&'a Label, usize> {
    let mut index: BTreeMap<&Label, usize> = labels.map(|l| (l, 0)).collect();
    for (position, slot) in index.values_mut().enumerate() {
        *slot = position;
    }
    index
}
