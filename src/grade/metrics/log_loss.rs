//! Log loss with MLE-bench-era scikit-learn semantics: probabilities clipped to
//! `[1e-15, 1 - 1e-15]`, then each row renormalised to sum to 1.
//!
//! Current scikit-learn clips at machine epsilon instead and no longer renormalises; the
//! classic rule is kept because it is what the brief and MLE-bench's published scores
//! assume, and it bounds one confidently wrong row at `-ln(1e-15)` ≈ 34.54.

use super::error::{MetricError, Side, check_finite, check_lengths};

/// The clipping bound.
pub const LOG_LOSS_EPS: f64 = 1e-15;

/// Multi-class log loss. `y_true[i]` is the index of row `i`'s class among the columns of
/// `y_prob`; every row of `y_prob` has one probability per class (at least two classes).
pub fn log_loss(y_true: &[usize], y_prob: &[Vec<f64>]) -> Result<f64, MetricError> {
    check_lengths(y_true.len(), y_prob.len())?;
    let classes = y_prob[0].len();
    if classes < 2 {
        return Err(MetricError::Undefined {
            metric: "log loss",
            why: "it needs at least two classes",
        });
    }
    let mut total = 0.0;
    for (row, (&class, probs)) in y_true.iter().zip(y_prob).enumerate() {
        if probs.len() != classes {
            return Err(MetricError::RowWidth {
                row,
                expected: classes,
                found: probs.len(),
            });
        }
        if class >= classes {
            return Err(MetricError::ClassOutOfRange {
                row,
                class,
                classes,
            });
        }
        if let Some(&value) = probs.iter().find(|x| !x.is_finite()) {
            return Err(MetricError::NotFinite {
                side: Side::Prediction,
                row,
                value,
            });
        }
        let clip = |p: f64| p.clamp(LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS);
        let row_sum: f64 = probs.iter().map(|&p| clip(p)).sum();
        total -= (clip(probs[class]) / row_sum).ln();
    }
    Ok(total / y_true.len() as f64)
}

/// Binary log loss: `p[i]` is the probability that row `i` belongs to the positive class,
/// the larger of the two values in `y_true` (sklearn's convention for 1-D predictions).
pub fn binary_log_loss(y_true: &[f64], p: &[f64]) -> Result<f64, MetricError> {
    check_lengths(y_true.len(), p.len())?;
    check_finite(y_true, Side::Truth)?;
    check_finite(p, Side::Prediction)?;
    let mut classes = y_true.to_vec();
    classes.sort_by(f64::total_cmp);
    classes.dedup_by(|a, b| a == b);
    let positive = match classes.as_slice() {
        [only] => {
            return Err(MetricError::SingleClass {
                metric: "binary log loss",
                class: only.to_string(),
            });
        }
        [_, positive] => *positive,
        _ => {
            return Err(MetricError::NotBinary {
                metric: "binary log loss",
                found: classes.len(),
            });
        }
    };
    let y: Vec<usize> = y_true.iter().map(|&t| usize::from(t == positive)).collect();
    let rows: Vec<Vec<f64>> = p.iter().map(|&q| vec![1.0 - q, q]).collect();
    log_loss(&y, &rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confident_miss_is_clipped() {
        let loss = log_loss(&[0], &[vec![0.0, 1.0]]).unwrap();
        assert!((loss - -(1e-15f64).ln()).abs() < 1e-9);
    }

    #[test]
    fn rows_are_renormalised() {
        let a = log_loss(&[1], &[vec![0.2, 0.6]]).unwrap();
        assert!((a - -(0.75f64).ln()).abs() < 1e-12);
    }
}
