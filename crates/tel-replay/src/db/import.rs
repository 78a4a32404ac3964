//! The import pipeline as a library function: files or readers in any import format, parsed once and
//! written through tel-store's streaming insert path in one transaction (all or nothing), idempotent
//! (events already stored are counted, not written again), with progress reported to a callback.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use tel_store::{DbConn, InsertOptions, StoreError, StreamOptions, write_stream};

use crate::import::{EventReader, ImportError, ImportFormat, ImportOptions, Record};

/// One input of an import: a file (opened when its turn comes) or an open reader, with its format.
pub struct ImportInput<'a> {
    name: String,
    format: ImportFormat,
    source: Source<'a>,
}

enum Source<'a> {
    File(PathBuf),
    Reader(Box<dyn BufRead + 'a>),
}

impl<'a> ImportInput<'a> {
    /// The file at `path` in `format`, else in the format detected from its first non-blank line, then its
    /// extension ([`ImportFormat::detect`]); fails when the file cannot be opened, before anything is
    /// written. The file is opened again, and read, when the import reaches it (no descriptor held open
    /// meanwhile, however many files there are).
    pub fn file(path: &Path, format: Option<ImportFormat>) -> Result<Self, ImportFailure> {
        let file = open(path)?;
        let format = match format {
            Some(format) => format,
            None => {
                let mut first = None;
                for line in file.lines() {
                    // An unreadable line is reported by the reader itself, with its line number.
                    let Ok(line) = line else { break };
                    if !line.trim().is_empty() {
                        first = Some(line);
                        break;
                    }
                }
                ImportFormat::detect(path, first.as_deref())
            }
        };
        Ok(Self {
            name: path.display().to_string(),
            format,
            source: Source::File(path.to_owned()),
        })
    }

    /// An open reader (e.g. standard input) in `format`; `name` is used in errors (`NAME:LINE: ...`).
    pub fn reader(
        name: impl Into<String>,
        reader: impl BufRead + 'a,
        format: ImportFormat,
    ) -> Self {
        Self {
            name: name.into(),
            format,
            source: Source::Reader(Box::new(reader)),
        }
    }

    /// The name used in errors: the path as given, or the reader's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn open(self) -> Result<(String, ImportFormat, Box<dyn BufRead + 'a>), ImportFailure> {
        let reader: Box<dyn BufRead + 'a> = match self.source {
            Source::File(path) => Box::new(open(&path)?),
            Source::Reader(reader) => reader,
        };
        Ok((self.name, self.format, reader))
    }
}

fn open(path: &Path) -> Result<BufReader<File>, ImportFailure> {
    File::open(path)
        .map(BufReader::new)
        .map_err(|source| ImportFailure::Open {
            path: path.to_owned(),
            source,
        })
}

/// What an import does besides inserting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportSettings {
    /// Import the valid events and report the invalid lines, instead of importing nothing.
    pub skip_invalid: bool,
    /// Import V1 `[TokenEstimation]` log lines instead of skipping them.
    pub include_v1: bool,
    /// Create the runs and phases of events whose parents are not stored, instead of failing.
    pub create_parents: bool,
}

impl Default for ImportSettings {
    /// `tel import` without flags: atomic, V1 lines skipped, parents created.
    fn default() -> Self {
        Self {
            skip_invalid: false,
            include_v1: false,
            create_parents: true,
        }
    }
}

/// What an import did (`tel import --json` prints it as is).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportSummary {
    /// Inputs read.
    pub files: usize,
    /// Events read (valid lines).
    pub events: u64,
    /// Events written.
    pub inserted: u64,
    /// Events already stored (same idempotency key), not written again.
    pub duplicates: u64,
    /// Lines deliberately not imported (V1 log lines, an incomplete last line, non-GenAI spans).
    pub skipped_lines: u64,
    /// Invalid lines (left out with `skip_invalid`).
    pub invalid_lines: u64,
}

/// What an import reports while it runs, in input order.
#[derive(Debug)]
pub enum ImportProgress<'a> {
    /// A line deliberately not imported.
    Skipped {
        /// The input's name.
        file: &'a str,
        /// 1-based line number.
        line: u64,
        /// Why.
        reason: &'a str,
    },
    /// An invalid line: nothing is imported unless `skip_invalid`, but every invalid line is reported.
    Invalid(&'a ImportError),
    /// Events written so far (inserted or found already present), after each batch.
    Written(u64),
}

/// Why an import wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportFailure {
    /// An input file cannot be opened.
    #[error("cannot open {}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Invalid lines (each reported as [`ImportProgress::Invalid`]) without `skip_invalid`.
    #[error("{lines} invalid line(s); nothing imported")]
    Invalid {
        /// How many.
        lines: u64,
    },
    /// The database refused a write (e.g. a missing parent without `create_parents`); rolled back.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Imports `inputs` into `conn` in one pass and one transaction: every line is parsed once; events are
/// written in batches as they are read until the first invalid line, after which parsing goes on only to
/// report every invalid line, and the transaction is rolled back ([`ImportFailure::Invalid`]). With
/// `skip_invalid` the invalid lines are reported and left out. Rows stored without a key are keyed first,
/// so re-importing an export of the same database adds nothing. The schema must be in place.
pub fn import(
    conn: &mut DbConn,
    inputs: Vec<ImportInput<'_>>,
    settings: ImportSettings,
    mut progress: impl FnMut(ImportProgress<'_>),
) -> Result<ImportSummary, ImportFailure> {
    let options = ImportOptions {
        include_v1: settings.include_v1,
    };
    let stream = StreamOptions::bulk(InsertOptions {
        ensure_parents: settings.create_parents,
        ..InsertOptions::EXACT
    });
    let mut summary = ImportSummary {
        files: inputs.len(),
        ..ImportSummary::default()
    };
    let ((), stored) = write_stream(conn, stream, |writer| {
        // The first database error stops the writing, not the reading: invalid lines are reported first,
        // as the validation pass before the first write did.
        let mut refused: Option<StoreError> = None;
        for input in inputs {
            let (name, format, reader) = input.open()?;
            for record in EventReader::new(reader, &name, format, options) {
                match record {
                    Ok(Record::Event { event, .. }) => {
                        summary.events += 1;
                        let writing = refused.is_none()
                            && (summary.invalid_lines == 0 || settings.skip_invalid);
                        if writing {
                            let before = writer.written();
                            match writer.push(*event) {
                                Ok(()) if writer.written() != before => {
                                    progress(ImportProgress::Written(writer.written()));
                                }
                                Ok(()) => {}
                                Err(err) => refused = Some(err),
                            }
                        }
                    }
                    Ok(Record::Skipped { line, reason }) => {
                        summary.skipped_lines += 1;
                        progress(ImportProgress::Skipped {
                            file: &name,
                            line,
                            reason: &reason,
                        });
                    }
                    Err(err) => {
                        summary.invalid_lines += 1;
                        progress(ImportProgress::Invalid(&err));
                    }
                }
            }
        }
        match refused {
            _ if summary.invalid_lines > 0 && !settings.skip_invalid => {
                Err(ImportFailure::Invalid {
                    lines: summary.invalid_lines,
                })
            }
            Some(err) => Err(ImportFailure::Store(err)),
            None => Ok(()),
        }
    })?;
    summary.inserted = stored.inserted;
    summary.duplicates = stored.duplicates;
    progress(ImportProgress::Written(stored.inserted + stored.duplicates));
    Ok(summary)
}
