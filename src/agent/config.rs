//! The agent's settings: defaults as in AIDE, overridden by a YAML config file, then by
//! flags. The resolved config is saved with the run so `--resume` continues with it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::policy::SearchConfig;
use crate::duration;
use crate::llm::LlmConfig;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct AgentConfig {
    /// Seeds every random choice of the search (policy, node ids, prompt shuffles).
    pub seed: u64,
    pub search: SearchConfig,
    pub prompt: PromptConfig,
    pub models: ModelConfig,
    pub exec: ExecConfig,
    pub budget: BudgetConfig,
    pub review: ReviewConfig,
    pub task: TaskConfig,
    pub llm: LlmConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TaskConfig {
    /// Scripts must write `./submission/submission.csv` (MLE-bench). Off for tasks judged
    /// some other way (RE-Bench: the script itself is the solution).
    pub require_submission: bool,
}

impl Default for TaskConfig {
    fn default() -> Self {
        Self {
            require_submission: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PromptConfig {
    /// Ask for k-fold cross-validation when it fits (1 disables the hint).
    pub k_fold_validation: u32,
    /// Include the data overview in draft and debug prompts.
    pub data_preview: bool,
}

impl Default for PromptConfig {
    fn default() -> Self {
        Self {
            k_fold_validation: 5,
            data_preview: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelConfig {
    /// Writes plans and code (draft, improve, debug).
    pub code: String,
    pub code_temperature: Option<f64>,
    /// Reviews executions; must support tool calls or answer in JSON.
    pub feedback: String,
    pub feedback_temperature: Option<f64>,
}

impl Default for ModelConfig {
    fn default() -> Self {
        Self {
            code: "o4-mini".to_string(),
            code_temperature: Some(0.5),
            feedback: "gpt-4.1-mini".to_string(),
            feedback_temperature: Some(0.5),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExecConfig {
    /// Wall-clock limit of one script, in seconds.
    pub timeout_s: f64,
    /// Seconds between SIGINT at the limit and SIGKILL of the script's process group.
    pub grace_s: f64,
    /// The Python that runs scripts; default: the project's `.venv`, else `python3`.
    pub python: Option<PathBuf>,
    /// Address-space cap of a script, in MiB.
    pub memory_limit_mb: Option<u64>,
    /// Extra environment variables scripts may see, beyond the built-in allowlist.
    pub env_allow: Vec<String>,
    /// Copy the task data into the workspace instead of symlinking it.
    pub copy_data: bool,
    /// The sandbox of scripts and of their syntax check: `required` refuses to start
    /// without all of it, `best-effort` enforces what the kernel supports and warns about
    /// the rest, `off` runs scripts with the agent's own access.
    pub sandbox: SandboxMode,
    /// Scripts may open TCP connections; `false` blocks TCP bind and connect (Landlock
    /// ABI 4), and is refused where that cannot be enforced.
    pub network: bool,
    /// Extra directories scripts may read (model caches, shared datasets).
    pub read_paths: Vec<PathBuf>,
}

/// How much of the sandbox a search insists on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SandboxMode {
    Required,
    #[default]
    BestEffort,
    Off,
}

impl SandboxMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SandboxMode::Required => "required",
            SandboxMode::BestEffort => "best-effort",
            SandboxMode::Off => "off",
        }
    }
}

impl Default for ExecConfig {
    fn default() -> Self {
        Self {
            timeout_s: 3600.0,
            grace_s: 5.0,
            python: None,
            memory_limit_mb: None,
            env_allow: Vec::new(),
            copy_data: false,
            sandbox: SandboxMode::BestEffort,
            network: true,
            read_paths: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct BudgetConfig {
    /// Wall clock for the whole search, in seconds.
    pub time_limit_s: Option<f64>,
    /// Stop before a step once this many USD are spent.
    pub max_usd: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReviewConfig {
    /// Review attempts before the node is marked buggy with reason `review_failed`.
    pub max_attempts: u32,
    /// Fixes the metric direction; otherwise the first good node's reviewer decides.
    pub lower_is_better: Option<bool>,
}

impl Default for ReviewConfig {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            lower_is_better: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {cause}")]
    Read {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("invalid setting `{field}`: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
}

impl AgentConfig {
    pub fn from_yaml_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|cause| ConfigError::Read {
            path: path.to_path_buf(),
            cause,
        })?;
        serde_saphyr::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }

    /// Checks ranges that serde cannot. Every duration is checked against
    /// [`duration::MAX`], so that the search and the interpreter can turn each into a
    /// `Duration` and a deadline without a panic, whether it came from a flag, a config
    /// file or a resumed run's `run.json`.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |field, message: &str| {
            Err(ConfigError::Invalid {
                field,
                message: message.to_string(),
            })
        };
        if !(0.0..=1.0).contains(&self.search.debug_prob) {
            return invalid("search.debug_prob", "expected a probability in [0, 1]");
        }
        let positive = "expected a positive number of seconds, at most 366 days";
        let seconds = |secs: f64| duration::from_secs_f64(secs).ok();
        if seconds(self.exec.timeout_s).is_none_or(|d| d.is_zero()) {
            return invalid("exec.timeout_s", positive);
        }
        if seconds(self.exec.grace_s).is_none() {
            return invalid(
                "exec.grace_s",
                "expected zero or more seconds, at most 366 days",
            );
        }
        if self
            .budget
            .time_limit_s
            .is_some_and(|t| seconds(t).is_none_or(|d| d.is_zero()))
        {
            return invalid("budget.time_limit_s", positive);
        }
        if seconds(self.llm.request_timeout_s).is_none_or(|d| d.is_zero()) {
            return invalid("llm.request_timeout_s", positive);
        }
        let retry = &self.llm.retry;
        for (field, ms) in [
            ("llm.retry.initial_delay_ms", retry.initial_delay_ms),
            ("llm.retry.max_delay_ms", retry.max_delay_ms),
            ("llm.retry.max_total_ms", retry.max_total_ms),
        ] {
            if ms / 1000 > duration::MAX_SECS {
                return invalid(field, "expected at most 366 days in milliseconds");
            }
        }

        if self.budget.max_usd.is_some_and(|u| u.is_nan() || u < 0.0) {
            return invalid("budget.max_usd", "expected zero or more USD");
        }
        if !self.exec.network && self.exec.sandbox == SandboxMode::Off {
            return invalid(
                "exec.network",
                "`false` needs the sandbox (exec.sandbox: best-effort or required); it is never ignored",
            );
        }
        if self.review.max_attempts == 0 {
            return invalid("review.max_attempts", "expected at least 1");
        }
        if self.models.code.trim().is_empty() || self.models.feedback.trim().is_empty() {
            return invalid("models", "model names must not be empty");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_reference_defaults() {
        let c = AgentConfig::default();
        assert_eq!(c.search.steps, 20);
        assert_eq!(c.search.num_drafts, 5);
        assert_eq!(c.search.debug_prob, 0.5);
        assert_eq!(c.search.max_debug_depth, 3);
        assert_eq!(c.prompt.k_fold_validation, 5);
        assert_eq!(c.exec.timeout_s, 3600.0);
    }

    #[test]
    fn partial_yaml_keeps_other_defaults_and_unknown_fields_fail() {
        let c: AgentConfig = serde_saphyr::from_str("search:\n  steps: 7\n").unwrap();
        assert_eq!(c.search.steps, 7);
        assert_eq!(c.search.num_drafts, 5);
        let err = serde_saphyr::from_str::<AgentConfig>("search:\n  stpes: 7\n").unwrap_err();
        assert!(err.to_string().contains("stpes"), "{err}");
    }

    #[test]
    fn the_sandbox_is_best_effort_by_default_and_network_false_needs_it() {
        let c: AgentConfig = serde_saphyr::from_str("exec:\n  sandbox: required\n").unwrap();
        assert_eq!(c.exec.sandbox, SandboxMode::Required);
        assert_eq!(AgentConfig::default().exec.sandbox, SandboxMode::BestEffort);
        let c: AgentConfig =
            serde_saphyr::from_str("exec:\n  sandbox: off\n  network: false\n").unwrap();
        let err = c.validate().unwrap_err().to_string();
        assert!(err.contains("exec.network"), "{err}");
        assert!(serde_saphyr::from_str::<AgentConfig>("exec:\n  sandbox: maybe\n").is_err());
    }

    #[test]
    fn out_of_range_values_are_named() {
        let mut c = AgentConfig::default();
        c.search.debug_prob = 1.5;
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("search.debug_prob")
        );
    }
}
