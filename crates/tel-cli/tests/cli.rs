//! Integration tests of the `tel` binary.

#[path = "cli/store_commands.rs"]
mod store_commands;
