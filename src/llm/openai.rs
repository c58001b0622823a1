//! OpenAI-compatible Chat Completions wire format (OpenAI, vLLM, Ollama, llama.cpp, …).

use serde_json::{Value, json};

use super::wire::{token_count, value_as_raw_json};
use super::{ChatRequest, Completion, PromptRole, ToolCall, Usage};

/// o-series and gpt-5 models reject `max_tokens` and any non-default temperature.
fn is_reasoning_model(model: &str) -> bool {
    let mut chars = model.chars();
    let o_series = chars.next() == Some('o') && chars.next().is_some_and(|c| c.is_ascii_digit());
    o_series || model.starts_with("gpt-5")
}

/// o1-preview and o1-mini reject system messages; AIDE's fork needed a user turn for them.
pub(super) fn needs_user_turn(model: &str) -> bool {
    model.starts_with("o1-preview") || model.starts_with("o1-mini")
}

/// The request body; `with_tool` false drops the tool for servers that reject tools.
pub(super) fn request_body(
    req: &ChatRequest,
    role: PromptRole,
    max_tokens: Option<u32>,
    with_tool: bool,
) -> Value {
    let role = match role {
        PromptRole::System => "system",
        PromptRole::User => "user",
    };
    let mut body = json!({
        "model": req.model,
        "messages": [{"role": role, "content": req.prompt}],
    });
    let reasoning = is_reasoning_model(&req.model);
    if let Some(t) = req.temperature.filter(|_| !reasoning) {
        body["temperature"] = json!(t);
    }
    if let Some(n) = max_tokens {
        // `max_completion_tokens` is OpenAI-only; local servers know `max_tokens`.
        let key = if reasoning {
            "max_completion_tokens"
        } else {
            "max_tokens"
        };
        body[key] = json!(n);
    }
    if let Some(tool) = req.tool.as_ref().filter(|_| with_tool) {
        body["tools"] = json!([{
            "type": "function",
            "function": {
                "name": tool.name,
                "description": tool.description,
                "parameters": tool.parameters,
            },
        }]);
        body["tool_choice"] = json!({"type": "function", "function": {"name": tool.name}});
    }
    body
}

/// Reads a response body leniently: any missing or oddly typed field means empty text,
/// no tool call or zero tokens, never an error.
pub(super) fn parse_response(body: &Value) -> Completion {
    let message = body.pointer("/choices/0/message");
    let text = message
        .and_then(|m| m.get("content"))
        .map(content_text)
        .unwrap_or_default();
    let tool_call = message.and_then(tool_call);
    Completion {
        text,
        tool_call,
        usage: Usage {
            input_tokens: token_count(body, "/usage/prompt_tokens"),
            output_tokens: token_count(body, "/usage/completion_tokens"),
        },
        cost_usd: None,
    }
}

/// `content` is a string, null, or (some servers) a list of `{type: text, text}` parts.
fn content_text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect(),
        _ => String::new(),
    }
}

/// The first entry of `tool_calls`, or the legacy `function_call` some servers still send.
fn tool_call(message: &Value) -> Option<ToolCall> {
    let function = message
        .pointer("/tool_calls/0/function")
        .or_else(|| message.get("function_call"))?;
    Some(ToolCall {
        name: function
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        arguments: value_as_raw_json(function.get("arguments")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::ToolSpec;

    fn req(model: &str, tool: bool) -> ChatRequest {
        ChatRequest {
            model: model.into(),
            prompt: "hi".into(),
            prompt_role: PromptRole::System,
            temperature: Some(0.5),
            max_tokens: None,
            tool: tool.then(|| ToolSpec {
                name: "submit_review".into(),
                description: "d".into(),
                parameters: json!({"type": "object"}),
            }),
        }
    }

    #[test]
    fn body_carries_role_temperature_and_tool() {
        let b = request_body(&req("gpt-4o", true), PromptRole::User, Some(100), true);
        assert_eq!(b["messages"][0]["role"], "user");
        assert_eq!(b["temperature"], 0.5);
        assert_eq!(b["max_tokens"], 100);
        assert_eq!(b["tools"][0]["function"]["name"], "submit_review");
        assert_eq!(b["tool_choice"]["function"]["name"], "submit_review");

        let b = request_body(&req("gpt-4o", true), PromptRole::System, None, false);
        assert_eq!(b["messages"][0]["role"], "system");
        assert!(b.get("tools").is_none() && b.get("tool_choice").is_none());
        assert!(b.get("max_tokens").is_none());
    }

    #[test]
    fn reasoning_models_drop_temperature_and_rename_max_tokens() {
        for model in ["o1", "o3-mini", "o4-mini-2025-04-16", "gpt-5-mini"] {
            let b = request_body(&req(model, false), PromptRole::System, Some(9), true);
            assert!(b.get("temperature").is_none(), "{model}");
            assert!(b.get("max_tokens").is_none(), "{model}");
            assert_eq!(b["max_completion_tokens"], 9, "{model}");
        }
        assert!(!is_reasoning_model("olmo-7b"));
        assert!(needs_user_turn("o1-preview-2024-09-12"));
        assert!(!needs_user_turn("o1"));
    }

    #[test]
    fn parses_odd_responses_without_panicking() {
        for body in [
            json!({}),
            json!({"choices": []}),
            json!({"choices": null, "usage": null}),
            json!({"choices": [{"message": {"content": null}}]}),
            json!({"choices": [{"message": {"tool_calls": []}}]}),
            json!([1, 2]),
            json!("text"),
        ] {
            let c = parse_response(&body);
            assert_eq!(c.text, "");
            assert!(c.tool_call.is_none());
            assert_eq!(c.usage, Usage::default());
        }
    }

    #[test]
    fn parses_content_parts_object_arguments_and_legacy_function_call() {
        let c = parse_response(&json!({"choices": [{"message": {
            "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
            "tool_calls": [{"function": {"name": "f", "arguments": {"x": 1}}}]
        }}]}));
        assert_eq!(c.text, "ab");
        assert_eq!(c.tool_call.unwrap().arguments, r#"{"x":1}"#);

        let c = parse_response(&json!({"choices": [{"message": {
            "function_call": {"name": "f", "arguments": "{\"y\": 2}"}
        }}]}));
        let call = c.tool_call.unwrap();
        assert_eq!(
            (call.name.as_str(), call.arguments.as_str()),
            ("f", "{\"y\": 2}")
        );
    }
}
