//! `tel estimate`: run the output-token estimator and budget selection for one phase or a stream of requests.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::Args;
use serde_json::Value;
use tel_core::estimator::{
    ComplexityInput, EmptyWorkspace, EstimateInput, Estimator, Profile, Workspace,
};
use tel_core::pytext::py_float;
use tel_replay::batch::{BatchOptions, estimate_object};
use tel_store::coefficients::load_coefficients;
use tel_store::workspace_dir::DirectoryWorkspace;

/// `--help` examples.
pub const EXAMPLES: &str = r#"Examples:
  tel estimate --category backend --complexity medium --deliverable "Create src/autopack/new_module.py"
  tel estimate --category documentation --complexity low --scope-path src --json \
      --task "Create comprehensive documentation from scratch" \
      --deliverable docs/API_REFERENCE.md --deliverable docs/EXAMPLES.md
  tel estimate --profile v1 --workspace ~/repo --category implementation --deliverable src/x.py
  tel estimate --coefficients fit.toml --batch requests.ndjson > results.ndjson
  echo '{"id": 1, "deliverables": ["src/a.py"], "category": "implementation", "complexity": "low"}' | tel estimate --batch -
  tel estimate --batch - --protocol 1      # a co-process: one answer per request line, flushed (docs/INTEGRATION.md)"#;

/// Arguments of `tel estimate`.
#[derive(Debug, Args)]
pub struct EstimateArgs {
    /// A deliverable of the phase (repeatable), e.g. "Create src/foo.py".
    #[arg(long = "deliverable", value_name = "TEXT")]
    pub deliverables: Vec<String>,
    /// Phase category, raw and case-sensitive (e.g. implementation, docs, IMPLEMENT_FEATURE).
    #[arg(long, required_unless_present = "batch")]
    pub category: Option<String>,
    /// Phase complexity, raw and case-sensitive (low, medium, high).
    #[arg(long, default_value = "medium")]
    pub complexity: String,
    /// A scope path (repeatable); only their number matters (context quality).
    #[arg(long = "scope-path", value_name = "PATH")]
    pub scope_paths: Vec<String>,
    /// Task description (used by the DOC_SYNTHESIS detector).
    #[arg(long, default_value = "")]
    pub task: String,
    /// Builtin estimator profile.
    #[arg(long, default_value = "v2-head", conflicts_with = "coefficients",
          value_parser = clap::builder::PossibleValuesParser::new(Profile::builtin_names()))]
    pub profile: String,
    /// Use the profile defined by this coefficients file (TOML, see docs/ESTIMATOR.md).
    #[arg(long, value_name = "FILE")]
    pub coefficients: Option<PathBuf>,
    /// Answer file existence and content from this directory (read-only); without it nothing exists.
    #[arg(long, value_name = "DIR")]
    pub workspace: Option<PathBuf>,
    /// Read one JSON request per line from FILE (`-` for stdin) and write one JSON result per line.
    #[arg(long, value_name = "FILE|-",
          conflicts_with_all = ["deliverables", "category", "scope_paths", "task"])]
    pub batch: Option<PathBuf>,
    /// With --batch: answer in co-process protocol VERSION (1): every line carries `protocol`, `line`,
    /// `ok` and, on an error, `field` (docs/INTEGRATION.md).
    #[arg(long, value_name = "VERSION", requires = "batch",
          value_parser = clap::value_parser!(u32).range(1..=1))]
    pub protocol: Option<u32>,
    /// Print the single estimate as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Runs `tel estimate`.
pub fn run(args: &EstimateArgs) -> anyhow::Result<ExitCode> {
    let profile = match &args.coefficients {
        Some(path) => load_coefficients(path)?,
        None => Profile::builtin(&args.profile)
            .with_context(|| format!("unknown profile {}", args.profile))?,
    };
    let estimator = Estimator::new(profile);
    let workspace: Box<dyn Workspace> = match &args.workspace {
        Some(dir) => {
            if !dir.is_dir() {
                bail!("--workspace {}: not a directory", dir.display());
            }
            Box::new(DirectoryWorkspace::new(dir))
        }
        None => Box::new(EmptyWorkspace),
    };
    match &args.batch {
        Some(source) => run_batch(
            &estimator,
            workspace.as_ref(),
            source,
            args.protocol.is_some(),
        ),
        None => run_single(&estimator, workspace.as_ref(), args),
    }
}

fn run_single(
    estimator: &Estimator,
    workspace: &dyn Workspace,
    args: &EstimateArgs,
) -> anyhow::Result<ExitCode> {
    let deliverables = Value::from(args.deliverables.clone());
    let complexity = ComplexityInput::raw(&args.complexity);
    let input = EstimateInput::new(
        &deliverables,
        args.category.as_deref().unwrap_or_default(),
        complexity,
    )
    .with_scope_paths((!args.scope_paths.is_empty()).then_some(args.scope_paths.as_slice()))
    .with_task_description(&args.task);
    let estimate = estimator.estimate(&input, workspace);
    let decision = estimator.budget_decision(&estimate, complexity);
    let profile = estimator.profile();
    let mut out = std::io::stdout().lock();
    if args.json {
        let mut object = estimate_object(None, &estimate, decision.selected);
        object.insert("complexity".into(), estimate.complexity.clone().into());
        object.insert("profile".into(), profile.id().into());
        object.insert("coefficients_hash".into(), profile.content_hash().into());
        if let Some(features) = &estimate.doc_features {
            object.insert("doc_features".into(), serde_json::to_value(features)?);
        }
        if let Some(quality) = estimate.context_quality {
            object.insert("context_quality".into(), quality.as_str().into());
        }
        if let Some(name) = &estimate.sot_file_name {
            object.insert("sot_file_name".into(), name.as_str().into());
        }
        writeln!(out, "{}", Value::Object(object))?;
    } else {
        writeln!(out, "estimate      {} tokens", estimate.estimated_tokens)?;
        writeln!(
            out,
            "budget        {} (base {}, buffer {:.2}x, with buffer {})",
            decision.selected, decision.base, decision.buffer, decision.with_buffer
        )?;
        writeln!(out, "category      {}", estimate.category)?;
        writeln!(out, "complexity    {}", estimate.complexity)?;
        writeln!(out, "confidence    {}", py_float(estimate.confidence))?;
        writeln!(out, "deliverables  {}", estimate.deliverable_count)?;
        if let Some(quality) = estimate.context_quality {
            writeln!(out, "context       {}", quality.as_str())?;
        }
        if let Some(name) = &estimate.sot_file_name {
            writeln!(out, "sot file      {name}")?;
        }
        writeln!(
            out,
            "profile       {} ({})",
            profile.id(),
            profile.content_hash()
        )?;
        if !estimate.breakdown.is_empty() {
            writeln!(out, "breakdown")?;
            let width = estimate
                .breakdown
                .iter()
                .map(|(k, _)| k.len())
                .max()
                .unwrap_or(0);
            for (key, value) in &estimate.breakdown {
                writeln!(out, "  {key:<width$}  {value}")?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn run_batch(
    estimator: &Estimator,
    workspace: &dyn Workspace,
    source: &Path,
    protocol: bool,
) -> anyhow::Result<ExitCode> {
    let (name, reader) = super::open_batch(source)?;
    let mut out = BufWriter::new(std::io::stdout().lock());
    // A co-process on stdin waits for each answer before it writes the next request.
    let options = BatchOptions {
        protocol,
        flush_each_line: source == Path::new("-"),
    };
    let summary =
        tel_replay::batch::run_batch(estimator, workspace, reader, &name, &mut out, options)
            .with_context(|| format!("batch {name}"))?;
    out.flush()?;
    Ok(if summary.failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
