//! A node's verdict: what its execution, its submission check and its review add up to.
//! Pure, so every rule is tested here without an LLM or a Python.

use super::interpreter::ExecResult;
use super::node::{BugKind, BugReason};
use super::review::Review;

/// How the review step ended: a usable review, or the reason there is none after every
/// attempt (the node is then buggy with `review_failed`, and the search goes on).
#[derive(Debug, Clone, PartialEq)]
pub enum ReviewOutcome {
    Reviewed(Review),
    Unusable(String),
}

/// What a step records about its node's quality.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Ordered from the most concrete (a timeout, an exception) to the reviewer's opinion;
    /// empty for a good node.
    pub bug_reasons: Vec<BugReason>,
    /// The reviewer's metric; `None` for a buggy node, whatever the reviewer said.
    pub metric: Option<f64>,
    /// The reviewer's claim about the metric's direction, recorded even when a fixed
    /// direction overrides it.
    pub reviewer_lower_is_better: Option<bool>,
    /// The reviewer's summary (empty without a review).
    pub analysis: String,
}

impl Verdict {
    pub fn is_buggy(&self) -> bool {
        !self.bug_reasons.is_empty()
    }
}

/// Derives a node's verdict. `has_submission` is true when the task needs no submission.
pub fn judge(
    exec: &ExecResult,
    has_submission: bool,
    invalid_submission: Option<String>,
    review: &ReviewOutcome,
) -> Verdict {
    let mut reasons = Vec::new();
    let mut reason = |kind, detail: String| reasons.push(BugReason { kind, detail });
    if exec.timed_out {
        reason(
            BugKind::Timeout,
            exec.term_out.last().cloned().unwrap_or_default(),
        );
    } else if let Some(exc) = &exec.exc_type {
        let message = exec
            .exc_info
            .as_ref()
            .and_then(|i| i.get("args"))
            .and_then(|a| a.as_array())
            .and_then(|a| a.first())
            .and_then(|m| m.as_str())
            .unwrap_or("");
        reason(
            BugKind::Exception,
            format!("{exc}: {message}")
                .trim_end_matches(": ")
                .to_string(),
        );
    }
    if !has_submission {
        reason(
            BugKind::MissingSubmission,
            "the script wrote no ./submission/submission.csv".to_string(),
        );
    }
    if let Some(why) = invalid_submission {
        reason(BugKind::InvalidSubmission, why);
    }
    let (metric, reviewer_lower_is_better, analysis) = match review {
        ReviewOutcome::Unusable(problem) => {
            reason(BugKind::ReviewFailed, problem.clone());
            (None, None, String::new())
        }
        ReviewOutcome::Reviewed(r) => {
            if r.is_bug {
                reason(BugKind::Reviewer, first_line(&r.summary));
            } else if r.metric.is_none() {
                reason(
                    BugKind::NoMetric,
                    "the reviewer found no validation metric in the output".to_string(),
                );
            }
            (r.metric, r.lower_is_better, r.summary.clone())
        }
    };
    Verdict {
        metric: if reasons.is_empty() { metric } else { None },
        bug_reasons: reasons,
        reviewer_lower_is_better,
        analysis,
    }
}

/// The reviewer's first non-empty line, at most 300 characters: a bug reason is one line.
fn first_line(s: &str) -> String {
    let line = s
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("the reviewer reported a bug");
    let mut out: String = line.chars().take(300).collect();
    if line.chars().count() > 300 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ran_cleanly() -> ExecResult {
        ExecResult {
            term_out: vec!["Validation RMSE: 0.5\n".to_string()],
            exec_time: 1.0,
            exc_type: None,
            exc_info: None,
            exc_stack: None,
            timed_out: false,
        }
    }

    fn reviewed(is_bug: bool, metric: Option<f64>, summary: &str) -> ReviewOutcome {
        ReviewOutcome::Reviewed(Review {
            is_bug,
            summary: summary.to_string(),
            metric,
            lower_is_better: Some(true),
        })
    }

    fn kinds(v: &Verdict) -> Vec<BugKind> {
        v.bug_reasons.iter().map(|r| r.kind).collect()
    }

    #[test]
    fn a_clean_run_with_a_metric_is_good() {
        let v = judge(
            &ran_cleanly(),
            true,
            None,
            &reviewed(false, Some(0.5), "fine"),
        );
        assert!(!v.is_buggy());
        assert_eq!(v.metric, Some(0.5));
        assert_eq!(v.reviewer_lower_is_better, Some(true));
        assert_eq!(v.analysis, "fine");
    }

    #[test]
    fn a_timeout_outranks_the_missing_submission_and_drops_the_metric() {
        let mut exec = ran_cleanly();
        exec.timed_out = true;
        exec.term_out
            .push("TimeoutError: ran past 60 s".to_string());
        let v = judge(&exec, false, None, &reviewed(false, Some(0.5), "ok"));
        assert_eq!(kinds(&v), [BugKind::Timeout, BugKind::MissingSubmission]);
        assert_eq!(v.bug_reasons[0].detail, "TimeoutError: ran past 60 s");
        assert_eq!(v.metric, None, "a buggy node has no metric");
        assert_eq!(
            v.reviewer_lower_is_better,
            Some(true),
            "the claim is still kept"
        );
    }

    #[test]
    fn an_exception_names_its_type_and_first_argument() {
        let mut exec = ran_cleanly();
        exec.exc_type = Some("KeyError".to_string());
        exec.exc_info = Some(serde_json::json!({"args": ["price"]}));
        let v = judge(
            &exec,
            true,
            None,
            &reviewed(true, None, "\n  KeyError on price\nmore"),
        );
        assert_eq!(kinds(&v), [BugKind::Exception, BugKind::Reviewer]);
        assert_eq!(v.bug_reasons[0].detail, "KeyError: price");
        assert_eq!(v.bug_reasons[1].detail, "  KeyError on price");
    }

    #[test]
    fn an_exception_without_arguments_is_just_its_type() {
        let mut exec = ran_cleanly();
        exec.exc_type = Some("MemoryError".to_string());
        let v = judge(&exec, true, None, &reviewed(false, Some(1.0), ""));
        assert_eq!(v.bug_reasons[0].detail, "MemoryError");
    }

    #[test]
    fn an_invalid_submission_is_buggy_even_when_the_reviewer_is_happy() {
        let why = "2 rows, the sample has 3".to_string();
        let v = judge(
            &ran_cleanly(),
            true,
            Some(why.clone()),
            &reviewed(false, Some(0.1), ""),
        );
        assert_eq!(kinds(&v), [BugKind::InvalidSubmission]);
        assert_eq!(v.bug_reasons[0].detail, why);
        assert_eq!(v.metric, None);
    }

    #[test]
    fn no_metric_from_a_happy_reviewer_is_its_own_reason() {
        let v = judge(&ran_cleanly(), true, None, &reviewed(false, None, "ran"));
        assert_eq!(kinds(&v), [BugKind::NoMetric]);
    }

    #[test]
    fn an_unusable_review_is_review_failed_with_its_problem() {
        let outcome = ReviewOutcome::Unusable("no usable review in 3 attempts".to_string());
        let v = judge(&ran_cleanly(), true, None, &outcome);
        assert_eq!(kinds(&v), [BugKind::ReviewFailed]);
        assert_eq!(v.bug_reasons[0].detail, "no usable review in 3 attempts");
        assert_eq!((v.metric, v.reviewer_lower_is_better), (None, None));
        assert!(v.analysis.is_empty());
    }

    #[test]
    fn a_long_bug_summary_is_cut_to_one_line_of_300_characters() {
        let summary = "x".repeat(400);
        let v = judge(&ran_cleanly(), true, None, &reviewed(true, None, &summary));
        let detail = &v.bug_reasons[0].detail;
        assert_eq!(detail.chars().count(), 301);
        assert!(detail.ends_with('…'));
    }
}
