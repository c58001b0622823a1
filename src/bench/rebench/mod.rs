//! RE-Bench: METR's seven AI R&D environments as task manifests.

mod catalog;
mod manifest;
mod scoring;

pub use catalog::ReBenchCatalog;
pub use manifest::ReManifest;
pub use scoring::{ReScoring, ScoreLogRule, normalized_score};
