//! The error report: one row per problem, streamed to a [`ReportSink`] and
//! written as CSV (UTF-8 with BOM, for Excel) or XLSX through
//! `jianfu-export`, which owns the file formats and their rules (formula
//! neutralisation, Excel's limits); this module owns the report's columns.

use std::borrow::Cow;
use std::fmt;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use jianfu_export::{
    Column, CsvWriter, ExportError, Kind, Limits, Sheet, Value, XlsxWriter, strip_csv_guard,
};

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

/// Widths of the report's columns in XLSX, in Excel's character units.
const REPORT_WIDTHS: [f64; 7] = [24.0, 7.0, 16.0, 22.0, 80.0, 24.0, 6.0];

/// The report as a sheet: [`REPORT_HEADER`], 行号 a number, the rest text.
/// 值 is not a personal column: [`RowError::value`] is masked already,
/// and names are masked there too.
pub fn report_sheet() -> Sheet {
    let columns = REPORT_HEADER
        .iter()
        .zip(REPORT_WIDTHS)
        .enumerate()
        .map(|(i, (header, width))| {
            let kind = if i == 1 { Kind::Integer } else { Kind::Text };
            Column::new(*header, kind).width(width)
        })
        .collect();
    Sheet::new("错误报告", columns)
}

fn report_row(e: &RowError) -> [Value<'_>; 7] {
    [
        Value::from(&*e.file),
        Value::from(e.row),
        Value::from(&*e.column),
        Value::from(e.value.as_str()),
        Value::from(e.problem.as_str()),
        Value::from(e.code),
        Value::from(e.severity.label()),
    ]
}

fn to_io(e: ExportError) -> io::Error {
    match e {
        ExportError::Io(e) => e,
        other => io::Error::other(other),
    }
}

/// Writes the report as CSV: UTF-8 with BOM (so Excel opens it), header
/// `文件,行号,列,值,问题,code,级别`, through [`jianfu_export::CsvWriter`].
///
/// Write errors are kept and returned by [`CsvReport::finish`]; after the
/// first one further rows are dropped.
pub struct CsvReport<W: Write> {
    writer: CsvWriter<W>,
    error: Option<io::Error>,
}

impl CsvReport<BufWriter<File>> {
    /// Creates (or truncates) the report file.
    pub fn create(path: &Path) -> io::Result<Self> {
        Self::new(BufWriter::new(File::create(path)?))
    }
}

impl<W: Write> CsvReport<W> {
    /// Starts a report on `out`, writing the BOM and the header row.
    pub fn new(out: W) -> io::Result<Self> {
        Ok(CsvReport {
            writer: CsvWriter::new(out, &report_sheet()).map_err(to_io)?,
            error: None,
        })
    }

    /// Number of problems written.
    pub fn rows(&self) -> u64 {
        self.writer.rows()
    }

    /// Flushes the report, returning the writer and the first write error.
    pub fn finish(mut self) -> io::Result<W> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.writer.finish().map_err(to_io)
    }
}

impl<W: Write> ReportSink for CsvReport<W> {
    fn push(&mut self, e: RowError) {
        if self.error.is_some() {
            return;
        }
        if let Err(err) = self.writer.row(&report_row(&e)) {
            self.error = Some(to_io(err));
        }
    }
}

/// Writes the report as an XLSX workbook through
/// [`jianfu_export::XlsxWriter`]: rows stream to a temporary file as they
/// come; styled, frozen and filtered header, set widths.
///
/// A worksheet holds at most 1,048,576 rows; the problems after that
/// continue on the sheets `错误报告 (2)`, `(3)`…
pub struct XlsxReport {
    writer: XlsxWriter,
    path: PathBuf,
    error: Option<ExportError>,
}

impl XlsxReport {
    /// Prepares a report to be saved at `path` by [`XlsxReport::finish`].
    pub fn create(path: &Path) -> io::Result<Self> {
        Self::with_limits(path, Limits::EXCEL)
    }

    /// The same with smaller limits (to see the rollover in tests).
    pub fn with_limits(path: &Path, limits: Limits) -> io::Result<Self> {
        let mut writer = XlsxWriter::with_limits(limits);
        writer.sheet(&report_sheet()).map_err(to_io)?;
        Ok(XlsxReport {
            writer,
            path: path.to_path_buf(),
            error: None,
        })
    }

    /// Saves the workbook; returns the first write error, if any.
    pub fn finish(mut self) -> io::Result<()> {
        if let Some(e) = self.error.take() {
            return Err(to_io(e));
        }
        self.writer.save(&self.path).map_err(to_io)
    }
}

impl ReportSink for XlsxReport {
    fn push(&mut self, e: RowError) {
        if self.error.is_some() {
            return;
        }
        if let Err(err) = self.writer.row(&report_row(&e)) {
            self.error = Some(err);
        }
    }
}

/// A CSV report (as [`CsvReport`] wrote it) as an XLSX workbook, the
/// same rows as [`XlsxReport`] would have written: 行号 a number, the
/// CSV's apostrophe before formula-like text replaced by XLSX's own guard.
pub fn csv_to_xlsx(csv_bytes: &[u8]) -> Result<Vec<u8>, ExportError> {
    let bytes = csv_bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(csv_bytes);
    csv_rows_to_xlsx(bytes)?.into_bytes()
}

/// The same conversion read from a CSV report file and saved at `out`,
/// so that neither the CSV nor the workbook is ever held whole in memory
/// (the workbook streams rows to its temporary file; past Excel's row
/// limit they continue on further sheets).
pub fn csv_file_to_xlsx(csv: &Path, out: &Path) -> Result<(), ExportError> {
    let mut input = io::BufReader::new(File::open(csv)?);
    if io::BufRead::fill_buf(&mut input)?.starts_with(b"\xEF\xBB\xBF") {
        io::BufRead::consume(&mut input, 3);
    }
    csv_rows_to_xlsx(input)?.save(out)
}

fn csv_rows_to_xlsx(csv: impl io::Read) -> Result<XlsxWriter, ExportError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(csv);
    let mut writer = XlsxWriter::new();
    writer.sheet(&report_sheet())?;
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record)? {
        let values: Vec<Value<'_>> = record
            .iter()
            .take(REPORT_HEADER.len())
            .enumerate()
            .map(|(i, cell)| match cell.parse::<i64>() {
                Ok(n) if i == 1 => Value::Int(n),
                _ => Value::from(strip_csv_guard(cell)),
            })
            .collect();
        writer.row(&values)?;
    }
    Ok(writer)
}

/// A report file, CSV or XLSX by the extension of its path (`.xlsx` is
/// XLSX, anything else CSV), listing at most
/// [`REPORT_MAX_LISTED`](crate::limits::REPORT_MAX_LISTED) problems one by
/// one and counting the rest per code in closing lines, so that a file of
/// a million bad rows gets a report one can open.
pub struct ReportFile {
    out: ReportOut,
    cap: Cap,
}

#[allow(clippy::large_enum_variant)]
enum ReportOut {
    Csv(CsvReport<BufWriter<File>>),
    Xlsx(XlsxReport),
}

impl ReportFile {
    /// Creates the report chosen by the extension of `path`.
    pub fn create(path: &Path) -> io::Result<Self> {
        Self::with_cap(path, crate::limits::REPORT_MAX_LISTED)
    }

    /// The same, listing at most `listed` problems.
    pub fn with_cap(path: &Path, listed: u64) -> io::Result<Self> {
        let is_xlsx = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
        let out = if is_xlsx {
            ReportOut::Xlsx(XlsxReport::create(path)?)
        } else {
            ReportOut::Csv(CsvReport::create(path)?)
        };
        Ok(ReportFile {
            out,
            cap: Cap::new(listed),
        })
    }

    /// Writes the closing lines of what was not listed, then the report.
    pub fn finish(mut self) -> io::Result<()> {
        for line in self.cap.closing_lines() {
            self.out.push(line);
        }
        match self.out {
            ReportOut::Csv(c) => c.finish().and_then(|mut w| w.flush()),
            ReportOut::Xlsx(x) => x.finish(),
        }
    }
}

impl ReportSink for ReportOut {
    fn push(&mut self, error: RowError) {
        match self {
            ReportOut::Csv(c) => c.push(error),
            ReportOut::Xlsx(x) => x.push(error),
        }
    }
}

impl ReportSink for ReportFile {
    fn push(&mut self, error: RowError) {
        if let Some(error) = self.cap.admit(error) {
            self.out.push(error);
        }
    }
}

/// The report's cap: problems past it are counted by code and level.
struct Cap {
    max: u64,
    listed: u64,
    file: Option<Arc<str>>,
    unlisted: std::collections::BTreeMap<(Severity, &'static str), u64>,
}

impl Cap {
    fn new(max: u64) -> Self {
        Cap {
            max,
            listed: 0,
            file: None,
            unlisted: Default::default(),
        }
    }

    /// The problem when it is to be listed; otherwise it is counted.
    fn admit(&mut self, error: RowError) -> Option<RowError> {
        if self.listed < self.max {
            self.listed += 1;
            return Some(error);
        }
        *self
            .unlisted
            .entry((error.severity, error.code))
            .or_default() += 1;
        self.file.get_or_insert(error.file);
        None
    }

    /// One line per code left unlisted, errors first: "……另有 2,480,115
    /// 条 `id_checksum` 错误未列出".
    fn closing_lines(&mut self) -> Vec<RowError> {
        let file = self.file.clone().unwrap_or_else(|| Arc::from(""));
        let max = self.max;
        std::mem::take(&mut self.unlisted)
            .into_iter()
            .map(|((severity, code), n)| RowError {
                file: file.clone(),
                row: 0,
                column: "".into(),
                value: String::new(),
                problem: format!(
                    "……另有 {} 条 `{code}` {}未列出（报告只逐条列出前 {} 条问题）",
                    thousands(n),
                    severity.label(),
                    thousands(max)
                ),
                code,
                severity,
            })
            .collect()
    }
}

/// `2480115` as `2,480,115`.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
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

    fn read_xlsx(bytes: Vec<u8>) -> Vec<(String, Vec<Vec<calamine::Data>>)> {
        use calamine::Reader;
        let mut wb = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        wb.sheet_names()
            .into_iter()
            .map(|name| {
                let range = wb.worksheet_range(&name).unwrap();
                (name, range.rows().map(<[_]>::to_vec).collect())
            })
            .collect()
    }

    #[test]
    fn csv_report_converts_to_the_xlsx_report() {
        use calamine::Data;
        let mut csv = CsvReport::new(Vec::new()).unwrap();
        csv.push(sample());
        let mut w = sample();
        w.value = "=HYPERLINK(\"x\")".into();
        csv.push(w);
        let sheets = read_xlsx(csv_to_xlsx(&csv.finish().unwrap()).unwrap());
        assert_eq!(sheets.len(), 1);
        let (name, rows) = &sheets[0];
        assert_eq!(name, "错误报告");
        assert_eq!(rows[0][1], Data::String("行号".into()));
        assert_eq!(rows[1][1], Data::Float(5.0));
        assert_eq!(rows[1][3], Data::String("130624********6023".into()));
        // The CSV's apostrophe is gone; XLSX keeps the text a string.
        assert_eq!(rows[2][3], Data::String("=HYPERLINK(\"x\")".into()));
    }

    #[test]
    fn xlsx_report_continues_on_a_second_sheet() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.xlsx");
        let limits = Limits {
            rows: 3,
            ..Limits::EXCEL
        };
        let mut r = XlsxReport::with_limits(&path, limits).unwrap();
        for row in 1..=3 {
            r.push(RowError { row, ..sample() });
        }
        r.finish().unwrap();
        let sheets = read_xlsx(std::fs::read(&path).unwrap());
        let names: Vec<&str> = sheets.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["错误报告", "错误报告 (2)"]);
        assert_eq!(sheets[1].1.len(), 2, "header and the third problem");
        assert_eq!(sheets[1].1[1][1], calamine::Data::Float(3.0));
    }

    #[test]
    fn the_report_lists_up_to_its_cap_and_counts_the_rest_per_code() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.csv");
        let mut r = ReportFile::with_cap(&path, 3).unwrap();
        for row in 1..=2_000 {
            r.push(RowError { row, ..sample() });
        }
        for row in 1..=2 {
            r.push(RowError {
                row,
                code: "unknown_column",
                severity: Severity::Warning,
                ..sample()
            });
        }
        r.finish().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.trim_end().split("\r\n").collect();
        assert_eq!(lines.len(), 1 + 3 + 2, "{text}");
        assert!(
            lines[4].contains("……另有 1,997 条 `id_checksum` 错误未列出"),
            "{}",
            lines[4]
        );
        assert!(lines[4].ends_with(",id_checksum,错误"), "{}", lines[4]);
        assert!(lines[5].contains("另有 2 条 `unknown_column` 警告"));
        assert_eq!(thousands(2_480_115), "2,480,115");
        assert_eq!(thousands(999), "999");
    }

    #[test]
    fn display_names_the_place() {
        assert_eq!(
            sample().to_string(),
            "a.csv 第5行 列“身份证号” 值“130624********6023”：身份证号校验位不正确（id_checksum，错误）"
        );
    }
}
