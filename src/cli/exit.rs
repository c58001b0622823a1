//! Turning errors into exit codes (the codes themselves: [`crate::exit_codes`]).

use std::process::ExitCode;

pub use crate::exit_codes::{
    HELP as EXIT_CODES_HELP, INTERNAL, INTERRUPTED, LLM, LLM_UNREACHABLE, OK, REGRESSION,
    RUNS_FAILED, USAGE,
};

use super::output::StdoutClosed;

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
        // A reader that stopped reading (`| head`) is no failure of the command.
        Err(f) if f.error.chain().any(|e| e.is::<StdoutClosed>()) => ExitCode::from(OK),
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
