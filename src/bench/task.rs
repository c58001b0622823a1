//! One benchmark task, resolved to paths and scoring rules: what the fleet plans runs over.

use std::path::PathBuf;

use crate::grade::MetricKind;

use super::rebench::ReScoring;
use super::{BenchError, Benchmark, Grader, HumanDuration, Resources};

#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    pub id: String,
    pub benchmark: Benchmark,
    pub kind: TaskKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TaskKind {
    /// Graded from a submission CSV against private answers (MLE-bench and MLE-style demos).
    Competition(Competition),
    /// Scored by a command in the task's environment (RE-Bench and RE-style demos).
    Research(Research),
}

/// A competition in MLE-bench's prepared layout.
#[derive(Debug, Clone, PartialEq)]
pub struct Competition {
    /// What the agent sees (read-only), including `description.md`.
    pub public_dir: PathBuf,
    /// Answers and grading files; never given to the agent.
    pub private_dir: PathBuf,
    pub answers: PathBuf,
    /// The configured sample submission. For five MLE-bench competitions it lies in the
    /// private directory, so never copy it to the agent without checking.
    pub sample_submission: PathBuf,
    pub metric: MetricKind,
    /// k of `map_at_k`.
    pub metric_k: Option<u32>,
    pub lower_is_better: bool,
    pub grader: Grader,
    /// `None` when no leaderboard exists (MLE-bench's ventilator-pressure-prediction): the run
    /// gets a score but no medal or percentile.
    pub leaderboard: Option<PathBuf>,
    /// Submission columns; known for natively graded competitions.
    pub columns: Option<Columns>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    pub id: String,
    /// Empty means every answers column but the id.
    pub targets: Vec<String>,
    /// Each target cell is a space-separated set of labels.
    pub multilabel: bool,
}

/// An environment in which the agent improves a solution and a score command rates it.
#[derive(Debug, Clone, PartialEq)]
pub struct Research {
    pub scoring: ReScoring,
    /// The task's own budget (RE-Bench: 8 h); a suite's `agent.time_limit` overrides it.
    pub time_limit: HumanDuration,
    /// The task's own resource needs; `None` means the suite's.
    pub resources: Option<Resources>,
    /// Container image the task runs in (RE-Bench).
    pub image: Option<String>,
    /// Directory holding the task's files when it runs without an image (demo tasks); its
    /// scorer is there, outside `public_dir`.
    pub dir: Option<PathBuf>,
    /// What the agent starts from: copied into its working directory.
    pub public_dir: Option<PathBuf>,
    /// Whether the task needs internet access.
    pub internet: bool,
    /// Environment variables the task needs from the host (API keys).
    pub required_env: Vec<String>,
}

impl Task {
    pub fn competition(&self) -> Option<&Competition> {
        match &self.kind {
            TaskKind::Competition(c) => Some(c),
            TaskKind::Research(_) => None,
        }
    }

    pub fn research(&self) -> Option<&Research> {
        match &self.kind {
            TaskKind::Research(r) => Some(r),
            TaskKind::Competition(_) => None,
        }
    }
}

impl Competition {
    /// Checks the prepared data the way MLE-bench's `is_dataset_prepared` does: both
    /// directories non-empty, answers and sample submission present.
    pub fn check_ready(&self) -> Result<(), BenchError> {
        use super::fs::{require_file, require_nonempty_dir};
        require_nonempty_dir(
            &self.public_dir,
            "the public data the agent sees (run `mlebench prepare`)",
        )?;
        require_nonempty_dir(
            &self.private_dir,
            "the private answers (run `mlebench prepare`)",
        )?;
        require_file(
            &self.answers,
            "the answers file named by the competition's metadata",
        )?;
        require_file(
            &self.sample_submission,
            "the sample submission named by the competition's metadata",
        )
    }
}
