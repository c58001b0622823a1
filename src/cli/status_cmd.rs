//! `aide-fleet status RUN`: every run of a run group, from the store alone.

use std::time::Duration;

use anyhow::{Context, anyhow};
use clap::Args;

use super::exit::{self, Failure};
use super::output;
use super::progress::RebuildBar;
use super::store_arg::open_store;
use crate::fleet::index::{LoadOptions, Source};
use crate::fleet::{RunState, RunStatus};
use crate::report::{GroupPlan, ReportError};
use crate::store::layout;

/// Show the state of every (task, seed) run of a run group, read from the store.
///
/// It reads the group's index (runs/RUN/index.json, kept by the controller), or rebuilds
/// it from the per-run files when it is missing or cannot be trusted.
///
/// Columns: task, seed, state, attempts, step, best metric, elapsed, cost, and the reason
/// of the latest failure (OOMKilled, an agent error, ...).
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The run id given to (or printed by) `aide-fleet run`.
    run_id: String,

    /// Where runs live: a directory or s3://bucket/prefix.
    #[arg(long, value_name = "DIR|URL", default_value = "results")]
    store: String,

    /// S3-compatible endpoint.
    #[arg(long, value_name = "URL")]
    s3_endpoint: Option<String>,

    /// One JSON array of the status records instead of the table.
    #[arg(long)]
    json: bool,
}

pub fn run(args: StatusArgs) -> Result<u8, Failure> {
    layout::validate_run_id(&args.run_id).map_err(Failure::usage)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    // The table keeps one row of short cells per run as the records stream by, not the
    // statuses (a 100,000-run group's statuses are tens of megabytes more).
    let mut statuses = Vec::new();
    let mut table = Table::new();
    runtime.block_on(async {
        let store = open_store(&args.store, args.s3_endpoint.as_deref()).await?;
        let fail = |e: ReportError| Failure::new(e.exit_code(), e);
        let plan = GroupPlan::read(&store, &args.run_id).await.map_err(fail)?;
        // The store's content is input like any other: a damaged record is not ours.
        let mut damaged = None;
        let source = plan
            .records(
                &store,
                &args.run_id,
                LoadOptions::default(),
                &mut RebuildBar::default(),
                &mut |record| {
                    if damaged.is_none() {
                        damaged = record
                            .warnings
                            .iter()
                            .find_map(|w| w.split_once("/status.json: "))
                            .map(|(run, cause)| {
                                format!("{run}/status.json: not a valid run status: {cause}")
                            });
                    }
                    match record.status {
                        Some(status) if args.json => statuses.push(status),
                        Some(status) => table.push(&status),
                        None => {}
                    }
                },
            )
            .await
            .map_err(fail)?;
        if let Some(damaged) = damaged {
            return Err(Failure::usage(anyhow!(
                "{}/{damaged}",
                layout::tasks_prefix(&args.run_id)
            )));
        }
        // A rebuild is routine (a store from before the index); only a failed write-back
        // is worth a line here. `report` says more.
        if let Source::Rebuilt {
            write_error: Some(e),
            ..
        } = &source
        {
            eprintln!("status: the rebuilt run-group index was not written back: {e}");
        }
        Ok::<_, Failure>(())
    })?;
    if args.json {
        output::print_line(&serde_json::to_string_pretty(&statuses).context("serialising")?)?;
    } else {
        output::print(table.render())?;
    }
    Ok(exit::OK)
}

const COLUMNS: [&str; 9] = [
    "task", "seed", "state", "attempts", "step", "best", "elapsed", "cost", "reason",
];

/// The status table, built a run at a time: each row's cells and every column's width.
struct Table {
    rows: Vec<[Box<str>; 9]>,
    widths: [usize; 9],
}

impl Table {
    fn new() -> Self {
        Table {
            rows: Vec::new(),
            widths: COLUMNS.map(|c| c.chars().count()),
        }
    }

    fn push(&mut self, s: &RunStatus) {
        let state = match s.state {
            RunState::Pending => "pending",
            RunState::Running => "running",
            RunState::Succeeded => "succeeded",
            RunState::Failed => "failed",
        };
        let reason = s
            .attempts
            .iter()
            .rev()
            .find_map(|a| a.reason.as_deref())
            .unwrap_or_default();
        let cells: [String; 9] = [
            s.task.clone(),
            s.seed.to_string(),
            state.to_string(),
            s.attempts.len().to_string(),
            match (s.step, s.steps) {
                (Some(a), Some(b)) => format!("{a}/{b}"),
                _ => "-".to_string(),
            },
            s.best_metric.map_or("-".to_string(), |m| format!("{m:.5}")),
            s.elapsed_s.map_or("-".to_string(), |e| {
                humantime::format_duration(Duration::from_secs(e as u64)).to_string()
            }),
            s.cost_usd.map_or("-".to_string(), |c| format!("${c:.4}")),
            reason.chars().take(100).collect(),
        ];
        for (width, cell) in self.widths.iter_mut().zip(&cells) {
            *width = (*width).max(cell.chars().count());
        }
        self.rows.push(cells.map(String::into_boxed_str));
    }

    fn render(&self) -> String {
        let mut out = String::new();
        let header = COLUMNS.map(Box::<str>::from);
        for row in std::iter::once(&header).chain(&self.rows) {
            let line = row
                .iter()
                .zip(&self.widths)
                .map(|(cell, w)| format!("{cell:<w$}"))
                .collect::<Vec<_>>()
                .join("  ");
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}
