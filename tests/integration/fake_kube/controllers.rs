//! The simulated Job controller: one task per Job that creates its pods one at a time,
//! and applies `activeDeadlineSeconds`, `backoffLimit` and `podFailurePolicy` (Ignore on
//! pod conditions, FailJob on exit codes) to how each pod ended, writing the Job's status
//! and conditions as the real controller does.

use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::time::Instant;

use super::kubelet::{self, PodEnd, Stop};
use super::store::{Kind, now};
use super::{Inner, lock};

pub async fn run_job(
    inner: Arc<Inner>,
    ns: String,
    job: Value,
    mut deleted: watch::Receiver<bool>,
) {
    let Some(name) = job["metadata"]["name"].as_str().map(str::to_owned) else {
        return;
    };
    // Suspended (Kueue: not admitted yet): no pods.
    let mut told_suspended = false;
    loop {
        if *deleted.borrow() {
            return;
        }
        let Some(current) = inner.lock_store().get(Kind::Job, &ns, &name) else {
            return;
        };
        if current["spec"]["suspend"] != json!(true) {
            break;
        }
        if !told_suspended {
            told_suspended = true;
            update_job(&inner, &ns, &name, |status| {
                status["conditions"] = json!([{"type": "Suspended", "status": "True",
                    "reason": "JobSuspended", "message": "Job suspended", "lastTransitionTime": now()}]);
            });
        }
        tokio::select! {
            _ = deleted.changed() => {}
            _ = tokio::time::sleep(Duration::from_millis(50)) => {}
        }
    }
    update_job(&inner, &ns, &name, |status| {
        status["startTime"] = json!(now());
        if let Some(c) = status["conditions"].as_array_mut() {
            c.retain(|c| c["type"] != "Suspended");
        }
    });
    let spec = &job["spec"];
    let deadline = spec["activeDeadlineSeconds"]
        .as_u64()
        .map(|s| Instant::now() + Duration::from_secs(s));
    let backoff_limit = spec["backoffLimit"].as_u64().unwrap_or(6);
    let rules = spec["podFailurePolicy"]["rules"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut failed = 0;
    loop {
        let script = inner.next_script(&job);
        let Some(pod) = kubelet::create_pod(&inner, &ns, &job) else {
            return;
        };
        update_job(&inner, &ns, &name, |status| {
            status["active"] = json!(1);
        });
        let (stop_tx, stop_rx) = watch::channel(None);
        let stop_tx = Arc::new(stop_tx);
        lock(&inner.pod_stops).insert(pod.clone(), Arc::clone(&stop_tx));
        let mut run = pin!(kubelet::run_pod(
            Arc::clone(&inner),
            ns.clone(),
            pod.clone(),
            script,
            stop_rx
        ));
        let far = Instant::now() + Duration::from_secs(86_400 * 365);
        let mut expire = pin!(tokio::time::sleep_until(deadline.unwrap_or(far)));
        let mut stopped = None;
        let end = loop {
            tokio::select! {
                end = &mut run => break end,
                _ = &mut expire, if stopped.is_none() => {
                    stopped = Some(Stop::Deadline);
                    let _ = stop_tx.send(stopped);
                }
                _ = deleted.changed(), if stopped.is_none() => {
                    stopped = Some(Stop::Deleted);
                    let _ = stop_tx.send(stopped);
                }
            }
        };
        lock(&inner.pod_stops).remove(&pod);
        match stopped {
            Some(Stop::Deleted) => return,
            Some(Stop::Deadline) => {
                return fail(
                    &inner,
                    &ns,
                    &name,
                    failed + 1,
                    "DeadlineExceeded",
                    "Job was active longer than specified deadline",
                );
            }
            Some(Stop::Evict) | None => {}
        }
        if end.succeeded {
            return finish(&inner, &ns, &name, |status| {
                status["succeeded"] = json!(1);
                status["completionTime"] = json!(now());
                status["conditions"] = json!([
                    {"type": "SuccessCriteriaMet", "status": "True", "reason": "CompletionsReached",
                        "message": "Reached expected number of succeeded pods", "lastTransitionTime": now()},
                    {"type": "Complete", "status": "True", "reason": "CompletionsReached",
                        "message": "Reached expected number of succeeded pods", "lastTransitionTime": now()}]);
            });
        }
        if end.disrupted && rules.iter().any(ignores_disruption) {
            continue;
        }
        if let Some((index, (container, code))) = fail_job_rule(&rules, &end) {
            let message = format!(
                "Container {container} for pod {ns}/{pod} failed with exit code {code} matching FailJob rule at index {index}"
            );
            return fail(&inner, &ns, &name, failed + 1, "PodFailurePolicy", &message);
        }
        failed += 1;
        update_job(&inner, &ns, &name, |status| {
            status["failed"] = json!(failed);
        });
        if failed > backoff_limit {
            return fail(
                &inner,
                &ns,
                &name,
                failed,
                "BackoffLimitExceeded",
                "Job has reached the specified backoff limit",
            );
        }
    }
}

fn ignores_disruption(rule: &Value) -> bool {
    rule["action"] == "Ignore"
        && rule["onPodConditions"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|c| c["type"] == "DisruptionTarget")
}

/// The index of the first FailJob rule on exit codes that the pod's end matches.
fn fail_job_rule(rules: &[Value], end: &PodEnd) -> Option<(usize, (String, i32))> {
    let (container, code) = end.exit.clone()?;
    rules.iter().enumerate().find_map(|(i, rule)| {
        let codes = &rule["onExitCodes"];
        if rule["action"] != "FailJob" || !codes.is_object() {
            return None;
        }
        if codes["containerName"]
            .as_str()
            .is_some_and(|c| c != container)
        {
            return None;
        }
        let listed = codes["values"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|v| v.as_i64() == Some(i64::from(code)));
        let matched = match codes["operator"].as_str() {
            Some("In") => listed,
            Some("NotIn") => !listed && code != 0,
            _ => false,
        };
        matched.then(|| (i, (container.clone(), code)))
    })
}

fn update_job(inner: &Inner, ns: &str, name: &str, change: impl FnOnce(&mut Value)) {
    inner.lock_store().update(Kind::Job, ns, name, |job| {
        if !job["status"].is_object() {
            job["status"] = json!({});
        }
        change(&mut job["status"]);
    });
}

fn finish(inner: &Inner, ns: &str, name: &str, change: impl FnOnce(&mut Value)) {
    update_job(inner, ns, name, |status| {
        status["active"] = json!(0);
        status["ready"] = json!(0);
        change(status);
    });
}

fn fail(inner: &Inner, ns: &str, name: &str, failed: u64, reason: &str, message: &str) {
    finish(inner, ns, name, |status| {
        status["failed"] = json!(failed);
        status["conditions"] = json!([
            {"type": "FailureTarget", "status": "True", "reason": reason, "message": message,
                "lastTransitionTime": now()},
            {"type": "Failed", "status": "True", "reason": reason, "message": message,
                "lastTransitionTime": now()}]);
    });
}
