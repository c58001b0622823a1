//! What a report needs to know about each task beyond its runs: competition or research
//! task, MLE-bench complexity split, leaderboard (for percentiles), RE-Bench anchors and
//! GPUs. Read from the shipped benchmark catalogs; a task none of them knows still gets a
//! row (no percentile), with a warning.

use std::path::Path;

use crate::bench::mlebench::Complexity;
use crate::bench::{Benchmark, Catalog, TaskKind};
use crate::grade::Leaderboard;

use super::aggregate::SplitSpec;
use super::percentile::PercentileTable;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Graded from a submission (MLE-bench, demo competitions).
    Competition,
    /// Scored by a command, normalised between starting and reference scores (RE-Bench).
    Research,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Competition => "competition",
            Kind::Research => "research",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ResearchInfo {
    pub starting_score: f64,
    pub reference_score: f64,
    /// Whether the agent sees its scores: if not (RE-Bench's scaling-law task), score@k
    /// takes a random run rather than the best, as METR does.
    pub visible_to_agent: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TaskInfo {
    pub kind: Kind,
    /// MLE-bench's `low`, `medium`, `high` or `dev`.
    pub complexity: Option<&'static str>,
    pub leaderboard: Option<PercentileTable>,
    pub research: Option<ResearchInfo>,
    /// GPUs the task itself asks for (RE-Bench manifests).
    pub gpus: Option<u32>,
}

impl TaskInfo {
    fn unknown(kind: Kind) -> Self {
        TaskInfo {
            kind,
            complexity: None,
            leaderboard: None,
            research: None,
            gpus: None,
        }
    }
}

/// The catalogs of every benchmark that loads from `benchmarks_dir`, preferred one first.
pub struct TaskCatalog {
    catalogs: Vec<Catalog>,
}

impl TaskCatalog {
    /// Benchmarks whose files are missing or invalid are skipped (their tasks become
    /// unknown) and named in the returned warnings.
    pub fn load(benchmarks_dir: &Path, preferred: Option<Benchmark>) -> (Self, Vec<String>) {
        let mut order = vec![Benchmark::MleBench, Benchmark::Demo, Benchmark::ReBench];
        if let Some(b) = preferred {
            order.retain(|o| *o != b);
            order.insert(0, b);
        }
        let mut warnings = Vec::new();
        let catalogs = order
            .into_iter()
            .filter_map(|b| match Catalog::load(b, benchmarks_dir) {
                Ok(c) => Some(c),
                Err(e) => {
                    warnings.push(format!("{b} catalog not loaded: {e}"));
                    None
                }
            })
            .collect();
        (TaskCatalog { catalogs }, warnings)
    }

    /// MLE-bench's complexity splits and `all` (their union), as its leaderboard reports
    /// them.
    pub fn mlebench_splits(&self) -> Vec<SplitSpec> {
        let Some(Catalog::MleBench(c)) = self
            .catalogs
            .iter()
            .find(|c| matches!(c, Catalog::MleBench(_)))
        else {
            return Vec::new();
        };
        [
            ("low", &["low"][..]),
            ("medium", &["medium"]),
            ("high", &["high"]),
            (crate::bench::ALL_SPLIT, &["low", "medium", "high"]),
        ]
        .into_iter()
        .filter_map(|(name, complexities)| {
            Some(SplitSpec {
                name: name.to_owned(),
                tasks: c.split(name)?.to_vec(),
                complexities: Some(complexities.iter().map(|s| s.to_string()).collect()),
            })
        })
        .collect()
    }

    /// The task's information; `fallback` is the kind its grade record suggests, used when
    /// no catalog knows the task. Warnings say what could not be found.
    pub fn info(&self, id: &str, fallback: Kind, warnings: &mut Vec<String>) -> TaskInfo {
        for catalog in &self.catalogs {
            if !catalog.contains(id) {
                continue;
            }
            return match catalog {
                Catalog::MleBench(c) => {
                    let complexity = c.competition(id).map(|c| match c.split {
                        Complexity::Low => "low",
                        Complexity::Medium => "medium",
                        Complexity::High => "high",
                        Complexity::Dev => "dev",
                    });
                    TaskInfo {
                        complexity,
                        leaderboard: c
                            .leaderboard_path(id)
                            .and_then(|p| read_leaderboard(&p, id, warnings)),
                        ..TaskInfo::unknown(Kind::Competition)
                    }
                }
                _ => match catalog.task(id, None).map(|t| t.kind) {
                    Ok(TaskKind::Competition(c)) => TaskInfo {
                        leaderboard: c
                            .leaderboard
                            .and_then(|p| read_leaderboard(&p, id, warnings)),
                        ..TaskInfo::unknown(Kind::Competition)
                    },
                    Ok(TaskKind::Research(r)) => TaskInfo {
                        research: Some(ResearchInfo {
                            starting_score: r.scoring.starting_score,
                            reference_score: r.scoring.reference_score,
                            visible_to_agent: r.scoring.visible_to_agent,
                        }),
                        gpus: r.resources.map(|res| res.gpus),
                        ..TaskInfo::unknown(Kind::Research)
                    },
                    Err(e) => {
                        warnings.push(format!("{id}: {e}"));
                        TaskInfo::unknown(fallback)
                    }
                },
            };
        }
        warnings.push(format!(
            "{id}: not in any benchmark catalog; no leaderboard percentile"
        ));
        TaskInfo::unknown(fallback)
    }
}

fn read_leaderboard(path: &Path, id: &str, warnings: &mut Vec<String>) -> Option<PercentileTable> {
    match Leaderboard::read(path) {
        Ok(board) => Some(PercentileTable::new(&board)),
        Err(e) => {
            warnings.push(format!("{id}: leaderboard not read: {e}"));
            None
        }
    }
}
