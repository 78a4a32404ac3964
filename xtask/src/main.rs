//! `cargo xtask`: development tasks that need more than cargo (the full test suite, later PostgreSQL and benches).

mod bench;
mod pg;
mod regress;
mod reliability;
mod slow;
mod tel;
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
    /// Run the whole test suite and the goldens (what CI runs), against a throwaway PostgreSQL when one can be
    /// started (required when `CI` is set).
    Test {
        /// Skip PostgreSQL: run the suite without `TEL_TEST_PG_URL`.
        #[arg(long)]
        no_pg: bool,
    },
    /// Start a throwaway PostgreSQL cluster under target/tel-pg and print `TEL_TEST_PG_URL=<url>`.
    PgUp,
    /// Stop the throwaway PostgreSQL cluster and remove its files.
    PgDown,
    /// Stop PostgreSQL during a recording loop and during an import (a private cluster), then check every event is stored once.
    Reliability,
    /// The slow tests (not in CI): kill -9 of a 1,000,000-event import, then the fuzz tests with 100,000 cases.
    Slow {
        /// Seed of the random kill point (default: from the clock; printed).
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Check the replay and export goldens (tests/regress and ../shared/real-data).
    Regress {
        /// Rewrite the project-owned goldens instead of failing on a mismatch.
        #[arg(long)]
        update: bool,
    },
    /// Apply, inspect or revert the database schema: forwards its arguments to `tel migrate`.
    #[command(
        after_help = "Examples:\n  cargo xtask migrate --status\n  cargo xtask migrate --database-url sqlite://dev.db --dry-run"
    )]
    Migrate {
        /// Arguments of `tel migrate` (e.g. --status, --dry-run, --down 1, --database-url URL).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Time tel's import, replay and export against sqlite3 on generated data, and the recorder's latency.
    Bench(bench::BenchArgs),
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
        Task::Test { no_pg } => test(no_pg),
        Task::PgUp => {
            let url = pg::Cluster::locate(&workspace_root())?.up()?;
            println!("{}={url}", pg::URL_VAR);
            Ok(())
        }
        Task::PgDown => pg::Cluster::locate(&workspace_root())?.down(),
        Task::Reliability => reliability::run(&workspace_root()),
        Task::Slow { seed } => slow::run(&workspace_root(), seed),
        Task::Regress { update } => regress::run(&workspace_root(), update),
        Task::Migrate { args } => {
            let mut command = vec!["run", "--quiet", "-p", "tel-cli", "--", "migrate"];
            command.extend(args.iter().map(String::as_str));
            cargo(&command)
        }
        Task::Bench(args) => bench::run(&workspace_root(), &args),
    }
}

/// Runs the suite and the goldens; with PostgreSQL available, against a fresh cluster that is removed even
/// when tests fail. Under CI (`CI` set) PostgreSQL is required, as the tests themselves require it there.
fn test(no_pg: bool) -> anyhow::Result<()> {
    // `--all-targets` leaves out doctests, so they run in a step of their own, first: the suite's
    // closing summary is then the main run's, not a doc run of a crate without doctests.
    const SUITE: [&[&str]; 2] = [
        &["test", "--workspace", "--doc"],
        &["test", "--workspace", "--all-targets"],
    ];
    let reason = if no_pg {
        Some("--no-pg given".to_owned())
    } else {
        pg::unavailable_reason()
    };
    if let Some(reason) = reason {
        skip_unless_ci("PostgreSQL tests", &reason)?;
        SUITE.iter().try_for_each(|args| cargo(args))?;
        return regress::run(&workspace_root(), false);
    }
    let cluster = pg::ClusterGuard(pg::Cluster::locate(&workspace_root())?);
    // A cluster left by a killed run would be reused with its old data: start clean.
    cluster.0.down()?;
    let url = cluster.0.up()?;
    eprintln!("xtask: PostgreSQL tests use {}={url}", pg::URL_VAR);
    // Set on the child only: mutating our own environment is `unsafe` in edition 2024.
    SUITE
        .iter()
        .try_for_each(|args| cargo_with_env(args, &[(pg::URL_VAR, &url)]))?;
    regress::run(&workspace_root(), false)?;
    // Stops and restarts a server of its own, so it runs after the suite, not beside it.
    reliability::run(&workspace_root())
}

/// A check that cannot run here (`what`, because `reason`): skipped with a line on a developer's machine,
/// an error under CI (`CI` set), which provides PostgreSQL, the real data and Chromium.
pub fn skip_unless_ci(what: &str, reason: &str) -> anyhow::Result<()> {
    if std::env::var_os("CI").is_some() {
        bail!("{what} cannot run ({reason}) and CI is set: CI must run them, not skip them");
    }
    eprintln!("{what} skipped: {reason}");
    Ok(())
}

/// Runs `cargo <args>` from the workspace root and fails when it fails.
fn cargo(args: &[&str]) -> anyhow::Result<()> {
    cargo_with_env(args, &[])
}

/// Runs `cargo <args>` from the workspace root with extra environment variables and fails when it fails.
fn cargo_with_env(args: &[&str], env: &[(&str, &str)]) -> anyhow::Result<()> {
    let status = Command::new(env!("CARGO"))
        .args(args)
        .envs(env.iter().copied())
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
