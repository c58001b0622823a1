//! LLM settings as they appear under `llm:` in an agent config file.

use serde::{Deserialize, Serialize};

use super::PromptRole;

/// Which wire protocol to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// `claude-*` models use Anthropic's Messages API, everything else OpenAI-compatible
    /// Chat Completions.
    #[default]
    Auto,
    #[serde(rename = "openai")]
    OpenAi,
    Anthropic,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetryConfig {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    pub initial_delay_ms: u64,
    pub max_delay_ms: u64,
    /// Upper bound on the time spent waiting between attempts, all retries together.
    pub max_total_ms: u64,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            initial_delay_ms: 1_000,
            max_delay_ms: 60_000,
            max_total_ms: 600_000,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LlmConfig {
    pub provider: ProviderKind,
    /// Overrides `OPENAI_BASE_URL` / `ANTHROPIC_BASE_URL`.
    pub base_url: Option<String>,
    pub prompt_role: PromptRole,
    /// Per-request timeout in seconds; a timeout counts as a transient error.
    pub request_timeout_s: f64,
    pub max_tokens: Option<u32>,
    pub retry: RetryConfig,
    /// A YAML pricing table replacing the built-in one.
    pub pricing_file: Option<std::path::PathBuf>,
}

impl Default for LlmConfig {
    fn default() -> Self {
        Self {
            provider: ProviderKind::Auto,
            base_url: None,
            prompt_role: PromptRole::System,
            request_timeout_s: 600.0,
            max_tokens: None,
            retry: RetryConfig::default(),
            pricing_file: None,
        }
    }
}
