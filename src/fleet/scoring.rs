//! Scoring a finished RE-Bench-style run on the controller's side: the agent's best
//! script becomes `solution.py` in a copy of the task's public files, the task's score
//! command rates it, and the score is normalised (starting solution 0, reference 1).
//!
//! The scorer runs the model's code, so it runs in the scripts' sandbox (best effort)
//! plus read access to the scorer's own files, with the scripts' environment allowlist:
//! the score comes back on its output and aide-fleet writes the record.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::agent::{
    DEFAULT_ENV_ALLOW, Layout, Sandbox, SandboxMode, SandboxSpec, default_python, python_install,
};
use crate::bench::Research;
use crate::bench::rebench::normalized_score;

/// The name the best script takes in the scorer's work directory.
pub const SOLUTION_FILE: &str = "solution.py";
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// `grade.json` of an RE-Bench-style run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReScore {
    pub task: String,
    pub score: Option<f64>,
    /// (score - starting) / (reference - starting), floored at 0: 0 is the starting
    /// solution (or worse), 1 the reference; above 1 beats it.
    pub normalized_score: Option<f64>,
    pub starting_score: f64,
    pub reference_score: f64,
    pub lower_is_better: bool,
    /// Why there is no score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub created_at: String,
}

fn quote(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

/// The project's virtualenv first on PATH, as the agent's scripts see it.
fn path_with_venv() -> String {
    let venv = default_python();
    let mut path = std::env::var("PATH").unwrap_or_default();
    if let Some(bin) = venv.parent().filter(|b| b.join("activate").is_file()) {
        path = format!("{}:{path}", bin.display());
    }
    path
}

/// Runs the score command on `best_solution` (absent: no score, with the reason).
pub async fn score(
    task: &str,
    research: &Research,
    best_solution: Option<&Path>,
    work: &Path,
) -> ReScore {
    let s = &research.scoring;
    let mut record = ReScore {
        task: task.to_string(),
        score: None,
        normalized_score: None,
        starting_score: s.starting_score,
        reference_score: s.reference_score,
        lower_is_better: s.lower_is_better,
        reason: None,
        created_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
    };
    match run_scorer(research, best_solution, work).await {
        Ok(score) => {
            record.score = Some(score);
            record.normalized_score = normalized_score(score, s.starting_score, s.reference_score);
        }
        Err(reason) => record.reason = Some(reason),
    }
    record
}

/// The scripts' allowlist (no key or credential of the controller), the virtualenv first
/// on PATH, and the work directory as TMPDIR.
fn scorer_env(work: &Path) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = std::env::vars()
        .filter(|(k, _)| DEFAULT_ENV_ALLOW.contains(&k.as_str()) && k != "PATH" && k != "TMPDIR")
        .collect();
    env.push(("PATH".to_string(), path_with_venv()));
    env.push(("TMPDIR".to_string(), work.display().to_string()));
    env
}

/// Read-only: the system, the Python installation and the scorer's task directory;
/// read-write: the work directory alone. Best effort: the controller has no setting for
/// it, and what is missing is logged.
fn scorer_sandbox(
    task_dir: &Path,
    work: &Path,
    env: &[(String, String)],
) -> Result<Sandbox, String> {
    let os_env: Vec<_> = env.iter().map(|(k, v)| (k.into(), v.into())).collect();
    let mut read_only = vec![task_dir.to_path_buf()];
    if let Some(install) = python_install(&default_python(), &os_env) {
        read_only.extend(install.paths);
    }
    let sandbox = Sandbox::new(SandboxSpec {
        mode: SandboxMode::BestEffort,
        block_network: false,
        layout: Layout {
            read_only,
            read_write: vec![work.to_path_buf()],
        },
        // The controller waits for its agents itself; leftovers go with the process group.
        kill_leftovers: false,
    })
    .map_err(|e| e.to_string())?;
    if !sandbox.missing().is_empty() {
        tracing::warn!(
            "scoring sandbox: not enforced on this machine: {}",
            sandbox.missing().join("; ")
        );
    }
    Ok(sandbox)
}

async fn run_scorer(research: &Research, best: Option<&Path>, work: &Path) -> Result<f64, String> {
    let best = best.ok_or("the search produced no working solution")?;
    let task_dir: PathBuf = research
        .dir
        .clone()
        .ok_or("the task has no directory to run its score command from (image-based tasks are scored in their container)")?;
    // The command runs in the work directory, so a relative task dir would not resolve.
    let task_dir = std::fs::canonicalize(&task_dir)
        .map_err(|e| format!("task directory {}: {e}", task_dir.display()))?;
    std::fs::create_dir_all(work).map_err(|e| format!("{}: {e}", work.display()))?;
    if let Some(public) = &research.public_dir {
        for entry in std::fs::read_dir(public)
            .map_err(|e| format!("{}: {e}", public.display()))?
            .flatten()
        {
            if entry.path().is_file() {
                let _ = std::fs::copy(entry.path(), work.join(entry.file_name()));
            }
        }
    }
    std::fs::copy(best, work.join(SOLUTION_FILE))
        .map_err(|e| format!("copying the best solution: {e}"))?;
    let command = research
        .scoring
        .score_command
        .replace("{task_dir}", &quote(&task_dir))
        .replace("{workdir}", &quote(work));
    let timeout = research
        .scoring
        .score_timeout
        .map_or(DEFAULT_TIMEOUT, |t| t.as_duration());
    let env = scorer_env(work);
    let mut cmd = tokio::process::Command::new("sh");
    cmd.arg("-c")
        .arg(&command)
        .current_dir(work)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    scorer_sandbox(&task_dir, work, &env)?
        .confine(&mut cmd)
        .map_err(|e| e.to_string())?;
    let child = cmd
        .spawn()
        .map_err(|e| format!("cannot run the score command: {e}"))?;
    let group = child.id().map(|p| nix::unistd::Pid::from_raw(p as i32));
    let out = tokio::time::timeout(timeout, child.wait_with_output()).await;
    // Whatever the scorer or the scored code left in its group goes with it.
    if let Some(group) = group {
        let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
    }
    let out = out
        .map_err(|_| {
            format!(
                "the score command ran past {}",
                humantime::format_duration(timeout)
            )
        })?
        .map_err(|e| format!("cannot run the score command: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let entry = stdout.lines().rev().find_map(|l| {
        serde_json::from_str::<serde_json::Value>(l.trim())
            .ok()
            .filter(|v| v.get("score").is_some())
    });
    let tail = |b: &[u8]| {
        let t = String::from_utf8_lossy(b);
        t.chars()
            .rev()
            .take(400)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<String>()
    };
    match entry {
        Some(v) => match v["score"].as_f64().filter(|s| s.is_finite()) {
            Some(score) => Ok(score),
            None => Err(format!(
                "no score: {}",
                v.get("message")
                    .or(v.get("reason"))
                    .map(|m| m.to_string())
                    .unwrap_or_else(|| "the scorer gave none".to_string())
            )),
        },
        None => Err(format!(
            "the score command printed no score line (exit {}): {}",
            out.status,
            tail(&out.stderr)
        )),
    }
}
