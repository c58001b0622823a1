//! Submission checks: against the public sample submission (the agent's pre-check, which
//! never touches private answers) and against the private answers (used by grading).

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::Path;
use std::time::{Duration, Instant};

use super::label::Label;
use super::metric_kind::{CellKind, MetricKind};
use super::table::{CsvTable, TableError, is_missing, parse_number};

/// How far a row of class probabilities may sum from 1. MLE-bench's multi-class graders
/// test `np.isclose(row_sum, 1, atol=1e-6)`, and numpy's default `rtol=1e-5` adds
/// `1e-5 * 1`, so a row passes when `|sum - 1| <= 1.1e-5` (three 0.333333 pass).
pub const ROW_SUM_TOLERANCE: f64 = 1e-6 + 1e-5;

/// How many ids a message names before it says "and N more".
const EXAMPLES: usize = 3;

/// How long the agent's pre-check of one submission may take: it runs after the script,
/// outside the script's own time limit, so a script that writes a huge file must not
/// stall the search.
pub const SAMPLE_CHECK_BUDGET: Duration = Duration::from_secs(60);

/// Why a submission is not gradable. Rows are data rows counted from 1 (the first row
/// after the header); ids are shown as written in the file.
#[derive(Debug, thiserror::Error)]
pub enum SubmissionError {
    #[error("the submission cannot be read: {0}")]
    Unreadable(TableError),
    #[error("the sample submission cannot be read: {0}")]
    SampleUnreadable(TableError),
    #[error("the sample submission is unusable: {0}")]
    SampleUnusable(String),
    #[error(
        "the submission could not be checked within {}s; it is too large",
        budget.as_secs()
    )]
    TimeBudget { budget: Duration },
    #[error(
        "the submission's columns are wrong: {}",
        describe_columns(missing, unexpected, expected)
    )]
    Columns {
        missing: Vec<String>,
        unexpected: Vec<String>,
        expected: Vec<String>,
    },
    #[error(
        "the submission has {found} rows but {expected} are expected, one per id{}",
        id_hint(missing, unexpected)
    )]
    WrongRowCount {
        expected: usize,
        found: usize,
        missing: Ids,
        unexpected: Ids,
    },
    #[error("id column `{column}` repeats {ids}; each id must appear once")]
    DuplicateIds { column: String, ids: Ids },
    #[error(
        "id column `{column}` does not hold the expected ids:{}",
        id_hint(missing, unexpected)
    )]
    WrongIds {
        column: String,
        missing: Ids,
        unexpected: Ids,
    },
    #[error("column `{column}` has no value in row {row} (id `{id}`): the cell is empty or NaN")]
    MissingValue {
        column: String,
        row: usize,
        id: String,
    },
    #[error("column `{column}` must be numeric, but row {row} (id `{id}`) holds `{value}`")]
    NonNumeric {
        column: String,
        row: usize,
        id: String,
        value: String,
    },
    #[error(
        "column `{column}` must hold finite numbers, but row {row} (id `{id}`) holds `{value}`"
    )]
    NotFinite {
        column: String,
        row: usize,
        id: String,
        value: String,
    },
    #[error(
        "column `{column}` holds probabilities, which must lie in [0, 1], but row {row} (id `{id}`) holds {value}"
    )]
    OutOfRange {
        column: String,
        row: usize,
        id: String,
        value: f64,
    },
    #[error("the class probabilities in row {row} (id `{id}`) sum to {}, not 1 (tolerance 1.1e-5)", short(*sum))]
    RowSum { row: usize, id: String, sum: f64 },
}

/// Some ids and how many there are in all, for messages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ids {
    pub count: usize,
    pub examples: Vec<String>,
}

impl Ids {
    fn push(&mut self, id: &str) {
        self.count += 1;
        if self.examples.len() < EXAMPLES {
            self.examples.push(id.to_string());
        }
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}

impl fmt::Display for Ids {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let named: Vec<String> = self.examples.iter().map(|id| format!("`{id}`")).collect();
        write!(f, "{}", named.join(", "))?;
        if self.count > self.examples.len() {
            write!(f, " and {} more", self.count - self.examples.len())?;
        }
        Ok(())
    }
}

/// A float to 9 decimals without trailing zeros: 0.8999999999999999 reads as 0.9.
fn short(x: f64) -> String {
    let text = format!("{x:.9}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn describe_columns(missing: &[String], unexpected: &[String], expected: &[String]) -> String {
    let quote = |cols: &[String]| {
        cols.iter()
            .map(|c| format!("`{c}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut parts = Vec::new();
    if !missing.is_empty() {
        parts.push(format!("missing {}", quote(missing)));
    }
    if !unexpected.is_empty() {
        parts.push(format!("unexpected {}", quote(unexpected)));
    }
    format!("{} (expected {})", parts.join("; "), quote(expected))
}

fn id_hint(missing: &Ids, unexpected: &Ids) -> String {
    let mut out = String::new();
    if !missing.is_empty() {
        out.push_str(&format!(
            " {} expected id(s) are missing ({missing})",
            missing.count
        ));
    }
    if !unexpected.is_empty() {
        if !missing.is_empty() {
            out.push(';');
        }
        out.push_str(&format!(
            " {} id(s) are not expected ({unexpected})",
            unexpected.count
        ));
    }
    out
}

/// The agent's pre-check of `submission` against the public `sample_submission`: the same
/// set of columns (order does not matter); in the id column (the sample's first column)
/// exactly the sample's ids, once each; no missing or NaN value where the sample has none;
/// numbers wherever the sample's column is numeric. Ids compare as pandas reads them
/// (`7` and `7.0` are the same id). Never reads private answers. Gives up with
/// [`SubmissionError::TimeBudget`] (or [`TableError::TimeBudget`]) after
/// [`SAMPLE_CHECK_BUDGET`].
pub fn validate_against_sample(
    submission: &Path,
    sample_submission: &Path,
) -> Result<(), SubmissionError> {
    validate_against_sample_within(submission, sample_submission, SAMPLE_CHECK_BUDGET)
}

/// [`validate_against_sample`] with its time budget given.
pub fn validate_against_sample_within(
    submission: &Path,
    sample_submission: &Path,
    budget: Duration,
) -> Result<(), SubmissionError> {
    // A budget too long for an `Instant` is no budget.
    let deadline = Instant::now().checked_add(budget).map(|at| (at, budget));
    let over = || {
        deadline
            .is_some_and(|(at, _)| Instant::now() > at)
            .then_some(SubmissionError::TimeBudget { budget })
    };
    let sample = CsvTable::read_until(sample_submission, deadline)
        .map_err(SubmissionError::SampleUnreadable)?;
    let table = CsvTable::read_until(submission, deadline).map_err(SubmissionError::Unreadable)?;
    let id_column = &sample.headers[0];
    let duplicates = duplicate_ids(&sample, 0);
    if !duplicates.is_empty() {
        return Err(SubmissionError::SampleUnusable(format!(
            "id column `{id_column}` repeats {duplicates}"
        )));
    }

    let missing = missing_columns(&table, &sample.headers);
    let unexpected: Vec<String> = table
        .headers
        .iter()
        .filter(|h| sample.column(h).is_none())
        .cloned()
        .collect();
    if !missing.is_empty() || !unexpected.is_empty() {
        return Err(SubmissionError::Columns {
            missing,
            unexpected,
            expected: sample.headers.clone(),
        });
    }

    let sub_id = column_index(&table, id_column);
    match_ids(&table, sub_id, &sample, 0, id_column)?;

    for (col, name) in sample.headers.iter().enumerate().skip(1) {
        if let Some(e) = over() {
            return Err(e);
        }
        let cells = || sample.rows.iter().map(move |r| r[col].as_str());
        let allows_missing = cells().any(is_missing);
        let numeric = cells().any(|c| !is_missing(c))
            && cells().all(|c| is_missing(c) || parse_number(c).is_some());
        let kind = if numeric {
            CellKind::Number
        } else {
            CellKind::Label
        };
        let sub_col = column_index(&table, name);
        for (i, row) in table.rows.iter().enumerate() {
            let cell = &row[sub_col];
            if allows_missing && is_missing(cell) {
                continue;
            }
            check_cell(kind, cell, name, i + 1, &row[sub_id])?;
        }
    }
    Ok(())
}

/// Grading's check of a submission against the private answers for `metric`: the id
/// column and every target column present (extra columns are ignored, as MLE-bench's
/// graders do), exactly the answers' ids once each, and target cells of the kind the
/// metric reads (probabilities in [0, 1], numbers, labels), class probabilities summing
/// to 1 for multi-column log loss. The caller has checked that `answers` holds the id and
/// target columns with unique ids.
///
/// Returns, for each answers row in order, the index of the submission row with its id.
pub fn validate_against_answers(
    submission: &CsvTable,
    answers: &CsvTable,
    id_column: &str,
    target_columns: &[String],
    metric: MetricKind,
) -> Result<Vec<usize>, SubmissionError> {
    let mut needed = vec![id_column.to_string()];
    needed.extend(target_columns.iter().cloned());
    let missing = missing_columns(submission, &needed);
    if !missing.is_empty() {
        return Err(SubmissionError::Columns {
            missing,
            unexpected: Vec::new(),
            expected: needed,
        });
    }
    let sub_id = column_index(submission, id_column);
    let order = match_ids(
        submission,
        sub_id,
        answers,
        column_index(answers, id_column),
        id_column,
    )?;

    let kind = metric.cell_kind();
    let target_idx: Vec<usize> = target_columns
        .iter()
        .map(|c| column_index(submission, c))
        .collect();
    for (i, row) in submission.rows.iter().enumerate() {
        for (&col, name) in target_idx.iter().zip(target_columns) {
            check_cell(kind, &row[col], name, i + 1, &row[sub_id])?;
        }
        if metric == MetricKind::LogLoss && target_idx.len() > 1 {
            let sum: f64 = target_idx
                .iter()
                .filter_map(|&c| parse_number(&row[c]))
                .sum();
            if (sum - 1.0).abs() > ROW_SUM_TOLERANCE {
                return Err(SubmissionError::RowSum {
                    row: i + 1,
                    id: row[sub_id].clone(),
                    sum,
                });
            }
        }
    }
    Ok(order)
}

fn check_cell(
    kind: CellKind,
    cell: &str,
    column: &str,
    row: usize,
    id: &str,
) -> Result<(), SubmissionError> {
    let at = || (column.to_string(), row, id.to_string());
    if matches!(kind, CellKind::LabelList | CellKind::Any) {
        return Ok(());
    }
    if is_missing(cell) {
        let (column, row, id) = at();
        return Err(SubmissionError::MissingValue { column, row, id });
    }
    if kind == CellKind::Label {
        return Ok(());
    }
    let Some(value) = parse_number(cell) else {
        let (column, row, id) = at();
        return Err(SubmissionError::NonNumeric {
            column,
            row,
            id,
            value: cell.to_string(),
        });
    };
    if !value.is_finite() {
        let (column, row, id) = at();
        return Err(SubmissionError::NotFinite {
            column,
            row,
            id,
            value: cell.to_string(),
        });
    }
    if kind == CellKind::Probability && !(0.0..=1.0).contains(&value) {
        let (column, row, id) = at();
        return Err(SubmissionError::OutOfRange {
            column,
            row,
            id,
            value,
        });
    }
    Ok(())
}

/// Columns of `wanted` that `table` lacks, in `wanted`'s order.
fn missing_columns(table: &CsvTable, wanted: &[String]) -> Vec<String> {
    wanted
        .iter()
        .filter(|c| table.column(c).is_none())
        .cloned()
        .collect()
}

/// Index of a column the caller has checked exists.
fn column_index(table: &CsvTable, name: &str) -> usize {
    table.column(name).unwrap_or_default()
}

/// Ids that occur more than once in column `col` (each named once).
pub(crate) fn duplicate_ids(table: &CsvTable, col: usize) -> Ids {
    let mut seen = HashSet::new();
    let mut reported = HashSet::new();
    let mut dups = Ids::default();
    for row in &table.rows {
        let key = Label::parse(&row[col]);
        if !seen.insert(key.clone()) && reported.insert(key) {
            dups.push(&row[col]);
        }
    }
    dups
}

/// Matches the submission's ids to the expected table's (unique) ids: the same number of
/// rows, no repeats, the same set. Returns, for each expected row, its submission row.
fn match_ids(
    submission: &CsvTable,
    sub_col: usize,
    expected: &CsvTable,
    exp_col: usize,
    column: &str,
) -> Result<Vec<usize>, SubmissionError> {
    let mut position: HashMap<Label, usize> = HashMap::with_capacity(submission.rows.len());
    let mut unexpected = Ids::default();
    let expected_keys: HashSet<Label> = expected
        .rows
        .iter()
        .map(|r| Label::parse(&r[exp_col]))
        .collect();
    for (i, row) in submission.rows.iter().enumerate() {
        let key = Label::parse(&row[sub_col]);
        if !expected_keys.contains(&key) {
            unexpected.push(&row[sub_col]);
        }
        position.entry(key).or_insert(i);
    }
    let mut missing = Ids::default();
    let mut order = Vec::with_capacity(expected.rows.len());
    for row in &expected.rows {
        match position.get(&Label::parse(&row[exp_col])) {
            Some(&i) => order.push(i),
            None => missing.push(&row[exp_col]),
        }
    }
    if submission.rows.len() != expected.rows.len() {
        return Err(SubmissionError::WrongRowCount {
            expected: expected.rows.len(),
            found: submission.rows.len(),
            missing,
            unexpected,
        });
    }
    let duplicates = duplicate_ids(submission, sub_col);
    if !duplicates.is_empty() {
        return Err(SubmissionError::DuplicateIds {
            column: column.to_string(),
            ids: duplicates,
        });
    }
    if !missing.is_empty() || !unexpected.is_empty() {
        return Err(SubmissionError::WrongIds {
            column: column.to_string(),
            missing,
            unexpected,
        });
    }
    Ok(order)
}
