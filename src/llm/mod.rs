//! LLM providers. The agent talks to [`Llm`] only; it never sees HTTP, provider wire
//! formats or retry policy.

mod config;
mod types;

pub use config::{LlmConfig, ProviderKind, RetryConfig};
pub use types::{ChatRequest, Completion, LlmError, PromptRole, ToolCall, ToolSpec, Usage};
