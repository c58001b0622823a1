//! aide-fleet: AIDE (AI-Driven Exploration) in Rust, plus the machinery to run it at
//! benchmark scale. See ARCHITECTURE.md for the map of modules and their invariants.
//!
//! - [`agent`]: one AIDE tree search over Python solution scripts.
//! - [`llm`]: chat providers (OpenAI-compatible, Anthropic), retries, usage and pricing.
//! - [`bench`]: benchmark manifests (MLE-bench, RE-Bench, demo tasks) and suite files.
//! - [`grade`]: submission validation, native metrics, leaderboards and medals.
//! - [`cli`]: argument parsing, progress display and exit codes.

pub mod agent;
pub mod bench;
pub mod cli;
pub mod fleet;
pub mod grade;
pub mod llm;
pub mod report;
pub mod store;
