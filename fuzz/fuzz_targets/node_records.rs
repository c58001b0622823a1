//! Node records and run.json as `agent --resume` reads them (the input split at NUL
//! bytes: run.json, then one record per part): never a panic, and what loads agrees
//! with itself.
#![no_main]

use std::sync::atomic::{AtomicUsize, Ordering};

use aide_fleet::agent::RunDir;
use libfuzzer_sys::fuzz_target;

static CASE: AtomicUsize = AtomicUsize::new(0);

fuzz_target!(|data: &[u8]| {
    let root = std::env::temp_dir().join(format!(
        "aide-fleet-fuzz-{}-{}",
        std::process::id(),
        CASE.fetch_add(1, Ordering::Relaxed) % 2
    ));
    let _ = std::fs::remove_dir_all(&root);
    let run = RunDir::create(&root).unwrap();
    let mut parts = data.split(|b| *b == 0);
    std::fs::write(root.join("run.json"), parts.next().unwrap_or_default()).unwrap();
    for (step, part) in parts.take(8).enumerate() {
        std::fs::write(run.node_file(step), part).unwrap();
    }
    if let Ok(meta) = run.read_meta() {
        let _ = meta.config.validate();
    }
    if let Ok(nodes) = run.load_nodes() {
        for pair in nodes.windows(2) {
            assert!(pair[0].search_elapsed_s <= pair[1].search_elapsed_s);
        }
        for n in &nodes {
            assert!(!(n.is_buggy && n.metric.is_some()));
            assert!(n.usage.cost_usd >= 0.0);
        }
    }
});
