//! From a suite to the list of runs: one per (task, seed), each with the agent arguments
//! it will be launched with.

use crate::bench::{AgentSettings, Suite, Task, TaskKind};

use super::executor::RunKey;

/// One (task, seed) run of a run group.
#[derive(Debug, Clone)]
pub struct PlannedRun {
    pub key: RunKey,
    pub task: Task,
    /// Arguments after `aide-fleet agent`, without the paths each executor adds.
    pub agent_args: Vec<String>,
    pub gpus: u32,
    pub time_limit_s: Option<f64>,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{0}")]
    Tasks(String),
    #[error("task `{task}` is an RE-Bench task: its score command runs in the task's own container, which `aide-fleet run` does not drive yet; run MLE-bench or demo competitions")]
    Research { task: String },
    #[error("task `{task}` asks for {wanted} GPU(s) but this machine has {available} ({how}); lower `resources.gpus` in the suite or use --executor kube")]
    NotEnoughGpus {
        task: String,
        wanted: u32,
        available: usize,
        how: String,
    },
}

/// Flags for the suite's agent settings, in the agent's own vocabulary.
pub fn agent_args(settings: &AgentSettings, seed: u64) -> Vec<String> {
    let mut args = vec!["--seed".to_string(), seed.to_string()];
    let mut flag = |name: &str, value: Option<String>| {
        if let Some(v) = value {
            args.push(format!("--{name}"));
            args.push(v);
        }
    };
    flag("steps", settings.steps.map(|v| v.to_string()));
    flag(
        "time-limit",
        settings
            .time_limit
            .map(|d| d.as_duration().as_secs_f64().to_string()),
    );
    flag(
        "exec-timeout",
        settings
            .exec_timeout
            .map(|d| d.as_duration().as_secs_f64().to_string()),
    );
    flag("model", settings.model.clone());
    flag("feedback-model", settings.feedback_model.clone());
    flag("num-drafts", settings.num_drafts.map(|v| v.to_string()));
    flag("debug-prob", settings.debug_prob.map(|v| v.to_string()));
    flag(
        "max-debug-depth",
        settings.max_debug_depth.map(|v| v.to_string()),
    );
    flag("max-usd", settings.max_usd.map(|v| v.to_string()));
    args
}

/// Every (task, seed) of the suite, tasks in suite order, seeds inner.
pub fn plan(suite: &Suite, seeds: &[u64]) -> Result<Vec<PlannedRun>, PlanError> {
    let tasks = suite.tasks().map_err(|e| PlanError::Tasks(e.to_string()))?;
    let mut runs = Vec::new();
    for task in tasks {
        if let TaskKind::Research(_) = task.kind {
            return Err(PlanError::Research { task: task.id });
        }
        let gpus = suite.resources.as_ref().map_or(0, |r| r.gpus);
        for &seed in seeds {
            runs.push(PlannedRun {
                key: RunKey {
                    task: task.id.clone(),
                    seed,
                },
                task: task.clone(),
                agent_args: agent_args(&suite.agent, seed),
                gpus,
                time_limit_s: suite
                    .agent
                    .time_limit
                    .map(|d| d.as_duration().as_secs_f64()),
            });
        }
    }
    Ok(runs)
}
