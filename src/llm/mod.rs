//! LLM providers. The agent talks to [`Llm`] only; it never sees HTTP, provider wire
//! formats or retry policy.

mod anthropic;
mod client;
mod config;
mod openai;
mod preflight;
mod pricing;
mod retry;
mod types;
mod wire;

pub use client::{Llm, ProviderEnv};
pub use config::{LlmConfig, ProviderKind, RetryConfig};
pub use preflight::PreflightError;
pub use pricing::Pricing;
pub use types::{ChatRequest, Completion, LlmError, PromptRole, ToolCall, ToolSpec, Usage};
