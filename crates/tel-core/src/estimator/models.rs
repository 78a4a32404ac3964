//! The estimation models (ESTIMATOR.md §9): empty fallback, SOT, DOC_SYNTHESIS and the overhead model.

use serde::{Deserialize, Serialize};

use super::confidence::confidence;
use super::facts::{Facts, basename, lower_slashed};
use super::label::label;
use super::path::has_extension_like_token;
use super::price::price;
use super::profile::{ByContext, Combination, Profile};
use super::pystr::py_strip;
use super::workspace::Workspace;
use super::{EstimateInput, TokenEstimate};

/// Categories eligible for the DOC_SYNTHESIS model (§9 step 5, §13.1 DS).
pub const DOC_SYNTHESIS_CATEGORIES: [&str; 2] = ["documentation", "docs"];
/// Estimate categories for which the telemetry writer records doc features and context quality.
const DOC_FEATURE_CATEGORIES: [&str; 3] = ["documentation", "docs", "doc_synthesis"];

/// How much context the scope paths give (§9.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContextQuality {
    /// No scope paths (absent or empty).
    None,
    /// 1 to 10 scope paths.
    Some,
    /// More than 10 scope paths.
    Strong,
}

impl ContextQuality {
    /// The context quality of a phase with these scope paths.
    pub fn of(scope_paths: Option<&[String]>) -> Self {
        match scope_paths.map_or(0, <[String]>::len) {
            0 => Self::None,
            1..=10 => Self::Some,
            _ => Self::Strong,
        }
    }

    /// The stored text: `none`, `some` or `strong`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Some => "some",
            Self::Strong => "strong",
        }
    }

    fn pick(self, table: &ByContext) -> i64 {
        match self {
            Self::None => table.none,
            Self::Some => table.some,
            Self::Strong => table.strong,
        }
    }
}

/// The DOC_SYNTHESIS features of §9.2 (keyword tests on the lower-cased deliverables and task).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocSynthesisFeatures {
    /// An API reference is required.
    pub api_reference_required: bool,
    /// Examples are required.
    pub examples_required: bool,
    /// Research is required (task text only).
    pub research_required: bool,
    /// A usage guide is required.
    pub usage_guide_required: bool,
}

impl DocSynthesisFeatures {
    /// Features of the normalised deliverables `deliverables` and the task description.
    pub fn detect<S: AsRef<str>>(deliverables: &[S], task_description: &str) -> Self {
        let joined: Vec<&str> = deliverables.iter().map(AsRef::as_ref).collect();
        let task = task_description.to_lowercase();
        // The combined text is built literally: a keyword may span the joining space.
        let combined = format!("{} {task}", joined.join(" ").to_lowercase());
        let any = |text: &str, keywords: &[&str]| keywords.iter().any(|k| text.contains(k));
        Self {
            api_reference_required: any(
                &combined,
                &[
                    "api_reference",
                    "api reference",
                    "api.md",
                    "endpoints",
                    "rest api",
                ],
            ),
            examples_required: any(
                &combined,
                &[
                    "examples.md",
                    "example",
                    "snippets",
                    "sample code",
                    "usage example",
                ],
            ),
            research_required: any(
                &task,
                &[
                    "from scratch",
                    "create documentation for",
                    "document the",
                    "comprehensive",
                    "investigate",
                ],
            ),
            usage_guide_required: any(
                &combined,
                &["usage_guide", "user guide", "getting started", "tutorial"],
            ),
        }
    }

    /// `api OR (examples AND research) OR (examples AND usage_guide)`.
    pub fn is_doc_synthesis(&self) -> bool {
        self.api_reference_required
            || (self.examples_required && self.research_required)
            || (self.examples_required && self.usage_guide_required)
    }
}

/// `is_doc_deliverable` of §9 step 3.
pub fn is_doc_deliverable(d: &str) -> bool {
    let t = lower_slashed(py_strip(d));
    t.starts_with("docs/") || t.ends_with(".md")
}

/// The lower-cased basename of the first deliverable whose basename is an SOT file.
pub fn first_sot_file<S: AsRef<str>>(
    deliverables: &[S],
    sot_basenames: &[String],
) -> Option<String> {
    deliverables.iter().find_map(|d| {
        let low = lower_slashed(d.as_ref());
        let base = basename(&low);
        sot_basenames
            .iter()
            .any(|b| b == base)
            .then(|| base.to_owned())
    })
}

fn trunc_mul(value: i64, factor: f64) -> i64 {
    (value as f64 * factor) as i64
}

fn doc_feature_fields(
    category: &str,
    deliverables: &[impl AsRef<str>],
    input: &EstimateInput<'_>,
) -> (Option<DocSynthesisFeatures>, Option<ContextQuality>) {
    if DOC_FEATURE_CATEGORIES.contains(&category) {
        (
            Some(DocSynthesisFeatures::detect(
                deliverables,
                input.task_description,
            )),
            Some(ContextQuality::of(input.scope_paths)),
        )
    } else {
        (None, None)
    }
}

/// §9 step 2: no deliverables ⇒ the complexity default as the prediction (defect E10).
pub fn fallback(input: &EstimateInput<'_>) -> TokenEstimate {
    let estimated_tokens = match input.complexity.as_str() {
        "medium" => 12288,
        "high" => 16384,
        _ => 8192,
    };
    TokenEstimate {
        estimated_tokens,
        deliverable_count: 0,
        category: input.category.to_owned(),
        complexity: input.complexity.as_str().to_owned(),
        breakdown: Vec::new(),
        confidence: 0.5,
        doc_features: None,
        context_quality: None,
        sot_file_name: None,
    }
}

/// §9.1: source-of-truth file update.
pub fn sot(
    profile: &Profile,
    n: usize,
    sot_file_name: String,
    input: &EstimateInput<'_>,
) -> TokenEstimate {
    let coefficients = &profile.sot;
    let context = ContextQuality::of(input.scope_paths).pick(&coefficients.context);
    let write = coefficients.per_entry.saturating_mul(n.max(1) as i64);
    let consistency = trunc_mul(write, coefficients.consistency_factor);
    let total = context.saturating_add(write).saturating_add(consistency);
    TokenEstimate {
        estimated_tokens: trunc_mul(total, profile.safety_margin),
        deliverable_count: n as i64,
        category: "doc_sot_update".to_owned(),
        complexity: input.complexity.as_str().to_owned(),
        breakdown: vec![
            ("sot_context_reconstruction".to_owned(), context),
            ("sot_write_entries".to_owned(), write),
            ("sot_consistency_overhead".to_owned(), consistency),
        ],
        confidence: coefficients.confidence,
        doc_features: None,
        context_quality: None,
        sot_file_name: Some(sot_file_name),
    }
}

/// §9.2: documentation written from research.
pub fn doc_synthesis(
    profile: &Profile,
    deliverables: &[impl AsRef<str>],
    features: DocSynthesisFeatures,
    input: &EstimateInput<'_>,
) -> TokenEstimate {
    let coefficients = &profile.doc_synthesis;
    let n = deliverables.len() as i64;
    let context_quality = ContextQuality::of(input.scope_paths);
    let investigate = context_quality.pick(&coefficients.investigate);
    let api_extract = if features.api_reference_required {
        coefficients.api_extract
    } else {
        0
    };
    let examples = if features.examples_required {
        coefficients.examples
    } else {
        0
    };
    let writing = coefficients.per_doc.saturating_mul(n);
    let coordination = if n >= coefficients.coordination_min_docs {
        trunc_mul(writing, coefficients.coordination_factor)
    } else {
        0
    };
    let parts = [
        ("doc_synthesis_investigate", investigate),
        ("doc_synthesis_api_extract", api_extract),
        ("doc_synthesis_examples", examples),
        ("doc_synthesis_writing", writing),
        ("doc_synthesis_coordination", coordination),
    ];
    let total = parts
        .iter()
        .fold(0i64, |sum, &(_, v)| sum.saturating_add(v));
    TokenEstimate {
        estimated_tokens: trunc_mul(total, profile.safety_margin),
        deliverable_count: n,
        category: "doc_synthesis".to_owned(),
        complexity: input.complexity.as_str().to_owned(),
        breakdown: parts.iter().map(|&(k, v)| (k.to_owned(), v)).collect(),
        confidence: coefficients.confidence,
        doc_features: Some(features),
        context_quality: Some(context_quality),
        sot_file_name: None,
    }
}

/// §9.3 (C2) or §13.1 C1: priced deliverables plus phase overhead, or times the category multiplier.
pub fn overhead(
    profile: &Profile,
    deliverables: &[impl AsRef<str>],
    category: &str,
    input: &EstimateInput<'_>,
    workspace: &dyn Workspace,
) -> TokenEstimate {
    let switches = &profile.switches;
    let mut marginal = 0i64;
    let mut breakdown: Vec<(String, i64)> = Vec::with_capacity(2);
    let (mut with_extension, mut with_verb) = (0, 0);
    for d in deliverables {
        let facts = Facts::of(d.as_ref(), switches.existence_inference, workspace);
        with_extension += usize::from(has_extension_like_token(d.as_ref()));
        with_verb += usize::from(facts.verbs != 0);
        let cost = price(&facts, category, profile, workspace);
        marginal = marginal.saturating_add(cost);
        let key = label(&facts, switches.labels);
        match breakdown.iter_mut().find(|(k, _)| k == key) {
            Some((_, sum)) => *sum = sum.saturating_add(cost),
            None => breakdown.push((key.to_owned(), cost)),
        }
    }
    let estimated_tokens = match switches.combination {
        Combination::Overhead => {
            let overhead = profile
                .phase_overhead
                .by_category
                .get(category)
                .and_then(|row| row.get(input.complexity.as_str()))
                .copied()
                .unwrap_or(profile.phase_overhead.default);
            trunc_mul(overhead.saturating_add(marginal), profile.safety_margin)
        }
        Combination::CategoryMultiplier => {
            let multiplier = profile
                .category_multiplier
                .by_category
                .get(category)
                .copied()
                .unwrap_or(profile.category_multiplier.default);
            (trunc_mul(marginal, profile.safety_margin) as f64 * multiplier) as i64
        }
    };
    let (doc_features, context_quality) = doc_feature_fields(category, deliverables, input);
    TokenEstimate {
        estimated_tokens,
        deliverable_count: deliverables.len() as i64,
        category: category.to_owned(),
        complexity: input.complexity.as_str().to_owned(),
        breakdown,
        confidence: confidence(deliverables.len(), with_extension, with_verb),
        doc_features,
        context_quality,
        sot_file_name: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detector_follows_the_pinned_cases() {
        for (docs, task, expected) in [
            (
                &["docs/API_REFERENCE.md", "docs/OVERVIEW.md"][..],
                "Create comprehensive documentation from scratch",
                true,
            ),
            (
                &["docs/EXAMPLES.md", "docs/USAGE_GUIDE.md"][..],
                "Create documentation from scratch with code examples",
                true,
            ),
            (
                &["README.md"][..],
                "Update README with new installation instructions",
                false,
            ),
            (&["CHANGELOG.md"][..], "Add v1.2.0 changelog entry", false),
            (&["docs/user_guide.md", "docs/example.md"][..], "", false),
        ] {
            assert_eq!(
                DocSynthesisFeatures::detect(docs, task).is_doc_synthesis(),
                expected,
                "{docs:?}"
            );
        }
    }

    #[test]
    fn keywords_may_span_the_join_between_deliverables_and_task() {
        let features = DocSynthesisFeatures::detect(&["docs/rest"], "API notes");
        assert!(features.api_reference_required);
    }

    #[test]
    fn context_quality_thresholds() {
        let paths: Vec<String> = (0..11).map(|i| format!("p{i}")).collect();
        assert_eq!(ContextQuality::of(None), ContextQuality::None);
        assert_eq!(ContextQuality::of(Some(&paths[..0])), ContextQuality::None);
        assert_eq!(ContextQuality::of(Some(&paths[..10])), ContextQuality::Some);
        assert_eq!(ContextQuality::of(Some(&paths)), ContextQuality::Strong);
    }
}
