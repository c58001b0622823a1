//! MLE-bench's run-group grading report: counts over competition reports, then the reports.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::medals::MedalCounts;
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
        let c = MedalCounts::of(reports.iter().map(CompetitionReport::flags));
        GradingReport {
            total_runs: c.total_competitions,
            total_runs_with_submissions: c.submission_exists,
            total_valid_submissions: c.valid_submissions,
            total_medals: c.any_medals,
            total_gold_medals: c.gold_medals,
            total_silver_medals: c.silver_medals,
            total_bronze_medals: c.bronze_medals,
            total_above_median: c.above_median,
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
