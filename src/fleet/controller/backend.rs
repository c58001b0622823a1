//! Where runs execute: the local executor (child processes, GPUs from the controller's
//! pool) or the Kubernetes executor (Jobs; the cluster schedules GPUs).

use std::sync::Arc;
use std::time::Duration;

use super::super::executor::{LaunchSpec, RunKey};
use super::super::kube::{JobExecutor, KubeError};
use super::super::local::{LocalError, LocalExecutor};

/// Seconds the agents get to checkpoint after SIGTERM on cancel.
const CANCEL_GRACE: Duration = Duration::from_secs(15);

/// Why an executor could not do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error(transparent)]
    Local(#[from] LocalError),
    #[error(transparent)]
    Kube(#[from] KubeError),
}

#[derive(Clone)]
pub enum Backend {
    Local(LocalExecutor),
    Kube(Arc<JobExecutor>),
}

impl Backend {
    pub(super) fn name(&self) -> &'static str {
        match self {
            Backend::Local(_) => "local",
            Backend::Kube(_) => "kube",
        }
    }

    pub(super) async fn launch(
        &self,
        spec: &LaunchSpec,
        gpus: &[u32],
    ) -> Result<String, BackendError> {
        Ok(match self {
            Backend::Local(l) => l.launch(spec, gpus)?,
            Backend::Kube(k) => k.launch(spec).await?,
        })
    }

    pub(super) async fn cancel_all(&self) {
        match self {
            Backend::Local(l) => l.cancel_all(CANCEL_GRACE).await,
            Backend::Kube(k) => {
                let _ = k.cancel_all().await;
            }
        }
    }

    /// The agent's log, for backends that do not write it into the store themselves.
    pub(super) async fn log(&self, key: &RunKey) -> Option<String> {
        match self {
            Backend::Local(_) => None,
            Backend::Kube(k) => k.logs(key).await.ok().flatten(),
        }
    }

    /// Runs whose work is still going on in the backend (Kubernetes Jobs survive their
    /// controller; local agents do not).
    pub(super) async fn active(&self) -> Result<Vec<RunKey>, BackendError> {
        Ok(match self {
            Backend::Local(_) => Vec::new(),
            Backend::Kube(k) => k.active().await?.into_iter().map(|(key, _)| key).collect(),
        })
    }
}
