//! `cargo xtask regress [--update]`: golden checks of replay and export over `tests/regress/*/` and the real data.
//!
//! Each case directory holds a `case.toml`, its input and `expected.out` (+ `expected.err`). `--update`
//! rewrites those project-owned goldens; the real-data checks compare against fixed published hashes.

use std::fs;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use serde::Deserialize;
use tel_core::TelemetryEvent;
use tel_replay::export::{ExportFormat, ExportWriter};
use tel_replay::import::{EventReader, ImportFormat, ImportOptions, Record};

/// One case, as described by its `case.toml`.
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
enum Case {
    /// Import `input`, export it as `output` (`ndjson` or `csv`), optionally extended.
    Convert {
        input: String,
        output: String,
        #[serde(default)]
        extended: bool,
    },
}

/// What a case printed.
struct Outcome {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

/// Runs every case; with `update`, rewrites mismatching goldens instead of failing.
pub fn run(root: &Path, update: bool) -> anyhow::Result<()> {
    let cases_dir = root.join("tests/regress");
    let mut dirs: Vec<PathBuf> = fs::read_dir(&cases_dir)
        .with_context(|| format!("cannot list {}", cases_dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.join("case.toml").is_file())
        .collect();
    dirs.sort();
    let mut failures = Vec::new();
    for dir in &dirs {
        let name = dir
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let outcome = run_case(dir).with_context(|| format!("case {name}"))?;
        for (file, actual) in [
            ("expected.out", &outcome.stdout),
            ("expected.err", &outcome.stderr),
        ] {
            let path = dir.join(file);
            let expected = fs::read(&path).unwrap_or_default();
            if expected == *actual {
                continue;
            }
            if update {
                fs::write(&path, actual)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                println!("updated {name}/{file}");
            } else {
                failures.push(format!(
                    "{name}/{file}: {}",
                    first_difference(&expected, actual)
                ));
            }
        }
        println!("case {name}: checked");
    }
    failures.extend(real_data_checks(root)?);
    if !failures.is_empty() {
        bail!(
            "{} golden mismatch(es):\n  {}",
            failures.len(),
            failures.join("\n  ")
        );
    }
    println!("regress: {} project case(s) passed", dirs.len());
    Ok(())
}

fn run_case(dir: &Path) -> anyhow::Result<Outcome> {
    let spec = fs::read_to_string(dir.join("case.toml"))?;
    let case: Case = toml::from_str(&spec).context("invalid case.toml")?;
    match case {
        Case::Convert {
            input,
            output,
            extended,
        } => {
            let format = match output.as_str() {
                "ndjson" => ExportFormat::Ndjson,
                "csv" => ExportFormat::Csv,
                other => bail!("output {other:?}: expected ndjson or csv"),
            };
            let events = import_file(&dir.join(input))?;
            Ok(Outcome {
                stdout: export(&events, format, extended)?,
                stderr: Vec::new(),
            })
        }
    }
}

/// Imports a whole file (format detected), failing on the first bad line.
fn import_file(path: &Path) -> anyhow::Result<Vec<TelemetryEvent>> {
    let text =
        fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let first = text.lines().find(|l| !l.trim().is_empty());
    let format = ImportFormat::detect(path, first);
    let name = path.display().to_string();
    let mut events = Vec::new();
    for record in EventReader::new(
        BufReader::new(text.as_bytes()),
        &name,
        format,
        ImportOptions::default(),
    ) {
        if let Record::Event { event, .. } = record? {
            events.push(*event);
        }
    }
    Ok(events)
}

fn export(
    events: &[TelemetryEvent],
    format: ExportFormat,
    extended: bool,
) -> anyhow::Result<Vec<u8>> {
    let mut writer = ExportWriter::new(Vec::new(), format, extended)?;
    for event in events {
        writer.write_event(event)?;
    }
    Ok(writer.finish()?)
}

/// Checks over `../shared/real-data` (skipped when absent, an error under CI); never updated.
fn real_data_checks(root: &Path) -> anyhow::Result<Vec<String>> {
    let dir = root.join("../shared/real-data");
    if !dir.is_dir() {
        crate::skip_unless_ci("real-data goldens", "../shared/real-data not found")?;
        return Ok(Vec::new());
    }
    let mut failures = Vec::new();
    let historical = dir.join("build132_telemetry_export.ndjson");
    let original = fs::read(&historical)?;
    let reexported = export(&import_file(&historical)?, ExportFormat::Ndjson, false)?;
    if reexported != original {
        failures.push(format!(
            "real data: re-export of {}: {}",
            historical.display(),
            first_difference(&original, &reexported)
        ));
    }
    println!("real data: historical export re-exported");
    Ok(failures)
}

/// `line N differs` / `length differs`, for a readable failure.
fn first_difference(expected: &[u8], actual: &[u8]) -> String {
    let expected = String::from_utf8_lossy(expected);
    let actual = String::from_utf8_lossy(actual);
    for (i, (e, a)) in expected.lines().zip(actual.lines()).enumerate() {
        if e != a {
            return format!(
                "line {} differs:\n    expected: {e}\n    actual:   {a}",
                i + 1
            );
        }
    }
    format!(
        "{} line(s) expected, {} produced",
        expected.lines().count(),
        actual.lines().count()
    )
}
