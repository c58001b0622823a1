//! The RE-Bench environments shipped under `benchmarks/re-bench/`.

use std::path::{Path, PathBuf};

use crate::bench::{BenchError, Benchmark, Research, Task, TaskKind};

use super::ReManifest;

#[derive(Debug, Clone, PartialEq)]
pub struct ReBenchCatalog {
    dir: PathBuf,
    manifests: Vec<ReManifest>,
}

impl ReBenchCatalog {
    /// Reads every `*.yaml` in `dir`, sorted by file name.
    pub fn load(dir: &Path) -> Result<Self, BenchError> {
        let entries = std::fs::read_dir(dir).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                BenchError::missing(dir, "a directory of RE-Bench task manifests (<id>.yaml)")
            }
            _ => BenchError::read(dir, e),
        })?;
        let mut paths = Vec::new();
        for entry in entries {
            let path = entry.map_err(|e| BenchError::read(dir, e))?.path();
            if path.extension().is_some_and(|e| e == "yaml") {
                paths.push(path);
            }
        }
        paths.sort();
        let manifests = paths
            .iter()
            .map(|p| ReManifest::load(p))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            dir: dir.to_owned(),
            manifests,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn manifests(&self) -> &[ReManifest] {
        &self.manifests
    }

    pub fn manifest(&self, id: &str) -> Option<&ReManifest> {
        self.manifests.iter().find(|m| m.id == id)
    }

    pub fn task(&self, id: &str) -> Result<Task, BenchError> {
        let m = self.manifest(id).ok_or_else(|| {
            BenchError::unknown_task(
                Benchmark::ReBench,
                id,
                self.manifests.iter().map(|m| m.id.as_str()),
            )
        })?;
        Ok(Task {
            id: m.id.clone(),
            benchmark: Benchmark::ReBench,
            kind: TaskKind::Research(Research {
                scoring: m.scoring.clone(),
                time_limit: m.time_limit,
                resources: Some(m.resources.clone()),
                image: Some(m.image.clone()),
                dir: None,
                public_dir: None,
                internet: m.internet,
                required_env: m.required_env.clone(),
            }),
        })
    }
}
