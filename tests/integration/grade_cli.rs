//! `aide-fleet grade` and `aide-fleet rank`, run as the real binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aide-fleet"));
    cmd.env_remove("AIDE_FLEET_BENCHMARKS");
    cmd
}

fn run(cmd: &mut Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().unwrap();
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/grade")
        .join(rel)
}

const RANK_FIELDS: [&str; 12] = [
    "score",
    "is_lower_better",
    "gold_threshold",
    "silver_threshold",
    "bronze_threshold",
    "median_threshold",
    "gold_medal",
    "silver_medal",
    "bronze_medal",
    "any_medal",
    "above_median",
    "percentile",
];

#[test]
fn rank_json_gives_one_object_per_score_in_field_order() {
    let lb = data("leaderboards/random-acts-of-pizza.csv");
    let (code, out, err) = run(bin()
        .args(["rank", "--leaderboard"])
        .arg(&lb)
        .args(["--score", "0.979081", "--score", "0.6", "--json"]));
    assert_eq!(code, 0, "{err}");
    let arr: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(arr.len(), 2);
    let keys: Vec<usize> = RANK_FIELDS
        .iter()
        .map(|k| out.find(&format!("\"{k}\"")).unwrap())
        .collect();
    assert!(
        keys.windows(2).all(|w| w[0] < w[1]),
        "fields out of order:\n{out}"
    );
    // Rounded to 0.97908 first, which is exactly the gold threshold.
    assert_eq!(arr[0]["score"], 0.97908);
    assert_eq!(arr[0]["gold_medal"], true);
    assert_eq!(arr[1]["above_median"], true);
    assert_eq!(arr[1]["any_medal"], false);
    assert_eq!(arr[1]["median_threshold"], 0.5995950000000001);
}

#[test]
fn rank_by_competition_reads_the_benchmarks_directory() {
    let dir = tempfile::tempdir().unwrap();
    let boards = dir.path().join("mle-bench/leaderboards");
    std::fs::create_dir_all(&boards).unwrap();
    std::fs::copy(
        data("leaderboards/leaf-classification.csv"),
        boards.join("leaf-classification.csv"),
    )
    .unwrap();
    let (code, out, err) = run(bin().env("AIDE_FLEET_BENCHMARKS", dir.path()).args([
        "rank",
        "--competition",
        "leaf-classification",
        "--score",
        "0.01",
        "--json",
    ]));
    assert_eq!(code, 0, "{err}");
    let arr: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(arr[0]["is_lower_better"], true);
    assert_eq!(arr[0]["silver_threshold"], 0.00791);
    assert_eq!(arr[0]["bronze_medal"], true);

    let (code, _, err) = run(bin().env("AIDE_FLEET_BENCHMARKS", dir.path()).args([
        "rank",
        "--competition",
        "no-such-competition",
        "--score",
        "1",
    ]));
    assert_eq!(code, 2);
    assert!(
        err.contains("no leaderboard for competition `no-such-competition`")
            && err.contains("AIDE_FLEET_BENCHMARKS"),
        "{err}"
    );

    let (code, _, err) = run(bin()
        .env("AIDE_FLEET_BENCHMARKS", dir.path().join("absent"))
        .args([
            "rank",
            "--competition",
            "leaf-classification",
            "--score",
            "1",
        ]));
    assert_eq!(code, 2);
    assert!(
        err.contains("benchmarks directory") && err.contains("does not exist"),
        "{err}"
    );
}

#[test]
fn rank_table_shows_thresholds_and_rows() {
    let lb = data("leaderboards/denoising-dirty-documents.csv");
    let (code, out, _) = run(bin()
        .args(["rank", "--leaderboard"])
        .arg(&lb)
        .args(["--score", "0.02", "--score", "0.5"]));
    assert_eq!(code, 0);
    assert!(out.contains("162 teams, lower is better"), "{out}");
    assert!(out.contains("gold 0.01794 (row 10)"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("0.02") && l.contains("silver")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("0.5 ") && l.contains(" no ")),
        "{out}"
    );
}

#[test]
fn rank_input_errors_exit_2() {
    let lb = data("leaderboards/leaf-classification.csv");
    for args in [
        vec!["rank", "--score", "1"],
        vec!["rank", "--competition", "x"],
    ] {
        assert_eq!(run(bin().args(&args)).0, 2, "{args:?}");
    }
    let (code, _, err) = run(bin()
        .args(["rank", "--leaderboard"])
        .arg(&lb)
        .args(["--score", "nan"]));
    assert_eq!(code, 2);
    assert!(err.contains("not a finite number"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("lb.csv");
    std::fs::write(&bad, "score\n0.5\nabc\n").unwrap();
    let (code, _, err) = run(bin()
        .args(["rank", "--leaderboard"])
        .arg(&bad)
        .args(["--score", "1"]));
    assert_eq!(code, 2);
    assert!(
        err.contains("row 2 (line 3)") && err.contains("`abc`"),
        "{err}"
    );
    let (code, out, _) = run(bin()
        .args(["rank", "--leaderboard"])
        .arg(&lb)
        .args(["--score", "-0.5", "--json"]));
    assert_eq!(code, 0);
    assert!(out.contains("\"score\": -0.5"));
}

/// A demo-style task directory: task.yaml in the demo schema (extra keys included).
fn task_dir(metric: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::create_dir_all(p.join("prepared/public")).unwrap();
    std::fs::create_dir_all(p.join("prepared/private")).unwrap();
    std::fs::write(
        p.join("prepared/public/sample_submission.csv"),
        "id,target\n1,0.5\n2,0.5\n3,0.5\n4,0.5\n",
    )
    .unwrap();
    std::fs::write(
        p.join("prepared/private/answers.csv"),
        "id,target\n1,0\n2,1\n3,0\n4,1\n",
    )
    .unwrap();
    std::fs::write(
        p.join("task.yaml"),
        format!(
            "id: toy\nkind: mle\nname: Toy\nmetric: {metric}\nlower_is_better: false\nid_column: id\n\
             target_columns: [target]\nanswers: prepared/private/answers.csv\n\
             sample_submission: prepared/public/sample_submission.csv\nleaderboard: board.csv\n"
        ),
    )
    .unwrap();
    let scores: String = (0..20)
        .map(|i| {
            format!(
                "{},{i},True,2020-01-01,{},True\n",
                1.0 - i as f64 * 0.05,
                1.0 - i as f64 * 0.05
            )
        })
        .collect();
    std::fs::write(
        p.join("board.csv"),
        format!("scoreNullable,teamId,hasTeamName,submissionDate,score,hasScore\n{scores}"),
    )
    .unwrap();
    dir
}

#[test]
fn grade_prints_the_mlebench_report_as_json() {
    let dir = task_dir("roc_auc");
    let sub = dir.path().join("submission.csv");
    std::fs::write(&sub, "id,target\n4,0.9\n3,0.2\n2,0.8\n1,0.1\n").unwrap();
    let (code, out, err) = run(bin()
        .args(["grade", "--task"])
        .arg(dir.path())
        .arg("--submission")
        .arg(&sub)
        .arg("--json"));
    assert_eq!(code, 0, "{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["competition_id"], "toy");
    assert_eq!(r["score"], 1.0);
    assert_eq!(r["gold_medal"], true);
    assert_eq!(r["valid_submission"], true);
    assert_eq!(r["gold_threshold"], 0.95);
    assert!(r.get("reason").is_none());
    assert_eq!(r.as_object().unwrap().len(), 16);

    let (code, out, _) = run(bin()
        .args(["grade", "--task"])
        .arg(dir.path())
        .arg("--submission")
        .arg(&sub));
    assert_eq!(code, 0);
    assert!(
        out.contains("medal            gold") && out.contains("percentile"),
        "{out}"
    );
}

#[test]
fn invalid_or_missing_submissions_still_exit_0_with_a_reason() {
    let dir = task_dir("roc_auc");
    let sub = dir.path().join("submission.csv");
    std::fs::write(&sub, "id,target\n1,0.9\n2,0.2\n3,7\n4,0.1\n").unwrap();
    let (code, out, _) = run(bin()
        .args(["grade", "--task"])
        .arg(dir.path())
        .arg("--submission")
        .arg(&sub)
        .arg("--json"));
    assert_eq!(code, 0);
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["valid_submission"], false);
    assert_eq!(r["score"], Value::Null);
    assert!(
        r["reason"]
            .as_str()
            .unwrap()
            .contains("row 3 (id `3`) holds 7"),
        "{out}"
    );

    let (code, out, _) = run(bin().args(["grade", "--task"]).arg(dir.path()).args([
        "--submission",
        "/nonexistent/sub.csv",
        "--json",
    ]));
    assert_eq!(code, 0);
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["submission_exists"], false);
    assert_eq!(r["submission_path"], "/nonexistent/sub.csv");
}

#[test]
fn grade_without_a_metric_or_directory_exits_2() {
    let dir = task_dir("roc_auc");
    std::fs::remove_file(dir.path().join("task.yaml")).unwrap();
    let sub = dir.path().join("prepared/public/sample_submission.csv");
    let (code, _, err) = run(bin()
        .args(["grade", "--task"])
        .arg(dir.path())
        .arg("--submission")
        .arg(&sub));
    assert_eq!(code, 2);
    assert!(err.contains("pass --metric"), "{err}");
    // An MLE-bench data directory: defaults plus --metric are enough.
    let (code, out, err) = run(bin()
        .args(["grade", "--task"])
        .arg(dir.path())
        .arg("--submission")
        .arg(&sub)
        .args(["--metric", "roc_auc", "--json"]));
    assert_eq!(code, 0, "{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["score"], 0.5);
    assert_eq!(
        r["gold_threshold"],
        Value::Null,
        "no leaderboard.csv in this directory"
    );

    let (code, _, err) = run(bin().args([
        "grade",
        "--task",
        "/nonexistent/task",
        "--submission",
        "x.csv",
    ]));
    assert_eq!(code, 2);
    assert!(err.contains("does not exist"), "{err}");
    let (code, _, err) = run(bin()
        .args(["grade", "--task"])
        .arg(dir.path())
        .arg("--submission")
        .arg(&sub)
        .args(["--metric", "auc"]));
    assert_eq!(code, 2);
    assert!(err.contains("unknown metric `auc`"), "{err}");
}

#[test]
fn help_teaches_what_the_commands_do() {
    let (code, out, _) = run(bin().args(["grade", "--help"]));
    assert_eq!(code, 0);
    for needle in [
        "Examples:",
        "task.yaml",
        "above_median",
        "valid_submission",
        "percentile",
        "--metric",
    ] {
        assert!(out.contains(needle), "grade --help lacks {needle}");
    }
    let (code, out, _) = run(bin().args(["rank", "--help"]));
    assert_eq!(code, 0);
    for needle in [
        "Examples:",
        "n >= 1000",
        "percentile",
        "AIDE_FLEET_BENCHMARKS",
        "--competition",
    ] {
        assert!(out.contains(needle), "rank --help lacks {needle}");
    }
}

#[test]
fn shipped_demo_tasks_grade_from_their_task_yaml() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("benchmarks/demo");
    // Sample-submission scores the demo READMEs state.
    for (id, want) in [
        ("demo-binary", 0.5),
        ("demo-multiclass", 1.09861),
        ("demo-regression", 80.4645),
    ] {
        let dir = root.join(id);
        if !dir.join("task.yaml").is_file() {
            continue;
        }
        let sub = dir.join("prepared/public/sample_submission.csv");
        let (code, out, err) = run(bin()
            .args(["grade", "--task"])
            .arg(&dir)
            .arg("--submission")
            .arg(&sub)
            .arg("--json"));
        assert_eq!(code, 0, "{id}: {err}");
        let r: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(r["competition_id"], id);
        assert_eq!(r["score"], want, "{id}: {out}");
        assert_eq!(r["any_medal"], false, "{id}");
    }
    let re = root.join("re-optimize-sum");
    if re.join("task.yaml").is_file() {
        let (code, _, err) = run(bin()
            .args(["grade", "--task"])
            .arg(&re)
            .args(["--submission", "x.csv"]));
        assert_eq!(code, 2);
        assert!(err.contains("kind: re"), "{err}");
    }
}
