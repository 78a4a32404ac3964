//! The bench's PostgreSQL database: `tel_bench` on the server `TEL_TEST_PG_URL` names (e.g. the throwaway
//! cluster of `cargo xtask pg-up`), recreated through `psql` before every import, dropped at the end.

use std::process::Command;

use anyhow::{Context as _, bail};

use crate::pg::URL_VAR;

/// The scratch database.
pub struct ScratchPg {
    admin: String,
    /// The URL tel connects to.
    pub url: String,
}

impl ScratchPg {
    /// The scratch database on `$TEL_TEST_PG_URL`'s server, or `None` (with a note) when it is unset.
    pub fn from_env() -> Option<Self> {
        let Ok(admin) = std::env::var(URL_VAR) else {
            eprintln!(
                "bench: PostgreSQL rows skipped: {URL_VAR} not set (export $(cargo xtask pg-up))"
            );
            return None;
        };
        // The server part of the URL, then the scratch database (the pg-up URL has no query string).
        let server = admin
            .rsplit_once('/')
            .map_or(admin.as_str(), |(server, _)| server);
        let url = [server, "/tel_bench"].concat();
        Some(Self { admin, url })
    }

    /// Drops and creates the empty database.
    pub fn recreate(&self) -> anyhow::Result<()> {
        self.psql("DROP DATABASE IF EXISTS tel_bench WITH (FORCE)")?;
        self.psql("CREATE DATABASE tel_bench")
    }

    /// Runs one statement on the administrative connection.
    fn psql(&self, statement: &str) -> anyhow::Result<()> {
        let output = Command::new("psql")
            .args([
                "--quiet",
                "--no-psqlrc",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                &self.admin,
                "-c",
                statement,
            ])
            .output()
            .context("cannot run psql")?;
        if !output.status.success() {
            bail!(
                "psql {statement:?} failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(())
    }
}

impl Drop for ScratchPg {
    fn drop(&mut self) {
        let _ = self.psql("DROP DATABASE IF EXISTS tel_bench WITH (FORCE)");
    }
}
