//! Every exit code of every `aide-fleet` command, each documented once. The `--help` text
//! ([`HELP`]) is generated from these docs, and the executors import the codes the agent
//! exits with, so that what a script, Kubernetes or the controller acts on has one source.

use std::fmt;

macro_rules! exit_codes {
    ($($(#[doc = $doc:expr])+ $name:ident = $code:expr;)+) => {
        $($(#[doc = $doc])+ pub const $name: u8 = $code;)+
        /// Every code with its documentation, in order.
        pub const ALL: &[(u8, &str)] = &[$(($code, concat!($($doc, "\n"),+))),+];
    };
}

exit_codes! {
    /// Success: a search that reached its step, time or USD budget counts; `run`: every
    /// run succeeded. A closed stdout (`| head`) also ends a command quietly with 0.
    OK = 0;
    /// An unexpected internal failure.
    INTERNAL = 1;
    /// Bad input: flags, config file, suite, task directory, manifest; `exec.sandbox:
    /// required` where this machine cannot enforce the whole sandbox, `exec.network: false`
    /// where TCP cannot be blocked. Retrying cannot help, and the controller does not retry
    /// an agent that exits with it.
    USAGE = 2;
    /// `report --baseline`: a significant regression against the baseline run.
    REGRESSION = 3;
    /// The LLM provider failed: it refused the request (401/403/404) or stayed unavailable
    /// through every retry. `run`: the endpoint did not answer the check made before
    /// dispatching, or stopped answering during the run (rerun the same command once it
    /// is back).
    LLM = 4;
    /// `run`: some runs failed after every retry (`aide-fleet status` shows why).
    RUNS_FAILED = 5;
    /// `agent`: the LLM endpoint could not be reached (no connection) through every
    /// retry. The controller does not count such an attempt against --max-attempts.
    LLM_UNREACHABLE = 6;
    /// Stopped by SIGINT or SIGTERM; artifacts are written and `--resume` (or the same
    /// `run` command) continues.
    INTERRUPTED = 130;
}

/// The "Exit codes:" section of `--help`, from the docs above.
pub struct Help;

/// Printed after each command's long help.
pub const HELP: Help = Help;

impl fmt::Display for Help {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Exit codes:")?;
        for (code, doc) in ALL {
            let text = doc.split_whitespace().collect::<Vec<_>>().join(" ");
            write!(f, "\n  {code:<4} {text}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_each_has_a_line_of_help() {
        let mut codes: Vec<u8> = ALL.iter().map(|(c, _)| *c).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), ALL.len());
        let help = HELP.to_string();
        assert_eq!(help.lines().count(), ALL.len() + 1);
        assert!(help.contains("\n  6    `agent`: the LLM endpoint could not be reached"));
        assert!(help.contains("\n  130  Stopped by SIGINT"));
    }
}
