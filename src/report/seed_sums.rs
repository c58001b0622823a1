//! Per-seed sums for MLE-bench's per-split numbers: for each group of tasks (kind and
//! complexity) and each seed index, how many runs had each flag, and the percentile and
//! normalised-score sums. One pass over the columns of a table sorted by task, whose
//! task blocks the per-task aggregation already delimits: a hash group-by on
//! (kind, complexity, seed) would cost several times the whole per-task aggregation.

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

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SeedSums {
    /// Runs with each of [`FLAGS`].
    pub counts: [u64; 8],
    pub percentile_sum: f64,
    pub percentile_n: u64,
    pub normalized_sum: f64,
}

impl SeedSums {
    fn add(&mut self, other: &SeedSums) {
        for (a, b) in self.counts.iter_mut().zip(other.counts) {
            *a += b;
        }
        self.percentile_sum += other.percentile_sum;
        self.percentile_n += other.percentile_n;
        self.normalized_sum += other.normalized_sum;
    }
}

/// The tasks sharing a kind and a complexity, and their sums per seed index.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub kind: Option<String>,
    pub complexity: Option<String>,
    pub seeds: Vec<SeedSums>,
}

pub struct SeedTable {
    groups: Vec<Group>,
}

/// One task's block of rows, in table order.
pub struct TaskBlock<'a> {
    pub rows: usize,
    pub kind: Option<&'a str>,
    pub complexity: Option<&'a str>,
}

fn bools(df: &DataFrame, name: &str) -> PolarsResult<Vec<bool>> {
    let ca = df.column(name)?.bool()?;
    let mut out = Vec::with_capacity(ca.len());
    for arr in ca.downcast_iter() {
        match arr.validity() {
            None => out.extend(arr.values_iter()),
            Some(valid) => out.extend(arr.values_iter().zip(valid.iter()).map(|(v, ok)| v && ok)),
        }
    }
    Ok(out)
}

/// Values with nulls as `None`.
fn floats(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<f64>>> {
    Ok(df.column(name)?.f64()?.iter().collect())
}

fn indices(df: &DataFrame, name: &str) -> PolarsResult<Vec<u32>> {
    let column = df.column(name)?.cast(&DataType::UInt32)?;
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
        let seed = indices(runs, "seed_index")?;
        let flags: Vec<Vec<bool>> = FLAGS
            .iter()
            .map(|f| bools(runs, f))
            .collect::<PolarsResult<_>>()?;
        let percentile = floats(runs, "percentile")?;
        let normalized = floats(runs, "normalized_score")?;
        let mut groups: Vec<Group> = Vec::new();
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
                        seeds: Vec::new(),
                    });
                    groups.len() - 1
                }
            };
            let sums = &mut groups[g].seeds;
            for row in start..start + block.rows {
                let s = seed[row] as usize;
                if sums.len() <= s {
                    sums.resize(s + 1, SeedSums::default());
                }
                let sum = &mut sums[s];
                for (count, flag) in sum.counts.iter_mut().zip(&flags) {
                    *count += u64::from(flag[row]);
                }
                if let Some(p) = percentile[row] {
                    sum.percentile_sum += p;
                    sum.percentile_n += 1;
                }
                sum.normalized_sum += normalized[row].unwrap_or(0.0);
            }
            start += block.rows;
        }
        Ok(Some(SeedTable { groups }))
    }

    /// Sums over the groups `keep` selects, per seed index below `seeds`.
    pub fn per_seed(&self, seeds: usize, keep: impl Fn(&Group) -> bool) -> Vec<SeedSums> {
        let mut out = vec![SeedSums::default(); seeds];
        for group in self.groups.iter().filter(|g| keep(g)) {
            for (total, sums) in out.iter_mut().zip(&group.seeds) {
                total.add(sums);
            }
        }
        out
    }
}
