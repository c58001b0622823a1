//! `aide-fleet import-aideml LOG_DIR`: an aideml log directory as aide-fleet's outputs,
//! in a directory (`--out`) or as one run of a run group in a store (`--store`), so that
//! `status` and `report` show it beside aide-fleet's own runs. Nothing runs.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, anyhow};
use clap::{ArgGroup, Args};
use serde::{Deserialize, Serialize};

use super::exit::{self, EXIT_CODES_HELP, Failure};
use super::store_arg::open_store;
use crate::agent::{AidemlRun, ImportError};
use crate::fleet::{Attempt, AttemptOutcome, Imported, RunState, RunStatus};
use crate::store::{Store, layout};

const AFTER_HELP: &str = "\
LOG_DIR is what aideml writes for one run, logs/<exp_name>/: journal.json (required)
and config.yaml (optional; without it the models and the planned steps are unknown).
Both are read as untrusted input: a file or field that does not fit aideml's format is
refused (exit 2) with the file, the field and what was expected. Nothing is run and
LOG_DIR is never written.

What is written, as an aide-fleet search writes it:
  nodes/NNNNN.json   one record per aideml node; stage (draft/improve/debug) and debug
                     depth derived from the tree as aideml derives them; a buggy node's
                     reason is its exception or timeout, else `reviewer` (aideml keeps
                     no more). Each record carries \"imported\" and the fields aideml does
                     not record (usage, LLM and total time, submissions) hold 0/false.
  journal.json       aideml's format 2 (aideml's own loader reads it)
  tree.html          aide-fleet's tree view, saying where the run came from; cost unknown
  usage.json         tokens and cost null: aideml records none, so they are unknown
  progress.json      nodes, best node, good/buggy counts, the time the records span;
                     cost null
  best_solution.py   the best good node's script (none when no node is good)
  imported.json      where it came from, when, and what is unknown
  aideml/            LOG_DIR's journal.json and config.yaml, verbatim
No run.json is written: `agent --resume` refuses the directory and `agent --out`
treats it as another tool's.

Destinations:
  --out DIR          DIR must be missing, empty, or an earlier import (replaced whole);
                     anything else, aideml's log directory included, is refused (exit 2).
  --store S --run-id ID --task T [--seed K]
                     the run runs/ID/tasks/T/seed-K/ with the outputs under agent/ and a
                     status.json marked \"imported\" (state succeeded, one attempt whose
                     executor is `import`); runs/ID/run.yaml lists the group's imports.
                     ID must be new or a group made by imports: a group `aide-fleet run`
                     launched is refused, as is a run that is not an import. Importing
                     the same (task, seed) again replaces it. `aide-fleet status ID` and
                     `aide-fleet report ID` then show it; it has no grade.

Examples:
  aide-fleet import-aideml logs/2-quick-brown-fox --out results/imported/quick-brown-fox
  aide-fleet import-aideml logs/0-spaceship --store results --run-id aideml-history \\
      --task spaceship-titanic --seed 0
";

/// Read an aideml log directory (journal.json, config.yaml) into aide-fleet's outputs:
/// the tree view, node records, usage (unknown) and a run that status and report show.
#[derive(Debug, Args)]
#[command(
    after_long_help = format!("{AFTER_HELP}\n{EXIT_CODES_HELP}"),
    group(ArgGroup::new("destination").required(true).args(["out", "store"]))
)]
pub struct ImportArgs {
    /// aideml's log directory of one run (logs/<exp_name>/).
    log_dir: PathBuf,

    /// Write the outputs to this directory (missing, empty, or an earlier import).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,

    /// Place the run into this store: a directory or s3://bucket/prefix.
    #[arg(long, value_name = "DIR|URL", requires_all = ["run_id", "task"])]
    store: Option<String>,

    /// S3-compatible endpoint.
    #[arg(long, value_name = "URL", requires = "store")]
    s3_endpoint: Option<String>,

    /// The run group to place it in: new, or one made by imports.
    #[arg(long, value_name = "ID", requires = "store")]
    run_id: Option<String>,

    /// The task id it ran on (as in the benchmark's catalog, for reports).
    #[arg(long, value_name = "TASK", requires = "store")]
    task: Option<String>,

    /// Its seed within the group.
    #[arg(long, value_name = "K", default_value_t = 0, requires = "store")]
    seed: u64,
}

pub fn run(args: ImportArgs) -> Result<u8, Failure> {
    let imported = AidemlRun::read(&args.log_dir).map_err(import_failure)?;
    let now = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    let summary = format!(
        "{} nodes, best: {}; tokens and cost unknown (aideml records none)",
        imported.journal.len(),
        imported.journal.best_summary()
    );
    if let Some(out) = &args.out {
        imported.write_to(out, &now).map_err(import_failure)?;
        eprintln!(
            "imported {} into {}: {summary}",
            args.log_dir.display(),
            out.display()
        );
        return Ok(exit::OK);
    }
    let (Some(store_url), Some(run_id), Some(task)) = (&args.store, &args.run_id, &args.task)
    else {
        return Err(Failure::usage(anyhow!("--store needs --run-id and --task")));
    };
    layout::validate_run_id(run_id).map_err(Failure::usage)?;
    layout::validate_task_id(task).map_err(Failure::usage)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let store = open_store(store_url, args.s3_endpoint.as_deref()).await?;
        let place = Placement {
            store: &store,
            run_id,
            task,
            seed: args.seed,
        };
        place.import(&imported, &args.log_dir, &now).await
    })?;
    eprintln!(
        "imported {} as {}: {summary}",
        args.log_dir.display(),
        layout::seed_prefix(run_id, task, args.seed)
    );
    Ok(exit::OK)
}

fn import_failure(e: ImportError) -> Failure {
    let code = if e.is_bad_input() {
        exit::USAGE
    } else {
        exit::INTERNAL
    };
    Failure::new(code, e)
}

/// `runs/<id>/run.yaml` of a group made by imports: what was imported, so that each
/// import changes it (and a stored run-group index is rebuilt on its next read).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportedGroup {
    name: String,
    imported_from: String,
    note: String,
    imports: Vec<ImportEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportEntry {
    task: String,
    seed: u64,
    source: String,
    imported_at: String,
}

const GROUP_NOTE: &str = "Runs imported from aideml log directories by `aide-fleet import-aideml`; aide-fleet ran none of them.";

struct Placement<'a> {
    store: &'a Store,
    run_id: &'a str,
    task: &'a str,
    seed: u64,
}

impl Placement<'_> {
    async fn import(&self, run: &AidemlRun, log_dir: &Path, now: &str) -> Result<(), Failure> {
        let store = self.store;
        let run_file = layout::run_file(self.run_id);
        let mut group = match store.get(&run_file).await.context("reading run.yaml")? {
            None => ImportedGroup {
                name: self.run_id.to_owned(),
                imported_from: "aideml".into(),
                note: GROUP_NOTE.into(),
                imports: Vec::new(),
            },
            Some(bytes) => String::from_utf8(bytes)
                .ok()
                .and_then(|t| serde_saphyr::from_str::<ImportedGroup>(&t).ok())
                .ok_or_else(|| {
                    Failure::usage(anyhow!(
                        "run group `{}` in {} was not made by imports ({run_file} is another's): refusing to add to it; pass another --run-id",
                        self.run_id,
                        store.url()
                    ))
                })?,
        };
        let seed_prefix = layout::seed_prefix(self.run_id, self.task, self.seed);
        let existing = store
            .list(&format!("{seed_prefix}/"))
            .await
            .context("listing the run's files")?;
        if !existing.is_empty() {
            let status_key = layout::status_key(self.run_id, self.task, self.seed);
            let status = store
                .get(&status_key)
                .await
                .context("reading status.json")?;
            let is_import = status
                .and_then(|b| serde_json::from_slice::<RunStatus>(&b).ok())
                .is_some_and(|s| s.imported.is_some());
            if !is_import {
                return Err(Failure::usage(anyhow!(
                    "{seed_prefix} in {} holds a run that was not imported ({status_key} is missing or not marked imported): refusing to overwrite it",
                    store.url()
                )));
            }
            for key in &existing {
                store
                    .delete(key)
                    .await
                    .with_context(|| format!("removing the earlier import's {key}"))?;
            }
        }
        let staging = tempfile::tempdir().context("creating a staging directory")?;
        run.write_files(staging.path(), now)
            .map_err(|e| Failure::new(exit::INTERNAL, e))?;
        let agent_prefix = layout::agent_prefix(self.run_id, self.task, self.seed);
        upload_dir(store, staging.path(), &agent_prefix).await?;
        let source = log_dir.display().to_string();
        let status = self.status(run, &source, now);
        let bytes = serde_json::to_vec_pretty(&status).context("serialising status.json")?;
        store
            .put(
                &layout::status_key(self.run_id, self.task, self.seed),
                bytes,
            )
            .await
            .context("writing status.json")?;
        group
            .imports
            .retain(|e| !(e.task == self.task && e.seed == self.seed));
        group.imports.push(ImportEntry {
            task: self.task.to_owned(),
            seed: self.seed,
            source,
            imported_at: now.to_owned(),
        });
        group
            .imports
            .sort_by(|a, b| (&a.task, a.seed).cmp(&(&b.task, b.seed)));
        let yaml = serde_saphyr::to_string(&group).context("serialising run.yaml")?;
        store
            .put(&run_file, yaml.into_bytes())
            .await
            .context("writing run.yaml")?;
        Ok(())
    }

    /// A finished run with one attempt that is the import itself.
    fn status(&self, run: &AidemlRun, source: &str, now: &str) -> RunStatus {
        let at = |t: Option<f64>| {
            t.and_then(|t| Duration::try_from_secs_f64(t).ok())
                .and_then(|d| UNIX_EPOCH.checked_add(d))
                .map_or_else(
                    || now.to_owned(),
                    |t| humantime::format_rfc3339_seconds(t).to_string(),
                )
        };
        let mut status = RunStatus::pending(self.run_id, self.task, self.seed, now.to_owned());
        status.state = RunState::Succeeded;
        status.attempts = vec![Attempt {
            number: 1,
            executor: "import".into(),
            executor_id: Some("aideml".into()),
            started_at: at(run.started),
            ended_at: Some(at(run.ended)),
            outcome: Some(AttemptOutcome::Succeeded),
            reason: Some(format!(
                "imported from aideml ({source}); aide-fleet ran nothing"
            )),
            fatal: false,
        }];
        let best = run.journal.best_node();
        status.step = Some(run.journal.len());
        status.steps = Some(run.planned_steps());
        status.best_metric = best.and_then(|b| b.metric);
        status.elapsed_s = run.elapsed_s();
        status.cost_usd = None;
        status.imported = Some(Imported {
            from: "aideml".into(),
            source: source.to_owned(),
            imported_at: now.to_owned(),
        });
        status
    }
}

/// Every file under `dir`, to `prefix/<relative path>`.
async fn upload_dir(store: &Store, dir: &Path, prefix: &str) -> Result<(), Failure> {
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        let entries = std::fs::read_dir(&d).with_context(|| format!("reading {}", d.display()))?;
        for entry in entries {
            let path = entry.context("reading the staging directory")?.path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let rel = path
                .strip_prefix(dir)
                .context("a staged file outside the staging directory")?;
            let rel: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            let key = format!("{prefix}/{}", rel.join("/"));
            store
                .put_file(&key, &path)
                .await
                .with_context(|| format!("writing {key}"))?;
        }
    }
    Ok(())
}
