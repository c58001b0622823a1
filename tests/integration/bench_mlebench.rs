//! benchmarks/mle-bench/: splits, per-competition metadata, leaderboards, and the checks the
//! catalog makes when it loads.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use aide_fleet::bench::mlebench::{Complexity, MleBenchCatalog};
use aide_fleet::bench::{BenchError, Grader};
use aide_fleet::grade::MetricKind;

/// MLE-bench's only copy of this leaderboard is a placeholder, so none is shipped.
const NO_LEADERBOARD: &str = "ventilator-pressure-prediction";

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("benchmarks/mle-bench")
}

fn catalog() -> MleBenchCatalog {
    MleBenchCatalog::load(&dir()).unwrap()
}

fn split(name: &str) -> BTreeSet<String> {
    catalog().split(name).unwrap().iter().cloned().collect()
}

/// The `score` column of a leaderboard, in file order.
fn scores(path: &Path) -> Vec<f64> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let column = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "score")
        .unwrap();
    reader
        .records()
        .map(|r| r.unwrap()[column].parse::<f64>().unwrap())
        .collect()
}

#[test]
fn splits_have_mle_bench_sizes() {
    let catalog = catalog();
    for (name, size) in [
        ("low", 22),
        ("medium", 38),
        ("high", 15),
        ("all", 75),
        ("dev", 7),
        ("systemcard", 30),
    ] {
        assert_eq!(
            catalog.split(name).map(<[String]>::len),
            Some(size),
            "{name}"
        );
    }
    let union: BTreeSet<String> = ["low", "medium", "high"]
        .iter()
        .flat_map(|s| split(s))
        .collect();
    assert_eq!(union, split("all"));
    assert!(split("all").is_disjoint(&split("dev")));
}

#[test]
fn every_competition_has_metadata_matching_its_split() {
    let catalog = catalog();
    assert_eq!(catalog.competitions().len(), 82);
    for (name, complexity) in [
        ("low", Complexity::Low),
        ("medium", Complexity::Medium),
        ("high", Complexity::High),
        ("dev", Complexity::Dev),
    ] {
        for id in split(name) {
            let c = catalog
                .competition(&id)
                .unwrap_or_else(|| panic!("no metadata for {id}"));
            assert_eq!(c.split, complexity, "{id}");
            assert!(!c.name.is_empty(), "{id}");
        }
    }
}

#[test]
fn every_competition_in_all_has_a_leaderboard_except_ventilator() {
    let catalog = catalog();
    for id in split("all") {
        let c = catalog.competition(&id).unwrap();
        if id == NO_LEADERBOARD {
            assert_eq!(c.leaderboard_teams, None);
            assert_eq!(catalog.leaderboard_path(&id), None);
            assert!(
                !dir()
                    .join("leaderboards")
                    .join(format!("{id}.csv"))
                    .exists()
            );
            continue;
        }
        let path = catalog
            .leaderboard_path(&id)
            .unwrap_or_else(|| panic!("no leaderboard for {id}"));
        assert_eq!(
            Some(scores(&path).len() as u32),
            c.leaderboard_teams,
            "{id}"
        );
    }
    // 81 leaderboards: the 75 minus ventilator, plus the 7 dev competitions.
    assert_eq!(
        std::fs::read_dir(dir().join("leaderboards"))
            .unwrap()
            .count(),
        81
    );
}

#[test]
fn direction_agrees_with_leaderboard_order() {
    let catalog = catalog();
    let mut checked = 0;
    for c in catalog.competitions() {
        let Some(path) = catalog.leaderboard_path(&c.id) else {
            continue;
        };
        let scores = scores(&path);
        let (first, last) = (scores[0], scores[scores.len() - 1]);
        // MLE-bench's own rule; equal ends say nothing about the direction.
        if first != last {
            assert_eq!(first < last, c.lower_is_better, "{}", c.id);
            checked += 1;
        }
    }
    assert_eq!(checked, 81);
    assert!(catalog.competition(NO_LEADERBOARD).unwrap().lower_is_better);
}

#[test]
fn graders_and_metrics_agree() {
    for c in catalog().competitions() {
        match &c.grader {
            Grader::Native => {
                assert_ne!(c.metric, MetricKind::External, "{}", c.id);
                assert!(c.id_column.is_some(), "{}", c.id);
            }
            Grader::External(argv) => {
                assert_eq!(c.metric, MetricKind::External, "{}", c.id);
                assert!(
                    argv.contains(&c.id) && argv.iter().any(|a| a == "{submission}"),
                    "{}",
                    c.id
                );
            }
        }
        assert!(
            c.answers
                .starts_with(Path::new(&c.id).join("prepared/private")),
            "{}",
            c.id
        );
    }
    let lite_native = split("low")
        .iter()
        .filter(|id| catalog().competition(id).unwrap().grader == Grader::Native)
        .count();
    assert_eq!(lite_native, 22, "every Lite competition is graded natively");
}

/// A copy of benchmarks/mle-bench/ with `edit` applied to competitions.yaml.
fn edited(edit: impl Fn(&str) -> String) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("mle-bench");
    for sub in ["splits", "leaderboards"] {
        std::fs::create_dir_all(root.join(sub)).unwrap();
        for entry in std::fs::read_dir(dir().join(sub)).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), root.join(sub).join(entry.file_name())).unwrap();
        }
    }
    let text = std::fs::read_to_string(dir().join("competitions.yaml")).unwrap();
    std::fs::write(root.join("competitions.yaml"), edit(&text)).unwrap();
    (tmp, root)
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn metadata_errors_are_located() {
    let text = std::fs::read_to_string(dir().join("competitions.yaml")).unwrap();

    let (_tmp, root) = edited(|t| t.replacen("    metric: roc_auc\n", "    metric: auroc\n", 1));
    let line = line_of(&text, "    metric: roc_auc");
    assert_eq!(
        MleBenchCatalog::load(&root).unwrap_err().to_string(),
        format!(
            "{}:{line}:13: `competitions[2].metric`: unknown value `auroc`; expected one of: roc_auc, mean_column_roc_auc, accuracy, log_loss, rmse, rmsle, qwk, mae, f1_binary, f1_macro, f1_micro, map_at_k, mcc, external",
            root.join("competitions.yaml").display()
        )
    );

    let (_tmp, root) = edited(|t| {
        t.replacen(
            "    grader: native\n",
            "    grader: native\n    grade_by: hand\n",
            1,
        )
    });
    let err = MleBenchCatalog::load(&root).unwrap_err().to_string();
    assert!(
        err.ends_with("unknown field `grade_by` in `competitions[2]`; expected one of: id, name, split, metric, metric_k, metric_description, lower_is_better, grader, id_column, target_columns, multilabel, grade_fn, grader_label, answers, sample_submission, gold_submission, leaderboard_teams"),
        "{err}"
    );

    let (_tmp, root) = edited(|t| t.replacen("    id_column: id\n", "", 1));
    let err = MleBenchCatalog::load(&root).unwrap_err().to_string();
    assert!(
        err.ends_with("`competitions[2].id_column`: is required when `grader` is `native`"),
        "{err}"
    );
}

#[test]
fn split_errors_name_the_file_and_line() {
    let (_tmp, root) = edited(str::to_owned);
    std::fs::write(
        root.join("splits/mine.txt"),
        "spaceship-titanic\nspaceship-titanik\n",
    )
    .unwrap();
    assert_eq!(
        MleBenchCatalog::load(&root).unwrap_err().to_string(),
        format!(
            "{}:2: unknown competition `spaceship-titanik`; closest match: `spaceship-titanic`",
            root.join("splits/mine.txt").display()
        )
    );
}

#[test]
fn missing_leaderboard_is_reported() {
    let (_tmp, root) = edited(str::to_owned);
    let board = root.join("leaderboards/spaceship-titanic.csv");
    std::fs::remove_file(&board).unwrap();
    let err = MleBenchCatalog::load(&root).unwrap_err();
    assert!(matches!(err, BenchError::Missing { .. }));
    assert_eq!(
        err.to_string(),
        format!(
            "{}: not found; expected the competition's leaderboard, since `leaderboard_teams` is set",
            board.display()
        )
    );
}
