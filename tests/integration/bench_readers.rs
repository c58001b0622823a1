//! Readers of MLE-bench's on-disk layouts, on the fixture tree under tests/data/bench/: a
//! prepared data root (`<root>/<id>/prepared/{public,private}`) and a registry checkout
//! (`mlebench/competitions/<id>/{config.yaml,description.md,leaderboard.csv}`).

use std::path::{Path, PathBuf};

use aide_fleet::bench::mlebench::{
    CompetitionType, MleBenchCatalog, PreparedRoot, PrizePosition, Registry,
};
use aide_fleet::bench::{BenchError, Benchmark, Grader, TaskKind};
use aide_fleet::grade::MetricKind;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/bench")
        .join(rel)
}

fn catalog() -> MleBenchCatalog {
    MleBenchCatalog::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("benchmarks/mle-bench"))
        .unwrap()
}

#[test]
fn prepared_root_lists_competitions_with_both_directories() {
    let root = PreparedRoot::new(fixture("prepared"));
    assert_eq!(
        root.prepared_ids().unwrap(),
        ["random-acts-of-pizza", "spaceship-titanic"]
    );
    assert_eq!(
        root.public_dir("spaceship-titanic"),
        fixture("prepared/spaceship-titanic/prepared/public")
    );
    assert_eq!(
        root.private_dir("spaceship-titanic"),
        fixture("prepared/spaceship-titanic/prepared/private")
    );
}

#[test]
fn prepared_competition_resolves_to_a_ready_task() {
    let root = PreparedRoot::new(fixture("prepared"));
    let task = catalog().task("spaceship-titanic", &root).unwrap();
    assert_eq!(task.id, "spaceship-titanic");
    assert_eq!(task.benchmark, Benchmark::MleBench);
    let TaskKind::Competition(c) = &task.kind else {
        panic!("expected a competition, got {task:?}")
    };
    assert_eq!(
        c.answers,
        fixture("prepared/spaceship-titanic/prepared/private/test.csv")
    );
    assert_eq!(
        c.sample_submission,
        fixture("prepared/spaceship-titanic/prepared/public/sample_submission.csv")
    );
    assert_eq!(c.metric, MetricKind::Accuracy);
    assert!(!c.lower_is_better);
    assert_eq!(c.grader, Grader::Native);
    let columns = c.columns.as_ref().unwrap();
    assert_eq!(
        (columns.id.as_str(), columns.targets.as_slice()),
        ("PassengerId", &["Transported".to_owned()][..])
    );
    assert!(
        c.leaderboard
            .as_ref()
            .unwrap()
            .ends_with("benchmarks/mle-bench/leaderboards/spaceship-titanic.csv")
    );
    c.check_ready().unwrap();
}

#[test]
fn half_prepared_competition_names_the_missing_answers() {
    let root = PreparedRoot::new(fixture("prepared"));
    let task = catalog().task("random-acts-of-pizza", &root).unwrap();
    let err = task.competition().unwrap().check_ready().unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: not found; expected the answers file named by the competition's metadata",
            fixture("prepared/random-acts-of-pizza/prepared/private/test.csv").display()
        )
    );
}

#[test]
fn unprepared_competition_names_the_missing_directory() {
    let root = PreparedRoot::new(fixture("prepared"));
    let task = catalog().task("leaf-classification", &root).unwrap();
    let err = task.competition().unwrap().check_ready().unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: not found; expected the public data the agent sees (run `mlebench prepare`)",
            fixture("prepared/leaf-classification/prepared/public").display()
        )
    );
}

#[test]
fn empty_public_directory_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let public = tmp.path().join("spaceship-titanic/prepared/public");
    std::fs::create_dir_all(&public).unwrap();
    let task = catalog()
        .task("spaceship-titanic", &PreparedRoot::new(tmp.path()))
        .unwrap();
    let err = task.competition().unwrap().check_ready().unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: is empty; expected the public data the agent sees (run `mlebench prepare`)",
            public.display()
        )
    );
}

#[test]
fn missing_data_root_is_reported() {
    let err = PreparedRoot::new(fixture("no-such-root"))
        .prepared_ids()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: not found; expected an MLE-bench data directory (<id>/prepared/{{public,private}})",
            fixture("no-such-root").display()
        )
    );
}

#[test]
fn registry_reads_config_description_and_leaderboard() {
    let registry = Registry::open(fixture("registry")).unwrap();
    assert_eq!(
        registry.ids().unwrap(),
        [
            "broken-config",
            "cassava-leaf-disease-classification",
            "random-acts-of-pizza",
            "renamed-competition",
            "spaceship-titanic"
        ]
    );
    let c = registry.competition("spaceship-titanic").unwrap();
    assert_eq!(c.config.id, "spaceship-titanic");
    assert_eq!(c.config.name, "Spaceship Titanic");
    assert_eq!(c.config.competition_type, CompetitionType::Simple);
    assert!(!c.config.awards_medals);
    assert_eq!(c.config.prizes, None);
    assert_eq!(
        c.config.dataset.answers,
        Path::new("spaceship-titanic/prepared/private/test.csv")
    );
    assert_eq!(
        c.config.dataset.sample_submission,
        Path::new("spaceship-titanic/prepared/public/sample_submission.csv")
    );
    assert_eq!(c.config.dataset.gold_submission, None);
    assert_eq!(c.config.grader.name, "accuracy");
    assert_eq!(
        c.config.grader.grade_fn,
        "mlebench.competitions.spaceship-titanic.grade:grade"
    );
    assert_eq!(
        c.description,
        fixture("registry/mlebench/competitions/spaceship-titanic/description.md")
    );
    assert_eq!(
        c.leaderboard,
        fixture("registry/mlebench/competitions/spaceship-titanic/leaderboard.csv")
    );
}

#[test]
fn registry_reads_prizes_with_ranks_and_titles() {
    let registry = Registry::open(fixture("registry")).unwrap();
    let err = registry
        .competition("cassava-leaf-disease-classification")
        .unwrap_err();
    // The fixture has no description.md; the config itself parsed, prizes included.
    assert!(matches!(err, BenchError::Missing { .. }), "{err}");
    let text = std::fs::read_to_string(fixture(
        "registry/mlebench/competitions/cassava-leaf-disease-classification/config.yaml",
    ))
    .unwrap();
    let config: aide_fleet::bench::mlebench::CompetitionConfig =
        serde_saphyr::from_str(&text).unwrap();
    let prizes = config.prizes.unwrap();
    assert_eq!(prizes[0].position, PrizePosition::Rank(1));
    assert!(
        prizes
            .iter()
            .any(|p| p.position == PrizePosition::Title("TPU Star 1".into()))
    );
}

#[test]
fn registry_errors_name_the_file_and_what_was_expected() {
    let registry = Registry::open(fixture("registry")).unwrap();
    let dir = fixture("registry/mlebench/competitions");
    let cases = [
        (
            "cassava-leaf-disease-classification",
            format!(
                "{}: not found; expected the description named by `description` in {}",
                fixture("registry/mlebench/competitions/cassava-leaf-disease-classification/description.md").display(),
                dir.join("cassava-leaf-disease-classification/config.yaml").display()
            ),
        ),
        (
            "random-acts-of-pizza",
            format!(
                "{}: is a Git LFS pointer, not the leaderboard; run `git lfs pull` in the checkout",
                dir.join("random-acts-of-pizza/leaderboard.csv").display()
            ),
        ),
        (
            "renamed-competition",
            format!(
                "{}:1:5: `id` is `spaceship-titanic-v2` but the directory is `renamed-competition`",
                dir.join("renamed-competition/config.yaml").display()
            ),
        ),
        (
            "broken-config",
            format!(
                "{}:4:16: `awards_medals`: expected `true` or `false`, found `sometimes`",
                dir.join("broken-config/config.yaml").display()
            ),
        ),
        (
            "utils",
            format!(
                "{}: not found; expected the competition's config.yaml",
                dir.join("utils/config.yaml").display()
            ),
        ),
        (
            "no-such-competition",
            format!(
                "{}: not found; expected the directory of competition `no-such-competition` in an MLE-bench checkout holding mlebench/competitions/<id>/config.yaml",
                dir.join("no-such-competition").display()
            ),
        ),
    ];
    for (id, expected) in cases {
        assert_eq!(
            registry.competition(id).unwrap_err().to_string(),
            expected,
            "{id}"
        );
    }
}

#[test]
fn registry_root_without_competitions_is_rejected() {
    let err = Registry::open(fixture("prepared")).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: not found; expected an MLE-bench checkout holding mlebench/competitions/<id>/config.yaml",
            fixture("prepared/mlebench/competitions").display()
        )
    );
}
