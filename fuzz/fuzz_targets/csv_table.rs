//! A CSV file read as a table, a leaderboard (then ranked) and a submission checked
//! against a sample: never a panic, never quadratic.
#![no_main]

use std::sync::LazyLock;

use aide_fleet::grade::{CsvTable, Leaderboard, validate_against_sample};
use libfuzzer_sys::fuzz_target;

static DIR: LazyLock<tempfile::TempDir> = LazyLock::new(|| {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sample.csv"), "id,target\n1,0\n2,0.5\n").unwrap();
    dir
});

fuzz_target!(|data: &[u8]| {
    let path = DIR.path().join("input.csv");
    std::fs::write(&path, data).unwrap();
    if let Ok(table) = CsvTable::read(&path) {
        for (i, h) in table.headers.iter().enumerate() {
            assert_eq!(table.column(h), Some(i));
        }
    }
    if let Ok(board) = Leaderboard::read(&path) {
        for score in [None, Some(0.0), Some(f64::INFINITY), Some(-1e300)] {
            let _ = board.rank(score);
        }
    }
    let _ = validate_against_sample(&path, &DIR.path().join("sample.csv"));
});
