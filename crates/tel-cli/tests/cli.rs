//! Integration tests of the `tel` binary (one test binary; each command is a submodule in `tests/cli/`).
//!
//! A crate-root test file resolves `mod x;` next to itself, hence the `#[path]`s.

#[path = "cli/generate.rs"]
mod generate;
