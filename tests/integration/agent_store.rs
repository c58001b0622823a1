//! `aide-fleet agent --store`: every node checkpointed to the store as it completes, a
//! resume on an empty disk from the store alone, and store outages that lose nothing.
//! The store is a real S3-compatible server (moto) on 127.0.0.1.

use crate::support;
use crate::support::s3;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use s3::MotoServer;
use serde_json::Value;
use support::*;

/// Every third script fails (no submission); the others write one. Each sleeps a little,
/// so that a store outage overlaps several nodes.
fn scripts(steps: usize) -> Fallback {
    Arc::new(move |body: &Value| {
        let k = step_of(body, steps);
        let code = if k % 3 == 1 {
            format!("import time\ntime.sleep(0.2)\n{}", failing_script("flaky"))
        } else {
            format!(
                "import time\ntime.sleep(0.2)\n{}",
                good_script(0.1 * k as f64)
            )
        };
        Reply::code(&format!("step {k}"), &code)
    })
}

/// The files of a run directory that belong in the store: all but the workspace and
/// temporary files.
fn local_files(out: &Path) -> Vec<String> {
    fn walk(dir: &Path, rel: &str, files: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().into_string().unwrap();
            let rel = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            if rel == "workspace" || name.ends_with(".tmp") {
                continue;
            }
            if entry.file_type().unwrap().is_dir() {
                walk(&entry.path(), &rel, files);
            } else {
                files.push(rel);
            }
        }
    }
    let mut files = Vec::new();
    walk(out, "", &mut files);
    files.sort();
    files
}

/// The bucket under `prefix` holds exactly the run directory's files, byte for byte.
async fn assert_in_store(server: &MotoServer, bucket: &str, prefix: &str, out: &Path) {
    let files = local_files(out);
    let keys: Vec<String> = server
        .keys(bucket, &format!("{prefix}/"))
        .await
        .into_iter()
        .map(|k| k[prefix.len() + 1..].to_string())
        .collect();
    assert_eq!(keys, files);
    for file in &files {
        let stored = server.object(bucket, &format!("{prefix}/{file}")).await;
        assert_eq!(
            stored.as_deref(),
            Some(std::fs::read(out.join(file)).unwrap().as_slice()),
            "{file}"
        );
    }
    // Every end artifact, and every node's record with its own submission.
    for end in [
        "run.json",
        "journal.json",
        "best_solution.py",
        "best_submission/submission.csv",
        "tree.html",
        "usage.json",
        "progress.json",
    ] {
        assert!(files.iter().any(|f| f == end), "{end} missing: {files:?}");
    }
    for node in nodes(out) {
        let step = node["step"].as_u64().unwrap();
        assert!(files.contains(&format!("nodes/{step:05}.json")));
        if node["has_submission"] == true {
            assert!(files.contains(&format!("nodes/{step:05}.submission.csv")));
        }
    }
}

fn store_args<'a>(store: &'a str, endpoint: &'a str) -> Vec<&'a str> {
    vec!["--store", store, "--s3-endpoint", endpoint]
}

fn with_env(mut cmd: tokio::process::Command) -> tokio::process::Command {
    s3::with_aws_env(&mut cmd);
    cmd
}

async fn wait_for_file(path: &Path) {
    for _ in 0..600 {
        if path.exists() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{} never appeared", path.display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_node_lands_in_s3_and_a_wiped_disk_resumes_from_it() {
    let llm = ScriptedLlm::start(scripts(6)).await;
    let task = Task::tiny();
    let server = MotoServer::start().await;
    let bucket = server.bucket().await;
    let prefix = "runs/r1/tasks/tiny/seed-0/agent";
    let store = format!("s3://{bucket}/{prefix}");
    let endpoint = server.url();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");

    let mut args = vec!["--steps", "4", "--num-drafts", "2", "--seed", "5"];
    args.extend(store_args(&store, &endpoint));
    let r = run(with_env(agent(&llm.url(), task.path(), &out, &args))).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!("store: {store} is up to date")),
        "{}",
        r.stderr
    );
    let before = nodes(&out);
    assert_eq!(before.len(), 4);
    assert_in_store(&server, &bucket, prefix, &out).await;

    // A new machine: nothing on disk, the run only in the store.
    std::fs::remove_dir_all(&out).unwrap();
    let mut args = vec!["--resume", "--steps", "6"];
    args.extend(store_args(&store, &endpoint));
    let r = run(with_env(agent(&llm.url(), task.path(), &out, &args))).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("downloaded"), "{}", r.stderr);
    assert!(r.stderr.contains("resuming"), "{}", r.stderr);
    let after = nodes(&out);
    assert_eq!(after.len(), 6);
    // Completed nodes were not run again: the same ids and creation times.
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(b["id"], a["id"]);
        assert_eq!(b["ctime"], a["ctime"]);
    }
    assert_in_store(&server, &bucket, prefix, &out).await;
    let progress: Value = serde_json::from_slice(
        &server
            .object(&bucket, &format!("{prefix}/progress.json"))
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(progress["step"], 6);
    assert_eq!(progress["stop_reason"], "steps");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_hangs_mid_run_loses_nothing() {
    let llm = ScriptedLlm::start(scripts(12)).await;
    let task = Task::tiny();
    let server = MotoServer::start().await;
    let bucket = server.bucket().await;
    let store = format!("s3://{bucket}/p");
    let endpoint = server.url();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");

    let mut args = vec!["--steps", "12", "--num-drafts", "3"];
    args.extend(store_args(&store, &endpoint));
    let child = with_env(agent(&llm.url(), task.path(), &out, &args))
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_file(&out.join("nodes/00001.json")).await;
    // Frozen for 1.5 s: uploads hang while the search goes on writing nodes.
    server.pause();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let during = nodes(&out).len();
    server.resume();
    let done = child.wait_with_output().await.unwrap();
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert_eq!(done.status.code(), Some(0), "{stderr}");
    assert!(during < 12, "the outage did not come mid-run");
    assert_eq!(nodes(&out).len(), 12);
    assert_in_store(&server, &bucket, "p", &out).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incomplete_final_upload_exits_1_after_the_outcome() {
    let llm = ScriptedLlm::start(scripts(3)).await;
    let task = Task::tiny();
    let server = MotoServer::start().await;
    let bucket = server.bucket().await;
    let store = format!("s3://{bucket}/p");
    let endpoint = server.url();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");

    let mut args = vec!["--steps", "3", "--store-wait", "2s"];
    args.extend(store_args(&store, &endpoint));
    let child = with_env(agent(&llm.url(), task.path(), &out, &args))
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_file(&out.join("nodes/00000.json")).await;
    server.pause(); // and never resumed while the agent runs
    let done = child.wait_with_output().await.unwrap();
    server.resume();
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert_eq!(done.status.code(), Some(1), "{stderr}");
    let outcome = stderr
        .find("search stopped (steps) after 3 nodes")
        .expect(&stderr);
    let failure = stderr
        .find("final upload to the store did not complete")
        .expect(&stderr);
    assert!(outcome < failure, "{stderr}");
    assert!(stderr.contains("not uploaded"), "{stderr}");
    assert!(stderr.contains("--resume"), "{stderr}");
    // The local run is complete all the same.
    assert_eq!(nodes(&out).len(), 3);
    assert!(out.join("journal.json").is_file());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_bucket_fails_before_the_search_starts() {
    let llm = ScriptedLlm::start(scripts(2)).await;
    let task = Task::tiny();
    let server = MotoServer::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let endpoint = server.url();
    let mut args = vec!["--steps", "2"];
    args.extend(store_args("s3://no-such-bucket/p", &endpoint));
    let r = run(with_env(agent(&llm.url(), task.path(), &out, &args))).await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("s3://no-such-bucket: no such bucket"),
        "{}",
        r.stderr
    );
    assert!(llm.bodies().is_empty(), "the search started");
}

/// The directory backend, and --resume-if-exists: the command a restarted pod reruns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_if_exists_continues_from_a_directory_store() {
    let llm = ScriptedLlm::start(scripts(3)).await;
    let task = Task::tiny();
    let tmp = tempfile::tempdir().unwrap();
    let store_dir = tmp.path().join("store");
    let store = store_dir.to_str().unwrap();
    let prefix = "runs/x/agent";
    let first = tmp.path().join("first");
    let common = ["--store", store, "--store-prefix", prefix];

    let args: Vec<&str> = [&["--resume-if-exists", "--steps", "2"][..], &common].concat();
    let r = run(agent(&llm.url(), task.path(), &first, &args)).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stderr.contains("resuming"), "{}", r.stderr);
    let before = nodes(&first);
    let stored: PathBuf = store_dir.join(prefix);
    assert_eq!(local_files(&stored), local_files(&first));

    // A new search may not overwrite the one in the store.
    let other = tmp.path().join("other");
    let args: Vec<&str> = [&["--steps", "2"][..], &common].concat();
    let r = run(agent(&llm.url(), task.path(), &other, &args)).await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("already holds a search"), "{}", r.stderr);

    // The same command on a fresh disk continues the stored search.
    let second = tmp.path().join("second");
    let args: Vec<&str> = [&["--resume-if-exists", "--steps", "3"][..], &common].concat();
    let r = run(agent(&llm.url(), task.path(), &second, &args)).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("resuming"), "{}", r.stderr);
    let after = nodes(&second);
    assert_eq!(after.len(), 3);
    assert_eq!(before[0]["id"], after[0]["id"]);
    assert_eq!(before[1]["id"], after[1]["id"]);
    assert_eq!(local_files(&stored), local_files(&second));
}
