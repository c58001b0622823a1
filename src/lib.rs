//! aide-fleet: AIDE (AI-Driven Exploration) in Rust, plus the machinery to run it at
//! benchmark scale. See ARCHITECTURE.md for the map of modules and their invariants.
//!
//! - [`agent`]: one AIDE tree search over Python solution scripts.
//! - [`llm`]: chat providers (OpenAI-compatible, Anthropic), retries, usage and pricing.
//! - [`bench`]: benchmark manifests (MLE-bench, RE-Bench, demo tasks) and suite files.
//! - [`grade`]: submission validation, native metrics, leaderboards and medals.
//! - [`fleet`]: the controller and its executors (local processes, Kubernetes Jobs).
//! - [`store`]: where runs live: a directory or an S3 prefix, one layout for both.
//! - [`report`]: aggregation of run groups (polars), regressions, rendering.
//! - [`cli`]: argument parsing and progress display.
//! - [`exit_codes`]: every exit code, documented once.
//! - [`duration`]: the one parser of durations (seconds or humantime), with its maximum.
//! - [`causes`]: how errors carry their causes (in the message, never in `source()`).

pub mod agent;
pub mod bench;
pub mod causes;
pub mod cli;
pub mod duration;
pub mod exit_codes;
pub mod fleet;
pub mod grade;
pub mod llm;
pub mod report;
pub mod store;
