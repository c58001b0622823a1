//! A YAML file that does not parse or does not validate, located by file, line, column and
//! field, with a message saying what was expected.

use std::borrow::Cow;
use std::path::PathBuf;

use serde_saphyr::{Error as SaphyrError, MessageFormatter};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}:{column}: {message}", path.display())]
pub struct YamlError {
    pub path: PathBuf,
    /// 1-based; 0 when the parser could not tell.
    pub line: u64,
    pub column: u64,
    /// Dotted path of the offending field (`agent.steps`, `tasks[2]`); empty for the document.
    pub field: String,
    /// What is wrong, naming the field and what was expected.
    pub message: String,
}

impl YamlError {
    /// Converts a serde-saphyr error; `field` is the path serde_path_to_error recorded and
    /// `text` the parsed document, used to quote the offending value.
    pub(crate) fn from_saphyr(path: PathBuf, text: &str, field: &str, err: &SaphyrError) -> Self {
        let err = err.without_snippet();
        let (line, column, found) = match err.location() {
            Some(loc) => {
                let found = loc
                    .span()
                    .byte_offset()
                    .zip(loc.span().byte_len())
                    .and_then(|(start, len)| {
                        let end = usize::try_from(start.checked_add(len)?).ok()?;
                        text.get(usize::try_from(start).ok()?..end)
                    })
                    .map(str::trim)
                    // Quote a short one-line value only; anything else would swamp the message.
                    .filter(|s| !s.is_empty() && s.len() <= 80 && !s.contains(char::is_control));
                (loc.line(), loc.column(), found)
            }
            None => (0, 0, None),
        };
        let field = normalise_field(field);
        let message = describe(err, &field, found);
        Self {
            path,
            line,
            column,
            field,
            message,
        }
    }
}

/// Whether the error is better placed at the field's value than where serde-saphyr puts it:
/// errors raised by a visitor (a wrong kind of node, a custom message) can point at the key.
pub(crate) fn prefers_value_location(err: &SaphyrError) -> bool {
    matches!(
        err.without_snippet(),
        SaphyrError::SerdeInvalidType { .. }
            | SaphyrError::SerdeInvalidValue { .. }
            | SaphyrError::Message { .. }
    )
}

/// serde_path_to_error writes the document root as `.`.
fn normalise_field(field: &str) -> String {
    if field == "." {
        String::new()
    } else {
        field.to_owned()
    }
}

fn describe(err: &SaphyrError, field: &str, found: Option<&str>) -> String {
    let quoted = found.map(|s| format!(", found `{s}`")).unwrap_or_default();
    match err {
        SaphyrError::SerdeUnknownField {
            field: name,
            expected,
            ..
        } => {
            let parent = field.rsplit_once('.').map(|(p, _)| p).unwrap_or("");
            let place = if parent.is_empty() {
                String::new()
            } else {
                format!(" in `{parent}`")
            };
            if expected.is_empty() {
                format!("unknown field `{name}`{place}; no fields are allowed here")
            } else {
                format!(
                    "unknown field `{name}`{place}; expected one of: {}",
                    expected.join(", ")
                )
            }
        }
        SaphyrError::SerdeUnknownVariant {
            variant, expected, ..
        } => format!(
            "{}unknown value `{variant}`; expected one of: {}",
            prefix(field),
            expected.join(", ")
        ),
        SaphyrError::SerdeMissingField { field: name, .. } => {
            if field.is_empty() {
                format!("missing field `{name}`")
            } else {
                format!("missing field `{name}` in `{field}`")
            }
        }
        SaphyrError::InvalidScalar { ty, .. } => {
            format!("{}expected {}{quoted}", prefix(field), describe_type(ty))
        }
        SaphyrError::SerdeInvalidType {
            unexpected,
            expected,
            ..
        }
        | SaphyrError::SerdeInvalidValue {
            unexpected,
            expected,
            ..
        } => format!("{}expected {expected}, found {unexpected}", prefix(field)),
        SaphyrError::Unexpected { expected, .. } => {
            // The span of a misplaced collection is only its opening bracket or dash.
            let found = match found {
                Some(s) if s.starts_with('[') || s.starts_with('-') => ", found a list".to_owned(),
                Some(s) if s.starts_with('{') => ", found a mapping".to_owned(),
                _ => quoted,
            };
            format!(
                "{}expected {}{found}",
                prefix(field),
                describe_expected(expected)
            )
        }
        SaphyrError::NullIntoString { .. } => {
            format!("{}expected a string, found null", prefix(field))
        }
        other => format!("{}{}", prefix(field), plain_message(other)),
    }
}

fn prefix(field: &str) -> String {
    if field.is_empty() {
        String::new()
    } else {
        format!("`{field}`: ")
    }
}

fn describe_type(ty: &str) -> Cow<'static, str> {
    match ty {
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => "a non-negative integer".into(),
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "an integer".into(),
        "f32" | "f64" | "floating point" => "a number".into(),
        "bool" | "boolean" => "`true` or `false`".into(),
        "char" => "a single character".into(),
        other => format!("a value of type {other}").into(),
    }
}

/// serde-saphyr names YAML node kinds; say them in the words a suite author uses.
fn describe_expected(expected: &str) -> Cow<'_, str> {
    match expected {
        "string scalar" => "a string".into(),
        "mapping start" => "a mapping (`key: value` lines)".into(),
        "sequence start" => "a list".into(),
        other => other.into(),
    }
}

/// The library's own wording, without its location suffix (we print ours first) and with
/// control characters escaped, since the text may quote the input.
fn plain_message(err: &SaphyrError) -> String {
    let mut out = String::new();
    for c in serde_saphyr::DefaultMessageFormatter
        .format_message(err)
        .chars()
    {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}
