//! Bounded line reading: one line at a time in constant memory, with over-long lines and invalid UTF-8 reported.

use std::io::{self, BufRead};

/// Lines longer than this many bytes are rejected (the longest legal export line is ~25 KB).
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// Why a physical line could not be read as text.
#[derive(Debug)]
pub enum LineProblem {
    /// The line exceeded [`MAX_LINE_BYTES`]; its remainder was skipped.
    TooLong,
    /// The line is not UTF-8; `byte` is the 0-based offset of the first bad byte.
    InvalidUtf8 {
        /// Offset of the first invalid byte.
        byte: usize,
    },
    /// The underlying reader failed.
    Io(io::Error),
}

impl LineProblem {
    /// Human-readable description (no trailing period).
    pub fn describe(&self) -> String {
        match self {
            Self::TooLong => format!("line longer than {MAX_LINE_BYTES} bytes"),
            Self::InvalidUtf8 { byte } => format!("invalid UTF-8 at byte {byte} of the line"),
            Self::Io(err) => format!("read error: {err}"),
        }
    }
}

/// Iterates `(1-based line number, line text without its `\n` / `\r\n`)`.
pub struct Lines<R> {
    reader: R,
    line_no: u64,
    buf: Vec<u8>,
    failed: bool,
    unterminated: bool,
}

impl<R: BufRead> Lines<R> {
    /// Wraps a buffered reader.
    pub fn new(reader: R) -> Self {
        Self {
            reader,
            line_no: 0,
            buf: Vec::new(),
            failed: false,
            unterminated: false,
        }
    }

    /// The line just returned is not blank and ended at the end of the input without a line break:
    /// a writer may still be appending to it (readers that import files skip it).
    pub fn last_line_unterminated(&self) -> bool {
        self.unterminated
    }

    /// Reads one raw line into `self.buf`: `(a line was present, it was too long)`.
    fn fill_line(&mut self) -> io::Result<(bool, bool)> {
        self.buf.clear();
        self.unterminated = false;
        let mut too_long = false;
        let mut any = false;
        loop {
            let available = match self.reader.fill_buf() {
                Ok(bytes) => bytes,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(err),
            };
            if available.is_empty() {
                self.unterminated =
                    any && (too_long || !self.buf.iter().all(u8::is_ascii_whitespace));
                return Ok((any, too_long));
            }
            any = true;
            let (chunk, used, done) = match available.iter().position(|&b| b == b'\n') {
                Some(pos) => (&available[..pos], pos + 1, true),
                None => (available, available.len(), false),
            };
            if self.buf.len() + chunk.len() > MAX_LINE_BYTES {
                too_long = true;
            } else if !too_long {
                self.buf.extend_from_slice(chunk);
            }
            self.reader.consume(used);
            if done {
                return Ok((true, too_long));
            }
        }
    }
}

impl<R: BufRead> Iterator for Lines<R> {
    type Item = (u64, Result<String, LineProblem>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let result = self.fill_line();
        self.line_no += 1;
        let line_no = self.line_no;
        match result {
            Err(err) => {
                self.failed = true;
                Some((line_no, Err(LineProblem::Io(err))))
            }
            Ok((false, _)) => None,
            Ok((true, true)) => Some((line_no, Err(LineProblem::TooLong))),
            Ok((true, false)) => {
                if self.buf.last() == Some(&b'\r') {
                    self.buf.pop();
                }
                let bytes = std::mem::take(&mut self.buf);
                Some((
                    line_no,
                    String::from_utf8(bytes).map_err(|err| LineProblem::InvalidUtf8 {
                        byte: err.utf8_error().valid_up_to(),
                    }),
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(input: &[u8]) -> Vec<(u64, Result<String, String>)> {
        Lines::new(input)
            .map(|(n, r)| (n, r.map_err(|p| p.describe())))
            .collect()
    }

    #[test]
    fn line_breaks_are_stripped_and_numbered() {
        assert_eq!(
            collect(b"a\r\nb\n\nc"),
            vec![
                (1, Ok("a".into())),
                (2, Ok("b".into())),
                (3, Ok(String::new())),
                (4, Ok("c".into()))
            ]
        );
        assert!(collect(b"").is_empty());
    }

    #[test]
    fn only_a_non_blank_last_line_without_line_break_is_unterminated() {
        let flags = |input: &[u8]| {
            let mut lines = Lines::new(input);
            std::iter::from_fn(|| lines.next().map(|_| lines.last_line_unterminated()))
                .collect::<Vec<_>>()
        };
        assert_eq!(flags(b"a\nb\n"), [false, false]);
        assert_eq!(flags(b"a\nb"), [false, true]);
        assert_eq!(flags(b"a\nb\r"), [false, true], "cut between CR and LF");
        assert_eq!(flags(b"a\n \t"), [false, false], "a blank tail is no event");
    }

    #[test]
    fn invalid_utf8_and_huge_lines_are_reported_and_reading_continues() {
        let mut input = b"ok\n\xffbad\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', MAX_LINE_BYTES + 10));
        input.extend(b"\nlast\n");
        let lines = collect(&input);
        assert_eq!(lines[0], (1, Ok("ok".into())));
        assert_eq!(
            lines[1],
            (2, Err("invalid UTF-8 at byte 0 of the line".into()))
        );
        assert!(lines[2].1.as_ref().unwrap_err().starts_with("line longer"));
        assert_eq!(lines[3], (4, Ok("last".into())));
        assert_eq!(lines.len(), 4);
    }
}
