//! The HTML report opened in headless Chromium (Debian's `chromium`; install it with
//! `scripts/chromium.sh install`): the charts render (a screenshot well above a blank
//! page's, SVG bars, whiskers and lines in the DOM Chromium built), and the page fetches
//! nothing. Without Chromium this test fails, naming the install script.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn chromium() -> PathBuf {
    let candidates = [
        std::env::var_os("AIDE_FLEET_CHROMIUM").map(PathBuf::from),
        Some(PathBuf::from("/usr/bin/chromium")),
        Some(PathBuf::from("/usr/bin/chromium-browser")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "headless Chromium not found ($AIDE_FLEET_CHROMIUM, /usr/bin/chromium): run scripts/chromium.sh install"
            )
        })
}

/// Runs Chromium headless on `page` with `extra` flags, in a fresh profile; its stdout.
fn headless(page: &Path, extra: &[String]) -> String {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=1200,3000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting chromium");
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut out).unwrap();
        out
    });
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "chromium exited with {status}");
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    reader.join().unwrap()
}

fn screenshot(page: &Path, png: &Path) -> u64 {
    headless(page, &[format!("--screenshot={}", png.display())]);
    let bytes = std::fs::read(png).expect("chromium wrote no screenshot");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    bytes.len() as u64
}

#[test]
fn the_html_report_renders_its_charts_in_headless_chromium() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("report");
    let status = Command::new(env!("CARGO_BIN_EXE_aide-fleet"))
        .args([
            "report",
            "worse",
            "--baseline",
            "base",
            "--no-publish",
            "--format",
            "json",
        ])
        .arg("--store")
        .arg(repo().join("tests/data/report/store"))
        .arg("--out")
        .arg(&out)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(
        status.code(),
        Some(3),
        "the fixture's `worse` run regresses"
    );
    let page = out.join("report.html");
    let html = std::fs::read_to_string(&page).unwrap();

    // Self-contained: nothing to fetch, nothing to run.
    for needle in ["<script", "src=", "href=", "url(", "@import", "<link"] {
        assert!(!html.contains(needle), "the page contains {needle}");
    }

    // The DOM Chromium built holds the charts.
    let dom = headless(&page, &["--dump-dom".to_owned()]);
    let count = |needle: &str| dom.matches(needle).count();
    assert!(
        count("<svg class=\"chart\"") >= 6,
        "{} charts",
        count("<svg class=\"chart\"")
    );
    assert!(
        count("<rect class=\"bar\"") >= 12,
        "{} bars",
        count("<rect class=\"bar\"")
    );
    assert!(count("<path class=\"whisker\"") >= 3);
    assert!(count("<polyline class=\"series\"") >= 2);
    assert!(dom.contains("Change in leaderboard percentile"));
    assert!(dom.contains("Regression: significant drop"));

    // The screenshot shows far more than an empty page of the same size.
    let blank = tmp.path().join("blank.html");
    std::fs::write(&blank, "<!DOCTYPE html><html><body></body></html>").unwrap();
    let blank_size = screenshot(&blank, &tmp.path().join("blank.png"));
    let size = screenshot(&page, &tmp.path().join("report.png"));
    assert!(
        size > 5 * blank_size && size > 50_000,
        "screenshot of {size} bytes; a blank page gives {blank_size}"
    );
}

#[test]
fn markup_in_a_failure_reason_is_text_in_the_page() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let copied = Command::new("cp")
        .arg("-r")
        .arg(repo().join("tests/data/report/store"))
        .arg(&store)
        .status()
        .unwrap();
    assert!(copied.success());
    let status = store.join("runs/worse/tasks/demo-multiclass/seed-1/status.json");
    let hostile = "<img src=x onerror=alert(1)><b>exit</b>";
    let text = std::fs::read_to_string(&status)
        .unwrap()
        .replace("OOMKilled", hostile);
    std::fs::write(&status, text).unwrap();
    let out = tmp.path().join("report");
    Command::new(env!("CARGO_BIN_EXE_aide-fleet"))
        .args(["report", "worse", "--no-publish", "--format", "json"])
        .arg("--store")
        .arg(&store)
        .arg("--out")
        .arg(&out)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(!html.contains("<img"), "the reason became markup");
    assert!(!html.contains("<b>exit"), "the reason became markup");
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;&lt;b&gt;exit&lt;/b&gt;"),
        "the reason is shown as text"
    );
}
