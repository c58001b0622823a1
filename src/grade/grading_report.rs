//! MLE-bench's run-group grading report: counts over competition reports, then the reports.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::python_json::parse_python_json;
use super::report::{CompetitionReport, ReportError, read_text};

/// What `mlebench grade` writes as `<timestamp>_grading_report.json`: plain counts (no
/// percentages, no per-seed logic) and every competition report, same names and order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GradingReport {
    pub total_runs: usize,
    pub total_runs_with_submissions: usize,
    pub total_valid_submissions: usize,
    pub total_medals: usize,
    pub total_gold_medals: usize,
    pub total_silver_medals: usize,
    pub total_bronze_medals: usize,
    pub total_above_median: usize,
    pub competition_reports: Vec<CompetitionReport>,
}

impl GradingReport {
    /// Counts as MLE-bench's `aggregate_reports` does.
    pub fn from_reports(reports: Vec<CompetitionReport>) -> Self {
        let count = |f: fn(&CompetitionReport) -> bool| reports.iter().filter(|r| f(r)).count();
        GradingReport {
            total_runs: reports.len(),
            total_runs_with_submissions: count(|r| r.submission_exists),
            total_valid_submissions: count(|r| r.valid_submission),
            total_medals: count(|r| r.any_medal),
            total_gold_medals: count(|r| r.gold_medal),
            total_silver_medals: count(|r| r.silver_medal),
            total_bronze_medals: count(|r| r.bronze_medal),
            total_above_median: count(|r| r.above_median),
            competition_reports: reports,
        }
    }

    /// Parses a grading report as MLE-bench or this crate wrote it (bare `NaN` accepted).
    pub fn from_json(text: &str) -> Result<Self, ReportError> {
        Ok(serde_json::from_value(parse_python_json(text)?)?)
    }

    pub fn read(path: &Path) -> Result<Self, ReportError> {
        Self::from_json(&read_text(path)?)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}
