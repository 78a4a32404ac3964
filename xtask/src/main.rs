//! `cargo xtask`: development tasks that need more than cargo (the full test suite, later PostgreSQL and benches).

mod tidy;

use std::process::{Command, ExitCode};

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "cargo xtask", about = "Development tasks of the tel workspace")]
struct Xtask {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Run the whole test suite (what CI runs).
    Test,
    /// Apply, inspect or revert the database schema: forwards its arguments to `tel migrate`.
    #[command(
        after_help = "Examples:\n  cargo xtask migrate --status\n  cargo xtask migrate --database-url sqlite://dev.db --dry-run"
    )]
    Migrate {
        /// Arguments of `tel migrate` (e.g. --status, --dry-run, --down 1, --database-url URL).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

fn main() -> ExitCode {
    match run(Xtask::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(xtask: Xtask) -> anyhow::Result<()> {
    match xtask.task {
        Task::Test => cargo(&["test", "--workspace", "--all-targets"]),
        Task::Migrate { args } => {
            let mut command = vec!["run", "--quiet", "-p", "tel-cli", "--", "migrate"];
            command.extend(args.iter().map(String::as_str));
            cargo(&command)
        }
    }
}

/// Runs `cargo <args>` from the workspace root and fails when it fails.
fn cargo(args: &[&str]) -> anyhow::Result<()> {
    let status = Command::new(env!("CARGO"))
        .args(args)
        .current_dir(workspace_root())
        .status()
        .with_context(|| format!("cannot run cargo {}", args.join(" ")))?;
    if !status.success() {
        bail!("cargo {} failed with {status}", args.join(" "));
    }
    Ok(())
}

/// The workspace root: the parent of this crate's manifest directory.
fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}
