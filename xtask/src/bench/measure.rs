//! Whole-process measurements: wall time from our clock, CPU time and peak RSS from GNU time.
//!
//! Per-process peak RSS needs `wait4`, which std does not expose and which we cannot call without
//! `unsafe`; `getrusage(RUSAGE_CHILDREN)` (e.g. through a safe wrapper crate) reports the maximum over
//! all children so far, useless when tel and sqlite3 alternate. GNU time (`/usr/bin/time`, Debian
//! package `time`) calls `wait4` for exactly one child and prints its rusage, so every run goes through it.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// GNU time, which reports the rusage of the one process it runs.
pub const GNU_TIME: &str = "/usr/bin/time";

/// One timed process.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Wall time, spawn to exit (includes GNU time's own fork/exec, well under a millisecond).
    pub wall: Duration,
    /// User + system CPU time.
    pub cpu: Duration,
    /// Peak resident set size, in KiB.
    pub max_rss_kib: u64,
}

/// A process to time: program, arguments, optional stdin file; stdout is discarded.
#[derive(Debug, Clone)]
pub struct Job {
    /// The program.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
    /// A file fed to its stdin.
    pub stdin: Option<PathBuf>,
}

impl Job {
    /// `program args…`, stdin closed.
    pub fn new(program: impl AsRef<Path>, args: &[&str]) -> Self {
        Self {
            program: program.as_ref().to_path_buf(),
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            stdin: None,
        }
    }

    /// The same job reading `file` on stdin.
    pub fn stdin(mut self, file: impl AsRef<Path>) -> Self {
        self.stdin = Some(file.as_ref().to_path_buf());
        self
    }

    /// Runs the job under GNU time (rusage written to `scratch`) and fails when it fails.
    pub fn time(&self, scratch: &Path) -> anyhow::Result<Sample> {
        let stdin = match &self.stdin {
            Some(file) => Stdio::from(
                File::open(file).with_context(|| format!("cannot open {}", file.display()))?,
            ),
            None => Stdio::null(),
        };
        let start = Instant::now();
        let output = Command::new(GNU_TIME)
            .args(["-f", "%U %S %M", "-o"])
            .arg(scratch)
            .arg(&self.program)
            .args(&self.args)
            .stdin(stdin)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .with_context(|| format!("cannot run {GNU_TIME} {}", self.describe()))?;
        let wall = start.elapsed();
        if !output.status.success() {
            bail!(
                "{} failed with {}: {}",
                self.describe(),
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        let rusage = std::fs::read_to_string(scratch)
            .with_context(|| format!("cannot read {}", scratch.display()))?;
        parse_rusage(&rusage, wall)
            .with_context(|| format!("GNU time output of {}", self.describe()))
    }

    /// The command line, for messages.
    pub fn describe(&self) -> String {
        let mut text = self.program.display().to_string();
        for arg in &self.args {
            text.push(' ');
            text.push_str(arg);
        }
        text
    }
}

/// Parses `"%U %S %M"` (the last line: GNU time prepends "Command exited…" lines on failure).
fn parse_rusage(text: &str, wall: Duration) -> anyhow::Result<Sample> {
    let line = text.lines().last().unwrap_or_default();
    let fields: Vec<&str> = line.split_whitespace().collect();
    let [user, sys, rss] = fields.as_slice() else {
        bail!("expected `user sys maxrss`, got {line:?}");
    };
    let seconds = |s: &str| -> anyhow::Result<f64> {
        s.parse::<f64>()
            .with_context(|| format!("bad seconds {s:?}"))
    };
    Ok(Sample {
        wall,
        cpu: Duration::from_secs_f64(seconds(user)? + seconds(sys)?),
        max_rss_kib: rss
            .parse()
            .with_context(|| format!("bad max RSS {rss:?}"))?,
    })
}

/// The sample with the median wall time (the lower middle for an even count).
pub fn median(samples: &[Sample]) -> Sample {
    let mut sorted = samples.to_vec();
    sorted.sort_by_key(|s| s.wall);
    sorted[(sorted.len() - 1) / 2]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rusage_line_gives_cpu_as_user_plus_system_and_rss_in_kib() {
        let sample = parse_rusage("0.50 0.25 20480\n", Duration::from_secs(1)).unwrap();
        assert_eq!(sample.cpu, Duration::from_millis(750));
        assert_eq!(sample.max_rss_kib, 20480);
    }

    #[test]
    fn median_takes_the_middle_wall_time() {
        let at = |ms| Sample {
            wall: Duration::from_millis(ms),
            cpu: Duration::ZERO,
            max_rss_kib: ms,
        };
        assert_eq!(median(&[at(30), at(10), at(20)]).max_rss_kib, 20);
    }
}
