//! A run against a baseline run: deltas per task and overall, each with a one-sided
//! permutation test over seeds, Holm-corrected together, so that the chance a report of
//! an unchanged agent flags anything is at most `alpha`. See docs/report.md.

use std::collections::BTreeMap;

use serde::Serialize;

use super::row::RunRow;
use super::significance::{holm, permutation_p_lower, stratified_p_lower};

/// The default significance level.
pub const DEFAULT_ALPHA: f64 = 0.05;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub baseline_run_id: String,
    pub alpha: f64,
    /// `any_medal_percentage`, `mean_percentile`, `mean_normalized_score`, over the tasks
    /// both runs have.
    pub overall: Vec<Delta>,
    /// Per task: leaderboard percentile (competitions) or normalised score (research).
    pub tasks: Vec<Delta>,
    pub only_in_current: Vec<String>,
    pub only_in_baseline: Vec<String>,
    /// Some delta is a significant drop.
    pub regression: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Delta {
    /// The task, or the overall metric's name.
    pub name: String,
    /// What is compared: `percentile`, `normalized_score` or `any_medal`.
    pub metric: &'static str,
    pub current: f64,
    pub baseline: f64,
    pub delta: f64,
    /// Seeds (a task) or tasks (overall) behind each side.
    pub current_n: usize,
    pub baseline_n: usize,
    /// One-sided: the chance of a drop at least this large if nothing changed.
    pub p_value: Option<f64>,
    /// After Holm's correction over every test of the comparison.
    pub p_adjusted: Option<f64>,
    pub significant_drop: bool,
}

/// One run's value of a compared metric; `None` when the run has none.
type Metric = fn(&RunRow) -> Option<f64>;

/// Per task, the per-seed values of one metric; a task lacking the metric is absent.
fn values(rows: &[RunRow], metric: Metric) -> BTreeMap<&str, Vec<f64>> {
    let mut out: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for row in rows {
        if let Some(v) = metric(row) {
            out.entry(row.task.as_str()).or_default().push(v);
        }
    }
    out
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn task_metric(row: &RunRow) -> Option<f64> {
    row.percentile.or(row.normalized_score)
}

fn any_medal(row: &RunRow) -> Option<f64> {
    (row.kind == "competition").then_some(if row.any_medal { 100.0 } else { 0.0 })
}

pub fn compare(
    current: &[RunRow],
    baseline: &[RunRow],
    baseline_run_id: &str,
    alpha: f64,
) -> Comparison {
    let tasks_of = |rows: &[RunRow]| -> Vec<String> {
        let mut t: Vec<String> = rows.iter().map(|r| r.task.clone()).collect();
        t.dedup();
        t
    };
    let (cur_tasks, base_tasks) = (tasks_of(current), tasks_of(baseline));
    let only = |a: &[String], b: &[String]| -> Vec<String> {
        a.iter().filter(|t| !b.contains(t)).cloned().collect()
    };

    let mut deltas = Vec::new();
    let overall_metrics: [(&str, &'static str, Metric); 3] = [
        ("any_medal_percentage", "any_medal", any_medal),
        ("mean_percentile", "percentile", |r| r.percentile),
        ("mean_normalized_score", "normalized_score", |r| {
            r.normalized_score
        }),
    ];
    for (name, metric, f) in overall_metrics {
        let (cur, base) = (values(current, f), values(baseline, f));
        let strata: Vec<(Vec<f64>, Vec<f64>)> = cur
            .iter()
            .filter_map(|(t, c)| Some((c.clone(), base.get(t)?.clone())))
            .collect();
        if strata.is_empty() {
            continue;
        }
        let side = |i: usize| {
            strata
                .iter()
                .map(|s| mean(if i == 0 { &s.0 } else { &s.1 }))
                .sum::<f64>()
                / strata.len() as f64
        };
        let (c, b) = (side(0), side(1));
        deltas.push(Delta {
            name: name.to_owned(),
            metric,
            current: c,
            baseline: b,
            delta: c - b,
            current_n: strata.len(),
            baseline_n: strata.len(),
            // With one task this is that task's own test, which follows: not counted twice.
            p_value: (strata.len() > 1)
                .then(|| stratified_p_lower(&strata))
                .flatten(),
            p_adjusted: None,
            significant_drop: false,
        });
    }
    let overall_count = deltas.len();
    let (cur, base) = (values(current, task_metric), values(baseline, task_metric));
    for (task, c) in &cur {
        let Some(b) = base.get(task) else { continue };
        let metric = if current
            .iter()
            .any(|r| r.task == *task && r.percentile.is_some())
        {
            "percentile"
        } else {
            "normalized_score"
        };
        let (cm, bm) = (mean(c), mean(b));
        deltas.push(Delta {
            name: (*task).to_owned(),
            metric,
            current: cm,
            baseline: bm,
            delta: cm - bm,
            current_n: c.len(),
            baseline_n: b.len(),
            p_value: permutation_p_lower(c, b),
            p_adjusted: None,
            significant_drop: false,
        });
    }

    let tested: Vec<usize> = (0..deltas.len())
        .filter(|&i| deltas[i].p_value.is_some())
        .collect();
    let ps: Vec<f64> = tested.iter().filter_map(|&i| deltas[i].p_value).collect();
    for (&i, adjusted) in tested.iter().zip(holm(&ps)) {
        let d = &mut deltas[i];
        d.p_adjusted = Some(adjusted);
        d.significant_drop = d.delta < 0.0 && adjusted <= alpha;
    }
    let tasks = deltas.split_off(overall_count);
    Comparison {
        baseline_run_id: baseline_run_id.to_owned(),
        alpha,
        regression: deltas.iter().chain(&tasks).any(|d| d.significant_drop),
        overall: deltas,
        tasks,
        only_in_current: only(&cur_tasks, &base_tasks),
        only_in_baseline: only(&base_tasks, &cur_tasks),
    }
}
