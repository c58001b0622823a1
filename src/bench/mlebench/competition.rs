//! One entry of `benchmarks/mle-bench/competitions.yaml`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::bench::Grader;
use crate::grade::MetricKind;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MleCompetition {
    pub id: String,
    pub name: String,
    pub split: Complexity,
    pub metric: MetricKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_k: Option<u32>,
    /// What the grade function computes, in words.
    pub metric_description: String,
    pub lower_is_better: bool,
    pub grader: Grader,
    /// Column holding the row ids; required when `grader` is native.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_column: Option<String>,
    /// Columns the metric reads; empty means every answers column but the id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub target_columns: Vec<String>,
    /// Each target cell is a space-separated set of labels (multilabel micro F1).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub multilabel: bool,
    /// MLE-bench's grade function, `module:function`.
    pub grade_fn: String,
    /// MLE-bench's free-text `grader.name`; wrong for some competitions, so informational only.
    pub grader_label: String,
    /// Relative to the prepared data root.
    pub answers: PathBuf,
    pub sample_submission: PathBuf,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gold_submission: Option<PathBuf>,
    /// Rows of the leaderboard; `None` when there is no verified leaderboard.
    pub leaderboard_teams: Option<u32>,
}

/// MLE-bench's complexity split; `low` is MLE-bench Lite, `dev` competitions are not scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Complexity {
    Low,
    Medium,
    High,
    Dev,
}

impl MleCompetition {
    /// What is wrong with this entry, as (field relative to the entry, message).
    pub(crate) fn problems(&self) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        match (&self.grader, self.metric) {
            (Grader::Native, MetricKind::External) => problems.push((
                "grader",
                "is `native`, but `metric` is `external`; expected `{external: <command>}`"
                    .to_owned(),
            )),
            (Grader::External(_), m) if m != MetricKind::External => problems.push((
                "grader",
                "is external, but `metric` names a native metric; expected `native`".to_owned(),
            )),
            (Grader::External(argv), _) if argv.is_empty() => {
                problems.push(("grader", "has an empty external command".to_owned()))
            }
            _ => {}
        }
        if self.grader == Grader::Native && self.id_column.is_none() {
            problems.push((
                "id_column",
                "is required when `grader` is `native`".to_owned(),
            ));
        }
        if self.multilabel && self.metric != MetricKind::F1Micro {
            problems.push((
                "multilabel",
                "is only meaningful when `metric` is `f1_micro`".to_owned(),
            ));
        }
        match (self.metric, self.metric_k) {
            (MetricKind::MapAtK, None) => problems.push((
                "metric_k",
                "is required when `metric` is `map_at_k`".to_owned(),
            )),
            (MetricKind::MapAtK, Some(0)) => {
                problems.push(("metric_k", "must be at least 1".to_owned()))
            }
            (m, Some(_)) if m != MetricKind::MapAtK => problems.push((
                "metric_k",
                "is only meaningful when `metric` is `map_at_k`".to_owned(),
            )),
            _ => {}
        }
        let private = PathBuf::from(&self.id).join("prepared").join("private");
        if !self.answers.starts_with(&private) {
            problems.push(("answers", format!("must lie under `{}`", private.display())));
        }
        problems
    }
}
