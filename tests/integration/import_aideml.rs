//! `aide-fleet import-aideml` on a log directory that aideml 0.2.2 wrote itself
//! (tests/data/aideml/tiny-line-fit, see its PROVENANCE.md): the outputs in a directory,
//! the run in a store as `status` and `report` show it, the refusals, damaged input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

use crate::support::{nodes, read_json};

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/aideml/tiny-line-fit")
}

fn aide_fleet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aide-fleet"))
        .args(args)
        .output()
        .unwrap()
}

#[track_caller]
fn assert_code(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The data a tree view carries inline.
fn tree_data(html: &str) -> Value {
    let start = html.find("type=\"application/json\">").unwrap() + 24;
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end]).unwrap()
}

#[test]
fn a_log_directory_becomes_a_tree_view_node_records_and_unknown_usage() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("imported");
    let before = std::fs::read(fixture().join("journal.json")).unwrap();
    let run = aide_fleet(&["import-aideml", s(&fixture()), "--out", s(&out)]);
    assert_code(&run, 0);

    let records = nodes(&out);
    assert_eq!(records.len(), 7);
    let stages: Vec<&str> = records
        .iter()
        .map(|n| n["stage"].as_str().unwrap())
        .collect();
    assert_eq!(
        stages,
        [
            "draft", "draft", "draft", "debug", "improve", "improve", "improve"
        ]
    );
    assert_eq!(records[3]["parent_step"], 1);
    assert_eq!(records[1]["is_buggy"], true);
    assert_eq!(records[1]["exc_type"], "KeyError");
    assert_eq!(records[1]["bug_reasons"][0]["kind"], "exception");
    assert_eq!(records[5]["metric"], 0.05);
    assert!(records.iter().all(|n| n["imported"]["from"] == "aideml"));
    // The ids are aideml's own.
    let journal: Value = serde_json::from_slice(&before).unwrap();
    assert_eq!(records[4]["id"], journal["nodes"][4]["id"]);

    let usage = read_json(&out.join("usage.json"));
    assert_eq!(usage["known"], false);
    for field in ["input_tokens", "output_tokens", "cost_usd"] {
        assert_eq!(usage["total"][field], Value::Null, "{field}");
    }
    assert_eq!(usage["code_model"], "scripted-coder");

    let progress = read_json(&out.join("progress.json"));
    assert_eq!(progress["step"], 7);
    assert_eq!(progress["best_step"], 5);
    assert_eq!(progress["lower_is_better"], true);
    assert_eq!(progress["buggy_nodes"], 1);
    assert_eq!(progress["cost_usd"], Value::Null);

    let html = std::fs::read_to_string(out.join("tree.html")).unwrap();
    let data = tree_data(&html);
    assert_eq!(data["best_step"], 5);
    assert_eq!(data["nodes"].as_array().unwrap().len(), 7);
    assert_eq!(data["nodes"][6]["parent"], 5);
    assert_eq!(data["nodes"][0]["cost_usd"], Value::Null);
    assert!(
        data["note"]
            .as_str()
            .unwrap()
            .contains("Imported from the aideml log directory"),
        "{}",
        data["note"]
    );
    assert!(data["title"].as_str().unwrap().contains("0-tiny-line-fit"));

    let v2 = read_json(&out.join("journal.json"));
    assert_eq!(v2["__version"], "2");
    assert_eq!(v2["node2parent"], journal["node2parent"]);
    assert_eq!(
        std::fs::read_to_string(out.join("best_solution.py")).unwrap(),
        records[5]["code"].as_str().unwrap()
    );
    // aideml's files are kept verbatim and the log directory is not touched.
    assert_eq!(
        std::fs::read(out.join("aideml/journal.json")).unwrap(),
        before
    );
    assert!(out.join("aideml/config.yaml").is_file());
    assert_eq!(
        std::fs::read(fixture().join("journal.json")).unwrap(),
        before
    );
    let provenance = read_json(&out.join("imported.json"));
    assert_eq!(provenance["from"], "aideml");
    assert!(!out.join("run.json").exists());

    // Importing again replaces the earlier import; another tool's directory is refused.
    assert_code(
        &aide_fleet(&["import-aideml", s(&fixture()), "--out", s(&out)]),
        0,
    );
    let other = tmp.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("journal.json"), "{}").unwrap();
    let refused = aide_fleet(&["import-aideml", s(&fixture()), "--out", s(&other)]);
    assert_code(&refused, 2);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("journal.json"));
    assert_eq!(std::fs::read(other.join("journal.json")).unwrap(), b"{}");
}

/// `aide-fleet import-aideml FIXTURE --store STORE --run-id RUN --task TASK [extra]`.
fn import_into(store: &Path, run_id: &str, task: &str, extra: &[&str]) -> Output {
    let fixture = fixture();
    let mut args = vec![
        "import-aideml",
        s(&fixture),
        "--store",
        s(store),
        "--run-id",
        run_id,
        "--task",
        task,
    ];
    args.extend_from_slice(extra);
    aide_fleet(&args)
}

#[test]
fn an_imported_run_shows_in_status_and_report() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let import = |seed: &str| import_into(&store, "history", "demo-regression", &["--seed", seed]);
    assert_code(&import("0"), 0);
    assert_code(&import("1"), 0);
    // Again: replaces seed 1.
    assert_code(&import("1"), 0);
    let seed0 = store.join("runs/history/tasks/demo-regression/seed-0");
    assert_eq!(nodes(&seed0.join("agent")).len(), 7);
    let status = read_json(&seed0.join("status.json"));
    assert_eq!(status["state"], "succeeded");
    assert_eq!(status["imported"]["from"], "aideml");
    assert_eq!(status["attempts"][0]["executor"], "import");
    assert_eq!(status["cost_usd"], Value::Null);

    let table = aide_fleet(&["status", "history", "--store", s(&store)]);
    assert_code(&table, 0);
    let text = String::from_utf8_lossy(&table.stdout);
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("demo-regression"))
        .collect();
    assert_eq!(rows.len(), 2, "{text}");
    for row in rows {
        assert!(row.contains("succeeded"), "{row}");
        assert!(row.contains("7/7"), "{row}");
        assert!(row.contains("0.05000"), "{row}");
        assert!(row.contains("imported from aideml"), "{row}");
    }

    let csv = aide_fleet(&[
        "report",
        "history",
        "--store",
        s(&store),
        "--no-publish",
        "--format",
        "csv",
    ]);
    assert_code(&csv, 0);
    let text = String::from_utf8_lossy(&csv.stdout).into_owned();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2, "{text}");
    for row in &rows {
        assert_eq!(&row[col("task")], "demo-regression");
        assert_eq!(&row[col("state")], "succeeded");
        assert_eq!(&row[col("steps")], "7");
        assert_eq!(&row[col("buggy_nodes")], "1");
        // Unknown, not zero.
        assert_eq!(&row[col("cost_usd")], "", "{text}");
        assert_eq!(&row[col("input_tokens")], "", "{text}");
    }
    let md = aide_fleet(&["report", "history", "--store", s(&store), "--no-publish"]);
    assert_code(&md, 0);
    assert!(String::from_utf8_lossy(&md.stdout).contains("demo-regression"));
}

#[test]
fn runs_an_import_did_not_write_are_never_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let import = |run_id: &str, task: &str| import_into(&store, run_id, task, &[]);
    // A group `aide-fleet run` launched.
    let launched = store.join("runs/nightly/run.yaml");
    std::fs::create_dir_all(launched.parent().unwrap()).unwrap();
    std::fs::write(
        &launched,
        "name: nightly\nbenchmark: demo\ntasks:\n- demo-binary\nseeds: 1\n",
    )
    .unwrap();
    let refused = import("nightly", "demo-binary");
    assert_code(&refused, 2);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not made by imports"));
    assert!(!store.join("runs/nightly/tasks").exists());

    // A run in an import group that is not an import.
    assert_code(&import("history", "demo-binary"), 0);
    let theirs = store.join("runs/history/tasks/demo-regression/seed-0/status.json");
    std::fs::create_dir_all(theirs.parent().unwrap()).unwrap();
    let status = json!({"run_id": "history", "task": "demo-regression", "seed": 0,
        "state": "running", "attempts": [], "step": null, "steps": null,
        "best_metric": null, "elapsed_s": null, "cost_usd": null, "updated_at": "now"});
    std::fs::write(&theirs, status.to_string()).unwrap();
    let refused = import("history", "demo-regression");
    assert_code(&refused, 2);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not imported"));
    assert_eq!(read_json(&theirs), status);
}

#[test]
fn a_damaged_journal_is_bad_input_naming_the_file_and_field() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("logs");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(fixture().join("config.yaml"), dir.join("config.yaml")).unwrap();
    let mut journal = read_json(&fixture().join("journal.json"));
    journal["nodes"][2]["metric"] = json!("high");
    std::fs::write(dir.join("journal.json"), journal.to_string()).unwrap();
    let out = tmp.path().join("out");
    let run = aide_fleet(&["import-aideml", s(&dir), "--out", s(&out)]);
    assert_code(&run, 2);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("journal.json: field `nodes[2].metric`"),
        "{stderr}"
    );
    assert!(stderr.contains("expected"), "{stderr}");
    assert!(!out.exists());

    std::fs::write(dir.join("config.yaml"), "agent:\n  steps: many\n").unwrap();
    let run = aide_fleet(&["import-aideml", s(&dir), "--out", s(&out)]);
    assert_code(&run, 2);
    assert!(String::from_utf8_lossy(&run.stderr).contains("config.yaml"));

    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let run = aide_fleet(&["import-aideml", s(&empty), "--out", s(&out)]);
    assert_code(&run, 2);
    assert!(String::from_utf8_lossy(&run.stderr).contains("not an aideml log directory"));
}
