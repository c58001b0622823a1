//! What the controller asks of an executor, and what it hears back. The controller
//! never knows whether a run is a child process or a Kubernetes Job.

use std::path::PathBuf;

use crate::bench::Resources;

/// Identifies one (task, seed) run of a run group.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RunKey {
    pub task: String,
    pub seed: u64,
}

/// Everything an executor needs to start one attempt of one run.
#[derive(Debug, Clone)]
pub struct LaunchSpec {
    pub run_id: String,
    pub key: RunKey,
    /// 1-based.
    pub attempt: u32,
    /// Arguments after `aide-fleet agent` (settings, `--steps`, `--model`, ...), without
    /// `--task-dir`, `--out`, `--store` and `--resume`, which each executor adds for
    /// its own filesystem.
    pub agent_args: Vec<String>,
    /// The task's public directory on the controller's machine.
    pub public_dir: PathBuf,
    /// Continue from the checkpoint in the store.
    pub resume: bool,
    pub resources: Option<Resources>,
    /// Wall clock of the search, for deadlines.
    pub time_limit_s: Option<f64>,
    /// The task's own container image (RE-Bench), if any.
    pub task_image: Option<String>,
}

/// How an attempt ended, as the executor saw it.
#[derive(Debug, Clone, PartialEq)]
pub enum ExitStatus {
    Succeeded,
    /// The agent failed; `fatal` when retrying cannot help (bad input, exit code 2).
    Failed {
        reason: String,
        fatal: bool,
    },
    /// The machine went away (eviction, preemption, node loss).
    Preempted {
        reason: String,
    },
    /// The agent could not reach its LLM endpoint: not the run's fault, and every other
    /// run would fail the same way.
    LlmUnreachable {
        reason: String,
    },
    /// Interrupted by the controller (second Ctrl-C).
    Cancelled,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExecEvent {
    Started { key: RunKey, executor_id: String },
    Exited { key: RunKey, status: ExitStatus },
}
