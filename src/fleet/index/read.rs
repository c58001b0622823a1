//! Reading a run group's records: from its index when the index can be trusted, else
//! rebuilt from the per-run files (a bounded number of runs in flight, each run's files
//! fetched at once) and written back. `report` and `status` both come through here.

use std::collections::BTreeMap;
use std::time::SystemTime;

use futures::stream::{self, StreamExt};

use super::group::{Comparer, Difference, GroupIndex, IndexBytes, Outline, Stale, Writer};
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

/// Hands the run group's records to `sink`, in task and seed order, one at a time (a
/// reader of 100,000 runs holds none it has not asked to keep). `run_yaml` is the text
/// of `run.yaml` (None: absent), and `planned` the runs it plans.
pub async fn load(
    store: &Store,
    run_id: &str,
    run_yaml: Option<&str>,
    planned: &[RunKey],
    options: LoadOptions,
    progress: &mut dyn RebuildProgress,
    sink: &mut dyn FnMut(RunRecord),
) -> Result<Source, StoreError> {
    let stored = store.get(&layout::index_key(run_id)).await?;
    let checked = match &stored {
        None => Err(Stale::Missing),
        Some(bytes) => Outline::parse(bytes)
            .and_then(|outline| outline.check(run_id, run_yaml, planned, now_s())),
    };
    if let (Ok(()), Some(bytes), false) = (&checked, &stored, options.rebuild) {
        // The outline parsed every record in full, so streaming them cannot fail; were it
        // to, a rebuild must not hand over the records already given a second time.
        let mut given = 0usize;
        let streamed = GroupIndex::stream_runs(bytes, &mut |r| {
            given += 1;
            sink(r)
        });
        if streamed.is_ok() || given > 0 {
            return Ok(Source::Index);
        }
    }
    // The previous records, to compare with, only when a rebuild was asked for: a stale
    // index is simply replaced.
    let mut compare = match (&stored, options.rebuild) {
        (Some(bytes), true) => GroupIndex::parse(bytes).ok().map(|i| Comparer::new(i.runs)),
        _ => None,
    };
    drop(stored);
    let written_at = now_s();
    let mut bytes = options
        .write_back
        .then(|| IndexBytes::start(run_id, Writer::Rebuild, false, written_at, run_yaml));
    let mut runs = 0;
    rebuild_into(store, run_id, planned, progress, &mut |record| {
        runs += 1;
        if let Some(c) = &mut compare {
            c.next(&record);
        }
        if let Some(b) = &mut bytes {
            b.push(&record);
        }
        sink(record);
    })
    .await?;
    // Nothing to index is no run group at all: the caller says so, and nothing is written.
    let write_error = match bytes {
        Some(b) if run_yaml.is_some() || runs > 0 => store
            .put(&layout::index_key(run_id), b.finish())
            .await
            .err()
            .map(|e| e.to_string()),
        _ => None,
    };
    Ok(Source::Rebuilt {
        why: if options.rebuild { None } else { checked.err() },
        differences: compare.map(Comparer::finish).unwrap_or_default(),
        write_error,
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
    let mut records = Vec::new();
    rebuild_into(store, run_id, planned, progress, &mut |r| records.push(r)).await?;
    Ok(records)
}

/// [`rebuild_records`], each record handed to `sink` as soon as it and every record
/// before it are read: in order, with 64 runs in flight.
pub async fn rebuild_into(
    store: &Store,
    run_id: &str,
    planned: &[RunKey],
    progress: &mut dyn RebuildProgress,
    sink: &mut dyn FnMut(RunRecord),
) -> Result<(), StoreError> {
    let mut runs = stored_files(store, run_id).await?;
    for key in planned {
        runs.entry(key.clone()).or_default();
    }
    progress.start(runs.len());
    let mut read = stream::iter(runs)
        .map(|(key, files)| async move { fetch_known(store, &key, &files).await })
        .buffered(REBUILD_CONCURRENCY);
    while let Some(record) = read.next().await {
        sink(record?);
        progress.advance();
    }
    progress.finish();
    Ok(())
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

/// A run's record from the files named (absent ones are not asked for), fetched at once.
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

/// One run's record from its files, read back when the run ends (the files named by the
/// layout; node grades found by listing the run's nodes).
pub async fn fetch_record(
    store: &Store,
    run_id: &str,
    key: &RunKey,
) -> Result<RunRecord, StoreError> {
    let (task, seed) = (key.task.as_str(), key.seed);
    let agent = layout::agent_prefix(run_id, task, seed);
    let node_grades = store
        .list(&format!("{agent}/nodes/"))
        .await?
        .into_iter()
        .filter(|k| k.ends_with(".grade.json"))
        .collect();
    let files = RunKeys {
        status: Some(layout::status_key(run_id, task, seed)),
        grade: Some(layout::grade_key(run_id, task, seed)),
        usage: Some(format!("{agent}/{}", crate::agent::USAGE_FILE)),
        progress: Some(format!("{agent}/{}", crate::agent::PROGRESS_FILE)),
        node_grades,
    };
    fetch_known(store, key, &files).await
}
