//! The controller: dispatches planned runs to an executor under a concurrency limit and
//! GPU accounting, keeps each run's state in the store, retries failures, grades what
//! finishes, and resumes a run group from the store after a crash.

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedReceiver;

use super::executor::{ExecEvent, ExitStatus, LaunchSpec, RunKey};
use super::gpus::GpuPool;
use super::grading::grade_run;
use super::kube::JobExecutor;
use super::local::LocalExecutor;
use super::plan::PlannedRun;
use super::scoring::score as score_research;
use super::status::{Attempt, AttemptOutcome, RunState, RunStatus};
use crate::agent::Progress;
use crate::bench::TaskKind;
use crate::grade::{CompetitionReport, GradingReport};
use crate::store::{Store, StoreError, layout};

/// How often running runs' progress is read back from the store.
const PROGRESS_EVERY: Duration = Duration::from_secs(2);
/// Seconds the agents get to checkpoint after SIGTERM on cancel.
const CANCEL_GRACE: Duration = Duration::from_secs(15);
/// Attempts in a row that could not reach the LLM endpoint before dispatching stops:
/// one could be a blip, three with nothing good between them is a dead endpoint.
const UNREACHABLE_STOP_AFTER: usize = 3;

#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{key} in the store is not a valid run status: {message}")]
    CorruptStatus { key: String, message: String },
    #[error("cannot launch {task} seed {seed}: {message}")]
    Launch {
        task: String,
        seed: u64,
        message: String,
    },
}

/// What the controller tells whoever displays it.
pub trait FleetObserver {
    fn started(&mut self, status: &RunStatus);
    fn progress(&mut self, status: &RunStatus);
    fn finished(&mut self, status: &RunStatus);
    fn message(&mut self, text: &str);
}

pub struct ControllerConfig {
    pub run_id: String,
    pub store: Store,
    pub concurrency: usize,
    /// Failed attempts allowed per run (preemptions do not count).
    pub max_attempts: u32,
    /// MLE-bench's prepared data root, for external graders.
    pub data_dir: Option<PathBuf>,
}

/// Where runs execute. Local runs get GPUs from the pool; Kubernetes schedules its own.
#[derive(Clone)]
pub enum Backend {
    Local(LocalExecutor),
    Kube(std::sync::Arc<JobExecutor>),
}

impl Backend {
    fn name(&self) -> &'static str {
        match self {
            Backend::Local(_) => "local",
            Backend::Kube(_) => "kube",
        }
    }

    async fn launch(&self, spec: &LaunchSpec, gpus: &[u32]) -> Result<String, String> {
        match self {
            Backend::Local(l) => l.launch(spec, gpus).map_err(|e| e.to_string()),
            Backend::Kube(k) => k.launch(spec).await.map_err(|e| e.to_string()),
        }
    }

    async fn cancel_all(&self) {
        match self {
            Backend::Local(l) => l.cancel_all(CANCEL_GRACE).await,
            Backend::Kube(k) => {
                let _ = k.cancel_all().await;
            }
        }
    }

    /// The agent's log, for backends that do not write it into the store themselves.
    async fn log(&self, key: &RunKey) -> Option<String> {
        match self {
            Backend::Local(_) => None,
            Backend::Kube(k) => k.logs(key).await.ok().flatten(),
        }
    }

    /// Runs whose work is still going on in the backend (Kubernetes Jobs survive their
    /// controller; local agents do not).
    async fn active(&self) -> Result<Vec<RunKey>, String> {
        match self {
            Backend::Local(_) => Ok(Vec::new()),
            Backend::Kube(k) => k
                .active()
                .await
                .map(|v| v.into_iter().map(|(key, _)| key).collect())
                .map_err(|e| e.to_string()),
        }
    }
}

pub struct Controller {
    cfg: ControllerConfig,
    runs: BTreeMap<RunKey, PlannedRun>,
    statuses: BTreeMap<RunKey, RunStatus>,
    backend: Backend,
    /// `None`: the backend schedules GPUs itself.
    gpus: Option<GpuPool>,
    /// Runs in flight, with the GPUs they hold.
    held_gpus: BTreeMap<RunKey, Vec<u32>>,
    events: UnboundedReceiver<ExecEvent>,
}

/// How a controller invocation ended.
#[derive(Debug, Default)]
pub struct Summary {
    pub succeeded: usize,
    pub failed: usize,
    /// Not finished: never started, or stopped by Ctrl-C.
    pub unfinished: usize,
    pub interrupted: bool,
    /// Dispatching stopped because the LLM endpoint could not be reached: the last
    /// attempt's reason.
    pub llm_unreachable: Option<String>,
}

fn now() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

impl Controller {
    pub fn new(
        cfg: ControllerConfig,
        runs: Vec<PlannedRun>,
        backend: Backend,
        gpus: Option<GpuPool>,
        events: UnboundedReceiver<ExecEvent>,
    ) -> Self {
        Self {
            cfg,
            runs: runs.into_iter().map(|r| (r.key.clone(), r)).collect(),
            statuses: BTreeMap::new(),
            backend,
            gpus,
            held_gpus: BTreeMap::new(),
            events,
        }
    }

    fn failures(status: &RunStatus) -> u32 {
        status
            .attempts
            .iter()
            .filter(|a| a.outcome == Some(AttemptOutcome::Failed))
            .count() as u32
    }

    async fn save(&self, status: &RunStatus) -> Result<(), FleetError> {
        let key = layout::status_key(&self.cfg.run_id, &status.task, status.seed);
        let bytes = serde_json::to_vec_pretty(status).unwrap_or_default();
        self.cfg.store.put(&key, bytes).await?;
        Ok(())
    }

    /// Reads every run's state from the store; returns the runs to launch, in plan order.
    async fn load(
        &mut self,
        observer: &mut dyn FleetObserver,
    ) -> Result<VecDeque<RunKey>, FleetError> {
        let mut queue = VecDeque::new();
        let active = self
            .backend
            .active()
            .await
            .map_err(|message| FleetError::Launch {
                task: "*".into(),
                seed: 0,
                message: format!("listing the run's Jobs: {message}"),
            })?;
        let keys: Vec<RunKey> = self.runs.keys().cloned().collect();
        for key in keys {
            let skey = layout::status_key(&self.cfg.run_id, &key.task, key.seed);
            let mut status = match self.cfg.store.get(&skey).await? {
                Some(bytes) => serde_json::from_slice::<RunStatus>(&bytes).map_err(|e| {
                    FleetError::CorruptStatus {
                        key: skey.clone(),
                        message: e.to_string(),
                    }
                })?,
                None => RunStatus {
                    run_id: self.cfg.run_id.clone(),
                    task: key.task.clone(),
                    seed: key.seed,
                    state: RunState::Pending,
                    attempts: Vec::new(),
                    gpus: Vec::new(),
                    step: None,
                    steps: None,
                    best_metric: None,
                    elapsed_s: None,
                    cost_usd: None,
                    updated_at: now(),
                },
            };
            match status.state {
                RunState::Succeeded => {}
                RunState::Failed if Self::failures(&status) >= self.cfg.max_attempts => {}
                RunState::Failed
                    if status
                        .attempts
                        .last()
                        .and_then(|a| a.reason.as_deref())
                        .is_some_and(|r| r.starts_with("fatal:")) => {}
                RunState::Running if active.contains(&key) => {
                    // Its Job outlived the previous controller: re-attach, the watcher
                    // reports how it ends.
                    self.held_gpus.insert(key.clone(), Vec::new());
                    observer.started(&status);
                }
                RunState::Running => {
                    // The controller that ran it is gone, and the agent with it (local:
                    // SIGTERM on parent death): resume from the checkpoint.
                    if let Some(a) = status.attempts.last_mut().filter(|a| a.outcome.is_none()) {
                        a.outcome = Some(AttemptOutcome::Preempted);
                        a.ended_at = Some(now());
                        a.reason = Some("the controller stopped while the run was running".into());
                    }
                    status.state = RunState::Pending;
                    self.save(&status).await?;
                    queue.push_back(key.clone());
                }
                RunState::Pending | RunState::Failed => queue.push_back(key.clone()),
            }
            if matches!(status.state, RunState::Succeeded | RunState::Failed) {
                let grade = layout::grade_key(&self.cfg.run_id, &key.task, key.seed);
                if self.cfg.store.get(&grade).await?.is_none() {
                    self.grade(&key).await?;
                }
                observer.finished(&status);
            }
            self.statuses.insert(key, status);
        }
        Ok(queue)
    }

    /// Whether the store already holds a search for this run.
    async fn has_checkpoint(&self, key: &RunKey) -> Result<bool, FleetError> {
        let run_json = format!(
            "{}/{}",
            layout::agent_prefix(&self.cfg.run_id, &key.task, key.seed),
            crate::agent::RUN_FILE
        );
        Ok(self.cfg.store.get(&run_json).await?.is_some())
    }

    async fn launch(
        &mut self,
        key: &RunKey,
        gpus: Vec<u32>,
        observer: &mut dyn FleetObserver,
    ) -> Result<(), FleetError> {
        let resume = self.has_checkpoint(key).await?;
        let attempt = self.statuses[key].attempts.len() as u32 + 1;
        let spec = self.runs[key].launch_spec(&self.cfg.run_id, attempt, resume);
        let id = self
            .backend
            .launch(&spec, &gpus)
            .await
            .map_err(|message| FleetError::Launch {
                task: key.task.clone(),
                seed: key.seed,
                message,
            })?;
        let status = self
            .statuses
            .get_mut(key)
            .expect("planned run has a status");
        status.state = RunState::Running;
        status.gpus = gpus.clone();
        status.attempts.push(Attempt {
            number: spec.attempt,
            executor: self.backend.name().into(),
            executor_id: Some(id),
            started_at: now(),
            ended_at: None,
            outcome: None,
            reason: None,
        });
        status.updated_at = now();
        let snapshot = status.clone();
        self.held_gpus.insert(key.clone(), gpus);
        self.save(&snapshot).await?;
        observer.started(&snapshot);
        Ok(())
    }

    /// Grades the run (the best submission against the answers, or the best script with
    /// the task's score command) and writes `grade.json`.
    async fn grade(&self, key: &RunKey) -> Result<(), FleetError> {
        let run = &self.runs[key];
        let agent = layout::agent_prefix(&self.cfg.run_id, &key.task, key.seed);
        let tmp = tempdir_for_grading()?;
        let json = match &run.task.kind {
            TaskKind::Research(research) => {
                let best = tmp.join("best_solution.py");
                let found = self
                    .cfg
                    .store
                    .get_file(
                        &format!("{agent}/{}", crate::agent::BEST_SOLUTION_FILE),
                        &best,
                    )
                    .await?;
                let record = score_research(
                    &key.task,
                    research,
                    found.then_some(best.as_path()),
                    &tmp.join("work"),
                )
                .await;
                serde_json::to_string_pretty(&record).unwrap_or_default()
            }
            TaskKind::Competition(_) => {
                let path = tmp.join("submission.csv");
                let _ = self
                    .cfg
                    .store
                    .get_file(&format!("{agent}/best_submission/submission.csv"), &path)
                    .await?;
                let task = run.task.clone();
                let data_dir = self.cfg.data_dir.clone();
                let report = tokio::task::spawn_blocking(move || {
                    grade_run(&task, data_dir.as_deref(), &path)
                })
                .await
                .map_err(|e| FleetError::Launch {
                    task: key.task.clone(),
                    seed: key.seed,
                    message: format!("grading failed: {e}"),
                })?;
                report.to_json()
            }
        };
        let _ = std::fs::remove_dir_all(&tmp);
        let gkey = layout::grade_key(&self.cfg.run_id, &key.task, key.seed);
        self.cfg.store.put(&gkey, json.into_bytes()).await?;
        Ok(())
    }

    async fn on_exit(
        &mut self,
        key: RunKey,
        exit: ExitStatus,
        cancelling: bool,
        queue: &mut VecDeque<RunKey>,
        observer: &mut dyn FleetObserver,
    ) -> Result<(), FleetError> {
        if let (Some(gpus), Some(pool)) = (self.held_gpus.remove(&key), self.gpus.as_mut()) {
            pool.give_back(&gpus);
        }
        self.refresh_progress(&key).await?;
        if let Some(log) = self.backend.log(&key).await {
            let lkey = layout::log_key(&self.cfg.run_id, &key.task, key.seed);
            self.cfg.store.put(&lkey, log.into_bytes()).await?;
        }
        let max = self.cfg.max_attempts;
        let Some(status) = self.statuses.get_mut(&key) else {
            return Ok(());
        };
        let (outcome, reason) = match &exit {
            ExitStatus::Succeeded => (AttemptOutcome::Succeeded, None),
            ExitStatus::Failed {
                reason,
                fatal: true,
            } => (AttemptOutcome::Failed, Some(format!("fatal: {reason}"))),
            ExitStatus::Failed { reason, .. } => (AttemptOutcome::Failed, Some(reason.clone())),
            ExitStatus::Preempted { reason } => (AttemptOutcome::Preempted, Some(reason.clone())),
            ExitStatus::LlmUnreachable { reason } => {
                (AttemptOutcome::LlmUnreachable, Some(reason.clone()))
            }
            ExitStatus::Cancelled if cancelling => (
                AttemptOutcome::Cancelled,
                Some("cancelled by the user".into()),
            ),
            ExitStatus::Cancelled => (
                AttemptOutcome::Preempted,
                Some("the agent was interrupted".into()),
            ),
        };
        if let Some(a) = status.attempts.last_mut() {
            a.ended_at = Some(now());
            a.outcome = Some(outcome);
            a.reason = reason;
        }
        status.state = match exit {
            ExitStatus::Succeeded => RunState::Succeeded,
            ExitStatus::Failed { fatal: true, .. } => RunState::Failed,
            ExitStatus::Failed { .. } if Self::failures(status) >= max => RunState::Failed,
            _ => {
                if !cancelling {
                    queue.push_back(key.clone());
                }
                if matches!(exit, ExitStatus::Failed { .. }) {
                    RunState::Failed
                } else {
                    RunState::Pending
                }
            }
        };
        status.updated_at = now();
        let snapshot = status.clone();
        self.save(&snapshot).await?;
        let terminal = snapshot.state == RunState::Succeeded
            || (snapshot.state == RunState::Failed && !queue.contains(&key));
        if terminal {
            self.grade(&key).await?;
        }
        observer.finished(&snapshot);
        Ok(())
    }

    /// Reads the agent's `progress.json` into the run's status.
    async fn refresh_progress(&mut self, key: &RunKey) -> Result<(), FleetError> {
        let pkey = format!(
            "{}/{}",
            layout::agent_prefix(&self.cfg.run_id, &key.task, key.seed),
            crate::agent::PROGRESS_FILE
        );
        let Some(bytes) = self.cfg.store.get(&pkey).await? else {
            return Ok(());
        };
        let Ok(p) = serde_json::from_slice::<Progress>(&bytes) else {
            return Ok(());
        };
        if let Some(s) = self.statuses.get_mut(key) {
            s.step = Some(p.step);
            s.steps = Some(p.steps);
            s.best_metric = p.best_metric;
            s.elapsed_s = Some(p.elapsed_s);
            s.cost_usd = Some(p.cost_usd);
        }
        Ok(())
    }

    /// Dispatches until every run has ended, or until the user stops it: the first
    /// `interrupt` stops dispatching and waits for running work, the second cancels it.
    pub async fn run(
        mut self,
        observer: &mut dyn FleetObserver,
        mut interrupts: tokio::sync::mpsc::UnboundedReceiver<()>,
    ) -> Result<Summary, FleetError> {
        let mut queue = self.load(observer).await?;
        let mut running = self.held_gpus.len();
        let mut stopping = false;
        let mut cancelling = false;
        // Attempts in a row that could not reach the LLM, and the last one's reason.
        let mut unreachable_streak = 0;
        let mut unreachable: Option<String> = None;
        let stop_after = UNREACHABLE_STOP_AFTER.min(self.runs.len()).max(1);
        let mut tick = tokio::time::interval(PROGRESS_EVERY);
        loop {
            while !stopping && running < self.cfg.concurrency && !queue.is_empty() {
                let gpus = match self.gpus.as_mut() {
                    None => Vec::new(),
                    Some(pool) => match pool.take(self.runs[&queue[0]].gpus) {
                        Some(gpus) => gpus,
                        None => break,
                    },
                };
                let key = queue.pop_front().expect("the queue is not empty");
                self.launch(&key, gpus, observer).await?;
                running += 1;
            }
            if running == 0 && (queue.is_empty() || stopping) {
                break;
            }
            tokio::select! {
                event = self.events.recv() => match event {
                    Some(ExecEvent::Started { .. }) => {}
                    Some(ExecEvent::Exited { key, status }) => {
                        running = running.saturating_sub(1);
                        match &status {
                            ExitStatus::LlmUnreachable { reason } => {
                                unreachable_streak += 1;
                                unreachable = Some(reason.clone());
                            }
                            _ => unreachable_streak = 0,
                        }
                        self.on_exit(key, status, cancelling, &mut queue, observer).await?;
                        if unreachable_streak >= stop_after && !stopping {
                            stopping = true;
                            observer.message(&format!(
                                "stopping: {unreachable_streak} attempts in a row could not reach the LLM endpoint ({}); no new runs start, and those attempts do not count against --max-attempts; rerun the same command once the endpoint is back",
                                unreachable.as_deref().unwrap_or("")
                            ));
                        }
                    }
                    None => break,
                },
                Some(()) = interrupts.recv() => {
                    if !stopping {
                        stopping = true;
                        observer.message("stopping: no new runs are started; running ones finish (Ctrl-C again to cancel them)");
                    } else if !cancelling {
                        cancelling = true;
                        observer.message("cancelling running runs; their checkpoints stay in the store");
                        let backend = self.backend.clone();
                        tokio::spawn(async move { backend.cancel_all().await });
                    }
                }
                _ = tick.tick() => {
                    let keys: Vec<RunKey> = self.held_gpus.keys().cloned().collect();
                    for key in keys {
                        self.refresh_progress(&key).await?;
                        if let Some(s) = self.statuses.get(&key) {
                            observer.progress(s);
                        }
                    }
                }
            }
        }
        self.write_grading_report().await?;
        let llm_unreachable = unreachable.filter(|_| unreachable_streak >= stop_after);
        let mut summary = Summary {
            interrupted: stopping && llm_unreachable.is_none(),
            llm_unreachable,
            ..Summary::default()
        };
        for s in self.statuses.values() {
            match s.state {
                RunState::Succeeded => summary.succeeded += 1,
                RunState::Failed
                    if !queue.contains(&RunKey {
                        task: s.task.clone(),
                        seed: s.seed,
                    }) =>
                {
                    summary.failed += 1
                }
                _ => summary.unfinished += 1,
            }
        }
        Ok(summary)
    }

    /// `grading_report.json` for the run group, from every `grade.json` present.
    async fn write_grading_report(&self) -> Result<(), FleetError> {
        let mut reports = Vec::new();
        for key in self.runs.keys() {
            let gkey = layout::grade_key(&self.cfg.run_id, &key.task, key.seed);
            if let Some(bytes) = self.cfg.store.get(&gkey).await?
                && let Ok(report) = CompetitionReport::from_json(&String::from_utf8_lossy(&bytes))
            {
                reports.push(report);
            }
        }
        let report = GradingReport::from_reports(reports);
        self.cfg
            .store
            .put(
                &layout::grading_report_key(&self.cfg.run_id),
                report.to_json().into_bytes(),
            )
            .await?;
        Ok(())
    }
}

fn tempdir_for_grading() -> Result<PathBuf, FleetError> {
    let dir = std::env::temp_dir().join(format!(
        "aide-fleet-grade-{}-{}",
        std::process::id(),
        rand::random::<u64>()
    ));
    std::fs::create_dir_all(&dir).map_err(|e| {
        FleetError::Store(StoreError::Io {
            path: dir.clone(),
            source: e,
        })
    })?;
    Ok(dir)
}
