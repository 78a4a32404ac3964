//! An example executor in Rust on the slim dependency path (docs/INTEGRATION.md): for every phase it
//! asks the estimator (optionally with a coefficients file and a directory workspace) for a budget,
//! "calls the model" (simulated), and records the outcome with the fail-safe recorder.
//!
//! `tel-example-executor DATABASE_URL [PHASES] [COEFFICIENTS.toml] [WORKSPACE_DIR]`

use std::path::Path;
use std::process::ExitCode;

use tel_core::estimator::{EmptyWorkspace, EstimateInput, Estimator, Workspace};
use tel_core::{Complexity, DocFeatures, EventDraft, SotFields, TelExtras};
use tel_store::coefficients::load_coefficients;
use tel_store::env::process_env;
use tel_store::workspace_dir::DirectoryWorkspace;
use tel_store::{RecordOutcome, Recorder, RecorderConfig};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(database_url) = args.first() else {
        eprintln!(
            "usage: tel-example-executor DATABASE_URL [PHASES] [COEFFICIENTS.toml] [WORKSPACE_DIR]"
        );
        return ExitCode::from(2);
    };
    let phases: u32 = match args.get(1).map(|n| n.parse()) {
        None => 20,
        Some(Ok(n)) => n,
        Some(Err(e)) => {
            eprintln!("PHASES {}: {e}", args[1]);
            return ExitCode::from(2);
        }
    };
    // A calibrated coefficients file (`tel calibrate --output`) or the builtin head profile.
    let estimator = match args.get(2) {
        Some(path) => match load_coefficients(Path::new(path)) {
            Ok(profile) => Estimator::new(profile),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        },
        None => Estimator::v2_head(),
    };
    let workspace: Box<dyn Workspace> = match args.get(3) {
        Some(dir) => Box::new(DirectoryWorkspace::new(dir)),
        None => Box::new(EmptyWorkspace),
    };
    let config = match RecorderConfig::from_env(Some(database_url), &process_env) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let recorder = Recorder::new(config);

    let (mut stored, mut other) = (0u32, 0u32);
    for phase in 0..phases {
        let deliverables = vec![format!("src/module_{phase}.py")];
        let deliverables_json = serde_json::Value::from(deliverables.clone());
        let complexity =
            [Complexity::Low, Complexity::Medium, Complexity::High][phase as usize % 3];
        let input = EstimateInput::new(&deliverables_json, "implementation", complexity);
        let estimate = estimator.estimate(&input, workspace.as_ref());
        let budget = estimator.select_budget(&estimate, complexity);

        // The model call, simulated: every fifth phase runs into its max_tokens.
        let truncated = phase % 5 == 4;
        let actual = if truncated {
            budget
        } else {
            (estimate.estimated_tokens * 3 / 4).max(50)
        };

        let outcome = recorder.record_forced(EventDraft {
            run_id: "example-run".into(),
            phase_id: format!("phase-{phase}"),
            category: estimate.category.clone(),
            complexity,
            deliverables,
            predicted_output_tokens: estimate.estimated_tokens,
            actual_output_tokens: actual,
            selected_budget: budget,
            success: !truncated,
            truncated,
            stop_reason: Some(if truncated { "max_tokens" } else { "end_turn" }.into()),
            model: "example-model".into(),
            is_truncated_output: None,
            doc_features: DocFeatures::from_estimate(&estimate),
            sot: SotFields::from_estimate(&estimate),
            actual_max_tokens: Some(budget),
            extras: TelExtras::default(),
        });
        match outcome {
            RecordOutcome::Stored { .. } => stored += 1,
            _ => other += 1,
        }
    }
    println!("{phases} phases: {stored} stored, {other} not stored");
    if other == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
