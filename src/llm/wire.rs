//! What both providers share on the wire: one HTTP attempt with its error classification,
//! and lenient JSON readers.

use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{StatusCode, Url};
use serde_json::Value;

use super::retry::Failure;

/// Server text quoted in errors is cut to this many characters: error pages can be long.
const MAX_QUOTED_CHARS: usize = 500;

/// Posts `body` once and classifies the outcome. A 2xx body that is not JSON counts as
/// transient: it comes from proxies and load balancers in trouble, not from the model.
pub(super) async fn post_json(
    http: &reqwest::Client,
    url: &Url,
    headers: &HeaderMap,
    body: &Value,
) -> Result<Value, Failure> {
    let resp = http
        .post(url.clone())
        .headers(headers.clone())
        .json(body)
        .send()
        .await
        .map_err(transport_failure)?;
    let status = resp.status();
    let retry_after = retry_after(resp.headers());
    let text = resp.text().await.map_err(transport_failure)?;
    if status.is_success() {
        return serde_json::from_str(&text).map_err(|e| Failure::Transient {
            message: format!(
                "HTTP {status} with a body that is not JSON ({e}): {}",
                truncate(&text)
            ),
            retry_after: None,
            unreachable: false,
        });
    }
    let message = error_message(&text);
    if is_transient(status) {
        Err(Failure::Transient {
            message: format!("HTTP {status}: {message}"),
            retry_after,
            unreachable: false,
        })
    } else {
        Err(Failure::Rejected {
            status: status.as_u16(),
            message,
        })
    }
}

/// 408 and 429 are worth a retry, as is any 5xx (Anthropic's 529 "overloaded" included).
fn is_transient(status: StatusCode) -> bool {
    status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
        || status.is_server_error()
}

/// Timeouts, refused connections, resets and cut-off bodies: all transient.
fn transport_failure(e: reqwest::Error) -> Failure {
    let kind = if e.is_timeout() {
        "request timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "transport error"
    };
    // reqwest's own message is terse; the cause chain says what actually went wrong.
    let message = format!("{kind}: {}", crate::causes::describe(&e));
    Failure::Transient {
        message,
        retry_after: None,
        unreachable: e.is_connect(),
    }
}

/// `Retry-After` in (possibly fractional) seconds; the HTTP-date form is ignored and the
/// backoff delay used instead.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let secs: f64 = headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Duration::try_from_secs_f64(secs).ok()
}

/// The human-readable part of an error body. OpenAI and Anthropic both send
/// `{"error": {"message": ..}}`; local servers send `{"error": ".."}`, `{"message": ..}` or
/// FastAPI's `{"detail": ..}`; anything else is quoted as is.
pub(super) fn error_message(body: &str) -> String {
    let from_json = serde_json::from_str::<Value>(body).ok().and_then(|v| {
        [
            v.pointer("/error/message"),
            v.get("error"),
            v.get("message"),
            v.get("detail"),
        ]
        .into_iter()
        .flatten()
        .find(|m| !m.is_null() && !m.is_object())
        .map(|m| m.as_str().map_or_else(|| m.to_string(), str::to_owned))
    });
    let message = from_json.unwrap_or_else(|| body.trim().to_owned());
    if message.is_empty() {
        "(empty response body)".to_owned()
    } else {
        truncate(&message)
    }
}

fn truncate(s: &str) -> String {
    match s.char_indices().nth(MAX_QUOTED_CHARS) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.to_owned(),
    }
}

/// A token count at `pointer`; absent or not a number means zero.
pub(super) fn token_count(body: &Value, pointer: &str) -> u64 {
    body.pointer(pointer)
        .and_then(|v| v.as_u64().or_else(|| v.as_f64().map(|f| f.max(0.0) as u64)))
        .unwrap_or(0)
}

/// Tool arguments as raw JSON text: a string is passed through untouched (it may be
/// malformed, the caller judges), anything else is serialised, absence is empty.
pub(super) fn value_as_raw_json(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn error_message_shapes() {
        assert_eq!(
            error_message(r#"{"error":{"message":"bad key","type":"x"}}"#),
            "bad key"
        );
        assert_eq!(error_message(r#"{"error":"no tools"}"#), "no tools");
        assert_eq!(error_message(r#"{"detail":"Not Found"}"#), "Not Found");
        assert_eq!(error_message(r#"{"detail":[{"loc":1}]}"#), r#"[{"loc":1}]"#);
        assert_eq!(error_message("<html>502</html>"), "<html>502</html>");
        assert_eq!(error_message("  "), "(empty response body)");
        let long = "é".repeat(2_000);
        assert_eq!(error_message(&long).chars().count(), MAX_QUOTED_CHARS + 1);
    }

    #[test]
    fn retry_after_parsing() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(RETRY_AFTER, HeaderValue::from_static("2"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert(RETRY_AFTER, HeaderValue::from_static("0.25"));
        assert_eq!(retry_after(&h), Some(Duration::from_millis(250)));
        for bad in ["-1", "NaN", "inf", "Wed, 21 Oct 2015 07:28:00 GMT"] {
            h.insert(RETRY_AFTER, HeaderValue::from_static(bad));
            assert_eq!(retry_after(&h), None, "{bad}");
        }
    }

    #[test]
    fn transient_statuses() {
        for s in [408, 429, 500, 502, 503, 529] {
            assert!(is_transient(StatusCode::from_u16(s).unwrap()), "{s}");
        }
        for s in [400, 401, 403, 404, 409, 422] {
            assert!(!is_transient(StatusCode::from_u16(s).unwrap()), "{s}");
        }
    }
}
