//! The Kubernetes executor end to end against the fake API server, whose simulated
//! kubelet runs each pod's command (the real `aide-fleet agent`, against a scripted LLM)
//! as a local process: success, a crashing agent, bad input, OOM kill, eviction with a
//! replacement pod that resumes from the store, deadline, unschedulable pods, image pull
//! failures, and a restarted executor that re-attaches instead of duplicating Jobs.

use crate::fake_kube;
use crate::support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use aide_fleet::bench::KubeExecutor;
use aide_fleet::fleet::kube::{JobExecutor, KubeRunConfig};
use aide_fleet::fleet::{ExecEvent, ExitStatus, LaunchSpec, RunKey};
use fake_kube::{FakeConfig, FakeKube, Kind, PodScript};
use serde_json::Value;
use support::{Fallback, Reply, ScriptedLlm, good_script};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

const NS: &str = "aide";
const RUN: &str = "r1";
const AGENT_IMAGE: &str = "registry.example.com/aide-fleet:test";

struct Cluster {
    fake: FakeKube,
    llm: ScriptedLlm,
    /// Holds `<task>/public` for every task: the data volume's host path.
    data: tempfile::TempDir,
    store: tempfile::TempDir,
}

fn good_coder() -> Fallback {
    Arc::new(|_: &Value| Reply::code("Predict 0.5.", &good_script(0.5)))
}

impl Cluster {
    async fn start() -> Cluster {
        let fake = FakeKube::start(FakeConfig {
            grace: Duration::from_secs(10),
            ..FakeConfig::default()
        })
        .await;
        fake.binary(
            "/usr/local/bin/aide-fleet",
            Path::new(env!("CARGO_BIN_EXE_aide-fleet")),
        );
        fake.secret(NS, "aide-fleet-llm", &[("OPENAI_API_KEY", "sk-test-4242")]);
        let cluster = Cluster {
            fake,
            llm: ScriptedLlm::start(good_coder()).await,
            data: tempfile::tempdir().unwrap(),
            store: tempfile::tempdir().unwrap(),
        };
        let tiny = support::Task::tiny();
        let public = cluster.data.path().join("tiny/public");
        std::fs::create_dir_all(&public).unwrap();
        for file in std::fs::read_dir(tiny.path()).unwrap() {
            let file = file.unwrap().path();
            std::fs::copy(&file, public.join(file.file_name().unwrap())).unwrap();
        }
        cluster
    }

    fn config(&self) -> KubeRunConfig {
        let data = self.data.path().display();
        let settings: KubeExecutor = serde_saphyr::from_str(&format!(
            "namespace: {NS}\nimage: {AGENT_IMAGE}\n\
             env: {{OPENAI_BASE_URL: '{}'}}\n\
             deadline_margin: 5m\n\
             data: {{volume: {{local_root: '{data}', host_path: '{data}'}}}}\n",
            self.llm.url()
        ))
        .unwrap();
        KubeRunConfig::new(RUN, settings, self.store.path().display().to_string())
    }

    fn executor(&self, cfg: KubeRunConfig) -> (JobExecutor, UnboundedReceiver<ExecEvent>) {
        let (tx, rx) = unbounded_channel();
        (JobExecutor::new(self.fake.client(), cfg, tx), rx)
    }

    fn spec(&self, steps: u32) -> LaunchSpec {
        LaunchSpec {
            run_id: RUN.to_owned(),
            key: key(),
            attempt: 1,
            agent_args: [
                "--seed",
                "0",
                "--steps",
                &steps.to_string(),
                "--num-drafts",
                "1",
                "--model",
                "scripted-coder",
                "--feedback-model",
                "scripted-reviewer",
                "--python",
                "python3",
                "--exec-timeout",
                "20",
            ]
            .map(str::to_owned)
            .to_vec(),
            public_dir: self.data.path().join("tiny/public"),
            resume: false,
            resources: None,
            time_limit_s: Some(600.0),
            task_image: None,
        }
    }

    fn agent_dir(&self) -> PathBuf {
        self.store
            .path()
            .join(format!("runs/{RUN}/tasks/tiny/seed-0/agent"))
    }

    fn posts(&self) -> usize {
        self.fake
            .requests()
            .iter()
            .filter(|r| r.starts_with("POST "))
            .count()
    }
}

fn key() -> RunKey {
    RunKey {
        task: "tiny".to_owned(),
        seed: 0,
    }
}

async fn next(rx: &mut UnboundedReceiver<ExecEvent>) -> ExecEvent {
    tokio::time::timeout(Duration::from_secs(90), rx.recv())
        .await
        .expect("an event within 90 s")
        .expect("the executor is alive")
}

fn started() -> ExecEvent {
    ExecEvent::Started {
        key: key(),
        executor_id: format!("job af-{RUN}-tiny-s0-a1"),
    }
}

fn exited(status: ExitStatus) -> ExecEvent {
    ExecEvent::Exited { key: key(), status }
}

fn failed(reason: &str, fatal: bool) -> ExecEvent {
    exited(ExitStatus::Failed {
        reason: reason.to_owned(),
        fatal,
    })
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..300 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_search_in_a_task_image_succeeds_and_checkpoints_to_the_store() {
    let cluster = Cluster::start().await;
    let (exec, mut events) = cluster.executor(cluster.config());
    let mut spec = cluster.spec(2);
    // The task's own image runs the binary that the init container copied from ours.
    spec.task_image = Some("python:3.12-slim".to_owned());
    let id = exec.launch(&spec).await.unwrap();
    assert_eq!(id, format!("job af-{RUN}-tiny-s0-a1"));
    assert_eq!(next(&mut events).await, started());
    assert_eq!(next(&mut events).await, exited(ExitStatus::Succeeded));

    let journal = support::read_json(&cluster.agent_dir().join("journal.json"));
    assert_eq!(journal["nodes"].as_array().unwrap().len(), 2);
    assert!(
        cluster
            .agent_dir()
            .join("best_submission/submission.csv")
            .is_file()
    );
    let log = exec.logs(&key()).await.unwrap().unwrap();
    assert!(!log.is_empty());
    let pods = cluster.fake.list(Kind::Pod, NS);
    assert_eq!(pods.len(), 1);
    assert_eq!(
        pods[0]["spec"]["initContainers"][0]["name"],
        "install-agent"
    );
    assert_eq!(cluster.posts(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_crashing_agent_fails_with_its_exit_code_and_last_words() {
    let cluster = Cluster::start().await;
    cluster.fake.script(
        "tiny",
        [PodScript::Command(
            [
                "sh",
                "-c",
                "echo working; echo 'error: the agent crashed' >&2; exit 1",
            ]
            .map(str::to_owned)
            .to_vec(),
        )],
    );
    let (exec, mut events) = cluster.executor(cluster.config());
    exec.launch(&cluster.spec(2)).await.unwrap();
    assert_eq!(next(&mut events).await, started());
    assert_eq!(
        next(&mut events).await,
        failed("exit code 1: error: the agent crashed", false)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_input_fails_the_job_at_once_and_is_fatal() {
    let cluster = Cluster::start().await;
    let mut cfg = cluster.config();
    // Retries would be allowed, but the FailJob rule on exit code 2 ends the Job.
    cfg.settings.backoff_limit = 3;
    let (exec, mut events) = cluster.executor(cfg);
    let mut spec = cluster.spec(2);
    spec.agent_args.push("--no-such-flag".to_owned());
    exec.launch(&spec).await.unwrap();
    let mut last = next(&mut events).await;
    if last == started() {
        last = next(&mut events).await;
    }
    let ExecEvent::Exited {
        status: ExitStatus::Failed { reason, fatal },
        ..
    } = last
    else {
        panic!("expected a failure, got {last:?}");
    };
    assert!(fatal);
    assert!(reason.starts_with("exit code 2: "), "{reason}");
    assert_eq!(cluster.fake.list(Kind::Pod, NS).len(), 1, "no retry");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_oom_killed_agent_fails_with_oomkilled() {
    let cluster = Cluster::start().await;
    cluster.fake.script(
        "tiny",
        [PodScript::OomKill {
            after: Duration::from_millis(500),
        }],
    );
    let (exec, mut events) = cluster.executor(cluster.config());
    exec.launch(&cluster.spec(50)).await.unwrap();
    assert_eq!(next(&mut events).await, started());
    assert_eq!(
        next(&mut events).await,
        failed("OOMKilled (exit code 137)", false)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_evicted_pod_is_a_preemption_and_its_replacement_resumes_from_the_store() {
    let cluster = Cluster::start().await;
    // Slow scripts, so that the eviction comes after the first node and before the end.
    cluster.llm.set_code_fallback(Arc::new(|_: &Value| {
        Reply::code(
            "Predict 0.5, slowly.",
            &format!("import time\ntime.sleep(0.7)\n{}", good_script(0.5)),
        )
    }));
    let cluster_store = cluster.agent_dir();
    let (exec, mut events) = cluster.executor(cluster.config());
    exec.launch(&cluster.spec(4)).await.unwrap();
    assert_eq!(next(&mut events).await, started());
    wait_for("the first node in the store", || {
        cluster_store.join("nodes/00001.json").is_file()
    })
    .await;
    let first_pod = cluster.fake.list(Kind::Pod, NS)[0]["metadata"]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    cluster.fake.evict(NS, &first_pod);
    assert_eq!(
        next(&mut events).await,
        exited(ExitStatus::Preempted {
            reason: "EvictionByEvictionAPI: Eviction API: evicting".to_owned()
        })
    );
    assert_eq!(next(&mut events).await, started());
    assert_eq!(next(&mut events).await, exited(ExitStatus::Succeeded));

    let journal = support::read_json(&cluster.agent_dir().join("journal.json"));
    assert_eq!(journal["nodes"].as_array().unwrap().len(), 4);
    let log = exec.logs(&key()).await.unwrap().unwrap();
    assert!(log.contains("resuming"), "the replacement resumed:\n{log}");
    assert_eq!(cluster.posts(), 1, "one Job, two pods");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_deadline_fails_the_job_with_the_pods_state() {
    let cluster = Cluster::start().await;
    cluster.fake.script(
        "tiny",
        [PodScript::Command(
            ["sleep", "60"].map(str::to_owned).to_vec(),
        )],
    );
    let mut cfg = cluster.config();
    cfg.settings.deadline_margin = aide_fleet::bench::HumanDuration(Duration::ZERO);
    let (exec, mut events) = cluster.executor(cfg);
    let mut spec = cluster.spec(2);
    spec.time_limit_s = Some(1.0);
    exec.launch(&spec).await.unwrap();
    assert_eq!(next(&mut events).await, started());
    assert_eq!(
        next(&mut events).await,
        failed(
            "DeadlineExceeded: Job was active longer than specified deadline; last pod: exit code 143",
            false
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_unschedulable_pod_waits_and_is_listed_until_cancelled() {
    let cluster = Cluster::start().await;
    cluster.fake.script("tiny", [PodScript::Unschedulable]);
    let mut cfg = cluster.config();
    cfg.unschedulable_after = Duration::from_millis(200);
    let (exec, mut events) = cluster.executor(cfg);
    exec.launch(&cluster.spec(2)).await.unwrap();
    wait_for("the pod to be listed as waiting", || {
        !exec.waiting().is_empty()
    })
    .await;
    let waiting = exec.waiting();
    assert_eq!(waiting[0].0, key());
    assert!(
        waiting[0]
            .1
            .starts_with("Unschedulable: 0/1 nodes are available: 1 Insufficient nvidia.com/gpu."),
        "{}",
        waiting[0].1
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        events.try_recv().is_err(),
        "waiting for capacity is no failure"
    );
    assert_eq!(exec.cancel_all().await.unwrap(), 1);
    assert_eq!(next(&mut events).await, exited(ExitStatus::Cancelled));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_image_that_cannot_be_pulled_fails_the_attempt_and_its_job_is_deleted() {
    let cluster = Cluster::start().await;
    cluster.fake.script(
        "tiny",
        [PodScript::ImagePullBackOff, PodScript::Unschedulable],
    );
    let mut cfg = cluster.config();
    cfg.image_pull_timeout = Duration::from_millis(400);
    let (exec, mut events) = cluster.executor(cfg);
    exec.launch(&cluster.spec(2)).await.unwrap();
    assert_eq!(
        next(&mut events).await,
        failed(
            &format!("ImagePullBackOff: Back-off pulling image \"{AGENT_IMAGE}\""),
            false
        )
    );
    // The controller's next attempt is a Job of its own.
    let mut retry = cluster.spec(2);
    retry.attempt = 2;
    assert_eq!(
        exec.launch(&retry).await.unwrap(),
        format!("job af-{RUN}-tiny-s0-a2")
    );
    wait_for("the first job to be deleted", || {
        cluster
            .fake
            .get(Kind::Job, NS, &format!("af-{RUN}-tiny-s0-a1"))
            .is_none()
    })
    .await;
    exec.cancel_all().await.unwrap();
    assert_eq!(next(&mut events).await, exited(ExitStatus::Cancelled));
    assert!(
        tokio::time::timeout(Duration::from_millis(300), events.recv())
            .await
            .is_err(),
        "one Cancelled, for the second attempt only"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_restarted_executor_reattaches_and_adopts_instead_of_duplicating() {
    let cluster = Cluster::start().await;
    cluster.fake.script(
        "tiny",
        [PodScript::Command(
            ["sleep", "60"].map(str::to_owned).to_vec(),
        )],
    );
    let (first, mut first_events) = cluster.executor(cluster.config());
    first.launch(&cluster.spec(2)).await.unwrap();
    assert_eq!(next(&mut first_events).await, started());
    drop(first);

    let (exec, mut events) = cluster.executor(cluster.config());
    assert_eq!(exec.active().await.unwrap(), vec![(key(), 1)]);
    assert_eq!(next(&mut events).await, started());
    let id = exec.launch(&cluster.spec(2)).await.unwrap();
    assert_eq!(id, format!("job af-{RUN}-tiny-s0-a1"));
    // A controller that retries with the next attempt while the first still runs (its
    // pod was preempted and is being replaced) gets the running Job too.
    let mut next_attempt = cluster.spec(2);
    next_attempt.attempt = 2;
    assert_eq!(exec.launch(&next_attempt).await.unwrap(), id);
    assert_eq!(cluster.fake.list(Kind::Job, NS).len(), 1);
    assert_eq!(cluster.fake.list(Kind::Pod, NS).len(), 1);

    assert_eq!(exec.cancel_all().await.unwrap(), 1);
    assert_eq!(next(&mut events).await, exited(ExitStatus::Cancelled));
    wait_for("the pod to go", || {
        cluster.fake.list(Kind::Pod, NS).is_empty()
    })
    .await;
}
