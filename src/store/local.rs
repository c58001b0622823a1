//! Atomic writes of local files: readers see the old content or the new, never a torn
//! file, and an interrupted write leaves only a temporary file that listings skip.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::error::StoreError;

/// Temporary files start with this, so that listings can tell them from objects.
pub(crate) const TMP_MARKER: &str = ".aide-tmp.";

/// A fresh temporary name beside `dest` (same directory, so the rename is atomic).
pub(crate) fn tmp_path(dest: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dest.with_file_name(format!("{TMP_MARKER}{name}.{}.{n}", std::process::id()))
}

pub(crate) fn is_tmp_name(name: &str) -> bool {
    name.starts_with(TMP_MARKER)
}

pub(crate) fn create_parent(dest: &Path) -> Result<(), StoreError> {
    match dest.parent() {
        Some(parent) => std::fs::create_dir_all(parent).map_err(StoreError::io(parent)),
        None => Ok(()),
    }
}

/// Renames `tmp` over `dest`, removing `tmp` when that fails.
pub(crate) fn commit(tmp: &Path, dest: &Path) -> Result<(), StoreError> {
    std::fs::rename(tmp, dest).map_err(|cause| {
        let _ = std::fs::remove_file(tmp);
        StoreError::Io {
            path: dest.to_path_buf(),
            cause,
        }
    })
}

/// Writes `bytes` to `dest` atomically, creating its directory.
pub(crate) fn write_atomic(dest: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    create_parent(dest)?;
    let tmp = tmp_path(dest);
    std::fs::write(&tmp, bytes).map_err(|cause| {
        let _ = std::fs::remove_file(&tmp);
        StoreError::Io {
            path: tmp.clone(),
            cause,
        }
    })?;
    commit(&tmp, dest)
}

/// Copies `src` to `dest` atomically, creating its directory.
pub(crate) fn copy_atomic(src: &Path, dest: &Path) -> Result<(), StoreError> {
    create_parent(dest)?;
    let tmp = tmp_path(dest);
    if let Err(cause) = std::fs::copy(src, &tmp) {
        let _ = std::fs::remove_file(&tmp);
        // Name the side that failed: a missing source is not a problem of the destination.
        let path = if src.exists() { tmp } else { src.to_path_buf() };
        return Err(StoreError::Io { path, cause });
    }
    commit(&tmp, dest)
}
