//! The original replay tool (analysis.md A2.2-A2.4): re-predict each sample, compare S-R SMAPEs, print the report.

mod render;
mod sample;

pub use render::render_legacy;
pub use sample::{LegacySample, SampleSource};

use tel_core::metrics::smape_replay;
use tel_core::stats::{mean_naive, median_upper};

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

/// The summary of analysis.md A2.3.
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

/// Inputs the original would have crashed on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LegacyReplayError {
    /// No sample at all.
    #[error("no telemetry samples to replay")]
    NoSamples,
    /// The waste medians need at least one sample with actual > 0.
    #[error("no sample has actual output tokens > 0: the median waste ratio is undefined")]
    NoPositiveActual,
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
    let rows: Vec<LegacyRow> = samples
        .iter()
        .enumerate()
        .map(|(i, sample)| {
            let (deliverables, synthetic) = sample.effective_deliverables();
            synthetic_first |= i == 0 && synthetic;
            let new_prediction =
                predictor.predict(&deliverables, &sample.category, &sample.complexity);
            LegacyRow {
                index: i + 1,
                category: sample.category.clone(),
                complexity: sample.complexity.clone(),
                deliverable_count: sample.deliverable_count,
                old_prediction: sample.old_prediction,
                new_prediction,
                actual: sample.actual,
                old_smape: sample.old_smape,
                new_smape: smape_replay(new_prediction, sample.actual),
            }
        })
        .collect();
    let summary = summarise(&rows)?;
    Ok(LegacyReplay {
        rows,
        summary,
        synthetic_first,
    })
}

fn summarise(rows: &[LegacyRow]) -> Result<LegacySummary, LegacyReplayError> {
    let smapes = |f: fn(&LegacyRow) -> f64| rows.iter().map(f).collect::<Vec<_>>();
    let under = |f: fn(&LegacyRow) -> i64| rows.iter().filter(|r| f(r) < r.actual).count();
    Ok(LegacySummary {
        n: rows.len(),
        avg_old_smape: mean_naive(&smapes(|r| r.old_smape)).ok_or(LegacyReplayError::NoSamples)?,
        avg_new_smape: mean_naive(&smapes(|r| r.new_smape)).ok_or(LegacyReplayError::NoSamples)?,
        under_old: under(|r| r.old_prediction),
        under_new: under(|r| r.new_prediction),
        median_waste_old: upper_median_waste(rows, |r| r.old_prediction)?,
        median_waste_new: upper_median_waste(rows, |r| r.new_prediction)?,
    })
}

/// MED-U of `prediction / actual` over rows with actual > 0.
fn upper_median_waste(
    rows: &[LegacyRow],
    prediction: fn(&LegacyRow) -> i64,
) -> Result<f64, LegacyReplayError> {
    let ratios: Vec<f64> = rows
        .iter()
        .filter(|r| r.actual > 0)
        .map(|r| prediction(r) as f64 / r.actual as f64)
        .collect();
    median_upper(&ratios).ok_or(LegacyReplayError::NoPositiveActual)
}
