//! Turns the SDK's errors into [`StoreError`]s that say what went wrong with which
//! bucket or key: no such bucket, access denied, endpoint unreachable, or the rest.

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

use super::error::StoreError;

/// Where a request went: for messages.
pub(crate) struct Target<'a> {
    pub bucket: &'a str,
    /// The full object key or prefix in the bucket; empty for the bucket itself.
    pub key: &'a str,
    pub endpoint: &'a str,
}

impl Target<'_> {
    pub fn location(&self) -> String {
        if self.key.is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{}", self.bucket, self.key)
        }
    }
}

pub(crate) fn classify<E>(
    operation: &'static str,
    target: &Target<'_>,
    err: SdkError<E>,
) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let detail = crate::causes::describe(&err);
    let location = target.location();
    match &err {
        SdkError::TimeoutError(_) => StoreError::Unreachable {
            location,
            endpoint: target.endpoint.to_string(),
            detail,
        },
        SdkError::DispatchFailure(d) if d.is_io() || d.is_timeout() => StoreError::Unreachable {
            location,
            endpoint: target.endpoint.to_string(),
            detail,
        },
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            match err.code() {
                Some("NoSuchBucket") => StoreError::NoSuchBucket {
                    bucket: target.bucket.to_string(),
                },
                Some("AccessDenied" | "InvalidAccessKeyId" | "SignatureDoesNotMatch") => {
                    StoreError::AccessDenied { location, detail }
                }
                _ if status == 403 => StoreError::AccessDenied { location, detail },
                _ if status == 301 => StoreError::S3 {
                    location,
                    operation,
                    detail: format!(
                        "the bucket is in another region (set AWS_REGION to it): {detail}"
                    ),
                },
                _ => StoreError::S3 {
                    location,
                    operation,
                    detail,
                },
            }
        }
        _ => StoreError::S3 {
            location,
            operation,
            detail,
        },
    }
}
