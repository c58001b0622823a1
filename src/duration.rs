//! Durations as users write them: a number of seconds (`90`, `1.5`) or a duration (`90s`,
//! `30m`, `24h`, `1h 30m`). One parser and one maximum, [`MAX`], for the agent's flags,
//! suite files, task manifests and `run.json`: every value they accept converts to a
//! [`Duration`], and to a deadline `Instant::now() + d`, without a panic.

use std::time::Duration;

/// The longest duration anything accepts: 366 days, more than any benchmark budget
/// (MLE-bench gives 24 h, RE-Bench 8 h), and far below where `Duration` or `Instant`
/// arithmetic overflows.
pub const MAX_SECS: u64 = 366 * 24 * 3600;
pub const MAX: Duration = Duration::from_secs(MAX_SECS);

/// Why a text or a number of seconds is not an acceptable duration.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DurationError {
    #[error("`{text}` is not a duration: expected seconds or a duration like 90s, 30m, 24h")]
    Syntax { text: String },
    #[error("{secs} is not a number of seconds")]
    NotANumber { secs: f64 },
    #[error("{secs}s is negative; expected zero or more seconds")]
    Negative { secs: f64 },
    #[error("{shown} is longer than the maximum of 366 days ({MAX_SECS}s)")]
    TooLong { shown: String },
}

/// Plain seconds ("90", "1.5") or a duration ("90s", "30m", "24h", "1h 30m"), at most
/// [`MAX`]. Zero is accepted; callers that need a positive duration say so themselves.
pub fn parse(text: &str) -> Result<Duration, DurationError> {
    let trimmed = text.trim();
    if let Ok(secs) = trimmed.parse::<f64>() {
        return from_secs_f64(secs);
    }
    let d = humantime::parse_duration(trimmed).map_err(|_| DurationError::Syntax {
        text: text.to_owned(),
    })?;
    check(d, || format!("`{trimmed}`"))
}

/// Seconds as stored in `run.json` and passed on agent command lines, at most [`MAX`].
pub fn from_secs_f64(secs: f64) -> Result<Duration, DurationError> {
    if secs.is_nan() {
        return Err(DurationError::NotANumber { secs });
    }
    if secs < 0.0 {
        return Err(DurationError::Negative { secs });
    }
    if secs > MAX_SECS as f64 {
        return Err(DurationError::TooLong {
            shown: format!("{secs}s"),
        });
    }
    // In range, so this cannot fail; `try_` keeps the no-panic promise visible.
    Duration::try_from_secs_f64(secs).map_err(|_| DurationError::NotANumber { secs })
}

/// Whole seconds (a YAML integer), at most [`MAX`].
pub fn from_secs(secs: u64) -> Result<Duration, DurationError> {
    check(Duration::from_secs(secs), || format!("{secs}s"))
}

fn check(d: Duration, shown: impl FnOnce() -> String) -> Result<Duration, DurationError> {
    if d > MAX {
        Err(DurationError::TooLong { shown: shown() })
    } else {
        Ok(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_and_durations_parse() {
        assert_eq!(parse("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse(" 1.5 "), Ok(Duration::from_millis(1500)));
        assert_eq!(parse("1h 30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse("0"), Ok(Duration::ZERO));
        assert_eq!(parse("366days"), Ok(MAX));
    }

    #[test]
    fn huge_negative_and_non_numbers_are_refused() {
        for text in [
            "1e20",
            "1e300",
            "inf",
            "18446744073709551615",
            "367days",
            "999999y",
        ] {
            let err = parse(text).unwrap_err();
            assert!(
                matches!(
                    err,
                    DurationError::TooLong { .. } | DurationError::Syntax { .. }
                ),
                "{text}: {err}"
            );
        }
        assert!(matches!(parse("-1"), Err(DurationError::Negative { .. })));
        assert!(matches!(
            parse("NaN"),
            Err(DurationError::NotANumber { .. })
        ));
        assert!(matches!(parse("soon"), Err(DurationError::Syntax { .. })));
        assert!(from_secs(u64::MAX).is_err());
        assert!(from_secs_f64(f64::INFINITY).is_err());
        assert!(from_secs_f64(-0.0).is_ok());
    }
}
