//! A run's `grade.json`: an MLE-bench competition report, or the score record of a
//! research task (`{"task", "score", "normalized_score", "starting_score",
//! "reference_score", "lower_is_better"}`).

use serde::{Deserialize, Serialize};

use crate::bench::rebench::normalized_score;
use crate::grade::CompetitionReport;

/// As `grade.json` holds it; the run-group index keeps it tagged by kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GradeRecord {
    Competition(Box<CompetitionReport>),
    Research(ScoreRecord),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreRecord {
    pub task: String,
    pub score: Option<f64>,
    #[serde(default)]
    pub normalized_score: Option<f64>,
    #[serde(default)]
    pub starting_score: Option<f64>,
    #[serde(default)]
    pub reference_score: Option<f64>,
}

impl GradeRecord {
    /// A competition report when the text has a `competition_id`, else a score record.
    pub fn parse(text: &str) -> Result<Self, String> {
        let is_report = serde_json::from_str::<serde_json::Value>(text)
            .map(|v| v.get("competition_id").is_some())
            // Bare NaN (MLE-bench writes it) fails plain JSON: only reports have it.
            .unwrap_or(true);
        if is_report {
            CompetitionReport::from_json(text)
                .map(|r| GradeRecord::Competition(Box::new(r)))
                .map_err(|e| e.to_string())
        } else {
            serde_json::from_str(text)
                .map(GradeRecord::Research)
                .map_err(|e| format!("not a competition report or score record: {e}"))
        }
    }
}

impl ScoreRecord {
    /// RE-Bench's normalised score: `(y - start) / (reference - start)`, floored at 0
    /// (also for a missing score), never capped above. The record's own value wins; its
    /// anchors, else the catalog's `(starting, reference)`, serve otherwise.
    pub fn normalized(&self, catalog: Option<(f64, f64)>) -> f64 {
        if let Some(n) = self.normalized_score.filter(|n| n.is_finite()) {
            return n.max(0.0);
        }
        let anchors = match (self.starting_score, self.reference_score) {
            (Some(s), Some(r)) => Some((s, r)),
            _ => catalog,
        };
        // 0 for no score, no anchors or equal anchors.
        self.score
            .zip(anchors)
            .and_then(|(y, (s, r))| normalized_score(y, s, r))
            .unwrap_or(0.0)
    }
}
