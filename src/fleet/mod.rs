//! The fleet: plan one run per (task, seed), dispatch them to an executor, keep their
//! state in the store, grade them, resume after a crash.

mod executor;
mod gpus;
mod grading;
mod plan;
mod status;

pub use executor::{ExecEvent, ExitStatus, LaunchSpec, RunKey};
pub use gpus::{GpuPool, discover as discover_gpus};
pub use grading::{grade_run, grade_task};
pub use plan::{PlanError, PlannedRun, agent_args, plan};
pub use status::{Attempt, AttemptOutcome, RunState, RunStatus};
