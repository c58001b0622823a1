//! `aide-fleet run --executor kube` end to end: the real binary as the controller, a
//! kubeconfig pointing at the fake API server, whose simulated kubelet runs each Job's
//! `aide-fleet agent` against the scripted LLM; the demo tasks, graded by the controller.
//! Also: `--dry-run` renders the Jobs without contacting the cluster, and a controller
//! killed mid-run re-attaches to its running Job instead of launching another.

use crate::fake_kube;
use crate::support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use fake_kube::{FakeConfig, FakeKube, Kind};
use k8s_openapi::api::batch::v1::Job;
use serde_json::Value;
use support::{ScriptedLlm, read_json, sample_submitter};

const NS: &str = "aide";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Setup {
    fake: FakeKube,
    llm: ScriptedLlm,
    dir: tempfile::TempDir,
}

impl Setup {
    async fn start(pause_s: f64) -> Setup {
        let fake = FakeKube::start(FakeConfig::default()).await;
        fake.binary(
            "/usr/local/bin/aide-fleet",
            Path::new(env!("CARGO_BIN_EXE_aide-fleet")),
        );
        fake.secret(NS, "aide-fleet-llm", &[("OPENAI_API_KEY", "sk-test-4242")]);
        let setup = Setup {
            fake,
            llm: ScriptedLlm::start(sample_submitter(pause_s)).await,
            dir: tempfile::tempdir().unwrap(),
        };
        setup
            .fake
            .write_kubeconfig(&setup.dir.path().join("kubeconfig"), NS);
        setup
    }

    fn suite(&self, tasks: &[&str], steps: u32) -> PathBuf {
        let demo = repo().join("benchmarks/demo");
        let path = self.dir.path().join("suite.yaml");
        std::fs::write(
            &path,
            format!(
                "name: kube-test\nbenchmark: demo\ntasks: [{}]\nseeds: 1\n\
                 agent: {{steps: {steps}, num_drafts: 2, model: scripted-coder, feedback_model: scripted-reviewer}}\n\
                 executor:\n  kube:\n    namespace: {NS}\n    image: registry.example.com/aide-fleet:test\n\
                 \x20   env: {{OPENAI_BASE_URL: '{}'}}\n\
                 \x20   data: {{volume: {{local_root: '{}', host_path: '{}'}}}}\n",
                tasks.join(", "),
                self.llm.url(),
                demo.display(),
                demo.display()
            ),
        )
        .unwrap();
        path
    }

    fn store(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    fn run(&self, suite: &Path, run_id: &str, extra: &[&str]) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_aide-fleet"));
        cmd.arg("run")
            .arg(suite)
            .args(["--executor", "kube", "--store"])
            .arg(self.store())
            .args(["--run-id", run_id, "--no-progress", "--benchmarks"])
            .arg(repo().join("benchmarks"))
            .args(extra)
            .env("KUBECONFIG", self.dir.path().join("kubeconfig"))
            .env_remove("KUBERNETES_SERVICE_HOST")
            .kill_on_drop(true);
        cmd
    }

    fn status(&self, run: &str, task: &str) -> Value {
        read_json(
            &self
                .store()
                .join(format!("runs/{run}/tasks/{task}/seed-0/status.json")),
        )
    }

    fn posts(&self) -> usize {
        self.fake
            .requests()
            .iter()
            .filter(|r| r.starts_with("POST "))
            .count()
    }
}

async fn finish(mut cmd: tokio::process::Command) -> (i32, String) {
    let out = tokio::time::timeout(Duration::from_secs(180), cmd.output())
        .await
        .expect("the run ends within 3 minutes")
        .expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_demo_suite_runs_as_jobs_and_is_graded() {
    let setup = Setup::start(0.0).await;
    let suite = setup.suite(&["demo-binary", "demo-regression"], 2);
    let (code, stderr) = finish(setup.run(&suite, "k1", &[])).await;
    assert_eq!(code, 0, "{stderr}");
    for task in ["demo-binary", "demo-regression"] {
        let status = setup.status("k1", task);
        assert_eq!(status["state"], "succeeded", "{status}");
        assert_eq!(
            status["attempts"][0]["executor_id"],
            format!("job af-k1-{task}-s0-a1")
        );
        let grade = setup
            .store()
            .join(format!("runs/k1/tasks/{task}/seed-0/grade.json"));
        assert!(read_json(&grade)["valid_submission"].as_bool().unwrap());
    }
    assert_eq!(setup.fake.list(Kind::Job, NS).len(), 2);
    assert_eq!(setup.posts(), 2);
    // The pods saw the public files only: the mount is the public directory.
    let job = setup
        .fake
        .get(Kind::Job, NS, "af-k1-demo-binary-s0-a1")
        .unwrap();
    let mounts = &job["spec"]["template"]["spec"]["containers"][0]["volumeMounts"];
    let task_mount = mounts
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["mountPath"] == "/task")
        .unwrap();
    assert_eq!(task_mount["subPath"], "demo-binary/prepared/public");

    // Run again: everything is done; nothing is launched.
    let (code, stderr) = finish(setup.run(&suite, "k1", &[])).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(setup.posts(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dry_run_prints_the_jobs_and_contacts_nothing() {
    let setup = Setup::start(0.0).await;
    let suite = setup.suite(&["demo-binary", "demo-regression"], 2);
    let out = setup
        .run(&suite, "k2", &["--dry-run"])
        .output()
        .await
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let yaml = String::from_utf8(out.stdout).unwrap();
    let jobs: Vec<Job> = yaml
        .split("\n---\n")
        .map(|doc| serde_saphyr::from_str(doc).unwrap())
        .collect();
    let names: Vec<_> = jobs
        .iter()
        .map(|j| j.metadata.name.clone().unwrap())
        .collect();
    assert_eq!(
        names,
        ["af-k2-demo-binary-s0-a1", "af-k2-demo-regression-s0-a1"]
    );
    assert!(setup.fake.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_controller_reattaches_to_its_running_job() {
    let setup = Setup::start(1.0).await;
    let suite = setup.suite(&["demo-binary"], 4);
    let mut first = setup
        .run(&suite, "k3", &[])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let node = setup
        .store()
        .join("runs/k3/tasks/demo-binary/seed-0/agent/nodes/00001.json");
    for _ in 0..600 {
        if node.is_file() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(node.is_file(), "the search checkpointed its first node");
    first.kill().await.unwrap();

    // The Job runs on without its controller; a new one finds it and waits for it.
    assert_eq!(setup.fake.list(Kind::Job, NS).len(), 1);
    let (code, stderr) = finish(setup.run(&suite, "k3", &[])).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(setup.status("k3", "demo-binary")["state"], "succeeded");
    assert_eq!(setup.posts(), 1, "no second Job");
    assert_eq!(setup.fake.list(Kind::Pod, NS).len(), 1, "no second pod");
    let journal = read_json(
        &setup
            .store()
            .join("runs/k3/tasks/demo-binary/seed-0/agent/journal.json"),
    );
    assert_eq!(journal["nodes"].as_array().unwrap().len(), 4);
}
