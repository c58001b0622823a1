//! benchmarks/demo/: every demo task has a task.yaml that agrees with its data, and task.yaml
//! errors are located.

use std::path::{Path, PathBuf};

use aide_fleet::bench::demo::{DemoCatalog, DemoTaskFile};
use aide_fleet::bench::{Benchmark, Grader, TaskKind};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("benchmarks/demo")
}

fn header(path: &Path) -> Vec<String> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect()
}

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
        .map(|r| r.unwrap()[column].parse().unwrap())
        .collect()
}

#[test]
fn demo_tasks_load() {
    let catalog = DemoCatalog::load(&dir()).unwrap();
    let ids: Vec<&str> = catalog.tasks().iter().map(DemoTaskFile::id).collect();
    assert_eq!(
        ids,
        [
            "demo-binary",
            "demo-multiclass",
            "demo-regression",
            "re-optimize-sum"
        ]
    );
}

#[test]
fn competition_demos_agree_with_their_data() {
    let catalog = DemoCatalog::load(&dir()).unwrap();
    for id in ["demo-binary", "demo-multiclass", "demo-regression"] {
        let task = catalog.task(id).unwrap();
        assert_eq!(task.benchmark, Benchmark::Demo);
        let c = task.competition().unwrap();
        c.check_ready().unwrap();
        assert_eq!(c.grader, Grader::Native);
        assert_eq!(c.public_dir, dir().join(id).join("prepared/public"));
        let columns = c.columns.as_ref().unwrap();
        let expected: Vec<String> = std::iter::once(columns.id.clone())
            .chain(columns.targets.iter().cloned())
            .collect();
        assert_eq!(header(&c.sample_submission), expected, "{id}");
        assert_eq!(header(&c.answers), expected, "{id}");
        let board = scores(c.leaderboard.as_ref().unwrap());
        assert_eq!(board[0] < board[board.len() - 1], c.lower_is_better, "{id}");
    }
}

#[test]
fn research_demo_points_at_its_files() {
    let task = DemoCatalog::load(&dir())
        .unwrap()
        .task("re-optimize-sum")
        .unwrap();
    let TaskKind::Research(r) = &task.kind else {
        panic!("expected a research task, got {task:?}")
    };
    let task_dir = r.dir.as_ref().unwrap();
    assert_eq!(task_dir, &dir().join("re-optimize-sum"));
    assert!(task_dir.join("score.py").is_file());
    let public = r.public_dir.as_ref().unwrap();
    assert!(public.join("solution.py").is_file() && public.join("description.md").is_file());
    assert!(
        !public.join("score.py").exists(),
        "the scorer must stay hidden"
    );
    assert!(r.scoring.score_command.contains("{task_dir}/score.py"));
    assert!(r.scoring.lower_is_better);
    assert_eq!(r.image, None);
}

/// A copy of one demo task's task.yaml, edited, in a directory named `dir_name`.
fn task_error(source_id: &str, dir_name: &str, edit: impl Fn(&str) -> String) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let task_dir = tmp.path().join(dir_name);
    std::fs::create_dir_all(&task_dir).unwrap();
    let text = std::fs::read_to_string(dir().join(source_id).join("task.yaml")).unwrap();
    let path = task_dir.join("task.yaml");
    std::fs::write(&path, edit(&text)).unwrap();
    DemoTaskFile::load(&path)
        .unwrap_err()
        .to_string()
        .replace(&path.display().to_string(), "task.yaml")
}

#[test]
fn task_file_errors_are_located() {
    let line = |id: &str, needle: &str| {
        std::fs::read_to_string(dir().join(id).join("task.yaml"))
            .unwrap()
            .lines()
            .position(|l| l.starts_with(needle))
            .unwrap()
            + 1
    };
    let kind = line("demo-binary", "kind:");
    assert_eq!(
        task_error("demo-binary", "demo-binary", |t| t
            .replace("kind: mle", "kind: kaggle")),
        format!("task.yaml:{kind}:7: `kind`: unknown value `kaggle`; expected one of: mle, re")
    );
    let answers = line("demo-binary", "answers:");
    assert_eq!(
        task_error("demo-binary", "demo-binary", |t| t.replace(
            "prepared/private/answers.csv",
            "prepared/public/answers.csv"
        )),
        format!(
            "task.yaml:{answers}:10: `answers`: must be a relative path under `prepared/private`"
        )
    );
    let id = line("demo-binary", "id:");
    assert_eq!(
        task_error("demo-binary", "copied-task", str::to_owned),
        format!("task.yaml:{id}:5: `id` is `demo-binary` but the task directory is `copied-task`")
    );
    let metric = line("re-optimize-sum", "scoring:");
    assert_eq!(
        task_error("re-optimize-sum", "re-optimize-sum", |t| t
            .replace("scoring:", "metric: rmse\nscoring:")),
        format!(
            "task.yaml:{metric}:1: unknown field `metric`; expected one of: id, kind, name, public_dir, time_limit, resources, scoring"
        )
    );
    let start = line("re-optimize-sum", "  starting_score:");
    assert_eq!(
        task_error("re-optimize-sum", "re-optimize-sum", |t| t
            .replace("lower_is_better: true", "lower_is_better: false")),
        format!(
            "task.yaml:{}:20: `scoring.reference_score`: must be higher than `starting_score` (6.8) because `lower_is_better` is false",
            start + 1
        )
    );
}

#[test]
fn task_directory_without_task_yaml_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("half-added")).unwrap();
    assert_eq!(
        DemoCatalog::load(tmp.path()).unwrap_err().to_string(),
        format!(
            "{}: not found; expected a task.yaml describing the demo task (see docs/suite.md)",
            tmp.path().join("half-added/task.yaml").display()
        )
    );
}
