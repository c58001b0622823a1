//! One node of the search tree: one Python script, its execution and its verdict.

use serde::{Deserialize, Serialize};

use super::sandbox::Enforcement;
use crate::llm::Usage;

/// How a node came to be, derived from its parent as in AIDE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Draft,
    Improve,
    Debug,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Draft => "draft",
            Stage::Improve => "improve",
            Stage::Debug => "debug",
        }
    }
}

/// Why a node counts as buggy. Kept apart from the reviewer's prose so that users
/// (and reports) can tell a crash from a missing file from a reviewer's opinion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BugKind {
    /// The reviewer said the run failed.
    Reviewer,
    /// The script raised an exception.
    Exception,
    /// The script ran past its time limit.
    Timeout,
    /// No `./submission/submission.csv` was written.
    MissingSubmission,
    /// The submission does not match the task's public sample submission.
    InvalidSubmission,
    /// The reviewer reported no usable metric.
    NoMetric,
    /// The reviewer gave no usable verdict within the retry budget.
    ReviewFailed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BugReason {
    pub kind: BugKind,
    pub detail: String,
}

/// One exception frame: file, line, function, source text (AIDE's `exc_stack` entry).
pub type Frame = (String, u32, String, String);

/// Tokens and dollars spent on one node, split by the two model roles.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeUsage {
    pub code: Usage,
    pub feedback: Usage,
    pub cost_usd: f64,
    /// Calls whose model had no price in the pricing table.
    pub unpriced_calls: u32,
}

/// Where one step's wall time went; the rest is the agent's own overhead.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct StepTiming {
    pub llm_s: f64,
    pub exec_s: f64,
    /// The Python syntax check of the model's code blocks (absent in older records).
    #[serde(default)]
    pub check_s: f64,
    pub total_s: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub id: String,
    /// Index in creation order, from 0.
    pub step: usize,
    pub parent_step: Option<usize>,
    pub stage: Stage,
    /// Consecutive debug steps ending at this node (0 unless the stage is debug).
    pub debug_depth: u32,
    /// Unix time at creation.
    pub ctime: f64,
    pub plan: String,
    pub code: String,
    /// Captured stdout and stderr, already truncated, then a status line.
    pub term_out: Vec<String>,
    pub exec_time: f64,
    pub exc_type: Option<String>,
    pub exc_info: Option<serde_json::Value>,
    pub exc_stack: Option<Vec<Frame>>,
    /// The reviewer's summary.
    pub analysis: String,
    /// The validation metric; `None` when buggy.
    pub metric: Option<f64>,
    /// What the reviewer claimed about the metric's direction, kept to log disagreements.
    pub reviewer_lower_is_better: Option<bool>,
    pub is_buggy: bool,
    pub bug_reasons: Vec<BugReason>,
    pub has_submission: bool,
    pub usage: NodeUsage,
    pub timing: StepTiming,
    /// Search wall time consumed when this node completed; resume continues from it.
    pub search_elapsed_s: f64,
    /// What the sandbox enforced on this node's script (absent in older records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<Enforcement>,
}

impl Node {
    /// The reason shown first in views: the most specific one.
    pub fn primary_bug(&self) -> Option<&BugReason> {
        self.bug_reasons.first()
    }
}
