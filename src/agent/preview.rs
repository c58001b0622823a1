//! The "Data Overview": a text description of the task's files, generated once per run.
//! Large files are sampled, not read whole.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

const TEXT_SUFFIXES: &[&str] = &[
    "txt", "csv", "json", "tsv", "py", "sh", "yaml", "yml", "md", "html", "xml", "log", "rst",
];
const MAX_CHARS: usize = 6000;
const SAMPLE_ROWS: usize = 10_000;
const MAX_FILES_DESCRIBED: usize = 20;
/// Line counting stops here; beyond it the count is reported as a lower bound.
const MAX_COUNT_BYTES: u64 = 256 << 20;

/// Describes every file under `dir`: a file tree, then per-file summaries. Falls back to
/// a shorter column listing when the detailed text exceeds 6000 characters.
pub fn generate(dir: &Path) -> String {
    let detailed = render(dir, true);
    if detailed.chars().count() <= MAX_CHARS {
        return detailed;
    }
    let simple = render(dir, false);
    if simple.chars().count() <= MAX_CHARS {
        return simple;
    }
    let cut: String = simple.chars().take(MAX_CHARS).collect();
    format!("{cut}\n... (data overview truncated)")
}

fn render(dir: &Path, detailed: bool) -> String {
    let mut tree = String::new();
    file_tree(dir, 0, &mut tree);
    let mut parts = vec![format!("```\n{}```", tree)];
    let mut files = Vec::new();
    collect_files(dir, &mut files);
    for path in files.iter().take(MAX_FILES_DESCRIBED) {
        let rel = path.strip_prefix(dir).unwrap_or(path).display().to_string();
        if let Some(s) = describe_file(path, &rel, detailed) {
            parts.push(s);
        }
    }
    if files.len() > MAX_FILES_DESCRIBED {
        parts.push(format!(
            "({} more files not described)",
            files.len() - MAX_FILES_DESCRIBED
        ));
    }
    parts.join("\n\n")
}

fn sorted_entries(dir: &Path) -> Vec<fs::DirEntry> {
    let mut entries: Vec<fs::DirEntry> = fs::read_dir(dir)
        .map(|rd| rd.filter_map(Result::ok).collect())
        .unwrap_or_default();
    entries.sort_by_key(|e| e.file_name());
    entries
}

fn is_dir(e: &fs::DirEntry) -> bool {
    // Follow symlinks: the workspace links the task's files.
    fs::metadata(e.path()).is_ok_and(|m| m.is_dir())
}

fn file_tree(dir: &Path, depth: usize, out: &mut String) {
    let entries = sorted_entries(dir);
    let (dirs, files): (Vec<_>, Vec<_>) = entries.into_iter().partition(is_dir);
    let shown = if files.len() > 30 { 4 } else { 8 };
    let indent = "    ".repeat(depth);
    for f in files.iter().take(shown) {
        let _ = writeln!(
            out,
            "{indent}{} ({})",
            f.file_name().to_string_lossy(),
            file_size(&f.path())
        );
    }
    if files.len() > shown {
        let _ = writeln!(out, "{indent}... and {} other files", files.len() - shown);
    }
    for d in dirs {
        let _ = writeln!(out, "{indent}{}/", d.file_name().to_string_lossy());
        if depth < 6 {
            file_tree(&d.path(), depth + 1, out);
        }
    }
}

fn collect_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in sorted_entries(dir) {
        if out.len() > 10 * MAX_FILES_DESCRIBED {
            return;
        }
        if is_dir(&e) {
            collect_files(&e.path(), out);
        } else if has_text_suffix(&e.path()) {
            out.push(e.path());
        }
    }
}

fn suffix(path: &Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

fn has_text_suffix(path: &Path) -> bool {
    TEXT_SUFFIXES.contains(&suffix(path).as_str())
}

fn file_size(path: &Path) -> String {
    if has_text_suffix(path) {
        let (lines, exact) = count_lines(path);
        format!("{}{lines} lines", if exact { "" } else { ">= " })
    } else {
        human_bytes(fs::metadata(path).map(|m| m.len()).unwrap_or(0))
    }
}

fn count_lines(path: &Path) -> (u64, bool) {
    let Ok(file) = fs::File::open(path) else {
        return (0, true);
    };
    let mut reader = BufReader::new(file.take(MAX_COUNT_BYTES));
    let mut buf = [0u8; 64 * 1024];
    let (mut lines, mut read, mut last) = (0u64, 0u64, b'\n');
    while let Ok(n) = reader.read(&mut buf) {
        if n == 0 {
            break;
        }
        lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        last = buf[n - 1];
        read += n as u64;
    }
    if last != b'\n' {
        lines += 1;
    }
    (lines, read < MAX_COUNT_BYTES)
}

fn human_bytes(n: u64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u < units.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", units[u])
    }
}

fn describe_file(path: &Path, rel: &str, detailed: bool) -> Option<String> {
    match suffix(path).as_str() {
        "csv" | "tsv" => describe_csv(path, rel, detailed),
        "json" => describe_json(path, rel),
        _ => describe_text(path, rel),
    }
}

fn describe_text(path: &Path, rel: &str) -> Option<String> {
    let file = fs::File::open(path).ok()?;
    let mut lines = Vec::new();
    for line in BufReader::new(file.take(64 * 1024)).lines() {
        lines.push(line.ok()?);
        if lines.len() >= 30 {
            return None;
        }
    }
    Some(format!("-> {rel} has content:\n\n{}", lines.join("\n")))
}

fn describe_json(path: &Path, rel: &str) -> Option<String> {
    let meta = fs::metadata(path).ok()?;
    if meta.len() > 16 << 20 {
        return Some(format!(
            "-> {rel} is a JSON file of {}",
            human_bytes(meta.len())
        ));
    }
    let value: serde_json::Value = serde_json::from_slice(&fs::read(path).ok()?).ok()?;
    Some(format!(
        "-> {rel} has this JSON structure:\n{}",
        json_shape(&value, 0)
    ))
}

fn json_shape(v: &serde_json::Value, depth: usize) -> String {
    use serde_json::Value::*;
    match v {
        Null => "null".into(),
        Bool(_) => "boolean".into(),
        Number(_) => "number".into(),
        String(_) => "string".into(),
        Array(items) => match items.first() {
            Some(first) if depth < 4 => format!("array of {}", json_shape(first, depth + 1)),
            _ => "array".into(),
        },
        Object(map) if depth < 4 => {
            let pad = "  ".repeat(depth + 1);
            let fields: Vec<std::string::String> = map
                .iter()
                .take(20)
                .map(|(k, v)| format!("{pad}{k}: {}", json_shape(v, depth + 1)))
                .collect();
            format!("object {{\n{}\n{}}}", fields.join("\n"), "  ".repeat(depth))
        }
        Object(_) => "object".into(),
    }
}

#[derive(Default)]
struct Column {
    values: HashMap<String, usize>,
    missing: usize,
    ints: usize,
    floats: usize,
    bools: usize,
    min: f64,
    max: f64,
    seen: usize,
}

impl Column {
    fn push(&mut self, raw: &str) {
        let v = raw.trim();
        if v.is_empty() || v.eq_ignore_ascii_case("nan") || v.eq_ignore_ascii_case("na") {
            self.missing += 1;
            return;
        }
        if self.values.len() < 1000 || self.values.contains_key(v) {
            *self.values.entry(v.to_string()).or_default() += 1;
        }
        let num = if v.parse::<i64>().is_ok() {
            self.ints += 1;
            v.parse::<f64>().ok()
        } else if let Ok(f) = v.parse::<f64>() {
            self.floats += 1;
            Some(f)
        } else {
            if matches!(v, "True" | "False" | "true" | "false") {
                self.bools += 1;
            }
            None
        };
        if let Some(f) = num {
            if self.ints + self.floats == 1 {
                (self.min, self.max) = (f, f);
            }
            self.min = self.min.min(f);
            self.max = self.max.max(f);
        }
        self.seen += 1;
    }

    fn dtype(&self) -> &'static str {
        if self.seen == 0 {
            "object"
        } else if self.ints == self.seen {
            "int64"
        } else if self.ints + self.floats == self.seen {
            "float64"
        } else if self.bools == self.seen {
            "bool"
        } else {
            "object"
        }
    }

    fn describe(&self) -> String {
        let dtype = self.dtype();
        let mut by_count: Vec<(&String, &usize)> = self.values.iter().collect();
        by_count.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        if dtype == "bool" {
            let t = self
                .values
                .get("True")
                .or(self.values.get("true"))
                .copied()
                .unwrap_or(0);
            let pct = 100.0 * t as f64 / self.seen.max(1) as f64;
            return format!("is bool, {pct:.2}% True, {:.2}% False", 100.0 - pct);
        }
        if self.values.len() < 10 {
            let mut uniq: Vec<&String> = self.values.keys().collect();
            uniq.sort();
            let list: Vec<String> = uniq.iter().map(|s| format!("{s:?}")).collect();
            return format!("has {} unique values: [{}]", uniq.len(), list.join(", "));
        }
        if dtype != "object" {
            return format!(
                "has range: {:.2} - {:.2}, {} nan values",
                self.min, self.max, self.missing
            );
        }
        let top: Vec<String> = by_count
            .iter()
            .take(4)
            .map(|(v, _)| format!("{v:?}"))
            .collect();
        format!(
            "has {}{} unique values. Some example values: [{}]",
            self.values.len(),
            if self.values.len() >= 1000 { "+" } else { "" },
            top.join(", ")
        )
    }
}

fn describe_csv(path: &Path, rel: &str, detailed: bool) -> Option<String> {
    let delimiter = if suffix(path) == "tsv" { b'\t' } else { b',' };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_path(path)
        .ok()?;
    let headers: Vec<String> = reader.headers().ok()?.iter().map(str::to_string).collect();
    let (lines, exact) = count_lines(path);
    let rows = lines.saturating_sub(1);
    let approx = if exact { "" } else { "at least " };
    let mut out = format!(
        "-> {rel} has {approx}{rows} rows and {} columns.\n",
        headers.len()
    );
    if !detailed {
        let shown: Vec<&str> = headers.iter().take(15).map(String::as_str).collect();
        let _ = write!(out, "The columns are: {}", shown.join(", "));
        if headers.len() > 15 {
            let _ = write!(out, "... and {} more columns", headers.len() - 15);
        }
        return Some(out);
    }
    let mut columns: BTreeMap<&str, Column> = headers
        .iter()
        .map(|h| (h.as_str(), Column::default()))
        .collect();
    let mut sampled = 0;
    for record in reader.records().take(SAMPLE_ROWS) {
        let Ok(record) = record else { continue };
        sampled += 1;
        for (h, v) in headers.iter().zip(record.iter()) {
            if let Some(c) = columns.get_mut(h.as_str()) {
                c.push(v);
            }
        }
    }
    if sampled < rows as usize {
        let _ = writeln!(out, "(column statistics from the first {sampled} rows)");
    }
    out.push_str("Here is some information about the columns:\n");
    for (name, col) in &columns {
        let _ = writeln!(out, "{name} ({}) {}", col.dtype(), col.describe());
    }
    Some(out.trim_end().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_columns_are_summarised() {
        let dir = tempfile::tempdir().unwrap();
        let mut csv = String::from("id,age,color,flag\n");
        for i in 0..40 {
            let age = if i % 10 == 0 {
                String::new()
            } else {
                format!("{}.5", i)
            };
            let color = ["red", "blue", "green"][i % 3];
            let _ = writeln!(csv, "{i},{age},{color},{}", i % 2 == 0);
        }
        fs::write(dir.path().join("train.csv"), csv).unwrap();
        fs::write(dir.path().join("notes.txt"), "hello\nworld\n").unwrap();
        fs::write(dir.path().join("blob.bin"), vec![0u8; 2048]).unwrap();
        let p = generate(dir.path());
        assert!(p.contains("train.csv (41 lines)"), "{p}");
        assert!(p.contains("blob.bin (2.0 kB)"), "{p}");
        assert!(p.contains("-> train.csv has 40 rows and 4 columns."), "{p}");
        assert!(
            p.contains("age (float64) has range: 1.50 - 39.50, 4 nan values"),
            "{p}"
        );
        assert!(
            p.contains("color (object) has 3 unique values: [\"blue\", \"green\", \"red\"]"),
            "{p}"
        );
        assert!(p.contains("flag (bool) is bool, 50.00% True"), "{p}");
        assert!(
            p.contains("-> notes.txt has content:\n\nhello\nworld"),
            "{p}"
        );
    }

    #[test]
    fn oversized_previews_fall_back_to_column_names() {
        let dir = tempfile::tempdir().unwrap();
        let header: Vec<String> = (0..400).map(|i| format!("feature_number_{i}")).collect();
        let row: Vec<String> = (0..400).map(|i| format!("{}", i * 7)).collect();
        fs::write(
            dir.path().join("wide.csv"),
            format!("{}\n{}\n", header.join(","), row.join(",")),
        )
        .unwrap();
        let p = generate(dir.path());
        assert!(p.chars().count() <= MAX_CHARS + 40);
        assert!(p.contains("... and 385 more columns"), "{p}");
    }
}
