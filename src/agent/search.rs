//! The search loop: choose a parent, ask for code, run it, review it, persist the node.
//! Every random choice comes from a per-step generator derived from the seed, so a
//! resumed run makes the same choices an uninterrupted one would have made.

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::account::{Role, StepAccount};
use super::archives;
use super::artifacts;
use super::checkpoint::{CheckpointError, Progress, RunDir, RunMeta};
use super::config::AgentConfig;
use super::extract::{code_blocks, extract_plan, join_blocks};
use super::interpreter::{EXC_DIR, Interpreter};
use super::journal::{Journal, TreeError};
use super::node::{Node, Stage, StepTiming};
use super::policy::{self, Action};
use super::preview;
use super::prompts::{self, PromptContext, humanize_seconds};
use super::review;
use super::sandbox::{self, Layout, Sandbox, SandboxError, SandboxSpec};
use super::syntax::Checker;
use super::verdict::{ReviewOutcome, judge};
use super::workspace::{self, Workspace};
use crate::llm::{ChatRequest, Completion, Llm, LlmError};

/// Attempts at getting a code block out of the code model before running its raw answer.
const CODE_ATTEMPTS: u32 = 3;
const PREVIEW_FILE: &str = "data_preview.md";
const WORKSPACE_DIR: &str = "workspace";

/// What the search is doing right now, for progress displays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Coding,
    Executing,
    Reviewing,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Coding => "writing code",
            Phase::Executing => "running script",
            Phase::Reviewing => "reviewing",
        }
    }
}

/// Events for whoever displays progress.
#[derive(Debug)]
pub enum Event<'a> {
    Phase {
        step: usize,
        stage: Stage,
        phase: Phase,
    },
    NodeDone {
        node: &'a Node,
        journal: &'a Journal,
        elapsed_s: f64,
        spent_usd: f64,
    },
    Warning(String),
}

/// Why a search ended without an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    Steps,
    TimeLimit,
    UsdLimit,
    Interrupted,
}

impl StopReason {
    pub fn as_str(self) -> &'static str {
        match self {
            StopReason::Steps => "steps",
            StopReason::TimeLimit => "time_limit",
            StopReason::UsdLimit => "usd_limit",
            StopReason::Interrupted => "interrupted",
        }
    }
}

/// Why a search could not start or go on. Each kind has its exit code
/// ([`AgentError::exit_code`]): the controller retries an agent unless it exits with
/// [`crate::exit_codes::USAGE`].
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The task directory cannot be resolved.
    #[error("task dir {}: {cause}", path.display())]
    TaskDir { path: PathBuf, cause: io::Error },
    /// The task's `description.md` cannot be read (the message says what a task dir holds).
    #[error("{0}")]
    Description(io::Error),
    /// The task's files cannot be laid out as the scripts' `./input`.
    #[error("preparing the workspace: {0}")]
    PrepareWorkspace(io::Error),
    /// `--out` holds files that aide-fleet did not write (another tool's run directory).
    #[error(
        "{} holds files that aide-fleet did not write: {}; choose another --out, or pass --force to move them aside first",
        out.display(),
        entries.join(", ")
    )]
    ForeignOut { out: PathBuf, entries: Vec<String> },
    /// `--out` holds a search already and `--resume` was not given.
    #[error("{} already holds a search: pass --resume to continue it, or choose another --out", out.display())]
    AlreadyStarted { out: PathBuf },
    /// The node records in `--out` do not form a search tree.
    #[error("{}: {cause}", out.display())]
    Tree { out: PathBuf, cause: TreeError },
    /// Resetting the workspace between scripts failed (the disk, not the input).
    #[error("{action} the workspace: {cause}")]
    Workspace {
        action: &'static str,
        cause: io::Error,
    },
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error("the LLM failed: {0}")]
    Llm(LlmError),
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    /// Settings out of range, whoever built them (the CLI validates first; library
    /// callers get the same check here).
    #[error(transparent)]
    Config(#[from] super::config::ConfigError),
}

crate::causes::cause_from!(AgentError::Llm(LlmError));

impl AgentError {
    pub fn exit_code(&self) -> u8 {
        use crate::exit_codes::{INTERNAL, USAGE};
        match self {
            AgentError::Llm(e) => e.exit_code(),
            AgentError::TaskDir { .. }
            | AgentError::Description(_)
            | AgentError::PrepareWorkspace(_)
            | AgentError::AlreadyStarted { .. }
            | AgentError::ForeignOut { .. }
            | AgentError::Tree { .. }
            | AgentError::Sandbox(_)
            | AgentError::Config(_) => USAGE,
            // Records that do not parse or do not fit together are input to --resume.
            AgentError::Checkpoint(e) if e.is_bad_record() => USAGE,
            AgentError::Checkpoint(_) | AgentError::Workspace { .. } => INTERNAL,
        }
    }
}

#[derive(Debug)]
pub struct Outcome {
    pub stop: StopReason,
    pub nodes: usize,
    pub best_step: Option<usize>,
    pub best_metric: Option<f64>,
}

pub struct Agent<'o> {
    cfg: AgentConfig,
    /// What `run.json` holds, to rewrite it if a script without the sandbox removed it.
    meta: RunMeta,
    description: String,
    sample_submission: Option<PathBuf>,
    run: RunDir,
    workspace: Workspace,
    journal: Journal,
    interpreter: Interpreter,
    /// The search's one syntax checker (started at the first code answer).
    checker: Checker,
    llm: Llm,
    preview: Option<String>,
    /// Top-level files of `./input` still compressed, named in the draft prompt.
    compressed: Vec<String>,
    started: Instant,
    elapsed_offset: f64,
    observer: Box<dyn FnMut(&Event<'_>) + Send + 'o>,
}

impl<'o> Agent<'o> {
    /// Starts a new search in `out`, which must not hold one already.
    pub fn start(
        cfg: AgentConfig,
        task_dir: &Path,
        out: &Path,
        llm: Llm,
        observer: Box<dyn FnMut(&Event<'_>) + Send + 'o>,
    ) -> Result<Self, AgentError> {
        let foreign =
            super::out_dir::foreign_entries(out).map_err(|cause| CheckpointError::Io {
                path: out.to_path_buf(),
                cause,
            })?;
        if !foreign.is_empty() {
            return Err(AgentError::ForeignOut {
                out: out.to_path_buf(),
                entries: foreign,
            });
        }
        let run = RunDir::create(out)?;
        if !run.load_nodes()?.is_empty() {
            return Err(AgentError::AlreadyStarted {
                out: out.to_path_buf(),
            });
        }
        let task_dir = std::fs::canonicalize(task_dir).map_err(|cause| AgentError::TaskDir {
            path: task_dir.to_path_buf(),
            cause,
        })?;
        let meta = RunMeta {
            format_version: super::checkpoint::RUN_FORMAT_VERSION,
            task_dir,
            config: cfg.clone(),
        };
        run.write_meta(&meta)?;
        Self::open(meta, run, Journal::default(), 0.0, llm, observer)
    }

    /// Continues the search in `out` with `cfg` (the saved settings, possibly overridden).
    pub fn resume(
        cfg: AgentConfig,
        out: &Path,
        llm: Llm,
        observer: Box<dyn FnMut(&Event<'_>) + Send + 'o>,
    ) -> Result<Self, AgentError> {
        let run = RunDir::existing(out)?;
        let meta = run.read_meta()?;
        let mut journal = Journal::new(cfg.review.lower_is_better);
        let mut offset = 0.0;
        for node in run.load_nodes()? {
            offset = node.search_elapsed_s;
            journal.append(node).map_err(|cause| AgentError::Tree {
                out: out.to_path_buf(),
                cause,
            })?;
        }
        let meta = RunMeta {
            config: cfg,
            ..meta
        };
        run.write_meta(&meta)?;
        Self::open(meta, run, journal, offset, llm, observer)
    }

    fn open(
        meta: RunMeta,
        run: RunDir,
        mut journal: Journal,
        elapsed_offset: f64,
        llm: Llm,
        mut observer: Box<dyn FnMut(&Event<'_>) + Send + 'o>,
    ) -> Result<Self, AgentError> {
        meta.config.validate()?;
        let cfg = meta.config.clone();
        let task_dir = meta.task_dir.as_path();
        if journal.is_empty() {
            journal = Journal::new(cfg.review.lower_is_better);
        }
        let description = workspace::read_description(task_dir).map_err(AgentError::Description)?;
        let workspace = Workspace::prepare(
            &run.root().join(WORKSPACE_DIR),
            task_dir,
            cfg.exec.copy_data,
        )
        .map_err(AgentError::PrepareWorkspace)?;
        for prepared in workspace.archives() {
            match &prepared.outcome {
                archives::Outcome::Refused { reason } => observer(&Event::Warning(format!(
                    "archive {} is not extracted, the scripts see it as it is: {reason}",
                    prepared.archive
                ))),
                outcome => tracing::info!(archive = prepared.archive, ?outcome, "task archive"),
            }
        }
        let compressed = archives::still_compressed(&workspace.input());
        let (interpreter, checker) = sandboxed_interpreter(&cfg, task_dir, &workspace)?;
        let missing = interpreter.sandbox().missing();
        if !missing.is_empty() {
            observer(&Event::Warning(format!(
                "sandbox ({}): not enforced on this machine: {}",
                cfg.exec.sandbox.as_str(),
                missing.join("; ")
            )));
        }
        let sample = task_dir.join("sample_submission.csv");
        Ok(Self {
            interpreter,
            checker,
            sample_submission: sample.is_file().then_some(sample),
            meta,
            cfg,
            description,
            run,
            workspace,
            journal,
            llm,
            preview: None,
            compressed,
            started: Instant::now(),
            elapsed_offset,
            observer,
        })
    }

    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    fn elapsed(&self) -> f64 {
        self.elapsed_offset + self.started.elapsed().as_secs_f64()
    }

    fn spent_usd(&self) -> f64 {
        // From +0.0: `sum` of no floats is -0.0, which progress.json would print.
        self.journal
            .nodes()
            .iter()
            .fold(0.0, |total, n| total + n.usage.cost_usd)
    }

    fn time_remaining(&self) -> Option<f64> {
        self.cfg
            .budget
            .time_limit_s
            .map(|limit| limit - self.elapsed())
    }

    fn budget_stop(&self) -> Option<StopReason> {
        if self.journal.len() >= self.cfg.search.steps {
            return Some(StopReason::Steps);
        }
        if self.time_remaining().is_some_and(|left| left <= 0.0) {
            return Some(StopReason::TimeLimit);
        }
        if self
            .cfg
            .budget
            .max_usd
            .is_some_and(|cap| self.spent_usd() >= cap)
        {
            return Some(StopReason::UsdLimit);
        }
        None
    }

    /// Runs until a budget is reached, `shutdown` resolves, or the LLM fails; in every
    /// case the artifacts are written before returning.
    pub async fn run(&mut self, shutdown: impl Future<Output = ()>) -> Result<Outcome, AgentError> {
        tokio::pin!(shutdown);
        let result = loop {
            if let Some(stop) = self.budget_stop() {
                break Ok(stop);
            }
            tokio::select! {
                biased;
                () = &mut shutdown => break Ok(StopReason::Interrupted),
                step = self.step() => if let Err(e) = step { break Err(e) },
            }
        };
        let stop_label = match &result {
            Ok(stop) => stop.as_str().to_string(),
            Err(e) => format!("error: {e}"),
        };
        self.finish(&stop_label)?;
        let best = self.journal.best_node();
        result.map(|stop| Outcome {
            stop,
            nodes: self.journal.len(),
            best_step: best.map(|b| b.step),
            best_metric: best.and_then(|b| b.metric),
        })
    }

    fn finish(&mut self, stop: &str) -> Result<(), AgentError> {
        artifacts::write_all(
            &self.run,
            &self.journal,
            &self.description_title(),
            &self.cfg.models.code,
            &self.cfg.models.feedback,
        )?;
        self.run
            .write_progress(&self.progress(Some(stop.to_string())))?;
        Ok(())
    }

    fn description_title(&self) -> String {
        let dir = self.run.root().display().to_string();
        self.description
            .lines()
            .find(|l| l.starts_with('#'))
            .map(|l| format!("{} ({dir})", l.trim_start_matches('#').trim()))
            .unwrap_or(dir)
    }

    fn progress(&self, stop_reason: Option<String>) -> Progress {
        let best = self.journal.best_node();
        Progress {
            step: self.journal.len(),
            steps: self.cfg.search.steps,
            best_step: best.map(|b| b.step),
            best_metric: best.and_then(|b| b.metric),
            best: self.journal.best_summary(),
            lower_is_better: self.journal.lower_is_better(),
            good_nodes: self.journal.good_nodes().count(),
            buggy_nodes: self.journal.buggy_nodes().count(),
            elapsed_s: self.elapsed(),
            cost_usd: self.spent_usd(),
            stop_reason,
        }
    }

    fn step_rng(&self, step: usize) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::seed_from_u64(self.cfg.seed);
        rng.set_stream(step as u64);
        rng
    }

    fn emit(&mut self, event: Event<'_>) {
        (self.observer)(&event);
    }

    fn data_preview(&mut self) -> Option<String> {
        if !self.cfg.prompt.data_preview {
            return None;
        }
        if self.preview.is_none() {
            // Cached in the run dir so a resumed search sees the very same overview.
            let cache = self.run.root().join(PREVIEW_FILE);
            let text = std::fs::read_to_string(&cache).unwrap_or_else(|_| {
                let text = preview::generate(&self.workspace.input());
                let _ = self.run.write_atomic(&cache, text.as_bytes());
                text
            });
            self.preview = Some(text);
        }
        self.preview.clone()
    }

    async fn step(&mut self) -> Result<(), AgentError> {
        let step_started = Instant::now();
        let step = self.journal.next_step();
        let mut rng = self.step_rng(step);
        let action = policy::choose(&self.journal, &self.cfg.search, &mut rng);
        let stage = action.stage();
        let parent = action.parent().and_then(|p| self.journal.get(p)).cloned();
        let id = uuid::Builder::from_random_bytes(rng.random()).into_uuid();
        let ctime = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);

        let script_timeout = match self.time_remaining() {
            Some(left) => self.cfg.exec.timeout_s.min(left.max(1.0)),
            None => self.cfg.exec.timeout_s,
        };
        self.emit(Event::Phase {
            step,
            stage,
            phase: Phase::Coding,
        });
        let preview = self.data_preview();
        let mut account = StepAccount::default();
        // The whole memory first, as AIDE sends it; when the model's context cannot hold the
        // prompt (AIDE would crash), the memory is halved, oldest entries out, and asked again.
        let mut memory_nodes: Option<usize> = None;
        let (plan, code) = loop {
            let ctx = PromptContext {
                task_description: &self.description,
                memory: self.journal.recent_summary(memory_nodes),
                data_preview: preview.as_deref(),
                time_remaining_s: self.time_remaining(),
                steps_remaining: self.cfg.search.steps.saturating_sub(step),
                script_timeout_s: script_timeout,
                k_fold_validation: self.cfg.prompt.k_fold_validation,
                require_submission: self.cfg.task.require_submission,
                compressed: &self.compressed,
            };
            // A clone: every retry builds the very prompt the first try would have, but for
            // the memory.
            let prompt = match (&action, &parent) {
                (Action::Draft, _) | (_, None) => prompts::draft(&ctx, &mut rng.clone()),
                (Action::Improve(_), Some(p)) => prompts::improve(&ctx, &p.code),
                (Action::Debug(_), Some(p)) => prompts::debug(&ctx, &p.code, &p.term_out.concat()),
            };
            let written = self.write_code(prompt, &mut account).await;
            match written {
                Err(AgentError::Llm(e))
                    if e.is_context_overflow() && !matches!(action, Action::Debug(_)) =>
                {
                    let shown = memory_nodes.unwrap_or_else(|| self.journal.good_nodes().count());
                    if shown == 0 {
                        return Err(AgentError::Llm(e));
                    }
                    memory_nodes = Some(shown / 2);
                    self.emit(Event::Warning(format!(
                        "the prompt does not fit the model's context ({e}); asking again with the memory of the {} most recent good nodes instead of {shown}",
                        shown / 2
                    )));
                }
                written => break written?,
            }
        };

        self.emit(Event::Phase {
            step,
            stage,
            phase: Phase::Executing,
        });
        let unconfined = !self.interpreter.sandbox().enforcement().filesystem;
        if unconfined {
            self.workspace
                .restore()
                .map_err(|cause| AgentError::Workspace {
                    action: "restoring",
                    cause,
                })?;
        }
        self.workspace
            .reset_for_script()
            .map_err(|cause| AgentError::Workspace {
                action: "resetting ./submission in",
                cause,
            })?;
        let exec = self
            .interpreter
            .run(
                self.workspace.root(),
                &code,
                Duration::from_secs_f64(script_timeout),
            )
            .await;
        if unconfined {
            self.restore_checkpoint()?;
        }
        let submission = self.workspace.submission_file();
        let has_submission = submission.is_file();
        if has_submission {
            std::fs::copy(&submission, self.run.node_submission(step)).map_err(|cause| {
                CheckpointError::Io {
                    path: self.run.node_submission(step),
                    cause,
                }
            })?;
        }
        let invalid = if has_submission {
            self.check_submission(&submission)
        } else {
            None
        };

        self.emit(Event::Phase {
            step,
            stage,
            phase: Phase::Reviewing,
        });
        let output = exec.term_out.concat();
        let review_prompt = prompts::review(&self.description, &code, &output);
        let review = self.review(review_prompt, &mut account).await?;

        let verdict = judge(
            &exec,
            has_submission || !self.cfg.task.require_submission,
            invalid,
            &review,
        );
        if let (Some(fixed), Some(claimed)) = (
            self.journal.lower_is_better(),
            verdict.reviewer_lower_is_better,
        ) && fixed != claimed
            && !verdict.is_buggy()
        {
            self.emit(Event::Warning(format!(
                "step {step}: the reviewer says lower_is_better={claimed}, but the run fixed it to {fixed}; keeping {fixed}"
            )));
        }
        let node = Node {
            id: id.simple().to_string(),
            step,
            parent_step: parent.as_ref().map(|p| p.step),
            stage,
            debug_depth: self.journal.child_debug_depth(action.parent(), stage),
            ctime,
            plan,
            code,
            term_out: exec.term_out,
            exec_time: exec.exec_time,
            exc_type: exec.exc_type,
            exc_info: exec.exc_info,
            exc_stack: exec.exc_stack,
            is_buggy: verdict.is_buggy(),
            analysis: verdict.analysis,
            metric: verdict.metric,
            reviewer_lower_is_better: verdict.reviewer_lower_is_better,
            bug_reasons: verdict.bug_reasons,
            has_submission,
            usage: account.usage,
            timing: StepTiming {
                llm_s: account.llm_s,
                exec_s: exec.exec_time,
                check_s: account.check_s,
                total_s: step_started.elapsed().as_secs_f64(),
            },
            search_elapsed_s: self.elapsed(),
            sandbox: Some(*self.interpreter.sandbox().enforcement()),
        };
        // The record goes to disk before the node joins the journal, so that a crash
        // loses at most this node; its step time is provisional until the final write.
        self.run.write_node(&node)?;
        let previous_best = self.journal.best_node().map(|b| b.step);
        self.journal
            .append(node)
            .map_err(|cause| AgentError::Tree {
                out: self.run.root().to_path_buf(),
                cause,
            })?;
        let best = self.journal.best_node().cloned();
        if let Some(best) = best.filter(|b| Some(b.step) != previous_best) {
            self.run.write_atomic(
                &self.run.root().join(artifacts::BEST_SOLUTION_FILE),
                best.code.as_bytes(),
            )?;
            if best.has_submission {
                artifacts::copy_best_submission(&self.run, &best)?;
            }
        }
        self.run.write_progress(&self.progress(None))?;
        // The step's time runs to here: the record's final write, with it.
        let total_s = step_started.elapsed().as_secs_f64();
        let search_elapsed_s = self.elapsed();
        if let Some(node) = self.journal.time_last(total_s, search_elapsed_s) {
            self.run.write_node(node)?;
        }
        let (elapsed_s, spent_usd) = (self.elapsed(), self.spent_usd());
        let (journal, observer) = (&self.journal, &mut self.observer);
        if let Some(node) = journal.nodes().last() {
            observer(&Event::NodeDone {
                node,
                journal,
                elapsed_s,
                spent_usd,
            });
        }
        Ok(())
    }

    /// A script that ran without filesystem rules may have deleted the checkpoint: what
    /// memory holds is written again, and lost submissions are named.
    fn restore_checkpoint(&mut self) -> Result<(), AgentError> {
        let lost = self.run.restore(&self.meta, self.journal.nodes())?;
        if !lost.is_empty() {
            let names: Vec<String> = lost.iter().map(|p| p.display().to_string()).collect();
            self.emit(Event::Warning(format!(
                "a script deleted node submissions that cannot be recreated: {}",
                names.join(", ")
            )));
        }
        Ok(())
    }

    /// The public counterpart of MLE-bench's validation endpoint: the submission against
    /// the task's sample submission (never the private answers).
    fn check_submission(&self, submission: &Path) -> Option<String> {
        let sample = self.sample_submission.as_ref()?;
        crate::grade::validate_against_sample(submission, sample)
            .err()
            .map(|e| e.to_string())
    }

    async fn call(
        &mut self,
        request: ChatRequest,
        account: &mut StepAccount,
        role: Role,
    ) -> Result<Completion, AgentError> {
        let t = Instant::now();
        let completion = self.llm.complete(request).await;
        account.charge_call(role, t.elapsed(), completion.as_ref().ok());
        Ok(completion?)
    }

    /// Asks for a plan and code until an answer has both: prose before the first fence and
    /// at least one block that compiles (AIDE keeps only those). After `CODE_ATTEMPTS`
    /// answers, the last one's compiling code runs without a plan; with none, AIDE's
    /// fallback: the raw answer runs as it is (and fails, and gets debugged).
    async fn write_code(
        &mut self,
        prompt: String,
        account: &mut StepAccount,
    ) -> Result<(String, String), AgentError> {
        let mut last = (String::new(), None);
        for attempt in 1..=CODE_ATTEMPTS {
            let request = ChatRequest {
                model: self.cfg.models.code.clone(),
                prompt: prompt.clone(),
                prompt_role: self.cfg.llm.prompt_role,
                temperature: self.cfg.models.code_temperature,
                max_tokens: self.cfg.llm.max_tokens,
                tool: None,
            };
            let completion = self.call(request, account, Role::Code).await?;
            let blocks = code_blocks(&completion.text);
            let t = Instant::now();
            let kept = self.compiling(&blocks).await;
            account.charge_check(t.elapsed());
            let plan = extract_plan(&completion.text);
            let code = join_blocks(&kept);
            let problem = match &code {
                Some(code) if !plan.is_empty() => return Ok((plan, code.clone())),
                Some(_) => "no plan before the code".to_string(),
                None if blocks.is_empty() => "no code block".to_string(),
                None => format!("none of its {} code blocks compiles", blocks.len()),
            };
            self.emit(Event::Warning(format!(
                "code answer {attempt}/{CODE_ATTEMPTS}: {problem}"
            )));
            last = (completion.text, code);
        }
        Ok(match last {
            (_, Some(code)) => {
                self.emit(Event::Warning(format!(
                    "no plan with compiling code in {CODE_ATTEMPTS} answers; running the last one's code"
                )));
                (String::new(), code)
            }
            (text, None) => {
                self.emit(Event::Warning(format!(
                    "no compiling code block in {CODE_ATTEMPTS} answers; running the last answer as it is"
                )));
                (String::new(), text)
            }
        })
    }

    /// The blocks that compile; all of them when the check itself cannot run (the script's
    /// own run then reports what is wrong).
    async fn compiling<'a>(&mut self, blocks: &[&'a str]) -> Vec<&'a str> {
        match self.checker.compiles(blocks).await {
            Ok(verdicts) => blocks
                .iter()
                .zip(verdicts)
                .filter_map(|(b, ok)| ok.then_some(*b))
                .collect(),
            Err(e) => {
                self.emit(Event::Warning(format!("syntax check skipped: {e}")));
                blocks.to_vec()
            }
        }
    }

    /// Asks the feedback model for a review until one parses; an LLM failure is the
    /// step's error, an unusable answer after every attempt is the node's bug.
    async fn review(
        &mut self,
        prompt: String,
        account: &mut StepAccount,
    ) -> Result<ReviewOutcome, AgentError> {
        let attempts = self.cfg.review.max_attempts;
        let mut problem = String::new();
        for attempt in 1..=attempts {
            let request = ChatRequest {
                model: self.cfg.models.feedback.clone(),
                prompt: prompt.clone(),
                prompt_role: self.cfg.llm.prompt_role,
                temperature: self.cfg.models.feedback_temperature,
                max_tokens: self.cfg.llm.max_tokens,
                tool: Some(review::review_tool()),
            };
            let completion = self.call(request, account, Role::Feedback).await?;
            let parsed = match &completion.tool_call {
                Some(call) => review::parse_arguments(&call.arguments),
                None => review::parse_text(&completion.text)
                    .map_err(|e| format!("no tool call, and {e}")),
            };
            match parsed {
                Ok(review) => return Ok(ReviewOutcome::Reviewed(review)),
                Err(e) => {
                    self.emit(Event::Warning(format!(
                        "review attempt {attempt}/{attempts}: {e}"
                    )));
                    problem = e;
                }
            }
        }
        Ok(ReviewOutcome::Unusable(format!(
            "no usable review in {attempts} attempts; last problem: {problem}"
        )))
    }
}

/// The interpreter in the search's sandbox: read-only system, Python, task files and
/// workspace root (`runfile.py`, `./input`); read-write `./working`, `./submission`, the
/// exception report and the private `TMPDIR`; nothing of the run directory itself.
/// And the syntax checker, in the same sandbox narrowed to reading the system and the
/// Python installation (`Sandbox::compile_only`).
fn sandboxed_interpreter(
    cfg: &AgentConfig,
    task_dir: &Path,
    workspace: &Workspace,
) -> Result<(Interpreter, Checker), SandboxError> {
    let mut interpreter = Interpreter::new(&cfg.exec);
    let mut python_paths = Vec::new();
    if cfg.exec.sandbox != super::config::SandboxMode::Off
        && let Some(install) =
            sandbox::python_install(interpreter.python(), interpreter.env_pairs())
    {
        python_paths = install.paths;
        interpreter = interpreter.with_python(install.executable);
    }
    python_paths.extend(cfg.exec.read_paths.iter().cloned());
    let mut read_only = vec![task_dir.to_path_buf(), workspace.root().to_path_buf()];
    read_only.extend(python_paths.iter().cloned());
    let layout = Layout {
        read_only,
        read_write: vec![
            workspace.working(),
            workspace.submission(),
            workspace.root().join(EXC_DIR),
            workspace.tmp(),
        ],
    };
    tracing::debug!(?layout, "the scripts' sandbox");
    let sandbox = Sandbox::new(SandboxSpec {
        mode: cfg.exec.sandbox,
        block_network: !cfg.exec.network,
        layout,
        kill_leftovers: true,
    })?;
    let checker_sandbox = sandbox.compile_only(python_paths);
    let interpreter = interpreter.with_sandbox(sandbox, &workspace.tmp());
    let checker = Checker::new(&interpreter, checker_sandbox);
    Ok((interpreter, checker))
}

/// A label for logs: "step 3 (debug of 1)".
pub fn describe_step(node: &Node) -> String {
    match node.parent_step {
        Some(p) => format!("step {} ({} of {p})", node.step, node.stage.as_str()),
        None => format!("step {} ({})", node.step, node.stage.as_str()),
    }
}

/// One line per finished node, for logs and plain progress.
pub fn node_line(node: &Node, steps: usize, elapsed_s: f64, spent_usd: f64) -> String {
    let verdict = match (&node.metric, node.primary_bug()) {
        (Some(m), _) => format!("metric {m}"),
        (None, Some(b)) => format!(
            "buggy ({}: {})",
            serde_json::to_value(b.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            b.detail.chars().take(120).collect::<String>()
        ),
        (None, None) => "no metric".to_string(),
    };
    format!(
        "{}/{steps} {}: {verdict} [{} elapsed, ${spent_usd:.4}]",
        node.step + 1,
        describe_step(node),
        humanize_seconds(elapsed_s)
    )
}
