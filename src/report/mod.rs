//! Reports on runs: MLE-bench's official aggregation, leaderboard percentiles, pass@k,
//! RE-Bench scores, cost, and regressions against a baseline run.

mod error;
mod grading_input;
mod numpy;
mod official;
mod pass_at_k;
mod percentile;
mod python_json;
mod score_at_k;
mod significance;

pub use error::ReportError;
pub use grading_input::{read_outcomes, sorted_outcomes};
pub use official::{
    AggregateError, AggregateMetric, AggregateMetrics, AggregateOptions, Outcome, SeedCounts,
    aggregate, build_seeds,
};
pub use pass_at_k::pass_at_k;
pub use percentile::PercentileTable;
pub use score_at_k::score_at_k;
pub use significance::{holm, permutation_p_lower, sign_flip_p_lower};
