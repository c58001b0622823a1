//! The controller's event loop. `select!` only turns what arrives (executor events,
//! interrupts, ticks, finished background work) into an [`Input`]; [`State::handle`]
//! decides; the loop carries out the [`Effect`]s. Grading, RE scoring, progress reads and
//! log uploads run as background tasks that report back as inputs, so dispatching never
//! waits for them.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::backend::{Backend, BackendError};
use super::state::{Effect, Input, Limits, State, Summary};
use crate::agent::Progress;
use crate::bench::TaskKind;
use crate::fleet::executor::{ExecEvent, RunKey};
use crate::fleet::gpus::GpuPool;
use crate::fleet::grading::grade_run;
use crate::fleet::plan::PlannedRun;
use crate::fleet::scoring::score as score_research;
use crate::fleet::status::RunStatus;
use crate::grade::{CompetitionReport, GradingReport};
use crate::store::{Store, StoreError, layout};

/// How often running runs' progress is read back from the store.
const PROGRESS_EVERY: Duration = Duration::from_secs(2);

#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{key} in the store is not a valid run status: {message}")]
    CorruptStatus { key: String, message: String },
    #[error("cannot launch {task} seed {seed}: {cause}")]
    Launch {
        task: String,
        seed: u64,
        cause: BackendError,
    },
    #[error("cannot list the run group's Jobs: {0}")]
    ListActive(BackendError),
}

impl FleetError {
    /// Everything that stops the controller itself is ours or the store's: a bad plan
    /// was refused before it started.
    pub fn exit_code(&self) -> u8 {
        crate::exit_codes::INTERNAL
    }
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

pub struct Controller {
    cfg: ControllerConfig,
    /// In plan order.
    runs: Vec<PlannedRun>,
    /// Where each run sits in `runs`: a launch and a grade each look one up, so a sweep
    /// of thousands of runs must not scan the list.
    index: HashMap<RunKey, usize>,
    backend: Backend,
    state: State,
    events: UnboundedReceiver<ExecEvent>,
}

impl Controller {
    pub fn new(
        cfg: ControllerConfig,
        runs: Vec<PlannedRun>,
        backend: Backend,
        gpus: Option<GpuPool>,
        events: UnboundedReceiver<ExecEvent>,
    ) -> Self {
        let limits = Limits {
            concurrency: cfg.concurrency,
            max_attempts: cfg.max_attempts,
        };
        let wants = runs.iter().map(|r| (r.key.clone(), r.gpus)).collect();
        let index = runs
            .iter()
            .enumerate()
            .map(|(i, r)| (r.key.clone(), i))
            .collect();
        Self {
            index,
            state: State::new(&cfg.run_id, limits, wants, gpus),
            cfg,
            runs,
            backend,
            events,
        }
    }

    fn planned(&self, key: &RunKey) -> Option<&PlannedRun> {
        self.index.get(key).map(|&i| &self.runs[i])
    }

    /// Dispatches until every run has ended, or until the user stops it: the first
    /// `interrupt` stops dispatching and waits for running work, the second cancels it.
    pub async fn run(
        mut self,
        observer: &mut dyn FleetObserver,
        mut interrupts: UnboundedReceiver<()>,
    ) -> Result<Summary, FleetError> {
        let (background, mut finished) = unbounded_channel::<Input>();
        self.restore(observer, &background).await?;
        let mut tick = tokio::time::interval(PROGRESS_EVERY);
        while !self.state.done() {
            let input = tokio::select! {
                event = self.events.recv() => match event {
                    Some(ExecEvent::Exited { key, status }) => {
                        let progress = self.read_progress(&key).await;
                        Input::Exited { key, exit: status, progress }
                    }
                    Some(ExecEvent::Started { .. }) => continue,
                    None => break,
                },
                Some(()) = interrupts.recv() => Input::Interrupt,
                Some(input) = finished.recv() => input,
                _ = tick.tick() => {
                    self.spawn_progress_reads(&background);
                    continue;
                }
            };
            self.step(input, observer, &background).await?;
        }
        self.write_grading_report().await?;
        Ok(self.state.summary())
    }

    /// Feeds every planned run's stored state to the state machine, in plan order.
    async fn restore(
        &mut self,
        observer: &mut dyn FleetObserver,
        background: &UnboundedSender<Input>,
    ) -> Result<(), FleetError> {
        let active = self
            .backend
            .active()
            .await
            .map_err(FleetError::ListActive)?;
        let keys: Vec<RunKey> = self.runs.iter().map(|r| r.key.clone()).collect();
        for key in keys {
            let skey = layout::status_key(&self.cfg.run_id, &key.task, key.seed);
            let stored = match self.cfg.store.get(&skey).await? {
                Some(bytes) => Some(serde_json::from_slice::<RunStatus>(&bytes).map_err(|e| {
                    FleetError::CorruptStatus {
                        key: skey.clone(),
                        message: e.to_string(),
                    }
                })?),
                None => None,
            };
            let gkey = layout::grade_key(&self.cfg.run_id, &key.task, key.seed);
            let graded = self.cfg.store.get(&gkey).await?.is_some();
            let input = Input::Restored {
                active: active.contains(&key),
                key,
                stored,
                graded,
            };
            self.step(input, observer, background).await?;
        }
        self.step(Input::Loaded, observer, background).await
    }

    /// One input through the state machine, and every effect it leads to (a launch
    /// leads to `Launched`, which is fed back before the next effect).
    async fn step(
        &mut self,
        input: Input,
        observer: &mut dyn FleetObserver,
        background: &UnboundedSender<Input>,
    ) -> Result<(), FleetError> {
        let mut effects: VecDeque<Effect> = self.state.handle(input, SystemTime::now()).into();
        while let Some(effect) = effects.pop_front() {
            match effect {
                Effect::Launch { key, attempt, gpus } => {
                    let launched = self.launch(&key, attempt, &gpus).await?;
                    effects.extend(self.state.handle(launched, SystemTime::now()));
                }
                Effect::Save(status) => self.save(&status).await?,
                Effect::Grade(key) => self.spawn_grading(key, background),
                Effect::UploadLog(key) => self.spawn_log_upload(key),
                Effect::CancelAll => {
                    let backend = self.backend.clone();
                    tokio::spawn(async move { backend.cancel_all().await });
                }
                Effect::Started(s) => observer.started(&s),
                Effect::Progressed(s) => observer.progress(&s),
                Effect::Finished(s) => observer.finished(&s),
                Effect::Message(text) => observer.message(&text),
            }
        }
        Ok(())
    }

    async fn launch(&self, key: &RunKey, attempt: u32, gpus: &[u32]) -> Result<Input, FleetError> {
        let run_json = format!(
            "{}/{}",
            layout::agent_prefix(&self.cfg.run_id, &key.task, key.seed),
            crate::agent::RUN_FILE
        );
        // A search already in the store continues from its checkpoint.
        let resume = self.cfg.store.get(&run_json).await?.is_some();
        let run = self.planned(key).expect("only planned runs are launched");
        let spec = run.launch_spec(&self.cfg.run_id, attempt, resume);
        let executor_id =
            self.backend
                .launch(&spec, gpus)
                .await
                .map_err(|cause| FleetError::Launch {
                    task: key.task.clone(),
                    seed: key.seed,
                    cause,
                })?;
        Ok(Input::Launched {
            key: key.clone(),
            executor: self.backend.name().into(),
            executor_id,
        })
    }

    async fn save(&self, status: &RunStatus) -> Result<(), FleetError> {
        let key = layout::status_key(&self.cfg.run_id, &status.task, status.seed);
        let bytes = serde_json::to_vec_pretty(status).unwrap_or_default();
        self.cfg.store.put(&key, bytes).await?;
        Ok(())
    }

    async fn read_progress(&self, key: &RunKey) -> Option<Progress> {
        read_progress(&self.cfg.store, &self.cfg.run_id, key).await
    }

    fn spawn_progress_reads(&self, background: &UnboundedSender<Input>) {
        let keys: Vec<RunKey> = self.state.running().cloned().collect();
        let (store, run_id, tx) = (
            self.cfg.store.clone(),
            self.cfg.run_id.clone(),
            background.clone(),
        );
        tokio::spawn(async move {
            for key in keys {
                if let Some(progress) = read_progress(&store, &run_id, &key).await {
                    let _ = tx.send(Input::Progress { key, progress });
                }
            }
        });
    }

    fn spawn_grading(&self, key: RunKey, background: &UnboundedSender<Input>) {
        let Some(run) = self.planned(&key).cloned() else {
            return;
        };
        let (store, run_id, data_dir, tx) = (
            self.cfg.store.clone(),
            self.cfg.run_id.clone(),
            self.cfg.data_dir.clone(),
            background.clone(),
        );
        tokio::spawn(async move {
            let error = grade(&store, &run_id, &run, data_dir)
                .await
                .err()
                .map(|e| e.to_string());
            let _ = tx.send(Input::Graded { key, error });
        });
    }

    fn spawn_log_upload(&self, key: RunKey) {
        let (backend, store, run_id) = (
            self.backend.clone(),
            self.cfg.store.clone(),
            self.cfg.run_id.clone(),
        );
        tokio::spawn(async move {
            if let Some(log) = backend.log(&key).await {
                let lkey = layout::log_key(&run_id, &key.task, key.seed);
                if let Err(e) = store.put(&lkey, log.into_bytes()).await {
                    tracing::warn!(task = %key.task, seed = key.seed, error = %e, "the agent's log was not saved");
                }
            }
        });
    }

    /// `grading_report.json` for the run group, from every `grade.json` present.
    async fn write_grading_report(&self) -> Result<(), FleetError> {
        let mut reports = Vec::new();
        for run in &self.runs {
            let gkey = layout::grade_key(&self.cfg.run_id, &run.key.task, run.key.seed);
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

/// The agent's `progress.json`, if it is there and readable.
async fn read_progress(store: &Store, run_id: &str, key: &RunKey) -> Option<Progress> {
    let pkey = format!(
        "{}/{}",
        layout::agent_prefix(run_id, &key.task, key.seed),
        crate::agent::PROGRESS_FILE
    );
    let bytes = store.get(&pkey).await.ok()??;
    serde_json::from_slice(&bytes).ok()
}

/// Why grading could not write its result.
#[derive(Debug, thiserror::Error)]
enum GradeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("a scratch directory for grading: {0}")]
    Scratch(std::io::Error),
    #[error("the grader stopped: {0}")]
    Join(tokio::task::JoinError),
}

/// Grades a run (the best submission against the answers, or the best script with the
/// task's score command) and writes `grade.json`.
async fn grade(
    store: &Store,
    run_id: &str,
    run: &PlannedRun,
    data_dir: Option<PathBuf>,
) -> Result<(), GradeError> {
    let key = &run.key;
    let agent = layout::agent_prefix(run_id, &key.task, key.seed);
    // Removed when dropped, on every return.
    let tmp = tempfile::Builder::new()
        .prefix("aide-fleet-grade-")
        .tempdir()
        .map_err(GradeError::Scratch)?;
    let json = match &run.task.kind {
        TaskKind::Research(research) => {
            let best = tmp.path().join("best_solution.py");
            let found = store
                .get_file(
                    &format!("{agent}/{}", crate::agent::BEST_SOLUTION_FILE),
                    &best,
                )
                .await?;
            let record = score_research(
                &key.task,
                research,
                found.then_some(best.as_path()),
                &tmp.path().join("work"),
            )
            .await;
            serde_json::to_string_pretty(&record).unwrap_or_default()
        }
        TaskKind::Competition(_) => {
            let path = tmp.path().join("submission.csv");
            let _ = store
                .get_file(&format!("{agent}/best_submission/submission.csv"), &path)
                .await?;
            let task = run.task.clone();
            let report =
                tokio::task::spawn_blocking(move || grade_run(&task, data_dir.as_deref(), &path))
                    .await
                    .map_err(GradeError::Join)?;
            report.to_json()
        }
    };
    let gkey = layout::grade_key(run_id, &key.task, key.seed);
    store.put(&gkey, json.into_bytes()).await?;
    Ok(())
}
