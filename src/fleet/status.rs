//! `status.json`: the state of one (task, seed) run, kept in the store. The controller
//! is its only writer; `aide-fleet status` and reports read it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    Pending,
    Running,
    Succeeded,
    Failed,
}

/// How one attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    Succeeded,
    /// The agent or its pod failed; retried while attempts remain.
    Failed,
    /// The node went away (eviction, preemption); resumed from the checkpoint, and not
    /// counted against the retry limit.
    Preempted,
    /// Cancelled by the user (second Ctrl-C).
    Cancelled,
    /// The agent could not reach its LLM endpoint; not counted against the retry limit.
    LlmUnreachable,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    pub number: u32,
    /// `local` or `kube`.
    pub executor: String,
    /// `pid 1234` or `job <name>`.
    pub executor_id: Option<String>,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub outcome: Option<AttemptOutcome>,
    /// Why it failed: `exit code 4: the LLM failed ...`, `OOMKilled`, `Evicted: ...`.
    pub reason: Option<String>,
    /// The failure is one retrying cannot fix (bad input): the run is not retried.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fatal: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunStatus {
    pub run_id: String,
    pub task: String,
    pub seed: u64,
    pub state: RunState,
    pub attempts: Vec<Attempt>,
    /// GPU indices given to the latest attempt (local executor).
    #[serde(default)]
    pub gpus: Vec<u32>,
    /// From the agent's progress.json.
    pub step: Option<usize>,
    pub steps: Option<usize>,
    pub best_metric: Option<f64>,
    pub elapsed_s: Option<f64>,
    pub cost_usd: Option<f64>,
    pub updated_at: String,
    /// How many times the controller has written this file: the run-group index records
    /// it, so a rebuild tells an index that fell behind from a file edited by hand.
    /// 0 in files written before it was counted.
    #[serde(default)]
    pub generation: u64,
    /// Set on a run imported from another tool's log directory (`aide-fleet
    /// import-aideml`): nothing ran here, and an import may replace it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imported: Option<Imported>,
}

/// Where an imported run came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Imported {
    /// The tool that ran it: `aideml`.
    pub from: String,
    /// Its log directory, as it was given.
    pub source: String,
    pub imported_at: String,
}

impl RunStatus {
    /// A run that has never started.
    pub fn pending(run_id: &str, task: &str, seed: u64, now: String) -> RunStatus {
        RunStatus {
            run_id: run_id.to_owned(),
            task: task.to_owned(),
            seed,
            state: RunState::Pending,
            attempts: Vec::new(),
            gpus: Vec::new(),
            step: None,
            steps: None,
            best_metric: None,
            elapsed_s: None,
            cost_usd: None,
            updated_at: now,
            generation: 0,
            imported: None,
        }
    }

    pub fn key(&self) -> super::RunKey {
        super::RunKey {
            task: self.task.clone(),
            seed: self.seed,
        }
    }

    /// Attempts charged against the retry limit.
    pub fn failures(&self) -> u32 {
        self.attempts
            .iter()
            .filter(|a| a.outcome == Some(AttemptOutcome::Failed))
            .count() as u32
    }
}
