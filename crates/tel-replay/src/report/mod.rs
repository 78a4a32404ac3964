//! The operator report over stored telemetry: computation, SVG charts and the self-contained HTML page.
//!
//! [`ReportBuilder`] takes events one at a time (the caller streams them from the store) and
//! [`ReportBuilder::finish`] produces a [`Report`]: Tier 1 risk against targets, Tier 2 cost,
//! diagnostics on non-truncated events, truncated events as lower bounds with the triage of
//! METRICS.md A7, stratification, and the tuning decision. All aggregates come from tel-core
//! ([`AccuracyAccumulator`], [`tel_core::stats`]); this module only routes events and assembles.

pub mod coverage;
#[cfg(test)]
mod fixtures;
pub mod format;
pub mod html;
pub mod outcomes;
pub mod sections;
pub mod svg;

use std::collections::BTreeMap;

use outcomes::{OutcomeGroups, Outcomes, ProviderModelRow};
use serde::Serialize;
use tel_core::accuracy::{EventClass, Truncation};
use tel_core::stats::{Rate, mean_compensated, mean_exact_int, median_true};
use tel_core::{
    AccuracyAccumulator, AccuracyOptions, AccuracyReport, BucketScheme, Complexity, EventView,
    StratumKey, TelemetryEvent, normalise_category,
};

/// The JSON schema identifier of [`Report`] (bumped on incompatible changes).
pub const REPORT_SCHEMA: &str = "tel.report/1";

/// Targets and knobs of a report.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ReportOptions {
    /// Tier 1 target: underestimation rate at most this percentage (default 5.0).
    pub max_underestimation_pct: f64,
    /// Tier 1 target: truncation rate at most this percentage (default 2.0).
    pub max_truncation_pct: f64,
    /// Deliverable buckets of the stratification and the triage segments.
    pub buckets: BucketScheme,
    /// Triage: segments with fewer truncated events are not listed (A7: 2).
    pub min_segment_events: usize,
    /// Triage: how many segments are listed (A7: 15).
    pub top_segments: usize,
    /// Eligibility and censoring options of the accuracy metrics.
    #[serde(skip)]
    pub accuracy: AccuracyOptions,
}

impl Default for ReportOptions {
    fn default() -> Self {
        Self {
            max_underestimation_pct: 5.0,
            max_truncation_pct: 2.0,
            buckets: BucketScheme::Collection,
            min_segment_events: 2,
            top_segments: 15,
            accuracy: AccuracyOptions::default(),
        }
    }
}

/// Pass/fail of one Tier 1 rate against its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The rate is at or below the target.
    Pass,
    /// The rate exceeds the target.
    Fail,
    /// No event to compute the rate over.
    NoData,
}

/// One Tier 1 rate checked against its target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetCheck {
    /// Events with the property and the events the rate is over.
    pub rate: Rate,
    /// `count / n × 100`; `None` when `n = 0`.
    pub percent: Option<f64>,
    /// The target (maximum percentage).
    pub target_pct: f64,
    /// Pass, fail or no data.
    pub verdict: Verdict,
}

impl TargetCheck {
    fn new(rate: Rate, target_pct: f64) -> Self {
        let percent = rate.percent();
        let verdict = match percent {
            None => Verdict::NoData,
            Some(p) if p > target_pct => Verdict::Fail,
            Some(_) => Verdict::Pass,
        };
        Self {
            rate,
            percent,
            target_pct,
            verdict,
        }
    }
}

/// Tier 1: the risks the budget exists to avoid.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tier1 {
    /// Underestimated over non-truncated + truncated-known events (B6).
    pub underestimation: TargetCheck,
    /// Truncated truncated-known eligible events (B2).
    pub truncation: TargetCheck,
    /// Truncated events whose underestimation is unknown (`p ≥ b`), left out of the denominator.
    pub underestimation_unknown: u64,
}

/// Tier 2: what over-prediction and over-reservation cost, on non-truncated events.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tier2 {
    /// Non-truncated events with a waste ratio.
    pub waste_n: u64,
    /// MED-T of `p / a`.
    pub waste_median: Option<f64>,
    /// Nearest-rank P90 of `p / a`.
    pub waste_p90: Option<f64>,
    /// Geometric mean of `max(p, 1) / a`.
    pub waste_geometric_mean: Option<f64>,
    /// Non-truncated events with a recorded ceiling.
    pub slack_n: u64,
    /// Non-truncated events without a recorded ceiling (legacy rows), left out of the slack.
    pub slack_ceiling_unknown: u64,
    /// MED-T of `(b − a) / b`.
    pub slack_median: Option<f64>,
    /// Nearest-rank P90 of `(b − a) / b`.
    pub slack_p90: Option<f64>,
}

/// Diagnostics on non-truncated events, where the actual is the true need.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnostics {
    /// Non-truncated eligible events.
    pub n: u64,
    /// SMAPE (0-200) mean.
    pub smape_mean: Option<f64>,
    /// SMAPE median (MED-T).
    pub smape_median: Option<f64>,
    /// SMAPE nearest-rank P90.
    pub smape_p90: Option<f64>,
    /// Smallest SMAPE.
    pub smape_min: Option<f64>,
    /// Largest SMAPE.
    pub smape_max: Option<f64>,
    /// Mean prediction (exact).
    pub predicted_mean: Option<f64>,
    /// Median prediction (MED-T).
    pub predicted_median: Option<f64>,
    /// Mean actual (exact).
    pub actual_mean: Option<f64>,
    /// Median actual (MED-T).
    pub actual_median: Option<f64>,
}

/// One triage segment of truncated events (METRICS.md A7).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Segment {
    /// E.g. `category=docs`, `cat=docs,complexity=low`, `complexity=high,deliv=16+`.
    pub segment: String,
    /// Truncated events in the segment.
    pub n: u64,
    /// Mean lower-bound factor `a / max(p, 1)` (compensated sum).
    pub mean: f64,
    /// MED-T of the factor.
    pub median: f64,
    /// Largest factor.
    pub max: f64,
}

/// Truncated events: their actual is only a lower bound of the true need.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TruncatedSummary {
    /// Truncated eligible events.
    pub n: u64,
    /// Mean prediction.
    pub predicted_mean: Option<f64>,
    /// Mean observed actual: a lower bound of the mean true need.
    pub actual_lower_bound_mean: Option<f64>,
    /// Truncated events with `p < b`: underestimated for certain.
    pub underestimated: u64,
    /// Truncated events with `p ≥ b`: underestimation unknown.
    pub underestimation_unknown: u64,
    /// Segments with at least `min_segment_events` events, by mean factor descending.
    pub segments: Vec<Segment>,
    /// Segments that qualified before the `top_segments` cut.
    pub segments_qualifying: u64,
}

/// Tier 1 and 2 figures of one stratum (category × complexity × deliverable bucket).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StratumRow {
    /// Normalised category.
    pub category: String,
    /// Complexity.
    pub complexity: Complexity,
    /// Deliverable bucket label.
    pub deliverables: String,
    /// Events in the stratum (eligible or not).
    pub events: u64,
    /// Eligible events.
    pub eligible: u64,
    /// Truncation rate.
    pub truncation: Rate,
    /// Truncation percentage.
    pub truncation_pct: Option<f64>,
    /// Underestimation rate (unknowns left out).
    pub underestimation: Rate,
    /// Underestimation percentage.
    pub underestimation_pct: Option<f64>,
    /// Median SMAPE over non-truncated events.
    pub smape_median: Option<f64>,
    /// Median waste over non-truncated events.
    pub waste_median: Option<f64>,
}

/// The tuning decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// True iff a Tier 1 target fails.
    pub tuning_needed: bool,
    /// True when no event is eligible (an empty or all-excluded database): there is nothing to judge, so
    /// the report is neither "within targets" nor "tuning needed", and `tel report --check` fails.
    pub no_data: bool,
    /// One sentence per failed target or secondary concern.
    pub reasons: Vec<String>,
}

/// One eligible event as drawn in the HTML charts (not part of the JSON output).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EventPoint {
    /// Prediction.
    pub predicted: i64,
    /// Observed actual (a lower bound when truncated).
    pub actual: i64,
    /// The ceiling sent, when recorded.
    pub ceiling: Option<i64>,
    /// The actual is a lower bound.
    pub truncated: bool,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Always [`REPORT_SCHEMA`].
    pub schema: &'static str,
    /// The targets and knobs used.
    pub options: ReportOptions,
    /// Every Part B aggregate over all events (counts of excluded, censored and unknown included).
    pub accuracy: AccuracyReport,
    /// Tier 1 risk.
    pub tier1: Tier1,
    /// Tier 2 cost.
    pub tier2: Tier2,
    /// Diagnostics on non-truncated events.
    pub diagnostics: Diagnostics,
    /// Truncated events and their triage.
    pub truncated: TruncatedSummary,
    /// One row per stratum, in category, complexity, bucket order.
    pub strata: Vec<StratumRow>,
    /// The tuning decision.
    pub decision: Decision,
    /// Truncation and slack over every event, prediction or not (events without one included).
    pub outcomes: Outcomes,
    /// The same by provider × model: the grouping of data without categories (e.g. OTLP spans).
    pub by_provider_model: Vec<ProviderModelRow>,
    /// Eligible events with known truncation, for the charts.
    #[serde(skip)]
    pub points: Vec<EventPoint>,
}

/// Streams events into a [`Report`].
#[derive(Debug)]
pub struct ReportBuilder {
    options: ReportOptions,
    overall: AccuracyAccumulator,
    strata: BTreeMap<StratumKey, AccuracyAccumulator>,
    complete_predicted: Vec<i64>,
    complete_actual: Vec<i64>,
    complete_smape: Vec<f64>,
    truncated_predicted: Vec<i64>,
    truncated_actual: Vec<i64>,
    segments: BTreeMap<String, Vec<f64>>,
    points: Vec<EventPoint>,
    outcomes: OutcomeGroups,
}

impl ReportBuilder {
    /// An empty builder.
    pub fn new(options: ReportOptions) -> Self {
        Self {
            options,
            overall: AccuracyAccumulator::new(options.accuracy),
            strata: BTreeMap::new(),
            complete_predicted: Vec::new(),
            complete_actual: Vec::new(),
            complete_smape: Vec::new(),
            truncated_predicted: Vec::new(),
            truncated_actual: Vec::new(),
            segments: BTreeMap::new(),
            points: Vec::new(),
            outcomes: OutcomeGroups::default(),
        }
    }

    /// Adds one stored event with its stored prediction.
    pub fn push(&mut self, event: &TelemetryEvent) {
        let view = EventView::from(event);
        let predicted = event.predicted_output_tokens;
        self.overall.push(view, predicted);
        self.outcomes
            .push(event, self.options.accuracy.min_actual_output_tokens);
        self.strata
            .entry(StratumKey::of_event(event, self.options.buckets))
            .or_insert_with(|| AccuracyAccumulator::new(self.options.accuracy))
            .push(view, predicted);
        let EventClass::Eligible { truncation, actual } =
            view.classify(predicted, self.options.accuracy.min_actual_output_tokens)
        else {
            return;
        };
        match truncation {
            Truncation::Unknown => return,
            Truncation::Complete => {
                self.complete_predicted.push(predicted);
                self.complete_actual.push(actual);
                self.complete_smape
                    .push(tel_core::accuracy::smape_b4(predicted, actual));
            }
            Truncation::Truncated => {
                self.truncated_predicted.push(predicted);
                self.truncated_actual.push(actual);
                let factor = actual as f64 / predicted.max(1) as f64;
                for segment in self.segment_names(event) {
                    self.segments.entry(segment).or_default().push(factor);
                }
            }
        }
        self.points.push(EventPoint {
            predicted,
            actual,
            ceiling: view.ceiling(truncation, actual),
            truncated: truncation == Truncation::Truncated,
        });
    }

    /// The six A7 segments an event contributes to (normalised category, the report's buckets).
    fn segment_names(&self, event: &TelemetryEvent) -> [String; 6] {
        let category = normalise_category(&event.category);
        let complexity = event.complexity.as_str();
        let bucket = self.options.buckets.bucket(event.deliverable_count);
        [
            format!("category={category}"),
            format!("complexity={complexity}"),
            format!("deliverables={bucket}"),
            format!("cat={category},complexity={complexity}"),
            format!("cat={category},deliv={bucket}"),
            format!("complexity={complexity},deliv={bucket}"),
        ]
    }

    /// The report over every event pushed.
    pub fn finish(self) -> Report {
        let options = self.options;
        let accuracy = self.overall.finish();
        let tier1 = Tier1 {
            underestimation: TargetCheck::new(
                accuracy.underestimation.rate,
                options.max_underestimation_pct,
            ),
            truncation: TargetCheck::new(accuracy.truncation_rate, options.max_truncation_pct),
            underestimation_unknown: accuracy.underestimation.unknown,
        };
        let tier2 = Tier2 {
            waste_n: accuracy.waste.n,
            waste_median: accuracy.waste.median,
            waste_p90: accuracy.waste.p90,
            waste_geometric_mean: accuracy.waste.geometric_mean,
            slack_n: accuracy.budget_slack.n,
            slack_ceiling_unknown: accuracy.budget_slack.ceiling_unknown,
            slack_median: accuracy.budget_slack.median,
            slack_p90: accuracy.budget_slack.p90,
        };
        let fold = |init: f64, pick: fn(f64, f64) -> f64| {
            self.complete_smape
                .iter()
                .copied()
                .reduce(pick)
                .map(|v| pick(v, init))
        };
        let diagnostics = Diagnostics {
            n: accuracy.non_truncated,
            smape_mean: accuracy.smape.mean.filter(|_| !accuracy.smape.optimistic),
            smape_median: accuracy.smape.median.filter(|_| !accuracy.smape.optimistic),
            smape_p90: accuracy.smape.p90.filter(|_| !accuracy.smape.optimistic),
            smape_min: fold(f64::INFINITY, f64::min),
            smape_max: fold(f64::NEG_INFINITY, f64::max),
            predicted_mean: mean_exact_int(&self.complete_predicted),
            predicted_median: median_true(&self.complete_predicted),
            actual_mean: mean_exact_int(&self.complete_actual),
            actual_median: median_true(&self.complete_actual),
        };
        let truncated = TruncatedSummary {
            n: accuracy.truncated,
            predicted_mean: mean_exact_int(&self.truncated_predicted),
            actual_lower_bound_mean: mean_exact_int(&self.truncated_actual),
            underestimated: accuracy.truncated - accuracy.underestimation.unknown,
            underestimation_unknown: accuracy.underestimation.unknown,
            segments: Vec::new(),
            segments_qualifying: 0,
        };
        let truncated = triage(truncated, self.segments, &options);
        let strata = self
            .strata
            .into_iter()
            .map(|(key, acc)| stratum_row(key, &acc.finish()))
            .collect();
        let decision = decide(&tier1, &tier2, &accuracy);
        let (outcomes, by_provider_model) = self.outcomes.finish();
        Report {
            schema: REPORT_SCHEMA,
            options,
            accuracy,
            tier1,
            tier2,
            diagnostics,
            truncated,
            strata,
            decision,
            outcomes,
            by_provider_model,
            points: self.points,
        }
    }
}

/// Ranks the segments with enough events by mean factor (ties by name) and keeps the top ones.
fn triage(
    mut summary: TruncatedSummary,
    segments: BTreeMap<String, Vec<f64>>,
    options: &ReportOptions,
) -> TruncatedSummary {
    let mut ranked: Vec<Segment> = segments
        .into_iter()
        .filter(|(_, factors)| factors.len() >= options.min_segment_events.max(1))
        .filter_map(|(segment, factors)| {
            Some(Segment {
                n: factors.len() as u64,
                mean: mean_compensated(&factors)?,
                median: median_true(&factors)?,
                max: factors.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                segment,
            })
        })
        .collect();
    ranked.sort_by(|a, b| {
        b.mean
            .total_cmp(&a.mean)
            .then_with(|| a.segment.cmp(&b.segment))
    });
    summary.segments_qualifying = ranked.len() as u64;
    ranked.truncate(options.top_segments);
    summary.segments = ranked;
    summary
}

fn stratum_row(key: StratumKey, acc: &AccuracyReport) -> StratumRow {
    StratumRow {
        category: key.category,
        complexity: key.complexity,
        deliverables: key.deliverables.label().to_owned(),
        events: acc.events,
        eligible: acc.eligible,
        truncation: acc.truncation_rate,
        truncation_pct: acc.truncation_rate.percent(),
        underestimation: acc.underestimation.rate,
        underestimation_pct: acc.underestimation.rate.percent(),
        smape_median: acc.smape.median,
        waste_median: acc.waste.median,
    }
}

/// "Tuning needed" iff a Tier 1 target fails (A5); a waste P90 above 3 is named as a secondary concern.
/// With no eligible event there is nothing to judge, and the one reason says why.
fn decide(tier1: &Tier1, tier2: &Tier2, accuracy: &AccuracyReport) -> Decision {
    if accuracy.eligible == 0 {
        return Decision {
            tuning_needed: false,
            no_data: true,
            reasons: vec![format!(
                "no data to judge: {} events, none eligible (an empty database, or every event excluded)",
                format::count(accuracy.events)
            )],
        };
    }
    let mut reasons = Vec::new();
    for (name, check) in [
        ("underestimation", &tier1.underestimation),
        ("truncation", &tier1.truncation),
    ] {
        if check.verdict == Verdict::Fail {
            reasons.push(format!(
                "{name} rate {} exceeds the target of {} (n={})",
                format::percent(check.percent),
                format::percent(Some(check.target_pct)),
                check.rate.n
            ));
        }
    }
    let tuning_needed = !reasons.is_empty();
    if let Some(p90) = tier2.waste_p90.filter(|p| *p > 3.0) {
        reasons.push(format!(
            "secondary: waste P90 {} exceeds 3.00 (n={}): predictions often far above need",
            format::ratio(Some(p90)),
            tier2.waste_n
        ));
    }
    Decision {
        tuning_needed,
        no_data: false,
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::event;
    use super::*;

    fn build(events: &[TelemetryEvent]) -> Report {
        let mut builder = ReportBuilder::new(ReportOptions::default());
        events.iter().for_each(|e| builder.push(e));
        builder.finish()
    }

    #[test]
    fn failed_targets_make_tuning_needed_and_name_the_rate() {
        let events = [
            event("docs", Complexity::Low, 2, 1000, 1200, 4096, false),
            event("docs", Complexity::Low, 2, 1000, 800, 4096, false),
            event("docs", Complexity::Low, 2, 1000, 4096, 4096, true),
        ];
        let report = build(&events);
        assert_eq!(report.tier1.truncation.rate, Rate { count: 1, n: 3 });
        assert_eq!(report.tier1.truncation.verdict, Verdict::Fail);
        assert_eq!(report.tier1.underestimation.rate, Rate { count: 2, n: 3 });
        assert!(report.decision.tuning_needed);
        assert!(
            report.decision.reasons[0].contains("66.7%"),
            "{:?}",
            report.decision.reasons
        );
        assert_eq!(report.points.len(), 3);
    }

    #[test]
    fn no_events_is_no_data_not_a_failure() {
        let report = build(&[]);
        assert_eq!(report.tier1.truncation.verdict, Verdict::NoData);
        assert!(!report.decision.tuning_needed);
        assert!(report.decision.no_data);
        assert!(report.strata.is_empty());
    }

    #[test]
    fn all_excluded_events_are_no_data_to_judge() {
        // Actuals below the legacy minimum of 50 tokens are excluded: nothing is left to judge.
        let events = [
            event("docs", Complexity::Low, 2, 1000, 10, 4096, false),
            event("docs", Complexity::Low, 2, 1000, 20, 4096, false),
        ];
        let report = build(&events);
        assert_eq!(report.accuracy.eligible, 0);
        assert!(report.decision.no_data && !report.decision.tuning_needed);
        assert!(
            report.decision.reasons[0].starts_with("no data to judge: 2 events"),
            "{:?}",
            report.decision.reasons
        );
    }

    #[test]
    fn diagnostics_and_cost_use_only_non_truncated_events() {
        let events = [
            event("tests", Complexity::Medium, 5, 2000, 1000, 8000, false),
            event("tests", Complexity::Medium, 5, 4000, 1000, 8000, false),
            event("tests", Complexity::Medium, 5, 100, 8000, 8000, true),
        ];
        let report = build(&events);
        assert_eq!(report.diagnostics.n, 2);
        assert_eq!(report.diagnostics.predicted_mean, Some(3000.0));
        assert_eq!(report.diagnostics.actual_median, Some(1000.0));
        assert_eq!(report.tier2.waste_median, Some(3.0));
        assert_eq!(report.tier2.waste_p90, Some(4.0));
        assert_eq!(report.tier2.slack_median, Some(0.875));
        assert_eq!(report.truncated.n, 1);
        assert_eq!(report.truncated.actual_lower_bound_mean, Some(8000.0));
        assert!(
            report
                .decision
                .reasons
                .iter()
                .any(|r| r.starts_with("secondary: waste P90"))
        );
    }

    #[test]
    fn triage_ranks_segments_by_mean_lower_bound_factor_and_drops_singletons() {
        let events = [
            event("docs", Complexity::Low, 2, 1000, 4000, 4000, true),
            event("docs", Complexity::Low, 2, 1000, 2000, 2000, true),
            event("tests", Complexity::Low, 9, 1000, 1500, 1500, true),
        ];
        let report = build(&events);
        let segments = &report.truncated.segments;
        // Ties on the mean rank by name: the docs segments share mean 3.0 and lead.
        assert_eq!(segments[0].segment, "cat=docs,complexity=low");
        let docs = segments
            .iter()
            .find(|s| s.segment == "category=docs")
            .expect("docs");
        assert_eq!((docs.n, docs.mean, docs.max), (2, 3.0, 4.0));
        assert!(segments[0].mean >= segments[segments.len() - 1].mean);
        assert!(segments.iter().all(|s| s.n >= 2));
        assert!(!segments.iter().any(|s| s.segment.contains("tests")));
        let low = segments
            .iter()
            .find(|s| s.segment == "complexity=low")
            .expect("low");
        assert_eq!((low.n, low.median), (3, 2.0));
    }

    #[test]
    fn strata_follow_normalised_category_complexity_and_collection_buckets() {
        let events = [
            event("documentation", Complexity::Low, 2, 1000, 900, 4096, false),
            event("docs", Complexity::Low, 3, 1000, 900, 4096, false),
            event("docs", Complexity::Low, 16, 1000, 900, 4096, false),
        ];
        let report = build(&events);
        let keys: Vec<(&str, &str, u64)> = report
            .strata
            .iter()
            .map(|s| (s.category.as_str(), s.deliverables.as_str(), s.events))
            .collect();
        assert_eq!(keys, vec![("docs", "1-3", 2), ("docs", "16+", 1)]);
    }
}
