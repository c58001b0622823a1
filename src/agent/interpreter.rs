//! Runs one script as a child process: its own process group, a scrubbed environment,
//! a time limit enforced with SIGINT then SIGKILL of the whole group, and captured
//! output truncated the way AIDE truncates it.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use serde::Deserialize;
use serde_json::Value;

use super::config::ExecConfig;
use super::node::Frame;
use super::prompts::humanize_seconds;
use super::sandbox::Sandbox;

/// The script's file name inside the workspace, as in AIDE.
pub const SCRIPT_NAME: &str = "runfile.py";
/// Where the driver reports an uncaught exception; scripts may write there.
pub const EXC_DIR: &str = ".aide_exec";

/// Environment variables a script may see unless the config adds more. Everything else
/// (API keys, cloud credentials, tokens) is dropped.
pub const DEFAULT_ENV_ALLOW: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "TERM",
    "TMPDIR",
    "CUDA_VISIBLE_DEVICES",
    "NVIDIA_VISIBLE_DEVICES",
    "LD_LIBRARY_PATH",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "HF_HOME",
    "HF_HUB_OFFLINE",
    "TORCH_HOME",
    "XDG_CACHE_HOME",
];

/// Runs the script with `runpy` and reports an uncaught exception as JSON, so that the
/// type, message and stack come back without parsing tracebacks. Frames of this driver
/// and of `runpy` are dropped from what the script's author sees.
const DRIVER: &str = r#"
import json, os, runpy, sys, traceback
_exc_path, _script = sys.argv[1], sys.argv[2]
sys.argv = [_script]
sys.path.insert(0, os.getcwd())
def _keep(f):
    return not (f.filename.startswith("<") or f.filename.endswith("runpy.py"))
def _report(e):
    te = traceback.TracebackException.from_exception(e)
    te.stack = traceback.StackSummary.from_list([f for f in te.stack if _keep(f)])
    sys.stderr.write("".join(te.format()))
    sys.stderr.flush()
    info = {"args": [str(a) for a in getattr(e, "args", ())]}
    for attr in ("name", "msg", "obj"):
        if hasattr(e, attr):
            info[attr] = str(getattr(e, attr))
    stack = [[f.filename, f.lineno or 0, f.name, f.line or ""] for f in te.stack]
    with open(_exc_path, "w") as fh:
        json.dump({"type": type(e).__name__, "info": info, "stack": stack}, fh)
try:
    runpy.run_path(_script, run_name="__main__")
except SystemExit as e:
    if e.code not in (None, 0):
        _report(e)
        sys.exit(1)
except BaseException as e:
    _report(e)
    sys.exit(1)
"#;

/// What one execution produced; the fields AIDE keeps on a node.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecResult {
    pub term_out: Vec<String>,
    pub exec_time: f64,
    pub exc_type: Option<String>,
    pub exc_info: Option<Value>,
    pub exc_stack: Option<Vec<Frame>>,
    pub timed_out: bool,
}

#[derive(Debug, Clone)]
pub struct Interpreter {
    python: PathBuf,
    grace: Duration,
    memory_limit_bytes: Option<u64>,
    env: Vec<(OsString, OsString)>,
    sandbox: Arc<Sandbox>,
}

#[derive(Deserialize)]
struct ExcReport {
    #[serde(rename = "type")]
    kind: String,
    info: Value,
    stack: Vec<Frame>,
}

impl Interpreter {
    /// Captures the allowed part of the current environment once.
    pub fn new(cfg: &ExecConfig) -> Self {
        let allow: Vec<&str> = DEFAULT_ENV_ALLOW
            .iter()
            .copied()
            .chain(cfg.env_allow.iter().map(String::as_str))
            .collect();
        let mut env: Vec<(OsString, OsString)> = std::env::vars_os()
            .filter(|(k, _)| k.to_str().is_some_and(|k| allow.contains(&k)))
            .collect();
        env.extend(
            [
                ("PYTHONUNBUFFERED", "1"),
                ("PYTHONDONTWRITEBYTECODE", "1"),
                ("MPLBACKEND", "Agg"),
            ]
            .map(|(k, v)| (OsString::from(k), OsString::from(v))),
        );
        Self {
            python: cfg.python.clone().unwrap_or_else(default_python),
            grace: Duration::from_secs_f64(cfg.grace_s.max(0.0)),
            memory_limit_bytes: cfg.memory_limit_mb.map(|mb| mb.saturating_mul(1 << 20)),
            env,
            sandbox: Arc::new(Sandbox::off()),
        }
    }

    /// Runs every child in `sandbox`, with `tmp_dir` (inside it) as its `TMPDIR`. Caches
    /// that default to the unwritable `$HOME` (Triton's kernels, Matplotlib's fonts) go
    /// there too, unless the environment names them.
    pub fn with_sandbox(mut self, sandbox: Sandbox, tmp_dir: &Path) -> Self {
        self.env.retain(|(k, _)| k != "TMPDIR");
        self.env
            .push((OsString::from("TMPDIR"), tmp_dir.as_os_str().to_owned()));
        if sandbox.enforcement().filesystem {
            for (name, dir) in [
                ("TRITON_CACHE_DIR", "triton"),
                ("MPLCONFIGDIR", "matplotlib"),
            ] {
                if !self.env.iter().any(|(k, _)| k == name) {
                    self.env
                        .push((OsString::from(name), tmp_dir.join(dir).into_os_string()));
                }
            }
        }
        self.sandbox = Arc::new(sandbox);
        self
    }

    /// Runs this interpreter instead of the configured command (the one it resolves to).
    pub fn with_python(mut self, python: PathBuf) -> Self {
        self.python = python;
        self
    }

    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    /// The scripts' environment as owned pairs.
    pub fn env_pairs(&self) -> &[(OsString, OsString)] {
        &self.env
    }

    pub fn python(&self) -> &Path {
        &self.python
    }

    /// The environment scripts get: the allowed variables and the fixed ones.
    pub fn env(&self) -> impl Iterator<Item = (&OsString, &OsString)> {
        self.env.iter().map(|(k, v)| (k, v))
    }

    /// Runs `code` with `workspace` as the working directory.
    pub async fn run(&self, workspace: &Path, code: &str, timeout: Duration) -> ExecResult {
        let started = Instant::now();
        match self.run_inner(workspace, code, timeout).await {
            Ok(result) => result,
            // The child could not be started: a result, not an abort (the MLE-bench fork's fix).
            Err(e) => ExecResult {
                term_out: vec![format!("RuntimeError: could not run the script: {e}\n")],
                exec_time: started.elapsed().as_secs_f64(),
                exc_type: Some("RuntimeError".to_string()),
                exc_info: Some(serde_json::json!({ "args": [e.to_string()] })),
                exc_stack: None,
                timed_out: false,
            },
        }
    }

    async fn run_inner(
        &self,
        workspace: &Path,
        code: &str,
        timeout: Duration,
    ) -> std::io::Result<ExecResult> {
        let exc_dir = workspace.join(EXC_DIR);
        std::fs::create_dir_all(&exc_dir)?;
        let exc_path = exc_dir.join("exception.json");
        let _ = std::fs::remove_file(&exc_path);
        let script = workspace.join(SCRIPT_NAME);
        std::fs::write(&script, code)?;

        let (reader, writer) = std::io::pipe()?;
        let mut cmd = tokio::process::Command::new(&self.python);
        cmd.arg("-c")
            .arg(DRIVER)
            .arg(&exc_path)
            .arg(SCRIPT_NAME)
            .current_dir(workspace)
            .env_clear()
            .envs(self.env())
            .stdin(Stdio::null())
            .stdout(Stdio::from(writer.try_clone()?))
            .stderr(Stdio::from(writer))
            .process_group(0)
            .kill_on_drop(true);
        if let Some(limit) = self.memory_limit_bytes {
            // SAFETY: setrlimit is async-signal-safe and touches no shared state.
            unsafe {
                cmd.pre_exec(move || {
                    nix::sys::resource::setrlimit(
                        nix::sys::resource::Resource::RLIMIT_AS,
                        limit,
                        limit,
                    )
                    .map_err(std::io::Error::from)
                });
            }
        }
        self.sandbox
            .confine(&mut cmd)
            .map_err(std::io::Error::other)?;
        let mark = self.sandbox.mark();
        let started = Instant::now();
        let mut child = cmd.spawn()?;
        // Our copies of the pipe's write end live in `cmd`; drop them so EOF can come.
        drop(cmd);
        let group = GroupGuard {
            pid: child.id().map(|p| Pid::from_raw(p as i32)),
            sandbox: &self.sandbox,
            mark,
        };

        let capture = Arc::new(Mutex::new(Capture::default()));
        let reader_done = {
            let capture = Arc::clone(&capture);
            tokio::task::spawn_blocking(move || drain(reader, &capture))
        };

        let mut timed_out = false;
        let status = match tokio::time::timeout(timeout, child.wait()).await {
            Ok(status) => status?,
            Err(_) => {
                timed_out = true;
                group.signal(Signal::SIGINT);
                match tokio::time::timeout(self.grace, child.wait()).await {
                    Ok(status) => status?,
                    Err(_) => {
                        group.signal(Signal::SIGKILL);
                        child.wait().await?
                    }
                }
            }
        };
        let exec_time = started.elapsed().as_secs_f64();
        // Whatever the script left behind goes now (its group, and with the sandbox every
        // descendant, wherever it moved), or it would hold the pipe and the machine.
        group.kill_all();
        // Without the sandbox, a process that left the group may keep the pipe open: read
        // for at most 5 s more.
        let _ = tokio::time::timeout(Duration::from_secs(5), reader_done).await;
        let output = capture.lock().map(|c| c.render()).unwrap_or_default();
        let _ = std::fs::remove_file(&script);

        let report: Option<ExcReport> = std::fs::read(&exc_path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok());
        let _ = std::fs::remove_dir_all(&exc_dir);
        let limit = humanize_seconds(timeout.as_secs_f64());
        let (exc_type, exc_info, exc_stack, status_line) = if timed_out {
            (
                Some("TimeoutError".to_string()),
                Some(
                    serde_json::json!({ "args": [format!("exceeded the time limit of {limit}")] }),
                ),
                report.map(|r| r.stack),
                format!("TimeoutError: Execution exceeded the time limit of {limit}"),
            )
        } else {
            let line = format!(
                "Execution time: {} (time limit is {limit}).",
                humanize_seconds(exec_time)
            );
            match report {
                Some(r) => (Some(r.kind), Some(r.info), Some(r.stack), line),
                None if !status.success() => (
                    Some("RuntimeError".to_string()),
                    Some(
                        serde_json::json!({ "args": [format!("the process ended with {status}")] }),
                    ),
                    None,
                    format!("RuntimeError: the process ended with {status}. {line}"),
                ),
                None => (None, None, None, line),
            }
        };
        Ok(ExecResult {
            term_out: vec![output, status_line],
            exec_time,
            exc_type,
            exc_info,
            exc_stack,
            timed_out,
        })
    }
}

/// Sends signals to the script's process group; kills it and every leftover when
/// dropped, so a cancelled run (Ctrl-C in the agent) leaves nothing behind.
struct GroupGuard<'a> {
    pid: Option<Pid>,
    sandbox: &'a Sandbox,
    mark: u64,
}

impl GroupGuard<'_> {
    fn signal(&self, sig: Signal) {
        if let Some(pid) = self.pid {
            // ESRCH (the group is gone) is the expected outcome after a clean exit.
            let _ = killpg(pid, sig);
        }
    }

    fn kill_all(&self) {
        self.signal(Signal::SIGKILL);
        self.sandbox.kill_leftovers(self.mark);
    }
}

impl Drop for GroupGuard<'_> {
    fn drop(&mut self) {
        self.kill_all();
    }
}

fn drain(mut reader: std::io::PipeReader, capture: &Mutex<Capture>) {
    let mut buf = [0u8; 8192];
    loop {
        match reader.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if let Ok(mut c) = capture.lock() {
                    c.push(&buf[..n]);
                }
            }
        }
    }
}

const KEEP_WHOLE: usize = 5100;
const KEEP_EDGE: usize = 2500;

/// Bounded capture: the first bytes and the last bytes, enough for AIDE's truncation
/// (first 2500 + last 2500 characters of anything longer than 5100), whatever the
/// script prints.
#[derive(Default)]
struct Capture {
    head: Vec<u8>,
    tail: VecDeque<u8>,
    total: usize,
}

impl Capture {
    fn push(&mut self, bytes: &[u8]) {
        let room = KEEP_WHOLE.saturating_sub(self.head.len());
        self.head.extend_from_slice(&bytes[..room.min(bytes.len())]);
        self.total += bytes.len();
        let tail_src = &bytes[bytes.len().saturating_sub(KEEP_EDGE)..];
        self.tail.extend(tail_src);
        while self.tail.len() > KEEP_EDGE {
            self.tail.pop_front();
        }
    }

    fn render(&self) -> String {
        if self.total <= KEEP_WHOLE {
            return String::from_utf8_lossy(&self.head).into_owned();
        }
        let tail: Vec<u8> = self.tail.iter().copied().collect();
        format!(
            "{}\n ... [{} characters truncated] ... \n{}",
            String::from_utf8_lossy(&self.head[..KEEP_EDGE]),
            self.total - 2 * KEEP_EDGE,
            String::from_utf8_lossy(&tail)
        )
    }
}

/// The project's virtualenv when there is one (current directory, then `AIDE_FLEET_HOME`,
/// then the source tree this binary was built from), else `python3` from PATH.
pub fn default_python() -> PathBuf {
    let roots = [
        std::env::current_dir().ok(),
        std::env::var_os("AIDE_FLEET_HOME").map(PathBuf::from),
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR"))),
    ];
    roots
        .into_iter()
        .flatten()
        .map(|r| r.join(".venv/bin/python"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("python3"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_output_is_kept_whole() {
        let mut c = Capture::default();
        c.push(b"hello ");
        c.push(b"world");
        assert_eq!(c.render(), "hello world");
    }

    #[test]
    fn long_output_keeps_both_ends() {
        let mut c = Capture::default();
        let body: Vec<u8> = (0..10_000).map(|i| b'a' + (i % 26) as u8).collect();
        for chunk in body.chunks(777) {
            c.push(chunk);
        }
        let r = c.render();
        assert!(r.starts_with(std::str::from_utf8(&body[..KEEP_EDGE]).unwrap()));
        assert!(r.ends_with(std::str::from_utf8(&body[body.len() - KEEP_EDGE..]).unwrap()));
        assert!(r.contains("[5000 characters truncated]"));
    }
}
