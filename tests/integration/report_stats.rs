//! The report's statistics against direct computations: pass@k against counting subsets,
//! the percentile against counting teams, score@k against enumerating draws, the
//! polars per-split aggregation against MLE-bench's own algorithm, and the regression
//! test on synthetic baselines (finds a real drop, does not flag noise).

use std::path::Path;

use aide_fleet::bench::mlebench::MleBenchCatalog;
use aide_fleet::grade::Leaderboard;
use aide_fleet::report::{
    AggregateInput, AggregateOptions, Outcome, PercentileTable, RunRow, SplitSpec, aggregate,
    aggregate_official, compare, pass_at_k, runs_frame, score_at_k,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Every k-subset of 0..n.
fn subsets(n: usize, k: usize) -> Vec<Vec<usize>> {
    if k == 0 {
        return vec![vec![]];
    }
    (0..n)
        .flat_map(|first| {
            subsets(n - first - 1, k - 1).into_iter().map(move |rest| {
                std::iter::once(first)
                    .chain(rest.into_iter().map(|r| r + first + 1))
                    .collect()
            })
        })
        .collect()
}

#[test]
fn pass_at_k_equals_the_share_of_k_subsets_with_a_success() {
    for n in 1..=9 {
        for c in 0..=n {
            // The first c seeds succeed; which ones does not matter.
            for k in 1..=n {
                let all = subsets(n, k);
                let hit = all.iter().filter(|s| s.iter().any(|&i| i < c)).count();
                let direct = hit as f64 / all.len() as f64;
                let estimate = pass_at_k(n, c, k).unwrap();
                assert!(
                    (estimate - direct).abs() < 1e-12,
                    "n={n} c={c} k={k}: {estimate} vs {direct}"
                );
            }
        }
    }
    assert_eq!(pass_at_k(3, 1, 0), None);
    assert_eq!(pass_at_k(3, 1, 4), None);
}

#[test]
fn percentile_equals_a_brute_force_count_of_teams_beaten() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for case in 0..300 {
        let n = rng.random_range(1..60);
        // Few distinct values, so that ties with the score are common.
        let mut scores: Vec<f64> = (0..n)
            .map(|_| rng.random_range(0..12) as f64 / 4.0)
            .collect();
        let lower = case % 2 == 0;
        scores.sort_by(|a, b| {
            if lower {
                a.total_cmp(b)
            } else {
                b.total_cmp(a)
            }
        });
        if scores.first() == scores.last() && lower {
            continue; // equal ends read as higher-is-better; covered by the other half
        }
        let board = Leaderboard::from_scores(scores.clone()).unwrap();
        let table = PercentileTable::new(&board);
        for _ in 0..20 {
            let x = rng.random_range(-1..14) as f64 / 4.0;
            let beaten = scores
                .iter()
                .filter(|&&s| {
                    if board.is_lower_better() {
                        x < s
                    } else {
                        x > s
                    }
                })
                .count();
            let direct = 100.0 * beaten as f64 / n as f64;
            assert_eq!(
                table.percentile(Some(x)),
                direct,
                "case {case}: {x} on {scores:?}"
            );
            assert_eq!(board.rank(Some(x)).percentile, Some(direct));
        }
        assert_eq!(table.percentile(None), 0.0);
    }
}

#[test]
fn score_at_k_equals_the_mean_best_over_every_draw_with_replacement() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    for _ in 0..40 {
        let n: usize = rng.random_range(1..6);
        let scores: Vec<f64> = (0..n).map(|_| rng.random_range(0.0..1.5)).collect();
        for k in 1..=4u32 {
            // All n^k ordered draws, each equally likely.
            let draws = n.pow(k);
            let total: f64 = (0..draws)
                .map(|mut d| {
                    let mut best = f64::NEG_INFINITY;
                    for _ in 0..k {
                        best = best.max(scores[d % n]);
                        d /= n;
                    }
                    best
                })
                .sum();
            let direct = total / draws as f64;
            let exact = score_at_k(&scores, k as usize).unwrap();
            assert!((exact - direct).abs() < 1e-12, "{scores:?} k={k}");
        }
    }
    assert_eq!(score_at_k(&[], 1), None);
}

/// A run row with only what the aggregation and comparison read.
fn row(task: &str, complexity: Option<&'static str>, seed: u32, o: &Outcome, pct: f64) -> RunRow {
    RunRow {
        run_id: "synthetic".into(),
        task: task.into(),
        seed: seed.into(),
        seed_index: seed,
        kind: "competition",
        complexity,
        state: "succeeded".into(),
        attempts: 1,
        failure: None,
        graded: true,
        submission_exists: o.submission_exists,
        valid_submission: o.valid_submission,
        score: None,
        gold_medal: o.gold_medal,
        silver_medal: o.silver_medal,
        bronze_medal: o.bronze_medal,
        any_medal: o.flags().any_medal(),
        above_median: o.above_median,
        percentile: Some(pct),
        normalized_score: None,
        steps: None,
        buggy_nodes: None,
        cost_usd: Some(0.1),
        input_tokens: Some(10),
        output_tokens: Some(1),
        elapsed_s: Some(60.0),
        gpus: 1,
        gpu_hours: Some(60.0 / 3600.0),
        best_node_percentile: None,
        selection_gap: None,
        best_node_medal: None,
    }
}

fn random_outcome(rng: &mut ChaCha8Rng, id: &str, medal_p: f64) -> Outcome {
    let exists = rng.random_bool(0.9);
    let valid = exists && rng.random_bool(0.9);
    let medal = valid && rng.random_bool(medal_p);
    let kind = rng.random_range(0..3);
    Outcome {
        competition_id: id.into(),
        gold_medal: medal && kind == 0,
        silver_medal: medal && kind == 1,
        bronze_medal: medal && kind == 2,
        above_median: valid && (medal || rng.random_bool(0.3)),
        submission_exists: exists,
        valid_submission: valid,
    }
}

#[test]
fn per_split_numbers_from_polars_equal_mlebench_aggregation_exactly() {
    let benchmarks = Path::new(env!("CARGO_MANIFEST_DIR")).join("benchmarks/mle-bench");
    let catalog = MleBenchCatalog::load(&benchmarks).unwrap();
    let complexity = |id: &str| -> &'static str {
        let c = catalog.competition(id).unwrap();
        match serde_json::to_value(c.split).unwrap().as_str().unwrap() {
            "low" => "low",
            "medium" => "medium",
            "high" => "high",
            _ => "dev",
        }
    };
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let all = catalog.split("all").unwrap().to_vec();
    let mut rows = Vec::new();
    let mut outcomes = Vec::new();
    for id in &all {
        // Unequal seed counts: complete seeds differ per split.
        let seeds = if complexity(id) == "high" {
            4
        } else {
            rng.random_range(5..8)
        };
        for seed in 0..seeds {
            let o = random_outcome(&mut rng, id, 0.3);
            rows.push(row(
                id,
                Some(complexity(id)),
                seed,
                &o,
                rng.random_range(0.0..100.0),
            ));
            outcomes.push(o);
        }
    }
    // MLE-bench reads seed i as the i-th report of each competition: by seed here.
    outcomes.sort_by_key(|o| o.competition_id.clone());
    let specs: Vec<SplitSpec> = [
        ("low", vec!["low"]),
        ("medium", vec!["medium"]),
        ("high", vec!["high"]),
        ("all", vec!["low", "medium", "high"]),
    ]
    .into_iter()
    .map(|(name, c)| SplitSpec {
        name: name.into(),
        tasks: catalog.split(name).unwrap().to_vec(),
        complexities: Some(c.into_iter().map(String::from).collect()),
    })
    .collect();
    let runs = runs_frame(&rows).unwrap();
    let result = aggregate(&AggregateInput {
        runs: &runs,
        splits: &specs,
        hidden_score_tasks: &[],
    })
    .unwrap();
    assert_eq!(result.splits.len(), 4);
    for (spec, got) in specs.iter().zip(&result.splits) {
        let want = aggregate_official(&outcomes, &spec.tasks, AggregateOptions::default()).unwrap();
        assert_eq!(got.official.as_ref(), Some(&want), "split {}", spec.name);
        // Bit for bit: the JSON MLE-bench would print is the same text.
        assert_eq!(
            got.official.as_ref().unwrap().to_python_json(),
            want.to_python_json()
        );
    }
    assert_eq!(result.splits[2].complete_seeds, 4);
}

/// Synthetic runs: `tasks` competitions, `seeds` seeds, each run medals with probability
/// `p` and beats a uniform share of the leaderboard (shifted down by `shift` points).
fn synthetic(rng: &mut ChaCha8Rng, tasks: usize, seeds: u32, p: f64, shift: f64) -> Vec<RunRow> {
    let mut rows = Vec::new();
    for t in 0..tasks {
        let level = 30.0 + 40.0 * (t as f64 / tasks as f64);
        for seed in 0..seeds {
            let id = format!("task-{t:02}");
            let o = random_outcome(rng, &id, p);
            let pct = (level + rng.random_range(-15.0..15.0) - shift).clamp(0.0, 100.0);
            rows.push(row(&id, None, seed, &o, pct));
        }
    }
    rows
}

#[test]
fn regression_detection_finds_a_real_drop() {
    let mut rng = ChaCha8Rng::seed_from_u64(21);
    let baseline = synthetic(&mut rng, 20, 3, 0.5, 0.0);
    let current = synthetic(&mut rng, 20, 3, 0.15, 12.0);
    let c = compare(&current, &baseline, "base", 0.05);
    assert!(c.regression, "{c:#?}");
    let medal = c
        .overall
        .iter()
        .find(|d| d.name == "any_medal_percentage")
        .unwrap();
    assert!(medal.delta < -20.0 && medal.significant_drop, "{medal:?}");
    let pct = c
        .overall
        .iter()
        .find(|d| d.name == "mean_percentile")
        .unwrap();
    assert!(pct.significant_drop, "{pct:?}");
}

#[test]
fn regression_detection_does_not_flag_noise_at_the_chosen_level() {
    // Unchanged agent: how often does a report flag something? At most alpha, give or
    // take the simulation's own noise (100 comparisons: 0.05 + 3 SE is about 0.12).
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let trials = 100;
    let flagged = (0..trials)
        .filter(|_| {
            let baseline = synthetic(&mut rng, 12, 3, 0.4, 0.0);
            let current = synthetic(&mut rng, 12, 3, 0.4, 0.0);
            compare(&current, &baseline, "base", 0.05).regression
        })
        .count();
    eprintln!("{flagged} of {trials} unchanged comparisons flagged");
    assert!(
        flagged <= 12,
        "{flagged} of {trials} unchanged comparisons flagged"
    );
}

#[test]
fn a_small_drop_within_noise_is_reported_but_not_flagged() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let baseline = synthetic(&mut rng, 5, 3, 0.4, 0.0);
    let current = synthetic(&mut rng, 5, 3, 0.4, 2.0);
    let c = compare(&current, &baseline, "base", 0.05);
    assert!(!c.regression, "{c:#?}");
    assert_eq!(c.tasks.len(), 5);
    assert!(
        c.tasks
            .iter()
            .all(|d| d.p_value.is_some() && d.p_adjusted.is_some())
    );
}
