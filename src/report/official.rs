//! MLE-bench's official aggregation (`experiments/aggregate_grading_reports.py`), step for
//! step: seeds built from the reports in reading order, per-seed percentages over the
//! split's competitions, then mean, standard error and 95% interval across seeds. Errors
//! carry the script's own messages.

use serde::ser::{Serialize, SerializeMap, Serializer};

use super::numpy;
use super::python_json::{PyObject, PyValue, dumps};
use crate::grade::{Flags, MedalCounts};

/// The fields of one competition report that the aggregation reads (and all that
/// `--grading-reports` requires of one).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Outcome {
    pub competition_id: String,
    pub gold_medal: bool,
    pub silver_medal: bool,
    pub bronze_medal: bool,
    pub above_median: bool,
    pub submission_exists: bool,
    pub valid_submission: bool,
}

impl Outcome {
    /// MLE-bench's `zero_report`: what `--pad-missing` puts in a missing seed.
    pub fn zero(competition_id: &str) -> Self {
        Outcome {
            competition_id: competition_id.to_owned(),
            gold_medal: false,
            silver_medal: false,
            bronze_medal: false,
            above_median: false,
            submission_exists: false,
            valid_submission: false,
        }
    }

    pub fn flags(&self) -> Flags {
        Flags {
            submission_exists: self.submission_exists,
            valid_submission: self.valid_submission,
            above_median: self.above_median,
            gold_medal: self.gold_medal,
            silver_medal: self.silver_medal,
            bronze_medal: self.bronze_medal,
        }
    }
}

/// `--num-seeds` and `--pad-missing`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AggregateOptions {
    /// How many seeds to average; -1 means every available one (the script's default).
    pub num_seeds: i64,
    /// Fill seeds that lack a competition with a failing report instead of dropping them.
    pub pad_missing: bool,
}

impl Default for AggregateOptions {
    fn default() -> Self {
        AggregateOptions {
            num_seeds: -1,
            pad_missing: false,
        }
    }
}

/// The script's `ValueError`s, same wording.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AggregateError {
    #[error("Missing reports for competitions: {}; cannot build complete seeds.", .0.join(", "))]
    MissingCompetitions(Vec<String>),
    #[error("No competitions provided.")]
    NoCompetitions,
    #[error("No reports available to form any seed.")]
    NoReports,
    #[error("No seeds requested or available after evaluating competition coverage.")]
    NoSeeds,
    #[error("Requested {requested} seeds, but only {available} complete seeds available.")]
    TooFewSeeds { requested: i64, available: usize },
}

/// One metric across seeds.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct AggregateMetric {
    pub mean: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
    pub standard_error: f64,
}

impl AggregateMetric {
    /// Mean, `scipy.stats.sem(ddof=1)` (0 for a single value) and mean +/- 1.96 SE.
    pub fn of(values: &[f64]) -> Self {
        let mean = numpy::mean(values);
        let sem = if values.len() > 1 {
            numpy::sem(values)
        } else {
            0.0
        };
        AggregateMetric {
            mean,
            ci_lower: mean - 1.96 * sem,
            ci_upper: mean + 1.96 * sem,
            standard_error: sem,
        }
    }
}

/// The script's `AggregateMetrics`: what it prints as JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateMetrics {
    pub num_seeds_averaged: usize,
    pub num_competitions_per_seed: usize,
    /// In the script's order; names as in [`MedalCounts::metrics`].
    pub metrics: Vec<(&'static str, AggregateMetric)>,
}

impl AggregateMetrics {
    /// `average_metrics_across_seeds`; `None` without seeds.
    pub fn across(seeds: &[MedalCounts], expected_competitions: usize) -> Option<Self> {
        let first = seeds.first()?.metrics();
        let per_seed: Vec<_> = seeds.iter().map(MedalCounts::metrics).collect();
        let metrics = first
            .iter()
            .enumerate()
            .map(|(i, (name, _))| {
                let values: Vec<f64> = per_seed.iter().map(|m| m[i].1).collect();
                (*name, AggregateMetric::of(&values))
            })
            .collect();
        Some(AggregateMetrics {
            num_seeds_averaged: seeds.len(),
            num_competitions_per_seed: expected_competitions,
            metrics,
        })
    }

    pub fn metric(&self, name: &str) -> Option<&AggregateMetric> {
        self.metrics
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, m)| m)
    }

    /// Exactly what the script prints after "Average metrics across seeds:"
    /// (`json.dumps(asdict(...), indent=2)`), without the final newline.
    pub fn to_python_json(&self) -> String {
        let metrics: PyObject = self
            .metrics
            .iter()
            .map(|(name, m)| {
                let fields = [
                    ("mean", m.mean),
                    ("ci_lower", m.ci_lower),
                    ("ci_upper", m.ci_upper),
                    ("standard_error", m.standard_error),
                ];
                let fields = fields
                    .iter()
                    .map(|(k, v)| (k.to_string(), PyValue::Float(*v)))
                    .collect();
                (name.to_string(), PyValue::Object(fields))
            })
            .collect();
        dumps(&PyValue::Object(vec![
            (
                "num_seeds_averaged".into(),
                PyValue::Int(self.num_seeds_averaged as i64),
            ),
            (
                "num_competitions_per_seed".into(),
                PyValue::Int(self.num_competitions_per_seed as i64),
            ),
            ("metrics".into(), PyValue::Object(metrics)),
        ]))
    }
}

impl Serialize for AggregateMetrics {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Metrics<'a>(&'a [(&'static str, AggregateMetric)]);
        impl Serialize for Metrics<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut map = s.serialize_map(Some(self.0.len()))?;
                for (name, metric) in self.0 {
                    map.serialize_entry(name, metric)?;
                }
                map.end()
            }
        }
        let mut map = s.serialize_map(Some(3))?;
        map.serialize_entry("num_seeds_averaged", &self.num_seeds_averaged)?;
        map.serialize_entry("num_competitions_per_seed", &self.num_competitions_per_seed)?;
        map.serialize_entry("metrics", &Metrics(&self.metrics))?;
        map.end()
    }
}

/// `build_complete_seeds` then `select_seeds`: seed i holds the i-th report (in `outcomes`
/// order) of every split competition, in split order.
pub fn build_seeds(
    outcomes: &[Outcome],
    competition_ids: &[String],
    options: AggregateOptions,
) -> Result<Vec<Vec<Outcome>>, AggregateError> {
    let per_competition = |id: &str| -> Vec<&Outcome> {
        outcomes.iter().filter(|o| o.competition_id == id).collect()
    };
    let missing: Vec<String> = competition_ids
        .iter()
        .filter(|id| !outcomes.iter().any(|o| &o.competition_id == *id))
        .cloned()
        .collect();
    if !missing.is_empty() && !options.pad_missing {
        return Err(AggregateError::MissingCompetitions(missing));
    }
    let reports: Vec<Vec<&Outcome>> = competition_ids
        .iter()
        .map(|id| per_competition(id))
        .collect();
    let counts = reports.iter().map(Vec::len);
    let available = if options.pad_missing {
        counts.max().ok_or(AggregateError::NoCompetitions)?
    } else {
        counts.min().ok_or(AggregateError::NoCompetitions)?
    };
    if available == 0 {
        return Err(AggregateError::NoReports);
    }
    let num_seeds = if options.num_seeds == -1 {
        available as i64
    } else {
        options.num_seeds.min(available as i64)
    };
    if num_seeds <= 0 {
        return Err(AggregateError::NoSeeds);
    }
    let seeds: Vec<Vec<Outcome>> = (0..num_seeds as usize)
        .map(|i| {
            competition_ids
                .iter()
                .zip(&reports)
                .map(|(id, r)| r.get(i).map_or_else(|| Outcome::zero(id), |o| (*o).clone()))
                .collect()
        })
        .collect();
    if options.num_seeds != -1 && options.num_seeds > seeds.len() as i64 {
        return Err(AggregateError::TooFewSeeds {
            requested: options.num_seeds,
            available: seeds.len(),
        });
    }
    Ok(seeds)
}

/// The whole script on outcomes already in reading order (see
/// [`read_outcomes`](super::read_outcomes)).
pub fn aggregate(
    outcomes: &[Outcome],
    competition_ids: &[String],
    options: AggregateOptions,
) -> Result<AggregateMetrics, AggregateError> {
    let seeds = build_seeds(outcomes, competition_ids, options)?;
    let counts: Vec<MedalCounts> = seeds
        .iter()
        .map(|s| MedalCounts::of(s.iter().map(Outcome::flags)))
        .collect();
    AggregateMetrics::across(&counts, competition_ids.len()).ok_or(AggregateError::NoSeeds)
}
