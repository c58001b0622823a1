//! Reading MLE-bench grading reports the way its aggregation script does: files in sorted
//! path order, each file's competition reports sorted by competition id, each field read
//! with Python's truthiness (`bool(report["gold_medal"])`).

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::error::ReportError;
use super::official::Outcome;
use crate::grade::parse_python_json;

/// The outcomes of every report in `paths`, in the order the script reads them.
pub fn read_outcomes(paths: &[PathBuf]) -> Result<Vec<Outcome>, ReportError> {
    let mut sorted: Vec<&PathBuf> = paths.iter().collect();
    // Python sorts the path strings by code point; UTF-8 bytes sort the same way.
    sorted.sort_by(|a, b| a.as_os_str().as_encoded_bytes().cmp(b.as_os_str().as_encoded_bytes()));
    let mut outcomes = Vec::new();
    for path in sorted {
        let text = std::fs::read_to_string(path).map_err(|source| ReportError::Read {
            path: path.clone(),
            source,
        })?;
        outcomes.extend(outcomes_of(&text, path)?);
    }
    Ok(outcomes)
}

/// The outcomes of one grading report's text, sorted by competition id.
pub fn outcomes_of(text: &str, path: &Path) -> Result<Vec<Outcome>, ReportError> {
    let bad = |message: String| ReportError::BadGradingReport {
        path: path.to_owned(),
        message,
    };
    let value = parse_python_json(text).map_err(|e| bad(e.to_string()))?;
    let reports = value
        .get("competition_reports")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("no `competition_reports` list".into()))?;
    let mut outcomes = reports
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let field = |name: &str| {
                r.get(name)
                    .ok_or_else(|| bad(format!("competition report {i} has no `{name}`")))
            };
            Ok(Outcome {
                competition_id: python_str(field("competition_id")?),
                gold_medal: truthy(field("gold_medal")?),
                silver_medal: truthy(field("silver_medal")?),
                bronze_medal: truthy(field("bronze_medal")?),
                above_median: truthy(field("above_median")?),
                submission_exists: truthy(field("submission_exists")?),
                valid_submission: truthy(field("valid_submission")?),
            })
        })
        .collect::<Result<Vec<_>, ReportError>>()?;
    // Stable, like Python's `sorted`.
    outcomes.sort_by(|a, b| a.competition_id.cmp(&b.competition_id));
    Ok(outcomes)
}

/// Python's `bool(x)` of a JSON value. The non-finite floats the lenient parser turns into
/// strings (`"NaN"`, `"Infinity"`) are true in Python too.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// Python's `str(x)` for the ids seen in practice (strings; numbers as written).
fn python_str(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        other => other.to_string(),
    }
}
