//! Reading a line-based history safely: capped line length, UTF-8 checked, CR/LF endings.

use std::io::{BufRead, Read};

use super::{FormatError, MAX_LINE_BYTES};

/// Lines of a reader, numbered from 1, blank lines skipped.
pub(super) struct Lines<R> {
    reader: R,
    buf: Vec<u8>,
    number: usize,
}

impl<R: BufRead> Lines<R> {
    /// Reads lines from `reader`.
    pub(super) fn new(reader: R) -> Self {
        Lines { reader, buf: Vec::new(), number: 0 }
    }

    /// The next non-blank line and its 1-based number, or `None` at the end.
    pub(super) fn next_line(&mut self) -> Result<Option<(usize, &str)>, FormatError> {
        loop {
            self.buf.clear();
            self.number += 1;
            let limit = MAX_LINE_BYTES as u64 + 1;
            let n = Read::by_ref(&mut self.reader)
                .take(limit)
                .read_until(b'\n', &mut self.buf)
                .map_err(|e| FormatError::Io(format!("line {}: {e}", self.number)))?;
            if n == 0 {
                return Ok(None);
            }
            if self.buf.last() == Some(&b'\n') {
                self.buf.pop();
                if self.buf.last() == Some(&b'\r') {
                    self.buf.pop();
                }
            } else if self.buf.len() > MAX_LINE_BYTES {
                return Err(FormatError::LineTooLong { line: self.number, limit: MAX_LINE_BYTES });
            }
            if self.buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return match std::str::from_utf8(&self.buf) {
                Ok(s) => Ok(Some((self.number, s))),
                Err(e) => Err(FormatError::Line {
                    line: self.number,
                    expected: "UTF-8 text".to_string(),
                    found: format!("an invalid byte at column {}", e.valid_up_to() + 1),
                }),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_lines_and_strips_endings() {
        let mut l = Lines::new(&b"a\r\n\n  \nb"[..]);
        assert_eq!(l.next_line().unwrap(), Some((1, "a")));
        assert_eq!(l.next_line().unwrap(), Some((4, "b")));
        assert_eq!(l.next_line().unwrap(), None);
    }

    #[test]
    fn rejects_long_lines_and_bad_utf8() {
        let long = vec![b'x'; MAX_LINE_BYTES + 10];
        let err = Lines::new(&long[..]).next_line().unwrap_err();
        assert_eq!(err, FormatError::LineTooLong { line: 1, limit: MAX_LINE_BYTES });
        let err = Lines::new(&b"ok\n\xff\xfe\n"[..]);
        let mut err = err;
        assert!(err.next_line().is_ok());
        assert!(err.next_line().unwrap_err().to_string().starts_with("line 2: expected UTF-8 text"));
    }
}
