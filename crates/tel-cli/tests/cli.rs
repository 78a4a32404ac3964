//! Integration tests of the `tel` binary.

#[path = "cli/support.rs"]
mod support;

#[path = "cli/day_two.rs"]
mod day_two;
#[path = "cli/demo.rs"]
mod demo;

#[path = "cli/estimate.rs"]
mod estimate;

#[path = "cli/store_commands.rs"]
mod store_commands;

#[path = "cli/help.rs"]
mod help;

#[path = "cli/report.rs"]
mod report;

#[path = "cli/adopted.rs"]
mod adopted;
#[path = "cli/calibrate_simulate.rs"]
mod calibrate_simulate;
#[path = "cli/closed_stdout.rs"]
mod closed_stdout;
#[path = "cli/export_import_replay.rs"]
mod export_import_replay;
#[path = "cli/generate.rs"]
mod generate;
#[path = "cli/hostile_input.rs"]
mod hostile_input;
#[path = "cli/ingest.rs"]
mod ingest;
#[path = "cli/json_outputs.rs"]
mod json_outputs;
#[path = "cli/operator.rs"]
mod operator;
#[path = "cli/paths.rs"]
mod paths;
#[path = "cli/read_only.rs"]
mod read_only;
#[path = "cli/reliability.rs"]
mod reliability;
#[path = "cli/security.rs"]
mod security;
#[path = "cli/spool_heal.rs"]
mod spool_heal;

#[path = "cli/coprocess.rs"]
mod coprocess;
#[path = "cli/otlp.rs"]
mod otlp;
#[path = "../../../tests/support/postgres.rs"]
mod postgres;
#[path = "../../../tests/support/real_data.rs"]
mod real_data;
#[path = "../../../tests/support/skip.rs"]
mod skip;
#[path = "cli/tune.rs"]
mod tune;
