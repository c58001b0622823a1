//! Reading a run group's records: from its index when the index can be trusted, else
//! rebuilt from the per-run files (a bounded number of runs in flight, each run's files
//! fetched at once) and written back. `report` and `status` both come through here.

use std::collections::BTreeMap;
use std::time::SystemTime;

use futures::stream::{self, StreamExt};

use super::group::{Difference, GroupIndex, INDEX_FORMAT_VERSION, Stale, Writer, differences};
use super::record::{RunFiles, RunRecord};
use crate::fleet::RunKey;
use crate::store::{Store, StoreError, layout};

/// Runs read at once in a rebuild: store latency, not bandwidth, bounds it.
pub const REBUILD_CONCURRENCY: usize = 64;

/// How the records were obtained.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// The index, as stored.
    Index,
    /// Rebuilt from the per-run files, because of this (None: asked for).
    Rebuilt {
        why: Option<Stale>,
        /// Where the stored index disagreed with the rebuild (`--rebuild` on a readable
        /// index).
        differences: Vec<Difference>,
        /// The rebuilt index could not be written back (the records are good).
        write_error: Option<String>,
    },
}

/// A run group's records, sorted by task then seed.
#[derive(Debug)]
pub struct Loaded {
    pub records: Vec<RunRecord>,
    pub source: Source,
}

/// Receives a rebuild's progress: called once with the total, then once per run read.
pub trait RebuildProgress {
    fn start(&mut self, runs: usize);
    fn advance(&mut self);
    fn finish(&mut self);
}

/// No display.
pub struct Quiet;

impl RebuildProgress for Quiet {
    fn start(&mut self, _: usize) {}
    fn advance(&mut self) {}
    fn finish(&mut self) {}
}

fn now_s() -> f64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// How [`load`] reads.
#[derive(Debug, Clone, Copy)]
pub struct LoadOptions {
    /// Rebuild even when the index checks out, and compare the two.
    pub rebuild: bool,
    /// Write a rebuilt index back to the store.
    pub write_back: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            rebuild: false,
            write_back: true,
        }
    }
}

/// The run group's records. `run_yaml` is the text of `run.yaml` (None: absent), and
/// `planned` the runs it plans.
pub async fn load(
    store: &Store,
    run_id: &str,
    run_yaml: Option<&str>,
    planned: &[RunKey],
    options: LoadOptions,
    progress: &mut dyn RebuildProgress,
) -> Result<Loaded, StoreError> {
    let rebuild = options.rebuild;
    let stored = match store.get(&layout::index_key(run_id)).await? {
        None => Err(Stale::Missing),
        Some(bytes) => GroupIndex::parse(&bytes),
    };
    let checked = stored.and_then(|index| {
        let fresh = index.check(run_id, run_yaml, planned, now_s());
        Ok((index, fresh))
    });
    let (previous, why) = match checked {
        Ok((index, Ok(()))) if !rebuild => {
            return Ok(Loaded {
                records: index.runs,
                source: Source::Index,
            });
        }
        Ok((index, fresh)) => (Some(index), fresh.err()),
        Err(why) => (None, Some(why)),
    };
    let records = rebuild_records(store, run_id, planned, progress).await?;
    let differences = previous
        .as_ref()
        .map(|p| differences(&p.runs, &records))
        .unwrap_or_default();
    let index = GroupIndex {
        format_version: INDEX_FORMAT_VERSION,
        run_id: run_id.to_owned(),
        writer: Writer::Rebuild,
        live: false,
        written_at: now_s(),
        run_yaml: run_yaml.map(str::to_owned),
        runs: records,
    };
    // Nothing to index is no run group at all: the caller says so, and nothing is written.
    let write_error = if !options.write_back || (run_yaml.is_none() && index.runs.is_empty()) {
        None
    } else {
        store
            .put(&layout::index_key(run_id), index.to_bytes())
            .await
            .err()
            .map(|e| e.to_string())
    };
    Ok(Loaded {
        records: index.runs,
        source: Source::Rebuilt {
            why: if rebuild { None } else { why },
            differences,
            write_error,
        },
    })
}

/// Every run of the group from its files: the planned ones and any others found in the
/// store, sorted by task then seed.
pub async fn rebuild_records(
    store: &Store,
    run_id: &str,
    planned: &[RunKey],
    progress: &mut dyn RebuildProgress,
) -> Result<Vec<RunRecord>, StoreError> {
    let mut runs = stored_files(store, run_id).await?;
    for key in planned {
        runs.entry(key.clone()).or_default();
    }
    progress.start(runs.len());
    let mut read = stream::iter(runs)
        .map(|(key, files)| async move { fetch_known(store, &key, &files).await })
        .buffer_unordered(REBUILD_CONCURRENCY);
    let mut records = Vec::new();
    while let Some(record) = read.next().await {
        records.push(record?);
        progress.advance();
    }
    progress.finish();
    records.sort_by(|a, b| (&a.task, a.seed).cmp(&(&b.task, b.seed)));
    Ok(records)
}

/// The keys of one run's files that a record is made from (None: not in the store).
#[derive(Debug, Default)]
pub struct RunKeys {
    status: Option<String>,
    grade: Option<String>,
    usage: Option<String>,
    progress: Option<String>,
    node_grades: Vec<String>,
}

/// Every run that has anything in the store, with the keys of its files: one listing
/// per task, the tasks listed at once. A listing page holds a thousand keys, so this
/// costs a few requests per task where one per run would cost thousands.
pub async fn stored_files(
    store: &Store,
    run_id: &str,
) -> Result<BTreeMap<RunKey, RunKeys>, StoreError> {
    let tasks_prefix = format!("{}/", layout::tasks_prefix(run_id));
    let tasks = store.list_dirs(&tasks_prefix).await?;
    let prefix = tasks_prefix.as_str();
    let listed = stream::iter(tasks)
        .map(|task| async move {
            let keys = store.list(&format!("{prefix}{task}/")).await?;
            Ok::<_, StoreError>((task, keys))
        })
        .buffer_unordered(REBUILD_CONCURRENCY)
        .collect::<Vec<_>>()
        .await;
    let mut runs: BTreeMap<RunKey, RunKeys> = BTreeMap::new();
    for found in listed {
        let (task, keys) = found?;
        let task_prefix = format!("{prefix}{task}/");
        for key in keys {
            let Some((seed, rest)) = key
                .strip_prefix(&task_prefix)
                .and_then(|rel| rel.split_once('/'))
            else {
                continue;
            };
            let Some(seed) = seed.strip_prefix("seed-").and_then(|s| s.parse().ok()) else {
                continue;
            };
            let files = runs
                .entry(RunKey {
                    task: task.clone(),
                    seed,
                })
                .or_default();
            let agent = |name: &str| rest.strip_prefix("agent/") == Some(name);
            if rest == "status.json" {
                files.status = Some(key);
            } else if rest == "grade.json" {
                files.grade = Some(key);
            } else if agent(crate::agent::USAGE_FILE) {
                files.usage = Some(key);
            } else if agent(crate::agent::PROGRESS_FILE) {
                files.progress = Some(key);
            } else if rest.starts_with("agent/nodes/") && rest.ends_with(".grade.json") {
                files.node_grades.push(key);
            }
        }
    }
    Ok(runs)
}

/// A run's record from the files a listing found, fetched at once.
async fn fetch_known(
    store: &Store,
    key: &RunKey,
    files: &RunKeys,
) -> Result<RunRecord, StoreError> {
    let get = |k: &Option<String>| {
        let k = k.clone();
        async move {
            match k {
                Some(k) => store.get(&k).await,
                None => Ok(None),
            }
        }
    };
    let node_grades = async {
        let mut grades = Vec::new();
        for k in &files.node_grades {
            if let Some(bytes) = store.get(k).await? {
                grades.push((k.clone(), bytes));
            }
        }
        Ok::<_, StoreError>(grades)
    };
    let (status, grade, usage, progress, node_grades) = futures::try_join!(
        get(&files.status),
        get(&files.grade),
        get(&files.usage),
        get(&files.progress),
        node_grades,
    )?;
    Ok(RunRecord::from_files(
        key,
        RunFiles {
            status,
            grade,
            usage,
            progress,
            node_grades,
        },
    ))
}

/// One run's record from its files, every file fetched at once.
pub async fn fetch_record(
    store: &Store,
    run_id: &str,
    key: &RunKey,
) -> Result<RunRecord, StoreError> {
    let (task, seed) = (key.task.as_str(), key.seed);
    let agent = layout::agent_prefix(run_id, task, seed);
    let (usage_key, progress_key) = (
        format!("{agent}/{}", crate::agent::USAGE_FILE),
        format!("{agent}/{}", crate::agent::PROGRESS_FILE),
    );
    let nodes_prefix = format!("{agent}/nodes/");
    let node_grades = async {
        let keys = store.list(&nodes_prefix).await?;
        let mut grades = Vec::new();
        for key in keys.into_iter().filter(|k| k.ends_with(".grade.json")) {
            if let Some(bytes) = store.get(&key).await? {
                grades.push((key, bytes));
            }
        }
        Ok::<_, StoreError>(grades)
    };
    let (status_key, grade_key) = (
        layout::status_key(run_id, task, seed),
        layout::grade_key(run_id, task, seed),
    );
    let (status, grade, usage, progress, node_grades) = futures::try_join!(
        store.get(&status_key),
        store.get(&grade_key),
        store.get(&usage_key),
        store.get(&progress_key),
        node_grades,
    )?;
    Ok(RunRecord::from_files(
        key,
        RunFiles {
            status,
            grade,
            usage,
            progress,
            node_grades,
        },
    ))
}
