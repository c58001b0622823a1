//! The HTTP side of the fake API server: the Job and Pod endpoints kube-rs calls, with
//! API-server answers (Status objects for errors, lists with a resource version, watches
//! as newline-delimited JSON events, `?limit=`/`continue=` paging).

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::StreamExt;
use serde_json::{Value, json};

use super::Inner;
use super::selector::Selector;
use super::store::{Kind, WatchStart};

type Params = Query<HashMap<String, String>>;

pub fn router(inner: Arc<Inner>) -> Router {
    Router::new()
        .route(
            "/apis/batch/v1/namespaces/{ns}/jobs",
            get(list_jobs).post(create_job).delete(delete_jobs),
        )
        .route(
            "/apis/batch/v1/namespaces/{ns}/jobs/{name}",
            get(get_job).delete(delete_job),
        )
        .route("/api/v1/namespaces/{ns}/pods", get(list_pods))
        .route("/api/v1/namespaces/{ns}/pods/{name}", get(get_pod))
        .route("/api/v1/namespaces/{ns}/pods/{name}/log", get(pod_log))
        .route("/fake/stats", get(stats))
        .fallback(|| async { status(404, "NotFound", "no such endpoint") })
        .layer(middleware::from_fn_with_state(Arc::clone(&inner), count))
        .with_state(inner)
}

/// Counts and records every API request (not the fake's own `/fake/` endpoints).
async fn count(State(inner): State<Arc<Inner>>, request: Request, next: Next) -> Response {
    let uri = request.uri().to_string();
    if !uri.starts_with("/fake/") {
        let watch = uri.contains("watch=true");
        inner.stats.requests.fetch_add(1, Ordering::Relaxed);
        if watch {
            inner.stats.watches.fetch_add(1, Ordering::Relaxed);
        }
        if request.method() == Method::POST {
            inner.stats.creates.fetch_add(1, Ordering::Relaxed);
        }
        if inner.record_requests {
            inner.lock_log().push(format!("{} {uri}", request.method()));
        }
    }
    next.run(request).await
}

async fn stats(State(inner): State<Arc<Inner>>) -> Response {
    json_response(200, &inner.stats.to_json())
}

pub fn status(code: u16, reason: &str, message: &str) -> Response {
    json_response(
        code,
        &json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {},
            "status": "Failure", "message": message, "reason": reason, "code": code
        }),
    )
}

fn json_response(code: u16, body: &Value) -> Response {
    (
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

#[allow(clippy::result_large_err)]
fn selector(params: &HashMap<String, String>) -> Result<Selector, Response> {
    Selector::parse(params.get("labelSelector").map_or("", String::as_str))
        .map_err(|e| status(400, "BadRequest", &e))
}

async fn list_jobs(state: State<Arc<Inner>>, Path(ns): Path<String>, Query(p): Params) -> Response {
    list_or_watch(state, Kind::Job, ns, p).await
}

async fn list_pods(state: State<Arc<Inner>>, Path(ns): Path<String>, Query(p): Params) -> Response {
    list_or_watch(state, Kind::Pod, ns, p).await
}

async fn list_or_watch(
    State(inner): State<Arc<Inner>>,
    kind: Kind,
    ns: String,
    params: HashMap<String, String>,
) -> Response {
    let selector = match selector(&params) {
        Ok(s) => s,
        Err(r) => return r,
    };
    if params.get("watch").is_some_and(|w| w == "true" || w == "1") {
        return watch(inner, kind, ns, selector, &params);
    }
    let store = inner.lock_store();
    let rv = store.resource_version();
    let mut items = store.list(kind, &ns, &selector);
    drop(store);
    // `continue` is the last name of the previous page.
    if let Some(after) = params.get("continue") {
        items.retain(|o| {
            o["metadata"]["name"]
                .as_str()
                .is_some_and(|n| n > after.as_str())
        });
    }
    let limit = params
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .filter(|l| *l > 0);
    let mut metadata = json!({"resourceVersion": rv.to_string()});
    if let Some(limit) = limit
        && items.len() > limit
    {
        items.truncate(limit);
        metadata["continue"] = items[limit - 1]["metadata"]["name"].clone();
    }
    json_response(
        200,
        &json!({
            "kind": format!("{}List", kind.name()), "apiVersion": kind.api_version(),
            "metadata": metadata, "items": items,
        }),
    )
}

fn watch(
    inner: Arc<Inner>,
    kind: Kind,
    ns: String,
    selector: Selector,
    params: &HashMap<String, String>,
) -> Response {
    let from = params
        .get("resourceVersion")
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    let timeout = params
        .get("timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .unwrap_or(1800);
    let start = inner.lock_store().watch_from(from);
    let (replay, live) = match start {
        WatchStart::Replay(replay, live) => (replay, live),
        WatchStart::Gone => {
            let gone = json!({"type": "ERROR", "object": {"kind": "Status", "apiVersion": "v1",
                "status": "Failure", "reason": "Expired", "code": 410,
                "message": format!("too old resource version: {from}")}});
            return Response::new(Body::from(format!("{gone}\n")));
        }
    };
    let relevant = move |c: &super::store::Change| {
        c.kind == kind && c.namespace == ns && c.rv > from && selector.matches(&c.object)
    };
    let relevant_live = relevant.clone();
    let replay = futures::stream::iter(replay).filter(move |c| {
        let keep = relevant(c);
        async move { keep }
    });
    // A lagging watcher loses its stream, and relists: as with a real API server.
    let live = tokio_stream_from(live).filter(move |c| {
        let keep = relevant_live(c);
        async move { keep }
    });
    let stats = Arc::clone(&inner);
    let events = replay
        .chain(live)
        .map(move |c| {
            stats.stats.watch_events.fetch_add(1, Ordering::Relaxed);
            let line = json!({"type": c.kind_of_change, "object": c.object});
            Ok::<_, Infallible>(Bytes::from(format!("{line}\n")))
        })
        .take_until(tokio::time::sleep(Duration::from_secs(timeout)));
    Response::builder()
        .header("content-type", "application/json")
        .body(Body::from_stream(events))
        .unwrap_or_else(|_| status(500, "InternalError", "watch"))
}

fn tokio_stream_from(
    rx: tokio::sync::broadcast::Receiver<Arc<super::store::Change>>,
) -> impl futures::Stream<Item = Arc<super::store::Change>> {
    futures::stream::unfold(rx, |mut rx| async move {
        match rx.recv().await {
            Ok(c) => Some((c, rx)),
            Err(_) => None,
        }
    })
}

async fn create_job(
    State(inner): State<Arc<Inner>>,
    Path(ns): Path<String>,
    body: Bytes,
) -> Response {
    let Ok(job) = serde_json::from_slice::<Value>(&body) else {
        return status(400, "BadRequest", "the body is not JSON");
    };
    let Some(name) = job["metadata"]["name"].as_str().map(str::to_owned) else {
        return status(422, "Invalid", "metadata.name: Required value");
    };
    if name.len() > 63 {
        return status(
            422,
            "Invalid",
            "metadata.name: must be no more than 63 characters",
        );
    }
    let created = inner.lock_store().create(Kind::Job, &ns, job, default_job);
    match created {
        Some(job) => {
            inner.job_created(&ns, &job);
            json_response(201, &job)
        }
        None => status(
            409,
            "AlreadyExists",
            &format!("jobs.batch \"{name}\" already exists"),
        ),
    }
}

/// What the API server defaults in a new Job: the selector and pod labels by its uid.
fn default_job(job: &mut Value) {
    let uid = job["metadata"]["uid"].clone();
    let name = job["metadata"]["name"].clone();
    let labels = &mut job["spec"]["template"]["metadata"]["labels"];
    labels["batch.kubernetes.io/controller-uid"] = uid.clone();
    labels["batch.kubernetes.io/job-name"] = name.clone();
    labels["controller-uid"] = uid.clone();
    labels["job-name"] = name;
    job["spec"]["selector"] = json!({"matchLabels": {"batch.kubernetes.io/controller-uid": uid}});
    let spec = &mut job["spec"];
    for (field, value) in [
        ("backoffLimit", json!(6)),
        ("completions", json!(1)),
        ("parallelism", json!(1)),
        ("completionMode", json!("NonIndexed")),
        ("suspend", json!(false)),
        ("manualSelector", json!(false)),
        ("podReplacementPolicy", json!("TerminatingOrFailed")),
    ] {
        if spec[field].is_null() {
            spec[field] = value;
        }
    }
    job["status"] = json!({});
}

async fn get_job(
    State(inner): State<Arc<Inner>>,
    Path((ns, name)): Path<(String, String)>,
) -> Response {
    get_object(&inner, Kind::Job, &ns, &name)
}

async fn get_pod(
    State(inner): State<Arc<Inner>>,
    Path((ns, name)): Path<(String, String)>,
) -> Response {
    get_object(&inner, Kind::Pod, &ns, &name)
}

fn get_object(inner: &Inner, kind: Kind, ns: &str, name: &str) -> Response {
    match inner.lock_store().get(kind, ns, name) {
        Some(object) => json_response(200, &object),
        None => status(
            404,
            "NotFound",
            &format!("{} \"{name}\" not found", kind.plural()),
        ),
    }
}

async fn delete_job(
    State(inner): State<Arc<Inner>>,
    Path((ns, name)): Path<(String, String)>,
) -> Response {
    match inner.delete_job(&ns, &name) {
        Some(job) => json_response(200, &job),
        None => status(404, "NotFound", &format!("jobs.batch \"{name}\" not found")),
    }
}

async fn delete_jobs(
    State(inner): State<Arc<Inner>>,
    Path(ns): Path<String>,
    Query(params): Params,
) -> Response {
    let selector = match selector(&params) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let names: Vec<String> = inner
        .lock_store()
        .list(Kind::Job, &ns, &selector)
        .iter()
        .filter_map(|j| j["metadata"]["name"].as_str().map(str::to_owned))
        .collect();
    let deleted: Vec<Value> = names
        .iter()
        .filter_map(|name| inner.delete_job(&ns, name))
        .collect();
    let rv = inner.lock_store().resource_version();
    json_response(
        200,
        &json!({"kind": "JobList", "apiVersion": "batch/v1",
            "metadata": {"resourceVersion": rv.to_string()}, "items": deleted}),
    )
}

async fn pod_log(
    State(inner): State<Arc<Inner>>,
    Path((ns, name)): Path<(String, String)>,
    Query(params): Params,
) -> Response {
    if inner.lock_store().get(Kind::Pod, &ns, &name).is_none() {
        return status(404, "NotFound", &format!("pods \"{name}\" not found"));
    }
    let container = params.get("container").map_or("agent", String::as_str);
    let path = inner.log_path(&name, container);
    let mut text = std::fs::read(&path).unwrap_or_default();
    if let Some(limit) = params
        .get("limitBytes")
        .and_then(|l| l.parse::<usize>().ok())
    {
        text.truncate(limit);
    }
    (StatusCode::OK, [("content-type", "text/plain")], text).into_response()
}
