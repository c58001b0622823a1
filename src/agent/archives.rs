//! Zip archives among the task's files, prepared for the scripts as aideml's
//! `preproc_data` prepares them: `x.zip` becomes `input/x/` and the archive is hidden.
//! aideml's special cases hold: an archive whose only member is named `x` becomes that
//! member (`train.csv.zip` holding `train.csv` gives the file `input/train.csv`; `train.zip`
//! holding the folder `train/` gives `input/train/` with the folder's contents), `__MACOSX`
//! folders and `.DS_Store` files are dropped, and an archive whose `x` the task already
//! holds is not extracted (it is hidden only when that `x` is a file with a suffix).
//! As under MLE-bench's aideml settings (`copy_data: false`, where aideml's glob does not
//! enter linked folders) only the task's top-level archives count, and archives inside
//! archives stay as they are.
//!
//! Archives are untrusted input. An entry that would land outside its folder (absolute,
//! `..`), a symbolic link, more bytes or files than [`Limits`] allow for the whole search,
//! or an archive that does not read refuses that archive: nothing of it is extracted, the
//! archive stays visible in `./input`, and the caller warns; the search goes on, since a
//! script can still read the archive itself. The decisions are recorded in the workspace
//! (`archives.json`), so extraction happens once per search and a resume reuses it.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Where the decisions are kept, in the workspace root (read-only to scripts).
pub const RECORD_FILE: &str = "archives.json";
/// Where an archive is unpacked before it is moved into `input/` in one rename, so that a
/// crash never leaves a half-extracted folder that looks complete.
const STAGING_DIR: &str = ".unpacking";
/// aideml's clean-up: dropped wherever they appear in an archive.
const MACOS_FOLDER: &str = "__MACOSX";
const MACOS_FILE: &str = ".DS_Store";
/// Names that mark a file as still compressed (MLE-bench's own list, plus bzip2 and xz).
const COMPRESSED_SUFFIXES: &[&str] = &[".zip", ".tar", ".gz", ".tgz", ".rar", ".7z", ".bz2", ".xz"];

/// How much all archives of one search may unpack to, together: a zip bomb stops here.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_bytes: u64,
    pub max_files: u64,
}

/// Well above MLE-bench's largest public archives (billion-word-imputation's `train_v2.txt`
/// is about 4 GB; the image competitions hold some 10^4-10^5 files).
pub const LIMITS: Limits = Limits {
    max_bytes: 64 << 30,
    max_files: 1_000_000,
};

/// One archive of the task and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prepared {
    /// The archive's name in the task directory.
    pub archive: String,
    #[serde(flatten)]
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Extracted to `input/<into>` (a folder, or a file in the single-file case).
    Extracted {
        into: String,
        files: u64,
        bytes: u64,
    },
    /// Not extracted: the task holds `<into>` already (aideml's rule). `hidden`: the
    /// archive is hidden all the same, because `<into>` is a file with a suffix.
    Collision { into: String, hidden: bool },
    /// Not extracted, left visible; the reason.
    Refused { reason: String },
}

impl Prepared {
    /// Whether the archive itself stays out of `./input`.
    pub fn hides_archive(&self) -> bool {
        matches!(
            self.outcome,
            Outcome::Extracted { .. } | Outcome::Collision { hidden: true, .. }
        )
    }
}

/// Why one archive was not extracted. Each is a refusal of that archive, not of the search.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("not a zip archive that can be read: {0}")]
    Zip(String),
    #[error("entry {name:?} would be written outside the archive's folder")]
    Escapes { name: String },
    #[error("entry {name:?} is a symbolic link")]
    Symlink { name: String },
    #[error(
        "it would take the files unpacked from the task's archives past {limit}, the limit for all of them together"
    )]
    TooManyFiles { limit: u64 },
    #[error(
        "it would take the bytes unpacked from the task's archives past {limit}, the limit for all of them together"
    )]
    TooLarge { limit: u64 },
    #[error("{}: {cause}", path.display())]
    Io { path: PathBuf, cause: io::Error },
}

impl From<zip::result::ZipError> for ArchiveError {
    fn from(e: zip::result::ZipError) -> Self {
        ArchiveError::Zip(e.to_string())
    }
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> ArchiveError + '_ {
    move |cause| ArchiveError::Io {
        path: path.to_path_buf(),
        cause,
    }
}

/// The task's top-level zip archives, by name: `x.zip` regular files (links followed) with
/// a plain `x`. Case matters, as in aideml's `*.zip` glob.
fn task_archives(task_dir: &Path) -> io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in fs::read_dir(task_dir)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        // `..zip` would name `input/.` itself: only a plain name is a place to extract to.
        let stem_ok = name
            .strip_suffix(".zip")
            .is_some_and(|s| !matches!(s, "" | "." | ".."));
        if stem_ok && fs::metadata(entry.path()).is_ok_and(|m| m.is_file()) {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// Python's `Path.suffix != ""`: a dot that is neither the first nor the last character.
fn has_suffix(name: &str) -> bool {
    name.rfind('.').is_some_and(|i| i > 0 && i + 1 < name.len())
}

/// Whether a top-level task entry is aideml's clean-up's to drop.
pub fn is_dropped(name: &str, is_dir: bool) -> bool {
    (is_dir && name == MACOS_FOLDER) || (!is_dir && name == MACOS_FILE)
}

/// Decides and carries out what becomes of each archive of the task: `known` is what an
/// earlier start of this search recorded (an archive decided there is not decided again;
/// one extracted there whose result went missing is extracted again). Returns the record
/// for every archive, in name order. Errors are the workspace's own (listing the task,
/// creating the staging folder); an archive's problems end in `Outcome::Refused`.
pub fn prepare(
    task_dir: &Path,
    work_root: &Path,
    input: &Path,
    known: &[Prepared],
    limits: Limits,
) -> io::Result<Vec<Prepared>> {
    let known: BTreeMap<&str, &Prepared> = known.iter().map(|p| (p.archive.as_str(), p)).collect();
    let mut budget = limits;
    for p in known.values() {
        if let Outcome::Extracted { files, bytes, .. } = p.outcome {
            budget.max_files = budget.max_files.saturating_sub(files);
            budget.max_bytes = budget.max_bytes.saturating_sub(bytes);
        }
    }
    let staging = work_root.join(STAGING_DIR);
    let mut out = Vec::new();
    for archive in task_archives(task_dir)? {
        let into = archive.strip_suffix(".zip").unwrap_or(&archive).to_string();
        let target = input.join(&into);
        if let Some(&p) = known.get(archive.as_str()) {
            let missing = matches!(p.outcome, Outcome::Extracted { .. })
                && fs::symlink_metadata(&target).is_err();
            if !missing {
                out.push(p.clone());
                continue;
            }
            // A script without the sandbox removed it: the budget it used is free again.
            if let Outcome::Extracted { files, bytes, .. } = p.outcome {
                budget.max_files += files;
                budget.max_bytes += bytes;
            }
        }
        let existing = task_dir.join(&into);
        let outcome = if let Ok(meta) = fs::metadata(&existing) {
            Outcome::Collision {
                hidden: meta.is_file() && has_suffix(&into),
                into,
            }
        } else {
            // Left by a start that crashed between the rename and the record: complete
            // (the rename is atomic) but uncounted, so it is done again.
            remove_any(&target).map_err(|e| annotate(&target, e))?;
            match extract(
                &task_dir.join(&archive),
                &into,
                &staging,
                input,
                &mut budget,
                limits,
            ) {
                Ok((files, bytes)) => Outcome::Extracted { into, files, bytes },
                Err(e) => Outcome::Refused {
                    reason: e.to_string(),
                },
            }
        };
        out.push(Prepared { archive, outcome });
    }
    if staging.exists() {
        fs::remove_dir_all(&staging).map_err(|e| annotate(&staging, e))?;
    }
    Ok(out)
}

fn annotate(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

fn remove_any(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Unpacks `archive` into `staging/<into>`, checks it whole, then moves the result to
/// `input/<into>` in one rename. On any error nothing is left behind and `budget` is
/// unchanged. Returns the files and bytes written.
fn extract(
    archive: &Path,
    into: &str,
    staging: &Path,
    input: &Path,
    budget: &mut Limits,
    total: Limits,
) -> Result<(u64, u64), ArchiveError> {
    let dest = staging.join(into);
    remove_any(&dest).map_err(io_err(&dest))?;
    fs::create_dir_all(&dest).map_err(io_err(&dest))?;
    let result = unpack(archive, &dest, *budget, total).and_then(|counts| {
        place(&dest, into, input)?;
        Ok(counts)
    });
    if result.is_err() {
        let _ = remove_any(&dest);
    }
    let (files, bytes) = result?;
    budget.max_files -= files;
    budget.max_bytes -= bytes;
    Ok((files, bytes))
}

/// The entry's path inside the archive's folder, or why it has none. `None`: an entry
/// aideml's clean-up drops. Stricter than `enclosed_name`, which makes `/etc/x` relative
/// and resolves `a/../b`: a root, a drive or any `..` refuses the archive.
fn entry_path(name: &str, enclosed: Option<PathBuf>) -> Result<Option<PathBuf>, ArchiveError> {
    let escapes = || ArchiveError::Escapes {
        name: name.to_string(),
    };
    let mut parts = name.split(['/', '\\']);
    let rooted = name.starts_with(['/', '\\'])
        || parts
            .next()
            .is_some_and(|first| first.contains(':') || first == "..")
        || parts.any(|part| part == "..");
    let path = enclosed.filter(|_| !rooted).ok_or_else(escapes)?;
    let mut clean = PathBuf::new();
    for c in path.components() {
        match c {
            Component::Normal(part) => clean.push(part),
            Component::CurDir => {}
            _ => return Err(escapes()),
        }
    }
    let dropped = clean.components().any(|c| c.as_os_str() == MACOS_FOLDER)
        || clean.file_name().is_some_and(|f| f == MACOS_FILE);
    Ok((!dropped && clean.components().next().is_some()).then_some(clean))
}

/// `budget`: what is left for this archive; `total`: the limits, for messages.
fn unpack(
    archive: &Path,
    dest: &Path,
    budget: Limits,
    total: Limits,
) -> Result<(u64, u64), ArchiveError> {
    let file = fs::File::open(archive).map_err(io_err(archive))?;
    let mut zip = zip::ZipArchive::new(io::BufReader::new(file))?;
    // Checked before anything is written: names, links, and the sizes the archive
    // declares (a bomb usually declares its size; one that lies is caught while copying).
    let mut plan = Vec::with_capacity(zip.len());
    let (mut files, mut declared) = (0u64, 0u64);
    for i in 0..zip.len() {
        let entry = zip.by_index_raw(i)?;
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
        if entry.is_symlink() {
            return Err(ArchiveError::Symlink { name });
        }
        let Some(path) = entry_path(&name, entry.enclosed_name())? else {
            continue;
        };
        if !entry.is_dir() {
            files += 1;
            declared = declared.saturating_add(entry.size());
            if files > budget.max_files {
                return Err(ArchiveError::TooManyFiles {
                    limit: total.max_files,
                });
            }
            if declared > budget.max_bytes {
                return Err(ArchiveError::TooLarge {
                    limit: total.max_bytes,
                });
            }
        }
        plan.push((i, path, entry.is_dir()));
    }
    let mut written = 0u64;
    for (i, path, is_dir) in plan {
        let target = dest.join(&path);
        if is_dir {
            fs::create_dir_all(&target).map_err(io_err(&target))?;
            continue;
        }
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(io_err(parent))?;
        }
        // `create_new`: a duplicate entry is an error, never an overwrite.
        let mut out = fs::File::create_new(&target).map_err(io_err(&target))?;
        let entry = zip.by_index(i)?;
        let left = budget.max_bytes - written;
        let copied = io::copy(&mut entry.take(left + 1), &mut out)
            .map_err(|cause| ArchiveError::Zip(format!("entry {}: {cause}", path.display())))?;
        if copied > left {
            return Err(ArchiveError::TooLarge {
                limit: total.max_bytes,
            });
        }
        written += copied;
    }
    Ok((files, written))
}

/// Moves the unpacked folder to `input/<into>`, with aideml's single-member case: when
/// the archive's only member is named `<into>`, that member (file or folder) takes the
/// place of the folder.
fn place(dest: &Path, into: &str, input: &Path) -> Result<(), ArchiveError> {
    let members: Vec<_> = fs::read_dir(dest)
        .map_err(io_err(dest))?
        .collect::<Result<_, _>>()
        .map_err(io_err(dest))?;
    let target = input.join(into);
    let source = match members.as_slice() {
        [only] if only.file_name() == into => only.path(),
        _ => dest.to_path_buf(),
    };
    fs::rename(&source, &target).map_err(io_err(&target))
}

/// The top-level files of `input` that are still compressed (archives not extracted, or
/// formats aideml does not extract, like `.7z`), by name.
pub fn still_compressed(input: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(input)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| COMPRESSED_SUFFIXES.iter().any(|s| n.ends_with(s)))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use zip::write::SimpleFileOptions;

    fn write_zip(path: &Path, entries: &[(&str, &[u8])]) {
        let mut w = zip::ZipWriter::new(fs::File::create(path).unwrap());
        for (name, data) in entries {
            if name.ends_with('/') {
                w.add_directory(*name, SimpleFileOptions::default())
                    .unwrap();
            } else {
                w.start_file(*name, SimpleFileOptions::default()).unwrap();
                w.write_all(data).unwrap();
            }
        }
        w.finish().unwrap();
    }

    fn setup() -> (tempfile::TempDir, PathBuf, PathBuf, PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let task = tmp.path().join("task");
        let work = tmp.path().join("work");
        let input = work.join("input");
        fs::create_dir_all(&task).unwrap();
        fs::create_dir_all(&input).unwrap();
        (tmp, task, work, input)
    }

    fn run(task: &Path, work: &Path, input: &Path, limits: Limits) -> Vec<Prepared> {
        prepare(task, work, input, &[], limits).unwrap()
    }

    #[test]
    fn layouts_follow_aidemls_rules() {
        let (_tmp, task, work, input) = setup();
        // Several members: a folder named after the archive.
        write_zip(
            &task.join("many.zip"),
            &[("a.csv", b"x\n1\n"), ("sub/b.txt", b"b")],
        );
        // One file named like the archive: it becomes that file.
        write_zip(&task.join("train.csv.zip"), &[("train.csv", b"id\n1\n")]);
        // One folder named like the archive: its contents become the folder.
        write_zip(
            &task.join("images.zip"),
            &[
                ("images/", b""),
                ("images/1.png", b"p1"),
                ("images/2.png", b"p2"),
            ],
        );
        // One file with another name: kept inside the folder.
        write_zip(&task.join("pizza.zip"), &[("pizza.json", b"[]")]);
        // macOS clutter is dropped, which leaves a single same-named member.
        write_zip(
            &task.join("t.txt.zip"),
            &[
                ("t.txt", b"t"),
                ("__MACOSX/._t.txt", b"junk"),
                (".DS_Store", b"junk"),
            ],
        );
        // Not archives: no plain name to extract to, or another case.
        for odd in [".zip", "..zip", "...zip", "UPPER.ZIP"] {
            write_zip(&task.join(odd), &[("a", b"")]);
        }
        let got = run(&task, &work, &input, LIMITS);
        assert_eq!(got.len(), 5, "{got:?}");
        assert!(got.iter().all(Prepared::hides_archive), "{got:?}");
        assert_eq!(fs::read(input.join("many/a.csv")).unwrap(), b"x\n1\n");
        assert_eq!(fs::read(input.join("many/sub/b.txt")).unwrap(), b"b");
        assert!(input.join("train.csv").is_file());
        assert_eq!(fs::read(input.join("images/1.png")).unwrap(), b"p1");
        assert!(!input.join("images/images").exists());
        assert!(input.join("pizza/pizza.json").is_file());
        assert_eq!(fs::read(input.join("t.txt")).unwrap(), b"t");
        assert!(!work.join(STAGING_DIR).exists());
        let train = got.iter().find(|p| p.archive == "train.csv.zip").unwrap();
        assert_eq!(
            train.outcome,
            Outcome::Extracted {
                into: "train.csv".into(),
                files: 1,
                bytes: 5
            }
        );
    }

    #[test]
    fn an_existing_name_wins_as_in_aideml() {
        let (_tmp, task, work, input) = setup();
        write_zip(&task.join("train.csv.zip"), &[("train.csv", b"zipped")]);
        fs::write(task.join("train.csv"), b"plain").unwrap();
        write_zip(&task.join("test.zip"), &[("t", b"zipped")]);
        fs::create_dir(task.join("test")).unwrap();
        let got = run(&task, &work, &input, LIMITS);
        assert_eq!(
            got[0].outcome,
            Outcome::Collision {
                into: "test".into(),
                hidden: false
            }
        );
        assert_eq!(
            got[1].outcome,
            Outcome::Collision {
                into: "train.csv".into(),
                hidden: true
            }
        );
        assert_eq!(fs::read_dir(&input).unwrap().count(), 0);
    }

    #[test]
    fn escaping_and_linking_entries_refuse_the_archive() {
        let (_tmp, task, work, input) = setup();
        write_zip(
            &task.join("evil.zip"),
            &[("ok.txt", b"fine"), ("../escaped.txt", b"x")],
        );
        // The writer makes names relative; an absolute one is patched in (same length, so
        // the offsets and checksums hold).
        write_zip(&task.join("abs.zip"), &[("_tmp_abs.txt", b"x")]);
        let mut bytes = fs::read(task.join("abs.zip")).unwrap();
        let mut patched = 0;
        for i in 0..bytes.len() - 8 {
            if &bytes[i..i + 8] == b"_tmp_abs" {
                bytes[i..i + 8].copy_from_slice(b"/tmp/abs");
                patched += 1;
            }
        }
        assert_eq!(patched, 2, "local header and central directory");
        fs::write(task.join("abs.zip"), bytes).unwrap();
        let mut w = zip::ZipWriter::new(fs::File::create(task.join("link.zip")).unwrap());
        w.add_symlink("l", "/etc/passwd", SimpleFileOptions::default())
            .unwrap();
        w.finish().unwrap();
        let got = run(&task, &work, &input, LIMITS);
        for p in &got {
            let Outcome::Refused { reason } = &p.outcome else {
                panic!("{p:?}");
            };
            assert!(
                reason.contains("outside the archive's folder") || reason.contains("symbolic link"),
                "{reason}"
            );
            assert!(!p.hides_archive());
        }
        assert!(!work.join("escaped.txt").exists() && !work.join("input/escaped.txt").exists());
        assert_eq!(fs::read_dir(&input).unwrap().count(), 0);
    }

    #[test]
    fn limits_hold_for_all_archives_together() {
        let (_tmp, task, work, input) = setup();
        write_zip(&task.join("a.zip"), &[("1", &[0u8; 600]), ("2", b"")]);
        write_zip(&task.join("b.zip"), &[("1", &[0u8; 600])]);
        write_zip(&task.join("c.zip"), &[("1", b""), ("2", b"")]);
        let limits = Limits {
            max_bytes: 1000,
            max_files: 3,
        };
        let got = run(&task, &work, &input, limits);
        assert!(matches!(
            got[0].outcome,
            Outcome::Extracted {
                files: 2,
                bytes: 600,
                ..
            }
        ));
        let Outcome::Refused { reason } = &got[1].outcome else {
            panic!("{:?}", got[1]);
        };
        assert!(
            reason.contains("bytes unpacked from the task's archives past 1000"),
            "{reason}"
        );
        let Outcome::Refused { reason } = &got[2].outcome else {
            panic!("{:?}", got[2]);
        };
        assert!(
            reason.contains("files unpacked from the task's archives past 3"),
            "{reason}"
        );
        assert!(!input.join("b").exists() && !input.join("c").exists());
    }

    #[test]
    fn a_damaged_archive_is_refused_and_a_known_one_is_not_redone() {
        let (_tmp, task, work, input) = setup();
        fs::write(task.join("broken.zip"), b"not a zip").unwrap();
        write_zip(&task.join("d.zip"), &[("x", b"1"), ("y", b"2")]);
        let first = run(&task, &work, &input, LIMITS);
        assert!(matches!(&first[0].outcome, Outcome::Refused { reason } if reason.contains("zip")));
        // Reused: nothing is extracted again while the result is there.
        fs::write(input.join("d/marker"), b"").unwrap();
        let again = prepare(&task, &work, &input, &first, LIMITS).unwrap();
        assert_eq!(again, first);
        assert!(input.join("d/marker").exists());
        // Gone (a script without the sandbox): extracted again.
        fs::remove_dir_all(input.join("d")).unwrap();
        let restored = prepare(&task, &work, &input, &first, LIMITS).unwrap();
        assert_eq!(restored, first);
        assert!(input.join("d/x").is_file());
    }

    #[test]
    fn compressed_leftovers_are_named() {
        let (_tmp, _task, _work, input) = setup();
        for name in ["train.7z", "a.csv", "b.tar.gz", "c.zip"] {
            fs::write(input.join(name), b"").unwrap();
        }
        assert_eq!(still_compressed(&input), ["b.tar.gz", "c.zip", "train.7z"]);
    }
}
