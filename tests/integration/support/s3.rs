//! A real S3-compatible server for tests: a private moto server per test on a free port
//! of 127.0.0.1 (from the venv that `scripts/s3-server.sh install` creates), killed on
//! drop; outages made by pausing it (SIGSTOP: requests hang) or by cutting a TCP proxy in
//! front of it (connections fail). moto keeps data in memory, so neither loses any.
//!
//! Tests that open a store in-process call [`test_env`] first: it sets the test
//! credentials for the whole test process (the SDK reads the environment).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

use aws_sdk_s3::Client;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

/// The environment every S3 client in tests runs with: static test keys, a fixed region,
/// nothing read from ~/.aws, no instance-metadata lookups (slow off EC2).
pub const AWS_ENV: &[(&str, &str)] = &[
    ("AWS_ACCESS_KEY_ID", "test"),
    ("AWS_SECRET_ACCESS_KEY", "test"),
    ("AWS_REGION", "us-east-1"),
    ("AWS_EC2_METADATA_DISABLED", "true"),
    ("AWS_CONFIG_FILE", "/nonexistent/aide-fleet-test/config"),
    (
        "AWS_SHARED_CREDENTIALS_FILE",
        "/nonexistent/aide-fleet-test/credentials",
    ),
];
/// Variables of a developer's shell that would redirect or re-authenticate test clients.
pub const AWS_ENV_REMOVED: &[&str] = &[
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_REQUEST_CHECKSUM_CALCULATION",
    "AWS_RESPONSE_CHECKSUM_VALIDATION",
];

/// Sets [`AWS_ENV`] for this test process, once, before any client reads it.
pub fn test_env() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: every test of the binaries that use this calls it first, and Once makes
        // the others wait, so no thread of ours reads the environment meanwhile.
        unsafe {
            for (k, v) in AWS_ENV {
                std::env::set_var(k, v);
            }
            for k in AWS_ENV_REMOVED {
                std::env::remove_var(k);
            }
        }
    });
}

/// Applies [`AWS_ENV`] to a child process (the `aide-fleet` binary).
pub fn with_aws_env(cmd: &mut tokio::process::Command) {
    for (k, v) in AWS_ENV {
        cmd.env(k, v);
    }
    for k in AWS_ENV_REMOVED {
        cmd.env_remove(k);
    }
}

fn moto_server_bin() -> PathBuf {
    let cache = std::env::var_os("AIDE_FLEET_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/aide-fleet")
        });
    cache.join("moto-venv/bin/moto_server")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

async fn answers(url: &str) -> bool {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    client
        .get(url)
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
}

/// A private moto server.
pub struct MotoServer {
    child: Child,
    pub port: u16,
    paused: AtomicBool,
}

impl MotoServer {
    pub async fn start() -> MotoServer {
        let bin = moto_server_bin();
        assert!(
            bin.is_file(),
            "{} not found: run scripts/s3-server.sh install (installs moto into the cache venv)",
            bin.display()
        );
        let port = free_port();
        let child = Command::new(&bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));
        let server = MotoServer {
            child,
            port,
            paused: AtomicBool::new(false),
        };
        let started = Instant::now();
        while !answers(&format!("{}/moto-api/", server.url())).await {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "moto_server on port {port} did not answer within 60 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        server
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn pid(&self) -> Pid {
        Pid::from_raw(self.child.id() as i32)
    }

    /// Freezes the server: connections are accepted by the kernel but nothing answers.
    pub fn pause(&self) {
        kill(self.pid(), Signal::SIGSTOP).unwrap();
        self.paused.store(true, Ordering::SeqCst);
    }

    pub fn resume(&self) {
        kill(self.pid(), Signal::SIGCONT).unwrap();
        self.paused.store(false, Ordering::SeqCst);
    }

    /// An SDK client of its own (independent of the code under test) for checking the
    /// bucket's contents.
    pub fn client(&self) -> Client {
        let conf = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(self.url())
            .force_path_style(true)
            .credentials_provider(Credentials::new("test", "test", None, None, "static"))
            .build();
        Client::from_conf(conf)
    }

    /// Creates a bucket with a name unique to this process.
    pub async fn bucket(&self) -> String {
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        );
        self.client()
            .create_bucket()
            .bucket(&name)
            .send()
            .await
            .unwrap_or_else(|e| panic!("create bucket {name}: {e:?}"));
        name
    }

    /// Every key in `bucket` under `prefix`, sorted.
    pub async fn keys(&self, bucket: &str, prefix: &str) -> Vec<String> {
        let mut pages = self
            .client()
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        let mut keys = Vec::new();
        while let Some(page) = pages.next().await {
            for o in page.unwrap().contents() {
                keys.push(o.key().unwrap().to_string());
            }
        }
        keys.sort();
        keys
    }

    pub async fn object(&self, bucket: &str, key: &str) -> Option<Vec<u8>> {
        match self
            .client()
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => Some(out.body.collect().await.unwrap().into_bytes().to_vec()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => None,
            Err(e) => panic!("get s3://{bucket}/{key}: {e:?}"),
        }
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        if self.paused.load(Ordering::SeqCst) {
            let _ = kill(self.pid(), Signal::SIGCONT);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A TCP proxy on 127.0.0.1 in front of a server. Cut, it drops every open connection
/// and closes each new one at once: to a client, the endpoint fails like a crashed one.
pub struct Proxy {
    pub port: u16,
    down: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<AbortHandle>>>,
    accept: AbortHandle,
}

impl Proxy {
    pub async fn start(target_port: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let down = Arc::new(AtomicBool::new(false));
        let connections: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let (d, c) = (Arc::clone(&down), Arc::clone(&connections));
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if d.load(Ordering::SeqCst) {
                    continue; // dropped: closed at once
                }
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(("127.0.0.1", target_port)).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                c.lock().unwrap().push(task.abort_handle());
            }
        })
        .abort_handle();
        Proxy {
            port,
            down,
            connections,
            accept,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn cut(&self) {
        self.down.store(true, Ordering::SeqCst);
        for c in self.connections.lock().unwrap().drain(..) {
            c.abort();
        }
    }

    pub fn restore(&self) {
        self.down.store(false, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        for c in self.connections.lock().unwrap().drain(..) {
            c.abort();
        }
    }
}
