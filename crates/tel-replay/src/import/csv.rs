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
    splitter: Splitter,
}

impl<R: BufRead> CsvReader<R> {
    /// Reads `reader`; `file` names it in errors.
    pub fn new(reader: R, file: &str) -> Self {
        Self {
            lines: Lines::new(reader),
            file: file.to_owned(),
            columns: None,
            splitter: Splitter::new(),
        }
    }

    /// The file as named in errors.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The next logical record (a quoted field may span lines): each physical line is fed once to csv-core's
    /// state machine, so reading is linear however many lines an unterminated quote swallows.
    fn next_record(&mut self) -> Option<Result<RawRecord, ImportError>> {
        self.splitter.discard_partial_record();
        let mut start = None;
        let mut bytes = 0;
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
            let first = *start.get_or_insert(line_no);
            bytes += line.len() + 1;
            if bytes > MAX_LINE_BYTES {
                return Some(Err(ImportError::line(
                    &self.file,
                    first,
                    "record longer than the line limit",
                )));
            }
            if let Some(cells) = self.splitter.feed_line(&line) {
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
    // csv-core reads `x"y` as text, as Python's csv does; tel's writer never writes it, so it is a hand edit
    // whose intent is unclear (an opening quote in the wrong place?): refuse it.
    if !cell.quoted && cell.text.contains('"') {
        return Err(format!(
            "{:?} has a quote in an unquoted cell (quote the whole cell and double the quote: \"x\"\"y\")",
            cell.text
        ));
    }
    match kind {
        FieldKind::Text | FieldKind::Timestamp => Ok(Value::String(cell.text)),
        FieldKind::Int | FieldKind::Float | FieldKind::Bool | FieldKind::Deliverables => {
            serde_json::from_str(&cell.text)
                .map_err(|_| format!("cannot read {:?} as a value of this column", cell.text))
        }
    }
}

/// Splits records into cells with csv-core (RFC 4180, `""` inside quotes, a line break only ends a record outside
/// quotes), keeping what the `csv` crate's records drop: whether each cell was quoted.
struct Splitter {
    /// Boxed: its transition table is ~500 bytes, and readers of every format share one enum.
    core: Box<csv_core::Reader>,
    cells: Vec<Cell>,
    field: Vec<u8>,
    len: usize,
    /// The next byte fed starts a cell (its first raw byte says whether it is quoted).
    at_cell_start: bool,
    quoted: bool,
}

impl Splitter {
    fn new() -> Self {
        Self {
            // Only `\n` ends a record: `Lines` has already removed a `\r` before it, and a `\r` inside a line is text.
            core: Box::new(
                csv_core::ReaderBuilder::new()
                    .terminator(csv_core::Terminator::Any(b'\n'))
                    .build(),
            ),
            cells: Vec::new(),
            field: vec![0; 256],
            len: 0,
            at_cell_start: true,
            quoted: false,
        }
    }

    /// Forgets a record left open by an error (an unreadable or over-long line), so the next starts afresh.
    fn discard_partial_record(&mut self) {
        if !self.at_cell_start || !self.cells.is_empty() {
            self.core.reset();
            self.cells.clear();
            self.len = 0;
            self.at_cell_start = true;
        }
    }

    /// Feeds one physical line; the record's cells once it ends, `None` while a quoted cell is still open.
    fn feed_line(&mut self, line: &str) -> Option<Vec<Cell>> {
        self.feed(line.as_bytes());
        self.feed(b"\n")
    }

    fn feed(&mut self, mut input: &[u8]) -> Option<Vec<Cell>> {
        while !input.is_empty() {
            if self.at_cell_start {
                self.quoted = input[0] == b'"';
                self.at_cell_start = false;
            }
            if self.len == self.field.len() {
                self.field.resize(self.field.len() * 2, 0);
            }
            let (result, read, written) = self.core.read_field(input, &mut self.field[self.len..]);
            input = &input[read..];
            self.len += written;
            match result {
                csv_core::ReadFieldResult::Field { record_end } => {
                    self.cells.push(Cell {
                        text: String::from_utf8_lossy(&self.field[..self.len]).into_owned(),
                        quoted: self.quoted,
                    });
                    self.len = 0;
                    self.at_cell_start = true;
                    if record_end {
                        return Some(std::mem::take(&mut self.cells));
                    }
                }
                csv_core::ReadFieldResult::InputEmpty
                | csv_core::ReadFieldResult::OutputFull
                | csv_core::ReadFieldResult::End => {}
            }
        }
        None
    }
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

    /// The cells of `lines` fed one by one, `None` while the record is still open.
    fn texts(lines: &[&str]) -> Option<Vec<(String, bool)>> {
        let mut splitter = Splitter::new();
        let mut cells = None;
        for line in lines {
            cells = splitter.feed_line(line);
        }
        cells.map(|cells| cells.into_iter().map(|c| (c.text, c.quoted)).collect())
    }

    #[test]
    fn quoted_cells_keep_commas_quotes_line_breaks_and_emptiness() {
        assert_eq!(
            texts(&[r#"a,"b,c","say ""hi""",,"""#]).unwrap_or_default(),
            vec![
                ("a".into(), false),
                ("b,c".into(), true),
                ("say \"hi\"".into(), true),
                (String::new(), false),
                (String::new(), true)
            ]
        );
        assert_eq!(texts(&["\"open"]), None);
        assert_eq!(
            texts(&["x\"y,z"]).unwrap_or_default(),
            vec![("x\"y".into(), false), ("z".into(), false)]
        );
        assert_eq!(
            texts(&["\"two", "lines\",x\ry"]).unwrap_or_default(),
            vec![("two\nlines".into(), true), ("x\ry".into(), false)]
        );
    }

    #[test]
    fn a_quote_inside_an_unquoted_cell_is_refused() {
        let cell = Cell {
            text: "x\"y".into(),
            quoted: false,
        };
        let error = cell_value(cell, FieldKind::Text).unwrap_err();
        assert!(error.contains("quote in an unquoted cell"), "{error}");
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
