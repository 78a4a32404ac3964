//! `tel replay`: re-run an estimator profile over recorded telemetry (legacy log mode for now).

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::rc::Rc;

use anyhow::{Context as _, bail};
use clap::Args;
use tel_core::estimator::{EmptyWorkspace, Estimator, Profile, Workspace};
use tel_replay::estimate::EstimatorPredictor;
use tel_replay::legacy_log::parse_legacy_line;
use tel_replay::legacy_replay::{LegacySample, SampleSource, render_legacy, replay_legacy};
use tel_replay::workspace_dir::DirectoryWorkspace;

/// Arguments of `tel replay`.
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  tel replay --legacy --log build132_telemetry_samples.log --profile v2-head"
)]
pub struct ReplayArgs {
    /// Reproduce the original replay tool's output byte for byte (analysis.md A2).
    #[arg(long)]
    pub legacy: bool,
    /// Read `[TokenEstimationV2]` lines from this log file instead of a database.
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Estimator profile to replay (see `tel profiles`).
    #[arg(long, default_value = "v2-head")]
    pub profile: String,
    /// Directory the estimator may inspect (default: an empty workspace, reproducible).
    #[arg(long, value_name = "DIR")]
    pub workspace: Option<PathBuf>,
}

/// Runs `tel replay`.
pub fn run(args: ReplayArgs) -> anyhow::Result<ExitCode> {
    let (true, Some(log)) = (args.legacy, args.log.as_ref()) else {
        bail!(
            "only `tel replay --legacy --log FILE` is available until the database store is wired in"
        );
    };
    let profile = Profile::builtin(&args.profile).with_context(|| {
        format!(
            "unknown profile {:?}: expected one of {}",
            args.profile,
            Profile::builtin_names().join(", ")
        )
    })?;
    let workspace: Rc<dyn Workspace> = match &args.workspace {
        Some(dir) => Rc::new(DirectoryWorkspace::new(dir.clone())),
        None => Rc::new(EmptyWorkspace),
    };
    let file =
        std::fs::File::open(log).with_context(|| format!("cannot open {}", log.display()))?;
    let mut samples = Vec::new();
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line =
            line.with_context(|| format!("{}:{}: cannot read line", log.display(), i + 1))?;
        if let Some(sample) = parse_legacy_line(&line) {
            samples.push(LegacySample::from_log(&sample));
        }
    }
    let mut predictor = EstimatorPredictor::new(Estimator::new(profile), workspace);
    let replay = replay_legacy(&samples, &mut predictor)
        .with_context(|| format!("{}: cannot replay", log.display()))?;
    let (stdout, stderr) = (std::io::stdout(), std::io::stderr());
    let mut out = stdout.lock();
    render_legacy(&replay, SampleSource::LogFile, &mut out, &mut stderr.lock())?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
