//! The run-group index and the per-run files a rebuild reads, as `report` and `status`
//! read them from the store (the input split at NUL bytes: index.json, then status.json,
//! grade.json, usage.json, progress.json and a node grade): never a panic, and whatever
//! record the files give can be written into an index and read back.
#![no_main]

use aide_fleet::fleet::RunKey;
use aide_fleet::fleet::index::{GroupIndex, Outline, RunFiles, RunRecord};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|b| *b == 0);
    let index = parts.next().unwrap_or_default();
    if let Ok(outline) = Outline::parse(index) {
        let _ = outline.check(&outline.run_id, outline.run_yaml.as_deref(), &[], outline.written_at);
        let _ = GroupIndex::stream_runs(index, &mut |_| {});
    }
    let mut next = || parts.next().map(<[u8]>::to_vec);
    let files = RunFiles {
        status: next(),
        grade: next(),
        usage: next(),
        progress: next(),
        node_grades: next().map(|b| vec![("n.grade.json".to_string(), b)]).unwrap_or_default(),
    };
    let key = RunKey {
        task: "t".into(),
        seed: 0,
    };
    let record = RunRecord::from_files(&key, files);
    let bytes = serde_json::to_vec(&record).unwrap();
    let back: RunRecord = serde_json::from_slice(&bytes).unwrap();
    assert_eq!((back.task, back.seed, back.status.is_some()), (record.task, record.seed, record.status.is_some()));
});
