//! Why a report could not be made.

use std::path::PathBuf;

use super::official::AggregateError;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot read {}: {cause}", path.display())]
    Read {
        path: PathBuf,
        cause: std::io::Error,
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
    #[error("cannot write {}: {cause}", path.display())]
    Write {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{key}: not a report pointer: {message}", key = crate::store::layout::LATEST_REPORT_KEY)]
    BadPointer { message: String },
    #[error("aggregation failed: {0}")]
    Polars(polars::error::PolarsError),
}

crate::causes::cause_from!(ReportError::Polars(polars::error::PolarsError));

impl ReportError {
    /// A run that is not there is the caller's mistake; anything else is ours (or the
    /// store's).
    pub fn exit_code(&self) -> u8 {
        use crate::exit_codes::{INTERNAL, USAGE};
        match self {
            ReportError::NoSuchRun { .. }
            | ReportError::BadPointer { .. }
            | ReportError::GradingInput { .. } => USAGE,
            ReportError::Store(e) => e.exit_code(),
            _ => INTERNAL,
        }
    }
}
