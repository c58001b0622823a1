//! The names of the metrics a task can be graded by, as written in manifests.

use serde::{Deserialize, Serialize};

/// A grading metric. With several target columns, the regression metrics (RMSE, RMSLE,
/// MAE) are averaged over the columns (MLE-bench's MCRMSE and mean column-wise RMSLE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricKind {
    /// Binary ROC AUC.
    RocAuc,
    /// Mean over target columns of the per-column ROC AUC.
    MeanColumnRocAuc,
    Accuracy,
    /// Multi-class log loss with MLE-bench's clipping and row normalisation. One target
    /// column: binary log loss of the positive-class probability; several: one-hot answers
    /// and one probability column per class.
    LogLoss,
    Rmse,
    Rmsle,
    /// Quadratic weighted kappa.
    Qwk,
    Mae,
    F1Binary,
    F1Macro,
    F1Micro,
    /// Mean average precision at k; cells hold space-separated labels.
    MapAtK,
    /// Matthews correlation coefficient.
    Mcc,
    /// Graded by an external command (no native implementation).
    External,
}

/// What a submission's target cells must hold for a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellKind {
    /// Numbers in [0, 1].
    Probability,
    /// Finite numbers.
    Number,
    /// One class label per cell.
    Label,
    /// Space-separated labels; an empty cell is an empty list.
    LabelList,
    /// Unknown to us (external graders check their own input).
    Any,
}

impl MetricKind {
    pub fn cell_kind(self) -> CellKind {
        use MetricKind::*;
        match self {
            RocAuc | MeanColumnRocAuc | LogLoss => CellKind::Probability,
            Rmse | Rmsle | Mae => CellKind::Number,
            Accuracy | Qwk | F1Binary | F1Macro | F1Micro | Mcc => CellKind::Label,
            MapAtK => CellKind::LabelList,
            External => CellKind::Any,
        }
    }

    /// The metric's own direction, used when no leaderboard says otherwise; `None` for
    /// external graders.
    pub fn lower_is_better(self) -> Option<bool> {
        use MetricKind::*;
        match self {
            LogLoss | Rmse | Rmsle | Mae => Some(true),
            RocAuc | MeanColumnRocAuc | Accuracy | Qwk | F1Binary | F1Macro | F1Micro | MapAtK
            | Mcc => Some(false),
            External => None,
        }
    }
}
