//! MLE-bench's per-competition grading report, written and read with the same field names,
//! order and meanings (see MLE-bench's `CompetitionReport`), plus our `reason`.

use std::path::Path;

use serde::{Deserialize, Deserializer, Serialize};

use super::medals::Flags;
use super::python_json::{optional_float, parse_python_json};

/// The report for one submission to one competition. The first 16 fields are MLE-bench's,
/// in its order; `reason` is ours and only present when there is no score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompetitionReport {
    pub competition_id: String,
    /// The metric value rounded to 5 decimals; null when the submission is missing or
    /// invalid (and when MLE-bench wrote NaN).
    #[serde(with = "optional_float")]
    pub score: Option<f64>,
    /// Null when the task has no leaderboard (MLE-bench always has one).
    #[serde(with = "optional_float")]
    pub gold_threshold: Option<f64>,
    #[serde(with = "optional_float")]
    pub silver_threshold: Option<f64>,
    #[serde(with = "optional_float")]
    pub bronze_threshold: Option<f64>,
    #[serde(with = "optional_float")]
    pub median_threshold: Option<f64>,
    pub any_medal: bool,
    pub gold_medal: bool,
    pub silver_medal: bool,
    pub bronze_medal: bool,
    /// Strictly better than the leaderboard's median.
    pub above_median: bool,
    /// The file exists and its name ends in `.csv` (any case).
    pub submission_exists: bool,
    /// The grader produced a score.
    pub valid_submission: bool,
    pub is_lower_better: bool,
    /// When the report was made: `YYYY-MM-DDTHH:MM:SS.ffffff` like Python's
    /// `datetime.isoformat()`, in UTC (MLE-bench writes local time).
    pub created_at: String,
    #[serde(deserialize_with = "string_or_none")]
    pub submission_path: String,
    /// Why there is no score: a missing file, the validation failure, the metric's or the
    /// external grader's error. Not an MLE-bench field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A report that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("could not read {}: {cause}", path.display())]
    Io {
        path: std::path::PathBuf,
        cause: std::io::Error,
    },
    #[error("not a grading report: {0}")]
    Json(serde_json::Error),
}

crate::causes::cause_from!(ReportError::Json(serde_json::Error));

impl CompetitionReport {
    /// The flags that MLE-bench counts (its `any_medal` is the three medals', as here).
    pub fn flags(&self) -> Flags {
        Flags {
            submission_exists: self.submission_exists,
            valid_submission: self.valid_submission,
            above_median: self.above_median,
            gold_medal: self.gold_medal,
            silver_medal: self.silver_medal,
            bronze_medal: self.bronze_medal,
        }
    }

    /// Parses a report as MLE-bench or this crate wrote it (bare `NaN` accepted).
    pub fn from_json(text: &str) -> Result<Self, ReportError> {
        Ok(serde_json::from_value(parse_python_json(text)?)?)
    }

    pub fn read(path: &Path) -> Result<Self, ReportError> {
        Self::from_json(&read_text(path)?)
    }

    /// Pretty JSON, MLE-bench's field order, never a bare NaN.
    pub fn to_json(&self) -> String {
        // Plain data with string keys: serialisation cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

pub(crate) fn read_text(path: &Path) -> Result<String, ReportError> {
    std::fs::read_to_string(path).map_err(|cause| ReportError::Io {
        path: path.to_path_buf(),
        cause,
    })
}

/// MLE-bench writes `str(path)`, so a missing path is the string "None"; accept null too.
fn string_or_none<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_else(|| "None".to_string()))
}

/// Now, as Python's naive `datetime.isoformat()` prints it (microseconds, no offset), UTC.
pub fn now_isoformat() -> String {
    let stamp = humantime::format_rfc3339_micros(std::time::SystemTime::now()).to_string();
    stamp.trim_end_matches('Z').to_string()
}
