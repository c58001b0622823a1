//! The S3 backend: `s3://bucket/prefix`, credentials from the standard chain (environment,
//! profile, web identity/IRSA, container and instance metadata), any S3-compatible
//! endpoint path-style. Transient failures are retried by the SDK (standard mode).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::meta::region::RegionProviderChain;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::{Region, RequestChecksumCalculation, ResponseChecksumValidation};
use aws_sdk_s3::operation::get_object::GetObjectOutput;
use aws_sdk_s3::primitives::ByteStream;
use tokio::io::AsyncWriteExt;

use super::error::StoreError;
use super::key::{join, validate_key, validate_prefix};
use super::local;
use super::multipart;
use super::options::{ChecksumMode, MIN_PART_SIZE, StoreOptions};
use super::s3_error::{Target, classify};
use super::version::{Listed, Versioned};

/// A server that accepts the connection but never answers (a paused or wedged endpoint)
/// fails the attempt after this long instead of hanging; the upload is then retried.
const READ_TIMEOUT: Duration = Duration::from_secs(120);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The region when nothing configures one (most S3-compatible servers ignore it).
const DEFAULT_REGION: &str = "us-east-1";

#[derive(Debug, Clone)]
pub struct S3Store {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    client: Client,
    bucket: String,
    /// The prefix in the bucket that is this store's root, without a trailing `/`.
    base: String,
    /// For messages: the endpoint in use.
    endpoint: String,
    /// An S3-compatible server's URL (`--s3-endpoint` or `AWS_ENDPOINT_URL*`), which the
    /// processes this store is handed to must be given as well.
    custom_endpoint: Option<String>,
    multipart_threshold: u64,
    part_size: u64,
}

/// `s3://bucket/prefix` into its bucket and prefix (no trailing `/`).
fn parse_url(url: &str) -> Result<(String, String), StoreError> {
    let invalid = |reason: &str| StoreError::InvalidUrl {
        url: url.to_string(),
        reason: reason.to_string(),
    };
    let rest = url
        .strip_prefix("s3://")
        .ok_or_else(|| invalid("expected s3://bucket/prefix"))?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(invalid("no bucket name (expected s3://bucket/prefix)"));
    }
    // Current bucket names are [a-z0-9.-]; legacy us-east-1 names may also hold upper
    // case and '_'. Anything else cannot be a bucket and would make odd URLs.
    if !bucket
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    {
        return Err(invalid(
            "a bucket name holds only letters, digits, '.', '-' and '_'",
        ));
    }
    let prefix = prefix.trim_end_matches('/');
    if !prefix.is_empty() {
        validate_key(prefix).map_err(|e| invalid(&format!("bad prefix: {e}")))?;
    }
    Ok((bucket.to_string(), prefix.to_string()))
}

impl S3Store {
    /// Builds the client and checks that the bucket exists and is reachable, so that a
    /// wrong name, endpoint or credential fails before any work starts.
    pub async fn open(url: &str, opts: &StoreOptions) -> Result<S3Store, StoreError> {
        let (bucket, base) = parse_url(url)?;
        let region = RegionProviderChain::default_provider().or_else(Region::new(DEFAULT_REGION));
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(region)
            .retry_config(RetryConfig::standard().with_max_attempts(opts.max_attempts.max(1)))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(CONNECT_TIMEOUT)
                    .read_timeout(READ_TIMEOUT)
                    .build(),
            );
        if let Some(endpoint) = &opts.s3_endpoint {
            loader = loader.endpoint_url(endpoint);
        }
        let sdk = loader.load().await;
        let mut conf = aws_sdk_s3::config::Builder::from(&sdk);
        // Custom endpoints (ours or AWS_ENDPOINT_URL*) are S3-compatible servers, which
        // rarely serve virtual-hosted bucket names.
        let custom_endpoint = sdk.endpoint_url().map(str::to_owned);
        let endpoint = match sdk.endpoint_url() {
            Some(endpoint) => {
                conf = conf.force_path_style(true);
                endpoint.to_string()
            }
            None => format!(
                "AWS S3 ({})",
                sdk.region().map_or(DEFAULT_REGION, |r| r.as_ref())
            ),
        };
        if opts.checksum == ChecksumMode::WhenRequired {
            conf = conf
                .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
                .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
        }
        let store = S3Store {
            inner: Arc::new(Inner {
                client: Client::from_conf(conf.build()),
                bucket,
                base,
                endpoint,
                custom_endpoint,
                multipart_threshold: opts.multipart_threshold,
                part_size: opts.part_size.max(MIN_PART_SIZE),
            }),
        };
        store.check_bucket().await?;
        Ok(store)
    }

    /// The S3-compatible endpoint, when the store is not on AWS's own.
    pub fn custom_endpoint(&self) -> Option<&str> {
        self.inner.custom_endpoint.as_deref()
    }

    async fn check_bucket(&self) -> Result<(), StoreError> {
        let i = &self.inner;
        match i.client.head_bucket().bucket(&i.bucket).send().await {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => {
                Err(StoreError::NoSuchBucket {
                    bucket: i.bucket.clone(),
                })
            }
            Err(e) => Err(classify("HeadBucket", &self.target(""), e)),
        }
    }

    pub fn url(&self) -> String {
        let i = &self.inner;
        if i.base.is_empty() {
            format!("s3://{}", i.bucket)
        } else {
            format!("s3://{}/{}", i.bucket, i.base)
        }
    }

    fn target<'a>(&'a self, full_key: &'a str) -> Target<'a> {
        Target {
            bucket: &self.inner.bucket,
            key: full_key,
            endpoint: &self.inner.endpoint,
        }
    }

    fn full_key(&self, key: &str) -> Result<String, StoreError> {
        validate_key(key)?;
        Ok(join(&self.inner.base, key))
    }

    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
        let full = self.full_key(key)?;
        let i = &self.inner;
        i.client
            .put_object()
            .bucket(&i.bucket)
            .key(&full)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|e| classify("PutObject", &self.target(&full), e))?;
        Ok(())
    }

    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.get_versioned(key).await?.map(|v| v.bytes))
    }

    /// The object's bytes and the ETag of the object they came from.
    pub async fn get_versioned(&self, key: &str) -> Result<Option<Versioned>, StoreError> {
        let full = self.full_key(key)?;
        let Some(out) = self.get_object(&full).await? else {
            return Ok(None);
        };
        let version = out.e_tag().map(str::to_string);
        let bytes = out.body.collect().await.map_err(|e| StoreError::S3 {
            location: self.target(&full).location(),
            operation: "GetObject",
            detail: format!("reading the body: {e}"),
        })?;
        Ok(Some(Versioned {
            bytes: bytes.into_bytes().to_vec(),
            version,
        }))
    }

    async fn get_object(&self, full: &str) -> Result<Option<GetObjectOutput>, StoreError> {
        let i = &self.inner;
        match i
            .client
            .get_object()
            .bucket(&i.bucket)
            .key(full)
            .send()
            .await
        {
            Ok(out) => Ok(Some(out)),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
            Err(e) => Err(classify("GetObject", &self.target(full), e)),
        }
    }

    /// Uploads a file: in one request up to the multipart threshold, else in parts read
    /// straight from disk.
    pub async fn put_file(&self, key: &str, path: &Path) -> Result<(), StoreError> {
        let full = self.full_key(key)?;
        let size = tokio::fs::metadata(path)
            .await
            .map_err(StoreError::io(path))?
            .len();
        let i = &self.inner;
        if size <= i.multipart_threshold {
            // Small files are read whole: one consistent snapshot, retried from memory.
            let bytes = tokio::fs::read(path).await.map_err(StoreError::io(path))?;
            return self.put(key, bytes).await;
        }
        multipart::Upload {
            client: &i.client,
            target: self.target(&full),
            path,
            size,
            part_size: i.part_size,
        }
        .run()
        .await
    }

    /// Downloads `key` to `dest` (atomically, creating its directory); false if absent.
    pub async fn get_file(&self, key: &str, dest: &Path) -> Result<bool, StoreError> {
        let full = self.full_key(key)?;
        let Some(body) = self.get_object(&full).await?.map(|out| out.body) else {
            return Ok(false);
        };
        local::create_parent(dest)?;
        let tmp = local::tmp_path(dest);
        let copied = async {
            let mut file = tokio::fs::File::create(&tmp).await?;
            tokio::io::copy_buf(&mut body.into_async_read(), &mut file).await?;
            file.flush().await
        }
        .await;
        if let Err(e) = copied {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(StoreError::S3 {
                location: self.target(&full).location(),
                operation: "GetObject",
                detail: format!("downloading to {}: {e}", dest.display()),
            });
        }
        local::commit(&tmp, dest).map(|()| true)
    }

    /// The store's root in the bucket and `prefix` under it, for a listing.
    fn listing(&self, prefix: &str) -> Result<(String, String), StoreError> {
        validate_prefix(prefix)?;
        let base = &self.inner.base;
        // The root of a store under a bucket prefix is "base/", so that "base2/..." is not in it.
        let root = if base.is_empty() {
            String::new()
        } else {
            format!("{base}/")
        };
        let full = format!("{root}{prefix}");
        Ok((root, full))
    }

    /// Every key under `prefix`, relative to the store's root, sorted.
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let listed = self.list_versioned(prefix).await?;
        Ok(listed.into_iter().map(|l| l.key).collect())
    }

    /// [`S3Store::list`] with each object's ETag, which the listing carries at no cost.
    pub async fn list_versioned(&self, prefix: &str) -> Result<Vec<Listed>, StoreError> {
        let (root, full_prefix) = self.listing(prefix)?;
        let i = &self.inner;
        let mut pages = i
            .client
            .list_objects_v2()
            .bucket(&i.bucket)
            .prefix(&full_prefix)
            .into_paginator()
            .send();
        let mut keys = Vec::new();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| classify("ListObjectsV2", &self.target(&full_prefix), e))?;
            for object in page.contents() {
                let Some(key) = object.key().and_then(|k| k.strip_prefix(&root)) else {
                    continue;
                };
                // Objects written by other tools may have keys this store cannot address
                // (e.g. "a//b"); they are left out rather than half-handled.
                if validate_key(key).is_ok() {
                    keys.push(Listed {
                        key: key.to_string(),
                        version: object.e_tag().map(str::to_string),
                    });
                } else {
                    tracing::warn!(
                        "store: skipping s3://{}/{root}{key}: not a valid key",
                        i.bucket
                    );
                }
            }
        }
        keys.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(keys)
    }

    pub async fn list_dirs(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let (_, full_prefix) = self.listing(prefix)?;
        let i = &self.inner;
        let mut pages = i
            .client
            .list_objects_v2()
            .bucket(&i.bucket)
            .prefix(&full_prefix)
            .delimiter("/")
            .into_paginator()
            .send();
        let mut names = Vec::new();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| classify("ListObjectsV2", &self.target(&full_prefix), e))?;
            for common in page.common_prefixes() {
                let name = common
                    .prefix()
                    .and_then(|p| p.strip_prefix(&full_prefix))
                    .and_then(|p| p.strip_suffix('/'));
                if let Some(name) = name.filter(|n| !n.is_empty() && !n.contains('/')) {
                    names.push(name.to_string());
                }
            }
        }
        names.sort();
        Ok(names)
    }

    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        let full = self.full_key(key)?;
        let i = &self.inner;
        i.client
            .delete_object()
            .bucket(&i.bucket)
            .key(&full)
            .send()
            .await
            .map_err(|e| classify("DeleteObject", &self.target(&full), e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_bucket_and_prefix() {
        assert_eq!(parse_url("s3://b").unwrap(), ("b".into(), "".into()));
        assert_eq!(parse_url("s3://b/").unwrap(), ("b".into(), "".into()));
        assert_eq!(
            parse_url("s3://my-bucket/runs/r1/").unwrap(),
            ("my-bucket".into(), "runs/r1".into())
        );
        for bad in [
            "s3://",
            "s3:///p",
            "s3://b/a//c",
            "s3://b/../x",
            "s3://b c/p",
            "b/p",
        ] {
            assert!(parse_url(bad).is_err(), "{bad} accepted");
        }
    }
}
