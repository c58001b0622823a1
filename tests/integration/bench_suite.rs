//! Suite files: the shipped suites load and resolve to tasks; validation errors name the file,
//! line, column and field, and say what was expected.

use std::path::{Path, PathBuf};

use aide_fleet::agent::SandboxMode;
use aide_fleet::bench::{
    BenchError, Benchmark, ExecutorSettings, Seeds, Suite, SuiteError, SuiteFile, TaskKind,
};

fn benchmarks() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("benchmarks")
}

fn parse(text: &str) -> Result<Suite, SuiteError> {
    Suite::parse(text, Path::new("suites/bad.yaml"), &benchmarks())
}

fn error(text: &str) -> String {
    match parse(text) {
        Ok(suite) => panic!("expected an error, got {suite:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn demo_suite_loads_and_resolves() {
    let suite = Suite::load(&benchmarks().join("suites/demo.yaml"), &benchmarks()).unwrap();
    assert_eq!(suite.name, "demo");
    assert_eq!(suite.benchmark, Benchmark::Demo);
    assert_eq!(
        suite.task_ids,
        [
            "demo-binary",
            "demo-multiclass",
            "demo-regression",
            "re-optimize-sum"
        ]
    );
    assert_eq!(suite.seeds, [0]);
    assert!(suite.agent.steps.is_some_and(|s| s <= 10));
    let tasks = suite.tasks().unwrap();
    assert_eq!(tasks.len(), 4);
    assert!(matches!(tasks[3].kind, TaskKind::Research(_)));
}

#[test]
fn the_shipped_benchmark_suites_require_the_sandbox() {
    for file in ["mle-bench-lite.yaml", "re-bench.yaml"] {
        let suite = Suite::load(&benchmarks().join("suites").join(file), &benchmarks())
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(suite.agent.sandbox, Some(SandboxMode::Required), "{file}");
        let args = aide_fleet::fleet::agent_args(&suite.agent, 0);
        assert!(
            args.windows(2).any(|w| w == ["--sandbox", "required"]),
            "{file}: {args:?}"
        );
    }
    let re_bench = Suite::load(&benchmarks().join("suites/re-bench.yaml"), &benchmarks()).unwrap();
    assert_eq!(re_bench.tasks().unwrap().len(), 7);
}

#[test]
fn network_false_with_the_sandbox_off_is_a_located_error() {
    let err =
        parse("name: n\nbenchmark: demo\nsplit: all\nagent:\n  sandbox: off\n  network: false\n")
            .unwrap_err()
            .to_string();
    assert!(err.contains("agent.network"), "{err}");
}

#[test]
fn mle_bench_lite_suite_has_the_published_settings() {
    let suite = Suite::load(
        &benchmarks().join("suites/mle-bench-lite.yaml"),
        &benchmarks(),
    )
    .unwrap();
    assert_eq!(suite.benchmark, Benchmark::MleBench);
    assert_eq!(suite.task_ids.len(), 22);
    assert_eq!(suite.seeds, [0, 1, 2]);
    let agent = &suite.agent;
    assert_eq!(agent.steps, Some(500));
    assert_eq!(
        agent.time_limit.map(|t| t.as_duration().as_secs()),
        Some(24 * 3600)
    );
    assert_eq!(
        agent.exec_timeout.map(|t| t.as_duration().as_secs()),
        Some(9 * 3600)
    );
    assert_eq!(agent.debug_prob, Some(1.0));
    assert_eq!(agent.max_debug_depth, Some(20));
    assert_eq!(agent.model.as_deref(), Some("gpt-4o-2024-08-06"));
    let resources = suite.resources.as_ref().unwrap();
    assert_eq!(
        (
            resources.cpus,
            resources.gpus,
            resources.gpu_type.as_deref()
        ),
        (36, 1, Some("a10"))
    );
    assert_eq!(resources.memory.bytes(), 440_000_000_000);
    let ExecutorSettings::Kube(kube) = &suite.executor else {
        panic!("expected the kube executor")
    };
    assert_eq!(kube.tolerations.len(), 1);
    let tasks = suite.tasks().unwrap();
    let pizza = tasks
        .iter()
        .find(|t| t.id == "random-acts-of-pizza")
        .unwrap();
    assert_eq!(
        pizza.competition().unwrap().public_dir,
        Path::new("/data/mle-bench/random-acts-of-pizza/prepared/public")
    );
}

#[test]
fn explicit_tasks_keep_their_order_and_seed_lists_are_kept() {
    let suite =
        parse("benchmark: re-bench\ntasks: [triton-cumsum, fix-embedding]\nseeds: [7, 3]\n")
            .unwrap();
    assert_eq!(suite.task_ids, ["triton-cumsum", "fix-embedding"]);
    assert_eq!(suite.seeds, [7, 3]);
    assert_eq!(suite.name, "bad");
    assert!(matches!(suite.executor, ExecutorSettings::Local(ref l) if l.concurrency == 1));
}

#[test]
fn relative_data_dir_is_taken_from_the_suite_file() {
    let suite = parse("benchmark: mle-bench\nsplit: low\ndata_dir: ../data\n").unwrap();
    assert_eq!(suite.data_dir.as_deref(), Some(Path::new("suites/../data")));
    let no_data = parse("benchmark: mle-bench\nsplit: low\n").unwrap();
    assert!(matches!(
        no_data.tasks().unwrap_err(),
        BenchError::NoDataDir { .. }
    ));
}

#[test]
fn resolved_suite_round_trips_through_yaml() {
    let suite = Suite::load(
        &benchmarks().join("suites/mle-bench-lite.yaml"),
        &benchmarks(),
    )
    .unwrap();
    let file = suite.to_file();
    assert_eq!(file.split, None);
    assert_eq!(file.seeds, Seeds::List(vec![0, 1, 2]));
    let yaml = serde_saphyr::to_string(&file).unwrap();
    let again = Suite::parse(&yaml, &suite.path, &benchmarks()).unwrap();
    assert_eq!(again.to_file(), file);
    let back: SuiteFile = serde_saphyr::from_str(&yaml).unwrap();
    assert_eq!(back, file);
}

/// The four kinds of mistake the issue asks to snapshot.
#[test]
fn snapshot_unknown_field() {
    assert_eq!(
        error("benchmark: demo\nsplit: all\nagent:\n  steps: 3\n  stepz: 4\n"),
        "suites/bad.yaml:5:3: unknown field `stepz` in `agent`; expected one of: steps, time_limit, exec_timeout, model, feedback_model, num_drafts, debug_prob, max_debug_depth, max_usd, max_tokens, sandbox, network"
    );
    assert_eq!(
        error("benchmark: demo\nsplit: all\nseed: 3\n"),
        "suites/bad.yaml:3:1: unknown field `seed`; expected one of: name, benchmark, split, tasks, seeds, data_dir, agent, resources, executor"
    );
}

#[test]
fn snapshot_wrong_type() {
    assert_eq!(
        error("benchmark: demo\nsplit: all\nagent:\n  steps: three\n"),
        "suites/bad.yaml:4:10: `agent.steps`: expected a non-negative integer, found `three`"
    );
    assert_eq!(
        error("benchmark: demo\nsplit: all\nagent:\n  model: [a, b]\n"),
        "suites/bad.yaml:4:10: `agent.model`: expected a string, found a list"
    );
    assert_eq!(
        error("benchmark: demo\nsplit: all\nseeds: -1\n"),
        "suites/bad.yaml:3:8: `seeds`: expected a number of seeds or a list of seeds, found integer `-1`"
    );
    assert_eq!(
        error("benchmark: demo\nsplit: all\nresources:\n  cpus: 2\n  memory: 4\n"),
        "suites/bad.yaml:5:11: `resources.memory`: invalid size `4`: expected a whole number and a unit (Ki, Mi, Gi, Ti, Pi, k, M, G, T, P), such as `16Gi` or `400G`"
    );
}

#[test]
fn snapshot_unknown_task() {
    assert_eq!(
        error("benchmark: mle-bench\ntasks:\n  - spaceship-titanic\n  - spaceship-titanik\n"),
        "suites/bad.yaml:4:5: `tasks[1]`: unknown mle-bench task `spaceship-titanik`; closest match: `spaceship-titanic`"
    );
    assert_eq!(
        error("benchmark: demo\ntasks: [demo-binary, demo-binary]\n"),
        "suites/bad.yaml:2:22: `tasks[1]`: task `demo-binary` is listed twice"
    );
}

#[test]
fn snapshot_bad_split() {
    assert_eq!(
        error("benchmark: mle-bench\nsplit: lite\n"),
        "suites/bad.yaml:2:8: `split`: unknown mle-bench split `lite` (closest match: `low`); expected one of: all, dev, high, low, medium, spaceship-titanic, systemcard"
    );
    assert_eq!(
        error("benchmark: re-bench\nsplit: low\n"),
        "suites/bad.yaml:2:8: `split`: unknown re-bench split `low` (closest match: `all`); expected one of: all"
    );
}

#[test]
fn other_mistakes_are_located() {
    for (text, expected) in [
        (
            "benchmark: demos\nsplit: all\n",
            "suites/bad.yaml:1:12: `benchmark`: unknown value `demos`; expected one of: mle-bench, re-bench, demo",
        ),
        (
            "benchmark: demo\n",
            "suites/bad.yaml:1:1: no tasks: give `split: <name>` or `tasks: [<id>, ...]`",
        ),
        (
            "benchmark: demo\nsplit: all\ntasks: [demo-binary]\n",
            "suites/bad.yaml:3:8: `tasks`: give either `split` or `tasks`, not both",
        ),
        (
            "benchmark: demo\ntasks: []\n",
            "suites/bad.yaml:2:8: `tasks`: must list at least one task",
        ),
        (
            "benchmark: demo\nsplit: all\nseeds: [1, 2, 1]\n",
            "suites/bad.yaml:3:15: `seeds[2]`: seed 1 is listed twice",
        ),
        (
            "benchmark: demo\nsplit: all\nseeds: 0\n",
            "suites/bad.yaml:3:8: `seeds`: must be at least 1",
        ),
        (
            "benchmark: demo\nsplit: all\nagent:\n  debug_prob: 1.5\n",
            "suites/bad.yaml:4:15: `agent.debug_prob`: must be between 0 and 1, found 1.5",
        ),
        (
            "benchmark: demo\nsplit: all\nagent:\n  time_limit: 0s\n",
            "suites/bad.yaml:4:15: `agent.time_limit`: must be longer than 0s",
        ),
        (
            "benchmark: demo\nsplit: all\nresources: {cpus: 1, memory: 1Gi, gpu_type: h100}\n",
            "suites/bad.yaml:3:45: `resources.gpu_type`: is set, but `gpus` is 0",
        ),
        (
            "benchmark: demo\nsplit: all\ndata_dir: /x\n",
            "suites/bad.yaml:3:11: `data_dir`: only mle-bench suites take a data directory, this one is demo",
        ),
        (
            "benchmark: demo\nsplit: all\nexecutor:\n  k8s: {}\n",
            "suites/bad.yaml:4:3: `executor`: unknown value `k8s`; expected one of: local, kube",
        ),
        (
            "benchmark: demo\nsplit: all\nexecutor:\n  kube:\n    image: x\n",
            "suites/bad.yaml:5:5: missing field `namespace` in `executor.kube`",
        ),
        (
            "benchmark: demo\nsplit: all\nexecutor:\n  kube:\n    namespace: Bad_NS\n    image: x\n",
            "suites/bad.yaml:5:16: `executor.kube.namespace`: `Bad_NS` is not a valid namespace; expected at most 63 lower-case letters, digits or `-`, starting and ending with a letter or digit",
        ),
        (
            "benchmark: demo\nsplit: all\nexecutor:\n  kube:\n    namespace: ns\n    image: x\n    tolerations:\n      - key: a\n        operator: Exists\n        value: b\n",
            "suites/bad.yaml:10:16: `executor.kube.tolerations[0].value`: must be absent when `operator` is `Exists`",
        ),
        (
            "benchmark: demo\nsplit: all\nexecutor:\n  local:\n    concurrency: 0\n",
            "suites/bad.yaml:5:18: `executor.local.concurrency`: must be at least 1",
        ),
        (
            "benchmark: demo\ntasks: [demo-binary\n",
            "suites/bad.yaml:2:8: `tasks`: unclosed bracket '['",
        ),
    ] {
        assert_eq!(error(text), expected, "{text}");
    }
}

#[test]
fn unreadable_suite_names_the_file() {
    let path = benchmarks().join("suites/no-such-suite.yaml");
    let err = Suite::load(&path, &benchmarks()).unwrap_err();
    assert!(matches!(err, SuiteError::Read { .. }));
    assert!(
        err.to_string()
            .starts_with(&format!("{}: cannot read suite file: ", path.display()))
    );
}
