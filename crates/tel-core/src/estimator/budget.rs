//! `select_budget` (ESTIMATOR.md §10, §13): base budget, buffer and cap.

use std::fmt;

use super::TokenEstimate;
use super::profile::{BudgetBase, BufferRule, Profile};
use crate::normalise_category;

/// Every intermediate value of one budget selection; `selected` is the budget.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct BudgetDecision {
    /// Base budget of the category and complexity (a tuned rule's floor when one applies).
    pub base: i64,
    /// The estimate's prediction.
    pub estimated: i64,
    /// Buffer multiplier applied to the prediction (a tuned rule's multiplier when one applies).
    pub buffer: f64,
    /// `trunc(estimated × buffer)`.
    pub with_buffer: i64,
    /// `min(max(base, with_buffer), cap)`.
    pub selected: i64,
    /// The estimate's confidence.
    pub confidence: f64,
    /// Whether the buffer came from the adaptive rules (the log line then shows it).
    pub adaptive: bool,
}

/// §10 for `estimate` and the raw `complexity` argument (not `estimate.complexity`, defect E12).
/// A tuned rule of the profile's stratum (normalised category, complexity, deliverable count) replaces
/// the base budget and buffer; the cap still applies.
pub fn select_budget(
    profile: &Profile,
    estimate: &TokenEstimate,
    complexity: &str,
) -> BudgetDecision {
    let budget = &profile.budget;
    if let Some(rule) = profile.budget_rules.lookup(
        &normalise_category(&estimate.category),
        complexity,
        estimate.deliverable_count,
    ) {
        let with_buffer = (estimate.estimated_tokens as f64 * rule.multiplier) as i64;
        return BudgetDecision {
            base: rule.floor,
            estimated: estimate.estimated_tokens,
            buffer: rule.multiplier,
            with_buffer,
            selected: rule.budget(estimate.estimated_tokens).min(budget.cap),
            confidence: estimate.confidence,
            adaptive: false,
        };
    }
    let by_category = match profile.switches.budget_base {
        BudgetBase::Category => budget
            .by_category
            .get(&normalise_category(&estimate.category))
            .and_then(|row| row.get(complexity)),
        BudgetBase::Universal => None,
    };
    let base = by_category
        .or_else(|| budget.universal.get(complexity))
        .copied()
        .unwrap_or(budget.default);
    let adaptive = profile.switches.buffer == BufferRule::Adaptive;
    let buffer = if adaptive {
        adaptive_buffer(profile, estimate, complexity)
    } else {
        profile.buffer.base
    };
    let with_buffer = (estimate.estimated_tokens as f64 * buffer) as i64;
    BudgetDecision {
        base,
        estimated: estimate.estimated_tokens,
        buffer,
        with_buffer,
        selected: base.max(with_buffer).min(budget.cap),
        confidence: estimate.confidence,
        adaptive,
    }
}

/// §10 step 3, in order; category tests on the RAW estimate category (defect E2).
fn adaptive_buffer(profile: &Profile, estimate: &TokenEstimate, complexity: &str) -> f64 {
    let rules = &profile.buffer;
    let category = estimate.category.as_str();
    let mut b = rules.base;
    if estimate.confidence < rules.low_confidence_below {
        b = b.max(rules.low_confidence);
    }
    if estimate.deliverable_count >= rules.many_deliverables_from {
        b = b.max(rules.many_deliverables);
    }
    if rules.high_risk_categories.iter().any(|c| c == category)
        && complexity == rules.high_risk_complexity
    {
        b = b.max(rules.high_risk);
    }
    if rules.doc_model_categories.iter().any(|c| c == category) {
        b = rules.doc_model;
    }
    b
}

/// The original's log line, e.g. `[TokenEstimator] Budget selection: base=4096, estimated=2600,
/// with_buffer=3120, selected=4096, confidence=80.0%, buffer_margin=1.20x` (no `buffer_margin` part
/// before the adaptive buffer existed).
impl fmt::Display for BudgetDecision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "[TokenEstimator] Budget selection: base={}, estimated={}, with_buffer={}, selected={}, confidence={:.1}%",
            self.base,
            self.estimated,
            self.with_buffer,
            self.selected,
            self.confidence * 100.0
        )?;
        if self.adaptive {
            write!(f, ", buffer_margin={:.2}x", self.buffer)?;
        }
        Ok(())
    }
}
