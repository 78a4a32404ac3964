//! An adopted database through the CLI: `tel record` stores events whatever their parents, and every
//! export format re-imports into the same database as 0 new (legacy rows, backfilled run ids, tel's
//! extra columns), on SQLite (the real snapshot) and PostgreSQL.

use std::path::Path;
use std::process::Output;

use crate::reliability::PgDatabase;
use crate::support::{real_data, tel_here};

pub(crate) fn tel(url: &str, args: &[&str]) -> Output {
    let mut all = args.to_vec();
    all.extend(["--database-url", url]);
    let output = tel_here(&all);
    assert_eq!(
        output.status.code(),
        Some(0),
        "tel {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// An event as `tel record --event` takes it.
fn event(run_id: &str, phase_id: &str, predicted: i64, extras: &str) -> String {
    [
        r#"{"run_id": ""#,
        run_id,
        r#"", "phase_id": ""#,
        phase_id,
        r#"", "category": "implementation", "complexity": "medium", "deliverables": ["src/a.py"], "predicted_output_tokens": "#,
        &predicted.to_string(),
        r#", "actual_output_tokens": 800, "selected_budget": 4096, "success": true, "truncated": false, "stop_reason": "end_turn", "model": "claude-sonnet-4-5""#,
        extras,
        "}",
    ]
    .concat()
}

/// `(runs, phases, events)` from `tel status --json`.
pub(crate) fn counts(url: &str) -> (i64, i64, i64) {
    let status: serde_json::Value =
        serde_json::from_slice(&tel(url, &["status", "--json"]).stdout).unwrap();
    let rows = &status["row_counts"];
    let n = |table: &str| {
        rows[table]
            .as_i64()
            .unwrap_or_else(|| panic!("status has no {table} count: {status}"))
    };
    (n("runs"), n("phases"), n("token_estimation_v2_events"))
}

/// Records an event for `known` (a run and phase the database has), for a new phase of that run, for
/// a run the database does not have, for run `unknown` (backfilled to `known`'s run) and one with
/// tel's extra columns; then exports in every format and re-imports each into the same database.
fn record_export_reimport(url: &str, known: (&str, &str), work: &Path) {
    let (run, phase) = known;
    let recorded = [
        event(run, phase, 1001, ""),
        event(run, "tel-new-phase", 1002, ""),
        event("tel-new-run", "build", 1003, ""),
        event("unknown", phase, 1004, ""),
        event(
            "tel-new-run",
            "build",
            1005,
            r#", "provider": "openai", "usage_kind": "output", "estimator_profile": "v2", "actual_max_tokens": 4096"#,
        ),
    ];
    for json in &recorded {
        let out = tel(url, &["record", "--force", "--event", json]);
        assert!(stdout(&out).starts_with("stored event"), "{out:?}");
    }
    let before = counts(url);
    let backfilled = stdout(&tel(url, &["export", "--extended", "--run", run]));
    assert!(
        backfilled.contains(r#""predicted_output_tokens": 1004"#)
            && backfilled.contains(r#""run_id_inferred": true"#),
        "the `unknown` event is stored under {run}: {backfilled}"
    );

    for (name, args) in [
        ("original.ndjson", &["export"][..]),
        ("extended.ndjson", &["export", "--extended"][..]),
        ("original.csv", &["export", "--format", "csv"][..]),
        (
            "extended.csv",
            &["export", "--format", "csv", "--extended"][..],
        ),
    ] {
        let file = work.join(name);
        let file_text = file.to_str().unwrap();
        let mut export = args.to_vec();
        export.extend(["--output", file_text]);
        tel(url, &export);
        let imported = stdout(&tel(url, &["import", file_text]));
        let expected = ["0 new, ", &before.2.to_string(), " already present"].concat();
        assert!(imported.starts_with(&expected), "{name}: {imported}");
        assert_eq!(counts(url), before, "{name}: no row, run or phase added");
    }
}

#[test]
fn adopted_snapshot_records_every_event_and_reimports_every_export_as_present() {
    let Some(real) = real_data() else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let db = work.path().join("snapshot.db");
    std::fs::copy(real.join("autopack-legacy-2025-12-24.db"), &db).unwrap();
    let url = db.to_str().unwrap();
    let migrated = stdout(&tel(url, &["migrate"]));
    assert!(
        migrated.contains("idempotency keys (version 2) computed from stored values: 28 rows"),
        "{migrated}"
    );
    // The original tool's 7-line export holds events 7…1 of the snapshot byte for byte
    // (`export_of_the_snapshot_is_the_original_export_byte_for_byte`): every one is present.
    let original = real.join("build132_telemetry_export.ndjson");
    let imported = stdout(&tel(url, &["import", original.to_str().unwrap()]));
    assert!(
        imported.starts_with("0 new, 7 already present"),
        "{imported}"
    );
    assert_eq!(counts(url).2, 28);
    record_export_reimport(
        url,
        (
            "lovable-p2-quality-ux",
            "lovable-p2.3-missing-import-autofix",
        ),
        work.path(),
    );
}

#[test]
fn postgres_records_and_reimports_every_export_as_present() {
    let Some(db) = PgDatabase::create() else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    tel(&db.url, &["migrate"]);
    tel(
        &db.url,
        &[
            "record",
            "--force",
            "--event",
            &event("run-a", "plan", 1000, ""),
        ],
    );
    record_export_reimport(&db.url, ("run-a", "plan"), work.path());
}
