//! One AIDE search: journal, search policy, operators, prompts, review, interpreter.
//! Knows nothing of Kubernetes, S3 or grading beyond the public submission check.

mod account;
mod aideml;
mod archives;
mod artifacts;
mod checkpoint;
mod config;
mod extract;
mod interpreter;
mod journal;
mod node;
mod out_dir;
mod policy;
mod preview;
mod prompts;
mod review;
mod sandbox;
mod search;
mod syntax;
mod verdict;
mod workspace;

pub use aideml::{AidemlRun, IMPORTED_FILE, ImportError, check_destination};
pub use artifacts::{BEST_SOLUTION_FILE, JOURNAL_FILE, TREE_FILE, USAGE_FILE};
pub use checkpoint::{
    CheckpointError, NODES_DIR, PROGRESS_FILE, Progress, RUN_FILE, RunDir, RunMeta,
};
pub use config::{
    AgentConfig, BudgetConfig, ConfigError, ExecConfig, ModelConfig, PromptConfig, ReviewConfig,
    SandboxMode, TaskConfig,
};
pub use interpreter::{DEFAULT_ENV_ALLOW, ExecResult, Interpreter, default_python};
pub use journal::{Journal, TreeError};
pub use node::{BugKind, BugReason, Node, NodeUsage, Stage, StepTiming};
pub use out_dir::{foreign_entries, move_aside};
pub use policy::SearchConfig;
pub use sandbox::{
    Enforcement, Layout, PythonInstall, Sandbox, SandboxError, SandboxSpec, make_non_dumpable,
    python_install,
};
pub use search::{Agent, AgentError, Event, Outcome, Phase, StopReason, node_line};
pub use syntax::{CHECK_TIMEOUT, Checker, CompileError};
