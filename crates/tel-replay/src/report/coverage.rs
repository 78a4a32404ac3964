//! Sample-collection readiness: clean samples per category × complexity × deliverable bucket against the
//! Phase-3 plan (buckets `1-3`, `4-7`, `8-15`, `16+`; a total of 30-50 samples).
//!
//! A clean sample is an eligible event (METRICS.md B1) that was not truncated: its actual is the true need.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use tel_core::accuracy::{EventClass, Truncation};
use tel_core::{
    BucketScheme, Complexity, EventView, TelemetryEvent, ValidityGuard, normalise_category,
};

/// The JSON schema identifier of [`Coverage`].
pub const COVERAGE_SCHEMA: &str = "tel.coverage/1";

/// The complexities the plan expects in every category: all four the schema allows.
pub const PLANNED_COMPLEXITIES: [Complexity; 4] = Complexity::ALL;

/// The deliverable buckets of the plan (the `collection` scheme without its zero bucket).
pub const PLANNED_BUCKETS: [&str; 4] = ["1-3", "4-7", "8-15", "16+"];

/// Thresholds of the verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoverageOptions {
    /// The verdict needs at least this many clean samples in planned cells (default 30).
    pub min_total: u64,
    /// The collection goal shown beside the total (default 50).
    pub target_total: u64,
    /// A cell with fewer clean samples is missing (default 1).
    pub min_per_cell: u64,
    /// Categories of the grid (normalised); empty means every category seen in the data.
    pub categories: Vec<String>,
}

impl Default for CoverageOptions {
    fn default() -> Self {
        Self {
            min_total: 30,
            target_total: 50,
            min_per_cell: 1,
            categories: Vec::new(),
        }
    }
}

/// One cell of the grid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cell {
    /// Normalised category.
    pub category: String,
    /// Complexity.
    pub complexity: Complexity,
    /// Deliverable bucket label.
    pub deliverables: &'static str,
    /// Clean samples.
    pub clean: u64,
    /// Truncated events (not usable as samples, shown for context).
    pub truncated: u64,
}

/// The verdict of the readiness check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CoverageVerdict {
    /// Enough clean samples in every planned cell.
    #[serde(rename = "VALIDATED ON REAL DATA")]
    Validated,
    /// Too few samples in total or missing cells.
    #[serde(rename = "VALIDATION INCOMPLETE")]
    Incomplete,
}

impl CoverageVerdict {
    /// The verdict as printed.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Validated => "VALIDATED ON REAL DATA",
            Self::Incomplete => "VALIDATION INCOMPLETE",
        }
    }
}

/// The readiness report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    /// Always [`COVERAGE_SCHEMA`].
    pub schema: &'static str,
    /// Thresholds used.
    pub options: CoverageOptions,
    /// Events read.
    pub events: u64,
    /// Eligible events (B1).
    pub eligible: u64,
    /// Events without a prediction (`p ≤ 0`, e.g. imported OTLP spans): never samples.
    pub without_prediction: u64,
    /// Eligible truncated events.
    pub truncated: u64,
    /// Clean samples with 0 deliverables (outside every planned bucket).
    pub clean_without_deliverables: u64,
    /// Clean samples in planned cells.
    pub clean_total: u64,
    /// Every cell of the grid, in category, complexity, bucket order.
    pub cells: Vec<Cell>,
    /// Cells with fewer than `min_per_cell` clean samples.
    pub missing_cells: u64,
    /// The verdict.
    pub verdict: CoverageVerdict,
    /// Why the verdict is incomplete (empty when validated).
    pub reasons: Vec<String>,
}

/// Streams events into a [`Coverage`].
#[derive(Debug, Default)]
pub struct CoverageBuilder {
    events: u64,
    eligible: u64,
    without_prediction: u64,
    truncated: u64,
    clean_without_deliverables: u64,
    counts: BTreeMap<(String, Complexity, &'static str), (u64, u64)>,
    categories: BTreeSet<String>,
}

impl CoverageBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one stored event.
    pub fn push(&mut self, event: &TelemetryEvent) {
        self.events += 1;
        self.without_prediction += u64::from(event.predicted_output_tokens <= 0);
        let view = EventView::from(event);
        let EventClass::Eligible { truncation, .. } = view.classify(
            event.predicted_output_tokens,
            ValidityGuard::LEGACY_MIN_ACTUAL_OUTPUT_TOKENS,
        ) else {
            return;
        };
        self.eligible += 1;
        let category = normalise_category(&event.category);
        self.categories.insert(category.clone());
        let bucket = BucketScheme::Collection
            .bucket(event.deliverable_count)
            .label();
        let is_clean = match truncation {
            Truncation::Complete => true,
            Truncation::Truncated => {
                self.truncated += 1;
                false
            }
            Truncation::Unknown => return,
        };
        if bucket == "0" {
            self.clean_without_deliverables += u64::from(is_clean);
            return;
        }
        let slot = self
            .counts
            .entry((category, event.complexity, bucket))
            .or_default();
        if is_clean {
            slot.0 += 1;
        } else {
            slot.1 += 1;
        }
    }

    /// The readiness report.
    pub fn finish(self, options: CoverageOptions) -> Coverage {
        let categories: Vec<String> = if options.categories.is_empty() {
            self.categories.into_iter().collect()
        } else {
            // `--category testing --category tests` is one category: normalise, then keep the first of each.
            let mut seen = BTreeSet::new();
            options
                .categories
                .iter()
                .map(|c| normalise_category(c))
                .filter(|c| seen.insert(c.clone()))
                .collect()
        };
        let mut cells = Vec::new();
        for category in &categories {
            for complexity in PLANNED_COMPLEXITIES {
                for bucket in PLANNED_BUCKETS {
                    let (clean, truncated) = self
                        .counts
                        .get(&(category.clone(), complexity, bucket))
                        .copied()
                        .unwrap_or_default();
                    cells.push(Cell {
                        category: category.clone(),
                        complexity,
                        deliverables: bucket,
                        clean,
                        truncated,
                    });
                }
            }
        }
        let clean_total = cells.iter().map(|c| c.clean).sum();
        let missing_cells = cells
            .iter()
            .filter(|c| c.clean < options.min_per_cell)
            .count() as u64;
        let mut reasons = Vec::new();
        if cells.is_empty() {
            reasons.push("no category to cover: the database holds no eligible event".to_owned());
        }
        if cells.is_empty() && self.without_prediction > 0 {
            reasons.push(format!(
                "{} of {} events have no prediction and cannot be samples (their accuracy cannot be computed); `tel report` shows their truncation and slack by provider / model",
                self.without_prediction, self.events
            ));
        }
        if clean_total < options.min_total {
            reasons.push(format!(
                "{clean_total} clean samples in planned cells, fewer than the minimum of {}",
                options.min_total
            ));
        }
        if missing_cells > 0 {
            reasons.push(format!(
                "{missing_cells} of {} cells have fewer than {} clean samples",
                cells.len(),
                options.min_per_cell
            ));
        }
        let verdict = if reasons.is_empty() {
            CoverageVerdict::Validated
        } else {
            CoverageVerdict::Incomplete
        };
        Coverage {
            schema: COVERAGE_SCHEMA,
            options,
            events: self.events,
            eligible: self.eligible,
            without_prediction: self.without_prediction,
            truncated: self.truncated,
            clean_without_deliverables: self.clean_without_deliverables,
            clean_total,
            cells,
            missing_cells,
            verdict,
            reasons,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::event;
    use super::*;

    fn coverage(events: &[TelemetryEvent], options: CoverageOptions) -> Coverage {
        let mut builder = CoverageBuilder::new();
        events.iter().for_each(|e| builder.push(e));
        builder.finish(options)
    }

    #[test]
    fn full_grid_above_the_minimum_is_validated() {
        let mut events = Vec::new();
        for complexity in PLANNED_COMPLEXITIES {
            for k in [2, 5, 10, 20] {
                for _ in 0..3 {
                    events.push(event("docs", complexity, k, 1000, 900, 4096, false));
                }
            }
        }
        let result = coverage(&events, CoverageOptions::default());
        assert_eq!((result.clean_total, result.missing_cells), (48, 0));
        assert_eq!(result.verdict, CoverageVerdict::Validated);
    }

    #[test]
    fn missing_cells_and_small_totals_keep_validation_incomplete() {
        let events = [
            event("documentation", Complexity::Low, 2, 1000, 900, 4096, false),
            event("docs", Complexity::Low, 2, 1000, 4096, 4096, true),
            event("docs", Complexity::Low, 0, 1000, 900, 4096, false),
        ];
        let result = coverage(&events, CoverageOptions::default());
        assert_eq!(result.cells.len(), 16);
        assert_eq!(result.clean_total, 1);
        assert_eq!(result.truncated, 1);
        assert_eq!(result.clean_without_deliverables, 1);
        assert_eq!(result.missing_cells, 15);
        assert_eq!(result.verdict, CoverageVerdict::Incomplete);
        assert_eq!(result.reasons.len(), 2, "{:?}", result.reasons);
        let json = serde_json::to_value(&result).expect("json");
        assert_eq!(json["verdict"], "VALIDATION INCOMPLETE");
    }

    #[test]
    fn repeated_categories_are_one_row_and_maintenance_is_a_planned_complexity() {
        let events = [
            event(
                "testing",
                Complexity::Maintenance,
                2,
                1000,
                900,
                4096,
                false,
            ),
            event("tests", Complexity::Low, 2, 1000, 900, 4096, false),
        ];
        let options = CoverageOptions {
            categories: vec!["testing".to_owned(), "tests".to_owned(), "TESTS".to_owned()],
            ..CoverageOptions::default()
        };
        let result = coverage(&events, options);
        assert_eq!(
            result.cells.len(),
            16,
            "one category × 4 complexities × 4 buckets"
        );
        assert!(result.cells.iter().all(|c| c.category == "tests"));
        assert_eq!(result.clean_total, 2, "each sample counted once");
        let maintenance = result
            .cells
            .iter()
            .find(|c| c.complexity == Complexity::Maintenance && c.deliverables == "1-3");
        assert_eq!(maintenance.map(|c| c.clean), Some(1));
    }

    #[test]
    fn empty_database_is_incomplete_with_a_reason() {
        let result = coverage(&[], CoverageOptions::default());
        assert!(result.cells.is_empty());
        assert_eq!(result.verdict, CoverageVerdict::Incomplete);
        assert!(result.reasons[0].contains("no eligible event"));
    }
}
