//! The one place where medals and the other report flags are counted: MLE-bench's
//! grading-report totals, its aggregation's per-seed counts and `--grading-reports`'
//! check of stated totals all come from [`MedalCounts::of`].

/// The flags of one competition report that MLE-bench counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flags {
    pub submission_exists: bool,
    pub valid_submission: bool,
    pub above_median: bool,
    pub gold_medal: bool,
    pub silver_medal: bool,
    pub bronze_medal: bool,
}

impl Flags {
    /// MLE-bench's aggregation counts a medal of any colour, whatever the report's own
    /// `any_medal` says.
    pub fn any_medal(&self) -> bool {
        self.gold_medal || self.silver_medal || self.bronze_medal
    }
}

/// Counts over a set of competition reports (one seed, or a whole grading report).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MedalCounts {
    pub total_competitions: usize,
    pub submission_exists: usize,
    pub valid_submissions: usize,
    pub above_median: usize,
    pub gold_medals: usize,
    pub silver_medals: usize,
    pub bronze_medals: usize,
    pub any_medals: usize,
}

impl MedalCounts {
    pub fn of(reports: impl IntoIterator<Item = Flags>) -> Self {
        let mut c = MedalCounts::default();
        for f in reports {
            let add = |n: &mut usize, flag: bool| *n += usize::from(flag);
            c.total_competitions += 1;
            add(&mut c.submission_exists, f.submission_exists);
            add(&mut c.valid_submissions, f.valid_submission);
            add(&mut c.above_median, f.above_median);
            add(&mut c.gold_medals, f.gold_medal);
            add(&mut c.silver_medals, f.silver_medal);
            add(&mut c.bronze_medals, f.bronze_medal);
            add(&mut c.any_medals, f.any_medal());
        }
        c
    }

    /// `calculate_metrics_for_a_seed`: the metric names and values in the script's order
    /// (`count / total * 100`, in that order of operations).
    pub fn metrics(&self) -> [(&'static str, f64); 8] {
        let total = self.total_competitions as f64;
        let pct = |c: usize| c as f64 / total * 100.0;
        [
            ("total_competitions", total),
            ("submission_exists_percentage", pct(self.submission_exists)),
            ("valid_submissions_percentage", pct(self.valid_submissions)),
            ("above_median_percentage", pct(self.above_median)),
            ("gold_medal_percentage", pct(self.gold_medals)),
            ("silver_medal_percentage", pct(self.silver_medals)),
            ("bronze_medal_percentage", pct(self.bronze_medals)),
            ("any_medal_percentage", pct(self.any_medals)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn medal(gold: bool, silver: bool, bronze: bool) -> Flags {
        Flags {
            submission_exists: true,
            valid_submission: true,
            gold_medal: gold,
            silver_medal: silver,
            bronze_medal: bronze,
            ..Flags::default()
        }
    }

    #[test]
    fn a_medal_of_any_colour_counts_once() {
        let counts = MedalCounts::of([
            medal(true, false, false),
            medal(false, true, true),
            medal(false, false, false),
            Flags::default(),
        ]);
        assert_eq!(counts.total_competitions, 4);
        assert_eq!(counts.submission_exists, 3);
        assert_eq!(counts.gold_medals, 1);
        assert_eq!(counts.silver_medals, 1);
        assert_eq!(counts.bronze_medals, 1);
        assert_eq!(counts.any_medals, 2);
        assert_eq!(counts.metrics()[7], ("any_medal_percentage", 50.0));
    }
}
