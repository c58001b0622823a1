//! The per-run table: one row per planned (task, seed), whatever became of the run, and
//! one row per failed attempt. Everything a report shows is aggregated from these.

/// One (task, seed) run. Columns of `runs.csv` / `runs.parquet`, in this order.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRow {
    pub run_id: String,
    pub task: String,
    pub seed: u64,
    /// Rank of `seed` among the task's seeds, from 0: MLE-bench's "i-th report of each
    /// competition", so seed i of every task forms the i-th complete seed.
    pub seed_index: u32,
    /// `competition` or `research`.
    pub kind: &'static str,
    /// MLE-bench's complexity split (`low`, `medium`, `high`, `dev`).
    pub complexity: Option<&'static str>,
    /// `pending`, `running`, `succeeded`, `failed`, or `missing` (no status.json).
    pub state: String,
    pub attempts: u32,
    /// The reason of the latest failed attempt.
    pub failure: Option<String>,
    /// A grade.json exists and was read.
    pub graded: bool,
    pub submission_exists: bool,
    pub valid_submission: bool,
    /// The competition score (rounded as MLE-bench rounds) or the raw research score.
    pub score: Option<f64>,
    pub gold_medal: bool,
    pub silver_medal: bool,
    pub bronze_medal: bool,
    pub any_medal: bool,
    pub above_median: bool,
    /// Percentage of leaderboard teams beaten (0 without a valid score); `None` without a
    /// leaderboard.
    pub percentile: Option<f64>,
    /// Research tasks: RE-Bench's normalised score (0 when missing or below the start).
    pub normalized_score: Option<f64>,
    pub steps: Option<u32>,
    pub buggy_nodes: Option<u32>,
    pub cost_usd: Option<f64>,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    pub elapsed_s: Option<f64>,
    pub gpus: u32,
    pub gpu_hours: Option<f64>,
    /// Best percentile over every node with a grade (`agent/nodes/NNNNN.grade.json`);
    /// `None` when no node was graded.
    pub best_node_percentile: Option<f64>,
    /// `best_node_percentile - percentile`: what selecting by validation metric lost.
    pub selection_gap: Option<f64>,
    /// Some graded node earned a medal.
    pub best_node_medal: Option<bool>,
}

/// One attempt that did not succeed.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptRow {
    pub task: String,
    pub seed: u64,
    pub number: u32,
    /// `failed`, `preempted`, `cancelled`, or `unfinished` (no outcome recorded).
    pub outcome: &'static str,
    pub reason: String,
    /// The reason up to its first `:` (`exit code 4`, `OOMKilled`, `Evicted`), for counting.
    pub reason_kind: String,
}

impl AttemptRow {
    pub fn kind_of(reason: &str) -> String {
        let head = reason.split(':').next().unwrap_or(reason).trim();
        let head: String = head.chars().take(60).collect();
        if head.is_empty() {
            "unknown".into()
        } else {
            head
        }
    }
}
