//! `aide-fleet agent`: one AIDE search on one task.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;

use super::exit::{self, EXIT_CODES_HELP, Failure};
use super::progress::Display;
use crate::agent::{Agent, AgentConfig, AgentError, RunDir, StopReason};
use crate::llm::{Llm, LlmError, PromptRole, ProviderKind};

const AFTER_HELP: &str = "\
Settings come from AIDE's defaults, then --config FILE (YAML, the same names as in
`aide-fleet agent --print-config`), then the flags. With --resume the saved settings of
the run replace the defaults and the config file; flags still override them (raise
--steps to extend a finished search).

The LLM: OpenAI-compatible Chat Completions for every model except claude-*, which use
Anthropic's Messages API. OPENAI_API_KEY, OPENAI_BASE_URL, ANTHROPIC_API_KEY and
ANTHROPIC_BASE_URL are read as the official SDKs read them; none of them (nor any other
variable outside the allowlist) reaches the generated scripts.

Output (in --out):
  nodes/NNNNN.json             one record per node, written the moment it completes
  nodes/NNNNN.submission.csv   that node's own submission, when it wrote one
  journal.json                 AIDE's journal, v2 layout
  best_solution.py             code of the best node
  best_submission/submission.csv   the best node's own submission
  tree.html                    the search tree; open it in a browser (no network needed)
  usage.json                   tokens and USD per node and in total
  progress.json                step, best metric, spend; why the search stopped
  workspace/                   input/ (the task's files), working/, submission/

Examples:
  # A 20-step search with a local OpenAI-compatible server
  OPENAI_BASE_URL=http://127.0.0.1:8089/v1 aide-fleet agent \\
      --task-dir benchmarks/demo/demo-binary/prepared/public --out results/demo \\
      --model gemma3-270m --feedback-model gemma3-270m
  # MLE-bench's AIDE settings, with a 24 h budget and a USD cap
  aide-fleet agent --task-dir /data/spaceship-titanic/prepared/public --out runs/st \\
      --steps 500 --debug-prob 1 --max-debug-depth 20 --time-limit 24h \\
      --exec-timeout 9h --model gpt-4o-2024-08-06 --feedback-model gpt-4o-2024-08-06 --max-usd 50
  # Continue after a crash or kill, losing at most the node that was running
  aide-fleet agent --out runs/st --resume
";

/// Run one AIDE search: draft, debug and improve Python solution scripts for a task.
#[derive(Debug, Args)]
#[command(after_long_help = format!("{AFTER_HELP}\n{EXIT_CODES_HELP}"))]
pub struct AgentArgs {
    /// Task directory in MLE-bench's public layout: description.md plus the data files
    /// (train.csv, test.csv, sample_submission.csv, ...). Scripts see it as ./input.
    #[arg(long, value_name = "DIR", required_unless_present_any = ["resume", "print_config"], conflicts_with = "resume")]
    task_dir: Option<PathBuf>,

    /// Where the search writes nodes and artifacts [default: results/agent/<task name>].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,

    /// Continue the search in --out from its last completed node.
    #[arg(long, requires = "out")]
    resume: bool,

    /// YAML file with agent settings (see --print-config for every name). Not with
    /// --resume: a resumed search keeps its saved settings, which flags may override.
    #[arg(long, value_name = "FILE", conflicts_with = "resume")]
    config: Option<PathBuf>,

    /// Print the resolved settings as YAML and exit.
    #[arg(long)]
    print_config: bool,

    /// Seeds every random choice of the search [default: 0].
    #[arg(long)]
    seed: Option<u64>,

    /// Total nodes to create, drafts included [default: 20].
    #[arg(long)]
    steps: Option<usize>,

    /// Root drafts before debugging or improving [default: 5].
    #[arg(long)]
    num_drafts: Option<usize>,

    /// Probability of debugging a buggy leaf instead of improving the best node [default: 0.5].
    #[arg(long)]
    debug_prob: Option<f64>,

    /// Buggy leaves deeper than this in a debug chain are not debugged again [default: 3].
    #[arg(long)]
    max_debug_depth: Option<u32>,

    /// Hint the model to use k-fold cross-validation; 1 disables the hint [default: 5].
    #[arg(long, value_name = "K")]
    k_fold: Option<u32>,

    /// Wall clock for the whole search, e.g. 90s, 30m, 24h (no limit by default).
    #[arg(long, value_name = "DURATION", value_parser = parse_seconds)]
    time_limit: Option<f64>,

    /// Time limit of one script; SIGINT at the limit, SIGKILL of its process group after
    /// the grace period [default: 1h].
    #[arg(long, value_name = "DURATION", value_parser = parse_seconds)]
    exec_timeout: Option<f64>,

    /// Seconds between SIGINT and SIGKILL when a script runs over [default: 5s].
    #[arg(long, value_name = "DURATION", value_parser = parse_seconds)]
    kill_grace: Option<f64>,

    /// Stop before the next step once this many USD are spent.
    #[arg(long, value_name = "USD")]
    max_usd: Option<f64>,

    /// Model that writes plans and code [default: o4-mini].
    #[arg(long)]
    model: Option<String>,

    /// Model that reviews executions; needs tool calls or JSON answers [default: gpt-4.1-mini].
    #[arg(long)]
    feedback_model: Option<String>,

    /// Base URL of the LLM API; overrides OPENAI_BASE_URL / ANTHROPIC_BASE_URL.
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,

    /// Wire protocol: auto (claude-* → anthropic, else openai), openai, anthropic.
    #[arg(long, value_parser = ["auto", "openai", "anthropic"])]
    provider: Option<String>,

    /// Role of the prompt message for OpenAI-compatible servers (AIDE sends a system message).
    #[arg(long, value_parser = ["system", "user"])]
    prompt_role: Option<String>,

    /// YAML pricing table (USD per million tokens) replacing the built-in one.
    #[arg(long, value_name = "FILE")]
    pricing: Option<PathBuf>,

    /// Python that runs the scripts [default: the project's .venv, else python3].
    #[arg(long, value_name = "PATH")]
    python: Option<PathBuf>,

    /// Address-space cap of a script, in MiB.
    #[arg(long, value_name = "MIB")]
    memory_limit: Option<u64>,

    /// Let scripts see this environment variable too (repeatable). Everything outside
    /// the built-in allowlist (PATH, HOME, locale, CUDA/thread settings) is removed.
    #[arg(long, value_name = "NAME")]
    allow_env: Vec<String>,

    /// Copy the task's files into the workspace instead of symlinking them.
    #[arg(long)]
    copy_data: bool,

    /// The metric is minimised (fixes the direction instead of asking the reviewer).
    #[arg(long, conflicts_with = "higher_is_better")]
    lower_is_better: bool,

    /// The metric is maximised.
    #[arg(long)]
    higher_is_better: bool,

    /// No progress bar, plain log lines even on a terminal.
    #[arg(long)]
    no_progress: bool,
}

/// Accepts plain seconds ("90", "1.5") or a duration ("90s", "30m", "24h", "1h 30m").
fn parse_seconds(s: &str) -> Result<f64, String> {
    let secs = match s.trim().parse::<f64>() {
        Ok(v) => v,
        Err(_) => humantime::parse_duration(s.trim())
            .map_err(|e| format!("expected seconds or a duration like 90s, 30m, 24h ({e})"))?
            .as_secs_f64(),
    };
    if secs.is_finite() && secs > 0.0 {
        Ok(secs)
    } else {
        Err("expected a positive duration".to_string())
    }
}

impl AgentArgs {
    /// Layers the flags over `cfg`.
    fn apply(&self, cfg: &mut AgentConfig) {
        macro_rules! set {
            ($flag:expr, $field:expr) => {
                if let Some(v) = $flag.clone() {
                    $field = v;
                }
            };
        }
        set!(self.seed, cfg.seed);
        set!(self.steps, cfg.search.steps);
        set!(self.num_drafts, cfg.search.num_drafts);
        set!(self.debug_prob, cfg.search.debug_prob);
        set!(self.max_debug_depth, cfg.search.max_debug_depth);
        set!(self.k_fold, cfg.prompt.k_fold_validation);
        set!(self.exec_timeout, cfg.exec.timeout_s);
        set!(self.kill_grace, cfg.exec.grace_s);
        set!(self.model, cfg.models.code);
        set!(self.feedback_model, cfg.models.feedback);
        if self.time_limit.is_some() {
            cfg.budget.time_limit_s = self.time_limit;
        }
        if self.max_usd.is_some() {
            cfg.budget.max_usd = self.max_usd;
        }
        if self.base_url.is_some() {
            cfg.llm.base_url = self.base_url.clone();
        }
        if self.pricing.is_some() {
            cfg.llm.pricing_file = self.pricing.clone();
        }
        if self.python.is_some() {
            cfg.exec.python = self.python.clone();
        }
        if self.memory_limit.is_some() {
            cfg.exec.memory_limit_mb = self.memory_limit;
        }
        cfg.exec.env_allow.extend(self.allow_env.iter().cloned());
        if self.copy_data {
            cfg.exec.copy_data = true;
        }
        if self.lower_is_better {
            cfg.review.lower_is_better = Some(true);
        }
        if self.higher_is_better {
            cfg.review.lower_is_better = Some(false);
        }
        match self.provider.as_deref() {
            Some("openai") => cfg.llm.provider = ProviderKind::OpenAi,
            Some("anthropic") => cfg.llm.provider = ProviderKind::Anthropic,
            Some(_) => cfg.llm.provider = ProviderKind::Auto,
            None => {}
        }
        match self.prompt_role.as_deref() {
            Some("user") => cfg.llm.prompt_role = PromptRole::User,
            Some(_) => cfg.llm.prompt_role = PromptRole::System,
            None => {}
        }
    }

    fn out_dir(&self) -> PathBuf {
        if let Some(out) = &self.out {
            return out.clone();
        }
        PathBuf::from("results/agent").join(task_name(self.task_dir.as_deref()))
    }
}

/// A readable name for a task dir: MLE-bench's `<id>/prepared/public` becomes `<id>`.
fn task_name(task_dir: Option<&Path>) -> String {
    let mut dir = task_dir.and_then(|d| std::fs::canonicalize(d).ok());
    while let Some(d) = &dir {
        match d.file_name().and_then(|n| n.to_str()) {
            Some("public" | "prepared") => dir = d.parent().map(Path::to_path_buf),
            Some(name) => return name.to_string(),
            None => break,
        }
    }
    "task".to_string()
}

pub fn run(args: AgentArgs) -> Result<u8, Failure> {
    let out = args.out_dir();
    let mut cfg = if args.resume {
        RunDir::create(&out)
            .and_then(|r| r.read_meta())
            .with_context(|| format!("cannot resume from {}", out.display()))
            .map_err(Failure::usage)?
            .config
    } else {
        match &args.config {
            Some(path) => AgentConfig::from_yaml_file(path).map_err(Failure::usage)?,
            None => AgentConfig::default(),
        }
    };
    args.apply(&mut cfg);
    cfg.validate().map_err(Failure::usage)?;
    if args.print_config {
        let yaml = serde_saphyr::to_string(&cfg).context("serialising the config")?;
        print!("{yaml}");
        return Ok(exit::OK);
    }

    let display = Display::new(cfg.search.steps as u64, !args.no_progress);
    display.init_logging();
    let llm = Llm::from_env(&cfg.llm).map_err(|e| Failure::new(exit::LLM, e))?;
    let observer = Box::new(display.agent_observer(cfg.search.steps));
    let agent = if args.resume {
        Agent::resume(cfg.clone(), &out, llm, observer)
    } else {
        let task_dir = args.task_dir.as_deref().unwrap_or(Path::new("."));
        Agent::start(cfg.clone(), task_dir, &out, llm, observer)
    };
    let mut agent = agent.map_err(agent_failure)?;
    display.set_position(agent.journal().len() as u64);
    if args.resume {
        display.println(&format!(
            "resuming {} at step {}/{}",
            out.display(),
            agent.journal().len() + 1,
            cfg.search.steps
        ));
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let outcome = runtime.block_on(async { agent.run(shutdown_signal()).await });
    display.finish();
    let outcome = outcome.map_err(agent_failure)?;

    let best = match (outcome.best_step, outcome.best_metric) {
        (Some(step), Some(metric)) => format!("best node {step} with metric {metric}"),
        _ => "no working solution".to_string(),
    };
    eprintln!(
        "search stopped ({}) after {} nodes: {best}\nresults: {}\n  tree view: {}",
        outcome.stop.as_str(),
        outcome.nodes,
        out.display(),
        out.join("tree.html").display()
    );
    Ok(match outcome.stop {
        StopReason::Interrupted => exit::INTERRUPTED,
        _ => exit::OK,
    })
}

fn agent_failure(e: AgentError) -> Failure {
    let code = match &e {
        AgentError::Llm(LlmError::Config(_)) => exit::USAGE,
        AgentError::Llm(_) => exit::LLM,
        AgentError::Task(_) | AgentError::Resume(_) => exit::USAGE,
        AgentError::Checkpoint(_) => exit::INTERNAL,
    };
    Failure::new(code, e)
}

/// Resolves on the first SIGINT or SIGTERM (a pod being evicted gets SIGTERM).
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
