//! `aide-fleet grade`: grade one submission for one task directory, as MLE-bench would.

use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow};
use clap::Args;
use serde::Deserialize;

use super::exit::{self, EXIT_CODES_HELP, Failure};
use super::output;
use crate::bench::demo::{column_problem, names_a_subpath};
use crate::grade::{
    CompetitionReport, CsvTable, GradeTask, Leaderboard, LeaderboardError, MetricKind,
    grade_submission,
};

const AFTER_HELP: &str = "\
The task directory is in MLE-bench's prepared layout:
  <dir>/prepared/public/sample_submission.csv   what the agent saw
  <dir>/prepared/private/answers.csv            the private answers
  <dir>/leaderboard.csv                         Kaggle leaderboard (optional)
  <dir>/task.yaml                               how to grade (demo tasks)

task.yaml (benchmarks/demo/<id>/task.yaml; unknown keys are ignored here):
  id: demo-binary              competition id [default: the directory name]
  metric: roc_auc              roc_auc, mean_column_roc_auc, accuracy, log_loss, rmse,
                               rmsle, qwk, mae, f1_binary, f1_macro, f1_micro, map_at_k, mcc
  metric_k: 5                  k, for map_at_k only
  lower_is_better: false       direction when there is no leaderboard
  id_column: id                [default: first column of the sample submission]
  target_columns: [target]     [default: the sample submission's other columns]
  answers: prepared/private/answers.csv                    [this default]
  sample_submission: prepared/public/sample_submission.csv [this default]
  leaderboard: leaderboard.csv [default: leaderboard.csv, else the shipped MLE-bench
                               leaderboard of that id, else none]
Without task.yaml (e.g. an MLE-bench data directory <data>/<id>), pass --metric.

The report is MLE-bench's CompetitionReport (same 16 fields, same meaning):
  score               metric value rounded to 5 decimals; null when missing or invalid
  gold/silver/bronze_threshold, median_threshold
                      leaderboard scores at the medal rows, median of all scores
  gold/silver/bronze_medal, any_medal
                      a score equal to a threshold earns it; medals are exclusive
  above_median        strictly better than the median
  submission_exists   the file exists and ends in .csv
  valid_submission    a score was computed
  is_lower_better     from the leaderboard (first row < last row)
  created_at, submission_path
plus `reason` (ours) saying why there is no score. The human-readable view also shows
the percentile: the percentage of leaderboard teams the score strictly beats.

Examples:
  aide-fleet grade --task benchmarks/demo/demo-binary --submission submission.csv
  aide-fleet grade --task ~/.cache/mle-bench/data/spaceship-titanic --metric accuracy \\
      --submission runs/st/best_submission/submission.csv --json

Exit status 0 means the submission was graded, valid or not (the report says which).
";

/// Grade a submission against a task's private answers and leaderboard (MLE-bench report).
#[derive(Debug, Args)]
#[command(after_long_help = format!("{AFTER_HELP}\n{EXIT_CODES_HELP}"))]
pub struct GradeArgs {
    /// Task or competition directory (MLE-bench prepared layout, see --help).
    #[arg(long, value_name = "DIR")]
    task: PathBuf,

    /// The submission CSV to grade.
    #[arg(long, value_name = "FILE")]
    submission: PathBuf,

    /// Metric, overriding task.yaml (required when the directory has none).
    #[arg(long, value_name = "KIND")]
    metric: Option<MetricKind>,

    /// k for map_at_k, overriding task.yaml.
    #[arg(long, value_name = "K")]
    metric_k: Option<u32>,

    /// Print the report as JSON (MLE-bench's field names and order) instead of a table.
    #[arg(long)]
    json: bool,
}

/// The keys of `benchmarks/demo/<id>/task.yaml` that grading reads.
#[derive(Debug, Default, Deserialize)]
struct TaskFile {
    id: Option<String>,
    kind: Option<String>,
    metric: Option<MetricKind>,
    metric_k: Option<u32>,
    lower_is_better: Option<bool>,
    id_column: Option<String>,
    target_columns: Option<Vec<String>>,
    answers: Option<PathBuf>,
    sample_submission: Option<PathBuf>,
    leaderboard: Option<PathBuf>,
}

pub fn run(args: GradeArgs) -> Result<u8, Failure> {
    let task = load_task(&args).map_err(Failure::usage)?;
    let report = grade_submission(&task, &args.submission);
    if args.json {
        output::print_line(&report.to_json())?;
    } else {
        output::print(render(&report, task.leaderboard.as_ref()))?;
    }
    Ok(exit::OK)
}

fn load_task(args: &GradeArgs) -> anyhow::Result<GradeTask> {
    let dir = &args.task;
    if !dir.is_dir() {
        return Err(anyhow!("task directory {} does not exist", dir.display()));
    }
    let file = read_task_file(dir)?;
    check_task_file(dir, &file)?;
    if file.kind.as_deref() == Some("re") {
        return Err(anyhow!(
            "{} is an RE-style task (kind: re): its score command rates it, not `grade`",
            dir.display()
        ));
    }
    let metric = args.metric.or(file.metric).ok_or_else(|| {
        anyhow!(
            "{} has no task.yaml naming the metric; pass --metric (one of {})",
            dir.display(),
            MetricKind::ALL.map(MetricKind::name).join(", ")
        )
    })?;
    let id = match &file.id {
        Some(id) => id.clone(),
        None => dir
            .canonicalize()
            .ok()
            .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "unknown".to_string()),
    };
    let answers = dir.join(
        file.answers
            .clone()
            .unwrap_or_else(|| "prepared/private/answers.csv".into()),
    );
    let sample = dir.join(
        file.sample_submission
            .clone()
            .unwrap_or_else(|| "prepared/public/sample_submission.csv".into()),
    );
    // Column defaults come from the sample submission, as the agent saw them.
    let sample_headers = if sample.is_file() {
        CsvTable::read(&sample)
            .with_context(|| "cannot take column names from the sample submission")?
            .headers
    } else {
        Vec::new()
    };
    let id_column = match (&file.id_column, sample_headers.first()) {
        (Some(c), _) => c.clone(),
        (None, Some(c)) => c.clone(),
        (None, None) => CsvTable::read(&answers)
            .context("no sample submission to take the id column from")?
            .headers[0]
            .clone(),
    };
    let target_columns = file.target_columns.clone().unwrap_or_else(|| {
        sample_headers
            .iter()
            .filter(|h| **h != id_column)
            .cloned()
            .collect()
    });
    if let Some(problem) = column_problem(&id_column, &target_columns) {
        return Err(anyhow!(
            "{}: `target_columns` {problem}",
            dir.join("task.yaml").display()
        ));
    }

    let mut task = GradeTask::new(id, metric, answers, id_column);
    task.target_columns = target_columns;
    task.lower_is_better = file.lower_is_better;
    task.options.metric_k = args.metric_k.or(file.metric_k);
    task.leaderboard = load_leaderboard(dir, &file, &task.competition_id)?;
    Ok(task)
}

fn read_task_file(dir: &Path) -> anyhow::Result<TaskFile> {
    let path = dir.join("task.yaml");
    if !path.is_file() {
        return Ok(TaskFile::default());
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    serde_saphyr::from_str(&text)
        .with_context(|| format!("{} is not a valid task file", path.display()))
}

/// The paths of task.yaml stay inside the task directory, as the suite loader demands:
/// `answers: ../../etc/passwd` would grade against any file the user can read.
fn check_task_file(dir: &Path, file: &TaskFile) -> anyhow::Result<()> {
    for (field, path) in [
        ("answers", &file.answers),
        ("sample_submission", &file.sample_submission),
        ("leaderboard", &file.leaderboard),
    ] {
        if let Some(path) = path
            && !names_a_subpath(path)
        {
            return Err(anyhow!(
                "{}: `{field}` is `{}`; expected a relative path to a file inside the task directory",
                dir.join("task.yaml").display(),
                path.display()
            ));
        }
    }
    Ok(())
}

/// task.yaml's leaderboard, else `<dir>/leaderboard.csv`, else the shipped MLE-bench one.
fn load_leaderboard(dir: &Path, file: &TaskFile, id: &str) -> anyhow::Result<Option<Leaderboard>> {
    let local = dir.join(
        file.leaderboard
            .clone()
            .unwrap_or_else(|| "leaderboard.csv".into()),
    );
    if file.leaderboard.is_some() || local.is_file() {
        return Ok(Some(Leaderboard::read(&local)?));
    }
    match Leaderboard::for_competition(id) {
        Ok(lb) => Ok(Some(lb)),
        Err(
            LeaderboardError::UnknownCompetition { .. }
            | LeaderboardError::BenchmarksDir(_)
            | LeaderboardError::BadCompetitionId { .. },
        ) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn number(x: Option<f64>) -> String {
    x.map_or_else(|| "-".to_string(), |x| x.to_string())
}

/// The report as aligned `key  value` lines.
fn render(r: &CompetitionReport, leaderboard: Option<&Leaderboard>) -> String {
    let medal = if r.gold_medal {
        "gold"
    } else if r.silver_medal {
        "silver"
    } else if r.bronze_medal {
        "bronze"
    } else {
        "none"
    };
    let mut rows: Vec<(&str, String)> = vec![
        ("competition", r.competition_id.clone()),
        (
            "submission",
            format!(
                "{} (exists: {})",
                r.submission_path,
                yes_no(r.submission_exists)
            ),
        ),
        ("valid", yes_no(r.valid_submission).to_string()),
        ("score", number(r.score)),
        ("lower is better", yes_no(r.is_lower_better).to_string()),
    ];
    if let Some(reason) = &r.reason {
        rows.push(("reason", reason.clone()));
    }
    match leaderboard {
        Some(lb) => {
            rows.push(("medal", medal.to_string()));
            rows.push(("above median", yes_no(r.above_median).to_string()));
            let teams = lb.scores().len();
            let percentile = lb.rank(r.score).percentile.map_or_else(
                || "-".to_string(),
                |p| {
                    let beaten = (p * teams as f64 / 100.0).round();
                    format!("{p:.2} (beats {beaten} of {teams} teams)")
                },
            );
            rows.push(("percentile", percentile));
            rows.push((
                "thresholds",
                format!(
                    "gold {} / silver {} / bronze {} / median {}",
                    number(r.gold_threshold),
                    number(r.silver_threshold),
                    number(r.bronze_threshold),
                    number(r.median_threshold)
                ),
            ));
        }
        None => rows.push(("leaderboard", "none (no medals or percentile)".to_string())),
    }
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    rows.iter()
        .map(|(k, v)| format!("{k:<width$}  {v}\n"))
        .collect()
}
