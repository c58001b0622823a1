//! `benchmarks/demo/<id>/task.yaml`: what a demo task is and how it is graded. Hand-written,
//! next to the generated data (scripts/gen_demo.py does not write it).

use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::bench::fs::read_text;
use crate::bench::rebench::ReScoring;
use crate::bench::yaml_source::YamlSource;
use crate::bench::{BenchError, HumanDuration, Resources};
use crate::grade::MetricKind;

#[derive(Debug, Clone, PartialEq)]
pub enum DemoTaskFile {
    Competition(DemoCompetitionFile),
    Research(DemoResearchFile),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DemoKind {
    /// MLE-bench layout: `prepared/{public,private}`, graded from `submission.csv`.
    Mle,
    /// RE-Bench style: the agent improves a solution that `scoring.score_command` rates.
    Re,
}

/// `kind: mle`. Paths are relative to the task directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoCompetitionFile {
    pub id: String,
    pub kind: DemoKind,
    pub name: String,
    pub metric: MetricKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_k: Option<u32>,
    pub lower_is_better: bool,
    pub id_column: String,
    pub target_columns: Vec<String>,
    /// Under `prepared/private/`.
    pub answers: PathBuf,
    /// Under `prepared/public/`.
    pub sample_submission: PathBuf,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leaderboard: Option<PathBuf>,
}

/// `kind: re`. Paths are relative to the task directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoResearchFile {
    pub id: String,
    pub kind: DemoKind,
    pub name: String,
    /// The files the agent starts from (description and starting solution); everything else in
    /// the task directory (the scorer) stays hidden.
    pub public_dir: PathBuf,
    pub time_limit: HumanDuration,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
    pub scoring: ReScoring,
}

/// Only `kind`, to choose which schema the whole file is checked against.
#[derive(Deserialize)]
struct KindProbe {
    kind: DemoKind,
}

impl DemoTaskFile {
    /// Reads `path`; `id` must match the name of the directory holding it.
    pub fn load(path: &Path) -> Result<Self, BenchError> {
        let text = read_text(
            path,
            "a task.yaml describing the demo task (see docs/suite.md)",
        )?;
        let source = YamlSource::new(path, &text);
        let dir_name = path
            .parent()
            .and_then(Path::file_name)
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let file = match source.parse::<KindProbe>()?.kind {
            DemoKind::Mle => {
                let file: DemoCompetitionFile = source.parse()?;
                source.check("", file.problems())?;
                DemoTaskFile::Competition(file)
            }
            DemoKind::Re => {
                let file: DemoResearchFile = source.parse()?;
                // `''` and `.` are inside the task directory, but they are all of it: the
                // agent would be handed the scorer too.
                if !names_a_subpath(&file.public_dir) {
                    return Err(source
                        .error(
                            "public_dir",
                            "`public_dir`: must be a relative path to a directory inside the task directory (not the task directory itself)",
                        )
                        .into());
                }
                // The agent refuses a zero `--time-limit`: every run of the task would fail.
                if file.time_limit.as_duration().is_zero() {
                    return Err(source
                        .error("time_limit", "`time_limit`: must be longer than 0s")
                        .into());
                }
                if let Some(resources) = &file.resources {
                    source.check("resources", resources.problems())?;
                }
                source.check("scoring", file.scoring.problems())?;
                DemoTaskFile::Research(file)
            }
        };
        if file.id() != dir_name {
            return Err(source
                .error(
                    "id",
                    format!(
                        "`id` is `{}` but the task directory is `{dir_name}`",
                        file.id()
                    ),
                )
                .into());
        }
        Ok(file)
    }

    pub fn id(&self) -> &str {
        match self {
            DemoTaskFile::Competition(c) => &c.id,
            DemoTaskFile::Research(r) => &r.id,
        }
    }
}

impl DemoCompetitionFile {
    fn problems(&self) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        if self.metric == crate::grade::MetricKind::External {
            problems.push((
                "metric",
                "is `external`, but demo tasks are graded natively".to_owned(),
            ));
        }
        if (self.metric == MetricKind::MapAtK) != self.metric_k.is_some() {
            problems.push((
                "metric_k",
                "must be given exactly when `metric` is `map_at_k`".to_owned(),
            ));
        }
        if self.target_columns.is_empty() {
            problems.push(("target_columns", "must name at least one column".to_owned()));
        }
        if let Some(problem) = column_problem(&self.id_column, &self.target_columns) {
            problems.push(("target_columns", problem));
        }
        let public = Path::new("prepared/public");
        let private = Path::new("prepared/private");
        for (field, path, under) in [
            ("answers", &self.answers, private),
            ("sample_submission", &self.sample_submission, public),
        ] {
            if !names_a_subpath(path) || !path.starts_with(under) || path == under {
                problems.push((
                    field,
                    format!("must be a relative path under `{}`", under.display()),
                ));
            }
        }
        if let Some(board) = &self.leaderboard
            && !names_a_subpath(board)
        {
            problems.push((
                "leaderboard",
                "must be a relative path to a file inside the task directory".to_owned(),
            ));
        }
        problems
    }
}

/// What is wrong with grading `targets` by `id`: the id among the targets grades the
/// sample submission's ids against themselves (a perfect score), a repeated target
/// counts twice.
pub fn column_problem(id: &str, targets: &[String]) -> Option<String> {
    if targets.iter().any(|t| t == id) {
        return Some(format!(
            "names the id column `{id}`; targets are the columns graded against the answers"
        ));
    }
    let mut seen = std::collections::HashSet::new();
    targets
        .iter()
        .find(|t| !seen.insert(t.as_str()))
        .map(|t| format!("names `{t}` twice"))
}

/// Relative, free of `..`, and naming something below the task directory (not `''` or
/// `.`, which are the directory itself), so it cannot leave the task directory nor
/// stand for all of it.
pub fn names_a_subpath(path: &Path) -> bool {
    path.components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
        && path.components().any(|c| matches!(c, Component::Normal(_)))
}
