//! F1 scores, as scikit-learn's `f1_score` with `average="binary" | "macro" | "micro"`
//! (`zero_division` left at its default, which scores an undefined ratio as 0).

use std::collections::{BTreeMap, BTreeSet};

use super::error::{MetricError, check_lengths};
use crate::grade::Label;

/// Binary F1 of `pos_label`. As in sklearn: more than two labels across both sides is an
/// error, and so is a `pos_label` absent from two labels that are present.
pub fn f1_binary(
    y_true: &[Label],
    y_pred: &[Label],
    pos_label: &Label,
) -> Result<f64, MetricError> {
    check_lengths(y_true.len(), y_pred.len())?;
    let present: BTreeSet<&Label> = y_true.iter().chain(y_pred).collect();
    if present.len() > 2 {
        return Err(MetricError::NotBinary {
            metric: "binary F1",
            found: present.len(),
        });
    }
    if present.len() == 2 && !present.contains(pos_label) {
        return Err(MetricError::PositiveLabelAbsent {
            pos_label: pos_label.to_string(),
            present: present
                .iter()
                .map(|l| l.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let counts = per_label_counts(y_true, y_pred);
    Ok(counts.get(pos_label).map_or(0.0, Counts::f1))
}

/// Unweighted mean of the per-label F1 over every label seen on either side.
pub fn f1_macro(y_true: &[Label], y_pred: &[Label]) -> Result<f64, MetricError> {
    check_lengths(y_true.len(), y_pred.len())?;
    let counts = per_label_counts(y_true, y_pred);
    Ok(counts.values().map(Counts::f1).sum::<f64>() / counts.len() as f64)
}

/// Micro F1 over label sets: each row holds a set of labels on each side (duplicates
/// ignored). With one label per row this is sklearn's multi-class micro F1 (= accuracy);
/// with several it is sklearn's multilabel micro F1 on binarised sets. No label anywhere
/// is an error, as in sklearn.
pub fn f1_micro(y_true: &[Vec<Label>], y_pred: &[Vec<Label>]) -> Result<f64, MetricError> {
    check_lengths(y_true.len(), y_pred.len())?;
    let mut total = Counts::default();
    for (t, p) in y_true.iter().zip(y_pred) {
        let t: BTreeSet<&Label> = t.iter().collect();
        let p: BTreeSet<&Label> = p.iter().collect();
        let hits = t.intersection(&p).count();
        total.tp += hits;
        total.fp_plus_fn += (p.len() - hits) + (t.len() - hits);
    }
    if total.tp + total.fp_plus_fn == 0 {
        return Err(MetricError::Undefined {
            metric: "micro F1",
            why: "no row holds any label on either side",
        });
    }
    Ok(total.f1())
}

#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    tp: usize,
    fp_plus_fn: usize,
}

impl Counts {
    /// 2tp / (2tp + fp + fn); 0 when nothing was predicted or expected.
    fn f1(&self) -> f64 {
        let denominator = 2 * self.tp + self.fp_plus_fn;
        if denominator == 0 {
            0.0
        } else {
            (2 * self.tp) as f64 / denominator as f64
        }
    }
}

fn per_label_counts<'a>(y_true: &'a [Label], y_pred: &'a [Label]) -> BTreeMap<&'a Label, Counts> {
    let mut counts: BTreeMap<&Label, Counts> = BTreeMap::new();
    for (t, p) in y_true.iter().zip(y_pred) {
        if t == p {
            counts.entry(t).or_default().tp += 1;
        } else {
            counts.entry(t).or_default().fp_plus_fn += 1;
            counts.entry(p).or_default().fp_plus_fn += 1;
        }
    }
    counts
}
