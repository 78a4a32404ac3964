//! tel-replay: replay the estimator over stored telemetry, analyse, import and export it.

pub mod batch;
pub mod calibrate;
pub mod db;
pub mod estimate;
pub mod export;
mod fields;
pub mod generate;
pub mod import;
pub mod legacy_log;
pub mod legacy_replay;
mod pyjson;
pub mod replay;
pub mod report;
pub mod simulate;
pub mod tune;

pub use fields::{EXTENDED_FIELDS, FieldKind, ORIGINAL_FIELDS};
