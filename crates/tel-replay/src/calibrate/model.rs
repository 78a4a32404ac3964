//! The overhead model that calibration fits, and the observations it is fitted on.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use tel_core::{EventView, StopReasonKind, UsageKind};

/// The estimator's safety margin of every builtin profile (ESTIMATOR.md §9.3).
pub const SAFETY_MARGIN: f64 = 1.3;

/// One stored event as the simulator and the tuner see it: the stratum it is reported under, a prediction and
/// what happened. Defined here, beside [`Outcome`] and [`Stratum`], so that calibration prepares it without
/// depending on the simulation that consumes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimEvent {
    /// Reporting stratum: normalised category / complexity, or provider / model when the simulation groups
    /// by provider and model (`simulate::Grouping::ProviderModel`).
    pub stratum: Stratum,
    /// The prediction `p` that buffer and quantile policies scale (1 when grouped by provider and model).
    pub predicted: i64,
    /// What happened under the original ceiling.
    pub outcome: Outcome,
}

/// A calibration stratum: normalised category and complexity.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Stratum {
    /// Category key (the caller decides whether raw or normalised).
    pub category: String,
    /// Complexity key.
    pub complexity: String,
}

impl Stratum {
    /// A stratum from its two keys.
    pub fn new(category: impl Into<String>, complexity: impl Into<String>) -> Self {
        Self {
            category: category.into(),
            complexity: complexity.into(),
        }
    }
}

/// Serialises a map keyed by stratum with `category/complexity` text keys (JSON keys must be strings).
pub fn serialize_by_stratum<V: Serialize, S: serde::Serializer>(
    map: &BTreeMap<Stratum, V>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_map(map.iter().map(|(k, v)| (k.to_string(), v)))
}

impl fmt::Display for Stratum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.category, self.complexity)
    }
}

/// One deliverable as the price table sees it: its price kind and, for modified files, the
/// file-complexity multiplier applied to the price (ESTIMATOR.md §5-6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PricedDeliverable {
    /// Price kind, a key of [`OverheadModel::prices`] (e.g. `new_file_backend`).
    pub kind: String,
    /// `None` for a new file (plain price), `Some(m)` for `trunc(price × m)`.
    pub multiplier: Option<f64>,
}

impl PricedDeliverable {
    /// A new file of `kind`, priced at the plain table value.
    pub fn new_file(kind: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            multiplier: None,
        }
    }

    /// Weight of this deliverable's price in the model (1 for new files, `m` for modified ones).
    pub fn weight(&self) -> f64 {
        self.multiplier.unwrap_or(1.0)
    }
}

/// What was observed about an event's output tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Outcome {
    /// The call completed: `actual` is the true output token count.
    Observed {
        /// Output tokens.
        actual: i64,
    },
    /// The call was truncated at `ceiling`: the true need is at least `ceiling` (METRICS.md B3, B6).
    Censored {
        /// Output tokens reported (a lower bound).
        observed: i64,
        /// The ceiling `b`: `actual_max_tokens` when recorded, else the observed tokens.
        ceiling: i64,
    },
}

impl Outcome {
    /// The outcome of a stored event under METRICS.md B6: truncated events are censored at
    /// `actual_max_tokens` when recorded, else at the observed count.
    pub fn from_event(actual: i64, truncated: bool, actual_max_tokens: Option<i64>) -> Self {
        if truncated {
            Self::Censored {
                observed: actual,
                ceiling: actual_max_tokens.filter(|b| *b > 0).unwrap_or(actual),
            }
        } else {
            Self::Observed { actual }
        }
    }

    /// The accuracy view of an event with this outcome, for tel-core's Part B metrics.
    pub fn view(self, predicted: i64) -> EventView {
        let (actual, ceiling, kind) = match self {
            Self::Observed { actual } => (actual, None, StopReasonKind::Completed),
            Self::Censored { observed, ceiling } => {
                (observed, Some(ceiling), StopReasonKind::Truncated)
            }
        };
        EventView {
            predicted,
            actual: Some(actual),
            actual_max_tokens: ceiling,
            truncated: self.is_censored(),
            stop_reason_kind: kind,
            usage_kind: Some(UsageKind::Output),
        }
    }

    /// True for a truncated (right-censored) event.
    pub fn is_censored(self) -> bool {
        matches!(self, Self::Censored { .. })
    }
}

/// One event as calibration sees it: stratum, priced deliverables and outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// Stratum the overhead is fitted for (normalised category, complexity).
    pub stratum: Stratum,
    /// The exact key the profile looks the overhead up by (effective category, complexity); several
    /// keys may share one stratum (`testing` and `tests`), and then share its fitted overhead.
    pub overhead_key: Stratum,
    /// Deliverables with their price kinds (never empty: events of the empty fallback are not overhead-model events).
    pub deliverables: Vec<PricedDeliverable>,
    /// Observed outcome.
    pub outcome: Outcome,
}

/// The coefficients of the overhead model: `trunc((overhead[key] + Σ price) × safety_margin)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverheadModel {
    /// The factor applied to overhead + marginal (1.3, [`SAFETY_MARGIN`]); not fitted.
    pub safety_margin: f64,
    /// Phase overhead per stratum.
    pub overhead: BTreeMap<Stratum, i64>,
    /// Overhead of strata absent from `overhead` (2000 in every profile).
    pub default_overhead: i64,
    /// Price per deliverable kind.
    pub prices: BTreeMap<String, i64>,
}

impl Observation {
    /// An observation whose overhead key is its stratum.
    pub fn new(stratum: Stratum, deliverables: Vec<PricedDeliverable>, outcome: Outcome) -> Self {
        Self {
            overhead_key: stratum.clone(),
            stratum,
            deliverables,
            outcome,
        }
    }
}

impl OverheadModel {
    /// The overhead that applies to `stratum`.
    pub fn overhead_of(&self, stratum: &Stratum) -> i64 {
        self.overhead
            .get(stratum)
            .copied()
            .unwrap_or(self.default_overhead)
    }

    /// The price of one deliverable; `None` when its kind is not in the table.
    pub fn price_of(&self, deliverable: &PricedDeliverable) -> Option<i64> {
        let price = *self.prices.get(&deliverable.kind)?;
        Some(match deliverable.multiplier {
            None => price,
            Some(m) => (price as f64 * m) as i64,
        })
    }

    /// The model's prediction for `obs`, with the estimator's integer sum and truncation points;
    /// `None` when a deliverable kind is not in the table.
    pub fn predict(&self, obs: &Observation) -> Option<i64> {
        let mut sum = self.overhead_of(&obs.overhead_key);
        for deliverable in &obs.deliverables {
            sum += self.price_of(deliverable)?;
        }
        Some((sum as f64 * self.safety_margin) as i64)
    }

    /// The first deliverable kind among `observations` that the price table lacks.
    pub fn missing_kind<'a>(&self, observations: &'a [Observation]) -> Option<&'a str> {
        observations
            .iter()
            .flat_map(|obs| &obs.deliverables)
            .map(|d| d.kind.as_str())
            .find(|kind| !self.prices.contains_key(*kind))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prediction_uses_integer_sum_then_truncation() {
        let model = OverheadModel {
            safety_margin: SAFETY_MARGIN,
            overhead: BTreeMap::from([(Stratum::new("implementation", "low"), 634)]),
            default_overhead: 2000,
            prices: BTreeMap::from([
                ("backend_new".to_owned(), 2000),
                ("backend_modify".to_owned(), 700),
            ]),
        };
        let obs = Observation::new(
            Stratum::new("implementation", "low"),
            vec![
                PricedDeliverable::new_file("backend_new"),
                PricedDeliverable {
                    kind: "backend_modify".to_owned(),
                    multiplier: Some(0.5670000000000001),
                },
            ],
            Outcome::Observed { actual: 100 },
        );
        // (634 + 2000 + trunc(700 × 0.567…) = 396) = 3030; × 1.3 = 3939.
        assert_eq!(model.predict(&obs), Some(3939));
        let other = Observation {
            overhead_key: Stratum::new("tests", "low"),
            ..obs.clone()
        };
        assert_eq!(
            model.predict(&other),
            Some(((2000 + 2000 + 396) as f64 * 1.3) as i64)
        );
        let unknown = Observation {
            deliverables: vec![PricedDeliverable::new_file("nope")],
            ..obs
        };
        assert_eq!(model.predict(&unknown), None);
        assert_eq!(model.missing_kind(&[unknown]), Some("nope"));
    }

    #[test]
    fn truncated_event_is_censored_at_recorded_ceiling_else_observed() {
        assert_eq!(
            Outcome::from_event(16384, true, None),
            Outcome::Censored {
                observed: 16384,
                ceiling: 16384
            }
        );
        assert_eq!(
            Outcome::from_event(9000, true, Some(16384)),
            Outcome::Censored {
                observed: 9000,
                ceiling: 16384
            }
        );
        assert_eq!(
            Outcome::from_event(900, false, Some(16384)),
            Outcome::Observed { actual: 900 }
        );
    }
}
