//! Tuned budget rules (`tel tune`, docs/CALIBRATION.md): per stratum, `budget = max(floor, trunc(p × multiplier))`,
//! looked up from the most specific stratum that has a rule.

use serde::{Deserialize, Serialize};

use crate::strata::BucketScheme;

/// The rule of one stratum; `None` in a key field matches every value (a coarser stratum).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetRule {
    /// Normalised category; `None` for every category.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Raw complexity (`low`, `medium`, `high`); `None` for every complexity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complexity: Option<String>,
    /// Deliverable bucket label of [`BudgetRules::scheme`]; `None` for every bucket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deliverables: Option<String>,
    /// Multiplier on the prediction (0 for a pure floor).
    pub multiplier: f64,
    /// Smallest budget (0 for a pure multiplier).
    pub floor: i64,
}

impl BudgetRule {
    /// The rule's budget for prediction `p`, before the profile's cap.
    pub fn budget(&self, predicted: i64) -> i64 {
        self.floor.max((predicted as f64 * self.multiplier) as i64)
    }

    /// How many key fields are set: 3 for a full stratum, 0 for the catch-all rule.
    pub fn specificity(&self) -> usize {
        [
            self.category.is_some(),
            self.complexity.is_some(),
            self.deliverables.is_some(),
        ]
        .into_iter()
        .filter(|set| *set)
        .count()
    }

    fn matches(&self, category: &str, complexity: &str, bucket: &str) -> bool {
        let field = |key: &Option<String>, value: &str| key.as_deref().is_none_or(|k| k == value);
        field(&self.category, category)
            && field(&self.complexity, complexity)
            && field(&self.deliverables, bucket)
    }
}

/// Tuned rules of a profile; empty (the default) leaves §10's budget selection unchanged.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetRules {
    /// Deliverable bucket scheme of the rules' `deliverables` labels.
    #[serde(default)]
    pub scheme: BucketScheme,
    /// The rules, any order.
    #[serde(default, rename = "rule")]
    pub rules: Vec<BudgetRule>,
}

impl BudgetRules {
    /// No rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The most specific rule matching a normalised category, raw complexity and deliverable count
    /// (the first one listed among equally specific matches).
    pub fn lookup(
        &self,
        category: &str,
        complexity: &str,
        deliverable_count: i64,
    ) -> Option<&BudgetRule> {
        let bucket = self.scheme.bucket(deliverable_count).label();
        self.rules
            .iter()
            .filter(|rule| rule.matches(category, complexity, bucket))
            .fold(None, |best: Option<&BudgetRule>, rule| match best {
                Some(b) if b.specificity() >= rule.specificity() => Some(b),
                _ => Some(rule),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(key: [Option<&str>; 3], multiplier: f64, floor: i64) -> BudgetRule {
        let [category, complexity, deliverables] = key.map(|k| k.map(str::to_owned));
        BudgetRule {
            category,
            complexity,
            deliverables,
            multiplier,
            floor,
        }
    }

    #[test]
    fn lookup_prefers_the_most_specific_matching_stratum() {
        let rules = BudgetRules {
            scheme: BucketScheme::Collection,
            rules: vec![
                rule([None, None, None], 2.0, 0),
                rule([Some("tests"), Some("low"), Some("1-3")], 1.5, 0),
                rule([Some("tests"), None, None], 1.7, 0),
                rule([Some("tests"), Some("low"), None], 1.6, 0),
            ],
        };
        let multiplier =
            |category, complexity, k| rules.lookup(category, complexity, k).map(|r| r.multiplier);
        assert_eq!(multiplier("tests", "low", 2), Some(1.5));
        assert_eq!(multiplier("tests", "low", 9), Some(1.6));
        assert_eq!(multiplier("tests", "high", 2), Some(1.7));
        assert_eq!(multiplier("docs", "low", 2), Some(2.0));
        assert_eq!(BudgetRules::default().lookup("docs", "low", 2), None);
    }

    #[test]
    fn a_rule_budget_is_the_larger_of_floor_and_scaled_prediction() {
        let r = rule([None, None, None], 1.5, 4000);
        assert_eq!(r.budget(2000), 4000);
        assert_eq!(r.budget(3001), 4501);
    }

    #[test]
    fn select_budget_applies_the_matching_rule_under_the_cap() {
        use crate::Complexity::{High, Low};
        use crate::estimator::{EmptyWorkspace, EstimateInput, Estimator, Profile};
        let deliverables = serde_json::json!(["src/a.py", "src/b.py"]);
        let input = EstimateInput::new(&deliverables, "IMPLEMENT_FEATURE", Low);
        let mut profile = Profile::builtin("v2-head").expect("builtin");
        let untuned = Estimator::new(profile.clone());
        let estimate = untuned.estimate(&input, &EmptyWorkspace);
        let p = estimate.estimated_tokens;
        profile.budget_rules = BudgetRules {
            scheme: BucketScheme::Collection,
            rules: vec![
                rule([Some("implementation"), Some("low"), Some("1-3")], 1.25, 0),
                rule([None, None, None], 100.0, 0),
            ],
        };
        let tuned = Estimator::new(profile.clone());
        assert_eq!(
            tuned.select_budget(&estimate, Low),
            (p as f64 * 1.25) as i64
        );
        assert_eq!(
            tuned.select_budget(&estimate, High),
            64_000,
            "catch-all, capped"
        );
        profile.budget_rules.rules.clear();
        assert_eq!(
            Estimator::new(profile).select_budget(&estimate, Low),
            untuned.select_budget(&estimate, Low)
        );
    }
}
