//! Repository queries on both backends: exactly-once bulk inserts, filtered streaming reads in both
//! orders, cascade delete of a run, pruning.

use std::time::Duration;

use tel_core::{Complexity, TelemetryEvent, Timestamp};
use tel_store::{
    EventOrder, EventQuery, InsertOptions, NewEscalationEvent, SqlTimestamp, StoreError,
    count_rows, delete_run, for_each_event, insert_escalation_event, insert_event, insert_events,
    prune_older_than,
};

use crate::fixture::{draft, migrated_backends};
use tel_store::count_matching_events;

/// `n` distinct events, one second apart from 2025-12-24 00:00:00, alternating two runs.
pub(crate) fn events(n: usize) -> Vec<TelemetryEvent> {
    let start = Timestamp::parse("2025-12-24 00:00:00").unwrap();
    (0..n)
        .map(|i| {
            let at = Timestamp::from_unix_micros(start.unix_micros() + i as i64 * 1_000_000);
            let mut d = draft(
                if i % 2 == 0 {
                    Complexity::Low
                } else {
                    Complexity::High
                },
                &["src/a.py"],
                1000,
                500 + i as i64,
            );
            d.run_id = format!("run-{}", i % 2);
            d.truncated = i % 3 == 0;
            d.into_event(at, &Default::default()).unwrap()
        })
        .collect()
}

fn read(conn: &mut tel_store::DbConn, query: &EventQuery) -> Vec<TelemetryEvent> {
    let mut out = Vec::new();
    for_each_event::<StoreError>(conn, query, |e| {
        out.push(e);
        Ok(())
    })
    .unwrap();
    out
}

#[test]
fn bulk_insert_is_exactly_once_across_chunks() {
    for db in migrated_backends() {
        let mut conn = db.connect();
        let batch = events(1203);
        let first = insert_events(&mut conn, &batch, InsertOptions::RECORDER).unwrap();
        assert_eq!((first.inserted, first.duplicates), (1203, 0));
        let again = insert_events(&mut conn, &batch[1000..], InsertOptions::RECORDER).unwrap();
        assert_eq!((again.inserted, again.duplicates), (0, 203));
        assert_eq!(
            insert_event(&mut conn, &batch[0], InsertOptions::RECORDER).unwrap(),
            None
        );
        let counts = count_rows(&mut conn).unwrap();
        assert_eq!(
            (
                counts.token_estimation_v2_events,
                counts.runs,
                counts.phases
            ),
            (1203, 2, 2)
        );
    }
}

#[test]
fn exact_inserts_need_existing_parents() {
    for db in migrated_backends() {
        let mut conn = db.connect();
        let err = insert_event(&mut conn, &events(1)[0], InsertOptions::EXACT).unwrap_err();
        assert!(err.to_string().contains("insert event"), "{err}");
        assert_eq!(count_rows(&mut conn).unwrap().token_estimation_v2_events, 0);
    }
}

#[test]
fn streaming_reads_filter_and_order_by_timestamp_then_id() {
    for db in migrated_backends() {
        let mut conn = db.connect();
        let mut batch = events(10);
        // Two events at the same instant: event_id breaks the tie.
        batch[5].timestamp = batch[4].timestamp;
        insert_events(&mut conn, &batch, InsertOptions::RECORDER).unwrap();
        let ascending = read(&mut conn, &EventQuery::default());
        let keys: Vec<(Timestamp, i64)> = ascending
            .iter()
            .map(|e| (e.timestamp, e.event_id.unwrap()))
            .collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
        let descending = read(
            &mut conn,
            &EventQuery {
                order: EventOrder::Descending,
                ..Default::default()
            },
        );
        let reversed: Vec<_> = ascending.iter().rev().map(|e| e.event_id).collect();
        assert_eq!(
            descending.iter().map(|e| e.event_id).collect::<Vec<_>>(),
            reversed
        );

        let run0 = read(
            &mut conn,
            &EventQuery {
                run_id: Some("run-0".into()),
                ..Default::default()
            },
        );
        assert_eq!(run0.len(), 5);
        assert!(
            run0.iter()
                .all(|e| e.run_id == "run-0" && e.complexity == Complexity::Low)
        );
        let high = read(
            &mut conn,
            &EventQuery {
                complexity: Some(Complexity::High),
                ..Default::default()
            },
        );
        assert_eq!(high.len(), 5);
        let truncated = read(
            &mut conn,
            &EventQuery {
                truncated: Some(true),
                ..Default::default()
            },
        );
        assert_eq!(truncated.len(), 4);
        let window = EventQuery {
            since: Some(batch[2].timestamp),
            until: Some(batch[4].timestamp),
            model: Some("claude-sonnet-4".into()),
            category: Some("implementation".into()),
            success: Some(true),
            ..Default::default()
        };
        let in_window = read(&mut conn, &window);
        assert_eq!(
            in_window.iter().map(|e| e.timestamp).collect::<Vec<_>>(),
            [batch[2].timestamp, batch[3].timestamp]
        );
        assert_eq!(
            in_window[0],
            TelemetryEvent {
                event_id: in_window[0].event_id,
                ..batch[2].clone()
            }
        );
    }
}

#[test]
fn matching_count_applies_the_same_filters_as_the_stream() {
    for db in migrated_backends() {
        let mut conn = db.connect();
        let batch = events(12);
        insert_events(&mut conn, &batch, InsertOptions::RECORDER).unwrap();
        let queries = [
            EventQuery::default(),
            EventQuery {
                run_id: Some("run-1".into()),
                truncated: Some(false),
                ..Default::default()
            },
            EventQuery {
                since: Some(batch[3].timestamp),
                until: Some(batch[9].timestamp),
                complexity: Some(Complexity::Low),
                order: EventOrder::Descending,
                ..Default::default()
            },
            EventQuery {
                model: Some("no such model".into()),
                ..Default::default()
            },
        ];
        let counts: Vec<u64> = queries
            .iter()
            .map(|q| count_matching_events(&mut conn, q).unwrap())
            .collect();
        let streamed: Vec<u64> = queries
            .iter()
            .map(|q| read(&mut conn, q).len() as u64)
            .collect();
        assert_eq!(counts, streamed);
        assert_eq!(counts[0], 12);
        assert_eq!(counts[3], 0);
    }
}

#[test]
fn visitor_errors_stop_the_stream() {
    for db in migrated_backends() {
        let mut conn = db.connect();
        insert_events(&mut conn, &events(5), InsertOptions::RECORDER).unwrap();
        let mut seen = 0;
        let result = for_each_event(&mut conn, &EventQuery::default(), |_| {
            seen += 1;
            if seen == 2 {
                Err(StoreError::Legacy("stop".into()))
            } else {
                Ok(())
            }
        });
        assert!(result.is_err());
        assert_eq!(seen, 2);
    }
}

#[test]
fn deleting_a_run_cascades_to_its_events_and_escalations() {
    for db in migrated_backends() {
        let mut conn = db.connect();
        let mut batch = events(2);
        for (e, (c, p, a, b)) in batch.iter_mut().zip([
            (Complexity::Low, 100, 95, 200),
            (Complexity::High, 200, 180, 400),
        ]) {
            (
                e.run_id,
                e.category,
                e.complexity,
                e.predicted_output_tokens,
                e.actual_output_tokens,
                e.selected_budget,
                e.model,
            ) = (
                "cascade-run".into(),
                "test".into(),
                c,
                p,
                a,
                b,
                "claude-3".into(),
            );
        }
        insert_events(&mut conn, &batch, InsertOptions::RECORDER).unwrap();
        insert_escalation_event(
            &mut conn,
            &NewEscalationEvent {
                run_id: "cascade-run".into(),
                phase_id: "test-phase".into(),
                timestamp: SqlTimestamp(batch[0].timestamp),
                attempt_index: 1,
                reason: "truncation".into(),
                was_truncated: true,
                output_utilization: None,
                escalation_factor: 1.5,
                base_value: 1000,
                base_source: "estimation".into(),
                retry_max_tokens: 1500,
                selected_budget: None,
                actual_max_tokens: None,
                tokens_used: None,
            },
        )
        .unwrap();
        assert_eq!(delete_run(&mut conn, "cascade-run").unwrap(), 2);
        let counts = count_rows(&mut conn).unwrap();
        assert_eq!(counts, tel_store::TableCounts::default());
    }
}

#[test]
fn prune_deletes_only_older_events() {
    for db in migrated_backends() {
        let mut conn = db.connect();
        let batch = events(10);
        insert_events(&mut conn, &batch, InsertOptions::RECORDER).unwrap();
        let now = batch[9].timestamp;
        let pruned = prune_older_than(&mut conn, Duration::from_secs(3), now).unwrap();
        assert_eq!(pruned.events, 6);
        let left = read(&mut conn, &EventQuery::default());
        assert_eq!(left.first().map(|e| e.timestamp), Some(batch[6].timestamp));
    }
}

#[test]
fn every_described_field_survives_a_store_round_trip() {
    use tel_core::fields::{FieldValue, event_fields};
    use tel_core::{DocFeatures, SotFields, UsageKind};
    let mut event = events(1).remove(0);
    event.actual_max_tokens = Some(8192);
    event.stop_reason = Some("max_tokens".to_owned());
    event.is_truncated_output = true;
    event.doc_features = DocFeatures {
        api_reference_required: Some(true),
        examples_required: Some(false),
        research_required: Some(true),
        usage_guide_required: Some(false),
        context_quality: Some("strong".to_owned()),
    };
    event.sot = SotFields {
        is_sot_file: Some(true),
        sot_file_name: Some("build_log.md".to_owned()),
        sot_entry_count_hint: Some(3),
    };
    event.estimator_profile = Some("v2-head".to_owned());
    event.coefficients_hash = Some("abc123".to_owned());
    event.provider = Some("anthropic".to_owned());
    event.usage_kind = Some(UsageKind::Total);
    event.run_id_inferred = true;
    // A field added to tel-core's description must be set here too, so that the row types are checked for it.
    let unset: Vec<&str> = event_fields()
        .filter(|f| f.name != "event_id" && (f.value)(&event) == FieldValue::Null)
        .map(|f| f.name)
        .collect();
    assert!(unset.is_empty(), "set these fields in the test: {unset:?}");
    for db in migrated_backends() {
        let mut conn = db.connect();
        let id = insert_event(&mut conn, &event, InsertOptions::RECORDER)
            .unwrap()
            .expect("stored");
        let stored = read(&mut conn, &EventQuery::default()).remove(0);
        assert_eq!(stored.event_id, Some(id));
        for field in event_fields().filter(|f| f.name != "event_id") {
            assert_eq!(
                (field.value)(&stored),
                (field.value)(&event),
                "{} on {}",
                field.name,
                db.url
            );
        }
    }
}
