//! Exit codes, one meaning each, so that scripts and Kubernetes can act on them.

use std::process::ExitCode;

/// The command did what was asked (a search that reached a budget counts).
pub const OK: u8 = 0;
/// An unexpected internal failure.
pub const INTERNAL: u8 = 1;
/// Bad input: flags, config files, task directories, manifests. Retrying cannot help.
pub const USAGE: u8 = 2;
/// `run`: some runs failed after every retry (the others finished; see `status`).
pub const RUNS_FAILED: u8 = 5;
/// `report --baseline`: a significant regression against the baseline run.
pub const REGRESSION: u8 = 3;
/// The LLM provider failed: refused the request (401/403/404) or stayed unavailable
/// through every retry.
pub const LLM: u8 = 4;
/// Stopped by SIGINT or SIGTERM; artifacts are written and `--resume` continues.
pub const INTERRUPTED: u8 = 130;

/// An error that knows its exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub error: anyhow::Error,
}

impl Failure {
    pub fn new(code: u8, error: impl Into<anyhow::Error>) -> Self {
        Self {
            code,
            error: error.into(),
        }
    }

    pub fn usage(error: impl Into<anyhow::Error>) -> Self {
        Self::new(USAGE, error)
    }
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        Self::new(INTERNAL, error)
    }
}

/// Prints the error chain and turns the result into the process exit code.
pub fn report(result: Result<u8, Failure>) -> ExitCode {
    match result {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            eprintln!("error: {:#}", f.error);
            ExitCode::from(f.code)
        }
    }
}

pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0    success (a search that reached its step, time or USD budget counts)
  1    internal error
  2    bad input: flags, config file, task directory, manifest
  3    report: a significant regression against --baseline
  4    the LLM provider failed (401/403/404, or unavailable through every retry)
  5    run: some runs failed after every retry (aide-fleet status shows why)
  130  interrupted by SIGINT/SIGTERM; artifacts are written, --resume continues";
