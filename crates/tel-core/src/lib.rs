//! tel-core: pure domain types, telemetry metrics and the output-token estimator of tel.
//!
//! Nothing here does I/O, reads the clock or the environment, or touches a database: every function
//! is a deterministic computation on its arguments, so executors, the store and the replay engine can
//! all depend on it.
//!
//! Overview:
//! - the event ([`TelemetryEvent`]) and its domain types ([`Complexity`], [`Category`], [`StopReasonKind`], [`Timestamp`]);
//! - the writer's rules: [`EventDraft`] → [`TelemetryEvent`] through the [`ValidityGuard`], deliverable
//!   sanitisation ([`sanitize_deliverables`]) and the bit-exact stored metrics ([`EventMetrics`]);
//! - the named error formulas and statistics of the original tools ([`metrics`], [`stats`]);
//! - censoring-aware accuracy ([`accuracy`]) and stratification ([`strata`]) for new reports.
//!
//! Building an event from the writer's inputs and reading its metrics:
//!
//! ```
//! use tel_core::{Complexity, EventDraft, TelExtras, Timestamp, ValidityGuard};
//!
//! let draft = EventDraft {
//!     run_id: "run-1".into(),
//!     phase_id: "P1".into(),
//!     category: "implementation".into(),
//!     complexity: Complexity::Medium,
//!     deliverables: vec!["src/file1.py".into(), "docs/\u{e9}.md".into()],
//!     predicted_output_tokens: 1200,
//!     actual_output_tokens: 800,
//!     selected_budget: 4096,
//!     success: true,
//!     truncated: false,
//!     stop_reason: Some("end_turn".into()),
//!     model: "claude-sonnet-4".into(),
//!     is_truncated_output: None,
//!     doc_features: Default::default(),
//!     sot: Default::default(),
//!     actual_max_tokens: Some(4096),
//!     extras: TelExtras::default(),
//! };
//! let now = Timestamp::parse("2025-12-24 01:55:10.435454")?;
//! let event = draft.into_event(now, &ValidityGuard::default())?;
//! assert_eq!(event.smape_percent, Some(40.0));
//! assert_eq!(event.waste_ratio, Some(1.5));
//! assert_eq!(event.underestimated, Some(false));
//! assert_eq!(event.deliverables_json, r#"["src/file1.py", "docs/\u00e9.md"]"#);
//! assert_eq!(event.created_at, now);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod accuracy;
mod category;
mod complexity;
mod draft;
pub mod estimator;
mod event;
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
