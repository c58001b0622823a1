//! Binary ROC AUC, as scikit-learn's `roc_auc_score`.

use super::error::{MetricError, Side, check_finite, check_lengths};

/// Area under the ROC curve. `y_true` must hold exactly two distinct values; the larger one
/// is the positive class (sklearn binarises on the sorted labels). Tied scores form one
/// threshold, so a tie between a positive and a negative counts half, exactly like sklearn's
/// trapezoid over distinct thresholds.
pub fn roc_auc(y_true: &[f64], y_score: &[f64]) -> Result<f64, MetricError> {
    check_lengths(y_true.len(), y_score.len())?;
    check_finite(y_true, Side::Truth)?;
    check_finite(y_score, Side::Prediction)?;
    let positive = positive_class(y_true)?;

    let mut order: Vec<usize> = (0..y_score.len()).collect();
    order.sort_by(|&a, &b| y_score[b].total_cmp(&y_score[a]));

    // Integer counts keep the area exact; one division at the end.
    let (mut tp, mut fp) = (0u64, 0u64);
    let mut twice_area: u128 = 0;
    let mut i = 0;
    while i < order.len() {
        let threshold = y_score[order[i]];
        let (tp_before, fp_before) = (tp, fp);
        while i < order.len() && y_score[order[i]] == threshold {
            if y_true[order[i]] == positive {
                tp += 1;
            } else {
                fp += 1;
            }
            i += 1;
        }
        twice_area += u128::from(fp - fp_before) * u128::from(tp + tp_before);
    }
    Ok(twice_area as f64 / (2.0 * tp as f64 * fp as f64))
}

fn positive_class(y_true: &[f64]) -> Result<f64, MetricError> {
    let mut classes = y_true.to_vec();
    classes.sort_by(f64::total_cmp);
    classes.dedup_by(|a, b| a == b);
    match classes.as_slice() {
        [only] => Err(MetricError::SingleClass {
            metric: "ROC AUC",
            class: only.to_string(),
        }),
        [_, positive] => Ok(*positive),
        _ => Err(MetricError::NotBinary {
            metric: "ROC AUC",
            found: classes.len(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_count_half() {
        assert_eq!(roc_auc(&[0.0, 1.0], &[0.5, 0.5]), Ok(0.5));
        assert_eq!(
            roc_auc(&[0.0, 0.0, 1.0, 1.0], &[0.1, 0.4, 0.35, 0.8]),
            Ok(0.75)
        );
    }

    #[test]
    fn degenerate_inputs_are_errors() {
        assert!(matches!(
            roc_auc(&[1.0, 1.0], &[0.2, 0.3]),
            Err(MetricError::SingleClass { .. })
        ));
        assert_eq!(roc_auc(&[], &[]), Err(MetricError::Empty));
        assert!(matches!(
            roc_auc(&[0.0, 1.0], &[f64::NAN, 0.3]),
            Err(MetricError::NotFinite { row: 0, .. })
        ));
    }
}
