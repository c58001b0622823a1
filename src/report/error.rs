//! Why a report could not be made.

use std::path::PathBuf;

use super::official::AggregateError;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A grading report given to `--grading-reports` that MLE-bench's aggregation could
    /// not read either, or whose totals contradict its competition reports.
    #[error("{}: {message}", path.display())]
    GradingInput { path: PathBuf, message: String },
    #[error(transparent)]
    Aggregate(#[from] AggregateError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("no run `{run_id}` in {store} (neither run.yaml nor any task under it)")]
    NoSuchRun { run_id: String, store: String },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{key}: not a report pointer: {message}", key = crate::store::layout::LATEST_REPORT_KEY)]
    BadPointer { message: String },
    #[error("aggregation failed: {0}")]
    Polars(#[from] polars::error::PolarsError),
}
