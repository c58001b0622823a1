//! `aide-fleet run` with the local executor, end to end: the demo tasks against a scripted
//! LLM, every run graded, a grading report written; a killed controller resumes without
//! repeating finished runs or losing nodes.

use crate::support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use support::*;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn suite(dir: &Path, tasks: &[&str], seeds: u32, steps: u32) -> PathBuf {
    write_suite(dir, tasks, seeds, steps, 2)
}

fn fleet(llm: &ScriptedLlm, suite: &Path, store: &Path, run_id: &str) -> tokio::process::Command {
    fleet_run(&llm.url(), suite, store, run_id, &benchmarks())
}

fn status(store: &Path, run: &str, task: &str, seed: u64) -> Value {
    read_json(&store.join(format!("runs/{run}/tasks/{task}/seed-{seed}/status.json")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_tasks_run_end_to_end_and_are_graded() {
    let llm = ScriptedLlm::start(sample_submitter(0.0)).await;
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let suite = suite(tmp.path(), &["demo-binary", "demo-regression"], 2, 2);
    let r = run(fleet(&llm, &suite, &store, "e2e")).await;
    assert_eq!(r.code, 0, "{}", r.stderr);

    let report = read_json(&store.join("runs/e2e/grading_report.json"));
    let reports = report["competition_reports"].as_array().unwrap();
    assert_eq!(reports.len(), 4);
    for task in ["demo-binary", "demo-regression"] {
        for seed in 0..2 {
            let s = status(&store, "e2e", task, seed);
            assert_eq!(s["state"], "succeeded", "{s}");
            assert_eq!(s["attempts"].as_array().unwrap().len(), 1);
            assert_eq!(s["step"], 2);
            let grade =
                read_json(&store.join(format!("runs/e2e/tasks/{task}/seed-{seed}/grade.json")));
            assert_eq!(grade["competition_id"], task);
            assert_eq!(grade["valid_submission"], true, "{grade}");
            assert!(
                store
                    .join(format!(
                        "runs/e2e/tasks/{task}/seed-{seed}/agent/journal.json"
                    ))
                    .is_file()
            );
            assert!(
                store
                    .join(format!("runs/e2e/tasks/{task}/seed-{seed}/logs/agent.log"))
                    .is_file()
            );
        }
    }
    // The sample submission of demo-binary scores ROC AUC 0.5 (a constant).
    let grade = read_json(&store.join("runs/e2e/tasks/demo-binary/seed-0/grade.json"));
    assert_eq!(grade["score"], 0.5);
    assert_eq!(grade["any_medal"], false);

    // status reads the store alone.
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_aide-fleet"))
        .args(["status", "e2e", "--store"])
        .arg(&store)
        .output()
        .await
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert_eq!(
        table.lines().filter(|l| l.contains("succeeded")).count(),
        4,
        "{table}"
    );

    // Running it again repeats nothing.
    let before = llm.bodies().len();
    let r = run(fleet(&llm, &suite, &store, "e2e")).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(llm.bodies().len(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_controller_resumes_without_repeating_or_losing_work() {
    let llm = ScriptedLlm::start(sample_submitter(0.4)).await;
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let suite = suite(
        tmp.path(),
        &["demo-binary", "demo-regression", "demo-multiclass"],
        1,
        4,
    );
    let mut child = fleet(&llm, &suite, &store, "crash").spawn().unwrap();
    let first = store.join("runs/crash/tasks/demo-binary/seed-0/grade.json");
    let mut waited = 0;
    while !first.exists() && waited < 600 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += 1;
    }
    assert!(first.exists(), "the first run never finished");
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    let done = status(&store, "crash", "demo-binary", 0);
    let nodes_before: Vec<Value> = nodes(&store.join("runs/crash/tasks/demo-binary/seed-0/agent"));
    // Give orphaned agents their SIGTERM and time to checkpoint.
    tokio::time::sleep(Duration::from_secs(1)).await;

    let r = run(fleet(&llm, &suite, &store, "crash")).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        status(&store, "crash", "demo-binary", 0)["attempts"],
        done["attempts"]
    );
    assert_eq!(
        nodes(&store.join("runs/crash/tasks/demo-binary/seed-0/agent")),
        nodes_before
    );
    for task in ["demo-binary", "demo-regression", "demo-multiclass"] {
        let s = status(&store, "crash", task, 0);
        assert_eq!(s["state"], "succeeded", "{s}");
        let ns = nodes(&store.join(format!("runs/crash/tasks/{task}/seed-0/agent")));
        assert_eq!(ns.len(), 4, "{task}");
        for (i, n) in ns.iter().enumerate() {
            assert_eq!(n["step"], i);
        }
    }
    let report = read_json(&store.join("runs/crash/grading_report.json"));
    assert_eq!(report["competition_reports"].as_array().unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_needing_more_gpus_than_exist_fails_at_plan_time() {
    let llm = ScriptedLlm::start(sample_submitter(0.0)).await;
    let tmp = tempfile::tempdir().unwrap();
    let path = suite(tmp.path(), &["demo-binary"], 1, 1);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace(
            "executor:",
            "resources:\n  cpus: 1\n  memory: 1Gi\n  gpus: 2\nexecutor:",
        ),
    )
    .unwrap();
    let mut cmd = fleet(&llm, &path, &tmp.path().join("store"), "gpu");
    cmd.env("AIDE_FLEET_GPUS", "0");
    let r = run(cmd).await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("asks for 2 GPU(s) but this machine has 1"),
        "{}",
        r.stderr
    );
    assert!(llm.bodies().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_re_style_task_is_searched_without_a_submission_file_and_scored() {
    // The scripted model answers with the reference solution plus a timing printout.
    let reference = std::fs::read_to_string(
        repo().join("benchmarks/demo/re-optimize-sum/reference_solution.py"),
    )
    .unwrap();
    let code = format!(
        "{reference}\n\nif __name__ == '__main__':\n    import time\n    x = np.random.default_rng(0).integers(-1000, 1001, size=100_000, dtype=np.int32)\n    t0 = time.perf_counter()\n    conditional_prefix_sum(x)\n    print(f'METRIC={{(time.perf_counter() - t0) * 1000:.3f}}')\n"
    );
    let llm = ScriptedLlm::start(Arc::new(move |_: &Value| {
        Reply::code("Vectorise with numpy.", &code)
    }))
    .await;
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let suite = suite(tmp.path(), &["re-optimize-sum"], 1, 2);
    let r = run(fleet(&llm, &suite, &store, "re")).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let ns = nodes(&store.join("runs/re/tasks/re-optimize-sum/seed-0/agent"));
    assert_eq!(ns.len(), 2);
    assert!(ns.iter().all(|n| n["is_buggy"] == false), "{ns:?}");
    let score = read_json(&store.join("runs/re/tasks/re-optimize-sum/seed-0/grade.json"));
    assert_eq!(score["task"], "re-optimize-sum");
    assert!(score["reason"].is_null(), "{score}");
    let raw = score["score"].as_f64().unwrap();
    let normalized = score["normalized_score"].as_f64().unwrap();
    let (start, reference) = (6.80, 3.38);
    assert!((normalized - (raw - start) / (reference - start)).abs() < 1e-9);
    // The reference solution is far faster than the pure-Python start.
    assert!(normalized > 0.5, "{score}");
    // RE scores are not MLE-bench competition reports.
    let report = read_json(&store.join("runs/re/grading_report.json"));
    assert!(report["competition_reports"].as_array().unwrap().is_empty());
}

/// A copy of the demo benchmarks whose RE task's score command first sleeps `secs`.
fn benchmarks_with_slow_scorer(dir: &Path, secs: u32) -> PathBuf {
    let root = dir.join("benchmarks");
    std::fs::create_dir_all(&root).unwrap();
    let copied = std::process::Command::new("cp")
        .arg("-r")
        .arg(repo().join("benchmarks/demo"))
        .arg(root.join("demo"))
        .status()
        .unwrap();
    assert!(copied.success());
    let manifest = root.join("demo/re-optimize-sum/task.yaml");
    let text = std::fs::read_to_string(&manifest).unwrap().replace(
        "score_command: python",
        &format!("score_command: sleep {secs} && python"),
    );
    assert!(text.contains("sleep"), "the manifest changed shape: {text}");
    std::fs::write(&manifest, text).unwrap();
    root
}

fn started_and_ended(s: &Value) -> (std::time::SystemTime, std::time::SystemTime) {
    let a = s["attempts"].as_array().unwrap().last().unwrap().clone();
    let t = |v: &Value| humantime::parse_rfc3339(v.as_str().unwrap()).unwrap();
    (t(&a["started_at"]), t(&a["ended_at"]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_minute_of_grading_does_not_hold_up_other_runs() {
    let reference = std::fs::read_to_string(
        repo().join("benchmarks/demo/re-optimize-sum/reference_solution.py"),
    )
    .unwrap();
    let re_code = format!("{reference}\n\nif __name__ == '__main__':\n    print('METRIC=1.0')\n");
    // The RE task gets its reference solution, the competitions their sample submission.
    let sample = sample_submitter(0.0);
    let llm = ScriptedLlm::start(Arc::new(move |body: &Value| {
        if body.to_string().contains("conditional_prefix_sum") {
            Reply::code("Vectorise with numpy.", &re_code)
        } else {
            sample(body)
        }
    }))
    .await;
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let benchmarks = benchmarks_with_slow_scorer(tmp.path(), 60);
    let path = tmp.path().join("suite.yaml");
    std::fs::write(
        &path,
        "name: test\nbenchmark: demo\ntasks:\n  - re-optimize-sum\n  - demo-binary\n  - demo-regression\nseeds: 1\nagent:\n  steps: 1\n  num_drafts: 1\n  model: scripted-coder\n  feedback_model: scripted-reviewer\nexecutor:\n  local:\n    concurrency: 1\n",
    )
    .unwrap();
    run(fleet_run(&llm.url(), &path, &store, "slow", &benchmarks))
        .await
        .assert_success();

    let grade = read_json(&store.join("runs/slow/tasks/re-optimize-sum/seed-0/grade.json"));
    assert!(grade["reason"].is_null(), "{grade}");
    assert!(grade["score"].as_f64().is_some(), "{grade}");
    // When grade.json was written: the score's end.
    let scored_at =
        std::fs::metadata(store.join("runs/slow/tasks/re-optimize-sum/seed-0/grade.json"))
            .and_then(|m| m.modified())
            .unwrap();
    let (_, re_ended) = started_and_ended(&status(&store, "slow", "re-optimize-sum", 0));
    assert!(
        scored_at.duration_since(re_ended).unwrap() >= Duration::from_secs(59),
        "the score took a minute"
    );
    // One run at a time: the competitions ran, one after the other, while the RE task's
    // score was still being computed.
    for task in ["demo-binary", "demo-regression"] {
        let s = status(&store, "slow", task, 0);
        assert_eq!(s["state"], "succeeded", "{s}");
        let (started, ended) = started_and_ended(&s);
        assert!(started >= re_ended && ended < scored_at, "{task}: {s}");
    }
}
