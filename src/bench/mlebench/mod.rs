//! MLE-bench: competition metadata and splits shipped in `benchmarks/mle-bench/`, prepared data
//! roots, and registry checkouts.

mod catalog;
mod competition;
mod prepared;
mod registry;
mod registry_config;
mod splits;

pub use catalog::MleBenchCatalog;
pub use competition::{Complexity, MleCompetition};
pub use prepared::PreparedRoot;
pub use registry::{Registry, RegistryCompetition};
pub use registry_config::{
    CompetitionConfig, CompetitionType, DatasetConfig, GraderConfig, Prize, PrizePosition,
};
