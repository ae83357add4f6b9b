//! CSV output: UTF-8 with a byte-order mark (without it Excel reads the
//! file in the system's code page and Chinese turns to noise), CRLF line
//! ends (RFC 4180), fields quoted only when needed, every row as wide as
//! the header. Rows are written through as they come.

use std::io::Write;

use crate::rules::{csv_guard, masked};
use crate::sheet::{Column, Sheet};
use crate::value::Value;
use crate::{ExportError, Limits};

/// The UTF-8 byte-order mark every CSV export starts with.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Streams one sheet as CSV to `W`. CSV has no row or cell limit, so the
/// [`Limits`] of XLSX do not apply: nothing is cut or split.
pub struct CsvWriter<W: Write> {
    writer: csv::Writer<W>,
    title: String,
    columns: Vec<Column>,
    rows: u64,
}

impl<W: Write> CsvWriter<W> {
    /// Starts the file on `out`: the byte-order mark and the header row.
    pub fn new(mut out: W, sheet: &Sheet) -> Result<Self, ExportError> {
        if sheet.columns.len() > usize::from(Limits::EXCEL.columns) {
            // Excel would not open the file either.
            return Err(ExportError::TooManyColumns {
                title: sheet.title.to_string(),
                columns: sheet.columns.len(),
                max: Limits::EXCEL.columns,
            });
        }
        out.write_all(BOM)?;
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(out);
        for c in &sheet.columns {
            writer.write_field(csv_guard(&c.header).as_bytes())?;
        }
        writer.write_record(None::<&[u8]>)?;
        Ok(CsvWriter {
            writer,
            title: sheet.title.to_string(),
            columns: sheet.columns.clone(),
            rows: 0,
        })
    }

    /// Writes one row; missing values at the end are empty.
    pub fn row(&mut self, values: &[Value<'_>]) -> Result<(), ExportError> {
        if values.len() > self.columns.len() {
            return Err(ExportError::RowTooLong {
                title: self.title.clone(),
                columns: self.columns.len(),
                values: values.len(),
            });
        }
        for (i, column) in self.columns.iter().enumerate() {
            let value = values.get(i).map_or(Value::Empty, |v| masked(column, v));
            match &value {
                Value::Text(s) => self.writer.write_field(csv_guard(s).as_bytes())?,
                // Numbers, dates and empty cells are never formulas.
                other => self.writer.write_field(other.to_text().as_bytes())?,
            }
        }
        self.writer.write_record(None::<&[u8]>)?;
        self.rows += 1;
        Ok(())
    }

    /// Rows written, the header not counted.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Flushes and returns the output.
    pub fn finish(mut self) -> Result<W, ExportError> {
        self.writer.flush()?;
        self.writer
            .into_inner()
            .map_err(|e| ExportError::Io(e.into_error()))
    }
}
