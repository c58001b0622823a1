//! The executor's view of its run, fed by the watch and free of IO: it turns Job and Pod
//! observations into `ExecEvent`s for the Jobs the controller asked about (launched,
//! adopted or re-attached), whatever order the two watches deliver them in.
//!
//! Per Job, what the controller was last told is reconciled with what the cluster shows:
//! a pod that runs is `Started` (again after a preemption: the Job replaced the pod), a
//! disrupted pod is `Preempted`, and the Job's end is `Exited` once.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use super::observed::{JobOutcome, JobView, PodView, explain, failure, llm_unreachable};
use crate::fleet::{ExecEvent, ExitStatus, RunKey};

/// How long a failed Job's report waits for its pod's end to explain it.
const FAILURE_SETTLE: Duration = Duration::from_secs(3);

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
    /// When the Job was seen failed before its pods said why.
    failed_since: Option<Instant>,
    /// When the Job was last seen, by the watch or a response.
    seen_at: Instant,
}

impl JobState {
    fn new(key: &RunKey, attempt: u32, now: Instant) -> JobState {
        JobState {
            view: None,
            key: key.clone(),
            attempt,
            tracked: false,
            told: Told::Nothing,
            stuck_since: None,
            warned: false,
            failed_since: None,
            seen_at: now,
        }
    }
}

struct PodState {
    view: PodView,
    arrival: u64,
    preempted_told: bool,
}

pub struct Tracker {
    image_pull_timeout: Duration,
    unschedulable_after: Duration,
    jobs: HashMap<String, JobState>,
    /// Job names by run, for launches (which look for a live Job of their run).
    by_key: HashMap<RunKey, Vec<String>>,
    /// Pods by Job name; may arrive before their Job.
    pods: HashMap<String, BTreeMap<String, PodState>>,
    arrivals: u64,
    /// A relist in progress: when it began, and the Jobs it listed so far.
    job_relist: Option<(Instant, HashSet<String>)>,
}

impl Tracker {
    pub fn new(image_pull_timeout: Duration, unschedulable_after: Duration) -> Self {
        Self {
            image_pull_timeout,
            unschedulable_after,
            jobs: HashMap::new(),
            by_key: HashMap::new(),
            pods: HashMap::new(),
            arrivals: 0,
            job_relist: None,
        }
    }

    /// The controller wants to hear about this Job; what it missed is told at once.
    pub fn track(&mut self, name: &str, key: &RunKey, attempt: u32, now: Instant) -> Vec<Output> {
        self.index(name, key);
        let state = self
            .jobs
            .entry(name.to_owned())
            .or_insert_with(|| JobState::new(key, attempt, now));
        state.tracked = true;
        self.reconcile(name, now)
    }

    /// Forgets a Job whose creation failed, unless the watch has seen it since.
    pub fn untrack(&mut self, name: &str) {
        if self.jobs.get(name).is_some_and(|j| j.view.is_none()) {
            self.forget(name);
        }
    }

    fn index(&mut self, name: &str, key: &RunKey) {
        let names = self.by_key.entry(key.clone()).or_default();
        if !names.iter().any(|n| n == name) {
            names.push(name.to_owned());
        }
    }

    fn forget(&mut self, name: &str) -> Option<JobState> {
        let state = self.jobs.remove(name)?;
        if let Some(names) = self.by_key.get_mut(&state.key) {
            names.retain(|n| n != name);
            if names.is_empty() {
                self.by_key.remove(&state.key);
            }
        }
        Some(state)
    }

    /// The Jobs of a run, with their states.
    fn of_key<'a>(&'a self, key: &RunKey) -> impl Iterator<Item = (&'a String, &'a JobState)> {
        self.by_key
            .get(key)
            .into_iter()
            .flatten()
            .filter_map(|name| self.jobs.get_key_value(name))
    }

    /// A Job of `key` that is still running or waiting, whatever its attempt: launching
    /// another would run the same search twice.
    /// Not one whose end was already told (an image that cannot be pulled: being deleted).
    pub fn live_job(&self, key: &RunKey) -> Option<(String, u32)> {
        self.of_key(key)
            .filter(|(_, j)| j.told != Told::Exited)
            .filter_map(|(name, j)| Some((name, j.view.as_ref()?)))
            .filter(|(_, v)| !v.finished() && !v.deleting)
            .max_by_key(|(_, v)| v.attempt)
            .map(|(name, v)| (name.clone(), v.attempt))
    }

    pub fn job_applied(&mut self, view: JobView, now: Instant) -> Vec<Output> {
        let name = view.name.clone();
        if let Some((_, seen)) = &mut self.job_relist {
            seen.insert(name.clone());
        }
        self.index(&name, &view.key);
        let state = self
            .jobs
            .entry(name.clone())
            .or_insert_with(|| JobState::new(&view.key, view.attempt, now));
        state.view = Some(view);
        state.seen_at = now;
        self.reconcile(&name, now)
    }

    pub fn job_deleted(&mut self, name: &str) -> Vec<Output> {
        let mut out = Vec::new();
        if let Some(state) = self.forget(name)
            && state.tracked
            && state.told != Told::Exited
        {
            out.push(exited(&state.key, ExitStatus::Cancelled));
        }
        self.pods.remove(name);
        out
    }

    pub fn pod_applied(&mut self, view: PodView, now: Instant) -> Vec<Output> {
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

    /// A deleted pod's last state stays while its Job does: it explains the Job's
    /// failure, if one follows.
    pub fn pod_deleted(&mut self, view: PodView, now: Instant) -> Vec<Output> {
        if !self.jobs.contains_key(&view.job) {
            if let Some(pods) = self.pods.get_mut(&view.job) {
                pods.remove(&view.name);
                if pods.is_empty() {
                    self.pods.remove(&view.job);
                }
            }
            return Vec::new();
        }
        self.pod_applied(view, now)
    }

    /// The watch (re)starts with a listing: a Job seen before it that the listing lacks
    /// was deleted meanwhile. Jobs created since (launched during the listing) are not.
    pub fn jobs_relisting(&mut self, now: Instant) {
        self.job_relist = Some((now, HashSet::new()));
    }

    pub fn jobs_relisted(&mut self) -> Vec<Output> {
        let Some((began, seen)) = self.job_relist.take() else {
            return Vec::new();
        };
        let gone: Vec<String> = self
            .jobs
            .iter()
            .filter(|(name, j)| j.view.is_some() && j.seen_at < began && !seen.contains(*name))
            .map(|(name, _)| name.clone())
            .collect();
        gone.iter()
            .flat_map(|name| self.job_deleted(name))
            .collect()
    }

    /// Time-based decisions: image pulls that do not recover end their attempt; pods that
    /// cannot be scheduled are logged once.
    pub fn tick(&mut self, now: Instant) -> Vec<Output> {
        // Only Jobs with a clock running: stuck pods, or a failure waiting for its reason.
        let names: Vec<String> = self
            .jobs
            .iter()
            .filter(|(_, j)| j.tracked && j.told != Told::Exited)
            .filter(|(_, j)| j.stuck_since.is_some() || j.failed_since.is_some())
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
                let since = j
                    .stuck_since
                    .map_or(Duration::ZERO, |s| now.duration_since(s));
                Some((j.key.clone(), why, since))
            })
            .collect();
        waiting.sort_by(|a, b| a.0.cmp(&b.0));
        waiting
    }

    /// The newest pod of a Job (for its logs).
    pub fn latest_pod_of(&self, key: &RunKey) -> Option<String> {
        let (name, _) = self
            .of_key(key)
            .filter(|(_, j)| j.tracked)
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
        let mut failed_since = job.failed_since;
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
                    out.push(exited(
                        &key,
                        ExitStatus::Preempted {
                            reason: reason.clone(),
                        },
                    ));
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
                // The Job and Pod watches are separate streams: the Job may be seen failed
                // before its pod's end, which says why. Wait for it, a little.
                let pods = self.pods_in_order(name);
                let explained = pods.last().is_some_and(|p| {
                    p.ended.is_some() || p.disruption.is_some() || p.stuck().is_some()
                });
                let since = *failed_since.get_or_insert(now);
                if explained || now.duration_since(since) >= FAILURE_SETTLE {
                    // The agent ran, though too briefly for a watch to see it running.
                    let ran = pods.iter().any(|p| p.exit_code.is_some());
                    if ran && told == Told::Nothing {
                        out.push(Output::Event(started.clone()));
                    }
                    let (reason, fatal) = failure(reason, message, &pods);
                    let status = if llm_unreachable(&pods) {
                        ExitStatus::LlmUnreachable { reason }
                    } else {
                        ExitStatus::Failed { reason, fatal }
                    };
                    out.push(exited(&key, status));
                    told = Told::Exited;
                }
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
        job.failed_since = failed_since;
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

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    fn key() -> RunKey {
        RunKey {
            task: "t".to_owned(),
            seed: 0,
        }
    }

    fn job(outcome: JobOutcome) -> JobView {
        JobView {
            name: "j".to_owned(),
            key: key(),
            attempt: 1,
            outcome,
            deleting: false,
        }
    }

    fn pod(name: &str) -> PodView {
        PodView {
            name: name.to_owned(),
            job: "j".to_owned(),
            ..PodView::default()
        }
    }

    fn events(outputs: Vec<Output>) -> Vec<String> {
        outputs
            .into_iter()
            .map(|o| match o {
                Output::Event(ExecEvent::Started { .. }) => "started".to_owned(),
                Output::Event(ExecEvent::Exited { status, .. }) => format!("{status:?}"),
                Output::DeleteJob(name) => format!("delete {name}"),
            })
            .collect()
    }

    #[test]
    fn untracked_jobs_are_silent_until_tracked() {
        let now = Instant::now();
        let mut t = Tracker::new(10 * MIN, 5 * MIN);
        assert!(t.job_applied(job(JobOutcome::Complete), now).is_empty());
        assert_eq!(
            events(t.track("j", &key(), 1, now)),
            ["started", "Succeeded"]
        );
        assert!(t.job_applied(job(JobOutcome::Complete), now).is_empty());
    }

    #[test]
    fn preemption_then_replacement_then_success() {
        let now = Instant::now();
        let mut t = Tracker::new(10 * MIN, 5 * MIN);
        t.track("j", &key(), 1, now);
        assert!(t.job_applied(job(JobOutcome::Active), now).is_empty());
        let mut first = pod("j-a");
        first.running = true;
        assert_eq!(events(t.pod_applied(first.clone(), now)), ["started"]);
        // The replacement is seen running before the first pod's disruption arrives.
        let mut second = pod("j-b");
        second.running = true;
        assert!(t.pod_applied(second, now).is_empty());
        first.running = false;
        first.disruption = Some("EvictionByEvictionAPI: drain".to_owned());
        assert_eq!(
            events(t.pod_deleted(first, now)),
            [
                r#"Preempted { reason: "EvictionByEvictionAPI: drain" }"#,
                "started"
            ]
        );
        assert_eq!(
            events(t.job_applied(job(JobOutcome::Complete), now)),
            ["Succeeded"]
        );
    }

    #[test]
    fn a_failed_job_waits_for_its_pod_to_say_why() {
        let now = Instant::now();
        let mut t = Tracker::new(10 * MIN, 5 * MIN);
        t.track("j", &key(), 1, now);
        let mut p = pod("j-a");
        p.running = true;
        assert_eq!(events(t.pod_applied(p.clone(), now)), Vec::<String>::new());
        let failed = || {
            job(JobOutcome::Failed {
                reason: "BackoffLimitExceeded".to_owned(),
                message: "Job has reached the specified backoff limit".to_owned(),
            })
        };
        assert!(t.job_applied(failed(), now).is_empty());
        p.running = false;
        p.ended = Some("OOMKilled (exit code 137)".to_owned());
        assert_eq!(
            events(t.pod_applied(p, now)),
            [r#"Failed { reason: "OOMKilled (exit code 137)", fatal: false }"#]
        );
        // Without word from the pods, the Job's own reason, after a while.
        let mut t = Tracker::new(10 * MIN, 5 * MIN);
        t.track("j", &key(), 1, now);
        assert!(t.job_applied(failed(), now).is_empty());
        assert_eq!(
            events(t.tick(now + FAILURE_SETTLE)),
            [
                r#"Failed { reason: "BackoffLimitExceeded: Job has reached the specified backoff limit", fatal: false }"#
            ]
        );
    }

    #[test]
    fn deleted_job_is_cancelled_and_relist_finds_deletions() {
        let now = Instant::now();
        let mut t = Tracker::new(10 * MIN, 5 * MIN);
        t.track("j", &key(), 1, now);
        t.job_applied(job(JobOutcome::Active), now);
        let later = now + MIN;
        t.jobs_relisting(later);
        // Launched while the listing ran: not in it, yet not deleted.
        let mut other = job(JobOutcome::Active);
        other.name = "k".to_owned();
        t.track("k", &key(), 2, later);
        t.job_applied(other, later);
        assert_eq!(events(t.jobs_relisted()), ["Cancelled"]);
        assert_eq!(t.live_job(&key()), Some(("k".to_owned(), 1)));
    }

    #[test]
    fn image_pull_failure_ends_the_attempt_after_the_timeout() {
        let now = Instant::now();
        let mut t = Tracker::new(10 * MIN, 5 * MIN);
        t.track("j", &key(), 1, now);
        t.job_applied(job(JobOutcome::Active), now);
        let mut p = pod("j-a");
        p.waiting = Some((
            "ImagePullBackOff".to_owned(),
            "ImagePullBackOff: not found".to_owned(),
        ));
        assert!(t.pod_applied(p, now).is_empty());
        assert!(t.tick(now + 9 * MIN).is_empty());
        assert_eq!(t.waiting(now + 9 * MIN)[0].1, "ImagePullBackOff: not found");
        assert_eq!(
            events(t.tick(now + 10 * MIN)),
            [
                r#"Failed { reason: "ImagePullBackOff: not found", fatal: false }"#,
                "delete j"
            ]
        );
        assert!(t.tick(now + 20 * MIN).is_empty());
        // The next attempt gets a Job of its own, not this one being deleted.
        assert_eq!(t.live_job(&key()), None);
    }

    #[test]
    fn unschedulable_pods_wait() {
        let now = Instant::now();
        let mut t = Tracker::new(10 * MIN, 5 * MIN);
        t.track("j", &key(), 1, now);
        t.job_applied(job(JobOutcome::Active), now);
        let mut p = pod("j-a");
        p.unschedulable = Some("0/3 nodes are available".to_owned());
        t.pod_applied(p, now);
        assert!(t.tick(now + 60 * MIN).is_empty());
        let waiting = t.waiting(now + 60 * MIN);
        assert_eq!(waiting.len(), 1);
        assert_eq!(waiting[0].1, "Unschedulable: 0/3 nodes are available");
        assert_eq!(waiting[0].2, 60 * MIN);
    }

    #[test]
    fn kueue_suspension_of_a_running_job_is_a_preemption() {
        let now = Instant::now();
        let mut t = Tracker::new(10 * MIN, 5 * MIN);
        t.track("j", &key(), 1, now);
        t.job_applied(job(JobOutcome::Active), now);
        let mut p = pod("j-a");
        p.running = true;
        t.pod_applied(p, now);
        assert_eq!(
            events(t.job_applied(job(JobOutcome::Suspended("Preempted".to_owned())), now)),
            [r#"Preempted { reason: "Suspended: Preempted" }"#]
        );
        assert_eq!(t.live_job(&key()), Some(("j".to_owned(), 1)));
    }
}
