//! Command implementations: each module turns parsed arguments into library calls and output.

/// `print!` that returns the write error instead of panicking: a closed pipe (`tel … | head`) then ends
/// the command through `main`'s broken-pipe rule (exit 0) rather than a panic.
macro_rules! out {
    ($($arg:tt)*) => {
        ::std::io::Write::write_fmt(&mut ::std::io::stdout().lock(), format_args!($($arg)*))
    };
}

/// `println!` that returns the write error instead of panicking (see [`out!`]).
macro_rules! outln {
    () => {
        out!("\n")
    };
    ($($arg:tt)*) => {
        out!("{}\n", format_args!($($arg)*))
    };
}

pub mod calibrate;
pub mod completions;
pub mod coverage;
mod db;
pub mod demo;
pub mod estimate;
mod events;
pub mod export;
mod filters;
pub mod generate;
pub mod import;
pub mod migrate;
pub mod profiles;
mod progress;
pub mod prune;
pub mod record;
pub mod replay;
pub mod report;
pub mod simulate;
mod source;
pub mod spool;
pub mod status;
pub mod tune;

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;

use crate::cli::{Cli, Command};

/// The input of a `--batch` option (`-` is stdin) and its name in error messages.
fn open_batch(source: &Path) -> anyhow::Result<(String, Box<dyn BufRead>)> {
    if source == Path::new("-") {
        return Ok(("<stdin>".to_owned(), Box::new(std::io::stdin().lock())));
    }
    let name = source.display().to_string();
    let file = File::open(source).with_context(|| format!("cannot open batch file {name}"))?;
    Ok((name, Box::new(BufReader::new(file))))
}

/// Runs one parsed command line and returns its exit code.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Demo(args) => demo::run(&args, &cli.global),
        Command::Profiles(args) => profiles::run(&args),
        Command::Estimate(args) => estimate::run(&args),
        Command::Generate(args) => generate::run(&args, &cli.global),
        Command::Replay(args) => replay::run(args, &cli.global),
        Command::Migrate(args) => migrate::run(&args, &cli.global),
        Command::Status(args) => status::run(&args),
        Command::Record(args) => record::run(&args, &cli.global),
        Command::Spool(command) => spool::run(&command),
        Command::Prune(args) => prune::run(&args),
        Command::Calibrate(args) => calibrate::run(&args),
        Command::Simulate(args) => simulate::run(&args),
        Command::Tune(args) => tune::run(&args),
        Command::Report(args) => report::run(&args, &cli.global),
        Command::Coverage(args) => coverage::run(&args, &cli.global),
        Command::Completions(args) => completions::run(&args),
        Command::Man(args) => completions::man(&args),
        Command::Export(args) => export::run(&args, &cli.global),
        Command::Import(args) => import::run(&args, &cli.global),
    }
}
