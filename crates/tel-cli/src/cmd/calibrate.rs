//! `tel calibrate`: fit the overhead model's coefficients to stored events, cross-validated, and write a coefficients file.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use serde_json::json;
use tel_replay::calibrate::table::{budgets_table, overheads_table, prices_table, strata_table};
use tel_replay::calibrate::{CvConfig, Method};
use tel_replay::db::calibrate::{Calibration, CalibrationSettings, EventSource, calibrate};
use tel_store::coefficients::render_coefficients;

pub use super::source::SourceArgs;

/// Examples shown by `tel calibrate --help`.
pub const EXAMPLES: &str = "Examples:
  tel calibrate --database-url telemetry.db --output calibrated.toml
  tel calibrate --method legacy-sqrt-median --min-samples 8 --json
  tel calibrate --since 2025-12-25 --quantile 0.95 --folds 10 --seed 7
  tel estimate --coefficients calibrated.toml --category implementation --complexity low --deliverable src/a.py

Methods, assumptions and how to read the report: docs/CALIBRATION.md";

/// Arguments of `tel calibrate`.
#[derive(Debug, clap::Args)]
pub struct CalibrateArgs {
    /// Events and starting profile.
    #[command(flatten)]
    pub source: SourceArgs,
    /// Fitting method: censored-log (least squares on log tokens, truncated events as lower bounds) or
    /// legacy-sqrt-median (the original's old × sqrt(median(a/p)) rule).
    #[arg(long, default_value = "censored-log", value_parser = parse_method)]
    pub method: Method,
    /// Also report per-stratum budget multipliers at this target quantile (conformal).
    #[arg(long)]
    pub quantile: Option<f64>,
    /// Cross-validation folds.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(2..))]
    pub folds: u64,
    /// Seed of the fold shuffle.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Minimum non-truncated events for a coefficient to be fitted; smaller strata keep the prior.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    pub min_samples: u64,
    /// Write the calibrated coefficients file (TOML, version 1, with provenance) here.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

fn parse_method(text: &str) -> Result<Method, String> {
    text.parse()
        .map_err(|e: tel_replay::calibrate::CalibrateError| e.to_string())
}

/// Runs `tel calibrate`.
pub fn run(args: &CalibrateArgs) -> anyhow::Result<ExitCode> {
    if let Some(q) = args.quantile.filter(|q| !(*q > 0.0 && *q < 1.0)) {
        anyhow::bail!("--quantile {q}: expected a number strictly between 0 and 1");
    }
    let source = args.source.load()?;
    let settings = CalibrationSettings {
        method: args.method,
        cv: CvConfig {
            folds: args.folds as usize,
            seed: args.seed,
            min_samples: args.min_samples as usize,
        },
        quantile: args.quantile,
    };
    let calibration = calibrate(&source, &settings)?;
    let Calibration {
        fit,
        cv,
        budgets,
        calibrated,
        worse_than_prior: worse,
        provenance,
    } = &calibration;
    let observations = &source.prepared.observations;
    if !worse.is_empty() {
        eprintln!(
            "warning: out of sample (cross-validated) the refit does worse than the prior profile {}: {}; with {} observations, keep the prior{}",
            source.profile.id,
            worse.join(", "),
            observations.len(),
            if args.output.is_some() {
                " rather than the written file"
            } else {
                ""
            }
        );
    }
    if let Some(path) = &args.output {
        std::fs::write(path, render_coefficients(calibrated, Some(provenance)))
            .with_context(|| format!("{}: cannot write coefficients file", path.display()))?;
        eprintln!(
            "wrote {} (content hash {})",
            path.display(),
            calibrated.content_hash()
        );
    }
    if args.json {
        let report = json!({
            "method": args.method.name(),
            "profile": source.profile.id,
            "events": source.events,
            "observations": observations.len(),
            "skipped": source.prepared.skipped,
            "folds": cv.folds,
            "seed": cv.seed,
            "min_samples": settings.cv.min_samples,
            "overheads": fit.overheads,
            "prices": fit.prices,
            "cross_validation": cv,
            "worse_than_prior": worse,
            "quantile": args.quantile,
            "budget_multipliers": budgets.as_ref().map(|b| b.iter().map(|(s, v)| (s.to_string(), v)).collect::<BTreeMap<_, _>>()),
            "content_hash": calibrated.content_hash(),
        });
        outln!("{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        print_report(args, &source, &calibration)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn print_report(
    args: &CalibrateArgs,
    source: &EventSource,
    calibration: &Calibration,
) -> std::io::Result<()> {
    let (fit, cv) = (&calibration.fit, &calibration.cv);
    let skipped = &source.prepared.skipped;
    outln!(
        "calibrate: method {}, starting profile {}, {} events read: {} observations fitted, {} outside the overhead model (no deliverables, SOT or DOC_SYNTHESIS phases: simulated, not fitted), {} ineligible, {} truncation unknown",
        args.method,
        source.profile.id,
        source.events,
        source.prepared.observations.len(),
        skipped.other_model,
        skipped.ineligible,
        skipped.truncation_unknown,
    )?;
    outln!(
        "cross-validation: {} folds, seed {}; coefficients need >= {} non-truncated events (else the prior is kept)",
        cv.folds,
        cv.seed,
        args.min_samples
    )?;
    if source.prepared.observations.is_empty() {
        outln!(
            "nothing to fit: no event went through the overhead model (events without deliverables, SOT and DOC_SYNTHESIS phases are not fitted); every coefficient keeps its prior"
        )?;
        return Ok(());
    }
    let min_samples = args.min_samples as usize;
    outln!("{}", strata_table(cv, fit, min_samples, args.method))?;
    outln!("{}", overheads_table(fit, min_samples, args.method))?;
    outln!("{}", prices_table(fit, min_samples, args.method))?;
    if let (Some(q), Some(budgets)) = (args.quantile, &calibration.budgets) {
        outln!()?;
        outln!("budget multipliers at q = {q} (conformal quantile of a/p, non-truncated events):")?;
        outln!("{}", budgets_table(budgets))?;
        outln!(
            "(* sample too small for q: the maximum ratio; 'trunc above' = truncated events proving the multiplier too small)"
        )?;
    }
    Ok(())
}
