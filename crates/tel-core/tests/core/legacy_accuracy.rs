//! METRICS.md B11 ("stored predictions" column) and the writer's bit-exactness, checked against the real
//! legacy snapshot, read at test time with the `sqlite3` command-line tool (skipped when either is missing).

use std::process::Command;

use serde::Deserialize;
use tel_core::{AccuracyAccumulator, EventMetrics, EventView, StopReasonKind};

const SNAPSHOT: &str = "autopack-legacy-2025-12-24.db";

/// One legacy row, as selected below.
#[derive(Debug, Deserialize)]
struct Row {
    event_id: i64,
    p: i64,
    a: i64,
    truncated: i64,
    stop_reason: Option<String>,
    /// `smape_percent` as 17 significant digits (text, parsed exactly by Rust).
    smape: Option<String>,
    /// `waste_ratio` as 17 significant digits.
    waste: Option<String>,
    underestimated: Option<i64>,
}

impl Row {
    fn legacy_view(&self) -> EventView {
        EventView {
            predicted: self.p,
            actual: Some(self.a),
            actual_max_tokens: None,
            truncated: self.truncated != 0,
            stop_reason_kind: StopReasonKind::classify(self.stop_reason.as_deref()),
            usage_kind: None,
        }
    }
}

/// The snapshot's rows in event_id order, or `None` (after printing the skip notice) without data or sqlite3.
fn legacy_rows() -> Option<Vec<Row>> {
    let db = crate::real_data::real_data()?.join(SNAPSHOT);
    let query = "SELECT event_id, predicted_output_tokens AS p, actual_output_tokens AS a, truncated, stop_reason, \
                 printf('%!.17g', smape_percent) AS smape, printf('%!.17g', waste_ratio) AS waste, underestimated \
                 FROM token_estimation_v2_events ORDER BY event_id";
    let output = match Command::new("sqlite3")
        .arg("-readonly")
        .arg("-json")
        .arg(&db)
        .arg(query)
        .output()
    {
        Ok(output) if output.status.success() => output,
        _ => {
            crate::skip::missing(
                "sqlite3 (or it failed on the snapshot)",
                "apt-get install sqlite3",
            );
            return None;
        }
    };
    let rows: Vec<Row> =
        serde_json::from_slice(&output.stdout).expect("sqlite3 -json prints an array of rows");
    Some(rows)
}

fn assert_close(actual: Option<f64>, expected: f64, what: &str) {
    let actual = actual.unwrap_or_else(|| panic!("{what}: no value"));
    assert!(
        ((actual - expected) / expected).abs() <= 1e-12,
        "{what}: {actual:?} vs {expected:?}"
    );
}

#[test]
fn b11_stored_predictions_on_legacy_snapshot() {
    let Some(rows) = legacy_rows() else { return };
    let mut acc = AccuracyAccumulator::default();
    for row in &rows {
        acc.push(row.legacy_view(), row.p);
    }
    let report = acc.finish();

    assert_eq!(report.events, 28);
    assert_eq!(report.eligible, 28);
    assert_eq!(report.excluded.total(), 0);
    let truncated_ids: Vec<i64> = rows
        .iter()
        .filter(|r| r.truncated != 0)
        .map(|r| r.event_id)
        .collect();
    assert_eq!(
        truncated_ids,
        [7, 8, 9, 10, 11, 12, 14, 16, 18, 19, 20, 21, 26, 27]
    );
    assert_eq!(report.truncated, 14);
    assert_eq!(report.non_truncated, 14);
    assert_eq!(report.truncation_unknown, 0);
    assert_eq!(report.truncation_rate.percent(), Some(50.0));
    assert_eq!(report.coverage, Some(0.5));

    assert_eq!(report.smape.n, 14);
    assert_eq!(report.smape.censored_excluded, 14);
    assert!(!report.smape.optimistic);
    assert_close(report.smape.mean, 61.88380983499239, "SMAPE mean");
    assert_close(report.smape.median, 49.16095463504738, "SMAPE median");

    assert_eq!(report.waste.n, 14);
    assert_close(report.waste.median, 1.3027869453617602, "waste median");
    assert_close(
        report.waste.geometric_mean,
        1.4206610399113608,
        "waste geometric mean",
    );

    assert_eq!(report.underestimation.rate.count, 20);
    assert_eq!(report.underestimation.rate.n, 28);
    assert_eq!(report.underestimation.unknown, 0);

    // No legacy row records its ceiling: slack and pinball have nothing to aggregate, and say so.
    assert_eq!(report.budget_slack.n, 0);
    assert_eq!(report.budget_slack.ceiling_unknown, 14);
    assert_eq!(report.pinball.n, 0);
    assert_eq!(report.pinball.mean, None);
}

#[test]
fn writer_metrics_match_stored_values_bit_for_bit() {
    let Some(rows) = legacy_rows() else { return };
    // Row 1 is a manual test row with hand-written metrics (FORMATS.md F4); every other row was written by the writer.
    for row in rows.iter().filter(|r| r.event_id != 1) {
        let parse = |text: &Option<String>| {
            text.as_deref()
                .map(|t| t.parse::<f64>().expect("numeric text"))
        };
        let stored = EventMetrics {
            smape_percent: parse(&row.smape),
            waste_ratio: parse(&row.waste),
            underestimated: row.underestimated.map(|u| u != 0),
        };
        assert_eq!(
            EventMetrics::compute(row.p, row.a),
            stored,
            "event {}",
            row.event_id
        );
    }
}
