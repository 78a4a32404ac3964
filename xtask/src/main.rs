//! `cargo xtask`: development tasks that need more than cargo (the full test suite, later PostgreSQL and benches).

mod regress;
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
    /// Check the replay and export goldens (tests/regress and ../shared/real-data).
    Regress {
        /// Rewrite the project-owned goldens instead of failing on a mismatch.
        #[arg(long)]
        update: bool,
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
        Task::Regress { update } => regress::run(&workspace_root(), update),
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
