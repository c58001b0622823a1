//! Benchmark manifests: MLE-bench registry and splits, RE-Bench tasks, demo tasks, suites.

mod agent_settings;
mod benchmark;
mod catalog;
mod closest;
mod error;
mod executor_settings;
mod fs;
mod grader;
mod human_duration;
mod quantity;
mod resources;
mod seeds;
mod suite;
mod task;
mod yaml_error;
mod yaml_source;

pub mod demo;
pub mod mlebench;
pub mod rebench;

pub use agent_settings::AgentSettings;
pub use benchmark::Benchmark;
pub use catalog::{ALL_SPLIT, Catalog};
pub use error::BenchError;
pub use executor_settings::{
    DataSource, ExecutorSettings, KubeExecutor, LocalExecutor, S3Data, TaintEffect, Toleration,
    TolerationOperator, VolumeData,
};
pub use grader::Grader;
pub use human_duration::HumanDuration;
pub use quantity::{Quantity, QuantityError};
pub use resources::Resources;
pub use seeds::{MAX_SEEDS, Seeds};
pub use suite::{Suite, SuiteError, SuiteFile};
pub use task::{Columns, Competition, Research, Task, TaskKind};
pub use yaml_error::YamlError;
