//! `aide-fleet run` when the LLM endpoint is dead: refused before anything is launched,
//! and, when it dies mid-run, dispatching stops without charging any run an attempt, and
//! the same command finishes every run once the endpoint is back.

use crate::support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::*;

fn suite(dir: &Path, tasks: &[&str], seeds: u32, concurrency: u32) -> PathBuf {
    write_suite(dir, tasks, seeds, 1, concurrency)
}

fn fleet(base_url: &str, suite: &Path, store: &Path, run_id: &str) -> tokio::process::Command {
    fleet_run(base_url, suite, store, run_id, &benchmarks())
}

fn statuses(store: &Path, run: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let tasks = store.join(format!("runs/{run}/tasks"));
    for task in std::fs::read_dir(&tasks).into_iter().flatten().flatten() {
        for seed in std::fs::read_dir(task.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let path = seed.path().join("status.json");
            if path.is_file() {
                out.push(read_json(&path));
            }
        }
    }
    out
}

fn outcomes(status: &Value) -> Vec<String> {
    status["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["outcome"].as_str().unwrap_or("running").to_owned())
        .collect()
}

#[tokio::test]
async fn a_dead_endpoint_is_refused_before_anything_is_launched() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let suite = suite(tmp.path(), &["demo-binary", "demo-regression"], 2, 2);
    let url = format!("http://127.0.0.1:{}/v1", dead_port());
    let started = Instant::now();
    let r = run(fleet(&url, &suite, &store, "dead")).await;
    r.assert_code(4);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    assert!(r.stderr.contains(&format!("{url}/models")), "{}", r.stderr);
    assert!(r.stderr.contains("set by OPENAI_BASE_URL"), "{}", r.stderr);
    assert!(r.stderr.contains("nothing was launched"), "{}", r.stderr);
    // No agent ran: the store holds no run at all.
    assert!(!store.join("runs/dead").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_that_dies_mid_run_stops_dispatch_and_the_rerun_finishes() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let tasks = ["demo-binary", "demo-multiclass", "demo-regression"];
    let suite = suite(tmp.path(), &tasks, 2, 2);
    // Scripts take a second, so that runs are in flight when the endpoint goes.
    let llm = ScriptedLlm::start_unpooled(sample_submitter(1.0)).await;
    let url = llm.url();
    let port = llm.server.address().port();

    let child = fleet(&url, &suite, &store, "mid")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Read its stderr from the start, so a full pipe never blocks it.
    let finished = tokio::spawn(child.wait_with_output());
    // The endpoint goes away once the first run has succeeded.
    let deadline = Instant::now() + Duration::from_secs(120);
    while !statuses(&store, "mid")
        .iter()
        .any(|s| s["state"] == "succeeded")
    {
        assert!(Instant::now() < deadline, "no run succeeded in time");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(llm);
    let out = tokio::time::timeout(Duration::from_secs(300), finished)
        .await
        .expect("the controller stops by itself")
        .unwrap()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("stopped dispatching, the LLM endpoint could not be reached")
            && stderr.contains("Connection refused"),
        "{stderr}"
    );
    let after_first = statuses(&store, "mid");
    // Dispatching stopped: some runs never started, and no run was charged an attempt.
    assert!(
        after_first.iter().any(|s| s["state"] == "pending"),
        "{after_first:?}"
    );
    assert!(
        after_first.iter().flat_map(outcomes).all(|o| o != "failed"),
        "{after_first:?}"
    );
    let unreachable = after_first
        .iter()
        .flat_map(outcomes)
        .filter(|o| o == "llm_unreachable")
        .count();
    assert!(unreachable >= 2, "{after_first:?}");
    assert!(after_first.len() < 6 || after_first.iter().any(|s| s["state"] == "pending"));

    // The same command, with the endpoint back on the same address, finishes every run.
    let _back = ScriptedLlm::start_on(port, sample_submitter(0.0)).await;
    let r = run(fleet(&url, &suite, &store, "mid")).await;
    r.assert_success();
    let done = statuses(&store, "mid");
    assert_eq!(done.len(), 6, "{done:?}");
    for s in &done {
        assert_eq!(s["state"], "succeeded", "{s}");
        let o = outcomes(s);
        assert_eq!(o.iter().filter(|o| *o == "succeeded").count(), 1, "{s}");
        assert!(
            o.iter().all(|o| o == "succeeded" || o == "llm_unreachable"),
            "{s}"
        );
    }
    // The index holds every attempt of the runs sent back and retried.
    let index = closed_index_matching_files(&store, "mid", &tasks, 2).await;
    let retried = index
        .runs
        .iter()
        .filter(|r| r.status.as_ref().unwrap().attempts.len() > 1)
        .count();
    assert!(retried >= 1, "{:?}", index.runs);
}
