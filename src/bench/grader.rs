//! Who computes a competition's score from a submission.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grader {
    /// The grade module, with the competition's `metric`.
    Native,
    /// An external command, argv without a shell (MLE-bench's own grade function); in each
    /// argument `{submission}` and `{data_dir}` stand for the submission path and the prepared
    /// data root.
    External(Vec<String>),
}
