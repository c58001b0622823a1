//! Suite files: which benchmark, which of its tasks, how many seeds, and the agent, resource
//! and executor settings of every run. The schema is documented in docs/suite.md.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::closest::closest;
use super::yaml_source::YamlSource;
use super::{
    AgentSettings, BenchError, Benchmark, Catalog, ExecutorSettings, Resources, Seeds, Task,
    YamlError,
};

/// A suite file as written (and as written back, resolved, into a run's `run.yaml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuiteFile {
    /// Defaults to the file name without its extension.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub benchmark: Benchmark,
    /// A split of the benchmark; exclusive with `tasks`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split: Option<String>,
    /// Task ids; exclusive with `split`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tasks: Option<Vec<String>>,
    #[serde(default)]
    pub seeds: Seeds,
    /// MLE-bench's prepared data root; relative paths are taken from the suite file's directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(default)]
    pub agent: AgentSettings,
    /// Per run, for tasks that do not declare their own (RE-Bench manifests do).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
    #[serde(default)]
    pub executor: ExecutorSettings,
}

/// A validated suite: its tasks exist in the benchmark's catalog, which it keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct Suite {
    pub path: PathBuf,
    pub name: String,
    pub benchmark: Benchmark,
    /// In the order given (a split's file order).
    pub task_ids: Vec<String>,
    pub seeds: Vec<u64>,
    /// Absolute, or relative to the working directory, whichever the suite path was.
    pub data_dir: Option<PathBuf>,
    pub agent: AgentSettings,
    pub resources: Option<Resources>,
    pub executor: ExecutorSettings,
    catalog: Catalog,
}

#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    #[error("{}: cannot read suite file: {cause}", path.display())]
    Read {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error(transparent)]
    Invalid(#[from] YamlError),
    /// The benchmark's own files did not load.
    #[error(transparent)]
    Catalog(#[from] BenchError),
}

impl Suite {
    /// Reads and validates the suite at `path` against the benchmark under `benchmarks_dir`.
    pub fn load(path: &Path, benchmarks_dir: &Path) -> Result<Suite, SuiteError> {
        let text = std::fs::read_to_string(path).map_err(|cause| SuiteError::Read {
            path: path.to_owned(),
            cause,
        })?;
        Suite::parse(&text, path, benchmarks_dir)
    }

    /// Validates suite text; `path` names it in errors and anchors a relative `data_dir`.
    pub fn parse(text: &str, path: &Path, benchmarks_dir: &Path) -> Result<Suite, SuiteError> {
        let source = YamlSource::new(path, text);
        let file: SuiteFile = source.parse()?;
        let catalog = Catalog::load(file.benchmark, benchmarks_dir)?;
        Ok(Suite::validate(&source, file, catalog)?)
    }

    fn validate(
        source: &YamlSource,
        file: SuiteFile,
        catalog: Catalog,
    ) -> Result<Suite, YamlError> {
        let benchmark = file.benchmark;
        let name = match file.name {
            Some(name) if name.trim().is_empty() => {
                return Err(source.error("name", "`name`: must not be empty"));
            }
            Some(name) => name,
            None => source
                .path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
        };
        let task_ids = match (file.split, file.tasks) {
            (Some(_), Some(_)) => {
                return Err(
                    source.error("tasks", "`tasks`: give either `split` or `tasks`, not both")
                );
            }
            (None, None) => {
                return Err(
                    source.error("", "no tasks: give `split: <name>` or `tasks: [<id>, ...]`")
                );
            }
            (Some(split), None) => catalog.split(&split).ok_or_else(|| {
                let names = catalog.split_names();
                let hint = catalog
                    .closest_split(&split)
                    .map(|c| format!(" (closest match: `{c}`)"))
                    .unwrap_or_default();
                source.error(
                    "split",
                    format!(
                        "`split`: unknown {benchmark} split `{split}`{hint}; expected one of: {}",
                        names.join(", ")
                    ),
                )
            })?,
            (None, Some(tasks)) => {
                check_task_ids(source, &catalog, &tasks)?;
                tasks
            }
        };
        source.check("", file.seeds.problems())?;
        if file.data_dir.is_some() && benchmark != Benchmark::MleBench {
            return Err(source.error(
                "data_dir",
                format!("`data_dir`: only mle-bench suites take a data directory, this one is {benchmark}"),
            ));
        }
        source.check("agent", file.agent.problems())?;
        let mut agent = file.agent;
        agent.normalize();
        if let Some(resources) = &file.resources {
            source.check("resources", resources.problems())?;
        }
        source.check("executor", file.executor.problems())?;
        let data_dir = file.data_dir.map(|d| match source.path.parent() {
            Some(base) if d.is_relative() => base.join(d),
            _ => d,
        });
        Ok(Suite {
            path: source.path.to_owned(),
            name,
            benchmark,
            task_ids,
            seeds: file.seeds.to_vec(),
            data_dir,
            agent,
            resources: file.resources,
            executor: file.executor,
            catalog,
        })
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The suite's tasks, resolved to paths; MLE-bench needs `data_dir`.
    pub fn tasks(&self) -> Result<Vec<Task>, BenchError> {
        self.task_ids
            .iter()
            .map(|id| self.catalog.task(id, self.data_dir.as_deref()))
            .collect()
    }

    /// The suite with its split and seed count spelt out, for a run's `run.yaml`.
    pub fn to_file(&self) -> SuiteFile {
        SuiteFile {
            name: Some(self.name.clone()),
            benchmark: self.benchmark,
            split: None,
            tasks: Some(self.task_ids.clone()),
            seeds: Seeds::List(self.seeds.clone()),
            data_dir: self.data_dir.clone(),
            agent: self.agent.clone(),
            resources: self.resources.clone(),
            executor: self.executor.clone(),
        }
    }
}

fn check_task_ids(
    source: &YamlSource,
    catalog: &Catalog,
    tasks: &[String],
) -> Result<(), YamlError> {
    if tasks.is_empty() {
        return Err(source.error("tasks", "`tasks`: must list at least one task"));
    }
    for (i, id) in tasks.iter().enumerate() {
        let field = format!("tasks[{i}]");
        if !catalog.contains(id) {
            let hint = closest(id, catalog.ids())
                .map(|c| format!("; closest match: `{c}`"))
                .unwrap_or_default();
            let benchmark = catalog.benchmark();
            return Err(source.error(
                &field,
                format!("`{field}`: unknown {benchmark} task `{id}`{hint}"),
            ));
        }
        if tasks[..i].contains(id) {
            return Err(source.error(&field, format!("`{field}`: task `{id}` is listed twice")));
        }
    }
    Ok(())
}
