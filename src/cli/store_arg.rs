//! The store named by `--store` and `--s3-endpoint`, as `run`, `status` and `report` open it.

use crate::store::{Store, StoreOptions};

use super::exit::Failure;

/// Opens `url` (a directory or `s3://bucket/prefix`); a store that cannot be opened is bad
/// input (exit 2).
pub async fn open_store(url: &str, s3_endpoint: Option<&str>) -> Result<Store, Failure> {
    let opts = StoreOptions {
        s3_endpoint: s3_endpoint.map(str::to_owned),
        ..StoreOptions::default()
    };
    Store::open(url, &opts).await.map_err(Failure::usage)
}
