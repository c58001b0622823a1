//! Connecting to the cluster. The crate links two rustls crypto providers (ring through
//! kube and reqwest, aws-lc-rs through the AWS SDK); kube-rs uses the process default,
//! which rustls cannot choose between two, so one is installed here first.

use ::kube::{Client, Config};

use super::error::KubeError;

/// A client for `config`.
pub fn client(config: Config) -> Result<Client, KubeError> {
    // Err means a provider is installed already, which is as good.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::try_from(config).map_err(KubeError::api("build a Kubernetes client"))
}

/// The cluster of `KUBECONFIG` (or `~/.kube/config`), else the pod's own service account.
pub async fn connect() -> Result<Client, KubeError> {
    client(Config::infer().await?)
}
