//! Report aggregation at scale, side by side: 1,000,050 per-run rows (the 75 MLE-bench
//! competitions x 13,334 seeds) aggregated by our code (`report::aggregate`: a polars lazy
//! group-by per task, and one pass over the flag bitmaps for the per-seed sums) and by
//! a straightforward pandas implementation of the same aggregation
//! (scripts/bench_report_pandas.py), on the same rows, in one run. Both compute: per
//! competition the counts, percentile mean/std, cost, time, GPU-hours, selection gap and
//! pass@k; per split (low, medium, high, all) MLE-bench's per-seed percentages over
//! complete seeds, then mean and standard error; the totals. The results are compared
//! number by number before any timing is printed.
//!
//! Run: `cargo bench --bench report_aggregate` (optionally `-- --repeat N`, default 15).
//! Needs the project venv (`scripts/setup-python.sh`) for pandas.
//! Timed: the aggregation from a table already in memory (polars DataFrame, pandas
//! DataFrame), median of N runs after one warm-up; loading the CSV is reported apart.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use aide_fleet::bench::mlebench::MleBenchCatalog;
use aide_fleet::report::{
    AggregateInput, Aggregates, RunRow, SplitSpec, aggregate, runs_frame, to_csv,
};
use polars::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

const SEEDS: u32 = 13_334;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The 75 competitions with their complexity split, and the four split specs.
fn competitions() -> (Vec<(String, &'static str)>, Vec<SplitSpec>) {
    let catalog = MleBenchCatalog::load(&repo().join("benchmarks/mle-bench")).expect("catalog");
    let mut out = Vec::new();
    let mut specs = Vec::new();
    for (name, complexities) in [
        ("low", vec!["low"]),
        ("medium", vec!["medium"]),
        ("high", vec!["high"]),
        ("all", vec!["low", "medium", "high"]),
    ] {
        let tasks = catalog.split(name).expect("split").to_vec();
        if complexities.len() == 1 {
            out.extend(tasks.iter().map(|t| (t.clone(), complexities[0])));
        }
        specs.push(SplitSpec {
            name: name.into(),
            tasks,
            complexities: Some(complexities.iter().map(|c| c.to_string()).collect()),
        });
    }
    out.sort();
    (out, specs)
}

/// The per-run table with `runs_frame`'s columns, built column by column (a million
/// `RunRow`s would take half a gigabyte).
fn table(comps: &[(String, &'static str)]) -> DataFrame {
    let n = comps.len() * SEEDS as usize;
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let mut task = Vec::with_capacity(n);
    let mut complexity = Vec::with_capacity(n);
    let mut seed = Vec::with_capacity(n);
    let mut seed_index = Vec::with_capacity(n);
    let mut state = Vec::with_capacity(n);
    let mut flags: [Vec<bool>; 8] = Default::default();
    let mut score = Vec::with_capacity(n);
    let mut percentile = Vec::with_capacity(n);
    let mut cost = Vec::with_capacity(n);
    let mut tokens_in = Vec::with_capacity(n);
    let mut tokens_out = Vec::with_capacity(n);
    let mut elapsed = Vec::with_capacity(n);
    let mut gpu_hours = Vec::with_capacity(n);
    let mut best_node = Vec::with_capacity(n);
    let mut gap = Vec::with_capacity(n);
    let mut best_medal = Vec::with_capacity(n);
    for (ti, (id, cx)) in comps.iter().enumerate() {
        let skill = 0.05 + 0.6 * (ti % 15) as f64 / 15.0;
        for s in 0..SEEDS {
            let exists = rng.random_bool(0.92);
            let valid = exists && rng.random_bool(0.9);
            let pct = if valid {
                rng.random_range(0.0..100.0f64)
                    .min(100.0 * skill + rng.random_range(0.0..60.0))
            } else {
                0.0
            };
            let medal = valid && pct > 85.0;
            let (gold, silver) = (medal && pct > 97.0, medal && (92.0..=97.0).contains(&pct));
            let bronze = medal && !gold && !silver;
            let graded_nodes = rng.random_bool(0.1);
            let best = pct.max(if graded_nodes {
                rng.random_range(0.0..100.0)
            } else {
                0.0
            });
            let e = rng.random_range(600.0..86_400.0);
            task.push(id.as_str());
            complexity.push(Some(*cx));
            seed.push(u64::from(s));
            seed_index.push(s);
            state.push(if exists { "succeeded" } else { "failed" });
            for (f, v) in flags.iter_mut().zip([
                true,
                exists,
                valid,
                valid && pct > 50.0,
                gold,
                silver,
                bronze,
                medal,
            ]) {
                f.push(v);
            }
            score.push(valid.then_some(pct / 100.0));
            percentile.push(Some(pct));
            cost.push(Some(rng.random_range(0.5..40.0)));
            tokens_in.push(Some(rng.random_range(10_000..3_000_000u64)));
            tokens_out.push(Some(rng.random_range(1_000..300_000u64)));
            elapsed.push(Some(e));
            gpu_hours.push(Some(e / 3600.0));
            best_node.push(graded_nodes.then_some(best));
            gap.push(graded_nodes.then_some(best - pct));
            best_medal.push(graded_nodes.then_some(best > 85.0));
        }
    }
    let col = |name: &str, s: Series| -> Column { s.with_name(name.into()).into() };
    let none_str: Vec<Option<&str>> = vec![None; n];
    let none_f64: Vec<Option<f64>> = vec![None; n];
    let none_u32: Vec<Option<u32>> = vec![None; n];
    let [graded, exists, valid, above, gold, silver, bronze, medal] = flags;
    let mut df = DataFrame::new(
        n,
        vec![
            col("run_id", Series::new("".into(), vec!["bench"; n])),
            col("task", Series::new("".into(), task)),
            col("seed", Series::new("".into(), seed)),
            col("seed_index", Series::new("".into(), seed_index)),
            col("kind", Series::new("".into(), vec!["competition"; n])),
            col("complexity", Series::new("".into(), complexity)),
            col("state", Series::new("".into(), state)),
            col("attempts", Series::new("".into(), vec![1u32; n])),
            col("failure", Series::new("".into(), none_str)),
            col("graded", Series::new("".into(), graded)),
            col("submission_exists", Series::new("".into(), exists)),
            col("valid_submission", Series::new("".into(), valid)),
            col("score", Series::new("".into(), score)),
            col("gold_medal", Series::new("".into(), gold)),
            col("silver_medal", Series::new("".into(), silver)),
            col("bronze_medal", Series::new("".into(), bronze)),
            col("any_medal", Series::new("".into(), medal)),
            col("above_median", Series::new("".into(), above)),
            col("percentile", Series::new("".into(), percentile)),
            col("normalized_score", Series::new("".into(), none_f64.clone())),
            col("steps", Series::new("".into(), none_u32.clone())),
            col("buggy_nodes", Series::new("".into(), none_u32)),
            col("cost_usd", Series::new("".into(), cost)),
            col("input_tokens", Series::new("".into(), tokens_in)),
            col("output_tokens", Series::new("".into(), tokens_out)),
            col("elapsed_s", Series::new("".into(), elapsed)),
            col("gpus", Series::new("".into(), vec![1u32; n])),
            col("gpu_hours", Series::new("".into(), gpu_hours)),
            col("best_node_percentile", Series::new("".into(), best_node)),
            col("selection_gap", Series::new("".into(), gap)),
            col("best_node_medal", Series::new("".into(), best_medal)),
        ],
    )
    .expect("table");
    // Rows grouped by task, flagged as `runs_frame` flags them.
    let mut task = df
        .column("task")
        .expect("task")
        .as_materialized_series()
        .clone();
    assert!(task.is_sorted(SortOptions::default()).expect("sorted?"));
    task.set_sorted_flag(polars::series::IsSorted::Ascending);
    df.with_column(Column::from(task)).expect("task column");
    df
}

/// The schema `runs_frame` gives real rows, so the benchmark measures the real thing.
fn real_schema() -> SchemaRef {
    let row = RunRow {
        run_id: String::new(),
        task: String::new(),
        seed: 0,
        seed_index: 0,
        kind: "competition",
        complexity: Some("low"),
        state: String::new(),
        attempts: 0,
        failure: None,
        graded: false,
        submission_exists: false,
        valid_submission: false,
        score: None,
        gold_medal: false,
        silver_medal: false,
        bronze_medal: false,
        any_medal: false,
        above_median: false,
        percentile: None,
        normalized_score: None,
        steps: None,
        buggy_nodes: None,
        cost_usd: None,
        input_tokens: None,
        output_tokens: None,
        elapsed_s: None,
        gpus: 0,
        gpu_hours: None,
        best_node_percentile: None,
        selection_gap: None,
        best_node_medal: None,
    };
    runs_frame(&[row]).expect("frame").schema().clone()
}

fn check_close(what: &str, ours: f64, theirs: &Value) {
    let theirs = theirs.as_f64().unwrap_or(f64::NAN);
    let ok = (ours - theirs).abs() <= 1e-9 * (1.0 + theirs.abs());
    assert!(ok, "{what}: polars {ours} vs pandas {theirs}");
}

/// Every number pandas printed equals ours.
fn cross_check(ours: &Aggregates, pandas: &Value) -> usize {
    let mut checked = 0;
    for split in &ours.splits {
        let theirs = &pandas["splits"][&split.name];
        let official = split.official.as_ref().expect("complete split");
        for (name, metric) in &official.metrics {
            check_close(
                &format!("{} {name} mean", split.name),
                metric.mean,
                &theirs[*name]["mean"],
            );
            check_close(
                &format!("{} {name} SE", split.name),
                metric.standard_error,
                &theirs[*name]["sem"],
            );
            checked += 2;
        }
        let p = split.percentile.expect("percentile");
        check_close(
            &format!("{} percentile", split.name),
            p.mean,
            &theirs["percentile"]["mean"],
        );
        check_close(
            &format!("{} percentile SE", split.name),
            p.standard_error,
            &theirs["percentile"]["sem"],
        );
        checked += 2;
    }
    for t in &ours.tasks {
        let theirs = &pandas["tasks"][&t.task];
        let p = t.percentile.expect("percentile");
        check_close(
            &format!("{} percentile", t.task),
            p.mean,
            &theirs["percentile_mean"],
        );
        check_close(
            &format!("{} percentile SE", t.task),
            p.standard_error,
            &theirs["percentile_se"],
        );
        check_close(
            &format!("{} medals", t.task),
            t.any_medal as f64,
            &theirs["any_medal"],
        );
        check_close(&format!("{} cost", t.task), t.cost_usd, &theirs["cost_usd"]);
        check_close(
            &format!("{} gpu-h", t.task),
            t.gpu_hours,
            &theirs["gpu_hours"],
        );
        check_close(
            &format!("{} gap", t.task),
            t.selection_gap.unwrap_or(f64::NAN),
            &theirs["selection_gap"],
        );
        let pass = theirs["pass_at_k"].as_array().expect("pass@k");
        assert_eq!(pass.len(), t.pass_at_k.len(), "{} pass@k count", t.task);
        for (a, b) in t.pass_at_k.iter().zip(pass) {
            check_close(&format!("{} pass@{}", t.task, a.k), a.value, &b[1]);
        }
        checked += 6 + pass.len();
    }
    check_close(
        "total cost",
        ours.totals.cost_usd,
        &pandas["totals"]["cost_usd"],
    );
    check_close(
        "total medals",
        ours.totals.medals as f64,
        &pandas["totals"]["medals"],
    );
    checked + 2
}

fn main() {
    let repeat: usize = std::env::args()
        .skip_while(|a| a != "--repeat")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(15);
    let (comps, specs) = competitions();
    let started = Instant::now();
    let mut df = table(&comps);
    assert_eq!(
        df.schema(),
        &real_schema(),
        "the benchmark table must have runs_frame's schema"
    );
    println!(
        "table: {} rows ({} competitions x {SEEDS} seeds), built in {:.2} s",
        df.height(),
        comps.len(),
        started.elapsed().as_secs_f64()
    );

    let tmp = tempfile::tempdir().expect("tmp");
    let csv = tmp.path().join("runs.csv");
    std::fs::write(&csv, to_csv(&mut df).expect("csv")).expect("write csv");
    let splits_json = tmp.path().join("splits.json");
    let splits: serde_json::Map<String, Value> = specs
        .iter()
        .map(|s| (s.name.clone(), Value::from(s.tasks.clone())))
        .collect();
    std::fs::write(&splits_json, Value::Object(splits).to_string()).expect("write splits");

    let load = Instant::now();
    let reread = CsvReadOptions::default()
        .with_has_header(true)
        .try_into_reader_with_file_path(Some(csv.clone()))
        .and_then(|r| r.finish())
        .expect("read csv");
    let polars_load = load.elapsed().as_secs_f64();
    assert_eq!(reread.height(), df.height());

    let input = AggregateInput {
        runs: &df,
        splits: &specs,
        hidden_score_tasks: &[],
    };
    let ours = aggregate(&input).expect("aggregate");
    let times: Vec<f64> = (0..repeat)
        .map(|_| {
            let t = Instant::now();
            let result = aggregate(&input).expect("aggregate");
            std::hint::black_box(result);
            t.elapsed().as_secs_f64()
        })
        .collect();
    let polars_median = median(times.clone());
    let polars_min = times.iter().cloned().fold(f64::INFINITY, f64::min);

    let python = python();
    let pandas_out = tmp.path().join("pandas.json");
    let status = Command::new(&python)
        .arg(repo().join("scripts/bench_report_pandas.py"))
        .arg("--csv")
        .arg(&csv)
        .arg("--splits")
        .arg(&splits_json)
        .args(["--repeat", &repeat.to_string()])
        .arg("--out")
        .arg(&pandas_out)
        .status()
        .expect("running the pandas side");
    assert!(status.success(), "the pandas side failed");
    let pandas: Value =
        serde_json::from_str(&std::fs::read_to_string(&pandas_out).expect("pandas output"))
            .expect("pandas json");
    let checked = cross_check(&ours, &pandas["result"]);
    let pandas_median = pandas["median_s"].as_f64().expect("median");
    let pandas_min = pandas["min_s"].as_f64().expect("min");
    let ratio = pandas_median / polars_median;

    println!("same results: {checked} numbers agree to 1e-9 (relative)");
    println!("aggregation, median of {repeat} after a warm-up (min in brackets):");
    println!(
        "  polars (ours)  {:>9.1} ms  ({:.1} ms)",
        polars_median * 1e3,
        polars_min * 1e3
    );
    println!(
        "  pandas {:<7} {:>9.1} ms  ({:.1} ms)",
        pandas["pandas_version"].as_str().unwrap_or("?"),
        pandas_median * 1e3,
        pandas_min * 1e3
    );
    println!("  ratio          {ratio:>9.1}x");
    println!(
        "loading the CSV ({:.0} MB), not timed above: polars {:.2} s, pandas {:.2} s",
        std::fs::metadata(&csv)
            .map(|m| m.len() as f64 / 1e6)
            .unwrap_or(0.0),
        polars_load,
        pandas["load_s"].as_f64().unwrap_or(f64::NAN)
    );
    println!(
        "cores: {} (polars uses them all unless POLARS_MAX_THREADS says otherwise; pandas one); goals: <= 1 s {} and >= 20x {}",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        if polars_median <= 1.0 {
            "met"
        } else {
            "MISSED"
        },
        if ratio >= 20.0 { "met" } else { "MISSED" }
    );
}

/// The project venv's Python, else `python3`.
fn python() -> PathBuf {
    let venv = repo().join(".venv/bin/python");
    if venv.is_file() {
        venv
    } else {
        Path::new("python3").to_owned()
    }
}
