//! `aide-fleet report --grading-reports`: MLE-bench's official aggregation, byte for byte.
//! The cases and their expected output come from scripts/gen_report_goldens.py, a
//! re-statement of MLE-bench's `aggregate_grading_reports.py` run with numpy and scipy.

use std::path::{Path, PathBuf};
use std::process::Command;

use aide_fleet::report::AggregateMetric;
use serde_json::Value;

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/report/mlebench")
}

/// Runs the case's command line from its directory; (exit code, stdout, stderr).
fn run_case(name: &str) -> (i32, String, String, String) {
    let dir = cases_dir().join(name);
    let case: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("case.json")).unwrap()).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aide-fleet"));
    cmd.current_dir(&dir).arg("report").arg("--grading-reports");
    for r in case["reports"].as_array().unwrap() {
        cmd.arg(r.as_str().unwrap());
    }
    cmd.args(["--split", "split.txt", "--format", "json"]);
    for a in case["args"].as_array().unwrap() {
        cmd.arg(a.as_str().unwrap());
    }
    let out = cmd.output().unwrap();
    assert_eq!(
        out.status.code(),
        case["exit"].as_i64().map(|c| c as i32),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
        std::fs::read_to_string(dir.join("expected.txt")).unwrap(),
    )
}

fn assert_same_output(name: &str) {
    let (code, stdout, stderr, expected) = run_case(name);
    assert_eq!(code, 0, "{name}: {stderr}");
    assert_eq!(stdout, expected, "{name}");
}

fn assert_same_error(name: &str) {
    let (code, stdout, stderr, expected) = run_case(name);
    assert_eq!(code, 2, "{name}");
    assert!(stdout.is_empty(), "{name}: {stdout}");
    assert!(stderr.contains(expected.trim()), "{name}: {stderr}");
}

#[test]
fn complete_seeds_only() {
    assert_same_output("complete-seeds");
}

#[test]
fn pad_missing_counts_missing_seeds_as_failures() {
    assert_same_output("pad-missing");
}

#[test]
fn a_single_seed_has_zero_standard_error() {
    assert_same_output("single-seed");
    let (_, stdout, _, _) = run_case("single-seed");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["num_seeds_averaged"], 1);
    assert_eq!(v["metrics"]["any_medal_percentage"]["standard_error"], 0.0);
}

#[test]
fn reports_in_several_files_are_read_in_sorted_path_order() {
    assert_same_output("several-files");
}

#[test]
fn a_split_competition_without_a_report_is_an_error() {
    assert_same_error("missing-competition");
}

#[test]
fn a_split_competition_without_a_report_is_padded_with_pad_missing() {
    assert_same_output("missing-competition-padded");
}

#[test]
fn num_seeds_takes_the_first_seeds() {
    assert_same_output("num-seeds");
}

#[test]
fn asking_for_more_seeds_than_complete_is_an_error() {
    assert_same_error("too-many-seeds");
}

#[test]
fn many_seeds_sum_as_numpy_does() {
    assert_same_output("many-seeds");
}

#[test]
fn mean_and_standard_error_equal_numpy_and_scipy_bit_for_bit() {
    let cases: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(cases_dir().join("stats.json")).unwrap())
            .unwrap();
    assert!(cases.len() > 40);
    for case in cases {
        let (n, a, m) = (
            case["n"].as_u64().unwrap(),
            case["a"].as_u64().unwrap(),
            case["m"].as_u64().unwrap(),
        );
        let values: Vec<f64> = (0..n)
            .map(|i| (i * a % m) as f64 / m as f64 * 100.0)
            .collect();
        let metric = AggregateMetric::of(&values);
        let want = |k: &str| case[k].as_str().unwrap().parse::<f64>().unwrap();
        assert_eq!(
            metric.mean.to_bits(),
            want("mean").to_bits(),
            "mean of {case}"
        );
        assert_eq!(
            metric.standard_error.to_bits(),
            want("sem").to_bits(),
            "SEM of {case}"
        );
    }
}

#[test]
fn a_split_name_resolves_under_the_benchmarks_directory() {
    let dir = cases_dir().join("single-seed");
    let out = Command::new(env!("CARGO_BIN_EXE_aide-fleet"))
        .current_dir(&dir)
        .args([
            "report",
            "--grading-reports",
            "reports/only.json",
            "--split",
            "low",
        ])
        .output()
        .unwrap();
    // The Lite split's competitions have no reports here: the script's own error.
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Missing reports for competitions: aerial-cactus-identification"),
        "{stderr}"
    );
}

/// The `complete-seeds` case with each report rewritten by `edit`, run from a copy.
fn run_edited(edit: impl Fn(&mut Value)) -> std::process::Output {
    let src = cases_dir().join("complete-seeds");
    let tmp = tempfile::tempdir().unwrap();
    let case: Value =
        serde_json::from_str(&std::fs::read_to_string(src.join("case.json")).unwrap()).unwrap();
    std::fs::copy(src.join("split.txt"), tmp.path().join("split.txt")).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aide-fleet"));
    cmd.current_dir(tmp.path())
        .arg("report")
        .arg("--grading-reports");
    for (i, r) in case["reports"].as_array().unwrap().iter().enumerate() {
        let mut report: Value =
            serde_json::from_str(&std::fs::read_to_string(src.join(r.as_str().unwrap())).unwrap())
                .unwrap();
        edit(&mut report);
        let name = format!("report-{i}.json");
        std::fs::write(tmp.path().join(&name), report.to_string()).unwrap();
        cmd.arg(name);
    }
    cmd.args(["--split", "split.txt", "--format", "json"]);
    cmd.output().unwrap()
}

#[test]
fn reports_cut_down_to_what_the_aggregation_reads_give_the_same_numbers() {
    let out = run_edited(|report| {
        // What experiments/aggregate_grading_reports.py reads, and nothing else.
        let keep = [
            "competition_id",
            "gold_medal",
            "silver_medal",
            "bronze_medal",
            "above_median",
            "submission_exists",
            "valid_submission",
        ];
        let reports: Vec<Value> = report["competition_reports"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let mut cut = serde_json::Map::new();
                for k in keep {
                    cut.insert(k.into(), r[k].clone());
                }
                Value::Object(cut)
            })
            .collect();
        *report = serde_json::json!({ "competition_reports": reports });
    });
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let expected =
        std::fs::read_to_string(cases_dir().join("complete-seeds/expected.txt")).unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), expected);
}

#[test]
fn totals_that_contradict_the_competition_reports_are_refused() {
    let out = run_edited(|report| {
        report["total_medals"] = serde_json::json!(999);
    });
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("`total_medals` says 999"), "{stderr}");
}
