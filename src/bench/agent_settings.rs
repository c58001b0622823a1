//! The `agent:` section of a suite: settings passed to every AIDE search of the suite. Each is
//! optional; an absent one keeps the agent's default.

use serde::{Deserialize, Serialize};

use super::HumanDuration;
use crate::agent::SandboxMode;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentSettings {
    /// Nodes (scripts) to create in all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<u32>,
    /// Wall-clock budget of one search; overrides an RE-Bench task's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_limit: Option<HumanDuration>,
    /// Limit on one script's run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exec_timeout: Option<HumanDuration>,
    /// Model that plans and writes code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Model that reviews execution output (needs tool calls).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback_model: Option<String>,
    /// Initial drafts before improving.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_drafts: Option<u32>,
    /// Probability of debugging a buggy leaf rather than improving the best node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub debug_prob: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_debug_depth: Option<u32>,
    /// Stop when the LLM spend of one search reaches this many US dollars.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_usd: Option<f64>,
    /// Cap on the tokens of one answer (small local models ramble without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// The scripts' sandbox: `required` (a run that cannot have all of it fails to start),
    /// `best-effort` (the agent's default) or `off`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<SandboxMode>,
    /// `false` blocks scripts' TCP connections (refused where it cannot be enforced).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<bool>,
}

impl AgentSettings {
    /// Spells values the way the agent's flags read them: a `debug_prob` of `-0.0` is
    /// `0` (printed as `-0`, the agent's command line would take it for a flag).
    pub(crate) fn normalize(&mut self) {
        self.debug_prob = self.debug_prob.map(|p| p + 0.0);
    }

    /// What is wrong with these values, as (field relative to `agent`, message).
    pub(crate) fn problems(&self) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        for (field, value) in [
            ("steps", self.steps),
            ("num_drafts", self.num_drafts),
            ("max_tokens", self.max_tokens),
        ] {
            if value == Some(0) {
                problems.push((field, "must be at least 1".to_owned()));
            }
        }
        for (field, value) in [
            ("time_limit", self.time_limit),
            ("exec_timeout", self.exec_timeout),
        ] {
            if value.is_some_and(|d| d.as_duration().is_zero()) {
                problems.push((field, "must be longer than 0s".to_owned()));
            }
        }
        for (field, value) in [
            ("model", &self.model),
            ("feedback_model", &self.feedback_model),
        ] {
            match value.as_deref() {
                Some(m) if m.trim().is_empty() => {
                    problems.push((field, "must not be empty".to_owned()));
                }
                // The agent's command line would read it as a flag.
                Some(m) if m.starts_with('-') => {
                    problems.push((field, format!("must not start with `-`, found `{m}`")));
                }
                _ => {}
            }
        }
        if let Some(p) = self.debug_prob
            && !(0.0..=1.0).contains(&p)
        {
            problems.push(("debug_prob", format!("must be between 0 and 1, found {p}")));
        }
        if let Some(usd) = self.max_usd
            && !(usd.is_finite() && usd > 0.0)
        {
            problems.push(("max_usd", format!("must be a positive number, found {usd}")));
        }
        if self.network == Some(false) && self.sandbox == Some(SandboxMode::Off) {
            problems.push((
                "network",
                "`false` needs the sandbox (sandbox: best-effort or required)".to_owned(),
            ));
        }
        problems
    }
}
