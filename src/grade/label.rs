//! Class labels read from CSV cells, compared the way pandas-read columns compare.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

/// One class label. A cell that parses as a finite number is a number, so `1`, `1.0` and
/// ` 1` are the same class (pandas reads all three as 1.0); anything else is text, compared
/// exactly. Numbers sort before text, numbers numerically, text by code point, which is
/// the order `np.unique` gives for the single-type columns sklearn accepts.
#[derive(Debug, Clone)]
pub enum Label {
    Number(f64),
    Text(String),
}

impl Label {
    pub fn parse(cell: &str) -> Self {
        match cell.trim().parse::<f64>() {
            // +0.0 and -0.0 are one class; the sum folds -0.0 into +0.0.
            Ok(x) if x.is_finite() => Label::Number(x + 0.0),
            _ => Label::Text(cell.to_string()),
        }
    }
}

impl From<f64> for Label {
    fn from(x: f64) -> Self {
        Label::Number(x + 0.0)
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Label::Number(x) => write!(f, "{x}"),
            Label::Text(s) => f.write_str(s),
        }
    }
}

impl PartialEq for Label {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Label {}

impl PartialOrd for Label {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Label {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Label::Number(a), Label::Number(b)) => a.total_cmp(b),
            (Label::Number(_), Label::Text(_)) => Ordering::Less,
            (Label::Text(_), Label::Number(_)) => Ordering::Greater,
            (Label::Text(a), Label::Text(b)) => a.cmp(b),
        }
    }
}

impl Hash for Label {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            Label::Number(x) => (0u8, x.to_bits()).hash(state),
            Label::Text(s) => (1u8, s).hash(state),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_spellings_are_one_class() {
        assert_eq!(Label::parse("1"), Label::parse("1.0"));
        assert_eq!(Label::parse(" 1"), Label::parse("1e0"));
        assert_eq!(Label::parse("-0"), Label::parse("0"));
        assert_ne!(Label::parse("True"), Label::parse("true"));
        assert_eq!(Label::parse("nan"), Label::Text("nan".into()));
    }

    #[test]
    fn numbers_sort_numerically_before_text() {
        let mut v = vec![Label::parse("b"), Label::parse("10"), Label::parse("9")];
        v.sort();
        assert_eq!(
            v,
            vec![Label::parse("9"), Label::parse("10"), Label::parse("b")]
        );
    }
}
