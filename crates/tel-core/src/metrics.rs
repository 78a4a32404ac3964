//! Per-event writer metrics (FORMATS.md F2.3), the writer's validity guard (F2.2) and the named
//! error formulas of METRICS.md A1 (S-W, S-R, S-T, E-V1), each bit-exact where the original used it.

use serde::{Deserialize, Serialize};

/// The three metrics the writer stores with every event (FORMATS.md F2.3).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EventMetrics {
    /// S-W SMAPE in percent (0-200), e.g. 40.0.
    pub smape_percent: Option<f64>,
    /// `predicted / actual` as a ratio (never ×100), e.g. 1.5.
    pub waste_ratio: Option<f64>,
    /// `actual > predicted`; ties are false.
    pub underestimated: Option<bool>,
}

impl EventMetrics {
    /// The writer's metrics: defined only when `actual > 0` and `predicted > 0`, otherwise all `None`
    /// (the original stored NULL). SMAPE is [`smape_writer`], bit for bit.
    pub fn compute(predicted: i64, actual: i64) -> Self {
        if actual > 0 && predicted > 0 {
            Self {
                smape_percent: Some(smape_writer(predicted, actual)),
                waste_ratio: Some(predicted as f64 / actual as f64),
                underestimated: Some(actual > predicted),
            }
        } else {
            Self {
                smape_percent: None,
                waste_ratio: None,
                underestimated: None,
            }
        }
    }
}

/// `|x − y|` without overflow, as the f64 the original's Python integer became in a float division.
fn abs_diff_f64(x: i64, y: i64) -> f64 {
    (i128::from(x) - i128::from(y)).unsigned_abs() as f64
}

/// `|x| + |y|` without overflow, as f64.
fn abs_sum_f64(x: i64, y: i64) -> f64 {
    (i128::from(x).unsigned_abs() + i128::from(y).unsigned_abs()) as f64
}

/// **S-W** (writer and V2 log line): `|a − p| / max(1, (|a| + |p|) / 2) × 100`, divided first and
/// multiplied second, exactly as stored in `smape_percent` (e.g. (p 500, a 700) → 33.33333333333333).
pub fn smape_writer(predicted: i64, actual: i64) -> f64 {
    let denom = abs_sum_f64(actual, predicted) / 2.0;
    (abs_diff_f64(actual, predicted) / denom.max(1.0)) * 100.0
}

/// **S-R** (replay tool): `0.0` when `p = a = 0`, else `|p − a| / ((|p| + |a|) / 2) × 100`.
pub fn smape_replay(predicted: i64, actual: i64) -> f64 {
    if predicted == 0 && actual == 0 {
        return 0.0;
    }
    (abs_diff_f64(predicted, actual) / (abs_sum_f64(predicted, actual) / 2.0)) * 100.0
}

/// **S-T** (truncation triage, P7/P9 validation): `|p − a| × 200 / (|p| + |a|)` when `p + a > 0`, else 0 —
/// the integer product first, then one float division (e.g. (p 500, a 700) → 33.333333333333336).
pub fn smape_triage(predicted: i64, actual: i64) -> f64 {
    let (p, a) = (i128::from(predicted), i128::from(actual));
    if p + a <= 0 {
        return 0.0;
    }
    ((p - a).unsigned_abs() * 200) as f64 / (p.unsigned_abs() + a.unsigned_abs()) as f64
}

/// **E-V1** (V1 log line): the asymmetric error `|a − p| / p × 100`; `None` when `p = 0`.
pub fn error_v1(predicted: i64, actual: i64) -> Option<f64> {
    (predicted != 0).then(|| abs_diff_f64(actual, predicted) / predicted as f64 * 100.0)
}

/// The writer's validity guard (FORMATS.md F2.2): events whose actual output is below a minimum are
/// not recorded. The original's threshold is 50, added after an event with actual = 1 produced a waste
/// ratio of 16707; configure it only for experiments, since legacy comparability depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidityGuard {
    /// Events with `actual_output_tokens` below this value are rejected.
    pub min_actual_output_tokens: i64,
}

impl ValidityGuard {
    /// The original writer's threshold.
    pub const LEGACY_MIN_ACTUAL_OUTPUT_TOKENS: i64 = 50;

    /// Accepts an event's actual output or rejects it with the original's warning text.
    pub fn check(&self, phase_id: &str, actual_output_tokens: i64) -> Result<(), InvalidEvent> {
        if actual_output_tokens < self.min_actual_output_tokens {
            Err(InvalidEvent {
                phase_id: phase_id.to_owned(),
                actual_output_tokens,
                min_actual_output_tokens: self.min_actual_output_tokens,
            })
        } else {
            Ok(())
        }
    }
}

impl Default for ValidityGuard {
    fn default() -> Self {
        Self {
            min_actual_output_tokens: Self::LEGACY_MIN_ACTUAL_OUTPUT_TOKENS,
        }
    }
}

/// An event the [`ValidityGuard`] rejected; its message is the original's warning line, e.g.
/// `[TELEMETRY] Skipping invalid event for P1: actual_output_tokens=49 < 50 (likely error)`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "[TELEMETRY] Skipping invalid event for {phase_id}: actual_output_tokens={actual_output_tokens} < {min_actual_output_tokens} (likely error)"
)]
#[non_exhaustive]
pub struct InvalidEvent {
    /// Phase id of the rejected event.
    pub phase_id: String,
    /// The rejected actual output.
    pub actual_output_tokens: i64,
    /// The guard's threshold.
    pub min_actual_output_tokens: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_differ_in_the_last_bit_as_documented() {
        assert_eq!(smape_writer(500, 700), 33.33333333333333);
        assert_eq!(smape_replay(500, 700), 33.33333333333333);
        assert_eq!(smape_triage(500, 700), 33.333333333333336);
        assert_eq!(smape_writer(5200, 16384), 103.63232023721277);
        assert_eq!(smape_triage(5200, 16384), 103.63232023721275);
    }

    #[test]
    fn degenerate_inputs_follow_each_tools_rule() {
        assert_eq!(smape_replay(0, 0), 0.0);
        assert_eq!(smape_triage(0, 0), 0.0);
        assert_eq!(smape_triage(-5, 3), 0.0);
        assert_eq!(smape_writer(0, 0), 0.0);
        assert_eq!(error_v1(0, 10), None);
        assert_eq!(error_v1(800, 129), Some(83.875));
    }

    #[test]
    fn extreme_integers_do_not_overflow() {
        let s = smape_writer(i64::MIN, i64::MAX);
        assert!((s - 200.0).abs() < 1e-9, "{s}");
        assert!(smape_triage(i64::MAX, i64::MAX).abs() < 1e-9);
    }

    #[test]
    fn guard_threshold_is_configurable() {
        let strict = ValidityGuard {
            min_actual_output_tokens: 100,
        };
        assert!(strict.check("P", 99).is_err());
        assert!(strict.check("P", 100).is_ok());
        assert!(ValidityGuard::default().check("P", 50).is_ok());
    }
}
