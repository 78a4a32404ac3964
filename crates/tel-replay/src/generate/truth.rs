//! The generator's known ground truth: the "true" token model behind every synthetic actual, as data.
//!
//! A phase truly needs `overhead(category, complexity) + Σ price(kind, new/modify)` output tokens at the
//! median, times multiplicative lognormal noise, times a rare heavy-tail factor. Calibration code can fit
//! its coefficients on generated events and compare them with this set.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tel_core::{Complexity, ValidityGuard, normalise_category};

use super::rng::Rng;

/// What a deliverable is, for pricing (the generator decides this when it writes the path).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliverableKind {
    /// Python module under `src/`.
    Backend,
    /// Test file (`tests/test_*.py`, `*.spec.tsx`).
    Test,
    /// Markdown documentation.
    Doc,
    /// YAML / JSON / TOML configuration.
    Config,
    /// Database migration script.
    Migration,
    /// React component or page (`.tsx`).
    Frontend,
    /// SQL schema file.
    Sql,
}

/// Median output tokens one deliverable adds, by whether the file is created or modified.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Price {
    /// A file written from scratch.
    pub new: f64,
    /// An existing file changed.
    pub modify: f64,
}

/// Median phase overhead in tokens (planning, explanations, patch framing) per complexity.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Overhead {
    /// Complexity `low`.
    pub low: f64,
    /// Complexity `medium`.
    pub medium: f64,
    /// Complexity `high`.
    pub high: f64,
    /// Complexity `maintenance`.
    pub maintenance: f64,
}

impl Overhead {
    /// The overhead at one complexity.
    pub fn at(&self, complexity: Complexity) -> f64 {
        match complexity {
            Complexity::Low => self.low,
            Complexity::Medium => self.medium,
            Complexity::High => self.high,
            Complexity::Maintenance => self.maintenance,
        }
    }
}

/// The true coefficient set of the synthetic data (see `docs/GENERATOR.md`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroundTruth {
    /// Median overhead per NORMALISED category (`normalise_category` of the raw task category).
    pub overhead: BTreeMap<String, Overhead>,
    /// Overhead of a normalised category missing from `overhead`.
    pub default_overhead: Overhead,
    /// Median price per deliverable kind.
    pub price: BTreeMap<DeliverableKind, Price>,
    /// σ of the multiplicative lognormal noise `exp(σ·Z)` (median 1).
    pub noise_sigma: f64,
    /// Probability that a phase also gets the heavy-tail factor.
    pub tail_probability: f64,
    /// The heavy-tail factor is log-uniform in `[1, tail_factor_max]`.
    pub tail_factor_max: f64,
}

/// The smallest true need a phase gets: the writer drops events below 50 tokens (FORMATS.md F2.2).
pub const MIN_ACTUAL: i64 = ValidityGuard::LEGACY_MIN_ACTUAL_OUTPUT_TOKENS;

impl GroundTruth {
    /// The reference truth: figures shaped after the original's reported mean actuals (METRICS.md C,
    /// calibration runs: implementation/low ≈ 1,700, implementation/medium ≈ 4,100, docs/low ≈ 4,150 —
    /// 1.3× what the estimator predicted —, tests/medium ≈ 4,600).
    pub fn reference() -> Self {
        let overhead = |low, medium, high, maintenance| Overhead {
            low,
            medium,
            high,
            maintenance,
        };
        let price = |new, modify| Price { new, modify };
        Self {
            overhead: BTreeMap::from([
                (
                    "implementation".to_owned(),
                    overhead(500.0, 1500.0, 3500.0, 1100.0),
                ),
                ("tests".to_owned(), overhead(600.0, 2400.0, 3600.0, 1500.0)),
                ("docs".to_owned(), overhead(2200.0, 3200.0, 4500.0, 2600.0)),
                (
                    "refactoring".to_owned(),
                    overhead(1800.0, 3000.0, 5200.0, 2200.0),
                ),
                (
                    "configuration".to_owned(),
                    overhead(300.0, 700.0, 1500.0, 500.0),
                ),
                (
                    "integration".to_owned(),
                    overhead(2000.0, 3500.0, 6000.0, 2600.0),
                ),
                (
                    "backend".to_owned(),
                    overhead(1200.0, 2500.0, 4800.0, 1800.0),
                ),
                (
                    "frontend".to_owned(),
                    overhead(1800.0, 3200.0, 6000.0, 2400.0),
                ),
                (
                    "database".to_owned(),
                    overhead(1000.0, 2200.0, 4200.0, 1600.0),
                ),
                (
                    "deployment".to_owned(),
                    overhead(900.0, 2000.0, 3800.0, 1400.0),
                ),
            ]),
            default_overhead: overhead(1000.0, 2000.0, 4000.0, 1500.0),
            price: BTreeMap::from([
                (DeliverableKind::Backend, price(1300.0, 600.0)),
                (DeliverableKind::Test, price(1100.0, 450.0)),
                (DeliverableKind::Doc, price(1100.0, 550.0)),
                (DeliverableKind::Config, price(250.0, 150.0)),
                (DeliverableKind::Migration, price(800.0, 400.0)),
                (DeliverableKind::Frontend, price(2200.0, 900.0)),
                (DeliverableKind::Sql, price(900.0, 400.0)),
            ]),
            noise_sigma: 0.55,
            tail_probability: 0.06,
            tail_factor_max: 6.0,
        }
    }

    /// The median true need of a phase, before noise.
    pub fn median_need(
        &self,
        raw_category: &str,
        complexity: Complexity,
        deliverables: impl IntoIterator<Item = (DeliverableKind, bool)>,
    ) -> f64 {
        let overhead = self
            .overhead
            .get(&normalise_category(raw_category))
            .unwrap_or(&self.default_overhead)
            .at(complexity);
        let marginal: f64 = deliverables
            .into_iter()
            .map(|(kind, is_new)| {
                self.price
                    .get(&kind)
                    .map_or(0.0, |p| if is_new { p.new } else { p.modify })
            })
            .sum();
        overhead + marginal
    }

    /// One draw of the true need around `median`: lognormal noise, sometimes the tail factor, at least
    /// [`MIN_ACTUAL`].
    pub fn sample_need(&self, median: f64, rng: &mut Rng) -> i64 {
        let noise = rng.lognormal(0.0, self.noise_sigma);
        let tail = if rng.chance(self.tail_probability) {
            self.tail_factor_max.powf(rng.unit())
        } else {
            1.0
        };
        ((median * noise * tail).round() as i64).max(MIN_ACTUAL)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_category_variants_share_the_normalised_overhead() {
        let truth = GroundTruth::reference();
        let none = std::iter::empty();
        assert_eq!(
            truth.median_need("IMPLEMENT_FEATURE", Complexity::Low, none.clone()),
            truth.median_need("implementation", Complexity::Low, none.clone())
        );
        assert_eq!(
            truth.median_need("testing", Complexity::High, none.clone()),
            truth.overhead["tests"].high
        );
        assert_eq!(
            truth.median_need("unheard_of", Complexity::Medium, none),
            truth.default_overhead.medium
        );
    }

    #[test]
    fn deliverable_prices_add_to_the_overhead() {
        let truth = GroundTruth::reference();
        let need = truth.median_need(
            "docs",
            Complexity::Low,
            [(DeliverableKind::Doc, true), (DeliverableKind::Doc, false)],
        );
        let doc = truth.price[&DeliverableKind::Doc];
        assert_eq!(need, truth.overhead["docs"].low + doc.new + doc.modify);
    }

    #[test]
    fn ground_truth_round_trips_through_json() {
        let truth = GroundTruth::reference();
        let text = serde_json::to_string(&truth).unwrap();
        assert!(text.contains("\"frontend\""), "{text}");
        assert_eq!(serde_json::from_str::<GroundTruth>(&text).unwrap(), truth);
    }
}
