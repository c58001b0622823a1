//! Anthropic Messages API wire format.

use serde_json::{Value, json};

use super::wire::{token_count, value_as_raw_json};
use super::{ChatRequest, Completion, ToolCall, Usage};

/// The Messages API requires `max_tokens`; this is the value AIDE uses.
pub(super) const DEFAULT_MAX_TOKENS: u32 = 4096;

pub(super) const API_VERSION: &str = "2023-06-01";

/// The request body. The prompt always goes in a user turn: the API requires one.
pub(super) fn request_body(req: &ChatRequest, max_tokens: u32) -> Value {
    let mut body = json!({
        "model": req.model,
        "max_tokens": max_tokens,
        "messages": [{"role": "user", "content": req.prompt}],
    });
    if let Some(t) = req.temperature {
        body["temperature"] = json!(t);
    }
    if let Some(tool) = &req.tool {
        body["tools"] = json!([{
            "name": tool.name,
            "description": tool.description,
            "input_schema": tool.parameters,
        }]);
        body["tool_choice"] = json!({"type": "tool", "name": tool.name});
    }
    body
}

/// Reads a response body leniently: any missing or oddly typed field means empty text,
/// no tool call or zero tokens, never an error.
pub(super) fn parse_response(body: &Value) -> Completion {
    let blocks = body
        .get("content")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let of_type = |b: &&Value, t: &str| b.get("type").and_then(Value::as_str) == Some(t);
    let text = blocks
        .iter()
        .filter(|b| of_type(b, "text"))
        .filter_map(|b| b.get("text").and_then(Value::as_str))
        .collect();
    let tool_call = blocks
        .iter()
        .find(|b| of_type(b, "tool_use"))
        .map(|b| ToolCall {
            name: b
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            // `input` is a JSON object; the caller wants the raw text like OpenAI gives it.
            arguments: value_as_raw_json(b.get("input")),
        });
    Completion {
        text,
        tool_call,
        usage: Usage {
            input_tokens: token_count(body, "/usage/input_tokens"),
            output_tokens: token_count(body, "/usage/output_tokens"),
        },
        cost_usd: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::{PromptRole, ToolSpec};

    #[test]
    fn body_forces_the_tool_and_uses_a_user_turn() {
        let req = ChatRequest {
            model: "claude-sonnet-4-20250514".into(),
            prompt: "p".into(),
            prompt_role: PromptRole::System,
            temperature: None,
            max_tokens: None,
            tool: Some(ToolSpec {
                name: "submit_review".into(),
                description: "d".into(),
                parameters: json!({"type": "object"}),
            }),
        };
        let b = request_body(&req, 4096);
        assert_eq!(b["messages"][0]["role"], "user");
        assert_eq!(b["max_tokens"], 4096);
        assert!(b.get("temperature").is_none());
        assert_eq!(b["tools"][0]["input_schema"]["type"], "object");
        assert_eq!(
            b["tool_choice"],
            json!({"type": "tool", "name": "submit_review"})
        );
    }

    #[test]
    fn parses_odd_responses_without_panicking() {
        for body in [
            json!({}),
            json!({"content": null}),
            json!({"content": "str", "usage": {"input_tokens": "x"}}),
            json!({"content": [{"type": "image"}, 3, null]}),
            json!(null),
        ] {
            let c = parse_response(&body);
            assert_eq!(c.text, "");
            assert!(c.tool_call.is_none());
            assert_eq!(c.usage, Usage::default());
        }
    }

    #[test]
    fn parses_text_and_tool_use() {
        let c = parse_response(&json!({
            "content": [
                {"type": "text", "text": "Looking."},
                {"type": "tool_use", "id": "t1", "name": "submit_review", "input": {"is_bug": false}}
            ],
            "usage": {"input_tokens": 7, "output_tokens": 3}
        }));
        assert_eq!(c.text, "Looking.");
        let call = c.tool_call.unwrap();
        assert_eq!(call.name, "submit_review");
        assert_eq!(call.arguments, r#"{"is_bug":false}"#);
        assert_eq!(c.usage.input_tokens, 7);
        assert_eq!(c.usage.output_tokens, 3);
    }
}
