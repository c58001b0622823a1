//! `--out` belongs to one search: another tool's run directory (aideml's log directory,
//! here) is refused and left byte for byte as it was, `--force` moves it aside first,
//! and a `--resume` that finds no search leaves nothing behind.

use crate::support;

use std::path::Path;

use support::*;

/// What aideml 0.2.2 leaves in its log directory (names as aideml writes them).
fn aideml_log_dir(out: &Path) -> Vec<(&'static str, &'static str)> {
    let files = vec![
        ("journal.json", r#"{"nodes": [], "node2parent": {}}"#),
        ("best_solution.py", "print('aideml')\n"),
        ("config.yaml", "exp_name: 1-aideml\n"),
        ("tree_plot.html", "<html></html>\n"),
    ];
    std::fs::create_dir_all(out).unwrap();
    for (name, text) in &files {
        std::fs::write(out.join(name), text).unwrap();
    }
    files
}

fn unchanged(dir: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        assert_eq!(
            std::fs::read_to_string(dir.join(name)).unwrap(),
            *text,
            "{name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_tools_run_directory_is_refused_and_left_as_it_was() {
    let llm = ScriptedLlm::start(sample_submitter(0.0)).await;
    let task = Task::tiny();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("logs");
    let files = aideml_log_dir(&out);

    let r = run(agent(&llm.url(), task.path(), &out, &["--steps", "1"])).await;
    r.assert_code(2);
    assert!(
        r.stderr
            .contains("holds files that aide-fleet did not write")
            && r.stderr
                .contains("best_solution.py, config.yaml, journal.json, tree_plot.html")
            && r.stderr.contains("--force"),
        "{}",
        r.stderr
    );
    unchanged(&out, &files);
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), files.len());
    assert!(llm.bodies().is_empty(), "nothing was asked of the model");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn force_moves_them_aside_and_the_search_starts() {
    let llm = ScriptedLlm::start(sample_submitter(0.0)).await;
    let task = Task::tiny();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("logs");
    let files = aideml_log_dir(&out);

    let r = run(agent(
        &llm.url(),
        task.path(),
        &out,
        &["--steps", "1", "--force"],
    ))
    .await;
    r.assert_success();
    assert!(r.stderr.contains("--force: moved"), "{}", r.stderr);
    let aside: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("logs.aside-")
        })
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
    unchanged(&aside[0], &files);
    assert!(out.join("run.json").is_file());
    assert_eq!(nodes(&out).len(), 1);
    assert_ne!(
        std::fs::read_to_string(out.join("best_solution.py"))
            .ok()
            .as_deref(),
        Some("print('aideml')\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_that_finds_no_search_leaves_nothing_behind() {
    let llm = ScriptedLlm::start(sample_submitter(0.0)).await;
    let task = Task::tiny();
    let tmp = tempfile::tempdir().unwrap();

    let missing = tmp.path().join("never-made");
    let r = run(agent(&llm.url(), task.path(), &missing, &["--resume"])).await;
    r.assert_code(2);
    assert!(r.stderr.contains("no search to resume"), "{}", r.stderr);
    assert!(
        !missing.exists(),
        "a refused resume made {}",
        missing.display()
    );

    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    run(agent(&llm.url(), task.path(), &empty, &["--resume"]))
        .await
        .assert_code(2);
    assert_eq!(
        std::fs::read_dir(&empty).unwrap().count(),
        0,
        "no nodes/ left"
    );

    let foreign = tmp.path().join("aideml");
    let files = aideml_log_dir(&foreign);
    run(agent(&llm.url(), task.path(), &foreign, &["--resume"]))
        .await
        .assert_code(2);
    unchanged(&foreign, &files);
    assert_eq!(std::fs::read_dir(&foreign).unwrap().count(), files.len());
}
