//! A throwaway PostgreSQL cluster for the test suite: `pg-up`, `pg-down` and the guard `cargo xtask test` holds.
//!
//! The cluster lives under `target/tel-pg/` (data directory, socket directory, server log, `url`). `initdb` and
//! `pg_ctl` refuse to run as root, so when xtask runs as root every server command runs as the `postgres` OS user
//! (`runuser -u postgres --`) and the cluster directory is handed to that user. When some ancestor of the target
//! directory is not traversable by others, the cluster goes to `$TMPDIR/tel-pg-<hash of the workspace path>` instead
//! and only `target/tel-pg/url` stays in the target directory.

use std::fs;
use std::io::Write as _;
use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

/// The database the tests use.
const DATABASE: &str = "tel_test";
/// The superuser `initdb` creates; trust authentication, so the URL carries no password.
const SUPERUSER: &str = "postgres";
/// The OS user server commands run as when xtask runs as root.
const OS_USER: &str = "postgres";
/// Where Debian-style packages install one `bin` directory per major version.
const INSTALL_ROOT: &str = "/usr/lib/postgresql";

/// The environment variable the tests read the connection URL from.
pub const URL_VAR: &str = "TEL_TEST_PG_URL";

/// The files of one throwaway cluster.
#[derive(Debug)]
pub struct Cluster {
    bin: PathBuf,
    /// Holds `url`; always `target/tel-pg`.
    state_dir: PathBuf,
    /// Holds `data/`, `sock/` and `log`; `state_dir` unless that is unreachable for the server user.
    cluster_dir: PathBuf,
    as_root: bool,
}

impl Cluster {
    /// Locates the binaries (newest installed major version) and the directories for a workspace.
    pub fn locate(workspace_root: &Path) -> anyhow::Result<Self> {
        Self::locate_named(workspace_root, "tel-pg")
    }

    /// Like [`Cluster::locate`], for a cluster of its own under `target/<name>` (e.g. one a task
    /// stops and restarts without disturbing the suite's).
    pub fn locate_named(workspace_root: &Path, name: &str) -> anyhow::Result<Self> {
        let bin = find_bin_dir()?;
        let as_root = running_as_root()?;
        let target = workspace_root.join("target");
        let state_dir = target.join(name);
        let cluster_dir = if !as_root || traversable_by_others(&target) {
            state_dir.clone()
        } else {
            std::env::temp_dir().join(format!("{name}-{:016x}", fnv1a(workspace_root)))
        };
        Ok(Self {
            bin,
            state_dir,
            cluster_dir,
            as_root,
        })
    }

    fn data_dir(&self) -> PathBuf {
        self.cluster_dir.join("data")
    }

    fn socket_dir(&self) -> PathBuf {
        self.cluster_dir.join("sock")
    }

    fn log_file(&self) -> PathBuf {
        self.cluster_dir.join("log")
    }

    fn url_file(&self) -> PathBuf {
        self.state_dir.join("url")
    }

    /// Starts the cluster (creating it when needed) and returns its URL; a running cluster is reused.
    pub fn up(&self) -> anyhow::Result<String> {
        if let Some(url) = self.running_url() {
            return Ok(url);
        }
        // A cluster left behind by a killed run: stop it and start from scratch.
        self.down()?;
        self.create()?;
        let port = free_port()?;
        self.configure(port)?;
        self.start()?;
        self.server_command("createdb")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-U",
                SUPERUSER,
                DATABASE,
            ])
            .run_quietly()?;
        let url = format!("postgres://{SUPERUSER}@127.0.0.1:{port}/{DATABASE}");
        fs::create_dir_all(&self.state_dir)
            .with_context(|| format!("cannot create {}", self.state_dir.display()))?;
        fs::write(self.url_file(), format!("{url}\n"))
            .with_context(|| format!("cannot write {}", self.url_file().display()))?;
        Ok(url)
    }

    /// Starts the server of an existing cluster (same port, same data).
    pub fn start(&self) -> anyhow::Result<()> {
        let log = self.log_file();
        self.server_command("pg_ctl")
            .arg("-w")
            .arg("-D")
            .arg(self.data_dir())
            .arg("-l")
            .arg(&log)
            .arg("start")
            .run_quietly()
            .with_context(|| {
                format!(
                    "PostgreSQL did not start; server log {}:\n{}",
                    log.display(),
                    tail(&log)
                )
            })
    }

    /// Stops the server (fast: open connections are cut) and keeps the cluster's files.
    pub fn stop(&self) -> anyhow::Result<()> {
        self.server_command("pg_ctl")
            .args(["-w", "-m", "fast", "-D"])
            .arg(self.data_dir())
            .arg("stop")
            .run_quietly()
    }

    /// Runs one SQL statement with `psql` and returns its unaligned, tuples-only output.
    pub fn psql(&self, url: &str, sql: &str) -> anyhow::Result<String> {
        let line = format!("psql {sql}");
        let output = self
            .server_command("psql")
            .args(["-X", "-At", "-d", url, "-c", sql])
            .output()
            .with_context(|| format!("cannot run {line}"))?;
        if !output.status.success() {
            bail!("{line} failed: {}", String::from_utf8_lossy(&output.stderr));
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    }

    /// Stops the server (if one runs) and removes every file of the cluster.
    pub fn down(&self) -> anyhow::Result<()> {
        if self.data_dir().join("postmaster.pid").exists() {
            // Fails when the server is already gone (killed machine, stale pid file): removal follows anyway.
            let _ = self.stop();
        }
        for dir in [&self.cluster_dir, &self.state_dir] {
            match fs::remove_dir_all(dir) {
                Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
                    return Err(err).with_context(|| format!("cannot remove {}", dir.display()));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The recorded URL when a server accepts connections there (`pg_ctl status` would trust a stale pid).
    fn running_url(&self) -> Option<String> {
        let url = fs::read_to_string(self.url_file()).ok()?;
        let url = url.trim();
        self.server_command("pg_isready")
            .args(["-q", "-d", url])
            .run_quietly()
            .ok()?;
        Some(url.to_owned())
    }

    /// Creates the directories, hands them to the server user and runs `initdb`.
    fn create(&self) -> anyhow::Result<()> {
        for dir in [self.cluster_dir.clone(), self.socket_dir()] {
            fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        if self.as_root {
            Command::new("chown")
                .arg("-R")
                .arg(format!("{OS_USER}:"))
                .arg(&self.cluster_dir)
                .run_quietly()?;
        }
        self.server_command("initdb")
            .args([
                "--auth=trust",
                "-U",
                SUPERUSER,
                "--encoding=UTF8",
                "--locale=C",
                "-D",
            ])
            .arg(self.data_dir())
            .run_quietly()
    }

    /// Appends the test settings to `postgresql.conf` (appending keeps the file's owner).
    fn configure(&self, port: u16) -> anyhow::Result<()> {
        let conf = self.data_dir().join("postgresql.conf");
        let settings = format!(
            "\n# cargo xtask pg-up: a throwaway cluster, durability off for speed\n\
             listen_addresses = '127.0.0.1'\n\
             port = {port}\n\
             unix_socket_directories = '{}'\n\
             fsync = off\n\
             synchronous_commit = off\n\
             full_page_writes = off\n",
            self.socket_dir().display()
        );
        fs::OpenOptions::new()
            .append(true)
            .open(&conf)
            .and_then(|mut file| file.write_all(settings.as_bytes()))
            .with_context(|| format!("cannot append settings to {}", conf.display()))
    }

    /// A command for one of the server binaries, run as the server user when xtask runs as root.
    fn server_command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        if self.as_root {
            let mut command = Command::new("runuser");
            command.args(["-u", OS_USER, "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }
}

/// Runs a command with captured output; a failure reports the command line and what it printed.
trait RunQuietly {
    fn run_quietly(&mut self) -> anyhow::Result<()>;
}

impl RunQuietly for Command {
    fn run_quietly(&mut self) -> anyhow::Result<()> {
        let line = format!("{self:?}");
        let output = self
            .output()
            .with_context(|| format!("cannot run {line}"))?;
        if !output.status.success() {
            bail!(
                "{line} failed with {}:\n{}{}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(())
    }
}

/// Why PostgreSQL tests cannot run on this machine, or `None` when they can.
pub fn unavailable_reason() -> Option<String> {
    find_bin_dir().err().map(|err| format!("{err:#}"))
}

/// The `bin` directory of the newest major version under `/usr/lib/postgresql` that has `initdb`.
fn find_bin_dir() -> anyhow::Result<PathBuf> {
    let entries = fs::read_dir(INSTALL_ROOT)
        .with_context(|| format!("no PostgreSQL installation under {INSTALL_ROOT}"))?;
    entries
        .flatten()
        .filter_map(|entry| {
            let major: u32 = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((major, bin))
        })
        .max_by_key(|(major, _)| *major)
        .map(|(_, bin)| bin)
        .with_context(|| format!("no {INSTALL_ROOT}/<version>/bin/initdb found"))
}

fn running_as_root() -> anyhow::Result<bool> {
    let output = Command::new("id")
        .arg("-u")
        .output()
        .context("cannot run id -u")?;
    Ok(String::from_utf8_lossy(&output.stdout).trim() == "0")
}

/// Whether `dir` exists (or will be created) and every existing ancestor lets other users through.
fn traversable_by_others(dir: &Path) -> bool {
    dir.ancestors()
        .filter_map(|ancestor| fs::metadata(ancestor).ok())
        .all(|meta| meta.permissions().mode() & 0o001 != 0)
}

/// A port that was free a moment ago (the OS picks it; the listener is closed before the server binds).
fn free_port() -> anyhow::Result<u16> {
    let listener =
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("cannot bind 127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// The last lines of the server log, for start failures.
fn tail(log: &Path) -> String {
    let text = fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// A stable short name for a workspace path (FNV-1a, 64 bit).
fn fnv1a(path: &Path) -> u64 {
    path.as_os_str()
        .as_encoded_bytes()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
            (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
        })
}

/// Stops and removes the cluster when dropped, so a failing test run still cleans up.
#[derive(Debug)]
pub struct ClusterGuard(pub Cluster);

impl Drop for ClusterGuard {
    fn drop(&mut self) {
        if let Err(err) = self.0.down() {
            eprintln!("xtask: warning: PostgreSQL cleanup failed: {err:#}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_tells_workspaces_apart() {
        assert_ne!(fnv1a(Path::new("/work/a")), fnv1a(Path::new("/work/b")));
    }
}
