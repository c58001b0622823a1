//! From a suite to the list of runs: one per (task, seed), each with the agent arguments
//! it will be launched with.

use crate::bench::{AgentSettings, BenchError, Resources, Suite, Task, TaskKind};

use super::executor::{LaunchSpec, RunKey};

/// One (task, seed) run of a run group.
#[derive(Debug, Clone)]
pub struct PlannedRun {
    pub key: RunKey,
    pub task: Task,
    /// Arguments after `aide-fleet agent`, without the paths each executor adds.
    pub agent_args: Vec<String>,
    pub gpus: u32,
    pub resources: Option<Resources>,
    pub time_limit_s: Option<f64>,
    /// The task's own container image (RE-Bench).
    pub task_image: Option<String>,
}

impl PlannedRun {
    /// What an executor gets for one attempt of this run.
    pub fn launch_spec(&self, run_id: &str, attempt: u32, resume: bool) -> LaunchSpec {
        let public_dir = match &self.task.kind {
            TaskKind::Competition(c) => c.public_dir.clone(),
            TaskKind::Research(r) => r.public_dir.clone().unwrap_or_default(),
        };
        LaunchSpec {
            run_id: run_id.to_string(),
            key: self.key.clone(),
            attempt,
            agent_args: self.agent_args.clone(),
            public_dir,
            resume,
            resources: self.resources.clone(),
            time_limit_s: self.time_limit_s,
            task_image: self.task_image.clone(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// A task of the suite could not be loaded (its manifest, data or id).
    #[error("{0}")]
    Tasks(BenchError),
    #[error(
        "task `{task}` runs in its own container image ({image}); the local executor cannot run it: use the Kubernetes executor"
    )]
    NeedsImage { task: String, image: String },
    #[error(
        "task `{task}` asks for {wanted} GPU(s) but this machine has {available} ({how}); lower `resources.gpus` in the suite or use --executor kube"
    )]
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
    flag("max-tokens", settings.max_tokens.map(|v| v.to_string()));
    flag("sandbox", settings.sandbox.map(|m| m.as_str().to_string()));
    if settings.network == Some(false) {
        args.push("--no-network".to_string());
    }
    args
}

/// Every (task, seed) of the suite, tasks in suite order, seeds inner.
pub fn plan(suite: &Suite, seeds: &[u64], local: bool) -> Result<Vec<PlannedRun>, PlanError> {
    let tasks = suite.tasks().map_err(PlanError::Tasks)?;
    let mut runs = Vec::new();
    for task in tasks {
        let suite_limit = suite
            .agent
            .time_limit
            .map(|d| d.as_duration().as_secs_f64());
        let (time_limit_s, resources) = match &task.kind {
            TaskKind::Research(r) => {
                if let (true, None, Some(image)) = (local, &r.dir, &r.image) {
                    return Err(PlanError::NeedsImage {
                        task: task.id.clone(),
                        image: image.clone(),
                    });
                }
                (
                    suite_limit.or(Some(r.time_limit.as_duration().as_secs_f64())),
                    r.resources.as_ref().or(suite.resources.as_ref()),
                )
            }
            TaskKind::Competition(_) => (suite_limit, suite.resources.as_ref()),
        };
        let gpus = resources.map_or(0, |r| r.gpus);
        for &seed in seeds {
            let mut args = agent_args(&suite.agent, seed);
            if let TaskKind::Research(_) = task.kind {
                // The script is the solution: no submission file, and the task's own budget.
                args.push("--no-submission".to_string());
                if suite_limit.is_none()
                    && let Some(limit) = time_limit_s
                {
                    args.extend(["--time-limit".to_string(), limit.to_string()]);
                }
            }
            runs.push(PlannedRun {
                key: RunKey {
                    task: task.id.clone(),
                    seed,
                },
                task: task.clone(),
                agent_args: args,
                gpus,
                resources: resources.cloned(),
                time_limit_s,
                task_image: task.research().and_then(|r| r.image.clone()),
            });
        }
    }
    Ok(runs)
}
