//! One RE-Bench environment as a task manifest (`benchmarks/re-bench/<id>.yaml`).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::bench::yaml_source::YamlSource;
use crate::bench::{BenchError, HumanDuration, Resources};

use super::ReScoring;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReManifest {
    /// Equal to the file name without `.yaml`.
    pub id: String,
    pub name: String,
    /// METR task family (`ai_rd_<name>`) and its version.
    pub family: String,
    pub version: String,
    /// One-paragraph summary; the full instructions come from the task family in the image.
    pub goal: String,
    pub image: String,
    pub resources: Resources,
    pub time_limit: HumanDuration,
    #[serde(default)]
    pub internet: bool,
    #[serde(default)]
    pub required_env: Vec<String>,
    pub scoring: ReScoring,
}

impl ReManifest {
    pub fn load(path: &Path) -> Result<Self, BenchError> {
        let text = crate::bench::fs::read_text(path, "an RE-Bench task manifest")?;
        let source = YamlSource::new(path, &text);
        let manifest: ReManifest = source.parse()?;
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
        if stem.as_deref() != Some(manifest.id.as_str()) {
            return Err(source
                .error(
                    "id",
                    format!(
                        "`id` is `{}` but the file name says `{}`",
                        manifest.id,
                        stem.unwrap_or_default()
                    ),
                )
                .into());
        }
        // The agent refuses a zero `--time-limit`: every run of the task would fail.
        if manifest.time_limit.as_duration().is_zero() {
            return Err(source
                .error("time_limit", "`time_limit`: must be longer than 0s")
                .into());
        }
        source.check("resources", manifest.resources.problems())?;
        source.check("scoring", manifest.scoring.problems())?;
        Ok(manifest)
    }
}
