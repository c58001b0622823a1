//! The artifact store: one interface, two backends (a directory, S3), the same layout.
//! See `layout` for the keys and `mirror` for checkpointing a local directory to a store.

mod backend;
mod dir;
mod error;
mod key;
pub mod layout;
mod local;
mod mirror;
mod multipart;
mod options;
mod s3;
mod s3_error;
mod version;

pub use backend::Store;
pub use dir::DirStore;
pub use error::StoreError;
pub use key::{validate_key, validate_prefix};
pub use mirror::{Mirror, MirrorReport, download_prefix};
pub use options::{ChecksumMode, MIN_PART_SIZE, StoreOptions};
pub use s3::S3Store;
pub use version::{Listed, Versioned};
