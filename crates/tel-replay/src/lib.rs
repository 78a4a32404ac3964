//! tel-replay: replay the estimator over stored telemetry, analyse, import and export it.
//!
//! # Where things go
//!
//! The modules fall into five groups. A module may use its own group and the groups named after "uses"; the
//! tidy test `tel_replay_modules_depend_only_in_the_documented_directions` (xtask/src/tidy.rs) reads the
//! lists below and fails on any `crate::`, `super::` or child-module path that crosses them another way (unit
//! tests and `pub use` re-exports of a module's own children aside), and on any use of `tel_store` outside
//! [`db`].
//!
//! - **replay** (uses io): `replay`, `legacy_replay`, `legacy_log`, `estimate`, `batch` — re-predicting
//!   events with an estimator, the original replay tool, `tel estimate --batch` (which reads its lines with
//!   the importers' line reader).
//! - **analysis** (uses formatting): `report`, `calibrate`, `simulate`, `tune` — pure computations over
//!   events: the operator report, coverage, calibration, budget-policy simulation, tuning. Listed so that each
//!   uses only those before it: calibration's model (`calibrate::Outcome`, `Stratum`, `SimEvent`) is what
//!   simulation and tuning build on, never the other way round.
//! - **io** (uses nothing else): `import`, `export`, `generate`, `fields`, `pyjson` — event formats in and
//!   out, and the synthetic generator.
//! - **presentation** (uses analysis, replay, formatting): `report::sections`, `report::svg`, `report::html`,
//!   `replay::table`, `replay::csv`, `legacy_replay::render`, `calibrate::table`, `tune::table` — text tables,
//!   CSV rows, SVG charts and the HTML page of results computed elsewhere.
//! - **formatting** (uses nothing else): `report::format` — numbers, percentages and the table style, shared
//!   by analysis texts (the report's decision reasons) and presentation.
//! - **db** (uses every group): `db` — the only module that talks to the database: the pipelines from stored
//!   events to the analyses, replays and export that tel-cli calls.

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
