//! The controller: a pure state machine that decides ([`state`]), a driver that turns
//! executor events, interrupts, ticks and finished background work into its inputs and
//! carries out its effects ([`driver`]), and the executors it drives ([`backend`]).

mod backend;
mod driver;
mod state;

pub use backend::{Backend, BackendError};
pub use driver::{Controller, ControllerConfig, FleetError, FleetObserver};
pub use state::Summary;
