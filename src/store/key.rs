//! Store keys: `/`-separated relative paths. Validation keeps every key inside the store's
//! root, whatever the backend: no `..`, no `.`, no leading `/`, no empty segment.

use super::error::StoreError;

/// S3's limit on a key's length in bytes; the directory backend keeps the same limit so
/// that both backends accept the same keys.
const MAX_KEY_BYTES: usize = 1024;

/// Checks a key that names one object.
pub fn validate_key(key: &str) -> Result<(), StoreError> {
    let invalid = |reason| {
        Err(StoreError::InvalidKey {
            key: key.to_string(),
            reason,
        })
    };
    if key.is_empty() {
        return invalid("empty");
    }
    if key.starts_with('/') {
        return invalid("starts with '/' (keys are relative to the store's root)");
    }
    if key.len() > MAX_KEY_BYTES {
        return invalid("longer than 1024 bytes");
    }
    for segment in key.split('/') {
        match segment {
            "" => return invalid("has an empty segment ('//' or a trailing '/')"),
            "." | ".." => return invalid("has a '.' or '..' segment"),
            s if s.contains('\0') => return invalid("contains a NUL byte"),
            _ => {}
        }
    }
    Ok(())
}

/// Checks a prefix: empty (the whole store), or a key with an optional trailing `/`.
pub fn validate_prefix(prefix: &str) -> Result<(), StoreError> {
    match prefix.strip_suffix('/').unwrap_or(prefix) {
        "" if prefix.is_empty() => Ok(()),
        rest => validate_key(rest).map_err(|_| StoreError::InvalidKey {
            key: prefix.to_string(),
            reason: "not a valid prefix (empty, or a key with an optional trailing '/')",
        }),
    }
}

/// `dir` and `name` joined with one `/`; an empty `dir` is the root.
pub(crate) fn join(dir: &str, name: &str) -> String {
    let dir = dir.trim_end_matches('/');
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_could_escape_the_root_are_rejected() {
        for bad in [
            "", "/abs", "a//b", "a/", "../x", "a/../b", "a/./b", ".", "a\0b",
        ] {
            assert!(validate_key(bad).is_err(), "{bad:?} accepted");
        }
        assert!(validate_key(&"k".repeat(1025)).is_err());
        for good in [
            "a",
            "runs/r1/tasks/t/seed-0/agent/nodes/00001.json",
            ".hidden",
            "a..b",
        ] {
            validate_key(good).unwrap();
        }
    }

    #[test]
    fn prefixes_may_be_empty_or_end_with_a_slash() {
        for good in ["", "runs", "runs/", "runs/r1/"] {
            validate_prefix(good).unwrap();
        }
        for bad in ["/", "//", "runs//", "/runs", "../runs/"] {
            assert!(validate_prefix(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn join_uses_exactly_one_slash() {
        assert_eq!(join("", "a"), "a");
        assert_eq!(join("p", "a/b"), "p/a/b");
        assert_eq!(join("p/", "a"), "p/a");
    }
}
