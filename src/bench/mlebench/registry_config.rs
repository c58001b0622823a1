//! A competition's `config.yaml` in an MLE-bench registry checkout.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Unknown keys are ignored: the file belongs to MLE-bench, which may add some.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompetitionConfig {
    pub id: String,
    pub name: String,
    pub competition_type: CompetitionType,
    /// Informational: MLE-bench computes medals for every competition.
    pub awards_medals: bool,
    pub prizes: Option<Vec<Prize>>,
    /// Relative to the registry checkout's root.
    pub description: PathBuf,
    pub dataset: DatasetConfig,
    pub grader: GraderConfig,
    #[serde(default)]
    pub preparer: Option<String>,
}

/// Kaggle's kind of competition; informational only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompetitionType {
    Simple,
    Code,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prize {
    pub position: PrizePosition,
    /// US dollars.
    pub value: u64,
}

/// A rank, or the title of a special prize ("TPU Star 1").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PrizePosition {
    Rank(u32),
    Title(String),
}

/// Paths relative to the prepared data root.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetConfig {
    pub answers: PathBuf,
    pub sample_submission: PathBuf,
    /// Defaults to `answers` in MLE-bench.
    #[serde(default)]
    pub gold_submission: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraderConfig {
    /// Free-text label, wrong for some competitions: never pick a metric from it.
    pub name: String,
    /// `module:function`.
    pub grade_fn: String,
}
