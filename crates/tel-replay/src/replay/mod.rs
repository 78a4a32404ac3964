//! The default, censoring-aware replay (METRICS.md Part B): stream events, predict each with one or more
//! estimators, and accumulate an accuracy report per estimator, overall and per stratum.

mod csv;
mod table;

use std::collections::BTreeMap;

use serde::Serialize;
use tel_core::{
    AccuracyAccumulator, AccuracyOptions, AccuracyReport, BucketScheme, EventView, StratumKey,
    TelemetryEvent,
};

pub use csv::ReplayCsvWriter;
pub use table::render_table;

/// Version of the `tel replay --json` document; bumped on any incompatible change.
pub const REPORT_SCHEMA_VERSION: u32 = 1;

/// Predicts the output tokens of a stored event.
pub trait EventPredictor {
    /// The prediction for `event`.
    fn predict(&mut self, event: &TelemetryEvent) -> i64;
}

impl<F: FnMut(&TelemetryEvent) -> i64> EventPredictor for F {
    fn predict(&mut self, event: &TelemetryEvent) -> i64 {
        self(event)
    }
}

/// The prediction stored with the event (the "stored" estimator).
pub fn stored_prediction(event: &TelemetryEvent) -> i64 {
    event.predicted_output_tokens
}

/// A named estimator under test.
pub struct NamedPredictor {
    /// Name shown in reports (`stored`, a profile id, a coefficient file).
    pub name: String,
    /// The predictor.
    pub predictor: Box<dyn EventPredictor>,
}

/// Options of a replay.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct ReplayOptions {
    /// Accuracy options (censoring, pinball τ, minimum actual).
    pub accuracy: AccuracyOptions,
    /// Deliverable bucket scheme of the strata.
    pub buckets: BucketScheme,
}

/// One estimator's results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EstimatorReport {
    /// Estimator name.
    pub name: String,
    /// Over all events.
    pub overall: AccuracyReport,
    /// Per stratum, in stratum order.
    pub strata: Vec<StratumReport>,
}

/// One stratum's results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StratumReport {
    /// Normalised category, complexity, deliverable bucket.
    pub stratum: StratumKey,
    /// Accuracy within the stratum.
    pub report: AccuracyReport,
}

/// The document of `tel replay --json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplayReport {
    /// [`REPORT_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Options used.
    pub options: ReplayOptions,
    /// Events replayed.
    pub events: u64,
    /// One entry per estimator, in the order given.
    pub estimators: Vec<EstimatorReport>,
}

/// A replay in progress.
pub struct Replay {
    options: ReplayOptions,
    predictors: Vec<NamedPredictor>,
    overall: Vec<AccuracyAccumulator>,
    strata: BTreeMap<StratumKey, Vec<AccuracyAccumulator>>,
    events: u64,
}

impl Replay {
    /// A replay comparing `predictors` (usually `stored` first).
    pub fn new(predictors: Vec<NamedPredictor>, options: ReplayOptions) -> Self {
        // Every event lands in the overall accumulator and in exactly one stratum: only the strata keep
        // the per-event values, and the overall medians are taken over theirs (half the memory).
        let overall = predictors
            .iter()
            .map(|_| AccuracyAccumulator::counting(options.accuracy))
            .collect();
        Self {
            options,
            predictors,
            overall,
            strata: BTreeMap::new(),
            events: 0,
        }
    }

    /// Estimator names, in order.
    pub fn names(&self) -> Vec<String> {
        self.predictors.iter().map(|p| p.name.clone()).collect()
    }

    /// Predicts `event` with every estimator, accumulates, and returns the predictions in estimator order.
    pub fn push(&mut self, event: &TelemetryEvent) -> Vec<i64> {
        self.events += 1;
        let view = EventView::from(event);
        let key = StratumKey::of_event(event, self.options.buckets);
        let accuracy = self.options.accuracy;
        let count = self.predictors.len();
        let stratum = self.strata.entry(key).or_insert_with(|| {
            (0..count)
                .map(|_| AccuracyAccumulator::new(accuracy))
                .collect()
        });
        let predictions: Vec<i64> = self
            .predictors
            .iter_mut()
            .map(|p| p.predictor.predict(event))
            .collect();
        for (i, &predicted) in predictions.iter().enumerate() {
            self.overall[i].push(view, predicted);
            stratum[i].push(view, predicted);
        }
        predictions
    }

    /// The report over every pushed event.
    pub fn finish(&self) -> ReplayReport {
        let estimators = self
            .predictors
            .iter()
            .enumerate()
            .map(|(i, p)| EstimatorReport {
                name: p.name.clone(),
                overall: self.overall[i].finish_from_parts(
                    &self
                        .strata
                        .values()
                        .map(|accs| &accs[i])
                        .collect::<Vec<_>>(),
                ),
                strata: self
                    .strata
                    .iter()
                    .map(|(key, accs)| StratumReport {
                        stratum: key.clone(),
                        report: accs[i].finish(),
                    })
                    .collect(),
            })
            .collect();
        ReplayReport {
            schema_version: REPORT_SCHEMA_VERSION,
            options: self.options,
            events: self.events,
            estimators,
        }
    }
}
