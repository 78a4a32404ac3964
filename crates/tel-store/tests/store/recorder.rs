//! The writer's regression tests of FORMATS.md F3 (the original cases and the derived ones), on both backends.

use std::sync::{Arc, Mutex};

use diesel::prelude::*;
use tel_core::Complexity;
use tel_store::schema::{phases, runs};
use tel_store::{
    DatabaseUrl, RecordOutcome, Recorder, RecorderConfig, Spool, ValidityGuard, telemetry_enabled,
    with_conn,
};

use crate::fixture::{TestDb, draft, migrated_backends};

/// A recorder writing to `url` with its spool in `db`'s directory, the flag as given and warnings captured.
fn recorder_at(
    db: &TestDb,
    url: DatabaseUrl,
    flag: Option<&'static str>,
) -> (Recorder, Arc<Mutex<Vec<String>>>) {
    let env = move |name: &str| {
        (name == "TELEMETRY_DB_ENABLED")
            .then(|| flag.map(str::to_owned))
            .flatten()
    };
    let mut config = RecorderConfig::from_env(Some(":memory:"), &env).unwrap();
    config.url = url;
    config.spool = Spool::new(db.dir.path().join("spool.ndjson"));
    let warnings = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&warnings);
    let recorder =
        Recorder::new(config).with_warning_sink(move |w| sink.lock().unwrap().push(w.to_owned()));
    (recorder, warnings)
}

/// A recorder on `db` itself.
fn recorder(db: &TestDb, flag: Option<&'static str>) -> (Recorder, Arc<Mutex<Vec<String>>>) {
    recorder_at(db, db.url.clone(), flag)
}

#[test]
fn disabled_flag_writes_nothing() {
    for db in migrated_backends() {
        let (rec, _) = recorder(&db, None);
        let outcome = rec.record(draft(Complexity::Low, &["src/test.py"], 1000, 800));
        assert_eq!(outcome, RecordOutcome::Disabled);
        assert!(db.events().is_empty());
    }
}

#[test]
fn enabled_flag_stores_every_field_and_the_metrics() {
    for db in migrated_backends() {
        let (rec, _) = recorder(&db, Some("1"));
        let files = ["src/file1.py", "src/file2.py", "tests/test_file.py"];
        let outcome = rec.record(draft(Complexity::Medium, &files, 1200, 800));
        assert!(
            matches!(outcome, RecordOutcome::Stored { event_id: Some(_) }),
            "{outcome:?}"
        );
        let events = db.events();
        assert_eq!(events.len(), 1);
        let e = &events[0];
        assert_eq!(
            (e.run_id.as_str(), e.phase_id.as_str()),
            ("test-run", "test-phase")
        );
        assert_eq!(e.category, "implementation");
        assert_eq!(e.complexity, Complexity::Medium);
        assert_eq!(e.deliverable_count, 3);
        assert_eq!(e.deliverables(), files);
        assert_eq!(
            (e.predicted_output_tokens, e.actual_output_tokens),
            (1200, 800)
        );
        assert_eq!(e.selected_budget, 4096);
        assert!(e.success && !e.truncated && !e.is_truncated_output);
        assert_eq!(e.stop_reason.as_deref(), Some("end_turn"));
        assert_eq!(e.model, "claude-sonnet-4");
        assert!((e.smape_percent.unwrap() - 40.0).abs() < 0.01);
        assert!((e.waste_ratio.unwrap() - 1.5).abs() < 0.01);
        assert_eq!(e.underestimated, Some(false));
        assert_eq!(
            e.sot.is_sot_file, None,
            "one nullability: NULL outside SOT phases"
        );
        assert!(!e.run_id_inferred);
        assert_eq!(rec.write_failures(), 0);
    }
}

#[test]
fn underestimate_stores_exact_float_metrics() {
    for db in migrated_backends() {
        let (rec, _) = recorder(&db, Some("1"));
        rec.record(draft(Complexity::High, &["src/complex.py"], 500, 700));
        let e = &db.events()[0];
        assert_eq!(e.smape_percent, Some(33.33333333333333));
        assert_eq!(e.waste_ratio, Some(0.7142857142857143));
        assert_eq!(e.underestimated, Some(true));
    }
}

#[test]
fn deliverables_are_capped_at_twenty_but_counted_in_full() {
    for db in migrated_backends() {
        let (rec, _) = recorder(&db, Some("1"));
        let mut files: Vec<String> = (0..25).map(|i| format!("src/file{i}.py")).collect();
        files.push(format!("src/{}.py", "x".repeat(250)));
        let refs: Vec<&str> = files.iter().map(String::as_str).collect();
        rec.record(draft(Complexity::Low, &refs, 1000, 1000));
        let e = &db.events()[0];
        assert_eq!(e.deliverables(), files[..20]);
        assert_eq!(e.deliverable_count, 26);
        assert_eq!(
            (e.smape_percent, e.waste_ratio, e.underestimated),
            (Some(0.0), Some(1.0), Some(false))
        );
    }
}

#[test]
fn unreachable_database_never_fails_the_caller_and_spools() {
    let sqlite = TestDb::empty_sqlite();
    let dir_as_db = sqlite.dir.path().join("dir.db");
    std::fs::create_dir(&dir_as_db).unwrap();
    let mut urls = vec![(DatabaseUrl::SqliteFile(dir_as_db), sqlite)];
    if let Some(pg) = TestDb::empty_postgres() {
        urls.push((
            DatabaseUrl::Postgres("postgres://tel:secret@127.0.0.1:1/none".into()),
            pg,
        ));
    }
    for (url, db) in urls {
        let (rec, warnings) = recorder_at(&db, url, Some("1"));
        let outcome = rec.record(draft(Complexity::Low, &["src/a.py"], 100, 120));
        let RecordOutcome::Spooled { reason } = outcome else {
            panic!("expected a spooled event, got {outcome:?}");
        };
        assert!(!reason.contains("secret"), "{reason}");
        assert_eq!(rec.write_failures(), 1);
        assert_eq!(rec.spooled(), 1);
        assert_eq!(rec.config().spool.size().unwrap().lines, 1);
        let warnings = warnings.lock().unwrap();
        assert!(
            warnings[0].contains("Failed to write DB telemetry"),
            "{warnings:?}"
        );
        assert!(warnings[0].contains("1 spooled"), "{warnings:?}");
        assert!(!warnings[0].contains("secret"), "{warnings:?}");
    }
}

#[test]
fn maintenance_with_enforced_foreign_keys_stores_one_row() {
    for db in migrated_backends() {
        let mut conn = db.connect();
        with_conn!(&mut conn, c => {
            diesel::insert_into(runs::table).values(runs::id.eq("run-1")).execute(c).unwrap();
            diesel::insert_into(phases::table)
                .values((phases::run_id.eq("run-1"), phases::phase_id.eq("P1")))
                .execute(c)
                .unwrap();
        });
        let (rec, _) = recorder(&db, Some("1"));
        let mut d = draft(Complexity::Maintenance, &["src/x.py"], 250, 100);
        (
            d.run_id,
            d.phase_id,
            d.selected_budget,
            d.stop_reason,
            d.model,
        ) = ("run-1".into(), "P1".into(), 512, None, "test-model".into());
        rec.record(d);
        let events = db.events();
        assert_eq!(events.len(), 1);
        let e = &events[0];
        assert_eq!(e.deliverables_json, r#"["src/x.py"]"#);
        assert_eq!(e.waste_ratio, Some(2.5));
        let smape = e.smape_percent.unwrap();
        assert!(85.0 < smape && smape < 90.0, "{smape}");
        assert_eq!(e.complexity, Complexity::Maintenance);
    }
}

#[test]
fn actual_below_fifty_is_skipped_with_the_original_warning() {
    for db in migrated_backends() {
        let (rec, warnings) = recorder(&db, Some("1"));
        let outcome = rec.record(draft(Complexity::Low, &[], 1000, 49));
        assert!(matches!(outcome, RecordOutcome::Skipped { .. }));
        assert!(db.events().is_empty());
        assert_eq!(
            warnings.lock().unwrap().as_slice(),
            [
                "[TELEMETRY] Skipping invalid event for test-phase: actual_output_tokens=49 < 50 (likely error)"
            ]
        );
        assert_eq!(ValidityGuard::default().min_actual_output_tokens, 50);
    }
}

#[test]
fn metric_edge_cases_match_the_spec() {
    for db in migrated_backends() {
        let (rec, _) = recorder(&db, Some("1"));
        let mut first = draft(Complexity::Low, &[], 1, 50);
        first.phase_id = "p-50-1".into();
        rec.record(first);
        let mut second = draft(Complexity::Low, &[], 0, 100);
        second.phase_id = "p-100-0".into();
        rec.record(second);
        let events = db.events();
        let by_phase = |p: &str| events.iter().find(|e| e.phase_id == p).unwrap();
        let e = by_phase("p-50-1");
        assert_eq!(e.smape_percent, Some(192.15686274509804));
        assert_eq!(e.waste_ratio, Some(0.02));
        assert_eq!(e.underestimated, Some(true));
        let e = by_phase("p-100-0");
        assert_eq!(
            (e.smape_percent, e.waste_ratio, e.underestimated),
            (None, None, None)
        );
    }
}

#[test]
fn long_and_non_ascii_deliverables_are_stored_like_the_original() {
    for db in migrated_backends() {
        let (rec, _) = recorder(&db, Some("1"));
        let long = "x".repeat(250);
        let mut first = draft(Complexity::Low, &[&long], 100, 100);
        first.phase_id = "long".into();
        rec.record(first);
        let mut second = draft(Complexity::Low, &["docs/é.md"], 100, 100);
        second.phase_id = "accent".into();
        rec.record(second);
        let events = db.events();
        let long_event = events.iter().find(|e| e.phase_id == "long").unwrap();
        assert_eq!(
            long_event.deliverables(),
            [format!("{}...", "x".repeat(197))]
        );
        let accent = events.iter().find(|e| e.phase_id == "accent").unwrap();
        assert_eq!(accent.deliverables_json, r#"["docs/\u00e9.md"]"#);
    }
}

#[test]
fn unknown_run_id_is_backfilled_from_the_greatest_run_and_flagged() {
    for db in migrated_backends() {
        let mut conn = db.connect();
        with_conn!(&mut conn, c => {
            diesel::insert_into(runs::table)
                .values(&vec![runs::id.eq("a"), runs::id.eq("b")])
                .execute(c)
                .unwrap();
            diesel::insert_into(phases::table)
                .values(&vec![
                    (phases::run_id.eq("a"), phases::phase_id.eq("P1")),
                    (phases::run_id.eq("b"), phases::phase_id.eq("P1")),
                ])
                .execute(c)
                .unwrap();
        });
        let (rec, _) = recorder(&db, Some("1"));
        let mut d = draft(Complexity::Low, &[], 100, 100);
        (d.run_id, d.phase_id) = ("unknown".into(), "P1".into());
        rec.record(d);
        let e = &db.events()[0];
        assert_eq!(e.run_id, "b");
        assert!(e.run_id_inferred);
    }
}

#[test]
fn flag_values_follow_the_one_shared_rule() {
    for value in ["TRUE", "Yes", "1", " 1"] {
        assert!(telemetry_enabled(Some(value)), "{value:?}");
    }
    for value in ["on", "0", "y", ""] {
        assert!(!telemetry_enabled(Some(value)), "{value:?}");
    }
    assert!(!telemetry_enabled(None));
    let db = TestDb::empty_sqlite().migrated();
    let (rec, _) = recorder(&db, Some(" yes "));
    assert!(rec.config().enabled);
    assert_eq!(
        rec.config().connect.busy_timeout,
        tel_store::RecorderTimeouts::SQLITE_BUSY
    );
}

#[test]
fn recorder_checkpoints_keep_the_wal_bounded_without_pauses_between_records() {
    // The recorder's connection defers SQLite's automatic checkpoint to a background thread; a
    // writer that never pauses must still find its WAL bounded (by the backstop) and every event stored.
    let db = TestDb::empty_sqlite().migrated();
    let (recorder, warnings) = recorder(&db, Some("1"));
    let records = 3_000;
    for i in 0..records {
        let mut event = draft(
            Complexity::Low,
            &["src/a.py", "tests/test_a.py"],
            900,
            1_000 + i,
        );
        event.phase_id = format!("phase-{i}");
        assert!(matches!(
            recorder.record(event),
            RecordOutcome::Stored { event_id: Some(_) }
        ));
    }
    assert!(warnings.lock().unwrap().is_empty());
    assert_eq!(db.events().len(), records as usize);
    let wal = db.url.sqlite_path().unwrap().with_extension("db-wal");
    let wal_bytes = std::fs::metadata(&wal).map_or(0, |m| m.len());
    // Without the backstop these records write ≈ 130 MB of WAL (measured); the recorder restarts the
    // WAL at 16 MiB whatever the background checkpoint managed (a restart that meets a running
    // background checkpoint is retried after the next write, hence the margin).
    assert!(
        wal_bytes < 32 << 20,
        "{} is {wal_bytes} bytes",
        wal.display()
    );
}

#[test]
fn recorder_skips_what_no_backend_can_store_instead_of_spooling_it() {
    // Issue 14: a NUL model was spooled on PostgreSQL and then failed every spool replay.
    for db in migrated_backends() {
        let (rec, warnings) = recorder(&db, Some("1"));
        let mut nul = draft(Complexity::Low, &[], 1000, 800);
        nul.model = "gpt\0-4o".to_owned();
        let outcome = rec.record(nul.clone());
        assert!(
            matches!(outcome, RecordOutcome::Skipped { .. }),
            "{outcome:?}"
        );
        nul.model = "gpt-4o".to_owned();
        let mut event = nul
            .into_event(tel_store::now(), &ValidityGuard::default())
            .unwrap();
        event.selected_budget = i64::MIN;
        assert!(matches!(rec.store(&event), RecordOutcome::Skipped { .. }));
        assert_eq!(
            warnings.lock().unwrap().as_slice(),
            [
                r#"[TELEMETRY] Skipping invalid event: model: "gpt\0-4o" contains a NUL character (U+0000), which PostgreSQL text cannot store"#,
                "[TELEMETRY] Skipping invalid event: selected_budget: must not be negative, got -9223372036854775808",
            ],
            "{:?}",
            db.url
        );
        assert!(db.events().is_empty());
        assert_eq!(rec.write_failures(), 0);
        assert!(
            !db.dir.path().join("spool.ndjson").exists(),
            "nothing spooled"
        );
    }
}
