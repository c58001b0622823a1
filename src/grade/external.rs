//! Running an external grader command and reading the score it prints.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

use super::python_json::parse_python_json;
use super::task::ExternalGrader;

/// How much of a grader's output a message quotes.
const TAIL_CHARS: usize = 2000;

/// Why an external grader gave no score. Every variant quotes the end of the command's
/// stderr, which is where Python tracebacks are.
#[derive(Debug, thiserror::Error)]
pub enum ExternalError {
    #[error("the grader command is empty")]
    EmptyCommand,
    #[error("the grader command uses {{data_dir}} but the task names no data directory")]
    NoDataDir,
    #[error("could not start `{program}`: {cause}")]
    Spawn {
        program: String,
        cause: std::io::Error,
    },
    #[error("`{program}` failed ({status}); its stderr ends with:\n{stderr_tail}")]
    Failed {
        program: String,
        status: String,
        stderr_tail: String,
    },
    #[error("`{program}` did not finish within {} and was killed; its stderr ends with:\n{stderr_tail}", humantime::format_duration(*timeout))]
    TimedOut {
        program: String,
        timeout: Duration,
        stderr_tail: String,
    },
    #[error(
        "`{program}` printed no score: its last line of stdout should be a number or {{\"score\": <number>}}, but stdout ends with:\n{stdout_tail}\nand stderr ends with:\n{stderr_tail}"
    )]
    Unparsable {
        program: String,
        stdout_tail: String,
        stderr_tail: String,
    },
    #[error("`{program}` reported the score {value}, which is not a finite number")]
    NotFinite { program: String, value: f64 },
}

/// Runs `grader` on the paths and returns the score it printed.
pub fn run_external(
    grader: &ExternalGrader,
    submission: &Path,
    answers: &Path,
) -> Result<f64, ExternalError> {
    let mut argv = Vec::with_capacity(grader.command.len());
    for arg in &grader.command {
        if arg.contains("{data_dir}") && grader.data_dir.is_none() {
            return Err(ExternalError::NoDataDir);
        }
        let data_dir = grader.data_dir.as_deref().unwrap_or(Path::new(""));
        argv.push(
            arg.replace("{submission}", &submission.to_string_lossy())
                .replace("{answers}", &answers.to_string_lossy())
                .replace("{data_dir}", &data_dir.to_string_lossy()),
        );
    }
    let (program, args) = argv.split_first().ok_or(ExternalError::EmptyCommand)?;
    let program = program.clone();
    let mut child = Command::new(&program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so a timeout kills whatever the grader started too.
        .process_group(0)
        .spawn()
        .map_err(|cause| ExternalError::Spawn {
            program: program.clone(),
            cause,
        })?;
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let status = wait_with_timeout(&mut child, grader.timeout);
    let stdout = join(stdout);
    let stderr_tail = tail(&join(stderr));

    let status = match status {
        Some(status) => status,
        None => {
            return Err(ExternalError::TimedOut {
                program,
                timeout: grader.timeout,
                stderr_tail,
            });
        }
    };
    if !status.success() {
        return Err(ExternalError::Failed {
            program,
            status: status.to_string(),
            stderr_tail,
        });
    }
    match parse_score(&stdout) {
        Some(value) if value.is_finite() => Ok(value),
        Some(value) => Err(ExternalError::NotFinite { program, value }),
        None => Err(ExternalError::Unparsable {
            program,
            stdout_tail: tail(&stdout),
            stderr_tail,
        }),
    }
}

/// Waits for the child; after `timeout` kills its process group and returns `None`.
fn wait_with_timeout(child: &mut Child, timeout: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            _ => break None,
        }
    };
    // Also after a normal exit: anything the grader left running in its group would
    // otherwise hold the output pipes open. The group may be gone already; that is fine.
    if let Ok(pid) = i32::try_from(child.id()) {
        let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
    }
    if status.is_none() {
        let _ = child.wait();
    }
    status
}

/// Reads a pipe to the end on its own thread, so a chatty grader cannot block on a full pipe.
fn drain(pipe: Option<impl Read + Send + 'static>) -> Option<JoinHandle<Vec<u8>>> {
    pipe.map(|mut pipe| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            buf
        })
    })
}

fn join(handle: Option<JoinHandle<Vec<u8>>>) -> String {
    let bytes = handle.and_then(|h| h.join().ok()).unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The last [`TAIL_CHARS`] characters, trimmed.
fn tail(text: &str) -> String {
    let text = text.trim_end();
    let skip = text.chars().count().saturating_sub(TAIL_CHARS);
    let tail: String = text.chars().skip(skip).collect();
    if tail.is_empty() {
        "(nothing)".to_string()
    } else {
        tail
    }
}

/// The score in a grader's stdout: the whole output, else its last non-empty line, as a
/// number or a JSON object with a numeric `score` (Python's `NaN`/`Infinity` accepted).
fn parse_score(stdout: &str) -> Option<f64> {
    let whole = stdout.trim();
    let last = whole.lines().rev().map(str::trim).find(|l| !l.is_empty())?;
    [whole, last].into_iter().find_map(|text| {
        if let Ok(x) = text.parse::<f64>() {
            return Some(x);
        }
        let value = parse_python_json(text).ok()?;
        let score = value.get("score").unwrap_or(&value);
        super::python_json::as_float(score)
    })
}

#[cfg(test)]
mod tests {
    use super::parse_score;

    #[test]
    fn score_is_read_from_the_last_line_or_json() {
        assert_eq!(parse_score("loading\n0.875\n"), Some(0.875));
        assert_eq!(parse_score("{\"score\": 0.5}"), Some(0.5));
        assert_eq!(
            parse_score("log\n{\"score\": 1e-3, \"n\": 3}\n\n"),
            Some(0.001)
        );
        assert_eq!(parse_score("{\n  \"score\": 2\n}\n"), Some(2.0));
        assert!(parse_score("nan").is_some_and(f64::is_nan));
        assert_eq!(parse_score("done\n"), None);
        assert_eq!(parse_score(""), None);
    }
}
