//! Command implementations: each module turns parsed arguments into library calls and output.

pub mod generate;
pub mod replay;

use std::process::ExitCode;

use crate::cli::{Cli, Command};

/// Runs one parsed command line and returns its exit code.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Profiles => Ok(ExitCode::SUCCESS),
        Command::Generate(args) => generate::run(&args),
        Command::Replay(args) => replay::run(args),
    }
}
