//! The node label that selects a GPU model: NVIDIA GPU Feature Discovery's
//! `nvidia.com/gpu.product`, whose values depend on the card (and the cloud's variant of
//! it), hence a table a suite can extend (`executor.kube.gpu_products`).

use std::collections::BTreeMap;

pub const GPU_RESOURCE: &str = "nvidia.com/gpu";
pub const GPU_PRODUCT_LABEL: &str = "nvidia.com/gpu.product";

/// Products as GPU Feature Discovery reports the cards benchmarks name (RE-Bench: h100;
/// MLE-bench: a10, which AWS sells as the A10G).
const BUILT_IN: [(&str, &str); 6] = [
    ("h100", "NVIDIA-H100-80GB-HBM3"),
    ("h200", "NVIDIA-H200"),
    ("a100", "NVIDIA-A100-SXM4-80GB"),
    ("a10", "NVIDIA-A10G"),
    ("l4", "NVIDIA-L4"),
    ("t4", "Tesla-T4"),
];

/// The product label value for `gpu_type`: the suite's table first, then the built-in one.
pub fn product<'a>(gpu_type: &str, overrides: &'a BTreeMap<String, String>) -> Option<&'a str> {
    let gpu_type = gpu_type.to_ascii_lowercase();
    overrides.get(&gpu_type).map(String::as_str).or_else(|| {
        BUILT_IN
            .iter()
            .find(|(t, _)| *t == gpu_type)
            .map(|(_, p)| *p)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suite_table_wins_over_built_in() {
        let mut table = BTreeMap::new();
        assert_eq!(product("H100", &table), Some("NVIDIA-H100-80GB-HBM3"));
        table.insert("h100".to_owned(), "NVIDIA-H100-PCIe".to_owned());
        assert_eq!(product("h100", &table), Some("NVIDIA-H100-PCIe"));
        assert_eq!(product("v100", &table), None);
    }
}
