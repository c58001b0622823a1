//! The demo suite, reported: `benchmarks/suites/demo.yaml` run twice (`demo-a`, then
//! `demo-b`) with the real binary, the local executor and real Python, against a scripted
//! model on 127.0.0.1 whose first draft of a competition submits the sample submission and
//! whose every later answer is the task's reference solution; then
//! `aide-fleet report demo-b --baseline demo-a`. This is the report shown in the README:
//! set `AIDE_FLEET_DEMO_REPORT_DIR` to keep its files.

use crate::support;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;
use support::*;

const STEPS: usize = 2;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn reference(task: &str) -> String {
    std::fs::read_to_string(repo().join(format!("benchmarks/demo/{task}/reference_solution.py")))
        .unwrap()
}

/// The task a prompt is about, from the title of its description.
fn task_of(prompt: &str) -> &'static str {
    [
        ("Subscriber Churn", "demo-binary"),
        ("Seed Variety Identification", "demo-multiclass"),
        ("House Price Prediction", "demo-regression"),
        ("Conditional Prefix Sum", "re-optimize-sum"),
    ]
    .into_iter()
    .find(|(title, _)| prompt.contains(title))
    .map(|(_, task)| task)
    .expect("a prompt names one of the demo tasks")
}

/// The scripted model. The printed METRIC is what the honest reviewer reports: low for the
/// sample submission, high for the reference, so the search selects the reference node.
fn coder() -> Fallback {
    Arc::new(|body: &Value| {
        let task = task_of(&prompt_of(body));
        let step = step_of(body, STEPS);
        let code = match task {
            "re-optimize-sum" => format!("{}\nprint('METRIC=0.9')\n", reference(task)),
            _ if step == 0 => "import shutil\nshutil.copy('./input/sample_submission.csv', './submission/submission.csv')\nprint('METRIC=0.1')\n".to_owned(),
            _ => format!("{}\nprint('METRIC=0.9')\n", reference(task)),
        };
        Reply::code("Solve it.", &code)
    })
}

async fn aide_fleet(llm: &ScriptedLlm, store: &Path, args: &[&str]) -> Finished {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_aide-fleet"));
    cmd.args(args)
        .arg("--store")
        .arg(store)
        .arg("--benchmarks")
        .arg(repo().join("benchmarks"))
        .env("OPENAI_BASE_URL", llm.url())
        .env("OPENAI_API_KEY", "test")
        .env("AIDE_FLEET_GPUS", "")
        .kill_on_drop(true);
    run(cmd).await
}

async fn run_demo_suite(llm: &ScriptedLlm, store: &Path, run_id: &str) {
    let suite = repo().join("benchmarks/suites/demo.yaml");
    let steps = STEPS.to_string();
    let r = aide_fleet(
        llm,
        store,
        &[
            "run",
            suite.to_str().unwrap(),
            "--seeds",
            "3",
            "--steps",
            &steps,
            "--run-id",
            run_id,
            "--no-progress",
        ],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_suite_run_twice_and_reported_against_itself() {
    let llm = ScriptedLlm::start(coder()).await;
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    run_demo_suite(&llm, &store, "demo-a").await;
    run_demo_suite(&llm, &store, "demo-b").await;

    let r = aide_fleet(&llm, &store, &["report", "demo-b", "--baseline", "demo-a"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let md = std::fs::read_to_string(store.join("runs/demo-b/report/report.md")).unwrap();
    assert!(md.contains("Against baseline `demo-a`"), "{md}");
    assert!(md.contains("No significant regression"), "{md}");

    let summary = read_json(&store.join("runs/demo-b/report/summary.json"));
    assert_eq!(summary["totals"]["runs"], 12, "{summary}");
    assert_eq!(
        summary["totals"]["medals"], 9,
        "every competition run selects its reference node: {summary}"
    );
    assert_eq!(summary["comparison"]["regression"], false, "{summary}");

    // Each competition's percentile is the reference solution's, the same on every seed.
    let tasks = summary["tasks"].as_array().unwrap();
    for id in ["demo-binary", "demo-multiclass", "demo-regression"] {
        let task = tasks.iter().find(|t| t["task"] == id).unwrap();
        assert_eq!(task["any_medal"], 3, "{task}");
        assert_eq!(task["percentile"]["standard_error"], 0.0, "{task}");
    }
    // The reference solution of the RE task beats the starting solution. The score is a
    // wall-clock time against anchors measured on an idle machine, so a loaded CI machine
    // (other tests on both cores) scores it well below 1: a CI run saw 0.46. Positive
    // still fails when scoring is broken: a null or slower-than-start score is floored at 0.
    let re = tasks
        .iter()
        .find(|t| t["task"] == "re-optimize-sum")
        .unwrap();
    assert_eq!(re["graded"], 3, "{re}");
    let normalized = re["normalized_score"]["mean"].as_f64().unwrap();
    assert!(normalized > 0.0, "{re}");

    if let Some(dir) = std::env::var_os("AIDE_FLEET_DEMO_REPORT_DIR") {
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap();
        for entry in std::fs::read_dir(store.join("runs/demo-b/report")).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
        }
    }
}
