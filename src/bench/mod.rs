//! Benchmark manifests: MLE-bench registry and splits, RE-Bench tasks, demo tasks, suites.
