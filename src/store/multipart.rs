//! Multipart upload of a large file: parts read straight from disk (never the whole file
//! in memory), a bounded number in flight, and the upload aborted on any failure so that
//! no orphaned parts are left behind (a bucket lifecycle rule `AbortIncompleteMultipartUpload`
//! is still worth having for processes killed mid-upload).

use std::path::Path;

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::{ByteStream, Length};
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use futures::{StreamExt, TryStreamExt};

use super::error::StoreError;
use super::s3_error::{Target, classify};

/// Parts uploaded at once: enough to fill a link, few enough to bound memory and sockets.
const PARTS_IN_FLIGHT: usize = 4;
/// S3's limit on the number of parts.
const MAX_PARTS: u64 = 10_000;

pub(crate) struct Upload<'a> {
    pub client: &'a Client,
    pub target: Target<'a>,
    pub path: &'a Path,
    pub size: u64,
    pub part_size: u64,
}

/// (part number, offset, length) of every part of a `size`-byte file.
fn parts(size: u64, part_size: u64) -> Vec<(i32, u64, u64)> {
    // Larger parts when the file would need more than S3 allows.
    let part_size = part_size.max(size.div_ceil(MAX_PARTS)).max(1);
    (0..size.div_ceil(part_size))
        .map(|i| {
            let offset = i * part_size;
            ((i + 1) as i32, offset, part_size.min(size - offset))
        })
        .collect()
}

impl Upload<'_> {
    pub async fn run(&self) -> Result<(), StoreError> {
        let (bucket, key) = (self.target.bucket, self.target.key);
        let created = self
            .client
            .create_multipart_upload()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| classify("CreateMultipartUpload", &self.target, e))?;
        let upload_id = created.upload_id().ok_or_else(|| StoreError::S3 {
            location: self.target.location(),
            operation: "CreateMultipartUpload",
            detail: "the response has no upload id".to_string(),
        })?;
        // If this future is dropped (a timeout, a shutdown) the guard still aborts.
        let mut guard = AbortGuard {
            client: self.client.clone(),
            bucket: bucket.to_string(),
            key: key.to_string(),
            upload_id: Some(upload_id.to_string()),
        };
        match self.upload_parts(upload_id).await {
            Ok(()) => {
                guard.upload_id = None;
                Ok(())
            }
            Err(e) => {
                if let Some(id) = guard.upload_id.take() {
                    abort(self.client, bucket, key, &id).await;
                }
                Err(e)
            }
        }
    }

    async fn upload_parts(&self, upload_id: &str) -> Result<(), StoreError> {
        let (bucket, key) = (self.target.bucket, self.target.key);
        let mut completed: Vec<CompletedPart> =
            futures::stream::iter(parts(self.size, self.part_size))
                .map(|(number, offset, length)| self.upload_part(upload_id, number, offset, length))
                .buffer_unordered(PARTS_IN_FLIGHT)
                .try_collect()
                .await?;
        completed.sort_by_key(|p| p.part_number());
        // Part checksums are left to the SDK (per-part CRC32 when supported); naming them
        // in the completion would make it a different (full-object) checksum request.
        self.client
            .complete_multipart_upload()
            .bucket(bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(completed))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| classify("CompleteMultipartUpload", &self.target, e))?;
        Ok(())
    }

    async fn upload_part(
        &self,
        upload_id: &str,
        number: i32,
        offset: u64,
        length: u64,
    ) -> Result<CompletedPart, StoreError> {
        // A file-backed body: re-read from disk when the SDK retries the part.
        let body = ByteStream::read_from()
            .path(self.path)
            .offset(offset)
            .length(Length::Exact(length))
            .build()
            .await
            .map_err(|e| StoreError::Io {
                path: self.path.to_path_buf(),
                cause: std::io::Error::other(e),
            })?;
        let out = self
            .client
            .upload_part()
            .bucket(self.target.bucket)
            .key(self.target.key)
            .upload_id(upload_id)
            .part_number(number)
            .body(body)
            .send()
            .await
            .map_err(|e| classify("UploadPart", &self.target, e))?;
        Ok(CompletedPart::builder()
            .set_e_tag(out.e_tag().map(str::to_string))
            .part_number(number)
            .build())
    }
}

async fn abort(client: &Client, bucket: &str, key: &str, upload_id: &str) {
    if let Err(e) = client
        .abort_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(upload_id)
        .send()
        .await
    {
        tracing::warn!(
            "store: could not abort the multipart upload of s3://{bucket}/{key} ({}); its parts stay until a lifecycle rule removes them",
            crate::causes::describe(&e)
        );
    }
}

/// Aborts an upload whose future was dropped before it completed or failed.
struct AbortGuard {
    client: Client,
    bucket: String,
    key: String,
    upload_id: Option<String>,
}

impl Drop for AbortGuard {
    fn drop(&mut self) {
        let Some(id) = self.upload_id.take() else {
            return;
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (client, bucket, key) =
                (self.client.clone(), self.bucket.clone(), self.key.clone());
            runtime.spawn(async move { abort(&client, &bucket, &key, &id).await });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_cover_the_file_exactly() {
        let mib = 1024 * 1024;
        let p = parts(15 * mib + 3, 5 * mib);
        assert_eq!(p.len(), 4);
        assert_eq!(p[0], (1, 0, 5 * mib));
        assert_eq!(p[3], (4, 15 * mib, 3));
        assert_eq!(p.iter().map(|x| x.2).sum::<u64>(), 15 * mib + 3);
    }

    #[test]
    fn huge_files_get_larger_parts_to_stay_within_10000() {
        let p = parts(100_000 * 5 * 1024 * 1024, 5 * 1024 * 1024);
        assert!(p.len() as u64 <= MAX_PARTS, "{}", p.len());
    }
}
