//! The arguments of one `estimate` call (ESTIMATOR.md §1.2), with the complexity typed.

use crate::Complexity;

/// The estimator's complexity argument (§1.2, §1.3).
///
/// The original looked complexity up as raw, case-sensitive text, so the estimator still does: a
/// [`Complexity`] has its rows in the profile's tables (`maintenance` has none in the built-in profiles),
/// and any other text — `Medium`, `simple`, `critical` — gets every table's default (§9 step 2, §9.3,
/// §10) and is reported unchanged in [`TokenEstimate::complexity`](super::TokenEstimate::complexity).
/// A coefficients file may still key a row by such a text, which then matches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ComplexityInput<'a> {
    /// A stored complexity value, looked up by [`Complexity::as_str`].
    Known(Complexity),
    /// Text that is not exactly a stored complexity value (as [`ComplexityInput::raw`] decides).
    Unknown(&'a str),
}

impl<'a> ComplexityInput<'a> {
    /// The raw argument as the original took it: exactly `low`, `medium`, `high` or `maintenance` is
    /// [`ComplexityInput::Known`], anything else (other case, synonyms, surrounding space) is
    /// [`ComplexityInput::Unknown`]. Unlike [`Complexity::parse`], no synonym is mapped.
    pub fn raw(text: &'a str) -> Self {
        Complexity::ALL
            .into_iter()
            .find(|c| c.as_str() == text)
            .map_or(Self::Unknown(text), Self::Known)
    }

    /// The text the profile's tables are looked up with.
    pub fn as_str(self) -> &'a str {
        match self {
            Self::Known(complexity) => complexity.as_str(),
            Self::Unknown(text) => text,
        }
    }

    /// The stored complexity value, if this is one.
    pub fn known(self) -> Option<Complexity> {
        match self {
            Self::Known(complexity) => Some(complexity),
            Self::Unknown(_) => None,
        }
    }
}

impl From<Complexity> for ComplexityInput<'_> {
    fn from(complexity: Complexity) -> Self {
        Self::Known(complexity)
    }
}

/// The arguments of one `estimate` call (§1.2): build it with [`EstimateInput::new`] and the `with_`
/// methods (fields may be added, so it cannot be written as a literal outside tel-core).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct EstimateInput<'a> {
    /// Any JSON value; normalised by §2 (or used as given with normalisation off).
    pub deliverables: &'a serde_json::Value,
    /// Raw, case-sensitive category.
    pub category: &'a str,
    /// The complexity, as the original's raw text (see [`ComplexityInput`]).
    pub complexity: ComplexityInput<'a>,
    /// Scope paths; only absence/emptiness and the count matter.
    pub scope_paths: Option<&'a [String]>,
    /// Task description ("" when none).
    pub task_description: &'a str,
}

impl<'a> EstimateInput<'a> {
    /// The input for `deliverables`, `category` and `complexity`, with no scope paths and an empty task
    /// description.
    pub fn new(
        deliverables: &'a serde_json::Value,
        category: &'a str,
        complexity: impl Into<ComplexityInput<'a>>,
    ) -> Self {
        Self {
            deliverables,
            category,
            complexity: complexity.into(),
            scope_paths: None,
            task_description: "",
        }
    }

    /// With these scope paths (`None`: the phase had none).
    pub fn with_scope_paths(mut self, scope_paths: Option<&'a [String]>) -> Self {
        self.scope_paths = scope_paths;
        self
    }

    /// With this task description.
    pub fn with_task_description(mut self, task_description: &'a str) -> Self {
        self.task_description = task_description;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_complexity_is_known_only_when_exactly_a_stored_value() {
        assert_eq!(
            ComplexityInput::raw("medium"),
            ComplexityInput::Known(Complexity::Medium)
        );
        assert_eq!(
            ComplexityInput::raw("maintenance").known(),
            Some(Complexity::Maintenance)
        );
        for text in ["Medium", "simple", " low", "critical", ""] {
            assert_eq!(ComplexityInput::raw(text), ComplexityInput::Unknown(text));
            assert_eq!(ComplexityInput::raw(text).as_str(), text);
        }
    }
}
