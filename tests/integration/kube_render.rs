//! Rendered Jobs: snapshots of a CPU demo run and of a GPU RE-Bench-like run with its own
//! image and a Kueue queue, the properties every Job must have, and the settings'
//! validation. Rendered Jobs are also written to `$AIDE_FLEET_RENDERED_JOBS` (default
//! `target/rendered-jobs/`) for `scripts/validate-manifests.sh`.

use std::path::PathBuf;

use aide_fleet::bench::{KubeExecutor, Resources, Suite};
use aide_fleet::fleet::kube::{KubeRunConfig, RenderError, jobs_yaml, render_job};
use aide_fleet::fleet::{LaunchSpec, RunKey};
use k8s_openapi::api::batch::v1::Job;

fn settings(yaml: &str) -> KubeExecutor {
    serde_saphyr::from_str(yaml).unwrap()
}

fn demo_spec() -> LaunchSpec {
    LaunchSpec {
        run_id: "2026-11-26-demo".to_owned(),
        key: RunKey {
            task: "demo-binary".to_owned(),
            seed: 0,
        },
        attempt: 1,
        agent_args: ["--seed", "0", "--steps", "6", "--time-limit", "900"]
            .map(str::to_owned)
            .to_vec(),
        public_dir: PathBuf::from("benchmarks/demo/demo-binary/prepared/public"),
        resume: false,
        resources: Some(serde_saphyr::from_str("{cpus: 2, memory: 4Gi}").unwrap()),
        time_limit_s: Some(900.0),
        task_image: None,
    }
}

fn demo_config() -> KubeRunConfig {
    let mut cfg = KubeRunConfig::new(
        "2026-11-26-demo",
        settings(
            "namespace: aide-fleet\n\
             image: registry.example.com/aide-fleet:0.1.0\n\
             s3_secret: aide-fleet-s3\n\
             env: {OPENAI_BASE_URL: 'http://llm.aide-fleet.svc:8080/v1', AWS_REGION: eu-west-1}\n\
             data:\n  s3: {local_root: benchmarks/demo, uri: 's3://aide-fleet-data/demo'}\n",
        ),
        "s3://aide-fleet-results/fleet",
    );
    cfg.s3_endpoint = Some("http://minio.aide-fleet.svc:9000".to_owned());
    cfg
}

fn rebench_spec() -> LaunchSpec {
    LaunchSpec {
        run_id: "rebench-2026-11-26".to_owned(),
        key: RunKey {
            task: "triton_cumsum".to_owned(),
            seed: 3,
        },
        attempt: 2,
        agent_args: ["--seed", "3", "--time-limit", "28800"]
            .map(str::to_owned)
            .to_vec(),
        public_dir: PathBuf::from("/data/re-bench/triton-cumsum/public"),
        resume: true,
        resources: Some(
            serde_saphyr::from_str::<Resources>(
                "{cpus: 13, memory: 100G, gpus: 1, gpu_type: h100, storage: 500G}",
            )
            .unwrap(),
        ),
        time_limit_s: Some(28800.0),
        task_image: Some("metrevals/re-bench:ai_rd_triton_cumsum-0.2.5".to_owned()),
    }
}

fn rebench_config() -> KubeRunConfig {
    KubeRunConfig::new(
        "rebench-2026-11-26",
        settings(
            "namespace: evals\n\
             image: registry.example.com/aide-fleet:0.1.0\n\
             tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]\n\
             affinity:\n  podAntiAffinity:\n    preferredDuringSchedulingIgnoredDuringExecution:\n\
             \x20     - weight: 100\n        podAffinityTerm:\n          topologyKey: kubernetes.io/hostname\n\
             \x20         labelSelector: {matchExpressions: [{key: aide-fleet.dev/run, operator: Exists}]}\n\
             queue: gpu-h100\n\
             priority_class: eval-batch\n\
             service_account: aide-fleet-agent\n\
             llm_secret: llm-keys\n\
             image_pull_secrets: [registry-creds]\n\
             data:\n  volume: {local_root: /data/re-bench, claim: re-bench-data}\n\
             backoff_limit: 1\n\
             deadline_margin: 30m\n\
             ttl_after_finished: 7d\n",
        ),
        "s3://aide-fleet-results/fleet",
    )
}

/// Writes the YAML where the manifest validator looks for it.
fn keep(name: &str, yaml: &str) {
    let dir = std::env::var_os("AIDE_FLEET_RENDERED_JOBS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/rendered-jobs"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.yaml")), yaml).unwrap();
}

#[test]
fn cpu_demo_job() {
    let job = render_job(&demo_spec(), &demo_config()).unwrap();
    let yaml = jobs_yaml(std::slice::from_ref(&job));
    keep("cpu-demo", &yaml);
    insta::assert_snapshot!("cpu_demo_job", yaml);
}

#[test]
fn gpu_rebench_job_with_its_own_image_and_a_queue() {
    let job = render_job(&rebench_spec(), &rebench_config()).unwrap();
    let yaml = jobs_yaml(std::slice::from_ref(&job));
    keep("gpu-rebench", &yaml);
    insta::assert_snapshot!("gpu_rebench_job", yaml);
}

#[test]
fn dry_run_yaml_holds_one_document_per_job_and_reads_back() {
    let jobs = [
        render_job(&demo_spec(), &demo_config()).unwrap(),
        render_job(&rebench_spec(), &rebench_config()).unwrap(),
    ];
    let yaml = jobs_yaml(&jobs);
    keep("both", &yaml);
    let docs: Vec<&str> = yaml.split("\n---\n").collect();
    assert_eq!(docs.len(), 2);
    for (doc, job) in docs.iter().zip(&jobs) {
        let back: Job = serde_saphyr::from_str(doc).unwrap();
        assert_eq!(&back, job);
    }
}

/// What must hold of every Job, whatever the settings.
#[test]
fn every_job_is_locked_down_and_self_describing() {
    for (spec, cfg) in [
        (demo_spec(), demo_config()),
        (rebench_spec(), rebench_config()),
    ] {
        let job = render_job(&spec, &cfg).unwrap();
        let json = serde_json::to_value(&job).unwrap();
        let name = json["metadata"]["name"].as_str().unwrap();
        assert!(name.len() <= 63, "{name}");
        assert_eq!(
            json["metadata"]["annotations"]["aide-fleet.dev/task"],
            spec.key.task
        );
        assert_eq!(
            json["metadata"]["annotations"]["aide-fleet.dev/run"],
            spec.run_id
        );
        assert_eq!(
            json["metadata"]["labels"]["aide-fleet.dev/seed"],
            spec.key.seed.to_string()
        );
        let pod = &json["spec"]["template"]["spec"];
        assert_eq!(pod["restartPolicy"], "Never");
        assert_eq!(pod["automountServiceAccountToken"], false);
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
        assert_eq!(
            pod["securityContext"]["seccompProfile"]["type"],
            "RuntimeDefault"
        );
        let containers = pod["containers"]
            .as_array()
            .unwrap()
            .iter()
            .chain(pod["initContainers"].as_array().into_iter().flatten());
        for c in containers {
            assert_eq!(c["securityContext"]["allowPrivilegeEscalation"], false);
            assert_eq!(c["securityContext"]["capabilities"]["drop"][0], "ALL");
            for env in c["env"].as_array().into_iter().flatten() {
                let secret = env["name"].as_str().unwrap().contains("KEY")
                    || env["name"].as_str().unwrap().contains("TOKEN");
                assert!(!secret || env["value"].is_null(), "{env}");
            }
        }
        let agent = &pod["containers"][0];
        let argv: Vec<&str> = agent["command"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        assert!(argv.contains(&"--resume-if-exists"));
        let prefix = format!(
            "runs/{}/tasks/{}/seed-{}/agent",
            spec.run_id, spec.key.task, spec.key.seed
        );
        assert!(
            argv.windows(2)
                .any(|w| w == ["--store-prefix", prefix.as_str()])
        );
        // Only the public directory is mounted, never the tree holding private answers.
        let task_mount = agent["volumeMounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["mountPath"] == "/task")
            .unwrap();
        assert_eq!(task_mount["readOnly"], true);
        let rules = &json["spec"]["podFailurePolicy"]["rules"];
        assert_eq!(rules[0]["action"], "Ignore");
        assert_eq!(rules[0]["onPodConditions"][0]["type"], "DisruptionTarget");
        assert_eq!(rules[1]["action"], "FailJob");
        assert_eq!(rules[1]["onExitCodes"]["values"][0], 2);
    }
}

/// The agent builds its scripts' sandbox inside the pod: Landlock needs `no_new_privs`
/// (allowPrivilegeEscalation: false sets it) and its three system calls, which a
/// RuntimeDefault profile leaves to the runtime (no Localhost or Unconfined profile is
/// rendered); nothing privileged, no host namespaces. A suite's `sandbox: required`
/// reaches the agent, and its exit 2 fails the Job at once.
#[test]
fn the_pod_lets_the_agent_build_its_sandbox() {
    let benchmarks = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benchmarks");
    let suite = Suite::load(&benchmarks.join("suites/mle-bench-lite.yaml"), &benchmarks).unwrap();
    let mut spec = demo_spec();
    spec.agent_args = aide_fleet::fleet::agent_args(&suite.agent, 0);
    let json = serde_json::to_value(render_job(&spec, &demo_config()).unwrap()).unwrap();
    let pod = &json["spec"]["template"]["spec"];
    assert_eq!(
        pod["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );
    for key in ["hostPID", "hostIPC", "hostNetwork", "shareProcessNamespace"] {
        assert!(pod[key].is_null() || pod[key] == false, "{key}: {pod}");
    }
    let agent = &pod["containers"][0];
    let security = &agent["securityContext"];
    assert!(security["privileged"].is_null() || security["privileged"] == false);
    assert!(security["seccompProfile"].is_null(), "{security}");
    assert_eq!(security["allowPrivilegeEscalation"], false);
    let argv: Vec<&str> = agent["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(
        argv.windows(2).any(|w| w == ["--sandbox", "required"]),
        "{argv:?}"
    );
    assert_eq!(
        json["spec"]["podFailurePolicy"]["rules"][1]["onExitCodes"]["values"][0],
        2
    );
}

#[test]
fn long_and_odd_ids_give_valid_distinct_names() {
    let cfg = demo_config();
    let mut names = std::collections::BTreeSet::new();
    for task in [
        "the-icml-2013-whale-challenge-right-whale-redux",
        "The_ICML_2013_Whale_Challenge_Right_Whale_Redux",
        "tensorflow2-question-answering",
    ] {
        for attempt in 1..=2 {
            let mut spec = demo_spec();
            spec.run_id = "2026-11-26T02:00:00Z-nightly-mle-bench-lite".to_owned();
            spec.key.task = task.to_owned();
            spec.attempt = attempt;
            let job = render_job(&spec, &cfg).unwrap();
            let json = serde_json::to_value(&job).unwrap();
            let name = json["metadata"]["name"].as_str().unwrap().to_owned();
            assert!(name.len() <= 63 && name.starts_with("af-"), "{name}");
            for value in json["metadata"]["labels"].as_object().unwrap().values() {
                let v = value.as_str().unwrap();
                assert!(v.len() <= 63, "{v}");
            }
            names.insert(name);
        }
    }
    assert_eq!(names.len(), 6);
}

#[test]
fn gpu_types_map_to_node_labels_or_fail_clearly() {
    let mut spec = rebench_spec();
    let job = render_job(&spec, &rebench_config()).unwrap();
    let json = serde_json::to_value(&job).unwrap();
    let pod = &json["spec"]["template"]["spec"];
    assert_eq!(
        pod["nodeSelector"]["nvidia.com/gpu.product"],
        "NVIDIA-H100-80GB-HBM3"
    );
    assert_eq!(
        pod["containers"][0]["resources"]["limits"]["nvidia.com/gpu"],
        "1"
    );
    spec.resources.as_mut().unwrap().gpu_type = Some("mi300x".to_owned());
    assert_eq!(
        render_job(&spec, &rebench_config()).unwrap_err(),
        RenderError::UnknownGpu {
            gpu_type: "mi300x".to_owned()
        }
    );
    let mut cfg = rebench_config();
    cfg.settings
        .gpu_products
        .insert("mi300x".to_owned(), "AMD-MI300X".to_owned());
    let job = serde_json::to_value(render_job(&spec, &cfg).unwrap()).unwrap();
    assert_eq!(
        job["spec"]["template"]["spec"]["nodeSelector"]["nvidia.com/gpu.product"],
        "AMD-MI300X"
    );
}

#[test]
fn data_outside_the_local_root_is_refused() {
    let mut spec = rebench_spec();
    spec.public_dir = PathBuf::from("/elsewhere/triton-cumsum/public");
    assert!(matches!(
        render_job(&spec, &rebench_config()),
        Err(RenderError::DataOutsideRoot { .. })
    ));
}

fn suite_error(executor: &str) -> String {
    let text = format!("benchmark: demo\nsplit: all\nexecutor:\n  kube:\n{executor}");
    let benchmarks = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benchmarks");
    Suite::parse(&text, &PathBuf::from("suites/bad.yaml"), &benchmarks)
        .unwrap_err()
        .to_string()
}

#[test]
fn settings_are_validated_with_their_location() {
    let base = "    namespace: ns\n    image: x\n";
    for (extra, expected) in [
        (
            "    env: {OPENAI_API_KEY: sk-123}\n",
            "suites/bad.yaml:7:27: `executor.kube.env.OPENAI_API_KEY`: is a secret: it comes from the Secret named by `llm_secret`, never from the suite",
        ),
        (
            "    run_as_user: 0\n",
            "suites/bad.yaml:7:18: `executor.kube.run_as_user`: must not be 0: the containers run as a non-root user",
        ),
        (
            "    data: {volume: {local_root: /d}}\n",
            "suites/bad.yaml:7:20: `executor.kube.data.volume`: give exactly one of `claim` and `host_path`",
        ),
        (
            "    data: {s3: {local_root: /d, uri: 'bucket/x'}}\n",
            "suites/bad.yaml:7:38: `executor.kube.data.s3.uri`: `bucket/x` is not an S3 URI; expected `s3://bucket/prefix`",
        ),
        (
            "    llm_secret: Keys\n",
            "suites/bad.yaml:7:17: `executor.kube.llm_secret`: `Keys` is not a valid object name; expected lower-case letters, digits, `-` or `.`, starting and ending with a letter or digit",
        ),
        (
            "    ttl_after_finished: 10s\n",
            "suites/bad.yaml:7:25: `executor.kube.ttl_after_finished`: must be at least 1m: the controller reads a finished Job's status and logs",
        ),
        (
            "    affinity: {nodeAffinity: 3}\n",
            "suites/bad.yaml:7:15: `executor.kube.affinity`: not a Kubernetes affinity: invalid type: integer `3`, expected NodeAffinity",
        ),
    ] {
        assert_eq!(suite_error(&format!("{base}{extra}")), expected, "{extra}");
    }
}

#[test]
fn the_documented_settings_are_valid() {
    let doc =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/suite.md"))
            .unwrap();
    let example = doc
        .split("## Annotated example\n\n```yaml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .unwrap();
    let benchmarks = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benchmarks");
    let suite = Suite::parse(example, &PathBuf::from("docs/suite.yaml"), &benchmarks).unwrap();
    let aide_fleet::bench::ExecutorSettings::Kube(kube) = suite.executor else {
        panic!("the example uses the kube executor");
    };
    assert_eq!(kube.run_as_user, 1000);
    assert!(matches!(
        kube.data,
        Some(aide_fleet::bench::DataSource::Volume(_))
    ));
}
