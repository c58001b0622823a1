//! Retry policy: capped exponential backoff with jitter, `Retry-After`, and a bound on the
//! total time spent waiting.

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use backon::{ExponentialBuilder, Retryable};

use super::RetryConfig;

/// Why one attempt failed.
#[derive(Debug)]
pub(super) enum Failure {
    /// 408, 429, 5xx, timeouts, connection errors, unreadable 2xx bodies: worth another try.
    Transient {
        message: String,
        /// The server's `Retry-After`, when it sent one.
        retry_after: Option<Duration>,
        /// No connection could be made: nothing is listening there, or nothing routes.
        unreachable: bool,
    },
    /// An HTTP status that retrying cannot fix.
    Rejected { status: u16, message: String },
}

/// Why a call failed after retries.
#[derive(Debug)]
pub(super) enum CallError {
    Rejected {
        status: u16,
        message: String,
    },
    Exhausted {
        attempts: u32,
        elapsed: Duration,
        last: String,
        /// The last attempt got no connection at all.
        unreachable: bool,
    },
}

/// Runs `attempt` until it succeeds, fails for good, or the policy gives up.
/// `label` names the call in the retry warnings.
pub(super) async fn with_retries<T, F, Fut>(
    policy: &RetryConfig,
    label: &str,
    mut attempt: F,
) -> Result<T, CallError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    let start = Instant::now();
    let attempts = AtomicU32::new(0);
    let max_delay = Duration::from_millis(policy.max_delay_ms);
    let max_total = Duration::from_millis(policy.max_total_ms);
    let mut waited = Duration::ZERO;
    let backoff = ExponentialBuilder::new()
        .with_min_delay(Duration::from_millis(policy.initial_delay_ms))
        .with_max_delay(max_delay)
        // backon counts retries, the config counts attempts.
        .with_max_times(policy.max_attempts.saturating_sub(1) as usize)
        .with_jitter();

    let result = (|| {
        attempts.fetch_add(1, Ordering::Relaxed);
        attempt()
    })
    .retry(backoff)
    .when(|f| matches!(f, Failure::Transient { .. }))
    .adjust(|f, proposed| {
        // `None` from backon means the attempts are used up.
        let proposed = proposed?;
        let delay = match f {
            Failure::Transient {
                retry_after: Some(after),
                ..
            } => *after,
            _ => proposed,
        }
        // Jitter and Retry-After may both overshoot the cap.
        .min(max_delay);
        if waited + delay > max_total {
            return None;
        }
        waited += delay;
        Some(delay)
    })
    .notify(|f, delay| {
        tracing::warn!(
            call = label,
            attempt = attempts.load(Ordering::Relaxed),
            delay_ms = delay.as_millis() as u64,
            error = %describe(f),
            "LLM request failed; retrying"
        );
    })
    .await;

    result.map_err(|f| match f {
        Failure::Rejected { status, message } => CallError::Rejected { status, message },
        Failure::Transient {
            message,
            unreachable,
            ..
        } => CallError::Exhausted {
            attempts: attempts.load(Ordering::Relaxed),
            elapsed: start.elapsed(),
            last: message,
            unreachable,
        },
    })
}

fn describe(f: &Failure) -> &str {
    match f {
        Failure::Transient { message, .. } | Failure::Rejected { message, .. } => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(max_attempts: u32, max_delay_ms: u64, max_total_ms: u64) -> RetryConfig {
        RetryConfig {
            max_attempts,
            initial_delay_ms: 1,
            max_delay_ms,
            max_total_ms,
        }
    }

    fn transient(retry_after: Option<Duration>) -> Failure {
        Failure::Transient {
            message: "HTTP 503: busy".into(),
            retry_after,
            unreachable: false,
        }
    }

    #[tokio::test]
    async fn stops_after_max_attempts() {
        let calls = AtomicU32::new(0);
        let r: Result<(), _> = with_retries(&policy(4, 5, 10_000), "t", || {
            calls.fetch_add(1, Ordering::Relaxed);
            async { Err(transient(None)) }
        })
        .await;
        assert_eq!(calls.load(Ordering::Relaxed), 4);
        match r {
            Err(CallError::Exhausted { attempts, last, .. }) => {
                assert_eq!(attempts, 4);
                assert!(last.contains("503"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn rejected_is_not_retried() {
        let calls = AtomicU32::new(0);
        let r: Result<(), _> = with_retries(&policy(5, 5, 10_000), "t", || {
            calls.fetch_add(1, Ordering::Relaxed);
            async {
                Err(Failure::Rejected {
                    status: 403,
                    message: "no".into(),
                })
            }
        })
        .await;
        assert_eq!(calls.load(Ordering::Relaxed), 1);
        assert!(matches!(r, Err(CallError::Rejected { status: 403, .. })));
    }

    #[tokio::test]
    async fn total_wait_bound_ends_retries_early() {
        // Each Retry-After asks 40 ms; a 100 ms budget allows two waits, so three attempts.
        let calls = AtomicU32::new(0);
        let r: Result<(), _> = with_retries(&policy(10, 1_000, 100), "t", || {
            calls.fetch_add(1, Ordering::Relaxed);
            async { Err(transient(Some(Duration::from_millis(40)))) }
        })
        .await;
        assert_eq!(calls.load(Ordering::Relaxed), 3);
        assert!(matches!(r, Err(CallError::Exhausted { attempts: 3, .. })));
    }

    #[tokio::test]
    async fn single_attempt_policy_and_zero_attempts_try_once() {
        for max_attempts in [0, 1] {
            let calls = AtomicU32::new(0);
            let _: Result<(), _> = with_retries(&policy(max_attempts, 5, 1_000), "t", || {
                calls.fetch_add(1, Ordering::Relaxed);
                async { Err(transient(None)) }
            })
            .await;
            assert_eq!(calls.load(Ordering::Relaxed), 1);
        }
    }
}
