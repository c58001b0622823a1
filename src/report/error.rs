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
    #[error("{}: {source}", path.display())]
    GradingReport {
        path: PathBuf,
        #[source]
        source: crate::grade::ReportError,
    },
    #[error(transparent)]
    Aggregate(#[from] AggregateError),
}
