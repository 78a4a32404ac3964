//! Hostile text on both backends: SQL-looking, quoted, control and non-BMP text is stored and read back verbatim.

use tel_core::{Complexity, Timestamp};
use tel_store::{InsertOptions, insert_events};

use crate::fixture::{draft, migrated_backends};

/// SQL that would drop the events table if any layer built statements from text.
const SQL_TEXT: &str = "'); DROP TABLE token_estimation_v2_events;--";

#[test]
fn sql_looking_text_is_stored_verbatim_on_every_backend() {
    let texts = [
        SQL_TEXT,
        "Robert\"); DELETE FROM runs; --",
        "\\x00 \\' \\\" %s $1 ?",
        "tab\tnewline\ncr\r é😀\u{202e}\u{feff}",
    ];
    for db in migrated_backends() {
        let mut conn = db.connect();
        let at = Timestamp::parse("2025-12-24 00:00:00").unwrap();
        let events: Vec<_> = texts
            .iter()
            .enumerate()
            .map(|(i, text)| {
                let mut d = draft(Complexity::Low, &[text, SQL_TEXT], 1000, 700);
                d.run_id = format!("{text}-{i}");
                d.phase_id = (*text).to_owned();
                d.category = (*text).to_owned();
                d.model = (*text).to_owned();
                d.stop_reason = Some((*text).to_owned());
                d.into_event(at, &Default::default()).unwrap()
            })
            .collect();
        insert_events(&mut conn, &events, InsertOptions::RECORDER).unwrap();
        let mut stored = db.events();
        stored.iter_mut().for_each(|e| e.event_id = None);
        let mut expected = events.clone();
        expected.iter_mut().for_each(|e| e.event_id = None);
        expected.sort_by(|a, b| a.run_id.cmp(&b.run_id));
        stored.sort_by(|a, b| a.run_id.cmp(&b.run_id));
        assert_eq!(stored, expected, "{:?}", db.url);
    }
}
