//! The per-run and per-attempt tables as polars data frames, and their CSV and Parquet
//! bytes.

use polars::prelude::*;
use polars::series::IsSorted;

use super::row::{AttemptRow, RunRow};

fn column<'a, T, V>(name: &str, rows: &'a [T], f: impl Fn(&'a T) -> V) -> Column
where
    Series: NamedFrom<Vec<V>, [V]>,
{
    Series::new(name.into(), rows.iter().map(f).collect::<Vec<V>>()).into()
}

/// The columns of [`RunRow`], in its field order. When the rows come grouped by task (as
/// [`read_run`](super::read_run) gives them), the task column says so, which lets the
/// aggregation group by slices instead of hashing.
pub fn runs_frame(rows: &[RunRow]) -> PolarsResult<DataFrame> {
    let mut df = DataFrame::new(
        rows.len(),
        vec![
            column("run_id", rows, |r| r.run_id.as_str()),
            column("task", rows, |r| r.task.as_str()),
            column("seed", rows, |r| r.seed),
            column("seed_index", rows, |r| r.seed_index),
            column("kind", rows, |r| r.kind),
            column("complexity", rows, |r| r.complexity),
            column("state", rows, |r| r.state.as_str()),
            column("attempts", rows, |r| r.attempts),
            column("failure", rows, |r| r.failure.as_deref()),
            column("graded", rows, |r| r.graded),
            column("submission_exists", rows, |r| r.submission_exists),
            column("valid_submission", rows, |r| r.valid_submission),
            column("score", rows, |r| r.score),
            column("gold_medal", rows, |r| r.gold_medal),
            column("silver_medal", rows, |r| r.silver_medal),
            column("bronze_medal", rows, |r| r.bronze_medal),
            column("any_medal", rows, |r| r.any_medal),
            column("above_median", rows, |r| r.above_median),
            column("percentile", rows, |r| r.percentile),
            column("normalized_score", rows, |r| r.normalized_score),
            column("steps", rows, |r| r.steps),
            column("buggy_nodes", rows, |r| r.buggy_nodes),
            column("cost_usd", rows, |r| r.cost_usd),
            column("input_tokens", rows, |r| r.input_tokens),
            column("output_tokens", rows, |r| r.output_tokens),
            column("elapsed_s", rows, |r| r.elapsed_s),
            column("gpus", rows, |r| r.gpus),
            column("gpu_hours", rows, |r| r.gpu_hours),
            column("best_node_percentile", rows, |r| r.best_node_percentile),
            column("selection_gap", rows, |r| r.selection_gap),
            column("best_node_medal", rows, |r| r.best_node_medal),
        ],
    )?;
    if rows.windows(2).all(|w| w[0].task <= w[1].task) {
        let mut task = df.column("task")?.as_materialized_series().clone();
        task.set_sorted_flag(IsSorted::Ascending);
        df.with_column(Column::from(task))?;
    }
    Ok(df)
}

pub fn attempts_frame(rows: &[AttemptRow]) -> PolarsResult<DataFrame> {
    DataFrame::new(
        rows.len(),
        vec![
            column("task", rows, |r| r.task.as_str()),
            column("seed", rows, |r| r.seed),
            column("number", rows, |r| r.number),
            column("outcome", rows, |r| r.outcome),
            column("reason", rows, |r| r.reason.as_str()),
            column("reason_kind", rows, |r| r.reason_kind.as_str()),
        ],
    )
}

pub fn to_csv(df: &mut DataFrame) -> PolarsResult<Vec<u8>> {
    let mut out = Vec::new();
    CsvWriter::new(&mut out).finish(df)?;
    Ok(out)
}

pub fn to_parquet(df: &mut DataFrame) -> PolarsResult<Vec<u8>> {
    let mut out = Vec::new();
    ParquetWriter::new(&mut out).finish(df)?;
    Ok(out)
}
