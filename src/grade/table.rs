//! Reading a CSV file into memory, with every malformation reported, never a panic.

use std::path::{Path, PathBuf};

/// A whole CSV file: the header row and every data row, all cells as text. Rows are
/// numbered from 1 (the first row after the header) in messages.
#[derive(Debug, Clone)]
pub struct CsvTable {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Why a CSV file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("could not read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
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
    /// lines are skipped; ragged rows, invalid UTF-8, duplicate column names and a file
    /// without a header are errors.
    pub fn read(path: &Path) -> Result<Self, TableError> {
        let bytes = std::fs::read(path).map_err(|source| TableError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut reader = csv::ReaderBuilder::new().from_reader(bytes.as_slice());
        let convert = |e: csv::Error| table_error(path, e);
        let headers: Vec<String> = reader
            .headers()
            .map_err(convert)?
            .iter()
            .map(str::to_string)
            .collect();
        if headers.is_empty() {
            return Err(TableError::Empty {
                path: path.to_path_buf(),
            });
        }
        for (i, name) in headers.iter().enumerate() {
            if headers[..i].contains(name) {
                return Err(TableError::DuplicateColumn {
                    path: path.to_path_buf(),
                    column: name.clone(),
                });
            }
        }
        let mut rows = Vec::new();
        for record in reader.records() {
            rows.push(
                record
                    .map_err(convert)?
                    .iter()
                    .map(str::to_string)
                    .collect(),
            );
        }
        Ok(CsvTable { headers, rows })
    }

    /// Position of the column named `name`.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name)
    }
}

fn table_error(path: &Path, e: csv::Error) -> TableError {
    let path = path.to_path_buf();
    let detail = e.to_string();
    match e.into_kind() {
        csv::ErrorKind::Io(source) => TableError::Io { path, source },
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
