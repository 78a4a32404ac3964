//! The import pipeline called as a library (not through the binary), into a real SQLite file: one pass,
//! all or nothing, every invalid line reported, idempotent, progress reported, files and readers alike.

use tel_replay::db::import::{
    ImportFailure, ImportInput, ImportProgress, ImportSettings, ImportSummary, import,
};
use tel_replay::export::ExportFormat;
use tel_replay::generate::{GenerateConfig, generate};
use tel_replay::import::ImportFormat;
use tel_store::{
    ConnectOptions, DatabaseUrl, DbConn, MigrateAction, connect, count_events, migrate,
};

use crate::export::export_bytes;

fn migrated(dir: &std::path::Path) -> DbConn {
    let url = DatabaseUrl::SqliteFile(dir.join("tel.db"));
    let mut conn = connect(&url, &ConnectOptions::default()).unwrap();
    migrate(&mut conn, MigrateAction::Apply).unwrap();
    conn
}

/// `n` generated events as NDJSON in the original export format.
fn ndjson(n: u64) -> Vec<u8> {
    let events: Vec<_> = generate(GenerateConfig::new(n, 3)).collect();
    export_bytes(&events, ExportFormat::Ndjson, false)
}

/// `bytes` with line `line` (1-based) given a complexity no estimator knows.
fn with_bad_complexity(bytes: &[u8], line: usize) -> Vec<u8> {
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut event: serde_json::Value = serde_json::from_str(&lines[line - 1]).unwrap();
    event["complexity"] = "extreme".into();
    lines[line - 1] = event.to_string();
    (lines.join("\n") + "\n").into_bytes()
}

#[test]
fn library_import_is_idempotent_and_reports_progress_up_to_every_event() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = migrated(dir.path());
    let bytes = ndjson(2500);
    let mut written = Vec::new();
    let input = ImportInput::reader("in.ndjson", bytes.as_slice(), ImportFormat::Ndjson);
    let first = import(&mut conn, vec![input], ImportSettings::default(), |p| {
        if let ImportProgress::Written(n) = p {
            written.push(n);
        }
    })
    .unwrap();
    assert_eq!(
        first,
        ImportSummary {
            files: 1,
            events: 2500,
            inserted: 2500,
            ..ImportSummary::default()
        }
    );
    assert_eq!(written.last(), Some(&2500));
    assert!(written.windows(2).all(|w| w[0] <= w[1]), "{written:?}");

    let file = dir.path().join("again.ndjson");
    std::fs::write(&file, &bytes).unwrap();
    let again = import(
        &mut conn,
        vec![ImportInput::file(&file, None).unwrap()],
        ImportSettings::default(),
        |_| {},
    )
    .unwrap();
    assert_eq!((again.inserted, again.duplicates), (0, 2500));
    assert_eq!(count_events(&mut conn).unwrap(), 2500);
}

#[test]
fn library_import_with_invalid_lines_writes_nothing_and_reports_every_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = migrated(dir.path());
    // Invalid lines after the first batch has been written: that batch is rolled back too.
    let bytes = with_bad_complexity(&with_bad_complexity(&ndjson(2500), 1500), 2400);
    let mut invalid = Vec::new();
    let input = ImportInput::reader("in.ndjson", bytes.as_slice(), ImportFormat::Ndjson);
    let refused = import(&mut conn, vec![input], ImportSettings::default(), |p| {
        if let ImportProgress::Invalid(err) = p {
            invalid.push(err.to_string());
        }
    });
    assert!(
        matches!(refused, Err(ImportFailure::Invalid { lines: 2 })),
        "{refused:?}"
    );
    assert_eq!(invalid.len(), 2, "{invalid:?}");
    assert!(invalid[0].starts_with("in.ndjson:1500: "), "{invalid:?}");
    assert!(invalid[1].starts_with("in.ndjson:2400: "), "{invalid:?}");
    assert_eq!(count_events(&mut conn).unwrap(), 0, "nothing imported");

    let settings = ImportSettings {
        skip_invalid: true,
        ..ImportSettings::default()
    };
    let input = ImportInput::reader("in.ndjson", bytes.as_slice(), ImportFormat::Ndjson);
    let partial = import(&mut conn, vec![input], settings, |_| {}).unwrap();
    assert_eq!(
        (partial.events, partial.inserted, partial.invalid_lines),
        (2498, 2498, 2)
    );
}

#[test]
fn library_import_without_parent_creation_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = migrated(dir.path());
    let bytes = ndjson(10);
    let settings = ImportSettings {
        create_parents: false,
        ..ImportSettings::default()
    };
    let input = ImportInput::reader("in.ndjson", bytes.as_slice(), ImportFormat::Ndjson);
    let refused = import(&mut conn, vec![input], settings, |_| {});
    assert!(
        matches!(refused, Err(ImportFailure::Store(_))),
        "{refused:?}"
    );
    assert_eq!(count_events(&mut conn).unwrap(), 0);
}

#[test]
fn library_import_of_a_missing_file_fails_before_writing() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.ndjson");
    let failed = ImportInput::file(&missing, Some(ImportFormat::Ndjson));
    assert!(
        matches!(&failed, Err(ImportFailure::Open { path, .. }) if path == &missing),
        "{:?}",
        failed.err()
    );
}
