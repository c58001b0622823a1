//! The Kubernetes executor: one Job per attempt, one label-selected watch of the run's
//! Jobs and one of its Pods (no polling per Job), and their observations told to the
//! controller as `ExecEvent`s.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use ::kube::api::{Api, DeleteParams, ListParams, LogParams, PostParams};
use ::kube::runtime::{WatchStreamExt, watcher};
use ::kube::{Client, ResourceExt};
use futures::StreamExt;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Pod;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use super::config::KubeRunConfig;
use super::error::KubeError;
use super::identity;
use super::observed::{JobView, PodView};
use super::pod::AGENT_CONTAINER;
use super::render::render_job;
use super::tracker::{Output, Tracker, executor_id};
use crate::fleet::{ExecEvent, LaunchSpec, RunKey};

/// Most bytes of a pod's log that `logs` returns.
const MAX_LOG_BYTES: i64 = 8 * 1024 * 1024;

pub struct JobExecutor {
    jobs: Api<Job>,
    pods: Api<Pod>,
    cfg: KubeRunConfig,
    shared: Arc<Shared>,
    watch: JoinHandle<()>,
}

struct Shared {
    tracker: Mutex<Tracker>,
    events: UnboundedSender<ExecEvent>,
}

impl Shared {
    fn tracker(&self) -> MutexGuard<'_, Tracker> {
        self.tracker.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sends the events; returns the Jobs to delete.
    fn emit(&self, outputs: Vec<Output>) -> Vec<String> {
        let mut delete = Vec::new();
        for output in outputs {
            match output {
                Output::Event(event) => {
                    // A dropped receiver means the controller is gone; nothing to tell.
                    let _ = self.events.send(event);
                }
                Output::DeleteJob(name) => delete.push(name),
            }
        }
        delete
    }
}

impl JobExecutor {
    /// Starts watching the run's Jobs and Pods; call from within a Tokio runtime. Events
    /// come for the Jobs that `launch` created or adopted and those `active` returned.
    pub fn new(client: Client, cfg: KubeRunConfig, events: UnboundedSender<ExecEvent>) -> Self {
        let namespace = cfg.settings.namespace.as_str();
        let jobs: Api<Job> = Api::namespaced(client.clone(), namespace);
        let pods: Api<Pod> = Api::namespaced(client, namespace);
        let shared = Arc::new(Shared {
            tracker: Mutex::new(Tracker::new(
                cfg.image_pull_timeout,
                cfg.unschedulable_after,
            )),
            events,
        });
        let watch = tokio::spawn(watch(
            jobs.clone(),
            pods.clone(),
            cfg.clone(),
            Arc::clone(&shared),
        ));
        Self {
            jobs,
            pods,
            cfg,
            shared,
            watch,
        }
    }

    /// Creates the attempt's Job and returns its executor id (`job <name>`). A Job that
    /// already exists (a relaunch after a controller restart) is adopted, as is a Job of
    /// an earlier attempt of the same run that still runs (its pod was preempted and is
    /// being replaced): never two searches of one run.
    pub async fn launch(&self, spec: &LaunchSpec) -> Result<String, KubeError> {
        let job = render_job(spec, &self.cfg)?;
        let name = job.name_any();
        {
            let mut tracker = self.shared.tracker();
            if let Some((live, attempt)) = tracker.live_job(&spec.key) {
                let outputs = tracker.track(&live, &spec.key, attempt, Instant::now());
                drop(tracker);
                self.emit(outputs);
                return Ok(executor_id(&live));
            }
            // Tracked before it exists, so that no watch event of it is missed.
            let outputs = tracker.track(&name, &spec.key, spec.attempt, Instant::now());
            drop(tracker);
            self.emit(outputs);
        }
        let created = match self.jobs.create(&PostParams::default(), &job).await {
            Ok(created) => created,
            Err(::kube::Error::Api(status)) if status.is_already_exists() => {
                let existing = self.jobs.get(&name).await.map_err(|e| {
                    self.shared.tracker().untrack(&name);
                    KubeError::api(format!("read the existing job {name}"))(e)
                })?;
                if identity::parse(&existing.metadata, &self.cfg.run_id)
                    != Some((spec.key.clone(), spec.attempt))
                {
                    self.shared.tracker().untrack(&name);
                    return Err(KubeError::Foreign { name });
                }
                existing
            }
            Err(e) => {
                self.shared.tracker().untrack(&name);
                return Err(KubeError::api(format!("create job {name}"))(e));
            }
        };
        self.observe_job(&created);
        Ok(executor_id(&name))
    }

    /// The run's Jobs that have not finished, as (run, attempt): what a restarted
    /// controller re-attaches to. Their events follow from now on.
    pub async fn active(&self) -> Result<Vec<(RunKey, u32)>, KubeError> {
        let selector = identity::run_selector(&self.cfg.run_id);
        let mut params = ListParams::default().labels(&selector);
        let mut active = Vec::new();
        loop {
            let page = self
                .jobs
                .list(&params)
                .await
                .map_err(KubeError::api("list the run's jobs"))?;
            for job in &page.items {
                let Some(view) = JobView::of(job, &self.cfg.run_id) else {
                    continue;
                };
                if view.finished() || view.deleting {
                    continue;
                }
                active.push((view.key.clone(), view.attempt));
                let now = Instant::now();
                let mut tracker = self.shared.tracker();
                let mut outputs = tracker.job_applied(view.clone(), now);
                outputs.extend(tracker.track(&view.name, &view.key, view.attempt, now));
                drop(tracker);
                self.emit(outputs);
            }
            match page.metadata.continue_.filter(|c| !c.is_empty()) {
                Some(token) => params = params.continue_token(&token),
                None => break,
            }
        }
        active.sort();
        Ok(active)
    }

    /// Deletes every Job of the run (their pods go too, and get SIGTERM: the agents
    /// checkpoint); returns how many Jobs there were. Tracked ones end as `Cancelled`.
    pub async fn cancel_all(&self) -> Result<usize, KubeError> {
        let selector = identity::run_selector(&self.cfg.run_id);
        let deleted = self
            .jobs
            .delete_collection(
                &DeleteParams::background(),
                &ListParams::default().labels(&selector),
            )
            .await
            .map_err(KubeError::api("delete the run's jobs"))?;
        Ok(deleted.left().map_or(0, |list| list.items.len()))
    }

    /// The agent's log in the newest pod of the run's latest tracked attempt; None when
    /// no pod was seen.
    pub async fn logs(&self, key: &RunKey) -> Result<Option<String>, KubeError> {
        let Some(pod) = self.shared.tracker().latest_pod_of(key) else {
            return Ok(None);
        };
        let params = LogParams {
            container: Some(AGENT_CONTAINER.to_owned()),
            limit_bytes: Some(MAX_LOG_BYTES),
            ..LogParams::default()
        };
        self.pods
            .logs(&pod, &params)
            .await
            .map(Some)
            .map_err(KubeError::api(format!("read the log of pod {pod}")))
    }

    /// Tracked runs that wait to start, with why (unschedulable, image pull, queued by
    /// Kueue) and for how long; for status displays.
    pub fn waiting(&self) -> Vec<(RunKey, String, Duration)> {
        self.shared.tracker().waiting(Instant::now())
    }

    fn observe_job(&self, job: &Job) {
        if let Some(view) = JobView::of(job, &self.cfg.run_id) {
            let outputs = self.shared.tracker().job_applied(view, Instant::now());
            self.emit(outputs);
        }
    }

    fn emit(&self, outputs: Vec<Output>) {
        for name in self.shared.emit(outputs) {
            tokio::spawn(delete_job(self.jobs.clone(), name));
        }
    }
}

impl Drop for JobExecutor {
    fn drop(&mut self) {
        self.watch.abort();
    }
}

// Each event is moved once, from the watch to the tracker.
#[allow(clippy::large_enum_variant)]
enum Observed {
    Job(watcher::Event<Job>),
    Pod(watcher::Event<Pod>),
}

/// The run's one watch loop. Watch errors are retried with backoff by the watcher; a
/// relist after a gap tells which Jobs vanished meanwhile.
async fn watch(jobs: Api<Job>, pods: Api<Pod>, cfg: KubeRunConfig, shared: Arc<Shared>) {
    let config = watcher::Config::default().labels(&identity::run_selector(&cfg.run_id));
    let job_events = watcher(jobs.clone(), config.clone())
        .default_backoff()
        .map(|e| e.map(Observed::Job));
    let pod_events = watcher(pods, config)
        .default_backoff()
        .map(|e| e.map(Observed::Pod));
    let mut events = std::pin::pin!(futures::stream::select(job_events, pod_events));
    let mut tick = tokio::time::interval(tick_period(&cfg));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let outputs = tokio::select! {
            event = events.next() => match event {
                Some(Ok(event)) => observe(&shared, &cfg.run_id, event),
                Some(Err(e)) => {
                    tracing::warn!("watching the run's jobs and pods: {e}; retrying");
                    continue;
                }
                None => return,
            },
            _ = tick.tick() => shared.tracker().tick(Instant::now()),
        };
        if shared.events.is_closed() {
            return;
        }
        for name in shared.emit(outputs) {
            tokio::spawn(delete_job(jobs.clone(), name));
        }
    }
}

fn observe(shared: &Shared, run_id: &str, event: Observed) -> Vec<Output> {
    use watcher::Event;
    let now = Instant::now();
    let mut tracker = shared.tracker();
    match event {
        Observed::Job(Event::Init) => {
            tracker.jobs_relisting(now);
            Vec::new()
        }
        Observed::Job(Event::InitDone) => tracker.jobs_relisted(),
        Observed::Job(Event::Apply(job) | Event::InitApply(job)) => {
            match JobView::of(&job, run_id) {
                Some(view) => tracker.job_applied(view, now),
                None => Vec::new(),
            }
        }
        Observed::Job(Event::Delete(job)) => tracker.job_deleted(&job.name_any()),
        Observed::Pod(Event::Apply(pod) | Event::InitApply(pod)) => match PodView::of(&pod) {
            Some(view) => tracker.pod_applied(view, now),
            None => Vec::new(),
        },
        Observed::Pod(Event::Delete(pod)) => match PodView::of(&pod) {
            Some(view) => tracker.pod_deleted(view, now),
            None => Vec::new(),
        },
        Observed::Pod(Event::Init | Event::InitDone) => Vec::new(),
    }
}

async fn delete_job(jobs: Api<Job>, name: String) {
    if let Err(e) = jobs.delete(&name, &DeleteParams::background()).await {
        tracing::warn!("cannot delete job {name}: {e}");
    }
}

/// Often enough to honour the timeouts to within a quarter of them, and a failed Job's
/// wait for its pods to within a second.
fn tick_period(cfg: &KubeRunConfig) -> Duration {
    (cfg.image_pull_timeout.min(cfg.unschedulable_after) / 4)
        .clamp(Duration::from_millis(100), Duration::from_secs(1))
}
