//! `aide-fleet report`: a run group's report (medals, percentiles, pass@k, RE-Bench
//! scores, cost, failures, regressions against a baseline), or MLE-bench's official
//! aggregation of grading reports.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow};
use clap::{ArgGroup, Args, ValueEnum};

use super::exit::{self, EXIT_CODES_HELP, Failure};
use super::output;
use super::progress::{RebuildBar, index_notes};
use super::store_arg::open_store;
use crate::fleet::index::LoadOptions;
use crate::report::{
    AggregateOptions, DEFAULT_ALPHA, LatestPointer, Rendered, Report, RunData, aggregate_official,
    read_outcomes, read_run_with,
};
use crate::store::{Store, layout};

const AFTER_HELP: &str = "\
Two modes.

aide-fleet report RUN: reads the run group RUN from the store, and reports:
  - per MLE-bench split (low, medium, high, all) and over the run's competitions: the
    percentages MLE-bench's aggregate_grading_reports.py computes (complete seeds only;
    mean, standard error with ddof 1, 95% interval), plus the mean leaderboard
    percentile (ours: share of teams beaten; a missing or invalid submission beats none);
  - per competition: medals, percentile (mean +/- SE over seeds), pass@k (unbiased
    estimator, k up to the seed count); the selection gap when nodes were graded;
  - research tasks: RE-Bench's normalised score (mean +/- SE), score@k (best of k runs
    drawn with replacement, exact expectation);
  - cost: USD, tokens, agent time and GPU-hours, in total, per run, per task, per medal;
    failed attempts counted by reason.
The runs come from the group's index, runs/RUN/index.json, which the controller keeps:
two reads whatever the number of runs. An index that is missing (a store written
before it existed), written for another run.yaml, short of planned runs, or left live
by a controller that stopped, is rebuilt from every run's status.json, grade.json,
usage.json, progress.json and node grades (64 runs at a time), then written back;
--rebuild forces that and names every run where the index and the files disagreed.
It writes summary.json, report.md, report.html (charts as inline SVG; works offline),
runs.csv and runs.parquet (one row per (task, seed)) to runs/RUN/report/ in the store
(unless --no-publish) and to --out DIR, and prints --format to stdout.

--baseline OTHER (a run id, or `latest` for the run reports/latest.json points to)
compares: per task and overall (any-medal rate, mean percentile, mean normalised
score), each with a one-sided permutation test over seeds (relabelling seeds within
each task), Holm-corrected over all tests; a drop with adjusted p <= --alpha is
significant, and the command exits 3. --set-latest then points reports/latest.json at
this run, unless a significant regression was found (so tomorrow compares against the
last good run, and a regression keeps failing until fixed).

aide-fleet report --grading-reports FILE... --split FILE: MLE-bench's official
aggregation of its grading reports (ours or MLE-bench's own), printed exactly as its
script prints it: files in sorted path order, reports by competition id, seed i = the
i-th report of each competition, complete seeds only unless --pad-missing. A --split
without an extension names a split under <benchmarks>/mle-bench/splits/ (split75 = all).

Examples:
  aide-fleet report demo-1
  aide-fleet report nightly-2025-06-02 --baseline latest --set-latest --store s3://bucket/aide
  aide-fleet report demo-2 --baseline demo-1 --format json --out reports/demo-2
  aide-fleet report --grading-reports runs/*/grading_report.json --split low --format json
";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Md,
    Html,
    Json,
    Csv,
    Parquet,
}

/// Report on a run group (medals, percentiles, pass@k, cost, regressions), or aggregate
/// MLE-bench grading reports exactly as MLE-bench does.
#[derive(Debug, Args)]
#[command(
    after_long_help = format!("{AFTER_HELP}\n{EXIT_CODES_HELP}"),
    group(ArgGroup::new("input").required(true).args(["run_id", "grading_reports"]))
)]
pub struct ReportArgs {
    /// The run group to report on (the id `aide-fleet run` printed).
    run_id: Option<String>,

    /// Where runs live: a directory or s3://bucket/prefix.
    #[arg(long, value_name = "DIR|URL", default_value = "results")]
    store: String,

    /// S3-compatible endpoint (MinIO, moto, ...).
    #[arg(long, value_name = "URL")]
    s3_endpoint: Option<String>,

    /// A run to compare against: its id, or `latest` (reports/latest.json).
    #[arg(long, value_name = "RUN|latest", conflicts_with = "grading_reports")]
    baseline: Option<String>,

    /// Significance level of the regression tests (family-wise, after Holm).
    #[arg(long, default_value_t = DEFAULT_ALPHA, value_parser = parse_alpha)]
    alpha: f64,

    /// What to print on stdout [default: md; json with --grading-reports].
    #[arg(long, value_enum)]
    format: Option<Format>,

    /// Also write every report file to this directory.
    #[arg(long, value_name = "DIR", conflicts_with = "grading_reports")]
    out: Option<PathBuf>,

    /// Write nothing into the store: neither the report nor a rebuilt run-group index.
    #[arg(long, conflicts_with = "grading_reports")]
    no_publish: bool,

    /// Point reports/latest.json at this run (unless it regressed).
    #[arg(long, conflicts_with_all = ["grading_reports", "no_publish"])]
    set_latest: bool,

    /// Rebuild the run-group index from the per-run files, compare it with the stored
    /// one (the files win), and write it back.
    #[arg(long, conflicts_with = "grading_reports")]
    rebuild: bool,

    /// The benchmarks directory (catalogs, leaderboards, splits) [default: ./benchmarks, else the one built in].
    #[arg(long, value_name = "DIR")]
    benchmarks: Option<PathBuf>,

    /// MLE-bench grading reports to aggregate (instead of a run).
    #[arg(long, value_name = "FILE", num_args = 1.., requires = "split")]
    grading_reports: Vec<PathBuf>,

    /// The split file (one competition id per line), or a split name.
    #[arg(long, value_name = "FILE|NAME", requires = "grading_reports")]
    split: Option<String>,

    /// Count a competition's missing seeds as failures instead of dropping the seed.
    #[arg(long, requires = "grading_reports")]
    pad_missing: bool,

    /// How many seeds to average; -1: all.
    #[arg(long, default_value_t = -1, allow_negative_numbers = true, requires = "grading_reports")]
    num_seeds: i64,
}

fn parse_alpha(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(a) if a > 0.0 && a < 1.0 => Ok(a),
        _ => Err(format!("`{text}` is not a level between 0 and 1")),
    }
}

pub fn run(args: ReportArgs) -> Result<u8, Failure> {
    let benchmarks = super::run_cmd::benchmarks_dir(args.benchmarks.as_ref());
    if !args.grading_reports.is_empty() {
        return official(&args, &benchmarks);
    }
    let run_id = args
        .run_id
        .clone()
        .ok_or_else(|| Failure::usage(anyhow!("give a run id or --grading-reports")))?;
    layout::validate_run_id(&run_id).map_err(Failure::usage)?;
    if let Some(baseline) = args.baseline.as_deref().filter(|b| *b != "latest") {
        layout::validate_run_id(baseline)
            .context("--baseline")
            .map_err(Failure::usage)?;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let (store, current, baseline) = runtime.block_on(read_runs(&args, &run_id, &benchmarks))?;
    // polars runs its own threads and may block: keep it out of the async runtime.
    let generated_at = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let report = Report::build(&current, baseline.as_ref(), args.alpha, &generated_at)
        .context("aggregating the report")?;
    let rendered = Rendered::of(&report).context("rendering the report")?;
    let regression = report
        .summary
        .comparison
        .as_ref()
        .is_some_and(|c| c.regression);
    runtime.block_on(async {
        if !args.no_publish {
            rendered
                .publish(&store, &run_id)
                .await
                .context("writing the report to the store")?;
            eprintln!(
                "report: {}/{}/",
                store.url(),
                layout::report_prefix(&run_id)
            );
        }
        if args.set_latest {
            if regression {
                eprintln!(
                    "report: significant regression; {} left as it was",
                    layout::LATEST_REPORT_KEY
                );
            } else {
                LatestPointer::of(&report)
                    .write(&store)
                    .await
                    .context("writing the latest-report pointer")?;
            }
        }
        Ok::<_, Failure>(())
    })?;
    if let Some(dir) = &args.out {
        rendered.write_to(dir).context("writing the report files")?;
    }
    print_format(&rendered, args.format.unwrap_or(Format::Md))?;
    Ok(if regression {
        exit::REGRESSION
    } else {
        exit::OK
    })
}

/// The store, the run, and the baseline run (`latest`: the run the pointer names).
async fn read_runs(
    args: &ReportArgs,
    run_id: &str,
    benchmarks: &Path,
) -> Result<(Store, RunData, Option<RunData>), Failure> {
    let store = open_store(&args.store, args.s3_endpoint.as_deref()).await?;
    let no_publish = args.no_publish;
    let read = |id: String, rebuild: bool| {
        let store = store.clone();
        async move {
            let options = LoadOptions {
                rebuild,
                write_back: !no_publish,
            };
            let data = read_run_with(&store, &id, benchmarks, options, &mut RebuildBar::default())
                .await
                .map_err(|e| Failure::new(e.exit_code(), e))?;
            for note in index_notes(&data.source) {
                eprintln!("report: {id}: {note}");
            }
            Ok::<_, Failure>(data)
        }
    };
    let current = read(run_id.to_owned(), args.rebuild).await?;
    let baseline_id = match args.baseline.as_deref() {
        Some("latest") => match LatestPointer::read(&store)
            .await
            .map_err(|e| Failure::new(e.exit_code(), e))?
        {
            Some(p) if p.run_id != run_id => Some(p.run_id),
            Some(_) => {
                eprintln!(
                    "report: {} already points at {run_id}; no baseline",
                    layout::LATEST_REPORT_KEY
                );
                None
            }
            None => {
                eprintln!("report: no {} yet; no baseline", layout::LATEST_REPORT_KEY);
                None
            }
        },
        other => other.map(str::to_owned),
    };
    let baseline = match &baseline_id {
        Some(id) => Some(read(id.clone(), false).await?),
        None => None,
    };
    Ok((store, current, baseline))
}

fn print_format(rendered: &Rendered, format: Format) -> Result<(), Failure> {
    let bytes: &[u8] = match format {
        Format::Md => rendered.markdown.as_bytes(),
        Format::Html => rendered.html.as_bytes(),
        Format::Json => rendered.summary_json.as_bytes(),
        Format::Csv => &rendered.csv,
        Format::Parquet if std::io::stdout().is_terminal() => {
            return Err(Failure::usage(anyhow!(
                "not writing Parquet to a terminal: redirect stdout, or use --out DIR"
            )));
        }
        Format::Parquet => &rendered.parquet,
    };
    output::print(bytes)?;
    Ok(())
}

/// MLE-bench's `aggregate_grading_reports.py`, same input, same output, same errors.
fn official(args: &ReportArgs, benchmarks: &Path) -> Result<u8, Failure> {
    if !matches!(args.format, None | Some(Format::Json)) {
        return Err(Failure::usage(anyhow!(
            "--grading-reports prints MLE-bench's JSON only: use --format json"
        )));
    }
    let split = args.split.as_deref().unwrap_or_default();
    let ids = read_split(split, benchmarks).map_err(Failure::usage)?;
    let outcomes = read_outcomes(&args.grading_reports).map_err(Failure::usage)?;
    let options = AggregateOptions {
        num_seeds: args.num_seeds,
        pad_missing: args.pad_missing,
    };
    let metrics = aggregate_official(&outcomes, &ids, options).map_err(Failure::usage)?;
    output::print_line(&metrics.to_python_json())?;
    Ok(exit::OK)
}

/// The split's competition ids, read as MLE-bench reads them (stripped, blank lines
/// skipped). A name without an extension is a split under the benchmarks directory.
fn read_split(split: &str, benchmarks: &Path) -> anyhow::Result<Vec<String>> {
    let given = PathBuf::from(split);
    let path = if given.extension().is_none() && !given.exists() {
        let name = if split == "split75" { "all" } else { split };
        benchmarks
            .join("mle-bench")
            .join("splits")
            .join(format!("{name}.txt"))
    } else {
        given
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("Split file not found: {}", path.display()))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect())
}
