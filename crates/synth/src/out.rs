//! Buffered CSV output with correct quoting and a byte count.

use std::fmt::{self, Write as _};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};

use crate::SynthError;

/// One CSV line under construction.
#[derive(Debug, Default)]
pub(crate) struct Line {
    buf: String,
    fields: usize,
}

impl Line {
    pub(crate) fn clear(&mut self) {
        self.buf.clear();
        self.fields = 0;
    }

    fn sep(&mut self) {
        if self.fields > 0 {
            self.buf.push(',');
        }
        self.fields += 1;
    }

    /// A text field, quoted when it holds a comma, quote or line break.
    pub(crate) fn text(&mut self, value: &str) {
        self.sep();
        if value.contains([',', '"', '\n', '\r']) {
            self.buf.push('"');
            for c in value.chars() {
                if c == '"' {
                    self.buf.push('"');
                }
                self.buf.push(c);
            }
            self.buf.push('"');
        } else {
            self.buf.push_str(value);
        }
    }

    /// A field formatted in place; for values that never need quoting
    /// (numbers, dates, codes).
    pub(crate) fn fmt(&mut self, args: fmt::Arguments<'_>) {
        self.sep();
        self.buf
            .write_fmt(args)
            .expect("writing to a String cannot fail");
    }

    /// A date as `YYYY-MM-DD`.
    pub(crate) fn date(&mut self, d: NaiveDate) {
        self.fmt(format_args!(
            "{:04}-{:02}-{:02}",
            d.year(),
            d.month(),
            d.day()
        ));
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.buf
    }
}

/// A CSV file being written.
pub(crate) struct CsvFile {
    w: BufWriter<File>,
    path: PathBuf,
    bytes: u64,
}

impl CsvFile {
    /// Creates the file and writes the (optional) BOM and the header.
    pub(crate) fn create(path: &Path, bom: bool, header: &[&str]) -> Result<Self, SynthError> {
        let file = File::create(path).map_err(|e| SynthError::io(path, e))?;
        let mut out = CsvFile {
            w: BufWriter::with_capacity(1 << 18, file),
            path: path.to_path_buf(),
            bytes: 0,
        };
        if bom {
            out.write_raw("\u{feff}")?;
        }
        let mut line = Line::default();
        for h in header {
            line.text(h);
        }
        out.write_line(&line)?;
        Ok(out)
    }

    fn write_raw(&mut self, s: &str) -> Result<(), SynthError> {
        self.w
            .write_all(s.as_bytes())
            .map_err(|e| SynthError::io(&self.path, e))?;
        self.bytes += s.len() as u64;
        Ok(())
    }

    /// Writes a line and its `\n`.
    pub(crate) fn write_line(&mut self, line: &Line) -> Result<(), SynthError> {
        self.write_raw(line.as_str())?;
        self.write_raw("\n")
    }

    /// Flushes and returns the number of bytes written.
    pub(crate) fn finish(mut self) -> Result<u64, SynthError> {
        self.w.flush().map_err(|e| SynthError::io(&self.path, e))?;
        Ok(self.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        let mut l = Line::default();
        l.text("a");
        l.text("b,c");
        l.text("say \"hi\"");
        l.text("");
        l.fmt(format_args!("{:.2}", 1.5));
        l.date(NaiveDate::from_ymd_opt(2023, 3, 9).unwrap());
        assert_eq!(l.as_str(), "a,\"b,c\",\"say \"\"hi\"\"\",,1.50,2023-03-09");
        l.clear();
        l.text("");
        l.text("");
        assert_eq!(l.as_str(), ",");
    }
}
