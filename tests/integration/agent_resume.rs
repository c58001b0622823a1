//! Killing the agent mid-search and resuming it loses at most the node in flight, and the
//! resumed search makes the same choices an uninterrupted one makes.

use crate::support;

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use support::*;

const STEPS: usize = 9;

/// Code that depends only on the step, so an interrupted run and an uninterrupted one
/// are asked for the same scripts.
fn code_by_step() -> Fallback {
    Arc::new(|body: &Value| {
        let k = step_of(body, STEPS);
        let code = if k % 3 == 1 {
            format!("import time\ntime.sleep(0.3)\n{}", failing_script("flaky"))
        } else {
            format!(
                "import time\ntime.sleep(0.3)\n{}",
                good_script(0.1 * k as f64)
            )
        };
        Reply::code(&format!("step {k}"), &code)
    })
}

fn shape(ns: &[Value]) -> Vec<(Value, Value, Value, Value)> {
    ns.iter()
        .map(|n| {
            (
                n["id"].clone(),
                n["stage"].clone(),
                n["parent_step"].clone(),
                n["metric"].clone(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_then_resume_keeps_every_completed_node_exactly_once() {
    let llm = ScriptedLlm::start(code_by_step()).await;
    let task = Task::tiny();
    let tmp = tempfile::tempdir().unwrap();
    let steps = STEPS.to_string();
    let args = [
        "--steps",
        steps.as_str(),
        "--num-drafts",
        "2",
        "--seed",
        "11",
    ];

    // Reference: the same search, never interrupted.
    let reference = tmp.path().join("reference");
    let r = run(agent(&llm.url(), task.path(), &reference, &args)).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let expected = nodes(&reference);
    assert_eq!(expected.len(), STEPS);

    let out = tmp.path().join("killed");
    let mut child = agent(&llm.url(), task.path(), &out, &args).spawn().unwrap();
    let third = out.join("nodes/00002.json");
    for _ in 0..300 {
        if third.exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(third.exists(), "the search never reached step 3");
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    let before = nodes(&out);
    assert!(
        before.len() >= 3 && before.len() < STEPS,
        "{} nodes",
        before.len()
    );

    let resume = agent(&llm.url(), task.path(), &out, &["--resume"]);
    let r = run(resume).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("resuming"), "{}", r.stderr);
    let after = nodes(&out);
    assert_eq!(after.len(), STEPS);
    for (i, n) in after.iter().enumerate() {
        assert_eq!(n["step"], i);
    }
    // Completed nodes were not re-run: same ids and creation times.
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(b["id"], a["id"]);
        assert_eq!(b["ctime"], a["ctime"]);
    }
    let journal = read_json(&out.join("journal.json"));
    assert_eq!(journal["nodes"].as_array().unwrap().len(), STEPS);
    // The seeded random state continued: the tree is the uninterrupted one.
    assert_eq!(shape(&after), shape(&expected));
    // Search time continued from the last completed node rather than restarting at 0.
    let first_elapsed = before.last().unwrap()["search_elapsed_s"].as_f64().unwrap();
    assert!(after.last().unwrap()["search_elapsed_s"].as_f64().unwrap() > first_elapsed);

    // A finished search can be extended by raising --steps.
    let r = run(agent(
        &llm.url(),
        task.path(),
        &out,
        &["--resume", "--steps", "11"],
    ))
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(nodes(&out).len(), 11);

    // Starting a new search over an existing one is refused.
    let r = run(agent(&llm.url(), task.path(), &out, &args)).await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--resume"), "{}", r.stderr);
}
