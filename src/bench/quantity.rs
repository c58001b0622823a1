//! Memory and storage sizes written the Kubernetes way (`440Gi`, `400G`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A size with its unit kept as written, so that it prints back the same and can be handed
/// to Kubernetes unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Quantity {
    value: u64,
    unit: Unit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Unit {
    Ki,
    Mi,
    Gi,
    Ti,
    Pi,
    K,
    M,
    G,
    T,
    P,
}

const UNITS: [(&str, Unit, u64); 10] = [
    ("Ki", Unit::Ki, 1 << 10),
    ("Mi", Unit::Mi, 1 << 20),
    ("Gi", Unit::Gi, 1 << 30),
    ("Ti", Unit::Ti, 1 << 40),
    ("Pi", Unit::Pi, 1 << 50),
    ("k", Unit::K, 1_000),
    ("M", Unit::M, 1_000_000),
    ("G", Unit::G, 1_000_000_000),
    ("T", Unit::T, 1_000_000_000_000),
    ("P", Unit::P, 1_000_000_000_000_000),
];

impl Quantity {
    pub fn bytes(&self) -> u64 {
        // Parsing rejects quantities whose byte count overflows.
        self.value.saturating_mul(self.unit_bytes())
    }

    fn unit_bytes(&self) -> u64 {
        UNITS
            .iter()
            .find(|(_, u, _)| *u == self.unit)
            .map_or(1, |(_, _, b)| *b)
    }

    fn unit_name(&self) -> &'static str {
        UNITS
            .iter()
            .find(|(_, u, _)| *u == self.unit)
            .map_or("", |(n, _, _)| n)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid size `{0}`: expected a whole number and a unit (Ki, Mi, Gi, Ti, Pi, k, M, G, T, P), such as `16Gi` or `400G`"
)]
pub struct QuantityError(String);

impl FromStr for Quantity {
    type Err = QuantityError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        let digits = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        let (number, suffix) = text.split_at(digits);
        let error = || QuantityError(s.to_owned());
        let value: u64 = number.parse().map_err(|_| error())?;
        let (_, unit, bytes) = UNITS
            .iter()
            .find(|(n, _, _)| *n == suffix)
            .ok_or_else(error)?;
        value.checked_mul(*bytes).ok_or_else(error)?;
        Ok(Quantity { value, unit: *unit })
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.value, self.unit_name())
    }
}

impl Serialize for Quantity {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct QuantityVisitor;

        impl serde::de::Visitor<'_> for QuantityVisitor {
            type Value = Quantity;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a size with a unit, such as `16Gi` or `400G`")
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Quantity, E> {
                v.parse().map_err(E::custom)
            }
        }

        deserializer.deserialize_str(QuantityVisitor)
    }
}
