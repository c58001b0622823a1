//! `Sandbox`: what every process running model-written code gets (the script, its syntax
//! check, RE-style scoring), decided once from the settings and what the kernel supports,
//! then applied to each child between `fork` and `execve`.

use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::privileges::{self, CapDrop};
use super::reaper;
use super::rules::{self, Features, Layout};
use super::support::{self, FILESYSTEM_ABI, NETWORK_ABI, SCOPE_ABI};
use crate::agent::config::SandboxMode;

/// What was enforced on a script: saved on every node record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enforcement {
    pub mode: SandboxMode,
    /// The Landlock ABI the rules were written for; 0 without Landlock.
    pub landlock_abi: i32,
    /// Landlock filesystem rules: read-only system, Python and task files, read-write
    /// workspace only.
    pub filesystem: bool,
    /// No capabilities, and none to regain through `execve`.
    pub capabilities: bool,
    /// Leftover processes are found (the agent is a child subreaper) and killed.
    pub leftovers_killed: bool,
    /// TCP bind and connect denied (`exec.network: false`).
    pub network_blocked: bool,
    /// Signals and abstract UNIX sockets cannot reach processes outside the sandbox.
    pub scoped: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// `sandbox: required` where part of the sandbox cannot be enforced.
    #[error("exec.sandbox is `required`, but this machine cannot enforce: {0}")]
    Unavailable(String),
    /// `network: false` where TCP cannot be blocked: refused, never ignored.
    #[error("exec.network is false, but scripts' TCP connections cannot be blocked here: {0}")]
    Network(String),
    /// The Landlock rules of one process could not be built.
    #[error("building the sandbox's rules: {0}")]
    Rules(String),
}

/// The settings of one kind of confined process.
#[derive(Debug, Clone)]
pub struct SandboxSpec {
    pub mode: SandboxMode,
    pub block_network: bool,
    pub layout: Layout,
    /// Make this process a child subreaper and kill a script's leftovers after it. Only
    /// for a process whose every other child it waits for itself (the agent).
    pub kill_leftovers: bool,
}

#[derive(Debug, Clone)]
pub struct Sandbox {
    enforcement: Enforcement,
    /// What is not enforced, and why; warned about once per search.
    missing: Vec<String>,
    layout: Layout,
    cap_plan: CapDrop,
    /// `/dev/shm`, the GPU devices and read-write `/dev/null` and the like: a script's;
    /// not the syntax checker's ([`Sandbox::compile_only`]).
    devices: bool,
}

impl Sandbox {
    /// No sandbox: only the environment allowlist and the process group remain.
    pub fn off() -> Self {
        Self {
            enforcement: Enforcement {
                mode: SandboxMode::Off,
                landlock_abi: 0,
                filesystem: false,
                capabilities: false,
                leftovers_killed: false,
                network_blocked: false,
                scoped: false,
            },
            missing: Vec::new(),
            layout: Layout::default(),
            cap_plan: CapDrop::for_this_process(),
            devices: true,
        }
    }

    /// Decides what will be enforced; `required` without the full sandbox and an
    /// unenforceable `network: false` are errors.
    pub fn new(spec: SandboxSpec) -> Result<Self, SandboxError> {
        if spec.mode == SandboxMode::Off {
            if spec.block_network {
                return Err(SandboxError::Network(
                    "exec.sandbox is off (network rules are part of the sandbox)".to_string(),
                ));
            }
            return Ok(Self::off());
        }
        let cap_plan = CapDrop::for_this_process();
        let support = support::probe(cap_plan);
        let mut missing = Vec::new();
        let landlock = support.landlock.clone().map(|()| support.abi);
        let filesystem = match &landlock {
            Ok(abi) if *abi >= FILESYSTEM_ABI => true,
            Ok(abi) => {
                missing.push(format!(
                    "denying truncation of the task's files (Landlock ABI {abi}, needs {FILESYSTEM_ABI})"
                ));
                true
            }
            Err(why) => {
                missing.push(format!("filesystem rules ({why})"));
                false
            }
        };
        let capabilities = match &support.capabilities {
            Ok(()) => true,
            Err(why) => {
                missing.push(format!("dropping capabilities ({why})"));
                false
            }
        };
        let leftovers_killed = !spec.kill_leftovers
            || match privileges::become_subreaper().and_then(|()| reaper::can_find_children()) {
                Ok(()) => true,
                Err(e) => {
                    missing.push(format!("killing leftover processes ({e})"));
                    false
                }
            };
        let scoped = matches!(landlock, Ok(abi) if abi >= SCOPE_ABI);
        if filesystem && !scoped {
            missing.push(format!(
                "scoping signals and abstract sockets to the sandbox (Landlock ABI {}, needs {SCOPE_ABI})",
                support.abi
            ));
        }
        if spec.block_network {
            match &landlock {
                Ok(abi) if *abi >= NETWORK_ABI => {}
                Ok(abi) => {
                    return Err(SandboxError::Network(format!(
                        "Landlock ABI {abi}, TCP rules need {NETWORK_ABI}"
                    )));
                }
                Err(why) => return Err(SandboxError::Network(why.clone())),
            }
        }
        let full = matches!(landlock, Ok(abi) if abi >= FILESYSTEM_ABI)
            && capabilities
            && leftovers_killed;
        if spec.mode == SandboxMode::Required && !full {
            let essential: Vec<&String> = missing
                .iter()
                .filter(|m| !m.starts_with("scoping"))
                .collect();
            return Err(SandboxError::Unavailable(
                essential
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
            ));
        }
        Ok(Self {
            enforcement: Enforcement {
                mode: spec.mode,
                landlock_abi: if filesystem { support.abi } else { 0 },
                filesystem,
                capabilities,
                leftovers_killed: spec.kill_leftovers && leftovers_killed,
                network_blocked: spec.block_network,
                scoped,
            },
            missing,
            layout: spec.layout,
            cap_plan,
            devices: true,
        })
    }

    /// The sandbox of a process that only compiles model-written code (the syntax
    /// checker): the same capability drop and Landlock ABI as this one, but it reads only
    /// the system and `read_only` (the Python installation), writes nothing (no
    /// workspace, no `/dev/shm`, no GPU; `/dev/null` and `/dev/urandom` read-only), has
    /// no TCP wherever the kernel can deny it (Landlock ABI 4), whatever
    /// `exec.network` says, and is not a script whose leftovers are killed.
    pub fn compile_only(&self, read_only: Vec<PathBuf>) -> Sandbox {
        let mut enforcement = self.enforcement;
        enforcement.network_blocked =
            enforcement.filesystem && enforcement.landlock_abi >= NETWORK_ABI;
        enforcement.leftovers_killed = false;
        Sandbox {
            enforcement,
            missing: Vec::new(),
            layout: Layout {
                read_only,
                read_write: Vec::new(),
            },
            cap_plan: self.cap_plan,
            devices: false,
        }
    }

    pub fn enforcement(&self) -> &Enforcement {
        &self.enforcement
    }

    /// What is not enforced, with the reason, for the once-per-search warning.
    pub fn missing(&self) -> &[String] {
        &self.missing
    }

    /// Builds this process's Landlock rules now and has the child drop its capabilities
    /// and restrict itself after `fork`, before `execve`.
    pub fn confine(&self, cmd: &mut tokio::process::Command) -> Result<(), SandboxError> {
        let e = self.enforcement;
        if e.mode == SandboxMode::Off {
            return Ok(());
        }
        let ruleset: Option<OwnedFd> = if e.filesystem {
            let features = Features {
                abi: e.landlock_abi,
                block_network: e.network_blocked,
                devices: self.devices,
            };
            Some(rules::build(&self.layout, features).map_err(SandboxError::Rules)?)
        } else {
            None
        };
        let plan = e.capabilities.then_some(self.cap_plan);
        // SAFETY: the closure only makes system calls (prctl, capset,
        // landlock_restrict_self) on data prepared before the fork; it allocates nothing.
        unsafe {
            cmd.pre_exec(move || {
                match &plan {
                    Some(plan) => privileges::drop_all(plan)?,
                    None => privileges::set_no_new_privs()?,
                }
                if let Some(fd) = &ruleset {
                    rules::restrict_self(fd)?;
                }
                Ok(())
            });
        }
        Ok(())
    }

    /// A point in time for [`Sandbox::kill_leftovers`], taken before a script starts.
    pub fn mark(&self) -> u64 {
        reaper::now_ticks()
    }

    /// Kills every process started since `mark` that is still alive; returns how many.
    pub fn kill_leftovers(&self, mark: u64) -> usize {
        if self.enforcement.leftovers_killed {
            reaper::kill_started_since(mark)
        } else {
            0
        }
    }
}

/// The interpreter a Python command starts and the directories it reads.
#[derive(Debug, Clone, Deserialize)]
pub struct PythonInstall {
    /// `sys.executable`: what a bare `python3` resolves to through its launcher (a pyenv
    /// shim, say), so that the sandboxed run starts the same interpreter directly.
    pub executable: PathBuf,
    /// Prefixes, site directories and `sys.path`.
    pub paths: Vec<PathBuf>,
}

/// Asks `python` itself, with the scripts' environment; `None` when it cannot answer.
pub fn python_install(
    python: &Path,
    env: &[(std::ffi::OsString, std::ffi::OsString)],
) -> Option<PythonInstall> {
    const QUERY: &str = r#"
import json, os, site, sys
paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
         os.path.dirname(sys.executable), os.path.dirname(os.path.realpath(sys.executable))}
for f in ("getsitepackages", "getusersitepackages"):
    try:
        got = getattr(site, f)()
        paths.update([got] if isinstance(got, str) else got)
    except Exception:
        pass
paths.update(p for p in sys.path if p)
print(json.dumps({"executable": sys.executable,
                  "paths": sorted(p for p in paths if os.path.exists(p))}))
"#;
    let out = std::process::Command::new(python)
        .args(["-c", QUERY])
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    serde_json::from_slice(&out.stdout).ok()
}
