//! Stratification of events by (normalised category, complexity, deliverable bucket), with the deliverable
//! bucket schemes of METRICS.md A10 selectable by name.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{Complexity, TelemetryEvent, normalise_category};

/// A way of grouping deliverable counts `k` into buckets (METRICS.md A10).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum BucketScheme {
    /// `0`, `1-3`, `4-7`, `8-15`, `16+` — the Phase-3 coverage targets plus an explicit zero bucket (tel's default).
    #[default]
    Collection,
    /// `1` (k ≤ 1, including 0), `2-5`, `6+` — the V3 log analyzer's scheme.
    V3,
    /// `1`, `2-5`, `6-10`, `11-20`, `20+` — the truncation triage's scheme, where k = 0 (and any k
    /// not in an earlier bucket) lands in `20+`, reproduced knowingly.
    Triage,
    /// `0`, `1`, `2-5`, `6-10`, `11-20`, `21+` — METRICS.md's recommendation.
    Recommended,
}

/// A bucket scheme name that is not one of [`BucketScheme::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown bucket scheme {value:?}: expected one of collection, v3, triage, recommended")]
#[non_exhaustive]
pub struct UnknownBucketScheme {
    /// The rejected name.
    pub value: String,
}

impl BucketScheme {
    /// Every scheme, in the order of their names in [`UnknownBucketScheme`].
    pub const ALL: [BucketScheme; 4] =
        [Self::Collection, Self::V3, Self::Triage, Self::Recommended];

    /// The scheme's name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Collection => "collection",
            Self::V3 => "v3",
            Self::Triage => "triage",
            Self::Recommended => "recommended",
        }
    }

    /// The bucket labels in ascending order of `k`.
    pub const fn labels(self) -> &'static [&'static str] {
        match self {
            Self::Collection => &["0", "1-3", "4-7", "8-15", "16+"],
            Self::V3 => &["1", "2-5", "6+"],
            Self::Triage => &["1", "2-5", "6-10", "11-20", "20+"],
            Self::Recommended => &["0", "1", "2-5", "6-10", "11-20", "21+"],
        }
    }

    /// The bucket of a deliverable count (negative counts go where 0 goes).
    pub fn bucket(self, k: i64) -> DeliverableBucket {
        let index = match self {
            Self::Collection => match k {
                ..=0 => 0,
                1..=3 => 1,
                4..=7 => 2,
                8..=15 => 3,
                _ => 4,
            },
            Self::V3 => match k {
                ..=1 => 0,
                2..=5 => 1,
                _ => 2,
            },
            Self::Triage => match k {
                1 => 0,
                2..=5 => 1,
                6..=10 => 2,
                11..=20 => 3,
                _ => 4,
            },
            Self::Recommended => match k {
                ..=0 => 0,
                1 => 1,
                2..=5 => 2,
                6..=10 => 3,
                11..=20 => 4,
                _ => 5,
            },
        };
        DeliverableBucket {
            scheme: self,
            index,
        }
    }
}

impl fmt::Display for BucketScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for BucketScheme {
    type Err = UnknownBucketScheme;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|scheme| scheme.name() == s)
            .ok_or_else(|| UnknownBucketScheme {
                value: s.to_owned(),
            })
    }
}

/// One bucket of a scheme; orders by position in the scheme (`2-5` before `16+`), displays as its label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeliverableBucket {
    scheme: BucketScheme,
    index: usize,
}

impl DeliverableBucket {
    /// The bucket's label, e.g. `2-5`.
    pub fn label(self) -> &'static str {
        self.scheme.labels()[self.index]
    }

    /// The scheme the bucket belongs to.
    pub fn scheme(self) -> BucketScheme {
        self.scheme
    }
}

impl fmt::Display for DeliverableBucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl Serialize for DeliverableBucket {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.label())
    }
}

/// The stratum of an event: normalised category, complexity and deliverable bucket.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct StratumKey {
    /// Category after [`normalise_category`].
    pub category: String,
    /// Complexity as recorded.
    pub complexity: Complexity,
    /// Bucket of the full deliverable count.
    pub deliverables: DeliverableBucket,
}

impl StratumKey {
    /// The stratum of raw values.
    pub fn new(
        category: &str,
        complexity: Complexity,
        deliverable_count: i64,
        scheme: BucketScheme,
    ) -> Self {
        Self {
            category: normalise_category(category),
            complexity,
            deliverables: scheme.bucket(deliverable_count),
        }
    }

    /// The stratum of a stored event.
    pub fn of_event(event: &TelemetryEvent, scheme: BucketScheme) -> Self {
        Self::new(
            &event.category,
            event.complexity,
            event.deliverable_count,
            scheme,
        )
    }
}

/// Groups items by their stratum; every item lands in exactly one group, in input order within it.
pub fn stratify<T>(
    items: impl IntoIterator<Item = T>,
    key: impl Fn(&T) -> StratumKey,
) -> BTreeMap<StratumKey, Vec<T>> {
    let mut strata: BTreeMap<StratumKey, Vec<T>> = BTreeMap::new();
    for item in items {
        strata.entry(key(&item)).or_default().push(item);
    }
    strata
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(scheme: BucketScheme, ks: &[i64]) -> Vec<&'static str> {
        ks.iter().map(|&k| scheme.bucket(k).label()).collect()
    }

    #[test]
    fn schemes_place_boundaries_as_written() {
        let ks = [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 15, 16, 20, 21, 100];
        assert_eq!(
            labels(BucketScheme::Collection, &ks),
            [
                "0", "1-3", "1-3", "1-3", "4-7", "4-7", "4-7", "4-7", "8-15", "8-15", "8-15",
                "8-15", "16+", "16+", "16+", "16+"
            ]
        );
        assert_eq!(
            labels(BucketScheme::V3, &ks),
            [
                "1", "1", "2-5", "2-5", "2-5", "2-5", "6+", "6+", "6+", "6+", "6+", "6+", "6+",
                "6+", "6+", "6+"
            ]
        );
        assert_eq!(
            labels(BucketScheme::Triage, &ks),
            [
                "20+", "1", "2-5", "2-5", "2-5", "2-5", "6-10", "6-10", "6-10", "6-10", "11-20",
                "11-20", "11-20", "11-20", "20+", "20+"
            ]
        );
        assert_eq!(
            labels(BucketScheme::Recommended, &ks),
            [
                "0", "1", "2-5", "2-5", "2-5", "2-5", "6-10", "6-10", "6-10", "6-10", "11-20",
                "11-20", "11-20", "11-20", "21+", "21+"
            ]
        );
    }

    #[test]
    fn scheme_names_round_trip_and_unknown_names_list_the_choices() {
        for scheme in BucketScheme::ALL {
            assert_eq!(scheme.name().parse(), Ok(scheme));
        }
        let err = "V3x".parse::<BucketScheme>().unwrap_err();
        let text = err.to_string();
        assert!(text.contains("\"V3x\""), "{text}");
        assert!(
            text.contains("collection, v3, triage, recommended"),
            "{text}"
        );
    }

    #[test]
    fn buckets_order_by_position_not_text() {
        let scheme = BucketScheme::Collection;
        assert!(scheme.bucket(5) < scheme.bucket(16));
        assert!(scheme.bucket(0) < scheme.bucket(1));
    }
}
