//! CSV import of the form `tel export --format csv` writes: a header of export keys, RFC 4180 quoting.

use std::io::BufRead;

use serde_json::{Map, Value};

use super::decode::{FieldError, Writer, decode_event};
use super::lines::{Lines, MAX_LINE_BYTES};
use super::{ImportError, Record};
use crate::fields::{FieldKind, ORIGINAL_FIELDS, kind_of};

/// One CSV cell: its text and whether it was quoted (an unquoted empty cell is NULL).
#[derive(Debug, PartialEq, Eq)]
struct Cell {
    text: String,
    quoted: bool,
}

/// A logical record: its first line number and its cells, `None` when it ends in an unterminated last line.
type RawRecord = (u64, Option<Vec<Cell>>);

/// Iterates the events of a CSV file.
pub struct CsvReader<R> {
    lines: Lines<R>,
    file: String,
    columns: Option<Vec<(String, FieldKind)>>,
}

impl<R: BufRead> CsvReader<R> {
    /// Reads `reader`; `file` names it in errors.
    pub fn new(reader: R, file: &str) -> Self {
        Self {
            lines: Lines::new(reader),
            file: file.to_owned(),
            columns: None,
        }
    }

    /// The file as named in errors.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The next logical record (a quoted field may span lines).
    ///
    /// A quoted field is open exactly when the record holds an odd number of `"` (an escaped `""`
    /// counts twice), so each line is scanned once and the record split once: linear time, however
    /// many lines an unterminated quote swallows.
    fn next_record(&mut self) -> Option<Result<RawRecord, ImportError>> {
        let mut text = String::new();
        let mut start = None;
        let mut quote_open = false;
        loop {
            let Some((line_no, line)) = self.lines.next() else {
                return start.map(|s| {
                    Err(ImportError::line(
                        &self.file,
                        s,
                        "unterminated quoted field",
                    ))
                });
            };
            if self.lines.last_line_unterminated() {
                return Some(Ok((start.unwrap_or(line_no), None)));
            }
            let line = match line {
                Ok(line) => line,
                Err(problem) => {
                    return Some(Err(ImportError::line(
                        &self.file,
                        line_no,
                        problem.describe(),
                    )));
                }
            };
            if start.is_none() && line.trim().is_empty() {
                continue;
            }
            quote_open ^= line.bytes().filter(|&b| b == b'"').count() % 2 == 1;
            let first = match start {
                None => {
                    text = line;
                    *start.insert(line_no)
                }
                Some(first) => {
                    text.push('\n');
                    text.push_str(&line);
                    first
                }
            };
            if text.len() > MAX_LINE_BYTES {
                return Some(Err(ImportError::line(
                    &self.file,
                    first,
                    "record longer than the line limit",
                )));
            }
            if !quote_open && let Some(cells) = split_cells(&text) {
                return Some(Ok((first, Some(cells))));
            }
        }
    }

    fn read_header(&mut self, line_no: u64, cells: Vec<Cell>) -> Result<(), ImportError> {
        let mut columns: Vec<(String, FieldKind)> = Vec::with_capacity(cells.len());
        for cell in cells {
            let kind = kind_of(&cell.text).ok_or_else(|| {
                ImportError::line(
                    &self.file,
                    line_no,
                    format!("header: unknown column {:?}", cell.text),
                )
            })?;
            if columns.iter().any(|(name, _)| *name == cell.text) {
                return Err(ImportError::line(
                    &self.file,
                    line_no,
                    format!("header: duplicate column {:?}", cell.text),
                ));
            }
            columns.push((cell.text, kind));
        }
        if let Some(missing) = ORIGINAL_FIELDS
            .iter()
            .map(|field| field.name)
            .find(|k| !columns.iter().any(|(c, _)| c == k))
        {
            return Err(ImportError::line(
                &self.file,
                line_no,
                format!("header: missing column {missing:?}"),
            ));
        }
        self.columns = Some(columns);
        Ok(())
    }

    fn parse_row(
        &self,
        line_no: u64,
        cells: Vec<Cell>,
        columns: &[(String, FieldKind)],
    ) -> Result<Record, ImportError> {
        if cells.len() != columns.len() {
            return Err(ImportError::line(
                &self.file,
                line_no,
                format!(
                    "expected {} fields as in the header, got {}",
                    columns.len(),
                    cells.len()
                ),
            ));
        }
        let mut map = Map::new();
        for (cell, (name, kind)) in cells.into_iter().zip(columns) {
            let value = cell_value(cell, *kind).map_err(|message| {
                ImportError::field(
                    &self.file,
                    line_no,
                    FieldError {
                        field: name.clone(),
                        message,
                    },
                )
            })?;
            map.insert(name.clone(), value);
        }
        decode_event(&map, Writer::Csv)
            .map(|event| Record::Event {
                line: line_no,
                event: Box::new(event),
            })
            .map_err(|e| ImportError::field(&self.file, line_no, e))
    }
}

/// A cell as the JSON value the shared decoder expects: NULL for an unquoted empty cell, text kinds as
/// strings, the others parsed as JSON literals (so `NaN`, `1e999` and `12abc` are rejected).
fn cell_value(cell: Cell, kind: FieldKind) -> Result<Value, String> {
    if cell.text.is_empty() && !cell.quoted {
        return Ok(Value::Null);
    }
    match kind {
        FieldKind::Text | FieldKind::Timestamp => Ok(Value::String(cell.text)),
        FieldKind::Int | FieldKind::Float | FieldKind::Bool | FieldKind::Deliverables => {
            serde_json::from_str(&cell.text)
                .map_err(|_| format!("cannot read {:?} as a value of this column", cell.text))
        }
    }
}

/// Splits one record into cells; `None` while a quoted field is still open (the record continues on the next line).
fn split_cells(record: &str) -> Option<Vec<Cell>> {
    let mut cells = Vec::new();
    let mut chars = record.chars().peekable();
    let mut cell = Cell {
        text: String::new(),
        quoted: false,
    };
    let mut in_quotes = false;
    while let Some(c) = chars.next() {
        match (in_quotes, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.text.push('"');
            }
            (true, '"') => in_quotes = false,
            (true, c) => cell.text.push(c),
            (false, '"') => {
                in_quotes = true;
                cell.quoted = true;
            }
            (false, ',') => cells.push(std::mem::replace(
                &mut cell,
                Cell {
                    text: String::new(),
                    quoted: false,
                },
            )),
            (false, c) => cell.text.push(c),
        }
    }
    if in_quotes {
        return None;
    }
    cells.push(cell);
    Some(cells)
}

impl<R: BufRead> Iterator for CsvReader<R> {
    type Item = Result<Record, ImportError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (line_no, cells) = match self.next_record()? {
                Ok((line_no, Some(cells))) => (line_no, cells),
                Ok((line_no, None)) => return Some(Ok(Record::incomplete_last_line(line_no))),
                Err(e) => return Some(Err(e)),
            };
            match self.columns.take() {
                None => {
                    if let Err(e) = self.read_header(line_no, cells) {
                        return Some(Err(e));
                    }
                }
                Some(columns) => {
                    let row = self.parse_row(line_no, cells, &columns);
                    self.columns = Some(columns);
                    return Some(row);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(record: &str) -> Option<Vec<(String, bool)>> {
        split_cells(record).map(|cells| cells.into_iter().map(|c| (c.text, c.quoted)).collect())
    }

    #[test]
    fn quoted_cells_keep_commas_quotes_and_emptiness() {
        assert_eq!(
            texts(r#"a,"b,c","say ""hi""",,"""#).unwrap_or_default(),
            vec![
                ("a".into(), false),
                ("b,c".into(), true),
                ("say \"hi\"".into(), true),
                (String::new(), false),
                (String::new(), true)
            ]
        );
        assert_eq!(texts("\"open"), None);
    }

    #[test]
    fn non_finite_or_malformed_numbers_are_rejected() {
        for bad in ["NaN", "inf", "1e999", "12abc"] {
            let cell = Cell {
                text: bad.into(),
                quoted: false,
            };
            assert!(cell_value(cell, FieldKind::Float).is_err(), "{bad}");
        }
    }
}
