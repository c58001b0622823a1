//! MLE-bench split files: one competition id per line.

use std::collections::BTreeMap;
use std::path::Path;

use crate::bench::BenchError;

/// Reads every `<name>.txt` in `dir`; each id must be in `known`.
pub(crate) fn read_splits(
    dir: &Path,
    known: &[&str],
) -> Result<BTreeMap<String, Vec<String>>, BenchError> {
    let entries = std::fs::read_dir(dir).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            BenchError::missing(dir, "a directory of split files (<name>.txt)")
        }
        _ => BenchError::read(dir, e),
    })?;
    let mut splits = BTreeMap::new();
    for entry in entries {
        let path = entry.map_err(|e| BenchError::read(dir, e))?.path();
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".txt"))
        else {
            continue;
        };
        splits.insert(name.to_owned(), read_split(&path, known)?);
    }
    Ok(splits)
}

fn read_split(path: &Path, known: &[&str]) -> Result<Vec<String>, BenchError> {
    let text = std::fs::read_to_string(path).map_err(|e| BenchError::read(path, e))?;
    let mut ids: Vec<String> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let id = line.trim();
        if id.is_empty() {
            continue;
        }
        let at = |message: String| BenchError::Line {
            path: path.to_owned(),
            line: index + 1,
            message,
        };
        if !known.contains(&id) {
            let hint = crate::bench::closest::closest(id, known.iter().copied())
                .map(|c| format!("; closest match: `{c}`"))
                .unwrap_or_default();
            return Err(at(format!("unknown competition `{id}`{hint}")));
        }
        if ids.iter().any(|i| i == id) {
            return Err(at(format!("competition `{id}` is listed twice")));
        }
        ids.push(id.to_owned());
    }
    Ok(ids)
}
