//! The demo tasks under `benchmarks/demo/`: one directory per task, each with a `task.yaml`.

use std::path::{Path, PathBuf};

use crate::bench::fs::subdirectories;
use crate::bench::{BenchError, Benchmark, Columns, Competition, Grader, Research, Task, TaskKind};

use super::DemoTaskFile;

#[derive(Debug, Clone, PartialEq)]
pub struct DemoCatalog {
    dir: PathBuf,
    /// Sorted by id.
    tasks: Vec<DemoTaskFile>,
}

impl DemoCatalog {
    /// Reads `<dir>/<id>/task.yaml` for every sub-directory; one without it is an error, so
    /// that a half-added task does not silently drop out of suites.
    pub fn load(dir: &Path) -> Result<Self, BenchError> {
        let tasks = subdirectories(dir, "the demo tasks directory (benchmarks/demo)")?
            .iter()
            .map(|id| DemoTaskFile::load(&dir.join(id).join("task.yaml")))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            dir: dir.to_owned(),
            tasks,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn tasks(&self) -> &[DemoTaskFile] {
        &self.tasks
    }

    pub fn task(&self, id: &str) -> Result<Task, BenchError> {
        let file = self.tasks.iter().find(|t| t.id() == id).ok_or_else(|| {
            BenchError::unknown_task(Benchmark::Demo, id, self.tasks.iter().map(|t| t.id()))
        })?;
        let dir = self.dir.join(id);
        let kind = match file {
            DemoTaskFile::Competition(c) => TaskKind::Competition(Competition {
                public_dir: dir.join("prepared").join("public"),
                private_dir: dir.join("prepared").join("private"),
                answers: dir.join(&c.answers),
                sample_submission: dir.join(&c.sample_submission),
                metric: c.metric,
                metric_k: c.metric_k,
                lower_is_better: c.lower_is_better,
                grader: Grader::Native,
                leaderboard: c.leaderboard.as_ref().map(|l| dir.join(l)),
                columns: Some(Columns {
                    id: c.id_column.clone(),
                    targets: c.target_columns.clone(),
                    multilabel: false,
                }),
            }),
            DemoTaskFile::Research(r) => TaskKind::Research(Research {
                scoring: r.scoring.clone(),
                time_limit: r.time_limit,
                resources: r.resources.clone(),
                image: None,
                public_dir: Some(dir.join(&r.public_dir)),
                dir: Some(dir),
                internet: false,
                required_env: Vec::new(),
            }),
        };
        Ok(Task {
            id: id.to_owned(),
            benchmark: Benchmark::Demo,
            kind,
        })
    }
}
