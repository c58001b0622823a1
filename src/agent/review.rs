//! The review step's contract: the `submit_review` tool and a lenient, never-panicking
//! reading of whatever the model sends back.

use serde_json::{Map, Value, json};

use crate::llm::ToolSpec;

/// What the reviewer decided about one execution.
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    pub is_bug: bool,
    pub summary: String,
    /// A finite metric, or `None` when the reviewer gave none.
    pub metric: Option<f64>,
    pub lower_is_better: Option<bool>,
}

pub const TOOL_NAME: &str = "submit_review";

pub fn review_tool() -> ToolSpec {
    ToolSpec {
        name: TOOL_NAME.to_string(),
        description: "Submit a review of the output of the training script.".to_string(),
        parameters: json!({
            "type": "object",
            "properties": {
                "is_bug": {
                    "type": "boolean",
                    "description": "true if the output shows that the run failed or the code has a bug, else false"
                },
                "summary": {
                    "type": "string",
                    "description": "if there is a bug, what went wrong and how to fix it; otherwise 2-3 sentences on the empirical findings"
                },
                "metric": {
                    "type": ["number", "null"],
                    "description": "the validation metric the script printed, or null if it did not run successfully"
                },
                "lower_is_better": {
                    "type": "boolean",
                    "description": "true if the metric is to be minimised (e.g. MSE), false if maximised (e.g. accuracy)"
                }
            },
            "required": ["is_bug", "summary", "metric", "lower_is_better"]
        }),
    }
}

/// Reads tool arguments (a JSON object as text) into a review.
pub fn parse_arguments(arguments: &str) -> Result<Review, String> {
    let value: Value = parse_json_leniently(arguments.trim())
        .map_err(|e| format!("tool arguments are not valid JSON ({e})"))?;
    review_from_value(&value)
}

/// Strict JSON first; then again with raw control characters inside strings escaped,
/// which small local models emit (a literal newline in `summary`).
fn parse_json_leniently(text: &str) -> Result<Value, serde_json::Error> {
    serde_json::from_str(text).or_else(|e| {
        let escaped = escape_controls_in_strings(text);
        if escaped == text {
            Err(e)
        } else {
            serde_json::from_str(&escaped).map_err(|_| e)
        }
    })
}

fn escape_controls_in_strings(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut in_str, mut escaped) = (false, false);
    for c in text.chars() {
        if in_str && !escaped && (c as u32) < 0x20 {
            out.push_str(&format!("\\u{:04x}", c as u32));
            continue;
        }
        match (in_str, escaped, c) {
            (true, true, _) => escaped = false,
            (true, false, '\\') => escaped = true,
            (_, false, '"') => in_str = !in_str,
            _ => {}
        }
        out.push(c);
    }
    out
}

/// Finds a review in free text: a fenced ```json block or the first balanced `{...}`
/// that parses, for models that answer in prose instead of calling the tool.
pub fn parse_text(text: &str) -> Result<Review, String> {
    let mut last_err = "no JSON object in the answer".to_string();
    for candidate in json_objects(text) {
        match parse_json_leniently(candidate) {
            Ok(v) => match review_from_value(&v) {
                Ok(review) => return Ok(review),
                Err(e) => last_err = e,
            },
            Err(e) => last_err = format!("JSON in the answer does not parse ({e})"),
        }
    }
    Err(last_err)
}

/// Candidate `{...}` spans, outermost first, balanced by brace counting outside strings.
fn json_objects(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut start = 0;
    while let Some(off) = text[start..].find('{') {
        let open = start + off;
        let (mut depth, mut in_str, mut escaped) = (0usize, false, false);
        let mut end = None;
        for (i, &b) in bytes.iter().enumerate().skip(open) {
            if in_str {
                match (escaped, b) {
                    (true, _) => escaped = false,
                    (false, b'\\') => escaped = true,
                    (false, b'"') => in_str = false,
                    _ => {}
                }
                continue;
            }
            match b {
                b'"' => in_str = true,
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(i);
                        break;
                    }
                }
                _ => {}
            }
        }
        match end {
            Some(e) => {
                found.push(&text[open..=e]);
                start = e + 1;
            }
            None => start = open + 1,
        }
    }
    found
}

fn review_from_value(value: &Value) -> Result<Review, String> {
    let obj: &Map<String, Value> = value
        .as_object()
        .ok_or_else(|| "the review is not a JSON object".to_string())?;
    let is_bug = match obj.get("is_bug") {
        Some(v) => as_bool(v).ok_or_else(|| format!("`is_bug` is {v}, expected a boolean"))?,
        None => return Err("the review has no `is_bug` field".to_string()),
    };
    let summary = match obj.get("summary") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    };
    let metric = match obj.get("metric") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => n.as_f64().filter(|f| f.is_finite()),
        Some(Value::String(s)) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
        Some(other) => return Err(format!("`metric` is {other}, expected a number or null")),
    };
    let lower_is_better = obj.get("lower_is_better").and_then(as_bool);
    Ok(Review {
        is_bug,
        summary,
        metric,
        lower_is_better,
    })
}

fn as_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" => Some(true),
            "false" | "no" => Some(false),
            _ => None,
        },
        Value::Number(n) => match n.as_i64() {
            Some(0) => Some(false),
            Some(1) => Some(true),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_metrics_are_accepted() {
        let v = parse_arguments(
            r#"{"is_bug":false,"summary":"ok","metric":1,"lower_is_better":false}"#,
        )
        .unwrap();
        assert_eq!(v.metric, Some(1.0));
        assert_eq!(v.lower_is_better, Some(false));
    }

    #[test]
    fn malformed_arguments_are_an_error_not_a_panic() {
        assert!(parse_arguments("{\"is_bug\": tru").is_err());
        assert!(parse_arguments("[1,2]").is_err());
        assert!(parse_arguments(r#"{"summary":"x"}"#).is_err());
        assert!(parse_arguments(r#"{"is_bug":"maybe"}"#).is_err());
        assert!(parse_arguments(r#"{"is_bug":false,"metric":{"a":1}}"#).is_err());
    }

    #[test]
    fn text_answers_are_searched_for_json() {
        let t = "Sure! Here is my review:\n```json\n{\"is_bug\": false, \"summary\": \"a {brace} in text\", \"metric\": \"0.91\", \"lower_is_better\": \"false\"}\n```";
        let v = parse_text(t).unwrap();
        assert_eq!(v.metric, Some(0.91));
        assert_eq!(v.summary, "a {brace} in text");
        assert!(parse_text("no json {here").is_err());
        assert!(
            parse_text("{not json} then {\"is_bug\": true}")
                .unwrap()
                .is_bug
        );
    }

    #[test]
    fn raw_newlines_inside_strings_are_tolerated() {
        let v = parse_arguments("{\"is_bug\": true, \"summary\": \"line one\nline two\"}").unwrap();
        assert_eq!(v.summary, "line one\nline two");
    }

    #[test]
    fn non_finite_metrics_count_as_missing() {
        let v = parse_text(r#"{"is_bug": false, "metric": "NaN"}"#).unwrap();
        assert_eq!(v.metric, None);
    }
}
