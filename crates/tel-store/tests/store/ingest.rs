//! The one streaming insert path on both backends: a stream longer than a batch in one transaction,
//! all or nothing, exactly once, with progress after each batch.

use tel_store::{
    BATCH_EVENTS, InsertOptions, StoreError, StreamOptions, count_events, insert_stream,
    write_stream,
};

use crate::fixture::migrated_backends;
use crate::repository::events;

#[test]
fn insert_stream_writes_every_batch_exactly_once_and_reports_progress_per_batch() {
    let n = 2 * BATCH_EVENTS + 7;
    for db in migrated_backends() {
        let mut conn = db.connect();
        let mut seen = Vec::new();
        let first = insert_stream(
            &mut conn,
            events(n),
            StreamOptions::bulk(InsertOptions::RECORDER),
            |done| seen.push(done),
        )
        .unwrap();
        assert_eq!((first.inserted, first.duplicates), (n as u64, 0));
        let b = BATCH_EVENTS as u64;
        assert_eq!(
            seen,
            [b, 2 * b, n as u64],
            "progress after each batch, then the total"
        );
        let again = insert_stream(&mut conn, events(n), StreamOptions::RECORDER, |_| {}).unwrap();
        assert_eq!((again.inserted, again.duplicates), (0, n as u64));
        assert_eq!(count_events(&mut conn).unwrap(), n as i64);
    }
}

#[test]
fn write_stream_rolls_back_batches_already_written_when_the_body_fails() {
    for db in migrated_backends() {
        let mut conn = db.connect();
        let failed = write_stream(
            &mut conn,
            StreamOptions::bulk(InsertOptions::RECORDER),
            |writer| {
                for event in events(BATCH_EVENTS + 1) {
                    writer.push(event)?;
                }
                assert_eq!(
                    writer.written(),
                    BATCH_EVENTS as u64,
                    "one batch was written"
                );
                Err::<(), _>(StoreError::Migration("stop".to_owned()))
            },
        );
        assert!(failed.is_err());
        assert_eq!(count_events(&mut conn).unwrap(), 0, "nothing kept");
    }
}

#[test]
fn write_stream_without_parent_creation_fails_and_keeps_nothing() {
    for db in migrated_backends() {
        let mut conn = db.connect();
        let refused = insert_stream(
            &mut conn,
            events(BATCH_EVENTS + 1),
            StreamOptions::bulk(InsertOptions::EXACT),
            |_| {},
        );
        assert!(refused.is_err(), "runs and phases are not stored");
        assert_eq!(count_events(&mut conn).unwrap(), 0);
    }
}
