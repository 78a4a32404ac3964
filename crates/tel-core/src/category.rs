//! Phase category: the raw string as the executor passed it, and its normalised form.

use serde::{Deserialize, Serialize};

/// A phase category, kept exactly as given (the original's lookups were case-sensitive,
/// so the raw text matters for reproducing it).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Category(String);

impl Category {
    /// Wraps a raw category string without changing it.
    pub fn new(raw: impl Into<String>) -> Self {
        Self(raw.into())
    }

    /// The raw category text.
    pub fn raw(&self) -> &str {
        &self.0
    }

    /// The budget normalisation of ESTIMATOR.md §10 step 1: lower-cased, then
    /// `documentation`/`doc_write`/`doc` → `docs`, `testing` → `tests`,
    /// `implement_feature` → `implementation`; everything else stays lower-cased.
    pub fn normalised(&self) -> String {
        normalise_category(&self.0)
    }
}

/// See [`Category::normalised`].
pub fn normalise_category(raw: &str) -> String {
    let lower = raw.to_lowercase();
    match lower.as_str() {
        "documentation" | "doc_write" | "doc" => "docs".to_owned(),
        "testing" => "tests".to_owned(),
        "implement_feature" => "implementation".to_owned(),
        _ => lower,
    }
}

impl From<&str> for Category {
    fn from(raw: &str) -> Self {
        Self::new(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_follows_budget_table() {
        for (raw, expected) in [
            ("Documentation", "docs"),
            ("doc_write", "docs"),
            ("testing", "tests"),
            ("IMPLEMENT_FEATURE", "implementation"),
            ("doc_synthesis", "doc_synthesis"),
            ("Backend", "backend"),
        ] {
            assert_eq!(Category::new(raw).normalised(), expected, "{raw}");
        }
        assert_eq!(Category::new("Docs").raw(), "Docs");
    }
}
