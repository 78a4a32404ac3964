//! Per-event scores of analysis.md Part B used by the calibration and simulation reports.

use serde::Serialize;

use super::model::Outcome;

/// SMAPE on the 0-200 scale (analysis.md B4): 0 when both are 0, else `200·|p − a| / (a + p)`.
pub fn smape(predicted: i64, actual: i64) -> f64 {
    let (p, a) = (predicted.max(0), actual.max(0));
    if p + a == 0 {
        0.0
    } else {
        (p - a).abs() as f64 * 200.0 / (p + a) as f64
    }
}

/// Pinball loss at quantile `tau` of budget `q` against actual `a` (analysis.md B8).
pub fn pinball(tau: f64, actual: i64, budget: i64) -> f64 {
    let over = (actual - budget).max(0) as f64;
    let under = (budget - actual).max(0) as f64;
    tau * over + (1.0 - tau) * under
}

/// Underestimation counts with unknowns kept apart (analysis.md B6).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Underestimation {
    /// Events underestimated for certain.
    pub under: usize,
    /// Events whose status is known (non-truncated + truncated with `p < b`).
    pub known: usize,
    /// Truncated events with `p ≥ b`: the true need is unknown relative to `p`.
    pub unknown: usize,
}

impl Underestimation {
    /// Counts one event predicted at `predicted` with `outcome`.
    pub fn add(&mut self, predicted: i64, outcome: Outcome) {
        match outcome {
            Outcome::Observed { actual } => {
                self.known += 1;
                self.under += usize::from(predicted < actual);
            }
            Outcome::Censored { ceiling, .. } if predicted < ceiling => {
                self.known += 1;
                self.under += 1;
            }
            Outcome::Censored { .. } => self.unknown += 1,
        }
    }

    /// `under / known`, `None` when nothing is known.
    pub fn rate(&self) -> Option<f64> {
        (self.known > 0).then(|| self.under as f64 / self.known as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smape_matches_b4_definition() {
        assert_eq!(smape(0, 0), 0.0);
        assert_eq!(smape(0, 500), 200.0);
        assert_eq!(smape(500, 700), 200.0 * 200.0 / 1200.0);
    }

    #[test]
    fn pinball_weights_shortfall_by_tau() {
        assert!((pinball(0.9, 1000, 800) - 180.0).abs() < 1e-9);
        assert!((pinball(0.9, 800, 1000) - 20.0).abs() < 1e-9);
        assert_eq!(pinball(0.9, 800, 800), 0.0);
    }

    #[test]
    fn underestimation_keeps_truncated_events_with_high_prediction_unknown() {
        let mut u = Underestimation::default();
        u.add(100, Outcome::Observed { actual: 200 }); // under
        u.add(200, Outcome::Observed { actual: 200 }); // tie: not under
        u.add(
            100,
            Outcome::Censored {
                observed: 150,
                ceiling: 150,
            },
        ); // p < b: under
        u.add(
            150,
            Outcome::Censored {
                observed: 150,
                ceiling: 150,
            },
        ); // p = b: unknown
        assert_eq!(
            u,
            Underestimation {
                under: 2,
                known: 3,
                unknown: 1
            }
        );
        assert_eq!(u.rate(), Some(2.0 / 3.0));
    }
}
