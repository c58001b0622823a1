//! The task's zip archives, prepared as aideml prepares them: extracted once per search
//! into the workspace (never the task directory), hidden from the scripts, described by
//! the data overview, reused on resume; a malicious archive is refused with a warning and
//! the search goes on. Also: a search with no good node says so and names no best.

use crate::support;

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;
use support::*;
use zip::write::SimpleFileOptions;

fn write_zip(path: &Path, entries: &[(&str, &[u8])]) {
    let mut w = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let deflated =
        SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        if name.ends_with('/') {
            w.add_directory(*name, deflated).unwrap();
        } else {
            w.start_file(*name, deflated).unwrap();
            w.write_all(data).unwrap();
        }
    }
    w.finish().unwrap();
}

/// Every file under `dir` with its bytes, to show a directory was not touched.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// the-icml-2013-whale-challenge-right-whale-redux's public layout, small: MLE-bench's
/// `prepare.py` zips the folders `train2/` and `test2/` as `train2.zip` and `test2.zip`
/// (each holding its folder), beside `sampleSubmission.csv`.
fn whale_task() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::write(
        p.join("description.md"),
        "# Right whale redux\n\nPredict the probability that each test clip holds an upcall.\n",
    )
    .unwrap();
    let train: Vec<(String, Vec<u8>)> = (0..3)
        .map(|i| {
            (
                format!("train2/20090328_000000_00{i}s0ms_TRAIN{i}_{}.aif", i % 2),
                vec![i as u8; 64],
            )
        })
        .collect();
    let mut entries: Vec<(&str, &[u8])> = vec![("train2/", b"")];
    entries.extend(train.iter().map(|(n, d)| (n.as_str(), d.as_slice())));
    write_zip(&p.join("train2.zip"), &entries);
    write_zip(
        &p.join("test2.zip"),
        &[
            ("test2/", b""),
            ("test2/20090330_000000_010s0ms_Test0.aif", &[7u8; 64]),
            ("test2/20090330_000000_011s0ms_Test1.aif", &[8u8; 64]),
        ],
    );
    std::fs::write(
        p.join("sampleSubmission.csv"),
        "clip,probability\n20090330_000000_010s0ms_Test0.aif,0\n20090330_000000_011s0ms_Test1.aif,0\n",
    )
    .unwrap();
    dir
}

/// Fails (a buggy node) unless `./input` is laid out as aideml lays it out.
const WHALE_SCRIPT: &str = r#"
import os
inp = sorted(os.listdir('./input'))
assert inp == ['description.md', 'sampleSubmission.csv', 'test2', 'train2'], inp
train = sorted(os.listdir('./input/train2'))
assert len(train) == 3 and all(f.endswith('.aif') for f in train), train
assert open('./input/train2/' + train[0], 'rb').read() == bytes(64)
test = sorted(os.listdir('./input/test2'))
with open('./submission/submission.csv', 'w') as f:
    f.write('clip,probability\n')
    for clip in test:
        f.write(f'{clip},0.5\n')
print('METRIC=0.75')
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whale_archives_are_extracted_once_hidden_and_described() {
    let llm = ScriptedLlm::start(Arc::new(|_: &Value| {
        Reply::code("Check the layout, then submit 0.5.", WHALE_SCRIPT)
    }))
    .await;
    let task = whale_task();
    let before = snapshot(task.path());
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");

    let r = run(agent(&llm.url(), task.path(), &out, &["--steps", "1"])).await;
    r.assert_success();
    let ns = nodes(&out);
    assert_eq!(ns[0]["is_buggy"], false, "{}", ns[0]["term_out"]);
    assert_eq!(ns[0]["metric"], 0.75);

    // The task directory is as it was: nothing extracted or removed there.
    assert_eq!(snapshot(task.path()), before);
    // The data overview describes the extracted clips, not the archives, and the prompt's
    // "nothing to unzip" is true.
    let prompt = prompt_of(&llm.bodies()[0]);
    let overview = prompt.split("Data Overview").nth(1).unwrap_or_default();
    assert!(overview.contains("train2/"), "{overview}");
    assert!(overview.contains("_TRAIN0_0.aif"), "{overview}");
    assert!(!overview.contains(".zip"), "{overview}");
    assert!(prompt.contains("there is nothing to unzip"));
    let record = read_json(&out.join("workspace/archives.json"));
    assert_eq!(record[1]["archive"], "train2.zip");
    assert_eq!(record[1]["outcome"], "extracted");
    assert_eq!(record[1]["files"], 3);

    // Resumed: reused, not extracted again.
    let clip = out.join("workspace/input/train2");
    let inode = std::fs::metadata(&clip).unwrap().ino();
    let r = run(agent(
        &llm.url(),
        task.path(),
        &out,
        &["--resume", "--steps", "2"],
    ))
    .await;
    r.assert_success();
    let ns = nodes(&out);
    assert_eq!(ns.len(), 2);
    assert_eq!(ns[1]["is_buggy"], false, "{}", ns[1]["term_out"]);
    assert_eq!(std::fs::metadata(&clip).unwrap().ino(), inode);
    assert_eq!(read_json(&out.join("workspace/archives.json")), record);
    assert_eq!(snapshot(task.path()), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_escaping_archive_is_refused_and_the_search_goes_on() {
    let llm = ScriptedLlm::start(Arc::new(|_: &Value| {
        Reply::code("Submit.", &good_script(0.5))
    }))
    .await;
    let task = Task::tiny();
    write_zip(
        &task.path().join("extra.zip"),
        &[("notes.txt", b"fine"), ("../escaped.txt", b"owned")],
    );
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");

    let r = run(agent(&llm.url(), task.path(), &out, &["--steps", "1"])).await;
    r.assert_success();
    assert!(
        r.stderr.contains("archive extra.zip is not extracted")
            && r.stderr
                .contains("\"../escaped.txt\" would be written outside"),
        "{}",
        r.stderr
    );
    assert_eq!(nodes(&out)[0]["is_buggy"], false);
    // Nothing of it was written anywhere; the archive itself stays visible, and the prompt
    // says it is still compressed.
    for dir in [
        tmp.path(),
        out.as_path(),
        &out.join("workspace"),
        task.path(),
    ] {
        assert!(!dir.join("escaped.txt").exists(), "{}", dir.display());
    }
    assert!(!out.join("workspace/input/extra").exists());
    assert!(out.join("workspace/input/extra.zip").exists());
    let prompt = prompt_of(&llm.bodies()[0]);
    assert!(
        prompt.contains("these files there are still compressed: extra.zip."),
        "{prompt}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_good_node_is_said_plainly_and_no_best_is_written() {
    let llm = ScriptedLlm::start(Arc::new(|_: &Value| {
        Reply::code("Fail.", &failing_script("broken"))
    }))
    .await;
    let task = Task::tiny();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");

    let r = run(agent(&llm.url(), task.path(), &out, &["--steps", "2"])).await;
    r.assert_success();
    let progress = read_json(&out.join("progress.json"));
    assert_eq!(progress["best_step"], Value::Null);
    let said = "none: no good node among 2 (2 buggy); no best solution or submission is written";
    assert_eq!(progress["best"], said);
    assert!(!out.join("best_solution.py").exists());
    assert!(!out.join("best_submission").exists());
    let tree = std::fs::read_to_string(out.join("tree.html")).unwrap();
    assert!(tree.contains(said));
    assert!(r.stderr.contains("no working solution"), "{}", r.stderr);
}
