//! The tasks of one benchmark, as a suite's task ids and splits are checked against.

use std::path::Path;

use super::demo::{DemoCatalog, DemoTaskFile};
use super::mlebench::{MleBenchCatalog, PreparedRoot};
use super::rebench::ReBenchCatalog;
use super::{BenchError, Benchmark, Task};

#[derive(Debug, Clone, PartialEq)]
pub enum Catalog {
    MleBench(MleBenchCatalog),
    ReBench(ReBenchCatalog),
    Demo(DemoCatalog),
}

/// The split every benchmark has: all its tasks.
pub const ALL_SPLIT: &str = "all";

impl Catalog {
    /// Loads `<benchmarks_dir>/<benchmark name>/`.
    pub fn load(benchmark: Benchmark, benchmarks_dir: &Path) -> Result<Self, BenchError> {
        let dir = benchmarks_dir.join(benchmark.name());
        Ok(match benchmark {
            Benchmark::MleBench => Catalog::MleBench(MleBenchCatalog::load(&dir)?),
            Benchmark::ReBench => Catalog::ReBench(ReBenchCatalog::load(&dir)?),
            Benchmark::Demo => Catalog::Demo(DemoCatalog::load(&dir)?),
        })
    }

    pub fn benchmark(&self) -> Benchmark {
        match self {
            Catalog::MleBench(_) => Benchmark::MleBench,
            Catalog::ReBench(_) => Benchmark::ReBench,
            Catalog::Demo(_) => Benchmark::Demo,
        }
    }

    /// Every task id, in catalog order.
    pub fn ids(&self) -> Vec<&str> {
        match self {
            Catalog::MleBench(c) => c.competitions().iter().map(|c| c.id.as_str()).collect(),
            Catalog::ReBench(c) => c.manifests().iter().map(|m| m.id.as_str()).collect(),
            Catalog::Demo(c) => c.tasks().iter().map(DemoTaskFile::id).collect(),
        }
    }

    pub fn contains(&self, id: &str) -> bool {
        self.ids().contains(&id)
    }

    /// MLE-bench's split files; other benchmarks have only [`ALL_SPLIT`].
    pub fn split_names(&self) -> Vec<&str> {
        match self {
            Catalog::MleBench(c) => c.splits().keys().map(String::as_str).collect(),
            Catalog::ReBench(_) | Catalog::Demo(_) => vec![ALL_SPLIT],
        }
    }

    /// The split a misspelt or foreign split name most likely means; MLE-bench's own names
    /// for its splits (`lite`, `split75`) map to ours.
    pub fn closest_split(&self, name: &str) -> Option<&str> {
        let alias = match (self, name.to_lowercase().as_str()) {
            (Catalog::MleBench(_), "lite") => Some("low"),
            (Catalog::MleBench(_), "split75") => Some(ALL_SPLIT),
            _ => None,
        };
        let names = self.split_names();
        alias
            .filter(|a| names.contains(a))
            .or_else(|| super::closest::closest(name, names))
    }

    pub fn split(&self, name: &str) -> Option<Vec<String>> {
        match self {
            Catalog::MleBench(c) => c.split(name).map(<[String]>::to_vec),
            Catalog::ReBench(_) | Catalog::Demo(_) if name == ALL_SPLIT => {
                Some(self.ids().into_iter().map(str::to_owned).collect())
            }
            Catalog::ReBench(_) | Catalog::Demo(_) => None,
        }
    }

    /// The task `id`; MLE-bench competitions need the prepared data root.
    pub fn task(&self, id: &str, data_dir: Option<&Path>) -> Result<Task, BenchError> {
        match self {
            Catalog::MleBench(c) => {
                let root = data_dir.ok_or_else(|| BenchError::NoDataDir { id: id.to_owned() })?;
                c.task(id, &PreparedRoot::new(root))
            }
            Catalog::ReBench(c) => c.task(id),
            Catalog::Demo(c) => c.task(id),
        }
    }
}
