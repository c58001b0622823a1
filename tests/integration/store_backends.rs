//! One behaviour, two backends: every test here runs against a directory store and
//! against an S3 store on a real (moto) server on 127.0.0.1.

use crate::support::s3;

use std::path::Path;

use aide_fleet::store::{Store, StoreError, StoreOptions};
use futures::StreamExt;
use s3::MotoServer;

const MIB: u64 = 1024 * 1024;

/// What keeps a backend alive for the length of a test.
#[allow(dead_code)]
enum Fixture {
    Dir(tempfile::TempDir),
    S3(MotoServer, String),
}

/// Small multipart settings, so that a 15 MiB file goes in parts (S3's minimum is 5 MiB).
fn opts() -> StoreOptions {
    StoreOptions {
        multipart_threshold: 5 * MIB,
        part_size: 5 * MIB,
        ..StoreOptions::default()
    }
}

async fn dir_store() -> (Store, Fixture) {
    s3::test_env();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("store");
    let store = Store::open(root.to_str().unwrap(), &opts()).await.unwrap();
    (store, Fixture::Dir(dir))
}

async fn s3_store() -> (Store, Fixture) {
    s3::test_env();
    let server = MotoServer::start().await;
    let bucket = server.bucket().await;
    let url = format!("s3://{bucket}/base/prefix");
    let store = Store::open(
        &url,
        &StoreOptions {
            s3_endpoint: Some(server.url()),
            ..opts()
        },
    )
    .await
    .unwrap();
    (store, Fixture::S3(server, bucket))
}

/// Generates `dir::<name>` and `s3::<name>` for each shared test.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod dir {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let (store, _fixture) = super::dir_store().await;
                    super::$name(&store).await;
                }
            )*
        }
        mod s3_backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let (store, _fixture) = super::s3_store().await;
                    super::$name(&store).await;
                }
            )*
        }
    };
}

on_both_backends!(
    put_get_overwrite_and_delete,
    a_listing_and_a_read_report_the_same_version_and_a_write_changes_it,
    absent_keys_read_as_none,
    list_is_recursive_sorted_and_a_plain_string_prefix,
    list_pages_past_a_thousand_keys,
    list_dirs_names_one_level_whatever_lies_below,
    large_files_go_in_parts_and_come_back_intact,
    small_files_round_trip_through_put_file_and_get_file,
    keys_that_could_escape_the_root_are_rejected,
);

async fn a_listing_and_a_read_report_the_same_version_and_a_write_changes_it(store: &Store) {
    store.put("v/a.json", b"1".to_vec()).await.unwrap();
    store.put("v/b.json", b"1".to_vec()).await.unwrap();
    let listed = store.list_versioned("v/").await.unwrap();
    let keys: Vec<&str> = listed.iter().map(|l| l.key.as_str()).collect();
    assert_eq!(keys, ["v/a.json", "v/b.json"]);
    let read = store.get_versioned("v/a.json").await.unwrap().unwrap();
    assert_eq!(read.bytes, b"1");
    assert!(read.version.is_some());
    assert_eq!(listed[0].version, read.version);

    store.put("v/a.json", b"2".to_vec()).await.unwrap();
    let reread = store.get_versioned("v/a.json").await.unwrap().unwrap();
    assert_ne!(reread.version, read.version);
    assert_eq!(
        store.list_versioned("v/a").await.unwrap()[0].version,
        reread.version
    );
    assert_eq!(store.get_versioned("v/none").await.unwrap(), None);
}

async fn put_get_overwrite_and_delete(store: &Store) {
    store
        .put("a/b/c.json", b"{\"v\":1}".to_vec())
        .await
        .unwrap();
    assert_eq!(
        store.get("a/b/c.json").await.unwrap().as_deref(),
        Some(&b"{\"v\":1}"[..])
    );
    // Writes are idempotent and replace the whole object.
    store.put("a/b/c.json", b"2".to_vec()).await.unwrap();
    store.put("a/b/c.json", b"2".to_vec()).await.unwrap();
    assert_eq!(
        store.get("a/b/c.json").await.unwrap().as_deref(),
        Some(&b"2"[..])
    );
    store.put("empty", Vec::new()).await.unwrap();
    assert_eq!(store.get("empty").await.unwrap(), Some(Vec::new()));

    store.delete("a/b/c.json").await.unwrap();
    assert_eq!(store.get("a/b/c.json").await.unwrap(), None);
    // Deleting what is not there succeeds.
    store.delete("a/b/c.json").await.unwrap();
    store.delete("never/was").await.unwrap();
    assert_eq!(store.list("").await.unwrap(), ["empty"]);
}

async fn absent_keys_read_as_none(store: &Store) {
    assert_eq!(store.get("no/such/key.json").await.unwrap(), None);
    let dest = tempfile::tempdir().unwrap();
    let path = dest.path().join("x/y.bin");
    assert!(!store.get_file("no/such/key.json", &path).await.unwrap());
    assert!(!path.exists());
    assert!(store.list("no/such/").await.unwrap().is_empty());
}

async fn list_is_recursive_sorted_and_a_plain_string_prefix(store: &Store) {
    for key in [
        "runs/r2/x",
        "runs/r1/tasks/t/seed-0/status.json",
        "runs/r1/run.yaml",
        "runs/r10/run.yaml",
        "reports/latest.json",
    ] {
        store.put(key, key.as_bytes().to_vec()).await.unwrap();
    }
    assert_eq!(
        store.list("runs/r1/").await.unwrap(),
        ["runs/r1/run.yaml", "runs/r1/tasks/t/seed-0/status.json"]
    );
    // As in S3, a prefix is a string prefix, not a directory.
    assert_eq!(
        store.list("runs/r1").await.unwrap(),
        [
            "runs/r1/run.yaml",
            "runs/r1/tasks/t/seed-0/status.json",
            "runs/r10/run.yaml"
        ]
    );
    assert_eq!(store.list("").await.unwrap().len(), 5);
    assert_eq!(store.list("").await.unwrap()[0], "reports/latest.json");
    assert!(store.list("runs/r3").await.unwrap().is_empty());
}

async fn list_dirs_names_one_level_whatever_lies_below(store: &Store) {
    for key in [
        "runs/r1/run.yaml",
        "runs/r1/tasks/b/seed-0/status.json",
        "runs/r1/tasks/a/seed-1/agent/nodes/00000.json",
        "runs/r1/tasks/a/seed-0/grade.json",
        "runs/r10/tasks/z/seed-0/status.json",
    ] {
        store.put(key, Vec::new()).await.unwrap();
    }
    assert_eq!(store.list_dirs("runs/").await.unwrap(), ["r1", "r10"]);
    assert_eq!(store.list_dirs("runs/r1/").await.unwrap(), ["tasks"]);
    assert_eq!(store.list_dirs("runs/r1/tasks/").await.unwrap(), ["a", "b"]);
    assert_eq!(
        store.list_dirs("runs/r1/tasks/a/").await.unwrap(),
        ["seed-0", "seed-1"]
    );
    // Files are not directories; a prefix with nothing below has none.
    assert!(
        store
            .list_dirs("runs/r1/tasks/a/seed-0/")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.list_dirs("runs/r3/").await.unwrap().is_empty());
}

async fn list_pages_past_a_thousand_keys(store: &Store) {
    // S3 returns at most 1000 keys a page.
    let keys: Vec<String> = (0..1100).map(|i| format!("many/k{i:05}")).collect();
    futures::stream::iter(keys.clone())
        .map(|k| async move { store.put(&k, Vec::new()).await.unwrap() })
        .buffer_unordered(16)
        .collect::<Vec<()>>()
        .await;
    store.put("other/k", Vec::new()).await.unwrap();
    assert_eq!(store.list("many/").await.unwrap(), keys);
    assert_eq!(store.list("").await.unwrap().len(), 1101);
}

/// A file whose bytes depend on their offset, so a misplaced part shows.
fn patterned_file(path: &Path, len: u64) -> Vec<u8> {
    let bytes: Vec<u8> = (0..len)
        .map(|i| (i % 251) as u8 ^ (i / 7919) as u8)
        .collect();
    std::fs::write(path, &bytes).unwrap();
    bytes
}

async fn large_files_go_in_parts_and_come_back_intact(store: &Store) {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("big.bin");
    // Three full 5 MiB parts and a short last one.
    let bytes = patterned_file(&src, 15 * MIB + 12345);
    store.put_file("artifacts/big.bin", &src).await.unwrap();
    let dest = tmp.path().join("down/big.bin");
    assert!(store.get_file("artifacts/big.bin", &dest).await.unwrap());
    assert!(std::fs::read(&dest).unwrap() == bytes, "content differs");
    assert_eq!(
        store.list("artifacts/").await.unwrap(),
        ["artifacts/big.bin"]
    );
    // No temporary files are left beside the download.
    assert_eq!(
        std::fs::read_dir(tmp.path().join("down")).unwrap().count(),
        1
    );
}

async fn small_files_round_trip_through_put_file_and_get_file(store: &Store) {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("s.csv");
    std::fs::write(&src, "id,target\n1,0\n").unwrap();
    store
        .put_file("nodes/00000.submission.csv", &src)
        .await
        .unwrap();
    assert_eq!(
        store
            .get("nodes/00000.submission.csv")
            .await
            .unwrap()
            .as_deref(),
        Some(&b"id,target\n1,0\n"[..])
    );
    let dest = tmp.path().join("again.csv");
    std::fs::write(&dest, "old").unwrap();
    assert!(
        store
            .get_file("nodes/00000.submission.csv", &dest)
            .await
            .unwrap()
    );
    assert_eq!(std::fs::read_to_string(&dest).unwrap(), "id,target\n1,0\n");
    // A missing local file is an error that names it.
    let err = store
        .put_file("x", &tmp.path().join("missing.csv"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("missing.csv"), "{err}");
}

async fn keys_that_could_escape_the_root_are_rejected(store: &Store) {
    for bad in [
        "",
        "/etc/passwd",
        "../escape",
        "a/../../b",
        "a//b",
        "a/",
        "./a",
    ] {
        let invalid = |r: Result<(), StoreError>| matches!(r, Err(StoreError::InvalidKey { .. }));
        assert!(invalid(store.put(bad, b"x".to_vec()).await), "put {bad:?}");
        assert!(
            matches!(store.get(bad).await, Err(StoreError::InvalidKey { .. })),
            "get {bad:?}"
        );
        assert!(invalid(store.delete(bad).await), "delete {bad:?}");
    }
    assert!(matches!(
        store.list("../").await,
        Err(StoreError::InvalidKey { .. })
    ));
    assert!(store.list("").await.unwrap().is_empty());
    if let Some(root) = store.local_root() {
        // Nothing was written beside the root either.
        let parent = root.parent().unwrap();
        let names: Vec<_> = std::fs::read_dir(parent).unwrap().collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }
}

#[tokio::test]
async fn urls_open_the_right_backend_and_read_back_canonically() {
    s3::test_env();
    let tmp = tempfile::tempdir().unwrap();
    let abs = tmp.path().join("a");
    let store = Store::open(&format!("file://{}", abs.display()), &opts())
        .await
        .unwrap();
    let canonical = std::fs::canonicalize(&abs).unwrap();
    assert_eq!(store.local_root(), Some(canonical.as_path()));
    assert_eq!(store.url(), canonical.display().to_string());
    // A canonical URL opens the same store again.
    let again = Store::open(&store.url(), &opts()).await.unwrap();
    assert_eq!(again.local_root(), store.local_root());

    for bad in [
        "",
        "file://relative/x",
        "gs://bucket/x",
        "s3://",
        "s3://b/a//c",
    ] {
        assert!(
            matches!(
                Store::open(bad, &opts()).await,
                Err(StoreError::InvalidUrl { .. })
            ),
            "{bad:?} accepted"
        );
    }
}

#[tokio::test]
async fn s3_url_is_canonical_and_a_prefix_isolates_stores() {
    s3::test_env();
    let server = MotoServer::start().await;
    let bucket = server.bucket().await;
    let open = |url: String| {
        let endpoint = server.url();
        async move {
            Store::open(
                &url,
                &StoreOptions {
                    s3_endpoint: Some(endpoint),
                    ..opts()
                },
            )
            .await
            .unwrap()
        }
    };
    let a = open(format!("s3://{bucket}/p/")).await;
    assert_eq!(a.url(), format!("s3://{bucket}/p"));
    assert_eq!(a.local_root(), None);
    let a2 = open(format!("s3://{bucket}/p2")).await;
    let whole = open(format!("s3://{bucket}")).await;
    assert_eq!(whole.url(), format!("s3://{bucket}"));
    a.put("k", b"1".to_vec()).await.unwrap();
    a2.put("k", b"2".to_vec()).await.unwrap();
    // "p" does not see "p2/k", although "p2" starts with "p".
    assert_eq!(a.list("").await.unwrap(), ["k"]);
    assert_eq!(whole.list("").await.unwrap(), ["p/k", "p2/k"]);
    assert_eq!(server.keys(&bucket, "").await, ["p/k", "p2/k"]);
    // Keys that this store cannot address (written by other tools) are left out.
    server
        .client()
        .put_object()
        .bucket(&bucket)
        .key("p/odd//key")
        .body(Vec::new().into())
        .send()
        .await
        .unwrap();
    assert_eq!(a.list("").await.unwrap(), ["k"]);
}

#[tokio::test]
async fn s3_multipart_upload_leaves_no_incomplete_upload_behind() {
    s3::test_env();
    let server = MotoServer::start().await;
    let bucket = server.bucket().await;
    let store = Store::open(
        &format!("s3://{bucket}"),
        &StoreOptions {
            s3_endpoint: Some(server.url()),
            ..opts()
        },
    )
    .await
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("big.bin");
    let bytes = patterned_file(&src, 15 * MIB);
    store.put_file("big.bin", &src).await.unwrap();
    let head = server
        .client()
        .head_object()
        .bucket(&bucket)
        .key("big.bin")
        .send()
        .await
        .unwrap();
    // A multipart object's ETag ends in "-<parts>".
    assert!(
        head.e_tag().unwrap().trim_matches('"').ends_with("-3"),
        "{:?}",
        head.e_tag()
    );
    assert!(server.object(&bucket, "big.bin").await.unwrap() == bytes);
    let uploads = server
        .client()
        .list_multipart_uploads()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert!(uploads.uploads().is_empty(), "{:?}", uploads.uploads());
}

#[tokio::test]
async fn s3_checksums_when_required_work_too() {
    s3::test_env();
    let server = MotoServer::start().await;
    let bucket = server.bucket().await;
    let store = Store::open(
        &format!("s3://{bucket}/x"),
        &StoreOptions {
            s3_endpoint: Some(server.url()),
            checksum: aide_fleet::store::ChecksumMode::WhenRequired,
            ..opts()
        },
    )
    .await
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("big.bin");
    let bytes = patterned_file(&src, 11 * MIB);
    store.put_file("big.bin", &src).await.unwrap();
    store.put("small", b"s".to_vec()).await.unwrap();
    assert!(store.get("big.bin").await.unwrap().unwrap() == bytes);
    assert_eq!(
        store.get("small").await.unwrap().as_deref(),
        Some(&b"s"[..])
    );
}

#[tokio::test]
async fn s3_errors_name_the_bucket_and_the_problem() {
    s3::test_env();
    let server = MotoServer::start().await;
    let with_endpoint = |endpoint: String| StoreOptions {
        s3_endpoint: Some(endpoint),
        ..opts()
    };
    let err = Store::open("s3://no-such-bucket/p", &with_endpoint(server.url()))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::NoSuchBucket { bucket } if bucket == "no-such-bucket"),
        "{err:?}"
    );
    assert!(err.to_string().contains("s3://no-such-bucket"), "{err}");

    // Nothing listens on this port: refused connections, retried, then a clear error.
    let dead = format!("http://127.0.0.1:{}", {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    });
    let err = Store::open("s3://bucket/p", &with_endpoint(dead.clone()))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Unreachable { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("cannot reach"), "{message}");
    assert!(message.contains(&dead), "{message}");
    assert!(message.contains("s3://bucket"), "{message}");
}
