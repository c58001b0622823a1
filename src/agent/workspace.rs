//! The scripts' working directory: `./input` (the task's data), `./working` (scratch),
//! `./submission` (wiped before every script, so a node's submission is its own) and
//! `./.tmp` (the scripts' private `TMPDIR`, wiped before every script too).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

pub const SUBMISSION_FILE: &str = "submission.csv";

#[derive(Debug, Clone)]
pub struct Workspace {
    root: PathBuf,
    task_dir: PathBuf,
    copy_data: bool,
}

const TMP_DIR: &str = ".tmp";

impl Workspace {
    /// Creates the workspace under `root`, linking (or copying) every entry of `task_dir`
    /// into `input/`. Safe to call again on resume: existing links are kept.
    pub fn prepare(root: &Path, task_dir: &Path, copy_data: bool) -> io::Result<Self> {
        let input = root.join("input");
        for dir in ["input", "working", "submission", TMP_DIR] {
            fs::create_dir_all(root.join(dir))?;
        }
        let task_dir = fs::canonicalize(task_dir)?;
        for entry in fs::read_dir(&task_dir)? {
            let entry = entry?;
            let target = input.join(entry.file_name());
            if fs::symlink_metadata(&target).is_ok() {
                continue;
            }
            if copy_data {
                copy_recursively(&entry.path(), &target)?;
            } else {
                std::os::unix::fs::symlink(entry.path(), &target)?;
            }
        }
        Ok(Self {
            root: root.to_path_buf(),
            task_dir,
            copy_data,
        })
    }

    /// Puts back what a script without filesystem rules may have removed.
    pub fn restore(&self) -> io::Result<()> {
        Self::prepare(&self.root, &self.task_dir, self.copy_data).map(|_| ())
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
