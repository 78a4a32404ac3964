//! Censoring-aware accuracy of one estimator's predictions over a set of events (METRICS.md Part B, B1-B8):
//! eligibility, normalised truncation, SMAPE, waste, underestimation with unknowns, slack, coverage, pinball loss.
//!
//! Streaming: push one [`EventView`] and its prediction at a time into an [`AccuracyAccumulator`], then
//! [`finish`](AccuracyAccumulator::finish). Only the per-event values that medians need are kept.

use serde::{Deserialize, Serialize};

use crate::metrics::{ValidityGuard, smape_triage};
use crate::stats::{NeumaierSum, Rate, median_true, percentile_nearest_rank, percentile_rank};
use crate::{StopReasonKind, TelemetryEvent, UsageKind};

/// The accuracy-relevant facts of one event: small and `Copy`, so a replay can pair it with re-predictions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventView {
    /// The stored prediction (a replay passes its own prediction to [`AccuracyAccumulator::push`]).
    pub predicted: i64,
    /// Observed output tokens; `None` when the provider call failed and reported no usage.
    pub actual: Option<i64>,
    /// The ceiling actually sent, when recorded.
    pub actual_max_tokens: Option<i64>,
    /// The stored truncation flag (authoritative for legacy rows).
    pub truncated: bool,
    /// The normalised stop reason.
    pub stop_reason_kind: StopReasonKind,
    /// Output-only or input+output usage; `None` marks a row from the original (adopted, or imported
    /// from the original's NDJSON export): every writer of tel sets it.
    pub usage_kind: Option<UsageKind>,
}

impl From<&TelemetryEvent> for EventView {
    fn from(event: &TelemetryEvent) -> Self {
        Self {
            predicted: event.predicted_output_tokens,
            actual: Some(event.actual_output_tokens),
            actual_max_tokens: event.actual_max_tokens,
            truncated: event.truncated,
            stop_reason_kind: event.stop_reason_kind(),
            usage_kind: event.usage_kind,
        }
    }
}

/// Why an event is left out of every accuracy metric (METRICS.md B1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Exclusion {
    /// The provider call failed: no usage was reported.
    CallFailed,
    /// The actual is an input+output total (`usage_kind = total`, or a legacy row without stop reason).
    TotalUsage,
    /// No prediction (`p ≤ 0`).
    NoPrediction,
    /// The actual is below the validity guard's minimum (or not positive).
    InvalidActual,
}

/// Whether the output hit its ceiling (METRICS.md B2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Truncation {
    /// The observed actual is a lower bound of the true need.
    Truncated,
    /// The model finished below its ceiling.
    Complete,
    /// Neither the stop reason nor the ceiling tells; left out of truncation-dependent metrics.
    Unknown,
}

/// The classification of one event with one prediction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventClass {
    /// Counted, with its truncation status and observed actual.
    Eligible {
        /// Truncation status.
        truncation: Truncation,
        /// Observed output tokens (≥ the guard's minimum).
        actual: i64,
    },
    /// Left out, for this reason.
    Excluded(Exclusion),
}

impl EventView {
    /// The view of a row from the original (no `usage_kind`): only such rows get the legacy rules,
    /// where the `truncated` flag is authoritative and a NULL stop reason marks total usage.
    pub fn is_legacy(&self) -> bool {
        self.usage_kind.is_none()
    }

    /// Classifies this event with `predicted` (B1, checked in this order: call failed, total usage,
    /// no prediction, invalid actual; actuals below `min_actual` or ≤ 0 are invalid).
    pub fn classify(&self, predicted: i64, min_actual: i64) -> EventClass {
        match self.outcome(min_actual) {
            Err(reason @ (Exclusion::CallFailed | Exclusion::TotalUsage)) => {
                EventClass::Excluded(reason)
            }
            _ if predicted <= 0 => EventClass::Excluded(Exclusion::NoPrediction),
            Err(reason) => EventClass::Excluded(reason),
            Ok((truncation, actual)) => EventClass::Eligible { truncation, actual },
        }
    }

    /// The outcome of the call whatever was predicted: its truncation status and observed actual, or
    /// why it has none (call failed, total usage, invalid actual). Truncation, slack and budget
    /// policies need no prediction; events without one count here.
    pub fn outcome(&self, min_actual: i64) -> Result<(Truncation, i64), Exclusion> {
        let Some(actual) = self.actual else {
            return Err(Exclusion::CallFailed);
        };
        let total_usage = match self.usage_kind {
            Some(kind) => kind == UsageKind::Total,
            None => self.stop_reason_kind == StopReasonKind::Unknown,
        };
        if total_usage {
            Err(Exclusion::TotalUsage)
        } else if actual < min_actual.max(1) {
            Err(Exclusion::InvalidActual)
        } else {
            Ok((self.truncation(actual), actual))
        }
    }

    /// B2: the legacy flag when legacy; else the stop reason; when that is unknown, `a ≥ b` if the
    /// ceiling `b` is known.
    fn truncation(&self, actual: i64) -> Truncation {
        let from_flag = |t: bool| {
            if t {
                Truncation::Truncated
            } else {
                Truncation::Complete
            }
        };
        if self.is_legacy() {
            return from_flag(self.truncated);
        }
        match (self.stop_reason_kind, self.actual_max_tokens) {
            (StopReasonKind::Truncated, _) => Truncation::Truncated,
            (StopReasonKind::Completed | StopReasonKind::Other, _) => Truncation::Complete,
            (StopReasonKind::Unknown, Some(ceiling)) => from_flag(actual >= ceiling),
            (StopReasonKind::Unknown, None) => Truncation::Unknown,
        }
    }

    /// B6's ceiling `b`: `actual_max_tokens` when recorded; for a truncated event without it, the
    /// observed actual (a call stopped by its ceiling reports exactly the ceiling). Never
    /// `selected_budget`, which is not the ceiling.
    pub fn ceiling(&self, truncation: Truncation, actual: i64) -> Option<i64> {
        match truncation {
            Truncation::Truncated => Some(self.truncated_ceiling(actual)),
            Truncation::Complete | Truncation::Unknown => self.actual_max_tokens,
        }
    }

    /// [`EventView::ceiling`] of a truncated event, which is always known.
    fn truncated_ceiling(&self, actual: i64) -> i64 {
        self.actual_max_tokens.unwrap_or(actual)
    }
}

/// A target quantile `τ` of the pinball loss, strictly between 0 and 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct PinballTau(f64);

/// A `τ` outside the open interval (0, 1).
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("invalid pinball tau {value}: expected a number strictly between 0 and 1")]
#[non_exhaustive]
pub struct InvalidTau {
    /// The rejected value.
    pub value: f64,
}

impl PinballTau {
    /// Validates `τ ∈ (0, 1)`.
    pub fn new(value: f64) -> Result<Self, InvalidTau> {
        if value > 0.0 && value < 1.0 {
            Ok(Self(value))
        } else {
            Err(InvalidTau { value })
        }
    }

    /// The value of `τ`.
    pub fn value(self) -> f64 {
        self.0
    }

    /// `L_τ(a, q) = τ·max(a − q, 0) + (1 − τ)·max(q − a, 0)` (B8).
    pub fn loss(self, actual: i64, budget: i64) -> f64 {
        let under = actual.saturating_sub(budget).max(0) as f64;
        let over = budget.saturating_sub(actual).max(0) as f64;
        self.0 * under + (1.0 - self.0) * over
    }
}

impl TryFrom<f64> for PinballTau {
    type Error = InvalidTau;

    fn try_from(value: f64) -> Result<Self, InvalidTau> {
        Self::new(value)
    }
}

impl From<PinballTau> for f64 {
    fn from(tau: PinballTau) -> f64 {
        tau.0
    }
}

impl Default for PinballTau {
    /// τ = 0.95.
    fn default() -> Self {
        Self(0.95)
    }
}

/// Options of an accuracy report.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AccuracyOptions {
    /// Add truncated events (with their observed lower-bound actual) to SMAPE; the result is labelled optimistic (B3).
    pub include_censored: bool,
    /// Target quantile of the pinball loss.
    pub pinball_tau: PinballTau,
    /// Actuals below this are `excluded_invalid_actual` (the writer guard's minimum, 50 by default).
    pub min_actual_output_tokens: i64,
}

impl Default for AccuracyOptions {
    fn default() -> Self {
        Self {
            include_censored: false,
            pinball_tau: PinballTau::default(),
            min_actual_output_tokens: ValidityGuard::LEGACY_MIN_ACTUAL_OUTPUT_TOKENS,
        }
    }
}

/// Events left out of every metric, by reason (B1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ExclusionCounts {
    /// No usage reported.
    pub call_failed: u64,
    /// Input+output usage (fallback rows).
    pub total_usage: u64,
    /// `p ≤ 0`.
    pub no_prediction: u64,
    /// Actual below the minimum.
    pub invalid_actual: u64,
}

impl ExclusionCounts {
    fn count(&mut self, reason: Exclusion) {
        let slot = match reason {
            Exclusion::CallFailed => &mut self.call_failed,
            Exclusion::TotalUsage => &mut self.total_usage,
            Exclusion::NoPrediction => &mut self.no_prediction,
            Exclusion::InvalidActual => &mut self.invalid_actual,
        };
        *slot += 1;
    }

    /// All excluded events.
    pub fn total(&self) -> u64 {
        self.call_failed + self.total_usage + self.no_prediction + self.invalid_actual
    }
}

/// SMAPE (B4) on the 0-200 scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SmapeSummary {
    /// Events averaged.
    pub n: u64,
    /// Truncated events included with their lower-bound actual (only with `include_censored`).
    pub censored_included: u64,
    /// Truncated events left out (without `include_censored`).
    pub censored_excluded: u64,
    /// Eligible events with unknown truncation, left out.
    pub truncation_unknown: u64,
    /// True when censored events are included: the values understate the true error.
    pub optimistic: bool,
    /// MEAN-N of `s_i`, summed in push order.
    pub mean: Option<f64>,
    /// MED-T of `s_i`.
    pub median: Option<f64>,
    /// Nearest-rank 90th percentile of `s_i`.
    pub p90: Option<f64>,
}

/// Waste ratio `p / a` (B5) over non-truncated events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WasteSummary {
    /// Events aggregated.
    pub n: u64,
    /// Truncated events left out.
    pub censored_excluded: u64,
    /// Eligible events with unknown truncation, left out.
    pub truncation_unknown: u64,
    /// MED-T of `p / a`.
    pub median: Option<f64>,
    /// `exp(mean(ln(max(p, 1) / a)))`, the mean summed in push order.
    pub geometric_mean: Option<f64>,
    /// Nearest-rank 90th percentile of `p / a` (the tail of over-prediction).
    pub p90: Option<f64>,
}

/// Underestimation with unknowns (B6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UnderestimationSummary {
    /// Underestimated events over non-truncated + truncated-known events.
    pub rate: Rate,
    /// Truncated events with `p ≥ b`: the truth is unknown; left out of the denominator.
    pub unknown: u64,
    /// Eligible events with unknown truncation, left out.
    pub truncation_unknown: u64,
}

/// Budget slack `(b − a) / b` (B5) on non-truncated events with a recorded positive ceiling.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SlackSummary {
    /// Events aggregated.
    pub n: u64,
    /// Non-truncated events without a recorded ceiling (all legacy rows), left out.
    pub ceiling_unknown: u64,
    /// MEAN-N of the slack.
    pub mean: Option<f64>,
    /// MED-T of the slack.
    pub median: Option<f64>,
    /// Nearest-rank 90th percentile of the slack.
    pub p90: Option<f64>,
}

/// Mean pinball loss of the ceiling (B8).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PinballSummary {
    /// Target quantile.
    pub tau: f64,
    /// Non-truncated events with a recorded ceiling.
    pub n: u64,
    /// Non-truncated events without a recorded ceiling, left out.
    pub ceiling_unknown: u64,
    /// Truncated events, left out of `mean` (they enter `censored_lower_bound`).
    pub censored_excluded: u64,
    /// Mean loss over the `n` non-truncated events (compensated sum).
    pub mean: Option<f64>,
    /// Events in the lower bound: `n` plus truncated events with a known ceiling.
    pub censored_lower_bound_n: u64,
    /// Lower end of the interval that includes truncated events with their lower-bound contribution
    /// `τ·max(a_obs − b, 0)`; the upper end is unbounded.
    pub censored_lower_bound: Option<f64>,
}

/// Every Part B aggregate of one estimator's predictions over a set of events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AccuracyReport {
    /// The options the report was computed with.
    pub options: AccuracyOptions,
    /// Events pushed.
    pub events: u64,
    /// Eligible events (B1).
    pub eligible: u64,
    /// Excluded events by reason.
    pub excluded: ExclusionCounts,
    /// Eligible truncated events.
    pub truncated: u64,
    /// Eligible non-truncated events.
    pub non_truncated: u64,
    /// Eligible events whose truncation is unknown.
    pub truncation_unknown: u64,
    /// Truncated over eligible events with known truncation (B2).
    pub truncation_rate: Rate,
    /// `1 − truncation rate` (B7).
    pub coverage: Option<f64>,
    /// SMAPE (B4).
    pub smape: SmapeSummary,
    /// Waste ratio (B5).
    pub waste: WasteSummary,
    /// Underestimation (B6).
    pub underestimation: UnderestimationSummary,
    /// Budget slack (B5).
    pub budget_slack: SlackSummary,
    /// Pinball loss (B8).
    pub pinball: PinballSummary,
}

/// B4's per-event SMAPE: `0` when `p = a = 0`, else `200·|p − a| / (a + p)` (integers in, one f64 division,
/// i.e. S-T) with both values clamped at 0 first. For `p = 0, a > 0` this is 200.
pub fn smape_b4(predicted: i64, actual: i64) -> f64 {
    smape_triage(predicted.max(0), actual.max(0))
}

/// Streaming accumulator of an [`AccuracyReport`].
#[derive(Debug, Clone)]
pub struct AccuracyAccumulator {
    options: AccuracyOptions,
    events: u64,
    excluded: ExclusionCounts,
    truncated: u64,
    non_truncated: u64,
    truncation_unknown: u64,
    smape: Quantity,
    waste: Quantity,
    ln_waste_sum: f64,
    under: u64,
    under_unknown: u64,
    slack: Quantity,
    ceiling_unknown: u64,
    pinball: NeumaierSum,
    pinball_n: u64,
    pinball_censored: NeumaierSum,
    pinball_censored_n: u64,
}

impl AccuracyAccumulator {
    /// An empty accumulator.
    pub fn new(options: AccuracyOptions) -> Self {
        Self::with_values(options, true)
    }

    /// An empty accumulator that keeps counts and sums but not the per-event values: its report comes from
    /// [`Self::finish_with`], with the medians and percentiles of the values [`Self::push_values`] returned,
    /// kept by the caller (a replay spills them to disk). Exact, in flat memory.
    pub fn counting(options: AccuracyOptions) -> Self {
        Self::with_values(options, false)
    }

    fn with_values(options: AccuracyOptions, keep_values: bool) -> Self {
        let quantity = Quantity {
            keep_values,
            ..Quantity::default()
        };
        Self {
            options,
            events: 0,
            excluded: ExclusionCounts::default(),
            truncated: 0,
            non_truncated: 0,
            truncation_unknown: 0,
            smape: quantity.clone(),
            waste: quantity.clone(),
            ln_waste_sum: 0.0,
            under: 0,
            under_unknown: 0,
            slack: quantity,
            ceiling_unknown: 0,
            pinball: NeumaierSum::default(),
            pinball_n: 0,
            pinball_censored: NeumaierSum::default(),
            pinball_censored_n: 0,
        }
    }

    /// Adds one event with the prediction under test (`view.predicted` for stored predictions).
    pub fn push(&mut self, view: EventView, predicted: i64) {
        self.push_values(view, predicted);
    }

    /// [`Self::push`], returning the per-event values the medians and percentiles are taken over: a
    /// [`Self::counting`] accumulator keeps none, so its caller can keep them elsewhere (on disk) and
    /// report through [`Self::finish_with`].
    pub fn push_values(&mut self, view: EventView, predicted: i64) -> QuantityValues {
        self.events += 1;
        let mut values = QuantityValues::default();
        let (truncation, actual) =
            match view.classify(predicted, self.options.min_actual_output_tokens) {
                EventClass::Excluded(reason) => {
                    self.excluded.count(reason);
                    return values;
                }
                EventClass::Eligible { truncation, actual } => (truncation, actual),
            };
        match truncation {
            Truncation::Unknown => self.truncation_unknown += 1,
            Truncation::Complete => self.push_complete(view, predicted, actual, &mut values),
            Truncation::Truncated => self.push_truncated(view, predicted, actual, &mut values),
        }
        values
    }

    fn push_complete(
        &mut self,
        view: EventView,
        predicted: i64,
        actual: i64,
        values: &mut QuantityValues,
    ) {
        self.non_truncated += 1;
        values.smape = Some(self.smape.push(smape_b4(predicted, actual)));
        values.waste = Some(self.waste.push(predicted as f64 / actual as f64));
        self.ln_waste_sum += (predicted.max(1) as f64 / actual as f64).ln();
        if predicted < actual {
            self.under += 1;
        }
        match view.actual_max_tokens.filter(|&b| b > 0) {
            Some(ceiling) => {
                values.slack = Some(
                    self.slack
                        .push(ceiling.saturating_sub(actual) as f64 / ceiling as f64),
                );
                let loss = self.options.pinball_tau.loss(actual, ceiling);
                self.pinball.add(loss);
                self.pinball_n += 1;
                self.pinball_censored.add(loss);
                self.pinball_censored_n += 1;
            }
            None => self.ceiling_unknown += 1,
        }
    }

    fn push_truncated(
        &mut self,
        view: EventView,
        predicted: i64,
        actual: i64,
        values: &mut QuantityValues,
    ) {
        self.truncated += 1;
        if self.options.include_censored {
            values.smape = Some(self.smape.push(smape_b4(predicted, actual)));
        }
        let ceiling = view.truncated_ceiling(actual);
        if predicted < ceiling {
            self.under += 1;
        } else {
            self.under_unknown += 1;
        }
        let tau = self.options.pinball_tau.value();
        self.pinball_censored
            .add(tau * actual.saturating_sub(ceiling).max(0) as f64);
        self.pinball_censored_n += 1;
    }

    /// The report over everything pushed so far (of an accumulator made by [`Self::new`]).
    pub fn finish(&self) -> AccuracyReport {
        debug_assert!(
            self.smape.keep_values,
            "a counting accumulator reports through finish_with"
        );
        self.report([&self.smape, &self.waste, &self.slack].map(|q| OrderStats::of(&q.values)))
    }

    /// The report of a [`Self::counting`] accumulator, given the order statistics of its SMAPE, waste and
    /// slack values (those [`Self::push_values`] returned), in that order.
    pub fn finish_with(&self, order_stats: [OrderStats; 3]) -> AccuracyReport {
        self.report(order_stats)
    }

    /// The report, given the order statistics of SMAPE, waste and slack.
    fn report(&self, [smape, waste, slack]: [OrderStats; 3]) -> AccuracyReport {
        let truncation_rate = Rate {
            count: self.truncated,
            n: self.truncated + self.non_truncated,
        };
        let censored_included = if self.options.include_censored {
            self.truncated
        } else {
            0
        };
        let n_waste = self.waste.n;
        AccuracyReport {
            options: self.options,
            events: self.events,
            eligible: self.truncated + self.non_truncated + self.truncation_unknown,
            excluded: self.excluded,
            truncated: self.truncated,
            non_truncated: self.non_truncated,
            truncation_unknown: self.truncation_unknown,
            truncation_rate,
            coverage: truncation_rate.fraction().map(|rate| 1.0 - rate),
            smape: SmapeSummary {
                n: self.smape.n,
                censored_included,
                censored_excluded: self.truncated - censored_included,
                truncation_unknown: self.truncation_unknown,
                optimistic: self.options.include_censored,
                mean: self.smape.mean(),
                median: smape.median,
                p90: smape.p90,
            },
            waste: WasteSummary {
                n: n_waste,
                censored_excluded: self.truncated,
                truncation_unknown: self.truncation_unknown,
                median: waste.median,
                geometric_mean: (n_waste > 0).then(|| (self.ln_waste_sum / n_waste as f64).exp()),
                p90: waste.p90,
            },
            underestimation: UnderestimationSummary {
                rate: Rate {
                    count: self.under,
                    n: self.non_truncated + self.truncated - self.under_unknown,
                },
                unknown: self.under_unknown,
                truncation_unknown: self.truncation_unknown,
            },
            budget_slack: SlackSummary {
                n: self.slack.n,
                ceiling_unknown: self.ceiling_unknown,
                mean: self.slack.mean(),
                median: slack.median,
                p90: slack.p90,
            },
            pinball: PinballSummary {
                tau: self.options.pinball_tau.value(),
                n: self.pinball_n,
                ceiling_unknown: self.ceiling_unknown,
                censored_excluded: self.truncated,
                mean: (self.pinball_n > 0).then(|| self.pinball.total() / self.pinball_n as f64),
                censored_lower_bound_n: self.pinball_censored_n,
                censored_lower_bound: (self.pinball_censored_n > 0)
                    .then(|| self.pinball_censored.total() / self.pinball_censored_n as f64),
            },
        }
    }
}

/// One per-event quantity of a report (SMAPE, waste ratio, budget slack): its count, its running sum (added in
/// push order from 0.0, exactly as MEAN-N sums) and, when kept, its values for the median and percentile.
#[derive(Debug, Clone, Default)]
struct Quantity {
    keep_values: bool,
    n: u64,
    sum: f64,
    values: Vec<f64>,
}

impl Quantity {
    /// Counts and sums `value` (kept if asked) and returns it.
    fn push(&mut self, value: f64) -> f64 {
        self.n += 1;
        self.sum += value;
        if self.keep_values {
            self.values.push(value);
        }
        value
    }

    /// MEAN-N of the pushed values.
    fn mean(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum / self.n as f64)
    }
}

/// The per-event values one push added to the SMAPE, waste and slack quantities (`None`: not added).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct QuantityValues {
    /// `s_i` (B4).
    pub smape: Option<f64>,
    /// `p / a` (B5).
    pub waste: Option<f64>,
    /// `(b − a) / b` (B5).
    pub slack: Option<f64>,
}

impl QuantityValues {
    /// The values in the order of [`AccuracyAccumulator::finish_with`]'s order statistics.
    pub fn as_array(self) -> [Option<f64>; 3] {
        [self.smape, self.waste, self.slack]
    }
}

/// MED-T and the nearest-rank P90 of a quantity's values.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct OrderStats {
    /// MED-T.
    pub median: Option<f64>,
    /// Nearest-rank 90th percentile.
    pub p90: Option<f64>,
}

impl OrderStats {
    /// The order statistics of `values`, in memory.
    pub fn of(values: &[f64]) -> Self {
        Self {
            median: median_true(values),
            p90: percentile_nearest_rank(values, 90.0),
        }
    }

    /// The 0-based positions, in ascending [`f64::total_cmp`] order, of the values `n` values' statistics
    /// are made of (lower and upper middle, P90), for a caller that streams sorted values; `None` when `n = 0`.
    pub fn ranks(n: u64) -> Option<[u64; 3]> {
        let n_usize = usize::try_from(n).ok().filter(|&n| n > 0)?;
        let p90 = percentile_rank(n_usize, 90.0)? as u64;
        Some([(n - 1) / 2, n / 2, p90])
    }

    /// The statistics of `n` values from the values at [`Self::ranks`]`(n)`, in that order; equal to
    /// [`Self::of`] over the same values.
    pub fn from_ranked(n: u64, [lower, upper, p90]: [f64; 3]) -> Self {
        if n == 0 {
            return Self::default();
        }
        Self {
            median: Some(if n % 2 == 1 {
                upper
            } else {
                (lower + upper) / 2.0
            }),
            p90: Some(p90),
        }
    }
}

impl Default for AccuracyAccumulator {
    fn default() -> Self {
        Self::new(AccuracyOptions::default())
    }
}

impl Extend<(EventView, i64)> for AccuracyAccumulator {
    fn extend<I: IntoIterator<Item = (EventView, i64)>>(&mut self, items: I) {
        items
            .into_iter()
            .for_each(|(view, predicted)| self.push(view, predicted));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_view(actual: i64, ceiling: Option<i64>, reason: StopReasonKind) -> EventView {
        EventView {
            predicted: 1000,
            actual: Some(actual),
            actual_max_tokens: ceiling,
            truncated: false,
            stop_reason_kind: reason,
            usage_kind: Some(UsageKind::Output),
        }
    }

    #[test]
    fn outcome_needs_no_prediction_but_keeps_the_other_exclusions() {
        let truncated = new_view(4096, Some(4096), StopReasonKind::Truncated);
        assert_eq!(
            truncated.classify(0, 50),
            EventClass::Excluded(Exclusion::NoPrediction)
        );
        assert_eq!(truncated.outcome(50), Ok((Truncation::Truncated, 4096)));
        let small = new_view(10, None, StopReasonKind::Completed);
        assert_eq!(small.outcome(50), Err(Exclusion::InvalidActual));
        let mut failed = new_view(500, None, StopReasonKind::Completed);
        failed.actual = None;
        assert_eq!(failed.outcome(50), Err(Exclusion::CallFailed));
    }

    #[test]
    fn eligibility_reasons_are_checked_in_order() {
        let mut v = new_view(500, None, StopReasonKind::Completed);
        v.actual = None;
        assert_eq!(
            v.classify(0, 50),
            EventClass::Excluded(Exclusion::CallFailed)
        );
        let mut v = new_view(10, None, StopReasonKind::Completed);
        v.usage_kind = Some(UsageKind::Total);
        assert_eq!(
            v.classify(0, 50),
            EventClass::Excluded(Exclusion::TotalUsage)
        );
        let v = new_view(10, None, StopReasonKind::Completed);
        assert_eq!(
            v.classify(0, 50),
            EventClass::Excluded(Exclusion::NoPrediction)
        );
        assert_eq!(
            v.classify(5, 50),
            EventClass::Excluded(Exclusion::InvalidActual)
        );
        assert_eq!(
            v.classify(5, 0),
            EventClass::Eligible {
                truncation: Truncation::Complete,
                actual: 10
            }
        );
        let zero = new_view(0, None, StopReasonKind::Completed);
        assert_eq!(
            zero.classify(5, 0),
            EventClass::Excluded(Exclusion::InvalidActual)
        );
    }

    #[test]
    fn legacy_row_without_stop_reason_is_total_usage() {
        let mut v = new_view(5000, None, StopReasonKind::Unknown);
        v.usage_kind = None;
        assert_eq!(
            v.classify(100, 50),
            EventClass::Excluded(Exclusion::TotalUsage)
        );
    }

    #[test]
    fn unknown_reason_uses_the_ceiling_when_known() {
        let at_ceiling = new_view(4096, Some(4096), StopReasonKind::Unknown);
        assert_eq!(at_ceiling.truncation(4096), Truncation::Truncated);
        let below = new_view(4000, Some(4096), StopReasonKind::Unknown);
        assert_eq!(below.truncation(4000), Truncation::Complete);
        let unknown = new_view(4000, None, StopReasonKind::Unknown);
        assert_eq!(unknown.truncation(4000), Truncation::Unknown);
    }

    #[test]
    fn legacy_flag_is_authoritative_over_the_reason() {
        let mut v = new_view(16384, None, StopReasonKind::Completed);
        v.usage_kind = None;
        v.truncated = true;
        assert_eq!(v.truncation(16384), Truncation::Truncated);
        assert_eq!(v.ceiling(Truncation::Truncated, 16384), Some(16384));
        assert_eq!(v.ceiling(Truncation::Complete, 16384), None);
    }

    #[test]
    fn waste_and_slack_report_their_nearest_rank_p90() {
        let mut acc = AccuracyAccumulator::default();
        for (predicted, actual) in [(100, 100), (200, 100), (300, 100), (400, 100), (500, 100)] {
            acc.push(
                new_view(actual, Some(actual * 4), StopReasonKind::Completed),
                predicted,
            );
        }
        let report = acc.finish();
        assert_eq!(report.waste.p90, Some(5.0));
        assert_eq!(report.budget_slack.p90, Some(0.75));
        assert_eq!(AccuracyAccumulator::default().finish().waste.p90, None);
    }

    #[test]
    fn truncated_prediction_at_or_above_ceiling_is_unknown() {
        let mut acc = AccuracyAccumulator::default();
        let truncated = new_view(8192, Some(8192), StopReasonKind::Truncated);
        acc.push(truncated, 8192);
        acc.push(truncated, 8191);
        let report = acc.finish();
        assert_eq!(report.underestimation.unknown, 1);
        assert_eq!(report.underestimation.rate, Rate { count: 1, n: 1 });
        assert_eq!(report.smape.n, 0);
        assert_eq!(report.smape.censored_excluded, 2);
    }

    #[test]
    fn slack_and_pinball_use_the_recorded_ceiling() {
        let mut acc = AccuracyAccumulator::default();
        acc.push(new_view(3000, Some(4000), StopReasonKind::Completed), 3500);
        acc.push(new_view(3000, None, StopReasonKind::Completed), 3500);
        acc.push(new_view(4000, Some(4000), StopReasonKind::Truncated), 3500);
        let report = acc.finish();
        assert_eq!(report.budget_slack.n, 1);
        assert_eq!(report.budget_slack.ceiling_unknown, 1);
        assert_eq!(report.budget_slack.mean, Some(0.25));
        // (1 − 0.95) × 1000 for the completed event; the truncated one adds 0 to the lower bound.
        let expected = (1.0 - 0.95) * 1000.0;
        assert_eq!(report.pinball.n, 1);
        assert_eq!(report.pinball.mean, Some(expected));
        assert_eq!(report.pinball.censored_lower_bound_n, 2);
        assert_eq!(report.pinball.censored_lower_bound, Some(expected / 2.0));
        assert_eq!(report.coverage, Some(1.0 - 1.0 / 3.0));
    }

    #[test]
    fn include_censored_adds_truncated_smape_and_labels_it() {
        let options = AccuracyOptions {
            include_censored: true,
            ..AccuracyOptions::default()
        };
        let mut acc = AccuracyAccumulator::new(options);
        acc.push(new_view(4000, Some(4000), StopReasonKind::Truncated), 2000);
        let report = acc.finish();
        assert!(report.smape.optimistic);
        assert_eq!(report.smape.censored_included, 1);
        assert_eq!(report.smape.mean, Some(smape_b4(2000, 4000)));
        assert_eq!(report.waste.n, 0);
    }

    #[test]
    fn empty_accumulator_reports_none_not_nan() {
        let report = AccuracyAccumulator::default().finish();
        assert_eq!(report.events, 0);
        assert_eq!(report.coverage, None);
        assert_eq!(report.smape.mean, None);
        assert_eq!(report.waste.geometric_mean, None);
        assert_eq!(report.pinball.mean, None);
        assert_eq!(report.underestimation.rate.percent(), None);
    }

    #[test]
    fn tau_outside_the_open_unit_interval_is_rejected() {
        for bad in [0.0, 1.0, -0.5, f64::NAN] {
            let err = PinballTau::new(bad).unwrap_err();
            assert!(err.to_string().contains("strictly between 0 and 1"));
        }
        assert_eq!(PinballTau::new(0.5).map(PinballTau::value), Ok(0.5));
        assert!(serde_json::from_str::<PinballTau>("1.5").is_err());
        assert_eq!(
            serde_json::to_string(&PinballTau::default())
                .ok()
                .as_deref(),
            Some("0.95")
        );
    }

    #[test]
    fn b4_smape_is_200_for_a_zero_prediction() {
        assert_eq!(smape_b4(0, 700), 200.0);
        assert_eq!(smape_b4(0, 0), 0.0);
        assert_eq!(smape_b4(-10, 700), 200.0);
    }

    #[test]
    fn counting_accumulator_reports_exactly_what_a_full_one_does_from_its_returned_values() {
        let (mut full, mut counting) = (
            AccuracyAccumulator::default(),
            AccuracyAccumulator::counting(AccuracyOptions::default()),
        );
        let mut kept: [Vec<f64>; 3] = Default::default();
        for i in 0..101i64 {
            let truncated = i % 7 == 0;
            let view = EventView {
                predicted: 300 + 37 * i,
                actual: Some(100 + (i * 7919) % 4000),
                actual_max_tokens: (i % 3 != 0).then_some(4096),
                truncated,
                stop_reason_kind: if truncated {
                    StopReasonKind::Truncated
                } else {
                    StopReasonKind::Completed
                },
                usage_kind: Some(UsageKind::Output),
            };
            let predicted = 200 + (i * 104_729) % 5000;
            full.push(view, predicted);
            let values = counting.push_values(view, predicted);
            for (list, value) in kept.iter_mut().zip(values.as_array()) {
                list.extend(value);
            }
        }
        assert!(kept.iter().all(|values| values.len() > 10));
        assert_eq!(
            counting.finish_with(kept.each_ref().map(|values| OrderStats::of(values))),
            full.finish()
        );
    }

    #[test]
    fn order_stats_from_the_values_at_their_ranks_equal_the_in_memory_ones() {
        for n in 0..40u64 {
            // Repeated values, odd and even counts, fewer than ten values.
            let values: Vec<f64> = (0..n).map(|i| ((i * 7) % 5) as f64 - 2.0).collect();
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            let expected = OrderStats::of(&values);
            let got = match OrderStats::ranks(n) {
                Some(ranks) => OrderStats::from_ranked(n, ranks.map(|r| sorted[r as usize])),
                None => OrderStats::default(),
            };
            assert_eq!(got, expected, "n = {n}");
        }
    }
}
