//! The `executor:` section of a suite: where runs execute.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

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
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
    /// Kueue LocalQueue to submit Jobs to (`kueue.x-k8s.io/queue-name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_class: Option<String>,
}

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
            ExecutorSettings::Kube(kube) => {
                if !is_dns_label(&kube.namespace) {
                    problems.push((
                        "kube.namespace".to_owned(),
                        format!(
                            "`{}` is not a valid namespace; expected at most 63 lower-case letters, digits or `-`, starting and ending with a letter or digit",
                            kube.namespace
                        ),
                    ));
                }
                if kube.image.trim().is_empty() {
                    problems.push(("kube.image".to_owned(), "must not be empty".to_owned()));
                }
                for (i, t) in kube.tolerations.iter().enumerate() {
                    let field = |name: &str| format!("kube.tolerations[{i}].{name}");
                    if t.operator == TolerationOperator::Exists && t.value.is_some() {
                        problems.push((
                            field("value"),
                            "must be absent when `operator` is `Exists`".to_owned(),
                        ));
                    }
                    if t.toleration_seconds.is_some() && t.effect != Some(TaintEffect::NoExecute) {
                        problems.push((
                            field("toleration_seconds"),
                            "applies only when `effect` is `NoExecute`".to_owned(),
                        ));
                    }
                }
            }
        }
        problems
    }
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
