//! Grading one submission: validate against the answers, compute the metric (natively or
//! with an external command), round, rank on the leaderboard, report.

use std::path::Path;

use super::external::{ExternalError, run_external};
use super::label::Label;
use super::metric_kind::MetricKind;
use super::metrics::{self, MetricError};
use super::report::{CompetitionReport, now_isoformat};
use super::round::round_score;
use super::table::{CsvTable, parse_number};
use super::task::GradeTask;
use super::validate::{SubmissionError, duplicate_ids, validate_against_answers};

/// Why a submission got no score. The report's `reason` is this, as a sentence.
#[derive(Debug, thiserror::Error)]
pub enum GradeError {
    #[error("invalid submission: {0}")]
    Submission(SubmissionError),
    #[error("the answers file is unusable: {0}")]
    Answers(String),
    #[error("the task cannot be graded: {0}")]
    Task(String),
    #[error("the metric has no value for this submission: {0}")]
    Metric(MetricError),
    #[error("the external grader failed: {0}")]
    External(ExternalError),
    #[error("the metric value {0} is not a finite number (an overflow)")]
    NotFinite(f64),
}

crate::causes::cause_from!(
    GradeError::Submission(SubmissionError),
    GradeError::Metric(MetricError),
    GradeError::External(ExternalError),
);

/// Grades `submission` for `task`. Never fails and never panics: a missing file, an invalid
/// submission, unusable answers, an undefined metric or a failing external grader all give
/// a report with `valid_submission: false` and the cause in `reason`.
pub fn grade_submission(task: &GradeTask, submission: &Path) -> CompetitionReport {
    let is_csv = submission
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let submission_exists = submission.is_file() && is_csv;
    let outcome = if !submission.is_file() {
        Err(format!("no submission file at {}", submission.display()))
    } else if !is_csv {
        Err(format!("{} is not a .csv file", submission.display()))
    } else {
        score_submission(task, submission)
            .map(round_score)
            .map_err(|e| e.to_string())
    };
    let (score, reason) = match outcome {
        Ok(score) => (Some(score), None),
        Err(reason) => (None, Some(reason)),
    };
    let rank = task.leaderboard.as_ref().map(|lb| lb.rank(score));
    let is_lower_better = match &rank {
        Some(r) => r.is_lower_better,
        None => task
            .lower_is_better
            .or(task.metric.lower_is_better())
            .unwrap_or(false),
    };
    CompetitionReport {
        competition_id: task.competition_id.clone(),
        score,
        gold_threshold: rank.map(|r| r.gold_threshold),
        silver_threshold: rank.map(|r| r.silver_threshold),
        bronze_threshold: rank.map(|r| r.bronze_threshold),
        median_threshold: rank.map(|r| r.median_threshold),
        any_medal: rank.is_some_and(|r| r.any_medal),
        gold_medal: rank.is_some_and(|r| r.gold_medal),
        silver_medal: rank.is_some_and(|r| r.silver_medal),
        bronze_medal: rank.is_some_and(|r| r.bronze_medal),
        above_median: rank.is_some_and(|r| r.above_median),
        submission_exists,
        valid_submission: score.is_some(),
        is_lower_better,
        created_at: now_isoformat(),
        submission_path: submission.display().to_string(),
        reason,
    }
}

/// The metric value of `submission` for `task`, unrounded.
pub fn score_submission(task: &GradeTask, submission: &Path) -> Result<f64, GradeError> {
    match (task.metric, &task.external) {
        (MetricKind::External, Some(grader)) => {
            Ok(run_external(grader, submission, &task.answers)?)
        }
        (MetricKind::External, None) => Err(GradeError::Task(
            "its metric is `external` but it names no grader command".to_string(),
        )),
        (metric, Some(_)) => Err(GradeError::Task(format!(
            "it names a grader command but its metric is the native `{}`; use `external`",
            metric.name()
        ))),
        (_, None) => score_natively(task, submission),
    }
}

fn score_natively(task: &GradeTask, submission: &Path) -> Result<f64, GradeError> {
    let answers = CsvTable::read(&task.answers).map_err(|e| GradeError::Answers(e.to_string()))?;
    let targets = target_columns(task, &answers)?;
    let table = CsvTable::read(submission).map_err(SubmissionError::Unreadable)?;
    let order = validate_against_answers(&table, &answers, &task.id_column, &targets, task.metric)?;
    let aligned = Aligned {
        answers: &answers,
        submission: &table,
        order,
    };
    match compute(task, &aligned, &targets)? {
        score if score.is_finite() => Ok(score),
        score => Err(GradeError::NotFinite(score)),
    }
}

/// Checks the answers have the id and target columns and unique ids; returns the targets.
fn target_columns(task: &GradeTask, answers: &CsvTable) -> Result<Vec<String>, GradeError> {
    let Some(id_col) = answers.column(&task.id_column) else {
        return Err(GradeError::Answers(format!(
            "it has no id column `{}`",
            task.id_column
        )));
    };
    let targets: Vec<String> = if task.target_columns.is_empty() {
        answers
            .headers
            .iter()
            .filter(|h| **h != task.id_column)
            .cloned()
            .collect()
    } else {
        task.target_columns.clone()
    };
    if targets.is_empty() {
        return Err(GradeError::Answers("it has no target column".to_string()));
    }
    // Grading the ids against themselves would score every sample submission perfectly.
    if targets.contains(&task.id_column) {
        return Err(GradeError::Task(format!(
            "the id column `{}` is among the target columns",
            task.id_column
        )));
    }
    if let Some(missing) = targets.iter().find(|t| answers.column(t).is_none()) {
        return Err(GradeError::Answers(format!(
            "it has no target column `{missing}`"
        )));
    }
    let duplicates = duplicate_ids(answers, id_col);
    if !duplicates.is_empty() {
        return Err(GradeError::Answers(format!(
            "id column `{}` repeats {duplicates}",
            task.id_column
        )));
    }
    Ok(targets)
}

/// Answers rows with the submission row of the same id.
struct Aligned<'a> {
    answers: &'a CsvTable,
    submission: &'a CsvTable,
    /// For each answers row, its submission row.
    order: Vec<usize>,
}

impl Aligned<'_> {
    /// The truth cells of `column`, in answers order.
    fn truth(&self, column: &str) -> Vec<&str> {
        let col = self.answers.column(column).unwrap_or_default();
        self.answers.rows.iter().map(|r| r[col].as_str()).collect()
    }

    /// The submission cells of `column`, in answers order.
    fn pred(&self, column: &str) -> Vec<&str> {
        let col = self.submission.column(column).unwrap_or_default();
        self.order
            .iter()
            .map(|&i| self.submission.rows[i][col].as_str())
            .collect()
    }

    fn truth_numbers(&self, column: &str) -> Result<Vec<f64>, GradeError> {
        numbers(&self.truth(column)).map_err(|row| {
            GradeError::Answers(format!(
                "column `{column}` holds no finite number in row {}",
                row + 1
            ))
        })
    }

    /// Validation has already checked these cells are finite numbers.
    fn pred_numbers(&self, column: &str) -> Vec<f64> {
        self.pred(column)
            .iter()
            .map(|c| parse_number(c).unwrap_or(f64::NAN))
            .collect()
    }
}

/// All cells as numbers, or the index of the first that is not a finite one.
fn numbers(cells: &[&str]) -> Result<Vec<f64>, usize> {
    cells
        .iter()
        .enumerate()
        .map(|(i, c)| parse_number(c).filter(|x| x.is_finite()).ok_or(i))
        .collect()
}

fn labels(cells: &[&str]) -> Vec<Label> {
    cells.iter().map(|c| Label::parse(c)).collect()
}

fn words(cells: &[&str]) -> Vec<Vec<String>> {
    cells
        .iter()
        .map(|c| c.split_whitespace().map(str::to_string).collect())
        .collect()
}

fn compute(task: &GradeTask, data: &Aligned<'_>, targets: &[String]) -> Result<f64, GradeError> {
    use MetricKind::*;
    let metric = task.metric;
    let single = || match targets {
        [one] => Ok(one.as_str()),
        _ => Err(GradeError::Task(format!(
            "metric `{}` reads one target column, but the task has {} ({})",
            metric.name(),
            targets.len(),
            targets.join(", ")
        ))),
    };
    let column_wise = |f: metrics::ColumnMetric| -> Result<f64, GradeError> {
        let mut truths = Vec::with_capacity(targets.len());
        let mut preds = Vec::with_capacity(targets.len());
        for t in targets {
            truths.push(data.truth_numbers(t)?);
            preds.push(data.pred_numbers(t));
        }
        Ok(metrics::column_wise_mean(targets, &truths, &preds, f)?)
    };
    let score = match metric {
        RocAuc => {
            let c = single()?;
            metrics::roc_auc(&data.truth_numbers(c)?, &data.pred_numbers(c))?
        }
        MeanColumnRocAuc => column_wise(metrics::roc_auc)?,
        Rmse => column_wise(metrics::rmse)?,
        Rmsle => column_wise(metrics::rmsle)?,
        Mae => column_wise(metrics::mae)?,
        LogLoss if targets.len() == 1 => {
            let c = &targets[0];
            metrics::binary_log_loss(&data.truth_numbers(c)?, &data.pred_numbers(c))?
        }
        LogLoss => multiclass_log_loss(data, targets)?,
        Accuracy | Qwk | F1Binary | F1Macro | Mcc => {
            let c = single()?;
            let (t, p) = (labels(&data.truth(c)), labels(&data.pred(c)));
            match metric {
                Accuracy => metrics::accuracy(&t, &p)?,
                Qwk => metrics::quadratic_weighted_kappa(&t, &p)?,
                F1Binary => {
                    let pos = task
                        .options
                        .pos_label
                        .as_deref()
                        .map_or(Label::Number(1.0), Label::parse);
                    metrics::f1_binary(&t, &p, &pos)?
                }
                F1Macro => metrics::f1_macro(&t, &p)?,
                _ => metrics::mcc(&t, &p)?,
            }
        }
        F1Micro => {
            let c = single()?;
            let sets = |cells: Vec<&str>| -> Vec<Vec<Label>> {
                if task.options.multilabel {
                    cells
                        .iter()
                        .map(|s| s.split_whitespace().map(Label::parse).collect())
                        .collect()
                } else {
                    cells.iter().map(|s| vec![Label::parse(s)]).collect()
                }
            };
            metrics::f1_micro(&sets(data.truth(c)), &sets(data.pred(c)))?
        }
        MapAtK => {
            let c = single()?;
            let Some(k) = task.options.metric_k else {
                return Err(GradeError::Task(
                    "metric `map_at_k` needs `metric_k`".to_string(),
                ));
            };
            let k = usize::try_from(k).unwrap_or(usize::MAX);
            metrics::map_at_k(&words(&data.truth(c)), &words(&data.pred(c)), k)?
        }
        // score_submission sends external metrics to their command before this point.
        External => {
            return Err(GradeError::Task(
                "metric `external` cannot be computed natively".to_string(),
            ));
        }
    };
    Ok(score)
}

/// Multi-class log loss: one-hot answers (exactly one 1 per row), one probability column
/// per class in the submission.
fn multiclass_log_loss(data: &Aligned<'_>, classes: &[String]) -> Result<f64, GradeError> {
    let mut truth_cols = Vec::with_capacity(classes.len());
    let mut pred_cols = Vec::with_capacity(classes.len());
    for c in classes {
        truth_cols.push(data.truth_numbers(c)?);
        pred_cols.push(data.pred_numbers(c));
    }
    let rows = data.order.len();
    let mut y_true = Vec::with_capacity(rows);
    let mut y_prob = Vec::with_capacity(rows);
    for row in 0..rows {
        let ones: Vec<usize> = (0..classes.len())
            .filter(|&k| truth_cols[k][row] == 1.0)
            .collect();
        let zeros = (0..classes.len())
            .filter(|&k| truth_cols[k][row] == 0.0)
            .count();
        match ones.as_slice() {
            [class] if zeros == classes.len() - 1 => y_true.push(*class),
            _ => {
                return Err(GradeError::Answers(format!(
                    "row {} is not one-hot over the class columns ({})",
                    row + 1,
                    classes.join(", ")
                )));
            }
        }
        y_prob.push(pred_cols.iter().map(|col| col[row]).collect());
    }
    Ok(metrics::log_loss(&y_true, &y_prob)?)
}
