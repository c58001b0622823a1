//! What the Kubernetes executor needs for one run group: the suite's `executor: kube:`
//! settings plus what the controller knows at launch (the run id, the store).

use std::time::Duration;

use crate::bench::KubeExecutor;

#[derive(Debug, Clone, PartialEq)]
pub struct KubeRunConfig {
    /// The run group; labels every Job so that one watch and one delete cover them all.
    pub run_id: String,
    pub settings: KubeExecutor,
    /// The store as the pods reach it (`s3://bucket/prefix`), handed to `--store`.
    pub store: String,
    /// An S3-compatible endpoint for the pods, handed to `--s3-endpoint` and `s5cmd`.
    pub s3_endpoint: Option<String>,
    /// A pod that cannot pull its image for this long fails its attempt (the Job is
    /// deleted): retrying a missing image only burns the deadline.
    pub image_pull_timeout: Duration,
    /// A pod unschedulable for this long is logged and listed by `JobExecutor::waiting`;
    /// it keeps waiting, since capacity (GPUs) may free up.
    pub unschedulable_after: Duration,
}

impl KubeRunConfig {
    pub fn new(
        run_id: impl Into<String>,
        settings: KubeExecutor,
        store: impl Into<String>,
    ) -> Self {
        Self {
            run_id: run_id.into(),
            settings,
            store: store.into(),
            s3_endpoint: None,
            image_pull_timeout: Duration::from_secs(600),
            unschedulable_after: Duration::from_secs(300),
        }
    }
}
