//! The run-group index, `runs/<id>/index.json`: every run's record in one object, so that
//! `report` and `status` read a run group in a constant number of requests. The per-run
//! files stay the source of truth; the index says enough about itself for a reader to
//! tell when it cannot be trusted, and then it is rebuilt from them.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::record::RunRecord;
use crate::fleet::RunKey;

/// Bumped when a field changes meaning; an index of another version is rebuilt.
pub const INDEX_FORMAT_VERSION: u32 = 1;

/// A live controller rewrites the index at least this often (seconds), changed or not.
pub const HEARTBEAT_S: f64 = 30.0;

/// An index still marked live but not rewritten for this long was left by a controller
/// that stopped without closing it: what happened since may be missing from it.
pub const LIVE_TIMEOUT_S: f64 = 4.0 * HEARTBEAT_S;

/// Who wrote the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Writer {
    Controller,
    Rebuild,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupIndex {
    pub format_version: u32,
    pub run_id: String,
    pub writer: Writer,
    /// A controller is still running the group and rewrites the index as runs change.
    pub live: bool,
    /// Seconds since the Unix epoch.
    pub written_at: f64,
    /// `run.yaml` as it was when the index was written: a changed plan is a stale index.
    pub run_yaml: Option<String>,
    /// Sorted by task, then seed.
    pub runs: Vec<RunRecord>,
}

/// Why an index cannot be used as it is.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Stale {
    #[error("the run group has no index")]
    Missing,
    #[error("the index does not parse: {0}")]
    Unreadable(String),
    #[error(
        "the index has format version {found}, this aide-fleet reads {}",
        INDEX_FORMAT_VERSION
    )]
    Version { found: u32 },
    #[error("the index belongs to run `{0}`")]
    OtherRun(String),
    #[error("run.yaml changed after the index was written")]
    PlanChanged,
    #[error("the index lacks {missing} of the {planned} planned runs")]
    Incomplete { missing: usize, planned: usize },
    #[error(
        "the controller that keeps the index stopped without closing it ({age_s:.0} s since its last write)"
    )]
    Abandoned { age_s: f64 },
}

/// The version first, so that a newer format is named as such, not as garbage.
fn check_version(bytes: &[u8]) -> Result<(), Stale> {
    #[derive(Deserialize)]
    struct Version {
        format_version: u32,
    }
    let version: Version =
        serde_json::from_slice(bytes).map_err(|e| Stale::Unreadable(e.to_string()))?;
    if version.format_version != INDEX_FORMAT_VERSION {
        return Err(Stale::Version {
            found: version.format_version,
        });
    }
    Ok(())
}

impl GroupIndex {
    pub fn parse(bytes: &[u8]) -> Result<Self, Stale> {
        check_version(bytes)?;
        serde_json::from_slice(bytes).map_err(|e| Stale::Unreadable(e.to_string()))
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Hands every record of a stored index to `sink`, in order, one at a time: a
    /// reader of 100,000 runs never holds them all. Parse [`Outline`] first: the
    /// records reach `sink` before the end of the index is known to parse.
    pub fn stream_runs(bytes: &[u8], sink: &mut dyn FnMut(RunRecord)) -> Result<(), Stale> {
        check_version(bytes)?;
        let mut de = serde_json::Deserializer::from_slice(bytes);
        serde::de::DeserializeSeed::deserialize(Fields(sink), &mut de)
            .and_then(|()| de.end())
            .map_err(|e| Stale::Unreadable(e.to_string()))
    }
}

/// An index without its records, but each run's key: enough to check it, in a fraction
/// of the memory of the whole.
#[derive(Debug, Deserialize)]
pub struct Outline {
    pub run_id: String,
    pub live: bool,
    pub written_at: f64,
    pub run_yaml: Option<String>,
    runs: Vec<RunId>,
}

/// A run's key, read from its whole record: an outline that parses vouches for every
/// record of the index (each is parsed, and dropped at once).
#[derive(Debug, Deserialize)]
#[serde(from = "RunRecord")]
struct RunId {
    task: String,
    seed: u64,
}

impl From<RunRecord> for RunId {
    fn from(r: RunRecord) -> Self {
        RunId {
            task: r.task,
            seed: r.seed,
        }
    }
}

impl Outline {
    pub fn parse(bytes: &[u8]) -> Result<Self, Stale> {
        check_version(bytes)?;
        serde_json::from_slice(bytes).map_err(|e| Stale::Unreadable(e.to_string()))
    }

    /// Whether the index can stand for the per-run files: written for this run and this
    /// `run.yaml`, holding every planned run, and closed or kept by a live controller.
    pub fn check(
        &self,
        run_id: &str,
        run_yaml: Option<&str>,
        planned: &[RunKey],
        now: f64,
    ) -> Result<(), Stale> {
        if self.run_id != run_id {
            return Err(Stale::OtherRun(self.run_id.clone()));
        }
        if self.run_yaml.as_deref() != run_yaml {
            return Err(Stale::PlanChanged);
        }
        let held: BTreeSet<(&str, u64)> = self
            .runs
            .iter()
            .map(|r| (r.task.as_str(), r.seed))
            .collect();
        let missing = planned
            .iter()
            .filter(|k| !held.contains(&(k.task.as_str(), k.seed)))
            .count();
        if missing > 0 {
            return Err(Stale::Incomplete {
                missing,
                planned: planned.len(),
            });
        }
        let age_s = now - self.written_at;
        if self.live && age_s > LIVE_TIMEOUT_S {
            return Err(Stale::Abandoned { age_s });
        }
        Ok(())
    }
}

/// The index's fields, `runs` streamed to the sink and the rest skipped.
struct Fields<'s>(&'s mut dyn FnMut(RunRecord));

impl<'de> serde::de::DeserializeSeed<'de> for Fields<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Fields<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a run-group index")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "runs" {
                map.next_value_seed(Runs(&mut *self.0))?;
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct Runs<'s>(&'s mut dyn FnMut(RunRecord));

impl<'de> serde::de::DeserializeSeed<'de> for Runs<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Runs<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list of run records")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(record) = seq.next_element::<RunRecord>()? {
            (self.0)(record);
        }
        Ok(())
    }
}

/// A rebuilt index written as its records arrive, so that it is never held twice (as
/// records and as bytes). The same JSON as [`GroupIndex::to_bytes`].
pub struct IndexBytes {
    buf: Vec<u8>,
    first: bool,
}

impl IndexBytes {
    pub fn start(
        run_id: &str,
        writer: Writer,
        live: bool,
        written_at: f64,
        run_yaml: Option<&str>,
    ) -> Self {
        #[derive(Serialize)]
        struct Header<'a> {
            format_version: u32,
            run_id: &'a str,
            writer: Writer,
            live: bool,
            written_at: f64,
            run_yaml: Option<&'a str>,
        }
        let mut buf = serde_json::to_vec(&Header {
            format_version: INDEX_FORMAT_VERSION,
            run_id,
            writer,
            live,
            written_at,
            run_yaml,
        })
        .unwrap_or_default();
        // `{...}` becomes `{...,"runs":[`.
        buf.pop();
        buf.extend_from_slice(br#","runs":["#);
        IndexBytes { buf, first: true }
    }

    pub fn push(&mut self, record: &RunRecord) {
        if !self.first {
            self.buf.push(b',');
        }
        self.first = false;
        let _ = serde_json::to_writer(&mut self.buf, record);
    }

    pub fn finish(mut self) -> Vec<u8> {
        self.buf.extend_from_slice(b"]}");
        self.buf
    }
}

/// How an index differs from a rebuild of the same run group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    /// In the files, not in the index.
    Missing(RunKey),
    /// In the index, not in the files.
    Extra(RunKey),
    /// The index holds an older generation of the run's status: its writer stopped
    /// before writing what it had done.
    Behind(RunKey),
    /// Same generation, different contents: a file changed behind the controller's back.
    Changed(RunKey),
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (key, what) = match self {
            Difference::Missing(k) => (k, "missing from the index"),
            Difference::Extra(k) => (k, "in the index but not in the store"),
            Difference::Behind(k) => (k, "the index holds an older status"),
            Difference::Changed(k) => (k, "its files changed behind the controller's back"),
        };
        write!(f, "{} seed {}: {what}", key.task, key.seed)
    }
}

/// Every run where `index` and `rebuilt` disagree, in task and seed order. Both are
/// sorted by task, then seed.
pub fn differences(index: &[RunRecord], rebuilt: &[RunRecord]) -> Vec<Difference> {
    let mut compare = Comparer::new(index.to_vec());
    for record in rebuilt {
        compare.next(record);
    }
    compare.finish()
}

/// [`differences`] as the rebuilt records arrive, in order.
pub struct Comparer {
    index: std::iter::Peekable<std::vec::IntoIter<RunRecord>>,
    out: Vec<Difference>,
}

impl Comparer {
    pub fn new(index: Vec<RunRecord>) -> Self {
        Comparer {
            index: index.into_iter().peekable(),
            out: Vec::new(),
        }
    }

    pub fn next(&mut self, rebuilt: &RunRecord) {
        let at = (&rebuilt.task, rebuilt.seed);
        while let Some(x) = self.index.next_if(|x| (&x.task, x.seed) < at) {
            self.out.push(Difference::Extra(x.key()));
        }
        match self.index.next_if(|x| (&x.task, x.seed) == at) {
            Some(x) if x.generation < rebuilt.generation => {
                self.out.push(Difference::Behind(x.key()))
            }
            Some(x) if !same(&x, rebuilt) => self.out.push(Difference::Changed(x.key())),
            Some(_) => {}
            None => self.out.push(Difference::Missing(rebuilt.key())),
        }
    }

    pub fn finish(mut self) -> Vec<Difference> {
        self.out
            .extend(self.index.by_ref().map(|x| Difference::Extra(x.key())));
        self.out
    }
}

/// Equal records; a running run's progress is left out, since its agent moves it on
/// between any two reads.
fn same(x: &RunRecord, y: &RunRecord) -> bool {
    let running = |r: &RunRecord| {
        r.status
            .as_ref()
            .is_some_and(|s| s.state == crate::fleet::RunState::Running)
    };
    if running(x) && running(y) {
        let (mut x, mut y) = (x.clone(), y.clone());
        x.progress = None;
        y.progress = None;
        x == y
    } else {
        x == y
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(task: &str, seed: u64) -> RunKey {
        RunKey {
            task: task.into(),
            seed,
        }
    }

    /// What a reader checks of `i`: its outline, read from its bytes.
    fn outline(i: &GroupIndex) -> Outline {
        Outline::parse(&i.to_bytes()).unwrap()
    }

    fn index(live: bool, written_at: f64, runs: &[(&str, u64)]) -> GroupIndex {
        GroupIndex {
            format_version: INDEX_FORMAT_VERSION,
            run_id: "r".into(),
            writer: Writer::Controller,
            live,
            written_at,
            run_yaml: Some("tasks: [a]\n".into()),
            runs: runs
                .iter()
                .map(|(t, s)| RunRecord::empty(&key(t, *s)))
                .collect(),
        }
    }

    #[test]
    fn a_closed_complete_index_for_the_same_plan_is_used_whatever_its_age() {
        let i = index(false, 0.0, &[("a", 0), ("a", 1)]);
        let planned = [key("a", 0), key("a", 1)];
        assert_eq!(
            outline(&i).check("r", Some("tasks: [a]\n"), &planned, 1e9),
            Ok(())
        );
    }

    #[test]
    fn a_live_index_is_used_until_its_controller_misses_its_heartbeats() {
        let i = index(true, 1000.0, &[("a", 0)]);
        let planned = [key("a", 0)];
        let at = |s: f64| outline(&i).check("r", Some("tasks: [a]\n"), &planned, s);
        assert_eq!(at(1000.0 + LIVE_TIMEOUT_S), Ok(()));
        assert!(matches!(
            at(1001.0 + LIVE_TIMEOUT_S),
            Err(Stale::Abandoned { .. })
        ));
    }

    #[test]
    fn another_plan_another_run_or_missing_runs_make_it_stale() {
        let i = index(false, 0.0, &[("a", 0)]);
        let planned = [key("a", 0), key("a", 1), key("b", 0)];
        assert_eq!(
            outline(&i).check("r", Some("tasks: [a]\n"), &planned, 0.0),
            Err(Stale::Incomplete {
                missing: 2,
                planned: 3
            })
        );
        assert_eq!(
            outline(&i).check("r", Some("tasks: [a, b]\n"), &planned[..1], 0.0),
            Err(Stale::PlanChanged)
        );
        assert_eq!(
            outline(&i).check("q", Some("tasks: [a]\n"), &planned[..1], 0.0),
            Err(Stale::OtherRun("r".into()))
        );
    }

    #[test]
    fn another_format_version_is_named() {
        let bytes = br#"{"format_version": 7, "runs": "whatever"}"#;
        assert_eq!(GroupIndex::parse(bytes), Err(Stale::Version { found: 7 }));
        assert!(matches!(GroupIndex::parse(b"{"), Err(Stale::Unreadable(_))));
        let i = index(true, 5.0, &[("a", 0)]);
        assert_eq!(GroupIndex::parse(&i.to_bytes()), Ok(i));
    }

    #[test]
    fn an_index_written_as_records_arrive_reads_back_whole_and_streams_in_order() {
        let whole = index(false, 12.5, &[("a", 0), ("a", 1), ("b", 0)]);
        let mut bytes =
            IndexBytes::start("r", Writer::Controller, false, 12.5, Some("tasks: [a]\n"));
        for r in &whole.runs {
            bytes.push(r);
        }
        let bytes = bytes.finish();
        assert_eq!(GroupIndex::parse(&bytes), Ok(whole.clone()));
        let mut streamed = Vec::new();
        GroupIndex::stream_runs(&bytes, &mut |r| streamed.push(r)).unwrap();
        assert_eq!(streamed, whole.runs);
        let outline = Outline::parse(&bytes).unwrap();
        assert_eq!(
            outline.check("r", Some("tasks: [a]\n"), &[key("b", 0)], 0.0),
            Ok(())
        );
        // An empty group is a valid index too.
        let empty = IndexBytes::start("r", Writer::Rebuild, false, 0.0, None).finish();
        assert_eq!(GroupIndex::parse(&empty).unwrap().runs, []);
    }

    #[test]
    fn an_outline_vouches_for_every_record() {
        let mut bytes = index(false, 0.0, &[("a", 0)]).to_bytes();
        let text = String::from_utf8(bytes.clone()).unwrap();
        bytes = text
            .replace(r#""generation":0"#, r#""generation":"x""#)
            .into_bytes();
        assert!(matches!(Outline::parse(&bytes), Err(Stale::Unreadable(_))));
    }

    #[test]
    fn differences_tell_a_lagging_index_from_an_edited_file() {
        let mut stored = index(false, 0.0, &[("a", 0), ("a", 1), ("b", 0)]).runs;
        let mut files = index(false, 0.0, &[("a", 1), ("b", 0), ("c", 0)]).runs;
        files[0].generation = 2; // a/1: the controller wrote again, the index did not
        stored[2].generation = 1;
        files[1].generation = 1;
        files[1].usage = Some(Default::default()); // b/0: edited by hand
        assert_eq!(
            differences(&stored, &files),
            [
                Difference::Extra(key("a", 0)),
                Difference::Behind(key("a", 1)),
                Difference::Changed(key("b", 0)),
                Difference::Missing(key("c", 0)),
            ]
        );
    }
}
