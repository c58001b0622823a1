//! The scripts' working directory: `./input` (the task's data, its zip archives extracted
//! as aideml extracts them: `archives.rs`), `./working` (scratch), `./submission` (wiped
//! before every script, so a node's submission is its own) and `./.tmp` (the scripts'
//! private `TMPDIR`, wiped before every script too).

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::archives::{self, Prepared};

pub const SUBMISSION_FILE: &str = "submission.csv";

#[derive(Debug, Clone)]
pub struct Workspace {
    root: PathBuf,
    task_dir: PathBuf,
    copy_data: bool,
    /// What became of each of the task's archives (also in `archives.json`).
    archives: Vec<Prepared>,
}

const TMP_DIR: &str = ".tmp";

impl Workspace {
    /// Creates the workspace under `root`, linking (or copying) every entry of `task_dir`
    /// into `input/` but the archives it extracts. Safe to call again on resume: existing
    /// entries are kept, and archives decided by an earlier start are not decided again.
    pub fn prepare(root: &Path, task_dir: &Path, copy_data: bool) -> io::Result<Self> {
        for dir in ["input", "working", "submission", TMP_DIR] {
            fs::create_dir_all(root.join(dir))?;
        }
        let record = root.join(archives::RECORD_FILE);
        // An unreadable record (a script without the sandbox wrote it) is decided afresh.
        let known: Vec<Prepared> = fs::read(&record)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        let mut workspace = Self {
            root: root.to_path_buf(),
            task_dir: fs::canonicalize(task_dir)?,
            copy_data,
            archives: known,
        };
        workspace.lay_out()?;
        workspace.write_record()?;
        Ok(workspace)
    }

    /// Puts back what a script without filesystem rules may have removed.
    pub fn restore(&mut self) -> io::Result<()> {
        self.lay_out()?;
        if !self.root.join(archives::RECORD_FILE).is_file() {
            self.write_record()?;
        }
        Ok(())
    }

    fn write_record(&self) -> io::Result<()> {
        let record = self.root.join(archives::RECORD_FILE);
        let tmp = record.with_extension("json.tmp");
        fs::write(&tmp, serde_json::to_vec_pretty(&self.archives)?)?;
        fs::rename(&tmp, &record)
    }

    fn lay_out(&mut self) -> io::Result<()> {
        let input = self.input();
        fs::create_dir_all(&input)?;
        self.archives = archives::prepare(
            &self.task_dir,
            &self.root,
            &input,
            &self.archives,
            archives::LIMITS,
        )?;
        let hidden: BTreeSet<&str> = self
            .archives
            .iter()
            .filter(|p| p.hides_archive())
            .map(|p| p.archive.as_str())
            .collect();
        for entry in fs::read_dir(&self.task_dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let is_dir = fs::metadata(entry.path()).is_ok_and(|m| m.is_dir());
            if let Some(name) = name.to_str()
                && (hidden.contains(name) || archives::is_dropped(name, is_dir))
            {
                continue;
            }
            let target = input.join(&name);
            if fs::symlink_metadata(&target).is_ok() {
                continue;
            }
            if self.copy_data {
                copy_recursively(&entry.path(), &target)?;
            } else {
                std::os::unix::fs::symlink(entry.path(), &target)?;
            }
        }
        Ok(())
    }

    /// What became of each of the task's zip archives.
    pub fn archives(&self) -> &[Prepared] {
        &self.archives
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn input(&self) -> PathBuf {
        self.root.join("input")
    }

    pub fn working(&self) -> PathBuf {
        self.root.join("working")
    }

    pub fn submission(&self) -> PathBuf {
        self.root.join("submission")
    }

    pub fn tmp(&self) -> PathBuf {
        self.root.join(TMP_DIR)
    }

    pub fn submission_file(&self) -> PathBuf {
        self.root.join("submission").join(SUBMISSION_FILE)
    }

    /// Empties `./submission`, so that a file found there after a run was written by it,
    /// and the private `TMPDIR`.
    pub fn reset_for_script(&self) -> io::Result<()> {
        for dir in [self.submission(), self.tmp()] {
            if dir.exists() {
                fs::remove_dir_all(&dir)?;
            }
            fs::create_dir_all(dir)?;
        }
        Ok(())
    }
}

fn copy_recursively(src: &Path, dst: &Path) -> io::Result<()> {
    if fs::metadata(src)?.is_dir() {
        fs::create_dir_all(dst)?;
        for entry in fs::read_dir(src)? {
            let entry = entry?;
            copy_recursively(&entry.path(), &dst.join(entry.file_name()))?;
        }
        Ok(())
    } else {
        fs::copy(src, dst).map(|_| ())
    }
}

/// The task's description: `description.md` in MLE-bench's public layout.
pub fn read_description(task_dir: &Path) -> io::Result<String> {
    let path = task_dir.join("description.md");
    fs::read_to_string(&path).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!(
                "cannot read {}: {e} (a task dir holds description.md plus the data files)",
                path.display()
            ),
        )
    })
}
