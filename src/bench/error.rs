//! Errors from reading benchmark manifests, MLE-bench data and registry checkouts.

use std::path::PathBuf;

use super::{Benchmark, YamlError};

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("{}: cannot read: {cause}", path.display())]
    Read {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{}: not found; expected {expected}", path.display())]
    Missing { path: PathBuf, expected: String },
    #[error(transparent)]
    Yaml(#[from] YamlError),
    /// A problem at one line of a text file (split lists).
    #[error("{}:{line}: {message}", path.display())]
    Line {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
    #[error("unknown {benchmark} task `{id}`{}", closest_hint(closest.as_deref()))]
    UnknownTask {
        benchmark: Benchmark,
        id: String,
        closest: Option<String>,
    },
    #[error("mle-bench task `{id}` needs the prepared data directory: set `data_dir` in the suite")]
    NoDataDir { id: String },
}

fn closest_hint(closest: Option<&str>) -> String {
    closest
        .map(|c| format!("; closest match: `{c}`"))
        .unwrap_or_default()
}

impl BenchError {
    pub(crate) fn read(path: impl Into<PathBuf>, cause: std::io::Error) -> Self {
        BenchError::Read {
            path: path.into(),
            cause,
        }
    }

    pub(crate) fn missing(path: impl Into<PathBuf>, expected: impl Into<String>) -> Self {
        BenchError::Missing {
            path: path.into(),
            expected: expected.into(),
        }
    }

    pub(crate) fn unknown_task<'a>(
        benchmark: Benchmark,
        id: &str,
        known: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        BenchError::UnknownTask {
            benchmark,
            id: id.to_owned(),
            closest: super::closest::closest(id, known).map(str::to_owned),
        }
    }

    pub(crate) fn invalid(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        BenchError::Invalid {
            path: path.into(),
            message: message.into(),
        }
    }
}
