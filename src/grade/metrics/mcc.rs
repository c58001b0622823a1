//! Matthews correlation coefficient, as scikit-learn's `matthews_corrcoef` (multi-class).

use super::error::{MetricError, check_lengths};
use super::kappa::label_index;
use crate::grade::Label;

/// Matthews correlation coefficient over any number of classes. Like sklearn it is 0 (not
/// undefined) when either side is constant.
pub fn mcc(y_true: &[Label], y_pred: &[Label]) -> Result<f64, MetricError> {
    check_lengths(y_true.len(), y_pred.len())?;
    let index = label_index(y_true.iter().chain(y_pred));
    let k = index.len();
    let mut true_counts = vec![0.0f64; k];
    let mut pred_counts = vec![0.0f64; k];
    let mut correct = 0.0;
    for (t, p) in y_true.iter().zip(y_pred) {
        true_counts[index[t]] += 1.0;
        pred_counts[index[p]] += 1.0;
        if t == p {
            correct += 1.0;
        }
    }
    let n = y_true.len() as f64;
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    let cov_tp = correct * n - dot(&true_counts, &pred_counts);
    let cov_pp = n * n - dot(&pred_counts, &pred_counts);
    let cov_tt = n * n - dot(&true_counts, &true_counts);
    if cov_pp * cov_tt == 0.0 {
        return Ok(0.0);
    }
    Ok(cov_tp / (cov_pp * cov_tt).sqrt())
}
