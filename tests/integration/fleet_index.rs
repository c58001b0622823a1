//! The run-group index (`runs/<id>/index.json`) against the per-run files it stands for:
//! after a real run of the demo suite, after a controller is killed and restarted, after
//! a file is changed behind the controller's back, and for a store written before the
//! index existed. "Matches" means equal to a rebuild from the files, record for record.

use crate::support::{self, s3};

use std::path::Path;
use std::time::{Duration, Instant};

use aide_fleet::fleet::index::GroupIndex;
use serde_json::Value;
use support::*;

const TASKS: [&str; 2] = ["demo-binary", "demo-regression"];

fn stored_index(store: &Path, run: &str) -> GroupIndex {
    let bytes = std::fs::read(store.join(format!("runs/{run}/index.json"))).unwrap();
    GroupIndex::parse(&bytes).unwrap()
}

/// `aide-fleet report RUN --format json`, with the generation time taken out; and its
/// stderr.
fn report_json(store: &Path, run: &str, extra: &[&str]) -> (Value, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aide-fleet"))
        .args(["report", run, "--format", "json", "--store"])
        .arg(store)
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    let mut summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    summary.as_object_mut().unwrap().remove("generated_at");
    (summary, stderr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_demo_run_the_index_matches_a_rebuild_and_reports_alike() {
    let llm = ScriptedLlm::start(sample_submitter(0.0)).await;
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let suite = write_suite(tmp.path(), &TASKS, 2, 2, 2);
    run(fleet_run(&llm.url(), &suite, &store, "idx", &benchmarks()))
        .await
        .assert_success();

    let index = closed_index_matching_files(&store, "idx", &TASKS, 2).await;
    assert_eq!(index.runs.len(), 4);
    for record in &index.runs {
        let status = record.status.as_ref().unwrap();
        assert_eq!(status.state, aide_fleet::fleet::RunState::Succeeded);
        // Launched, then ended: two writes of status.json.
        assert_eq!(record.generation, 2);
        assert!(record.grade.is_some() && record.usage.is_some() && record.progress.is_some());
    }

    let (from_index, quiet) = report_json(&store, "idx", &[]);
    assert!(
        !quiet.contains("index:"),
        "the index was used as it is: {quiet}"
    );
    let (from_files, said) = report_json(&store, "idx", &["--rebuild"]);
    assert!(!said.contains("differed"), "{said}");
    assert_eq!(from_index, from_files);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_controller_leaves_a_live_index_that_its_restart_closes() {
    let llm = ScriptedLlm::start(sample_submitter(0.4)).await;
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let tasks = ["demo-binary", "demo-regression", "demo-multiclass"];
    let suite = write_suite(tmp.path(), &tasks, 1, 4, 2);
    let mut child = fleet_run(&llm.url(), &suite, &store, "crash", &benchmarks())
        .spawn()
        .unwrap();
    let first = store.join("runs/crash/tasks/demo-binary/seed-0/grade.json");
    let deadline = Instant::now() + Duration::from_secs(60);
    // Killed once the first run is graded and an index has been written since.
    while !(first.exists()
        && store.join("runs/crash/index.json").exists()
        && stored_index(&store, "crash")
            .runs
            .iter()
            .any(|r| r.grade.is_some()))
    {
        assert!(
            Instant::now() < deadline,
            "no graded run in the index in time"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    let left = stored_index(&store, "crash");
    assert!(left.live, "a killed controller cannot close its index");
    tokio::time::sleep(Duration::from_secs(1)).await;

    run(fleet_run(
        &llm.url(),
        &suite,
        &store,
        "crash",
        &benchmarks(),
    ))
    .await
    .assert_success();
    let index = closed_index_matching_files(&store, "crash", &tasks, 1).await;
    // The runs that were stopped mid-run have a preempted attempt, then a good one.
    let resumed = index
        .runs
        .iter()
        .filter(|r| r.status.as_ref().unwrap().attempts.len() == 2)
        .count();
    assert!(resumed >= 1, "{:?}", index.runs);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_changed_behind_the_controllers_back_is_found_by_a_rebuild_and_wins() {
    let llm = ScriptedLlm::start(sample_submitter(0.0)).await;
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let suite = write_suite(tmp.path(), &["demo-binary"], 2, 2, 2);
    run(fleet_run(&llm.url(), &suite, &store, "edit", &benchmarks()))
        .await
        .assert_success();

    // Someone re-grades seed 1 by hand: a score the index has never seen.
    let grade = store.join("runs/edit/tasks/demo-binary/seed-1/grade.json");
    let mut report = read_json(&grade);
    report["score"] = serde_json::json!(0.875);
    std::fs::write(&grade, serde_json::to_vec_pretty(&report).unwrap()).unwrap();

    let (trusted, _) = report_json(&store, "edit", &[]);
    let (rebuilt_report, said) = report_json(&store, "edit", &["--rebuild"]);
    assert!(
        said.contains("1 run(s) differed")
            && said.contains("demo-binary seed 1: its files changed behind the controller's back"),
        "{said}"
    );
    assert_ne!(trusted, rebuilt_report, "the edit changes the report");
    // The rebuilt index was written back: the next plain report sees the edit.
    let (after, quiet) = report_json(&store, "edit", &[]);
    assert!(!quiet.contains("index:"), "{quiet}");
    assert_eq!(after, rebuilt_report);
    let index = stored_index(&store, "edit");
    let seed1 = &index.runs[1];
    match seed1.grade.as_ref().unwrap() {
        aide_fleet::fleet::GradeRecord::Competition(r) => assert_eq!(r.score, Some(0.875)),
        other => panic!("{other:?}"),
    }
}

/// The total cost a report of `run` shows.
fn report_cost(store: &Path, run: &str, extra: &[&str]) -> f64 {
    report_json(store, run, extra).0["totals"]["cost_usd"]
        .as_f64()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_index_is_rebuilt_from_each_runs_stamp_until_one_of_its_files_changes() {
    let llm = ScriptedLlm::start(sample_submitter(0.0)).await;
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let suite = write_suite(tmp.path(), &["demo-binary"], 2, 2, 2);
    run(fleet_run(
        &llm.url(),
        &suite,
        &store,
        "stamp",
        &benchmarks(),
    ))
    .await
    .assert_success();
    let cost = report_cost(&store, "stamp", &[]);
    let seed = |k: u64| store.join(format!("runs/stamp/tasks/demo-binary/seed-{k}"));

    // The controller stamped every run it ended with the files its record came from.
    for k in 0..2 {
        let stamp = read_json(&seed(k).join("index-record.json"));
        let sources: Vec<&str> = stamp["sources"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        for file in [
            "status.json",
            "grade.json",
            "agent/usage.json",
            "agent/progress.json",
        ] {
            assert!(sources.contains(&file), "{file} in {sources:?}");
        }
    }

    // Seed 0's stamp gets a mark no file holds, in every cost a report might take: a
    // rebuild that shows it read the stamp.
    let stamp_path = seed(0).join("index-record.json");
    let mut stamp = read_json(&stamp_path);
    for part in ["usage", "progress", "status"] {
        stamp["record"][part]["cost_usd"] = serde_json::json!(1000.0);
    }
    std::fs::write(&stamp_path, serde_json::to_vec(&stamp).unwrap()).unwrap();
    let index = store.join("runs/stamp/index.json");
    std::fs::remove_file(&index).unwrap();
    assert_eq!(report_cost(&store, "stamp", &[]), cost + 1000.0);

    // `--rebuild` checks against the files themselves, stamps unread.
    assert_eq!(report_cost(&store, "stamp", &["--rebuild"]), cost);

    // A file rewritten (same bytes, new version) makes its run's stamp stale: the next
    // rebuild reads that run's files and stamps it anew.
    let usage = seed(0).join("agent/usage.json");
    let bytes = std::fs::read(&usage).unwrap();
    std::fs::remove_file(&usage).unwrap();
    std::fs::write(&usage, bytes).unwrap();
    std::fs::remove_file(&index).unwrap();
    assert_eq!(report_cost(&store, "stamp", &[]), cost);
    let restamped = read_json(&stamp_path);
    assert!(restamped["record"]["usage"]["cost_usd"].as_f64().unwrap() < 1000.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_without_an_index_reports_by_rebuilding_it_and_status_reads_it() {
    let llm = ScriptedLlm::start(sample_submitter(0.0)).await;
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let suite = write_suite(tmp.path(), &TASKS, 1, 2, 2);
    run(fleet_run(&llm.url(), &suite, &store, "old", &benchmarks()))
        .await
        .assert_success();
    let (with_index, _) = report_json(&store, "old", &[]);
    // As a store written before the index existed.
    std::fs::remove_file(store.join("runs/old/index.json")).unwrap();

    let (without, said) = report_json(&store, "old", &[]);
    assert!(
        said.contains("index: rebuilt from the per-run files: the run group has no index"),
        "{said}"
    );
    assert_eq!(without, with_index);
    let index = stored_index(&store, "old");
    assert!(!index.live);
    assert_eq!(index.runs.len(), 2);

    // An index left live by a controller that stopped long ago is not trusted.
    let mut abandoned = index.clone();
    abandoned.live = true;
    abandoned.written_at -= 3600.0;
    abandoned.runs.clear();
    abandoned.runs.extend(index.runs.iter().take(1).cloned());
    std::fs::write(store.join("runs/old/index.json"), abandoned.to_bytes()).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aide-fleet"))
        .args(["status", "old", "--store"])
        .arg(&store)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let table = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        table.lines().filter(|l| l.contains("succeeded")).count(),
        2,
        "{table}"
    );
    // Rebuilt and written back: the index holds both runs again, closed.
    let rewritten = stored_index(&store, "old");
    assert!(!rewritten.live);
    assert_eq!(rewritten.runs, index.runs);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_s3_a_report_from_the_index_reads_no_run_files() {
    let llm = ScriptedLlm::start(sample_submitter(0.0)).await;
    let server = s3::MotoServer::start().await;
    let bucket = server.bucket().await;
    let tmp = tempfile::tempdir().unwrap();
    let suite = write_suite(tmp.path(), &TASKS, 1, 2, 2);
    let url = format!("s3://{bucket}/fleet");
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_aide-fleet"));
    cmd.arg("run")
        .arg(&suite)
        .args(["--store", &url, "--s3-endpoint", &server.url()])
        .args(["--run-id", "s3idx", "--no-progress"])
        .arg("--benchmarks")
        .arg(benchmarks())
        .env("OPENAI_BASE_URL", llm.url())
        .env("AIDE_FLEET_GPUS", "")
        .kill_on_drop(true);
    // What an earlier run group of this id on this store left in the local executor's
    // scratch space: a fresh run starts over instead of refusing it.
    let stale = std::env::temp_dir()
        .join("aide-fleet-scratch")
        .join(url.replace(|c: char| !c.is_ascii_alphanumeric(), "_"))
        .join("runs/s3idx/tasks/demo-binary/seed-0/agent");
    std::fs::create_dir_all(stale.join("nodes")).unwrap();
    std::fs::write(stale.join("run.json"), "{}").unwrap();
    s3::with_aws_env(&mut cmd);
    run(cmd).await.assert_success();
    assert!(
        server
            .object(&bucket, "fleet/runs/s3idx/index.json")
            .await
            .is_some()
    );
    // Every run's files go: a report that read any of them would see runs without a
    // status or a grade. One from the index does not notice.
    let client = server.client();
    for key in server.keys(&bucket, "fleet/runs/s3idx/tasks/").await {
        client
            .delete_object()
            .bucket(&bucket)
            .key(&key)
            .send()
            .await
            .unwrap();
    }
    let mut report = tokio::process::Command::new(env!("CARGO_BIN_EXE_aide-fleet"));
    report
        .args(["report", "s3idx", "--no-publish", "--format", "json"])
        .args(["--store", &url, "--s3-endpoint", &server.url()]);
    s3::with_aws_env(&mut report);
    let out = report.output().await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("index:"), "{stderr}");
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["totals"]["runs"], 2, "{summary}");
    assert_eq!(summary["states"]["succeeded"], 2, "{summary}");
    assert_eq!(summary["totals"]["graded"], 2, "{summary}");
}
