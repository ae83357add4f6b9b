//! The error report: one row per problem, streamed to a [`ReportSink`] and
//! written as CSV (UTF-8 with BOM, for Excel) or XLSX.

use std::borrow::Cow;
use std::fmt;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rust_xlsxwriter::{Format as XlsxFormat, Workbook, Worksheet};

/// How serious a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// The row (or file) is not imported.
    Error,
    /// Reported, but the data is imported (an unknown column, say).
    Warning,
}

impl Severity {
    /// Chinese label for the report's 级别 column.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Error => "错误",
            Severity::Warning => "警告",
        }
    }
}

/// One problem found in an import file.
///
/// `value` is what the report shows of the cell: ID and phone numbers are
/// masked to their first 6 and last 4 characters, names to their first
/// character; long values are cut. `problem` never contains personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The file the row is in (its name, as the user knows it).
    pub file: Arc<str>,
    /// Row number as the user sees it (the header is row 1 when it is the
    /// first line); 0 for a problem of the whole file.
    pub row: u32,
    /// The column's Chinese header (or the file's own header for an
    /// unknown column); empty for a whole-file problem.
    pub column: Cow<'static, str>,
    /// The cell value, masked where it is personal data.
    pub value: String,
    /// What is wrong and what to do, in Chinese.
    pub problem: String,
    /// Stable English error code such as `id_checksum`.
    pub code: &'static str,
    /// Error or warning.
    pub severity: Severity,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} 第{}行", self.file, self.row)?;
        if !self.column.is_empty() {
            write!(f, " 列“{}”", self.column)?;
        }
        if !self.value.is_empty() {
            write!(f, " 值“{}”", self.value)?;
        }
        write!(
            f,
            "：{}（{}，{}）",
            self.problem,
            self.code,
            self.severity.label()
        )
    }
}

/// Where problems go as they are found, so that a file with a million bad
/// rows does not keep a million errors in memory.
pub trait ReportSink {
    /// Takes one problem.
    fn push(&mut self, error: RowError);
}

impl<S: ReportSink + ?Sized> ReportSink for &mut S {
    fn push(&mut self, error: RowError) {
        (**self).push(error);
    }
}

/// Keeps every problem in memory (for tests and small files).
#[derive(Debug, Default, Clone)]
pub struct MemorySink {
    /// The problems, in the order reported.
    pub errors: Vec<RowError>,
}

impl MemorySink {
    /// An empty sink.
    pub fn new() -> Self {
        Self::default()
    }

    /// The problems with this code.
    pub fn with_code(&self, code: &str) -> Vec<&RowError> {
        self.errors.iter().filter(|e| e.code == code).collect()
    }

    /// The problems of severity error.
    pub fn errors_only(&self) -> impl Iterator<Item = &RowError> {
        self.errors.iter().filter(|e| e.severity == Severity::Error)
    }
}

impl ReportSink for MemorySink {
    fn push(&mut self, error: RowError) {
        self.errors.push(error);
    }
}

/// Discards every problem.
#[derive(Debug, Default, Clone, Copy)]
pub struct NullSink;

impl ReportSink for NullSink {
    fn push(&mut self, _: RowError) {}
}

/// The report's header row.
pub const REPORT_HEADER: [&str; 7] = ["文件", "行号", "列", "值", "问题", "code", "级别"];

/// A cell that a spreadsheet would take for a formula is prefixed with an
/// apostrophe (CSV injection).
fn defuse(s: &str) -> Cow<'_, str> {
    match s.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => Cow::Owned(format!("'{s}")),
        _ => Cow::Borrowed(s),
    }
}

/// Writes the report as CSV: UTF-8 with BOM (so Excel opens it), header
/// `文件,行号,列,值,问题,code,级别`.
///
/// Write errors are kept and returned by [`CsvReport::finish`]; after the
/// first one further rows are dropped.
pub struct CsvReport<W: Write> {
    writer: csv::Writer<W>,
    error: Option<io::Error>,
    rows: u64,
}

impl CsvReport<BufWriter<File>> {
    /// Creates (or truncates) the report file.
    pub fn create(path: &Path) -> io::Result<Self> {
        Self::new(BufWriter::new(File::create(path)?))
    }
}

impl<W: Write> CsvReport<W> {
    /// Starts a report on `out`, writing the BOM and the header row.
    pub fn new(mut out: W) -> io::Result<Self> {
        out.write_all(b"\xEF\xBB\xBF")?;
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(out);
        writer
            .write_record(REPORT_HEADER)
            .map_err(io::Error::other)?;
        Ok(CsvReport {
            writer,
            error: None,
            rows: 0,
        })
    }

    /// Number of problems written.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Flushes the report, returning the writer and the first write error.
    pub fn finish(mut self) -> io::Result<W> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.writer.flush()?;
        self.writer
            .into_inner()
            .map_err(|e| io::Error::other(e.to_string()))
    }
}

impl<W: Write> ReportSink for CsvReport<W> {
    fn push(&mut self, e: RowError) {
        if self.error.is_some() {
            return;
        }
        let row = e.row.to_string();
        let result = self.writer.write_record([
            &*defuse(&e.file),
            row.as_str(),
            &*defuse(&e.column),
            &*defuse(&e.value),
            &*defuse(&e.problem),
            e.code,
            e.severity.label(),
        ]);
        match result {
            Ok(()) => self.rows += 1,
            Err(err) => self.error = Some(io::Error::other(err)),
        }
    }
}

/// Last worksheet row index of an XLSX file.
const XLSX_MAX_ROW: u32 = 1_048_575;

/// Writes the report as an XLSX workbook in constant-memory mode (rows go
/// to a temporary file as they come): bold frozen header, set widths.
///
/// A worksheet holds at most 1,048,576 rows; beyond that the last row
/// says how many problems were left out (use a CSV report for those).
pub struct XlsxReport {
    workbook: Workbook,
    sheet: Worksheet,
    path: PathBuf,
    next_row: u32,
    dropped: u64,
    error: Option<rust_xlsxwriter::XlsxError>,
}

impl XlsxReport {
    /// Prepares a report to be saved at `path` by [`XlsxReport::finish`].
    pub fn create(path: &Path) -> io::Result<Self> {
        let to_io = |e: rust_xlsxwriter::XlsxError| io::Error::other(e.to_string());
        let mut workbook = Workbook::new();
        let mut sheet = workbook
            .new_worksheet_with_constant_memory()
            .map_err(to_io)?;
        sheet.set_name("错误报告").map_err(to_io)?;
        let bold = XlsxFormat::new().set_bold();
        for (col, (title, width)) in REPORT_HEADER
            .iter()
            .zip([24.0, 7.0, 16.0, 22.0, 80.0, 24.0, 6.0])
            .enumerate()
        {
            let col = col as u16;
            sheet.set_column_width(col, width).map_err(to_io)?;
            sheet
                .write_string_with_format(0, col, *title, &bold)
                .map_err(to_io)?;
        }
        sheet.set_freeze_panes(1, 0).map_err(to_io)?;
        Ok(XlsxReport {
            workbook,
            sheet,
            path: path.to_path_buf(),
            next_row: 1,
            dropped: 0,
            error: None,
        })
    }

    fn write_row(&mut self, e: &RowError) -> Result<(), rust_xlsxwriter::XlsxError> {
        let r = self.next_row;
        self.sheet.write_string(r, 0, &*e.file)?;
        self.sheet.write_number(r, 1, e.row)?;
        self.sheet.write_string(r, 2, &*e.column)?;
        self.sheet.write_string(r, 3, &e.value)?;
        self.sheet.write_string(r, 4, &e.problem)?;
        self.sheet.write_string(r, 5, e.code)?;
        self.sheet.write_string(r, 6, e.severity.label())?;
        Ok(())
    }

    /// Saves the workbook; returns the first write error, if any.
    pub fn finish(mut self) -> io::Result<()> {
        let to_io = |e: rust_xlsxwriter::XlsxError| io::Error::other(e.to_string());
        if let Some(e) = self.error.take() {
            return Err(to_io(e));
        }
        if self.dropped > 0 {
            let note = format!(
                "另有{}条问题超出 Excel 行数上限未列出，请使用 CSV 格式的报告（--report 报告.csv）查看全部",
                self.dropped
            );
            self.sheet
                .write_string(self.next_row, 4, note)
                .map_err(to_io)?;
        }
        self.workbook.push_worksheet(self.sheet);
        self.workbook.save(&self.path).map_err(to_io)
    }
}

impl ReportSink for XlsxReport {
    fn push(&mut self, e: RowError) {
        if self.error.is_some() {
            return;
        }
        if self.next_row >= XLSX_MAX_ROW {
            self.dropped += 1;
            return;
        }
        match self.write_row(&e) {
            Ok(()) => self.next_row += 1,
            Err(err) => self.error = Some(err),
        }
    }
}

/// A report file, CSV or XLSX by the extension of its path (`.xlsx` is
/// XLSX, anything else CSV).
#[allow(clippy::large_enum_variant)]
pub enum ReportFile {
    /// `.csv` (or any other extension).
    Csv(CsvReport<BufWriter<File>>),
    /// `.xlsx`.
    Xlsx(XlsxReport),
}

impl ReportFile {
    /// Creates the report chosen by the extension of `path`.
    pub fn create(path: &Path) -> io::Result<Self> {
        let is_xlsx = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
        Ok(if is_xlsx {
            ReportFile::Xlsx(XlsxReport::create(path)?)
        } else {
            ReportFile::Csv(CsvReport::create(path)?)
        })
    }

    /// Writes out the report.
    pub fn finish(self) -> io::Result<()> {
        match self {
            ReportFile::Csv(c) => c.finish().and_then(|mut w| w.flush()),
            ReportFile::Xlsx(x) => x.finish(),
        }
    }
}

impl ReportSink for ReportFile {
    fn push(&mut self, error: RowError) {
        match self {
            ReportFile::Csv(c) => c.push(error),
            ReportFile::Xlsx(x) => x.push(error),
        }
    }
}

/// Counts what passes through to another sink.
pub(crate) struct CountingSink<'a> {
    pub inner: &'a mut dyn ReportSink,
    pub errors: u64,
    pub warnings: u64,
}

impl<'a> CountingSink<'a> {
    pub fn new(inner: &'a mut dyn ReportSink) -> Self {
        CountingSink {
            inner,
            errors: 0,
            warnings: 0,
        }
    }
}

impl ReportSink for CountingSink<'_> {
    fn push(&mut self, error: RowError) {
        match error.severity {
            Severity::Error => self.errors += 1,
            Severity::Warning => self.warnings += 1,
        }
        self.inner.push(error);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> RowError {
        RowError {
            file: Arc::from("a.csv"),
            row: 5,
            column: "身份证号".into(),
            value: "130624********6023".into(),
            problem: "身份证号校验位不正确".into(),
            code: "id_checksum",
            severity: Severity::Error,
        }
    }

    #[test]
    fn csv_report_has_bom_header_and_defused_cells() {
        let mut r = CsvReport::new(Vec::new()).unwrap();
        r.push(sample());
        let mut w = sample();
        w.value = "=HYPERLINK(\"x\")".into();
        w.severity = Severity::Warning;
        r.push(w);
        assert_eq!(r.rows(), 2);
        let bytes = r.finish().unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let mut lines = text.split("\r\n");
        assert_eq!(
            lines.next().unwrap(),
            "\u{FEFF}文件,行号,列,值,问题,code,级别"
        );
        assert_eq!(
            lines.next().unwrap(),
            "a.csv,5,身份证号,130624********6023,身份证号校验位不正确,id_checksum,错误"
        );
        assert!(
            lines
                .next()
                .unwrap()
                .contains(",\"'=HYPERLINK(\"\"x\"\")\",")
        );
    }

    #[test]
    fn display_names_the_place() {
        assert_eq!(
            sample().to_string(),
            "a.csv 第5行 列“身份证号” 值“130624********6023”：身份证号校验位不正确（id_checksum，错误）"
        );
    }
}
