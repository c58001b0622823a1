//! How a run's Jobs are named and labelled, and how a Job or Pod is mapped back to its
//! run key. Names are deterministic, so a second launch of the same attempt finds the
//! first one's Job instead of creating another.

use std::collections::BTreeMap;

use ::kube::api::ObjectMeta;

use crate::fleet::RunKey;

pub const RUN_LABEL: &str = "aide-fleet.dev/run";
pub const TASK_LABEL: &str = "aide-fleet.dev/task";
pub const SEED_LABEL: &str = "aide-fleet.dev/seed";
pub const ATTEMPT_LABEL: &str = "aide-fleet.dev/attempt";
/// Annotations with the raw run id and task id, which labels may only hold sanitised.
pub const RUN_ANNOTATION: &str = "aide-fleet.dev/run";
pub const TASK_ANNOTATION: &str = "aide-fleet.dev/task";
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
pub const MANAGED_BY: &str = "aide-fleet";
/// Set on a Job's pods by the Job controller.
pub const JOB_NAME_LABEL: &str = "batch.kubernetes.io/job-name";
const MAX_NAME: usize = 63;
const HASH_LEN: usize = 8;

/// The Job of one attempt: `af-<run>-<task>-s<seed>-a<attempt>`, as a DNS-1123 label of at
/// most 63 characters. When the raw values do not fit as they are (upper case, `_`, too
/// long), a hash of them keeps distinct attempts distinct.
pub fn job_name(run_id: &str, key: &RunKey, attempt: u32) -> String {
    let raw = format!("af-{run_id}-{}-s{}-a{attempt}", key.task, key.seed);
    let mut name: String = raw
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' => c,
            'A'..='Z' => c.to_ascii_lowercase(),
            _ => '-',
        })
        .collect();
    if name == raw && name.len() <= MAX_NAME {
        return name;
    }
    name = collapse_dashes(&name);
    name.truncate(MAX_NAME - HASH_LEN - 1);
    format!("{}-{}", name.trim_end_matches('-'), hash(&raw))
}

/// A label value for `raw`: itself when valid, else a sanitised prefix and a hash.
pub fn label_value(raw: &str) -> String {
    let valid_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if raw.len() <= MAX_NAME
        && raw.chars().all(valid_char)
        && raw.starts_with(|c: char| c.is_ascii_alphanumeric())
        && raw.ends_with(|c: char| c.is_ascii_alphanumeric())
    {
        return raw.to_owned();
    }
    let mut clean: String = raw
        .chars()
        .map(|c| if valid_char(c) { c } else { '-' })
        .collect();
    clean.truncate(MAX_NAME - HASH_LEN - 1);
    let clean = clean.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    if clean.is_empty() {
        format!("x-{}", hash(raw))
    } else {
        format!("{clean}-{}", hash(raw))
    }
}

/// Selects every Job and Pod of a run.
pub fn run_selector(run_id: &str) -> String {
    format!("{RUN_LABEL}={}", label_value(run_id))
}

/// Labels of a Job and its pods.
pub fn labels(run_id: &str, key: &RunKey, attempt: u32) -> BTreeMap<String, String> {
    BTreeMap::from([
        (RUN_LABEL.to_owned(), label_value(run_id)),
        (TASK_LABEL.to_owned(), label_value(&key.task)),
        (SEED_LABEL.to_owned(), key.seed.to_string()),
        (ATTEMPT_LABEL.to_owned(), attempt.to_string()),
        (MANAGED_BY_LABEL.to_owned(), MANAGED_BY.to_owned()),
    ])
}

pub fn annotations(run_id: &str, key: &RunKey) -> BTreeMap<String, String> {
    BTreeMap::from([
        (RUN_ANNOTATION.to_owned(), run_id.to_owned()),
        (TASK_ANNOTATION.to_owned(), key.task.clone()),
    ])
}

/// The run key and attempt of a Job or Pod of `run_id`; None for objects that are not
/// ours or whose metadata was tampered with.
pub fn parse(meta: &ObjectMeta, run_id: &str) -> Option<(RunKey, u32)> {
    let annotations = meta.annotations.as_ref()?;
    let labels = meta.labels.as_ref()?;
    if annotations.get(RUN_ANNOTATION)? != run_id {
        return None;
    }
    let task = annotations.get(TASK_ANNOTATION)?.clone();
    let seed = labels.get(SEED_LABEL)?.parse().ok()?;
    let attempt = labels.get(ATTEMPT_LABEL)?.parse().ok()?;
    Some((RunKey { task, seed }, attempt))
}

fn collapse_dashes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if !(c == '-' && out.ends_with('-')) {
            out.push(c);
        }
    }
    out
}

/// FNV-1a, 32 bits as hex: stable across versions and platforms, unlike std's hasher.
fn hash(s: &str) -> String {
    let h = s.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    format!("{h:08x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(task: &str, seed: u64) -> RunKey {
        RunKey {
            task: task.to_owned(),
            seed,
        }
    }

    #[test]
    fn plain_names_are_kept() {
        assert_eq!(
            job_name("r1", &key("demo-binary", 0), 1),
            "af-r1-demo-binary-s0-a1"
        );
    }

    #[test]
    fn lossy_or_long_names_get_a_hash_and_fit() {
        let a = job_name("Run_1", &key("spaceship.titanic", 3), 2);
        let b = job_name("run-1", &key("spaceship-titanic", 3), 2);
        assert_ne!(a, b);
        assert!(a.starts_with("af-run-1-spaceship-titanic-s3-a2-"), "{a}");
        let long = job_name(
            "2026-11-26T10:00:00Z-mle-bench-lite-nightly",
            &key("the-icml-2013-whale-challenge-right-whale-redux", 12),
            3,
        );
        assert!(long.len() <= 63, "{long}");
        assert!(
            long.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        );
        assert!(!long.contains("--"));
        let other = job_name(
            "2026-11-26T10:00:00Z-mle-bench-lite-nightly",
            &key("the-icml-2013-whale-challenge-right-whale-redux", 12),
            4,
        );
        assert_ne!(long, other);
    }

    #[test]
    fn label_values_are_valid() {
        assert_eq!(label_value("demo-binary"), "demo-binary");
        let v = label_value("2026-11-26T10:00:00Z");
        assert!(v.starts_with("2026-11-26T10-00-00Z-"), "{v}");
        let long = label_value(&"x".repeat(100));
        assert_eq!(long.len(), 63);
        assert!(label_value("::").starts_with("x-"));
    }

    #[test]
    fn parse_needs_our_run() {
        let k = key("t", 5);
        let meta = ObjectMeta {
            labels: Some(labels("r", &k, 2)),
            annotations: Some(annotations("r", &k)),
            ..ObjectMeta::default()
        };
        assert_eq!(parse(&meta, "r"), Some((k, 2)));
        assert_eq!(parse(&meta, "other"), None);
        assert_eq!(parse(&ObjectMeta::default(), "r"), None);
    }
}
