//! GPU discovery and accounting for the local executor: each run gets its own GPUs
//! through `CUDA_VISIBLE_DEVICES`, unless the suite allows sharing.

use std::collections::BTreeSet;
use std::process::Command;

/// The machine's GPUs: `AIDE_FLEET_GPUS` (e.g. `0,1`, or empty for none) when set,
/// else the indices `nvidia-smi -L` lists, else none.
pub fn discover() -> (Vec<u32>, String) {
    if let Ok(list) = std::env::var("AIDE_FLEET_GPUS") {
        let ids = list
            .split(',')
            .filter_map(|s| s.trim().parse().ok())
            .collect();
        return (ids, "from AIDE_FLEET_GPUS".to_string());
    }
    match Command::new("nvidia-smi").arg("-L").output() {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            (parse_nvidia_smi(&text), "from nvidia-smi -L".to_string())
        }
        _ => (Vec::new(), "nvidia-smi not found".to_string()),
    }
}

/// Lines like `GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-...)`.
fn parse_nvidia_smi(text: &str) -> Vec<u32> {
    text.lines()
        .filter_map(|l| l.strip_prefix("GPU "))
        .filter_map(|rest| rest.split(':').next()?.trim().parse().ok())
        .collect()
}

/// Hands out GPU indices. Without sharing a GPU belongs to one run at a time; with
/// sharing, runs take the least-used GPUs.
#[derive(Debug)]
pub struct GpuPool {
    all: Vec<u32>,
    busy: Vec<u32>,
    sharing: bool,
}

impl GpuPool {
    pub fn new(all: Vec<u32>, sharing: bool) -> Self {
        let busy = vec![0; all.len()];
        Self { all, busy, sharing }
    }

    pub fn len(&self) -> usize {
        self.all.len()
    }

    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }

    /// `n` GPUs, or `None` when they are not free now.
    pub fn take(&mut self, n: u32) -> Option<Vec<u32>> {
        let n = n as usize;
        if n == 0 {
            return Some(Vec::new());
        }
        if n > self.all.len() {
            return None;
        }
        let mut order: Vec<usize> = (0..self.all.len())
            .filter(|&i| self.sharing || self.busy[i] == 0)
            .collect();
        if order.len() < n {
            return None;
        }
        order.sort_by_key(|&i| (self.busy[i], i));
        let picked: BTreeSet<usize> = order.into_iter().take(n).collect();
        for &i in &picked {
            self.busy[i] += 1;
        }
        Some(picked.into_iter().map(|i| self.all[i]).collect())
    }

    pub fn give_back(&mut self, gpus: &[u32]) {
        for g in gpus {
            if let Some(i) = self.all.iter().position(|a| a == g) {
                self.busy[i] = self.busy[i].saturating_sub(1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nvidia_smi_lines_give_indices() {
        let text = "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-1)\nGPU 1: NVIDIA H100 (UUID: GPU-2)\n";
        assert_eq!(parse_nvidia_smi(text), vec![0, 1]);
        assert!(parse_nvidia_smi("No devices were found").is_empty());
    }

    #[test]
    fn gpus_are_exclusive_unless_shared() {
        let mut pool = GpuPool::new(vec![0, 1], false);
        assert_eq!(pool.take(1), Some(vec![0]));
        assert_eq!(pool.take(1), Some(vec![1]));
        assert_eq!(pool.take(1), None);
        pool.give_back(&[0]);
        assert_eq!(pool.take(1), Some(vec![0]));
        assert_eq!(pool.take(3), None);

        let mut shared = GpuPool::new(vec![0, 1], true);
        assert_eq!(shared.take(1), Some(vec![0]));
        assert_eq!(shared.take(1), Some(vec![1]));
        assert_eq!(shared.take(2), Some(vec![0, 1]));
    }
}
