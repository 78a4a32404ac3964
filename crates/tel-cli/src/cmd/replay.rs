//! `tel replay`: re-run estimators over recorded telemetry — the censoring-aware replay (default) or the
//! original tool's output byte for byte (`--legacy`, from the database or a log file).

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::rc::Rc;

use anyhow::{Context as _, bail};
use clap::Args;
use tel_core::AccuracyOptions;
use tel_core::estimator::{EmptyWorkspace, Estimator, Profile, Workspace};
use tel_replay::db::replay::{legacy_replay, replay, replay_csv};
use tel_replay::db::{DbError, EventOrder};
use tel_replay::estimate::EstimatorPredictor;
use tel_replay::legacy_log::parse_legacy_line;
use tel_replay::legacy_replay::{LegacySample, SampleSource, render_legacy, replay_legacy};
use tel_replay::replay::{NamedPredictor, Replay, ReplayOptions, render_table, stored_prediction};
use tel_store::coefficients::load_coefficients;
use tel_store::workspace_dir::DirectoryWorkspace;

use crate::cli::{DbArgs, GlobalArgs};
use crate::cmd::db::require_migrated;
use crate::cmd::filters::EventFilterArgs;
use crate::cmd::progress::EventsBar;

/// `--help` examples.
pub const EXAMPLES: &str = "Examples:
  tel replay                                   # stored predictions vs v2-head, censoring-aware
  tel replay --profile v2-head --coefficients fitted.toml --json
  tel replay --category docs --csv > per-event.csv
  tel replay --legacy                          # the original replay tool's output, from the database
  tel replay --legacy --log build132_telemetry_samples.log --profile v2-head";

/// The profile replayed when none is given.
const DEFAULT_PROFILE: &str = "v2-head";

/// Arguments of `tel replay`.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct ReplayArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Reproduce the original replay tool's output byte for byte (METRICS.md A2); no filters.
    #[arg(long, conflicts_with_all = [
        "coefficients", "include_truncated", "json", "csv",
        "run_id", "category", "complexity", "model", "since", "until", "success_only",
    ])]
    pub legacy: bool,
    /// With --legacy: read `[TokenEstimationV2]` lines from this log file instead of the database.
    #[arg(long, value_name = "FILE", requires = "legacy")]
    pub log: Option<PathBuf>,
    /// Estimator profile to replay (see `tel profiles`); repeatable [default: v2-head].
    #[arg(long = "profile", value_name = "PROFILE")]
    pub profiles: Vec<String>,
    /// Coefficients file to replay as an estimator; repeatable.
    #[arg(long, value_name = "FILE")]
    pub coefficients: Vec<PathBuf>,
    /// Directory the estimator may inspect (default: an empty workspace, reproducible).
    #[arg(long, value_name = "DIR")]
    pub workspace: Option<PathBuf>,
    /// Add truncated events to SMAPE with their observed actual (labelled optimistic).
    #[arg(long)]
    pub include_truncated: bool,
    /// Print the report as JSON (schema in docs/REPLAY.md).
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print one CSV row per event with every estimator's prediction.
    #[arg(long)]
    pub csv: bool,
    #[command(flatten)]
    filters: EventFilterArgs,
}

/// Runs `tel replay`.
pub fn run(args: ReplayArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let workspace: Rc<dyn Workspace> = match &args.workspace {
        Some(dir) => Rc::new(DirectoryWorkspace::new(dir.clone())),
        None => Rc::new(EmptyWorkspace),
    };
    if args.legacy {
        legacy(&args, workspace, global.quiet)
    } else {
        censoring_aware(&args, workspace, global.quiet)
    }
}

fn builtin_profile(name: &str) -> anyhow::Result<Profile> {
    Profile::builtin(name).with_context(|| {
        format!(
            "unknown profile {name:?}: expected one of {}",
            Profile::builtin_names().join(", ")
        )
    })
}

/// The error of a replay from `url`, which names it.
fn replay_error(url: &impl std::fmt::Display, err: DbError) -> anyhow::Error {
    let context = if matches!(err, DbError::LegacyReplay(_)) {
        format!("{url}: cannot replay")
    } else {
        format!(
            "cannot replay from {url} (a new or legacy database must be migrated first: tel migrate)"
        )
    };
    anyhow::Error::new(err).context(context)
}

/// The original tool: one profile, every stored event newest first (or the log's lines).
fn legacy(
    args: &ReplayArgs,
    workspace: Rc<dyn Workspace>,
    quiet: bool,
) -> anyhow::Result<ExitCode> {
    let profile = match args.profiles.as_slice() {
        [] => builtin_profile(DEFAULT_PROFILE)?,
        [one] => builtin_profile(one)?,
        _ => bail!(
            "--legacy replays one profile; got {}",
            args.profiles.join(", ")
        ),
    };
    let mut predictor = EstimatorPredictor::new(Estimator::new(profile), workspace);
    let (stdout, stderr) = (std::io::stdout(), std::io::stderr());
    let mut out = BufWriter::new(stdout.lock());
    match &args.log {
        Some(log) => {
            let file = std::fs::File::open(log)
                .with_context(|| format!("cannot open {}", log.display()))?;
            let mut samples = Vec::new();
            for (i, line) in BufReader::new(file).lines().enumerate() {
                let line =
                    line.with_context(|| format!("{}:{}: cannot read line", log.display(), i + 1))?;
                if let Some(sample) = parse_legacy_line(&line) {
                    samples.push(LegacySample::from_log(&sample));
                }
            }
            let replay = replay_legacy(&samples, &mut predictor)
                .with_context(|| format!("{}: cannot replay", log.display()))?;
            render_legacy(&replay, SampleSource::LogFile, &mut out, &mut stderr.lock())?;
        }
        None => {
            let (url, mut conn) = args.db.open_read_only()?;
            require_migrated(&mut conn, &url)?;
            let mut progress = EventsBar::new("replay", quiet);
            legacy_replay(
                &mut conn,
                &mut predictor,
                &mut out,
                &mut stderr.lock(),
                &mut progress,
            )
            .map_err(|err| replay_error(&url, err))?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `stored`, then each profile, then each coefficients file.
fn predictors(
    args: &ReplayArgs,
    workspace: &Rc<dyn Workspace>,
) -> anyhow::Result<Vec<NamedPredictor>> {
    let estimator = |profile: Profile| -> Box<EstimatorPredictor> {
        let predictor = EstimatorPredictor::new(Estimator::new(profile), Rc::clone(workspace));
        // Repeated inputs are estimated once: exact with the empty workspace, whose answers never change.
        Box::new(match args.workspace {
            None => predictor.with_input_cache(),
            Some(_) => predictor,
        })
    };
    let mut predictors = vec![NamedPredictor {
        name: "stored".into(),
        predictor: Box::new(stored_prediction),
    }];
    let defaults = [DEFAULT_PROFILE.to_owned()];
    let profiles = if args.profiles.is_empty() && args.coefficients.is_empty() {
        &defaults[..]
    } else {
        &args.profiles[..]
    };
    for name in profiles {
        predictors.push(NamedPredictor {
            name: name.clone(),
            predictor: estimator(builtin_profile(name)?),
        });
    }
    for path in &args.coefficients {
        predictors.push(NamedPredictor {
            name: path.display().to_string(),
            predictor: estimator(load_coefficients(path)?),
        });
    }
    Ok(predictors)
}

/// The default replay (METRICS.md Part B): accuracy per estimator, overall and per stratum.
fn censoring_aware(
    args: &ReplayArgs,
    workspace: Rc<dyn Workspace>,
    quiet: bool,
) -> anyhow::Result<ExitCode> {
    let options = ReplayOptions {
        accuracy: AccuracyOptions {
            include_censored: args.include_truncated,
            ..AccuracyOptions::default()
        },
        ..ReplayOptions::default()
    };
    let estimators = Replay::new(predictors(args, &workspace)?, options);
    let query = args.filters.query(EventOrder::Ascending);
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let (url, mut conn) = args.db.open_read_only()?;
    let mut progress = EventsBar::new("replay", quiet);
    if args.csv {
        replay_csv(&mut conn, &query, estimators, &mut out, &mut progress)
            .map_err(|err| replay_error(&url, err))?;
    } else {
        let report = replay(&mut conn, &query, estimators, &mut progress)
            .map_err(|err| replay_error(&url, err))?;
        if args.json {
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        } else {
            render_table(&report, &mut out)?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
