//! Regression errors, as scikit-learn's `root_mean_squared_error`,
//! `root_mean_squared_log_error` and `mean_absolute_error`.

use super::error::{MetricError, Side, check_finite, check_lengths};

/// Root mean squared error.
pub fn rmse(y_true: &[f64], y_pred: &[f64]) -> Result<f64, MetricError> {
    check(y_true, y_pred)?;
    Ok(mean(
        y_true.iter().zip(y_pred).map(|(t, p)| (t - p).powi(2)),
        y_true.len(),
    )
    .sqrt())
}

/// Root mean squared logarithmic error: RMSE of `ln(1 + x)`. Like sklearn, values at or
/// below -1 on either side are an error (the logarithm is undefined there).
pub fn rmsle(y_true: &[f64], y_pred: &[f64]) -> Result<f64, MetricError> {
    check(y_true, y_pred)?;
    for (side, values) in [(Side::Truth, y_true), (Side::Prediction, y_pred)] {
        if let Some(row) = values.iter().position(|&x| x <= -1.0) {
            return Err(MetricError::BelowMinusOne {
                metric: "RMSLE",
                side,
                row,
                value: values[row],
            });
        }
    }
    let squares = y_true
        .iter()
        .zip(y_pred)
        .map(|(t, p)| (t.ln_1p() - p.ln_1p()).powi(2));
    Ok(mean(squares, y_true.len()).sqrt())
}

/// Mean absolute error.
pub fn mae(y_true: &[f64], y_pred: &[f64]) -> Result<f64, MetricError> {
    check(y_true, y_pred)?;
    Ok(mean(
        y_true.iter().zip(y_pred).map(|(t, p)| (t - p).abs()),
        y_true.len(),
    ))
}

fn check(y_true: &[f64], y_pred: &[f64]) -> Result<(), MetricError> {
    check_lengths(y_true.len(), y_pred.len())?;
    check_finite(y_true, Side::Truth)?;
    check_finite(y_pred, Side::Prediction)
}

fn mean(values: impl Iterator<Item = f64>, n: usize) -> f64 {
    values.sum::<f64>() / n as f64
}
