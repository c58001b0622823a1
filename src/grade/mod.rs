//! Grading: submission validation, native metrics, leaderboards (medals, percentile).

mod benchmarks_dir;
mod label;
mod leaderboard;
mod table;
mod validate;
mod metric_kind;
pub mod metrics;
mod round;

pub use label::Label;
pub use metric_kind::MetricKind;
pub use metric_kind::CellKind;
pub use table::{CsvTable, TableError};
pub use validate::{Ids, SubmissionError, validate_against_answers, validate_against_sample};
pub use benchmarks_dir::{BENCHMARKS_ENV, BenchmarksDirError, benchmarks_dir};
pub use leaderboard::{Leaderboard, LeaderboardError, Rank, Thresholds};
pub use round::round_score;
