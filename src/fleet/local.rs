//! The local executor: each run is an `aide-fleet agent` child process in its own process
//! group, with its GPUs in `CUDA_VISIBLE_DEVICES` and its stderr in the run's log.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::sync::mpsc::UnboundedSender;

use super::executor::{ExecEvent, ExitStatus, LaunchSpec, RunKey};
use crate::store::{Store, layout};

use crate::exit_codes::{INTERRUPTED, LLM_UNREACHABLE, USAGE};

#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error("cannot start {bin}: {cause}")]
    Spawn { bin: PathBuf, cause: std::io::Error },
    #[error("cannot prepare {path}: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
}

#[derive(Clone)]
pub struct LocalExecutor {
    bin: PathBuf,
    store: Store,
    /// Scratch space for runs whose store is not a local directory.
    scratch: PathBuf,
    events: UnboundedSender<ExecEvent>,
    children: Arc<Mutex<HashMap<RunKey, Pid>>>,
}

impl LocalExecutor {
    pub fn new(
        bin: PathBuf,
        store: Store,
        scratch: PathBuf,
        events: UnboundedSender<ExecEvent>,
    ) -> Self {
        Self {
            bin,
            store,
            scratch,
            events,
            children: Arc::default(),
        }
    }

    /// Where the agent writes, plus the flags that mirror it to the store when the store
    /// is not that very directory.
    fn placement(&self, spec: &LaunchSpec) -> (PathBuf, PathBuf, Vec<String>) {
        let (run, task, seed) = (&spec.run_id, &spec.key.task, spec.key.seed);
        match self.store.local_root() {
            Some(root) => (
                root.join(layout::agent_prefix(run, task, seed)),
                root.join(layout::log_key(run, task, seed)),
                Vec::new(),
            ),
            None => {
                // One scratch tree per store: two run groups of the same id in two
                // buckets never share a directory.
                let store_dir: String = self
                    .store
                    .url()
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                    .take(120)
                    .collect();
                let base = self
                    .scratch
                    .join(store_dir)
                    .join(layout::seed_prefix(run, task, seed));
                let mut args = vec![
                    "--store".to_string(),
                    self.store.url(),
                    "--store-prefix".to_string(),
                    layout::agent_prefix(run, task, seed),
                ];
                // The agent opens the store itself, on the same server.
                if let Some(endpoint) = self.store.s3_endpoint() {
                    args.extend(["--s3-endpoint".to_string(), endpoint.to_string()]);
                }
                (base.join("agent"), base.join("logs/agent.log"), args)
            }
        }
    }

    /// Starts one attempt; its end arrives later as an [`ExecEvent::Exited`].
    pub fn launch(&self, spec: &LaunchSpec, gpus: &[u32]) -> Result<String, LocalError> {
        let (out, log, store_args) = self.placement(spec);
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |cause| LocalError::Io { path, cause }
        };
        if let Some(dir) = log.parent() {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
        // A fresh search on a remote store: the store holds nothing of it, so whatever the
        // scratch directory holds is left from an earlier run group of this id.
        if !spec.resume && self.store.local_root().is_none() {
            match std::fs::remove_dir_all(&out) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(&out)(e)),
                _ => {}
            }
        }
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .map_err(io(&log))?;
        let mut cmd = tokio::process::Command::new(&self.bin);
        cmd.arg("agent");
        if spec.resume {
            cmd.arg("--resume");
        } else {
            cmd.arg("--task-dir").arg(&spec.public_dir);
        }
        cmd.arg("--out")
            .arg(&out)
            .arg("--no-progress")
            .args(&store_args)
            .args(&spec.agent_args)
            .env(
                "CUDA_VISIBLE_DEVICES",
                gpus.iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log_file))
            .process_group(0);
        // SAFETY: prctl is async-signal-safe. A controller that dies takes its agents
        // down with SIGTERM (they checkpoint and exit), so a restart can resume them.
        unsafe {
            cmd.pre_exec(|| {
                nix::sys::prctl::set_pdeathsig(Signal::SIGTERM).map_err(std::io::Error::from)
            });
        }
        let mut child = cmd.spawn().map_err(|cause| LocalError::Spawn {
            bin: self.bin.clone(),
            cause,
        })?;
        let pid = child.id().map(|p| Pid::from_raw(p as i32));
        let id = pid.map_or_else(|| "pid ?".to_string(), |p| format!("pid {p}"));
        if let (Some(pid), Ok(mut children)) = (pid, self.children.lock()) {
            children.insert(spec.key.clone(), pid);
        }
        let _ = self.events.send(ExecEvent::Started {
            key: spec.key.clone(),
            executor_id: id.clone(),
        });

        let (key, events, children, store) = (
            spec.key.clone(),
            self.events.clone(),
            Arc::clone(&self.children),
            self.store.clone(),
        );
        let log_key = layout::log_key(&spec.run_id, &spec.key.task, spec.key.seed);
        let mirrored = store.local_root().is_none();
        tokio::spawn(async move {
            let status = child.wait().await;
            if let Ok(mut c) = children.lock() {
                c.remove(&key);
            }
            if mirrored {
                let _ = store.put_file(&log_key, &log).await;
            }
            let status = match status {
                Ok(s) => classify(s.code(), &log),
                Err(e) => ExitStatus::Failed {
                    reason: format!("lost track of the agent: {e}"),
                    fatal: false,
                },
            };
            let _ = events.send(ExecEvent::Exited { key, status });
        });
        Ok(id)
    }

    /// SIGTERM to every running agent (they write their artifacts and exit), SIGKILL to
    /// what is left after `grace`.
    pub async fn cancel_all(&self, grace: Duration) {
        let pids: Vec<Pid> = self
            .children
            .lock()
            .map(|c| c.values().copied().collect())
            .unwrap_or_default();
        for pid in &pids {
            let _ = killpg(*pid, Signal::SIGTERM);
        }
        let deadline = tokio::time::Instant::now() + grace;
        while tokio::time::Instant::now() < deadline {
            if self.children.lock().map(|c| c.is_empty()).unwrap_or(true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        for pid in &pids {
            let _ = killpg(*pid, Signal::SIGKILL);
        }
    }
}

/// The last non-empty line of the log: the agent prints its error there.
fn last_line(log: &Path) -> String {
    std::fs::read_to_string(log)
        .ok()
        .and_then(|t| {
            t.lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .map(str::to_string)
        })
        .unwrap_or_default()
}

fn classify(code: Option<i32>, log: &Path) -> ExitStatus {
    match code {
        Some(0) => ExitStatus::Succeeded,
        Some(c) if c == i32::from(INTERRUPTED) => ExitStatus::Cancelled,
        Some(c) if c == i32::from(LLM_UNREACHABLE) => ExitStatus::LlmUnreachable {
            reason: last_line(log),
        },
        Some(c) => ExitStatus::Failed {
            reason: format!("agent exited with code {c}: {}", last_line(log)),
            // Bad input: retrying cannot fix it.
            fatal: c == i32::from(USAGE),
        },
        None => ExitStatus::Failed {
            reason: format!("agent killed by a signal: {}", last_line(log)),
            fatal: false,
        },
    }
}
