//! Integration tests of tel-replay (one test binary; each area is a submodule in `tests/replay/`).
//!
//! A crate-root test file resolves `mod x;` next to itself, hence the `#[path]`s.

#[path = "replay/generate.rs"]
mod generate;
