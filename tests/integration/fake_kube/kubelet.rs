//! The simulated kubelet: schedules a pod onto the one fake node, runs its init containers
//! and its container as local processes (volume mounts mapped to local directories), and
//! reports pod and container status as a kubelet does, including OOM kills, evictions,
//! unschedulable pods and image pull failures when a test scripts them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;
use serde_json::{Value, json};
use tokio::process::{Child, Command};
use tokio::sync::watch;

use super::store::{Kind, now};
use super::{Inner, lock};

/// How one pod of a Job behaves; scripted per task with `FakeKube::script`.
#[derive(Debug, Clone)]
pub enum PodScript {
    /// Run the containers' commands.
    Run,
    /// Run this argv as the main container instead (paths mapped as usual).
    Command(Vec<String>),
    /// Run, then kill the container as the kernel's OOM killer does (exit 137, OOMKilled).
    OomKill { after: Duration },
    /// Never scheduled: `PodScheduled=False`, reason Unschedulable.
    Unschedulable,
    /// Scheduled, but its image is never pulled.
    ImagePullBackOff,
}

/// Why a running pod is stopped.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stop {
    /// `activeDeadlineSeconds` passed (the Job controller).
    Deadline,
    /// The Job was deleted (the garbage collector).
    Deleted,
    /// Evicted through the API (`FakeKube::evict`): DisruptionTarget, SIGTERM, deleted.
    Evict,
}

/// How a container's process ended.
enum Ended {
    Exited(i32),
    OomKilled(i32),
    Evicted(i32),
    Stopped(i32, Stop),
}

#[derive(Debug, Clone, PartialEq)]
pub struct PodEnd {
    pub succeeded: bool,
    pub disrupted: bool,
    /// Exit code of the container that failed, and its name.
    pub exit: Option<(String, i32)>,
}

impl PodEnd {
    fn failed(exit: Option<(String, i32)>) -> PodEnd {
        PodEnd {
            succeeded: false,
            disrupted: false,
            exit,
        }
    }
}

const NODE: &str = "fake-node";

/// Creates a pod from the Job's template, as the Job controller does.
pub fn create_pod(inner: &Inner, ns: &str, job: &Value) -> Option<String> {
    let job_name = job["metadata"]["name"].as_str()?;
    let seq = inner.pod_seq.fetch_add(1, Ordering::Relaxed);
    let name = format!("{job_name}-{}", suffix(seq));
    let template = &job["spec"]["template"];
    let pod = json!({
        "metadata": {
            "name": name,
            "labels": template["metadata"]["labels"],
            "annotations": template["metadata"]["annotations"],
            "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": job_name,
                "uid": job["metadata"]["uid"], "controller": true, "blockOwnerDeletion": true}],
        },
        "spec": template["spec"],
        "status": {"phase": "Pending", "qosClass": "Guaranteed"},
    });
    inner.lock_store().create(Kind::Pod, ns, pod, |_| ())?;
    Some(name)
}

/// Five lower-case letters and digits, like the Job controller's generated names.
fn suffix(seq: u64) -> String {
    const CHARS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut n = seq.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 20;
    (0..5)
        .map(|_| {
            let c = CHARS[(n % CHARS.len() as u64) as usize] as char;
            n /= CHARS.len() as u64;
            c
        })
        .collect()
}

struct PodRun {
    inner: Arc<Inner>,
    ns: String,
    name: String,
    spec: Value,
    stop: watch::Receiver<Option<Stop>>,
}

/// Runs a pod to its end; the Job controller reads the result.
pub async fn run_pod(
    inner: Arc<Inner>,
    ns: String,
    name: String,
    script: PodScript,
    stop: watch::Receiver<Option<Stop>>,
) -> PodEnd {
    let Some(pod) = inner.lock_store().get(Kind::Pod, &ns, &name) else {
        return PodEnd::failed(None);
    };
    let run = PodRun {
        spec: pod["spec"].clone(),
        inner,
        ns,
        name,
        stop,
    };
    if let PodScript::Unschedulable = script {
        run.update(|p| {
            p["status"]["conditions"] = json!([{"type": "PodScheduled", "status": "False",
                "reason": "Unschedulable", "lastTransitionTime": now(),
                "message": "0/1 nodes are available: 1 Insufficient nvidia.com/gpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."}]);
        });
        return run.pending_until_stopped().await;
    }
    run.update(|p| {
        p["spec"]["nodeName"] = json!(NODE);
        p["status"]["conditions"] = json!([{"type": "PodScheduled", "status": "True",
            "lastTransitionTime": now()}]);
        p["status"]["startTime"] = json!(now());
    });
    if let PodScript::ImagePullBackOff = script {
        let image = run.spec["containers"][0]["image"].clone();
        run.update(|p| {
            p["status"]["containerStatuses"] = json!([{"name": "agent", "image": image,
                "imageID": "", "ready": false, "restartCount": 0, "started": false,
                "state": {"waiting": {"reason": "ImagePullBackOff",
                    "message": format!("Back-off pulling image {image}")}}}]);
        });
        return run.pending_until_stopped().await;
    }
    run.run(script).await
}

impl PodRun {
    fn update(&self, change: impl FnOnce(&mut Value)) {
        self.inner
            .lock_store()
            .update(Kind::Pod, &self.ns, &self.name, change);
    }

    fn delete(&self) {
        self.inner
            .lock_store()
            .delete(Kind::Pod, &self.ns, &self.name);
    }

    fn stopped(&self) -> Option<Stop> {
        *self.stop.borrow()
    }

    async fn wait_stop(&mut self) -> Stop {
        loop {
            if let Some(stop) = self.stopped() {
                return stop;
            }
            if self.stop.changed().await.is_err() {
                return Stop::Deleted;
            }
        }
    }

    async fn pending_until_stopped(mut self) -> PodEnd {
        match self.wait_stop().await {
            Stop::Deleted => self.delete(),
            Stop::Evict => {
                self.update(|p| {
                    if let Some(c) = p["status"]["conditions"].as_array_mut() {
                        c.push(json!({"type": "DisruptionTarget", "status": "True",
                            "reason": "EvictionByEvictionAPI", "message": "Eviction API: evicting",
                            "lastTransitionTime": now()}));
                    }
                });
                self.delete();
                return PodEnd {
                    succeeded: false,
                    disrupted: true,
                    exit: None,
                };
            }
            Stop::Deadline => self.update(|p| {
                p["status"]["phase"] = json!("Failed");
                p["status"]["reason"] = json!("DeadlineExceeded");
                p["status"]["message"] =
                    json!("Pod was active on the node longer than the specified deadline");
            }),
        }
        PodEnd::failed(None)
    }

    async fn run(mut self, script: PodScript) -> PodEnd {
        let mounts = match self.volumes() {
            Ok(m) => m,
            Err(e) => {
                self.update(|p| {
                    p["status"]["reason"] = json!("FailedMount");
                    p["status"]["message"] = json!(e);
                });
                return self.pending_until_stopped().await;
            }
        };
        let inits: Vec<Value> = self.spec["initContainers"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for (i, init) in inits.iter().enumerate() {
            let name = init["name"].as_str().unwrap_or("init").to_owned();
            let argv = argv(init);
            let child = match self.spawn(init, &argv, &mounts) {
                Ok(child) => child,
                Err(waiting) => return self.stuck(i, true, waiting).await,
            };
            self.set_container(true, i, init, json!({"running": {"startedAt": now()}}));
            let (code, stopped) = match self.wait(child, None).await {
                Ended::Exited(code) | Ended::OomKilled(code) => (code, None),
                Ended::Evicted(code) => (code, Some(Stop::Deleted)),
                Ended::Stopped(code, stop) => (code, Some(stop)),
            };
            let state = self.terminated(init, code);
            self.set_container(true, i, init, state);
            if let Some(stop) = stopped {
                return self.end_stopped(stop, Some((name, code)));
            }
            if code != 0 {
                self.update(|p| p["status"]["phase"] = json!("Failed"));
                return PodEnd::failed(Some((name, code)));
            }
        }

        let container = self.spec["containers"][0].clone();
        if !container.is_object() {
            return PodEnd::failed(None);
        }
        let name = container["name"].as_str().unwrap_or("main").to_owned();
        let argv = match &script {
            PodScript::Command(argv) => argv.clone(),
            _ => argv(&container),
        };
        let child = match self.spawn(&container, &argv, &mounts) {
            Ok(child) => child,
            Err(waiting) => return self.stuck(0, false, waiting).await,
        };
        self.set_container(
            false,
            0,
            &container,
            json!({"running": {"startedAt": now()}}),
        );
        self.update(|p| {
            p["status"]["phase"] = json!("Running");
            if let Some(conditions) = p["status"]["conditions"].as_array_mut() {
                conditions
                    .push(json!({"type": "Ready", "status": "True", "lastTransitionTime": now()}));
            }
        });
        let oom_after = match script {
            PodScript::OomKill { after } => Some(after),
            _ => None,
        };
        let (code, oom, evicted) = match self.wait(child, oom_after).await {
            Ended::Exited(code) => (code, false, false),
            Ended::OomKilled(code) => (code, true, false),
            Ended::Evicted(code) => (code, false, true),
            Ended::Stopped(code, stop) => {
                let state = self.terminated(&container, code);
                self.set_container(false, 0, &container, state);
                return self.end_stopped(stop, Some((name, code)));
            }
        };
        let mut state = self.terminated(&container, code);
        if oom {
            state["terminated"]["reason"] = json!("OOMKilled");
            state["terminated"]["message"] = Value::Null;
        }
        self.set_container(false, 0, &container, state);
        let succeeded = code == 0 && !evicted;
        self.update(|p| {
            p["status"]["phase"] = json!(if succeeded { "Succeeded" } else { "Failed" });
            if let Some(conditions) = p["status"]["conditions"].as_array_mut() {
                conditions.retain(|c| c["type"] != "Ready");
                conditions.push(
                    json!({"type": "Ready", "status": "False", "reason": "PodCompleted",
                    "lastTransitionTime": now()}),
                );
            }
        });
        if evicted {
            // The eviction API deletes the pod once its containers have stopped.
            self.delete();
        }
        PodEnd {
            succeeded,
            disrupted: evicted,
            exit: (!succeeded).then_some((name, code)),
        }
    }

    /// The Job controller stopped the pod (deadline, Job deleted).
    fn end_stopped(&self, stop: Stop, exit: Option<(String, i32)>) -> PodEnd {
        match stop {
            Stop::Deleted | Stop::Evict => self.delete(),
            Stop::Deadline => self.update(|p| {
                p["status"]["phase"] = json!("Failed");
                p["status"]["reason"] = json!("DeadlineExceeded");
                p["status"]["message"] =
                    json!("Pod was active on the node longer than the specified deadline");
            }),
        }
        PodEnd::failed(exit)
    }

    /// A container that cannot be created: the pod stays pending, as on a real node.
    async fn stuck(self, index: usize, init: bool, waiting: Value) -> PodEnd {
        let container = if init {
            self.spec["initContainers"][index].clone()
        } else {
            self.spec["containers"][index].clone()
        };
        self.set_container(init, index, &container, json!({"waiting": waiting}));
        self.pending_until_stopped().await
    }

    fn set_container(&self, init: bool, index: usize, container: &Value, state: Value) {
        let field = if init {
            "initContainerStatuses"
        } else {
            "containerStatuses"
        };
        let running = state.get("running").is_some();
        let status = json!({
            "name": container["name"], "image": container["image"],
            "imageID": format!("fake://{}", container["image"].as_str().unwrap_or_default()),
            "ready": running && !init, "started": running, "restartCount": 0, "state": state,
        });
        self.update(|p| {
            let statuses = &mut p["status"][field];
            if !statuses.is_array() {
                *statuses = json!([]);
            }
            if let Some(list) = statuses.as_array_mut() {
                while list.len() <= index {
                    list.push(Value::Null);
                }
                list[index] = status;
            }
        });
    }

    /// A terminated state; a failed container with `FallbackToLogsOnError` gets its
    /// log's tail as its message, as the kubelet does (80 lines, 2048 bytes).
    fn terminated(&self, container: &Value, code: i32) -> Value {
        let name = container["name"].as_str().unwrap_or_default();
        let mut state = json!({"terminated": {"exitCode": code,
            "reason": if code == 0 { "Completed" } else { "Error" },
            "startedAt": now(), "finishedAt": now()}});
        if code != 0 && container["terminationMessagePolicy"] == "FallbackToLogsOnError" {
            let log = std::fs::read(self.inner.log_path(&self.name, name)).unwrap_or_default();
            let log = String::from_utf8_lossy(&log);
            let lines: Vec<&str> = log.lines().collect();
            let mut tail = lines[lines.len().saturating_sub(80)..].join("\n");
            if tail.len() > 2048 {
                let mut cut = tail.len() - 2048;
                while !tail.is_char_boundary(cut) {
                    cut += 1;
                }
                tail = tail[cut..].to_owned();
            }
            if !tail.is_empty() {
                state["terminated"]["message"] = json!(tail);
            }
        }
        state
    }

    /// Local directories for the pod's volumes, by volume name.
    fn volumes(&self) -> Result<HashMap<String, PathBuf>, String> {
        let mut dirs = HashMap::new();
        for volume in self.spec["volumes"].as_array().into_iter().flatten() {
            let name = volume["name"].as_str().unwrap_or_default().to_owned();
            let dir = if let Some(path) = volume["hostPath"]["path"].as_str() {
                PathBuf::from(path)
            } else if let Some(claim) = volume["persistentVolumeClaim"]["claimName"].as_str() {
                lock(&self.inner.claims)
                    .get(claim)
                    .cloned()
                    .ok_or_else(|| format!("persistentvolumeclaim \"{claim}\" not found"))?
            } else {
                let dir = self.inner.pod_dir(&self.name).join("volumes").join(&name);
                std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
                dir
            };
            dirs.insert(name, dir);
        }
        Ok(dirs)
    }

    /// Starts a container's process; Err is the container's waiting state.
    fn spawn(
        &self,
        container: &Value,
        argv: &[String],
        volumes: &HashMap<String, PathBuf>,
    ) -> Result<Child, Value> {
        let name = container["name"].as_str().unwrap_or_default();
        let mounts: Vec<(String, PathBuf)> = container["volumeMounts"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| {
                let dir = volumes.get(m["name"].as_str()?)?;
                let dir = match m["subPath"].as_str() {
                    Some(sub) => dir.join(sub),
                    None => dir.clone(),
                };
                Some((m["mountPath"].as_str()?.to_owned(), dir))
            })
            .collect();
        let binaries = lock(&self.inner.binaries).clone();
        let map = |arg: &str| map_path(arg, &mounts, &binaries);
        let mut env = vec![
            ("PATH".to_owned(), std::env::var("PATH").unwrap_or_default()),
            ("LANG".to_owned(), "C.UTF-8".to_owned()),
        ];
        let home = self.inner.pod_dir(&self.name).join("home");
        let _ = std::fs::create_dir_all(&home);
        env.push(("HOME".to_owned(), home.display().to_string()));
        for var in container["env"].as_array().into_iter().flatten() {
            let Some(key) = var["name"].as_str() else {
                continue;
            };
            if let Some(value) = var["value"].as_str() {
                env.push((key.to_owned(), map(value)));
            } else if let Some(secret) = var["valueFrom"]["secretKeyRef"].as_object() {
                let secret_name = secret["name"].as_str().unwrap_or_default();
                let item = secret["key"].as_str().unwrap_or_default();
                let found = lock(&self.inner.secrets)
                    .get(&(self.ns.clone(), secret_name.to_owned()))
                    .map(|s| s.get(item).cloned());
                match found {
                    Some(Some(value)) => env.push((key.to_owned(), value)),
                    _ if secret.get("optional") == Some(&json!(true)) => {}
                    None => {
                        return Err(json!({"reason": "CreateContainerConfigError",
                            "message": format!("secret \"{secret_name}\" not found")}));
                    }
                    Some(None) => {
                        return Err(json!({"reason": "CreateContainerConfigError",
                            "message": format!("couldn't find key {item} in Secret {}/{secret_name}", self.ns)}));
                    }
                }
            }
        }
        let Some((program, args)) = argv.split_first() else {
            return Err(json!({"reason": "CreateContainerError", "message": "no command"}));
        };
        let dir = container["workingDir"]
            .as_str()
            .map(|d| PathBuf::from(map(d)))
            .unwrap_or_else(|| self.inner.pod_dir(&self.name));
        let _ = std::fs::create_dir_all(&dir);
        let log = self.inner.log_path(&self.name, name);
        let _ = std::fs::create_dir_all(log.parent().unwrap_or(Path::new(".")));
        let file = std::fs::File::create(&log)
            .map_err(|e| json!({"reason": "CreateContainerError", "message": e.to_string()}))?;
        let err = file
            .try_clone()
            .map_err(|e| json!({"reason": "CreateContainerError", "message": e.to_string()}))?;
        Command::new(map(program))
            .args(args.iter().map(|a| map(a)))
            .env_clear()
            .envs(env)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::from(file))
            .stderr(Stdio::from(err))
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                json!({"reason": "RunContainerError",
                    "message": format!("exec: \"{program}\": {e}")})
            })
    }

    /// Waits for the process; an OOM kill (after `oom_after`) or a stop ends it sooner.
    async fn wait(&mut self, mut child: Child, oom_after: Option<Duration>) -> Ended {
        let oom = tokio::time::sleep(oom_after.unwrap_or(Duration::from_secs(86_400 * 365)));
        tokio::pin!(oom);
        loop {
            tokio::select! {
                status = child.wait() => return Ended::Exited(code_of(status)),
                _ = &mut oom, if oom_after.is_some() => {
                    kill_group(&child, Signal::SIGKILL);
                    return Ended::OomKilled(code_of(child.wait().await));
                }
                changed = self.stop.changed() => {
                    let stop = if changed.is_err() { Some(Stop::Deleted) } else { self.stopped() };
                    match stop {
                        None => {}
                        Some(Stop::Evict) => {
                            self.update(|p| {
                                if let Some(c) = p["status"]["conditions"].as_array_mut() {
                                    c.push(json!({"type": "DisruptionTarget", "status": "True",
                                        "reason": "EvictionByEvictionAPI", "message": "Eviction API: evicting",
                                        "lastTransitionTime": now()}));
                                }
                                p["metadata"]["deletionTimestamp"] = json!(now());
                            });
                            return Ended::Evicted(self.terminate(&mut child).await);
                        }
                        Some(stop) => {
                            if stop == Stop::Deleted {
                                self.update(|p| p["metadata"]["deletionTimestamp"] = json!(now()));
                            }
                            return Ended::Stopped(self.terminate(&mut child).await, stop);
                        }
                    }
                }
            }
        }
    }

    /// SIGTERM to the container's first process, SIGKILL to all of them after the grace.
    async fn terminate(&self, child: &mut Child) -> i32 {
        if let Some(pid) = child.id() {
            let _ = kill(Pid::from_raw(pid as i32), Signal::SIGTERM);
        }
        match tokio::time::timeout(self.inner.config.grace, child.wait()).await {
            Ok(status) => {
                kill_group(child, Signal::SIGKILL);
                code_of(status)
            }
            Err(_) => {
                kill_group(child, Signal::SIGKILL);
                code_of(child.wait().await)
            }
        }
    }
}

fn kill_group(child: &Child, signal: Signal) {
    if let Some(pid) = child.id() {
        let _ = killpg(Pid::from_raw(pid as i32), signal);
    }
}

fn code_of(status: std::io::Result<std::process::ExitStatus>) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    match status {
        Ok(s) => s.code().unwrap_or_else(|| 128 + s.signal().unwrap_or(0)),
        Err(_) => 128,
    }
}

/// A container's argv: `command` then `args`.
fn argv(container: &Value) -> Vec<String> {
    ["command", "args"]
        .iter()
        .flat_map(|f| container[f].as_array().cloned().unwrap_or_default())
        .filter_map(|a| a.as_str().map(str::to_owned))
        .collect()
}

/// An argument as the local process needs it: a mapped binary, or a path below a mount
/// rewritten to the mount's local directory.
fn map_path(
    arg: &str,
    mounts: &[(String, PathBuf)],
    binaries: &HashMap<String, PathBuf>,
) -> String {
    if let Some(local) = binaries.get(arg) {
        return local.display().to_string();
    }
    let best = mounts
        .iter()
        .filter(|(path, _)| {
            arg == path
                || arg
                    .strip_prefix(path.as_str())
                    .is_some_and(|r| r.starts_with('/'))
        })
        .max_by_key(|(path, _)| path.len());
    match best {
        Some((path, dir)) => format!("{}{}", dir.display(), &arg[path.len()..]),
        None => arg.to_owned(),
    }
}
