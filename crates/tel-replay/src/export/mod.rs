//! Streaming export of telemetry events: the original NDJSON (byte-exact), its extended form, and CSV.

mod csv;
mod ndjson;

use std::io::{self, Write};

use tel_core::TelemetryEvent;

pub use csv::{csv_header, push_csv_row};
pub use ndjson::push_ndjson_line;

/// Output format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExportFormat {
    /// One JSON object per line (FORMATS.md F5).
    #[default]
    Ndjson,
    /// RFC 4180 CSV with a header row.
    Csv,
}

/// The three stderr lines of the original export tool (FORMATS.md F5), with their line breaks.
pub fn export_header(total_events: u64) -> String {
    format!("# TokenEstimationV2 Telemetry Export\n# Total events: {total_events}\n\n")
}

/// Writes events one at a time to `out` in the chosen format (the CSV header first).
pub struct ExportWriter<W: Write> {
    out: W,
    format: ExportFormat,
    extended: bool,
    line: String,
    written: u64,
}

impl<W: Write> ExportWriter<W> {
    /// Starts an export; writes the CSV header immediately.
    pub fn new(mut out: W, format: ExportFormat, extended: bool) -> io::Result<Self> {
        if format == ExportFormat::Csv {
            out.write_all(csv_header(extended).as_bytes())?;
            out.write_all(b"\r\n")?;
        }
        Ok(Self {
            out,
            format,
            extended,
            line: String::new(),
            written: 0,
        })
    }

    /// Writes one event.
    pub fn write_event(&mut self, event: &TelemetryEvent) -> io::Result<()> {
        self.line.clear();
        match self.format {
            ExportFormat::Ndjson => {
                push_ndjson_line(&mut self.line, event, self.extended);
                self.line.push('\n');
            }
            ExportFormat::Csv => {
                push_csv_row(&mut self.line, event, self.extended);
                self.line.push_str("\r\n");
            }
        }
        self.out.write_all(self.line.as_bytes())?;
        self.written += 1;
        Ok(())
    }

    /// Number of events written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}
