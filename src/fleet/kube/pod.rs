//! The pod of a run: the agent container (in the agent image, or in the task's own image
//! with the aide-fleet binary copied in), its environment, resources, placement and
//! security settings.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Affinity, Capabilities, Container, EmptyDirVolumeSource, EnvVar, EnvVarSource,
    LocalObjectReference, PodSecurityContext, PodSpec, ResourceRequirements, SeccompProfile,
    SecretKeySelector, SecurityContext, Toleration, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::RenderError;
use super::config::KubeRunConfig;
use super::gpu::{GPU_PRODUCT_LABEL, GPU_RESOURCE, product};
use super::staging::{Staging, staging};
use crate::bench::{KubeExecutor, Resources, TaintEffect, TolerationOperator};
use crate::fleet::LaunchSpec;
use crate::store::layout;

pub const AGENT_CONTAINER: &str = "agent";
pub const INSTALL_CONTAINER: &str = "install-agent";
const WORK_DIR: &str = "/work";
const OUT_DIR: &str = "/work/out";
/// Where a task image finds the aide-fleet binary.
const TOOLS_DIR: &str = "/opt/aide-fleet-tools";
const LLM_KEYS: [&str; 2] = ["OPENAI_API_KEY", "ANTHROPIC_API_KEY"];
/// Time for the agent to checkpoint to the store after SIGTERM.
const GRACE_S: i64 = 120;

pub fn pod_spec(spec: &LaunchSpec, cfg: &KubeRunConfig) -> Result<PodSpec, RenderError> {
    let settings = &cfg.settings;
    let Staging {
        task_dir,
        volume: task_volume,
        mount: task_mount,
        init: stage,
    } = staging(settings.data.as_ref(), &spec.public_dir)?;
    let resources = spec.resources.as_ref();

    let mut volumes = vec![
        empty_dir("work", None),
        // PyTorch data loaders and NCCL need more shared memory than the runtime's 64 MiB.
        empty_dir("dshm", Some("Memory")),
    ];
    volumes.extend(task_volume);
    let mut mounts = vec![
        mount("work", WORK_DIR, false),
        mount("dshm", "/dev/shm", false),
    ];
    mounts.extend(task_mount);

    let mut init_containers = Vec::new();
    if let Some(stage) = stage {
        init_containers.push(Container {
            env: Some(s3_env(settings)),
            resources: Some(requirements(resources, false)),
            security_context: Some(container_security()),
            ..stage.container(&settings.image, cfg.s3_endpoint.as_deref())
        });
    }
    let (image, binary) = match &spec.task_image {
        Some(task_image) => {
            volumes.push(empty_dir("tools", None));
            mounts.push(mount("tools", TOOLS_DIR, true));
            init_containers.push(Container {
                name: INSTALL_CONTAINER.to_owned(),
                image: Some(settings.image.clone()),
                command: Some(vec![
                    "cp".to_owned(),
                    settings.agent_binary.clone(),
                    format!("{TOOLS_DIR}/aide-fleet"),
                ]),
                volume_mounts: Some(vec![mount("tools", TOOLS_DIR, false)]),
                resources: Some(requirements(resources, false)),
                security_context: Some(container_security()),
                ..Container::default()
            });
            (task_image.clone(), format!("{TOOLS_DIR}/aide-fleet"))
        }
        None => (settings.image.clone(), settings.agent_binary.clone()),
    };

    let agent = Container {
        name: AGENT_CONTAINER.to_owned(),
        image: Some(image),
        command: Some(command(spec, cfg, binary, task_dir)),
        working_dir: Some(WORK_DIR.to_owned()),
        env: Some(agent_env(settings)),
        resources: Some(requirements(resources, true)),
        volume_mounts: Some(mounts),
        security_context: Some(container_security()),
        // A failed agent's last log lines become the container's message: the reason.
        termination_message_policy: Some("FallbackToLogsOnError".to_owned()),
        ..Container::default()
    };

    let affinity = settings
        .affinity
        .clone()
        .map(serde_json::from_value::<Affinity>)
        .transpose()
        .map_err(|e| RenderError::Affinity(e.to_string()))?;
    let user = i64::from(settings.run_as_user);
    Ok(PodSpec {
        restart_policy: Some("Never".to_owned()),
        automount_service_account_token: Some(false),
        enable_service_links: Some(false),
        service_account_name: settings.service_account.clone(),
        priority_class_name: settings.priority_class.clone(),
        node_selector: non_empty(node_selector(settings, resources)?),
        tolerations: non_empty(settings.tolerations.iter().map(toleration).collect()),
        affinity,
        image_pull_secrets: non_empty(
            settings
                .image_pull_secrets
                .iter()
                .map(|name| LocalObjectReference { name: name.clone() })
                .collect(),
        ),
        termination_grace_period_seconds: Some(GRACE_S),
        security_context: Some(PodSecurityContext {
            run_as_non_root: Some(true),
            run_as_user: Some(user),
            run_as_group: Some(user),
            fs_group: Some(user),
            fs_group_change_policy: Some("OnRootMismatch".to_owned()),
            seccomp_profile: Some(SeccompProfile {
                type_: "RuntimeDefault".to_owned(),
                ..SeccompProfile::default()
            }),
            ..PodSecurityContext::default()
        }),
        init_containers: non_empty(init_containers),
        containers: vec![agent],
        volumes: Some(volumes),
        ..PodSpec::default()
    })
}

/// `aide-fleet agent`, mirroring to the store after every node; `--resume-if-exists`
/// lets a replacement pod of the same Job continue from the checkpoint.
fn command(
    spec: &LaunchSpec,
    cfg: &KubeRunConfig,
    binary: String,
    task_dir: String,
) -> Vec<String> {
    let mut argv = vec![
        binary,
        "agent".to_owned(),
        "--task-dir".to_owned(),
        task_dir,
        "--out".to_owned(),
        OUT_DIR.to_owned(),
        "--no-progress".to_owned(),
        "--store".to_owned(),
        cfg.store.clone(),
        "--store-prefix".to_owned(),
        layout::agent_prefix(&spec.run_id, &spec.key.task, spec.key.seed),
    ];
    if let Some(endpoint) = &cfg.s3_endpoint {
        argv.extend(["--s3-endpoint".to_owned(), endpoint.clone()]);
    }
    argv.push("--resume-if-exists".to_owned());
    argv.extend(spec.agent_args.iter().cloned());
    argv
}

fn agent_env(settings: &KubeExecutor) -> Vec<EnvVar> {
    let mut env: Vec<EnvVar> = LLM_KEYS
        .iter()
        .map(|key| secret_env(key, &settings.llm_secret, true))
        .collect();
    env.extend(s3_secret_env(settings));
    env.extend(
        settings
            .env
            .iter()
            .map(|(name, value)| plain_env(name, value)),
    );
    env
}

/// What `s5cmd` needs: the store's credentials and the plain `AWS_*` settings.
fn s3_env(settings: &KubeExecutor) -> Vec<EnvVar> {
    let mut env = s3_secret_env(settings);
    env.extend(
        settings
            .env
            .iter()
            .filter(|(name, _)| name.starts_with("AWS_"))
            .map(|(name, value)| plain_env(name, value)),
    );
    env
}

fn s3_secret_env(settings: &KubeExecutor) -> Vec<EnvVar> {
    let Some(secret) = &settings.s3_secret else {
        return Vec::new();
    };
    vec![
        secret_env("AWS_ACCESS_KEY_ID", secret, false),
        secret_env("AWS_SECRET_ACCESS_KEY", secret, false),
        secret_env("AWS_SESSION_TOKEN", secret, true),
    ]
}

fn secret_env(key: &str, secret: &str, optional: bool) -> EnvVar {
    EnvVar {
        name: key.to_owned(),
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: secret.to_owned(),
                key: key.to_owned(),
                optional: Some(optional),
            }),
            ..EnvVarSource::default()
        }),
        ..EnvVar::default()
    }
}

fn plain_env(name: &str, value: &str) -> EnvVar {
    EnvVar {
        name: name.to_owned(),
        value: Some(value.to_owned()),
        ..EnvVar::default()
    }
}

/// Requests equal to limits (Guaranteed QoS: the last to be evicted under pressure).
/// GPUs, an extended resource, go to limits (and requests, which must then equal them).
fn requirements(resources: Option<&Resources>, agent: bool) -> ResourceRequirements {
    let Some(r) = resources else {
        return ResourceRequirements::default();
    };
    let mut amounts = BTreeMap::from([
        ("cpu".to_owned(), Quantity(r.cpus.to_string())),
        ("memory".to_owned(), Quantity(r.memory.to_string())),
    ]);
    if agent {
        if let Some(storage) = r.storage {
            amounts.insert(
                "ephemeral-storage".to_owned(),
                Quantity(storage.to_string()),
            );
        }
        if r.gpus > 0 {
            amounts.insert(GPU_RESOURCE.to_owned(), Quantity(r.gpus.to_string()));
        }
    }
    ResourceRequirements {
        requests: Some(amounts.clone()),
        limits: Some(amounts),
        ..ResourceRequirements::default()
    }
}

/// The suite's selector plus the GPU model's product label, unless the suite set one.
fn node_selector(
    settings: &KubeExecutor,
    resources: Option<&Resources>,
) -> Result<BTreeMap<String, String>, RenderError> {
    let mut selector = settings.node_selector.clone();
    let gpu_type = resources
        .filter(|r| r.gpus > 0)
        .and_then(|r| r.gpu_type.as_deref());
    if let Some(gpu_type) = gpu_type
        && !selector.contains_key(GPU_PRODUCT_LABEL)
    {
        let product =
            product(gpu_type, &settings.gpu_products).ok_or_else(|| RenderError::UnknownGpu {
                gpu_type: gpu_type.to_owned(),
            })?;
        selector.insert(GPU_PRODUCT_LABEL.to_owned(), product.to_owned());
    }
    Ok(selector)
}

fn toleration(t: &crate::bench::Toleration) -> Toleration {
    Toleration {
        key: t.key.clone(),
        operator: Some(
            match t.operator {
                TolerationOperator::Equal => "Equal",
                TolerationOperator::Exists => "Exists",
            }
            .to_owned(),
        ),
        value: t.value.clone(),
        effect: t.effect.map(|e| {
            match e {
                TaintEffect::NoSchedule => "NoSchedule",
                TaintEffect::PreferNoSchedule => "PreferNoSchedule",
                TaintEffect::NoExecute => "NoExecute",
            }
            .to_owned()
        }),
        toleration_seconds: t.toleration_seconds,
    }
}

/// No privilege and no way to gain one. This is also what the agent's sandbox for its
/// scripts needs inside the pod: `allowPrivilegeEscalation: false` is `no_new_privs`,
/// Landlock's precondition, and with every capability dropped the scripts' own drop has
/// nothing left to do; the pod-level RuntimeDefault seccomp profile is the runtime's, and
/// the agent's start-up probe reports (or, with `sandbox: required`, refuses) a runtime
/// whose profile denies the Landlock system calls.
fn container_security() -> SecurityContext {
    SecurityContext {
        allow_privilege_escalation: Some(false),
        capabilities: Some(Capabilities {
            drop: Some(vec!["ALL".to_owned()]),
            ..Capabilities::default()
        }),
        ..SecurityContext::default()
    }
}

fn empty_dir(name: &str, medium: Option<&str>) -> Volume {
    Volume {
        name: name.to_owned(),
        empty_dir: Some(EmptyDirVolumeSource {
            medium: medium.map(str::to_owned),
            ..EmptyDirVolumeSource::default()
        }),
        ..Volume::default()
    }
}

fn mount(name: &str, path: &str, read_only: bool) -> VolumeMount {
    VolumeMount {
        name: name.to_owned(),
        mount_path: path.to_owned(),
        read_only: read_only.then_some(true),
        ..VolumeMount::default()
    }
}

/// Kubernetes omits empty lists and maps; so do we, to keep rendered Jobs short.
fn non_empty<C>(items: C) -> Option<C>
where
    for<'a> &'a C: IntoIterator,
{
    let empty = (&items).into_iter().next().is_none();
    (!empty).then_some(items)
}
