//! A run's stamped record (`tasks/<task>/seed-<k>/index-record.json`): its index record
//! with the version of every file it was made from. A rebuild that finds those very
//! versions in its listing reads this one object instead of the run's four or more,
//! which is what lets a stale index of 10,000 runs be rebuilt from S3 in seconds.
//!
//! It is a cache, never a source: a file written, added or removed since changes the
//! listing, the stamp no longer matches, and the files are read again. The controller
//! writes it when a run ends; a rebuild writes it for runs it had to read in full.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::record::RunRecord;
use crate::fleet::RunKey;

/// Bumped when the record's shape changes: older stamps are then simply not used.
pub const STAMPED_FORMAT_VERSION: u32 = 1;

/// The files of a run a record was made from: name under the run's directory
/// (`status.json`, `agent/usage.json`, ...) to version.
pub type Sources = BTreeMap<String, String>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StampedRecord {
    pub format_version: u32,
    pub sources: Sources,
    pub record: RunRecord,
}

impl StampedRecord {
    /// None when a source has no version: such a stamp could never be checked.
    pub fn new(record: RunRecord, sources: BTreeMap<String, Option<String>>) -> Option<Self> {
        let sources = sources
            .into_iter()
            .map(|(name, version)| Some((name, version?)))
            .collect::<Option<Sources>>()?;
        Some(StampedRecord {
            format_version: STAMPED_FORMAT_VERSION,
            sources,
            record,
        })
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a record serialises")
    }

    /// The record, when these bytes are a stamp of this run made from exactly the files
    /// `listed` (name to version) holds now. Anything else, unreadable bytes included,
    /// is None: the caller reads the files.
    pub fn check(
        bytes: &[u8],
        key: &RunKey,
        listed: &BTreeMap<String, Option<String>>,
    ) -> Option<RunRecord> {
        let stamp: StampedRecord = serde_json::from_slice(bytes).ok()?;
        let same_files = stamp.sources.len() == listed.len()
            && stamp
                .sources
                .iter()
                .all(|(name, version)| listed.get(name) == Some(&Some(version.clone())));
        (stamp.format_version == STAMPED_FORMAT_VERSION && same_files && stamp.record.key() == *key)
            .then_some(stamp.record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u64) -> RunKey {
        RunKey {
            task: "t".into(),
            seed,
        }
    }

    fn listed(pairs: &[(&str, &str)]) -> BTreeMap<String, Option<String>> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), Some(v.to_string())))
            .collect()
    }

    fn stamp_of(pairs: &[(&str, &str)]) -> Vec<u8> {
        StampedRecord::new(RunRecord::empty(&key(0)), listed(pairs))
            .unwrap()
            .to_bytes()
    }

    #[test]
    fn a_stamp_is_used_only_while_every_file_is_the_version_it_was_made_from() {
        let files = [("status.json", "a"), ("grade.json", "b")];
        let bytes = stamp_of(&files);
        assert_eq!(
            StampedRecord::check(&bytes, &key(0), &listed(&files)),
            Some(RunRecord::empty(&key(0)))
        );
        let rewritten = listed(&[("status.json", "a"), ("grade.json", "c")]);
        assert_eq!(StampedRecord::check(&bytes, &key(0), &rewritten), None);
        let added = listed(&[
            ("status.json", "a"),
            ("grade.json", "b"),
            ("agent/usage.json", "d"),
        ]);
        assert_eq!(StampedRecord::check(&bytes, &key(0), &added), None);
        let removed = listed(&[("status.json", "a")]);
        assert_eq!(StampedRecord::check(&bytes, &key(0), &removed), None);
        let mut unversioned = listed(&files);
        unversioned.insert("grade.json".into(), None);
        assert_eq!(StampedRecord::check(&bytes, &key(0), &unversioned), None);
    }

    #[test]
    fn another_runs_stamp_or_garbage_or_another_format_is_not_used() {
        let files = [("status.json", "a")];
        let bytes = stamp_of(&files);
        assert_eq!(StampedRecord::check(&bytes, &key(1), &listed(&files)), None);
        assert_eq!(
            StampedRecord::check(b"{not json", &key(0), &listed(&files)),
            None
        );
        let mut other: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        other["format_version"] = serde_json::json!(STAMPED_FORMAT_VERSION + 1);
        let other = serde_json::to_vec(&other).unwrap();
        assert_eq!(StampedRecord::check(&other, &key(0), &listed(&files)), None);
    }

    #[test]
    fn a_source_without_a_version_cannot_be_stamped() {
        let mut sources = listed(&[("status.json", "a")]);
        sources.insert("grade.json".into(), None);
        assert_eq!(StampedRecord::new(RunRecord::empty(&key(0)), sources), None);
    }
}
