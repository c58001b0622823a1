//! How to reach and talk to a store; only the S3 backend reads these.

/// When the S3 client adds CRC checksums to requests and checks them on responses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ChecksumMode {
    /// The SDK's default (which also honours AWS_REQUEST_CHECKSUM_CALCULATION): checksums
    /// on every request that supports them, sent as aws-chunked trailers.
    #[default]
    WhenSupported,
    /// Only where an operation requires one: for S3-compatible stores that reject
    /// aws-chunked bodies with checksum trailers.
    WhenRequired,
}

impl std::str::FromStr for ChecksumMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "when-supported" => Ok(ChecksumMode::WhenSupported),
            "when-required" => Ok(ChecksumMode::WhenRequired),
            _ => Err(format!(
                "expected when-supported or when-required, got {s:?}"
            )),
        }
    }
}

/// S3's smallest part (all parts but the last).
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreOptions {
    /// An S3-compatible endpoint (MinIO, moto, Garage, ...); addressed path-style. None:
    /// AWS (or AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_S3 when set).
    pub s3_endpoint: Option<String>,
    pub checksum: ChecksumMode,
    /// Files larger than this are uploaded in parts.
    pub multipart_threshold: u64,
    /// Size of each part; raised to [`MIN_PART_SIZE`] when smaller, and as needed to stay
    /// within S3's 10,000 parts.
    pub part_size: u64,
    /// Attempts per S3 request, the first included, in the SDK's standard retry mode
    /// (exponential backoff with jitter on throttling, 5xx, timeouts, connection errors).
    pub max_attempts: u32,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            s3_endpoint: None,
            checksum: ChecksumMode::default(),
            multipart_threshold: 16 * 1024 * 1024,
            part_size: 8 * 1024 * 1024,
            max_attempts: 5,
        }
    }
}
