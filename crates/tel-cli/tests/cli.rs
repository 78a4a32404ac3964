//! Integration tests of the `tel` binary.

#[path = "cli/store_commands.rs"]
mod store_commands;

#[path = "cli/help.rs"]
mod help;

#[path = "cli/report.rs"]
mod report;

#[path = "cli/export_import_replay.rs"]
mod export_import_replay;
