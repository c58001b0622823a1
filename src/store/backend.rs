//! [`Store`]: one handle over both backends, opened from a URL. Everything above the store
//! (the fleet, the agent's mirror) uses this and never a backend directly.

use std::path::{Path, PathBuf};

use super::dir::DirStore;
use super::error::StoreError;
use super::options::StoreOptions;
use super::s3::S3Store;
use super::version::{Listed, Versioned};

/// An artifact store: a directory or an S3 bucket prefix, with the same keys and
/// behaviour. Cloning is cheap (the S3 client is shared).
#[derive(Debug, Clone)]
pub enum Store {
    Dir(DirStore),
    S3(S3Store),
}

impl Store {
    /// Opens `url`: a directory ("results", "/abs", "file:///abs"; created when missing)
    /// or "s3://bucket/prefix" (the bucket must exist and be reachable).
    pub async fn open(url: &str, opts: &StoreOptions) -> Result<Store, StoreError> {
        if url.starts_with("s3://") {
            return Ok(Store::S3(S3Store::open(url, opts).await?));
        }
        let path = match url.split_once("://") {
            Some(("file", path)) if path.starts_with('/') => PathBuf::from(path),
            Some(("file", _)) => {
                return Err(StoreError::InvalidUrl {
                    url: url.to_string(),
                    reason: "a file URL needs an absolute path: file:///abs/path".to_string(),
                });
            }
            Some((scheme, _)) => {
                return Err(StoreError::InvalidUrl {
                    url: url.to_string(),
                    reason: format!(
                        "unsupported scheme {scheme}:// (use a directory, file:///abs/path or s3://bucket/prefix)"
                    ),
                });
            }
            None if url.is_empty() => {
                return Err(StoreError::InvalidUrl {
                    url: String::new(),
                    reason: "empty".to_string(),
                });
            }
            None => PathBuf::from(url),
        };
        let dir = tokio::task::spawn_blocking(move || DirStore::open(&path))
            .await
            .map_err(|e| StoreError::InvalidUrl {
                url: url.to_string(),
                reason: format!("opening the directory failed: {e}"),
            })??;
        Ok(Store::Dir(dir))
    }

    /// The canonical URL (an absolute directory path, or s3://bucket/prefix), to hand to
    /// child processes.
    pub fn url(&self) -> String {
        match self {
            Store::Dir(d) => d.root().display().to_string(),
            Store::S3(s) => s.url(),
        }
    }

    /// The S3-compatible endpoint an S3 store was opened with (for child processes'
    /// `--s3-endpoint`); None for AWS's own and for directories.
    pub fn s3_endpoint(&self) -> Option<&str> {
        match self {
            Store::Dir(_) => None,
            Store::S3(s) => s.custom_endpoint(),
        }
    }

    /// The root directory of a directory store.
    pub fn local_root(&self) -> Option<&Path> {
        match self {
            Store::Dir(d) => Some(d.root()),
            Store::S3(_) => None,
        }
    }

    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
        match self {
            Store::Dir(d) => d.put(key, bytes).await,
            Store::S3(s) => s.put(key, bytes).await,
        }
    }

    /// The object's bytes; None when there is no such key.
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match self {
            Store::Dir(d) => d.get(key).await,
            Store::S3(s) => s.get(key).await,
        }
    }

    /// The object's bytes with its version (S3's ETag; a directory store's inode, size
    /// and time), which a versioned listing reports alike; None when there is no such key.
    pub async fn get_versioned(&self, key: &str) -> Result<Option<Versioned>, StoreError> {
        match self {
            Store::Dir(d) => d.get_versioned(key).await,
            Store::S3(s) => s.get_versioned(key).await,
        }
    }

    /// Uploads a local file (S3: in parts above the multipart threshold).
    pub async fn put_file(&self, key: &str, path: &Path) -> Result<(), StoreError> {
        match self {
            Store::Dir(d) => d.put_file(key, path).await,
            Store::S3(s) => s.put_file(key, path).await,
        }
    }

    /// Downloads `key` to `dest` atomically, creating its directory; false when absent.
    pub async fn get_file(&self, key: &str, dest: &Path) -> Result<bool, StoreError> {
        match self {
            Store::Dir(d) => d.get_file(key, dest).await,
            Store::S3(s) => s.get_file(key, dest).await,
        }
    }

    /// Every key that starts with `prefix` (a plain string prefix, as in S3: "runs/a"
    /// also matches "runs/ab/x"), recursively, sorted.
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        match self {
            Store::Dir(d) => d.list(prefix).await,
            Store::S3(s) => s.list(prefix).await,
        }
    }

    /// [`Store::list`] with each key's version, as [`Store::get_versioned`] reports it.
    pub async fn list_versioned(&self, prefix: &str) -> Result<Vec<Listed>, StoreError> {
        match self {
            Store::Dir(d) => d.list_versioned(prefix).await,
            Store::S3(s) => s.list_versioned(prefix).await,
        }
    }

    /// The names one level below `prefix` (which ends in `/`) that hold keys: the
    /// directories of a directory store, S3's common prefixes for the delimiter `/`.
    /// One request per thousand names, whatever lies below them.
    pub async fn list_dirs(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        match self {
            Store::Dir(d) => d.list_dirs(prefix).await,
            Store::S3(s) => s.list_dirs(prefix).await,
        }
    }

    /// Removes `key`; removing an absent key succeeds.
    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        match self {
            Store::Dir(d) => d.delete(key).await,
            Store::S3(s) => s.delete(key).await,
        }
    }
}
