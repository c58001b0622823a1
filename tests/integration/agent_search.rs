//! Black-box tests of `aide-fleet agent` against a scripted LLM: the search policy, the
//! tree, best-node selection and the artifacts.

use crate::support;

use std::sync::Arc;

use serde_json::Value;
use support::*;

/// Code for step k: every fourth script fails, the others score a metric that peaks in
/// the middle of the run, so the best node is neither the first nor the last.
fn scripted_code(steps: usize) -> Fallback {
    Arc::new(move |body: &Value| {
        let k = step_of(body, steps);
        if k % 4 == 2 {
            Reply::code(&format!("plan {k}"), &failing_script(&format!("boom {k}")))
        } else {
            let metric = 0.5 + ((k * 37) % 40) as f64 / 100.0;
            Reply::code(&format!("plan {k}"), &good_script(metric))
        }
    })
}

async fn search(seed: &str, steps: usize) -> (tempfile::TempDir, Finished) {
    let llm = ScriptedLlm::start(scripted_code(steps)).await;
    let task = Task::tiny();
    let out = tempfile::tempdir().unwrap();
    let run_dir = out.path().join("run");
    let steps_s = steps.to_string();
    let args = [
        "--steps",
        steps_s.as_str(),
        "--num-drafts",
        "3",
        "--seed",
        seed,
    ];
    let finished = run(agent(&llm.url(), task.path(), &run_dir, &args)).await;
    (out, finished)
}

fn stages(nodes: &[Value]) -> Vec<(String, Option<u64>)> {
    nodes
        .iter()
        .map(|n| {
            (
                n["stage"].as_str().unwrap().to_string(),
                n["parent_step"].as_u64(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seeded_search_follows_the_reference_policy_and_is_reproducible() {
    let steps = 12;
    let (a, fa) = search("2", steps).await;
    assert_eq!(fa.code, 0, "{}", fa.stderr);
    let nodes_a = nodes(&a.path().join("run"));
    assert_eq!(nodes_a.len(), steps);

    // The first num_drafts steps are drafts; afterwards a debug's parent is a buggy leaf
    // and an improve's parent is the best good node at that moment.
    for (i, n) in nodes_a.iter().enumerate() {
        let stage = n["stage"].as_str().unwrap();
        let before = &nodes_a[..i];
        if i < 3 {
            assert_eq!(stage, "draft", "step {i}");
            continue;
        }
        match stage {
            "debug" => {
                let p = n["parent_step"].as_u64().unwrap() as usize;
                assert!(before[p]["is_buggy"].as_bool().unwrap());
                assert!(
                    !before
                        .iter()
                        .any(|m| m["parent_step"].as_u64() == Some(p as u64)),
                    "step {i} debugs {p}, which already had a child"
                );
            }
            "improve" => {
                let p = n["parent_step"].as_u64().unwrap() as usize;
                let best = before
                    .iter()
                    .filter(|m| !m["is_buggy"].as_bool().unwrap())
                    .fold(None::<&Value>, |best, m| match best {
                        Some(b) if b["metric"].as_f64() >= m["metric"].as_f64() => Some(b),
                        _ => Some(m),
                    })
                    .unwrap();
                assert_eq!(p as u64, best["step"].as_u64().unwrap(), "step {i}");
            }
            "draft" => assert!(before.iter().all(|m| m["is_buggy"].as_bool().unwrap())),
            other => panic!("unknown stage {other}"),
        }
    }
    // The exact sequence for seed 2, so that a change of policy or RNG use shows up.
    let expected = [
        ("draft", None),
        ("draft", None),
        ("draft", None),
        ("debug", Some(2)),
        ("improve", Some(1)),
        ("improve", Some(1)),
        ("improve", Some(1)),
        ("improve", Some(1)),
        ("debug", Some(6)),
        ("improve", Some(1)),
        ("improve", Some(1)),
        ("debug", Some(10)),
    ]
    .map(|(s, p)| (s.to_string(), p));
    assert_eq!(stages(&nodes_a), expected);

    // Step 1 scores 0.87, the best; its own submission is kept, not the last one run.
    let run_a = a.path().join("run");
    let progress = read_json(&run_a.join("progress.json"));
    assert_eq!(progress["best_step"], 1);
    assert_eq!(progress["stop_reason"], "steps");
    let best_sub = std::fs::read_to_string(run_a.join("best_submission/submission.csv")).unwrap();
    assert_eq!(
        best_sub,
        std::fs::read_to_string(run_a.join("nodes/00001.submission.csv")).unwrap()
    );
    assert!(best_sub.contains(",0.87"), "{best_sub}");
    let last_sub = std::fs::read_to_string(run_a.join("nodes/00010.submission.csv"));
    assert!(last_sub.is_err(), "step 10 failed and wrote no submission");
    assert_ne!(
        best_sub,
        std::fs::read_to_string(run_a.join("nodes/00009.submission.csv")).unwrap()
    );
    assert_eq!(
        std::fs::read_to_string(run_a.join("best_solution.py")).unwrap(),
        nodes_a[1]["code"].as_str().unwrap()
    );

    // Buggy nodes say why; good ones carry their metric.
    assert_eq!(
        bug_kinds(&nodes_a[2]),
        ["exception", "missing_submission", "reviewer"]
    );
    assert_eq!(nodes_a[2]["exc_type"], "ValueError");
    assert!(
        nodes_a[2]["bug_reasons"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("boom 2")
    );
    assert_eq!(nodes_a[0]["metric"], 0.5);
    assert!(nodes_a[0]["bug_reasons"].as_array().unwrap().is_empty());

    // journal.json in AIDE's v2 layout, usage per node and in total, the tree view.
    let journal = read_json(&run_a.join("journal.json"));
    assert_eq!(journal["__version"], "2");
    assert_eq!(journal["nodes"].as_array().unwrap().len(), steps);
    assert_eq!(journal["node2parent"].as_object().unwrap().len(), steps - 3);
    assert_eq!(journal["nodes"][1]["metric"]["maximize"], true);
    let usage = read_json(&run_a.join("usage.json"));
    assert_eq!(usage["total"]["input_tokens"], 2000 * steps as u64);
    assert_eq!(usage["total"]["unpriced_calls"], 2 * steps as u64);
    assert_eq!(usage["nodes"].as_array().unwrap().len(), steps);
    let tree = std::fs::read_to_string(run_a.join("tree.html")).unwrap();
    assert!(tree.contains("\"stage\":\"debug\""));
    assert!(!tree.contains("https://"));

    // Same seed, same tree.
    let (b, fb) = search("2", steps).await;
    assert_eq!(fb.code, 0, "{}", fb.stderr);
    let nodes_b = nodes(&b.path().join("run"));
    assert_eq!(stages(&nodes_a), stages(&nodes_b));
    let ids = |ns: &[Value]| ns.iter().map(|n| n["id"].clone()).collect::<Vec<_>>();
    assert_eq!(ids(&nodes_a), ids(&nodes_b));
}
