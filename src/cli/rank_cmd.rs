//! `aide-fleet rank`: where scores would place on a Kaggle leaderboard (MLE-bench medals,
//! median, percentile).

use std::path::PathBuf;

use anyhow::anyhow;
use clap::{ArgGroup, Args};

use super::exit::{self, EXIT_CODES_HELP, Failure};
use super::output;
use crate::grade::{Leaderboard, Rank, round_score};

const AFTER_HELP: &str = "\
Each score is first rounded to 5 decimals (MLE-bench's grader rounds every metric value
that way), then compared exactly as MLE-bench's rank_score does:
  - medal rows follow Kaggle's progression by team count n (rows are 1-based, in file order):
      n < 100:        gold 10%, silver 20%, bronze 40% of n (at least row 1)
      100 <= n < 250: gold row 10, silver 20%, bronze 40%
      250 <= n < 1000: gold row 10 + 0.2% of n, silver row 50, bronze row 100
      n >= 1000:      gold row 10 + 0.2% of n, silver 5%, bronze 10%
  - direction: lower is better iff the first row's score is below the last row's;
  - a score equal to a threshold earns it; medals are exclusive (the best one wins);
  - above_median is strict; the median is the median of all leaderboard scores.

Fields (one row, or with --json one object, per score):
  score               the rounded score
  is_lower_better     the leaderboard's direction
  gold_threshold, silver_threshold, bronze_threshold
                      leaderboard scores at the medal rows
  median_threshold    median of the leaderboard's scores
  gold_medal, silver_medal, bronze_medal, any_medal
  above_median        strictly better than the median
  percentile          our extension (MLE-bench has none): the percentage of leaderboard
                      teams the score strictly beats, 0 to 100

The leaderboard is MLE-bench's leaderboard.csv (only its `score` column is read). With
--competition ID it is <benchmarks>/mle-bench/leaderboards/ID.csv, where <benchmarks> is
$AIDE_FLEET_BENCHMARKS or the benchmarks/ directory of the checkout this binary was built
from.

Examples:
  aide-fleet rank --competition random-acts-of-pizza --score 0.8 --score 0.62
  aide-fleet rank --leaderboard benchmarks/demo/demo-binary/leaderboard.csv --score 0.85 --json
";

/// Medals, median and percentile of scores on a Kaggle leaderboard, by MLE-bench's rule.
#[derive(Debug, Args)]
#[command(
    after_long_help = format!("{AFTER_HELP}\n{EXIT_CODES_HELP}"),
    group(ArgGroup::new("board").required(true).args(["leaderboard", "competition"]))
)]
pub struct RankArgs {
    /// An MLE-bench leaderboard.csv.
    #[arg(long, value_name = "FILE")]
    leaderboard: Option<PathBuf>,

    /// An MLE-bench competition id, e.g. spaceship-titanic (uses the shipped leaderboard).
    #[arg(long, value_name = "ID")]
    competition: Option<String>,

    /// A score to place; repeat for several.
    #[arg(long = "score", value_name = "X", required = true, value_parser = parse_score, allow_negative_numbers = true)]
    scores: Vec<f64>,

    /// Print a JSON array, one object per score, instead of a table.
    #[arg(long)]
    json: bool,
}

fn parse_score(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(format!("`{text}` is not a finite number")),
    }
}

pub fn run(args: RankArgs) -> Result<u8, Failure> {
    let (leaderboard, source) = match (&args.leaderboard, &args.competition) {
        (Some(path), _) => (Leaderboard::read(path), path.display().to_string()),
        (None, Some(id)) => (
            Leaderboard::for_competition(id),
            format!("competition {id}"),
        ),
        (None, None) => {
            return Err(Failure::usage(anyhow!(
                "pass --leaderboard or --competition"
            )));
        }
    };
    let leaderboard = leaderboard.map_err(Failure::usage)?;
    let ranks: Vec<Rank> = args
        .scores
        .iter()
        .map(|&s| leaderboard.rank(Some(round_score(s))))
        .collect();
    if args.json {
        let json = serde_json::to_string_pretty(&ranks).map_err(|e| Failure::from(anyhow!(e)))?;
        output::print_line(&json)?;
    } else {
        output::print(render(&leaderboard, &source, &ranks))?;
    }
    Ok(exit::OK)
}

fn render(lb: &Leaderboard, source: &str, ranks: &[Rank]) -> String {
    let t = lb.thresholds();
    let direction = if t.is_lower_better { "lower" } else { "higher" };
    let mut out = format!(
        "{source}: {} teams, {direction} is better\n\
         gold {} (row {}) / silver {} (row {}) / bronze {} (row {}) / median {}\n\n",
        lb.scores().len(),
        t.gold,
        t.gold_row,
        t.silver,
        t.silver_row,
        t.bronze,
        t.bronze_row,
        t.median
    );
    let header = ["score", "medal", "above median", "percentile"];
    let rows: Vec<[String; 4]> = ranks
        .iter()
        .map(|r| {
            let medal = match (r.gold_medal, r.silver_medal, r.bronze_medal) {
                (true, _, _) => "gold",
                (_, true, _) => "silver",
                (_, _, true) => "bronze",
                _ => "-",
            };
            [
                r.score.map_or_else(|| "-".into(), |s| s.to_string()),
                medal.to_string(),
                if r.above_median { "yes" } else { "no" }.to_string(),
                r.percentile
                    .map_or_else(|| "-".into(), |p| format!("{p:.2}")),
            ]
        })
        .collect();
    let widths: Vec<usize> = (0..4)
        .map(|c| {
            rows.iter()
                .map(|r| r[c].len())
                .chain([header[c].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: [&str; 4]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        format!("{}\n", padded.join("  ").trim_end())
    };
    out.push_str(&line(header));
    for r in &rows {
        out.push_str(&line([&r[0], &r[1], &r[2], &r[3]]));
    }
    out
}
