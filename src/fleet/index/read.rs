//! Reading a run group's records: from its index when the index can be trusted, else
//! rebuilt from the per-run files (a bounded number of runs in flight, each run's files
//! fetched at once) and written back. `report` and `status` both come through here.

use std::collections::BTreeMap;
use std::time::SystemTime;

use futures::stream::{self, StreamExt};

use super::group::{Comparer, Difference, GroupIndex, IndexBytes, Outline, Stale, Writer};
use super::record::{RunFiles, RunRecord};
use super::stamped::StampedRecord;
use crate::fleet::RunKey;
use crate::store::{Store, StoreError, Versioned, layout};

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
    // Asked for, the rebuild is a check of the index against every file; a stale index
    // is only replaced, so runs whose stamps still match need not be read again.
    let reading = if options.rebuild {
        Reading::Files
    } else {
        Reading::Stamped {
            write: options.write_back,
        }
    };
    rebuild_into(store, run_id, planned, reading, progress, &mut |record| {
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

/// Every run of the group from its files (every one read; stamps are not used): the
/// planned ones and any others found in the store, sorted by task then seed.
pub async fn rebuild_records(
    store: &Store,
    run_id: &str,
    planned: &[RunKey],
    progress: &mut dyn RebuildProgress,
) -> Result<Vec<RunRecord>, StoreError> {
    let mut records = Vec::new();
    rebuild_into(store, run_id, planned, Reading::Files, progress, &mut |r| {
        records.push(r)
    })
    .await?;
    Ok(records)
}

/// How a rebuild reads a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// Every file, stamps ignored and none written: the check of `--rebuild`.
    Files,
    /// A run's stamped record while its files are the versions it was made from, else
    /// its files, stamped anew when `write` (a stamp that cannot be written only costs
    /// the next rebuild its reads).
    Stamped { write: bool },
}

/// [`rebuild_records`], each record handed to `sink` as soon as it and every record
/// before it are read: in order, with 64 runs in flight.
pub async fn rebuild_into(
    store: &Store,
    run_id: &str,
    planned: &[RunKey],
    reading: Reading,
    progress: &mut dyn RebuildProgress,
    sink: &mut dyn FnMut(RunRecord),
) -> Result<(), StoreError> {
    let mut runs = stored_files(store, run_id).await?;
    for key in planned {
        runs.entry(key.clone()).or_default();
    }
    progress.start(runs.len());
    let mut read = stream::iter(runs)
        .map(|(key, files)| async move { read_run(store, run_id, &key, &files, reading).await })
        .buffered(REBUILD_CONCURRENCY);
    while let Some(record) = read.next().await {
        sink(record?);
        progress.advance();
    }
    progress.finish();
    Ok(())
}

/// One run's record: from its stamp when that is allowed and still matches, else from
/// its files.
async fn read_run(
    store: &Store,
    run_id: &str,
    key: &RunKey,
    files: &RunKeys,
    reading: Reading,
) -> Result<RunRecord, StoreError> {
    let Reading::Stamped { write } = reading else {
        return Ok(fetch_known(store, run_id, key, files).await?.0);
    };
    if files.stamped {
        let stamp_key = layout::stamped_record_key(run_id, &key.task, key.seed);
        if let Some(bytes) = store.get(&stamp_key).await? {
            if let Some(record) = StampedRecord::check(&bytes, key, &files.versions()) {
                return Ok(record);
            }
        }
    }
    let (record, sources) = fetch_known(store, run_id, key, files).await?;
    if write && !sources.is_empty() {
        stamp(store, run_id, &record, sources).await;
    }
    Ok(record)
}

/// Writes a run's stamped record, best effort: it is a cache of its files.
async fn stamp(
    store: &Store,
    run_id: &str,
    record: &RunRecord,
    sources: BTreeMap<String, Option<String>>,
) {
    let Some(stamped) = StampedRecord::new(record.clone(), sources) else {
        return;
    };
    let key = layout::stamped_record_key(run_id, &record.task, record.seed);
    if let Err(e) = store.put(&key, stamped.to_bytes()).await {
        tracing::debug!(key, error = %e, "a run's stamped record was not written");
    }
}

/// One of a run's files as a listing found it: its version (None: the backend gave none).
/// The key is not kept: the run and the file's place name it, and a listing of 100,000
/// runs would otherwise hold half a million keys.
#[derive(Debug, Clone, Default)]
struct Found(Option<Box<str>>);

/// The files of one run that a record is made from (None: not in the store), and
/// whether it has a stamped record.
#[derive(Debug, Default)]
pub struct RunKeys {
    status: Option<Found>,
    grade: Option<Found>,
    usage: Option<Found>,
    progress: Option<Found>,
    /// Node grades: file name under `agent/nodes/`, and version.
    node_grades: Vec<(Box<str>, Found)>,
    stamped: bool,
}

/// A file's name under its run's directory.
fn usage_name() -> String {
    format!("agent/{}", crate::agent::USAGE_FILE)
}

fn progress_name() -> String {
    format!("agent/{}", crate::agent::PROGRESS_FILE)
}

fn node_grade_name(file: &str) -> String {
    format!("agent/nodes/{file}")
}

impl RunKeys {
    /// Each present file's name under its run's directory, with its listed version.
    fn files(&self) -> Vec<(String, &Found)> {
        let fixed = [
            ("status.json".to_string(), &self.status),
            ("grade.json".to_string(), &self.grade),
            (usage_name(), &self.usage),
            (progress_name(), &self.progress),
        ];
        fixed
            .into_iter()
            .filter_map(|(name, found)| Some((name, found.as_ref()?)))
            .chain(
                self.node_grades
                    .iter()
                    .map(|(file, found)| (node_grade_name(file), found)),
            )
            .collect()
    }

    fn versions(&self) -> BTreeMap<String, Option<String>> {
        self.files()
            .into_iter()
            .map(|(name, found)| (name, found.0.as_deref().map(str::to_string)))
            .collect()
    }
}

/// Every run that has anything in the store, with its files and their versions: one
/// listing per task, the tasks listed at once. A listing page holds a thousand keys, so
/// this costs a few requests per task where one per run would cost thousands.
pub async fn stored_files(
    store: &Store,
    run_id: &str,
) -> Result<BTreeMap<RunKey, RunKeys>, StoreError> {
    let tasks_prefix = format!("{}/", layout::tasks_prefix(run_id));
    let tasks = store.list_dirs(&tasks_prefix).await?;
    let prefix = tasks_prefix.as_str();
    let listed = stream::iter(tasks)
        .map(|task| async move {
            let keys = store.list_versioned(&format!("{prefix}{task}/")).await?;
            Ok::<_, StoreError>((task, keys))
        })
        .buffer_unordered(REBUILD_CONCURRENCY)
        .collect::<Vec<_>>()
        .await;
    let mut runs: BTreeMap<RunKey, RunKeys> = BTreeMap::new();
    for found in listed {
        let (task, keys) = found?;
        let task_prefix = format!("{prefix}{task}/");
        for listed in keys {
            let Some((seed, rest)) = listed
                .key
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
            let found = Some(Found(listed.version.map(String::into_boxed_str)));
            let agent = rest.strip_prefix("agent/");
            if rest == "status.json" {
                files.status = found;
            } else if rest == "grade.json" {
                files.grade = found;
            } else if rest == layout::STAMPED_RECORD_FILE {
                files.stamped = true;
            } else if agent == Some(crate::agent::USAGE_FILE) {
                files.usage = found;
            } else if agent == Some(crate::agent::PROGRESS_FILE) {
                files.progress = found;
            } else if let Some(file) = rest
                .strip_prefix("agent/nodes/")
                .filter(|f| f.ends_with(".grade.json"))
            {
                files.node_grades.extend(found.map(|f| (file.into(), f)));
            }
        }
    }
    Ok(runs)
}

/// A run's record from the files named (absent ones are not asked for), fetched at once,
/// with the version each file was read at (name under the run's directory).
async fn fetch_known(
    store: &Store,
    run_id: &str,
    key: &RunKey,
    files: &RunKeys,
) -> Result<(RunRecord, BTreeMap<String, Option<String>>), StoreError> {
    let dir = layout::seed_prefix(run_id, &key.task, key.seed);
    let get = |name: String, present: bool| {
        let full = format!("{dir}/{name}");
        async move {
            match present {
                true => Ok(store.get_versioned(&full).await?.map(|v| (name, full, v))),
                false => Ok(None),
            }
        }
    };
    let node_grades = async {
        let mut grades = Vec::new();
        for (file, _) in &files.node_grades {
            let name = node_grade_name(file);
            let full = format!("{dir}/{name}");
            if let Some(v) = store.get_versioned(&full).await? {
                grades.push((name, full, v));
            }
        }
        Ok::<_, StoreError>(grades)
    };
    let (status, grade, usage, progress, node_grades) = futures::try_join!(
        get("status.json".into(), files.status.is_some()),
        get("grade.json".into(), files.grade.is_some()),
        get(usage_name(), files.usage.is_some()),
        get(progress_name(), files.progress.is_some()),
        node_grades,
    )?;
    let mut sources = BTreeMap::new();
    let mut keep = |read: Option<(String, String, Versioned)>| {
        read.map(|(name, _, v)| {
            sources.insert(name, v.version);
            v.bytes
        })
    };
    let files = RunFiles {
        status: keep(status),
        grade: keep(grade),
        usage: keep(usage),
        progress: keep(progress),
        node_grades: node_grades
            .into_iter()
            .map(|(name, full, v)| {
                sources.insert(name, v.version);
                (full, v.bytes)
            })
            .collect(),
    };
    Ok((RunRecord::from_files(key, files), sources))
}

/// One run's record from its files, read back when the run ends (the files named by the
/// layout; node grades found by listing the run's nodes), and stamped with the versions
/// read so that a later rebuild need not read them again.
pub async fn fetch_record(
    store: &Store,
    run_id: &str,
    key: &RunKey,
) -> Result<RunRecord, StoreError> {
    let (task, seed) = (key.task.as_str(), key.seed);
    let agent = layout::agent_prefix(run_id, task, seed);
    let nodes = format!("{agent}/nodes/");
    let node_grades = store
        .list_versioned(&nodes)
        .await?
        .into_iter()
        .filter_map(|l| {
            let file = l.key.strip_prefix(&nodes)?;
            file.ends_with(".grade.json")
                .then(|| (file.into(), Found(l.version.map(String::into_boxed_str))))
        })
        .collect();
    let present = || Some(Found::default());
    let files = RunKeys {
        status: present(),
        grade: present(),
        usage: present(),
        progress: present(),
        node_grades,
        stamped: false,
    };
    let (record, sources) = fetch_known(store, run_id, key, &files).await?;
    stamp(store, run_id, &record, sources).await;
    Ok(record)
}
