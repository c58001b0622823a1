//! The run-group index (`runs/<id>/index.json`): one object with every run's record,
//! kept by the controller and read by `report` and `status`; rebuilt from the per-run
//! files, which stay the source of truth, whenever it cannot be trusted.

mod group;
mod read;
mod record;
mod stamped;
mod writer;

pub use group::{
    Comparer, Difference, GroupIndex, HEARTBEAT_S, INDEX_FORMAT_VERSION, IndexBytes,
    LIVE_TIMEOUT_S, Outline, Stale, Writer, differences,
};
pub use read::{
    LoadOptions, Quiet, REBUILD_CONCURRENCY, Reading, RebuildProgress, RunKeys, Source,
    fetch_record, load, rebuild_into, rebuild_records, stored_files,
};
pub use record::{NodeGrade, ProgressSummary, RunFiles, RunRecord, UsageTotals};
pub use stamped::{STAMPED_FORMAT_VERSION, StampedRecord};
pub use writer::{DEBOUNCE_S, IndexKeeper};
