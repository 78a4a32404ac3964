//! NDJSON import: the original export's lines and tel's extended lines (one object per line, blank lines ignored).

use std::io::BufRead;

use serde_json::{Map, Value};

use super::lines::Lines;
use super::{ImportError, NextLine, Record, next_line};
use crate::import::decode::{Writer, decode_event};

/// Iterates the events of an NDJSON file.
pub struct NdjsonReader<R> {
    lines: Lines<R>,
    file: String,
}

impl<R: BufRead> NdjsonReader<R> {
    /// Reads `reader`; `file` names it in errors.
    pub fn new(reader: R, file: &str) -> Self {
        Self {
            lines: Lines::new(reader),
            file: file.to_owned(),
        }
    }

    /// The file as named in errors.
    pub fn file(&self) -> &str {
        &self.file
    }

    fn parse(&self, line_no: u64, line: &str) -> Result<Record, ImportError> {
        let map = serde_json::from_str::<Map<String, Value>>(line).map_err(|e| {
            ImportError::line(&self.file, line_no, format!("not a JSON object: {e}"))
        })?;
        decode_event(&map, Writer::Ndjson)
            .map(|event| Record::Event {
                line: line_no,
                event: Box::new(event),
            })
            .map_err(|e| ImportError::field(&self.file, line_no, e))
    }
}

impl<R: BufRead> Iterator for NdjsonReader<R> {
    type Item = Result<Record, ImportError>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(match next_line(&mut self.lines, &self.file)? {
            NextLine::Text(line_no, text) => self.parse(line_no, &text),
            NextLine::Decided(record) => record,
        })
    }
}
