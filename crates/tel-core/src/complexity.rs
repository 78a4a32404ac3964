//! Phase complexity: the single source of truth for the allowed values and their synonyms.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Complexity of a phase as stored in telemetry.
///
/// The set of variants is the single source of truth for the store's `CHECK` constraint
/// (the original shipped a constraint that rejected `maintenance` and lost telemetry silently).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Complexity {
    /// Small phase.
    Low,
    /// Typical phase.
    Medium,
    /// Large phase.
    High,
    /// Maintenance work (written by direct callers; the original call site mapped it to medium).
    Maintenance,
}

/// A complexity value that is not one of [`Complexity::ALL`] nor a known synonym.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown complexity {value:?}: expected one of low, medium, high, maintenance (or a synonym: simple, trivial, easy, moderate, normal, average, complex, difficult, hard)"
)]
#[non_exhaustive]
pub struct UnknownComplexity {
    /// The rejected raw value.
    pub value: String,
}

impl Complexity {
    /// Every allowed stored value, in canonical order.
    pub const ALL: [Complexity; 4] = [Self::Low, Self::Medium, Self::High, Self::Maintenance];

    /// The stored text of this value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Maintenance => "maintenance",
        }
    }

    /// Parses a raw value: canonical names and the original call site's synonyms, case-insensitive,
    /// surrounding whitespace ignored.
    pub fn parse(raw: &str) -> Result<Self, UnknownComplexity> {
        match raw.trim().to_lowercase().as_str() {
            "low" | "simple" | "trivial" | "easy" => Ok(Self::Low),
            "medium" | "moderate" | "normal" | "average" => Ok(Self::Medium),
            "high" | "complex" | "difficult" | "hard" => Ok(Self::High),
            "maintenance" => Ok(Self::Maintenance),
            _ => Err(UnknownComplexity {
                value: raw.to_owned(),
            }),
        }
    }

    /// The original call site's normalisation before writing telemetry (FORMATS.md F2.7, the recorded complexity):
    /// synonyms map as in [`Complexity::parse`], anything else (including `maintenance` and a missing
    /// value) becomes `medium`.
    pub fn normalise_like_call_site(raw: Option<&str>) -> Self {
        match raw.map(Self::parse) {
            Some(Ok(c @ (Self::Low | Self::Medium | Self::High))) => c,
            _ => Self::Medium,
        }
    }
}

impl fmt::Display for Complexity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Complexity {
    type Err = UnknownComplexity;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synonyms_map_to_canonical_values() {
        for (raw, expected) in [
            ("simple", Complexity::Low),
            (" Trivial ", Complexity::Low),
            ("MODERATE", Complexity::Medium),
            ("hard", Complexity::High),
            ("maintenance", Complexity::Maintenance),
        ] {
            assert_eq!(Complexity::parse(raw), Ok(expected), "{raw}");
        }
    }

    #[test]
    fn unknown_complexity_names_value_and_allowed_set() {
        let err = Complexity::parse("critical").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("\"critical\""), "{text}");
        assert!(text.contains("low, medium, high, maintenance"), "{text}");
    }

    #[test]
    fn call_site_normalisation_maps_maintenance_and_unknown_to_medium() {
        assert_eq!(
            Complexity::normalise_like_call_site(Some("maintenance")),
            Complexity::Medium
        );
        assert_eq!(
            Complexity::normalise_like_call_site(Some("critical")),
            Complexity::Medium
        );
        assert_eq!(
            Complexity::normalise_like_call_site(None),
            Complexity::Medium
        );
        assert_eq!(
            Complexity::normalise_like_call_site(Some("Easy")),
            Complexity::Low
        );
    }
}
