//! Mirrors a local directory to a store prefix in the background, so that a process that
//! writes only local files (the agent) is checkpointed to the store as it goes, and a
//! restarted one with an empty disk can resume from the store (`download_prefix`).
//!
//! A pass uploads every file that is new or changed since its last successful upload
//! (size, mtime and inode), skipping `*.tmp` files and the `workspace/` subtree. Order
//! within a pass, so that the store always holds a consistent, resumable checkpoint:
//! every other file first (node submissions, run.json, ...), then the node records
//! `nodes/NNNNN.json` one by one in step order (a record never names a missing file, and
//! a failure never leaves a gap), then `progress.json`. A group starts only when the one
//! before it uploaded completely. Failed files stay pending and the pass is retried with
//! capped exponential backoff: nothing is lost while the store is down.

use std::collections::HashMap;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::backend::Store;
use super::error::StoreError;
use super::key::{join, validate_prefix};

/// Not mirrored: the scripts' scratch space (inputs, intermediate files).
const SKIPPED_DIR: &str = "workspace";
/// Uploaded last: it summarises what the rest of the store holds.
const LAST_FILE: &str = "progress.json";
const RECORDS_DIR: &str = "nodes";
/// Files uploaded or downloaded at once.
const CONCURRENCY: usize = 8;
const FIRST_RETRY: Duration = Duration::from_secs(1);
const MAX_RETRY: Duration = Duration::from_secs(30);

/// What a mirror did over its life.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MirrorReport {
    /// Successful uploads (a file that changed three times counts three times).
    pub uploads: usize,
    pub bytes: u64,
    /// Uploads that failed (and were retried).
    pub failures: usize,
    /// Passes over the directory.
    pub passes: usize,
}

/// A background task mirroring a directory to a store prefix. Dropping it without
/// [`Mirror::finish`] stops the task after its current pass.
pub struct Mirror {
    wake: Arc<Notify>,
    finish: oneshot::Sender<FinishRequest>,
    task: JoinHandle<()>,
}

struct FinishRequest {
    deadline: Instant,
    reply: oneshot::Sender<Result<MirrorReport, StoreError>>,
}

impl Mirror {
    /// Starts mirroring `local_root` to `prefix` ("" = the store's root). The task is
    /// idle until the first [`Mirror::sync`]. Must be called within a tokio runtime.
    pub fn start(store: Store, local_root: PathBuf, prefix: String) -> Mirror {
        let wake = Arc::new(Notify::new());
        let (finish, finish_rx) = oneshot::channel();
        let worker = Worker {
            store,
            prefix: prefix.trim_end_matches('/').to_string(),
            root: local_root,
            uploaded: HashMap::new(),
            report: MirrorReport::default(),
            last_error: None,
        };
        let task = tokio::spawn(worker.run(Arc::clone(&wake), finish_rx));
        Mirror { wake, finish, task }
    }

    /// Asks for a pass. Never blocks; requests made while a pass runs become one more pass.
    pub fn sync(&self) {
        self.wake.notify_one();
    }

    /// A final pass, repeated with backoff until everything is uploaded or `timeout`
    /// has passed. An error names the files still missing from the store.
    pub async fn finish(self, timeout: Duration) -> Result<MirrorReport, StoreError> {
        let (reply, answer) = oneshot::channel();
        let request = FinishRequest {
            deadline: Instant::now() + timeout,
            reply,
        };
        if self.finish.send(request).is_err() {
            return Err(task_gone());
        }
        let result = answer.await.unwrap_or_else(|_| Err(task_gone()));
        let _ = self.task.await;
        result
    }
}

fn task_gone() -> StoreError {
    StoreError::Io {
        path: PathBuf::new(),
        cause: io::Error::other("the mirror task ended unexpectedly"),
    }
}

/// What identifies a version of a file without reading it. The inode changes on every
/// atomic replace (write to a temporary file, then rename).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Signature {
    len: u64,
    mtime_ns: i128,
    inode: u64,
}

impl Signature {
    fn of(meta: &std::fs::Metadata) -> Signature {
        Signature {
            len: meta.len(),
            mtime_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
            inode: meta.ino(),
        }
    }
}

struct LocalFile {
    /// Relative to the mirrored root, `/`-separated.
    rel: String,
    path: PathBuf,
    signature: Signature,
}

/// Upload groups, in the order a pass runs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Group {
    Other,
    Record,
    Last,
}

fn group_of(rel: &str) -> Group {
    if rel == LAST_FILE {
        Group::Last
    } else if record_step(rel).is_some() {
        Group::Record
    } else {
        Group::Other
    }
}

/// The step of a node record `nodes/NNNNN.json`.
fn record_step(rel: &str) -> Option<u64> {
    let step = rel
        .strip_prefix(RECORDS_DIR)?
        .strip_prefix('/')?
        .strip_suffix(".json")?;
    if step.is_empty() || !step.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    step.parse().ok()
}

/// The order of uploads within a pass: by group, records by step (numerically: past
/// 99999 the names no longer sort), the rest by name.
fn upload_order(rel: &str) -> (Group, Option<u64>, &str) {
    (group_of(rel), record_step(rel), rel)
}

/// Files that are never mirrored (nor downloaded back).
fn is_skipped(rel: &str) -> bool {
    rel.ends_with(".tmp") || rel == SKIPPED_DIR || rel.starts_with("workspace/")
}

struct Worker {
    store: Store,
    root: PathBuf,
    prefix: String,
    /// The signature of each file's last successful upload.
    uploaded: HashMap<String, Signature>,
    report: MirrorReport,
    last_error: Option<String>,
}

enum Wake {
    Pass,
    Finish(Option<FinishRequest>),
}

fn next_retry(previous: Option<Duration>) -> Duration {
    previous.map_or(FIRST_RETRY, |d| (d * 2).min(MAX_RETRY))
}

impl Worker {
    async fn run(mut self, wake: Arc<Notify>, mut finish: oneshot::Receiver<FinishRequest>) {
        let mut retry: Option<Duration> = None;
        loop {
            // After a failure, requests wait for the backoff: a store that is down gets
            // one attempt per backoff step, not one per finished node.
            let retry_sleep = async {
                match retry {
                    Some(d) => tokio::time::sleep(d).await,
                    None => std::future::pending().await,
                }
            };
            let woke = tokio::select! {
                biased;
                request = &mut finish => Wake::Finish(request.ok()),
                () = wake.notified(), if retry.is_none() => Wake::Pass,
                () = retry_sleep => Wake::Pass,
            };
            if let Wake::Finish(request) = woke {
                return self.finish(request).await;
            }
            // A finish request cancels the pass in flight and starts the final ones.
            let passed = tokio::select! {
                biased;
                request = &mut finish => Err(request.ok()),
                result = self.pass() => Ok(result),
            };
            match passed {
                Err(request) => return self.finish(request).await,
                Ok(Ok(())) => retry = None,
                Ok(Err(e)) => {
                    let delay = next_retry(retry);
                    tracing::warn!(
                        "store: mirroring {} to {} is behind ({e}); retrying in {}s",
                        self.root.display(),
                        self.store.url(),
                        delay.as_secs()
                    );
                    retry = Some(delay);
                }
            }
        }
    }

    async fn finish(mut self, request: Option<FinishRequest>) {
        // None: the Mirror was dropped without finish; nobody is waiting.
        let Some(FinishRequest { deadline, reply }) = request else {
            return;
        };
        let started = Instant::now();
        let mut retry = None;
        loop {
            match tokio::time::timeout_at(deadline, self.pass()).await {
                Ok(Ok(())) => {
                    let _ = reply.send(Ok(self.report.clone()));
                    return;
                }
                Ok(Err(e)) => self.last_error = Some(e.to_string()),
                Err(_) => {}
            }
            let delay = next_retry(retry);
            retry = Some(delay);
            if Instant::now() >= deadline {
                break;
            }
            tokio::time::sleep_until((Instant::now() + delay).min(deadline)).await;
            if Instant::now() >= deadline {
                break;
            }
        }
        let result = self.incomplete(started.elapsed()).await;
        let _ = reply.send(result);
    }

    /// The error for files still pending at the deadline (Ok when, after all, none is).
    async fn incomplete(&self, waited: Duration) -> Result<MirrorReport, StoreError> {
        let mut pending: Vec<String> = match scan(self.root.clone()).await {
            Ok(files) => files
                .into_iter()
                .filter(|f| self.uploaded.get(&f.rel) != Some(&f.signature))
                .map(|f| f.rel)
                .collect(),
            Err(e) => vec![format!("(cannot list {}: {e})", self.root.display())],
        };
        pending.sort_by(|a, b| upload_order(a).cmp(&upload_order(b)));
        if pending.is_empty() {
            return Ok(self.report.clone());
        }
        Err(StoreError::MirrorIncomplete {
            local: self.root.clone(),
            store: key_url(&self.store, &self.prefix),
            waited_s: waited.as_secs_f64(),
            pending: pending.len(),
            examples: pending
                .iter()
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
            last_error: self
                .last_error
                .clone()
                .unwrap_or_else(|| "none: the store had not answered by the deadline".to_string()),
        })
    }

    /// One pass; Err carries the last failure when something is still pending.
    async fn pass(&mut self) -> Result<(), StoreError> {
        self.report.passes += 1;
        let mut changed: Vec<LocalFile> = scan(self.root.clone())
            .await?
            .into_iter()
            .filter(|f| self.uploaded.get(&f.rel) != Some(&f.signature))
            .collect();
        changed.sort_by(|a, b| upload_order(&a.rel).cmp(&upload_order(&b.rel)));
        let mut files = changed.into_iter().peekable();
        for group in [Group::Other, Group::Record, Group::Last] {
            let mut batch = Vec::new();
            while let Some(f) = files.next_if(|f| group_of(&f.rel) == group) {
                batch.push(f);
            }
            // Records go one at a time, in step order: a failure leaves no gap.
            let in_flight = if group == Group::Record {
                1
            } else {
                CONCURRENCY
            };
            let (store, prefix) = (&self.store, self.prefix.as_str());
            let mut uploads = futures::stream::iter(batch)
                .map(|f| async move {
                    let result = upload(store, &join(prefix, &f.rel), &f.path).await;
                    (f.rel, result)
                })
                .buffered(in_flight);
            let mut failed = None;
            while let Some((rel, result)) = uploads.next().await {
                match result {
                    Ok(Some(signature)) => {
                        self.report.uploads += 1;
                        self.report.bytes += signature.len;
                        self.uploaded.insert(rel, signature);
                    }
                    Ok(None) => {
                        self.uploaded.remove(&rel);
                    }
                    Err(e) => {
                        self.report.failures += 1;
                        failed = Some(e);
                        if group == Group::Record {
                            break;
                        }
                    }
                }
            }
            if let Some(e) = failed {
                self.last_error = Some(e.to_string());
                return Err(e);
            }
        }
        Ok(())
    }
}

/// Uploads one file; Ok(None) when it vanished (replaced or removed) before it could be
/// read: the next pass sees whatever took its place.
async fn upload(store: &Store, key: &str, path: &Path) -> Result<Option<Signature>, StoreError> {
    // The signature is taken before reading: if the file changes during the upload, the
    // next pass sees a newer signature and uploads it again.
    let meta = match tokio::fs::symlink_metadata(path).await {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(cause) => {
            return Err(StoreError::Io {
                path: path.to_path_buf(),
                cause,
            });
        }
    };
    match store.put_file(key, path).await {
        Ok(()) => Ok(Some(Signature::of(&meta))),
        Err(_) if !path.exists() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Every mirrored file under `root` with its signature.
async fn scan(root: PathBuf) -> Result<Vec<LocalFile>, StoreError> {
    tokio::task::spawn_blocking(move || {
        let mut files = Vec::new();
        walk(&root, "", &mut files)?;
        Ok(files)
    })
    .await
    .unwrap_or_else(|e| {
        Err(StoreError::Io {
            path: PathBuf::new(),
            cause: io::Error::other(format!("scan task failed: {e}")),
        })
    })
}

fn walk(dir: &Path, rel_dir: &str, files: &mut Vec<LocalFile>) -> Result<(), StoreError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        // The agent may not have created it yet.
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(cause) => {
            return Err(StoreError::Io {
                path: dir.to_path_buf(),
                cause,
            });
        }
    };
    for entry in entries {
        let entry = entry.map_err(StoreError::io(dir))?;
        let path = entry.path();
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            tracing::warn!(
                "store: not mirroring {}: the name is not UTF-8",
                path.display()
            );
            continue;
        };
        let rel = join(rel_dir, &name);
        if is_skipped(&rel) {
            continue;
        }
        // Not following symlinks keeps the walk inside the root.
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(cause) => return Err(StoreError::Io { path, cause }),
        };
        if meta.is_dir() {
            walk(&path, &rel, files)?;
        } else if meta.is_file() {
            files.push(LocalFile {
                rel,
                path,
                signature: Signature::of(&meta),
            });
        }
    }
    Ok(())
}

/// `store`'s URL followed by `prefix`, for messages.
fn key_url(store: &Store, prefix: &str) -> String {
    if prefix.is_empty() {
        store.url()
    } else {
        format!("{}/{prefix}", store.url())
    }
}

/// Downloads every object under `prefix` into `local_root` (what [`Mirror`] uploaded
/// there), for resuming on a machine whose disk lost the run. Files already present
/// locally are kept: the local copy is never older than its mirror. Returns how many
/// files were downloaded.
pub async fn download_prefix(
    store: &Store,
    prefix: &str,
    local_root: &Path,
) -> Result<usize, StoreError> {
    validate_prefix(prefix)?;
    let dir = prefix.trim_end_matches('/');
    let list_prefix = if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    };
    let wanted: Vec<(String, PathBuf)> = store
        .list(&list_prefix)
        .await?
        .into_iter()
        .filter_map(|key| {
            let rel = key.strip_prefix(&list_prefix)?;
            if is_skipped(rel) {
                return None;
            }
            let path = rel
                .split('/')
                .fold(local_root.to_path_buf(), |p, s| p.join(s));
            let present = std::fs::symlink_metadata(&path).is_ok();
            (!present).then_some((key, path))
        })
        .collect();
    futures::stream::iter(wanted)
        .map(|(key, path)| async move { store.get_file(&key, &path).await })
        .buffer_unordered(CONCURRENCY)
        .try_fold(0, |n, got| async move { Ok(n + usize::from(got)) })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_told_from_other_files() {
        assert_eq!(group_of("nodes/00003.json"), Group::Record);
        assert_eq!(group_of("nodes/00003.submission.csv"), Group::Other);
        assert_eq!(group_of("nodes/x.json"), Group::Other);
        assert_eq!(group_of("journal.json"), Group::Other);
        assert_eq!(group_of("progress.json"), Group::Last);
        assert_eq!(group_of("best_submission/progress.json"), Group::Other);
        assert!(upload_order("nodes/99999.json") < upload_order("nodes/100000.json"));
        assert!(upload_order("nodes/100000.json") < upload_order("progress.json"));
        assert!(upload_order("zzz.csv") < upload_order("nodes/00000.json"));
    }

    #[test]
    fn temporary_files_and_the_workspace_are_skipped() {
        assert!(is_skipped("nodes/00001.tmp"));
        assert!(is_skipped("workspace/input/train.csv"));
        assert!(is_skipped("workspace"));
        assert!(!is_skipped("workspaces.json"));
        assert!(!is_skipped("nodes/00001.json"));
    }

    #[test]
    fn retries_back_off_up_to_a_cap() {
        let mut d = None;
        let mut seen = Vec::new();
        for _ in 0..8 {
            let next = next_retry(d);
            seen.push(next.as_secs());
            d = Some(next);
        }
        assert_eq!(seen, [1, 2, 4, 8, 16, 30, 30, 30]);
    }
}
