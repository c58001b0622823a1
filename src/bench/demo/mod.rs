//! Demo tasks: small generated tasks in MLE-bench and RE-Bench style.

mod catalog;
mod task_file;

pub use catalog::DemoCatalog;
pub use task_file::{
    DemoCompetitionFile, DemoKind, DemoResearchFile, DemoTaskFile, column_problem, names_a_subpath,
};
