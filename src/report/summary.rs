//! One run's report: the summary (written as summary.json; what Markdown and HTML render)
//! and the per-run table (runs.csv, runs.parquet).

use std::collections::BTreeMap;

use polars::prelude::*;
use serde::Serialize;

use super::aggregate::{AggregateInput, Aggregates, SplitSpec, aggregate};
use super::collect::RunData;
use super::compare::{Comparison, compare};
use super::error::ReportError;
use super::frame::{attempts_frame, runs_frame};
use super::task_info::Kind;

/// The split of every competition in the run.
pub const RUN_SPLIT: &str = "run";

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub run_id: String,
    pub suite: Option<String>,
    pub benchmark: Option<String>,
    pub generated_at: String,
    /// Runs per state (`succeeded`, `failed`, ..., `missing`).
    pub states: BTreeMap<String, u64>,
    #[serde(flatten)]
    pub aggregates: Aggregates,
    /// Failed, preempted and cancelled attempts by reason, most frequent first.
    pub failures: Vec<FailureCount>,
    pub comparison: Option<Comparison>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailureCount {
    /// The reason up to its first `:`.
    pub reason: String,
    pub attempts: u64,
    /// One full reason of this kind.
    pub example: String,
}

pub struct Report {
    pub summary: Summary,
    pub runs: DataFrame,
}

impl Report {
    /// Aggregates `data`, compared with `baseline` when given (at level `alpha`).
    /// Blocking: polars runs its own threads and panics if called inside a current-thread
    /// tokio runtime, so call it outside `block_on`.
    pub fn build(
        data: &RunData,
        baseline: Option<&RunData>,
        alpha: f64,
        generated_at: &str,
    ) -> Result<Report, ReportError> {
        let runs = runs_frame(&data.rows)?;
        let splits = split_specs(data);
        let hidden: Vec<String> = data
            .tasks
            .iter()
            .filter(|(_, i)| i.research.as_ref().is_some_and(|r| !r.visible_to_agent))
            .map(|(t, _)| t.clone())
            .collect();
        let aggregates = aggregate(&AggregateInput {
            runs: &runs,
            splits: &splits,
            hidden_score_tasks: &hidden,
        })?;
        let states = runs
            .clone()
            .lazy()
            .group_by([col("state")])
            .agg([len().cast(DataType::Int64).alias("n")])
            .collect()?;
        let states = states
            .column("state")?
            .str()?
            .iter()
            .zip(states.column("n")?.i64()?.iter())
            .filter_map(|(s, n)| Some((s?.to_owned(), n?.max(0) as u64)))
            .collect();
        let mut warnings = data.warnings.clone();
        if let Some(b) = baseline {
            warnings.extend(b.warnings.iter().map(|w| format!("baseline: {w}")));
        }
        Ok(Report {
            summary: Summary {
                run_id: data.run_id.clone(),
                suite: data.suite.clone(),
                benchmark: data.benchmark.map(|b| b.to_string()),
                generated_at: generated_at.to_owned(),
                states,
                aggregates,
                failures: failures(data)?,
                comparison: baseline.map(|b| compare(&data.rows, &b.rows, &b.run_id, alpha)),
                warnings,
            },
            runs,
        })
    }
}

/// MLE-bench's splits when the run has MLE-bench competitions, then every competition of
/// the run (unless that is one of the splits already).
fn split_specs(data: &RunData) -> Vec<SplitSpec> {
    let mut specs: Vec<SplitSpec> = Vec::new();
    if data
        .rows
        .iter()
        .any(|r| matches!(r.complexity, Some("low" | "medium" | "high")))
    {
        specs.extend(data.mlebench_splits.iter().cloned());
    }
    let competitions: Vec<String> = data
        .tasks
        .iter()
        .filter(|(_, i)| i.kind == Kind::Competition)
        .map(|(t, _)| t.clone())
        .collect();
    let sorted = |v: &[String]| {
        let mut v = v.to_vec();
        v.sort();
        v
    };
    if !competitions.is_empty() && !specs.iter().any(|s| sorted(&s.tasks) == competitions) {
        specs.push(SplitSpec {
            name: RUN_SPLIT.to_owned(),
            tasks: competitions,
            complexities: None,
        });
    }
    specs
}

fn failures(data: &RunData) -> Result<Vec<FailureCount>, ReportError> {
    let df = attempts_frame(&data.attempts)?
        .lazy()
        .group_by([col("reason_kind")])
        .agg([
            len().cast(DataType::Int64).alias("attempts"),
            col("reason").first().alias("example"),
        ])
        .collect()?;
    let mut out: Vec<FailureCount> = df
        .column("reason_kind")?
        .str()?
        .iter()
        .zip(df.column("attempts")?.i64()?.iter())
        .zip(df.column("example")?.str()?.iter())
        .filter_map(|((r, n), e)| {
            Some(FailureCount {
                reason: r?.to_owned(),
                attempts: n?.max(0) as u64,
                example: e?.to_owned(),
            })
        })
        .collect();
    out.sort_by(|a, b| b.attempts.cmp(&a.attempts).then(a.reason.cmp(&b.reason)));
    Ok(out)
}
