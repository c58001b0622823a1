//! scripts/nightly.sh end to end, two nights against a scripted LLM on 127.0.0.1: two demo
//! competitions solved by their reference solutions on night 1, by the sample submission
//! on night 2. Night 1 has no baseline and becomes the pointer's run; night 2 regresses
//! (exit 3) and the pointer stays on night 1. (A night without regression moving the
//! pointer on is tests/report_run.rs's `the_latest_pointer_follows_good_runs_only`.)

use crate::support;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;
use support::*;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The task's reference solution, or the sample submission when `good` is false.
fn solver(good: bool) -> Fallback {
    Arc::new(move |body: &Value| {
        let prompt = prompt_of(body);
        let task = if prompt.contains("House Price") {
            "demo-regression"
        } else {
            "demo-binary"
        };
        let code = if good {
            std::fs::read_to_string(
                repo().join(format!("benchmarks/demo/{task}/reference_solution.py")),
            )
            .unwrap()
        } else {
            "import shutil\nshutil.copy('./input/sample_submission.csv', './submission/submission.csv')\n".into()
        };
        Reply::code("Solve it.", &format!("{code}\nprint('METRIC=0.5')\n"))
    })
}

async fn night(llm: &ScriptedLlm, suite: &Path, store: &Path, run_id: &str) -> (i32, String) {
    let out = tokio::process::Command::new("bash")
        .arg(repo().join("scripts/nightly.sh"))
        .arg(suite)
        .env("AIDE_FLEET_BIN", env!("CARGO_BIN_EXE_aide-fleet"))
        .env("AIDE_FLEET_STORE", store)
        .env("AIDE_FLEET_RUN_ID", run_id)
        .env("AIDE_FLEET_NIGHTLY_SEEDS", "3")
        .env("OPENAI_BASE_URL", llm.url())
        .env("OPENAI_API_KEY", "test")
        .env("AIDE_FLEET_GPUS", "")
        .kill_on_drop(true)
        .output()
        .await
        .unwrap();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn latest(store: &Path) -> Value {
    read_json(&store.join("reports/latest.json"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_good_night_then_a_real_regression_exits_3() {
    let llm = ScriptedLlm::start(solver(true)).await;
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let suite = tmp.path().join("nightly.yaml");
    std::fs::write(
        &suite,
        "name: nightly\nbenchmark: demo\ntasks:\n  - demo-binary\n  - demo-regression\nseeds: 1\n\
         agent:\n  steps: 1\n  num_drafts: 1\n  model: scripted-coder\n  feedback_model: scripted-reviewer\n\
         executor:\n  local:\n    concurrency: 2\n",
    )
    .unwrap();

    let (code, out) = night(&llm, &suite, &store, "night-1").await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("no baseline"), "{out}");
    assert_eq!(latest(&store)["run_id"], "night-1");
    let summary = read_json(&store.join("runs/night-1/report/summary.json"));
    assert_eq!(summary["totals"]["runs"], 6);
    assert_eq!(
        summary["totals"]["medals"], 6,
        "the reference solutions medal: {summary}"
    );

    llm.set_code_fallback(solver(false));
    let (code, out) = night(&llm, &suite, &store, "night-2").await;
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("SIGNIFICANT REGRESSION"), "{out}");
    assert!(out.contains("**Regression**"), "{out}");
    assert!(out.contains("Against baseline `night-1`"), "{out}");
    assert_eq!(
        latest(&store)["run_id"],
        "night-1",
        "a regressed night is not the next baseline"
    );
    let summary = read_json(&store.join("runs/night-2/report/summary.json"));
    assert_eq!(summary["comparison"]["regression"], true);
    assert_eq!(summary["comparison"]["baseline_run_id"], "night-1");
}
