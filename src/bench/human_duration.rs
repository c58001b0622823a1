//! Durations written as `24h`, `90m`, `1h 30m` or a number of seconds, at most
//! [`crate::duration::MAX`] (one parser for suites, manifests, flags and `run.json`).

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HumanDuration(pub Duration);

impl HumanDuration {
    pub fn as_duration(self) -> Duration {
        self.0
    }
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        humantime::format_duration(self.0).fmt(f)
    }
}

impl Serialize for HumanDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DurationVisitor;

        impl serde::de::Visitor<'_> for DurationVisitor {
            type Value = HumanDuration;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration such as `24h`, `90m` or `1h 30m`, or a number of seconds")
            }

            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<HumanDuration, E> {
                duration::from_secs(v).map(HumanDuration).map_err(E::custom)
            }

            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<HumanDuration, E> {
                match u64::try_from(v) {
                    Ok(v) => self.visit_u64(v),
                    Err(_) => Err(E::custom(format!(
                        "{v}s is negative; expected a duration such as `24h` or `90m`"
                    ))),
                }
            }

            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<HumanDuration, E> {
                duration::from_secs_f64(v)
                    .map(HumanDuration)
                    .map_err(E::custom)
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<HumanDuration, E> {
                duration::parse(v).map(HumanDuration).map_err(|e| {
                    E::custom(format!(
                        "invalid duration: {e}; expected e.g. `24h`, `90m` or `1h 30m`"
                    ))
                })
            }
        }

        deserializer.deserialize_any(DurationVisitor)
    }
}
