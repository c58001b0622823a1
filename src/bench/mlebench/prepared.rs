//! An MLE-bench prepared data root, as `mlebench prepare` writes it:
//! `<root>/<id>/prepared/public` (what the agent sees) and `<root>/<id>/prepared/private`.

use std::path::{Path, PathBuf};

use crate::bench::BenchError;
use crate::bench::fs::subdirectories;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedRoot {
    root: PathBuf,
}

impl PreparedRoot {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn public_dir(&self, id: &str) -> PathBuf {
        self.root.join(id).join("prepared").join("public")
    }

    pub fn private_dir(&self, id: &str) -> PathBuf {
        self.root.join(id).join("prepared").join("private")
    }

    /// A path from a competition's metadata (`<id>/prepared/private/test.csv`), which MLE-bench
    /// writes relative to the data root.
    pub fn resolve(&self, relative: &Path) -> PathBuf {
        self.root.join(relative)
    }

    /// Competitions with both prepared directories present, sorted; whether their files are
    /// complete is [`crate::bench::Competition::check_ready`]'s business.
    pub fn prepared_ids(&self) -> Result<Vec<String>, BenchError> {
        let ids = subdirectories(
            &self.root,
            "an MLE-bench data directory (<id>/prepared/{public,private})",
        )?;
        Ok(ids
            .into_iter()
            .filter(|id| self.public_dir(id).is_dir() && self.private_dir(id).is_dir())
            .collect())
    }
}
