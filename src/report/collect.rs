//! Reading one run group from the store into the per-run table: its records come from the
//! run-group index (`fleet::index`), rebuilt from the per-run files when the index is
//! missing or cannot be trusted. Everything in the store is untrusted: a file that is
//! missing or does not parse becomes an empty field and a warning, never an error that
//! stops the report.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::bench::{Benchmark, MAX_SEEDS, Seeds};
use crate::fleet::index::{self, LoadOptions, Quiet, RebuildProgress, RunRecord, Source};
use crate::fleet::{AttemptOutcome, GradeRecord, RunKey, RunState, RunStatus};
use crate::grade::CompetitionReport;
use crate::store::{Store, layout};

use super::aggregate::SplitSpec;
use super::error::ReportError;
use super::row::{AttemptRow, RunRow};
use super::task_info::{Kind, TaskCatalog, TaskInfo};

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
    /// Whether the records came from the index or a rebuild, and why.
    pub source: Source,
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

/// A run group's `run.yaml` as a reader of the store sees it: its text (for the index's
/// check), what a report uses of it, and the runs it plans.
pub struct GroupPlan {
    pub text: Option<String>,
    suite: RunYaml,
    pub planned: Vec<RunKey>,
    pub warnings: Vec<String>,
}

impl GroupPlan {
    pub async fn read(store: &Store, run_id: &str) -> Result<GroupPlan, ReportError> {
        let mut warnings = Vec::new();
        let text = store
            .get(&layout::run_file(run_id))
            .await?
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
        let suite = match &text {
            Some(text) => serde_saphyr::from_str::<RunYaml>(text).unwrap_or_else(|e| {
                warnings.push(format!("{}: not read: {e}", layout::run_file(run_id)));
                RunYaml::default()
            }),
            None => RunYaml::default(),
        };
        let planned = planned_runs(run_id, &suite, &mut warnings)
            .into_iter()
            .flat_map(|(task, seeds)| {
                seeds.into_iter().map(move |seed| RunKey {
                    task: task.clone(),
                    seed,
                })
            })
            .collect();
        Ok(GroupPlan {
            text,
            suite,
            planned,
            warnings,
        })
    }

    /// Hands the group's records to `sink` in task and seed order, from its index or
    /// rebuilt; a run id with neither `run.yaml` nor any record is no run group.
    pub async fn records(
        &self,
        store: &Store,
        run_id: &str,
        options: LoadOptions,
        progress: &mut dyn RebuildProgress,
        sink: &mut dyn FnMut(RunRecord),
    ) -> Result<Source, ReportError> {
        let mut any = false;
        let source = index::load(
            store,
            run_id,
            self.text.as_deref(),
            &self.planned,
            options,
            progress,
            &mut |r| {
                any = true;
                sink(r)
            },
        )
        .await?;
        if self.text.is_none() && !any {
            return Err(ReportError::NoSuchRun {
                run_id: run_id.to_owned(),
                store: store.url(),
            });
        }
        Ok(source)
    }
}

/// Reads a run group and writes nothing: an index that must be rebuilt is rebuilt in
/// memory only.
pub async fn read_run(
    store: &Store,
    run_id: &str,
    benchmarks_dir: &Path,
) -> Result<RunData, ReportError> {
    let options = LoadOptions {
        rebuild: false,
        write_back: false,
    };
    read_run_with(store, run_id, benchmarks_dir, options, &mut Quiet).await
}

pub async fn read_run_with(
    store: &Store,
    run_id: &str,
    benchmarks_dir: &Path,
    options: LoadOptions,
    progress: &mut dyn RebuildProgress,
) -> Result<RunData, ReportError> {
    let plan = GroupPlan::read(store, run_id).await?;
    let (catalog, catalog_warnings) = TaskCatalog::load(benchmarks_dir, plan.suite.benchmark);
    let suite_gpus = plan.suite.resources.as_ref().map(|r| r.gpus);
    let mut warnings = plan.warnings.clone();
    let mut tasks: BTreeMap<String, TaskInfo> = BTreeMap::new();
    let mut rows = Vec::new();
    let mut attempts = Vec::new();
    // Each record becomes its row as it arrives and is dropped: only the rows are held.
    let source = plan
        .records(store, run_id, options, progress, &mut |record| {
            warnings.extend(record.warnings.iter().cloned());
            let info = tasks.entry(record.task.clone()).or_insert_with(|| {
                let fallback = match record.grade {
                    Some(GradeRecord::Research(_)) => Kind::Research,
                    _ => Kind::Competition,
                };
                catalog.info(&record.task, fallback, &mut warnings)
            });
            if let Some(s) = &record.status {
                attempts.extend(failed_attempts(&record.task, record.seed, s));
            }
            rows.push(build_row(run_id, &record, info, suite_gpus));
        })
        .await?;
    let suite = plan.suite;
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
        source,
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

fn build_row(run_id: &str, r: &RunRecord, info: &TaskInfo, suite_gpus: Option<u32>) -> RunRow {
    let report = match &r.grade {
        Some(GradeRecord::Competition(report)) => Some(report.as_ref()),
        _ => None,
    };
    let flag = |f: fn(&CompetitionReport) -> bool| report.is_some_and(f);
    let (score, percentile, normalized_score) = match (info.kind, &r.grade) {
        (Kind::Research, Some(GradeRecord::Research(record))) => (
            record.score,
            None,
            Some(
                record.normalized(
                    info.research
                        .as_ref()
                        .map(|c| (c.starting_score, c.reference_score)),
                ),
            ),
        ),
        // Ungraded, or a placeholder report: a research run without a score scores 0.
        (Kind::Research, _) => (None, None, Some(0.0)),
        (Kind::Competition, _) => {
            let score = report.and_then(|r| r.score);
            (
                score,
                info.leaderboard.as_ref().map(|t| t.percentile(score)),
                None,
            )
        }
    };
    let best_node_percentile = match &info.leaderboard {
        Some(table) => r
            .node_grades
            .iter()
            .map(|g| table.percentile(g.score))
            .reduce(f64::max),
        None => None,
    };
    let status = r.status.as_ref();
    let progress = r.progress.unwrap_or_default();
    let usage = r.usage.unwrap_or_default();
    let elapsed_s = status.and_then(|s| s.elapsed_s).or(progress.elapsed_s);
    let gpus = status
        .map(|s| s.gpus.len() as u32)
        .filter(|&g| g > 0)
        .or(info.gpus)
        .or(suite_gpus)
        .unwrap_or(0);
    RunRow {
        run_id: run_id.to_owned(),
        task: r.task.clone(),
        seed: r.seed,
        seed_index: 0,
        kind: info.kind.name(),
        complexity: info.complexity,
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
        graded: r.grade.is_some(),
        submission_exists: flag(|r| r.submission_exists),
        valid_submission: flag(|r| r.valid_submission),
        score,
        gold_medal: flag(|r| r.gold_medal),
        silver_medal: flag(|r| r.silver_medal),
        bronze_medal: flag(|r| r.bronze_medal),
        any_medal: flag(|r| r.flags().any_medal()),
        above_median: flag(|r| r.above_median),
        percentile,
        normalized_score,
        steps: progress
            .step
            .or_else(|| status.and_then(|s| s.step).map(|s| s as u64))
            .map(|s| s as u32),
        buggy_nodes: progress.buggy_nodes.map(|b| b as u32),
        cost_usd: usage
            .cost_usd
            .or_else(|| status.and_then(|s| s.cost_usd))
            .or(progress.cost_usd),
        input_tokens: usage.input_tokens,
        output_tokens: usage.output_tokens,
        elapsed_s,
        gpus,
        gpu_hours: elapsed_s.map(|e| e * f64::from(gpus) / 3600.0),
        best_node_percentile,
        selection_gap: best_node_percentile.zip(percentile).map(|(b, p)| b - p),
        best_node_medal: (!r.node_grades.is_empty())
            .then(|| r.node_grades.iter().any(|g| g.any_medal)),
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
