//! Turning errors into exit codes (the codes themselves: [`crate::exit_codes`]).

use std::process::ExitCode;

pub use crate::exit_codes::{
    HELP as EXIT_CODES_HELP, INTERNAL, INTERRUPTED, LLM, OK, REGRESSION, RUNS_FAILED, USAGE,
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
            eprintln!("error: {:#}", f.error);
            ExitCode::from(f.code)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use crate::agent::{AgentError, CheckpointError};
    use crate::llm::LlmError;

    /// The project's errors name their cause in the message and not in `source()`
    /// (`crate::causes`), so the chain `report` prints says each cause once.
    #[test]
    fn a_printed_chain_says_each_cause_once() {
        let llm = AgentError::from(LlmError::Config("no API key".to_string()));
        let e = anyhow::Error::from(llm).context("step 3");
        assert_eq!(
            format!("{e:#}"),
            "step 3: the LLM failed: LLM configuration: no API key"
        );
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "gone");
        let checkpoint = AgentError::from(CheckpointError::Io {
            path: PathBuf::from("out/nodes/00001.json"),
            cause: io,
        });
        let e = anyhow::Error::from(checkpoint).context("resuming");
        assert_eq!(format!("{e:#}"), "resuming: out/nodes/00001.json: gone");
    }
}
