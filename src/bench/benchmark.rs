//! The benchmarks a suite can name.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Benchmark {
    /// MLE-bench: Kaggle competitions graded against private answers and a leaderboard.
    #[serde(rename = "mle-bench")]
    MleBench,
    /// RE-Bench: AI R&D environments scored by a command in the task's container.
    #[serde(rename = "re-bench")]
    ReBench,
    /// Small generated tasks in both layouts, for smoke tests and development.
    #[serde(rename = "demo")]
    Demo,
}

impl Benchmark {
    /// The name used in suite files, which is also the directory under `benchmarks/`.
    pub fn name(self) -> &'static str {
        match self {
            Benchmark::MleBench => "mle-bench",
            Benchmark::ReBench => "re-bench",
            Benchmark::Demo => "demo",
        }
    }
}

impl fmt::Display for Benchmark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
