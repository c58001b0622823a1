//! MLE-bench as shipped under `benchmarks/mle-bench/`: competition metadata, splits and
//! leaderboards.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::bench::fs::{read_text, require_file};
use crate::bench::yaml_source::YamlSource;
use crate::bench::{BenchError, Benchmark, Columns, Competition, Task, TaskKind};

use super::splits::read_splits;
use super::{MleCompetition, PreparedRoot};

#[derive(Debug, Clone, PartialEq)]
pub struct MleBenchCatalog {
    dir: PathBuf,
    competitions: Vec<MleCompetition>,
    splits: BTreeMap<String, Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CompetitionsFile {
    competitions: Vec<MleCompetition>,
}

impl MleBenchCatalog {
    /// Reads `competitions.yaml`, `splits/*.txt` and checks that every competition with a
    /// leaderboard has `leaderboards/<id>.csv`.
    pub fn load(dir: &Path) -> Result<Self, BenchError> {
        let path = dir.join("competitions.yaml");
        let text = read_text(
            &path,
            "MLE-bench competition metadata (scripts/gen_mlebench_meta.py writes it)",
        )?;
        let source = YamlSource::new(&path, &text);
        let file: CompetitionsFile = source.parse()?;
        let competitions = file.competitions;
        for (i, c) in competitions.iter().enumerate() {
            let entry = format!("competitions[{i}]");
            source.check(&entry, c.problems())?;
            if competitions[..i].iter().any(|o| o.id == c.id) {
                return Err(source
                    .error(
                        &format!("{entry}.id"),
                        format!("competition `{}` is listed twice", c.id),
                    )
                    .into());
            }
        }
        let catalog = Self {
            dir: dir.to_owned(),
            splits: read_splits(
                &dir.join("splits"),
                &competitions
                    .iter()
                    .map(|c| c.id.as_str())
                    .collect::<Vec<_>>(),
            )?,
            competitions,
        };
        for c in &catalog.competitions {
            if let Some(board) = catalog.leaderboard_path(&c.id) {
                require_file(
                    &board,
                    "the competition's leaderboard, since `leaderboard_teams` is set",
                )?;
            }
        }
        Ok(catalog)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// In file order.
    pub fn competitions(&self) -> &[MleCompetition] {
        &self.competitions
    }

    pub fn competition(&self, id: &str) -> Option<&MleCompetition> {
        self.competitions.iter().find(|c| c.id == id)
    }

    /// Split name (file name without `.txt`) to competition ids, in file order.
    pub fn splits(&self) -> &BTreeMap<String, Vec<String>> {
        &self.splits
    }

    pub fn split(&self, name: &str) -> Option<&[String]> {
        self.splits.get(name).map(Vec::as_slice)
    }

    /// `leaderboards/<id>.csv`, or `None` for an unknown id or a competition without one.
    pub fn leaderboard_path(&self, id: &str) -> Option<PathBuf> {
        self.competition(id)
            .filter(|c| c.leaderboard_teams.is_some())
            .map(|c| self.dir.join("leaderboards").join(format!("{}.csv", c.id)))
    }

    /// The competition with its data under `data` (which need not be prepared yet; see
    /// [`Competition::check_ready`]).
    pub fn task(&self, id: &str, data: &PreparedRoot) -> Result<Task, BenchError> {
        let c = self.competition(id).ok_or_else(|| {
            BenchError::unknown_task(
                Benchmark::MleBench,
                id,
                self.competitions.iter().map(|c| c.id.as_str()),
            )
        })?;
        Ok(Task {
            id: c.id.clone(),
            benchmark: Benchmark::MleBench,
            kind: TaskKind::Competition(Competition {
                public_dir: data.public_dir(&c.id),
                private_dir: data.private_dir(&c.id),
                answers: data.resolve(&c.answers),
                sample_submission: data.resolve(&c.sample_submission),
                metric: c.metric,
                metric_k: c.metric_k,
                lower_is_better: c.lower_is_better,
                grader: c.grader.clone(),
                leaderboard: self.leaderboard_path(&c.id),
                columns: c.id_column.as_ref().map(|id| Columns {
                    id: id.clone(),
                    targets: c.target_columns.clone(),
                    multilabel: c.multilabel,
                }),
            }),
        })
    }
}
