//! Issue 14: bad input never panics, hangs or launches a plan that cannot run. One test
//! per reproduced case, each run against the real binary: a clear error and exit 2, a
//! warning where a report promises to go on, a quiet exit when stdout is closed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aide-fleet"));
    cmd.env_remove("AIDE_FLEET_BENCHMARKS")
        .env_remove("OPENAI_BASE_URL")
        .env_remove("ANTHROPIC_BASE_URL")
        .stdin(Stdio::null());
    cmd
}

struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
    took: Duration,
}

fn run(cmd: &mut Command) -> Ran {
    let started = Instant::now();
    let out = cmd.output().unwrap();
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        took: started.elapsed(),
    }
}

/// Exit 2 with every `needle` in the error.
fn assert_usage(r: &Ran, needles: &[&str]) {
    assert_eq!(r.code, 2, "stdout: {}\nstderr: {}", r.stdout, r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    for needle in needles {
        assert!(r.stderr.contains(needle), "`{needle}` not in: {}", r.stderr);
    }
}

/// Runs `cmd` with a stdout whose reading end is already closed: every write fails with
/// EPIPE, whatever the timing.
fn with_closed_stdout(cmd: &mut Command) -> Ran {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let started = Instant::now();
    let out = cmd.stdout(writer).stderr(Stdio::piped()).output().unwrap();
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::new(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        took: started.elapsed(),
    }
}

fn assert_quiet(r: &Ran, what: &str) {
    assert_eq!(r.code, 0, "{what}: {}", r.stderr);
    assert!(r.stderr.is_empty(), "{what}: {}", r.stderr);
}

/// A scratch benchmarks directory: the demo tasks and RE-Bench manifests, to edit.
fn benchmarks() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for part in ["demo", "re-bench"] {
        copy_dir(
            &repo().join("benchmarks").join(part),
            &tmp.path().join(part),
        );
    }
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

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{}: no `{from}`", path.display());
    std::fs::write(path, text.replace(from, to)).unwrap();
}

const DEMO_SUITE: &str = "name: s\nbenchmark: demo\ntasks: [demo-binary]\nseeds: 1\n";

/// `run SUITE --dry-run` with `suite` written beside `benchmarks`.
fn dry_run(benchmarks: &Path, suite: &str, extra: &[&str]) -> Ran {
    let path = benchmarks.join("suite.yaml");
    std::fs::write(&path, suite).unwrap();
    run(bin()
        .arg("run")
        .arg(&path)
        .arg("--benchmarks")
        .arg(benchmarks)
        .arg("--store")
        .arg(benchmarks.join("store"))
        .args(["--run-id", "r1", "--dry-run"])
        .args(extra))
}

/// A status.json of a pending run of `task`, seed 0 of run r1.
fn status(task: &str) -> String {
    json!({
        "run_id": "r1", "task": task, "seed": 0, "state": "pending", "attempts": [],
        "step": null, "steps": null, "best_metric": null, "elapsed_s": null,
        "cost_usd": null, "updated_at": "2026-01-01T00:00:00Z"
    })
    .to_string()
}

// ---- Panics: closed stdout -------------------------------------------------------------

#[test]
fn bad_input_closed_stdout_ends_every_printing_command_quietly() {
    let lb = repo().join("benchmarks/demo/demo-binary/leaderboard.csv");
    let r = with_closed_stdout(
        bin()
            .args(["rank", "--leaderboard"])
            .arg(&lb)
            .args(["--score", "0.5", "--json"]),
    );
    assert_quiet(&r, "rank --json");
    let r = with_closed_stdout(
        bin()
            .args(["rank", "--leaderboard"])
            .arg(&lb)
            .args(["--score", "0.5"]),
    );
    assert_quiet(&r, "rank");

    let task = repo().join("benchmarks/demo/demo-binary");
    let sample = task.join("prepared/public/sample_submission.csv");
    for json in [true, false] {
        let mut cmd = bin();
        cmd.args(["grade", "--task"])
            .arg(&task)
            .arg("--submission")
            .arg(&sample);
        if json {
            cmd.arg("--json");
        }
        assert_quiet(&with_closed_stdout(&mut cmd), "grade");
    }

    let b = benchmarks();
    let suite = b.path().join("suite.yaml");
    std::fs::write(&suite, DEMO_SUITE).unwrap();
    let r = with_closed_stdout(
        bin()
            .arg("run")
            .arg(&suite)
            .arg("--benchmarks")
            .arg(b.path())
            .args(["--run-id", "r1", "--dry-run"]),
    );
    assert_quiet(&r, "run --dry-run");

    let store = tempfile::tempdir().unwrap();
    let seed = store.path().join("runs/r1/tasks/t/seed-0");
    std::fs::create_dir_all(&seed).unwrap();
    std::fs::write(seed.join("status.json"), status("t")).unwrap();
    for json in [true, false] {
        let mut cmd = bin();
        cmd.args(["status", "r1", "--store"]).arg(store.path());
        if json {
            cmd.arg("--json");
        }
        let r = with_closed_stdout(&mut cmd);
        assert_quiet(&r, "status");
    }

    let case = repo().join("tests/data/report/mlebench/complete-seeds");
    let r = with_closed_stdout(
        bin()
            .current_dir(&case)
            .args(["report", "--grading-reports", "reports/run-1.json"])
            .args(["reports/run-2.json", "--split", "split.txt"]),
    );
    assert_quiet(&r, "report --grading-reports");

    let r = with_closed_stdout(bin().args(["agent", "--print-config"]));
    assert_quiet(&r, "agent --print-config");
}

// ---- Panics: huge durations ------------------------------------------------------------

#[test]
fn bad_input_huge_duration_flags_are_refused_by_the_agent() {
    let out = tempfile::tempdir().unwrap();
    for (flag, value) in [
        ("--kill-grace", "1e20"),
        ("--exec-timeout", "1e20"),
        ("--time-limit", "18446744073709551615"),
        ("--exec-timeout", "inf"),
        ("--kill-grace", "400days"),
    ] {
        let r = run(bin()
            .args(["agent", "--task-dir", "."])
            .arg("--out")
            .arg(out.path())
            .args([flag, value, "--print-config"]));
        assert_usage(&r, &[flag, "366 days"]);
    }
    let r = run(bin()
        .args(["agent", "--task-dir", ".", "--store"])
        .arg(out.path().join("store"))
        .arg("--out")
        .arg(out.path().join("out"))
        .args(["--store-wait", "1e300"]));
    assert_usage(&r, &["--store-wait", "366 days"]);
}

/// A run directory holding `run.json` (with `config` as the saved settings) and the node
/// records given, for `--resume`.
fn run_dir(config: Value, nodes: &[Value]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("nodes")).unwrap();
    let meta = json!({
        "format_version": 1,
        "task_dir": dir.path().join("no-such-task"),
        "config": config,
    });
    std::fs::write(dir.path().join("run.json"), meta.to_string()).unwrap();
    for (step, node) in nodes.iter().enumerate() {
        std::fs::write(
            dir.path().join(format!("nodes/{step:05}.json")),
            node.to_string(),
        )
        .unwrap();
    }
    dir
}

fn resume(dir: &Path) -> Ran {
    run(bin()
        .arg("agent")
        .arg("--out")
        .arg(dir)
        .args(["--resume", "--no-progress"])
        .env("OPENAI_BASE_URL", "http://127.0.0.1:9/v1"))
}

#[test]
fn bad_input_huge_durations_in_run_json_are_refused_on_resume() {
    for (config, field) in [
        (json!({"exec": {"grace_s": 1e300}}), "exec.grace_s"),
        (json!({"exec": {"timeout_s": 1e20}}), "exec.timeout_s"),
        (
            json!({"budget": {"time_limit_s": -5.0}}),
            "budget.time_limit_s",
        ),
        (
            json!({"llm": {"retry": {"max_total_ms": u64::MAX}}}),
            "llm.retry.max_total_ms",
        ),
    ] {
        let dir = run_dir(config, &[]);
        assert_usage(&resume(dir.path()), &[field]);
    }
}

#[test]
fn bad_input_bad_llm_settings_in_run_json_exit_2_not_4() {
    let dir = run_dir(json!({"llm": {"request_timeout_s": 1e300}}), &[]);
    assert_usage(&resume(dir.path()), &["llm.request_timeout_s"]);
}

#[test]
fn bad_input_a_huge_exec_timeout_in_a_suite_is_refused_where_it_is_read() {
    let b = benchmarks();
    for value in ["18446744073709551615", "1e300", "'400 days'"] {
        let suite = format!("{DEMO_SUITE}agent:\n  exec_timeout: {value}\n");
        let r = dry_run(b.path(), &suite, &[]);
        assert_usage(&r, &["suite.yaml:6", "exec_timeout", "366 days"]);
    }
    // At the maximum the plan is accepted, and the agent accepts it.
    let r = dry_run(
        b.path(),
        &format!("{DEMO_SUITE}agent:\n  exec_timeout: 366days\n"),
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("--exec-timeout 31622400"), "{}", r.stdout);
}

// ---- Hang: a million columns -----------------------------------------------------------

fn wide_csv(dir: &Path, columns: usize) -> PathBuf {
    let path = dir.join(format!("wide-{columns}.csv"));
    let header: Vec<String> = (0..columns).map(|i| format!("c{i}")).collect();
    std::fs::write(&path, header.join(",") + "\n").unwrap();
    path
}

#[test]
fn bad_input_a_million_columns_are_refused_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let wide = wide_csv(tmp.path(), 1_000_000);
    let r = run(bin()
        .args(["rank", "--leaderboard"])
        .arg(&wide)
        .args(["--score", "0.5"]));
    assert_usage(&r, &["1000000 columns", "at most 10000"]);
    assert!(r.took < Duration::from_secs(20), "{:?}", r.took);

    let task = repo().join("benchmarks/demo/demo-binary");
    let r = run(bin()
        .args(["grade", "--json", "--task"])
        .arg(&task)
        .arg("--submission")
        .arg(&wide));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let report: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(report["valid_submission"], false);
    assert!(
        report["reason"]
            .as_str()
            .unwrap()
            .contains("1000000 columns"),
        "{report}"
    );
    assert!(r.took < Duration::from_secs(20), "{:?}", r.took);
}

#[test]
fn bad_input_wide_tables_under_the_limit_are_checked_in_linear_time() {
    // 10,000 distinct columns, then the sample's: the quadratic check compared 5e7 pairs
    // per file; a linear one reads this in milliseconds.
    let tmp = tempfile::tempdir().unwrap();
    let mut header: Vec<String> = (0..9_998).map(|i| format!("c{i}")).collect();
    header.extend(["id".to_owned(), "target".to_owned()]);
    let sub = tmp.path().join("submission.csv");
    std::fs::write(&sub, header.join(",") + "\n").unwrap();
    let sample = tmp.path().join("sample.csv");
    std::fs::write(&sample, "id,target\n").unwrap();
    let started = Instant::now();
    let err = aide_fleet::grade::validate_against_sample(&sub, &sample).unwrap_err();
    assert!(err.to_string().contains("unexpected `c0`"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
    let one_more = wide_csv(tmp.path(), aide_fleet::grade::MAX_COLUMNS + 1);
    let err = aide_fleet::grade::validate_against_sample(&one_more, &sample).unwrap_err();
    assert!(err.to_string().contains("at most 10000"), "{err}");
}

#[test]
fn bad_input_the_agents_submission_check_has_a_time_budget() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = tmp.path().join("sample.csv");
    std::fs::write(&sample, "id,target\n1,0\n").unwrap();
    let sub = tmp.path().join("submission.csv");
    let rows: String = (0..20_000).map(|i| format!("{i},0\n")).collect();
    std::fs::write(&sub, format!("id,target\n{rows}")).unwrap();
    let err = aide_fleet::grade::validate_against_sample_within(&sub, &sample, Duration::ZERO)
        .unwrap_err();
    assert!(err.to_string().contains("within 0s"), "{err}");
    // With the real budget the same file is checked (and is wrong: too many rows).
    let err = aide_fleet::grade::validate_against_sample(&sub, &sample).unwrap_err();
    assert!(err.to_string().contains("20000 rows"), "{err}");
}

#[test]
fn bad_input_a_huge_cell_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("board.csv");
    let cell = "9".repeat(aide_fleet::grade::MAX_CELL_BYTES + 1);
    std::fs::write(&path, format!("teamName,score\na,{cell}\n")).unwrap();
    let r = run(bin()
        .args(["rank", "--leaderboard"])
        .arg(&path)
        .args(["--score", "0.5"]));
    assert_usage(&r, &["data row 1, column 2", "at most 16777216 bytes"]);
}

// ---- Aborts: seeds ---------------------------------------------------------------------

#[test]
fn bad_input_billions_of_seeds_are_refused_in_suites_and_flags() {
    let b = benchmarks();
    let suite = DEMO_SUITE.replace("seeds: 1", "seeds: 4294967295");
    let r = dry_run(b.path(), &suite, &[]);
    assert_usage(&r, &["suite.yaml:4", "at most 1000 seeds"]);
    for flag in ["4294967295", "1001"] {
        let r = dry_run(b.path(), DEMO_SUITE, &["--seeds", flag]);
        assert_usage(&r, &["--seeds", "at most 1000 seeds"]);
    }
    let r = dry_run(b.path(), DEMO_SUITE, &["--seeds", "3,3"]);
    assert_usage(&r, &["--seeds", "seed 3 is listed twice"]);
    let r = dry_run(b.path(), DEMO_SUITE, &["--seeds", "1000"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// A store with one run whose run.yaml is `run_yaml` and one graded demo-binary seed.
fn store_with_run_yaml(run_yaml: &str) -> tempfile::TempDir {
    let store = tempfile::tempdir().unwrap();
    let run = store.path().join("runs/r1");
    let seed = run.join("tasks/demo-binary/seed-0");
    std::fs::create_dir_all(&seed).unwrap();
    std::fs::write(run.join("run.yaml"), run_yaml).unwrap();
    std::fs::write(seed.join("status.json"), status("demo-binary")).unwrap();
    store
}

fn report_warnings(store: &Path) -> (Value, Vec<String>) {
    let r = run(bin()
        .args([
            "report",
            "r1",
            "--no-publish",
            "--format",
            "json",
            "--store",
        ])
        .arg(store)
        .arg("--benchmarks")
        .arg(repo().join("benchmarks")));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let summary: Value = serde_json::from_str(&r.stdout).unwrap();
    let warnings = summary["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_owned())
        .collect();
    (summary, warnings)
}

#[test]
fn bad_input_billions_of_seeds_in_run_yaml_are_a_report_warning() {
    let store = store_with_run_yaml(
        "name: s\nbenchmark: demo\ntasks: [demo-binary, demo-regression]\nseeds: 4294967295\n",
    );
    let (summary, warnings) = report_warnings(store.path());
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("run.yaml") && w.contains("seeds")),
        "{warnings:?}"
    );
    // The rest of run.yaml is still read: the suite's name.
    assert_eq!(summary["suite"], "s", "{summary}");
}

#[test]
fn bad_input_task_ids_that_cannot_name_a_key_are_a_report_warning() {
    let long = "t".repeat(256);
    let store = store_with_run_yaml(&format!(
        "name: s\nbenchmark: demo\ntasks: ['', '../x', '{long}', demo-binary]\nseeds: 1\n"
    ));
    let (_, warnings) = report_warnings(store.path());
    for needle in ["tasks[0]", "tasks[1]", "tasks[2]"] {
        assert!(
            warnings
                .iter()
                .any(|w| w.contains(needle) && w.contains("ignored")),
            "{needle}: {warnings:?}"
        );
    }
}

// ---- Accepted, then every run fails or the grade is wrong ------------------------------

#[test]
fn bad_input_debug_prob_minus_zero_reaches_the_agent_as_zero() {
    let b = benchmarks();
    let r = dry_run(
        b.path(),
        &format!("{DEMO_SUITE}agent:\n  debug_prob: -0.0\n"),
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("--debug-prob 0"), "{}", r.stdout);
    assert!(!r.stdout.contains("--debug-prob -0"), "{}", r.stdout);
    // Every planned command line is one the agent's parser accepts.
    let line = r.stdout.lines().find(|l| l.contains("--seed")).unwrap();
    let args: Vec<String> = line
        .split(' ')
        .skip_while(|a| *a != "--seed")
        .map(str::to_owned)
        .collect();
    aide_fleet::cli::check_agent_args(&args).unwrap();
    assert!(
        aide_fleet::cli::check_agent_args(&["--debug-prob".into(), "-0".into()]).is_err(),
        "the agent refuses `-0`: the suite must not write it"
    );
}

#[test]
fn bad_input_a_model_name_the_agent_would_read_as_a_flag_is_refused() {
    let b = benchmarks();
    let r = dry_run(
        b.path(),
        &format!("{DEMO_SUITE}agent:\n  model: --help\n"),
        &[],
    );
    assert_usage(&r, &["agent.model", "must not start with `-`"]);
}

#[test]
fn bad_input_zero_time_limits_and_score_timeouts_in_manifests_are_refused() {
    let b = benchmarks();
    let re_suite = "name: s\nbenchmark: demo\ntasks: [re-optimize-sum]\n";
    let task = b.path().join("demo/re-optimize-sum/task.yaml");
    edit(&task, "time_limit: 15m", "time_limit: 0");
    assert_usage(
        &dry_run(b.path(), re_suite, &[]),
        &["task.yaml:6", "time_limit", "longer than 0s"],
    );
    edit(&task, "time_limit: 0", "time_limit: 15m");
    edit(&task, "score_timeout: 2m", "score_timeout: 0s");
    assert_usage(
        &dry_run(b.path(), re_suite, &[]),
        &["scoring.score_timeout", "longer than 0s"],
    );

    let manifest = b.path().join("re-bench/triton-cumsum.yaml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("time_limit:"))
        .unwrap()
        .to_owned();
    edit(&manifest, &line, "time_limit: 0");
    let r = dry_run(
        b.path(),
        "name: s\nbenchmark: re-bench\ntasks: [triton-cumsum]\n",
        &["--executor", "kube"],
    );
    assert_usage(&r, &["triton-cumsum.yaml", "time_limit", "longer than 0s"]);
}

#[test]
fn bad_input_an_empty_leaderboard_path_is_refused() {
    let b = benchmarks();
    edit(
        &b.path().join("demo/demo-binary/task.yaml"),
        "leaderboard: leaderboard.csv",
        "leaderboard: ''",
    );
    assert_usage(
        &dry_run(b.path(), DEMO_SUITE, &[]),
        &["leaderboard", "a file inside the task directory"],
    );
}

#[test]
fn bad_input_the_id_column_as_a_target_is_refused() {
    let b = benchmarks();
    let task_yaml = b.path().join("demo/demo-binary/task.yaml");
    edit(
        &task_yaml,
        "target_columns: [target]",
        "target_columns: [id]",
    );
    assert_usage(
        &dry_run(b.path(), DEMO_SUITE, &[]),
        &["target_columns", "id column `id`"],
    );
    // `grade --task` reads the same task.yaml.
    let r = run(bin()
        .args(["grade", "--task"])
        .arg(b.path().join("demo/demo-binary"))
        .arg("--submission")
        .arg(
            b.path()
                .join("demo/demo-binary/prepared/public/sample_submission.csv"),
        ));
    assert_usage(&r, &["target_columns", "id column `id`"]);
}

#[test]
fn bad_input_a_public_dir_that_is_the_whole_task_is_refused() {
    let b = benchmarks();
    let task = b.path().join("demo/re-optimize-sum/task.yaml");
    let re_suite = "name: s\nbenchmark: demo\ntasks: [re-optimize-sum]\n";
    for value in ["''", "'.'", "./.", "../re-optimize-sum"] {
        let text = std::fs::read_to_string(&task).unwrap();
        let line = text
            .lines()
            .find(|l| l.starts_with("public_dir:"))
            .unwrap()
            .to_owned();
        edit(&task, &line, &format!("public_dir: {value}"));
        assert_usage(&dry_run(b.path(), re_suite, &[]), &["public_dir"]);
    }
}

#[test]
fn bad_input_grade_keeps_task_yaml_paths_inside_the_task() {
    let b = benchmarks();
    let dir = b.path().join("demo/demo-binary");
    let submission = dir.join("prepared/public/sample_submission.csv");
    for (from, to) in [
        (
            "answers: prepared/private/answers.csv",
            "answers: ../../../etc/passwd",
        ),
        (
            "answers: prepared/private/answers.csv",
            "answers: /etc/passwd",
        ),
        ("leaderboard: leaderboard.csv", "leaderboard: ''"),
    ] {
        let task_yaml = dir.join("task.yaml");
        let original = std::fs::read_to_string(&task_yaml).unwrap();
        edit(&task_yaml, from, to);
        let r = run(bin()
            .args(["grade", "--task"])
            .arg(&dir)
            .arg("--submission")
            .arg(&submission));
        assert_usage(&r, &["task.yaml", "inside the task directory"]);
        std::fs::write(&task_yaml, original).unwrap();
    }
}

// ---- Node records on resume ------------------------------------------------------------

fn node(step: usize) -> Value {
    json!({
        "id": format!("{step:032x}"),
        "step": step,
        "parent_step": null,
        "stage": "draft",
        "debug_depth": 0,
        "ctime": 1.7e9,
        "plan": "plan",
        "code": "print(1)",
        "term_out": [],
        "exec_time": 0.5,
        "exc_type": null,
        "exc_info": null,
        "exc_stack": null,
        "analysis": "fine",
        "metric": 0.5,
        "reviewer_lower_is_better": false,
        "is_buggy": false,
        "bug_reasons": [],
        "has_submission": false,
        "usage": {
            "code": {"input_tokens": 1, "output_tokens": 1},
            "feedback": {"input_tokens": 1, "output_tokens": 1},
            "cost_usd": 0.01,
            "unpriced_calls": 0
        },
        "timing": {"llm_s": 0.1, "exec_s": 0.5, "check_s": 0.0, "total_s": 0.7},
        "search_elapsed_s": 10.0 * (step as f64 + 1.0)
    })
}

fn with(mut node: Value, field: &str, value: Value) -> Value {
    let mut target = &mut node;
    let parts: Vec<&str> = field.split('.').collect();
    for part in &parts[..parts.len() - 1] {
        target = &mut target[*part];
    }
    target[parts[parts.len() - 1]] = value;
    node
}

#[test]
fn bad_input_records_that_contradict_themselves_are_refused_on_resume() {
    let buggy = with(
        with(node(1), "is_buggy", json!(true)),
        "bug_reasons",
        json!([{"kind": "exception", "detail": "boom"}]),
    );
    let cases = [
        (
            vec![node(0), with(node(1), "search_elapsed_s", json!(-1e6))],
            "00001.json",
            "search_elapsed_s",
        ),
        (
            vec![node(0), with(node(1), "search_elapsed_s", json!(5.0))],
            "00001.json",
            "search_elapsed_s",
        ),
        (
            vec![with(node(0), "usage.cost_usd", json!(-100.0))],
            "00000.json",
            "usage.cost_usd",
        ),
        (
            vec![with(node(0), "has_submission", json!(true))],
            "00000.json",
            "has_submission",
        ),
        (vec![node(0), buggy.clone()], "00001.json", "metric"),
        (
            vec![node(0), with(buggy, "bug_reasons", json!([]))],
            "00001.json",
            "bug_reasons",
        ),
        (
            vec![node(0), with(node(1), "parent_step", json!(5))],
            "00001.json",
            "parent_step",
        ),
        (
            vec![node(0), with(node(1), "id", node(0)["id"].clone())],
            "00001.json",
            "id",
        ),
    ];
    for (nodes, file, field) in cases {
        let dir = run_dir(json!({}), &nodes);
        let r = resume(dir.path());
        assert_usage(&r, &[file, &format!("field `{field}`")]);
    }
}

#[test]
fn bad_input_corrupt_records_and_unknown_formats_exit_2_on_resume() {
    let dir = run_dir(json!({}), &[node(0)]);
    std::fs::write(dir.path().join("nodes/00001.json"), "{\"step\": 1, ").unwrap();
    assert_usage(&resume(dir.path()), &["00001.json", "not a valid record"]);

    let dir = run_dir(json!({}), &[]);
    let meta = dir.path().join("run.json");
    edit(&meta, "\"format_version\":1", "\"format_version\":99");
    assert_usage(&resume(dir.path()), &["run.json", "format_version", "99"]);

    // The control: records that fit get past loading (to the missing task directory).
    let dir = run_dir(json!({}), &[node(0), node(1)]);
    let r = resume(dir.path());
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("no-such-task"), "{}", r.stderr);
    assert!(!r.stderr.contains("field `"), "{}", r.stderr);
}

// ---- Exit codes ------------------------------------------------------------------------

#[test]
fn bad_input_a_corrupt_status_json_exits_2() {
    let store = tempfile::tempdir().unwrap();
    let seed = store.path().join("runs/r1/tasks/t/seed-0");
    std::fs::create_dir_all(&seed).unwrap();
    std::fs::write(seed.join("status.json"), "{not json").unwrap();
    let r = run(bin().args(["status", "r1", "--store"]).arg(store.path()));
    assert_usage(&r, &["runs/r1/tasks/t/seed-0/status.json"]);
}

#[test]
fn bad_input_run_ids_that_are_not_one_key_segment_exit_2() {
    let store = tempfile::tempdir().unwrap();
    let b = benchmarks();
    for id in ["..", "a/../b", "a//b", "", "x/y"] {
        let r = run(bin().args(["status", id, "--store"]).arg(store.path()));
        assert_usage(&r, &["run id"]);
        let r = run(bin().args(["report", id, "--store"]).arg(store.path()));
        assert_usage(&r, &["run id"]);
        let path = b.path().join("suite.yaml");
        std::fs::write(&path, DEMO_SUITE).unwrap();
        let r = run(bin()
            .arg("run")
            .arg(&path)
            .arg("--benchmarks")
            .arg(b.path())
            .arg("--store")
            .arg(store.path())
            .args(["--run-id", id, "--dry-run"]));
        assert_usage(&r, &["run id"]);
    }
    let r = run(bin()
        .args(["report", "r1", "--baseline", "../r0", "--store"])
        .arg(store.path()));
    assert_usage(&r, &["--baseline", "run id"]);
}

// ---- The agent's own check of a wide submission ----------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_a_script_writing_a_million_columns_does_not_stall_the_agent() {
    use crate::support::{Reply, ScriptedLlm, Task, agent, bug_kinds, nodes};
    let code = "cols = ','.join(f'c{i}' for i in range(1_000_000))\n\
                open('./submission/submission.csv', 'w').write(cols + '\\n')\n\
                print('METRIC=0.9')\n";
    let llm = ScriptedLlm::start(std::sync::Arc::new(move |_: &Value| {
        Reply::code("plan", code)
    }))
    .await;
    let task = Task::tiny();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let started = Instant::now();
    let finished =
        crate::support::run(agent(&llm.url(), task.path(), &out, &["--steps", "1"])).await;
    assert_eq!(finished.code, 0, "{}", finished.stderr);
    // The quadratic check took minutes here; the script itself takes about a second.
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    let node = &nodes(&out)[0];
    assert_eq!(bug_kinds(node), ["invalid_submission"]);
    let detail = node["bug_reasons"][0]["detail"].as_str().unwrap();
    assert!(detail.contains("1000000 columns"), "{detail}");
}
