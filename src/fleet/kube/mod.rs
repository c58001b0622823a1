//! The Kubernetes executor: each attempt of a (task, seed) run is a `batch/v1` Job whose
//! pod runs `aide-fleet agent` and checkpoints to the store; one watch per run turns what
//! the cluster does into `ExecEvent`s. `render` builds Jobs without a cluster (dry runs,
//! snapshots).

mod client;
mod config;
mod error;
mod executor;
mod gpu;
mod identity;
mod observed;
mod pod;
mod render;
mod staging;
mod tracker;

pub use client::{client, connect};
pub use config::KubeRunConfig;
pub use error::KubeError;
pub use executor::JobExecutor;
pub use identity::{RUN_LABEL, job_name, run_selector};
pub use render::{RenderError, jobs_yaml, render_job};
