//! `aide-fleet agent`: one AIDE search on one task.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, anyhow};
use clap::Args;

use super::exit::{self, EXIT_CODES_HELP, Failure};
use super::output;
use super::progress::Display;
use crate::agent::{
    Agent, AgentConfig, Event, Layout, RUN_FILE, RunDir, Sandbox, SandboxMode, SandboxSpec,
    StopReason, foreign_entries, move_aside,
};
use crate::duration;
use crate::llm::{Llm, PromptRole, ProviderKind};
use crate::store::{
    ChecksumMode, Mirror, Store, StoreError, StoreOptions, download_prefix, validate_prefix,
};

/// How long the final upload keeps retrying by default while the store is unavailable.
const DEFAULT_STORE_WAIT_S: f64 = 600.0;

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

The store (--store URL: a directory, or s3://bucket/prefix): --out is mirrored to it,
under --store-prefix, as the search goes. After each node its submission, then its
record, are uploaded in the background; at the end every artifact, progress.json last
(workspace/ and temporary files stay local). While the store is unavailable, uploads
are retried with backoff and nothing is lost; at the end the command waits up to
--store-wait for everything to be uploaded, and exits 1 if it could not (the local
copy in --out is complete). With --resume (or --resume-if-exists) files missing from
--out are first downloaded from the store, so a restarted machine with an empty disk
continues the search. S3 credentials come from the standard AWS chain (environment,
AWS_PROFILE, web identity/IRSA, instance metadata); the region from AWS_REGION or the
profile, else us-east-1; --s3-endpoint for S3-compatible servers (MinIO, moto, ...).

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
  # Checkpoint every node to S3; on a fresh machine, continue from the bucket
  aide-fleet agent --task-dir T --out /tmp/st --store s3://bucket/runs/st
  aide-fleet agent --out /tmp/st --resume --store s3://bucket/runs/st
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

    /// Move whatever another tool left in --out (an aideml log directory, say) into a
    /// sibling directory <out>.aside-<time> before starting; without it such an --out is
    /// refused (exit 2).
    #[arg(long, conflicts_with = "resume")]
    force: bool,

    /// Continue the search in --out (after downloading it from --store) if there is
    /// one, else start one with --task-dir: for a command that a restarted machine reruns.
    #[arg(long, requires = "out", conflicts_with = "resume")]
    resume_if_exists: bool,

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

    /// The scripts' sandbox: required (refuse to start without all of it, exit 2),
    /// best-effort (what the kernel supports, with a warning naming the rest), off
    /// [default: best-effort].
    #[arg(long, value_name = "MODE", value_parser = ["required", "best-effort", "off"])]
    sandbox: Option<String>,

    /// Block scripts' TCP connections (Landlock ABI 4); refused where it cannot be enforced.
    #[arg(long)]
    no_network: bool,

    /// Let scripts read this directory too (repeatable), e.g. a model cache.
    #[arg(long, value_name = "DIR")]
    allow_read: Vec<PathBuf>,

    /// The metric is minimised (fixes the direction instead of asking the reviewer).
    #[arg(long, conflicts_with = "higher_is_better")]
    lower_is_better: bool,

    /// The metric is maximised.
    #[arg(long)]
    higher_is_better: bool,

    /// The task is judged without a submission file (RE-Bench: the script is the
    /// solution): a missing ./submission/submission.csv does not make a node buggy.
    #[arg(long)]
    no_submission: bool,

    /// Cap on the tokens of one LLM answer (small local models ramble without one).
    #[arg(long, value_name = "N")]
    max_tokens: Option<u32>,

    /// No progress bar, plain log lines even on a terminal.
    #[arg(long)]
    no_progress: bool,

    /// Mirror --out to this store as the search goes: a directory, file:///abs/path or
    /// s3://bucket/prefix (see below).
    #[arg(long, value_name = "URL")]
    store: Option<String>,

    /// Key prefix of this search in --store, e.g. runs/r1/tasks/t/seed-0/agent
    /// [default: the store's root].
    #[arg(long, value_name = "KEY", requires = "store")]
    store_prefix: Option<String>,

    /// S3-compatible endpoint for an s3:// store, e.g. http://127.0.0.1:5055 (addressed
    /// path-style).
    #[arg(long, value_name = "URL", requires = "store")]
    s3_endpoint: Option<String>,

    /// When the S3 client sends checksums: when-supported (the SDK's default) or
    /// when-required (for S3-compatible stores that reject aws-chunked uploads).
    #[arg(long, value_name = "MODE", requires = "store")]
    s3_checksum: Option<ChecksumMode>,

    /// How long the final upload keeps retrying while the store is unavailable
    /// [default: 10m].
    #[arg(long, value_name = "DURATION", requires = "store", value_parser = parse_seconds)]
    store_wait: Option<f64>,
}

/// Accepts plain seconds ("90", "1.5") or a duration ("90s", "30m", "24h", "1h 30m"),
/// positive and at most [`duration::MAX`] (366 days).
fn parse_seconds(s: &str) -> Result<f64, String> {
    match duration::parse(s) {
        Ok(d) if d.is_zero() => Err("expected a positive duration".to_string()),
        Ok(d) => Ok(d.as_secs_f64()),
        Err(e) => Err(e.to_string()),
    }
}

/// Whether `aide-fleet agent` accepts `args`, the flags a fleet plan gives it: parsed as
/// the agent parses them, layered over the defaults and validated. `run` checks every
/// planned command line with it, so that a plan it launches is one every agent accepts.
pub fn check_args(args: &[String]) -> Result<(), String> {
    #[derive(clap::Parser)]
    struct AgentCommand {
        #[command(flatten)]
        args: AgentArgs,
    }
    let argv = ["agent", "--task-dir", "."]
        .into_iter()
        .map(str::to_owned)
        .chain(args.iter().cloned());
    let parsed = <AgentCommand as clap::Parser>::try_parse_from(argv).map_err(|e| {
        let text = e.to_string();
        let first = text.lines().next().unwrap_or_default();
        first.trim_start_matches("error: ").to_owned()
    })?;
    let mut cfg = AgentConfig::default();
    parsed.args.apply(&mut cfg);
    cfg.validate().map_err(|e| e.to_string())
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
        match self.sandbox.as_deref() {
            Some("required") => cfg.exec.sandbox = SandboxMode::Required,
            Some("off") => cfg.exec.sandbox = SandboxMode::Off,
            Some(_) => cfg.exec.sandbox = SandboxMode::BestEffort,
            None => {}
        }
        if self.no_network {
            cfg.exec.network = false;
        }
        cfg.exec.read_paths.extend(self.allow_read.iter().cloned());
        if self.lower_is_better {
            cfg.review.lower_is_better = Some(true);
        }
        if self.higher_is_better {
            cfg.review.lower_is_better = Some(false);
        }
        if self.no_submission {
            cfg.task.require_submission = false;
        }
        if self.max_tokens.is_some() {
            cfg.llm.max_tokens = self.max_tokens;
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
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    // The store comes first: a resumed search may exist only there.
    let store = match &args.store {
        Some(url) => Some(runtime.block_on(open_store(&args, url, &out))?),
        None => None,
    };
    let resume = args.resume || (args.resume_if_exists && out.join(RUN_FILE).is_file());
    let mut cfg = if resume {
        RunDir::existing(&out)
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
        output::print(format!("{yaml}{}\n", sandbox_summary(&cfg)))?;
        return Ok(exit::OK);
    }

    let display = Display::new(cfg.search.steps as u64, !args.no_progress);
    display.init_logging();
    let llm = Llm::from_env(&cfg.llm).map_err(|e| Failure::new(e.exit_code(), e))?;
    let store_label = store.as_ref().map(|(store, prefix)| match prefix.as_str() {
        "" => store.url(),
        p => format!("{}/{p}", store.url()),
    });
    // Started before the agent, whose observer asks it for a pass after every node.
    let mirror = store.map(|(store, prefix)| {
        let _runtime = runtime.enter();
        Mirror::start(store, out.clone(), prefix)
    });
    let mut show = display.agent_observer(cfg.search.steps);
    let mirror_ref = mirror.as_ref();
    let observer = Box::new(move |event: &Event<'_>| {
        show(event);
        if let (Event::NodeDone { .. }, Some(m)) = (event, mirror_ref) {
            m.sync();
        }
    });
    if args.force && !resume {
        let foreign =
            foreign_entries(&out).with_context(|| format!("reading {}", out.display()))?;
        if !foreign.is_empty() {
            let stamp = humantime::format_rfc3339_seconds(std::time::SystemTime::now())
                .to_string()
                .replace(':', "");
            let aside = move_aside(&out, &stamp)
                .with_context(|| format!("moving the files in {} aside", out.display()))?;
            display.println(&format!(
                "--force: moved {} from {} to {}",
                foreign.join(", "),
                out.display(),
                aside.display()
            ));
        }
    }
    let agent = if resume {
        Agent::resume(cfg.clone(), &out, llm, observer)
    } else {
        let task_dir = args.task_dir.as_deref().unwrap_or(Path::new("."));
        Agent::start(cfg.clone(), task_dir, &out, llm, observer)
    };
    let mut agent = agent.map_err(|e| Failure::new(e.exit_code(), e))?;
    if let Some(m) = &mirror {
        // run.json at once: the store is resumable from the first node on.
        m.sync();
    }
    display.set_position(agent.journal().len() as u64);
    if resume {
        display.println(&format!(
            "resuming {} at step {}/{}",
            out.display(),
            agent.journal().len() + 1,
            cfg.search.steps
        ));
    }

    let outcome = runtime.block_on(async { agent.run(shutdown_signal()).await });
    display.finish();
    // The agent borrows the mirror through its observer.
    drop(agent);
    let result = match outcome {
        Ok(outcome) => {
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
        Err(e) => Err(Failure::new(e.exit_code(), e)),
    };
    let Some(mirror) = mirror else {
        return result;
    };
    // --store-wait is bounded by its parser.
    let wait = Duration::from_secs_f64(args.store_wait.unwrap_or(DEFAULT_STORE_WAIT_S));
    let store_label = store_label.unwrap_or_default();
    // None: a second SIGINT/SIGTERM abandoned the wait.
    let uploaded = runtime.block_on(async {
        tokio::select! {
            r = mirror.finish(wait) => Some(r),
            () = shutdown_signal() => None,
        }
    });
    match (result, uploaded) {
        (result, Some(Ok(report))) => {
            eprintln!(
                "store: {store_label} is up to date ({} uploads)",
                report.uploads
            );
            result
        }
        (result, None) => {
            eprintln!(
                "interrupted: the final upload to {store_label} was abandoned; {} holds everything, and --resume continues from it",
                out.display()
            );
            result.map(|_| exit::INTERRUPTED)
        }
        (Ok(_), Some(Err(e))) => Err(Failure::new(
            exit::INTERNAL,
            anyhow::Error::from(e).context(format!(
                "the final upload to the store did not complete; {} holds everything, and --resume continues from it",
                out.display()
            )),
        )),
        // The agent's own failure is the one to act on; the store's is reported after it.
        (Err(failure), Some(Err(e))) => {
            eprintln!("error: {:#}", failure.error);
            eprintln!("error: the final upload to the store did not complete either: {e}");
            Ok(failure.code)
        }
    }
}

/// Opens --store and checks --store-prefix; when resuming, downloads what --out lacks;
/// when starting, refuses a prefix that already holds a search.
async fn open_store(args: &AgentArgs, url: &str, out: &Path) -> Result<(Store, String), Failure> {
    let prefix = args.store_prefix.clone().unwrap_or_default();
    validate_prefix(&prefix)
        .context("--store-prefix")
        .map_err(Failure::usage)?;
    let opts = StoreOptions {
        s3_endpoint: args.s3_endpoint.clone(),
        checksum: args.s3_checksum.unwrap_or_default(),
        ..StoreOptions::default()
    };
    let store = Store::open(url, &opts).await.map_err(store_failure)?;
    let prefix = prefix.trim_end_matches('/').to_string();
    if let Some(root) = store.local_root() {
        let same = |a: &Path, b: &Path| matches!((std::fs::canonicalize(a), std::fs::canonicalize(b)), (Ok(a), Ok(b)) if a == b);
        if same(&root.join(&prefix), out) {
            return Err(Failure::usage(anyhow!(
                "--out {} is the store's own directory for this search; drop --store, or choose another --out",
                out.display()
            )));
        }
    }
    if args.resume || args.resume_if_exists {
        let n = download_prefix(&store, &prefix, out)
            .await
            .map_err(store_failure)?;
        if n > 0 {
            eprintln!(
                "downloaded {n} files of the search from {} into {}",
                store.url(),
                out.display()
            );
        }
    } else if !args.print_config {
        let run_file = if prefix.is_empty() {
            RUN_FILE.to_string()
        } else {
            format!("{prefix}/{RUN_FILE}")
        };
        if store.get(&run_file).await.map_err(store_failure)?.is_some() {
            return Err(Failure::usage(anyhow!(
                "{}/{run_file} already holds a search: pass --resume to continue it, or choose another --store-prefix",
                store.url()
            )));
        }
    }
    Ok((store, prefix))
}

/// What the scripts' sandbox would enforce on this machine with these settings, as YAML
/// comment lines for --print-config.
fn sandbox_summary(cfg: &AgentConfig) -> String {
    let probed = Sandbox::new(SandboxSpec {
        mode: cfg.exec.sandbox,
        block_network: !cfg.exec.network,
        layout: Layout::default(),
        kill_leftovers: true,
    });
    match probed {
        Ok(sandbox) => {
            let e = sandbox.enforcement();
            let mut lines = vec![format!(
                "# sandbox on this machine ({}): filesystem: {}, capabilities dropped: {}, leftovers killed: {}, network blocked: {}, signals scoped: {}, Landlock ABI {}",
                cfg.exec.sandbox.as_str(),
                e.filesystem,
                e.capabilities,
                e.leftovers_killed,
                e.network_blocked,
                e.scoped,
                e.landlock_abi
            )];
            lines.extend(
                sandbox
                    .missing()
                    .iter()
                    .map(|m| format!("# sandbox: not enforced: {m}")),
            );
            lines.join("\n")
        }
        Err(e) => format!("# sandbox: the search would not start: {e}"),
    }
}

fn store_failure(e: StoreError) -> Failure {
    Failure::new(e.exit_code(), anyhow::Error::from(e).context("--store"))
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
