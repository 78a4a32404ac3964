//! The spool heals itself (issues 13 and 14): one event that cannot be stored never blocks the others,
//! older line formats, torn lines and invalid UTF-8 never lose the whole events around them, the
//! recorder drains the spool after its own writes, and replay never re-infers a run id against data
//! that arrived after the event.

use diesel::connection::SimpleConnection as _;
use tel_core::{Complexity, TelemetryEvent, Timestamp, ValidityGuard};
use tel_store::{
    DbConn, EventDraft, RecordOutcome, Recorder, RecorderConfig, SPOOL_FORMAT_VERSION, Spool,
    SpoolRecord,
};

use crate::fixture::{TestDb, draft, migrated_backends};

/// A finished event of phase `phase` in run `run`, stamped `at`.
fn event(run: &str, phase: &str, at: &str) -> TelemetryEvent {
    let mut d: EventDraft = draft(Complexity::Low, &["src/a.py"], 1000, 800);
    (d.run_id, d.phase_id) = (run.to_owned(), phase.to_owned());
    d.into_event(Timestamp::parse(at).unwrap(), &ValidityGuard::default())
        .unwrap()
}

fn recorder(db: &TestDb, spool: &Spool) -> Recorder {
    let env = |name: &str| (name == "TELEMETRY_DB_ENABLED").then(|| "1".to_owned());
    let mut config = RecorderConfig::from_env(Some(":memory:"), &env).unwrap();
    (config.url, config.spool) = (db.url.clone(), spool.clone());
    Recorder::new(config).with_warning_sink(|_| {})
}

fn spool_of(db: &TestDb) -> Spool {
    Spool::new(db.dir.path().join("spool.ndjson"))
}

fn phases(db: &TestDb) -> Vec<String> {
    db.events().into_iter().map(|e| e.phase_id).collect()
}

fn exec(conn: &mut DbConn, sql: &str) -> diesel::QueryResult<()> {
    tel_store::with_conn!(conn, c => c.batch_execute(sql))
}

/// A trigger that refuses events of phase `poison`: a real database error for one event only.
fn poison(conn: &mut DbConn) {
    match conn {
        DbConn::Sqlite(c) => c.batch_execute(
            "CREATE TRIGGER poison BEFORE INSERT ON token_estimation_v2_events \
             WHEN NEW.phase_id = 'poison' BEGIN SELECT RAISE(ABORT, 'poisoned event'); END;",
        ),
        #[cfg(feature = "postgres")]
        DbConn::Pg(c) => c.batch_execute(
            "CREATE FUNCTION poison() RETURNS trigger AS $$ BEGIN \
             IF NEW.phase_id = 'poison' THEN RAISE EXCEPTION 'poisoned event'; END IF; RETURN NEW; \
             END $$ LANGUAGE plpgsql; \
             CREATE TRIGGER poison BEFORE INSERT ON token_estimation_v2_events \
             FOR EACH ROW EXECUTE FUNCTION poison();",
        ),
    }
    .unwrap();
}

#[test]
fn spool_replay_keeps_going_past_an_event_it_cannot_store() {
    for db in migrated_backends() {
        let spool = spool_of(&db);
        for phase in ["a", "poison", "b"] {
            spool
                .append(&event("r1", phase, "2026-01-01 00:00:00"), "test")
                .unwrap();
        }
        let mut conn = db.connect();
        poison(&mut conn);
        let summary = spool.replay(&mut conn).unwrap();
        assert_eq!(
            (summary.events, summary.inserted, summary.kept_failed),
            (3, 2, 1),
            "{summary:?}"
        );
        assert!(summary.failures[0].starts_with("line 2: run r1 phase poison: "));
        assert!(
            summary.failures[0].contains("poisoned event"),
            "{summary:?}"
        );
        let kept: SpoolRecord =
            serde_json::from_str(&std::fs::read_to_string(spool.path()).unwrap()).unwrap();
        assert_eq!(kept.event.phase_id, "poison");
        assert!(kept.reason.contains("poisoned event"), "{}", kept.reason);
        assert_eq!(phases(&db), ["a", "b"]);

        exec(
            &mut conn,
            "DROP TRIGGER poison ON token_estimation_v2_events",
        )
        .or_else(|_| exec(&mut conn, "DROP TRIGGER poison"))
        .unwrap();
        let again = spool.replay(&mut conn).unwrap();
        assert_eq!((again.inserted, again.kept()), (1, 0), "{again:?}");
        assert_eq!(std::fs::read(spool.path()).unwrap(), b"");
    }
}

#[test]
fn spool_line_written_before_a_field_existed_is_replayed() {
    for db in migrated_backends() {
        let spool = spool_of(&db);
        // The form of the first spool: no format version, no tel columns, no later feature fields.
        let mut value = serde_json::to_value(event("r1", "old", "2026-01-01 00:00:00")).unwrap();
        let fields = value.as_object_mut().unwrap();
        for later in [
            "run_id_inferred",
            "usage_kind",
            "provider",
            "estimator_profile",
            "coefficients_hash",
            "actual_max_tokens",
            "is_truncated_output",
            "doc_features",
            "sot",
        ] {
            assert!(fields.remove(later).is_some(), "{later}");
        }
        let line = serde_json::json!({"reason": "database is locked", "event": value});
        std::fs::write(spool.path(), [line.to_string().as_str(), "\n"].concat()).unwrap();

        let summary = spool.replay(&mut db.connect()).unwrap();
        assert_eq!((summary.inserted, summary.kept()), (1, 0), "{summary:?}");
        assert_eq!(phases(&db), ["old"]);
    }
}

#[test]
fn spool_lines_carry_the_format_version_and_a_newer_format_is_kept() {
    let db = TestDb::empty_sqlite().migrated();
    let spool = spool_of(&db);
    spool
        .append(&event("r1", "now", "2026-01-01 00:00:00"), "test")
        .unwrap();
    let text = std::fs::read_to_string(spool.path()).unwrap();
    let record: SpoolRecord = serde_json::from_str(&text).unwrap();
    assert_eq!(record.version, SPOOL_FORMAT_VERSION);
    let future = text.replacen(
        &["\"version\":", &SPOOL_FORMAT_VERSION.to_string()].concat(),
        "\"version\":99",
        1,
    );
    std::fs::write(spool.path(), &future).unwrap();
    let summary = spool.replay(&mut db.connect()).unwrap();
    assert_eq!((summary.inserted, summary.kept_unreadable), (0, 1));
    assert_eq!(std::fs::read_to_string(spool.path()).unwrap(), future);
}

#[test]
fn torn_spool_line_does_not_swallow_the_next_event() {
    // Regression (issue 14, item 12): `kill -9` during the append of a big event left a last line
    // without newline; the next event was glued to it and lost as "unreadable".
    for db in migrated_backends() {
        let spool = spool_of(&db);
        spool
            .append(&event("r1", "whole-1", "2026-01-01 00:00:00"), "test")
            .unwrap();
        let record = SpoolRecord {
            version: SPOOL_FORMAT_VERSION,
            reason: "test".to_owned(),
            event: event("r1", "torn", "2026-01-01 00:00:01"),
        };
        let torn_line = serde_json::to_string(&record).unwrap();
        let torn = &torn_line[..torn_line.len() / 2];
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(spool.path())
            .unwrap();
        std::io::Write::write_all(&mut file, torn.as_bytes()).unwrap();
        drop(file);
        spool
            .append(&event("r1", "whole-2", "2026-01-01 00:00:02"), "test")
            .unwrap();

        let summary = spool.replay(&mut db.connect()).unwrap();
        assert_eq!(
            (summary.inserted, summary.kept_unreadable),
            (2, 1),
            "{summary:?}"
        );
        assert_eq!(phases(&db), ["whole-1", "whole-2"]);
        assert_eq!(
            std::fs::read_to_string(spool.path()).unwrap(),
            [torn, "\n"].concat()
        );
    }
}

#[test]
fn invalid_utf8_spool_line_is_kept_and_the_valid_events_replayed() {
    // Regression (issue 14, item 10): one such line made `spool replay` and `status` fail.
    for db in migrated_backends() {
        let spool = spool_of(&db);
        spool
            .append(&event("r1", "before", "2026-01-01 00:00:00"), "test")
            .unwrap();
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(spool.path())
            .unwrap();
        std::io::Write::write_all(&mut file, b"{\"reason\": \"\xff\xfe\"}\n").unwrap();
        drop(file);
        spool
            .append(&event("r1", "after", "2026-01-01 00:00:02"), "test")
            .unwrap();

        let size = spool.size().unwrap();
        assert_eq!((size.lines, size.unreadable), (3, 1));
        assert_eq!(
            size.oldest_event,
            Some(Timestamp::parse("2026-01-01 00:00:00").unwrap())
        );
        let summary = spool.replay(&mut db.connect()).unwrap();
        assert_eq!(
            (summary.inserted, summary.kept_unreadable),
            (2, 1),
            "{summary:?}"
        );
        assert_eq!(phases(&db), ["before", "after"]);
        assert_eq!(
            std::fs::read(spool.path()).unwrap(),
            b"{\"reason\": \"\xff\xfe\"}\n"
        );
    }
}

#[test]
fn recorder_drains_a_bounded_number_of_spooled_events_after_each_successful_write() {
    for db in migrated_backends() {
        let spool = spool_of(&db);
        let limit = RecorderConfig::DRAIN_LIMIT;
        let spooled = limit + limit / 2;
        for i in 0..spooled {
            spool
                .append(
                    &event("r1", &format!("spooled-{i:03}"), "2026-01-01 00:00:00"),
                    "test",
                )
                .unwrap();
        }
        let rec = recorder(&db, &spool);
        let mut live = draft(Complexity::Low, &["src/a.py"], 1000, 800);
        live.phase_id = "live-1".to_owned();
        assert!(matches!(
            rec.record(live.clone()),
            RecordOutcome::Stored { .. }
        ));
        assert_eq!(rec.drained(), limit as u64, "at most the limit per write");
        assert_eq!(spool.size().unwrap().lines, (spooled - limit) as u64);

        live.phase_id = "live-2".to_owned();
        assert!(matches!(rec.record(live), RecordOutcome::Stored { .. }));
        assert_eq!(rec.drained(), spooled as u64);
        assert_eq!(spool.size().unwrap().lines, 0);
        assert_eq!(db.events().len(), spooled + 2);
    }
}

#[test]
fn recorder_drain_keeps_what_it_cannot_store_and_stores_the_rest() {
    for db in migrated_backends() {
        let spool = spool_of(&db);
        for phase in ["a", "poison", "b"] {
            spool
                .append(&event("r1", phase, "2026-01-01 00:00:00"), "test")
                .unwrap();
        }
        poison(&mut db.connect());
        let rec = recorder(&db, &spool);
        assert!(matches!(
            rec.record(draft(Complexity::Low, &["src/a.py"], 1000, 800)),
            RecordOutcome::Stored { .. }
        ));
        assert_eq!(rec.drained(), 2);
        let kept: SpoolRecord =
            serde_json::from_str(&std::fs::read_to_string(spool.path()).unwrap()).unwrap();
        assert_eq!(kept.event.phase_id, "poison");
    }
}

#[test]
fn spool_replay_infers_the_run_that_owned_the_phase_when_the_event_was_recorded() {
    // Regression (issue 14, item 7): an event spooled while run-A owned phase `build`, replayed after
    // run-B recorded a `build` phase, was stored under run-B (the greatest run id at replay time).
    for db in migrated_backends() {
        let mut conn = db.connect();
        exec(
            &mut conn,
            "INSERT INTO runs (id, created_at) VALUES ('run-A', '2026-01-01 00:00:00'); \
             INSERT INTO phases (run_id, phase_id) VALUES ('run-A', 'build');",
        )
        .unwrap();
        let spool = spool_of(&db);
        spool
            .append(&event("unknown", "build", "2026-01-02 00:00:00"), "outage")
            .unwrap();
        // run-B appears later (created now, by the recorder) with a `build` phase of its own; this
        // recorder does not drain, so that the spooled event waits for the replay.
        let mut config = recorder(&db, &spool).config().clone();
        config.drain_limit = 0;
        let rec = Recorder::new(config).with_warning_sink(|_| {});
        let mut later = draft(Complexity::Low, &["src/a.py"], 1000, 800);
        (later.run_id, later.phase_id) = ("run-B".to_owned(), "build".to_owned());
        assert!(matches!(rec.record(later), RecordOutcome::Stored { .. }));

        let summary = spool.replay(&mut conn).unwrap();
        assert_eq!(summary.inserted, 1, "{summary:?}");
        let replayed: Vec<_> = db
            .events()
            .into_iter()
            .filter(|e| e.run_id_inferred)
            .map(|e| e.run_id)
            .collect();
        assert_eq!(replayed, ["run-A"]);
    }
}
