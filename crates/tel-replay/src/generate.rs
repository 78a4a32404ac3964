//! Deterministic synthetic telemetry: a stream of realistic events whose actuals follow a known ground truth.
//!
//! [`generate`] yields events one at a time (constant memory at any size); the same configuration and
//! seed always yield the same events. Runs of several phases each draw a category, complexity and
//! deliverables ([`Phase`]); a [`Predictor`] predicts and budgets them; the [`GroundTruth`] draws the
//! true need; the call truncates when the need reaches the ceiling. See `docs/GENERATOR.md`.

mod phase;
mod predictor;
mod rng;
mod truth;

pub use phase::{MAX_DELIVERABLES, Phase};
pub use predictor::{EstimatorPredictor, OraclePredictor, Prediction, Predictor};
pub use rng::Rng;
pub use truth::{DeliverableKind, GroundTruth, MIN_ACTUAL, Overhead, Price};

use tel_core::{
    EventDraft, RejectedDraft, TelExtras, TelemetryEvent, Timestamp, UsageKind, ValidityGuard,
};

/// The floor the original builder applied to most first attempts (FORMATS.md F2.7, the 16384 floor).
pub const CEILING_FLOOR: i64 = 16_384;
const MICROS_PER_SECOND: f64 = 1e6;
/// The ceiling of `--uncensored` calls (raised above the need in the unlikely case it is not).
pub const UNCENSORED_CEILING: i64 = 1_000_000;

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateConfig {
    /// Number of events.
    pub events: u64,
    /// Seed of the pseudo-random stream.
    pub seed: u64,
    /// Time of the first run's start; events follow at increasing times.
    pub start: Timestamp,
    /// The true token model behind the actuals.
    pub truth: GroundTruth,
    /// Send every call a ceiling above its need ([`UNCENSORED_CEILING`]), so none truncates and every
    /// actual is the true need; the phases, predictions and needs are those of the censored stream.
    pub uncensored: bool,
}

impl GenerateConfig {
    /// `events` events from `seed`, starting 2026-01-01 00:00:00 UTC, with the reference ground truth.
    pub fn new(events: u64, seed: u64) -> Self {
        Self {
            events,
            seed,
            start: Timestamp::from_parts(2026, 1, 1, 0, 0, 0, 0)
                .expect("2026-01-01 00:00:00 is a valid timestamp"),
            truth: GroundTruth::reference(),
            uncensored: false,
        }
    }
}

/// A model and how its provider spells the two stop reasons.
struct Model {
    name: &'static str,
    provider: &'static str,
    completed: &'static str,
    truncated: &'static str,
    weight: u32,
}

const MODELS: [Model; 3] = [
    Model {
        name: "claude-sonnet-4-5",
        provider: "anthropic",
        completed: "end_turn",
        truncated: "max_tokens",
        weight: 60,
    },
    Model {
        name: "gpt-4o",
        provider: "openai",
        completed: "stop",
        truncated: "length",
        weight: 25,
    },
    Model {
        name: "gemini-2.5-pro",
        provider: "gemini",
        completed: "STOP",
        truncated: "MAX_TOKENS",
        weight: 15,
    },
];

/// Generates `config.events` events predicted by the `v2-head` estimator with an empty workspace.
pub fn generate(config: GenerateConfig) -> Generator<EstimatorPredictor> {
    generate_with(config, EstimatorPredictor::default())
}

/// Generates `config.events` events, predicted by `predictor`.
pub fn generate_with<P: Predictor>(config: GenerateConfig, predictor: P) -> Generator<P> {
    Generator {
        rng: Rng::seeded(config.seed),
        clock: config.start.unix_micros(),
        config,
        predictor,
        emitted: 0,
        run: 0,
        phase_index: 0,
        phases_left: 0,
    }
}

/// The event stream; see [`generate`].
#[derive(Debug)]
pub struct Generator<P> {
    config: GenerateConfig,
    predictor: P,
    rng: Rng,
    emitted: u64,
    run: u64,
    phase_index: u64,
    phases_left: u64,
    /// Time of the latest event, µs since the epoch.
    clock: i64,
}

impl<P: Predictor> Generator<P> {
    /// Starts the next run: 1 + ⌊lognormal(median 8)⌋ phases (at most 60), after an idle gap (mean 10 min).
    fn start_run(&mut self) {
        if self.run > 0 {
            let idle = self.rng.exponential(600.0);
            self.advance(idle);
        }
        self.run += 1;
        self.phase_index = 0;
        self.phases_left = (1 + self.rng.lognormal(f64::ln(8.0), 0.6) as u64).min(60);
    }

    /// Moves the clock forward by `seconds` (at least 1 µs, so timestamps strictly increase).
    fn advance(&mut self, seconds: f64) {
        self.clock += ((seconds * MICROS_PER_SECOND) as i64).max(1);
    }

    /// The next phase as the writer would store it; `Err` when the writer's guard would drop it (an
    /// actual below 50, possible only when a predictor's budget is tiny).
    fn next_event(&mut self) -> Result<TelemetryEvent, RejectedDraft> {
        if self.phases_left == 0 {
            self.start_run();
        }
        self.phases_left -= 1;
        self.phase_index += 1;
        let rng = &mut self.rng;
        let phase = phase::sample_phase(rng);
        let prediction = self.predictor.predict(&phase);
        let ceiling = ceiling(phase.category, prediction.selected_budget);
        let median = self.config.truth.median_need(
            phase.category,
            phase.complexity,
            phase.kinds.iter().copied(),
        );
        let need = self.config.truth.sample_need(median, rng);
        let ceiling = if self.config.uncensored {
            UNCENSORED_CEILING.max(need + 1)
        } else {
            ceiling
        };
        let truncated = need >= ceiling;
        let model = &MODELS[rng.weighted(&MODELS.map(|m| m.weight))];
        // Truncated output rarely parses or applies; complete output usually does.
        let success = rng.chance(if truncated { 0.04 } else { 0.87 });
        let actual = if truncated { ceiling } else { need };
        // A short pause, then the call: ~40 output tokens per second plus latency.
        let pause = rng.exponential(20.0);
        let call = (8.0 + actual as f64 / 40.0) * rng.lognormal(0.0, 0.25);
        self.advance(pause + call);
        let draft = EventDraft {
            run_id: run_id(self.run),
            phase_id: phase_id(self.phase_index, phase.category, phase.deliverables.len()),
            category: prediction.category,
            complexity: phase.complexity,
            deliverables: phase.deliverables,
            predicted_output_tokens: prediction.predicted_output_tokens,
            actual_output_tokens: actual,
            selected_budget: prediction.selected_budget,
            success,
            truncated,
            stop_reason: Some(
                if truncated {
                    model.truncated
                } else {
                    model.completed
                }
                .to_owned(),
            ),
            model: model.name.to_owned(),
            is_truncated_output: None,
            doc_features: prediction.doc_features,
            sot: prediction.sot,
            actual_max_tokens: (prediction.selected_budget > 0).then_some(ceiling),
            extras: TelExtras::default()
                .with_estimator_profile(self.predictor.profile().map(str::to_owned))
                .with_provider(Some(model.provider.to_owned()))
                .with_usage_kind(Some(UsageKind::Output)),
        };
        draft.into_event(
            Timestamp::from_unix_micros(self.clock),
            &ValidityGuard::default(),
        )
    }
}

impl<P: Predictor> Iterator for Generator<P> {
    type Item = TelemetryEvent;

    fn next(&mut self) -> Option<TelemetryEvent> {
        if self.emitted >= self.config.events {
            return None;
        }
        self.emitted += 1;
        // Events the writer would not record are not emitted either; the next phase takes their place.
        loop {
            if let Ok(event) = self.next_event() {
                return Some(event);
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = usize::try_from(self.config.events - self.emitted).ok();
        (left.unwrap_or(usize::MAX), left)
    }
}

/// The ceiling the builder sent, simplified from FORMATS.md F2.7 (see `docs/GENERATOR.md`):
/// every phase gets the 16,384 floor (as most did: full-file mode or `large_refactor`), except that a
/// selected budget below it is kept for raw documentation categories; the P4 clamp keeps it ≥ the budget.
/// Without a budget the complexity default is floored to 16,384.
pub fn ceiling(raw_category: &str, selected_budget: i64) -> i64 {
    let docs = matches!(
        raw_category.to_lowercase().as_str(),
        "docs" | "documentation" | "doc_synthesis" | "doc_sot_update"
    );
    if docs && selected_budget > 0 && selected_budget < CEILING_FLOOR {
        selected_budget
    } else {
        selected_budget.max(CEILING_FLOOR)
    }
}

/// `run-0042`: four digits at least.
fn run_id(run: u64) -> String {
    format!("run-{run:04}")
}

/// `p007-implement-feature-3files`: unique within its run, in the style of the original's phase ids.
fn phase_id(index: u64, raw_category: &str, deliverables: usize) -> String {
    let slug = raw_category.to_lowercase().replace('_', "-");
    format!("p{index:03}-{slug}-{deliverables}files")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documentation_budgets_below_the_floor_are_kept() {
        assert_eq!(ceiling("documentation", 4680), 4680);
        assert_eq!(ceiling("Docs", 8192), 8192);
        assert_eq!(ceiling("docs", 20_000), 20_000);
        assert_eq!(ceiling("implementation", 8192), CEILING_FLOOR);
        assert_eq!(ceiling("implementation", 30_000), 30_000);
        assert_eq!(ceiling("docs", 0), CEILING_FLOOR);
    }

    #[test]
    fn ids_follow_the_documented_shapes() {
        assert_eq!(run_id(42), "run-0042");
        assert_eq!(run_id(123_456), "run-123456");
        assert_eq!(
            phase_id(7, "IMPLEMENT_FEATURE", 3),
            "p007-implement-feature-3files"
        );
    }
}
