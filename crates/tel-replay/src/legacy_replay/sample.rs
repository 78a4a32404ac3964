//! Inputs of the original replay (METRICS.md A2.1): one sample per stored event or matching log line.

use tel_core::TelemetryEvent;
use tel_core::metrics::smape_replay;

use crate::legacy_log::LegacyLogSample;

/// One replay input.
#[derive(Debug, Clone, PartialEq)]
pub struct LegacySample {
    /// Category as stored / logged.
    pub category: String,
    /// Complexity as stored / logged.
    pub complexity: String,
    /// Stored deliverables (empty for log lines and for rows that recorded none).
    pub deliverables: Vec<String>,
    /// Stored / logged deliverable count.
    pub deliverable_count: i64,
    /// The old prediction.
    pub old_prediction: i64,
    /// The observed output tokens.
    pub actual: i64,
    /// Old SMAPE: the logged value (log mode) or S-R of the stored prediction (DB mode).
    pub old_smape: f64,
}

/// Where the samples came from; named in the first output line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleSource {
    /// Database rows (`… from DB`).
    Db,
    /// Log lines (`… from log file`).
    LogFile,
}

impl SampleSource {
    /// The words after `Loaded N telemetry samples `.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Db => "from DB",
            Self::LogFile => "from log file",
        }
    }
}

impl LegacySample {
    /// DB mode: deliverables parsed from `deliverables_json` (`[]` on error), old SMAPE recomputed by S-R
    /// (the stored `smape_percent` is ignored).
    pub fn from_event(event: &TelemetryEvent) -> Self {
        Self {
            category: event.category.clone(),
            complexity: event.complexity.as_str().to_owned(),
            deliverables: event.deliverables(),
            deliverable_count: event.deliverable_count,
            old_prediction: event.predicted_output_tokens,
            actual: event.actual_output_tokens,
            old_smape: smape_replay(event.predicted_output_tokens, event.actual_output_tokens),
        }
    }

    /// Log mode: no deliverable paths, old SMAPE as logged.
    pub fn from_log(line: &LegacyLogSample) -> Self {
        Self {
            category: line.category.clone(),
            complexity: line.complexity.clone(),
            deliverables: Vec::new(),
            deliverable_count: line.deliverables,
            old_prediction: line.predicted,
            actual: line.actual,
            old_smape: line.smape,
        }
    }

    /// The deliverables the estimator sees: the stored ones, or `src/file{i}.py` for `i < deliverable_count`
    /// when none are stored. The flag says whether the synthetic list was used.
    pub fn effective_deliverables(&self) -> (Vec<String>, bool) {
        if !self.deliverables.is_empty() {
            return (self.deliverables.clone(), false);
        }
        let synthetic = (0..self.deliverable_count.max(0))
            .map(|i| format!("src/file{i}.py"))
            .collect();
        (synthetic, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_deliverables_follow_the_count() {
        let line = LegacyLogSample {
            predicted: 1,
            actual: 2,
            smape: 1.0,
            selected_budget: 0,
            category: "c".into(),
            complexity: "low".into(),
            deliverables: 2,
        };
        let (dels, synthetic) = LegacySample::from_log(&line).effective_deliverables();
        assert!(synthetic);
        assert_eq!(dels, ["src/file0.py", "src/file1.py"]);
    }
}
