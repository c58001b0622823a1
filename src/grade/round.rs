//! MLE-bench's score rounding.

/// Rounds to 5 decimals the way numpy's `round(x, 5)` does (scale, round half to even,
/// unscale). Python's float `round` is correctly rounded in decimal instead; the two differ
/// only for values within one ulp of a half-way point.
pub fn round_score(x: f64) -> f64 {
    if !x.is_finite() {
        return x;
    }
    let scaled = x * 1e5;
    // Beyond 2^52 every f64 is an integer; scaling cannot be undone exactly, keep x.
    if scaled.abs() >= 4_503_599_627_370_496.0 {
        return x;
    }
    scaled.round_ties_even() / 1e5
}

#[cfg(test)]
mod tests {
    use super::round_score;

    #[test]
    fn rounds_half_to_even_at_five_decimals() {
        assert_eq!(round_score(0.123456), 0.12346);
        assert_eq!(round_score(0.5), 0.5);
        assert_eq!(round_score(-1.000004), -1.0);
        assert_eq!(round_score(24402200.0), 24402200.0);
        assert_eq!(round_score(0.5995950000000001), 0.5996);
    }
}
