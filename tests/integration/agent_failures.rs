//! Every way a step can go wrong, against the real binary and a scripted LLM, with the
//! scripts in the full sandbox (`--sandbox required`): the search
//! records a reason and goes on, or stops with a clear error and its artifacts intact.

use crate::support;

use std::path::Path;
use std::sync::Arc;

use serde_json::Value;
use support::*;

fn always(code: String) -> Fallback {
    Arc::new(move |_: &Value| Reply::code("plan", &code))
}

struct Run {
    _tmp: tempfile::TempDir,
    _task: Task,
    out: std::path::PathBuf,
    finished: Finished,
}

/// Every failure here happens inside the full sandbox: a search that could not have it
/// fails to start (exit 2) instead of passing unconfined.
async fn search(llm: &ScriptedLlm, extra: &[&str]) -> Run {
    let task = Task::tiny();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let extra: Vec<&str> = extra
        .iter()
        .copied()
        .chain(["--sandbox", "required"])
        .collect();
    let finished = run(agent(&llm.url(), task.path(), &out, &extra)).await;
    Run {
        _tmp: tmp,
        _task: task,
        out,
        finished,
    }
}

fn code_requests(llm: &ScriptedLlm) -> usize {
    llm.bodies()
        .iter()
        .filter(|b| b.get("tools").is_none())
        .count()
}

fn review_requests(llm: &ScriptedLlm) -> usize {
    llm.bodies()
        .iter()
        .filter(|b| b.get("tools").is_some())
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_without_a_code_block_is_asked_again_then_run_as_is() {
    let llm = ScriptedLlm::start(always(good_script(0.8))).await;
    for _ in 0..3 {
        llm.push_code(Reply::Text("I would train a random forest.".into()));
    }
    let r = search(&llm, &["--steps", "2"]).await;
    assert_eq!(r.finished.code, 0, "{}", r.finished.stderr);
    let ns = nodes(&r.out);
    assert_eq!(ns[0]["plan"], "");
    assert_eq!(ns[0]["code"], "I would train a random forest.");
    assert_eq!(ns[0]["exc_type"], "SyntaxError");
    assert_eq!(bug_kinds(&ns[0])[0], "exception");
    assert!(
        r.finished
            .stderr
            .contains("no compiling code block in 3 answers"),
        "{}",
        r.finished.stderr
    );
    assert_eq!(ns[1]["is_buggy"], false);
    assert_eq!(code_requests(&llm), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_that_does_not_compile_is_asked_again_and_only_compiling_blocks_run() {
    let llm = ScriptedLlm::start(always(good_script(0.8))).await;
    llm.push_code(Reply::code("Broken.", "def train(:\n    pass\n"));
    let answer = format!(
        "Two blocks, one broken.\n\n```python\nprint('first')\n```\n\n```python\nfor x in\n```\n\n```python\n{}```\n",
        good_script(0.7)
    );
    llm.push_code(Reply::Text(answer));
    let r = search(&llm, &["--steps", "1"]).await;
    assert_eq!(r.finished.code, 0, "{}", r.finished.stderr);
    let ns = nodes(&r.out);
    assert_eq!(ns.len(), 1);
    assert_eq!(ns[0]["plan"], "Two blocks, one broken.");
    let code = ns[0]["code"].as_str().unwrap();
    assert!(code.starts_with("print('first')\n\nimport csv"), "{code}");
    assert!(!code.contains("for x in"), "{code}");
    assert_eq!(ns[0]["is_buggy"], false, "{}", ns[0]);
    assert!(ns[0]["timing"]["check_s"].as_f64().unwrap() > 0.0);
    assert!(
        r.finished
            .stderr
            .contains("code answer 1/3: none of its 1 code blocks compiles"),
        "{}",
        r.finished.stderr
    );
    assert_eq!(code_requests(&llm), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_without_a_plan_is_asked_again_then_run_without_one() {
    let llm = ScriptedLlm::start(always(good_script(0.8))).await;
    for _ in 0..3 {
        llm.push_code(Reply::Text(format!("```python\n{}```", good_script(0.6))));
    }
    let r = search(&llm, &["--steps", "1"]).await;
    assert_eq!(r.finished.code, 0, "{}", r.finished.stderr);
    let ns = nodes(&r.out);
    assert_eq!(ns[0]["plan"], "");
    assert_eq!(
        ns[0]["code"].as_str().unwrap().trim(),
        good_script(0.6).trim()
    );
    assert_eq!(ns[0]["is_buggy"], false, "{}", ns[0]);
    assert!(
        r.finished
            .stderr
            .contains("no plan with compiling code in 3 answers; running the last one's code"),
        "{}",
        r.finished.stderr
    );
    assert_eq!(code_requests(&llm), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prompt_beyond_the_model_s_context_is_sent_again_with_less_memory() {
    // A model whose context holds the memory of at most 2 good nodes.
    let llm = ScriptedLlm::start(Arc::new(|body: &Value| {
        let prompt = prompt_of(body);
        if prompt.matches("Design: ").count() > 2 {
            return Reply::Refusal(
                400,
                "This model's maximum context length is 8192 tokens. However, you requested 9100 tokens.".into(),
            );
        }
        let step = step_of(body, 5);
        Reply::code(&format!("Plan of step {step}."), &good_script(0.8))
    }))
    .await;
    let r = search(&llm, &["--steps", "5", "--num-drafts", "5"]).await;
    assert_eq!(r.finished.code, 0, "{}", r.finished.stderr);
    let ns = nodes(&r.out);
    assert_eq!(ns.len(), 5);
    assert!(ns.iter().all(|n| n["is_buggy"] == false), "{ns:?}");
    // Steps 3 and 4 (3 and 4 good nodes before them) were each refused once, then fit.
    assert_eq!(code_requests(&llm), 7);
    assert!(
        r.finished
            .stderr
            .contains("asking again with the memory of the 1 most recent good nodes instead of 3"),
        "{}",
        r.finished.stderr
    );
    let last = llm
        .bodies()
        .into_iter()
        .filter(|b| b.get("tools").is_none())
        .last()
        .map(|b| prompt_of(&b))
        .unwrap();
    assert_eq!(last.matches("Design: ").count(), 2);
    assert!(last.contains("Design: Plan of step 2.") && last.contains("Design: Plan of step 3."));
    assert!(!last.contains("Design: Plan of step 1."));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_review_without_a_tool_call_falls_back_to_json_in_text_then_gives_up() {
    let llm = ScriptedLlm::start(always(good_script(0.8))).await;
    // Node 0: JSON in prose is accepted.
    llm.push_review(Reply::Text(
        "Here you go: {\"is_bug\": false, \"summary\": \"fine\", \"metric\": 0.8, \"lower_is_better\": false}".into(),
    ));
    // Node 1: three answers without any JSON: buggy with reason review_failed.
    for _ in 0..3 {
        llm.push_review(Reply::Text("The run looks good to me!".into()));
    }
    let r = search(&llm, &["--steps", "2"]).await;
    assert_eq!(r.finished.code, 0, "{}", r.finished.stderr);
    let ns = nodes(&r.out);
    assert_eq!(ns[0]["is_buggy"], false);
    assert_eq!(ns[0]["metric"], 0.8);
    assert_eq!(ns[1]["is_buggy"], true);
    assert_eq!(bug_kinds(&ns[1]), ["review_failed"]);
    assert!(
        ns[1]["bug_reasons"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("3 attempts")
    );
    assert_eq!(review_requests(&llm), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_tool_arguments_are_retried() {
    let llm = ScriptedLlm::start(always(good_script(3.0))).await;
    llm.push_review(Reply::ToolArgs("{\"is_bug\": fal".into()));
    // An integer metric is a metric.
    llm.push_review(Reply::ToolArgs(
        "{\"is_bug\": false, \"summary\": \"ok\", \"metric\": 3, \"lower_is_better\": true}".into(),
    ));
    let r = search(&llm, &["--steps", "1"]).await;
    assert_eq!(r.finished.code, 0, "{}", r.finished.stderr);
    let ns = nodes(&r.out);
    assert_eq!(ns[0]["is_buggy"], false);
    assert_eq!(ns[0]["metric"], 3.0);
    assert_eq!(ns[0]["reviewer_lower_is_better"], true);
    assert_eq!(review_requests(&llm), 2);
    assert!(
        r.finished.stderr.contains("review attempt 1/3"),
        "{}",
        r.finished.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_is_retried_and_the_search_goes_on() {
    let llm = ScriptedLlm::start(always(good_script(0.8))).await;
    llm.push_code(Reply::Status(429));
    let r = search(&llm, &["--steps", "1"]).await;
    assert_eq!(r.finished.code, 0, "{}", r.finished.stderr);
    assert_eq!(nodes(&r.out)[0]["is_buggy"], false);
    assert_eq!(code_requests(&llm), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_500_storm_ends_the_search_with_a_clear_error_and_artifacts_intact() {
    let llm = ScriptedLlm::start(always(good_script(0.8))).await;
    // The first node completes; then every request fails.
    llm.push_code(Reply::code("plan", &good_script(0.8)));
    llm.push_review(Reply::review(false, "ok", Some(0.8), false));
    llm.set_code_fallback(Arc::new(|_: &Value| Reply::Status(500)));
    let r = search(&llm, &["--steps", "5"]).await;
    assert_eq!(r.finished.code, 4, "{}", r.finished.stderr);
    assert!(
        r.finished.stderr.contains("failed after 3 attempts"),
        "{}",
        r.finished.stderr
    );
    assert!(r.finished.stderr.contains("500"), "{}", r.finished.stderr);
    assert_eq!(nodes(&r.out).len(), 1);
    let journal = read_json(&r.out.join("journal.json"));
    assert_eq!(journal["nodes"].as_array().unwrap().len(), 1);
    assert!(r.out.join("best_submission/submission.csv").is_file());
    assert!(r.out.join("tree.html").is_file());
    let progress = read_json(&r.out.join("progress.json"));
    assert!(
        progress["stop_reason"]
            .as_str()
            .unwrap()
            .starts_with("error: ")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_401_fails_at_once() {
    let llm = ScriptedLlm::start(Arc::new(|_: &Value| Reply::Status(401))).await;
    let r = search(&llm, &["--steps", "3"]).await;
    assert_eq!(r.finished.code, 4, "{}", r.finished.stderr);
    assert!(r.finished.stderr.contains("401"), "{}", r.finished.stderr);
    assert_eq!(llm.bodies().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_that_sleeps_past_its_timeout_is_stopped() {
    let llm = ScriptedLlm::start(always("import time\ntime.sleep(60)\n".into())).await;
    let r = search(
        &llm,
        &["--steps", "1", "--exec-timeout", "1", "--kill-grace", "2"],
    )
    .await;
    assert_eq!(r.finished.code, 0, "{}", r.finished.stderr);
    let n = &nodes(&r.out)[0];
    assert_eq!(n["exc_type"], "TimeoutError");
    assert_eq!(bug_kinds(n)[0], "timeout");
    assert!(n["exec_time"].as_f64().unwrap() < 10.0);
    let out: String = n["term_out"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(
        out.contains("KeyboardInterrupt"),
        "SIGINT reached the script: {out}"
    );
    assert!(
        out.contains("Execution exceeded the time limit of 1 second"),
        "{out}"
    );
}

fn is_alive(pid: i32) -> bool {
    // A zombie has exited; only its table entry waits for a reaper.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            !s.rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        })
        .unwrap_or(false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_whose_child_ignores_sigint_has_its_whole_group_killed() {
    let code = r#"
import os, signal, subprocess, sys, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
child = subprocess.Popen([sys.executable, "-c",
    "import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); time.sleep(120)"])
open("./working/child.pid", "w").write(str(child.pid))
time.sleep(120)
"#;
    let llm = ScriptedLlm::start(always(code.into())).await;
    let r = search(
        &llm,
        &["--steps", "1", "--exec-timeout", "2", "--kill-grace", "1"],
    )
    .await;
    assert_eq!(r.finished.code, 0, "{}", r.finished.stderr);
    let n = &nodes(&r.out)[0];
    assert_eq!(n["exc_type"], "TimeoutError");
    assert!(n["exec_time"].as_f64().unwrap() < 15.0);
    let pid: i32 = std::fs::read_to_string(r.out.join("workspace/working/child.pid"))
        .unwrap()
        .parse()
        .unwrap();
    for _ in 0..50 {
        if !is_alive(pid) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("grandchild {pid} survived the timeout");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_that_prints_its_environment_sees_no_secret() {
    let code = "import os, json\nprint(json.dumps(dict(os.environ)))\n";
    let llm = ScriptedLlm::start(always(code.into())).await;
    let r = search(&llm, &["--steps", "1"]).await;
    assert_eq!(r.finished.code, 0, "{}", r.finished.stderr);
    let n = &nodes(&r.out)[0];
    let out = n["term_out"][0].as_str().unwrap();
    let env: Value = serde_json::from_str(out.trim()).expect("the script printed its environment");
    assert!(env.get("PATH").is_some(), "{out}");
    for (name, value) in SECRETS {
        assert!(env.get(*name).is_none(), "{name} reached the script");
        assert!(
            !out.contains(value),
            "the value of {name} reached the script"
        );
    }
    assert!(env.get("OPENAI_BASE_URL").is_none());
    // The secrets were really in the agent's own environment.
    assert!(llm.bodies().len() >= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_task_description_is_a_usage_error() {
    let llm = ScriptedLlm::start(always(good_script(0.8))).await;
    let empty = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let r = run(agent(
        &llm.url(),
        empty.path(),
        &out.path().join("run"),
        &["--steps", "1"],
    ))
    .await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("description.md"), "{}", r.stderr);
    assert!(llm.bodies().is_empty());
    let _ = Path::new("");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submission_that_does_not_match_the_sample_makes_the_node_buggy() {
    let code = "open('./submission/submission.csv', 'w').write('id,target\\n10,0.5\\n11,0.5\\n')\nprint('METRIC=0.9')\n";
    let llm = ScriptedLlm::start(always(code.into())).await;
    let r = search(&llm, &["--steps", "1"]).await;
    assert_eq!(r.finished.code, 0, "{}", r.finished.stderr);
    let n = &nodes(&r.out)[0];
    assert_eq!(n["is_buggy"], true);
    assert_eq!(bug_kinds(n), ["invalid_submission"]);
    let detail = n["bug_reasons"][0]["detail"].as_str().unwrap();
    assert!(detail.contains("12"), "names the missing id: {detail}");
    // The node's own file is still kept for inspection.
    assert!(r.out.join("nodes/00000.submission.csv").is_file());
}
