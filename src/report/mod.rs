//! Reports on runs: MLE-bench's official aggregation, leaderboard percentiles, pass@k,
//! RE-Bench scores, cost, and regressions against a baseline run.

mod aggregate;
mod collect;
mod compare;
mod error;
mod frame;
mod grading_input;
mod html;
mod markdown;
mod numpy;
mod official;
mod pass_at_k;
mod percentile;
mod publish;
mod python_json;
mod row;
mod score_at_k;
mod seed_sums;
mod significance;
mod summary;
mod svg;
mod task_info;

pub use aggregate::{
    AggregateInput, Aggregates, AtK, MeanSe, ResearchStats, SelectionStats, SplitSpec, SplitStats,
    TaskStats, Totals, aggregate,
};
pub use collect::{GroupPlan, RunData, read_run, read_run_with};
pub use compare::{Comparison, DEFAULT_ALPHA, Delta, compare};
pub use error::ReportError;
pub use frame::{attempts_frame, runs_frame, to_csv, to_parquet};
pub use grading_input::{read_outcomes, sorted_outcomes};
pub use official::{
    AggregateError, AggregateMetric, AggregateMetrics, AggregateOptions, Outcome,
    aggregate as aggregate_official, build_seeds,
};
pub use pass_at_k::pass_at_k;
pub use percentile::PercentileTable;
pub use publish::{
    CSV_FILE, HTML_FILE, LatestPointer, MARKDOWN_FILE, PARQUET_FILE, Rendered, SUMMARY_FILE,
};
pub use row::{AttemptRow, RunRow};
pub use score_at_k::score_at_k;
pub use significance::{holm, permutation_p_lower, stratified_p_lower};
pub use summary::{FailureCount, RUN_SPLIT, Report, Summary};
pub use task_info::{Kind, ResearchInfo, TaskCatalog, TaskInfo};
