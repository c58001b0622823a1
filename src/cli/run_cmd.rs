//! `aide-fleet run SUITE.yaml`: one AIDE search per (task, seed), resumable.

use std::path::PathBuf;

use anyhow::{Context, anyhow};
use clap::Args;

use super::exit::{self, EXIT_CODES_HELP, Failure};
use super::fleet_display::FleetDisplay;
use super::output;
use super::store_arg::open_store;
use crate::agent::ModelConfig;
use crate::bench::{ExecutorSettings, Seeds, Suite};
use crate::fleet::kube::{JobExecutor, KubeRunConfig, connect, jobs_yaml, render_job};
use crate::fleet::{
    Backend, Controller, ControllerConfig, GpuPool, LocalExecutor, discover_gpus, plan,
};
use crate::llm::{Llm, LlmConfig};
use crate::store::layout;

const AFTER_HELP: &str = "\
Runs the suite: one `aide-fleet agent` search per (task, seed), at most --concurrency at
a time, each with its own GPUs. Every run's state lives in the store:

  runs/<run-id>/run.yaml                              the suite as launched
  runs/<run-id>/tasks/<task>/seed-<k>/status.json     state, attempts, failure reasons
  runs/<run-id>/tasks/<task>/seed-<k>/agent/          the search (nodes/, journal.json, tree.html, ...)
  runs/<run-id>/tasks/<task>/seed-<k>/logs/agent.log  the agent's log
  runs/<run-id>/tasks/<task>/seed-<k>/grade.json      MLE-bench competition report
  runs/<run-id>/grading_report.json                   MLE-bench grading report of the group

Resuming: run the same command with the same --run-id. Finished runs are not repeated;
runs that were running resume from their last checkpoint; failed runs are retried until
--max-attempts failures (each attempt's reason is kept). Preemptions do not count.

Ctrl-C once: no new runs start; running ones finish. Twice: running agents are stopped
(they checkpoint first) and the command exits; rerun it to continue.

Before dispatching (local executor), the LLM endpoint of the suite's models is asked for
its model list once: if nothing answers there, nothing is launched and the command exits
4 naming the endpoint and the variable that set it (OPENAI_BASE_URL, ANTHROPIC_BASE_URL).
During the run, when 3 attempts in a row cannot reach the endpoint, no new runs start;
those attempts do not count against --max-attempts, so the same command continues once
the endpoint is back.

Exit codes of `run`: 0 every run succeeded, 5 some runs failed (see `aide-fleet status`),
4 the LLM endpoint did not answer, 130 stopped by Ctrl-C before the end, 2 a bad suite or
flag, 1 an internal error.

Examples:
  aide-fleet run benchmarks/suites/demo.yaml
  aide-fleet run benchmarks/suites/demo.yaml --run-id demo-1 --seeds 3 --concurrency 2
  aide-fleet run benchmarks/suites/mle-bench-lite.yaml --store s3://bucket/aide --dry-run
  aide-fleet status demo-1
";

/// Run a suite: plan one AIDE search per (task, seed), dispatch, grade, resume.
#[derive(Debug, Args)]
#[command(after_long_help = format!("{AFTER_HELP}\n{EXIT_CODES_HELP}"))]
pub struct RunArgs {
    /// The suite file (see docs/suite.md).
    suite: PathBuf,

    /// Where runs live: a directory or s3://bucket/prefix [default: results].
    #[arg(long, value_name = "DIR|URL", default_value = "results")]
    store: String,

    /// S3-compatible endpoint (MinIO, moto, ...); path-style addressing is used.
    #[arg(long, value_name = "URL")]
    s3_endpoint: Option<String>,

    /// Name of the run group; reuse it to resume [default: <suite>-<UTC time>].
    #[arg(long)]
    run_id: Option<String>,

    /// Seeds: a count (3 = seeds 0,1,2) or a list (0,5,9); overrides the suite.
    #[arg(long, value_name = "N|LIST")]
    seeds: Option<String>,

    /// Runs at once; overrides the suite's executor setting.
    #[arg(long)]
    concurrency: Option<usize>,

    /// Model that writes code, for every run; overrides the suite's `agent.model`.
    #[arg(long)]
    model: Option<String>,

    /// Model that reviews, for every run; overrides the suite's `agent.feedback_model`.
    #[arg(long)]
    feedback_model: Option<String>,

    /// Nodes per search; overrides the suite's `agent.steps`.
    #[arg(long)]
    steps: Option<u32>,

    /// Cap on the tokens of one LLM answer; overrides the suite's `agent.max_tokens`.
    #[arg(long)]
    max_tokens: Option<u32>,

    /// Failed attempts per run before it counts as failed.
    #[arg(long, default_value_t = 3)]
    max_attempts: u32,

    /// Where the runs execute; overrides the suite.
    #[arg(long, value_parser = ["local", "kube"])]
    executor: Option<String>,

    /// Print the plan and exit, contacting nothing: the agent command lines (local), or
    /// every Job as multi-document YAML (kube).
    #[arg(long)]
    dry_run: bool,

    /// The benchmarks directory with manifests and leaderboards [default: ./benchmarks, else the one built in].
    #[arg(long, value_name = "DIR")]
    benchmarks: Option<PathBuf>,

    /// No progress bars; plain lines.
    #[arg(long)]
    no_progress: bool,
}

/// Checks once that the endpoint of each model answers; exit 4 naming it when not.
async fn preflight(models: &[String]) -> Result<(), Failure> {
    let llm = Llm::from_env(&LlmConfig::default()).map_err(Failure::usage)?;
    let mut checked = std::collections::BTreeSet::new();
    for model in models {
        // Two models usually share one endpoint; ask it once.
        if checked.insert(llm.endpoint_of(model)) {
            llm.preflight(model).await.map_err(|e| {
                Failure::new(
                    exit::LLM,
                    anyhow!(e).context(
                        "checking the LLM endpoint before dispatching (nothing was launched)",
                    ),
                )
            })?;
        }
    }
    Ok(())
}

pub fn benchmarks_dir(explicit: Option<&PathBuf>) -> PathBuf {
    explicit.cloned().unwrap_or_else(|| {
        let local = PathBuf::from("benchmarks");
        if local.join("mle-bench").is_dir() {
            local
        } else {
            crate::grade::benchmarks_dir().unwrap_or(local)
        }
    })
}

pub fn run(args: RunArgs) -> Result<u8, Failure> {
    let benchmarks = benchmarks_dir(args.benchmarks.as_ref());
    let mut suite = Suite::load(&args.suite, &benchmarks).map_err(Failure::usage)?;
    if let Some(seeds) = &args.seeds {
        let seeds =
            Seeds::parse_flag(seeds).map_err(|e| Failure::usage(anyhow!("--seeds: {e}")))?;
        suite.seeds = seeds.to_vec();
    }
    if args.model.is_some() {
        suite.agent.model = args.model.clone();
    }
    if args.feedback_model.is_some() {
        suite.agent.feedback_model = args.feedback_model.clone();
    }
    if args.steps.is_some() {
        suite.agent.steps = args.steps;
    }
    if args.max_tokens.is_some() {
        suite.agent.max_tokens = args.max_tokens;
    }
    let kube_settings = match (args.executor.as_deref(), &suite.executor) {
        (Some("local"), _) | (None, ExecutorSettings::Local(_)) => None,
        (_, ExecutorSettings::Kube(k)) => Some(k.clone()),
        (_, ExecutorSettings::Local(_)) => {
            return Err(Failure::usage(anyhow!(
                "--executor kube needs an `executor: kube:` section in {} (namespace, image, ...; see docs/suite.md)",
                args.suite.display()
            )));
        }
    };
    let local = kube_settings.is_none();
    let runs = plan(&suite, &suite.seeds.clone(), local).map_err(Failure::usage)?;
    // The suite was validated where it was read; this proves the plan to the agent's own
    // parser before anything is launched.
    for r in &runs {
        super::agent_cmd::check_args(&r.agent_args).map_err(|e| {
            Failure::usage(anyhow!(
                "the agent would refuse the plan for {} seed {}: {e}",
                r.key.task,
                r.key.seed
            ))
        })?;
    }
    let run_id = args.run_id.clone().unwrap_or_else(|| {
        let t = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
        format!(
            "{}-{}",
            suite.name,
            t.replace([':', '-'], "")
                .replace('T', "-")
                .trim_end_matches('Z')
        )
    });
    layout::validate_run_id(&run_id)
        .context("the run id (--run-id, or the suite's name)")
        .map_err(Failure::usage)?;
    let (all_gpus, how) = discover_gpus();
    let sharing = matches!(&suite.executor, ExecutorSettings::Local(l) if l.allow_gpu_sharing);
    for r in runs.iter().filter(|_| local) {
        if r.gpus as usize > all_gpus.len() {
            return Err(Failure::usage(anyhow!(
                "task `{}` asks for {} GPU(s) but this machine has {} ({how}); lower `resources.gpus` in the suite or use the Kubernetes executor",
                r.key.task,
                r.gpus,
                all_gpus.len()
            )));
        }
    }
    let concurrency = args.concurrency.unwrap_or(match &suite.executor {
        ExecutorSettings::Local(l) => l.concurrency as usize,
        ExecutorSettings::Kube(_) => runs.len().max(1),
    });
    if concurrency == 0 {
        return Err(Failure::usage(anyhow!("--concurrency must be at least 1")));
    }

    if let (true, Some(settings)) = (args.dry_run, &kube_settings) {
        let mut cfg = KubeRunConfig::new(run_id.clone(), settings.clone(), args.store.clone());
        cfg.s3_endpoint = args.s3_endpoint.clone();
        let jobs = runs
            .iter()
            .map(|r| render_job(&r.launch_spec(&run_id, 1, false), &cfg))
            .collect::<Result<Vec<_>, _>>()
            .map_err(Failure::usage)?;
        output::print(jobs_yaml(&jobs))?;
        return Ok(exit::OK);
    }
    if args.dry_run {
        let mut text = format!(
            "# run {run_id}: {} runs, {concurrency} at a time, store {}\n",
            runs.len(),
            args.store
        );
        for r in &runs {
            let dir = r
                .task
                .competition()
                .map(|c| c.public_dir.display().to_string())
                .unwrap_or_default();
            text.push_str(&format!(
                "aide-fleet agent --task-dir {dir} --out <store>/{} {}\n",
                layout::agent_prefix(&run_id, &r.key.task, r.key.seed),
                r.agent_args.join(" ")
            ));
        }
        output::print(text)?;
        return Ok(exit::OK);
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        if local {
            // Local agents inherit this environment, so its endpoint is theirs: a dead one
            // fails here in seconds instead of in every attempt of every run. (Pods get
            // their endpoint from the cluster's Secrets and network; they are not checked.)
            let defaults = ModelConfig::default();
            let models = [
                suite.agent.model.clone().unwrap_or(defaults.code),
                suite.agent.feedback_model.clone().unwrap_or(defaults.feedback),
            ];
            preflight(&models).await?;
        }
        let store = open_store(&args.store, args.s3_endpoint.as_deref()).await?;
        let suite_yaml = serde_saphyr::to_string(&suite.to_file()).context("serialising the suite")?;
        let run_file = layout::run_file(&run_id);
        match store.get(&run_file).await.context("reading the run from the store")? {
            Some(existing) if existing != suite_yaml.as_bytes() => {
                return Err(Failure::usage(anyhow!(
                    "run `{run_id}` was launched from a different suite (see {run_file} in {}); pass another --run-id",
                    store.url()
                )));
            }
            Some(_) => eprintln!("resuming run {run_id} in {}", store.url()),
            None => {
                store.put(&run_file, suite_yaml.into_bytes()).await.context("writing run.yaml")?;
                eprintln!("run {run_id}: {} runs in {} (rerun with --run-id {run_id} to resume)", runs.len(), store.url());
            }
        }
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let (backend, gpus) = match &kube_settings {
            None => {
                let bin = std::env::current_exe().context("locating the aide-fleet binary")?;
                let scratch = std::env::temp_dir().join("aide-fleet-scratch");
                (
                    Backend::Local(LocalExecutor::new(bin, store.clone(), scratch, tx)),
                    Some(GpuPool::new(all_gpus, sharing)),
                )
            }
            Some(settings) => {
                if store.local_root().is_some() {
                    eprintln!("warning: the store {} is a local directory; pods on a real cluster cannot reach it (use s3://...)", store.url());
                }
                let client = connect().await.map_err(|e| Failure::usage(anyhow!("connecting to the cluster: {e}")))?;
                let mut cfg = KubeRunConfig::new(run_id.clone(), settings.clone(), store.url());
                cfg.s3_endpoint = args.s3_endpoint.clone();
                (Backend::Kube(std::sync::Arc::new(JobExecutor::new(client, cfg, tx))), None)
            }
        };
        let total = runs.len() as u64;
        let controller = Controller::new(
            ControllerConfig {
                run_id: run_id.clone(),
                store: store.clone(),
                concurrency,
                max_attempts: args.max_attempts.max(1),
                data_dir: suite.data_dir.clone(),
            },
            runs,
            backend,
            gpus,
            rx,
        );
        let (itx, irx) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            while tokio::signal::ctrl_c().await.is_ok() {
                if itx.send(()).is_err() {
                    break;
                }
            }
        });
        let mut display = FleetDisplay::new(total, !args.no_progress);
        let summary = controller.run(&mut display, irx).await;
        display.finish();
        let summary = summary.map_err(|e| Failure::new(e.exit_code(), e))?;
        if let Some(reason) = &summary.llm_unreachable {
            eprintln!("run {run_id}: stopped dispatching, the LLM endpoint could not be reached: {reason}");
            eprintln!("  the runs that hit it are pending and keep their attempts; rerun the same command once the endpoint answers");
        }
        eprintln!(
            "run {run_id}: {} succeeded, {} failed, {} unfinished\n  status: aide-fleet status {run_id} --store {}\n  grading report: {}",
            summary.succeeded,
            summary.failed,
            summary.unfinished,
            store.url(),
            layout::grading_report_key(&run_id)
        );
        Ok(if summary.llm_unreachable.is_some() {
            exit::LLM
        } else if summary.interrupted && summary.unfinished > 0 {
            exit::INTERRUPTED
        } else if summary.failed > 0 {
            exit::RUNS_FAILED
        } else {
            exit::OK
        })
    })
}
