//! Native metrics, checked against scikit-learn (and MLE-bench for MAP@k) by
//! `tests/grade_metric_goldens.rs`.

mod accuracy;
mod column_wise;
mod error;
mod f1;
mod kappa;
mod log_loss;
mod map_at_k;
mod mcc;
mod regression;
mod roc_auc;

pub use accuracy::accuracy;
pub use column_wise::{ColumnMetric, column_wise_mean, mean_column_roc_auc};
pub use error::{MetricError, Side};
pub use f1::{f1_binary, f1_macro, f1_micro};
pub use kappa::quadratic_weighted_kappa;
pub use log_loss::{LOG_LOSS_EPS, binary_log_loss, log_loss};
pub use map_at_k::map_at_k;
pub use mcc::mcc;
pub use regression::{mae, rmse, rmsle};
pub use roc_auc::roc_auc;
