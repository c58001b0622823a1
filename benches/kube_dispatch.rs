//! Dispatch cost of the Kubernetes executor: 10,000 launches against the fake API server
//! (tests/integration/fake_kube, kubelet off: Jobs are stored, no pods run).
//!
//! Measured:
//! - API requests per run, counted by the server: (requests during dispatch) / launches;
//!   goal <= 2 (one create; a conflict adds one read). The run's one Job watch and one
//!   Pod watch (2 lists + 2 watches in all) and the watch events they carry are reported
//!   apart.
//! - Dispatch rate, on the client: launches / wall time from the first launch to the
//!   last one's response, 64 in flight; goal >= 200 Jobs/s.
//! - Controller peak memory: VmHWM of this process, which holds the executor, its watch
//!   and its state for every Job; the server runs in a child process so its copy of the
//!   Jobs does not count; goal <= 150 MB.
//!
//! `cargo bench --bench kube_dispatch [-- --launches N]`

#[path = "../tests/integration/fake_kube/mod.rs"]
#[allow(dead_code)]
mod fake_kube;

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aide_fleet::bench::KubeExecutor;
use aide_fleet::fleet::kube::{JobExecutor, KubeRunConfig};
use aide_fleet::fleet::{LaunchSpec, RunKey};
use futures::StreamExt;
use serde_json::Value;

const SERVER_ENV: &str = "KUBE_DISPATCH_SERVER";
const IN_FLIGHT: usize = 64;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a Tokio runtime");
    if std::env::var_os(SERVER_ENV).is_some() {
        runtime.block_on(serve());
    } else {
        runtime.block_on(measure(launches()));
    }
}

fn launches() -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--launches")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000)
}

/// The fake API server, until the parent closes our stdin.
async fn serve() {
    let fake = fake_kube::FakeKube::start(fake_kube::FakeConfig {
        kubelet: false,
        record_requests: false,
        ..fake_kube::FakeConfig::default()
    })
    .await;
    println!("{}", fake.url());
    tokio::task::spawn_blocking(|| {
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
    })
    .await
    .ok();
}

async fn stats(url: &str) -> Value {
    reqwest::get(format!("{url}/fake/stats"))
        .await
        .expect("the fake server answers")
        .json()
        .await
        .expect("stats are JSON")
}

fn counter(stats: &Value, name: &str) -> u64 {
    stats[name].as_u64().unwrap_or(0)
}

fn peak_memory_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn spec(i: usize) -> LaunchSpec {
    LaunchSpec {
        run_id: "bench".to_owned(),
        key: RunKey {
            task: format!("task-{i:05}"),
            seed: 0,
        },
        attempt: 1,
        agent_args: ["--seed", "0", "--steps", "500", "--time-limit", "86400"]
            .map(str::to_owned)
            .to_vec(),
        public_dir: PathBuf::from(format!("/data/mle-bench/task-{i:05}/prepared/public")),
        resume: false,
        resources: Some(
            serde_saphyr::from_str("{cpus: 36, memory: 440G, gpus: 1, gpu_type: a10}").unwrap(),
        ),
        time_limit_s: Some(86_400.0),
        task_image: None,
    }
}

async fn measure(n: usize) {
    let mut server = Command::new(std::env::current_exe().expect("this binary"))
        .env(SERVER_ENV, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the server process starts");
    let mut url = String::new();
    BufReader::new(server.stdout.take().expect("its stdout"))
        .read_line(&mut url)
        .expect("the server prints its URL");
    let url = url.trim().to_owned();

    let settings: KubeExecutor = serde_saphyr::from_str(
        "namespace: aide-fleet\nimage: registry.example.com/aide-fleet:0.1.0\n\
         tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]\n\
         queue: aide-fleet\ns3_secret: aide-fleet-s3\n\
         data: {volume: {local_root: /data/mle-bench, claim: mle-bench}}\n",
    )
    .expect("valid settings");
    let cfg = KubeRunConfig::new("bench", settings, "s3://bucket/fleet");
    let client = aide_fleet::fleet::kube::client(kube::Config::new(url.parse().expect("a URL")))
        .expect("a client");
    let (events_tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    let executor = JobExecutor::new(client, cfg, events_tx);
    // Let the watches start, so that their lists and watch requests are not counted as
    // dispatch requests.
    let mut before = stats(&url).await;
    for _ in 0..100 {
        if counter(&before, "watches") >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        before = stats(&url).await;
    }
    let memory_before = peak_memory_mb();

    let specs: Vec<LaunchSpec> = (0..n).map(spec).collect();
    let start = Instant::now();
    let results: Vec<_> = futures::stream::iter(&specs)
        .map(|s| executor.launch(s))
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    let elapsed = start.elapsed();
    let failures = results.iter().filter(|r| r.is_err()).count();
    if let Some(Err(e)) = results.iter().find(|r| r.is_err()) {
        eprintln!("first failure: {e}");
    }

    // Every Job's ADDED event reaches the executor's watch.
    let mut after = stats(&url).await;
    let watch_deadline = Instant::now() + Duration::from_secs(60);
    while counter(&after, "watch_events") < n as u64 && Instant::now() < watch_deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
        after = stats(&url).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let memory_after = peak_memory_mb();
    let unexpected_events = std::iter::from_fn(|| events.try_recv().ok()).count();

    let dispatch_requests = counter(&after, "requests") - counter(&before, "requests");
    let per_run = dispatch_requests as f64 / n as f64;
    let rate = n as f64 / elapsed.as_secs_f64();
    println!(
        "kube_dispatch: {n} launches against the fake API server (kubelet off), {IN_FLIGHT} in flight"
    );
    println!(
        "  API requests per run     {per_run:.3}  ({dispatch_requests} during dispatch; goal <= 2)"
    );
    println!(
        "  watch traffic            {} watch events to {} watch requests, after {} requests to start the watches",
        counter(&after, "watch_events"),
        counter(&after, "watches"),
        counter(&before, "requests")
    );
    println!(
        "  dispatch rate            {rate:.0} Jobs/s  ({:.2} s for all; goal >= 200)",
        elapsed.as_secs_f64()
    );
    println!(
        "  controller peak memory   {memory_after:.1} MB VmHWM  ({memory_before:.1} MB before dispatch; goal <= 150)"
    );
    println!("  failed launches          {failures}; events (none expected) {unexpected_events}");

    drop(server.stdin.take());
    let _ = server.wait();
    if failures > 0 {
        std::process::exit(1);
    }
}
