//! The controller's decisions, with no I/O and time as a parameter: what happens when a
//! run is restored from the store, launched, ends, reports progress or is graded, and
//! when the user interrupts. The driver (`driver.rs`) turns what arrives into an
//! [`Input`] and carries out the [`Effect`]s that [`State::handle`] returns.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::SystemTime;

use super::super::executor::{ExitStatus, RunKey};
use super::super::gpus::GpuPool;
use super::super::status::{Attempt, AttemptOutcome, RunState, RunStatus};
use crate::agent::Progress;

/// Attempts in a row that could not reach the LLM endpoint before dispatching stops:
/// one could be a blip, three with nothing else between them is a dead endpoint.
pub const UNREACHABLE_STOP_AFTER: usize = 3;

/// Something that happened, as the state machine hears it.
#[derive(Debug, Clone)]
pub enum Input {
    /// A planned run as the store holds it (`None`: never started); `active` when its
    /// executor still runs it (a Job that outlived the previous controller); `graded`
    /// when its `grade.json` exists.
    Restored {
        key: RunKey,
        stored: Option<RunStatus>,
        active: bool,
        graded: bool,
    },
    /// Every planned run is restored: dispatching may begin.
    Loaded,
    /// The executor accepted an attempt.
    Launched {
        key: RunKey,
        executor: String,
        executor_id: String,
    },
    /// An attempt ended; `progress` is the agent's last `progress.json`.
    Exited {
        key: RunKey,
        exit: ExitStatus,
        progress: Option<Progress>,
    },
    /// A running run's `progress.json`, read in the background.
    Progress { key: RunKey, progress: Progress },
    /// A run's grading (or RE scoring) finished; `error` when it could not be written.
    Graded { key: RunKey, error: Option<String> },
    /// Ctrl-C: the first stops dispatching, the second cancels running work.
    Interrupt,
}

/// What the driver must do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Start this attempt of the run on these GPUs; they are held from now on.
    Launch {
        key: RunKey,
        attempt: u32,
        gpus: Vec<u32>,
    },
    /// Write the run's `status.json`.
    Save(RunStatus),
    /// Grade the run in the background and report back with [`Input::Graded`].
    Grade(RunKey),
    /// Copy the agent's log from the executor into the store, in the background.
    UploadLog(RunKey),
    /// Stop every running attempt (they checkpoint first).
    CancelAll,
    /// For the display.
    Started(RunStatus),
    Progressed(RunStatus),
    Finished(RunStatus),
    Message(String),
}

/// Limits the decisions follow.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub concurrency: usize,
    /// Failed attempts allowed per run (preemptions and unreachable LLMs do not count).
    pub max_attempts: u32,
}

/// How a controller invocation ended.
#[derive(Debug, Default, PartialEq)]
pub struct Summary {
    pub succeeded: usize,
    pub failed: usize,
    /// Not finished: never started, or stopped before the end.
    pub unfinished: usize,
    /// Stopped by the user.
    pub interrupted: bool,
    /// Dispatching stopped because the LLM endpoint could not be reached: the last
    /// attempt's reason.
    pub llm_unreachable: Option<String>,
}

pub struct State {
    run_id: String,
    limits: Limits,
    /// GPUs each run asks for.
    wants: BTreeMap<RunKey, u32>,
    statuses: BTreeMap<RunKey, RunStatus>,
    /// Runs waiting to be launched, in plan order.
    queue: VecDeque<RunKey>,
    /// Runs in flight with the GPUs they hold: the one record of what is running.
    held: BTreeMap<RunKey, Vec<u32>>,
    /// `None`: the executor schedules GPUs itself.
    pool: Option<GpuPool>,
    grading: BTreeSet<RunKey>,
    loaded: bool,
    stopping: bool,
    cancelling: bool,
    unreachable_streak: usize,
    unreachable: Option<String>,
    stop_after: usize,
}

fn stamp(now: SystemTime) -> String {
    humantime::format_rfc3339_seconds(now).to_string()
}

impl State {
    /// `runs`: every planned run with the GPUs it asks for, in plan order.
    pub fn new(
        run_id: &str,
        limits: Limits,
        runs: Vec<(RunKey, u32)>,
        pool: Option<GpuPool>,
    ) -> State {
        let stop_after = UNREACHABLE_STOP_AFTER.min(runs.len()).max(1);
        State {
            run_id: run_id.to_owned(),
            limits,
            wants: runs.into_iter().collect(),
            statuses: BTreeMap::new(),
            queue: VecDeque::new(),
            held: BTreeMap::new(),
            pool,
            grading: BTreeSet::new(),
            loaded: false,
            stopping: false,
            cancelling: false,
            unreachable_streak: 0,
            unreachable: None,
            stop_after,
        }
    }

    /// Nothing is running, nothing is being graded, and nothing more will be launched.
    pub fn done(&self) -> bool {
        self.loaded
            && self.held.is_empty()
            && self.grading.is_empty()
            && (self.queue.is_empty() || self.stopping)
    }

    /// Runs in flight.
    pub fn running(&self) -> impl Iterator<Item = &RunKey> {
        self.held.keys()
    }

    pub fn summary(&self) -> Summary {
        let llm_unreachable = self
            .unreachable
            .clone()
            .filter(|_| self.unreachable_streak >= self.stop_after);
        let mut summary = Summary {
            interrupted: self.stopping && llm_unreachable.is_none(),
            llm_unreachable,
            ..Summary::default()
        };
        for (key, s) in &self.statuses {
            match s.state {
                RunState::Succeeded => summary.succeeded += 1,
                RunState::Failed if !self.queue.contains(key) => summary.failed += 1,
                _ => summary.unfinished += 1,
            }
        }
        summary
    }

    pub fn handle(&mut self, input: Input, now: SystemTime) -> Vec<Effect> {
        let mut out = Vec::new();
        match input {
            Input::Restored {
                key,
                stored,
                active,
                graded,
            } => self.restore(key, stored, active, graded, now, &mut out),
            Input::Loaded => self.loaded = true,
            Input::Launched {
                key,
                executor,
                executor_id,
            } => self.launched(key, executor, executor_id, now, &mut out),
            Input::Exited {
                key,
                exit,
                progress,
            } => self.exited(key, exit, progress, now, &mut out),
            Input::Progress { key, progress } => {
                if self.held.contains_key(&key)
                    && let Some(s) = self.statuses.get_mut(&key)
                {
                    apply_progress(s, &progress);
                    out.push(Effect::Progressed(s.clone()));
                }
            }
            Input::Graded { key, error } => {
                self.grading.remove(&key);
                if let Some(e) = error {
                    out.push(Effect::Message(format!(
                        "grading {} seed {} failed: {e}",
                        key.task, key.seed
                    )));
                }
            }
            Input::Interrupt => self.interrupt(&mut out),
        }
        self.dispatch(&mut out);
        out
    }

    fn restore(
        &mut self,
        key: RunKey,
        stored: Option<RunStatus>,
        active: bool,
        graded: bool,
        now: SystemTime,
        out: &mut Vec<Effect>,
    ) {
        let mut status = stored
            .unwrap_or_else(|| RunStatus::pending(&self.run_id, &key.task, key.seed, stamp(now)));
        let fatal = status.attempts.last().is_some_and(|a| a.fatal);
        match status.state {
            RunState::Succeeded => {}
            RunState::Failed if fatal || status.failures() >= self.limits.max_attempts => {}
            RunState::Running if active => {
                // Its Job outlived the previous controller: re-attach; the executor's
                // watcher reports how it ends.
                self.held.insert(key.clone(), Vec::new());
                out.push(Effect::Started(status.clone()));
            }
            RunState::Running => {
                // The controller that ran it is gone, and the agent with it (local agents
                // get SIGTERM on parent death): resume from the checkpoint.
                if let Some(a) = status.attempts.last_mut().filter(|a| a.outcome.is_none()) {
                    a.outcome = Some(AttemptOutcome::Preempted);
                    a.ended_at = Some(stamp(now));
                    a.reason = Some("the controller stopped while the run was running".into());
                }
                status.state = RunState::Pending;
                status.updated_at = stamp(now);
                out.push(Effect::Save(status.clone()));
                self.queue.push_back(key.clone());
            }
            RunState::Pending | RunState::Failed => self.queue.push_back(key.clone()),
        }
        if self.is_terminal(&key, &status) {
            if !graded {
                self.grading.insert(key.clone());
                out.push(Effect::Grade(key.clone()));
            }
            out.push(Effect::Finished(status.clone()));
        }
        self.statuses.insert(key, status);
    }

    fn is_terminal(&self, key: &RunKey, status: &RunStatus) -> bool {
        status.state == RunState::Succeeded
            || (status.state == RunState::Failed && !self.queue.contains(key))
    }

    fn launched(
        &mut self,
        key: RunKey,
        executor: String,
        executor_id: String,
        now: SystemTime,
        out: &mut Vec<Effect>,
    ) {
        let gpus = self.held.get(&key).cloned().unwrap_or_default();
        let Some(status) = self.statuses.get_mut(&key) else {
            return;
        };
        status.state = RunState::Running;
        status.gpus = gpus;
        status.attempts.push(Attempt {
            number: status.attempts.len() as u32 + 1,
            executor,
            executor_id: Some(executor_id),
            started_at: stamp(now),
            ended_at: None,
            outcome: None,
            reason: None,
            fatal: false,
        });
        status.updated_at = stamp(now);
        out.push(Effect::Save(status.clone()));
        out.push(Effect::Started(status.clone()));
    }

    fn exited(
        &mut self,
        key: RunKey,
        exit: ExitStatus,
        progress: Option<Progress>,
        now: SystemTime,
        out: &mut Vec<Effect>,
    ) {
        if let (Some(gpus), Some(pool)) = (self.held.remove(&key), self.pool.as_mut()) {
            pool.give_back(&gpus);
        }
        let Some(status) = self.statuses.get_mut(&key) else {
            return;
        };
        if let Some(p) = &progress {
            apply_progress(status, p);
        }
        out.push(Effect::UploadLog(key.clone()));
        let (outcome, reason, fatal) = match &exit {
            ExitStatus::Succeeded => (AttemptOutcome::Succeeded, None, false),
            ExitStatus::Failed { reason, fatal } => {
                (AttemptOutcome::Failed, Some(reason.clone()), *fatal)
            }
            ExitStatus::Preempted { reason } => {
                (AttemptOutcome::Preempted, Some(reason.clone()), false)
            }
            ExitStatus::LlmUnreachable { reason } => {
                (AttemptOutcome::LlmUnreachable, Some(reason.clone()), false)
            }
            ExitStatus::Cancelled if self.cancelling => (
                AttemptOutcome::Cancelled,
                Some("cancelled by the user".into()),
                false,
            ),
            ExitStatus::Cancelled => (
                AttemptOutcome::Preempted,
                Some("the agent was interrupted".into()),
                false,
            ),
        };
        if let Some(a) = status.attempts.last_mut() {
            a.ended_at = Some(stamp(now));
            a.outcome = Some(outcome);
            a.reason = reason;
            a.fatal = fatal;
        }
        let retry = match &exit {
            ExitStatus::Succeeded => false,
            ExitStatus::Failed { .. } => !fatal && status.failures() < self.limits.max_attempts,
            _ => true,
        };
        status.state = match exit {
            ExitStatus::Succeeded => RunState::Succeeded,
            ExitStatus::Failed { .. } => RunState::Failed,
            _ => RunState::Pending,
        };
        status.updated_at = stamp(now);
        let snapshot = status.clone();
        if retry && !self.cancelling {
            self.queue.push_back(key.clone());
        }
        out.push(Effect::Save(snapshot.clone()));
        if self.is_terminal(&key, &snapshot) {
            self.grading.insert(key.clone());
            out.push(Effect::Grade(key));
        }
        out.push(Effect::Finished(snapshot));

        match exit {
            ExitStatus::LlmUnreachable { reason } => {
                self.unreachable_streak += 1;
                self.unreachable = Some(reason);
            }
            _ => self.unreachable_streak = 0,
        }
        if self.unreachable_streak >= self.stop_after && !self.stopping {
            self.stopping = true;
            out.push(Effect::Message(format!(
                "stopping: {} attempts in a row could not reach the LLM endpoint ({}); no new runs start, and those attempts do not count against --max-attempts; rerun the same command once the endpoint is back",
                self.unreachable_streak,
                self.unreachable.as_deref().unwrap_or_default()
            )));
        }
    }

    fn interrupt(&mut self, out: &mut Vec<Effect>) {
        if !self.stopping {
            self.stopping = true;
            out.push(Effect::Message(
                "stopping: no new runs are started; running ones finish (Ctrl-C again to cancel them)".into(),
            ));
        } else if !self.cancelling {
            self.cancelling = true;
            out.push(Effect::Message(
                "cancelling running runs; their checkpoints stay in the store".into(),
            ));
            out.push(Effect::CancelAll);
        }
    }

    /// Launches queued runs while a slot and their GPUs are free.
    fn dispatch(&mut self, out: &mut Vec<Effect>) {
        if !self.loaded || self.stopping {
            return;
        }
        while self.held.len() < self.limits.concurrency {
            let Some(key) = self.queue.front() else {
                return;
            };
            let gpus = match self.pool.as_mut() {
                None => Vec::new(),
                // Plan order: the head waits for its GPUs rather than being overtaken.
                Some(pool) => match pool.take(self.wants.get(key).copied().unwrap_or(0)) {
                    Some(gpus) => gpus,
                    None => return,
                },
            };
            let key = self.queue.pop_front().expect("the queue has a head");
            let attempt = self.statuses.get(&key).map_or(0, |s| s.attempts.len()) as u32 + 1;
            self.held.insert(key.clone(), gpus.clone());
            out.push(Effect::Launch { key, attempt, gpus });
        }
    }
}

fn apply_progress(s: &mut RunStatus, p: &Progress) {
    s.step = Some(p.step);
    s.steps = Some(p.steps);
    s.best_metric = p.best_metric;
    s.elapsed_s = Some(p.elapsed_s);
    s.cost_usd = Some(p.cost_usd);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn key(task: &str, seed: u64) -> RunKey {
        RunKey {
            task: task.into(),
            seed,
        }
    }

    fn at(s: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_800_000_000 + s)
    }

    /// A controller for `runs` (task, seed 0, no GPUs) with everything restored as new.
    fn fresh(runs: &[&str], concurrency: usize, max_attempts: u32) -> (State, Vec<Effect>) {
        let mut state = State::new(
            "r",
            Limits {
                concurrency,
                max_attempts,
            },
            runs.iter().map(|t| (key(t, 0), 0)).collect(),
            None,
        );
        for t in runs {
            state.handle(
                Input::Restored {
                    key: key(t, 0),
                    stored: None,
                    active: false,
                    graded: false,
                },
                at(0),
            );
        }
        let effects = state.handle(Input::Loaded, at(0));
        (state, effects)
    }

    fn launches(effects: &[Effect]) -> Vec<(String, u32)> {
        effects
            .iter()
            .filter_map(|e| match e {
                Effect::Launch { key, attempt, .. } => Some((key.task.clone(), *attempt)),
                _ => None,
            })
            .collect()
    }

    fn launched(state: &mut State, task: &str) -> Vec<Effect> {
        state.handle(
            Input::Launched {
                key: key(task, 0),
                executor: "local".into(),
                executor_id: format!("pid {task}"),
            },
            at(1),
        )
    }

    fn exit(state: &mut State, task: &str, exit: ExitStatus) -> Vec<Effect> {
        state.handle(
            Input::Exited {
                key: key(task, 0),
                exit,
                progress: None,
            },
            at(2),
        )
    }

    fn graded_ok(state: &mut State, task: &str) {
        state.handle(
            Input::Graded {
                key: key(task, 0),
                error: None,
            },
            at(3),
        );
    }

    fn failed(fatal: bool) -> ExitStatus {
        ExitStatus::Failed {
            reason: "exit code 1: boom".into(),
            fatal,
        }
    }

    fn saved(effects: &[Effect]) -> &RunStatus {
        effects
            .iter()
            .find_map(|e| match e {
                Effect::Save(s) => Some(s),
                _ => None,
            })
            .expect("a status is saved")
    }

    fn graded(effects: &[Effect]) -> bool {
        effects.iter().any(|e| matches!(e, Effect::Grade(_)))
    }

    #[test]
    fn start_launches_up_to_the_concurrency_in_plan_order() {
        let (mut state, effects) = fresh(&["a", "b", "c"], 2, 3);
        assert_eq!(launches(&effects), [("a".into(), 1), ("b".into(), 1)]);
        let effects = launched(&mut state, "a");
        let s = saved(&effects);
        assert_eq!(s.state, RunState::Running);
        assert_eq!(s.attempts.len(), 1);
        assert_eq!(s.attempts[0].executor_id.as_deref(), Some("pid a"));
        assert!(!state.done());
    }

    #[test]
    fn success_is_graded_and_frees_the_slot() {
        let (mut state, _) = fresh(&["a", "b"], 1, 3);
        launched(&mut state, "a");
        let effects = exit(&mut state, "a", ExitStatus::Succeeded);
        assert_eq!(saved(&effects).state, RunState::Succeeded);
        assert!(graded(&effects));
        assert!(effects.contains(&Effect::UploadLog(key("a", 0))));
        assert_eq!(launches(&effects), [("b".into(), 1)]);
        launched(&mut state, "b");
        exit(&mut state, "b", ExitStatus::Succeeded);
        // Both grades are still out: not done until they report back.
        assert!(!state.done());
        graded_ok(&mut state, "a");
        graded_ok(&mut state, "b");
        assert!(state.done());
        assert_eq!(state.summary().succeeded, 2);
    }

    #[test]
    fn dispatch_does_not_wait_for_grading() {
        let (mut state, _) = fresh(&["a", "b"], 1, 3);
        launched(&mut state, "a");
        let effects = exit(&mut state, "a", ExitStatus::Succeeded);
        // a's grade is in flight, and b is launched in the same breath.
        assert!(graded(&effects));
        assert_eq!(launches(&effects), [("b".into(), 1)]);
    }

    #[test]
    fn a_failure_is_retried_until_max_attempts_then_given_up_and_graded() {
        let (mut state, _) = fresh(&["a"], 1, 2);
        launched(&mut state, "a");
        let effects = exit(&mut state, "a", failed(false));
        assert_eq!(saved(&effects).state, RunState::Failed);
        assert!(!graded(&effects));
        assert_eq!(launches(&effects), [("a".into(), 2)]);
        launched(&mut state, "a");
        let effects = exit(&mut state, "a", failed(false));
        let s = saved(&effects);
        assert_eq!(s.failures(), 2);
        assert!(launches(&effects).is_empty());
        assert!(graded(&effects));
        graded_ok(&mut state, "a");
        assert!(state.done());
        assert_eq!(state.summary().failed, 1);
    }

    #[test]
    fn a_fatal_failure_is_not_retried_and_is_recorded_on_the_attempt() {
        let (mut state, _) = fresh(&["a"], 1, 3);
        launched(&mut state, "a");
        let effects = exit(&mut state, "a", failed(true));
        let s = saved(&effects);
        assert!(s.attempts[0].fatal);
        assert_eq!(s.attempts[0].reason.as_deref(), Some("exit code 1: boom"));
        assert!(launches(&effects).is_empty());
        assert!(graded(&effects));
    }

    #[test]
    fn a_preemption_resumes_without_counting_against_the_limit() {
        let (mut state, _) = fresh(&["a"], 1, 1);
        launched(&mut state, "a");
        let preempted = ExitStatus::Preempted {
            reason: "Evicted".into(),
        };
        let effects = exit(&mut state, "a", preempted);
        let s = saved(&effects);
        assert_eq!(s.state, RunState::Pending);
        assert_eq!(s.attempts[0].outcome, Some(AttemptOutcome::Preempted));
        assert_eq!(s.failures(), 0);
        assert_eq!(launches(&effects), [("a".into(), 2)]);
    }

    #[test]
    fn unreachable_llm_attempts_are_free_and_three_in_a_row_stop_dispatch() {
        let (mut state, _) = fresh(&["a", "b", "c", "d"], 1, 1);
        let down = || ExitStatus::LlmUnreachable {
            reason: "connection refused".into(),
        };
        launched(&mut state, "a");
        let effects = exit(&mut state, "a", down());
        assert_eq!(saved(&effects).failures(), 0);
        assert_eq!(launches(&effects), [("b".into(), 1)]);
        launched(&mut state, "b");
        exit(&mut state, "b", down());
        launched(&mut state, "c");
        let effects = exit(&mut state, "c", down());
        assert!(launches(&effects).is_empty());
        assert!(effects.iter().any(
            |e| matches!(e, Effect::Message(m) if m.contains("could not reach the LLM endpoint"))
        ));
        assert!(state.done());
        let summary = state.summary();
        assert_eq!(
            summary.llm_unreachable.as_deref(),
            Some("connection refused")
        );
        assert!(!summary.interrupted);
        assert_eq!(summary.unfinished, 4);
        assert_eq!(summary.failed, 0);
    }

    #[test]
    fn a_success_between_unreachable_attempts_resets_the_streak() {
        let (mut state, _) = fresh(&["a", "b", "c", "d"], 1, 1);
        let down = || ExitStatus::LlmUnreachable {
            reason: "refused".into(),
        };
        for (task, how) in [
            ("a", down()),
            ("b", down()),
            ("c", ExitStatus::Succeeded),
            ("d", down()),
        ] {
            launched(&mut state, task);
            exit(&mut state, task, how);
        }
        // Two unreachable runs are queued again, and dispatch goes on.
        assert!(!state.done());
        assert_eq!(state.running().count(), 1);
    }

    #[test]
    fn the_first_interrupt_stops_dispatch_the_second_cancels() {
        let (mut state, _) = fresh(&["a", "b"], 1, 3);
        launched(&mut state, "a");
        let effects = state.handle(Input::Interrupt, at(1));
        assert!(!effects.contains(&Effect::CancelAll));
        let effects = state.handle(Input::Interrupt, at(1));
        assert!(effects.contains(&Effect::CancelAll));
        let effects = exit(&mut state, "a", ExitStatus::Cancelled);
        let s = saved(&effects);
        assert_eq!(s.state, RunState::Pending);
        assert_eq!(s.attempts[0].outcome, Some(AttemptOutcome::Cancelled));
        assert!(launches(&effects).is_empty());
        assert!(state.done());
        let summary = state.summary();
        assert!(summary.interrupted);
        assert_eq!(summary.unfinished, 2);
    }

    #[test]
    fn grading_that_finishes_after_a_cancel_is_still_waited_for() {
        let (mut state, _) = fresh(&["a", "b"], 2, 3);
        launched(&mut state, "a");
        launched(&mut state, "b");
        exit(&mut state, "a", ExitStatus::Succeeded);
        state.handle(Input::Interrupt, at(2));
        state.handle(Input::Interrupt, at(2));
        exit(&mut state, "b", ExitStatus::Cancelled);
        assert!(!state.done(), "a's grade is still being written");
        let effects = state.handle(
            Input::Graded {
                key: key("a", 0),
                error: Some("store down".into()),
            },
            at(3),
        );
        assert!(
            effects
                .iter()
                .any(|e| matches!(e, Effect::Message(m) if m.contains("store down")))
        );
        assert!(state.done());
        assert_eq!(state.summary().succeeded, 1);
    }

    #[test]
    fn resume_after_restart_follows_each_runs_stored_state() {
        let mut state = State::new(
            "r",
            Limits {
                concurrency: 4,
                max_attempts: 2,
            },
            [
                "done", "ungraded", "gave-up", "fatal", "orphan", "adopted", "retry",
            ]
            .iter()
            .map(|t| (key(t, 0), 0))
            .collect(),
            None,
        );
        let attempt = |outcome, fatal| Attempt {
            number: 1,
            executor: "local".into(),
            executor_id: None,
            started_at: "t".into(),
            ended_at: None,
            outcome,
            reason: None,
            fatal,
        };
        use AttemptOutcome::{Failed, Succeeded};
        use RunState as S;
        // (task, stored state, attempts as (outcome, fatal), Job still active, graded)
        #[rustfmt::skip]
        let cases: [(&str, RunState, &[(Option<AttemptOutcome>, bool)], bool, bool); 7] = [
            ("done", S::Succeeded, &[(Some(Succeeded), false)], false, true),
            ("ungraded", S::Succeeded, &[(Some(Succeeded), false)], false, false),
            ("gave-up", S::Failed, &[(Some(Failed), false), (Some(Failed), false)], false, true),
            ("fatal", S::Failed, &[(Some(Failed), true)], false, true),
            ("orphan", S::Running, &[(None, false)], false, false),
            ("adopted", S::Running, &[(None, false)], true, false),
            ("retry", S::Failed, &[(Some(Failed), false)], false, false),
        ];
        let mut effects = Vec::new();
        for (task, run_state, attempts, active, graded) in cases {
            let mut stored = RunStatus::pending("r", task, 0, "t".into());
            stored.state = run_state;
            stored.attempts = attempts.iter().map(|&(o, f)| attempt(o, f)).collect();
            effects.extend(state.handle(
                Input::Restored {
                    key: key(task, 0),
                    stored: Some(stored),
                    active,
                    graded,
                },
                at(0),
            ));
        }
        // Only the ungraded success is graded again; the orphan's attempt is closed.
        let grades: Vec<_> = effects
            .iter()
            .filter_map(|e| match e {
                Effect::Grade(k) => Some(k.task.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(grades, ["ungraded"]);
        let orphan = saved(&effects);
        assert_eq!(orphan.task, "orphan");
        assert_eq!(orphan.attempts[0].outcome, Some(AttemptOutcome::Preempted));
        // The adopted Job is held, not launched again; orphan and retry are.
        let effects = state.handle(Input::Loaded, at(0));
        assert_eq!(
            launches(&effects),
            [("orphan".into(), 2), ("retry".into(), 2)]
        );
        assert_eq!(
            state.running().map(|k| k.task.as_str()).collect::<Vec<_>>(),
            ["adopted", "orphan", "retry"]
        );
    }

    #[test]
    fn a_run_waits_for_its_gpus_in_plan_order() {
        let mut state = State::new(
            "r",
            Limits {
                concurrency: 4,
                max_attempts: 1,
            },
            vec![(key("big", 0), 2), (key("small", 0), 1)],
            Some(GpuPool::new(vec![0, 1], false)),
        );
        for t in ["big", "small"] {
            state.handle(
                Input::Restored {
                    key: key(t, 0),
                    stored: None,
                    active: false,
                    graded: false,
                },
                at(0),
            );
        }
        let effects = state.handle(Input::Loaded, at(0));
        assert_eq!(
            effects,
            [Effect::Launch {
                key: key("big", 0),
                attempt: 1,
                gpus: vec![0, 1]
            }]
        );
        launched(&mut state, "big");
        let effects = exit(&mut state, "big", ExitStatus::Succeeded);
        assert_eq!(launches(&effects), [("small".into(), 1)]);
    }
}
