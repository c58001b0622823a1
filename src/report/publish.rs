//! The report's files, written next to the run in the store (`runs/<id>/report/`) or to a
//! directory, and the `reports/latest.json` pointer nightly jobs compare against.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::store::{Store, layout};

use super::error::ReportError;
use super::frame::{to_csv, to_parquet};
use super::summary::Report;
use super::{html, markdown};

pub const SUMMARY_FILE: &str = "summary.json";
pub const MARKDOWN_FILE: &str = "report.md";
pub const HTML_FILE: &str = "report.html";
pub const CSV_FILE: &str = "runs.csv";
pub const PARQUET_FILE: &str = "runs.parquet";

/// Every rendering of one report.
pub struct Rendered {
    pub summary_json: String,
    pub markdown: String,
    pub html: String,
    pub csv: Vec<u8>,
    pub parquet: Vec<u8>,
}

impl Rendered {
    pub fn of(report: &Report) -> Result<Self, ReportError> {
        let mut runs = report.runs.clone();
        Ok(Rendered {
            // Plain data with string keys: serialisation cannot fail.
            summary_json: serde_json::to_string_pretty(&report.summary).unwrap_or_default() + "\n",
            markdown: markdown::render(&report.summary),
            html: html::render(&report.summary),
            csv: to_csv(&mut runs)?,
            parquet: to_parquet(&mut runs)?,
        })
    }

    /// (file name, bytes), in the store layout's order.
    pub fn files(&self) -> [(&'static str, &[u8]); 5] {
        [
            (SUMMARY_FILE, self.summary_json.as_bytes()),
            (MARKDOWN_FILE, self.markdown.as_bytes()),
            (HTML_FILE, self.html.as_bytes()),
            (CSV_FILE, &self.csv),
            (PARQUET_FILE, &self.parquet),
        ]
    }

    pub async fn publish(&self, store: &Store, run_id: &str) -> Result<(), ReportError> {
        let prefix = layout::report_prefix(run_id);
        for (name, bytes) in self.files() {
            store
                .put(&format!("{prefix}/{name}"), bytes.to_vec())
                .await?;
        }
        Ok(())
    }

    pub fn write_to(&self, dir: &Path) -> Result<(), ReportError> {
        let io = |path: &Path| {
            let path = path.to_owned();
            move |cause| ReportError::Write { path, cause }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        for (name, bytes) in self.files() {
            let path = dir.join(name);
            std::fs::write(&path, bytes).map_err(io(&path))?;
        }
        Ok(())
    }
}

/// `reports/latest.json`: the newest report without a significant regression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatestPointer {
    pub run_id: String,
    pub suite: Option<String>,
    /// Where the report's files are: `runs/<id>/report`.
    pub report_prefix: String,
    pub generated_at: String,
    pub baseline_run_id: Option<String>,
}

impl LatestPointer {
    pub fn of(report: &Report) -> Self {
        let s = &report.summary;
        LatestPointer {
            run_id: s.run_id.clone(),
            suite: s.suite.clone(),
            report_prefix: layout::report_prefix(&s.run_id),
            generated_at: s.generated_at.clone(),
            baseline_run_id: s.comparison.as_ref().map(|c| c.baseline_run_id.clone()),
        }
    }

    /// The pointer in `store`; `None` when there is none yet.
    pub async fn read(store: &Store) -> Result<Option<Self>, ReportError> {
        let Some(bytes) = store.get(layout::LATEST_REPORT_KEY).await? else {
            return Ok(None);
        };
        let pointer: Self =
            serde_json::from_slice(&bytes).map_err(|e| ReportError::BadPointer {
                message: e.to_string(),
            })?;
        // The pointer names the baseline's keys: it must not lead outside `runs/`.
        layout::validate_run_id(&pointer.run_id).map_err(|e| ReportError::BadPointer {
            message: e.to_string(),
        })?;
        Ok(Some(pointer))
    }

    pub async fn write(&self, store: &Store) -> Result<(), ReportError> {
        let json = serde_json::to_string_pretty(self).unwrap_or_default() + "\n";
        store
            .put(layout::LATEST_REPORT_KEY, json.into_bytes())
            .await?;
        Ok(())
    }
}
