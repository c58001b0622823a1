//! What grading one competition needs, in a shape task manifests can fill.

use std::path::PathBuf;
use std::time::Duration;

use super::leaderboard::Leaderboard;
use super::metric_kind::MetricKind;

/// One competition to grade submissions for.
#[derive(Debug, Clone)]
pub struct GradeTask {
    pub competition_id: String,
    pub metric: MetricKind,
    /// Private answers CSV (for external graders: whatever `{answers}` should name).
    pub answers: PathBuf,
    /// Column holding the row ids, in both answers and submission.
    pub id_column: String,
    /// Answer columns the metric reads; empty means every answers column but the id.
    pub target_columns: Vec<String>,
    /// Medals, median and percentile come from here; without one the report's thresholds
    /// are null and no medal is awarded.
    pub leaderboard: Option<Leaderboard>,
    /// The report's `is_lower_better` when there is no leaderboard (MLE-bench takes the
    /// direction from the leaderboard); `None` falls back to the metric's own direction.
    pub lower_is_better: Option<bool>,
    pub options: MetricOptions,
    /// The command that grades when `metric` is [`MetricKind::External`].
    pub external: Option<ExternalGrader>,
}

/// Settings some metrics need.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetricOptions {
    /// k of MAP@k (required for [`MetricKind::MapAtK`]).
    pub metric_k: Option<u32>,
    /// The positive class of binary F1; default `1`.
    pub pos_label: Option<String>,
    /// Micro F1 over space-separated label sets per cell (multilabel tasks such as
    /// plant-pathology-2021) instead of one label per cell.
    pub multilabel: bool,
}

/// A grader command: argv, no shell. In every argument `{submission}`, `{answers}` and
/// `{data_dir}` are replaced by the paths. It prints the score on the last line of stdout,
/// as a bare number or as JSON (`0.87` or `{"score": 0.87}`). To run a shell snippet, pass
/// the paths as positional parameters so they stay quoted:
/// `["sh", "-c", "grade.py \"$1\"", "sh", "{submission}"]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalGrader {
    pub command: Vec<String>,
    /// Killed (with its process group) after this long.
    pub timeout: Duration,
    /// What `{data_dir}` stands for (MLE-bench's prepared data root).
    pub data_dir: Option<PathBuf>,
}

impl GradeTask {
    /// A task with the common defaults: targets from the answers, no leaderboard, no
    /// options, no external grader.
    pub fn new(
        competition_id: impl Into<String>,
        metric: MetricKind,
        answers: impl Into<PathBuf>,
        id_column: impl Into<String>,
    ) -> Self {
        GradeTask {
            competition_id: competition_id.into(),
            metric,
            answers: answers.into(),
            id_column: id_column.into(),
            target_columns: Vec::new(),
            leaderboard: None,
            lower_is_better: None,
            options: MetricOptions::default(),
            external: None,
        }
    }
}
