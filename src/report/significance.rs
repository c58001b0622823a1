//! Permutation tests for "did this run get worse than its baseline", fit for a handful of
//! seeds: exact where the number of rearrangements is small, Monte Carlo with a fixed seed
//! (so a report is reproducible) where it is not; and Holm's correction for testing many
//! tasks at once. See docs/report.md for why these tests.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Above this many rearrangements a test samples instead of enumerating.
const EXACT_LIMIT: u64 = 1 << 20;
/// Samples of a Monte Carlo test; its p-value is then within about 0.002 of the exact one.
const SAMPLES: usize = 100_000;

/// Sums within this (relative) distance count as ties, so that rounding in a sum never
/// decides a test.
fn tolerance(values: &[f64]) -> f64 {
    1e-9 * (1.0 + values.iter().map(|v| v.abs()).sum::<f64>())
}

/// One-sided p-value of "`current` is lower than `baseline`": the share of all ways to
/// split the pooled values into groups of these sizes whose `current` group sums to at
/// most the observed sum (a permutation test on the difference of means; on 0/1 values it
/// is Fisher's exact test). `None` when either side is empty.
pub fn permutation_p_lower(current: &[f64], baseline: &[f64]) -> Option<f64> {
    if current.is_empty() || baseline.is_empty() {
        return None;
    }
    let pooled: Vec<f64> = current.iter().chain(baseline).copied().collect();
    let observed: f64 = current.iter().sum::<f64>() + tolerance(&pooled);
    let (n, m) = (pooled.len(), current.len());
    let p = match binomial(n as u64, m as u64).filter(|&c| c <= EXACT_LIMIT) {
        Some(total) => {
            let mut hits = 0u64;
            for_each_combination(n, m, &mut |chosen| {
                if chosen.iter().map(|&i| pooled[i]).sum::<f64>() <= observed {
                    hits += 1;
                }
            });
            hits as f64 / total as f64
        }
        None => {
            let mut rng = ChaCha8Rng::seed_from_u64(0);
            let mut shuffled = pooled.clone();
            let hits = (0..SAMPLES)
                .filter(|_| {
                    shuffled.shuffle(&mut rng);
                    shuffled[..m].iter().sum::<f64>() <= observed
                })
                .count();
            (hits + 1) as f64 / (SAMPLES + 1) as f64
        }
    };
    Some(p)
}

/// One-sided p-value of "these paired differences (current - baseline, one per task) are
/// negative on the whole": the share of the 2^n sign assignments whose sum is at most the
/// observed sum (a sign-flip permutation test). `None` without differences.
pub fn sign_flip_p_lower(diffs: &[f64]) -> Option<f64> {
    if diffs.is_empty() {
        return None;
    }
    let observed: f64 = diffs.iter().sum::<f64>() + tolerance(diffs);
    // A zero difference adds nothing whatever its sign.
    let magnitudes: Vec<f64> = diffs.iter().map(|d| d.abs()).filter(|&d| d > 0.0).collect();
    let n = magnitudes.len();
    if n == 0 {
        return Some(1.0);
    }
    let p = if n <= 20 {
        let total = 1u64 << n;
        let hits = (0..total)
            .filter(|mask| {
                let sum: f64 = magnitudes
                    .iter()
                    .enumerate()
                    .map(|(i, d)| if mask >> i & 1 == 1 { -d } else { *d })
                    .sum();
                sum <= observed
            })
            .count();
        hits as f64 / total as f64
    } else {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let hits = (0..SAMPLES)
            .filter(|_| {
                let sum: f64 = magnitudes
                    .iter()
                    .map(|d| if rng.random::<bool>() { -d } else { *d })
                    .sum();
                sum <= observed
            })
            .count();
        (hits + 1) as f64 / (SAMPLES + 1) as f64
    };
    Some(p)
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
        assert_eq!(sign_flip_p_lower(&[0.0, 0.0]), Some(1.0));
    }

    #[test]
    fn sign_flip_counts_every_assignment() {
        // Differences -1, -2, -3: only the all-negative assignment (sum -6) is <= -6.
        let p = sign_flip_p_lower(&[-1.0, -2.0, -3.0]).unwrap();
        assert!((p - 1.0 / 8.0).abs() < 1e-12);
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
