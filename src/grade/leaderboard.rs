//! Kaggle leaderboards as MLE-bench keeps them, medal thresholds and flags exactly as
//! MLE-bench's `Grader.rank_score`, and our percentile extension.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::benchmarks_dir::{BenchmarksDirError, benchmarks_dir};
use super::table::{CsvTable, TableError, parse_number};

/// A leaderboard's `score` column in file order (best first on Kaggle; never re-sorted).
#[derive(Debug, Clone, PartialEq)]
pub struct Leaderboard {
    scores: Vec<f64>,
}

/// Why a leaderboard could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LeaderboardError {
    #[error(transparent)]
    Table(#[from] TableError),
    #[error("{} has no `score` column", path.display())]
    NoScoreColumn { path: PathBuf },
    #[error("{} has no rows; medal thresholds need at least one team", path.display())]
    NoTeams { path: PathBuf },
    #[error("{} has a score that is not a finite number in row {row} (line {}): `{value}`", path.display(), row + 1)]
    BadScore {
        path: PathBuf,
        row: usize,
        value: String,
    },
    #[error("`{id}` is not a competition id (letters, digits, `-`, `_` and `.` only)")]
    BadCompetitionId { id: String },
    #[error(transparent)]
    BenchmarksDir(#[from] BenchmarksDirError),
    #[error("no leaderboard for competition `{id}`: {} does not exist (set AIDE_FLEET_BENCHMARKS to the directory holding mle-bench/leaderboards/)", path.display())]
    UnknownCompetition { id: String, path: PathBuf },
}

/// The medal thresholds of a leaderboard: the scores at MLE-bench's medal rows, and the
/// median of all scores.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    pub is_lower_better: bool,
    pub gold: f64,
    pub silver: f64,
    pub bronze: f64,
    pub median: f64,
    /// 1-based leaderboard rows the medal thresholds come from.
    pub gold_row: usize,
    pub silver_row: usize,
    pub bronze_row: usize,
}

/// Where a score would stand: MLE-bench's flags plus our percentile. Serialises with the
/// field names and order `aide-fleet rank --json` prints.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rank {
    /// The score ranked; `None` for a missing or invalid submission.
    pub score: Option<f64>,
    pub is_lower_better: bool,
    pub gold_threshold: f64,
    pub silver_threshold: f64,
    pub bronze_threshold: f64,
    pub median_threshold: f64,
    pub gold_medal: bool,
    pub silver_medal: bool,
    pub bronze_medal: bool,
    pub any_medal: bool,
    pub above_median: bool,
    /// Our extension (MLE-bench computes none): the percentage of leaderboard teams the
    /// score strictly beats, 0 to 100; `None` without a score.
    pub percentile: Option<f64>,
}

impl Leaderboard {
    /// From scores in leaderboard order; at least one, all finite.
    pub fn from_scores(scores: Vec<f64>) -> Option<Self> {
        (!scores.is_empty() && scores.iter().all(|s| s.is_finite()))
            .then_some(Leaderboard { scores })
    }

    /// Reads an MLE-bench `leaderboard.csv`; only the `score` column is used.
    pub fn read(path: &Path) -> Result<Self, LeaderboardError> {
        let table = CsvTable::read(path)?;
        let col = table
            .column("score")
            .ok_or_else(|| LeaderboardError::NoScoreColumn {
                path: path.to_path_buf(),
            })?;
        let mut scores = Vec::with_capacity(table.rows.len());
        for (i, row) in table.rows.iter().enumerate() {
            match parse_number(&row[col]).filter(|s| s.is_finite()) {
                Some(s) => scores.push(s),
                None => {
                    return Err(LeaderboardError::BadScore {
                        path: path.to_path_buf(),
                        row: i + 1,
                        value: row[col].clone(),
                    });
                }
            }
        }
        Leaderboard::from_scores(scores).ok_or_else(|| LeaderboardError::NoTeams {
            path: path.to_path_buf(),
        })
    }

    /// The leaderboard of an MLE-bench competition shipped with this repository:
    /// `<benchmarks>/mle-bench/leaderboards/<id>.csv`.
    pub fn for_competition(id: &str) -> Result<Self, LeaderboardError> {
        let valid = !id.is_empty()
            && !id.starts_with('.')
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
        if !valid {
            return Err(LeaderboardError::BadCompetitionId { id: id.to_string() });
        }
        let path = benchmarks_dir()?
            .join("mle-bench")
            .join("leaderboards")
            .join(format!("{id}.csv"));
        if !path.is_file() {
            return Err(LeaderboardError::UnknownCompetition {
                id: id.to_string(),
                path,
            });
        }
        Leaderboard::read(&path)
    }

    pub fn scores(&self) -> &[f64] {
        &self.scores
    }

    /// MLE-bench's direction rule: lower is better iff the first row's score is strictly
    /// below the last row's (equal ends count as higher-is-better).
    pub fn is_lower_better(&self) -> bool {
        self.scores[0] < self.scores[self.scores.len() - 1]
    }

    /// Kaggle's progression rule by team count, as MLE-bench applies it (integer
    /// arithmetic gives the same rows as Python's `int(n * 0.1)` for any real n).
    pub fn thresholds(&self) -> Thresholds {
        let n = self.scores.len();
        let at_least_one = |r: usize| r.max(1);
        let (gold_row, silver_row, bronze_row) = if n < 100 {
            (
                at_least_one(n * 10 / 100),
                at_least_one(n * 20 / 100),
                at_least_one(n * 40 / 100),
            )
        } else if n < 250 {
            (10, at_least_one(n * 20 / 100), at_least_one(n * 40 / 100))
        } else if n < 1000 {
            (10 + n * 2 / 1000, 50, 100)
        } else {
            (
                10 + n * 2 / 1000,
                at_least_one(n * 5 / 100),
                at_least_one(n * 10 / 100),
            )
        };
        let at = |row: usize| self.scores[row - 1];
        Thresholds {
            is_lower_better: self.is_lower_better(),
            gold: at(gold_row),
            silver: at(silver_row),
            bronze: at(bronze_row),
            median: median(&self.scores),
            gold_row,
            silver_row,
            bronze_row,
        }
    }

    /// Medals, above-median and percentile for `score`, exactly as MLE-bench's
    /// `rank_score`: a score equal to a threshold earns it; medals are exclusive, the best
    /// one wins; above-median is strict; `None` earns nothing. Like `rank_score` this does
    /// not round: pass a metric value through [`round_score`](super::round_score) first,
    /// as MLE-bench's grader does before ranking.
    pub fn rank(&self, score: Option<f64>) -> Rank {
        let t = self.thresholds();
        let lower = t.is_lower_better;
        let at_least = |x: f64, threshold: f64| {
            if lower {
                x <= threshold
            } else {
                x >= threshold
            }
        };
        let beats = |x: f64, other: f64| if lower { x < other } else { x > other };
        let (gold, silver, bronze, above_median) = match score {
            Some(x) => {
                let gold = at_least(x, t.gold);
                let silver = !gold && at_least(x, t.silver);
                let bronze = !gold && !silver && at_least(x, t.bronze);
                (gold, silver, bronze, beats(x, t.median))
            }
            None => (false, false, false, false),
        };
        Rank {
            score,
            is_lower_better: lower,
            gold_threshold: t.gold,
            silver_threshold: t.silver,
            bronze_threshold: t.bronze,
            median_threshold: t.median,
            gold_medal: gold,
            silver_medal: silver,
            bronze_medal: bronze,
            any_medal: gold || silver || bronze,
            above_median,
            percentile: score.map(|x| {
                let beaten = self.scores.iter().filter(|&&s| beats(x, s)).count();
                100.0 * beaten as f64 / self.scores.len() as f64
            }),
        }
    }
}

/// pandas' median: the middle value, or the mean of the two middle values computed in
/// floating point (so 0.59595 and 0.59596 give 0.5995950000000001, as MLE-bench reports).
fn median(scores: &[f64]) -> f64 {
    let mut sorted = scores.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    }
}
