//! `tel estimate`: run the output-token estimator and budget selection for one phase or a stream of requests.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::Args;
use serde_json::{Map, Value, json};
use tel_core::estimator::{
    EmptyWorkspace, EstimateInput, Estimator, Profile, TokenEstimate, Workspace,
};
use tel_core::pytext::py_float;
use tel_replay::coefficients::load_coefficients;
use tel_replay::workspace_dir::DirectoryWorkspace;

/// `--help` examples.
pub const EXAMPLES: &str = r#"Examples:
  tel estimate --category backend --complexity medium --deliverable "Create src/autopack/new_module.py"
  tel estimate --category documentation --complexity low --scope-path src --json \
      --task "Create comprehensive documentation from scratch" \
      --deliverable docs/API_REFERENCE.md --deliverable docs/EXAMPLES.md
  tel estimate --profile v1 --workspace ~/repo --category implementation --deliverable src/x.py
  tel estimate --coefficients fit.toml --batch requests.ndjson > results.ndjson
  echo '{"id": 1, "deliverables": ["src/a.py"], "category": "implementation", "complexity": "low"}' | tel estimate --batch -"#;

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
        Some(source) => run_batch(&estimator, workspace.as_ref(), source),
        None => run_single(&estimator, workspace.as_ref(), args),
    }
}

fn run_single(
    estimator: &Estimator,
    workspace: &dyn Workspace,
    args: &EstimateArgs,
) -> anyhow::Result<ExitCode> {
    let deliverables = Value::from(args.deliverables.clone());
    let input = EstimateInput {
        deliverables: &deliverables,
        category: args.category.as_deref().unwrap_or_default(),
        complexity: &args.complexity,
        scope_paths: (!args.scope_paths.is_empty()).then_some(args.scope_paths.as_slice()),
        task_description: &args.task,
    };
    let estimate = estimator.estimate(&input, workspace);
    let decision = estimator.budget_decision(&estimate, &args.complexity);
    let profile = estimator.profile();
    let mut out = std::io::stdout().lock();
    if args.json {
        let mut object = result_object(None, &estimate, decision.selected);
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

/// The result object of one estimate, keys in the documented order.
fn result_object(
    id: Option<Value>,
    estimate: &TokenEstimate,
    selected_budget: i64,
) -> Map<String, Value> {
    let mut object = Map::new();
    if let Some(id) = id {
        object.insert("id".into(), id);
    }
    object.insert("estimated_tokens".into(), estimate.estimated_tokens.into());
    object.insert("category".into(), estimate.category.as_str().into());
    object.insert(
        "deliverable_count".into(),
        estimate.deliverable_count.into(),
    );
    object.insert("confidence".into(), estimate.confidence.into());
    object.insert("breakdown".into(), estimate.breakdown_json());
    object.insert("selected_budget".into(), selected_budget.into());
    object
}

fn run_batch(
    estimator: &Estimator,
    workspace: &dyn Workspace,
    source: &Path,
) -> anyhow::Result<ExitCode> {
    let reader: Box<dyn BufRead> = if source == Path::new("-") {
        Box::new(std::io::stdin().lock())
    } else {
        let file = File::open(source)
            .with_context(|| format!("cannot open batch file {}", source.display()))?;
        Box::new(BufReader::new(file))
    };
    let mut out = BufWriter::new(std::io::stdout().lock());
    let failed = process_batch(estimator, workspace, reader, &mut out)
        .with_context(|| format!("batch {}", source.display()))?;
    out.flush()?;
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Streams requests to results line by line; returns whether any line failed.
fn process_batch(
    estimator: &Estimator,
    workspace: &dyn Workspace,
    mut reader: impl BufRead,
    out: &mut impl Write,
) -> anyhow::Result<bool> {
    let mut failed = false;
    let mut line = Vec::new();
    for number in 1.. {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        let text = match std::str::from_utf8(&line) {
            Ok(text) => text.trim(),
            Err(e) => {
                failed = true;
                writeln!(
                    out,
                    "{}",
                    json!({"id": null, "error": format!("line {number}: invalid UTF-8: {e}")})
                )?;
                continue;
            }
        };
        if text.is_empty() {
            continue;
        }
        let result = match serde_json::from_str::<Value>(text) {
            Err(e) => Err((Value::Null, format!("invalid JSON: {e}"))),
            Ok(request) => estimate_request(estimator, workspace, request),
        };
        let object = match result {
            Ok(object) => object,
            Err((id, what)) => {
                failed = true;
                json!({"id": id, "error": format!("line {number}: {what}")})
            }
        };
        writeln!(out, "{object}")?;
    }
    Ok(failed)
}

/// One batch request to its result object, or (id, what is wrong).
fn estimate_request(
    estimator: &Estimator,
    workspace: &dyn Workspace,
    request: Value,
) -> Result<Value, (Value, String)> {
    let Value::Object(mut request) = request else {
        return Err((Value::Null, "expected a JSON object".to_owned()));
    };
    let id = request.remove("id").unwrap_or(Value::Null);
    let fail = |what: String| Err((id.clone(), what));
    let string_field = |name: &str, required: bool| match request.get(name) {
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        None | Some(Value::Null) if !required => Ok(None),
        None => Err(format!("missing field `{name}` (expected a string)")),
        Some(other) => Err(format!("field `{name}`: expected a string, found {other}")),
    };
    let (category, complexity, task) = match (
        string_field("category", true),
        string_field("complexity", true),
        string_field("task_description", false),
    ) {
        (Ok(Some(category)), Ok(Some(complexity)), Ok(task)) => {
            (category, complexity, task.unwrap_or(""))
        }
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return fail(e),
        _ => return fail("missing field `category` or `complexity`".to_owned()),
    };
    let Some(deliverables) = request.get("deliverables") else {
        return fail("missing field `deliverables` (any JSON value)".to_owned());
    };
    let scope_paths: Option<Vec<String>> = match request.get("scope_paths") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => match items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect()
        {
            Some(paths) => Some(paths),
            None => {
                return fail(
                    "field `scope_paths`: expected an array of strings or null".to_owned(),
                );
            }
        },
        Some(other) => {
            return fail(format!(
                "field `scope_paths`: expected an array of strings or null, found {other}"
            ));
        }
    };
    let input = EstimateInput {
        deliverables,
        category,
        complexity,
        scope_paths: scope_paths.as_deref(),
        task_description: task,
    };
    let estimate = estimator.estimate(&input, workspace);
    let budget = estimator.select_budget(&estimate, complexity);
    Ok(Value::Object(result_object(Some(id), &estimate, budget)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(input: &str) -> (bool, Vec<String>) {
        let mut out = Vec::new();
        let failed = process_batch(
            &Estimator::v2_head(),
            &EmptyWorkspace,
            input.as_bytes(),
            &mut out,
        )
        .expect("runs");
        (
            failed,
            String::from_utf8(out)
                .expect("utf-8")
                .lines()
                .map(str::to_owned)
                .collect(),
        )
    }

    #[test]
    fn batch_results_keep_input_order_and_key_order() {
        let (failed, lines) = batch(concat!(
            r#"{"id": "a", "deliverables": ["Create src/autopack/new_module.py"], "category": "backend", "complexity": "medium"}"#,
            "\n\n",
            r#"{"id": 2, "deliverables": {"docs": ["BUILD_LOG.md"]}, "category": "docs", "complexity": "low", "scope_paths": ["a"], "task_description": null}"#,
            "\n",
        ));
        assert!(!failed);
        assert_eq!(
            lines,
            [
                r#"{"id":"a","estimated_tokens":6500,"category":"backend","deliverable_count":1,"confidence":1.0,"breakdown":{"backend_new":2000},"selected_budget":12288}"#,
                r#"{"id":2,"estimated_tokens":4205,"category":"doc_sot_update","deliverable_count":1,"confidence":0.7,"breakdown":{"sot_context_reconstruction":2200,"sot_write_entries":900,"sot_consistency_overhead":135},"selected_budget":9251}"#,
            ]
        );
    }

    #[test]
    fn malformed_lines_report_and_processing_continues() {
        let (failed, lines) = batch(concat!(
            "{not json\n",
            r#"{"id": 7, "deliverables": [], "complexity": "low"}"#,
            "\n",
            r#"{"id": 8, "deliverables": [], "category": "x", "complexity": "low", "scope_paths": [1]}"#,
            "\n[1]\n",
            r#"{"deliverables": null, "category": "backend", "complexity": "high"}"#,
        ));
        assert!(failed);
        assert_eq!(lines.len(), 5);
        assert!(
            lines[0].starts_with(r#"{"id":null,"error":"line 1: invalid JSON"#),
            "{}",
            lines[0]
        );
        assert_eq!(
            lines[1],
            r#"{"id":7,"error":"line 2: missing field `category` (expected a string)"}"#
        );
        assert!(
            lines[2].starts_with(r#"{"id":8,"error":"line 3: field `scope_paths`"#),
            "{}",
            lines[2]
        );
        assert_eq!(
            lines[3],
            r#"{"id":null,"error":"line 4: expected a JSON object"}"#
        );
        assert!(
            lines[4].starts_with(r#"{"id":null,"estimated_tokens":16384,"#),
            "{}",
            lines[4]
        );
    }
}
