//! [`Llm`]: routes each request to a provider, retries it, and prices the answer.

use std::fmt;
use std::time::Duration;

use reqwest::Url;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;

use super::retry::{self, CallError};
use super::{
    ChatRequest, Completion, LlmConfig, LlmError, Pricing, PromptRole, ProviderKind, RetryConfig,
    anthropic, openai, wire,
};

const OPENAI_DEFAULT_BASE: &str = "https://api.openai.com/v1";
const ANTHROPIC_DEFAULT_BASE: &str = "https://api.anthropic.com";

/// Keys and base URLs, as the official SDKs read them from the environment.
#[derive(Clone, Default)]
pub struct ProviderEnv {
    pub openai_api_key: Option<String>,
    pub openai_base_url: Option<String>,
    pub anthropic_api_key: Option<String>,
    pub anthropic_base_url: Option<String>,
}

impl ProviderEnv {
    /// `OPENAI_API_KEY`, `OPENAI_BASE_URL`, `ANTHROPIC_API_KEY`, `ANTHROPIC_BASE_URL`;
    /// empty or non-UTF-8 values count as unset.
    fn from_process() -> ProviderEnv {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        ProviderEnv {
            openai_api_key: var("OPENAI_API_KEY"),
            openai_base_url: var("OPENAI_BASE_URL"),
            anthropic_api_key: var("ANTHROPIC_API_KEY"),
            anthropic_base_url: var("ANTHROPIC_BASE_URL"),
        }
    }
}

// Keys stay out of logs and panic messages.
impl fmt::Debug for ProviderEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redact = |k: &Option<String>| k.as_ref().map(|_| "<redacted>");
        f.debug_struct("ProviderEnv")
            .field("openai_api_key", &redact(&self.openai_api_key))
            .field("openai_base_url", &self.openai_base_url)
            .field("anthropic_api_key", &redact(&self.anthropic_api_key))
            .field("anthropic_base_url", &self.anthropic_base_url)
            .finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Provider {
    OpenAi,
    Anthropic,
}

impl Provider {
    fn for_model(kind: ProviderKind, model: &str) -> Provider {
        match kind {
            ProviderKind::OpenAi => Provider::OpenAi,
            ProviderKind::Anthropic => Provider::Anthropic,
            ProviderKind::Auto if model.starts_with("claude-") => Provider::Anthropic,
            ProviderKind::Auto => Provider::OpenAi,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Provider::OpenAi => "openai",
            Provider::Anthropic => "anthropic",
        }
    }

    fn key_var(self) -> &'static str {
        match self {
            Provider::OpenAi => "OPENAI_API_KEY",
            Provider::Anthropic => "ANTHROPIC_API_KEY",
        }
    }
}

/// Where one provider's requests go, with the headers they carry.
#[derive(Debug, Clone)]
pub(super) struct Endpoint {
    pub(super) url: Url,
    /// The model list, which the check before a run asks for.
    pub(super) models: Url,
    /// Which setting chose the base URL, for messages.
    pub(super) set_by: BaseSource,
    /// The environment variable that sets the base URL.
    pub(super) env_var: &'static str,
    /// Auth headers are marked sensitive, so `Debug` does not print them.
    pub(super) headers: HeaderMap,
    pub(super) has_key: bool,
}

/// The one client the agent uses for every model. Cheap to clone: clones share the
/// connection pool.
#[derive(Debug, Clone)]
pub struct Llm {
    http: reqwest::Client,
    openai: Endpoint,
    anthropic: Endpoint,
    provider: ProviderKind,
    prompt_role: PromptRole,
    max_tokens: Option<u32>,
    retry: RetryConfig,
    pricing: Pricing,
}

impl Llm {
    /// Reads `OPENAI_API_KEY`, `OPENAI_BASE_URL`, `ANTHROPIC_API_KEY` and
    /// `ANTHROPIC_BASE_URL` like the official SDKs; `cfg.base_url` overrides both base URLs.
    /// A missing OpenAI key is fine (local servers need none); a missing Anthropic key is an
    /// [`LlmError::Config`] when a request first needs it.
    pub fn from_env(cfg: &LlmConfig) -> Result<Llm, LlmError> {
        Self::new(cfg, ProviderEnv::from_process())
    }

    /// Like [`Llm::from_env`] with explicit values instead of the process environment.
    pub fn new(cfg: &LlmConfig, env: ProviderEnv) -> Result<Llm, LlmError> {
        let timeout = Duration::try_from_secs_f64(cfg.request_timeout_s)
            .ok()
            .filter(|t| !t.is_zero())
            .ok_or_else(|| {
                LlmError::Config(format!(
                    "request_timeout_s must be a positive number of seconds, got {}",
                    cfg.request_timeout_s
                ))
            })?;
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| LlmError::Config(format!("cannot build the HTTP client: {e}")))?;

        let (openai_base, openai_set_by) = base_url(
            cfg.base_url.as_deref(),
            env.openai_base_url.as_deref(),
            OPENAI_DEFAULT_BASE,
        );
        let mut openai_headers = HeaderMap::new();
        if let Some(key) = &env.openai_api_key {
            openai_headers.insert(
                AUTHORIZATION,
                secret_header(&format!("Bearer {key}"), "OPENAI_API_KEY")?,
            );
        }

        let (anthropic_base, anthropic_set_by) = base_url(
            cfg.base_url.as_deref(),
            env.anthropic_base_url.as_deref(),
            ANTHROPIC_DEFAULT_BASE,
        );
        let mut anthropic_headers = HeaderMap::new();
        anthropic_headers.insert(
            HeaderName::from_static("anthropic-version"),
            HeaderValue::from_static(anthropic::API_VERSION),
        );
        if let Some(key) = &env.anthropic_api_key {
            anthropic_headers.insert(
                HeaderName::from_static("x-api-key"),
                secret_header(key, "ANTHROPIC_API_KEY")?,
            );
        }

        let pricing = match &cfg.pricing_file {
            Some(path) => Pricing::from_yaml_file(path)?,
            None => Pricing::builtin(),
        };

        Ok(Llm {
            http,
            openai: Endpoint {
                url: endpoint_url(openai_base, "/chat/completions")?,
                models: endpoint_url(openai_base, "/models")?,
                set_by: openai_set_by,
                env_var: "OPENAI_BASE_URL",
                headers: openai_headers,
                has_key: env.openai_api_key.is_some(),
            },
            anthropic: Endpoint {
                url: endpoint_url(anthropic_base, "/v1/messages")?,
                models: endpoint_url(anthropic_base, "/v1/models")?,
                set_by: anthropic_set_by,
                env_var: "ANTHROPIC_BASE_URL",
                headers: anthropic_headers,
                has_key: env.anthropic_api_key.is_some(),
            },
            provider: cfg.provider,
            prompt_role: cfg.prompt_role,
            max_tokens: cfg.max_tokens,
            retry: cfg.retry.clone(),
            pricing,
        })
    }

    /// Sends one request, retrying transient failures, and prices the answer.
    ///
    /// The prompt role for OpenAI-compatible servers is `user` when either the request or
    /// the config asks for it (or the model rejects system messages), else `system`;
    /// Anthropic always gets a user turn. `req.max_tokens` overrides `cfg.max_tokens`.
    ///
    /// With a tool set, an OpenAI-compatible server that answers 400 about tools or
    /// functions is asked again without the tool, and the answer's text comes back with no
    /// tool call: the caller then parses JSON from the text.
    ///
    /// Replies are read leniently: missing or null fields give empty text, no tool call or
    /// zero tokens. A 2xx reply whose body is not JSON at all is retried like a 5xx.
    pub async fn complete(&self, req: ChatRequest) -> Result<Completion, LlmError> {
        let max_tokens = req.max_tokens.or(self.max_tokens);
        let provider = Provider::for_model(self.provider, &req.model);
        let mut completion = match provider {
            Provider::Anthropic => {
                if !self.anthropic.has_key {
                    return Err(LlmError::Config(format!(
                        "ANTHROPIC_API_KEY is not set; model `{}` needs it",
                        req.model
                    )));
                }
                let body = anthropic::request_body(
                    &req,
                    max_tokens.unwrap_or(anthropic::DEFAULT_MAX_TOKENS),
                );
                let json = self
                    .post(provider, &req.model, &body)
                    .await
                    .map_err(|e| self.llm_error(provider, &req.model, e))?;
                anthropic::parse_response(&json)
            }
            Provider::OpenAi => {
                let user_turn = req.prompt_role == PromptRole::User
                    || self.prompt_role == PromptRole::User
                    || openai::needs_user_turn(&req.model);
                let role = if user_turn {
                    PromptRole::User
                } else {
                    PromptRole::System
                };
                let body = openai::request_body(&req, role, max_tokens, true);
                let json = match self.post(provider, &req.model, &body).await {
                    Err(CallError::Rejected {
                        status: 400,
                        message,
                    }) if req.tool.is_some() && rejects_tools(&message) => {
                        tracing::warn!(
                            model = %req.model,
                            error = %message,
                            "server rejected the tool call; asking again without tools"
                        );
                        let body = openai::request_body(&req, role, max_tokens, false);
                        self.post(provider, &req.model, &body).await
                    }
                    other => other,
                }
                .map_err(|e| self.llm_error(provider, &req.model, e))?;
                openai::parse_response(&json)
            }
        };
        completion.cost_usd = self.pricing.cost(&req.model, completion.usage);
        Ok(completion)
    }

    /// The endpoint, provider name and key variable a model's requests use.
    pub(super) fn route(&self, model: &str) -> (&Endpoint, &'static str, &'static str) {
        let provider = Provider::for_model(self.provider, model);
        (self.endpoint(provider), provider.name(), provider.key_var())
    }

    /// The URL that `model`'s requests go to.
    pub fn endpoint_of(&self, model: &str) -> String {
        self.route(model).0.url.to_string()
    }

    pub(super) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    fn endpoint(&self, provider: Provider) -> &Endpoint {
        match provider {
            Provider::OpenAi => &self.openai,
            Provider::Anthropic => &self.anthropic,
        }
    }

    async fn post(
        &self,
        provider: Provider,
        model: &str,
        body: &Value,
    ) -> Result<Value, CallError> {
        let endpoint = self.endpoint(provider);
        let label = format!("{} {model}", provider.name());
        retry::with_retries(&self.retry, &label, || {
            wire::post_json(&self.http, &endpoint.url, &endpoint.headers, body)
        })
        .await
    }

    fn llm_error(&self, provider: Provider, model: &str, e: CallError) -> LlmError {
        match e {
            CallError::Rejected { status, message } => {
                let endpoint = self.endpoint(provider);
                let hint = match status {
                    401 if endpoint.has_key => {
                        format!(" (check the key in {})", provider.key_var())
                    }
                    401 => format!(" ({} is not set)", provider.key_var()),
                    404 => format!(
                        " (check the model name and that {} is the right endpoint)",
                        endpoint.url
                    ),
                    _ => String::new(),
                };
                LlmError::Fatal {
                    provider: provider.name(),
                    model: model.to_owned(),
                    status,
                    message: format!("{message}{hint}"),
                }
            }
            CallError::Exhausted {
                attempts,
                elapsed,
                last,
                unreachable: true,
            } => LlmError::Unreachable {
                provider: provider.name(),
                url: self.endpoint(provider).url.to_string(),
                attempts,
                elapsed_s: elapsed.as_secs_f64(),
                last,
            },
            CallError::Exhausted {
                attempts,
                elapsed,
                last,
                ..
            } => LlmError::RetriesExhausted {
                provider: provider.name(),
                attempts,
                elapsed_s: elapsed.as_secs_f64(),
                last,
            },
        }
    }
}

/// Whether a 400 is about tool support rather than the prompt (vLLM, llama.cpp and Ollama
/// phrase it differently, but all name tools, tool_choice or function calling).
fn rejects_tools(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("tool") || m.contains("function")
}

fn secret_header(value: &str, var: &str) -> Result<HeaderValue, LlmError> {
    let mut v = HeaderValue::from_str(value).map_err(|_| {
        LlmError::Config(format!(
            "{var} contains characters not allowed in an HTTP header"
        ))
    })?;
    v.set_sensitive(true);
    Ok(v)
}

/// `base` with or without a trailing slash, then `path`.
/// Where a base URL came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BaseSource {
    /// `llm.base_url` (or `--base-url`).
    Config,
    /// The provider's environment variable.
    Env,
    /// Neither: the provider's public API.
    Default,
}

/// The base URL and the setting it came from: the config's, else the environment's, else
/// the provider's default.
fn base_url<'a>(
    configured: Option<&'a str>,
    env: Option<&'a str>,
    default: &'a str,
) -> (&'a str, BaseSource) {
    match (configured, env) {
        (Some(url), _) => (url, BaseSource::Config),
        (None, Some(url)) => (url, BaseSource::Env),
        (None, None) => (default, BaseSource::Default),
    }
}

fn endpoint_url(base: &str, path: &str) -> Result<Url, LlmError> {
    let base = base.trim().trim_end_matches('/');
    let invalid = |why: String| LlmError::Config(format!("invalid base URL `{base}`: {why}"));
    let url = Url::parse(&format!("{base}{path}")).map_err(|e| invalid(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("it must start with http:// or https://".into()));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routing() {
        let r = Provider::for_model;
        assert_eq!(r(ProviderKind::Auto, "claude-opus-4"), Provider::Anthropic);
        assert_eq!(r(ProviderKind::Auto, "gpt-4o"), Provider::OpenAi);
        assert_eq!(r(ProviderKind::Auto, "claudette"), Provider::OpenAi);
        assert_eq!(r(ProviderKind::OpenAi, "claude-opus-4"), Provider::OpenAi);
        assert_eq!(
            r(ProviderKind::Anthropic, "my-proxy-model"),
            Provider::Anthropic
        );
    }

    #[test]
    fn base_urls_with_and_without_slash() {
        let env = ProviderEnv {
            openai_base_url: Some("http://localhost:8000/v1/".into()),
            anthropic_base_url: Some("http://localhost:9000".into()),
            ..Default::default()
        };
        let llm = Llm::new(&LlmConfig::default(), env).unwrap();
        assert_eq!(
            llm.openai.url.as_str(),
            "http://localhost:8000/v1/chat/completions"
        );
        assert_eq!(
            llm.anthropic.url.as_str(),
            "http://localhost:9000/v1/messages"
        );

        let llm = Llm::new(&LlmConfig::default(), ProviderEnv::default()).unwrap();
        assert_eq!(
            llm.openai.url.as_str(),
            "https://api.openai.com/v1/chat/completions"
        );
        assert_eq!(
            llm.anthropic.url.as_str(),
            "https://api.anthropic.com/v1/messages"
        );

        let cfg = LlmConfig {
            base_url: Some("http://127.0.0.1:1234".into()),
            ..Default::default()
        };
        let env = ProviderEnv {
            openai_base_url: Some("http://ignored".into()),
            ..Default::default()
        };
        let llm = Llm::new(&cfg, env).unwrap();
        assert_eq!(
            llm.openai.url.as_str(),
            "http://127.0.0.1:1234/chat/completions"
        );
    }

    #[test]
    fn bad_config_is_reported() {
        let bad_url = LlmConfig {
            base_url: Some("localhost:8000".into()),
            ..Default::default()
        };
        let bad_timeout = LlmConfig {
            request_timeout_s: -1.0,
            ..Default::default()
        };
        let nan_timeout = LlmConfig {
            request_timeout_s: f64::NAN,
            ..Default::default()
        };
        for cfg in [bad_url, bad_timeout, nan_timeout] {
            let err = Llm::new(&cfg, ProviderEnv::default()).unwrap_err();
            assert!(matches!(err, LlmError::Config(_)), "{err}");
        }
        let env = ProviderEnv {
            openai_api_key: Some("sk-\nbad".into()),
            ..Default::default()
        };
        let err = Llm::new(&LlmConfig::default(), env).unwrap_err();
        assert!(err.to_string().contains("OPENAI_API_KEY"), "{err}");
    }

    #[test]
    fn debug_output_hides_keys() {
        let env = ProviderEnv {
            openai_api_key: Some("sk-secret-1".into()),
            anthropic_api_key: Some("sk-ant-secret-2".into()),
            ..Default::default()
        };
        assert!(!format!("{env:?}").contains("secret"));
        let llm = Llm::new(&LlmConfig::default(), env).unwrap();
        assert!(!format!("{llm:?}").contains("secret"));
    }

    #[test]
    fn complete_future_is_send() {
        fn assert_send<T: Send>(_: &T) {}
        let llm = Llm::new(&LlmConfig::default(), ProviderEnv::default()).unwrap();
        let req = ChatRequest {
            model: "m".into(),
            prompt: String::new(),
            prompt_role: PromptRole::System,
            temperature: None,
            max_tokens: None,
            tool: None,
        };
        assert_send(&llm.complete(req));
    }

    #[test]
    fn tool_rejection_detection() {
        assert!(rejects_tools(
            "\"auto\" tool choice requires --enable-auto-tool-choice"
        ));
        assert!(rejects_tools(
            "This model does not support Function Calling"
        ));
        assert!(!rejects_tools("maximum context length exceeded"));
    }
}
