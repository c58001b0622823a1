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
            eprintln!("error: {}", chain(&f.error));
            ExitCode::from(f.code)
        }
    }
}

/// The error and its causes joined by ": ", each cause once: library errors often name
/// their source in their own message already, and `{:#}` would repeat it.
pub fn chain(error: &anyhow::Error) -> String {
    let mut out = error.to_string();
    for cause in error.chain().skip(1) {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("the LLM failed: {0}")]
    struct Outer(#[from] Inner);

    #[derive(Debug, thiserror::Error)]
    #[error("gave up after 6 attempts")]
    struct Inner;

    #[test]
    fn a_cause_already_in_the_message_is_not_repeated() {
        let e = anyhow::Error::from(Outer(Inner));
        assert_eq!(chain(&e), "the LLM failed: gave up after 6 attempts");
        let e = e.context("step 3");
        assert_eq!(
            chain(&e),
            "step 3: the LLM failed: gave up after 6 attempts"
        );
    }

    #[test]
    fn causes_not_in_the_message_are_appended() {
        let e = anyhow::Error::from(Inner).context("reading the journal");
        assert_eq!(chain(&e), "reading the journal: gave up after 6 attempts");
    }
}
