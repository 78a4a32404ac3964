//! Integration tests of tel-core (one binary; each area is a submodule under `tests/core/`).
//!
//! A crate-root test file resolves `mod x;` next to itself, hence the `#[path]`s.

#[path = "core/estimator.rs"]
mod estimator;
