//! Which code blocks compile as Python, as AIDE keeps only the blocks that compile.
//!
//! Asked of the configured interpreter itself, so the answer follows that interpreter's
//! grammar exactly: its version's syntax (match statements, PEP 701 f-strings, new
//! soft keywords), its limits (nesting depth, indentation levels, literal sizes) and its
//! errors. A parser in Rust would follow one version's grammar and drift from the one
//! that runs the script: a block it wrongly rejected would be dropped from the answer, one
//! it wrongly accepted would run and fail. So one long-lived checker process per search
//! ([`Checker`]) answers every answer's check, instead of a new Python per answer (20 to
//! 85 ms each, most of the agent's own cost per step).
//!
//! The checker is the configured interpreter (`-I -S`: no site packages, no user
//! environment) running [`CHECKER`], a stdlib-only loop: it reads a request on stdin (a
//! decimal byte length on one line, then that many bytes of JSON: the blocks), calls
//! `compile(block, "<answer>", "exec")` on each (parse and compile only, never `exec`),
//! and answers one JSON line: per block `null` (it compiles) or `[message, line]`.
//! Model-written code is hostile even when only compiled, so:
//! - the checker runs in the scripts' sandbox, narrowed ([`Sandbox::compile_only`]): no
//!   capabilities, Landlock read-only access to the system and the Python installation,
//!   nothing writable, no TCP where the kernel can deny it; the scripts' scrubbed
//!   environment; its own process group; an address-space limit ([`CHECKER_MEMORY`]);
//! - whatever `compile` raises (`SyntaxError`, `ValueError` for a NUL byte, `RecursionError`
//!   and `MemoryError` for deep nesting or a huge answer) is that block's "does not
//!   compile", as it was with one Python per answer;
//! - a request has a time limit ([`CHECK_TIMEOUT`]); a checker that times out, dies
//!   (a crash in the interpreter's compiler) or answers nonsense is killed, that check is
//!   an error (the search then keeps every block, as before), and the next check starts a
//!   new checker. Nothing the answer holds can make the agent hang or panic.
//!
//! The checker starts at the first check (lazily) and ends with its [`Checker`] (the
//! search): killed on drop, and it exits by itself when its stdin closes (the agent died).

use std::collections::VecDeque;
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Deserialize;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout};

use super::interpreter::Interpreter;
use super::sandbox::Sandbox;

/// Parsing a few hundred lines takes milliseconds; this bounds a pathological block, and
/// a checker's start on a loaded machine.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(30);

/// The checker's address-space limit: `compile` of any answer a model can send needs a few
/// megabytes; an answer built to exhaust memory meets `MemoryError` here.
pub const CHECKER_MEMORY: u64 = 2 << 30;

/// The most of the checker's standard error kept for the message when it dies.
const STDERR_KEPT: usize = 2048;

/// The checker loop: stdlib only; it never executes what it compiles. Warnings
/// (`SyntaxWarning` for an invalid escape) are ignored, as they do not stop a compile.
pub const CHECKER: &str = r#"
import json, sys, warnings
warnings.simplefilter("ignore")
stdin, stdout = sys.stdin.buffer, sys.stdout
while True:
    header = stdin.readline()
    if not header:
        break
    size = int(header)
    body = stdin.read(size)
    if len(body) != size:
        break
    verdicts = []
    for source in json.loads(body):
        try:
            compile(source, "<answer>", "exec", dont_inherit=True)
            verdicts.append(None)
        except Exception as e:
            message = getattr(e, "msg", None) or str(e)
            verdicts.append([type(e).__name__ + ": " + str(message)[:300], getattr(e, "lineno", None)])
        del source
    stdout.write(json.dumps(verdicts) + "\n")
    stdout.flush()
"#;

/// Why one block does not compile, as the interpreter put it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CompileError {
    /// The exception's type and message, e.g. `SyntaxError: invalid syntax`.
    pub message: String,
    /// The line in the block, when the interpreter names one.
    pub line: Option<u64>,
}

/// One long-lived syntax checker: started at the first check, restarted after it dies
/// or times out, killed when dropped.
pub struct Checker {
    python: PathBuf,
    env: Vec<(OsString, OsString)>,
    sandbox: Arc<Sandbox>,
    timeout: Duration,
    process: Option<Process>,
    started: u32,
}

struct Process {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    stderr: Arc<Mutex<VecDeque<u8>>>,
    /// A request was sent and its answer not read (the check was cancelled or failed):
    /// the pipe is out of step, so this process is not used again.
    busy: bool,
}

impl Checker {
    /// A checker for `interpreter`'s Python and environment, in `sandbox` (see
    /// [`Sandbox::compile_only`]).
    pub fn new(interpreter: &Interpreter, sandbox: Sandbox) -> Self {
        Self {
            python: interpreter.python().to_path_buf(),
            env: interpreter.env_pairs().to_vec(),
            sandbox: Arc::new(sandbox),
            timeout: CHECK_TIMEOUT,
            process: None,
            started: 0,
        }
    }

    /// Another time limit per check (tests).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How many checker processes were started so far.
    pub fn starts(&self) -> u32 {
        self.started
    }

    /// The running checker's process id, if one runs.
    pub fn pid(&self) -> Option<u32> {
        self.process.as_ref().and_then(|p| p.child.id())
    }

    /// For each block, whether it compiles; an error when the check itself could not run.
    pub async fn compiles(&mut self, blocks: &[&str]) -> Result<Vec<bool>, String> {
        Ok(self
            .check(blocks)
            .await?
            .iter()
            .map(Option::is_none)
            .collect())
    }

    /// For each block, `None` when it compiles, else why not; an error when the check
    /// itself could not run (the checker is then gone, and the next check starts one).
    pub async fn check(&mut self, blocks: &[&str]) -> Result<Vec<Option<CompileError>>, String> {
        if blocks.is_empty() {
            return Ok(Vec::new());
        }
        let request = serde_json::to_vec(blocks).map_err(|e| e.to_string())?;
        let timeout = self.timeout;
        let answer = tokio::time::timeout(timeout, self.ask(&request)).await;
        let answer = match answer {
            Ok(Ok(answer)) => answer,
            Ok(Err(e)) => {
                let why = self.discard().await;
                return Err(format!("{e}{why}"));
            }
            Err(_) => {
                self.discard().await;
                return Err(format!("the syntax check took over {timeout:?}"));
            }
        };
        let verdicts: Vec<Option<(String, Option<u64>)>> = match serde_json::from_str(&answer) {
            Ok(v) => v,
            Err(e) => {
                self.discard().await;
                return Err(format!("the syntax checker answered no verdicts: {e}"));
            }
        };
        if verdicts.len() != blocks.len() {
            self.discard().await;
            return Err(format!(
                "the syntax check answered {} verdicts for {} blocks",
                verdicts.len(),
                blocks.len()
            ));
        }
        Ok(verdicts
            .into_iter()
            .map(|v| v.map(|(message, line)| CompileError { message, line }))
            .collect())
    }

    /// Sends one request and reads its answer line, starting a checker when none runs
    /// (or the last one died or was left mid-request).
    async fn ask(&mut self, request: &[u8]) -> Result<String, String> {
        let reusable = match &mut self.process {
            Some(p) => !p.busy && matches!(p.child.try_wait(), Ok(None)),
            None => false,
        };
        if !reusable {
            self.discard().await;
            self.process = Some(self.spawn()?);
            self.started += 1;
        }
        let process = self.process.as_mut().ok_or("no syntax checker")?;
        process.busy = true;
        let mut frame = format!("{}\n", request.len()).into_bytes();
        frame.extend_from_slice(request);
        process
            .stdin
            .write_all(&frame)
            .await
            .map_err(|e| format!("could not send the code to the syntax checker: {e}"))?;
        process
            .stdin
            .flush()
            .await
            .map_err(|e| format!("could not send the code to the syntax checker: {e}"))?;
        let mut line = String::new();
        let read = process
            .stdout
            .read_line(&mut line)
            .await
            .map_err(|e| format!("could not read the syntax checker's answer: {e}"))?;
        if read == 0 || !line.ends_with('\n') {
            return Err("the syntax checker ended without an answer".to_string());
        }
        process.busy = false;
        Ok(line)
    }

    fn spawn(&self) -> Result<Process, String> {
        let mut cmd = tokio::process::Command::new(&self.python);
        // -I -S: no site packages or user environment to load; `compile` needs neither.
        cmd.args(["-I", "-S", "-c", CHECKER])
            .current_dir("/")
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        // SAFETY: setrlimit is async-signal-safe and touches no shared state.
        unsafe {
            cmd.pre_exec(|| {
                nix::sys::resource::setrlimit(
                    nix::sys::resource::Resource::RLIMIT_AS,
                    CHECKER_MEMORY,
                    CHECKER_MEMORY,
                )
                .map_err(std::io::Error::from)
            });
        }
        self.sandbox.confine(&mut cmd).map_err(|e| e.to_string())?;
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("could not start {}: {e}", self.python.display()))?;
        let stdin = child
            .stdin
            .take()
            .ok_or("no stdin for the syntax checker")?;
        let stdout = child
            .stdout
            .take()
            .ok_or("no stdout for the syntax checker")?;
        let stderr = Arc::new(Mutex::new(VecDeque::new()));
        if let Some(mut pipe) = child.stderr.take() {
            // Drained all along (a full pipe would block the checker), the end kept.
            let kept = Arc::clone(&stderr);
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                while let Ok(n) = pipe.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    if let Ok(mut kept) = kept.lock() {
                        kept.extend(&buf[..n]);
                        let excess = kept.len().saturating_sub(STDERR_KEPT);
                        kept.drain(..excess);
                    }
                }
            });
        }
        Ok(Process {
            child,
            stdin,
            stdout: BufReader::new(stdout),
            stderr,
            busy: false,
        })
    }

    /// Kills the checker, if one runs, and says how it ended (for an error message).
    async fn discard(&mut self) -> String {
        let Some(mut process) = self.process.take() else {
            return String::new();
        };
        let status = match process.child.try_wait() {
            Ok(Some(status)) => Some(status),
            _ => {
                let _ = process.child.start_kill();
                None
            }
        };
        let status = match status {
            Some(status) => Some(status),
            None => tokio::time::timeout(Duration::from_secs(5), process.child.wait())
                .await
                .ok()
                .and_then(Result::ok),
        };
        // What it printed before dying has had a moment to arrive.
        tokio::task::yield_now().await;
        let stderr: Vec<u8> = process
            .stderr
            .lock()
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default();
        let stderr = String::from_utf8_lossy(&stderr);
        match (status, stderr.trim()) {
            (Some(status), "") => format!(" (it exited with {status})"),
            (Some(status), err) => format!(" (it exited with {status}: {err})"),
            (None, _) => String::new(),
        }
    }
}

#[cfg(test)]
/// For each block, whether it compiles, asked of a checker started for this call alone
/// in `interpreter`'s own sandbox; an error when the check itself could not run.
pub async fn compiles(interpreter: &Interpreter, blocks: &[&str]) -> Result<Vec<bool>, String> {
    Checker::new(interpreter, interpreter.sandbox().clone())
        .compiles(blocks)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::ExecConfig;

    #[tokio::test]
    async fn each_block_is_judged_on_its_own() {
        let interpreter = Interpreter::new(&ExecConfig::default());
        let blocks = [
            "import os\nprint(os.getcwd())",
            "def f(:\n    pass",
            "x = 1\n  y = 2",
            "s = 'nul \0 byte'",
            "",
        ];
        let verdicts = compiles(&interpreter, &blocks).await.unwrap();
        assert_eq!(verdicts, [true, false, false, false, true]);
    }

    #[tokio::test]
    async fn compiling_does_not_run_the_code() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("ran");
        let code = format!("open({:?}, 'w').write('x')", marker.display().to_string());
        let verdicts = compiles(&Interpreter::new(&ExecConfig::default()), &[&code])
            .await
            .unwrap();
        assert_eq!(verdicts, [true]);
        assert!(!marker.exists());
    }

    #[tokio::test]
    async fn a_missing_interpreter_is_an_error_not_a_verdict() {
        let cfg = ExecConfig {
            python: Some("/nonexistent/python".into()),
            ..ExecConfig::default()
        };
        let err = compiles(&Interpreter::new(&cfg), &["x = 1"])
            .await
            .unwrap_err();
        assert!(err.contains("/nonexistent/python"), "{err}");
    }

    fn checker() -> Checker {
        let interpreter = Interpreter::new(&ExecConfig::default());
        Checker::new(&interpreter, Sandbox::off())
    }

    #[tokio::test]
    async fn one_checker_answers_every_check_with_the_error_and_its_line() {
        let mut checker = checker();
        assert_eq!(checker.starts(), 0, "started lazily");
        for _ in 0..20 {
            let verdicts = checker
                .check(&["x = 1", "x = 1\ny = (\n", "print('ok')"])
                .await
                .unwrap();
            assert_eq!(verdicts[0], None);
            let error = verdicts[1].as_ref().unwrap();
            assert!(error.message.starts_with("SyntaxError"), "{error:?}");
            assert_eq!(error.line, Some(2));
            assert_eq!(verdicts[2], None);
        }
        assert_eq!(checker.starts(), 1);
    }

    #[tokio::test]
    async fn hostile_answers_are_verdicts_not_hangs() {
        let mut checker = checker();
        let nested_parens = "(".repeat(100_000);
        let unary = format!("{}1", "-".repeat(1_000_000));
        let long_sum = format!("x = 1{}", "+1".repeat(1_000_000));
        let huge = format!("x = '{}'\n", "a".repeat(20 << 20));
        let escape = "s = '\\d'";
        let blocks = [
            nested_parens.as_str(),
            unary.as_str(),
            long_sum.as_str(),
            huge.as_str(),
            escape,
        ];
        let verdicts = checker.compiles(&blocks).await.unwrap();
        assert_eq!(verdicts, [false, false, false, true, true]);
        // Still the same checker, and still answering.
        assert_eq!(checker.compiles(&["x = 1"]).await.unwrap(), [true]);
        assert_eq!(checker.starts(), 1);
    }

    #[tokio::test]
    async fn a_dead_checker_is_replaced() {
        let mut checker = checker();
        assert_eq!(checker.compiles(&["x = 1"]).await.unwrap(), [true]);
        let pid = checker.pid().unwrap() as i32;
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::SIGKILL).unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(checker.compiles(&["x = (1"]).await.unwrap(), [false]);
        assert_eq!(checker.starts(), 2);
    }

    #[tokio::test]
    async fn a_check_over_its_time_is_an_error_and_the_next_check_starts_afresh() {
        let mut checker = checker().with_timeout(Duration::from_millis(1));
        let big = "x = 1\n".repeat(2_000_000);
        let err = checker.compiles(&[&big]).await.unwrap_err();
        assert!(err.contains("took over"), "{err}");
        assert!(checker.pid().is_none(), "the slow checker is gone");
        checker.timeout = CHECK_TIMEOUT;
        assert_eq!(checker.compiles(&["x = 1"]).await.unwrap(), [true]);
        assert_eq!(checker.starts(), 2);
    }

    #[tokio::test]
    async fn the_checker_compiles_in_its_narrow_sandbox() {
        use crate::agent::{SandboxMode, SandboxSpec, python_install};
        let interpreter = Interpreter::new(&ExecConfig::default());
        let sandbox = Sandbox::new(SandboxSpec {
            mode: SandboxMode::BestEffort,
            block_network: false,
            layout: Default::default(),
            kill_leftovers: false,
        })
        .unwrap();
        let install = python_install(interpreter.python(), interpreter.env_pairs()).unwrap();
        let narrow = sandbox.compile_only(install.paths);
        assert!(!narrow.enforcement().leftovers_killed);
        let interpreter = interpreter.with_python(install.executable);
        let mut checker = Checker::new(&interpreter, narrow);
        assert_eq!(
            checker.compiles(&["import os", "x = ("]).await.unwrap(),
            [true, false]
        );
    }

    #[tokio::test]
    async fn a_cancelled_check_leaves_no_checker_out_of_step() {
        let mut checker = checker();
        assert_eq!(checker.compiles(&["x = 1"]).await.unwrap(), [true]);
        let big = "x = 1\n".repeat(2_000_000);
        // Dropped mid-request: the answer to it must not be read as the next one's.
        let _ = tokio::time::timeout(Duration::from_millis(1), checker.compiles(&[&big])).await;
        assert_eq!(
            checker.compiles(&["x = (", "y = 2"]).await.unwrap(),
            [false, true]
        );
    }
}
