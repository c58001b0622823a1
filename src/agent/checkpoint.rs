//! The run directory: one JSON record per completed node, written atomically the moment
//! the node completes, plus the run's resolved settings. This is what `--resume` reads,
//! and what the fleet copies to its store.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::config::AgentConfig;
use super::node::{Node, Stage};

pub const NODES_DIR: &str = "nodes";
pub const RUN_FILE: &str = "run.json";
pub const PROGRESS_FILE: &str = "progress.json";
/// The `format_version` of the `run.json` this code writes, and the only one it reads.
pub const RUN_FORMAT_VERSION: u32 = 1;

/// The settings a run was started with; `--resume` continues with them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunMeta {
    pub format_version: u32,
    pub task_dir: PathBuf,
    pub config: AgentConfig,
}

/// A small live summary, rewritten after each node (constant size, not the history).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Progress {
    pub step: usize,
    pub steps: usize,
    pub best_step: Option<usize>,
    pub best_metric: Option<f64>,
    /// The best node in plain words; when no node is good, says so
    /// (`Journal::best_summary`). Absent from files written before it existed.
    #[serde(default)]
    pub best: String,
    pub lower_is_better: Option<bool>,
    pub good_nodes: usize,
    pub buggy_nodes: usize,
    pub elapsed_s: f64,
    pub cost_usd: f64,
    /// Set when the search has ended: why it ended.
    pub stop_reason: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("{path}: {cause}")]
    Io { path: PathBuf, cause: io::Error },
    #[error("{path}: not a valid record: {message}")]
    Corrupt { path: PathBuf, message: String },
    #[error("{dir}: node records are not contiguous: expected step {expected}, found {found}")]
    Gap {
        dir: PathBuf,
        expected: usize,
        found: usize,
    },
    /// A record that parses but does not fit: itself, the records before it, or the
    /// files beside it.
    #[error("{path}: field `{field}`: {message}")]
    Invalid {
        path: PathBuf,
        field: String,
        message: String,
    },
    #[error("{path}: cannot serialise the record: {message}")]
    Serialize { path: PathBuf, message: String },
    /// `--resume` of a directory that holds no aide-fleet search.
    #[error("{}: no search to resume here (no {RUN_FILE}): start one with --task-dir", dir.display())]
    NoSearch { dir: PathBuf },
}

impl CheckpointError {
    /// The run directory's records are damaged or contradict each other (bad input to
    /// `--resume`), as opposed to a file system that failed.
    pub fn is_bad_record(&self) -> bool {
        matches!(
            self,
            CheckpointError::Corrupt { .. }
                | CheckpointError::Gap { .. }
                | CheckpointError::Invalid { .. }
                | CheckpointError::NoSearch { .. }
        )
    }
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> CheckpointError + '_ {
    move |cause| CheckpointError::Io {
        path: path.to_path_buf(),
        cause,
    }
}

#[derive(Debug, Clone)]
pub struct RunDir {
    root: PathBuf,
}

impl RunDir {
    pub fn create(root: &Path) -> Result<Self, CheckpointError> {
        let nodes = root.join(NODES_DIR);
        fs::create_dir_all(&nodes).map_err(io_err(&nodes))?;
        Ok(Self {
            root: root.to_path_buf(),
        })
    }

    /// The search already in `root`, creating nothing: a directory without `run.json`
    /// (missing, empty, or another tool's) is refused and left as it was.
    pub fn existing(root: &Path) -> Result<Self, CheckpointError> {
        if !root.join(RUN_FILE).is_file() {
            return Err(CheckpointError::NoSearch {
                dir: root.to_path_buf(),
            });
        }
        Self::create(root)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn node_file(&self, step: usize) -> PathBuf {
        self.root.join(NODES_DIR).join(format!("{step:05}.json"))
    }

    pub fn node_submission(&self, step: usize) -> PathBuf {
        self.root
            .join(NODES_DIR)
            .join(format!("{step:05}.submission.csv"))
    }

    /// Writes a file so that readers see the old content or the new, never a torn one.
    /// A directory that went missing (a script without the sandbox removed it) is made.
    pub fn write_atomic(&self, path: &Path, bytes: &[u8]) -> Result<(), CheckpointError> {
        let tmp = path.with_extension("tmp");
        if let Err(e) = fs::write(&tmp, bytes) {
            let parent = path
                .parent()
                .filter(|_| e.kind() == io::ErrorKind::NotFound);
            let Some(parent) = parent else {
                return Err(io_err(&tmp)(e));
            };
            fs::create_dir_all(parent).map_err(io_err(parent))?;
            fs::write(&tmp, bytes).map_err(io_err(&tmp))?;
        }
        fs::rename(&tmp, path).map_err(io_err(path))
    }

    /// Rewrites from memory whatever of the checkpoint is missing (a script that could
    /// reach the run directory deleted it): `run.json` and every node record. Returns the
    /// node submissions that were lost, which memory does not hold; their records are
    /// rewritten with `has_submission: false`, so that no record names a missing file
    /// (`--resume` refuses one that does).
    pub fn restore(&self, meta: &RunMeta, nodes: &[Node]) -> Result<Vec<PathBuf>, CheckpointError> {
        let dir = self.root.join(NODES_DIR);
        fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        if !self.root.join(RUN_FILE).is_file() {
            self.write_meta(meta)?;
        }
        let mut lost = Vec::new();
        for node in nodes {
            let submission = self.node_submission(node.step);
            if node.has_submission && !submission.is_file() {
                self.write_node(&Node {
                    has_submission: false,
                    ..node.clone()
                })?;
                lost.push(submission);
            } else if !self.node_file(node.step).is_file() {
                self.write_node(node)?;
            }
        }
        Ok(lost)
    }

    pub fn write_json<T: Serialize>(&self, path: &Path, value: &T) -> Result<(), CheckpointError> {
        let bytes = serde_json::to_vec_pretty(value).map_err(|e| CheckpointError::Serialize {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        self.write_atomic(path, &bytes)
    }

    /// Persists a completed node; its submission file must already be in place, so a
    /// record never points at a missing file.
    pub fn write_node(&self, node: &Node) -> Result<(), CheckpointError> {
        self.write_json(&self.node_file(node.step), node)
    }

    pub fn write_meta(&self, meta: &RunMeta) -> Result<(), CheckpointError> {
        self.write_json(&self.root.join(RUN_FILE), meta)
    }

    pub fn read_meta(&self) -> Result<RunMeta, CheckpointError> {
        let path = self.root.join(RUN_FILE);
        let meta: RunMeta = read_json(&path)?;
        if meta.format_version != RUN_FORMAT_VERSION {
            return Err(CheckpointError::Invalid {
                path,
                field: "format_version".into(),
                message: format!(
                    "expected {RUN_FORMAT_VERSION}, found {}: written by another version of aide-fleet",
                    meta.format_version
                ),
            });
        }
        Ok(meta)
    }

    pub fn write_progress(&self, progress: &Progress) -> Result<(), CheckpointError> {
        self.write_json(&self.root.join(PROGRESS_FILE), progress)
    }

    /// Every completed node, in step order, each checked against itself, the nodes
    /// before it and its submission file ([`check_node`]). Leftover temporary files of a
    /// node that was being written when the process died are ignored.
    pub fn load_nodes(&self) -> Result<Vec<Node>, CheckpointError> {
        let dir = self.root.join(NODES_DIR);
        let mut files: Vec<(usize, PathBuf)> = Vec::new();
        for entry in fs::read_dir(&dir).map_err(io_err(&dir))? {
            let path = entry.map_err(io_err(&dir))?.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if let Some(step) = name.strip_suffix(".json").and_then(|s| s.parse().ok()) {
                files.push((step, path));
            }
        }
        files.sort();
        let mut nodes = Vec::with_capacity(files.len());
        for (expected, (found, path)) in files.into_iter().enumerate() {
            if found != expected {
                return Err(CheckpointError::Gap {
                    dir,
                    expected,
                    found,
                });
            }
            let node: Node = read_json(&path)?;
            if node.step != found {
                return Err(CheckpointError::Corrupt {
                    path,
                    message: format!("holds step {} under the name of step {found}", node.step),
                });
            }
            if let Some((field, message)) = self.check_node(&node, &nodes) {
                return Err(CheckpointError::Invalid {
                    path,
                    field: field.to_owned(),
                    message,
                });
            }
            nodes.push(node);
        }
        Ok(nodes)
    }
}

impl RunDir {
    /// What makes `node` not fit after `before` (the records of the steps before it) or
    /// the files beside it, as (field, what was expected).
    fn check_node(&self, node: &Node, before: &[Node]) -> Option<(&'static str, String)> {
        if let Some(problem) = node.problem() {
            return Some(problem);
        }
        if let Some(parent) = node.parent_step.and_then(|p| before.get(p)) {
            let expected = match node.stage {
                Stage::Debug => parent.debug_depth.saturating_add(1),
                _ => 0,
            };
            if node.debug_depth != expected {
                return Some((
                    "debug_depth",
                    format!(
                        "expected {expected} (parent step {} has {}), found {}",
                        parent.step, parent.debug_depth, node.debug_depth
                    ),
                ));
            }
        }
        if let Some(previous) = before.last()
            && node.search_elapsed_s < previous.search_elapsed_s
        {
            return Some((
                "search_elapsed_s",
                format!(
                    "expected at least {} (step {}'s), found {}: search time does not run backwards",
                    previous.search_elapsed_s, previous.step, node.search_elapsed_s
                ),
            ));
        }
        if before.iter().any(|b| b.id == node.id) {
            return Some(("id", format!("`{}` is the id of an earlier node", node.id)));
        }
        if node.has_submission && !self.node_submission(node.step).is_file() {
            return Some((
                "has_submission",
                format!(
                    "true, but {} does not exist",
                    self.node_submission(node.step).display()
                ),
            ));
        }
        None
    }
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, CheckpointError> {
    let bytes = fs::read(path).map_err(io_err(path))?;
    serde_json::from_slice(&bytes).map_err(|e| CheckpointError::Corrupt {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::journal::tests::node;

    #[test]
    fn nodes_round_trip_and_torn_writes_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let run = RunDir::create(dir.path()).unwrap();
        for step in 0..3 {
            fs::write(run.node_submission(step), b"id,target\n1,0\n").unwrap();
            run.write_node(&node(step, None, Stage::Draft, Some(step as f64)))
                .unwrap();
        }
        fs::write(dir.path().join("nodes/00003.tmp"), b"{\"half").unwrap();
        let nodes = run.load_nodes().unwrap();
        assert_eq!(nodes.len(), 3);
        assert_eq!(nodes[2].metric, Some(2.0));
    }

    #[test]
    fn corrupt_records_name_their_file() {
        let dir = tempfile::tempdir().unwrap();
        let run = RunDir::create(dir.path()).unwrap();
        fs::write(run.node_file(0), b"not json").unwrap();
        let err = run.load_nodes().unwrap_err().to_string();
        assert!(err.contains("00000.json"), "{err}");
    }

    #[test]
    fn gaps_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let run = RunDir::create(dir.path()).unwrap();
        run.write_node(&node(0, None, Stage::Draft, None)).unwrap();
        let mut n = node(2, None, Stage::Draft, None);
        n.step = 2;
        run.write_node(&n).unwrap();
        assert!(matches!(
            run.load_nodes(),
            Err(CheckpointError::Gap {
                expected: 1,
                found: 2,
                ..
            })
        ));
    }
}
