//! Agent overhead per step: a step's wall time (its recorded `timing.total_s`, from its
//! start to its node record's final write) minus the time spent waiting for the LLM and
//! for the script (`timing.exec_s`, from the sandboxed child's spawn to its exit),
//! measured with an instant scripted LLM on 127.0.0.1 and a trivial script, at the 10th,
//! 100th and 500th node of one search. The syntax check of the model's code (a request to
//! the search's checker process) and the sandbox's work in the agent (building each
//! script's Landlock rules, the leftover scan) are inside the overhead; the check's own
//! share is printed beside it. The search runs with the default `exec.sandbox:
//! best-effort`; what was enforced is printed.
//!
//! Then the sandbox's own cost per script, part of it already in the overhead above:
//! building a script's Landlock rules, the child's privilege drop and restriction (a
//! confined `/bin/true` against a plain one), and the scan for leftover processes.
//!
//! Run: `cargo bench --bench agent_overhead` (optionally `-- STEPS`, default 500).
//! The baseline is the same search's first nodes: the ratio at 500 vs 10 nodes shows
//! whether per-step cost grows with the journal. Goal: at most 2 ms median at 500 nodes.

use std::time::Instant;

use aide_fleet::agent::{
    Agent, AgentConfig, Layout, Node, Sandbox, SandboxMode, SandboxSpec, StepTiming, python_install,
};
use aide_fleet::llm::Llm;
use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

struct Instant200;

const SCRIPT: &str =
    "open('./submission/submission.csv','w').write('id,target\\n1,0.5\\n')\nprint('METRIC=0.5')";

impl Respond for Instant200 {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let message = if body.get("tools").is_some() {
            json!({"role": "assistant", "content": null, "tool_calls": [{"id": "c", "type": "function",
                "function": {"name": "submit_review",
                  "arguments": "{\"is_bug\": false, \"summary\": \"ok\", \"metric\": 0.5, \"lower_is_better\": false}"}}]})
        } else {
            json!({"role": "assistant", "content": format!("Plan.\n```python\n{SCRIPT}\n```")})
        };
        ResponseTemplate::new(200).set_body_json(json!({
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10}
        }))
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Everything but the LLM and the script: the syntax check is in it.
fn overhead_ms(t: &StepTiming) -> f64 {
    (t.total_s - t.llm_s - t.exec_s) * 1000.0
}

fn main() {
    let steps: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(500);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let tmp = tempfile::tempdir().expect("tempdir");
    let task = tmp.path().join("task");
    std::fs::create_dir_all(&task).unwrap();
    std::fs::write(task.join("description.md"), "# Bench\nPredict target.\n").unwrap();
    std::fs::write(task.join("train.csv"), "id,x,target\n1,0.1,0\n2,0.9,1\n").unwrap();
    std::fs::write(task.join("sample_submission.csv"), "id,target\n1,0\n").unwrap();

    let nodes: Vec<Node> = runtime.block_on(async {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(Instant200)
            .mount(&server)
            .await;
        let mut cfg = AgentConfig::default();
        cfg.search.steps = steps;
        cfg.models.code = "bench".into();
        cfg.models.feedback = "bench".into();
        cfg.exec.python = Some("python3".into());
        cfg.llm.base_url = Some(format!("{}/v1", server.uri()));
        let llm = Llm::from_env(&cfg.llm).expect("llm");
        let out = tmp.path().join("run");
        let started = Instant::now();
        let mut agent = Agent::start(cfg, &task, &out, llm, Box::new(|_| {})).expect("agent");
        agent.run(std::future::pending()).await.expect("search");
        eprintln!("{steps} steps in {:.1} s", started.elapsed().as_secs_f64());
        agent.journal().nodes().to_vec()
    });

    if let Some(e) = nodes.last().and_then(|n| n.sandbox) {
        println!("scripts' sandbox: {e:?}");
    }
    println!(
        "agent overhead per step (step wall time minus LLM wait and script run; syntax check included)"
    );
    println!(
        "{:>14} {:>12} {:>12} {:>12} {:>14}",
        "nodes", "median ms", "p90 ms", "llm+exec ms", "of it check ms"
    );
    let window = |lo: usize, hi: usize| -> Option<(f64, f64, f64, f64)> {
        let w: Vec<&Node> = nodes
            .iter()
            .filter(|n| n.step >= lo && n.step < hi)
            .collect();
        if w.is_empty() {
            return None;
        }
        let mut o: Vec<f64> = w.iter().map(|n| overhead_ms(&n.timing)).collect();
        o.sort_by(|a, b| a.total_cmp(b));
        let p90 = o[(o.len() * 9 / 10).min(o.len() - 1)];
        let waited = median(
            w.iter()
                .map(|n| (n.timing.llm_s + n.timing.exec_s) * 1000.0)
                .collect(),
        );
        let check = median(w.iter().map(|n| n.timing.check_s * 1000.0).collect());
        Some((median(o), p90, waited, check))
    };
    let mut medians = Vec::new();
    for at in [10, 100, 500] {
        if at > steps {
            continue;
        }
        let lo = at.saturating_sub(10);
        if let Some((m, p90, waited, check)) = window(lo, at) {
            println!(
                "{:>14} {m:>12.2} {p90:>12.2} {waited:>12.2} {check:>14.3}",
                format!("{}-{at}", lo + 1)
            );
            medians.push((at, m));
        }
    }
    let first_check = nodes.first().map_or(0.0, |n| n.timing.check_s * 1000.0);
    println!("first step's syntax check (the checker's start): {first_check:.1} ms");
    if let (Some(first), Some(last)) = (medians.first(), medians.last()) {
        println!(
            "ratio of median overhead at {} nodes to {} nodes: {:.2}",
            last.0,
            first.0,
            last.1 / first.1
        );
        println!(
            "goal: at most 2 ms median at 500 nodes: {:.2} ms at {} nodes",
            last.1, last.0
        );
    }

    sandbox_cost(&runtime, &tmp.path().join("run/workspace"));
}

/// Medians over 200 scripts of each part of the sandbox's per-script cost.
fn sandbox_cost(runtime: &tokio::runtime::Runtime, workspace: &std::path::Path) {
    const RUNS: usize = 200;
    let env: Vec<_> = std::env::vars_os().filter(|(k, _)| k == "PATH").collect();
    let mut read_only = vec![workspace.to_path_buf()];
    read_only.extend(
        python_install(std::path::Path::new("python3"), &env)
            .map(|i| i.paths)
            .unwrap_or_default(),
    );
    let layout = Layout {
        read_only,
        read_write: ["working", "submission", ".aide_exec", ".tmp"]
            .iter()
            .map(|d| workspace.join(d))
            .collect(),
    };
    let sandbox = Sandbox::new(SandboxSpec {
        mode: SandboxMode::Required,
        block_network: false,
        layout,
        kill_leftovers: true,
    })
    .expect("the full sandbox on this machine");
    let (mut rules, mut plain, mut confined, mut reap) = (vec![], vec![], vec![], vec![]);
    runtime.block_on(async {
        for _ in 0..RUNS {
            let mut cmd = tokio::process::Command::new("/bin/true");
            let t = Instant::now();
            sandbox.confine(&mut cmd).expect("rules");
            rules.push(t.elapsed().as_secs_f64() * 1000.0);
            let mark = sandbox.mark();
            let t = Instant::now();
            cmd.status().await.expect("confined /bin/true");
            confined.push(t.elapsed().as_secs_f64() * 1000.0);
            let t = Instant::now();
            sandbox.kill_leftovers(mark);
            reap.push(t.elapsed().as_secs_f64() * 1000.0);
            let t = Instant::now();
            tokio::process::Command::new("/bin/true")
                .status()
                .await
                .expect("/bin/true");
            plain.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    });
    let (rules, reap) = (median(rules), median(reap));
    let child = median(confined) - median(plain);
    println!("sandbox cost per script (median of {RUNS})");
    println!("  Landlock rules built in the parent: {rules:.3} ms");
    println!(
        "  child: capabilities dropped and restricted (confined minus plain spawn): {child:.3} ms"
    );
    println!("  leftover scan and kill: {reap:.3} ms");
    println!(
        "  total: {:.3} ms (goal: under 2 ms)",
        rules + child.max(0.0) + reap
    );
}
