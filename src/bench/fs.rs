//! File reading with errors that name the file and what it should have been.

use std::io::ErrorKind;
use std::path::Path;

use super::BenchError;

/// Reads a text file; a missing file is reported with `expected`, other failures as read errors.
pub(crate) fn read_text(path: &Path, expected: &str) -> Result<String, BenchError> {
    std::fs::read_to_string(path).map_err(|e| match e.kind() {
        ErrorKind::NotFound => BenchError::missing(path, expected),
        _ => BenchError::read(path, e),
    })
}

/// Checks that `path` is a directory holding at least one entry.
pub(crate) fn require_nonempty_dir(path: &Path, expected: &str) -> Result<(), BenchError> {
    let mut entries = std::fs::read_dir(path).map_err(|e| match e.kind() {
        ErrorKind::NotFound | ErrorKind::NotADirectory => BenchError::missing(path, expected),
        _ => BenchError::read(path, e),
    })?;
    match entries.next() {
        Some(_) => Ok(()),
        None => Err(BenchError::invalid(
            path,
            format!("is empty; expected {expected}"),
        )),
    }
}

/// Checks that `path` is a regular file (or a link to one).
pub(crate) fn require_file(path: &Path, expected: &str) -> Result<(), BenchError> {
    if path.is_file() {
        Ok(())
    } else {
        Err(BenchError::missing(path, expected))
    }
}

/// The names of the sub-directories of `dir`, sorted.
pub(crate) fn subdirectories(dir: &Path, expected: &str) -> Result<Vec<String>, BenchError> {
    let entries = std::fs::read_dir(dir).map_err(|e| match e.kind() {
        ErrorKind::NotFound | ErrorKind::NotADirectory => BenchError::missing(dir, expected),
        _ => BenchError::read(dir, e),
    })?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| BenchError::read(dir, e))?;
        if entry.path().is_dir() {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    Ok(names)
}
