//! The executor's view of its run, fed by the watch and free of IO: it turns Job and Pod
//! observations into `ExecEvent`s for the Jobs the controller asked about (launched,
//! adopted or re-attached), whatever order the two watches deliver them in.
//!
//! Per Job, what the controller was last told is reconciled with what the cluster shows:
//! a pod that runs is `Started` (again after a preemption: the Job replaced the pod), a
//! disrupted pod is `Preempted`, and the Job's end is `Exited` once.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use super::observed::{JobOutcome, JobView, PodView, explain, failure};
use crate::fleet::{ExecEvent, ExitStatus, RunKey};

/// What the watch loop must do after an observation.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    Event(ExecEvent),
    /// The attempt was failed by the executor (an image that cannot be pulled).
    DeleteJob(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Told {
    Nothing,
    Running,
    Preempted,
    Exited,
}

struct JobState {
    /// None until the Job itself was seen (tracked before its creation returned).
    view: Option<JobView>,
    key: RunKey,
    attempt: u32,
    tracked: bool,
    told: Told,
    /// Since when its pods are stuck, and whether that was logged.
    stuck_since: Option<Instant>,
    warned: bool,
}

struct PodState {
    view: PodView,
    arrival: u64,
    preempted_told: bool,
}

pub struct Tracker {
    run_id: String,
    image_pull_timeout: Duration,
    unschedulable_after: Duration,
    jobs: HashMap<String, JobState>,
    /// Pods by Job name; may arrive before their Job.
    pods: HashMap<String, BTreeMap<String, PodState>>,
    arrivals: u64,
    job_relist: Option<HashSet<String>>,
    pod_relist: Option<HashSet<String>>,
}

impl Tracker {
    pub fn new(run_id: &str, image_pull_timeout: Duration, unschedulable_after: Duration) -> Self {
        Self {
            run_id: run_id.to_owned(),
            image_pull_timeout,
            unschedulable_after,
            jobs: HashMap::new(),
            pods: HashMap::new(),
            arrivals: 0,
            job_relist: None,
            pod_relist: None,
        }
    }

    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// The controller wants to hear about this Job; what it missed is told at once.
    pub fn track(&mut self, name: &str, key: &RunKey, attempt: u32, now: Instant) -> Vec<Output> {
        let state = self.jobs.entry(name.to_owned()).or_insert_with(|| JobState {
            view: None,
            key: key.clone(),
            attempt,
            tracked: false,
            told: Told::Nothing,
            stuck_since: None,
            warned: false,
        });
        state.tracked = true;
        self.reconcile(name, now)
    }

    /// Forgets a Job whose creation failed, unless the watch has seen it since.
    pub fn untrack(&mut self, name: &str) {
        if self.jobs.get(name).is_some_and(|j| j.view.is_none()) {
            self.jobs.remove(name);
        }
    }

    /// A Job of `key` that is still running or waiting, whatever its attempt: launching
    /// another would run the same search twice.
    pub fn live_job(&self, key: &RunKey) -> Option<(String, u32)> {
        self.jobs
            .iter()
            .filter_map(|(name, j)| Some((name, j.view.as_ref()?)))
            .filter(|(_, v)| &v.key == key && !v.finished() && !v.deleting)
            .max_by_key(|(_, v)| v.attempt)
            .map(|(name, v)| (name.clone(), v.attempt))
    }

    pub fn job_applied(&mut self, view: JobView, now: Instant) -> Vec<Output> {
        let name = view.name.clone();
        if let Some(seen) = &mut self.job_relist {
            seen.insert(name.clone());
        }
        let state = self.jobs.entry(name.clone()).or_insert_with(|| JobState {
            view: None,
            key: view.key.clone(),
            attempt: view.attempt,
            tracked: false,
            told: Told::Nothing,
            stuck_since: None,
            warned: false,
        });
        state.view = Some(view);
        self.reconcile(&name, now)
    }

    pub fn job_deleted(&mut self, name: &str) -> Vec<Output> {
        let mut out = Vec::new();
        if let Some(state) = self.jobs.remove(name)
            && state.tracked
            && state.told != Told::Exited
        {
            out.push(exited(&state.key, ExitStatus::Cancelled));
        }
        self.pods.remove(name);
        out
    }

    pub fn pod_applied(&mut self, view: PodView, now: Instant) -> Vec<Output> {
        if let Some(seen) = &mut self.pod_relist {
            seen.insert(view.name.clone());
        }
        let job = view.job.clone();
        let pods = self.pods.entry(job.clone()).or_default();
        match pods.get_mut(&view.name) {
            Some(state) => state.view = view,
            None => {
                self.arrivals += 1;
                pods.insert(
                    view.name.clone(),
                    PodState {
                        view,
                        arrival: self.arrivals,
                        preempted_told: false,
                    },
                );
            }
        }
        self.reconcile(&job, now)
    }

    /// A deleted pod's last state stays: it explains the Job's failure, if one follows.
    pub fn pod_deleted(&mut self, view: PodView, now: Instant) -> Vec<Output> {
        self.pod_applied(view, now)
    }

    /// The watch restarted: what the new listing lacks was deleted meanwhile.
    pub fn jobs_relisting(&mut self) {
        self.job_relist = Some(HashSet::new());
    }

    pub fn jobs_relisted(&mut self) -> Vec<Output> {
        let Some(seen) = self.job_relist.take() else {
            return Vec::new();
        };
        let gone: Vec<String> = self
            .jobs
            .iter()
            .filter(|(name, j)| j.view.is_some() && !seen.contains(*name))
            .map(|(name, _)| name.clone())
            .collect();
        gone.iter().flat_map(|name| self.job_deleted(name)).collect()
    }

    pub fn pods_relisting(&mut self) {
        self.pod_relist = Some(HashSet::new());
    }

    /// Pods are kept for their Job's sake; a relist only ends the listing.
    pub fn pods_relisted(&mut self) {
        self.pod_relist = None;
    }

    /// Time-based decisions: image pulls that do not recover end their attempt; pods that
    /// cannot be scheduled are logged once.
    pub fn tick(&mut self, now: Instant) -> Vec<Output> {
        let names: Vec<String> = self
            .jobs
            .iter()
            .filter(|(_, j)| j.tracked && j.told != Told::Exited)
            .map(|(n, _)| n.clone())
            .collect();
        names
            .iter()
            .flat_map(|name| self.reconcile(name, now))
            .collect()
    }

    /// Tracked Jobs that wait: (key, why, for how long).
    pub fn waiting(&self, now: Instant) -> Vec<(RunKey, String, Duration)> {
        let mut waiting: Vec<_> = self
            .jobs
            .iter()
            .filter(|(_, j)| j.tracked && matches!(j.told, Told::Nothing | Told::Preempted))
            .filter_map(|(name, j)| {
                let why = match self.latest_pod(name).and_then(PodView::stuck) {
                    Some(why) => why,
                    None => match &j.view.as_ref()?.outcome {
                        JobOutcome::Suspended(message) => explain("Suspended", Some(message)),
                        _ => return None,
                    },
                };
                let since = j.stuck_since.map_or(Duration::ZERO, |s| now.duration_since(s));
                Some((j.key.clone(), why, since))
            })
            .collect();
        waiting.sort_by(|a, b| a.0.cmp(&b.0));
        waiting
    }

    /// The newest pod of a Job (for its logs).
    pub fn latest_pod_of(&self, key: &RunKey) -> Option<String> {
        let (name, _) = self
            .jobs
            .iter()
            .filter(|(_, j)| j.tracked && &j.key == key)
            .max_by_key(|(_, j)| j.attempt)?;
        self.latest_pod(name).map(|p| p.name.clone())
    }

    fn latest_pod(&self, job: &str) -> Option<&PodView> {
        self.pods_in_order(job).last().copied()
    }

    fn pods_in_order(&self, job: &str) -> Vec<&PodView> {
        let mut pods: Vec<&PodState> = self
            .pods
            .get(job)
            .map(|p| p.values().collect())
            .unwrap_or_default();
        pods.sort_by_key(|p| (p.view.created, p.arrival));
        pods.into_iter().map(|p| &p.view).collect()
    }

    fn reconcile(&mut self, name: &str, now: Instant) -> Vec<Output> {
        let mut out = Vec::new();
        let Some(job) = self.jobs.get(name) else {
            return out;
        };
        if !job.tracked || job.told == Told::Exited {
            return out;
        }
        let Some(view) = job.view.clone() else {
            return out;
        };
        let key = view.key.clone();
        let mut told = job.told;
        let started = ExecEvent::Started {
            key: key.clone(),
            executor_id: executor_id(name),
        };

        // Disruptions first, oldest pod first: a replacement that already runs is told
        // after them.
        let mut pods: Vec<&mut PodState> = self
            .pods
            .get_mut(name)
            .map(|p| p.values_mut().collect())
            .unwrap_or_default();
        pods.sort_by_key(|p| (p.view.created, p.arrival));
        if !view.finished() && !view.deleting {
            for pod in pods.iter_mut().filter(|p| !p.preempted_told) {
                if let Some(reason) = &pod.view.disruption {
                    pod.preempted_told = true;
                    out.push(exited(&key, ExitStatus::Preempted { reason: reason.clone() }));
                    told = Told::Preempted;
                }
            }
        }
        let running = pods
            .iter()
            .any(|p| p.view.running && p.view.disruption.is_none() && p.view.ended.is_none());
        let stuck = pods.last().and_then(|p| {
            let why = p.view.stuck()?;
            Some((why, p.view.image_trouble()))
        });
        drop(pods);

        match &view.outcome {
            JobOutcome::Complete => {
                if told != Told::Running {
                    out.push(Output::Event(started));
                }
                out.push(exited(&key, ExitStatus::Succeeded));
                told = Told::Exited;
            }
            JobOutcome::Failed { reason, message } => {
                let pods = self.pods_in_order(name);
                let (reason, fatal) = failure(reason, message, &pods);
                out.push(exited(&key, ExitStatus::Failed { reason, fatal }));
                told = Told::Exited;
            }
            JobOutcome::Suspended(message) => {
                // Kueue preempted a running Job: its pods are gone, it waits to be
                // admitted again.
                if told == Told::Running {
                    out.push(exited(
                        &key,
                        ExitStatus::Preempted {
                            reason: explain("Suspended", Some(message)),
                        },
                    ));
                    told = Told::Preempted;
                }
            }
            JobOutcome::Active => {
                if running && told != Told::Running {
                    out.push(Output::Event(started));
                    told = Told::Running;
                }
            }
        }

        let Some(job) = self.jobs.get_mut(name) else {
            return out;
        };
        job.told = told;
        match stuck {
            Some((why, image)) if told != Told::Exited && !running => {
                let since = *job.stuck_since.get_or_insert(now);
                let waited = now.duration_since(since);
                if image && waited >= self.image_pull_timeout {
                    job.told = Told::Exited;
                    out.push(exited(
                        &key,
                        ExitStatus::Failed {
                            reason: why,
                            fatal: false,
                        },
                    ));
                    out.push(Output::DeleteJob(name.to_owned()));
                } else if !image && waited >= self.unschedulable_after && !job.warned {
                    job.warned = true;
                    tracing::warn!(
                        job = name,
                        "{} seed {} has waited {}s to start: {why}",
                        key.task,
                        key.seed,
                        waited.as_secs()
                    );
                }
            }
            _ => {
                job.stuck_since = None;
                job.warned = false;
            }
        }
        out
    }
}

pub fn executor_id(job: &str) -> String {
    format!("job {job}")
}

fn exited(key: &RunKey, status: ExitStatus) -> Output {
    Output::Event(ExecEvent::Exited {
        key: key.clone(),
        status,
    })
}
