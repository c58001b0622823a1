//! The provider-neutral request and response types.

use serde::{Deserialize, Serialize};

/// Which chat role carries the compiled prompt. AIDE sends its whole prompt as one
/// system message; some servers (and Anthropic) need a user turn instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum PromptRole {
    #[default]
    System,
    User,
}

/// A function the model is forced to call (AIDE's `submit_review`).
#[derive(Debug, Clone, PartialEq)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    /// JSON schema of the arguments.
    pub parameters: serde_json::Value,
}

/// One single-turn chat request.
#[derive(Debug, Clone)]
pub struct ChatRequest {
    pub model: String,
    /// The compiled markdown prompt.
    pub prompt: String,
    pub prompt_role: PromptRole,
    pub temperature: Option<f64>,
    pub max_tokens: Option<u32>,
    /// When set, the request forces a call of this tool.
    pub tool: Option<ToolSpec>,
}

/// A tool call as the model sent it; `arguments` is the raw JSON text, unparsed,
/// because models send malformed arguments and the caller decides what to do then.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    pub name: String,
    pub arguments: String,
}

/// Token counts read from a response.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
}

impl Usage {
    pub fn add(&mut self, other: Usage) {
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
    }
}

/// What one successful call returned.
#[derive(Debug, Clone)]
pub struct Completion {
    /// Text content (empty when the model only called a tool).
    pub text: String,
    pub tool_call: Option<ToolCall>,
    pub usage: Usage,
    /// Cost of this call in USD; `None` when the pricing table does not know the model.
    pub cost_usd: Option<f64>,
}

#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    /// The provider refused the request in a way retrying cannot fix (401, 403, 404, 400).
    #[error("{provider} answered {status} for model `{model}`: {message}")]
    Fatal {
        provider: &'static str,
        model: String,
        status: u16,
        message: String,
    },
    /// 429, 5xx or timeouts until the retry budget ran out.
    #[error("{provider} failed after {attempts} attempts over {elapsed_s:.1}s; last error: {last}")]
    RetriesExhausted {
        provider: &'static str,
        attempts: u32,
        elapsed_s: f64,
        last: String,
    },
    /// No connection to the endpoint through every retry (nothing listens there, or
    /// nothing routes to it): every other request to it would fail the same way.
    #[error(
        "{provider} endpoint {url} could not be reached after {attempts} attempts over {elapsed_s:.1}s: {last}"
    )]
    Unreachable {
        provider: &'static str,
        url: String,
        attempts: u32,
        elapsed_s: f64,
        last: String,
    },
    /// Bad configuration: missing key, bad base URL.
    #[error("LLM configuration: {0}")]
    Config(String),
}

impl LlmError {
    /// Bad settings are bad input (2); a provider that refused or stayed unavailable is 4;
    /// an endpoint nothing answers at is 6, which the controller does not charge.
    pub fn exit_code(&self) -> u8 {
        use crate::exit_codes::{LLM, LLM_UNREACHABLE, USAGE};
        match self {
            LlmError::Config(_) => USAGE,
            LlmError::Unreachable { .. } => LLM_UNREACHABLE,
            LlmError::Fatal { .. } | LlmError::RetriesExhausted { .. } => LLM,
        }
    }

    /// Whether the provider refused the request because the prompt (plus the answer's
    /// token budget) does not fit the model's context window. Providers say so only in
    /// words: OpenAI, vLLM and llama.cpp ("maximum context length"), OpenAI's error code
    /// (`context_length_exceeded`), Anthropic ("prompt is too long"), llama.cpp's own
    /// server ("exceeds the available context size"), TGI ("must be <= N" tokens).
    pub fn is_context_overflow(&self) -> bool {
        let LlmError::Fatal {
            status, message, ..
        } = self
        else {
            return false;
        };
        let m = message.to_lowercase();
        let tgi = m.contains("tokens") && m.contains("must be <=");
        matches!(status, 400 | 413)
            && (tgi
                || [
                    "maximum context length",
                    "context_length_exceeded",
                    "context length",
                    "context window",
                    "prompt is too long",
                    "exceeds the available context",
                    "input is too long",
                    "too many tokens",
                ]
                .iter()
                .any(|p| m.contains(p)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fatal(status: u16, message: &str) -> LlmError {
        LlmError::Fatal {
            provider: "openai",
            model: "m".into(),
            status,
            message: message.into(),
        }
    }

    #[test]
    fn context_overflow_is_recognised_in_each_provider_s_words() {
        for message in [
            "This model's maximum context length is 8192 tokens. However, you requested 22129 tokens (21873 in the messages, 256 in the completion).",
            "context_length_exceeded: Your input exceeds the context window of this model.",
            "prompt is too long: 210000 tokens > 200000 maximum",
            "the request exceeds the available context size, try increasing it",
            "Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096. Given: 5000",
        ] {
            assert!(fatal(400, message).is_context_overflow(), "{message}");
        }
    }

    #[test]
    fn other_refusals_are_not_context_overflow() {
        assert!(!fatal(400, "tools are not supported").is_context_overflow());
        assert!(!fatal(401, "maximum context length is 8192 tokens").is_context_overflow());
        let exhausted = LlmError::RetriesExhausted {
            provider: "openai",
            attempts: 6,
            elapsed_s: 1.0,
            last: "maximum context length".into(),
        };
        assert!(!exhausted.is_context_overflow());
    }
}
