//! Reading one run group from the store into the per-run table. Everything in the store is
//! untrusted: a file that is missing or does not parse becomes an empty field and a
//! warning, never an error that stops the report.

use std::collections::BTreeMap;
use std::path::Path;

use futures::stream::{self, StreamExt};
use serde::Deserialize;
use serde_json::Value;

use crate::bench::{Benchmark, MAX_SEEDS, Seeds};
use crate::fleet::{AttemptOutcome, RunState, RunStatus};
use crate::grade::CompetitionReport;
use crate::store::{Store, layout};

use super::aggregate::SplitSpec;
use super::error::ReportError;
use super::grade_record::GradeRecord;
use super::row::{AttemptRow, RunRow};
use super::task_info::{Kind, TaskCatalog, TaskInfo};

/// Reads at once; S3 latency, not bandwidth, bounds a report's reading time.
const CONCURRENT_READS: usize = 16;

/// The most (task, seed) runs a report plans from run.yaml (MLE-bench's 75 competitions
/// at `MAX_SEEDS` seeds fit); beyond it run.yaml is damaged or hostile, and only the runs
/// found in the store are reported.
const MAX_PLANNED_RUNS: usize = 100_000;

/// One run group as read from the store.
#[derive(Debug, Clone)]
pub struct RunData {
    pub run_id: String,
    /// The suite's name from run.yaml.
    pub suite: Option<String>,
    pub benchmark: Option<Benchmark>,
    /// Sorted by task, then seed.
    pub rows: Vec<RunRow>,
    pub attempts: Vec<AttemptRow>,
    pub tasks: BTreeMap<String, TaskInfo>,
    /// MLE-bench's splits (empty when its catalog did not load).
    pub mlebench_splits: Vec<SplitSpec>,
    /// What could not be read, one line each.
    pub warnings: Vec<String>,
}

/// The parts of run.yaml a report uses; the rest is ignored, so a newer suite format
/// still reads.
#[derive(Debug, Default, Deserialize)]
struct RunYaml {
    name: Option<String>,
    benchmark: Option<Benchmark>,
    tasks: Option<Vec<String>>,
    seeds: Option<RunSeeds>,
    resources: Option<RunResources>,
}

/// run.yaml's seeds, or what stood there instead: a report reads the rest of run.yaml
/// even when its seeds are out of bounds (`seeds: 4294967295`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RunSeeds {
    Valid(Seeds),
    Invalid(serde::de::IgnoredAny),
}

#[derive(Debug, Default, Deserialize)]
struct RunResources {
    #[serde(default)]
    gpus: u32,
}

/// The files of one (task, seed) run.
#[derive(Debug, Default)]
struct Files {
    status: Option<Vec<u8>>,
    grade: Option<Vec<u8>>,
    usage: Option<Vec<u8>>,
    progress: Option<Vec<u8>>,
    node_grades: Vec<(String, Vec<u8>)>,
}

pub async fn read_run(
    store: &Store,
    run_id: &str,
    benchmarks_dir: &Path,
) -> Result<RunData, ReportError> {
    let mut warnings = Vec::new();
    let suite = match store.get(&layout::run_file(run_id)).await? {
        Some(bytes) => match serde_saphyr::from_str::<RunYaml>(&String::from_utf8_lossy(&bytes)) {
            Ok(suite) => Some(suite),
            Err(e) => {
                warnings.push(format!("{}: not read: {e}", layout::run_file(run_id)));
                Some(RunYaml::default())
            }
        },
        None => None,
    };
    let prefix = format!("{}/", layout::tasks_prefix(run_id));
    let keys = store.list(&prefix).await?;
    if suite.is_none() && keys.is_empty() {
        return Err(ReportError::NoSuchRun {
            run_id: run_id.to_owned(),
            store: store.url(),
        });
    }
    let suite = suite.unwrap_or_default();

    // Planned runs, plus any found in the store (a suite file may have been edited).
    let mut runs: BTreeMap<(String, u64), Vec<String>> = BTreeMap::new();
    for (task, seeds) in planned_runs(run_id, &suite, &mut warnings) {
        for seed in seeds {
            runs.entry((task.clone(), seed)).or_default();
        }
    }
    for key in &keys {
        if let Some((task, seed, rest)) = split_key(&key[prefix.len()..]) {
            let entry = runs.entry((task.to_owned(), seed)).or_default();
            if rest.starts_with("agent/nodes/") && rest.ends_with(".grade.json") {
                entry.push(key.clone());
            }
        }
    }

    let fetched: Vec<((String, u64), Result<Files, ReportError>)> = stream::iter(runs)
        .map(|((task, seed), node_keys)| async move {
            let files = fetch(store, run_id, &task, seed, &node_keys).await;
            ((task, seed), files)
        })
        .buffer_unordered(CONCURRENT_READS)
        .collect()
        .await;
    let mut fetched: Vec<_> = fetched
        .into_iter()
        .map(|(k, files)| files.map(|f| (k, f)))
        .collect::<Result<_, _>>()?;
    fetched.sort_by(|a, b| a.0.cmp(&b.0));

    let (catalog, catalog_warnings) = TaskCatalog::load(benchmarks_dir, suite.benchmark);
    let mut tasks: BTreeMap<String, TaskInfo> = BTreeMap::new();
    let mut rows = Vec::with_capacity(fetched.len());
    let mut attempts = Vec::new();
    let suite_gpus = suite.resources.as_ref().map(|r| r.gpus);
    for ((task, seed), files) in &fetched {
        let context = format!("{task}/seed-{seed}");
        let grade = files.grade.as_deref().and_then(|bytes| {
            let parsed = std::str::from_utf8(bytes)
                .map_err(|e| e.to_string())
                .and_then(GradeRecord::parse);
            parsed
                .map_err(|e| warnings.push(format!("{context}/grade.json: {e}")))
                .ok()
        });
        let info = tasks.entry(task.clone()).or_insert_with(|| {
            let fallback = match grade {
                Some(GradeRecord::Research(_)) => Kind::Research,
                _ => Kind::Competition,
            };
            catalog.info(task, fallback, &mut warnings)
        });
        let status = files.status.as_deref().and_then(|bytes| {
            serde_json::from_slice::<RunStatus>(bytes)
                .map_err(|e| warnings.push(format!("{context}/status.json: {e}")))
                .ok()
        });
        let usage = parse_value(
            files.usage.as_deref(),
            &context,
            "usage.json",
            &mut warnings,
        );
        let progress = parse_value(
            files.progress.as_deref(),
            &context,
            "progress.json",
            &mut warnings,
        );
        let node_grades: Vec<CompetitionReport> = files
            .node_grades
            .iter()
            .filter_map(|(key, bytes)| {
                let text = String::from_utf8_lossy(bytes);
                CompetitionReport::from_json(&text)
                    .map_err(|e| warnings.push(format!("{key}: {e}")))
                    .ok()
            })
            .collect();
        if let Some(s) = &status {
            attempts.extend(failed_attempts(task, *seed, s));
        }
        rows.push(build_row(RowInputs {
            run_id,
            task,
            seed: *seed,
            info,
            grade: grade.as_ref(),
            status: status.as_ref(),
            usage: usage.as_ref(),
            progress: progress.as_ref(),
            node_grades: &node_grades,
            suite_gpus,
        }));
    }
    assign_seed_indices(&mut rows);
    let mut all_warnings = catalog_warnings;
    all_warnings.extend(warnings);
    Ok(RunData {
        run_id: run_id.to_owned(),
        suite: suite.name,
        benchmark: suite.benchmark,
        rows,
        attempts,
        tasks,
        mlebench_splits: catalog.mlebench_splits(),
        warnings: all_warnings,
    })
}

/// The (task, seeds) pairs run.yaml plans. Task ids that cannot name a key (`''`, `../x`,
/// over 255 bytes), seeds out of bounds and plans too large are warned about and left
/// out: the runs found in the store are reported all the same.
fn planned_runs(
    run_id: &str,
    suite: &RunYaml,
    warnings: &mut Vec<String>,
) -> Vec<(String, Vec<u64>)> {
    let file = layout::run_file(run_id);
    let seeds = match &suite.seeds {
        Some(RunSeeds::Valid(seeds)) => seeds.to_vec(),
        Some(RunSeeds::Invalid(_)) => {
            warnings.push(format!(
                "{file}: `seeds` ignored: expected a count of at most {MAX_SEEDS} or a list of at most {MAX_SEEDS} seeds"
            ));
            return Vec::new();
        }
        None => return Vec::new(),
    };
    let Some(tasks) = &suite.tasks else {
        return Vec::new();
    };
    if tasks.len().saturating_mul(seeds.len()) > MAX_PLANNED_RUNS {
        warnings.push(format!(
            "{file}: plans {} tasks x {} seeds, more than {MAX_PLANNED_RUNS} runs; only the runs in the store are reported",
            tasks.len(),
            seeds.len()
        ));
        return Vec::new();
    }
    tasks
        .iter()
        .enumerate()
        .filter_map(|(i, task)| match layout::validate_task_id(task) {
            Ok(()) => Some((task.clone(), seeds.clone())),
            Err(e) => {
                warnings.push(format!("{file}: `tasks[{i}]` ignored: {e}"));
                None
            }
        })
        .collect()
}

/// `<task>/seed-<k>/<rest>` of a key under the run's tasks prefix.
fn split_key(relative: &str) -> Option<(&str, u64, &str)> {
    let (task, rest) = relative.split_once('/')?;
    let (seed, rest) = rest.split_once('/')?;
    let seed = seed.strip_prefix("seed-")?.parse().ok()?;
    Some((task, seed, rest))
}

async fn fetch(
    store: &Store,
    run_id: &str,
    task: &str,
    seed: u64,
    node_keys: &[String],
) -> Result<Files, ReportError> {
    let agent = layout::agent_prefix(run_id, task, seed);
    let mut node_grades = Vec::new();
    for key in node_keys {
        if let Some(bytes) = store.get(key).await? {
            node_grades.push((key.clone(), bytes));
        }
    }
    Ok(Files {
        status: store.get(&layout::status_key(run_id, task, seed)).await?,
        grade: store.get(&layout::grade_key(run_id, task, seed)).await?,
        usage: store.get(&format!("{agent}/usage.json")).await?,
        progress: store.get(&format!("{agent}/progress.json")).await?,
        node_grades,
    })
}

fn parse_value(
    bytes: Option<&[u8]>,
    context: &str,
    name: &str,
    warnings: &mut Vec<String>,
) -> Option<Value> {
    serde_json::from_slice(bytes?)
        .map_err(|e| warnings.push(format!("{context}/agent/{name}: {e}")))
        .ok()
}

fn failed_attempts(task: &str, seed: u64, status: &RunStatus) -> Vec<AttemptRow> {
    status
        .attempts
        .iter()
        .filter_map(|a| {
            let outcome = match a.outcome? {
                AttemptOutcome::Succeeded => return None,
                AttemptOutcome::Failed => "failed",
                AttemptOutcome::Preempted => "preempted",
                AttemptOutcome::Cancelled => "cancelled",
                AttemptOutcome::LlmUnreachable => "llm_unreachable",
            };
            let reason = a
                .reason
                .clone()
                .unwrap_or_else(|| "no reason recorded".into());
            Some(AttemptRow {
                task: task.to_owned(),
                seed,
                number: a.number,
                outcome,
                reason_kind: AttemptRow::kind_of(&reason),
                reason,
            })
        })
        .collect()
}

struct RowInputs<'a> {
    run_id: &'a str,
    task: &'a str,
    seed: u64,
    info: &'a TaskInfo,
    grade: Option<&'a GradeRecord>,
    status: Option<&'a RunStatus>,
    usage: Option<&'a Value>,
    progress: Option<&'a Value>,
    node_grades: &'a [CompetitionReport],
    suite_gpus: Option<u32>,
}

fn build_row(i: RowInputs) -> RunRow {
    let report = match i.grade {
        Some(GradeRecord::Competition(r)) => Some(r.as_ref()),
        _ => None,
    };
    let flag = |f: fn(&CompetitionReport) -> bool| report.is_some_and(f);
    let (score, percentile, normalized_score) = match (i.info.kind, i.grade) {
        (Kind::Research, Some(GradeRecord::Research(record))) => (
            record.score,
            None,
            Some(record.normalized(i.info.research.as_ref())),
        ),
        // Ungraded, or a placeholder report: a research run without a score scores 0.
        (Kind::Research, _) => (None, None, Some(0.0)),
        (Kind::Competition, _) => {
            let score = report.and_then(|r| r.score);
            (
                score,
                i.info.leaderboard.as_ref().map(|t| t.percentile(score)),
                None,
            )
        }
    };
    let node_percentiles: Vec<f64> = match &i.info.leaderboard {
        Some(table) => i
            .node_grades
            .iter()
            .map(|g| table.percentile(g.score))
            .collect(),
        None => Vec::new(),
    };
    let best_node_percentile = node_percentiles.iter().copied().reduce(f64::max);
    let number = |v: Option<&Value>, path: &[&str]| -> Option<f64> {
        path.iter()
            .try_fold(v?, |v, k| v.get(k))
            .and_then(Value::as_f64)
    };
    let status = i.status;
    let elapsed_s = status
        .and_then(|s| s.elapsed_s)
        .or_else(|| number(i.progress, &["elapsed_s"]));
    let gpus = status
        .map(|s| s.gpus.len() as u32)
        .filter(|&g| g > 0)
        .or(i.info.gpus)
        .or(i.suite_gpus)
        .unwrap_or(0);
    RunRow {
        run_id: i.run_id.to_owned(),
        task: i.task.to_owned(),
        seed: i.seed,
        seed_index: 0,
        kind: i.info.kind.name(),
        complexity: i.info.complexity,
        state: match status.map(|s| s.state) {
            None => "missing",
            Some(RunState::Pending) => "pending",
            Some(RunState::Running) => "running",
            Some(RunState::Succeeded) => "succeeded",
            Some(RunState::Failed) => "failed",
        }
        .to_owned(),
        attempts: status.map_or(0, |s| s.attempts.len() as u32),
        failure: status.and_then(|s| {
            s.attempts
                .iter()
                .rev()
                .find(|a| a.outcome == Some(AttemptOutcome::Failed))
                .map(|a| {
                    a.reason
                        .clone()
                        .unwrap_or_else(|| "no reason recorded".into())
                })
        }),
        graded: i.grade.is_some(),
        submission_exists: flag(|r| r.submission_exists),
        valid_submission: flag(|r| r.valid_submission),
        score,
        gold_medal: flag(|r| r.gold_medal),
        silver_medal: flag(|r| r.silver_medal),
        bronze_medal: flag(|r| r.bronze_medal),
        any_medal: flag(|r| r.gold_medal || r.silver_medal || r.bronze_medal),
        above_median: flag(|r| r.above_median),
        percentile,
        normalized_score,
        steps: number(i.progress, &["step"])
            .or_else(|| status.and_then(|s| s.step).map(|s| s as f64))
            .map(|s| s as u32),
        buggy_nodes: number(i.progress, &["buggy_nodes"]).map(|b| b as u32),
        cost_usd: number(i.usage, &["total", "cost_usd"])
            .or_else(|| status.and_then(|s| s.cost_usd))
            .or_else(|| number(i.progress, &["cost_usd"])),
        input_tokens: number(i.usage, &["total", "input_tokens"]).map(|t| t as u64),
        output_tokens: number(i.usage, &["total", "output_tokens"]).map(|t| t as u64),
        elapsed_s,
        gpus,
        gpu_hours: elapsed_s.map(|e| e * f64::from(gpus) / 3600.0),
        best_node_percentile,
        selection_gap: best_node_percentile.zip(percentile).map(|(b, p)| b - p),
        best_node_medal: (!i.node_grades.is_empty())
            .then(|| i.node_grades.iter().any(|g| g.any_medal)),
    }
}

/// Rows are sorted by task then seed, one per pair: each task's seeds get 0, 1, 2, ...
fn assign_seed_indices(rows: &mut [RunRow]) {
    let mut next: BTreeMap<String, u32> = BTreeMap::new();
    for row in rows {
        let index = next.entry(row.task.clone()).or_insert(0);
        row.seed_index = *index;
        *index += 1;
    }
}
