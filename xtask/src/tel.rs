//! Running a `tel` binary from the xtask tasks that drive whole processes.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context as _, ensure};

/// A `tel` binary of this workspace.
pub struct Tel(pub PathBuf);

impl Tel {
    /// `tel ARGS` without the caller's database variables, so only `--database-url` chooses the database.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.0);
        command
            .args(args)
            .env_remove("TEL_DATABASE_URL")
            .env_remove("DATABASE_URL");
        command
    }

    /// Runs `tel ARGS` and returns stdout; fails when tel fails.
    pub fn run(&self, args: &[&str]) -> anyhow::Result<String> {
        let output = self
            .command(args)
            .output()
            .with_context(|| format!("cannot run tel {}", args.join(" ")))?;
        ensure!(
            output.status.success(),
            "tel {} failed with {}: {}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Runs `tel ARGS --json` and parses its output.
    pub fn json(&self, args: &[&str]) -> anyhow::Result<serde_json::Value> {
        let mut all = args.to_vec();
        all.push("--json");
        let stdout = self.run(&all)?;
        serde_json::from_str(&stdout).with_context(|| format!("tel {}: not JSON", all.join(" ")))
    }

    /// Events stored in `url`.
    pub fn events_in(&self, url: &str) -> anyhow::Result<u64> {
        let status = self.json(&["status", "--database-url", url])?;
        status["row_counts"]["token_estimation_v2_events"]
            .as_u64()
            .context("tel status --json has no event count")
    }
}
