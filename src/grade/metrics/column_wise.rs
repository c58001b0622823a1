//! Mean over target columns of a per-column metric (mean column-wise ROC AUC, MCRMSE,
//! mean column-wise RMSLE).

use super::error::MetricError;
use super::roc_auc::roc_auc;

/// A metric over one column of truths and one of predictions.
pub type ColumnMetric = fn(&[f64], &[f64]) -> Result<f64, MetricError>;

/// Unweighted mean of `metric` over columns; `y_true[c]` and `y_pred[c]` are column `c`,
/// named `names[c]` in errors. Any column's error is the result, as in sklearn's macro
/// average, which has no value when one column has none.
pub fn column_wise_mean(
    names: &[String],
    y_true: &[Vec<f64>],
    y_pred: &[Vec<f64>],
    metric: ColumnMetric,
) -> Result<f64, MetricError> {
    if y_true.len() != y_pred.len() || y_true.len() != names.len() {
        return Err(MetricError::LengthMismatch {
            y_true: y_true.len(),
            y_pred: y_pred.len(),
        });
    }
    if y_true.is_empty() {
        return Err(MetricError::Empty);
    }
    let mut sum = 0.0;
    for ((name, t), p) in names.iter().zip(y_true).zip(y_pred) {
        sum += metric(t, p).map_err(|e| MetricError::InColumn {
            column: name.clone(),
            cause: Box::new(e),
        })?;
    }
    Ok(sum / y_true.len() as f64)
}

/// Mean column-wise ROC AUC (sklearn `roc_auc_score(..., average="macro")` on a label matrix).
pub fn mean_column_roc_auc(
    names: &[String],
    y_true: &[Vec<f64>],
    y_score: &[Vec<f64>],
) -> Result<f64, MetricError> {
    column_wise_mean(names, y_true, y_score, roc_auc)
}
