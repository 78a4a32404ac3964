//! Integration tests of tel-core: the writer's acceptance cases, the Part B worked example on real data, properties.
//!
//! Submodules live in `tests/core/`; a crate-root test file resolves `mod x;` next to itself, hence the `#[path]`s.

#[path = "core/legacy_accuracy.rs"]
mod legacy_accuracy;
#[path = "core/properties.rs"]
mod properties;
#[path = "core/writer.rs"]
mod writer;
