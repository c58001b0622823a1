//! Why a metric has no value for its inputs.

/// A metric that cannot be computed. Each case is one where scikit-learn raises or returns
/// NaN; the port reports it instead of producing NaN or panicking.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MetricError {
    #[error("there are no rows to score")]
    Empty,
    #[error("the truth has {y_true} values but the prediction has {y_pred}")]
    LengthMismatch { y_true: usize, y_pred: usize },
    #[error("value {value} at index {row} of the {side} is not a finite number")]
    NotFinite { side: Side, row: usize, value: f64 },
    #[error("{metric} is undefined when the truth holds only one class ({class})")]
    SingleClass { metric: &'static str, class: String },
    #[error("{metric} needs a binary truth, but it holds {found} classes")]
    NotBinary { metric: &'static str, found: usize },
    #[error("the positive label {pos_label} is not one of the labels present ({present})")]
    PositiveLabelAbsent { pos_label: String, present: String },
    #[error("{metric} needs values greater than -1, but index {row} of the {side} holds {value}")]
    BelowMinusOne {
        metric: &'static str,
        side: Side,
        row: usize,
        value: f64,
    },
    #[error("row index {row} has {found} probabilities but there are {expected} classes")]
    RowWidth {
        row: usize,
        expected: usize,
        found: usize,
    },
    #[error("row index {row} names class {class} but there are only {classes} classes")]
    ClassOutOfRange {
        row: usize,
        class: usize,
        classes: usize,
    },
    #[error("{metric} is undefined here: {why}")]
    Undefined {
        metric: &'static str,
        why: &'static str,
    },
    #[error("column `{column}`: {cause}")]
    InColumn {
        column: String,
        cause: Box<MetricError>,
    },
}

/// Which input a [`MetricError`] points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Truth,
    Prediction,
}

impl std::fmt::Display for Side {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Side::Truth => "truth",
            Side::Prediction => "prediction",
        })
    }
}

/// Common checks: equal, non-zero lengths.
pub(crate) fn check_lengths(y_true: usize, y_pred: usize) -> Result<(), MetricError> {
    if y_true != y_pred {
        return Err(MetricError::LengthMismatch { y_true, y_pred });
    }
    if y_true == 0 {
        return Err(MetricError::Empty);
    }
    Ok(())
}

/// Rejects NaN and infinities, which sklearn refuses as input.
pub(crate) fn check_finite(values: &[f64], side: Side) -> Result<(), MetricError> {
    match values.iter().position(|x| !x.is_finite()) {
        Some(row) => Err(MetricError::NotFinite {
            side,
            row,
            value: values[row],
        }),
        None => Ok(()),
    }
}
