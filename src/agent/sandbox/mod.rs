//! The sandbox of model-written code: no capabilities, Landlock rules (read-only system,
//! Python and task files; read-write workspace only; optionally no TCP), and every
//! leftover process killed when its node ends.

mod confine;
mod privileges;
mod reaper;
mod rules;
mod support;

pub use confine::{Enforcement, PythonInstall, Sandbox, SandboxError, SandboxSpec, python_install};
pub use privileges::make_non_dumpable;
pub use rules::Layout;
