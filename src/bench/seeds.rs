//! A suite's seeds: a count (seeds 0..n) or an explicit list. A seed is a repetition index,
//! as in MLE-bench; the agent may also use it to seed its own randomness.

use std::fmt;

use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seeds {
    Count(u32),
    List(Vec<u64>),
}

impl Default for Seeds {
    fn default() -> Self {
        Seeds::Count(1)
    }
}

/// The most seeds a suite (or `--seeds`) may plan per task. MLE-bench uses 3 to 20; the
/// bound keeps a typo like `seeds: 4294967295` from planning (and allocating) billions
/// of runs, and a store's `run.yaml` from doing the same to a report.
pub const MAX_SEEDS: usize = 1000;

impl Seeds {
    /// `--seeds`: a count (`3` = seeds 0, 1, 2) or a comma-separated list (`0,5,9`), with
    /// the limits and checks of a suite's `seeds`.
    pub fn parse_flag(text: &str) -> Result<Seeds, String> {
        let seeds = if !text.contains(',')
            && let Ok(n) = text.trim().parse::<u64>()
        {
            Seeds::Count(count(n)?)
        } else {
            let list = text
                .split(',')
                .map(|p| {
                    p.trim()
                        .parse::<u64>()
                        .map_err(|_| format!("`{}` is not a seed number", p.trim()))
                })
                .collect::<Result<Vec<u64>, String>>()?;
            if list.len() > MAX_SEEDS {
                return Err(too_many(&list.len().to_string()));
            }
            Seeds::List(list)
        };
        match seeds.problems().into_iter().next() {
            Some((_, message)) => Err(message),
            None => Ok(seeds),
        }
    }

    pub fn to_vec(&self) -> Vec<u64> {
        match self {
            Seeds::Count(n) => (0..u64::from(*n)).collect(),
            Seeds::List(seeds) => seeds.clone(),
        }
    }

    /// What is wrong, as (field, message); the field is `seeds` or `seeds[i]`.
    pub(crate) fn problems(&self) -> Vec<(String, String)> {
        match self {
            Seeds::Count(0) => vec![("seeds".into(), "must be at least 1".into())],
            Seeds::Count(_) => Vec::new(),
            Seeds::List(seeds) if seeds.is_empty() => {
                vec![("seeds".into(), "must list at least one seed".into())]
            }
            Seeds::List(seeds) => {
                let mut seen = std::collections::HashSet::new();
                seeds
                    .iter()
                    .enumerate()
                    .find(|(_, s)| !seen.insert(**s))
                    .map(|(i, s)| (format!("seeds[{i}]"), format!("seed {s} is listed twice")))
                    .into_iter()
                    .collect()
            }
        }
    }
}

impl Serialize for Seeds {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Seeds::Count(n) => serializer.serialize_u32(*n),
            Seeds::List(seeds) => seeds.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for Seeds {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SeedsVisitor)
    }
}

struct SeedsVisitor;

impl<'de> Visitor<'de> for SeedsVisitor {
    type Value = Seeds;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number of seeds or a list of seeds")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Seeds, E> {
        count(v).map(Seeds::Count).map_err(E::custom)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Seeds, A::Error> {
        let mut seeds = Vec::new();
        while let Some(seed) = seq.next_element()? {
            if seeds.len() == MAX_SEEDS {
                return Err(de::Error::custom(too_many("a longer list")));
            }
            seeds.push(seed);
        }
        Ok(Seeds::List(seeds))
    }
}

fn count(n: u64) -> Result<u32, String> {
    match u32::try_from(n) {
        Ok(c) if c as usize <= MAX_SEEDS => Ok(c),
        _ => Err(too_many(&n.to_string())),
    }
}

fn too_many(found: &str) -> String {
    format!("at most {MAX_SEEDS} seeds per task, found {found}")
}
