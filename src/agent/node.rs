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
    /// Waiting for the LLM: every code and review call, failed ones included.
    pub llm_s: f64,
    /// The script: from its spawn (the sandboxed child's start included) to its exit.
    pub exec_s: f64,
    /// The syntax check of the model's code blocks (absent in older records): each
    /// request to the search's checker, and its start when a check starts one.
    #[serde(default)]
    pub check_s: f64,
    /// The whole step, from its start (before the policy draw) to the start of its
    /// record's final write: the LLM calls, the syntax checks, the script, the review,
    /// the node's submission copy, its first record, the best solution and submission on
    /// a new best, and `progress.json`. Not included: the final write of the record
    /// itself (one serialization and atomic rename, the same as the first write, which
    /// is) and the progress display after it.
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
    /// What makes this record contradict itself, as (field, what was expected): the
    /// invariants the search writes records with, checked when `--resume` reads them
    /// back. A negative `search_elapsed_s` would push the time limit back, a negative
    /// `cost_usd` lower the spend `--max-usd` is checked against, a buggy node with a
    /// metric could become the best node.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        let non_negative = |x: f64| x.is_finite() && x >= 0.0;
        if self.id.trim().is_empty() {
            return Some(("id", "expected a node id, found an empty one".into()));
        }
        match (self.stage, self.parent_step) {
            (Stage::Draft, Some(p)) => {
                return Some(("parent_step", format!("a draft has no parent, found {p}")));
            }
            (Stage::Improve | Stage::Debug, None) => {
                return Some((
                    "parent_step",
                    format!("an {} node has a parent, found none", self.stage.as_str()),
                ));
            }
            (_, Some(p)) if p >= self.step => {
                return Some((
                    "parent_step",
                    format!("expected an earlier step than {}, found {p}", self.step),
                ));
            }
            _ => {}
        }
        if self.stage != Stage::Debug && self.debug_depth != 0 {
            return Some((
                "debug_depth",
                format!(
                    "expected 0 for a {} node, found {}",
                    self.stage.as_str(),
                    self.debug_depth
                ),
            ));
        }
        if self.is_buggy == self.bug_reasons.is_empty() {
            return Some((
                "bug_reasons",
                if self.is_buggy {
                    "a buggy node names why, found no reason".into()
                } else {
                    "a node that is not buggy has no bug reasons".into()
                },
            ));
        }
        match self.metric {
            Some(m) if self.is_buggy => {
                return Some(("metric", format!("a buggy node has none, found {m}")));
            }
            Some(m) if !m.is_finite() => {
                return Some(("metric", format!("expected a finite number, found {m}")));
            }
            _ => {}
        }
        for (field, value) in [
            ("search_elapsed_s", self.search_elapsed_s),
            ("usage.cost_usd", self.usage.cost_usd),
            ("exec_time", self.exec_time),
            ("timing.llm_s", self.timing.llm_s),
            ("timing.exec_s", self.timing.exec_s),
            ("timing.check_s", self.timing.check_s),
            ("timing.total_s", self.timing.total_s),
        ] {
            if !non_negative(value) {
                return Some((
                    field,
                    format!("expected a finite number, zero or more, found {value}"),
                ));
            }
        }
        if !self.ctime.is_finite() {
            return Some((
                "ctime",
                format!("expected a Unix time, found {}", self.ctime),
            ));
        }
        None
    }

    /// The reason shown first in views: the most specific one.
    pub fn primary_bug(&self) -> Option<&BugReason> {
        self.bug_reasons.first()
    }
}
