//! Permutation tests for "did this run get worse than its baseline", fit for a handful of
//! seeds: exact where the number of rearrangements is small, Monte Carlo with a fixed seed
//! (so a report is reproducible) where it is not; and Holm's correction for testing many
//! tasks at once. See docs/report.md for why these tests.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

/// Above this many rearrangements a test samples instead of enumerating.
const EXACT_LIMIT: u64 = 1 << 20;
/// Samples of a Monte Carlo test: its p-value is then within about 0.005 of the exact one,
/// and as small as 1e-4, below what Holm's correction over a hundred tests asks.
const SAMPLES: usize = 10_000;

/// Sums within this (relative) distance count as ties, so that rounding in a sum never
/// decides a test.
fn tolerance(values: &[f64]) -> f64 {
    1e-9 * (1.0 + values.iter().map(|v| v.abs()).sum::<f64>())
}

/// One-sided p-value of "`current` is lower than `baseline`" for one task: the share of
/// all ways to split the pooled seeds into groups of these sizes whose `current` group
/// does at most as well as observed (a permutation test on the difference of means; on
/// 0/1 outcomes it is Fisher's exact test). `None` when either side is empty.
pub fn permutation_p_lower(current: &[f64], baseline: &[f64]) -> Option<f64> {
    stratified_p_lower(&[(current.to_vec(), baseline.to_vec())])
}

/// One-sided p-value of "`current` is lower than `baseline`" over several tasks: seeds are
/// relabelled at random within each task (never across tasks, whose levels differ), and
/// the statistic is the sum over tasks of mean(current) - mean(baseline). Each stratum is
/// (current, baseline); strata with an empty side are ignored. `None` if none is left.
pub fn stratified_p_lower(strata: &[(Vec<f64>, Vec<f64>)]) -> Option<f64> {
    let strata: Vec<Stratum> = strata
        .iter()
        .filter(|(c, b)| !c.is_empty() && !b.is_empty())
        .map(|(c, b)| Stratum::new(c, b))
        .collect();
    if strata.is_empty() {
        return None;
    }
    let observed: f64 = strata.iter().map(|s| s.observed).sum::<f64>()
        + tolerance(
            &strata
                .iter()
                .flat_map(|s| s.pooled.iter().copied())
                .collect::<Vec<_>>(),
        );
    let arrangements = strata.iter().try_fold(1u64, |acc, s| {
        binomial(s.pooled.len() as u64, s.m as u64).and_then(|c| acc.checked_mul(c))
    });
    let p = match arrangements.filter(|&a| a <= EXACT_LIMIT) {
        Some(total) => {
            // Every value the statistic can take, one per arrangement.
            let mut sums = vec![0.0f64];
            for s in &strata {
                let deltas = s.all_deltas();
                sums = sums
                    .iter()
                    .flat_map(|a| deltas.iter().map(move |d| a + d))
                    .collect();
            }
            sums.iter().filter(|&&t| t <= observed).count() as f64 / total as f64
        }
        None => {
            let mut rng = ChaCha8Rng::seed_from_u64(0);
            let mut shuffled: Vec<Vec<f64>> = strata.iter().map(|s| s.pooled.clone()).collect();
            let hits = (0..SAMPLES)
                .filter(|_| {
                    let t: f64 = strata
                        .iter()
                        .zip(shuffled.iter_mut())
                        .map(|(s, values)| {
                            values.shuffle(&mut rng);
                            s.delta(values[..s.m].iter().sum())
                        })
                        .sum();
                    t <= observed
                })
                .count();
            (hits + 1) as f64 / (SAMPLES + 1) as f64
        }
    };
    Some(p)
}

/// One task's seeds, pooled: the first `m` are the current run's.
struct Stratum {
    pooled: Vec<f64>,
    m: usize,
    total: f64,
    observed: f64,
}

impl Stratum {
    fn new(current: &[f64], baseline: &[f64]) -> Self {
        let pooled: Vec<f64> = current.iter().chain(baseline).copied().collect();
        let total = pooled.iter().sum();
        let mut s = Stratum {
            m: current.len(),
            pooled,
            total,
            observed: 0.0,
        };
        s.observed = s.delta(current.iter().sum());
        s
    }

    /// mean(current) - mean(baseline) when the current group sums to `current_sum`.
    fn delta(&self, current_sum: f64) -> f64 {
        let n = self.pooled.len() - self.m;
        current_sum / self.m as f64 - (self.total - current_sum) / n as f64
    }

    fn all_deltas(&self) -> Vec<f64> {
        let mut out = Vec::new();
        for_each_combination(self.pooled.len(), self.m, &mut |chosen| {
            out.push(self.delta(chosen.iter().map(|&i| self.pooled[i]).sum()));
        });
        out
    }
}

/// Holm's step-down adjustment: controls the chance of any false flag among `p` at the
/// chosen level, without assuming the tests independent. Same order as `p`.
pub fn holm(p: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let m = p.len();
    let mut adjusted = vec![0.0; m];
    let mut running = 0.0f64;
    for (rank, &i) in order.iter().enumerate() {
        running = running.max(((m - rank) as f64 * p[i]).min(1.0));
        adjusted[i] = running;
    }
    adjusted
}

fn binomial(n: u64, k: u64) -> Option<u64> {
    let k = k.min(n - k);
    (0..k).try_fold(1u64, |acc, i| acc.checked_mul(n - i).map(|v| v / (i + 1)))
}

/// Calls `f` with every k-subset of 0..n (as sorted indices).
fn for_each_combination(n: usize, k: usize, f: &mut impl FnMut(&[usize])) {
    let mut chosen: Vec<usize> = (0..k).collect();
    loop {
        f(&chosen);
        // Advance the rightmost index that can still move right.
        let Some(i) = (0..k).rev().find(|&i| chosen[i] < n - k + i) else {
            return;
        };
        chosen[i] += 1;
        for j in i + 1..k {
            chosen[j] = chosen[j - 1] + 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_against_three_all_lost_is_one_in_twenty() {
        // Fisher's exact test, one-sided: 3/3 medals before, 0/3 after.
        let p = permutation_p_lower(&[0.0, 0.0, 0.0], &[1.0, 1.0, 1.0]).unwrap();
        assert!((p - 0.05).abs() < 1e-12, "{p}");
    }

    #[test]
    fn equal_groups_are_not_evidence() {
        let p = permutation_p_lower(&[0.5, 0.5], &[0.5, 0.5]).unwrap();
        assert_eq!(p, 1.0);
    }

    #[test]
    fn strata_multiply_the_evidence() {
        // Two tasks, each 3/3 before and 0/3 after: (1/20)^2.
        let lost = (vec![0.0; 3], vec![1.0; 3]);
        let p = stratified_p_lower(&[lost.clone(), lost]).unwrap();
        assert!((p - 0.0025).abs() < 1e-12, "{p}");
        assert_eq!(stratified_p_lower(&[(vec![], vec![1.0])]), None);
    }

    #[test]
    fn combinations_are_all_visited_once() {
        let mut seen = Vec::new();
        for_each_combination(5, 2, &mut |c| seen.push(c.to_vec()));
        assert_eq!(seen.len(), 10);
        seen.dedup();
        assert_eq!(seen.len(), 10);
        assert_eq!(binomial(5, 2), Some(10));
    }

    #[test]
    fn holm_multiplies_by_remaining_tests_and_stays_monotone() {
        let adj = holm(&[0.01, 0.04, 0.03]);
        assert_eq!(adj, vec![0.03, 0.06, 0.06]);
    }
}
