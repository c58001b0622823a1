//! benchmarks/re-bench/: the seven RE-Bench environments as task manifests.

use std::path::{Path, PathBuf};

use aide_fleet::bench::rebench::{ReBenchCatalog, ReManifest, ScoreLogRule};
use aide_fleet::bench::{Benchmark, TaskKind};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("benchmarks/re-bench")
}

#[test]
fn seven_environments_load() {
    let catalog = ReBenchCatalog::load(&dir()).unwrap();
    let ids: Vec<&str> = catalog.manifests().iter().map(|m| m.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "fix-embedding",
            "nanogpt-chat-rl",
            "optimize-llm-foundry",
            "restricted-mlm",
            "rust-codecontests-inference",
            "small-scaling-law",
            "triton-cumsum"
        ]
    );
    for m in catalog.manifests() {
        assert_eq!(m.time_limit.as_duration().as_secs(), 8 * 3600, "{}", m.id);
        assert!(
            m.family.starts_with("ai_rd_") && m.image.contains(&m.family),
            "{}",
            m.id
        );
        assert!(m.internet, "{}", m.id);
        let s = &m.scoring;
        assert_eq!(
            s.reference_score < s.starting_score,
            s.lower_is_better,
            "{}",
            m.id
        );
        assert_eq!(
            s.score_log_file.as_deref(),
            Some(Path::new("/protected/score.log")),
            "{}",
            m.id
        );
    }
    // Running all seven at once takes 16 H100s (the paper's figure).
    let gpus: u32 = catalog.manifests().iter().map(|m| m.resources.gpus).sum();
    assert_eq!(gpus, 16);
}

#[test]
fn scaling_law_counts_the_last_hidden_score() {
    let catalog = ReBenchCatalog::load(&dir()).unwrap();
    for m in catalog.manifests() {
        let hidden_last = m.id == "small-scaling-law";
        assert_eq!(
            m.scoring.score_log == ScoreLogRule::Last,
            hidden_last,
            "{}",
            m.id
        );
        assert_eq!(!m.scoring.visible_to_agent, hidden_last, "{}", m.id);
    }
    let lower: Vec<&str> = catalog
        .manifests()
        .iter()
        .filter(|m| m.scoring.lower_is_better)
        .map(|m| m.id.as_str())
        .collect();
    assert_eq!(
        lower,
        [
            "fix-embedding",
            "optimize-llm-foundry",
            "restricted-mlm",
            "triton-cumsum"
        ]
    );
}

#[test]
fn task_carries_manifest_values() {
    let catalog = ReBenchCatalog::load(&dir()).unwrap();
    let task = catalog.task("optimize-llm-foundry").unwrap();
    assert_eq!(task.benchmark, Benchmark::ReBench);
    let TaskKind::Research(r) = &task.kind else {
        panic!("expected a research task, got {task:?}")
    };
    let resources = r.resources.as_ref().unwrap();
    assert_eq!(
        (
            resources.gpus,
            resources.gpu_type.as_deref(),
            resources.cpus
        ),
        (4, Some("h100"), 52)
    );
    assert_eq!(resources.memory.to_string(), "400G");
    assert_eq!(
        r.scoring.score_timeout.map(|t| t.to_string()),
        Some("8m".to_owned())
    );
    assert_eq!(
        r.image.as_deref(),
        Some("metrevals/re-bench:ai_rd_optimize_llm_foundry-0.2.5")
    );
    assert_eq!(r.dir, None);

    let err = catalog.task("triton-cumsun").unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown re-bench task `triton-cumsun`; closest match: `triton-cumsum`"
    );
}

fn manifest_error(edit: impl Fn(&str) -> String) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(dir().join("triton-cumsum.yaml")).unwrap();
    let path = tmp.path().join("triton-cumsum.yaml");
    std::fs::write(&path, edit(&text)).unwrap();
    let message = ReManifest::load(&path).unwrap_err().to_string();
    message.replace(&format!("{}", path.display()), "triton-cumsum.yaml")
}

#[test]
fn manifest_errors_are_located() {
    assert_eq!(
        manifest_error(|t| t.replace("  score_log: best\n", "  score_log: max\n")),
        "triton-cumsum.yaml:27:14: `scoring.score_log`: unknown value `max`; expected one of: best, last"
    );
    assert_eq!(
        manifest_error(|t| t.replace("  reference_score: 0.47", "  reference_score: 2.0")),
        "triton-cumsum.yaml:24:20: `scoring.reference_score`: must be lower than `starting_score` (1.5535) because `lower_is_better` is true"
    );
    assert_eq!(
        manifest_error(|t| t.replace("id: triton-cumsum", "id: triton")),
        "triton-cumsum.yaml:2:5: `id` is `triton` but the file name says `triton-cumsum`"
    );
    assert_eq!(
        manifest_error(|t| t.replace(
            "  gpu_type: h100\n",
            "  gpu_type: h100\n  gpu_memory: 80G\n"
        )),
        "triton-cumsum.yaml:15:3: unknown field `gpu_memory` in `resources`; expected one of: cpus, memory, gpus, gpu_type, storage"
    );
}
