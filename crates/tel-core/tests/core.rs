//! Integration tests of tel-core (one binary): the writer's acceptance cases, the estimator's conformance
//! tables, the Part B worked example on real data, properties.
//!
//! Submodules live in `tests/core/`; a crate-root test file resolves `mod x;` next to itself, hence the `#[path]`s.

#[path = "core/estimator.rs"]
mod estimator;
#[path = "core/legacy_accuracy.rs"]
mod legacy_accuracy;
#[path = "core/properties.rs"]
mod properties;
#[path = "core/writer.rs"]
mod writer;

#[path = "../../../tests/support/real_data.rs"]
mod real_data;
#[path = "../../../tests/support/skip.rs"]
mod skip;
