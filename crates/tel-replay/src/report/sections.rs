//! The report's tables as plain rows of formatted text, shared by every human renderer (terminal table,
//! markdown, HTML), so the three outputs always show the same figures.

use super::format::{count, percent, rate, ratio, tokens};
use super::{Report, TargetCheck, Verdict};

/// One titled table of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Stable anchor id, e.g. `tier1`.
    pub id: &'static str,
    /// Heading with the section's n.
    pub title: String,
    /// Sentences printed under the heading.
    pub notes: Vec<String>,
    /// Column names; the first column is text, the others numbers.
    pub header: Vec<&'static str>,
    /// Formatted cells.
    pub rows: Vec<Vec<String>>,
}

/// Every table of the report, in reading order: Tier 1, Tier 2, diagnostics, truncated, triage, strata,
/// and, when some events have no prediction or none has a category, provider × model.
pub fn sections(report: &Report) -> Vec<Section> {
    let mut sections = vec![
        tier1(report),
        tier2(report),
        diagnostics(report),
        triage(report),
        strata(report),
    ];
    let uncategorised = report.strata.iter().all(|s| s.category == "unknown");
    if report.outcomes.without_prediction > 0 || (uncategorised && !report.strata.is_empty()) {
        sections.push(provider_model(report));
    }
    sections
}

/// A fraction (0.25) as a percentage (25.0%).
fn fraction_percent(value: Option<f64>) -> String {
    percent(value.map(|x| x * 100.0))
}

/// The verdict as printed in tables.
pub fn verdict_text(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "pass",
        Verdict::Fail => "FAIL",
        Verdict::NoData => "no data",
    }
}

fn tier1_row(name: &str, check: &TargetCheck) -> Vec<String> {
    vec![
        name.into(),
        count(check.rate.count),
        count(check.rate.n),
        percent(check.percent),
        format!("≤ {}", percent(Some(check.target_pct))),
        verdict_text(check.verdict).into(),
    ]
}

fn tier1(report: &Report) -> Section {
    let t1 = &report.tier1;
    Section {
        id: "tier1",
        title: "Tier 1: risk".into(),
        notes: vec![format!(
            "{} truncated events have p ≥ ceiling: their underestimation is unknown and they are left out of its n; {} events with unknown truncation are left out of both.",
            count(t1.underestimation_unknown),
            count(report.accuracy.truncation_unknown)
        )],
        header: vec!["Metric", "Events", "n", "Rate", "Target", "Verdict"],
        rows: vec![
            tier1_row("Underestimation", &t1.underestimation),
            tier1_row("Truncation", &t1.truncation),
        ],
    }
}

fn tier2(report: &Report) -> Section {
    let t2 = &report.tier2;
    Section {
        id: "tier2",
        title: "Tier 2: cost (non-truncated events)".into(),
        notes: vec![format!(
            "Waste is predicted / actual (1.00 = exact). Slack is (ceiling − actual) / ceiling; {} events without a recorded ceiling are left out of it.",
            count(t2.slack_ceiling_unknown)
        )],
        header: vec!["Metric", "n", "Median", "P90", "Geometric mean"],
        rows: vec![
            vec![
                "Waste ratio".into(),
                count(t2.waste_n),
                ratio(t2.waste_median),
                ratio(t2.waste_p90),
                ratio(t2.waste_geometric_mean),
            ],
            vec![
                "Budget slack".into(),
                count(t2.slack_n),
                fraction_percent(t2.slack_median),
                fraction_percent(t2.slack_p90),
                "—".into(),
            ],
        ],
    }
}

fn diagnostics(report: &Report) -> Section {
    let d = &report.diagnostics;
    let none = || "—".to_owned();
    Section {
        id: "diagnostics",
        title: format!("Diagnostics (non-truncated events, n={})", count(d.n)),
        notes: vec!["SMAPE on the 0-200 scale.".into()],
        header: vec!["Quantity", "Mean", "Median", "P90", "Min", "Max"],
        rows: vec![
            vec![
                "SMAPE".into(),
                ratio(d.smape_mean),
                ratio(d.smape_median),
                ratio(d.smape_p90),
                ratio(d.smape_min),
                ratio(d.smape_max),
            ],
            vec![
                "Predicted tokens".into(),
                tokens(d.predicted_mean),
                tokens(d.predicted_median),
                none(),
                none(),
                none(),
            ],
            vec![
                "Actual tokens".into(),
                tokens(d.actual_mean),
                tokens(d.actual_median),
                none(),
                none(),
                none(),
            ],
        ],
    }
}

fn triage(report: &Report) -> Section {
    let t = &report.truncated;
    Section {
        id: "truncated",
        title: format!("Truncated events: lower bounds (n={})", count(t.n)),
        notes: vec![
            format!(
                "Mean prediction {}, mean observed actual {} (a lower bound of the true need). Underestimated for certain: {}; unknown (p ≥ ceiling): {}.",
                tokens(t.predicted_mean),
                tokens(t.actual_lower_bound_mean),
                count(t.underestimated),
                count(t.underestimation_unknown)
            ),
            format!(
                "Lower-bound factor a / max(p, 1): the true need is at least this multiple of the prediction. Segments with ≥ {} events, top {} of {}.",
                report.options.min_segment_events,
                t.segments.len(),
                t.segments_qualifying
            ),
        ],
        header: vec!["Segment", "n", "Mean", "Median", "Max"],
        rows: t
            .segments
            .iter()
            .map(|s| {
                vec![
                    s.segment.clone(),
                    count(s.n),
                    ratio(Some(s.mean)),
                    ratio(Some(s.median)),
                    ratio(Some(s.max)),
                ]
            })
            .collect(),
    }
}

fn strata(report: &Report) -> Section {
    Section {
        id: "strata",
        title: format!(
            "Stratification: category / complexity / deliverables ({} strata)",
            count(report.strata.len() as u64)
        ),
        notes: vec![format!(
            "Deliverable buckets: {}. Rates show count/n; SMAPE and waste medians are over non-truncated events.",
            report.options.buckets.labels().join(", ")
        )],
        header: vec![
            "Stratum",
            "Events",
            "Truncation",
            "Underestimation",
            "SMAPE median",
            "Waste median",
        ],
        rows: report
            .strata
            .iter()
            .map(|s| {
                vec![
                    format!("{} / {} / {}", s.category, s.complexity, s.deliverables),
                    count(s.events),
                    rate(s.truncation.count, s.truncation.n),
                    rate(s.underestimation.count, s.underestimation.n),
                    ratio(s.smape_median),
                    ratio(s.waste_median),
                ]
            })
            .collect(),
    }
}

fn provider_model(report: &Report) -> Section {
    let o = &report.outcomes;
    let mut notes = Vec::new();
    if o.without_prediction > 0 {
        notes.push(format!(
            "{} of {} events have no prediction: SMAPE, waste, underestimation and pinball loss cannot be computed for them, so the tiers above leave them out (\"no prediction\"). Truncation and budget slack need no prediction: the figures here count every event.",
            count(o.without_prediction),
            count(o.events)
        ));
    }
    notes.push(format!(
        "All events: truncation {}, {} with unknown truncation, {} without a usable outcome; slack median {} over {} non-truncated events with a ceiling.",
        rate(o.truncation.count, o.truncation.n),
        count(o.truncation_unknown),
        count(o.no_outcome),
        fraction_percent(o.slack_median),
        count(o.slack_n)
    ));
    Section {
        id: "provider-model",
        title: format!(
            "Truncation and slack by provider / model ({} groups)",
            count(report.by_provider_model.len() as u64)
        ),
        notes,
        header: vec![
            "Provider / model",
            "Events",
            "No prediction",
            "Truncation",
            "Slack median",
            "Slack P90",
        ],
        rows: report
            .by_provider_model
            .iter()
            .map(|row| {
                let o = &row.outcomes;
                vec![
                    format!("{} / {}", row.provider, row.model),
                    count(o.events),
                    count(o.without_prediction),
                    rate(o.truncation.count, o.truncation.n),
                    fraction_percent(o.slack_median),
                    fraction_percent(o.slack_p90),
                ]
            })
            .collect(),
    }
}
