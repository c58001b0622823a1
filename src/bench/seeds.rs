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

impl Seeds {
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
            Seeds::List(seeds) => seeds
                .iter()
                .enumerate()
                .filter(|(i, s)| seeds[..*i].contains(s))
                .map(|(i, s)| (format!("seeds[{i}]"), format!("seed {s} is listed twice")))
                .take(1)
                .collect(),
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
        u32::try_from(v)
            .map(Seeds::Count)
            .map_err(|_| E::custom(format!("{v} seeds is too many")))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Seeds, A::Error> {
        let mut seeds = Vec::new();
        while let Some(seed) = seq.next_element()? {
            seeds.push(seed);
        }
        Ok(Seeds::List(seeds))
    }
}
