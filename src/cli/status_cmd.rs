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
    let statuses = runtime.block_on(async {
        let store = open_store(&args.store, args.s3_endpoint.as_deref()).await?;
        let fail = |e: ReportError| Failure::new(e.exit_code(), e);
        let plan = GroupPlan::read(&store, &args.run_id).await.map_err(fail)?;
        let mut statuses = Vec::new();
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
                    statuses.extend(record.status);
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
        Ok::<_, Failure>(statuses)
    })?;
    if args.json {
        output::print_line(&serde_json::to_string_pretty(&statuses).context("serialising")?)?;
    } else {
        output::print(table(&statuses))?;
    }
    Ok(exit::OK)
}

fn table(statuses: &[RunStatus]) -> String {
    let mut rows = vec![
        [
            "task", "seed", "state", "attempts", "step", "best", "elapsed", "cost", "reason",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for s in statuses {
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
            .find_map(|a| a.reason.clone())
            .unwrap_or_default();
        rows.push(vec![
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
        ]);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in &rows {
        let cells: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}
