//! Pulling the plan and the code out of a model's answer.

use std::sync::LazyLock;

use regex::Regex;

static FENCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?s)```[ \t]*(?:python3|python|py)?[ \t]*\r?\n(.*?)```").expect("static regex")
});

/// The fenced code blocks of an answer, joined by a blank line; `None` when there is
/// no non-empty block (the operator then asks again).
pub fn extract_code(answer: &str) -> Option<String> {
    let blocks: Vec<&str> = FENCE
        .captures_iter(answer)
        .filter_map(|c| c.get(1))
        .map(|m| m.as_str().trim_matches('\n'))
        .filter(|b| !b.trim().is_empty())
        .collect();
    if blocks.is_empty() {
        None
    } else {
        Some(blocks.join("\n\n"))
    }
}

/// The prose before the first fence: AIDE's "plan". Empty when there is no fence.
pub fn extract_plan(answer: &str) -> String {
    answer
        .find("```")
        .map(|i| answer[..i].trim().to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_and_code_come_apart() {
        let a = "Use a forest.\n\n```python\nimport x\nprint(1)\n```\ntrailing";
        assert_eq!(extract_plan(a), "Use a forest.");
        assert_eq!(extract_code(a).as_deref(), Some("import x\nprint(1)"));
    }

    #[test]
    fn several_blocks_are_joined_and_empty_ones_dropped() {
        let a = "p\n```\na = 1\n```\n```py\n\n```\n```python\nb = 2\n```";
        assert_eq!(extract_code(a).as_deref(), Some("a = 1\n\nb = 2"));
    }

    #[test]
    fn no_fence_means_no_code() {
        assert_eq!(extract_code("just words"), None);
        assert_eq!(extract_plan("just words"), "");
        assert_eq!(extract_code("```python\nunterminated"), None);
    }
}
