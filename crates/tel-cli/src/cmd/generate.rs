//! `tel generate`: stream deterministic synthetic telemetry as NDJSON in the original export format.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use tel_core::TelemetryEvent;
use tel_core::pytext::{json_string_list, push_json_string, push_py_float};
use tel_replay::generate::{GenerateConfig, generate};

/// `--help` examples.
pub const EXAMPLES: &str = "Examples:
  tel generate --events 1000 --seed 7 > synthetic.ndjson
  tel generate --events 1000000 --seed 1 --output big.ndjson --truth truth.json";

/// Arguments of `tel generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Number of events to generate.
    #[arg(long, default_value_t = 1000)]
    pub events: u64,
    /// Seed: the same seed always yields the same events.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Ndjson)]
    pub format: Format,
    /// Write the events to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write the ground-truth coefficient set behind the actuals, as JSON, to FILE.
    #[arg(long, value_name = "FILE")]
    pub truth: Option<PathBuf>,
}

/// Output formats of `tel generate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One JSON object per line, keys and value formats of the original export tool.
    Ndjson,
}

/// Runs `tel generate`.
pub fn run(args: &GenerateArgs) -> anyhow::Result<ExitCode> {
    let config = GenerateConfig::new(args.events, args.seed);
    if let Some(path) = &args.truth {
        let text = serde_json::to_string_pretty(&config.truth)?;
        std::fs::write(path, text + "\n")
            .with_context(|| format!("cannot write the ground truth to {}", path.display()))?;
    }
    let sink: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = BufWriter::with_capacity(1 << 16, sink);
    let mut line = String::with_capacity(1024);
    match args.format {
        Format::Ndjson => {
            for event in generate(config) {
                line.clear();
                interim_export_line(&mut line, &event);
                out.write_all(line.as_bytes())?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// INTERIM until tel-replay's export line writer is on main (switch to it then): one NDJSON line of
/// telemetry.md §6 — keys in the original's order, `", "` / `": "` separators, ASCII-only strings,
/// Python float text, deliverables re-serialised from `deliverables_json`, trailing newline.
fn interim_export_line(out: &mut String, e: &TelemetryEvent) {
    let key = |out: &mut String, name: &str| {
        if out.len() > 1 {
            out.push_str(", ");
        }
        push_json_string(out, name);
        out.push_str(": ");
    };
    out.push('{');
    for (name, value) in [
        ("run_id", e.run_id.as_str()),
        ("phase_id", &e.phase_id),
        ("timestamp", &e.timestamp.to_iso_text()),
        ("category", &e.category),
        ("complexity", e.complexity.as_str()),
    ] {
        key(out, name);
        push_json_string(out, value);
    }
    key(out, "deliverable_count");
    out.push_str(&e.deliverable_count.to_string());
    key(out, "deliverables");
    out.push_str(&json_string_list(&e.deliverables()));
    for (name, value) in [
        ("predicted_output_tokens", e.predicted_output_tokens),
        ("actual_output_tokens", e.actual_output_tokens),
        ("selected_budget", e.selected_budget),
    ] {
        key(out, name);
        out.push_str(&value.to_string());
    }
    key(out, "success");
    out.push_str(bool_text(Some(e.success)));
    key(out, "truncated");
    out.push_str(bool_text(Some(e.truncated)));
    key(out, "stop_reason");
    match &e.stop_reason {
        Some(reason) => push_json_string(out, reason),
        None => out.push_str("null"),
    }
    key(out, "model");
    push_json_string(out, &e.model);
    for (name, value) in [
        ("smape_percent", e.smape_percent),
        ("waste_ratio", e.waste_ratio),
    ] {
        key(out, name);
        match value {
            Some(x) => push_py_float(out, x),
            None => out.push_str("null"),
        }
    }
    key(out, "underestimated");
    out.push_str(bool_text(e.underestimated));
    out.push_str("}\n");
}

fn bool_text(value: Option<bool>) -> &'static str {
    match value {
        Some(true) => "true",
        Some(false) => "false",
        None => "null",
    }
}

#[cfg(test)]
mod tests {
    use tel_core::{Complexity, EventDraft, TelExtras, Timestamp, ValidityGuard};

    use super::*;

    /// The example line of telemetry.md §6 (legacy event 7), byte for byte.
    #[test]
    fn export_line_matches_the_specified_legacy_example() {
        let docs = [
            "OVERVIEW",
            "USAGE_GUIDE",
            "API_REFERENCE",
            "EXAMPLES",
            "FAQ",
        ];
        let event = EventDraft {
            run_id: "unknown".into(),
            phase_id: "build129-p3-w1.9-documentation-low-5files".into(),
            category: "documentation".into(),
            complexity: Complexity::Low,
            deliverables: docs
                .map(|d| format!("docs/token_estimator/{d}.md"))
                .to_vec(),
            predicted_output_tokens: 5200,
            actual_output_tokens: 16384,
            selected_budget: 8192,
            success: false,
            truncated: true,
            stop_reason: Some("max_tokens".into()),
            model: "claude-sonnet-4-5".into(),
            is_truncated_output: None,
            doc_features: Default::default(),
            sot: Default::default(),
            actual_max_tokens: None,
            extras: TelExtras::default(),
        }
        .into_event(
            Timestamp::parse("2025-12-24 01:55:10.435454").unwrap(),
            &ValidityGuard::default(),
        )
        .unwrap();
        let mut line = String::new();
        interim_export_line(&mut line, &event);
        let expected = r#"{"run_id": "unknown", "phase_id": "build129-p3-w1.9-documentation-low-5files", "timestamp": "2025-12-24T01:55:10.435454", "category": "documentation", "complexity": "low", "deliverable_count": 5, "deliverables": ["docs/token_estimator/OVERVIEW.md", "docs/token_estimator/USAGE_GUIDE.md", "docs/token_estimator/API_REFERENCE.md", "docs/token_estimator/EXAMPLES.md", "docs/token_estimator/FAQ.md"], "predicted_output_tokens": 5200, "actual_output_tokens": 16384, "selected_budget": 8192, "success": false, "truncated": true, "stop_reason": "max_tokens", "model": "claude-sonnet-4-5", "smape_percent": 103.63232023721277, "waste_ratio": 0.3173828125, "underestimated": true}"#;
        assert_eq!(line, format!("{expected}\n"));
    }
}
