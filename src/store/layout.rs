//! Where everything lives in a store. The same keys under a directory or an S3 prefix:
//!
//! ```text
//! runs/<run-id>/run.yaml                               the resolved suite as launched
//! runs/<run-id>/tasks/<task>/seed-<k>/status.json      state, attempts, failure reasons
//! runs/<run-id>/tasks/<task>/seed-<k>/agent/...        the agent's --out (nodes/, journal.json, ...)
//! runs/<run-id>/tasks/<task>/seed-<k>/logs/agent.log   the agent's stderr
//! runs/<run-id>/tasks/<task>/seed-<k>/grade.json       competition report or RE-Bench score
//! runs/<run-id>/grading_report.json                    MLE-bench's run-group report
//! runs/<run-id>/index.json                             every run's record (fleet::index)
//! runs/<run-id>/report/                                summary.json, report.md, report.html, runs.csv, runs.parquet
//! reports/latest.json                                  pointer to the newest report (nightly use)
//! ```

/// The longest name of one directory on common file systems (ext4, XFS, APFS): a run id
/// and a task id are each one directory of a directory store.
pub const MAX_NAME_BYTES: usize = 255;

/// A run id or task id that cannot be one segment of a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} `{name}` {reason}")]
pub struct BadName {
    pub what: &'static str,
    pub name: String,
    pub reason: &'static str,
}

/// A run id: one non-empty key segment of at most [`MAX_NAME_BYTES`], not `.` or `..`,
/// without `/` (a run id with `..` or `//` would name another run's keys, or none).
pub fn validate_run_id(run_id: &str) -> Result<(), BadName> {
    validate_name("run id", run_id)
}

/// A task id, as in `run.yaml`: the same rules as a run id.
pub fn validate_task_id(task: &str) -> Result<(), BadName> {
    validate_name("task id", task)
}

fn validate_name(what: &'static str, name: &str) -> Result<(), BadName> {
    let reason = if name.is_empty() {
        "is empty"
    } else if name.len() > MAX_NAME_BYTES {
        "is longer than 255 bytes"
    } else if name == "." || name == ".." {
        "is `.` or `..`"
    } else if name.contains('/') {
        "contains `/`"
    } else if name.chars().any(char::is_control) {
        "contains a control character"
    } else {
        return Ok(());
    };
    Err(BadName {
        what,
        name: name.chars().take(80).collect(),
        reason,
    })
}

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

/// A run's index record stamped with the versions of the files it was made from (see
/// `fleet::index::stamped`): a rebuild reads it instead of those files while they match.
pub fn stamped_record_key(run_id: &str, task: &str, seed: u64) -> String {
    format!("{}/{STAMPED_RECORD_FILE}", seed_prefix(run_id, task, seed))
}

/// The stamped record's name in a run's directory.
pub const STAMPED_RECORD_FILE: &str = "index-record.json";

pub fn index_key(run_id: &str) -> String {
    format!("runs/{run_id}/index.json")
}

pub fn grading_report_key(run_id: &str) -> String {
    format!("runs/{run_id}/grading_report.json")
}

pub fn report_prefix(run_id: &str) -> String {
    format!("runs/{run_id}/report")
}

pub const LATEST_REPORT_KEY: &str = "reports/latest.json";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_that_are_not_one_segment_are_refused() {
        for bad in ["", ".", "..", "../x", "a//b", "a/b", "x\0", "tab\there"] {
            assert!(validate_run_id(bad).is_err(), "{bad:?} accepted");
            assert!(validate_task_id(bad).is_err(), "{bad:?} accepted");
        }
        assert!(validate_task_id(&"t".repeat(256)).is_err());
        for good in [
            "demo-1",
            "nightly-2025-06-02",
            "a..b",
            ".hidden",
            &"t".repeat(255),
        ] {
            validate_run_id(good).unwrap();
        }
    }
}
