//! The default, censoring-aware replay (METRICS.md Part B): stream events, predict each with one or more
//! estimators, and accumulate an accuracy report per estimator, overall and per stratum.

mod csv;
mod spill;
mod table;

use std::collections::BTreeMap;

use serde::Serialize;
use tel_core::{
    AccuracyAccumulator, AccuracyOptions, AccuracyReport, BucketScheme, EventView, OrderStats,
    StratumKey, TelemetryEvent,
};

pub use csv::ReplayCsvWriter;
pub use spill::{DEFAULT_VALUE_BUDGET, SpillError, SpilledValues};
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

/// Quantities whose values make medians and percentiles: SMAPE, waste, slack.
const QUANTITIES: usize = 3;

/// One stratum: an accumulator per estimator and the first of its value lists (estimator-major, then quantity).
struct Stratum {
    accumulators: Vec<AccuracyAccumulator>,
    first_list: usize,
}

/// A replay in progress.
///
/// Memory is flat in the number of events: every accumulator only counts and sums, and the per-event values
/// of the medians and percentiles go to [`SpilledValues`], which keeps at most a budget of them in memory
/// ([`DEFAULT_VALUE_BUDGET`], or [`Replay::with_value_budget`]) and spills sorted runs to a temporary file
/// beyond it. The figures are the same, bit for bit, whether anything was spilled or not.
pub struct Replay {
    options: ReplayOptions,
    predictors: Vec<NamedPredictor>,
    overall: Vec<AccuracyAccumulator>,
    strata: BTreeMap<StratumKey, Stratum>,
    values: SpilledValues,
    events: u64,
}

impl Replay {
    /// A replay comparing `predictors` (usually `stored` first).
    pub fn new(predictors: Vec<NamedPredictor>, options: ReplayOptions) -> Self {
        // Every event lands in the overall accumulator and in exactly one stratum: only the strata's values
        // are kept, and the overall medians are taken over the union of their lists.
        let overall = predictors
            .iter()
            .map(|_| AccuracyAccumulator::counting(options.accuracy))
            .collect();
        Self {
            options,
            predictors,
            overall,
            strata: BTreeMap::new(),
            values: SpilledValues::new(DEFAULT_VALUE_BUDGET),
            events: 0,
        }
    }

    /// This replay, holding at most `values` per-event values in memory before spilling (tests make it small).
    pub fn with_value_budget(mut self, values: usize) -> Self {
        self.values = SpilledValues::new(values);
        self
    }

    /// Whether per-event values went to the temporary file (more than the budget were kept).
    pub fn spilled(&self) -> bool {
        self.values.spilled()
    }

    /// Estimator names, in order.
    pub fn names(&self) -> Vec<String> {
        self.predictors.iter().map(|p| p.name.clone()).collect()
    }

    /// Predicts `event` with every estimator, accumulates, and returns the predictions in estimator order.
    /// Fails only when the temporary file of values cannot be written.
    pub fn push(&mut self, event: &TelemetryEvent) -> Result<Vec<i64>, SpillError> {
        self.events += 1;
        let view = EventView::from(event);
        let key = StratumKey::of_event(event, self.options.buckets);
        let accuracy = self.options.accuracy;
        let count = self.predictors.len();
        let values = &mut self.values;
        let stratum = self.strata.entry(key).or_insert_with(|| Stratum {
            accumulators: (0..count)
                .map(|_| AccuracyAccumulator::counting(accuracy))
                .collect(),
            first_list: values.add_lists(count * QUANTITIES),
        });
        let predictions: Vec<i64> = self
            .predictors
            .iter_mut()
            .map(|p| p.predictor.predict(event))
            .collect();
        for (i, &predicted) in predictions.iter().enumerate() {
            self.overall[i].push(view, predicted);
            let pushed = stratum.accumulators[i].push_values(view, predicted);
            for (q, value) in pushed.as_array().into_iter().enumerate() {
                if let Some(value) = value {
                    values.push(stratum.first_list + i * QUANTITIES + q, value)?;
                }
            }
        }
        Ok(predictions)
    }

    /// The medians and percentiles of estimator `estimator` over the strata `strata`.
    fn order_stats<'s>(
        values: &mut SpilledValues,
        strata: impl Iterator<Item = &'s Stratum> + Clone,
        estimator: usize,
    ) -> Result<[OrderStats; QUANTITIES], SpillError> {
        let mut stats = [OrderStats::default(); QUANTITIES];
        for (q, slot) in stats.iter_mut().enumerate() {
            let lists: Vec<usize> = strata
                .clone()
                .map(|s| s.first_list + estimator * QUANTITIES + q)
                .collect();
            *slot = values.order_stats(&lists)?;
        }
        Ok(stats)
    }

    /// The report over every pushed event. Fails only when the temporary file of values cannot be read.
    pub fn finish(&mut self) -> Result<ReplayReport, SpillError> {
        let mut estimators = Vec::with_capacity(self.predictors.len());
        for (i, p) in self.predictors.iter().enumerate() {
            let overall = Self::order_stats(&mut self.values, self.strata.values(), i)?;
            let mut strata = Vec::with_capacity(self.strata.len());
            for (key, stratum) in &self.strata {
                let stats = Self::order_stats(&mut self.values, std::iter::once(stratum), i)?;
                strata.push(StratumReport {
                    stratum: key.clone(),
                    report: stratum.accumulators[i].finish_with(stats),
                });
            }
            estimators.push(EstimatorReport {
                name: p.name.clone(),
                overall: self.overall[i].finish_with(overall),
                strata,
            });
        }
        Ok(ReplayReport {
            schema_version: REPORT_SCHEMA_VERSION,
            options: self.options,
            events: self.events,
            estimators,
        })
    }
}
