//! Snapshots of the Markdown report on the hand-built store (tests/data/report/store):
//! a run alone, against a noisy rerun, and against a real drop.

use std::path::PathBuf;

use aide_fleet::report::{DEFAULT_ALPHA, Rendered, Report, read_run};
use aide_fleet::store::{Store, StoreOptions};

fn markdown(run: &str, baseline: Option<&str>) -> String {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let store_dir = repo.join("tests/data/report/store");
    let benchmarks = repo.join("benchmarks");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (current, baseline) = runtime.block_on(async {
        let store = Store::open(store_dir.to_str().unwrap(), &StoreOptions::default())
            .await
            .unwrap();
        let current = read_run(&store, run, &benchmarks).await.unwrap();
        let baseline = match baseline {
            Some(b) => Some(read_run(&store, b, &benchmarks).await.unwrap()),
            None => None,
        };
        (current, baseline)
    });
    // Outside the runtime: polars blocks on its own.
    let report = Report::build(
        &current,
        baseline.as_ref(),
        DEFAULT_ALPHA,
        "2025-06-01T06:00:00Z",
    )
    .unwrap();
    Rendered::of(&report).unwrap().markdown
}

#[test]
fn a_run_alone() {
    insta::assert_snapshot!("base", markdown("base", None));
}

#[test]
fn a_noisy_rerun_against_its_baseline() {
    insta::assert_snapshot!("same_vs_base", markdown("same", Some("base")));
}

#[test]
fn a_real_drop_against_its_baseline() {
    insta::assert_snapshot!("worse_vs_base", markdown("worse", Some("base")));
}
