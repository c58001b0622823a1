//! The `executor:` section of a suite: where runs execute.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use k8s_openapi::api::core::v1::Affinity;
use serde::{Deserialize, Serialize};

use super::HumanDuration;

// Read once per run; boxing the Kubernetes settings would only complicate their users.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExecutorSettings {
    /// Child processes on this machine.
    Local(LocalExecutor),
    /// One Kubernetes Job per run.
    Kube(KubeExecutor),
}

impl Default for ExecutorSettings {
    fn default() -> Self {
        ExecutorSettings::Local(LocalExecutor::default())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalExecutor {
    /// Runs at once.
    #[serde(default = "one")]
    pub concurrency: u32,
    /// Let concurrent runs share GPUs instead of each getting `resources.gpus` of its own.
    #[serde(default)]
    pub allow_gpu_sharing: bool,
}

impl Default for LocalExecutor {
    fn default() -> Self {
        Self {
            concurrency: 1,
            allow_gpu_sharing: false,
        }
    }
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KubeExecutor {
    pub namespace: String,
    /// Image holding aide-fleet and the Python environment the agent runs scripts in.
    pub image: String,
    /// Where the aide-fleet binary lies in `image`; copied from there into tasks' own images.
    #[serde(default = "default_agent_binary")]
    pub agent_binary: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
    /// A Pod-spec `affinity`, written as in a Pod spec (camelCase).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<serde_json::Value>,
    /// `resources.gpu_type` to the `nvidia.com/gpu.product` node label, over the built-in table.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub gpu_products: BTreeMap<String, String>,
    /// Kueue LocalQueue to submit Jobs to (`kueue.x-k8s.io/queue-name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_class: Option<String>,
    /// Secret holding `OPENAI_API_KEY` and/or `ANTHROPIC_API_KEY`.
    #[serde(default = "default_llm_secret")]
    pub llm_secret: String,
    /// Secret holding `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` (and optionally
    /// `AWS_SESSION_TOKEN`) for the store; absent: the pod's own identity (`service_account`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3_secret: Option<String>,
    /// The pods' ServiceAccount (IRSA, workload identity); absent: the namespace's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account: Option<String>,
    /// Plain environment of the agent (`OPENAI_BASE_URL`, `AWS_REGION`); never secrets.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// How a task's public files reach its pod; absent: they are in the image at the path
    /// the controller sees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<DataSource>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_pull_secrets: Vec<String>,
    /// Pod failures (not disruptions) a Job absorbs before failing; the controller retries
    /// failed attempts itself, so 0 by default.
    #[serde(default)]
    pub backoff_limit: u32,
    /// Added to the search's time limit for the Job's `activeDeadlineSeconds`.
    #[serde(default = "default_deadline_margin")]
    pub deadline_margin: HumanDuration,
    /// How long a finished Job (and its pods, logs) stays.
    #[serde(default = "default_ttl")]
    pub ttl_after_finished: HumanDuration,
    /// Non-root user id the containers run as.
    #[serde(default = "default_run_as_user")]
    pub run_as_user: u32,
}

/// Where the pod finds a task's public directory. Both map the controller's `local_root`
/// to storage the cluster reaches; only the task's public directory is mounted or copied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataSource {
    /// A volume holding `local_root`'s tree, mounted read-only at the public directory only.
    Volume(VolumeData),
    /// An S3 prefix mirroring `local_root`'s public directories, copied in by an init container.
    S3(S3Data),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VolumeData {
    /// The directory on the controller's machine that the volume holds.
    pub local_root: PathBuf,
    /// A PersistentVolumeClaim in the namespace (ReadOnlyMany) ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim: Option<String>,
    /// ... or a directory on every node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_path: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Data {
    /// The directory on the controller's machine that `uri` mirrors.
    pub local_root: PathBuf,
    /// `s3://bucket/prefix`.
    pub uri: String,
    /// Image with `s5cmd` for the init container; the agent image by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
}

fn default_agent_binary() -> String {
    "/usr/local/bin/aide-fleet".to_owned()
}

fn default_llm_secret() -> String {
    "aide-fleet-llm".to_owned()
}

fn default_deadline_margin() -> HumanDuration {
    HumanDuration(Duration::from_secs(3600))
}

fn default_ttl() -> HumanDuration {
    HumanDuration(Duration::from_secs(24 * 3600))
}

fn default_run_as_user() -> u32 {
    1000
}

/// Variables that only Secrets may set.
const SECRET_ENV: [&str; 5] = [
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
];

/// A Kubernetes toleration; fields as in the Pod spec, in snake_case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Toleration {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default)]
    pub operator: TolerationOperator,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<TaintEffect>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub toleration_seconds: Option<i64>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TolerationOperator {
    #[default]
    Equal,
    Exists,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TaintEffect {
    NoSchedule,
    PreferNoSchedule,
    NoExecute,
}

impl ExecutorSettings {
    /// What is wrong with these values, as (field relative to `executor`, message).
    pub(crate) fn problems(&self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        match self {
            ExecutorSettings::Local(local) => {
                if local.concurrency == 0 {
                    problems.push((
                        "local.concurrency".to_owned(),
                        "must be at least 1".to_owned(),
                    ));
                }
            }
            ExecutorSettings::Kube(kube) => kube.problems(&mut problems),
        }
        problems
    }
}

impl KubeExecutor {
    fn problems(&self, problems: &mut Vec<(String, String)>) {
        let mut push = |field: &str, message: String| {
            problems.push((format!("kube.{field}"), message));
        };
        if !is_dns_label(&self.namespace) {
            push(
                "namespace",
                format!(
                    "`{}` is not a valid namespace; expected at most 63 lower-case letters, digits or `-`, starting and ending with a letter or digit",
                    self.namespace
                ),
            );
        }
        for (field, value) in [("image", &self.image), ("agent_binary", &self.agent_binary)] {
            if value.trim().is_empty() {
                push(field, "must not be empty".to_owned());
            }
        }
        if !self.agent_binary.starts_with('/') {
            push("agent_binary", "must be an absolute path".to_owned());
        }
        for (key, value) in &self.node_selector {
            if !is_label_value(value) {
                push(&format!("node_selector.{key}"), label_value_message(value));
            }
        }
        for (i, t) in self.tolerations.iter().enumerate() {
            let field = |name: &str| format!("tolerations[{i}].{name}");
            if t.operator == TolerationOperator::Exists && t.value.is_some() {
                push(
                    &field("value"),
                    "must be absent when `operator` is `Exists`".to_owned(),
                );
            }
            if t.toleration_seconds.is_some() && t.effect != Some(TaintEffect::NoExecute) {
                push(
                    &field("toleration_seconds"),
                    "applies only when `effect` is `NoExecute`".to_owned(),
                );
            }
        }
        if let Some(affinity) = &self.affinity
            && let Err(e) = serde_json::from_value::<Affinity>(affinity.clone())
        {
            push("affinity", format!("not a Kubernetes affinity: {e}"));
        }
        for (gpu, product) in &self.gpu_products {
            if !is_label_value(product) {
                push(&format!("gpu_products.{gpu}"), label_value_message(product));
            }
        }
        if let Some(queue) = &self.queue
            && !is_label_value(queue)
        {
            push("queue", label_value_message(queue));
        }
        let names = [
            ("priority_class", self.priority_class.as_deref()),
            ("llm_secret", Some(self.llm_secret.as_str())),
            ("s3_secret", self.s3_secret.as_deref()),
            ("service_account", self.service_account.as_deref()),
        ];
        let pull = self
            .image_pull_secrets
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("image_pull_secrets[{i}]"), s.as_str()));
        let claim = match &self.data {
            Some(DataSource::Volume(v)) => v.claim.as_deref(),
            _ => None,
        };
        for (field, name) in names
            .into_iter()
            .filter_map(|(f, n)| Some((f.to_owned(), n?)))
            .chain(pull)
            .chain(claim.map(|c| ("data.volume.claim".to_owned(), c)))
        {
            if !is_dns_subdomain(name) {
                push(
                    &field,
                    format!(
                        "`{name}` is not a valid object name; expected lower-case letters, digits, `-` or `.`, starting and ending with a letter or digit"
                    ),
                );
            }
        }
        for name in self.env.keys() {
            if SECRET_ENV.contains(&name.as_str()) {
                let from = if name.starts_with("AWS_") {
                    "s3_secret"
                } else {
                    "llm_secret"
                };
                push(
                    &format!("env.{name}"),
                    format!(
                        "is a secret: it comes from the Secret named by `{from}`, never from the suite"
                    ),
                );
            } else if !is_env_name(name) {
                push(
                    &format!("env.{name}"),
                    "is not a valid variable name; expected letters, digits and `_`, not starting with a digit".to_owned(),
                );
            }
        }
        match &self.data {
            Some(DataSource::Volume(v)) => match (&v.claim, &v.host_path) {
                (Some(_), Some(_)) | (None, None) => push(
                    "data.volume",
                    "give exactly one of `claim` and `host_path`".to_owned(),
                ),
                (None, Some(path)) if !path.starts_with('/') => push(
                    "data.volume.host_path",
                    "must be an absolute path".to_owned(),
                ),
                _ => {}
            },
            Some(DataSource::S3(s3)) => {
                let bucket = s3
                    .uri
                    .strip_prefix("s3://")
                    .and_then(|rest| rest.split('/').next());
                if bucket.is_none_or(str::is_empty) {
                    push(
                        "data.s3.uri",
                        format!(
                            "`{}` is not an S3 URI; expected `s3://bucket/prefix`",
                            s3.uri
                        ),
                    );
                }
            }
            None => {}
        }
        if self.ttl_after_finished.as_duration() < Duration::from_secs(60) {
            push(
                "ttl_after_finished",
                "must be at least 1m: the controller reads a finished Job's status and logs"
                    .to_owned(),
            );
        }
        if self.run_as_user == 0 {
            push(
                "run_as_user",
                "must not be 0: the containers run as a non-root user".to_owned(),
            );
        }
    }
}

/// A Kubernetes label value: at most 63 letters, digits, `-`, `_` or `.`, starting and
/// ending with a letter or digit (or empty).
fn is_label_value(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.is_empty()
        || (bytes.len() <= 63
            && bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
            && bytes.last().is_some_and(u8::is_ascii_alphanumeric))
}

fn label_value_message(value: &str) -> String {
    format!(
        "`{value}` is not a valid label value; expected at most 63 letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit"
    )
}

/// RFC 1123 subdomain, as Kubernetes requires of most object names.
fn is_dns_subdomain(name: &str) -> bool {
    name.len() <= 253 && name.split('.').all(is_dns_label)
}

fn is_env_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    bytes.first().is_some_and(|b| !b.is_ascii_digit())
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'_')
}

/// RFC 1123 label, as Kubernetes requires of namespace names.
fn is_dns_label(name: &str) -> bool {
    let bytes = name.as_bytes();
    (1..=63).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
}
