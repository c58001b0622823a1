//! The controller's side of the index: every run's record as the controller knows it,
//! with no I/O and time as a parameter. The driver feeds it what it saves and what it
//! reads back, asks [`IndexKeeper::due`] on each tick, and writes the snapshot it gets.

use std::collections::BTreeMap;

use super::group::{GroupIndex, HEARTBEAT_S, INDEX_FORMAT_VERSION, Writer};
use super::record::{ProgressSummary, RunRecord};
use crate::fleet::{RunKey, RunStatus};

/// Changes are written at most this often (seconds): a burst of status saves is one write.
pub const DEBOUNCE_S: f64 = 3.0;

pub struct IndexKeeper {
    run_id: String,
    run_yaml: Option<String>,
    records: BTreeMap<RunKey, RunRecord>,
    /// Something changed since the last snapshot.
    dirty: bool,
    last_write: Option<f64>,
}

impl IndexKeeper {
    /// Every planned run starts as an empty record; `previous` is the index the store
    /// held, whose records are kept for runs whose status has not moved since.
    pub fn new(run_id: &str, run_yaml: Option<String>, planned: &[RunKey]) -> Self {
        IndexKeeper {
            run_id: run_id.to_owned(),
            run_yaml,
            records: planned
                .iter()
                .map(|k| (k.clone(), RunRecord::empty(k)))
                .collect(),
            dirty: true,
            last_write: None,
        }
    }

    /// A run as the store held it when the controller started. Returns whether its other
    /// files must be read back (the previous index did not hold this generation of it).
    pub fn restored(
        &mut self,
        key: &RunKey,
        stored: Option<&RunStatus>,
        previous: Option<&RunRecord>,
    ) -> bool {
        let record = self
            .records
            .entry(key.clone())
            .or_insert_with(|| RunRecord::empty(key));
        let generation = stored.map_or(0, |s| s.generation);
        match previous.filter(|p| p.generation == generation && p.status.as_ref() == stored) {
            Some(p) => {
                *record = p.clone();
                self.dirty = true;
                false
            }
            None => {
                record.status = stored.cloned();
                record.generation = generation;
                self.dirty = true;
                stored.is_some()
            }
        }
    }

    /// The status about to be written, with its next generation: the keeper numbers
    /// every write of a run's `status.json`.
    pub fn saving(&mut self, status: &RunStatus) -> RunStatus {
        let key = status.key();
        let record = self
            .records
            .entry(key.clone())
            .or_insert_with(|| RunRecord::empty(&key));
        let mut status = status.clone();
        status.generation = record.generation + 1;
        record.generation = status.generation;
        record.status = Some(status.clone());
        self.dirty = true;
        status
    }

    /// A running run's progress, as the controller read it.
    pub fn progressed(&mut self, key: &RunKey, progress: ProgressSummary) {
        if let Some(r) = self.records.get_mut(key)
            && r.progress != Some(progress)
        {
            r.progress = Some(progress);
            self.dirty = true;
        }
    }

    /// What was read back from the store after a run ended (or on restore).
    pub fn folded(&mut self, read: RunRecord) {
        if let Some(r) = self.records.get_mut(&read.key()) {
            r.fold(read);
            self.dirty = true;
        }
    }

    /// Whether a write is due at `now`: a change and the debounce passed, or the heartbeat.
    pub fn due(&self, now: f64) -> bool {
        match self.last_write {
            None => true,
            Some(t) => (self.dirty && now - t >= DEBOUNCE_S) || now - t >= HEARTBEAT_S,
        }
    }

    /// The index to write now; `live` is false only for the last write, at exit.
    pub fn snapshot(&mut self, now: f64, live: bool) -> GroupIndex {
        self.dirty = false;
        self.last_write = Some(now);
        GroupIndex {
            format_version: INDEX_FORMAT_VERSION,
            run_id: self.run_id.clone(),
            writer: Writer::Controller,
            live,
            written_at: now,
            run_yaml: self.run_yaml.clone(),
            runs: self.records.values().cloned().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::RunState;

    fn key(task: &str) -> RunKey {
        RunKey {
            task: task.into(),
            seed: 0,
        }
    }

    fn status(task: &str, generation: u64) -> RunStatus {
        let mut s = RunStatus::pending("r", task, 0, "now".into());
        s.generation = generation;
        s
    }

    #[test]
    fn every_save_gets_the_next_generation_and_lands_in_the_record() {
        let mut k = IndexKeeper::new("r", None, &[key("a")]);
        k.restored(&key("a"), Some(&status("a", 4)), None);
        let mut running = status("a", 0);
        running.state = RunState::Running;
        assert_eq!(k.saving(&running).generation, 5);
        assert_eq!(k.saving(&running).generation, 6);
        let index = k.snapshot(0.0, true);
        assert_eq!(index.runs[0].generation, 6);
        assert_eq!(
            index.runs[0].status.as_ref().unwrap().state,
            RunState::Running
        );
    }

    #[test]
    fn a_restored_run_is_read_back_unless_the_previous_index_holds_its_generation() {
        let mut k = IndexKeeper::new("r", None, &[key("a"), key("b"), key("c")]);
        let mut previous = RunRecord::empty(&key("a"));
        previous.generation = 2;
        previous.status = Some(status("a", 2));
        previous.usage = Some(Default::default());
        assert!(!k.restored(&key("a"), Some(&status("a", 2)), Some(&previous)));
        assert!(k.restored(&key("b"), Some(&status("b", 3)), Some(&previous)));
        assert!(
            !k.restored(&key("c"), None, None),
            "nothing stored, nothing to read"
        );
        let index = k.snapshot(0.0, true);
        assert_eq!(index.runs[0], previous);
        assert_eq!(index.runs[1].generation, 3);
    }

    #[test]
    fn writes_are_debounced_and_a_live_controller_beats() {
        let mut k = IndexKeeper::new("r", None, &[key("a")]);
        assert!(k.due(0.0), "the first write is due at once");
        k.snapshot(0.0, true);
        assert!(!k.due(1.0), "nothing changed");
        k.saving(&status("a", 0));
        assert!(!k.due(DEBOUNCE_S - 0.5), "within the debounce");
        assert!(k.due(DEBOUNCE_S));
        k.snapshot(DEBOUNCE_S, true);
        assert!(!k.due(DEBOUNCE_S + HEARTBEAT_S - 1.0));
        assert!(k.due(DEBOUNCE_S + HEARTBEAT_S), "the heartbeat");
    }
}
