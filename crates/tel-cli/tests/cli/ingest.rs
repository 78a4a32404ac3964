//! Every way in applies the same rules: truncation of recorded events by each provider's spelling
//! (issue 13 item 5), the storable-value rules through `record`, `import` and `spool replay` on both
//! backends (issue 14 item 11), growing files (item 5) and `tel prune` (item 14).

use std::path::Path;
use std::process::{Command, Output};

use crate::reliability::{PgDatabase, events_in_database, migrate};
use crate::support::{tel_command, tel_here};

/// A recorded event; `EXTRA` is replaced by further keys (each with a leading comma) or nothing.
const EVENT: &str = r#"{"run_id": "r1", "phase_id": "PHASE", "category": "implementation", "complexity": "low", "deliverables": ["src/a.py"], "predicted_output_tokens": 1000, "actual_output_tokens": 4096, "selected_budget": 4096, "success": false, "truncated": false, "model": "gpt-4o"EXTRA}"#;

fn event(phase: &str, extra: &str) -> String {
    EVENT.replace("PHASE", phase).replace("EXTRA", extra)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `tel record --event EVENT` into `url` with the telemetry flag on and the spool at `spool`.
fn record(url: &str, spool: &Path, event: &str) -> Output {
    tel_command(
        Path::new("."),
        &[
            "record",
            "--database-url",
            url,
            "--spool",
            spool.to_str().unwrap(),
            "--event",
            event,
        ],
    )
    .env("TELEMETRY_DB_ENABLED", "1")
    .output()
    .unwrap()
}

/// `tel report --json`'s accuracy section.
fn accuracy(url: &str) -> serde_json::Value {
    let report = tel_here(&["report", "--json", "--database-url", url]);
    assert!(report.status.success(), "{report:?}");
    let json: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    json["accuracy"].clone()
}

/// A migrated SQLite database in a fresh directory: (directory, URL, spool path).
fn sqlite() -> (tempfile::TempDir, String, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().join("tel.db").to_str().unwrap().to_owned();
    migrate(&url);
    let spool = dir.path().join("spool.ndjson");
    (dir, url, spool)
}

#[test]
fn recorded_truncation_counts_under_every_provider_spelling() {
    // Issue 13: three `length` events at the ceiling reported 0 truncated (the legacy flag ruled).
    for spelling in [
        "max_tokens",                    // Anthropic, Bedrock Converse
        "length",                        // OpenAI Chat Completions, Mistral
        "MAX_TOKENS",                    // Gemini, Vertex AI, Cohere
        "model_context_window_exceeded", // Anthropic, Bedrock Converse
        "max_output_tokens",             // OpenAI Responses
        "model_length",                  // Mistral
    ] {
        let (_dir, url, spool) = sqlite();
        for i in 0..3 {
            let extra = format!(r#", "stop_reason": "{spelling}", "actual_max_tokens": 4096"#);
            let out = record(&url, &spool, &event(&format!("p{i}"), &extra));
            assert!(out.status.success(), "{spelling}: {out:?}");
        }
        let accuracy = accuracy(&url);
        assert_eq!(accuracy["truncated"], 3, "{spelling}: {accuracy}");
        assert_eq!(accuracy["excluded"]["total_usage"], 0, "{spelling}");
    }
}

#[test]
fn recorded_events_without_stop_reason_are_not_excluded_as_total_usage() {
    let (_dir, url, spool) = sqlite();
    let at_ceiling = event("at", r#", "actual_max_tokens": 4096"#);
    let below = event("below", r#", "actual_max_tokens": 8192"#);
    let no_ceiling = event("unknown", "");
    for e in [at_ceiling, below, no_ceiling] {
        assert!(record(&url, &spool, &e).status.success());
    }
    let accuracy = accuracy(&url);
    assert_eq!(accuracy["excluded"]["total_usage"], 0, "{accuracy}");
    assert_eq!(accuracy["eligible"], 3);
    // METRICS.md B2: an unknown reason uses the ceiling when it is known.
    assert_eq!(
        (
            &accuracy["truncated"],
            &accuracy["non_truncated"],
            &accuracy["truncation_unknown"]
        ),
        (&1.into(), &1.into(), &1.into())
    );
}

/// Each hostile value `tel record` stored before, with the field and value its error must name.
const HOSTILE: [(&str, &str, &str); 5] = [
    (
        r#""predicted_output_tokens": 1000"#,
        r#""predicted_output_tokens": -1000"#,
        "predicted_output_tokens: must not be negative, got -1000",
    ),
    (
        r#""selected_budget": 4096"#,
        r#""selected_budget": -4096"#,
        "selected_budget: must not be negative, got -4096",
    ),
    (
        r#""selected_budget": 4096"#,
        r#""selected_budget": -9223372036854775808"#,
        "selected_budget: must not be negative, got -9223372036854775808",
    ),
    (
        r#""model": "gpt-4o""#,
        r#""model": "gpt\u0000-4o""#,
        r#"model: "gpt\0-4o" contains a NUL character (U+0000)"#,
    ),
    (
        r#""model": "gpt-4o""#,
        "LONG_MODEL",
        "model: 5000 bytes of text",
    ),
];

/// `line` with `from` (which must occur) replaced by the hostile `to`.
fn spoil(line: &str, from: &str, to: &str) -> String {
    let to = to.replace("LONG_MODEL", &format!(r#""model": "{}""#, "m".repeat(5000)));
    assert!(line.contains(from), "{from} in {line}");
    line.replace(from, &to)
}

fn valid_event() -> String {
    event("p1", r#", "stop_reason": "end_turn""#)
}

/// `record` refuses each hostile value naming field and value, storing and spooling nothing.
fn record_refuses_hostile_values(url: &str, spool: &Path) {
    for (from, to, expected) in HOSTILE {
        let out = record(url, spool, &spoil(&valid_event(), from, to));
        assert_eq!(out.status.code(), Some(1), "{to}: {out:?}");
        assert!(
            stderr(&out).contains(&format!("invalid event: {expected}")),
            "{url}: {}",
            stderr(&out)
        );
    }
    assert_eq!(events_in_database(url), 0, "{url}: nothing stored");
    assert!(!spool.exists(), "{url}: nothing spooled");
}

#[test]
fn record_refuses_what_import_refuses_naming_field_and_value() {
    let (dir, url, spool) = sqlite();
    record_refuses_hostile_values(&url, &spool);
    // The same values through `tel import`, in the extended export of the valid event (which writes
    // `"key": value` as the recorder's input does).
    assert!(record(&url, &spool, &valid_event()).status.success());
    let export = tel_here(&["export", "--extended", "--quiet", "--database-url", &url]);
    let line = String::from_utf8(export.stdout).unwrap();
    for (i, (from, to, expected)) in HOSTILE.into_iter().enumerate() {
        let file = dir.path().join(format!("hostile-{i}.ndjson"));
        std::fs::write(&file, spoil(&line, from, to)).unwrap();
        let out = tel_here(&["import", file.to_str().unwrap(), "--database-url", &url]);
        assert_eq!(out.status.code(), Some(1), "{to}: {out:?}");
        let expected = format!("{}:1: {expected}", file.display());
        assert!(
            stderr(&out).contains(&expected),
            "{expected} in {}",
            stderr(&out)
        );
    }
    assert_eq!(events_in_database(&url), 1, "only the valid event");
}

#[test]
fn record_batch_names_the_line_of_a_hostile_value_and_records_the_others() {
    let (dir, url, spool) = sqlite();
    let good = valid_event();
    let nul = good
        .replace(r#""model": "gpt-4o""#, r#""model": "gpt\u0000""#)
        .replace("p1", "p2");
    let batch = dir.path().join("batch.ndjson");
    std::fs::write(
        &batch,
        [good.as_str(), &nul, &good.replace("p1", "p3")].join("\n") + "\n",
    )
    .unwrap();
    let out = tel_command(
        Path::new("."),
        &[
            "record",
            "--batch",
            batch.to_str().unwrap(),
            "--database-url",
            &url,
            "--spool",
            spool.to_str().unwrap(),
        ],
    )
    .env("TELEMETRY_DB_ENABLED", "1")
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        stderr(&out).contains(&format!("{}:2: model: ", batch.display())),
        "{}",
        stderr(&out)
    );
    assert_eq!(events_in_database(&url), 2);
}

#[test]
fn nul_model_is_refused_on_postgres_and_a_spooled_one_no_longer_blocks_replay() {
    let Some(db) = PgDatabase::create_named("ingest") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let spool = dir.path().join("spool.ndjson");
    // Before the schema exists every write fails and is spooled: a valid event, and a NUL one as an
    // older tel spooled it (the same line with the NUL put into its model).
    for phase in ["valid", "nul"] {
        let out = record(
            &db.url,
            &spool,
            &event(phase, r#", "stop_reason": "end_turn""#),
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("spooled"),
            "{out:?}"
        );
    }
    let text = std::fs::read_to_string(&spool).unwrap();
    let (valid, nul) = text.trim_end().split_once('\n').unwrap();
    assert!(nul.contains(r#""phase_id":"nul""#), "{nul}");
    let nul = nul.replace(r#""model":"gpt-4o""#, r#""model":"gpt\u0000""#);
    std::fs::write(&spool, [valid, &nul, ""].join("\n")).unwrap();
    migrate(&db.url);
    record_refuses_hostile_values(&db.url, &dir.path().join("unused-spool.ndjson"));
    let replay = tel_here(&[
        "spool",
        "replay",
        "--json",
        "--database-url",
        &db.url,
        "--spool",
        spool.to_str().unwrap(),
    ]);
    // Exit 3: the replay ran and kept a line (docs/STORE.md, Spool).
    assert_eq!(replay.status.code(), Some(3), "{replay:?}");
    assert_eq!(events_in_database(&db.url), 1, "the valid event is stored");
    let kept = std::fs::read_to_string(&spool).unwrap();
    assert!(
        kept.contains(r#""phase_id":"nul""#),
        "the NUL event is kept: {kept}"
    );
    let again = tel_here(&[
        "spool",
        "replay",
        "--database-url",
        &db.url,
        "--spool",
        spool.to_str().unwrap(),
    ]);
    assert_eq!(
        again.status.code(),
        Some(3),
        "a later replay runs past it and keeps it: {again:?}"
    );
    // And `tel import` refuses it too, naming file and line.
    let file = dir.path().join("nul.ndjson");
    let export = tel_here(&["export", "--extended", "--quiet", "--database-url", &db.url]);
    let line = String::from_utf8(export.stdout).unwrap();
    std::fs::write(
        &file,
        line.replace(r#""model": "gpt-4o""#, r#""model": "gpt\u0000""#),
    )
    .unwrap();
    let import = tel_here(&["import", file.to_str().unwrap(), "--database-url", &db.url]);
    assert_eq!(import.status.code(), Some(1), "{import:?}");
    assert!(
        stderr(&import).contains(":1: model: "),
        "{}",
        stderr(&import)
    );
}

#[test]
fn prune_age_with_a_multibyte_unit_is_an_error_naming_it_not_a_panic() {
    let (_dir, url, _) = sqlite();
    for age in ["9é", "é", "90日"] {
        let out = tel_here(&["prune", "--older-than", age, "--database-url", &url]);
        assert_eq!(out.status.code(), Some(2), "{age}: {out:?}");
        assert!(
            stderr(&out).contains(&format!("invalid age {age:?}")),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn prune_that_cannot_vacuum_says_what_it_deleted_and_warns() {
    if Command::new("prlimit").arg("--version").output().is_err() {
        eprintln!("skipped: prlimit not found");
        return;
    }
    let (dir, url, _) = sqlite();
    // 100 old events and 3,000 from the future: deleting the old ones writes little, while VACUUM
    // writes a copy of the whole database, which the file-size limit (half the database) refuses
    // as a full disk would.
    let generated = tel_here(&["generate", "--events", "3100"]);
    let text = String::from_utf8(generated.stdout).unwrap();
    let (old, new) = text.split_at(text.match_indices('\n').nth(99).unwrap().0 + 1);
    let input = dir.path().join("events.ndjson");
    std::fs::write(
        &input,
        [
            old,
            &new.replace("\"timestamp\": \"2026-", "\"timestamp\": \"2099-"),
        ]
        .concat(),
    )
    .unwrap();
    let imported = tel_here(&["import", input.to_str().unwrap(), "--database-url", &url]);
    assert!(imported.status.success(), "{imported:?}");
    let limit = std::fs::metadata(&url).unwrap().len() / 2;
    let script = format!("trap '' XFSZ; exec prlimit --fsize={limit} \"$@\"");
    let tel = env!("CARGO_BIN_EXE_tel");
    let out = Command::new("sh")
        .args([
            "-c",
            &script,
            "sh",
            tel,
            "prune",
            "--older-than",
            "1d",
            "--json",
        ])
        .args(["--database-url", &url])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "the deletion is committed: {out:?}"
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["events"], 100, "{summary}");
    assert!(summary["vacuum_error"].is_string(), "{summary}");
    assert!(
        stderr(&out).contains("the deletion is committed, but the database could not be compacted"),
        "{}",
        stderr(&out)
    );
    assert_eq!(events_in_database(&url), 3000);
}

#[test]
fn import_of_a_csv_whose_last_row_is_cut_after_its_last_comma_stores_the_row_once_when_complete() {
    let (dir, url, spool) = sqlite();
    assert!(record(&url, &spool, &valid_event()).status.success());
    let export = tel_here(&[
        "export",
        "--format",
        "csv",
        "--quiet",
        "--database-url",
        &url,
    ]);
    let csv = String::from_utf8(export.stdout).unwrap();
    let (_other_dir, other, _) = sqlite();
    let file = dir.path().join("growing.csv");
    let cut = csv.trim_end().rfind(',').unwrap() + 1;
    std::fs::write(&file, &csv[..cut]).unwrap();
    let import = |expected_new: &str| {
        let out = tel_here(&["import", file.to_str().unwrap(), "--database-url", &other]);
        assert!(out.status.success(), "{out:?}");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(stdout.starts_with(expected_new), "{stdout}");
        stderr(&out)
    };
    let skipped = import("0 new, 0 already present");
    assert!(
        skipped.contains(&format!(
            "{}:2: skipped: incomplete last line, not imported",
            file.display()
        )),
        "{skipped}"
    );
    std::fs::write(&file, &csv).unwrap();
    import("1 new, 0 already present");
    import("0 new, 1 already present");
    assert_eq!(events_in_database(&other), 1);
}
