//! The provider layer against real HTTP on 127.0.0.1 (wiremock): wire formats, retries,
//! fallbacks and pricing as the agent sees them through `Llm::complete`.

use std::time::{Duration, Instant};

use aide_fleet::llm::{
    ChatRequest, Llm, LlmConfig, LlmError, PromptRole, ProviderEnv, RetryConfig, ToolSpec,
};
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Match, Mock, MockServer, Request, ResponseTemplate};

const CHAT: &str = "/v1/chat/completions";
const MESSAGES: &str = "/v1/messages";

/// Fast retries: tests must not sleep for real.
fn cfg(max_attempts: u32) -> LlmConfig {
    LlmConfig {
        request_timeout_s: 5.0,
        retry: RetryConfig {
            max_attempts,
            initial_delay_ms: 1,
            max_delay_ms: 10,
            max_total_ms: 10_000,
        },
        ..Default::default()
    }
}

fn openai(server: &MockServer, cfg: &LlmConfig, key: Option<&str>) -> Llm {
    let env = ProviderEnv {
        openai_api_key: key.map(str::to_owned),
        openai_base_url: Some(format!("{}/v1/", server.uri())),
        ..Default::default()
    };
    Llm::new(cfg, env).unwrap()
}

fn anthropic(server: &MockServer, key: Option<&str>) -> Llm {
    let env = ProviderEnv {
        anthropic_api_key: key.map(str::to_owned),
        anthropic_base_url: Some(server.uri()),
        ..Default::default()
    };
    Llm::new(&cfg(3), env).unwrap()
}

fn review_tool() -> ToolSpec {
    ToolSpec {
        name: "submit_review".into(),
        description: "submit a review evaluating the output of the training script".into(),
        parameters: json!({
            "type": "object",
            "properties": {"is_bug": {"type": "boolean"}, "metric": {"type": "number"}},
            "required": ["is_bug", "metric"],
        }),
    }
}

fn request(model: &str, tool: Option<ToolSpec>) -> ChatRequest {
    ChatRequest {
        model: model.into(),
        prompt: "# Task\nfit a model".into(),
        prompt_role: PromptRole::System,
        temperature: Some(0.5),
        max_tokens: None,
        tool,
    }
}

fn text_reply(text: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "choices": [{"message": {"role": "assistant", "content": text}}],
        "usage": {"prompt_tokens": 1000, "completion_tokens": 200},
    }))
}

async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap_or_default()
}

/// Matches requests whose JSON body has no `tools` key.
struct WithoutTools;

impl Match for WithoutTools {
    fn matches(&self, request: &Request) -> bool {
        serde_json::from_slice::<Value>(&request.body).is_ok_and(|b| b.get("tools").is_none())
    }
}

#[tokio::test]
async fn openai_text_completion_with_usage_and_cost() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(CHAT))
        .and(header("authorization", "Bearer sk-test"))
        .and(body_partial_json(json!({
            "model": "gpt-4o",
            "temperature": 0.5,
            "messages": [{"role": "system", "content": "# Task\nfit a model"}],
        })))
        .respond_with(text_reply("```python\nprint(1)\n```"))
        .expect(1)
        .mount(&server)
        .await;

    let c = openai(&server, &cfg(3), Some("sk-test"))
        .complete(request("gpt-4o", None))
        .await
        .unwrap();
    assert_eq!(c.text, "```python\nprint(1)\n```");
    assert!(c.tool_call.is_none());
    assert_eq!((c.usage.input_tokens, c.usage.output_tokens), (1000, 200));
    // gpt-4o: 1000 * 2.50 / 1e6 + 200 * 10.00 / 1e6
    assert!((c.cost_usd.unwrap() - 0.0045).abs() < 1e-12);
}

#[tokio::test]
async fn openai_without_key_sends_no_authorization_and_uses_configured_role() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(CHAT))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"choices": []})))
        .mount(&server)
        .await;

    let cfg = LlmConfig {
        prompt_role: PromptRole::User,
        max_tokens: Some(77),
        ..cfg(1)
    };
    let c = openai(&server, &cfg, None)
        .complete(request("qwen2.5-coder", None))
        .await
        .unwrap();
    // Empty choices and no usage: empty text, zero tokens, unknown price.
    assert_eq!(c.text, "");
    assert_eq!(c.usage.input_tokens + c.usage.output_tokens, 0);
    assert_eq!(c.cost_usd, None);

    let reqs = requests(&server).await;
    assert_eq!(reqs.len(), 1);
    assert!(!reqs[0].headers.contains_key("authorization"));
    let body: Value = reqs[0].body_json().unwrap();
    assert_eq!(body["messages"][0]["role"], "user");
    assert_eq!(body["max_tokens"], 77);
}

#[tokio::test]
async fn openai_forced_tool_call_returns_raw_arguments() {
    let server = MockServer::start().await;
    let raw_args = "{\"is_bug\": false,  \"metric\": 0.91}";
    Mock::given(method("POST"))
        .and(path(CHAT))
        .and(body_partial_json(json!({
            "tools": [{"type": "function", "function": {
                "name": "submit_review",
                "description": "submit a review evaluating the output of the training script",
                "parameters": review_tool().parameters,
            }}],
            "tool_choice": {"type": "function", "function": {"name": "submit_review"}},
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "choices": [{"message": {"content": null, "tool_calls": [{
                "id": "call_1", "type": "function",
                "function": {"name": "submit_review", "arguments": raw_args},
            }]}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5},
        })))
        .expect(1)
        .mount(&server)
        .await;

    let c = openai(&server, &cfg(3), Some("k"))
        .complete(request("gpt-4o-mini", Some(review_tool())))
        .await
        .unwrap();
    assert_eq!(c.text, "");
    let call = c.tool_call.unwrap();
    assert_eq!(call.name, "submit_review");
    assert_eq!(call.arguments, raw_args);
}

#[tokio::test]
async fn anthropic_tool_use() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES))
        .and(header("x-api-key", "sk-ant"))
        .and(header("anthropic-version", "2023-06-01"))
        .and(body_partial_json(json!({
            "model": "claude-sonnet-4-20250514",
            "max_tokens": 4096,
            "messages": [{"role": "user", "content": "# Task\nfit a model"}],
            "tools": [{"name": "submit_review", "input_schema": review_tool().parameters}],
            "tool_choice": {"type": "tool", "name": "submit_review"},
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "type": "message",
            "content": [{"type": "tool_use", "id": "toolu_1", "name": "submit_review",
                         "input": {"is_bug": true, "metric": null}}],
            "usage": {"input_tokens": 1_000_000, "output_tokens": 0},
        })))
        .expect(1)
        .mount(&server)
        .await;

    let c = anthropic(&server, Some("sk-ant"))
        .complete(request("claude-sonnet-4-20250514", Some(review_tool())))
        .await
        .unwrap();
    let call = c.tool_call.unwrap();
    assert_eq!(call.name, "submit_review");
    let args: Value = serde_json::from_str(&call.arguments).unwrap();
    assert_eq!(args, json!({"is_bug": true, "metric": null}));
    assert_eq!(c.usage.input_tokens, 1_000_000);
    assert!((c.cost_usd.unwrap() - 3.0).abs() < 1e-9);
}

#[tokio::test]
async fn anthropic_without_key_is_a_config_error_before_any_request() {
    let server = MockServer::start().await;
    let err = anthropic(&server, None)
        .complete(request("claude-opus-4", None))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, LlmError::Config(m) if m.contains("ANTHROPIC_API_KEY")),
        "{err}"
    );
    assert!(requests(&server).await.is_empty());
}

#[tokio::test]
async fn rate_limit_then_success() {
    let server = MockServer::start().await;
    Mock::given(path(CHAT))
        .respond_with(ResponseTemplate::new(429).set_body_json(json!({
            "error": {"message": "Rate limit reached"}
        })))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path(CHAT))
        .respond_with(text_reply("ok"))
        .mount(&server)
        .await;

    let c = openai(&server, &cfg(3), Some("k"))
        .complete(request("gpt-4o", None))
        .await
        .unwrap();
    assert_eq!(c.text, "ok");
    assert_eq!(requests(&server).await.len(), 2);
}

#[tokio::test]
async fn server_error_storm_exhausts_retries() {
    let server = MockServer::start().await;
    Mock::given(path(MESSAGES))
        .respond_with(ResponseTemplate::new(529).set_body_json(json!({
            "type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}
        })))
        .mount(&server)
        .await;

    let err = anthropic(&server, Some("k"))
        .complete(request("claude-3-5-haiku-20241022", None))
        .await
        .unwrap_err();
    match &err {
        LlmError::RetriesExhausted {
            provider,
            attempts,
            last,
            ..
        } => {
            assert_eq!(*provider, "anthropic");
            assert_eq!(*attempts, 3);
            assert!(
                last.contains("529") && last.contains("Overloaded"),
                "{last}"
            );
        }
        other => panic!("{other}"),
    }
    assert_eq!(requests(&server).await.len(), 3);
}

#[tokio::test]
async fn unauthorized_fails_at_once_and_names_the_key_variable() {
    let server = MockServer::start().await;
    Mock::given(path(CHAT))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": {"message": "Incorrect API key provided: sk-bad", "code": "invalid_api_key"}
        })))
        .mount(&server)
        .await;

    let err = openai(&server, &cfg(5), Some("sk-bad"))
        .complete(request("gpt-4o", None))
        .await
        .unwrap_err();
    match &err {
        LlmError::Fatal {
            status, message, ..
        } => {
            assert_eq!(*status, 401);
            assert!(message.contains("Incorrect API key"), "{message}");
            assert!(message.contains("OPENAI_API_KEY"), "{message}");
        }
        other => panic!("{other}"),
    }
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn not_found_and_other_client_errors_are_fatal() {
    let server = MockServer::start().await;
    Mock::given(path(CHAT))
        .respond_with(ResponseTemplate::new(404).set_body_string("<html>no such model</html>"))
        .mount(&server)
        .await;
    let err = openai(&server, &cfg(5), None)
        .complete(request("gpt-9", None))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, LlmError::Fatal { status: 404, message, .. } if message.contains("no such model")),
        "{err}"
    );
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let server = MockServer::start().await;
    Mock::given(path(CHAT))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0.3"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path(CHAT))
        .respond_with(text_reply("ok"))
        .mount(&server)
        .await;

    // The backoff alone would wait 1-2 ms; the server asks for 300 ms.
    let cfg = LlmConfig {
        retry: RetryConfig {
            max_delay_ms: 5_000,
            ..cfg(3).retry
        },
        ..cfg(3)
    };
    let start = Instant::now();
    let c = openai(&server, &cfg, None)
        .complete(request("gpt-4o", None))
        .await
        .unwrap();
    assert_eq!(c.text, "ok");
    assert!(
        start.elapsed() >= Duration::from_millis(300),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn retry_after_is_capped_by_max_delay() {
    let server = MockServer::start().await;
    Mock::given(path(CHAT))
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "3600"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path(CHAT))
        .respond_with(text_reply("ok"))
        .mount(&server)
        .await;

    let start = Instant::now();
    openai(&server, &cfg(3), None)
        .complete(request("gpt-4o", None))
        .await
        .unwrap();
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn tool_rejection_falls_back_to_text() {
    let server = MockServer::start().await;
    Mock::given(path(CHAT))
        .and(body_partial_json(json!({"tool_choice": {"type": "function"}})))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "object": "error",
            "message": "\"auto\" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set",
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path(CHAT))
        .and(WithoutTools)
        .respond_with(text_reply(r#"{"is_bug": false, "metric": 0.5}"#))
        .expect(1)
        .mount(&server)
        .await;

    let c = openai(&server, &cfg(3), None)
        .complete(request("qwen2.5-coder", Some(review_tool())))
        .await
        .unwrap();
    assert!(c.tool_call.is_none());
    assert_eq!(c.text, r#"{"is_bug": false, "metric": 0.5}"#);
    let bodies: Vec<Value> = requests(&server)
        .await
        .iter()
        .map(|r| r.body_json().unwrap())
        .collect();
    assert_eq!(bodies.len(), 2);
    assert!(bodies[1].get("tool_choice").is_none());
}

#[tokio::test]
async fn bad_request_not_about_tools_is_fatal() {
    let server = MockServer::start().await;
    Mock::given(path(CHAT))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": {"message": "maximum context length is 8192 tokens"}
        })))
        .mount(&server)
        .await;
    let err = openai(&server, &cfg(3), None)
        .complete(request("gpt-4o", Some(review_tool())))
        .await
        .unwrap_err();
    assert!(matches!(err, LlmError::Fatal { status: 400, .. }), "{err}");
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn malformed_json_body_is_retried_then_reported() {
    let server = MockServer::start().await;
    Mock::given(path(CHAT))
        .respond_with(ResponseTemplate::new(200).set_body_string("{\"choices\": [tru"))
        .mount(&server)
        .await;
    let err = openai(&server, &cfg(2), None)
        .complete(request("gpt-4o", None))
        .await
        .unwrap_err();
    match &err {
        LlmError::RetriesExhausted { attempts, last, .. } => {
            assert_eq!(*attempts, 2);
            assert!(last.contains("not JSON"), "{last}");
        }
        other => panic!("{other}"),
    }
    assert_eq!(requests(&server).await.len(), 2);
}

#[tokio::test]
async fn request_timeout_is_transient() {
    let server = MockServer::start().await;
    Mock::given(path(CHAT))
        .respond_with(text_reply("late").set_delay(Duration::from_millis(500)))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path(CHAT))
        .respond_with(text_reply("on time"))
        .mount(&server)
        .await;
    let cfg = LlmConfig {
        request_timeout_s: 0.1,
        ..cfg(2)
    };
    let c = openai(&server, &cfg, None)
        .complete(request("gpt-4o", None))
        .await
        .unwrap();
    assert_eq!(c.text, "on time");
}

#[tokio::test]
async fn connection_refused_through_every_retry_is_unreachable() {
    // Bind then drop a listener so the port is closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let env = ProviderEnv {
        openai_base_url: Some(format!("http://127.0.0.1:{port}/v1")),
        ..Default::default()
    };
    let err = Llm::new(&cfg(2), env)
        .unwrap()
        .complete(request("gpt-4o", None))
        .await
        .unwrap_err();
    match &err {
        LlmError::Unreachable {
            attempts,
            last,
            url,
            ..
        } => {
            assert_eq!(*attempts, 2);
            assert!(last.contains("connection"), "{last}");
            assert_eq!(url, &format!("http://127.0.0.1:{port}/v1/chat/completions"));
        }
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn a_server_that_answers_5xx_is_not_unreachable() {
    let server = wiremock::MockServer::builder().start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let env = ProviderEnv {
        openai_base_url: Some(format!("{}/v1", server.uri())),
        ..Default::default()
    };
    let err = Llm::new(&cfg(2), env)
        .unwrap()
        .complete(request("gpt-4o", None))
        .await
        .unwrap_err();
    assert!(
        matches!(err, LlmError::RetriesExhausted { attempts: 2, .. }),
        "{err}"
    );
}

#[tokio::test]
async fn user_pricing_file_prices_calls_and_rejects_unknown_fields() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.yaml");
    std::fs::write(
        &good,
        "models:\n  qwen2.5-coder: {input_per_mtok: 0.5, output_per_mtok: 1.5}\n",
    )
    .unwrap();
    let server = MockServer::start().await;
    Mock::given(path(CHAT))
        .respond_with(text_reply("x"))
        .mount(&server)
        .await;
    let cfg_good = LlmConfig {
        pricing_file: Some(good),
        ..cfg(1)
    };
    let c = openai(&server, &cfg_good, None)
        .complete(request("qwen2.5-coder-32b", None))
        .await
        .unwrap();
    // 1000 * 0.5 / 1e6 + 200 * 1.5 / 1e6
    assert!((c.cost_usd.unwrap() - 0.0008).abs() < 1e-12);

    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "models:\n  m: {input_per_mtok: 1, output_per_mtok: 2, input_cached: 0.1}\n",
    )
    .unwrap();
    let cfg_bad = LlmConfig {
        pricing_file: Some(bad),
        ..cfg(1)
    };
    let err = Llm::new(&cfg_bad, ProviderEnv::default()).unwrap_err();
    assert!(
        matches!(&err, LlmError::Config(m) if m.contains("input_cached")),
        "{err}"
    );
}
