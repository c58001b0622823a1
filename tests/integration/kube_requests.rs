//! The exact API requests the Kubernetes executor makes, against a tower-test mock of the
//! API server (kube-rs's recommended way to test without a cluster): a launch whose Job
//! exists already adopts it (POST, 409, GET; no second create), and cancelling deletes the
//! run's Jobs with one label-selected DELETE with background propagation.
//!
//! The executor's two watches (Jobs and Pods) run meanwhile: their list requests get
//! empty lists and their watch requests are held open; every other request is checked.

use std::path::PathBuf;
use std::time::Duration;

use aide_fleet::bench::KubeExecutor;
use aide_fleet::fleet::kube::{JobExecutor, KubeRunConfig, render_job};
use aide_fleet::fleet::{ExecEvent, LaunchSpec, RunKey};
use http::{Method, Request, Response};
use kube::client::Body;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tower_test::mock::{self, SendResponse};

type Handle = mock::Handle<Request<Body>, Response<Body>>;

const SELECTOR: &str = "labelSelector=aide-fleet.dev%2Frun%3Dr1";

struct Call {
    method: Method,
    uri: String,
    body: Value,
    respond: SendResponse<Response<Body>>,
}

impl Call {
    fn reply(self, code: u16, body: Value) {
        self.respond.send_response(
            Response::builder()
                .status(code)
                .header("content-type", "application/json")
                .body(Body::from(body.to_string().into_bytes()))
                .unwrap(),
        );
    }
}

/// Answers the watches and passes every other request on, in order.
fn api_server(mut handle: Handle) -> mpsc::UnboundedReceiver<Call> {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Some((request, respond)) = handle.next_request().await {
            let uri = request.uri().to_string();
            let method = request.method().clone();
            if method == Method::GET && uri.contains("watch=true") {
                held.push(respond);
                continue;
            }
            if method == Method::GET && uri.contains("limit=500") {
                let kind = if uri.contains("/jobs") {
                    "JobList"
                } else {
                    "PodList"
                };
                respond.send_response(
                    Response::builder()
                        .body(Body::from(
                            json!({"kind": kind, "apiVersion": "v1",
                                "metadata": {"resourceVersion": "1"}, "items": []})
                            .to_string()
                            .into_bytes(),
                        ))
                        .unwrap(),
                );
                continue;
            }
            let bytes = request
                .into_body()
                .collect_bytes()
                .await
                .unwrap_or_default();
            let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            let _ = tx.send(Call {
                method,
                uri,
                body,
                respond,
            });
        }
    });
    rx
}

async fn next_call(calls: &mut mpsc::UnboundedReceiver<Call>) -> Call {
    tokio::time::timeout(Duration::from_secs(5), calls.recv())
        .await
        .expect("a request within 5 s")
        .expect("the mock is alive")
}

fn config() -> KubeRunConfig {
    let settings: KubeExecutor =
        serde_saphyr::from_str("namespace: aide\nimage: aide-fleet:test\n").unwrap();
    KubeRunConfig::new("r1", settings, "s3://bucket/fleet")
}

fn spec() -> LaunchSpec {
    LaunchSpec {
        run_id: "r1".to_owned(),
        key: RunKey {
            task: "tiny".to_owned(),
            seed: 0,
        },
        attempt: 1,
        agent_args: vec!["--seed".to_owned(), "0".to_owned()],
        public_dir: PathBuf::from("/data/tiny/public"),
        resume: false,
        resources: None,
        time_limit_s: None,
        task_image: None,
    }
}

fn executor() -> (
    JobExecutor,
    mpsc::UnboundedReceiver<Call>,
    mpsc::UnboundedReceiver<ExecEvent>,
) {
    let (service, handle) = mock::pair::<Request<Body>, Response<Body>>();
    let calls = api_server(handle);
    let client = kube::Client::new(service, "default");
    let (tx, events) = mpsc::unbounded_channel();
    (JobExecutor::new(client, config(), tx), calls, events)
}

#[tokio::test]
async fn launching_an_existing_job_adopts_it() {
    let (exec, mut calls, mut events) = executor();
    let job = serde_json::to_value(render_job(&spec(), &config()).unwrap()).unwrap();
    let launch = tokio::spawn(async move {
        let id = exec.launch(&spec()).await;
        (exec, id)
    });

    let create = next_call(&mut calls).await;
    assert_eq!(
        (&create.method, create.uri.as_str()),
        (&Method::POST, "/apis/batch/v1/namespaces/aide/jobs?")
    );
    assert_eq!(create.body, job);
    create.reply(
        409,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": "jobs.batch \"af-r1-tiny-s0-a1\" already exists",
            "reason": "AlreadyExists", "code": 409}),
    );

    let get = next_call(&mut calls).await;
    assert_eq!(
        (&get.method, get.uri.as_str()),
        (
            &Method::GET,
            "/apis/batch/v1/namespaces/aide/jobs/af-r1-tiny-s0-a1"
        )
    );
    let mut existing = job.clone();
    existing["status"] = json!({"conditions": [{"type": "Complete", "status": "True"}]});
    get.reply(200, existing);

    let (exec, id) = launch.await.unwrap();
    assert_eq!(id.unwrap(), "job af-r1-tiny-s0-a1");
    // The adopted Job had finished: the controller hears so at once.
    let key = spec().key;
    assert_eq!(
        events.recv().await.unwrap(),
        ExecEvent::Started {
            key: key.clone(),
            executor_id: "job af-r1-tiny-s0-a1".to_owned(),
        }
    );
    assert_eq!(
        events.recv().await.unwrap(),
        ExecEvent::Exited {
            key,
            status: aide_fleet::fleet::ExitStatus::Succeeded
        }
    );
    // Nothing else was asked of the API server.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(calls.try_recv().is_err());
    drop(exec);
}

#[tokio::test]
async fn other_create_errors_are_returned() {
    let (exec, mut calls, _events) = executor();
    let launch = tokio::spawn(async move { exec.launch(&spec()).await.map(|_| ()) });
    let create = next_call(&mut calls).await;
    create.reply(
        403,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": "jobs.batch is forbidden: User \"x\" cannot create resource \"jobs\"",
            "reason": "Forbidden", "code": 403}),
    );
    let err = launch.await.unwrap().unwrap_err().to_string();
    assert!(
        err.starts_with("cannot create job af-r1-tiny-s0-a1: "),
        "{err}"
    );
    assert!(err.contains("forbidden"), "{err}");
}

#[tokio::test]
async fn cancel_deletes_the_runs_jobs_by_label_in_one_request() {
    let (exec, mut calls, _events) = executor();
    let cancel = tokio::spawn(async move { exec.cancel_all().await });
    let delete = next_call(&mut calls).await;
    assert_eq!(
        (&delete.method, delete.uri.as_str()),
        (
            &Method::DELETE,
            format!("/apis/batch/v1/namespaces/aide/jobs?&{SELECTOR}").as_str()
        )
    );
    assert_eq!(delete.body["propagationPolicy"], "Background");
    delete.reply(
        200,
        json!({"kind": "JobList", "apiVersion": "batch/v1", "metadata": {"resourceVersion": "9"},
            "items": [{"metadata": {"name": "a"}}, {"metadata": {"name": "b"}}]}),
    );
    assert_eq!(cancel.await.unwrap().unwrap(), 2);
}

#[tokio::test]
async fn the_watches_select_the_run_by_label() {
    let (service, mut handle) = mock::pair::<Request<Body>, Response<Body>>();
    let (tx, _events) = mpsc::unbounded_channel();
    let _exec = JobExecutor::new(kube::Client::new(service, "default"), config(), tx);
    let mut lists = Vec::new();
    for _ in 0..2 {
        let (request, respond) =
            tokio::time::timeout(Duration::from_secs(5), handle.next_request())
                .await
                .unwrap()
                .unwrap();
        lists.push(request.uri().to_string());
        respond.send_response(
            Response::builder()
                .body(Body::from(
                    json!({"kind": "List", "apiVersion": "v1",
                        "metadata": {"resourceVersion": "1"}, "items": []})
                    .to_string()
                    .into_bytes(),
                ))
                .unwrap(),
        );
    }
    lists.sort();
    assert_eq!(
        lists,
        [
            format!("/api/v1/namespaces/aide/pods?&{SELECTOR}&limit=500"),
            format!("/apis/batch/v1/namespaces/aide/jobs?&{SELECTOR}&limit=500"),
        ]
    );
}
