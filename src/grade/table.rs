//! Reading a CSV file into memory, with every malformation reported, never a panic, and
//! in time linear in the file's size: the checks never compare every column with every
//! other (a header of a million columns once took minutes).

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The most columns a submission, answers file or leaderboard may have. Kaggle's widest
/// submissions have a few hundred columns; more is a generated script gone wrong.
pub const MAX_COLUMNS: usize = 10_000;

/// The largest cell, in bytes. Run-length-encoded masks, the longest cells Kaggle asks
/// for, take a few MiB.
pub const MAX_CELL_BYTES: usize = 16 << 20;

/// How many records are read between two looks at the clock.
const RECORDS_PER_CLOCK_CHECK: usize = 4096;

/// A whole CSV file: the header row and every data row, all cells as text. Rows are
/// numbered from 1 (the first row after the header) in messages.
#[derive(Debug, Clone)]
pub struct CsvTable {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Column positions by name, so that looking a column up costs O(1).
    index: HashMap<String, usize>,
}

/// Why a CSV file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("could not read {}: {cause}", path.display())]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{} is empty; a CSV file needs a header row naming its columns", path.display())]
    Empty { path: PathBuf },
    #[error("{} is not valid UTF-8 in {}", path.display(), describe_row(*row))]
    NotUtf8 { path: PathBuf, row: u64 },
    #[error("{} has {found} fields in {} but the header has {expected}", path.display(), describe_row(*row))]
    Ragged {
        path: PathBuf,
        row: u64,
        expected: u64,
        found: u64,
    },
    #[error("{} names column `{column}` more than once", path.display())]
    DuplicateColumn { path: PathBuf, column: String },
    #[error("{} has {found} columns in its header; at most {MAX_COLUMNS} are accepted", path.display())]
    TooManyColumns { path: PathBuf, found: usize },
    #[error(
        "{} has a cell of {bytes} bytes in {}, column {column}; at most {MAX_CELL_BYTES} bytes are accepted",
        path.display(),
        describe_row(*row)
    )]
    CellTooLarge {
        path: PathBuf,
        row: u64,
        /// Counted from 1.
        column: usize,
        bytes: usize,
    },
    #[error("{} was not read within {}s; it is too large to check", path.display(), budget.as_secs())]
    TimeBudget { path: PathBuf, budget: Duration },
    #[error("{} is not valid CSV: {detail}", path.display())]
    Malformed { path: PathBuf, detail: String },
}

/// Row 0 is the header (the csv crate's record index).
fn describe_row(row: u64) -> String {
    if row == 0 {
        "the header row".to_string()
    } else {
        format!("data row {row}")
    }
}

impl CsvTable {
    /// Reads `path`. A UTF-8 byte-order mark is dropped (the csv crate does it); blank
    /// lines are skipped; ragged rows, invalid UTF-8, duplicate column names, a file
    /// without a header, more than [`MAX_COLUMNS`] columns and a cell over
    /// [`MAX_CELL_BYTES`] are errors.
    pub fn read(path: &Path) -> Result<Self, TableError> {
        Self::read_until(path, None)
    }

    /// [`CsvTable::read`], giving up with [`TableError::TimeBudget`] once `deadline`
    /// (an instant and the budget it stands for) has passed.
    pub fn read_until(
        path: &Path,
        deadline: Option<(Instant, Duration)>,
    ) -> Result<Self, TableError> {
        let bytes = std::fs::read(path).map_err(|cause| TableError::Io {
            path: path.to_path_buf(),
            cause,
        })?;
        let mut reader = csv::ReaderBuilder::new().from_reader(bytes.as_slice());
        let convert = |e: csv::Error| table_error(path, e);
        let header = reader.headers().map_err(convert)?;
        if header.len() > MAX_COLUMNS {
            return Err(TableError::TooManyColumns {
                path: path.to_path_buf(),
                found: header.len(),
            });
        }
        check_cells(path, 0, header)?;
        let headers: Vec<String> = header.iter().map(str::to_string).collect();
        if headers.is_empty() {
            return Err(TableError::Empty {
                path: path.to_path_buf(),
            });
        }
        let mut index = HashMap::with_capacity(headers.len());
        for (i, name) in headers.iter().enumerate() {
            match index.entry(name.clone()) {
                Entry::Occupied(_) => {
                    return Err(TableError::DuplicateColumn {
                        path: path.to_path_buf(),
                        column: name.clone(),
                    });
                }
                Entry::Vacant(slot) => {
                    slot.insert(i);
                }
            }
        }
        let mut rows = Vec::new();
        for (n, record) in reader.records().enumerate() {
            let record = record.map_err(convert)?;
            check_cells(path, n as u64 + 1, &record)?;
            rows.push(record.iter().map(str::to_string).collect());
            if let Some((at, budget)) = deadline
                && n % RECORDS_PER_CLOCK_CHECK == 0
                && Instant::now() > at
            {
                return Err(TableError::TimeBudget {
                    path: path.to_path_buf(),
                    budget,
                });
            }
        }
        Ok(CsvTable {
            headers,
            rows,
            index,
        })
    }

    /// Position of the column named `name`.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }
}

/// Refuses a cell over [`MAX_CELL_BYTES`] in `record` (row 0 is the header).
fn check_cells(path: &Path, row: u64, record: &csv::StringRecord) -> Result<(), TableError> {
    match record.iter().position(|cell| cell.len() > MAX_CELL_BYTES) {
        Some(i) => Err(TableError::CellTooLarge {
            path: path.to_path_buf(),
            row,
            column: i + 1,
            bytes: record[i].len(),
        }),
        None => Ok(()),
    }
}

fn table_error(path: &Path, e: csv::Error) -> TableError {
    let path = path.to_path_buf();
    let detail = e.to_string();
    match e.into_kind() {
        csv::ErrorKind::Io(cause) => TableError::Io { path, cause },
        csv::ErrorKind::Utf8 { pos, .. } => TableError::NotUtf8 {
            path,
            row: pos.map_or(0, |p| p.record()),
        },
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => TableError::Ragged {
            path,
            row: pos.map_or(0, |p| p.record()),
            expected: expected_len,
            found: len,
        },
        _ => TableError::Malformed { path, detail },
    }
}

/// pandas' default missing-value spellings: `read_csv` turns these cells into NaN.
const MISSING: &[&str] = &[
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
];

/// Whether pandas would read `cell` as a missing value.
pub fn is_missing(cell: &str) -> bool {
    MISSING.contains(&cell.trim())
}

/// The number in `cell`, as pandas would parse it (surrounding blanks allowed); `None`
/// for text. Infinities parse (pandas reads `inf`), NaN spellings do not: see [`is_missing`].
pub fn parse_number(cell: &str) -> Option<f64> {
    if is_missing(cell) {
        return None;
    }
    // Rust also reads spellings like `NAN` that pandas keeps as text.
    cell.trim().parse::<f64>().ok().filter(|x| !x.is_nan())
}
