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
    pub const ALL: [MetricKind; 14] = {
        use MetricKind::*;
        [
            RocAuc,
            MeanColumnRocAuc,
            Accuracy,
            LogLoss,
            Rmse,
            Rmsle,
            Qwk,
            Mae,
            F1Binary,
            F1Macro,
            F1Micro,
            MapAtK,
            Mcc,
            External,
        ]
    };

    /// The manifest spelling (the serde name).
    pub fn name(self) -> &'static str {
        use MetricKind::*;
        match self {
            RocAuc => "roc_auc",
            MeanColumnRocAuc => "mean_column_roc_auc",
            Accuracy => "accuracy",
            LogLoss => "log_loss",
            Rmse => "rmse",
            Rmsle => "rmsle",
            Qwk => "qwk",
            Mae => "mae",
            F1Binary => "f1_binary",
            F1Macro => "f1_macro",
            F1Micro => "f1_micro",
            MapAtK => "map_at_k",
            Mcc => "mcc",
            External => "external",
        }
    }

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

impl std::fmt::Display for MetricKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for MetricKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MetricKind::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = MetricKind::ALL.iter().map(|m| m.name()).collect();
                format!("unknown metric `{s}`; expected one of {}", names.join(", "))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::MetricKind;

    #[test]
    fn names_are_the_serde_names() {
        for m in MetricKind::ALL {
            assert_eq!(serde_json::to_value(m).unwrap(), m.name());
            assert_eq!(m.name().parse::<MetricKind>(), Ok(m));
        }
        assert!("auc".parse::<MetricKind>().is_err());
    }
}
