//! A small fake Kubernetes API server on 127.0.0.1 for the Kubernetes executor's tests:
//! Jobs and Pods in namespaces (create, get, list, watch, delete, delete by label
//! selector), resource versions and watches, pod logs; and a simulated Job controller
//! and kubelet that run each pod's containers as local processes.
//!
//! Images are not pulled: a container's command runs on this machine, with the paths of
//! its volume mounts mapped to directories under the fake's root and the binaries named
//! with [`FakeKube::binary`] (e.g. the image's `/usr/local/bin/aide-fleet`) mapped to
//! local files. A test steers pods with [`FakeKube::script`] (OOM kills, scheduling
//! failures, image pull failures, other commands) and [`FakeKube::evict`] (the Job
//! controller then replaces the pod, honouring `podFailurePolicy`). Not simulated: TTL
//! deletion of finished Jobs, orphan propagation (every deletion is background), pod
//! deletion through the API, field selectors, server-side apply.
//!
//! Declared from a test with `#[path = "support/fake_kube/mod.rs"] mod fake_kube;`.

mod api;
mod controllers;
mod kubelet;
mod selector;
mod store;

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::watch;

pub use kubelet::PodScript;
pub use store::Kind;
use store::Store;

#[derive(Debug, Clone)]
pub struct FakeConfig {
    /// Run pods. Without it Jobs are only stored (dispatch benchmarks).
    pub kubelet: bool,
    /// Keep every request's method and URI for [`FakeKube::requests`].
    pub record_requests: bool,
    /// Seconds between SIGTERM and SIGKILL when a pod is deleted or evicted.
    pub grace: Duration,
}

impl Default for FakeConfig {
    fn default() -> Self {
        Self {
            kubelet: true,
            record_requests: true,
            grace: Duration::from_secs(10),
        }
    }
}

#[derive(Default)]
pub struct Stats {
    pub requests: AtomicU64,
    pub creates: AtomicU64,
    pub watches: AtomicU64,
    pub watch_events: AtomicU64,
}

impl Stats {
    pub fn to_json(&self) -> Value {
        json!({
            "requests": self.requests.load(Ordering::Relaxed),
            "creates": self.creates.load(Ordering::Relaxed),
            "watches": self.watches.load(Ordering::Relaxed),
            "watch_events": self.watch_events.load(Ordering::Relaxed),
        })
    }
}

pub struct Inner {
    config: FakeConfig,
    record_requests: bool,
    store: Mutex<Store>,
    log: Mutex<Vec<String>>,
    pub stats: Stats,
    root: PathBuf,
    binaries: Mutex<HashMap<String, PathBuf>>,
    claims: Mutex<HashMap<String, PathBuf>>,
    secrets: Mutex<HashMap<(String, String), HashMap<String, String>>>,
    scripts: Mutex<HashMap<String, VecDeque<PodScript>>>,
    /// Job uid -> stop signal for its controller task.
    stops: Mutex<HashMap<String, watch::Sender<bool>>>,
    /// Running pod -> its stop signal (deadline, deletion, eviction).
    pod_stops: Mutex<HashMap<String, Arc<watch::Sender<Option<kubelet::Stop>>>>>,
    pod_seq: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Inner {
    fn lock_store(&self) -> MutexGuard<'_, Store> {
        lock(&self.store)
    }

    fn lock_log(&self) -> MutexGuard<'_, Vec<String>> {
        lock(&self.log)
    }

    fn log_path(&self, pod: &str, container: &str) -> PathBuf {
        self.root
            .join("pods")
            .join(pod)
            .join(format!("{container}.log"))
    }

    fn pod_dir(&self, pod: &str) -> PathBuf {
        self.root.join("pods").join(pod)
    }

    /// The next scripted behaviour for a pod of this Job (by task annotation, else name).
    fn next_script(&self, job: &Value) -> PodScript {
        let key = job["metadata"]["annotations"]["aide-fleet.dev/task"]
            .as_str()
            .or_else(|| job["metadata"]["name"].as_str())
            .unwrap_or_default()
            .to_owned();
        lock(&self.scripts)
            .get_mut(&key)
            .and_then(VecDeque::pop_front)
            .unwrap_or(PodScript::Run)
    }

    fn job_created(self: &Arc<Self>, ns: &str, job: &Value) {
        if !self.config.kubelet {
            return;
        }
        let uid = job["metadata"]["uid"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let (stop, stopped) = watch::channel(false);
        lock(&self.stops).insert(uid, stop);
        tokio::spawn(controllers::run_job(
            Arc::clone(self),
            ns.to_owned(),
            job.clone(),
            stopped,
        ));
    }

    /// Deletes a Job; its controller task then deletes its pods (background propagation).
    fn delete_job(&self, ns: &str, name: &str) -> Option<Value> {
        let job = self.lock_store().delete(Kind::Job, ns, name)?;
        let uid = job["metadata"]["uid"].as_str().unwrap_or_default();
        if let Some(stop) = lock(&self.stops).remove(uid) {
            let _ = stop.send(true);
        }
        Some(job)
    }
}

pub struct FakeKube {
    inner: Arc<Inner>,
    url: String,
    server: tokio::task::JoinHandle<()>,
    _root: tempfile::TempDir,
}

impl FakeKube {
    pub async fn start(config: FakeConfig) -> FakeKube {
        let root = tempfile::tempdir().expect("a temporary directory");
        let inner = Arc::new(Inner {
            record_requests: config.record_requests,
            config,
            store: Mutex::new(Store::new()),
            log: Mutex::default(),
            stats: Stats::default(),
            root: root.path().to_owned(),
            binaries: Mutex::default(),
            claims: Mutex::default(),
            secrets: Mutex::default(),
            scripts: Mutex::default(),
            stops: Mutex::default(),
            pod_stops: Mutex::default(),
            pod_seq: AtomicU64::new(0),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port on 127.0.0.1");
        let url = format!("http://{}", listener.local_addr().expect("an address"));
        let app = api::router(Arc::clone(&inner));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeKube {
            inner,
            url,
            server,
            _root: root,
        }
    }

    #[allow(dead_code)] // printed by benches/kube_dispatch.rs, which includes this module
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A kube client for this server (plain HTTP, no credentials).
    pub fn client(&self) -> kube::Client {
        let config = kube::Config::new(self.url.parse().expect("a URL"));
        aide_fleet::fleet::kube::client(config).expect("a kube client")
    }

    /// A kubeconfig file pointing at this server, with `namespace` as the default.
    pub fn write_kubeconfig(&self, path: &Path, namespace: &str) {
        let text = format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: fake\n\
             clusters:\n- name: fake\n  cluster:\n    server: {}\n\
             users:\n- name: fake\n  user: {{}}\n\
             contexts:\n- name: fake\n  context:\n    cluster: fake\n    user: fake\n    namespace: {namespace}\n",
            self.url
        );
        std::fs::write(path, text).expect("the kubeconfig is written");
    }

    /// Containers that run `image_path` run `local` instead (e.g. the image's aide-fleet
    /// binary: the one cargo built for the tests).
    pub fn binary(&self, image_path: &str, local: &Path) {
        lock(&self.inner.binaries).insert(image_path.to_owned(), local.to_owned());
    }

    pub fn secret(&self, namespace: &str, name: &str, data: &[(&str, &str)]) {
        lock(&self.inner.secrets).insert(
            (namespace.to_owned(), name.to_owned()),
            data.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
    }

    /// How the next pods of a task's Jobs behave, one entry per pod; then `Run`.
    pub fn script(&self, task: &str, pods: impl IntoIterator<Item = PodScript>) {
        lock(&self.inner.scripts)
            .entry(task.to_owned())
            .or_default()
            .extend(pods);
    }

    /// Evicts a pod through the API, as a node drain or a preemption does: the pod gets
    /// the DisruptionTarget condition, SIGTERM, and is deleted; the Job replaces it.
    pub fn evict(&self, namespace: &str, pod: &str) {
        assert!(
            self.get(Kind::Pod, namespace, pod).is_some(),
            "no pod {namespace}/{pod}"
        );
        if let Some(stop) = lock(&self.inner.pod_stops).get(pod) {
            let _ = stop.send(Some(kubelet::Stop::Evict));
        }
    }

    pub fn get(&self, kind: Kind, namespace: &str, name: &str) -> Option<Value> {
        self.inner.lock_store().get(kind, namespace, name)
    }

    pub fn list(&self, kind: Kind, namespace: &str) -> Vec<Value> {
        self.inner
            .lock_store()
            .list(kind, namespace, &selector::Selector::default())
    }

    /// `METHOD /path?query` of every API request so far.
    pub fn requests(&self) -> Vec<String> {
        self.inner.lock_log().clone()
    }
}

impl Drop for FakeKube {
    fn drop(&mut self) {
        self.server.abort();
        for (_, stop) in lock(&self.inner.stops).drain() {
            let _ = stop.send(true);
        }
    }
}
