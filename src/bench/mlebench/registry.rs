//! An MLE-bench registry checkout: `mlebench/competitions/<id>/` with `config.yaml`,
//! `description.md` and `leaderboard.csv`.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::bench::BenchError;
use crate::bench::fs::{read_text, require_file, subdirectories};
use crate::bench::yaml_source::YamlSource;

use super::CompetitionConfig;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registry {
    root: PathBuf,
}

/// One competition of a registry checkout, with its files checked to exist.
#[derive(Debug, Clone, PartialEq)]
pub struct RegistryCompetition {
    pub dir: PathBuf,
    pub config: CompetitionConfig,
    pub description: PathBuf,
    pub leaderboard: PathBuf,
}

const LAYOUT: &str = "an MLE-bench checkout holding mlebench/competitions/<id>/config.yaml";

impl Registry {
    /// `root` is the checkout's top directory (the one holding `mlebench/`).
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, BenchError> {
        let registry = Self { root: root.into() };
        let dir = registry.competitions_dir();
        if !dir.is_dir() {
            return Err(BenchError::missing(dir, LAYOUT));
        }
        Ok(registry)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn competitions_dir(&self) -> PathBuf {
        self.root.join("mlebench").join("competitions")
    }

    /// Directories under `mlebench/competitions/`, sorted (helper directories without a
    /// `config.yaml` are left out).
    pub fn ids(&self) -> Result<Vec<String>, BenchError> {
        let dir = self.competitions_dir();
        Ok(subdirectories(&dir, LAYOUT)?
            .into_iter()
            .filter(|id| dir.join(id).join("config.yaml").is_file())
            .collect())
    }

    pub fn competition(&self, id: &str) -> Result<RegistryCompetition, BenchError> {
        let dir = self.competitions_dir().join(id);
        if !dir.is_dir() {
            return Err(BenchError::missing(
                &dir,
                format!("the directory of competition `{id}` in {LAYOUT}"),
            ));
        }
        let config_path = dir.join("config.yaml");
        let text = read_text(&config_path, "the competition's config.yaml")?;
        let source = YamlSource::new(&config_path, &text);
        let config: CompetitionConfig = source.parse()?;
        if config.id != id {
            return Err(source
                .error(
                    "id",
                    format!("`id` is `{}` but the directory is `{id}`", config.id),
                )
                .into());
        }
        let description = self.root.join(&config.description);
        require_file(
            &description,
            &format!(
                "the description named by `description` in {}",
                config_path.display()
            ),
        )?;
        let leaderboard = dir.join("leaderboard.csv");
        require_file(&leaderboard, "the competition's leaderboard.csv")?;
        reject_lfs_pointer(&leaderboard)?;
        Ok(RegistryCompetition {
            dir,
            config,
            description,
            leaderboard,
        })
    }
}

/// MLE-bench keeps its CSVs in Git LFS; a checkout without `git lfs pull` has pointer files.
fn reject_lfs_pointer(path: &Path) -> Result<(), BenchError> {
    const POINTER: &[u8] = b"version https://git-lfs.github.com/spec/";
    let mut head = Vec::with_capacity(POINTER.len());
    std::fs::File::open(path)
        .and_then(|f| f.take(POINTER.len() as u64).read_to_end(&mut head))
        .map_err(|e| BenchError::read(path, e))?;
    if head == POINTER {
        return Err(BenchError::invalid(
            path,
            "is a Git LFS pointer, not the leaderboard; run `git lfs pull` in the checkout",
        ));
    }
    Ok(())
}
