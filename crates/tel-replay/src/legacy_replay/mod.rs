//! The original replay tool (METRICS.md A2.2-A2.4): re-predict each sample, compare S-R SMAPEs, print the report.

mod render;
mod sample;

pub use render::{render_legacy, write_legacy_header, write_legacy_row, write_legacy_summary};
pub use sample::{LegacySample, SampleSource};

use tel_core::metrics::smape_replay;

use crate::replay::{DEFAULT_VALUE_BUDGET, SpillError, SpilledValues};

/// The stderr line printed when sample #1 had no stored deliverables.
pub const SYNTHETIC_WARNING: &str =
    "WARNING: Using synthetic deliverables (no deliverables available)";

/// Re-predicts one sample: `(deliverables, category, complexity) → estimated tokens`.
pub trait Predictor {
    /// The new prediction.
    fn predict(&mut self, deliverables: &[String], category: &str, complexity: &str) -> i64;
}

impl<F: FnMut(&[String], &str, &str) -> i64> Predictor for F {
    fn predict(&mut self, deliverables: &[String], category: &str, complexity: &str) -> i64 {
        self(deliverables, category, complexity)
    }
}

/// One output row.
#[derive(Debug, Clone, PartialEq)]
pub struct LegacyRow {
    /// 1-based index in input order.
    pub index: usize,
    /// Category.
    pub category: String,
    /// Complexity.
    pub complexity: String,
    /// Deliverable count as stored.
    pub deliverable_count: i64,
    /// Old prediction.
    pub old_prediction: i64,
    /// New prediction.
    pub new_prediction: i64,
    /// Actual output tokens.
    pub actual: i64,
    /// Old SMAPE.
    pub old_smape: f64,
    /// New SMAPE (S-R).
    pub new_smape: f64,
}

/// The summary of METRICS.md A2.3.
#[derive(Debug, Clone, PartialEq)]
pub struct LegacySummary {
    /// Number of samples.
    pub n: usize,
    /// MEAN-N of old SMAPE (the original divided by max(1, n); n ≥ 1 here).
    pub avg_old_smape: f64,
    /// MEAN-N of new SMAPE.
    pub avg_new_smape: f64,
    /// Samples with old < actual (over all samples).
    pub under_old: usize,
    /// Samples with new < actual.
    pub under_new: usize,
    /// MED-U of old / actual over actual > 0.
    pub median_waste_old: f64,
    /// MED-U of new / actual over actual > 0.
    pub median_waste_new: f64,
}

/// Rows, summary and whether sample #1 needed synthetic deliverables.
#[derive(Debug, Clone, PartialEq)]
pub struct LegacyReplay {
    /// Rows in input order.
    pub rows: Vec<LegacyRow>,
    /// Summary statistics.
    pub summary: LegacySummary,
    /// Sample #1 had no stored deliverables (the original then warned once on stderr).
    pub synthetic_first: bool,
}

/// Inputs the original would have crashed on, or a temporary file of values that failed.
#[derive(Debug, thiserror::Error)]
pub enum LegacyReplayError {
    /// No sample at all.
    #[error("no telemetry samples to replay")]
    NoSamples,
    /// The waste medians need at least one sample with actual > 0.
    #[error("no sample has actual output tokens > 0: the median waste ratio is undefined")]
    NoPositiveActual,
    /// The waste ratios spilled to disk could not be written or read back.
    #[error(transparent)]
    Spill(#[from] SpillError),
}

/// Runs the replay over `samples` in input order.
pub fn replay_legacy(
    samples: &[LegacySample],
    predictor: &mut dyn Predictor,
) -> Result<LegacyReplay, LegacyReplayError> {
    if samples.is_empty() {
        return Err(LegacyReplayError::NoSamples);
    }
    let mut synthetic_first = false;
    let mut summary = LegacySummaryAccumulator::default();
    let rows: Vec<LegacyRow> = samples
        .iter()
        .enumerate()
        .map(|(i, sample)| {
            let (row, synthetic) = legacy_row(i + 1, sample, predictor);
            synthetic_first |= i == 0 && synthetic;
            summary.push(&row)?;
            Ok(row)
        })
        .collect::<Result<_, LegacyReplayError>>()?;
    Ok(LegacyReplay {
        rows,
        summary: summary.finish()?,
        synthetic_first,
    })
}

/// Re-predicts sample number `index` (1-based); the flag says whether it needed synthetic deliverables.
pub fn legacy_row(
    index: usize,
    sample: &LegacySample,
    predictor: &mut dyn Predictor,
) -> (LegacyRow, bool) {
    let (deliverables, synthetic) = sample.effective_deliverables();
    let new_prediction = predictor.predict(&deliverables, &sample.category, &sample.complexity);
    let row = LegacyRow {
        index,
        category: sample.category.clone(),
        complexity: sample.complexity.clone(),
        deliverable_count: sample.deliverable_count,
        old_prediction: sample.old_prediction,
        new_prediction,
        actual: sample.actual,
        old_smape: sample.old_smape,
        new_smape: smape_replay(new_prediction, sample.actual),
    };
    (row, synthetic)
}

/// The summary of rows pushed one at a time, without keeping them: running SMAPE sums (added in row
/// order, as MEAN-N does, so the means are bit-identical) and the two waste-ratio lists the medians need,
/// spilled to a temporary file past a budget (flat memory, exact medians).
#[derive(Debug)]
pub struct LegacySummaryAccumulator {
    n: usize,
    old_smape_sum: f64,
    new_smape_sum: f64,
    under_old: usize,
    under_new: usize,
    /// List 0: old prediction / actual; list 1: new prediction / actual (actual > 0 only).
    waste: SpilledValues,
}

impl Default for LegacySummaryAccumulator {
    fn default() -> Self {
        Self::with_value_budget(DEFAULT_VALUE_BUDGET)
    }
}

impl LegacySummaryAccumulator {
    /// An empty accumulator holding at most `values` waste ratios in memory before spilling.
    pub fn with_value_budget(values: usize) -> Self {
        let mut waste = SpilledValues::new(values);
        waste.add_lists(2);
        Self {
            n: 0,
            old_smape_sum: 0.0,
            new_smape_sum: 0.0,
            under_old: 0,
            under_new: 0,
            waste,
        }
    }

    /// Adds one row; fails only when the temporary file of ratios cannot be written.
    pub fn push(&mut self, row: &LegacyRow) -> Result<(), SpillError> {
        self.n += 1;
        self.old_smape_sum += row.old_smape;
        self.new_smape_sum += row.new_smape;
        self.under_old += usize::from(row.old_prediction < row.actual);
        self.under_new += usize::from(row.new_prediction < row.actual);
        if row.actual > 0 {
            let actual = row.actual as f64;
            self.waste.push(0, row.old_prediction as f64 / actual)?;
            self.waste.push(1, row.new_prediction as f64 / actual)?;
        }
        Ok(())
    }

    /// The summary of METRICS.md A2.3 over the rows pushed so far (MED-U of the waste ratios).
    pub fn finish(&mut self) -> Result<LegacySummary, LegacyReplayError> {
        if self.n == 0 {
            return Err(LegacyReplayError::NoSamples);
        }
        let mut median = |list: usize| -> Result<f64, LegacyReplayError> {
            self.waste
                .upper_median(&[list])?
                .ok_or(LegacyReplayError::NoPositiveActual)
        };
        let (median_waste_old, median_waste_new) = (median(0)?, median(1)?);
        Ok(LegacySummary {
            n: self.n,
            avg_old_smape: self.old_smape_sum / self.n as f64,
            avg_new_smape: self.new_smape_sum / self.n as f64,
            under_old: self.under_old,
            under_new: self.under_new,
            median_waste_old,
            median_waste_new,
        })
    }
}
