//! Integration tests of tel-replay: calibration and budget-policy simulation.
//!
//! Submodules live in `tests/replay/`; a crate-root test file resolves `mod x;` next to itself, hence the `#[path]`s.

#[path = "replay/calibrate.rs"]
mod calibrate;
#[path = "replay/simulate.rs"]
mod simulate;
