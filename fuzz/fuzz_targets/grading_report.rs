//! A grading report, read and aggregated as `report --grading-reports` does: never a
//! panic.
#![no_main]

use std::sync::LazyLock;

use aide_fleet::grade::{CompetitionReport, GradingReport};
use aide_fleet::report::{AggregateOptions, aggregate_official, read_outcomes};
use libfuzzer_sys::fuzz_target;

static DIR: LazyLock<tempfile::TempDir> = LazyLock::new(|| tempfile::tempdir().unwrap());

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = GradingReport::from_json(&text);
    let _ = CompetitionReport::from_json(&text);
    let path = DIR.path().join("grading_report.json");
    std::fs::write(&path, data).unwrap();
    if let Ok(outcomes) = read_outcomes(&[path]) {
        let ids: Vec<String> = outcomes.iter().map(|o| o.competition_id.clone()).collect();
        for num_seeds in [-1, 1, 3] {
            for pad_missing in [false, true] {
                let options = AggregateOptions {
                    num_seeds,
                    pad_missing,
                };
                let _ = aggregate_official(&outcomes, &ids, options);
            }
        }
    }
});
