//! Per-seed sums for MLE-bench's per-split numbers: for each group of tasks (kind and
//! complexity) and each seed index, how many runs had each flag, and the percentile and
//! normalised-score sums. One pass over the columns of a table grouped by task, whose
//! task blocks the per-task aggregation already delimits: a hash group-by on
//! (kind, complexity, seed) costs several times the whole per-task aggregation. A block
//! whose seed indices are 0, 1, 2, ... (the usual layout) is added 64 flags at a time,
//! which also gives each task's flag counts.

use polars::prelude::*;

/// The flags counted per seed, in [`super::aggregate`]'s order.
pub const FLAGS: [&str; 8] = [
    "graded",
    "submission_exists",
    "valid_submission",
    "above_median",
    "gold_medal",
    "silver_medal",
    "bronze_medal",
    "any_medal",
];

/// Sums of one seed index over a set of tasks.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SeedSums {
    /// Runs with each of [`FLAGS`].
    pub counts: [u64; 8],
    pub percentile_sum: f64,
    pub percentile_n: u64,
    pub normalized_sum: f64,
}

/// The tasks sharing a kind and a complexity, and their sums per seed index (one vector
/// per quantity, indexed by seed).
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub kind: Option<String>,
    pub complexity: Option<String>,
    counts: [Vec<u64>; 8],
    percentile_sum: Vec<f64>,
    percentile_n: Vec<u64>,
    normalized_sum: Vec<f64>,
}

impl Group {
    fn grow(&mut self, seeds: usize) {
        if self.percentile_sum.len() < seeds {
            for c in &mut self.counts {
                c.resize(seeds, 0);
            }
            self.percentile_sum.resize(seeds, 0.0);
            self.percentile_n.resize(seeds, 0);
            self.normalized_sum.resize(seeds, 0.0);
        }
    }
}

pub struct SeedTable {
    groups: Vec<Group>,
    /// Per task block, in order: runs with each of [`FLAGS`].
    task_counts: Vec<[u64; 8]>,
}

/// One task's block of rows, in table order.
pub struct TaskBlock<'a> {
    pub rows: usize,
    pub kind: Option<&'a str>,
    pub complexity: Option<&'a str>,
}

/// Bits packed 64 rows to a word (row r: bit r % 64 of word r / 64), with a zero word
/// after the last so that 64 bits can be read from any row.
struct Bits(Vec<u64>);

impl Bits {
    fn get(&self, row: usize) -> bool {
        (self.0[row / 64] >> (row % 64)) & 1 == 1
    }

    /// The 64 bits from `row` on.
    fn word_at(&self, row: usize) -> u64 {
        let (i, shift) = (row / 64, row % 64);
        if shift == 0 {
            self.0[i]
        } else {
            (self.0[i] >> shift) | (self.0[i + 1] << (64 - shift))
        }
    }

    /// Adds bits `start..start + counts.len()` to `counts`, 64 at a time; how many were set.
    fn add_to(&self, counts: &mut [u64], start: usize) -> u64 {
        let mut ones = 0;
        for (j, block) in counts.chunks_mut(64).enumerate() {
            let mut word = self.word_at(start + 64 * j);
            if block.len() < 64 {
                word &= (1u64 << block.len()) - 1;
            }
            ones += u64::from(word.count_ones());
            for (b, count) in block.iter_mut().enumerate() {
                *count += (word >> b) & 1;
            }
        }
        ones
    }
}

/// A boolean column's bits, nulls false.
fn flag_bits(df: &DataFrame, name: &str) -> PolarsResult<Bits> {
    let ca = df.column(name)?.bool()?.rechunk();
    let mut words = Vec::with_capacity(ca.len() / 64 + 2);
    if let Some(arr) = ca.downcast_iter().next() {
        let bits = match arr.validity() {
            Some(valid) => arr.values() & valid,
            None => arr.values().clone(),
        };
        let chunks = bits.chunks::<u64>();
        let remainder = chunks.remainder();
        let partial = chunks.remainder_len() > 0;
        words.extend(chunks);
        if partial {
            words.push(remainder);
        }
    }
    words.push(0);
    Ok(Bits(words))
}

/// A float column's values, and its validity when it has nulls; `None` when every value
/// is null (no research task, no leaderboard), which then costs nothing.
fn float_values(df: &DataFrame, name: &str) -> PolarsResult<Option<(Vec<f64>, Option<Bits>)>> {
    let ca = df.column(name)?.f64()?.rechunk();
    if ca.null_count() == ca.len() {
        return Ok(None);
    }
    let Some(arr) = ca.downcast_iter().next() else {
        return Ok(None);
    };
    let valid = match arr.validity() {
        Some(v) => {
            let chunks = v.chunks::<u64>();
            let remainder = chunks.remainder();
            let partial = chunks.remainder_len() > 0;
            let mut words: Vec<u64> = chunks.collect();
            if partial {
                words.push(remainder);
            }
            words.push(0);
            Some(Bits(words))
        }
        None => None,
    };
    Ok(Some((arr.values().as_slice().to_vec(), valid)))
}

fn seed_indices(df: &DataFrame) -> PolarsResult<Vec<u32>> {
    let column = df.column("seed_index")?.cast(&DataType::UInt32)?;
    let ca = column.u32()?;
    let mut out = Vec::with_capacity(ca.len());
    for arr in ca.downcast_iter() {
        out.extend_from_slice(arr.values());
    }
    Ok(out)
}

impl SeedTable {
    /// Sums `runs`, whose rows come in `blocks` (one per task, in order, covering the
    /// table). `None` when the blocks do not cover the table exactly.
    pub fn sum(runs: &DataFrame, blocks: &[TaskBlock]) -> PolarsResult<Option<Self>> {
        if blocks.iter().map(|b| b.rows).sum::<usize>() != runs.height() {
            return Ok(None);
        }
        let seed = seed_indices(runs)?;
        let flags: Vec<Bits> = FLAGS
            .iter()
            .map(|f| flag_bits(runs, f))
            .collect::<PolarsResult<_>>()?;
        let percentile = float_values(runs, "percentile")?;
        let normalized = float_values(runs, "normalized_score")?;
        let mut groups: Vec<Group> = Vec::new();
        let mut task_counts = Vec::with_capacity(blocks.len());
        let mut start = 0;
        for block in blocks {
            let g = match groups.iter().position(|g| {
                g.kind.as_deref() == block.kind && g.complexity.as_deref() == block.complexity
            }) {
                Some(g) => g,
                None => {
                    groups.push(Group {
                        kind: block.kind.map(str::to_owned),
                        complexity: block.complexity.map(str::to_owned),
                        counts: Default::default(),
                        percentile_sum: Vec::new(),
                        percentile_n: Vec::new(),
                        normalized_sum: Vec::new(),
                    });
                    groups.len() - 1
                }
            };
            let group = &mut groups[g];
            let rows = start..start + block.rows;
            let seeds = &seed[rows.clone()];
            let in_order = seeds.iter().enumerate().all(|(i, &s)| s as usize == i);
            group.grow(seeds.iter().map(|&s| s as usize + 1).max().unwrap_or(0));
            let mut task = [0u64; 8];
            if in_order {
                for ((counts, bits), ones) in group.counts.iter_mut().zip(&flags).zip(&mut task) {
                    *ones = bits.add_to(&mut counts[..block.rows], start);
                }
            } else {
                for row in rows.clone() {
                    let s = seed[row] as usize;
                    for ((counts, bits), ones) in group.counts.iter_mut().zip(&flags).zip(&mut task)
                    {
                        let bit = u64::from(bits.get(row));
                        counts[s] += bit;
                        *ones += bit;
                    }
                }
            }
            task_counts.push(task);
            if let Some((values, valid)) = &percentile {
                for row in rows.clone() {
                    if valid.as_ref().is_none_or(|v| v.get(row)) {
                        let s = seed[row] as usize;
                        group.percentile_sum[s] += values[row];
                        group.percentile_n[s] += 1;
                    }
                }
            }
            if let Some((values, valid)) = &normalized {
                for row in rows {
                    if valid.as_ref().is_none_or(|v| v.get(row)) {
                        group.normalized_sum[seed[row] as usize] += values[row];
                    }
                }
            }
            start += block.rows;
        }
        Ok(Some(SeedTable {
            groups,
            task_counts,
        }))
    }

    /// The `block`-th task's runs with each of [`FLAGS`].
    pub fn task_counts(&self, block: usize) -> [u64; 8] {
        self.task_counts.get(block).copied().unwrap_or_default()
    }

    /// Sums over the groups `keep` selects, per seed index below `seeds`.
    pub fn per_seed(&self, seeds: usize, keep: impl Fn(&Group) -> bool) -> Vec<SeedSums> {
        let mut out = vec![SeedSums::default(); seeds];
        for group in self.groups.iter().filter(|g| keep(g)) {
            let n = seeds.min(group.percentile_sum.len());
            for (s, total) in out.iter_mut().enumerate().take(n) {
                for (c, counts) in total.counts.iter_mut().zip(&group.counts) {
                    *c += counts[s];
                }
                total.percentile_sum += group.percentile_sum[s];
                total.percentile_n += group.percentile_n[s];
                total.normalized_sum += group.normalized_sum[s];
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two tasks of one group, 70 and 130 seeds (blocks cross word boundaries), with the
    /// seeds of the second in reverse order (the row-by-row path).
    fn table(reverse: bool) -> (DataFrame, Vec<usize>) {
        let sizes = [70usize, 130];
        let mut seed = Vec::new();
        let mut flag = Vec::new();
        let mut pct = Vec::new();
        for (t, &n) in sizes.iter().enumerate() {
            let order: Vec<u32> = if reverse && t == 1 {
                (0..n as u32).rev().collect()
            } else {
                (0..n as u32).collect()
            };
            for s in order {
                seed.push(s);
                flag.push((s * 7 + t as u32).is_multiple_of(3));
                pct.push((s % 5 != 0).then_some(f64::from(s)));
            }
        }
        let n = seed.len();
        let mut columns: Vec<Column> = vec![
            Series::new("seed_index".into(), seed).into(),
            Series::new("percentile".into(), pct).into(),
            Series::new("normalized_score".into(), vec![None::<f64>; n]).into(),
        ];
        for f in FLAGS {
            columns.push(Series::new(f.into(), flag.clone()).into());
        }
        (DataFrame::new(n, columns).unwrap(), sizes.to_vec())
    }

    #[test]
    fn in_order_and_shuffled_blocks_sum_alike() {
        let sums = |reverse| {
            let (df, sizes) = table(reverse);
            let blocks: Vec<TaskBlock> = sizes
                .iter()
                .map(|&rows| TaskBlock {
                    rows,
                    kind: Some("competition"),
                    complexity: None,
                })
                .collect();
            SeedTable::sum(&df, &blocks)
                .unwrap()
                .unwrap()
                .per_seed(130, |_| true)
        };
        let (a, b) = (sums(false), sums(true));
        assert_eq!(a, b);
        // Seed 0: both tasks flag it only if (0 + t) % 3 == 0: task 0 does.
        assert_eq!(a[0].counts[7], 1);
        // Seeds 70.. exist only in the second task.
        let direct = (100..130u32)
            .filter(|s| (s * 7 + 1).is_multiple_of(3))
            .count() as u64;
        assert_eq!(a[100..].iter().map(|s| s.counts[0]).sum::<u64>(), direct);
        assert_eq!(a[5].percentile_n, 0);
        assert_eq!(a[6].percentile_n, 2);
    }
}
