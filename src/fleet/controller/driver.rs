//! The controller's event loop. `select!` only turns what arrives (executor events,
//! interrupts, ticks, finished background work) into an [`Input`]; [`State::handle`]
//! decides; the loop carries out the [`Effect`]s. Grading, RE scoring, progress reads and
//! log uploads run as background tasks that report back as inputs, so dispatching never
//! waits for them. The run-group index is kept beside the state machine: every status
//! saved, progress read and run's files read back when it ends go into its
//! [`IndexKeeper`], and a background writer puts its snapshot (debounced, and at exit).

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use futures::stream::{self, StreamExt};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::sync::watch;

use super::backend::{Backend, BackendError};
use super::state::{Effect, Input, Limits, State, Summary};
use crate::agent::Progress;
use crate::bench::TaskKind;
use crate::fleet::GradeRecord;
use crate::fleet::executor::{ExecEvent, RunKey};
use crate::fleet::gpus::GpuPool;
use crate::fleet::grading::grade_run;
use crate::fleet::index::{GroupIndex, IndexKeeper, ProgressSummary, RunRecord, fetch_record};
use crate::fleet::plan::PlannedRun;
use crate::fleet::scoring::score as score_research;
use crate::fleet::status::RunStatus;
use crate::grade::GradingReport;
use crate::store::{Store, StoreError, layout};

/// How often running runs' progress is read back from the store (and the index is
/// checked for a due write).
const PROGRESS_EVERY: Duration = Duration::from_secs(2);

/// Running runs' progress files read at once; a tick whose reads are still going is skipped.
const PROGRESS_READS: usize = 16;

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
    keeper: IndexKeeper,
    /// Read-backs of runs' files started and not yet folded into the keeper.
    folds_in_flight: usize,
    /// The previous tick's progress reads are still going.
    reading_progress: Arc<AtomicBool>,
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
        let planned: Vec<RunKey> = runs.iter().map(|r| r.key.clone()).collect();
        Self {
            index,
            state: State::new(&cfg.run_id, limits, wants, gpus),
            keeper: IndexKeeper::new(&cfg.run_id, None, &planned),
            folds_in_flight: 0,
            reading_progress: Arc::new(AtomicBool::new(false)),
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
        let (fold_tx, mut folds) = unbounded_channel::<Option<RunRecord>>();
        let (index_tx, index_rx) = watch::channel(None::<Vec<u8>>);
        let index_writer = tokio::spawn(write_index(
            self.cfg.store.clone(),
            self.cfg.run_id.clone(),
            index_rx,
        ));
        self.restore(observer, &background, &fold_tx).await?;
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
                Some(read) = folds.recv() => {
                    self.fold(read);
                    continue;
                }
                _ = tick.tick() => {
                    self.spawn_progress_reads(&background);
                    self.write_index_if_due(&index_tx);
                    continue;
                }
            };
            self.step(input, observer, &background, &fold_tx).await?;
        }
        // Every run's files read back before the last index is written, closed.
        while self.folds_in_flight > 0 {
            match folds.recv().await {
                Some(read) => self.fold(read),
                None => break,
            }
        }
        let last = self.keeper.snapshot(now_s(), false);
        self.write_grading_report(&last).await?;
        let _ = index_tx.send(Some(last.to_bytes()));
        drop(index_tx);
        let _ = index_writer.await;
        Ok(self.state.summary())
    }

    fn fold(&mut self, read: Option<RunRecord>) {
        self.folds_in_flight = self.folds_in_flight.saturating_sub(1);
        if let Some(record) = read {
            self.keeper.folded(record);
        }
    }

    fn write_index_if_due(&mut self, index_tx: &watch::Sender<Option<Vec<u8>>>) {
        let now = now_s();
        if self.keeper.due(now) {
            let _ = index_tx.send(Some(self.keeper.snapshot(now, true).to_bytes()));
        }
    }

    /// Reads a run's files back into the index, in the background.
    fn spawn_fold(&mut self, key: RunKey, folds: &UnboundedSender<Option<RunRecord>>) {
        self.folds_in_flight += 1;
        let (store, run_id, tx) = (
            self.cfg.store.clone(),
            self.cfg.run_id.clone(),
            folds.clone(),
        );
        tokio::spawn(async move {
            let read = match fetch_record(&store, &run_id, &key).await {
                Ok(record) => Some(record),
                Err(e) => {
                    tracing::warn!(task = %key.task, seed = key.seed, error = %e, "the run's files were not read back into the index");
                    None
                }
            };
            let _ = tx.send(read);
        });
    }

    /// Feeds every planned run's stored state to the state machine, in plan order.
    async fn restore(
        &mut self,
        observer: &mut dyn FleetObserver,
        background: &UnboundedSender<Input>,
        folds: &UnboundedSender<Option<RunRecord>>,
    ) -> Result<(), FleetError> {
        let active = self
            .backend
            .active()
            .await
            .map_err(FleetError::ListActive)?;
        let run_yaml = self
            .cfg
            .store
            .get(&layout::run_file(&self.cfg.run_id))
            .await?
            .map(|b| String::from_utf8_lossy(&b).into_owned());
        let planned: Vec<RunKey> = self.runs.iter().map(|r| r.key.clone()).collect();
        self.keeper = IndexKeeper::new(&self.cfg.run_id, run_yaml, &planned);
        // A damaged or foreign index only means every run is read back.
        let previous: HashMap<RunKey, RunRecord> = self
            .cfg
            .store
            .get(&layout::index_key(&self.cfg.run_id))
            .await?
            .and_then(|bytes| GroupIndex::parse(&bytes).ok())
            .filter(|i| i.run_id == self.cfg.run_id)
            .map(|i| i.runs.into_iter().map(|r| (r.key(), r)).collect())
            .unwrap_or_default();
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
            if self
                .keeper
                .restored(&key, stored.as_ref(), previous.get(&key))
            {
                self.spawn_fold(key.clone(), folds);
            }
            let input = Input::Restored {
                active: active.contains(&key),
                key,
                stored,
                graded,
            };
            self.step(input, observer, background, folds).await?;
        }
        self.step(Input::Loaded, observer, background, folds).await
    }

    /// One input through the state machine, and every effect it leads to (a launch
    /// leads to `Launched`, which is fed back before the next effect).
    async fn step(
        &mut self,
        input: Input,
        observer: &mut dyn FleetObserver,
        background: &UnboundedSender<Input>,
        folds: &UnboundedSender<Option<RunRecord>>,
    ) -> Result<(), FleetError> {
        // What ended is read back into the index: a graded run once its grade is written,
        // any other attempt's end at once. A restored run was read back, or not, already.
        let restoring = matches!(input, Input::Restored { .. });
        match &input {
            Input::Graded { key, .. } => self.spawn_fold(key.clone(), folds),
            Input::Progress { key, progress } => {
                self.keeper.progressed(key, ProgressSummary::from(progress))
            }
            Input::Exited {
                key,
                progress: Some(progress),
                ..
            } => self.keeper.progressed(key, ProgressSummary::from(progress)),
            _ => {}
        }
        let mut grading = BTreeSet::new();
        let mut effects: VecDeque<Effect> = self.state.handle(input, SystemTime::now()).into();
        while let Some(effect) = effects.pop_front() {
            match effect {
                Effect::Launch { key, attempt, gpus } => {
                    let launched = self.launch(&key, attempt, &gpus).await?;
                    effects.extend(self.state.handle(launched, SystemTime::now()));
                }
                Effect::Save(status) => self.save(&status).await?,
                Effect::Grade(key) => {
                    grading.insert(key.clone());
                    self.spawn_grading(key, background)
                }
                Effect::UploadLog(key) => self.spawn_log_upload(key),
                Effect::CancelAll => {
                    let backend = self.backend.clone();
                    tokio::spawn(async move { backend.cancel_all().await });
                }
                Effect::Started(s) => observer.started(&s),
                Effect::Progressed(s) => observer.progress(&s),
                Effect::Finished(s) => {
                    if !restoring && !grading.contains(&s.key()) {
                        self.spawn_fold(s.key(), folds);
                    }
                    observer.finished(&s)
                }
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

    async fn save(&mut self, status: &RunStatus) -> Result<(), FleetError> {
        let key = layout::status_key(&self.cfg.run_id, &status.task, status.seed);
        let status = self.keeper.saving(status);
        let bytes = serde_json::to_vec_pretty(&status).unwrap_or_default();
        self.cfg.store.put(&key, bytes).await?;
        Ok(())
    }

    async fn read_progress(&self, key: &RunKey) -> Option<Progress> {
        read_progress(&self.cfg.store, &self.cfg.run_id, key).await
    }

    /// Reads the running runs' progress, a bounded number at once; only the running
    /// ones, and never two ticks' worth at a time.
    fn spawn_progress_reads(&self, background: &UnboundedSender<Input>) {
        if self.reading_progress.swap(true, Ordering::AcqRel) {
            return;
        }
        let keys: Vec<RunKey> = self.state.running().cloned().collect();
        let (store, run_id, tx, reading) = (
            self.cfg.store.clone(),
            self.cfg.run_id.clone(),
            background.clone(),
            self.reading_progress.clone(),
        );
        tokio::spawn(async move {
            stream::iter(keys)
                .for_each_concurrent(PROGRESS_READS, |key| {
                    let (store, run_id, tx) = (&store, &run_id, &tx);
                    async move {
                        if let Some(progress) = read_progress(store, run_id, &key).await {
                            let _ = tx.send(Input::Progress { key, progress });
                        }
                    }
                })
                .await;
            reading.store(false, Ordering::Release);
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

    /// `grading_report.json` for the run group, from every competition report the index
    /// holds (each read back from its `grade.json`), in plan order.
    async fn write_grading_report(&self, index: &GroupIndex) -> Result<(), FleetError> {
        let by_key: HashMap<RunKey, &RunRecord> = index.runs.iter().map(|r| (r.key(), r)).collect();
        let reports = self
            .runs
            .iter()
            .filter_map(|run| match by_key.get(&run.key)?.grade.as_ref()? {
                GradeRecord::Competition(report) => Some(report.as_ref().clone()),
                GradeRecord::Research(_) => None,
            })
            .collect();
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

fn now_s() -> f64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Puts the newest index snapshot, one write at a time: a snapshot that arrives while a
/// write is going replaces any older one still waiting, so the store never goes back to
/// an older index. Ends after the last snapshot once the sender is gone.
async fn write_index(
    store: Store,
    run_id: String,
    mut snapshots: watch::Receiver<Option<Vec<u8>>>,
) {
    let key = layout::index_key(&run_id);
    // `changed` still yields a snapshot sent just before the sender went away.
    while snapshots.changed().await.is_ok() {
        let bytes = snapshots.borrow_and_update().clone();
        if let Some(bytes) = bytes
            && let Err(e) = store.put(&key, bytes).await
        {
            tracing::warn!(error = %e, "the run-group index was not written; report and status rebuild it");
        }
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
