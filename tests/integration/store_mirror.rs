//! The mirror: a local run directory checkpointed to a store in the background, in an
//! order that keeps the store resumable, through store outages, and back again.

use crate::support::s3;

use std::path::Path;
use std::time::{Duration, SystemTime};

use aide_fleet::store::{Mirror, Store, StoreError, StoreOptions, download_prefix};
use s3::{MotoServer, Proxy};

/// A run directory as the agent leaves it after `nodes` nodes.
/// A directory store in `dir/store`.
async fn dir_store(dir: &Path) -> Store {
    Store::open(
        dir.join("store").to_str().unwrap(),
        &StoreOptions::default(),
    )
    .await
    .unwrap()
}

fn write_run(root: &Path, nodes: usize) {
    std::fs::create_dir_all(root.join("nodes")).unwrap();
    std::fs::create_dir_all(root.join("workspace/input")).unwrap();
    std::fs::create_dir_all(root.join("best_submission")).unwrap();
    std::fs::write(root.join("run.json"), "{}").unwrap();
    for step in 0..nodes {
        add_node(root, step);
    }
    std::fs::write(root.join("best_submission/submission.csv"), "id,target\n").unwrap();
    std::fs::write(root.join("progress.json"), format!("{{\"step\": {nodes}}}")).unwrap();
    // Never mirrored: the scripts' workspace and torn temporary files.
    std::fs::write(root.join("workspace/input/train.csv"), "x\n").unwrap();
    std::fs::write(root.join("nodes/99999.tmp"), "{\"half").unwrap();
}

fn add_node(root: &Path, step: usize) {
    std::fs::write(
        root.join(format!("nodes/{step:05}.submission.csv")),
        format!("id,target\n{step},1\n"),
    )
    .unwrap();
    std::fs::write(
        root.join(format!("nodes/{step:05}.json")),
        format!("{{\"step\": {step}}}"),
    )
    .unwrap();
}

fn expected_keys(nodes: usize) -> Vec<String> {
    let mut keys = vec![
        "best_submission/submission.csv".to_string(),
        "progress.json".to_string(),
        "run.json".to_string(),
    ];
    for step in 0..nodes {
        keys.push(format!("nodes/{step:05}.json"));
        keys.push(format!("nodes/{step:05}.submission.csv"));
    }
    keys.sort();
    keys
}

/// Each local file (of `expected_keys`) and the store's copy are identical.
async fn assert_mirrored(store: &Store, prefix: &str, root: &Path, nodes: usize) {
    let with_prefix = |k: &str| {
        if prefix.is_empty() {
            k.to_string()
        } else {
            format!("{prefix}/{k}")
        }
    };
    let expected: Vec<String> = expected_keys(nodes)
        .iter()
        .map(|k| with_prefix(k))
        .collect();
    assert_eq!(store.list(prefix).await.unwrap(), expected);
    for key in expected_keys(nodes) {
        let local = std::fs::read(root.join(&key)).unwrap();
        let stored = store.get(&with_prefix(&key)).await.unwrap();
        assert_eq!(stored.as_deref(), Some(local.as_slice()), "{key}");
    }
}

async fn s3_store(server: &MotoServer, endpoint: String) -> (Store, String) {
    s3::test_env();
    let bucket = server.bucket().await;
    let store = Store::open(
        &format!("s3://{bucket}"),
        &StoreOptions {
            s3_endpoint: Some(endpoint),
            // The SDK gives up fast, so that outages reach the mirror's own retries.
            max_attempts: 2,
            ..StoreOptions::default()
        },
    )
    .await
    .unwrap();
    (store, bucket)
}

async fn wait_for(store: &Store, key: &str, content: &[u8]) {
    for _ in 0..200 {
        if store.get(key).await.unwrap().as_deref() == Some(content) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{key} never reached the store with the expected content");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mirror_uploads_new_and_changed_files_and_skips_the_workspace() {
    let server = MotoServer::start().await;
    let (store, _) = s3_store(&server, server.url()).await;
    let local = tempfile::tempdir().unwrap();
    write_run(local.path(), 2);

    let mirror = Mirror::start(
        store.clone(),
        local.path().to_path_buf(),
        "runs/r/agent".into(),
    );
    mirror.sync();
    wait_for(&store, "runs/r/agent/progress.json", b"{\"step\": 2}").await;

    // A new node and a rewritten progress file; untouched files are not uploaded again.
    add_node(local.path(), 2);
    std::fs::write(local.path().join("progress.json"), "{\"step\": 3}").unwrap();
    mirror.sync();
    mirror.sync(); // requests coalesce
    wait_for(&store, "runs/r/agent/progress.json", b"{\"step\": 3}").await;
    let report = mirror.finish(Duration::from_secs(30)).await.unwrap();
    assert_mirrored(&store, "runs/r/agent", local.path(), 3).await;
    // 7 files, then 2 node files and progress.json again.
    assert_eq!(report.uploads, 10, "{report:?}");
    assert_eq!(report.failures, 0, "{report:?}");
}

#[tokio::test]
async fn a_pass_uploads_submissions_before_records_and_progress_last() {
    // The directory backend keeps each object's write time: the upload order.
    s3::test_env();
    let tmp = tempfile::tempdir().unwrap();
    let store = dir_store(tmp.path()).await;
    let local = tmp.path().join("run");
    write_run(&local, 12);
    let mirror = Mirror::start(store.clone(), local.clone(), String::new());
    mirror.finish(Duration::from_secs(30)).await.unwrap();
    assert_mirrored(&store, "", &local, 12).await;

    let root = store.local_root().unwrap();
    let written = |key: &str| -> SystemTime {
        std::fs::metadata(root.join(key))
            .unwrap()
            .modified()
            .unwrap()
    };
    let keys = expected_keys(12);
    let records: Vec<&String> = keys
        .iter()
        .filter(|k| k.starts_with("nodes/") && k.ends_with(".json"))
        .collect();
    let others: Vec<&String> = keys
        .iter()
        .filter(|k| !records.contains(k) && *k != "progress.json")
        .collect();
    let first_record = records.iter().map(|k| written(k)).min().unwrap();
    let last_other = others.iter().map(|k| written(k)).max().unwrap();
    assert!(
        last_other <= first_record,
        "a record went before another file"
    );
    // Records in step order: a failure in the middle never leaves a gap.
    for pair in records.windows(2) {
        assert!(written(pair[0]) <= written(pair[1]), "{pair:?}");
    }
    let last_record = records.iter().map(|k| written(k)).max().unwrap();
    assert!(last_record <= written("progress.json"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_lost_while_the_s3_endpoint_is_down() {
    let server = MotoServer::start().await;
    let proxy = Proxy::start(server.port).await;
    let (store, bucket) = s3_store(&server, proxy.url()).await;
    let local = tempfile::tempdir().unwrap();
    write_run(local.path(), 2);
    let mirror = Mirror::start(store.clone(), local.path().to_path_buf(), "p".into());
    mirror.sync();
    wait_for(&store, "p/progress.json", b"{\"step\": 2}").await;

    // The endpoint fails every connection for 4 s while the run goes on.
    proxy.cut();
    for step in 2..6 {
        add_node(local.path(), step);
        std::fs::write(
            local.path().join("progress.json"),
            format!("{{\"step\": {}}}", step + 1),
        )
        .unwrap();
        mirror.sync();
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    assert!(
        server.object(&bucket, "p/nodes/00005.json").await.is_none(),
        "uploaded through a cut proxy?"
    );
    proxy.restore();
    let report = mirror.finish(Duration::from_secs(120)).await.unwrap();
    assert_mirrored(&store, "p", local.path(), 6).await;
    assert_eq!(
        server.keys(&bucket, "p/").await.len(),
        expected_keys(6).len()
    );
    assert!(report.uploads >= expected_keys(6).len(), "{report:?}");
    // The SDK gave up during the outage; the mirror's own retries carried on.
    assert!(report.failures > 0, "{report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_lost_while_the_s3_server_hangs() {
    let server = MotoServer::start().await;
    let (store, bucket) = s3_store(&server, server.url()).await;
    let local = tempfile::tempdir().unwrap();
    write_run(local.path(), 1);
    let mirror = Mirror::start(store.clone(), local.path().to_path_buf(), String::new());
    mirror.sync();
    wait_for(&store, "progress.json", b"{\"step\": 1}").await;

    // SIGSTOP: connections are accepted, requests never answered until SIGCONT.
    server.pause();
    add_node(local.path(), 1);
    std::fs::write(local.path().join("progress.json"), "{\"step\": 2}").unwrap();
    mirror.sync();
    tokio::time::sleep(Duration::from_secs(3)).await;
    server.resume();
    mirror.finish(Duration::from_secs(120)).await.unwrap();
    assert_mirrored(&store, "", local.path(), 2).await;
    assert_eq!(
        server.object(&bucket, "nodes/00001.json").await.unwrap(),
        b"{\"step\": 1}"
    );
}

/// Makes a directory store fail every write (its root replaced by a file) until undone.
struct BrokenDir {
    root: std::path::PathBuf,
    aside: std::path::PathBuf,
}

impl BrokenDir {
    fn break_(root: &Path) -> BrokenDir {
        let aside = root.with_extension("aside");
        std::fs::rename(root, &aside).unwrap();
        std::fs::write(root, "not a directory").unwrap();
        BrokenDir {
            root: root.to_path_buf(),
            aside,
        }
    }

    fn repair(self) {
        std::fs::remove_file(&self.root).unwrap();
        std::fs::rename(&self.aside, &self.root).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_uploads_stay_pending_and_are_retried_with_backoff() {
    s3::test_env();
    let tmp = tempfile::tempdir().unwrap();
    let store = dir_store(tmp.path()).await;
    let local = tmp.path().join("run");
    write_run(&local, 3);
    let broken = BrokenDir::break_(store.local_root().unwrap());
    let mirror = Mirror::start(store.clone(), local.clone(), "agent".into());
    mirror.sync();
    // Long enough for a failed pass and a retry (1 s, then 2 s backoff).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    broken.repair();
    let report = mirror.finish(Duration::from_secs(30)).await.unwrap();
    assert_mirrored(&store, "agent", &local, 3).await;
    assert!(report.failures >= 2, "{report:?}");
    assert!(report.passes >= 3, "{report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finish_names_what_could_not_be_uploaded_by_the_deadline() {
    s3::test_env();
    let tmp = tempfile::tempdir().unwrap();
    let store = dir_store(tmp.path()).await;
    let local = tmp.path().join("run");
    write_run(&local, 1);
    let _broken = BrokenDir::break_(store.local_root().unwrap());
    let mirror = Mirror::start(store.clone(), local.clone(), String::new());
    let started = std::time::Instant::now();
    let err = mirror.finish(Duration::from_secs(2)).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10));
    let StoreError::MirrorIncomplete { pending, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(*pending, expected_keys(1).len());
    let message = err.to_string();
    assert!(message.contains("not uploaded"), "{message}");
    assert!(message.contains("run.json"), "{message}");
    // The cause, as the store reported it.
    assert!(message.contains("File exists"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn download_prefix_restores_a_mirrored_run_and_keeps_local_files() {
    let server = MotoServer::start().await;
    let (store, _) = s3_store(&server, server.url()).await;
    let local = tempfile::tempdir().unwrap();
    write_run(local.path(), 3);
    let mirror = Mirror::start(store.clone(), local.path().to_path_buf(), "a/b".into());
    mirror.finish(Duration::from_secs(30)).await.unwrap();
    // Another prefix that merely starts the same way is not part of it.
    store.put("a/bc/other", b"x".to_vec()).await.unwrap();

    let restored = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(restored.path().join("nodes")).unwrap();
    std::fs::write(restored.path().join("progress.json"), "local").unwrap();
    let n = download_prefix(&store, "a/b", restored.path())
        .await
        .unwrap();
    assert_eq!(n, expected_keys(3).len() - 1);
    for key in expected_keys(3) {
        let got = std::fs::read(restored.path().join(&key)).unwrap();
        if key == "progress.json" {
            assert_eq!(got, b"local");
        } else {
            assert_eq!(
                got,
                std::fs::read(local.path().join(&key)).unwrap(),
                "{key}"
            );
        }
    }
    assert!(!restored.path().join("workspace").exists());
    assert!(!restored.path().join("other").exists());
    // Nothing more to fetch the second time; an empty prefix is fine too.
    assert_eq!(
        download_prefix(&store, "a/b/", restored.path())
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        download_prefix(&store, "nothing/here", restored.path())
            .await
            .unwrap(),
        0
    );
}
