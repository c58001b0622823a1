//! The aggregation: one polars (lazy) group-by over the per-run table, per task, on a
//! table grouped by task (so polars aggregates contiguous slices), plus one pass over the
//! flag bitmaps for the per-seed sums MLE-bench's split numbers need
//! ([`SeedTable`]). Everything else (the per-split numbers, pass@k, score@k, cost per
//! medal) is arithmetic on their few rows. The last step of MLE-bench's numbers (mean and
//! standard error across seeds) goes through [`AggregateMetrics::across`], so a run's
//! split figures equal the official script's bit for bit.

use std::collections::BTreeMap;

use polars::prelude::*;
use polars::series::IsSorted;
use serde::Serialize;

use super::official::{AggregateMetric, AggregateMetrics};
use super::pass_at_k::{pass_at_ks, report_ks};
use super::score_at_k::score_at_k;
use super::seed_sums::{FLAGS, SeedTable, TaskBlock};
use crate::grade::MedalCounts;

/// A group of competitions reported together (MLE-bench's `low`, `medium`, `high`, `all`,
/// or every competition of the run).
#[derive(Debug, Clone, PartialEq)]
pub struct SplitSpec {
    pub name: String,
    /// The split's competitions; the split is reported only when the run has them all.
    pub tasks: Vec<String>,
    /// The complexity values whose rows make up the split; `None`: every competition row.
    pub complexities: Option<Vec<String>>,
}

pub struct AggregateInput<'a> {
    pub runs: &'a DataFrame,
    pub splits: &'a [SplitSpec],
    /// Research tasks whose agent does not see its score: score@k takes a random run.
    pub hidden_score_tasks: &'a [String],
}

/// A value at k (pass@k, score@k).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AtK {
    pub k: usize,
    pub value: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskStats {
    pub task: String,
    pub kind: String,
    pub complexity: Option<String>,
    pub seeds: u64,
    pub graded: u64,
    pub failed_runs: u64,
    pub submissions: u64,
    pub valid_submissions: u64,
    pub gold: u64,
    pub silver: u64,
    pub bronze: u64,
    pub any_medal: u64,
    pub above_median: u64,
    /// Mean and standard error (ddof 1) over seeds.
    pub percentile: Option<MeanSe>,
    pub normalized_score: Option<MeanSe>,
    pub cost_usd: f64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub elapsed_s: f64,
    pub gpu_hours: f64,
    /// Mean over the runs whose nodes were graded.
    pub selection_gap: Option<f64>,
    pub pass_at_k: Vec<AtK>,
    pub score_at_k: Vec<AtK>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MeanSe {
    pub mean: f64,
    pub standard_error: f64,
    pub n: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SplitStats {
    pub name: String,
    pub competitions: usize,
    /// Split competitions this run lacks; the split is not aggregated when any are missing.
    pub missing: Vec<String>,
    pub complete_seeds: usize,
    /// MLE-bench's numbers, exactly as its aggregation computes them.
    pub official: Option<AggregateMetrics>,
    /// Our extension: the mean leaderboard percentile of each complete seed, then mean and
    /// standard error across seeds.
    pub percentile: Option<AggregateMetric>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResearchStats {
    pub tasks: usize,
    pub complete_seeds: usize,
    /// Mean normalised score of each complete seed, then mean and SE across seeds.
    pub normalized_score: AggregateMetric,
    /// Mean over tasks of each task's score@k.
    pub score_at_k: Vec<AtK>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SelectionStats {
    /// Runs with per-node grades.
    pub runs: u64,
    /// Mean percentile points lost by selecting the best node by validation metric.
    pub mean_gap: f64,
    /// Percentage of those runs where some node earned a medal, and where the selected did.
    pub oracle_any_medal_percentage: f64,
    pub selected_any_medal_percentage: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Totals {
    pub runs: u64,
    pub graded: u64,
    pub failed_runs: u64,
    pub medals: u64,
    pub cost_usd: f64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Summed over runs (not the run group's wall-clock span).
    pub elapsed_s: f64,
    pub gpu_hours: f64,
    pub cost_usd_per_medal: Option<f64>,
    pub elapsed_s_per_medal: Option<f64>,
    pub gpu_hours_per_medal: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Aggregates {
    pub tasks: Vec<TaskStats>,
    pub splits: Vec<SplitStats>,
    /// pass@k for any medal, averaged over competitions, at the k every competition has
    /// (all k up to 20 seeds, then powers of two and the seed count).
    pub pass_at_k: Vec<AtK>,
    pub research: Option<ResearchStats>,
    pub selection: Option<SelectionStats>,
    pub totals: Totals,
}

fn count(name: &str) -> Expr {
    col(name).sum().cast(DataType::Int64).alias(name)
}

pub fn aggregate(input: &AggregateInput) -> PolarsResult<Aggregates> {
    let runs = sorted_by_task(input.runs)?;
    let mut per_task_exprs: Vec<Expr> = vec![
        col("kind").first(),
        col("complexity").first(),
        len().cast(DataType::Int64).alias("seeds"),
        col("state")
            .eq(lit("failed"))
            .sum()
            .cast(DataType::Int64)
            .alias("failed_runs"),
    ];
    for value in ["percentile", "normalized_score"] {
        per_task_exprs.extend([
            col(value).mean().alias(format!("{value}_mean")),
            col(value).std(1).alias(format!("{value}_std")),
            col(value)
                .count()
                .cast(DataType::Int64)
                .alias(format!("{value}_n")),
        ]);
    }
    per_task_exprs.extend([
        col("cost_usd").sum(),
        count("input_tokens"),
        count("output_tokens"),
        col("elapsed_s").sum(),
        col("gpu_hours").sum(),
        col("selection_gap").mean(),
        col("selection_gap")
            .count()
            .cast(DataType::Int64)
            .alias("graded_trees"),
        count("best_node_medal").alias("oracle_medals"),
        col("any_medal")
            .and(col("best_node_medal").is_not_null())
            .sum()
            .cast(DataType::Int64)
            .alias("selected_medals"),
    ]);
    let per_task = runs
        .clone()
        .lazy()
        .group_by([col("task")])
        .agg(per_task_exprs)
        .sort(["task"], SortMultipleOptions::default())
        .collect_with_engine(Engine::InMemory)?
        .unwrap_single();

    let kinds = str_column(&per_task, "kind")?;
    let complexities = str_column(&per_task, "complexity")?;
    let seed_counts = i64_column(&per_task, "seeds")?;
    let blocks: Vec<TaskBlock> = (0..per_task.height())
        .map(|i| TaskBlock {
            rows: seed_counts[i] as usize,
            kind: kinds[i].as_deref(),
            complexity: complexities[i].as_deref(),
        })
        .collect();
    let seeds = SeedTable::sum(&runs, &blocks)?.ok_or_else(|| {
        PolarsError::ComputeError("the per-task counts do not cover the table".into())
    })?;
    let research_scores = if kinds.iter().any(|k| k.as_deref() == Some("research")) {
        research_scores(&runs)?
    } else {
        BTreeMap::new()
    };
    let tasks = task_stats(
        &per_task,
        &seeds,
        &research_scores,
        input.hidden_score_tasks,
    )?;
    Ok(Aggregates {
        splits: splits(input.splits, &tasks, &seeds),
        pass_at_k: mean_at_k(
            tasks
                .iter()
                .filter(|t| t.kind == "competition")
                .map(|t| &t.pass_at_k),
        ),
        research: research(&tasks, &seeds),
        selection: selection(&per_task)?,
        totals: totals(&tasks),
        tasks,
    })
}

/// The table with its rows grouped by task, and polars told so: a group-by on a column
/// flagged sorted works on contiguous slices, several times faster than on hashed groups.
/// Tables from [`runs_frame`](super::runs_frame) are sorted already; others are sorted here.
fn sorted_by_task(runs: &DataFrame) -> PolarsResult<DataFrame> {
    let task = runs.column("task")?.as_materialized_series();
    if task.is_sorted_flag() == IsSorted::Ascending {
        return Ok(runs.clone());
    }
    let mut df = if task.is_sorted(SortOptions::default())? {
        runs.clone()
    } else {
        runs.sort(["task", "seed_index"], SortMultipleOptions::default())?
    };
    let mut task = df.column("task")?.as_materialized_series().clone();
    task.set_sorted_flag(IsSorted::Ascending);
    df.with_column(Column::from(task))?;
    Ok(df)
}

fn i64_column(df: &DataFrame, name: &str) -> PolarsResult<Vec<u64>> {
    Ok(df
        .column(name)?
        .i64()?
        .iter()
        .map(|v| v.unwrap_or(0).max(0) as u64)
        .collect())
}

fn f64_column(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<f64>>> {
    Ok(df.column(name)?.f64()?.iter().collect())
}

fn str_column(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<String>>> {
    Ok(df
        .column(name)?
        .str()?
        .iter()
        .map(|s| s.map(str::to_owned))
        .collect())
}

/// Each research task's normalised scores, for score@k.
fn research_scores(runs: &DataFrame) -> PolarsResult<BTreeMap<String, Vec<f64>>> {
    let df = runs
        .clone()
        .lazy()
        .filter(
            col("kind")
                .eq(lit("research"))
                .and(col("normalized_score").is_not_null()),
        )
        .select([col("task"), col("normalized_score")])
        .collect()?;
    let mut scores: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for (task, score) in str_column(&df, "task")?
        .iter()
        .zip(f64_column(&df, "normalized_score")?)
    {
        if let (Some(task), Some(score)) = (task, score) {
            scores.entry(task.clone()).or_default().push(score);
        }
    }
    Ok(scores)
}

fn mean_se(mean: Option<f64>, std: Option<f64>, n: u64) -> Option<MeanSe> {
    Some(MeanSe {
        mean: mean?,
        standard_error: if n > 1 {
            std.unwrap_or(0.0) / (n as f64).sqrt()
        } else {
            0.0
        },
        n,
    })
}

fn task_stats(
    df: &DataFrame,
    seeds: &SeedTable,
    research_scores: &BTreeMap<String, Vec<f64>>,
    hidden: &[String],
) -> PolarsResult<Vec<TaskStats>> {
    let task = str_column(df, "task")?;
    let kind = str_column(df, "kind")?;
    let complexity = str_column(df, "complexity")?;
    let ints: BTreeMap<&str, Vec<u64>> = [
        "seeds",
        "failed_runs",
        "percentile_n",
        "normalized_score_n",
        "input_tokens",
        "output_tokens",
    ]
    .iter()
    .map(|name| Ok((*name, i64_column(df, name)?)))
    .collect::<PolarsResult<_>>()?;
    let floats: BTreeMap<&str, Vec<Option<f64>>> = [
        "percentile_mean",
        "percentile_std",
        "normalized_score_mean",
        "normalized_score_std",
        "cost_usd",
        "elapsed_s",
        "gpu_hours",
        "selection_gap",
    ]
    .iter()
    .map(|name| Ok((*name, f64_column(df, name)?)))
    .collect::<PolarsResult<_>>()?;
    let int = |name: &str, i: usize| ints[name][i];
    let float = |name: &str, i: usize| floats[name][i];
    Ok((0..df.height())
        .map(|i| {
            let name = task[i].clone().unwrap_or_default();
            let kind = kind[i].clone().unwrap_or_default();
            let flags = seeds.task_counts(i);
            let flag = |name: &str| {
                FLAGS
                    .iter()
                    .position(|f| *f == name)
                    .map_or(0, |f| flags[f])
            };
            let seeds = int("seeds", i);
            let pass = if kind == "competition" && flag("any_medal") <= seeds {
                let ks = report_ks(seeds as usize);
                let values = pass_at_ks(seeds as usize, flag("any_medal") as usize, &ks);
                ks.into_iter()
                    .zip(values)
                    .map(|(k, value)| AtK { k, value })
                    .collect()
            } else {
                Vec::new()
            };
            let scores = research_scores.get(&name).map(Vec::as_slice).unwrap_or(&[]);
            let score_at = report_ks(scores.len())
                .into_iter()
                .filter_map(|k| {
                    let value = if hidden.contains(&name) {
                        scores.iter().sum::<f64>() / scores.len() as f64
                    } else {
                        score_at_k(scores, k)?
                    };
                    Some(AtK { k, value })
                })
                .collect();
            TaskStats {
                percentile: mean_se(
                    float("percentile_mean", i),
                    float("percentile_std", i),
                    int("percentile_n", i),
                ),
                normalized_score: mean_se(
                    float("normalized_score_mean", i),
                    float("normalized_score_std", i),
                    int("normalized_score_n", i),
                ),
                task: name,
                kind,
                complexity: complexity[i].clone(),
                seeds,
                graded: flag("graded"),
                failed_runs: int("failed_runs", i),
                submissions: flag("submission_exists"),
                valid_submissions: flag("valid_submission"),
                gold: flag("gold_medal"),
                silver: flag("silver_medal"),
                bronze: flag("bronze_medal"),
                any_medal: flag("any_medal"),
                above_median: flag("above_median"),
                cost_usd: float("cost_usd", i).unwrap_or(0.0),
                input_tokens: int("input_tokens", i),
                output_tokens: int("output_tokens", i),
                elapsed_s: float("elapsed_s", i).unwrap_or(0.0),
                gpu_hours: float("gpu_hours", i).unwrap_or(0.0),
                selection_gap: float("selection_gap", i),
                pass_at_k: pass,
                score_at_k: score_at,
            }
        })
        .collect())
}

fn splits(specs: &[SplitSpec], tasks: &[TaskStats], seeds: &SeedTable) -> Vec<SplitStats> {
    let by_name: BTreeMap<&str, &TaskStats> = tasks.iter().map(|t| (t.task.as_str(), t)).collect();
    specs
        .iter()
        .map(|spec| {
            let missing: Vec<String> = spec
                .tasks
                .iter()
                .filter(|t| !by_name.contains_key(t.as_str()))
                .cloned()
                .collect();
            let complete_seeds = if missing.is_empty() {
                spec.tasks
                    .iter()
                    .map(|t| by_name[t.as_str()].seeds as usize)
                    .min()
                    .unwrap_or(0)
            } else {
                0
            };
            let sums = seeds.per_seed(complete_seeds, |g| {
                g.kind.as_deref() == Some("competition")
                    && spec
                        .complexities
                        .as_ref()
                        .is_none_or(|c| g.complexity.as_ref().is_some_and(|x| c.contains(x)))
            });
            let m = spec.tasks.len();
            let counts: Vec<MedalCounts> = sums
                .iter()
                .map(|s| MedalCounts {
                    total_competitions: m,
                    submission_exists: s.counts[1] as usize,
                    valid_submissions: s.counts[2] as usize,
                    above_median: s.counts[3] as usize,
                    gold_medals: s.counts[4] as usize,
                    silver_medals: s.counts[5] as usize,
                    bronze_medals: s.counts[6] as usize,
                    any_medals: s.counts[7] as usize,
                })
                .collect();
            let percentiles: Vec<f64> = sums
                .iter()
                .filter(|s| s.percentile_n > 0)
                .map(|s| s.percentile_sum / s.percentile_n as f64)
                .collect();
            SplitStats {
                name: spec.name.clone(),
                competitions: m,
                missing,
                complete_seeds,
                official: AggregateMetrics::across(&counts, m),
                percentile: (!percentiles.is_empty() && percentiles.len() == sums.len())
                    .then(|| AggregateMetric::of(&percentiles)),
            }
        })
        .collect()
}

/// The mean over `series` at each k that every series has.
fn mean_at_k<'a>(series: impl Iterator<Item = &'a Vec<AtK>>) -> Vec<AtK> {
    let series: Vec<&Vec<AtK>> = series.collect();
    let Some(first) = series.first() else {
        return Vec::new();
    };
    first
        .iter()
        .filter_map(|at| {
            let values: Vec<f64> = series
                .iter()
                .filter_map(|s| s.iter().find(|x| x.k == at.k).map(|x| x.value))
                .collect();
            (values.len() == series.len()).then(|| AtK {
                k: at.k,
                value: values.iter().sum::<f64>() / values.len() as f64,
            })
        })
        .collect()
}

fn research(tasks: &[TaskStats], seeds: &SeedTable) -> Option<ResearchStats> {
    let research: Vec<&TaskStats> = tasks.iter().filter(|t| t.kind == "research").collect();
    let complete_seeds = research.iter().map(|t| t.seeds as usize).min()?;
    let per_seed: Vec<f64> = seeds
        .per_seed(complete_seeds, |g| g.kind.as_deref() == Some("research"))
        .iter()
        .map(|s| s.normalized_sum / research.len() as f64)
        .collect();
    Some(ResearchStats {
        tasks: research.len(),
        complete_seeds,
        normalized_score: AggregateMetric::of(&per_seed),
        score_at_k: mean_at_k(research.iter().map(|t| &t.score_at_k)),
    })
}

fn selection(per_task: &DataFrame) -> PolarsResult<Option<SelectionStats>> {
    let runs: u64 = i64_column(per_task, "graded_trees")?.iter().sum();
    if runs == 0 {
        return Ok(None);
    }
    let gaps = f64_column(per_task, "selection_gap")?;
    let counts = i64_column(per_task, "graded_trees")?;
    let gap_sum: f64 = gaps
        .iter()
        .zip(&counts)
        .map(|(g, &n)| g.unwrap_or(0.0) * n as f64)
        .sum();
    let oracle: u64 = i64_column(per_task, "oracle_medals")?.iter().sum();
    let selected: u64 = i64_column(per_task, "selected_medals")?.iter().sum();
    let pct = |c: u64| 100.0 * c as f64 / runs as f64;
    Ok(Some(SelectionStats {
        runs,
        mean_gap: gap_sum / runs as f64,
        oracle_any_medal_percentage: pct(oracle),
        selected_any_medal_percentage: pct(selected),
    }))
}

fn totals(tasks: &[TaskStats]) -> Totals {
    let sum_u = |f: fn(&TaskStats) -> u64| tasks.iter().map(f).sum::<u64>();
    // From +0.0: `sum` of no floats is -0.0.
    let sum_f = |f: fn(&TaskStats) -> f64| tasks.iter().map(f).fold(0.0, |a, b| a + b);
    let medals = sum_u(|t| t.any_medal);
    let per_medal = |x: f64| (medals > 0).then(|| x / medals as f64);
    let cost_usd = sum_f(|t| t.cost_usd);
    let elapsed_s = sum_f(|t| t.elapsed_s);
    let gpu_hours = sum_f(|t| t.gpu_hours);
    Totals {
        runs: sum_u(|t| t.seeds),
        graded: sum_u(|t| t.graded),
        failed_runs: sum_u(|t| t.failed_runs),
        medals,
        cost_usd,
        input_tokens: sum_u(|t| t.input_tokens),
        output_tokens: sum_u(|t| t.output_tokens),
        elapsed_s,
        gpu_hours,
        cost_usd_per_medal: per_medal(cost_usd),
        elapsed_s_per_medal: per_medal(elapsed_s),
        gpu_hours_per_medal: per_medal(gpu_hours),
    }
}
