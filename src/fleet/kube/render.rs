//! One `batch/v1` Job per attempt of a (task, seed) run. Within a Job, the Job controller
//! replaces pods lost to disruptions (eviction, preemption, node loss) without counting
//! them; a failure the Job does not absorb ends the attempt, and the controller's next
//! attempt is a new Job.

use std::path::PathBuf;

use ::kube::api::ObjectMeta;
use k8s_openapi::api::batch::v1::{
    Job, JobSpec, PodFailurePolicy, PodFailurePolicyOnExitCodesRequirement,
    PodFailurePolicyOnPodConditionsPattern, PodFailurePolicyRule,
};
use k8s_openapi::api::core::v1::PodTemplateSpec;

use super::config::KubeRunConfig;
use super::identity;
use super::pod::{AGENT_CONTAINER, pod_spec};
use crate::fleet::LaunchSpec;

/// The agent's exit codes that end its Job at once: bad input (retrying cannot help), and
/// an unreachable LLM endpoint (the controller decides; the Job's own retries would burn
/// pods against the same dead endpoint).
pub const FATAL_EXIT_CODE: i32 = crate::exit_codes::USAGE as i32;
pub const LLM_UNREACHABLE_EXIT_CODE: i32 = crate::exit_codes::LLM_UNREACHABLE as i32;
pub const QUEUE_LABEL: &str = "kueue.x-k8s.io/queue-name";

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RenderError {
    #[error(
        "the task's public directory {} is not below `data.*.local_root` {}",
        public_dir.display(),
        local_root.display()
    )]
    DataOutsideRoot {
        public_dir: PathBuf,
        local_root: PathBuf,
    },
    #[error(
        "no node label known for gpu_type `{gpu_type}`; add it to `executor.kube.gpu_products` or set `nvidia.com/gpu.product` in `node_selector`"
    )]
    UnknownGpu { gpu_type: String },
    #[error("`executor.kube.affinity` is not a Kubernetes affinity: {0}")]
    Affinity(String),
}

pub fn render_job(spec: &LaunchSpec, cfg: &KubeRunConfig) -> Result<Job, RenderError> {
    let settings = &cfg.settings;
    let labels = identity::labels(&spec.run_id, &spec.key, spec.attempt);
    let annotations = identity::annotations(&spec.run_id, &spec.key);
    let mut job_labels = labels.clone();
    if let Some(queue) = &settings.queue {
        job_labels.insert(QUEUE_LABEL.to_owned(), queue.clone());
    }
    let deadline = spec
        .time_limit_s
        .filter(|t| t.is_finite() && *t >= 0.0)
        .map(|t| (t + settings.deadline_margin.as_duration().as_secs_f64()).ceil() as i64);
    Ok(Job {
        metadata: ObjectMeta {
            name: Some(identity::job_name(&spec.run_id, &spec.key, spec.attempt)),
            namespace: Some(settings.namespace.clone()),
            labels: Some(job_labels),
            annotations: Some(annotations.clone()),
            ..ObjectMeta::default()
        },
        spec: Some(JobSpec {
            completions: Some(1),
            parallelism: Some(1),
            backoff_limit: Some(i32::try_from(settings.backoff_limit).unwrap_or(i32::MAX)),
            active_deadline_seconds: deadline,
            ttl_seconds_after_finished: Some(
                i32::try_from(settings.ttl_after_finished.as_duration().as_secs())
                    .unwrap_or(i32::MAX),
            ),
            pod_failure_policy: Some(failure_policy()),
            // A replacement starts once the old pod is gone: never two pods on the GPUs.
            pod_replacement_policy: Some("Failed".to_owned()),
            // Kueue admits the Job by unsuspending it (its webhook would suspend it anyway).
            suspend: settings.queue.as_ref().map(|_| true),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels),
                    annotations: Some(annotations),
                    ..ObjectMeta::default()
                }),
                spec: Some(pod_spec(spec, cfg)?),
            },
            ..JobSpec::default()
        }),
        status: None,
    })
}

/// Disruptions do not count as failures (the pod is replaced and the agent resumes);
/// bad input fails the Job at once.
fn failure_policy() -> PodFailurePolicy {
    PodFailurePolicy {
        rules: vec![
            PodFailurePolicyRule {
                action: "Ignore".to_owned(),
                on_pod_conditions: Some(vec![PodFailurePolicyOnPodConditionsPattern {
                    type_: "DisruptionTarget".to_owned(),
                    status: "True".to_owned(),
                }]),
                on_exit_codes: None,
            },
            PodFailurePolicyRule {
                action: "FailJob".to_owned(),
                on_exit_codes: Some(PodFailurePolicyOnExitCodesRequirement {
                    container_name: Some(AGENT_CONTAINER.to_owned()),
                    operator: "In".to_owned(),
                    values: vec![FATAL_EXIT_CODE, LLM_UNREACHABLE_EXIT_CODE],
                }),
                on_pod_conditions: None,
            },
        ],
    }
}

/// Jobs as multi-document YAML, for `aide-fleet run --dry-run`.
pub fn jobs_yaml(jobs: &[Job]) -> String {
    serde_saphyr::to_string_multiple(jobs).unwrap_or_else(|_| {
        // JSON is YAML too, and a Job always serialises to it.
        jobs.iter()
            .map(|j| serde_json::to_string_pretty(j).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n---\n")
    })
}
