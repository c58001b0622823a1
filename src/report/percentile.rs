//! Our leaderboard percentile (MLE-bench has none): the percentage of leaderboard teams a
//! score strictly beats. The leaderboard is sorted once, so each score costs a binary
//! search instead of a pass over every team.

use crate::grade::Leaderboard;

#[derive(Debug, Clone, PartialEq)]
pub struct PercentileTable {
    /// Ascending.
    sorted: Vec<f64>,
    lower_is_better: bool,
}

impl PercentileTable {
    pub fn new(leaderboard: &Leaderboard) -> Self {
        let mut sorted = leaderboard.scores().to_vec();
        sorted.sort_by(f64::total_cmp);
        PercentileTable {
            sorted,
            lower_is_better: leaderboard.is_lower_better(),
        }
    }

    /// 0 to 100; a missing score (no or invalid submission) beats no team, so 0 too.
    pub fn percentile(&self, score: Option<f64>) -> f64 {
        let Some(x) = score.filter(|x| !x.is_nan()) else {
            return 0.0;
        };
        let beaten = if self.lower_is_better {
            self.sorted.len() - self.sorted.partition_point(|&s| s <= x)
        } else {
            self.sorted.partition_point(|&s| s < x)
        };
        100.0 * beaten as f64 / self.sorted.len() as f64
    }
}
