//! Reading MLE-bench grading reports the way its aggregation script does: files in sorted
//! path order, each file's competition reports sorted by competition id.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::error::ReportError;
use super::official::Outcome;
use crate::grade::{CompetitionReport, MedalCounts};

/// What MLE-bench's aggregation reads of a grading report: `competition_reports` and six
/// flags of each ([`Outcome`]). Everything else (scores, thresholds, paths, the totals)
/// may be absent, as in reports cut down to `competition_reports`; totals that are
/// present are checked against the reports.
#[derive(Deserialize)]
struct AggregationInput {
    competition_reports: Vec<Outcome>,
    total_runs: Option<usize>,
    total_runs_with_submissions: Option<usize>,
    total_valid_submissions: Option<usize>,
    total_medals: Option<usize>,
    total_gold_medals: Option<usize>,
    total_silver_medals: Option<usize>,
    total_bronze_medals: Option<usize>,
    total_above_median: Option<usize>,
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
        let counted = MedalCounts::of(input.competition_reports.iter().map(Outcome::flags));
        #[rustfmt::skip]
        let totals = [
            ("total_runs", input.total_runs, counted.total_competitions),
            ("total_runs_with_submissions", input.total_runs_with_submissions, counted.submission_exists),
            ("total_valid_submissions", input.total_valid_submissions, counted.valid_submissions),
            ("total_medals", input.total_medals, counted.any_medals),
            ("total_gold_medals", input.total_gold_medals, counted.gold_medals),
            ("total_silver_medals", input.total_silver_medals, counted.silver_medals),
            ("total_bronze_medals", input.total_bronze_medals, counted.bronze_medals),
            ("total_above_median", input.total_above_median, counted.above_median),
        ];
        for (field, stated, counted) in totals {
            if let Some(stated) = stated
                && stated != counted
            {
                return Err(bad(format!(
                    "`{field}` says {stated} but `competition_reports` has {counted}"
                )));
            }
        }
        Ok(input.competition_reports)
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
