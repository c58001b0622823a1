//! Errors of the Kubernetes executor. A failed run is an `ExecEvent`, not one of these:
//! these are the calls to the API server that did not go through.

use super::RenderError;

#[derive(Debug, thiserror::Error)]
pub enum KubeError {
    #[error(transparent)]
    Render(#[from] RenderError),
    // Foreign errors keep their detail in `source()`; `describe` brings it into the message.
    #[error("cannot find the cluster: {}", crate::causes::describe(.0))]
    Config(::kube::config::InferConfigError),
    #[error("cannot {action}: {}", crate::causes::describe(cause))]
    Api {
        action: String,
        cause: ::kube::Error,
    },
    /// A Job of that name exists but is not this attempt of this run (a name collision).
    #[error("job {name} already exists and belongs to another run or attempt")]
    Foreign { name: String },
}

crate::causes::cause_from!(KubeError::Config(::kube::config::InferConfigError));

impl KubeError {
    pub(super) fn api(action: impl Into<String>) -> impl FnOnce(::kube::Error) -> KubeError {
        let action = action.into();
        move |cause| KubeError::Api { action, cause }
    }
}
