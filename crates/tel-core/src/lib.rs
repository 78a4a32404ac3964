//! tel-core: pure domain types, telemetry metrics and the output-token estimator of tel.
//!
//! Nothing here does I/O, reads the clock or the environment, or touches a database: every function
//! is a deterministic computation on its arguments, so executors, the store and the replay engine can
//! all depend on it.

mod category;
mod complexity;
pub mod estimator;
mod event;
pub mod pytext;
mod stop_reason;
mod timestamp;

pub use category::{Category, normalise_category};
pub use complexity::{Complexity, UnknownComplexity};
pub use event::{DocFeatures, SotFields, TelemetryEvent, UsageKind};
pub use stop_reason::StopReasonKind;
pub use timestamp::{InvalidTimestamp, Timestamp};
