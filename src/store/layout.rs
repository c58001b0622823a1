//! Where everything lives in a store. The same keys under a directory or an S3 prefix:
//!
//! ```text
//! runs/<run-id>/run.yaml                               the resolved suite as launched
//! runs/<run-id>/tasks/<task>/seed-<k>/status.json      state, attempts, failure reasons
//! runs/<run-id>/tasks/<task>/seed-<k>/agent/...        the agent's --out (nodes/, journal.json, ...)
//! runs/<run-id>/tasks/<task>/seed-<k>/logs/agent.log   the agent's stderr
//! runs/<run-id>/tasks/<task>/seed-<k>/grade.json       competition report or RE-Bench score
//! runs/<run-id>/grading_report.json                    MLE-bench's run-group report
//! runs/<run-id>/report/                                summary.json, report.md, report.html, runs.csv, runs.parquet
//! reports/latest.json                                  pointer to the newest report (nightly use)
//! ```

pub fn run_prefix(run_id: &str) -> String {
    format!("runs/{run_id}")
}

pub fn run_file(run_id: &str) -> String {
    format!("runs/{run_id}/run.yaml")
}

pub fn tasks_prefix(run_id: &str) -> String {
    format!("runs/{run_id}/tasks")
}

pub fn seed_prefix(run_id: &str, task: &str, seed: u64) -> String {
    format!("runs/{run_id}/tasks/{task}/seed-{seed}")
}

pub fn status_key(run_id: &str, task: &str, seed: u64) -> String {
    format!("{}/status.json", seed_prefix(run_id, task, seed))
}

pub fn agent_prefix(run_id: &str, task: &str, seed: u64) -> String {
    format!("{}/agent", seed_prefix(run_id, task, seed))
}

pub fn log_key(run_id: &str, task: &str, seed: u64) -> String {
    format!("{}/logs/agent.log", seed_prefix(run_id, task, seed))
}

pub fn grade_key(run_id: &str, task: &str, seed: u64) -> String {
    format!("{}/grade.json", seed_prefix(run_id, task, seed))
}

pub fn grading_report_key(run_id: &str) -> String {
    format!("runs/{run_id}/grading_report.json")
}

pub fn report_prefix(run_id: &str) -> String {
    format!("runs/{run_id}/report")
}

pub const LATEST_REPORT_KEY: &str = "reports/latest.json";
