//! The outputs of a search, written when it ends (and rebuilt on resume): the journal in
//! AIDE's v2 layout, the best solution and its own submission, the tree view, usage.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde::Serialize;
use serde_json::{Value, json};

use super::checkpoint::{CheckpointError, RunDir};
use super::journal::Journal;
use super::node::{Node, NodeUsage};
use super::workspace::SUBMISSION_FILE;
use crate::llm::Usage;

pub const JOURNAL_FILE: &str = "journal.json";
pub const BEST_SOLUTION_FILE: &str = "best_solution.py";
pub const BEST_SUBMISSION_DIR: &str = "best_submission";
pub const TREE_FILE: &str = "tree.html";
pub const USAGE_FILE: &str = "usage.json";

const TREE_TEMPLATE: &str = include_str!("tree.html");
const TREE_SLOT: &str = "/*__TREE_DATA__*/";

/// AIDE's `journal.json` (`__version` 2): nodes with `parent: null` and `children: []`,
/// the tree in `node2parent`, metrics as `{value, maximize}`.
pub fn journal_v2(journal: &Journal) -> Value {
    let maximize = journal.lower_is_better().map(|l| !l);
    let id_of = |step: usize| journal.get(step).map(|n| n.id.clone());
    let nodes: Vec<Value> = journal
        .nodes()
        .iter()
        .map(|n| {
            let metric = match n.metric {
                Some(v) if !n.is_buggy => json!({ "value": v, "maximize": maximize }),
                _ => json!({ "value": null, "maximize": null }),
            };
            json!({
                "code": n.code,
                "plan": n.plan,
                "step": n.step,
                "id": n.id,
                "ctime": n.ctime,
                "parent": null,
                "children": [],
                "_term_out": n.term_out,
                "exec_time": n.exec_time,
                "exc_type": n.exc_type,
                "exc_info": n.exc_info,
                "exc_stack": n.exc_stack,
                "analysis": n.analysis,
                "metric": metric,
                "is_buggy": n.is_buggy,
            })
        })
        .collect();
    let node2parent: BTreeMap<String, String> = journal
        .nodes()
        .iter()
        .filter_map(|n| Some((n.id.clone(), id_of(n.parent_step?)?)))
        .collect();
    json!({ "nodes": nodes, "node2parent": node2parent, "__version": "2" })
}

#[derive(Debug, Serialize)]
struct UsageTotals {
    input_tokens: u64,
    output_tokens: u64,
    cost_usd: f64,
    unpriced_calls: u32,
}

#[derive(Debug, Serialize)]
struct NodeUsageRow<'a> {
    step: usize,
    #[serde(flatten)]
    usage: &'a NodeUsage,
}

#[derive(Debug, Serialize)]
struct UsageReport<'a> {
    code_model: &'a str,
    feedback_model: &'a str,
    total: UsageTotals,
    code: Usage,
    feedback: Usage,
    nodes: Vec<NodeUsageRow<'a>>,
}

pub fn usage_report(journal: &Journal, code_model: &str, feedback_model: &str) -> Value {
    let (mut code, mut feedback) = (Usage::default(), Usage::default());
    let (mut cost, mut unpriced) = (0.0, 0);
    for n in journal.nodes() {
        code.add(n.usage.code);
        feedback.add(n.usage.feedback);
        cost += n.usage.cost_usd;
        unpriced += n.usage.unpriced_calls;
    }
    let report = UsageReport {
        code_model,
        feedback_model,
        total: UsageTotals {
            input_tokens: code.input_tokens + feedback.input_tokens,
            output_tokens: code.output_tokens + feedback.output_tokens,
            cost_usd: cost,
            unpriced_calls: unpriced,
        },
        code,
        feedback,
        nodes: journal
            .nodes()
            .iter()
            .map(|n| NodeUsageRow {
                step: n.step,
                usage: &n.usage,
            })
            .collect(),
    };
    serde_json::to_value(report).unwrap_or(Value::Null)
}

/// What the tree view says beside the journal.
pub struct TreeView<'a> {
    pub title: &'a str,
    /// A line under the title (where the run came from).
    pub note: Option<&'a str>,
    /// False where the nodes' cost was not recorded (an import): shown as unknown.
    pub usage_known: bool,
}

/// The self-contained tree view: one HTML file, data inline, no network fetches.
pub fn tree_html(journal: &Journal, title: &str) -> String {
    tree_view_html(
        journal,
        &TreeView {
            title,
            note: None,
            usage_known: true,
        },
    )
}

/// [`tree_html`] with a note and, where it is unknown, no cost.
pub fn tree_view_html(journal: &Journal, view: &TreeView) -> String {
    let best = journal.best_node();
    let nodes: Vec<Value> = journal
        .nodes()
        .iter()
        .map(|n| tree_node(n, view.usage_known))
        .collect();
    let data = json!({
        "title": view.title,
        "note": view.note,
        "best_step": best.map(|b| b.step),
        "best_metric": best.and_then(|b| b.metric),
        "best_summary": journal.best_summary(),
        "lower_is_better": journal.lower_is_better(),
        "nodes": nodes,
    });
    // `</` inside a script element would end it early; `<\/` is the same JSON string.
    let json = data.to_string().replace("</", "<\\/");
    TREE_TEMPLATE.replacen(TREE_SLOT, &json, 1)
}

fn tree_node(n: &Node, usage_known: bool) -> Value {
    json!({
        "step": n.step,
        "parent": n.parent_step,
        "stage": n.stage.as_str(),
        "metric": n.metric,
        "is_buggy": n.is_buggy,
        "bug_reasons": n.bug_reasons,
        "plan": n.plan,
        "code": n.code,
        "output": n.term_out.concat(),
        "analysis": n.analysis,
        "exc_type": n.exc_type,
        "exec_time": n.exec_time,
        "cost_usd": usage_known.then_some(n.usage.cost_usd),
    })
}

/// Copies the best node's own submission into `best_submission/`, from its record.
pub fn copy_best_submission(run: &RunDir, best: &Node) -> Result<(), CheckpointError> {
    let src = run.node_submission(best.step);
    let dir = run.root().join(BEST_SUBMISSION_DIR);
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |cause| CheckpointError::Io { path, cause }
    };
    fs::create_dir_all(&dir).map_err(io(&dir))?;
    let dst = dir.join(SUBMISSION_FILE);
    match fs::read(&src) {
        Ok(bytes) => run.write_atomic(&dst, &bytes),
        // Deleted by a script that ran without filesystem rules (the agent warned): no
        // best submission rather than another node's.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => match fs::remove_file(&dst) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(&dst)(e)),
            _ => Ok(()),
        },
        Err(e) => Err(io(&src)(e)),
    }
}

/// Writes every end-of-run artifact from the journal alone.
pub fn write_all(
    run: &RunDir,
    journal: &Journal,
    title: &str,
    code_model: &str,
    feedback_model: &str,
) -> Result<(), CheckpointError> {
    let root = run.root();
    run.write_json(&root.join(JOURNAL_FILE), &journal_v2(journal))?;
    run.write_json(
        &root.join(USAGE_FILE),
        &usage_report(journal, code_model, feedback_model),
    )?;
    run.write_atomic(&root.join(TREE_FILE), tree_html(journal, title).as_bytes())?;
    match journal.best_node() {
        Some(best) => {
            run.write_atomic(&root.join(BEST_SOLUTION_FILE), best.code.as_bytes())?;
            if best.has_submission {
                copy_best_submission(run, best)?;
            }
        }
        // No good node: no best files at all, so that nothing reads as an answer
        // (`progress.json` and the tree view say why).
        None => remove_best_files(root)?,
    }
    Ok(())
}

/// Removes `best_solution.py` and `best_submission/` where there is no best node. Only
/// aide-fleet's own can be there: `--out` with another tool's files is refused.
fn remove_best_files(root: &Path) -> Result<(), CheckpointError> {
    let io = |path: std::path::PathBuf| move |cause| CheckpointError::Io { path, cause };
    let file = root.join(BEST_SOLUTION_FILE);
    match fs::remove_file(&file) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(file)(e)),
        _ => {}
    }
    let dir = root.join(BEST_SUBMISSION_DIR);
    match fs::remove_dir_all(&dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(dir)(e)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::journal::tests::node;
    use crate::agent::node::Stage;

    #[test]
    fn journal_v2_links_children_by_id() {
        let mut j = Journal::new(Some(true));
        j.append(node(0, None, Stage::Draft, Some(0.4))).unwrap();
        j.append(node(1, Some(0), Stage::Improve, Some(0.3)))
            .unwrap();
        let v = journal_v2(&j);
        assert_eq!(v["__version"], "2");
        assert_eq!(v["node2parent"][&j.nodes()[1].id], j.nodes()[0].id);
        assert_eq!(
            v["nodes"][1]["metric"],
            json!({"value": 0.3, "maximize": false})
        );
        assert_eq!(v["nodes"][0]["parent"], Value::Null);
    }

    #[test]
    fn tree_view_is_self_contained_and_script_safe() {
        let mut j = Journal::new(None);
        let mut n = node(0, None, Stage::Draft, Some(1.0));
        n.code = "print('</script><script>alert(1)</script>')".into();
        j.append(n).unwrap();
        let html = tree_html(&j, "demo");
        assert!(!html.contains("</script><script>alert"));
        // Nothing is fetched: no external scripts, styles, images or imports.
        for fetch in [" src=", " href=", "<link", "@import", "https://", "fetch("] {
            assert!(!html.contains(fetch), "tree.html contains {fetch}");
        }
        assert!(!html.contains(TREE_SLOT));
    }

    #[test]
    fn no_good_node_writes_no_best_and_says_so() {
        let tmp = tempfile::tempdir().unwrap();
        let run = RunDir::create(tmp.path()).unwrap();
        // Left by an earlier write: must not outlive the best node it belonged to.
        fs::write(tmp.path().join(BEST_SOLUTION_FILE), "print('old')").unwrap();
        fs::create_dir_all(tmp.path().join(BEST_SUBMISSION_DIR)).unwrap();
        let mut j = Journal::new(None);
        let mut n = node(0, None, Stage::Draft, None);
        n.is_buggy = true;
        j.append(n).unwrap();
        write_all(&run, &j, "demo", "m", "m").unwrap();
        assert!(!tmp.path().join(BEST_SOLUTION_FILE).exists());
        assert!(!tmp.path().join(BEST_SUBMISSION_DIR).exists());
        let summary =
            "none: no good node among 1 (1 buggy); no best solution or submission is written";
        assert_eq!(j.best_summary(), summary);
        assert!(tree_html(&j, "demo").contains(summary));
    }
}
