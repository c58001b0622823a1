//! Object versions: what a listing and a read say about which bytes a key held, so that
//! something derived from a file can later be checked against the file without reading
//! it again. S3's ETag; a directory store's inode, size and modification time.

/// A key as a listing found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub key: String,
    /// None when the backend gave none (such a file never matches a recorded version).
    pub version: Option<String>,
}

/// An object's bytes with the version they were read at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioned {
    pub bytes: Vec<u8>,
    pub version: Option<String>,
}
