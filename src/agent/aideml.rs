//! aideml's log directories (`logs/<exp_name>/`: `journal.json`, `config.yaml`) read into
//! aide-fleet's own outputs, without running anything: node records, the journal, the
//! tree view, `usage.json` (unknown: aideml records no tokens or cost), `progress.json`
//! and `imported.json`, which says where it all came from and what aideml did not
//! record. The log directory's own files are kept verbatim under `aideml/`.
//!
//! Both files are untrusted input: anything that does not fit aideml's format is an
//! [`ImportError`] naming the file, the field and what was expected, never a panic.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Value, json};

use super::artifacts::{self, BEST_SOLUTION_FILE, JOURNAL_FILE, TREE_FILE, TreeView, USAGE_FILE};
use super::checkpoint::{CheckpointError, PROGRESS_FILE, RUN_FILE, RunDir};
use super::journal::Journal;
use super::node::{BugKind, BugReason, Frame, Node, NodeUsage, Stage, StepTiming};

/// The file that marks an aide-fleet directory as imported (and may be replaced by a
/// later import of the same kind).
pub const IMPORTED_FILE: &str = "imported.json";
/// Where the log directory's own files are kept, verbatim.
pub const ORIGINALS_DIR: &str = "aideml";
pub const AIDEML_JOURNAL: &str = "journal.json";
pub const AIDEML_CONFIG: &str = "config.yaml";
/// What node records of an imported run hold as 0 because aideml does not record it.
pub const UNRECORDED_NODE_FIELDS: &[&str] = &[
    "usage",
    "timing.llm_s",
    "timing.check_s",
    "timing.total_s",
    "has_submission",
];

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{}: not an aideml log directory: it holds no {AIDEML_JOURNAL}", dir.display())]
    NotALogDir { dir: PathBuf },
    #[error("{}: {cause}", path.display())]
    Io { path: PathBuf, cause: io::Error },
    /// A file that does not parse, or a field that does not fit aideml's format.
    #[error("{}: field `{field}`: {message}", path.display())]
    Invalid {
        path: PathBuf,
        field: String,
        message: String,
    },
    #[error("{}: not {what}: {message}", path.display())]
    Syntax {
        path: PathBuf,
        what: &'static str,
        message: String,
    },
    /// The destination holds files that an import did not write.
    #[error(
        "{}: holds files aide-fleet's import did not write ({}); choose another directory",
        dir.display(), entries.join(", ")
    )]
    Occupied { dir: PathBuf, entries: Vec<String> },
    #[error("{0}")]
    Write(#[from] CheckpointError),
}

impl ImportError {
    /// Bad input (the log directory's files, the destination): retrying cannot help.
    pub fn is_bad_input(&self) -> bool {
        match self {
            ImportError::Io { cause, .. } => cause.kind() == io::ErrorKind::NotFound,
            ImportError::Write(_) => false,
            _ => true,
        }
    }
}

/// aideml's `journal.json` (`__version` 2) as it is written; unknown fields are ignored.
#[derive(Debug, Deserialize)]
struct RawJournal {
    nodes: Vec<RawNode>,
    node2parent: BTreeMap<String, String>,
    #[serde(rename = "__version", default)]
    version: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct RawNode {
    code: String,
    #[serde(default)]
    plan: Option<String>,
    step: usize,
    id: String,
    ctime: f64,
    #[serde(rename = "_term_out", default)]
    term_out: Option<Vec<String>>,
    #[serde(default)]
    exec_time: Option<f64>,
    #[serde(default)]
    exc_type: Option<String>,
    #[serde(default)]
    exc_info: Option<Value>,
    #[serde(default)]
    exc_stack: Option<Vec<(String, Option<u32>, String, Option<String>)>>,
    #[serde(default)]
    analysis: Option<String>,
    #[serde(default)]
    metric: Option<RawMetric>,
    is_buggy: bool,
}

#[derive(Debug, Deserialize)]
struct RawMetric {
    value: Option<f64>,
    maximize: Option<bool>,
}

/// The parts of aideml's `config.yaml` an import uses; the rest (paths written with
/// Python tags, prompts, ...) is ignored.
#[derive(Debug, Default, Deserialize)]
struct RawConfig {
    #[serde(default)]
    exp_name: Option<String>,
    #[serde(default)]
    goal: Option<String>,
    #[serde(default)]
    agent: Option<RawAgent>,
}

#[derive(Debug, Default, Deserialize)]
struct RawAgent {
    #[serde(default)]
    steps: Option<u64>,
    #[serde(default)]
    code: Option<RawModel>,
    #[serde(default)]
    feedback: Option<RawModel>,
}

#[derive(Debug, Default, Deserialize)]
struct RawModel {
    #[serde(default)]
    model: Option<String>,
}

/// One aideml run, read and checked, ready to be written as aide-fleet's outputs.
#[derive(Debug)]
pub struct AidemlRun {
    /// The log directory, as given.
    pub source: PathBuf,
    pub journal: Journal,
    pub exp_name: Option<String>,
    pub goal: Option<String>,
    /// `agent.steps` from config.yaml.
    pub steps: Option<usize>,
    pub code_model: Option<String>,
    pub feedback_model: Option<String>,
    /// Unix times of the first node's creation and of the end of the last node's script.
    pub started: Option<f64>,
    pub ended: Option<f64>,
    journal_bytes: Vec<u8>,
    config_bytes: Option<Vec<u8>>,
}

impl AidemlRun {
    /// Reads `dir/journal.json` (required) and `dir/config.yaml` (optional: without it
    /// the models and the planned steps are unknown).
    pub fn read(dir: &Path) -> Result<AidemlRun, ImportError> {
        let journal_path = dir.join(AIDEML_JOURNAL);
        let journal_bytes = match fs::read(&journal_path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound && dir.is_dir() => {
                return Err(ImportError::NotALogDir {
                    dir: dir.to_path_buf(),
                });
            }
            Err(cause) => {
                return Err(ImportError::Io {
                    path: journal_path,
                    cause,
                });
            }
        };
        let config_path = dir.join(AIDEML_CONFIG);
        let config_bytes = match fs::read(&config_path) {
            Ok(b) => Some(b),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(cause) => {
                return Err(ImportError::Io {
                    path: config_path,
                    cause,
                });
            }
        };
        let config = match &config_bytes {
            Some(bytes) => parse_config(&config_path, bytes)?,
            None => RawConfig::default(),
        };
        let raw = parse_journal(&journal_path, &journal_bytes)?;
        let journal = convert(&journal_path, raw.0)?;
        let (started, ended) = raw.1;
        let agent = config.agent.unwrap_or_default();
        Ok(AidemlRun {
            source: dir.to_path_buf(),
            journal,
            exp_name: config.exp_name,
            goal: config.goal,
            steps: agent.steps.map(|s| s as usize),
            code_model: agent.code.and_then(|c| c.model),
            feedback_model: agent.feedback.and_then(|f| f.model),
            started,
            ended,
            journal_bytes,
            config_bytes,
        })
    }

    /// Seconds from the first node's creation to the end of the last node's script: what
    /// aideml's records span (its first LLM call and last review are not in them).
    pub fn elapsed_s(&self) -> Option<f64> {
        Some((self.ended? - self.started?).max(0.0))
    }

    /// The planned number of steps: config.yaml's `agent.steps`, else the nodes there are.
    pub fn planned_steps(&self) -> usize {
        self.steps
            .unwrap_or(self.journal.len())
            .max(self.journal.len())
    }

    pub fn title(&self) -> String {
        let name = self.exp_name.clone().unwrap_or_else(|| {
            self.source.file_name().map_or_else(
                || self.source.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            )
        });
        format!("{name} (imported from aideml)")
    }

    /// A line for the tree view and `imported.json`.
    pub fn note(&self) -> String {
        format!(
            "Imported from the aideml log directory {}; aide-fleet ran nothing. aideml records no tokens or cost (unknown here), no submissions and no reason why a node is buggy.",
            self.source.display()
        )
    }

    /// Writes aide-fleet's outputs of this run into `out`, which must be missing, empty,
    /// or an earlier import (replaced whole). Written into a sibling directory first and
    /// renamed into place, so `out` is never left half written.
    pub fn write_to(&self, out: &Path, imported_at: &str) -> Result<(), ImportError> {
        check_destination(out)?;
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |cause| ImportError::Io { path, cause }
        };
        fs::create_dir_all(&parent).map_err(io(&parent))?;
        let staging = tempfile::Builder::new()
            .prefix(".aide-fleet-import-")
            .tempdir_in(&parent)
            .map_err(io(&parent))?;
        self.write_files(staging.path(), imported_at)?;
        if out.exists() {
            fs::remove_dir_all(out).map_err(io(out))?;
        }
        let staged = staging.keep();
        fs::rename(&staged, out).map_err(io(out))?;
        Ok(())
    }

    /// Writes every output file into `dir` (which exists).
    pub fn write_files(&self, dir: &Path, imported_at: &str) -> Result<(), ImportError> {
        let run = RunDir::create(dir)?;
        let marker = json!({
            "from": "aideml",
            "unrecorded": UNRECORDED_NODE_FIELDS,
        });
        for node in self.journal.nodes() {
            let mut record =
                serde_json::to_value(node).map_err(|e| CheckpointError::Serialize {
                    path: run.node_file(node.step),
                    message: e.to_string(),
                })?;
            record["imported"] = marker.clone();
            run.write_json(&run.node_file(node.step), &record)?;
        }
        let root = run.root();
        run.write_json(
            &root.join(JOURNAL_FILE),
            &artifacts::journal_v2(&self.journal),
        )?;
        let note = self.note();
        let view = TreeView {
            title: &self.title(),
            note: Some(&note),
            usage_known: false,
        };
        run.write_atomic(
            &root.join(TREE_FILE),
            artifacts::tree_view_html(&self.journal, &view).as_bytes(),
        )?;
        run.write_json(&root.join(USAGE_FILE), &self.usage())?;
        run.write_json(&root.join(PROGRESS_FILE), &self.progress())?;
        if let Some(best) = self.journal.best_node() {
            run.write_atomic(&root.join(BEST_SOLUTION_FILE), best.code.as_bytes())?;
        }
        let originals = root.join(ORIGINALS_DIR);
        run.write_atomic(&originals.join(AIDEML_JOURNAL), &self.journal_bytes)?;
        if let Some(config) = &self.config_bytes {
            run.write_atomic(&originals.join(AIDEML_CONFIG), config)?;
        }
        run.write_json(&root.join(IMPORTED_FILE), &self.provenance(imported_at))?;
        Ok(())
    }

    /// `usage.json`: aideml discards the token counts its providers return, so every
    /// total is null (unknown), never 0.
    pub fn usage(&self) -> Value {
        let unknown = json!({ "input_tokens": null, "output_tokens": null });
        json!({
            "code_model": self.code_model,
            "feedback_model": self.feedback_model,
            "known": false,
            "note": "imported from aideml, which records no tokens or cost: unknown",
            "total": {
                "input_tokens": null,
                "output_tokens": null,
                "cost_usd": null,
                "unpriced_calls": null,
            },
            "code": unknown,
            "feedback": unknown,
            "nodes": [],
        })
    }

    /// `progress.json` of the ended search, with its cost unknown (null).
    pub fn progress(&self) -> Value {
        let j = &self.journal;
        let best = j.best_node();
        json!({
            "step": j.len(),
            "steps": self.planned_steps(),
            "best_step": best.map(|b| b.step),
            "best_metric": best.and_then(|b| b.metric),
            "best": j.best_summary(),
            "lower_is_better": j.lower_is_better(),
            "good_nodes": j.good_nodes().count(),
            "buggy_nodes": j.buggy_nodes().count(),
            "elapsed_s": self.elapsed_s().unwrap_or(0.0),
            "cost_usd": null,
            "stop_reason": format!("imported from aideml ({} of {} steps recorded)", j.len(), self.planned_steps()),
            "imported": true,
        })
    }

    fn provenance(&self, imported_at: &str) -> Value {
        let source = fs::canonicalize(&self.source).unwrap_or_else(|_| self.source.clone());
        json!({
            "from": "aideml",
            "source": source,
            "imported_at": imported_at,
            "aide_fleet_version": env!("CARGO_PKG_VERSION"),
            "exp_name": self.exp_name,
            "goal": self.goal,
            "nodes": self.journal.len(),
            "config_yaml": self.config_bytes.is_some(),
            "originals": ORIGINALS_DIR,
            "unknown": ["tokens", "cost_usd", "llm time", "submissions", "why a node is buggy"],
            "node_fields_written_as_zero": UNRECORDED_NODE_FIELDS,
            "note": self.note(),
        })
    }
}

/// Refuses a destination that holds anything an import did not write: an aide-fleet
/// search (`run.json`), another tool's files (an aideml log directory included).
pub fn check_destination(out: &Path) -> Result<(), ImportError> {
    if out.join(IMPORTED_FILE).is_file() && !out.join(RUN_FILE).exists() {
        return Ok(());
    }
    let entries = match fs::read_dir(out) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(cause) => {
            return Err(ImportError::Io {
                path: out.to_path_buf(),
                cause,
            });
        }
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    if names.is_empty() {
        return Ok(());
    }
    names.sort();
    Err(ImportError::Occupied {
        dir: out.to_path_buf(),
        entries: names,
    })
}

fn parse_config(path: &Path, bytes: &[u8]) -> Result<RawConfig, ImportError> {
    let text = std::str::from_utf8(bytes).map_err(|e| ImportError::Syntax {
        path: path.to_path_buf(),
        what: "valid UTF-8",
        message: e.to_string(),
    })?;
    serde_saphyr::from_str::<Option<RawConfig>>(text)
        .map(Option::unwrap_or_default)
        .map_err(|e| ImportError::Syntax {
            path: path.to_path_buf(),
            what: "aideml config (expected a mapping with exp_name: text, agent.steps: a count, agent.code.model and agent.feedback.model: text)",
            message: e.to_string(),
        })
}

/// The journal and the time span of its nodes (first creation, last script's end).
type Parsed = (RawJournal, (Option<f64>, Option<f64>));

fn parse_journal(path: &Path, bytes: &[u8]) -> Result<Parsed, ImportError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let raw: RawJournal = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() || field == "." {
            ImportError::Syntax {
                path: path.to_path_buf(),
                what: "an aideml journal (a JSON object with `nodes`, `node2parent` and `__version` \"2\")",
                message: inner.to_string(),
            }
        } else {
            ImportError::Invalid {
                path: path.to_path_buf(),
                field,
                message: inner.to_string(),
            }
        }
    })?;
    if let Some(v) = &raw.version
        && v != &json!("2")
    {
        return Err(ImportError::Invalid {
            path: path.to_path_buf(),
            field: "__version".into(),
            message: format!("expected \"2\" (aideml's journal format 2), found {v}"),
        });
    }
    let started = raw.nodes.first().map(|n| n.ctime);
    let ended = raw
        .nodes
        .iter()
        .map(|n| n.ctime + n.exec_time.unwrap_or(0.0))
        .reduce(f64::max);
    Ok((raw, (started, ended)))
}

/// aideml's nodes as aide-fleet's: stages and debug depths derived from the tree as
/// aideml derives them, bug reasons from what aideml recorded.
fn convert(path: &Path, raw: RawJournal) -> Result<Journal, ImportError> {
    let invalid = |field: String, message: String| ImportError::Invalid {
        path: path.to_path_buf(),
        field,
        message,
    };
    let mut step_of: HashMap<&str, usize> = HashMap::new();
    for (i, n) in raw.nodes.iter().enumerate() {
        if n.step != i {
            return Err(invalid(
                format!("nodes[{i}].step"),
                format!("expected {i} (nodes are in step order), found {}", n.step),
            ));
        }
        if n.id.trim().is_empty() {
            return Err(invalid(
                format!("nodes[{i}].id"),
                "expected a node id, found an empty one".into(),
            ));
        }
        if let Some(first) = step_of.insert(&n.id, i) {
            return Err(invalid(
                format!("nodes[{i}].id"),
                format!("`{}` is also the id of nodes[{first}]", n.id),
            ));
        }
    }
    let mut parent_of: Vec<Option<usize>> = vec![None; raw.nodes.len()];
    for (child, parent) in &raw.node2parent {
        let field = format!("node2parent.{child}");
        let Some(&c) = step_of.get(child.as_str()) else {
            return Err(invalid(
                field,
                format!("expected the id of a node, `{child}` is none"),
            ));
        };
        let Some(&p) = step_of.get(parent.as_str()) else {
            return Err(invalid(
                field,
                format!("expected the id of a node as the parent, `{parent}` is none"),
            ));
        };
        if p >= c {
            return Err(invalid(
                field,
                format!("expected a parent created before its child (step {c}), found step {p}"),
            ));
        }
        parent_of[c] = Some(p);
    }
    let t0 = raw.nodes.first().map_or(0.0, |n| n.ctime);
    let mut journal = Journal::new(None);
    let mut elapsed = 0.0_f64;
    for (i, n) in raw.nodes.into_iter().enumerate() {
        let field = |name: &str| format!("nodes[{i}].{name}");
        let parent = parent_of[i].and_then(|p| journal.get(p));
        let stage = match parent {
            None => Stage::Draft,
            Some(p) if p.is_buggy => Stage::Debug,
            Some(_) => Stage::Improve,
        };
        let debug_depth = journal.child_debug_depth(parent_of[i], stage);
        let (value, maximize) = n.metric.map_or((None, None), |m| (m.value, m.maximize));
        if n.is_buggy && value.is_some() {
            return Err(invalid(
                field("metric.value"),
                format!(
                    "expected null for a buggy node (aideml gives buggy nodes no metric), found {}",
                    value.unwrap_or_default()
                ),
            ));
        }
        if !n.is_buggy && value.is_none() {
            return Err(invalid(
                field("metric.value"),
                "expected a number for a node that is not buggy, found null".into(),
            ));
        }
        let exec_time = n.exec_time.unwrap_or(0.0);
        if !(exec_time.is_finite() && exec_time >= 0.0) {
            return Err(invalid(
                field("exec_time"),
                format!("expected seconds, zero or more, found {exec_time}"),
            ));
        }
        elapsed = elapsed.max(n.ctime + exec_time - t0);
        let bug_reasons = if n.is_buggy {
            vec![bug_reason(n.exc_type.as_deref())]
        } else {
            Vec::new()
        };
        let exc_stack = n.exc_stack.map(|frames| {
            frames
                .into_iter()
                .map(|(file, line, func, text)| -> Frame {
                    (file, line.unwrap_or(0), func, text.unwrap_or_default())
                })
                .collect()
        });
        let node = Node {
            id: n.id,
            step: i,
            parent_step: parent_of[i],
            stage,
            debug_depth,
            ctime: n.ctime,
            plan: n.plan.unwrap_or_default(),
            code: n.code,
            term_out: n.term_out.unwrap_or_default(),
            exec_time,
            exc_type: n.exc_type,
            exc_info: n.exc_info,
            exc_stack,
            analysis: n.analysis.unwrap_or_default(),
            metric: value,
            reviewer_lower_is_better: maximize.map(|m| !m),
            is_buggy: n.is_buggy,
            bug_reasons,
            has_submission: false,
            usage: NodeUsage::default(),
            timing: StepTiming {
                exec_s: exec_time,
                ..StepTiming::default()
            },
            search_elapsed_s: elapsed.max(0.0),
            sandbox: None,
        };
        if let Some((name, message)) = node.problem() {
            return Err(invalid(field(name), message));
        }
        journal
            .append(node)
            .map_err(|e| invalid(field("step"), e.to_string()))?;
    }
    Ok(journal)
}

/// Why an imported node is buggy, as far as aideml recorded it: its exception, else only
/// that it was judged buggy (by the reviewer, or for want of a metric: aideml keeps no
/// difference).
fn bug_reason(exc_type: Option<&str>) -> BugReason {
    match exc_type {
        Some("TimeoutError") => BugReason {
            kind: BugKind::Timeout,
            detail: "aideml: the script ran past its time limit".into(),
        },
        Some(exc) => BugReason {
            kind: BugKind::Exception,
            detail: format!("aideml: the script raised {exc}"),
        },
        None => BugReason {
            kind: BugKind::Reviewer,
            detail: "aideml judged it buggy (the reviewer said so or gave no metric; aideml records no more)".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/aideml/tiny-line-fit")
    }

    #[test]
    fn aidemls_own_log_directory_reads_as_its_tree() {
        let run = AidemlRun::read(&fixture()).unwrap();
        let j = &run.journal;
        assert_eq!(j.len(), 7);
        let stages: Vec<&str> = j.nodes().iter().map(|n| n.stage.as_str()).collect();
        assert_eq!(
            stages,
            [
                "draft", "draft", "draft", "debug", "improve", "improve", "improve"
            ]
        );
        let parents: Vec<Option<usize>> = j.nodes().iter().map(|n| n.parent_step).collect();
        assert_eq!(
            parents,
            [None, None, None, Some(1), Some(0), Some(4), Some(5)]
        );
        assert_eq!(j.nodes()[3].debug_depth, 1);
        assert_eq!(j.lower_is_better(), Some(true));
        assert_eq!(j.best_node().map(|n| n.step), Some(5));
        assert_eq!(j.nodes()[1].bug_reasons[0].kind, BugKind::Exception);
        assert_eq!(run.exp_name.as_deref(), Some("0-tiny-line-fit"));
        assert_eq!(run.steps, Some(7));
        assert_eq!(run.code_model.as_deref(), Some("scripted-coder"));
        assert_eq!(run.feedback_model.as_deref(), Some("scripted-reviewer"));
        let search: Vec<f64> = j.nodes().iter().map(|n| n.search_elapsed_s).collect();
        assert!(search.windows(2).all(|w| w[0] <= w[1]), "{search:?}");
    }

    fn with_journal(text: &str) -> (tempfile::TempDir, ImportError) {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join(AIDEML_JOURNAL), text).unwrap();
        let err = AidemlRun::read(tmp.path()).unwrap_err();
        (tmp, err)
    }

    #[test]
    fn damaged_journals_name_the_field_and_what_was_expected() {
        let good = fs::read_to_string(fixture().join(AIDEML_JOURNAL)).unwrap();
        let mut v: Value = serde_json::from_str(&good).unwrap();
        v["nodes"][2]["ctime"] = json!("yesterday");
        let (_t, e) = with_journal(&v.to_string());
        let msg = e.to_string();
        assert!(
            msg.contains("journal.json: field `nodes[2].ctime`"),
            "{msg}"
        );
        assert!(msg.contains("expected f64"), "{msg}");

        let mut v: Value = serde_json::from_str(&good).unwrap();
        v["node2parent"] = json!({ v["nodes"][4]["id"].as_str().unwrap(): "nobody" });
        let (_t, e) = with_journal(&v.to_string());
        assert!(e.to_string().contains("field `node2parent."), "{e}");

        let mut v: Value = serde_json::from_str(&good).unwrap();
        v["nodes"][1]["metric"]["value"] = json!(0.5);
        let (_t, e) = with_journal(&v.to_string());
        assert!(
            e.to_string().contains("field `nodes[1].metric.value`"),
            "{e}"
        );

        let (_t, e) = with_journal("{\"nodes\": [");
        assert!(matches!(e, ImportError::Syntax { .. }), "{e}");
        let (_t, e) = with_journal("{\"nodes\": [], \"node2parent\": {}, \"__version\": \"1\"}");
        assert!(e.to_string().contains("field `__version`"), "{e}");
        assert!(e.is_bad_input());
    }

    #[test]
    fn a_destination_with_other_files_is_refused_and_an_import_replaced() {
        let run = AidemlRun::read(&fixture()).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        run.write_to(&out, "2026-12-08T00:00:00Z").unwrap();
        assert!(out.join(IMPORTED_FILE).is_file());
        run.write_to(&out, "2026-12-08T00:00:01Z").unwrap();
        let err = run.write_to(&fixture(), "now").unwrap_err();
        assert!(matches!(err, ImportError::Occupied { .. }), "{err}");
        let mine = tmp.path().join("mine");
        fs::create_dir_all(&mine).unwrap();
        fs::write(mine.join(RUN_FILE), "{}").unwrap();
        fs::write(mine.join(IMPORTED_FILE), "{}").unwrap();
        assert!(matches!(
            run.write_to(&mine, "now"),
            Err(ImportError::Occupied { .. })
        ));
    }
}
