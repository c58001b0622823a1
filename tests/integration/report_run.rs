//! `aide-fleet report RUN` on a hand-built store (tests/data/report/store, written by
//! scripts/gen_report_fixtures.py): the numbers against direct computations, the files in
//! the store, regressions against a baseline (exit 3), the latest pointer, and damaged
//! store contents.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use aide_fleet::grade::Leaderboard;
use polars::prelude::*;
use serde_json::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A scratch copy of the fixture store (reports are written into it).
fn store() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("tests/data/report/store"), tmp.path());
    tmp
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn report(store: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aide-fleet"))
        .arg("report")
        .args(args)
        .arg("--store")
        .arg(store)
        .output()
        .unwrap()
}

fn json_report(store: &Path, args: &[&str], code: i32) -> Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let out = report(store, &all);
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn task<'a>(summary: &'a Value, name: &str) -> &'a Value {
    summary["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["task"] == name)
        .unwrap()
}

fn percentile(task: &str, score: f64) -> f64 {
    let board =
        Leaderboard::read(&repo().join(format!("benchmarks/demo/{task}/leaderboard.csv"))).unwrap();
    board.rank(Some(score)).percentile.unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9 * (1.0 + b.abs())
}

#[test]
fn the_numbers_match_direct_computations() {
    let tmp = store();
    let s = json_report(tmp.path(), &["base"], 0);
    assert_eq!(s["run_id"], "base");
    assert_eq!(s["suite"], "demo");
    assert_eq!(s["states"]["succeeded"], 12);
    assert_eq!(s["tasks"].as_array().unwrap().len(), 4);

    // Percentile: mean over seeds of the share of teams beaten.
    let scores = [0.8602, 0.8451, 0.8290];
    let direct: Vec<f64> = scores
        .iter()
        .map(|&x| percentile("demo-binary", x))
        .collect();
    let binary = task(&s, "demo-binary");
    let mean = direct.iter().sum::<f64>() / 3.0;
    assert!(close(binary["percentile"]["mean"].as_f64().unwrap(), mean));
    assert_eq!(
        (
            binary["gold"].as_u64(),
            binary["silver"].as_u64(),
            binary["bronze"].as_u64()
        ),
        (Some(1), Some(1), Some(1))
    );
    assert_eq!(binary["pass_at_k"][0]["value"], 1.0);

    // RE-Bench: (score - start) / (reference - start), floored at 0; score@3 = best.
    let norm: Vec<f64> = [3.9, 4.2, 3.5]
        .iter()
        .map(|y| ((y - 6.80) / (3.38 - 6.80f64)).max(0.0))
        .collect();
    let re = task(&s, "re-optimize-sum");
    assert!(close(
        re["normalized_score"]["mean"].as_f64().unwrap(),
        norm.iter().sum::<f64>() / 3.0
    ));
    let best = norm.iter().cloned().fold(f64::MIN, f64::max);
    assert!(re["score_at_k"][2]["value"].as_f64().unwrap() < best);
    assert!(
        re["score_at_k"][0]["value"].as_f64().unwrap()
            < re["score_at_k"][2]["value"].as_f64().unwrap()
    );

    // Selection gap: node 2 (0.8590) was better than the selected node 1 (0.8451).
    let gap = percentile("demo-binary", 0.8590) - percentile("demo-binary", 0.8451);
    assert!(close(s["selection"]["mean_gap"].as_f64().unwrap(), gap));
    assert_eq!(s["selection"]["runs"], 1);

    // Cost: the usage files' totals; GPU-hours from the suite's 1 GPU, except the
    // research task, which asks for none.
    let mut cost = 0.0;
    let mut gpu_hours = 0.0;
    for (ti, t) in [
        "demo-binary",
        "demo-multiclass",
        "demo-regression",
        "re-optimize-sum",
    ]
    .iter()
    .enumerate()
    {
        for seed in 0..3 {
            cost += 0.05 + 0.01 * ti as f64 + 0.002 * seed as f64;
            if *t != "re-optimize-sum" {
                gpu_hours += (300.0 + 60.0 * ti as f64 + 7.0 * seed as f64) / 3600.0;
            }
        }
    }
    assert!(close(s["totals"]["cost_usd"].as_f64().unwrap(), cost));
    assert!(close(s["totals"]["gpu_hours"].as_f64().unwrap(), gpu_hours));
    assert_eq!(s["totals"]["medals"], 9);
    assert!(close(
        s["totals"]["cost_usd_per_medal"].as_f64().unwrap(),
        cost / 9.0
    ));

    // Failed attempts by reason.
    let failures = s["failures"].as_array().unwrap();
    let count = |r: &str| {
        failures
            .iter()
            .find(|f| f["reason"] == r)
            .map(|f| f["attempts"].clone())
    };
    assert_eq!(count("exit code 4"), Some(Value::from(1)));
    assert_eq!(count("Evicted"), Some(Value::from(1)));

    // MLE-bench's aggregation over the run's three competitions: all medalled.
    let split = &s["splits"][0];
    assert_eq!(split["name"], "run");
    assert_eq!(split["complete_seeds"], 3);
    assert_eq!(
        split["official"]["metrics"]["any_medal_percentage"]["mean"],
        100.0
    );
}

#[test]
fn the_report_is_written_next_to_the_run() {
    let tmp = store();
    let out = report(tmp.path(), &["base"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let markdown = String::from_utf8(out.stdout).unwrap();
    assert!(markdown.starts_with("# aide-fleet report: `base`"));
    let dir = tmp.path().join("runs/base/report");
    for f in [
        "summary.json",
        "report.md",
        "report.html",
        "runs.csv",
        "runs.parquet",
    ] {
        assert!(dir.join(f).is_file(), "{f}");
    }
    assert_eq!(
        std::fs::read_to_string(dir.join("report.md")).unwrap(),
        markdown
    );
    let csv = std::fs::read_to_string(dir.join("runs.csv")).unwrap();
    assert_eq!(csv.lines().count(), 13);
    assert!(csv.starts_with("run_id,task,seed,seed_index,kind,complexity,state,"));

    let file = std::fs::File::open(dir.join("runs.parquet")).unwrap();
    let df = ParquetReader::new(file).finish().unwrap();
    assert_eq!(df.height(), 12);
    let medals: u32 = df
        .column("any_medal")
        .unwrap()
        .bool()
        .unwrap()
        .iter()
        .filter(|m| *m == Some(true))
        .count() as u32;
    assert_eq!(medals, 9);

    // No pointer unless asked for.
    assert!(!tmp.path().join("reports/latest.json").exists());
}

#[test]
fn formats_go_to_stdout_and_no_publish_writes_nothing() {
    let tmp = store();
    let out = report(tmp.path(), &["base", "--no-publish", "--format", "parquet"]);
    assert!(out.status.success());
    assert_eq!(&out.stdout[..4], b"PAR1");
    let out = report(tmp.path(), &["base", "--no-publish", "--format", "html"]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("<!DOCTYPE html>"));
    let out = report(tmp.path(), &["base", "--no-publish", "--format", "csv"]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("run_id,task,"));
    assert!(!tmp.path().join("runs/base/report").exists());
    // Not even the run-group index it had to rebuild.
    assert!(!tmp.path().join("runs/base/index.json").exists());

    let local = tmp.path().join("out");
    let out = report(
        tmp.path(),
        &["base", "--no-publish", "--out", local.to_str().unwrap()],
    );
    assert!(out.status.success());
    assert!(local.join("report.html").is_file());
}

#[test]
fn a_real_drop_exits_3_and_noise_does_not() {
    let tmp = store();
    let worse = json_report(tmp.path(), &["worse", "--baseline", "base"], 3);
    let c = &worse["comparison"];
    assert_eq!(c["regression"], true);
    assert_eq!(c["baseline_run_id"], "base");
    let medal = c["overall"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "any_medal_percentage")
        .unwrap();
    assert_eq!(medal["delta"], -100.0);
    assert_eq!(medal["significant_drop"], true);
    assert_eq!(worse["states"]["failed"], 1);
    assert!(worse["failures"][0]["reason"] == "OOMKilled");

    let same = json_report(tmp.path(), &["same", "--baseline", "base"], 0);
    assert_eq!(same["comparison"]["regression"], false);
    assert!(
        same["comparison"]["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["significant_drop"] == false)
    );
}

#[test]
fn the_latest_pointer_follows_good_runs_only() {
    let tmp = store();
    let pointer = || -> Value {
        serde_json::from_str(
            &std::fs::read_to_string(tmp.path().join("reports/latest.json")).unwrap(),
        )
        .unwrap()
    };
    // First night: nothing to compare with.
    let out = report(
        tmp.path(),
        &["base", "--baseline", "latest", "--set-latest"],
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no baseline"));
    assert_eq!(pointer()["run_id"], "base");
    assert_eq!(pointer()["report_prefix"], "runs/base/report");

    // A regression: exit 3, the pointer stays on the last good run.
    let out = report(
        tmp.path(),
        &["worse", "--baseline", "latest", "--set-latest"],
    );
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(pointer()["run_id"], "base");

    let out = report(
        tmp.path(),
        &["same", "--baseline", "latest", "--set-latest"],
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(pointer()["run_id"], "same");
    assert_eq!(pointer()["baseline_run_id"], "base");
}

#[test]
fn an_unknown_run_is_bad_input() {
    let tmp = store();
    let out = report(tmp.path(), &["no-such-run"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no run `no-such-run`"));
    let out = report(tmp.path(), &["base", "--baseline", "no-such-run"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn damaged_store_contents_become_warnings_not_failures() {
    let tmp = store();
    let runs = tmp.path().join("runs");
    copy_dir(&runs.join("base"), &runs.join("broken"));
    let seed = runs.join("broken/tasks/demo-binary/seed-0");
    std::fs::write(seed.join("status.json"), "{not json").unwrap();
    std::fs::write(seed.join("grade.json"), "[1, 2").unwrap();
    std::fs::write(seed.join("agent/usage.json"), "\u{0}\u{1}").unwrap();
    std::fs::write(
        runs.join("broken/tasks/demo-regression/seed-1/grade.json"),
        "{\"competition_id\": 3}",
    )
    .unwrap();
    std::fs::write(runs.join("broken/run.yaml"), "tasks: [unclosed").unwrap();
    // A stray directory that is not a seed.
    std::fs::create_dir_all(runs.join("broken/tasks/demo-binary/notes")).unwrap();
    std::fs::write(runs.join("broken/tasks/demo-binary/notes/x.txt"), "hi").unwrap();

    let s = json_report(tmp.path(), &["broken"], 0);
    let warnings: Vec<String> = s["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_owned())
        .collect();
    for needle in [
        "demo-binary/seed-0/status.json",
        "demo-binary/seed-0/grade.json",
        "demo-binary/seed-0/agent/usage.json",
        "demo-regression/seed-1/grade.json",
        "run.yaml",
    ] {
        assert!(
            warnings.iter().any(|w| w.contains(needle)),
            "{needle}: {warnings:#?}"
        );
    }
    // The damaged runs count as ungraded failures; the others are intact.
    let binary = task(&s, "demo-binary");
    assert_eq!(binary["seeds"], 3);
    assert_eq!(binary["graded"], 2);
    assert_eq!(s["states"]["missing"], 1);
}
