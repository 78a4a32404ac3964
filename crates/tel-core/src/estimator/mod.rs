//! The output-token estimator and budget selection of ESTIMATOR.md, bit-exact, for every profile of §13.
//!
//! [`Estimator::estimate`] routes a phase's deliverables to one of the models of §9 (empty fallback,
//! SOT, DOC_SYNTHESIS, overhead) under the switches and coefficients of a [`Profile`];
//! [`Estimator::select_budget`] turns the estimate into a `max_tokens` budget (§10). File existence and
//! content come from an injected [`Workspace`], never from the process working directory.

mod budget;
mod budget_rules;
mod builtin;
mod confidence;
mod enforce;
mod facts;
mod input;
mod label;
mod models;
mod multiplier;
mod normalize;
mod path;
mod price;
mod profile;
mod pystr;
mod scan;
mod workspace;

pub use budget::BudgetDecision;
pub use budget_rules::{BudgetRule, BudgetRules};
pub use enforce::{BudgetCheck, BudgetEnforcer, BudgetStatus, enforce_budget, escalate_budget};
pub use input::{ComplexityInput, EstimateInput};
pub use models::{ContextQuality, DocSynthesisFeatures};
pub use multiplier::complexity_multiplier;
pub use path::sanitize;
pub use profile::{
    BudgetBase, BudgetCoefficients, BufferCoefficients, BufferRule, ByContext, CategoryMultiplier,
    Combination, DocSynthesisCoefficients, DocSynthesisRoute, FlagRules, LabelRules, PhaseOverhead,
    Precedence, Price, PricingClass, Profile, SotCoefficients, Switches, Weights,
};
pub use workspace::{EmptyWorkspace, MemoryWorkspace, Workspace};

use std::borrow::Cow;

use profile::DocSynthesisRoute as DsRoute;

/// The estimator's result (§1.1) plus the documentation facts the telemetry writer records.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct TokenEstimate {
    /// Predicted output tokens.
    pub estimated_tokens: i64,
    /// Number of normalised deliverables (0 for the empty fallback).
    pub deliverable_count: i64,
    /// Category decided by the estimator (`documentation`, `doc_synthesis`, `doc_sot_update` or the input).
    pub category: String,
    /// The input complexity, unchanged.
    pub complexity: String,
    /// Diagnostic split, keys in order of first appearance (§7, §9).
    pub breakdown: Vec<(String, i64)>,
    /// Confidence in [0, 1].
    pub confidence: f64,
    /// DOC_SYNTHESIS features, when the estimate category is documentation, docs or doc_synthesis.
    pub doc_features: Option<DocSynthesisFeatures>,
    /// Context quality, under the same condition as `doc_features`.
    pub context_quality: Option<ContextQuality>,
    /// Lower-cased basename of the first SOT deliverable, for `doc_sot_update` estimates.
    pub sot_file_name: Option<String>,
}

impl TokenEstimate {
    /// The breakdown as a JSON object, keys in breakdown order.
    pub fn breakdown_json(&self) -> serde_json::Value {
        self.breakdown
            .iter()
            .map(|(key, value)| (key.clone(), serde_json::Value::from(*value)))
            .collect::<serde_json::Map<_, _>>()
            .into()
    }
}

/// The overhead-model terms of one phase (see [`Estimator::overhead_terms`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct OverheadTerms {
    /// The effective category: the PHASE_OVERHEAD key, with the complexity.
    pub category: String,
    /// One term per normalised deliverable.
    pub deliverables: Vec<PricedTerm>,
}

/// How one deliverable is priced by the overhead model.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct PricedTerm {
    /// Price-table row.
    pub class: PricingClass,
    /// New-file column (else modify).
    pub is_new: bool,
    /// File-complexity multiplier applied to a modify price; `None` for new files.
    pub multiplier: Option<f64>,
}

/// Which model of §9 a phase is routed to, with what that model needs.
enum Route<'i> {
    Fallback,
    Sot {
        deliverables: Vec<Cow<'i, str>>,
        name: String,
    },
    DocSynthesis {
        deliverables: Vec<Cow<'i, str>>,
        features: DocSynthesisFeatures,
    },
    Overhead {
        deliverables: Vec<Cow<'i, str>>,
        category: &'i str,
    },
}

/// An estimator bound to one profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimator {
    profile: Profile,
}

impl Estimator {
    /// An estimator using `profile`.
    pub fn new(profile: Profile) -> Self {
        Self { profile }
    }

    /// The default estimator: the final revision of the original.
    pub fn v2_head() -> Self {
        Self::new(builtin::ROWS[builtin::ROWS.len() - 1].profile())
    }

    /// The profile in use.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// §9: route the deliverables to a model and estimate the phase's output tokens.
    pub fn estimate(&self, input: &EstimateInput<'_>, workspace: &dyn Workspace) -> TokenEstimate {
        let profile = &self.profile;
        match self.route(input) {
            Route::Fallback => models::fallback(input),
            Route::Sot { deliverables, name } => {
                models::sot(profile, deliverables.len(), name, input)
            }
            Route::DocSynthesis {
                deliverables,
                features,
            } => models::doc_synthesis(profile, &deliverables, features, input),
            Route::Overhead {
                deliverables,
                category,
            } => models::overhead(profile, &deliverables, category, input, workspace),
        }
    }

    /// The overhead-model terms of `input` (§9.3): the effective category and each deliverable's pricing
    /// class, new/modify column and file-complexity multiplier; `None` when another model applies.
    /// Calibration fits the overhead and price tables on these.
    pub fn overhead_terms(
        &self,
        input: &EstimateInput<'_>,
        workspace: &dyn Workspace,
    ) -> Option<OverheadTerms> {
        let Route::Overhead {
            deliverables,
            category,
        } = self.route(input)
        else {
            return None;
        };
        let existence = self.profile.switches.existence_inference;
        let deliverables = deliverables
            .iter()
            .map(|d| {
                let facts = facts::Facts::of(d, existence, workspace);
                PricedTerm {
                    class: price::pricing_class(&facts, category, &self.profile),
                    is_new: facts.is_new,
                    multiplier: (!facts.is_new).then(|| {
                        complexity_multiplier(workspace.read_text(&facts.path).as_deref())
                    }),
                }
            })
            .collect();
        Some(OverheadTerms {
            category: category.to_owned(),
            deliverables,
        })
    }

    fn route<'i>(&'i self, input: &EstimateInput<'i>) -> Route<'i> {
        let profile = &self.profile;
        let switches = &profile.switches;
        let deliverables: Vec<Cow<'i, str>> = if switches.normalisation {
            normalize::normalize(input.deliverables)
        } else {
            normalize::as_given(input.deliverables)
        };
        if deliverables.is_empty() {
            return Route::Fallback;
        }
        let pure_doc = deliverables.iter().all(|d| models::is_doc_deliverable(d));
        let category = if switches.normalisation
            && pure_doc
            && !profile.doc_categories.iter().any(|c| c == input.category)
        {
            "documentation"
        } else {
            input.category
        };
        let sot_file = (switches.sot && pure_doc)
            .then(|| models::first_sot_file(&deliverables, &profile.sot.basenames))
            .flatten();
        if let Some(name) = sot_file {
            return Route::Sot { deliverables, name };
        }
        let synthesis_route = match switches.doc_synthesis {
            DsRoute::Off => false,
            DsRoute::Category => true,
            DsRoute::PureDoc => pure_doc,
        } && models::DOC_SYNTHESIS_CATEGORIES.contains(&category);
        if synthesis_route {
            let features = DocSynthesisFeatures::detect(&deliverables, input.task_description);
            if features.is_doc_synthesis() {
                return Route::DocSynthesis {
                    deliverables,
                    features,
                };
            }
        }
        Route::Overhead {
            deliverables,
            category,
        }
    }

    /// §10: the budget for `estimate`, using the `complexity` argument (not the estimate's, defect E12).
    pub fn select_budget<'c>(
        &self,
        estimate: &TokenEstimate,
        complexity: impl Into<ComplexityInput<'c>>,
    ) -> i64 {
        self.budget_decision(estimate, complexity).selected
    }

    /// [`Estimator::select_budget`] with every intermediate value (its `Display` is the original's log line).
    pub fn budget_decision<'c>(
        &self,
        estimate: &TokenEstimate,
        complexity: impl Into<ComplexityInput<'c>>,
    ) -> BudgetDecision {
        budget::select_budget(&self.profile, estimate, complexity.into().as_str())
    }
}

impl Default for Estimator {
    fn default() -> Self {
        Self::v2_head()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Complexity;

    /// The terms reproduce the overhead model's estimate: `trunc((overhead + Σ price) × 1.3)`.
    #[test]
    fn overhead_terms_reproduce_the_estimate() {
        let workspace = MemoryWorkspace::new([("src/old.py", "import os\nx = 1\n")]);
        let estimator = Estimator::v2_head();
        let profile = estimator.profile();
        for (deliverables, category, expect_terms) in [
            (
                serde_json::json!(["src/a.py", "tests/test_a.py", "src/old.py", "db/s.sql"]),
                "implementation",
                true,
            ),
            (
                serde_json::json!(["web/App.tsx", "config.yaml"]),
                "frontend",
                true,
            ),
            (
                serde_json::json!(["docs/BUILD_LOG.md"]),
                "documentation",
                false,
            ),
            (serde_json::json!([]), "implementation", false),
        ] {
            let input = EstimateInput::new(&deliverables, category, Complexity::Medium);
            let terms = estimator.overhead_terms(&input, &workspace);
            assert_eq!(terms.is_some(), expect_terms, "{deliverables}");
            let Some(terms) = terms else { continue };
            let marginal: i64 = terms
                .deliverables
                .iter()
                .map(|t| {
                    let price = profile.weights.get(t.class);
                    match t.multiplier {
                        None => price.new,
                        Some(m) => (price.modify as f64 * m) as i64,
                    }
                })
                .sum();
            let overhead = profile.phase_overhead.by_category[&terms.category]["medium"];
            let expected = estimator.estimate(&input, &workspace).estimated_tokens;
            assert_eq!(
                ((overhead + marginal) as f64 * profile.safety_margin) as i64,
                expected
            );
        }
    }
}
