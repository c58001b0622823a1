//! The check `aide-fleet run` makes before it dispatches anything: does the endpoint
//! each model's requests go to answer at all? One request to its model list; a dead
//! endpoint then costs seconds instead of every attempt of every run.

use std::time::Duration;

use super::Llm;
use super::client::BaseSource;

/// Long enough for a loaded server, short enough that a black hole fails fast.
const PREFLIGHT_TIMEOUT: Duration = Duration::from_secs(15);

/// Why an endpoint failed the check. Both mean that every run would fail.
#[derive(Debug, thiserror::Error)]
pub enum PreflightError {
    #[error("the {provider} endpoint {url} ({set_by}) does not answer: {reason}")]
    Unreachable {
        provider: &'static str,
        url: String,
        set_by: String,
        reason: String,
    },
    #[error(
        "the {provider} endpoint {url} ({set_by}) refused the request: HTTP {status}; check {key_var}"
    )]
    Refused {
        provider: &'static str,
        url: String,
        set_by: String,
        status: u16,
        key_var: &'static str,
    },
}

impl Llm {
    /// Asks the endpoint that `model`'s requests go to for its model list. Any HTTP answer
    /// but 401/403 passes: some servers have no model list, and a 404 still proves that
    /// something answers there.
    pub async fn preflight(&self, model: &str) -> Result<(), PreflightError> {
        let (endpoint, provider, key_var) = self.route(model);
        let set_by = match endpoint.set_by {
            BaseSource::Config => "set by llm.base_url".to_owned(),
            BaseSource::Env => format!("set by {}", endpoint.env_var),
            BaseSource::Default => format!("the default; {} is not set", endpoint.env_var),
        };
        let url = endpoint.models.to_string();
        let answer = self
            .http()
            .get(endpoint.models.clone())
            .headers(endpoint.headers.clone())
            .timeout(PREFLIGHT_TIMEOUT)
            .send()
            .await;
        match answer {
            Err(e) => Err(PreflightError::Unreachable {
                provider,
                url,
                set_by,
                reason: crate::causes::describe(&e),
            }),
            Ok(resp) if matches!(resp.status().as_u16(), 401 | 403) => {
                Err(PreflightError::Refused {
                    provider,
                    url,
                    set_by,
                    status: resp.status().as_u16(),
                    key_var,
                })
            }
            Ok(_) => Ok(()),
        }
    }
}
