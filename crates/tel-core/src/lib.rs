//! tel-core: pure domain types, telemetry metrics and the output-token estimator of tel.
//!
//! Nothing here does I/O, reads the clock or the environment, or touches a database: every function
//! is a deterministic computation on its arguments, so executors, the store and the replay engine can
//! all depend on it.
//!
//! Overview:
//! - the estimator ([`estimator`]): [`Estimator::estimate`](estimator::Estimator::estimate) predicts a
//!   phase's output tokens, [`Estimator::select_budget`](estimator::Estimator::select_budget) turns the
//!   prediction into a `max_tokens` budget;
//! - the event ([`TelemetryEvent`]) and its domain types ([`Complexity`], [`Category`], [`StopReasonKind`], [`Timestamp`]);
//! - the writer's rules: [`EventDraft`] → [`TelemetryEvent`] through the [`ValidityGuard`], deliverable
//!   sanitisation ([`sanitize_deliverables`]), the storable-value rules ([`validate`]) and the bit-exact
//!   stored metrics ([`EventMetrics`]);
//! - the named error formulas and statistics of the original tools ([`metrics`], [`stats`]);
//! - censoring-aware accuracy ([`accuracy`]) and stratification ([`strata`]) for new reports.
//!
//! An executor's use, around one model call: estimate before it, choose the budget, describe the call
//! after it and turn that into the event to store (tel-store's `Recorder` takes the [`EventDraft`] and
//! does this last step itself):
//!
//! ```
//! use tel_core::estimator::{EmptyWorkspace, EstimateInput, Estimator};
//! use tel_core::{
//!     Complexity, DocFeatures, EventDraft, RejectedDraft, SotFields, StopReasonKind, TelExtras,
//!     Timestamp, ValidityGuard,
//! };
//!
//! // Before the call: estimate the phase, then choose its max_tokens.
//! let estimator = Estimator::v2_head();
//! let deliverables = vec!["src/api/users.py".to_owned(), "tests/test_users.py".to_owned()];
//! let deliverables_json = serde_json::Value::from(deliverables.clone());
//! let complexity = Complexity::Medium;
//! let input = EstimateInput::new(&deliverables_json, "implementation", complexity)
//!     .with_task_description("Add the users endpoint");
//! // Files the estimator may look at come from a `Workspace`; `EmptyWorkspace`: nothing exists yet.
//! let estimate = estimator.estimate(&input, &EmptyWorkspace);
//! let budget = estimator.select_budget(&estimate, complexity);
//! assert_eq!((estimate.estimated_tokens, budget), (5948, 12288));
//!
//! // The call (not shown) runs with `max_tokens = budget` and reports its output tokens and stop reason.
//! let (actual_output_tokens, stop_reason) = (7435, "end_turn");
//!
//! // After the call: what the writer records, then the event with its stored metrics.
//! let draft = EventDraft {
//!     run_id: "run-1".into(),
//!     phase_id: "P1".into(),
//!     category: estimate.category.clone(),
//!     complexity,
//!     deliverables,
//!     predicted_output_tokens: estimate.estimated_tokens,
//!     actual_output_tokens,
//!     selected_budget: budget,
//!     success: true,
//!     truncated: StopReasonKind::classify(Some(stop_reason)) == StopReasonKind::Truncated,
//!     stop_reason: Some(stop_reason.into()),
//!     model: "claude-sonnet-4".into(),
//!     is_truncated_output: None,
//!     doc_features: DocFeatures::from_estimate(&estimate),
//!     sot: SotFields::from_estimate(&estimate),
//!     actual_max_tokens: Some(budget),
//!     extras: TelExtras::default()
//!         .with_provider(Some("anthropic".into()))
//!         .with_estimator_profile(Some(estimator.profile().id().into()))
//!         .with_coefficients_hash(Some(estimator.profile().content_hash())),
//! };
//! let now = Timestamp::parse("2025-12-24 01:55:10.435454")?;
//! // The validity guard, then the storable-value rules: a rejected draft is an error, not an event.
//! let mut implausible = draft.clone();
//! implausible.actual_output_tokens = 1;
//! assert!(matches!(
//!     implausible.into_event(now, &ValidityGuard::default()),
//!     Err(RejectedDraft::Guard(_))
//! ));
//! let event = draft.into_event(now, &ValidityGuard::default())?;
//! assert_eq!(event.validate(), Ok(()));
//! assert_eq!(event.waste_ratio, Some(0.8));
//! assert_eq!(event.underestimated, Some(true));
//! assert_eq!(event.deliverables_json, r#"["src/api/users.py", "tests/test_users.py"]"#);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What may change
//!
//! Types marked `#[non_exhaustive]` gain fields or variants in minor versions: the estimator's results
//! ([`TokenEstimate`](estimator::TokenEstimate), [`BudgetDecision`](estimator::BudgetDecision)) and
//! input ([`EstimateInput`](estimator::EstimateInput), built with `new` and `with_` methods), its
//! [`Profile`](estimator::Profile) and [`Switches`](estimator::Switches) (read from coefficient files), the
//! accuracy summaries, every error type, [`StopReasonKind`], [`UsageKind`], [`RejectedDraft`] and
//! [`TelExtras`] (tel's additions to the event; set with its `with_` methods). Match them with a `_` arm
//! and read their fields.
//! [`EventDraft`] is the original writer's argument list and is written as a literal; what tel adds
//! goes into [`TelExtras`]. [`TelemetryEvent`] and its parts ([`DocFeatures`], [`SotFields`]) are the
//! stored row: a new column adds a field (with a migration), so build events through
//! [`EventDraft::into_event`] rather than by hand. [`Complexity`] is the set the store's `CHECK`
//! constraint allows: a new value is a schema change every match must see, so it stays exhaustive. [`pytext`] holds the Python byte formats tel's own exports share; it is no domain API.

pub mod accuracy;
mod category;
mod complexity;
mod draft;
pub mod estimator;
mod event;
pub mod fields;
pub mod metrics;
pub mod pytext;
pub mod sanitize;
pub mod stats;
mod stop_reason;
pub mod strata;
mod timestamp;
pub mod validate;

pub use accuracy::{
    AccuracyAccumulator, AccuracyOptions, AccuracyReport, EventView, OrderStats, QuantityValues,
};
pub use category::{Category, normalise_category};
pub use complexity::{Complexity, UnknownComplexity};
pub use draft::{EventDraft, RejectedDraft, TelExtras};
pub use event::{DocFeatures, SotFields, TelemetryEvent, UsageKind};
pub use metrics::{EventMetrics, InvalidEvent, ValidityGuard};
pub use sanitize::{SanitizedDeliverables, sanitize_deliverables};
pub use stop_reason::StopReasonKind;
pub use strata::{BucketScheme, StratumKey};
pub use timestamp::{InvalidTimestamp, Timestamp};
pub use validate::{InvalidField, MAX_TEXT_BYTES};
