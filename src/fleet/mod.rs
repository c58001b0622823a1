//! The fleet: plan one run per (task, seed), dispatch them to an executor, keep their
//! state in the store, grade them, resume after a crash.

mod controller;
mod executor;
mod gpus;
mod grade_record;
mod grading;
pub mod index;
pub mod kube;
mod local;
mod plan;
mod scoring;
mod status;

pub use controller::{
    Backend, BackendError, Controller, ControllerConfig, FleetError, FleetObserver, Summary,
};
pub use executor::{ExecEvent, ExitStatus, LaunchSpec, RunKey};
pub use gpus::{GpuPool, discover as discover_gpus};
pub use grade_record::{GradeRecord, ScoreRecord};
pub use grading::{grade_run, grade_task};
pub use local::{LocalError, LocalExecutor};
pub use plan::{PlanError, PlannedRun, agent_args, plan};
pub use scoring::{ReScore, SOLUTION_FILE};
pub use status::{Attempt, AttemptOutcome, Imported, RunState, RunStatus};
