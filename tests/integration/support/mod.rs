//! Test fixtures: a scripted OpenAI-compatible server on 127.0.0.1, tiny tasks in MLE-bench
//! layout, and a way to run the real `aide-fleet` binary against both.

pub mod s3;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// One scripted answer.
#[derive(Clone, Debug)]
pub enum Reply {
    /// A plan and one fenced Python block.
    Code { plan: String, code: String },
    /// Plain text content, no tool call.
    Text(String),
    /// A `submit_review` tool call with these arguments, sent as they are.
    ToolArgs(String),
    /// An HTTP error status with an OpenAI-style error body.
    Status(u16),
    /// An HTTP error status with this error message.
    Refusal(u16, String),
}

impl Reply {
    pub fn code(plan: &str, code: &str) -> Reply {
        Reply::Code {
            plan: plan.to_string(),
            code: code.to_string(),
        }
    }

    pub fn review(
        is_bug: bool,
        summary: &str,
        metric: Option<f64>,
        lower_is_better: bool,
    ) -> Reply {
        Reply::ToolArgs(
            json!({"is_bug": is_bug, "summary": summary, "metric": metric, "lower_is_better": lower_is_better})
                .to_string(),
        )
    }
}

/// Answers for requests that the queues do not cover: a function of the request body.
pub type Fallback = Arc<dyn Fn(&Value) -> Reply + Send + Sync>;

struct Script {
    code: VecDeque<Reply>,
    review: VecDeque<Reply>,
    code_fallback: Fallback,
    review_fallback: Fallback,
    bodies: Vec<Value>,
}

#[derive(Clone)]
struct Responder(Arc<Mutex<Script>>);

impl Respond for Responder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let mut script = self.0.lock().unwrap();
        script.bodies.push(body.clone());
        let is_review = body.get("tools").is_some();
        let reply = if is_review {
            script
                .review
                .pop_front()
                .unwrap_or_else(|| (script.review_fallback)(&body))
        } else {
            script
                .code
                .pop_front()
                .unwrap_or_else(|| (script.code_fallback)(&body))
        };
        render(reply)
    }
}

fn completion(message: Value) -> Value {
    json!({
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": "scripted",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1000, "completion_tokens": 200, "total_tokens": 1200}
    })
}

fn render(reply: Reply) -> ResponseTemplate {
    match reply {
        Reply::Code { plan, code } => ResponseTemplate::new(200).set_body_json(completion(json!({
            "role": "assistant",
            "content": format!("{plan}\n\n```python\n{code}\n```\n"),
        }))),
        Reply::Text(text) => ResponseTemplate::new(200).set_body_json(completion(json!({
            "role": "assistant",
            "content": text,
        }))),
        Reply::ToolArgs(args) => ResponseTemplate::new(200).set_body_json(completion(json!({
            "role": "assistant",
            "content": null,
            "tool_calls": [{
                "id": "call_1",
                "type": "function",
                "function": {"name": "submit_review", "arguments": args}
            }]
        }))),
        Reply::Status(code) => ResponseTemplate::new(code).set_body_json(json!({
            "error": {"message": format!("scripted status {code}"), "type": "scripted"}
        })),
        Reply::Refusal(code, message) => ResponseTemplate::new(code).set_body_json(json!({
            "error": {"message": message, "type": "invalid_request_error"}
        })),
    }
}

/// The prompt text of a request body (system or user message).
pub fn prompt_of(body: &Value) -> String {
    body["messages"]
        .as_array()
        .map(|ms| {
            ms.iter()
                .filter_map(|m| m["content"].as_str())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

/// The step a code prompt is for, read from `<TOTAL_STEPS_REMAINING: n>`.
pub fn step_of(body: &Value, steps: usize) -> usize {
    let prompt = prompt_of(body);
    let remaining = prompt
        .split("<TOTAL_STEPS_REMAINING: ")
        .nth(1)
        .and_then(|s| s.split('>').next())
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(steps);
    steps - remaining
}

/// An honest reviewer: reads `METRIC=<x>` from the execution output in the prompt.
pub fn honest_reviewer() -> Fallback {
    Arc::new(|body: &Value| {
        let prompt = prompt_of(body);
        let output = prompt.split("# Execution output").nth(1).unwrap_or("");
        let metric = output
            .split("METRIC=")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .and_then(|s| s.parse::<f64>().ok());
        match metric {
            Some(m) if !output.contains("Traceback") => {
                Reply::review(false, &format!("validation metric {m}"), Some(m), false)
            }
            _ => Reply::review(true, "the script failed", None, false),
        }
    })
}

/// A script that writes a valid submission for [`Task::tiny`] and prints its metric.
pub fn good_script(metric: f64) -> String {
    format!(
        "import csv\n\
         rows = list(csv.DictReader(open('./input/test.csv')))\n\
         with open('./submission/submission.csv', 'w') as f:\n    \
             f.write('id,target\\n')\n    \
             for r in rows:\n        \
                 f.write(f\"{{r['id']}},{metric}\\n\")\n\
         print('METRIC={metric}')\n"
    )
}

/// A coder whose every script submits the task's sample submission after `pause_s`.
pub fn sample_submitter(pause_s: f64) -> Fallback {
    Arc::new(move |_: &Value| {
        Reply::code(
            "Submit the sample.",
            &format!(
                "import shutil, time\ntime.sleep({pause_s})\nshutil.copy('./input/sample_submission.csv', './submission/submission.csv')\nprint('METRIC=0.5')\n"
            ),
        )
    })
}

pub fn failing_script(message: &str) -> String {
    format!("raise ValueError({message:?})\n")
}

pub struct ScriptedLlm {
    pub server: MockServer,
    script: Arc<Mutex<Script>>,
}

impl ScriptedLlm {
    pub async fn start(code_fallback: Fallback) -> ScriptedLlm {
        Self::serve(MockServer::start().await, code_fallback).await
    }

    /// A server of its own (`start`'s come from wiremock's pool and outlive their drop):
    /// dropping it closes the port, an endpoint that goes away.
    pub async fn start_unpooled(code_fallback: Fallback) -> ScriptedLlm {
        Self::serve(MockServer::builder().start().await, code_fallback).await
    }

    /// On a given port, e.g. the one a previous server had: an endpoint that comes back.
    pub async fn start_on(port: u16, code_fallback: Fallback) -> ScriptedLlm {
        let listener = std::net::TcpListener::bind(("127.0.0.1", port)).expect("the port is free");
        let server = MockServer::builder().listener(listener).start().await;
        Self::serve(server, code_fallback).await
    }

    async fn serve(server: MockServer, code_fallback: Fallback) -> ScriptedLlm {
        let script = Arc::new(Mutex::new(Script {
            code: VecDeque::new(),
            review: VecDeque::new(),
            code_fallback,
            review_fallback: honest_reviewer(),
            bodies: Vec::new(),
        }));
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .respond_with(Responder(Arc::clone(&script)))
            .mount(&server)
            .await;
        ScriptedLlm { server, script }
    }

    pub fn url(&self) -> String {
        format!("{}/v1", self.server.uri())
    }

    pub fn push_code(&self, reply: Reply) {
        self.script.lock().unwrap().code.push_back(reply);
    }

    pub fn push_review(&self, reply: Reply) {
        self.script.lock().unwrap().review.push_back(reply);
    }

    pub fn set_code_fallback(&self, f: Fallback) {
        self.script.lock().unwrap().code_fallback = f;
    }

    pub fn bodies(&self) -> Vec<Value> {
        self.script.lock().unwrap().bodies.clone()
    }
}

/// A tiny task in MLE-bench's public layout.
pub struct Task {
    pub dir: tempfile::TempDir,
}

impl Task {
    pub fn tiny() -> Task {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        std::fs::write(
            p.join("description.md"),
            "# Tiny task\n\nPredict `target` for each id in test.csv. Metric: accuracy, higher is better.\n",
        )
        .unwrap();
        std::fs::write(
            p.join("train.csv"),
            "id,x,target\n1,0.5,1\n2,0.1,0\n3,0.9,1\n4,0.2,0\n",
        )
        .unwrap();
        std::fs::write(p.join("test.csv"), "id,x\n10,0.3\n11,0.8\n12,0.6\n").unwrap();
        std::fs::write(
            p.join("sample_submission.csv"),
            "id,target\n10,0\n11,0\n12,0\n",
        )
        .unwrap();
        Task { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// Environment values that must never reach a generated script.
pub const SECRETS: &[(&str, &str)] = &[
    ("OPENAI_API_KEY", "sk-test-SECRET-openai-4242"),
    ("ANTHROPIC_API_KEY", "sk-ant-SECRET-anthropic-4242"),
    ("AWS_SECRET_ACCESS_KEY", "SECRET-aws-4242"),
    ("AWS_ACCESS_KEY_ID", "AKIASECRET4242"),
    ("HF_TOKEN", "hf_SECRET4242"),
];

/// `aide-fleet agent` against the scripted server, with fast retries and a 20 s script limit.
pub fn agent(llm_url: &str, task: &Path, out: &Path, extra: &[&str]) -> tokio::process::Command {
    let config = out.with_extension("config.yaml");
    std::fs::write(
        &config,
        "exec:\n  timeout_s: 20\nllm:\n  retry:\n    max_attempts: 3\n    initial_delay_ms: 10\n    max_delay_ms: 40\n    max_total_ms: 2000\n",
    )
    .unwrap();
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_aide-fleet"));
    cmd.arg("agent").arg("--out").arg(out).arg("--no-progress");
    // A resumed search keeps the settings it was started with.
    if !extra.contains(&"--resume") {
        cmd.arg("--task-dir")
            .arg(task)
            .arg("--config")
            .arg(&config)
            .args([
                "--model",
                "scripted-coder",
                "--feedback-model",
                "scripted-reviewer",
            ])
            .args(["--python", "python3"]);
    }
    cmd.args(extra)
        .env("OPENAI_BASE_URL", llm_url)
        .env_remove("ANTHROPIC_BASE_URL")
        .kill_on_drop(true);
    for (k, v) in SECRETS {
        cmd.env(k, v);
    }
    cmd
}

pub struct Finished {
    pub code: i32,
    pub stderr: String,
}

impl Finished {
    /// Asserts the exit code, showing the command's stderr when it differs.
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit code {}, stderr:\n{}",
            self.code, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn assert_success(&self) -> &Self {
        self.assert_code(0)
    }
}

/// A suite of demo tasks for `aide-fleet run` with the scripted models.
pub fn write_suite(
    dir: &Path,
    tasks: &[&str],
    seeds: u32,
    steps: u32,
    concurrency: u32,
) -> PathBuf {
    let path = dir.join("suite.yaml");
    let list: Vec<String> = tasks.iter().map(|t| format!("  - {t}")).collect();
    std::fs::write(
        &path,
        format!(
            "name: test\nbenchmark: demo\ntasks:\n{}\nseeds: {seeds}\nagent:\n  steps: {steps}\n  num_drafts: 2\n  model: scripted-coder\n  feedback_model: scripted-reviewer\nexecutor:\n  local:\n    concurrency: {concurrency}\n",
            list.join("\n")
        ),
    )
    .unwrap();
    path
}

/// `aide-fleet run SUITE` with the local executor, no GPUs, and the LLM at `base_url`.
pub fn fleet_run(
    base_url: &str,
    suite: &Path,
    store: &Path,
    run_id: &str,
    benchmarks: &Path,
) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_aide-fleet"));
    cmd.arg("run")
        .arg(suite)
        .arg("--store")
        .arg(store)
        .args(["--run-id", run_id, "--no-progress"])
        .arg("--benchmarks")
        .arg(benchmarks)
        .env("OPENAI_BASE_URL", base_url)
        .env("AIDE_FLEET_GPUS", "")
        .kill_on_drop(true);
    cmd
}

/// The repository's own benchmarks directory.
pub fn benchmarks() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benchmarks")
}

/// A port on 127.0.0.1 where nothing listens (it was free a moment ago).
pub fn dead_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

pub async fn run(mut cmd: tokio::process::Command) -> Finished {
    let out = cmd.output().await.expect("the aide-fleet binary runs");
    Finished {
        code: out.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The node records of a run, in step order.
pub fn nodes(out: &Path) -> Vec<Value> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(out.join("nodes"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap())
        .collect()
}

pub fn read_json(path: &Path) -> Value {
    serde_json::from_slice(
        &std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap()
}

pub fn bug_kinds(node: &Value) -> Vec<String> {
    node["bug_reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap().to_string())
        .collect()
}

/// The run-group index a directory store holds for `run`, after asserting that it is
/// closed and equal, record for record, to a rebuild from the per-run files of `tasks` x
/// seeds `0..seeds`.
pub async fn closed_index_matching_files(
    store: &Path,
    run: &str,
    tasks: &[&str],
    seeds: u64,
) -> aide_fleet::fleet::index::GroupIndex {
    use aide_fleet::fleet::RunKey;
    use aide_fleet::fleet::index::{GroupIndex, Quiet, rebuild_records};
    let bytes = std::fs::read(store.join(format!("runs/{run}/index.json"))).unwrap();
    let index = GroupIndex::parse(&bytes).unwrap();
    assert!(!index.live, "the controller closes the index at exit");
    let planned: Vec<RunKey> = tasks
        .iter()
        .flat_map(|t| {
            (0..seeds).map(|seed| RunKey {
                task: t.to_string(),
                seed,
            })
        })
        .collect();
    s3::test_env();
    let opened = aide_fleet::store::Store::open(store.to_str().unwrap(), &Default::default())
        .await
        .unwrap();
    let rebuilt = rebuild_records(&opened, run, &planned, &mut Quiet)
        .await
        .unwrap();
    assert_eq!(index.runs, rebuilt, "the index and the files disagree");
    index
}
