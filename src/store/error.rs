//! What can go wrong with a store, named so that the message says which bucket, key or
//! file and what to do about it.

use std::io;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("invalid store URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },

    #[error("invalid store key {key:?}: {reason}")]
    InvalidKey { key: String, reason: &'static str },

    #[error("{path}: {cause}")]
    Io { path: PathBuf, cause: io::Error },

    #[error(
        "s3://{bucket}: no such bucket (create it first, or check the name, the region and --s3-endpoint)"
    )]
    NoSuchBucket { bucket: String },

    #[error(
        "{location}: access denied ({detail}); check the credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, IRSA) and the bucket policy"
    )]
    AccessDenied { location: String, detail: String },

    #[error("{location}: cannot reach the S3 endpoint {endpoint}: {detail}")]
    Unreachable {
        location: String,
        endpoint: String,
        detail: String,
    },

    #[error("{location}: {operation} failed: {detail}")]
    S3 {
        location: String,
        operation: &'static str,
        detail: String,
    },

    #[error(
        "{pending} file(s) of {local} not uploaded to {store} within {waited_s:.0}s, e.g. {examples}; last error: {last_error}"
    )]
    MirrorIncomplete {
        local: PathBuf,
        store: String,
        waited_s: f64,
        pending: usize,
        examples: String,
        last_error: String,
    },
}

impl StoreError {
    /// A store URL, key, bucket or credential that cannot work is bad input; a store
    /// that failed while working is not.
    pub fn exit_code(&self) -> u8 {
        use crate::exit_codes::{INTERNAL, USAGE};
        match self {
            StoreError::InvalidUrl { .. }
            | StoreError::InvalidKey { .. }
            | StoreError::NoSuchBucket { .. }
            | StoreError::AccessDenied { .. } => USAGE,
            _ => INTERNAL,
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> StoreError {
        let path = path.into();
        move |cause| StoreError::Io { path, cause }
    }
}
