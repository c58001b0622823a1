//! Whose `--out` it is. aide-fleet's own searches hold `run.json`; a directory without it
//! that holds anything but empty directories was written by someone else (an aideml log
//! directory: `journal.json`, `best_solution.py`, `config.yaml`, ...) and a new search
//! must not write over it.

use std::io;
use std::path::{Path, PathBuf};

use super::checkpoint::RUN_FILE;

/// The entries of `out` that a new search would write over: none when `out` is missing,
/// empty (empty directories included) or an aide-fleet search; else every top-level
/// entry that holds a file, sorted.
pub fn foreign_entries(out: &Path) -> io::Result<Vec<String>> {
    if out.join(RUN_FILE).exists() {
        return Ok(Vec::new());
    }
    let entries = match std::fs::read_dir(out) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry?;
        if holds_a_file(&entry.path())? {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    Ok(names)
}

fn holds_a_file(path: &Path) -> io::Result<bool> {
    if !std::fs::symlink_metadata(path)?.is_dir() {
        return Ok(true);
    }
    for entry in std::fs::read_dir(path)? {
        if holds_a_file(&entry?.path())? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Moves every entry of `out` into a new sibling directory `<out>.aside-<stamp>` (the
/// first free name), and returns it. A rename: nothing is copied or lost.
pub fn move_aside(out: &Path, stamp: &str) -> io::Result<PathBuf> {
    let name = out
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    let parent = out.parent().unwrap_or(Path::new("."));
    let mut aside = parent.join(format!("{name}.aside-{stamp}"));
    let mut n = 1;
    while aside.exists() {
        n += 1;
        aside = parent.join(format!("{name}.aside-{stamp}-{n}"));
    }
    std::fs::create_dir(&aside)?;
    for entry in std::fs::read_dir(out)? {
        let entry = entry?;
        std::fs::rename(entry.path(), aside.join(entry.file_name()))?;
    }
    Ok(aside)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_directories_and_own_searches_are_not_foreign() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        assert!(foreign_entries(&out).unwrap().is_empty(), "missing");
        std::fs::create_dir_all(out.join("nodes/deeper")).unwrap();
        assert!(
            foreign_entries(&out).unwrap().is_empty(),
            "empty directories"
        );
        std::fs::write(out.join("journal.json"), "{}").unwrap();
        std::fs::write(out.join("nodes/deeper/x"), "").unwrap();
        assert_eq!(foreign_entries(&out).unwrap(), ["journal.json", "nodes"]);
        std::fs::write(out.join(RUN_FILE), "{}").unwrap();
        assert!(foreign_entries(&out).unwrap().is_empty(), "ours");
    }

    #[test]
    fn moving_aside_keeps_every_entry_and_never_reuses_a_name() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("logs");
        for round in 0..2 {
            std::fs::create_dir_all(out.join("sub")).unwrap();
            std::fs::write(out.join("best_solution.py"), format!("{round}")).unwrap();
            std::fs::write(out.join("sub/f"), "x").unwrap();
            let aside = move_aside(&out, "20261202T140000").unwrap();
            assert_eq!(
                std::fs::read_to_string(aside.join("best_solution.py")).unwrap(),
                round.to_string()
            );
            assert!(aside.join("sub/f").is_file());
            assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0);
            let expected = if round == 0 {
                "logs.aside-20261202T140000"
            } else {
                "logs.aside-20261202T140000-2"
            };
            assert_eq!(aside.file_name().unwrap(), expected);
        }
    }
}
