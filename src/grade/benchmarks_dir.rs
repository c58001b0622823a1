//! Where the shipped benchmark data (leaderboards, demo tasks) lives.

use std::path::PathBuf;

/// Environment variable that overrides the benchmarks directory.
pub const BENCHMARKS_ENV: &str = "AIDE_FLEET_BENCHMARKS";

/// The repository's `benchmarks/` directory is missing.
#[derive(Debug, thiserror::Error)]
#[error("benchmarks directory {} does not exist (set {BENCHMARKS_ENV} to the repository's benchmarks/ directory)", path.display())]
pub struct BenchmarksDirError {
    pub path: PathBuf,
}

/// `$AIDE_FLEET_BENCHMARKS`, else the `benchmarks/` directory of the checkout this binary
/// was built from (baked in at compile time, so an installed binary needs the variable).
pub fn benchmarks_dir() -> Result<PathBuf, BenchmarksDirError> {
    let path = match std::env::var_os(BENCHMARKS_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/benchmarks")),
    };
    if path.is_dir() {
        Ok(path)
    } else {
        Err(BenchmarksDirError { path })
    }
}
