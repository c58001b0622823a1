//! Reading MLE-bench grading reports the way its aggregation script does: files in sorted
//! path order, each file's competition reports sorted by competition id.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::error::ReportError;
use super::official::Outcome;
use crate::grade::CompetitionReport;

/// What MLE-bench's aggregation reads of a grading report: `competition_reports` and six
/// flags of each. Everything else (scores, thresholds, paths, the totals) may be absent,
/// as in reports cut down to `competition_reports`; totals that are present are checked.
#[derive(Deserialize)]
struct AggregationInput {
    competition_reports: Vec<OutcomeFields>,
    total_runs: Option<usize>,
    total_runs_with_submissions: Option<usize>,
    total_valid_submissions: Option<usize>,
    total_medals: Option<usize>,
    total_gold_medals: Option<usize>,
    total_silver_medals: Option<usize>,
    total_bronze_medals: Option<usize>,
    total_above_median: Option<usize>,
}

#[derive(Deserialize)]
struct OutcomeFields {
    competition_id: String,
    gold_medal: bool,
    silver_medal: bool,
    bronze_medal: bool,
    above_median: bool,
    submission_exists: bool,
    valid_submission: bool,
}

impl AggregationInput {
    fn read(path: &Path) -> Result<Vec<Outcome>, ReportError> {
        let bad = |message: String| ReportError::GradingInput {
            path: path.to_path_buf(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
        let value =
            crate::grade::parse_python_json(&text).map_err(|e| bad(format!("not JSON: {e}")))?;
        let input: AggregationInput = serde_path_to_error::deserialize(value)
            .map_err(|e| bad(format!("field `{}`: {}", e.path(), e.inner())))?;
        let outcomes: Vec<Outcome> = input
            .competition_reports
            .into_iter()
            .map(|r| Outcome {
                competition_id: r.competition_id,
                gold_medal: r.gold_medal,
                silver_medal: r.silver_medal,
                bronze_medal: r.bronze_medal,
                above_median: r.above_median,
                submission_exists: r.submission_exists,
                valid_submission: r.valid_submission,
            })
            .collect();
        let count = |f: fn(&Outcome) -> bool| outcomes.iter().filter(|o| f(o)).count();
        for (field, stated, counted) in [
            ("total_runs", input.total_runs, outcomes.len()),
            (
                "total_runs_with_submissions",
                input.total_runs_with_submissions,
                count(|o| o.submission_exists),
            ),
            (
                "total_valid_submissions",
                input.total_valid_submissions,
                count(|o| o.valid_submission),
            ),
            (
                "total_medals",
                input.total_medals,
                count(Outcome::any_medal),
            ),
            (
                "total_gold_medals",
                input.total_gold_medals,
                count(|o| o.gold_medal),
            ),
            (
                "total_silver_medals",
                input.total_silver_medals,
                count(|o| o.silver_medal),
            ),
            (
                "total_bronze_medals",
                input.total_bronze_medals,
                count(|o| o.bronze_medal),
            ),
            (
                "total_above_median",
                input.total_above_median,
                count(|o| o.above_median),
            ),
        ] {
            if let Some(stated) = stated
                && stated != counted
            {
                return Err(bad(format!(
                    "`{field}` says {stated} but `competition_reports` has {counted}"
                )));
            }
        }
        Ok(outcomes)
    }
}

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
        let mut read = AggregationInput::read(path)?;
        // Stable, like Python's `sorted` by competition id.
        read.sort_by(|a, b| a.competition_id.cmp(&b.competition_id));
        outcomes.extend(read);
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
