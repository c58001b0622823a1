//! Property tests of the parsers a careless or hostile user feeds (issue 14): suite and
//! manifest loading, CSV tables, leaderboards and ranking, grading reports, node records
//! and run.json, durations. Inputs are valid files mutated by edits drawn from a pool of
//! values that once broke something (`-0.0`, `1e300`, `18446744073709551615`, `''`,
//! `..`), plus raw bytes. Each property says more than "no panic": what a parser accepts
//! is what the next step can use (a plan every agent accepts, durations that convert,
//! records that agree with each other).
//!
//! The case count is modest so that CI stays within seconds; `PROPTEST_CASES=N` raises it
//! for a longer hunt (see README.md, "Fuzzing").

use std::path::{Path, PathBuf};
use std::time::Duration;

use aide_fleet::agent::RunDir;
use aide_fleet::bench::demo::{DemoTaskFile, names_a_subpath};
use aide_fleet::bench::rebench::ReManifest;
use aide_fleet::bench::{MAX_SEEDS, Suite};
use aide_fleet::grade::{CompetitionReport, CsvTable, GradingReport, Leaderboard, MAX_COLUMNS};
use aide_fleet::report::{AggregateOptions, aggregate_official, read_outcomes};
use proptest::prelude::*;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `PROPTEST_CASES` when set (a longer hunt), else `default`.
fn config(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(default);
    ProptestConfig {
        cases,
        // Failures are reported with the input; no regression files in the tree.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Values that once slipped through a check, or that sit on a limit.
const TOKENS: &[&str] = &[
    "0",
    "-0",
    "-0.0",
    "1",
    "-1",
    "0.5",
    "1e20",
    "1e300",
    "-1e300",
    ".nan",
    ".inf",
    "-.inf",
    "NaN",
    "18446744073709551615",
    "4294967295",
    "1000",
    "1001",
    "''",
    "'.'",
    "'..'",
    "../x",
    "/etc/passwd",
    "--help",
    "-x",
    "0s",
    "1h",
    "366days",
    "367days",
    "[]",
    "[0, 0]",
    "{}",
    "~",
    "null",
    "true",
    "\"\"",
    ",",
    "\n",
    ":",
    "- ",
    "\"",
    "\u{feff}",
    "\u{0}",
    "id",
];

/// One edit of a text: replace, insert or delete at a position (taken modulo the length).
#[derive(Debug, Clone)]
enum Edit {
    Replace(usize, usize, String),
    Insert(usize, String),
    Delete(usize, usize),
}

fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(TOKENS).prop_map(str::to_owned),
        1 => "[ -~]{0,12}",
        1 => any::<String>().prop_map(|s| s.chars().take(8).collect()),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => (any::<usize>(), 0usize..12, token()).prop_map(|(p, n, t)| Edit::Replace(p, n, t)),
        2 => (any::<usize>(), token()).prop_map(|(p, t)| Edit::Insert(p, t)),
        1 => (any::<usize>(), 0usize..40).prop_map(|(p, n)| Edit::Delete(p, n)),
    ]
}

/// `seed` with up to `max` edits applied, at char boundaries.
fn mutated(seed: String, max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(edit(), 0..=max).prop_map(move |edits| {
        let mut text = seed.clone();
        for e in edits {
            let at = |p: usize, text: &str| {
                let mut i = p % (text.len() + 1);
                while !text.is_char_boundary(i) {
                    i -= 1;
                }
                i
            };
            match e {
                Edit::Replace(p, n, t) => {
                    let start = at(p, &text);
                    let end = at(start.saturating_add(n).min(text.len()), &text).max(start);
                    text.replace_range(start..end, &t);
                }
                Edit::Insert(p, t) => {
                    let i = at(p, &text);
                    text.insert_str(i, &t);
                }
                Edit::Delete(p, n) => {
                    let start = at(p, &text);
                    let end = at(start.saturating_add(n).min(text.len()), &text).max(start);
                    text.replace_range(start..end, "");
                }
            }
        }
        text
    })
}

/// A suite with every agent setting set to a value drawn from the pool, or the demo suite
/// mutated at the byte level.
fn suite_text() -> impl Strategy<Value = String> {
    let field = |name: &'static str| {
        proptest::option::of(token())
            .prop_map(move |v| v.map(|v| format!("  {name}: {v}\n")).unwrap_or_default())
    };
    let structured = (
        proptest::sample::select(&["1", "3", "[0, 5]", "1000", "4294967295", "[1, 1]"][..]),
        proptest::sample::select(
            &[
                "[demo-binary]",
                "[re-optimize-sum]",
                "[demo-binary, demo-regression]",
            ][..],
        ),
        [
            field("steps"),
            field("time_limit"),
            field("exec_timeout"),
            field("model"),
            field("feedback_model"),
            field("num_drafts"),
            field("debug_prob"),
            field("max_debug_depth"),
            field("max_usd"),
            field("max_tokens"),
        ],
    )
        .prop_map(|(seeds, tasks, fields)| {
            format!(
                "name: s\nbenchmark: demo\ntasks: {tasks}\nseeds: {seeds}\nagent:\n{}",
                fields.concat()
            )
        });
    let demo = std::fs::read_to_string(repo().join("benchmarks/suites/demo.yaml")).unwrap();
    prop_oneof![3 => structured, 1 => mutated(demo, 6)]
}

proptest! {
    #![proptest_config(config(192))]

    /// An accepted suite plans runs the agent accepts: every planned command line passes
    /// the agent's own parser and validation (the suite is checked where it is read).
    #[test]
    fn an_accepted_suite_plans_only_runs_the_agent_accepts(text in suite_text()) {
        let benchmarks = repo().join("benchmarks");
        if let Ok(suite) = Suite::parse(&text, Path::new("suite.yaml"), &benchmarks) {
            prop_assert!(!suite.seeds.is_empty() && suite.seeds.len() <= MAX_SEEDS);
            let runs = aide_fleet::fleet::plan(&suite, &suite.seeds, false)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            for r in &runs {
                let checked = aide_fleet::cli::check_agent_args(&r.agent_args);
                prop_assert!(checked.is_ok(), "{:?}: {:?}\n{text}", r.agent_args, checked);
            }
        }
    }

    /// Demo task files: never a panic; an accepted one keeps its paths inside the task,
    /// its public directory below it, its time limit positive, its id out of the targets.
    #[test]
    fn demo_task_files_accept_only_tasks_that_can_run(
        text in prop_oneof![
            mutated(std::fs::read_to_string(repo().join("benchmarks/demo/demo-binary/task.yaml")).unwrap(), 6),
            mutated(std::fs::read_to_string(repo().join("benchmarks/demo/re-optimize-sum/task.yaml")).unwrap(), 6),
        ]
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let id = if text.contains("kind: re") { "re-optimize-sum" } else { "demo-binary" };
        let dir = tmp.path().join(id);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("task.yaml"), &text).unwrap();
        match DemoTaskFile::load(&dir.join("task.yaml")) {
            Ok(DemoTaskFile::Research(r)) => {
                prop_assert!(names_a_subpath(&r.public_dir), "{text}");
                prop_assert!(!r.time_limit.as_duration().is_zero());
                prop_assert!(r.scoring.score_timeout.is_none_or(|t| !t.as_duration().is_zero()));
            }
            Ok(DemoTaskFile::Competition(c)) => {
                prop_assert!(!c.target_columns.contains(&c.id_column), "{text}");
                prop_assert!(names_a_subpath(&c.answers) && names_a_subpath(&c.sample_submission));
                prop_assert!(c.leaderboard.as_deref().is_none_or(names_a_subpath));
            }
            Err(_) => {}
        }
    }

    /// RE-Bench manifests: never a panic; an accepted one has a positive time limit.
    #[test]
    fn rebench_manifests_accept_only_positive_limits(
        text in mutated(std::fs::read_to_string(repo().join("benchmarks/re-bench/triton-cumsum.yaml")).unwrap(), 6)
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("triton-cumsum.yaml");
        std::fs::write(&path, &text).unwrap();
        if let Ok(m) = ReManifest::load(&path) {
            prop_assert!(!m.time_limit.as_duration().is_zero());
            prop_assert!(m.time_limit.as_duration() <= aide_fleet::duration::MAX);
        }
    }

    /// Durations: any text parses or is refused, and what parses is at most the maximum.
    #[test]
    fn durations_are_bounded(text in prop_oneof![token(), "[0-9.e+-]{1,30}[a-z ]{0,6}", any::<String>()]) {
        if let Ok(d) = aide_fleet::duration::parse(&text) {
            prop_assert!(d <= aide_fleet::duration::MAX);
            prop_assert!(std::time::Instant::now().checked_add(d).is_some());
        }
    }
}

/// A CSV text: a header and rows of cells from the pool, or raw bytes.
fn csv_bytes() -> impl Strategy<Value = Vec<u8>> {
    let cell = prop_oneof![
        3 => proptest::sample::select(TOKENS).prop_map(str::to_owned),
        2 => "[a-z0-9.]{0,6}",
        1 => any::<f64>().prop_map(|x| x.to_string()),
    ];
    let table = (
        proptest::collection::vec(cell.clone(), 0..8),
        proptest::collection::vec(proptest::collection::vec(cell, 0..8), 0..12),
    )
        .prop_map(|(header, rows)| {
            let mut text = header.join(",");
            for row in rows {
                text.push('\n');
                text.push_str(&row.join(","));
            }
            text.into_bytes()
        });
    let board = std::fs::read_to_string(repo().join("benchmarks/demo/demo-binary/leaderboard.csv"))
        .unwrap();
    prop_oneof![
        3 => table,
        2 => mutated(board, 8).prop_map(String::into_bytes),
        1 => proptest::collection::vec(any::<u8>(), 0..200),
    ]
}

proptest! {
    #![proptest_config(config(256))]

    /// CSV tables: never a panic; an accepted table has unique columns within the limit,
    /// rows as wide as the header, and column lookups that agree with the header.
    #[test]
    fn csv_tables_are_rectangular_with_unique_columns(bytes in csv_bytes()) {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("t.csv");
        std::fs::write(&path, &bytes).unwrap();
        if let Ok(t) = CsvTable::read(&path) {
            prop_assert!(!t.headers.is_empty() && t.headers.len() <= MAX_COLUMNS);
            for (i, h) in t.headers.iter().enumerate() {
                prop_assert_eq!(t.column(h), Some(i));
            }
            prop_assert!(t.rows.iter().all(|r| r.len() == t.headers.len()));
        }
    }

    /// Leaderboards: never a panic; ranking any score of an accepted board gives a
    /// percentile in [0, 100] and exclusive medals.
    #[test]
    fn leaderboards_rank_any_score(bytes in csv_bytes(), score in prop_oneof![any::<f64>(), -1e3..1e3f64]) {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("leaderboard.csv");
        std::fs::write(&path, &bytes).unwrap();
        if let Ok(board) = Leaderboard::read(&path) {
            for s in [Some(score), None] {
                let rank = board.rank(s);
                prop_assert!(rank.percentile.is_none_or(|p| (0.0..=100.0).contains(&p)));
                let medals = [rank.gold_medal, rank.silver_medal, rank.bronze_medal];
                prop_assert!(medals.iter().filter(|m| **m).count() <= 1);
            }
        }
    }

    /// Grading reports: never a panic, in reading or in MLE-bench's aggregation.
    #[test]
    fn grading_reports_read_and_aggregate_without_panic(
        text in mutated(std::fs::read_to_string(repo().join("tests/data/report/mlebench/complete-seeds/reports/run-1.json")).unwrap(), 8),
        num_seeds in prop_oneof![Just(-1i64), 0i64..5, any::<i64>()],
        pad_missing in any::<bool>(),
    ) {
        let _ = GradingReport::from_json(&text);
        let _ = CompetitionReport::from_json(&text);
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("report.json");
        std::fs::write(&path, &text).unwrap();
        if let Ok(outcomes) = read_outcomes(&[path]) {
            let ids: Vec<String> = ["comp-z", "comp-d", "comp-a"].map(str::to_owned).to_vec();
            let _ = aggregate_official(&outcomes, &ids, AggregateOptions { num_seeds, pad_missing });
        }
    }
}

/// A valid node record of step `step`, as JSON text.
fn node_text(step: usize) -> String {
    serde_json::json!({
        "id": format!("{step:032x}"), "step": step, "parent_step": step.checked_sub(1),
        "stage": if step == 0 { "draft" } else { "debug" }, "debug_depth": step.min(1), "ctime": 1.7e9,
        "plan": "p", "code": "c", "term_out": [], "exec_time": 0.5, "exc_type": null,
        "exc_info": null, "exc_stack": null, "analysis": "a", "metric": 0.5,
        "reviewer_lower_is_better": false, "is_buggy": false, "bug_reasons": [],
        "has_submission": false,
        "usage": {"code": {"input_tokens": 1, "output_tokens": 1},
                  "feedback": {"input_tokens": 1, "output_tokens": 1},
                  "cost_usd": 0.01, "unpriced_calls": 0},
        "timing": {"llm_s": 0.1, "exec_s": 0.5, "check_s": 0.0, "total_s": 0.7},
        "search_elapsed_s": 10.0 * (step as f64 + 1.0)
    })
    .to_string()
}

proptest! {
    #![proptest_config(config(256))]

    /// Node records: never a panic; what loads agrees with itself and with the records
    /// before it (the checks `--resume` relies on).
    #[test]
    fn node_records_that_load_agree_with_each_other(
        first in mutated(node_text(0), 4),
        second in mutated(node_text(1), 4),
        submission in any::<bool>(),
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let run = RunDir::create(tmp.path()).unwrap();
        std::fs::write(run.node_file(0), &first).unwrap();
        std::fs::write(run.node_file(1), &second).unwrap();
        if submission {
            std::fs::write(run.node_submission(1), "id,target\n").unwrap();
        }
        if let Ok(nodes) = run.load_nodes() {
            let mut elapsed = 0.0;
            for n in &nodes {
                prop_assert!(n.search_elapsed_s >= elapsed);
                elapsed = n.search_elapsed_s;
                prop_assert!(n.usage.cost_usd >= 0.0 && n.usage.cost_usd.is_finite());
                prop_assert!(!(n.is_buggy && n.metric.is_some()));
                prop_assert!(!n.has_submission || run.node_submission(n.step).is_file());
                prop_assert!(n.parent_step.is_none_or(|p| p < n.step));
            }
        }
    }

    /// run.json: never a panic; a config that validates turns every duration into a
    /// `Duration` and a deadline.
    #[test]
    fn run_json_that_validates_has_usable_durations(
        text in mutated(
            r#"{"format_version":1,"task_dir":"/t","config":{"exec":{"timeout_s":3600,"grace_s":5},"budget":{"time_limit_s":86400,"max_usd":5},"llm":{"request_timeout_s":600}}}"#.to_owned(),
            5,
        )
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let run = RunDir::create(tmp.path()).unwrap();
        std::fs::write(tmp.path().join("run.json"), &text).unwrap();
        if let Ok(meta) = run.read_meta()
            && meta.config.validate().is_ok()
        {
            let c = &meta.config;
            let mut secs = vec![c.exec.timeout_s, c.exec.grace_s, c.llm.request_timeout_s];
            secs.extend(c.budget.time_limit_s);
            for s in secs {
                let d = Duration::try_from_secs_f64(s);
                prop_assert!(d.is_ok(), "{s}");
                prop_assert!(std::time::Instant::now().checked_add(d.unwrap()).is_some());
            }
        }
    }
}
