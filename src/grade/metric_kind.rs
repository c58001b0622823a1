//! The names of the metrics a task can be graded by, as written in manifests.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricKind {
    /// Binary ROC AUC.
    RocAuc,
    /// Mean over target columns of the per-column ROC AUC.
    MeanColumnRocAuc,
    Accuracy,
    /// Multi-class log loss with MLE-bench's clipping and row normalisation.
    LogLoss,
    Rmse,
    Rmsle,
    /// Quadratic weighted kappa.
    Qwk,
    Mae,
    F1Binary,
    F1Macro,
    F1Micro,
    /// Mean average precision at k.
    MapAtK,
    /// Matthews correlation coefficient.
    Mcc,
    /// Graded by an external command (no native implementation).
    External,
}
