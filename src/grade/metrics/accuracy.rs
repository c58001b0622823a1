//! Accuracy, as scikit-learn's `accuracy_score`.

use super::error::{MetricError, check_lengths};
use crate::grade::Label;

/// Fraction of rows whose predicted label equals the true one.
pub fn accuracy(y_true: &[Label], y_pred: &[Label]) -> Result<f64, MetricError> {
    check_lengths(y_true.len(), y_pred.len())?;
    let hits = y_true.iter().zip(y_pred).filter(|(t, p)| t == p).count();
    Ok(hits as f64 / y_true.len() as f64)
}
