//! What the executor keeps of a Job or Pod it watched: a small summary, not the object
//! (a run may have thousands), and the words that explain a failure: the Job's
//! condition, then its pods' container states, reasons and scheduling trouble.

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ContainerStatus, Pod};
use k8s_openapi::jiff::Timestamp;

use super::identity::{self, JOB_NAME_LABEL};
use super::pod::AGENT_CONTAINER;
use super::render::{FATAL_EXIT_CODE, LLM_UNREACHABLE_EXIT_CODE};
use crate::fleet::RunKey;

/// Container waiting reasons that mean the image cannot be had; retrying the pull rarely
/// helps, so they end the attempt after `KubeRunConfig::image_pull_timeout`.
const IMAGE_REASONS: [&str; 4] = [
    "ErrImagePull",
    "ImagePullBackOff",
    "InvalidImageName",
    "ErrImageNeverPull",
];
/// Waiting reasons worth reporting while a pod does not start.
const STUCK_REASONS: [&str; 2] = ["CreateContainerConfigError", "CreateContainerError"];
/// Longest reason text kept from a container message.
const MAX_MESSAGE: usize = 300;

#[derive(Debug, Clone, PartialEq)]
pub enum JobOutcome {
    Active,
    /// Suspended (by Kueue, waiting for quota or preempted), with the condition's message.
    Suspended(String),
    Complete,
    Failed {
        reason: String,
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct JobView {
    pub name: String,
    pub key: RunKey,
    pub attempt: u32,
    pub outcome: JobOutcome,
    /// Deletion has started (foreground deletion, finalizers).
    pub deleting: bool,
}

impl JobView {
    pub fn of(job: &Job, run_id: &str) -> Option<JobView> {
        let name = job.metadata.name.clone()?;
        let (key, attempt) = identity::parse(&job.metadata, run_id)?;
        let conditions = job
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_deref())
            .unwrap_or_default();
        let holds = |kind: &str| {
            conditions
                .iter()
                .find(|c| c.type_ == kind && c.status == "True")
        };
        let outcome = if holds("Complete").is_some() {
            JobOutcome::Complete
        } else if let Some(c) = holds("Failed") {
            JobOutcome::Failed {
                reason: c.reason.clone().unwrap_or_else(|| "Failed".to_owned()),
                message: c.message.clone().unwrap_or_default(),
            }
        } else if let Some(c) = holds("Suspended") {
            JobOutcome::Suspended(c.message.clone().unwrap_or_default())
        } else if job.spec.as_ref().and_then(|s| s.suspend) == Some(true) {
            JobOutcome::Suspended("waiting for admission".to_owned())
        } else {
            JobOutcome::Active
        };
        Some(JobView {
            name,
            key,
            attempt,
            outcome,
            deleting: job.metadata.deletion_timestamp.is_some(),
        })
    }

    pub fn finished(&self) -> bool {
        matches!(
            self.outcome,
            JobOutcome::Complete | JobOutcome::Failed { .. }
        )
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PodView {
    pub name: String,
    pub job: String,
    /// Orders a Job's pods (to the second; the tracker breaks ties by arrival).
    pub created: Option<Timestamp>,
    pub running: bool,
    /// How it ended, when it failed: `OOMKilled (exit code 137)`, `exit code 4: ...`.
    pub ended: Option<String>,
    pub exit_code: Option<i32>,
    /// Why it was disrupted (evicted, preempted, its node drained).
    pub disruption: Option<String>,
    /// A container that cannot start: (reason, text).
    pub waiting: Option<(String, String)>,
    pub unschedulable: Option<String>,
}

impl PodView {
    pub fn of(pod: &Pod) -> Option<PodView> {
        let labels = pod.metadata.labels.as_ref()?;
        let job = labels
            .get(JOB_NAME_LABEL)
            .or_else(|| labels.get("job-name"))?
            .clone();
        let status = pod.status.clone().unwrap_or_default();
        let phase = status.phase.as_deref().unwrap_or("Pending");
        let conditions = status.conditions.as_deref().unwrap_or_default();
        let condition = |kind: &str, value: &str| {
            conditions
                .iter()
                .find(|c| c.type_ == kind && c.status == value)
        };
        let disruption = condition("DisruptionTarget", "True")
            .map(|c| {
                explain(
                    c.reason.as_deref().unwrap_or("DisruptionTarget"),
                    c.message.as_deref(),
                )
            })
            .or_else(|| {
                (status.reason.as_deref() == Some("Evicted"))
                    .then(|| explain("Evicted", status.message.as_deref()))
            });
        let unschedulable = condition("PodScheduled", "False")
            .filter(|c| c.reason.as_deref() == Some("Unschedulable"))
            .map(|c| c.message.clone().unwrap_or_default());
        let inits = status
            .init_container_statuses
            .as_deref()
            .unwrap_or_default();
        let mains = status.container_statuses.as_deref().unwrap_or_default();
        let waiting = inits.iter().chain(mains).find_map(|s| {
            let w = s.state.as_ref()?.waiting.as_ref()?;
            let reason = w.reason.as_deref()?;
            (IMAGE_REASONS.contains(&reason) || STUCK_REASONS.contains(&reason))
                .then(|| (reason.to_owned(), explain(reason, w.message.as_deref())))
        });
        let agent = mains.iter().find(|s| s.name == AGENT_CONTAINER);
        let exit_code = agent.and_then(|s| Some(s.state.as_ref()?.terminated.as_ref()?.exit_code));
        let ended = (phase == "Failed").then(|| {
            inits
                .iter()
                .find_map(|s| {
                    terminated(s)
                        .filter(|(code, _)| *code != 0)
                        .map(|(_, text)| format!("init container {}: {text}", s.name))
                })
                .or_else(|| agent.and_then(terminated).map(|(_, text)| text))
                .or_else(|| {
                    status
                        .reason
                        .as_deref()
                        .map(|r| explain(r, status.message.as_deref()))
                })
                .unwrap_or_else(|| "the pod failed".to_owned())
        });
        Some(PodView {
            name: pod.metadata.name.clone()?,
            job,
            created: pod.metadata.creation_timestamp.as_ref().map(|t| t.0),
            running: phase == "Running",
            ended,
            exit_code,
            disruption,
            waiting,
            unschedulable,
        })
    }

    pub fn image_trouble(&self) -> bool {
        self.waiting
            .as_ref()
            .is_some_and(|(reason, _)| IMAGE_REASONS.contains(&reason.as_str()))
    }

    /// Why this pod is not running yet, if it is stuck.
    pub fn stuck(&self) -> Option<String> {
        self.waiting
            .as_ref()
            .map(|(_, text)| text.clone())
            .or_else(|| {
                self.unschedulable
                    .as_ref()
                    .map(|m| explain("Unschedulable", Some(m)))
            })
    }
}

/// A terminated container's exit code and what it says about it.
fn terminated(status: &ContainerStatus) -> Option<(i32, String)> {
    let t = status.state.as_ref()?.terminated.as_ref()?;
    let code = t.exit_code;
    let message = t.message.as_deref().and_then(last_line);
    let text = match t.reason.as_deref().unwrap_or("") {
        "OOMKilled" => format!("OOMKilled (exit code {code})"),
        "" | "Error" | "Completed" => match message {
            Some(m) => format!("exit code {code}: {m}"),
            None => format!("exit code {code}"),
        },
        other => match message {
            Some(m) => format!("{other} (exit code {code}): {m}"),
            None => format!("{other} (exit code {code})"),
        },
    };
    Some((code, text))
}

/// Whether the last pod that failed on its own could not reach the LLM endpoint.
pub fn llm_unreachable(pods: &[&PodView]) -> bool {
    pods.iter()
        .rev()
        .find(|p| p.ended.is_some() && p.disruption.is_none())
        .and_then(|p| p.exit_code)
        == Some(LLM_UNREACHABLE_EXIT_CODE)
}

/// Why a failed Job failed, and whether retrying is pointless; `pods` in creation order.
pub fn failure(reason: &str, message: &str, pods: &[&PodView]) -> (String, bool) {
    let last_failed = pods
        .iter()
        .rev()
        .find(|p| p.ended.is_some() && p.disruption.is_none());
    let stuck = pods.last().and_then(|p| p.stuck());
    let fatal = reason == "PodFailurePolicy"
        || last_failed.and_then(|p| p.exit_code) == Some(FATAL_EXIT_CODE);
    let pod_text = last_failed.and_then(|p| p.ended.clone()).or(stuck);
    let text = match (reason, pod_text) {
        ("DeadlineExceeded", Some(pod)) => {
            format!("{}; last pod: {pod}", explain(reason, Some(message)))
        }
        (_, Some(pod)) => pod,
        (_, None) => explain(reason, Some(message)),
    };
    (text, fatal)
}

/// `Reason: message`, or the reason alone.
pub fn explain(reason: &str, message: Option<&str>) -> String {
    match message.map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => format!("{reason}: {}", clip(m)),
        None => reason.to_owned(),
    }
}

/// The last non-empty line of a container's message (the tail of its log, for
/// `FallbackToLogsOnError`), which is where the agent says why it stopped.
fn last_line(message: &str) -> Option<String> {
    message
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .map(clip)
}

fn clip(s: &str) -> String {
    match s.char_indices().nth(MAX_MESSAGE) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(json: serde_json::Value) -> PodView {
        PodView::of(&serde_json::from_value(json).unwrap()).unwrap()
    }

    fn meta() -> serde_json::Value {
        serde_json::json!({"name": "j-abc", "labels": {"batch.kubernetes.io/job-name": "j"},
            "creationTimestamp": "2026-01-01T00:00:00Z"})
    }

    #[test]
    fn oom_and_exit_codes_are_explained() {
        let oom = pod(
            serde_json::json!({"metadata": meta(), "status": {"phase": "Failed",
            "containerStatuses": [{"name": "agent", "state": {"terminated":
                {"exitCode": 137, "reason": "OOMKilled"}}}]}}),
        );
        assert_eq!(oom.ended.as_deref(), Some("OOMKilled (exit code 137)"));
        let llm = pod(
            serde_json::json!({"metadata": meta(), "status": {"phase": "Failed",
            "containerStatuses": [{"name": "agent", "state": {"terminated":
                {"exitCode": 4, "reason": "Error", "message": "step 3\nerror: the LLM failed: 500\n\n"}}}]}}),
        );
        assert_eq!(
            llm.ended.as_deref(),
            Some("exit code 4: error: the LLM failed: 500")
        );
        let (text, fatal) = failure(
            "BackoffLimitExceeded",
            "Job has reached the specified backoff limit",
            &[&llm],
        );
        assert_eq!(
            (text.as_str(), fatal),
            ("exit code 4: error: the LLM failed: 500", false)
        );
    }

    #[test]
    fn bad_input_is_fatal() {
        let bad = pod(
            serde_json::json!({"metadata": meta(), "status": {"phase": "Failed",
            "containerStatuses": [{"name": "agent", "state": {"terminated": {"exitCode": 2}}}]}}),
        );
        assert!(failure("BackoffLimitExceeded", "", &[&bad]).1);
        assert!(failure("PodFailurePolicy", "Container agent ...", &[]).1);
    }

    #[test]
    fn disruptions_and_scheduling() {
        let evicted = pod(
            serde_json::json!({"metadata": meta(), "status": {"phase": "Failed",
            "reason": "Evicted", "message": "The node was low on resource: memory."}}),
        );
        assert_eq!(
            evicted.disruption.as_deref(),
            Some("Evicted: The node was low on resource: memory.")
        );
        let pending = pod(
            serde_json::json!({"metadata": meta(), "status": {"phase": "Pending",
            "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                "message": "0/3 nodes are available: 3 Insufficient nvidia.com/gpu."}]}}),
        );
        let (text, fatal) = failure(
            "DeadlineExceeded",
            "Job was active longer than specified deadline",
            &[&pending],
        );
        assert_eq!(
            text,
            "DeadlineExceeded: Job was active longer than specified deadline; last pod: Unschedulable: 0/3 nodes are available: 3 Insufficient nvidia.com/gpu."
        );
        assert!(!fatal);
        let pull = pod(
            serde_json::json!({"metadata": meta(), "status": {"phase": "Pending",
            "containerStatuses": [{"name": "agent", "state": {"waiting": {"reason": "ImagePullBackOff",
                "message": "Back-off pulling image \"nope\""}}}]}}),
        );
        assert!(pull.image_trouble());
        assert_eq!(
            pull.stuck().as_deref(),
            Some("ImagePullBackOff: Back-off pulling image \"nope\"")
        );
    }

    #[test]
    fn jobs_without_our_labels_are_ignored() {
        let job: Job =
            serde_json::from_value(serde_json::json!({"metadata": {"name": "x"}})).unwrap();
        assert_eq!(JobView::of(&job, "r"), None);
    }
}
