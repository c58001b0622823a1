//! The directory backend: keys are relative paths under a root directory. Writes are
//! atomic (temporary file, then rename) and idempotent.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::error::StoreError;
use super::key::{validate_key, validate_prefix};
use super::local;
use super::version::{Listed, Versioned};

#[derive(Debug, Clone)]
pub struct DirStore {
    root: Arc<Path>,
}

/// Runs blocking file work off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|e| {
        Err(StoreError::Io {
            path: PathBuf::new(),
            cause: io::Error::other(format!("store task failed: {e}")),
        })
    })
}

impl DirStore {
    /// Opens (creating it when missing) the directory `root`.
    pub fn open(root: &Path) -> Result<DirStore, StoreError> {
        std::fs::create_dir_all(root).map_err(StoreError::io(root))?;
        let root = std::fs::canonicalize(root).map_err(StoreError::io(root))?;
        Ok(DirStore { root: root.into() })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path_of(&self, key: &str) -> Result<PathBuf, StoreError> {
        validate_key(key)?;
        Ok(key
            .split('/')
            .fold(self.root.to_path_buf(), |p, s| p.join(s)))
    }

    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
        let path = self.path_of(key)?;
        blocking(move || local::write_atomic(&path, &bytes)).await
    }

    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let path = self.path_of(key)?;
        blocking(move || match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(cause) => Err(StoreError::Io { path, cause }),
        })
        .await
    }

    /// The bytes and the version of the file read: the open file is the one measured, so
    /// a write that lands meanwhile (a rename over it) cannot mix two versions.
    pub async fn get_versioned(&self, key: &str) -> Result<Option<Versioned>, StoreError> {
        let path = self.path_of(key)?;
        blocking(move || {
            let mut file = match std::fs::File::open(&path) {
                Ok(file) => file,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
                Err(cause) => return Err(StoreError::Io { path, cause }),
            };
            let read = file.metadata().and_then(|meta| {
                let mut bytes = Vec::with_capacity(meta.len() as usize);
                io::Read::read_to_end(&mut file, &mut bytes)?;
                Ok(Versioned {
                    bytes,
                    version: Some(version_of(&meta)),
                })
            });
            read.map(Some)
                .map_err(|cause| StoreError::Io { path, cause })
        })
        .await
    }

    pub async fn put_file(&self, key: &str, src: &Path) -> Result<(), StoreError> {
        let path = self.path_of(key)?;
        let src = src.to_path_buf();
        blocking(move || local::copy_atomic(&src, &path)).await
    }

    pub async fn get_file(&self, key: &str, dest: &Path) -> Result<bool, StoreError> {
        let path = self.path_of(key)?;
        let dest = dest.to_path_buf();
        blocking(move || {
            if !path.is_file() {
                return Ok(false);
            }
            local::copy_atomic(&path, &dest).map(|()| true)
        })
        .await
    }

    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let listed = self.walk_prefix(prefix, false).await?;
        Ok(listed.into_iter().map(|l| l.key).collect())
    }

    /// [`DirStore::list`] with each file's version.
    pub async fn list_versioned(&self, prefix: &str) -> Result<Vec<Listed>, StoreError> {
        self.walk_prefix(prefix, true).await
    }

    async fn walk_prefix(&self, prefix: &str, versions: bool) -> Result<Vec<Listed>, StoreError> {
        validate_prefix(prefix)?;
        let root = self.root.to_path_buf();
        let prefix = prefix.to_string();
        blocking(move || {
            // Only the directory that holds the prefix's last segment can match it.
            let dir = match prefix.rfind('/') {
                Some(i) => prefix[..i].to_string(),
                None => String::new(),
            };
            let start = dir
                .split('/')
                .filter(|s| !s.is_empty())
                .fold(root, |p, s| p.join(s));
            let mut listed = Vec::new();
            walk(&start, &dir, versions, &mut listed)?;
            listed.retain(|l| l.key.starts_with(&prefix));
            listed.sort_by(|a, b| a.key.cmp(&b.key));
            Ok(listed)
        })
        .await
    }

    pub async fn list_dirs(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        validate_prefix(prefix)?;
        let dir = prefix
            .split('/')
            .filter(|s| !s.is_empty())
            .fold(self.root.to_path_buf(), |p, s| p.join(s));
        blocking(move || {
            let entries = match std::fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
                Err(cause) => return Err(StoreError::Io { path: dir, cause }),
            };
            let mut names = Vec::new();
            for entry in entries {
                let entry = entry.map_err(StoreError::io(&dir))?;
                let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
                if let (true, Some(name)) = (is_dir, entry.file_name().to_str()) {
                    names.push(name.to_string());
                }
            }
            names.sort();
            Ok(names)
        })
        .await
    }

    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        let path = self.path_of(key)?;
        let root = self.root.to_path_buf();
        blocking(move || {
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
                Err(cause) => return Err(StoreError::Io { path, cause }),
            }
            // S3 has no directories: drop the ones this delete emptied, so that a listing
            // and the tree agree. Failing (not empty, raced) is fine.
            let mut dir = path.parent();
            while let Some(d) = dir.filter(|d| *d != root) {
                if std::fs::remove_dir(d).is_err() {
                    break;
                }
                dir = d.parent();
            }
            Ok(())
        })
        .await
    }
}

/// A file's version: its inode, size and modification time. Every write renames a new
/// file into place, so a write changes the inode or the time even at the same size.
fn version_of(meta: &std::fs::Metadata) -> String {
    use std::os::unix::fs::MetadataExt;
    format!(
        "{:x}-{}-{}.{:09}",
        meta.ino(),
        meta.len(),
        meta.mtime(),
        meta.mtime_nsec()
    )
}

/// Appends every regular file under `dir` (whose key is `dir_key`), with its version when
/// asked (one stat each). Symlinks are not followed, so a walk never leaves the root or
/// loops.
fn walk(
    dir: &Path,
    dir_key: &str,
    versions: bool,
    listed: &mut Vec<Listed>,
) -> Result<(), StoreError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(cause) => {
            return Err(StoreError::Io {
                path: dir.to_path_buf(),
                cause,
            });
        }
    };
    for entry in entries {
        let entry = entry.map_err(StoreError::io(dir))?;
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            tracing::warn!(
                "store: skipping a file name that is not UTF-8 in {}",
                dir.display()
            );
            continue;
        };
        if local::is_tmp_name(&name) {
            continue;
        }
        let key = super::key::join(dir_key, &name);
        let kind = entry.file_type().map_err(StoreError::io(entry.path()))?;
        if kind.is_dir() {
            walk(&entry.path(), &key, versions, listed)?;
        } else if kind.is_file() {
            // A file removed since the directory was read has no version: it is listed
            // without one, and never matches a recorded version.
            let version = versions
                .then(|| entry.metadata().ok().map(|m| version_of(&m)))
                .flatten();
            listed.push(Listed { key, version });
        }
    }
    Ok(())
}
