//! What one run of a task needs from the machine it runs on.

use serde::{Deserialize, Serialize};

use super::Quantity;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    pub cpus: u32,
    pub memory: Quantity,
    #[serde(default)]
    pub gpus: u32,
    /// Lower-case model name as RE-Bench writes it (`h100`, `a10`); the executor maps it to a
    /// node label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu_type: Option<String>,
    /// Scratch disk for the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<Quantity>,
}

impl Resources {
    /// What is wrong with these values, as (field relative to this section, message).
    pub(crate) fn problems(&self) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        if self.cpus == 0 {
            problems.push(("cpus", "must be at least 1".to_owned()));
        }
        if self.memory.bytes() == 0 {
            problems.push(("memory", "must be more than 0".to_owned()));
        }
        if self.gpus == 0 && self.gpu_type.is_some() {
            problems.push(("gpu_type", "is set, but `gpus` is 0".to_owned()));
        }
        problems
    }
}
