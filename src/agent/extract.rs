//! Pulling the plan and the code out of a model's answer.

use std::sync::LazyLock;

use regex::Regex;

static FENCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?s)```[ \t]*(?:python3|python|py)?[ \t]*\r?\n(.*?)```").expect("static regex")
});

/// The non-empty fenced code blocks of an answer, in order.
pub fn code_blocks(answer: &str) -> Vec<&str> {
    FENCE
        .captures_iter(answer)
        .filter_map(|c| c.get(1))
        .map(|m| m.as_str().trim_matches('\n'))
        .filter(|b| !b.trim().is_empty())
        .collect()
}

/// Blocks joined by a blank line, as AIDE joins the blocks it keeps; `None` for none.
pub fn join_blocks(blocks: &[&str]) -> Option<String> {
    (!blocks.is_empty()).then(|| blocks.join("\n\n"))
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
        assert_eq!(code_blocks(a), ["import x\nprint(1)"]);
    }

    #[test]
    fn several_blocks_are_joined_and_empty_ones_dropped() {
        let a = "p\n```\na = 1\n```\n```py\n\n```\n```python\nb = 2\n```";
        assert_eq!(code_blocks(a), ["a = 1", "b = 2"]);
        assert_eq!(
            join_blocks(&code_blocks(a)).as_deref(),
            Some("a = 1\n\nb = 2")
        );
    }

    #[test]
    fn no_fence_means_no_code() {
        assert!(code_blocks("just words").is_empty());
        assert_eq!(join_blocks(&[]), None);
        assert_eq!(extract_plan("just words"), "");
        assert!(code_blocks("```python\nunterminated").is_empty());
    }
}
