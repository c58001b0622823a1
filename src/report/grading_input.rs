//! Reading MLE-bench grading reports the way its aggregation script does: files in sorted
//! path order, each file's competition reports sorted by competition id.

use std::path::PathBuf;

use super::error::ReportError;
use super::official::Outcome;
use crate::grade::{CompetitionReport, GradingReport};

/// The outcomes of every report in `paths`, in the order the script reads them.
pub fn read_outcomes(paths: &[PathBuf]) -> Result<Vec<Outcome>, ReportError> {
    let mut sorted: Vec<&PathBuf> = paths.iter().collect();
    // Python sorts the path strings by code point; UTF-8 bytes sort the same way.
    sorted.sort_by(|a, b| {
        a.as_os_str()
            .as_encoded_bytes()
            .cmp(b.as_os_str().as_encoded_bytes())
    });
    let mut outcomes = Vec::new();
    for path in sorted {
        let report = GradingReport::read(path).map_err(|source| ReportError::GradingReport {
            path: path.clone(),
            source,
        })?;
        outcomes.extend(sorted_outcomes(&report.competition_reports));
    }
    Ok(outcomes)
}

/// One grading report's outcomes sorted by competition id (stably, like Python's `sorted`).
pub fn sorted_outcomes(reports: &[CompetitionReport]) -> Vec<Outcome> {
    let mut outcomes: Vec<Outcome> = reports.iter().map(Outcome::from).collect();
    outcomes.sort_by(|a, b| a.competition_id.cmp(&b.competition_id));
    outcomes
}

impl From<&CompetitionReport> for Outcome {
    fn from(r: &CompetitionReport) -> Self {
        Outcome {
            competition_id: r.competition_id.clone(),
            gold_medal: r.gold_medal,
            silver_medal: r.silver_medal,
            bronze_medal: r.bronze_medal,
            above_median: r.above_median,
            submission_exists: r.submission_exists,
            valid_submission: r.valid_submission,
        }
    }
}
