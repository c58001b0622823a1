//! JSON as Python's `json.dump` writes it: bare `NaN`, `Infinity` and `-Infinity` are
//! allowed (MLE-bench's reports contain them), as are numbers spelled as strings.

use serde::{Deserialize, Deserializer, Serializer};
use serde_json::Value;

/// Parses `text`, first turning the bare tokens `NaN`, `Infinity` and `-Infinity` (outside
/// strings) into the strings `"NaN"`, `"Infinity"`, `"-Infinity"`, which [`as_float`] and
/// the report's float fields read back.
pub fn parse_python_json(text: &str) -> serde_json::Result<Value> {
    serde_json::from_str(&quote_non_finite(text))
}

fn quote_non_finite(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut in_string = false;
    let mut escaped = false;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
        } else if let Some(token) = ["NaN", "Infinity", "-Infinity"]
            .into_iter()
            .find(|t| rest.starts_with(t))
        {
            out.push('"');
            out.push_str(token);
            out.push('"');
            rest = &rest[token.len()..];
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// A JSON value as a float: a number, or a string holding one (`"NaN"`, `"Infinity"`,
/// `"0.5"`); `None` for anything else, null included.
pub fn as_float(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => match s.trim() {
            "NaN" | "nan" => Some(f64::NAN),
            "Infinity" | "inf" => Some(f64::INFINITY),
            "-Infinity" | "-inf" => Some(f64::NEG_INFINITY),
            other => other.parse().ok(),
        },
        _ => None,
    }
}

/// Serde for `Option<f64>` report fields: writes a finite number or `null` (never a bare
/// NaN); reads a number, null, Python's `None` as a string, or the non-finite spellings,
/// with NaN read as `None` (MLE-bench's NaN score wins nothing, like a missing one).
pub mod optional_float {
    use super::*;

    pub fn serialize<S: Serializer>(value: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(x) if x.is_finite() => s.serialize_f64(*x),
            _ => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        let value = Value::deserialize(d)?;
        if value.is_null() || value == Value::String("None".into()) {
            return Ok(None);
        }
        match as_float(&value) {
            Some(x) if x.is_nan() => Ok(None),
            Some(x) => Ok(Some(x)),
            None => Err(serde::de::Error::custom(format!(
                "expected a number or null, found {value}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_non_finite_tokens_outside_strings_are_quoted() {
        let v =
            parse_python_json(r#"{"a": NaN, "b": [Infinity, -Infinity], "c": "NaN \" Infinity"}"#)
                .unwrap();
        assert!(as_float(&v["a"]).unwrap().is_nan());
        assert_eq!(as_float(&v["b"][0]), Some(f64::INFINITY));
        assert_eq!(as_float(&v["b"][1]), Some(f64::NEG_INFINITY));
        assert_eq!(v["c"], "NaN \" Infinity");
    }
}
