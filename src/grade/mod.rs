//! Grading: submission validation, native metrics, leaderboards (medals, percentile).

mod metric_kind;

pub use metric_kind::MetricKind;
