//! Grading: submission validation, native metrics, leaderboards (medals, percentile),
//! MLE-bench's competition and grading reports.

mod benchmarks_dir;
mod external;
mod grading;
mod grading_report;
mod label;
mod leaderboard;
mod medals;
mod metric_kind;
pub mod metrics;
mod python_json;
mod report;
mod round;
mod table;
mod task;
mod validate;

pub use benchmarks_dir::{BENCHMARKS_ENV, BenchmarksDirError, benchmarks_dir};
pub use external::{ExternalError, run_external};
pub use grading::{GradeError, grade_submission, score_submission};
pub use grading_report::GradingReport;
pub use label::Label;
pub use leaderboard::{Leaderboard, LeaderboardError, Rank, Thresholds};
pub use medals::{Flags, MedalCounts};
pub use metric_kind::{CellKind, MetricKind};
pub use python_json::parse_python_json;
pub use report::{CompetitionReport, ReportError, now_isoformat};
pub use round::round_score;
pub use table::{CsvTable, MAX_CELL_BYTES, MAX_COLUMNS, TableError};
pub use task::{ExternalGrader, GradeTask, MetricOptions};
pub use validate::{
    Ids, ROW_SUM_TOLERANCE, SAMPLE_CHECK_BUDGET, SubmissionError, validate_against_answers,
    validate_against_sample, validate_against_sample_within,
};
