//! One run's entry in the run-group index: what a report or `status` needs of the run,
//! parsed once from its files (`status.json`, `grade.json`, the agent's `usage.json` and
//! `progress.json`, per-node grades). Built the same way by the controller when a run
//! ends and by a rebuild, so the two agree by construction.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::agent::Progress;
use crate::fleet::{GradeRecord, RunKey, RunStatus};
use crate::grade::CompetitionReport;

/// The agent's spend, from `usage.json`'s `total`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct UsageTotals {
    pub cost_usd: Option<f64>,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
}

/// The parts of the agent's `progress.json` a report shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ProgressSummary {
    pub step: Option<u64>,
    pub buggy_nodes: Option<u64>,
    pub elapsed_s: Option<f64>,
    pub cost_usd: Option<f64>,
}

impl From<&Progress> for ProgressSummary {
    fn from(p: &Progress) -> Self {
        ProgressSummary {
            step: Some(p.step as u64),
            buggy_nodes: Some(p.buggy_nodes as u64),
            elapsed_s: Some(p.elapsed_s),
            cost_usd: Some(p.cost_usd),
        }
    }
}

/// One graded node (`agent/nodes/NNNNN.grade.json`): what the selection gap needs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NodeGrade {
    pub score: Option<f64>,
    pub any_medal: bool,
}

/// A run as the index holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub task: String,
    pub seed: u64,
    /// `status.json`'s generation when this record was made (0: no status, or one
    /// written before generations were counted).
    pub generation: u64,
    pub status: Option<RunStatus>,
    pub grade: Option<GradeRecord>,
    pub usage: Option<UsageTotals>,
    pub progress: Option<ProgressSummary>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub node_grades: Vec<NodeGrade>,
    /// What could not be read, one line each (`task/seed-0/grade.json: ...`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// The bytes of one run's files as the store holds them (None: absent).
#[derive(Debug, Default)]
pub struct RunFiles {
    pub status: Option<Vec<u8>>,
    pub grade: Option<Vec<u8>>,
    pub usage: Option<Vec<u8>>,
    pub progress: Option<Vec<u8>>,
    /// (key, bytes) of every node grade.
    pub node_grades: Vec<(String, Vec<u8>)>,
}

impl RunRecord {
    /// A planned run with nothing stored yet.
    pub fn empty(key: &RunKey) -> Self {
        RunRecord {
            task: key.task.clone(),
            seed: key.seed,
            generation: 0,
            status: None,
            grade: None,
            usage: None,
            progress: None,
            node_grades: Vec::new(),
            warnings: Vec::new(),
        }
    }

    pub fn key(&self) -> RunKey {
        RunKey {
            task: self.task.clone(),
            seed: self.seed,
        }
    }

    /// Parses a run's files. The store is untrusted: a file that does not parse becomes
    /// an empty field and a warning.
    pub fn from_files(key: &RunKey, files: RunFiles) -> Self {
        let mut record = RunRecord::empty(key);
        let context = format!("{}/seed-{}", key.task, key.seed);
        let warnings = &mut record.warnings;
        record.status = files.status.as_deref().and_then(|bytes| {
            serde_json::from_slice::<RunStatus>(bytes)
                .map_err(|e| warnings.push(format!("{context}/status.json: {e}")))
                .ok()
        });
        record.generation = record.status.as_ref().map_or(0, |s| s.generation);
        record.grade = files.grade.as_deref().and_then(|bytes| {
            std::str::from_utf8(bytes)
                .map_err(|e| e.to_string())
                .and_then(GradeRecord::parse)
                .map_err(|e| warnings.push(format!("{context}/grade.json: {e}")))
                .ok()
        });
        let value = |bytes: Option<&[u8]>, name: &str, warnings: &mut Vec<String>| {
            serde_json::from_slice::<Value>(bytes?)
                .map_err(|e| warnings.push(format!("{context}/agent/{name}: {e}")))
                .ok()
        };
        let number = |v: &Value, path: &[&str]| -> Option<f64> {
            path.iter()
                .try_fold(v, |v, k| v.get(k))
                .and_then(Value::as_f64)
        };
        record.usage = value(files.usage.as_deref(), "usage.json", warnings).map(|v| UsageTotals {
            cost_usd: number(&v, &["total", "cost_usd"]),
            input_tokens: number(&v, &["total", "input_tokens"]).map(|t| t as u64),
            output_tokens: number(&v, &["total", "output_tokens"]).map(|t| t as u64),
        });
        record.progress =
            value(files.progress.as_deref(), "progress.json", warnings).map(|v| ProgressSummary {
                step: number(&v, &["step"]).map(|s| s as u64),
                buggy_nodes: number(&v, &["buggy_nodes"]).map(|b| b as u64),
                elapsed_s: number(&v, &["elapsed_s"]),
                cost_usd: number(&v, &["cost_usd"]),
            });
        record.node_grades = files
            .node_grades
            .iter()
            .filter_map(|(key, bytes)| {
                CompetitionReport::from_json(&String::from_utf8_lossy(bytes))
                    .map(|g| NodeGrade {
                        score: g.score,
                        any_medal: g.any_medal,
                    })
                    .map_err(|e| warnings.push(format!("{key}: {e}")))
                    .ok()
            })
            .collect();
        record
    }

    /// Takes what was read from the store after the run ended (grade, usage, progress,
    /// node grades) and keeps this record's status, which the controller wrote itself and
    /// is never older than the file.
    pub fn fold(&mut self, read: RunRecord) {
        let status_warning = format!("{}/seed-{}/status.json", self.task, self.seed);
        self.grade = read.grade;
        self.usage = read.usage;
        self.progress = read.progress.or(self.progress);
        self.node_grades = read.node_grades;
        self.warnings = read
            .warnings
            .into_iter()
            .filter(|w| !w.starts_with(&status_warning))
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> RunKey {
        RunKey {
            task: "t".into(),
            seed: 0,
        }
    }

    #[test]
    fn files_that_do_not_parse_become_warnings_not_errors() {
        let record = RunRecord::from_files(
            &key(),
            RunFiles {
                status: Some(b"{not json".to_vec()),
                grade: Some(b"[]".to_vec()),
                usage: Some(br#"{"total": {"cost_usd": 0.5, "input_tokens": 10}}"#.to_vec()),
                progress: Some(b"\xff".to_vec()),
                node_grades: vec![(
                    "t/seed-0/agent/nodes/00001.grade.json".into(),
                    b"x".to_vec(),
                )],
            },
        );
        assert_eq!(record.status, None);
        assert_eq!(record.grade, None);
        assert_eq!(record.progress, None);
        assert!(record.node_grades.is_empty());
        assert_eq!(
            record.usage,
            Some(UsageTotals {
                cost_usd: Some(0.5),
                input_tokens: Some(10),
                output_tokens: None
            })
        );
        let files: Vec<&str> = record
            .warnings
            .iter()
            .map(|w| w.split(':').next().unwrap())
            .collect();
        assert_eq!(
            files,
            [
                "t/seed-0/status.json",
                "t/seed-0/grade.json",
                "t/seed-0/agent/progress.json",
                "t/seed-0/agent/nodes/00001.grade.json"
            ]
        );
    }

    #[test]
    fn a_fold_keeps_the_controllers_status_and_takes_the_rest() {
        let mut mine = RunRecord::empty(&key());
        mine.generation = 3;
        mine.warnings.push("stale".into());
        let mut read = RunRecord::empty(&key());
        read.generation = 2;
        read.usage = Some(UsageTotals::default());
        read.warnings = vec![
            "t/seed-0/status.json: not valid".into(),
            "t/seed-0/grade.json: not valid".into(),
        ];
        mine.fold(read);
        assert_eq!(mine.generation, 3);
        assert_eq!(mine.usage, Some(UsageTotals::default()));
        assert_eq!(mine.warnings, ["t/seed-0/grade.json: not valid"]);
    }
}
