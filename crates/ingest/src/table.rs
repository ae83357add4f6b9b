//! Reading a table from a CSV or Excel file, one row at a time.
//!
//! The format is decided by content: a zip (`PK\x03\x04`) is XLSX, an OLE
//! compound document is the old `.xls`, anything else is CSV.
//!
//! * CSV is streamed: the encoding (UTF-8 with or without BOM, UTF-16 with
//!   BOM, else GB18030/GBK) is decided by a streaming pre-scan of the
//!   bytes, then the text is decoded incrementally into the `csv` reader.
//!   The delimiter (comma, tab or semicolon) is taken from the header line.
//! * XLSX cells are streamed by calamine's cell reader on a helper thread
//!   that hands rows over in batches; merged areas are filled with their
//!   top-left value. `.xls` is read through calamine's range reader (such
//!   files have at most 65,536 rows).
//!
//! The header row is the first non-empty row, except that up to
//! [`MAX_TITLE_ROWS`] leading title rows in which no cell is a known
//! column header are skipped.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::SystemTime;

use calamine::{Data, DataRef, Dimensions, Reader, Xls, Xlsx, XlsxError};

use crate::error::FileError;
use crate::limits::Limits;
use crate::normalize::{EXCEL_1904_OFFSET, normalize_text};

/// Leading rows without any known header that are skipped as titles
/// (many county spreadsheets start with a merged title row).
pub const MAX_TITLE_ROWS: usize = 10;

/// Columns beyond this index are ignored in workbooks (protection against
/// merged areas that span the whole sheet).
pub const MAX_COLUMNS: usize = 1024;

/// Rows handed from the workbook thread at once.
const BATCH_ROWS: usize = 512;

/// The container format of an import file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma (or tab/semicolon) separated text.
    Csv,
    /// Office Open XML workbook.
    Xlsx,
    /// Excel 97–2003 workbook.
    Xls,
}

/// What [`Progress`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressUnit {
    /// Bytes of a CSV file.
    Bytes,
    /// Rows of a worksheet.
    Rows,
}

/// How far a reader has got, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Units done.
    pub done: u64,
    /// Units in all (0 when unknown).
    pub total: u64,
    /// What is counted.
    pub unit: ProgressUnit,
}

impl Progress {
    /// Fraction done, 0.0–1.0 (0 when the total is unknown).
    pub fn fraction(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            (self.done as f64 / self.total as f64).min(1.0)
        }
    }
}

/// An owned cell of a workbook row.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Cell {
    /// Nothing.
    #[default]
    Empty,
    /// Text (for formulas: their cached text result).
    Text(String),
    /// A number (Excel stores every number as a float).
    Number(f64),
    /// A date or time as an Excel serial in the 1900 date system.
    DateTime(f64),
    /// TRUE / FALSE.
    Bool(bool),
    /// An error value such as `#VALUE!`.
    Error(String),
}

impl Cell {
    /// The cell as a borrowed value.
    pub fn as_ref(&self) -> CellRef<'_> {
        match self {
            Cell::Empty => CellRef::Empty,
            Cell::Text(s) => CellRef::Text(s),
            Cell::Number(f) => CellRef::Number(*f),
            Cell::DateTime(f) => CellRef::DateTime(*f),
            Cell::Bool(b) => CellRef::Bool(*b),
            Cell::Error(e) => CellRef::Error(e),
        }
    }
}

/// A borrowed cell of the current row. CSV cells are always text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CellRef<'a> {
    /// Nothing (also for columns beyond the end of the row).
    Empty,
    /// Text, not yet normalised.
    Text(&'a str),
    /// A number.
    Number(f64),
    /// A date or time as an Excel serial in the 1900 date system.
    DateTime(f64),
    /// TRUE / FALSE.
    Bool(bool),
    /// An error value such as `#VALUE!`.
    Error(&'a str),
}

impl CellRef<'_> {
    /// True for an empty cell or one holding only spaces.
    pub fn is_blank(&self) -> bool {
        match self {
            CellRef::Empty => true,
            CellRef::Text(s) => normalize_text(s).is_empty(),
            _ => false,
        }
    }
}

/// One row of the table. Reused between rows to keep reading
/// allocation-free.
#[derive(Debug, Default)]
pub struct Row {
    number: u32,
    csv: bool,
    record: csv::StringRecord,
    cells: Vec<Cell>,
}

impl Row {
    /// The row number as the user sees it (Excel's row number; for CSV the
    /// line, counting a record with line breaks inside quotes once).
    pub fn number(&self) -> u32 {
        self.number
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        if self.csv {
            self.record.len()
        } else {
            self.cells.len()
        }
    }

    /// True when the row has no cells.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The cell in column `i` (0-based); [`CellRef::Empty`] past the end.
    pub fn cell(&self, i: usize) -> CellRef<'_> {
        if self.csv {
            self.record.get(i).map_or(CellRef::Empty, CellRef::Text)
        } else {
            self.cells.get(i).map_or(CellRef::Empty, Cell::as_ref)
        }
    }

    /// The cell in column `i`, when the column exists.
    pub fn get(&self, i: Option<usize>) -> CellRef<'_> {
        i.map_or(CellRef::Empty, |i| self.cell(i))
    }

    /// True when every cell is blank.
    pub fn is_blank(&self) -> bool {
        (0..self.len()).all(|i| self.cell(i).is_blank())
    }

    fn header_texts(&self) -> Vec<String> {
        (0..self.len())
            .map(|i| match self.cell(i) {
                CellRef::Text(s) => s.to_string(),
                CellRef::Number(f) | CellRef::DateTime(f) => format!("{f}"),
                CellRef::Bool(b) => b.to_string(),
                CellRef::Error(e) => e.to_string(),
                CellRef::Empty => String::new(),
            })
            .collect()
    }
}

/// Size and modification time of a file, to notice a change between the
/// check pass and the import pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileFingerprint {
    /// Length in bytes.
    pub len: u64,
    /// Last modification, when the platform tells.
    pub modified: Option<SystemTime>,
}

impl FileFingerprint {
    /// The fingerprint of the file at `path`.
    pub fn of(path: &Path) -> Result<Self, FileError> {
        let m = std::fs::metadata(path).map_err(|e| FileError::io(path, e))?;
        Ok(FileFingerprint {
            len: m.len(),
            modified: m.modified().ok(),
        })
    }
}

/// Reads a table (a CSV file or one worksheet) row by row.
pub struct TableReader {
    source: Source,
    format: Format,
    headers: Vec<String>,
    header_row: u32,
    row: Row,
    fingerprint: FileFingerprint,
}

#[allow(clippy::large_enum_variant)]
enum Source {
    Csv(CsvSource),
    Sheet(SheetSource),
}

impl TableReader {
    /// Opens `path` and reads up to and including the header row: the
    /// first non-empty row, after skipping up to [`MAX_TITLE_ROWS`] rows
    /// in which `is_known_header` accepts no cell. `sheet` selects a
    /// worksheet (the first when `None`; ignored for CSV).
    pub fn open(
        path: &Path,
        sheet: Option<&str>,
        is_known_header: &dyn Fn(&str) -> bool,
    ) -> Result<Self, FileError> {
        Self::open_limited(path, sheet, is_known_header, Limits::DEFAULT)
    }

    /// [`TableReader::open`] under `limits` (checked on every row read,
    /// the header included; an XLSX workbook's size before it is read).
    pub fn open_limited(
        path: &Path,
        sheet: Option<&str>,
        is_known_header: &dyn Fn(&str) -> bool,
        limits: Limits,
    ) -> Result<Self, FileError> {
        let fingerprint = FileFingerprint::of(path)?;
        if fingerprint.len == 0 {
            return Err(FileError::Empty);
        }
        let mut file = File::open(path).map_err(|e| FileError::io(path, e))?;
        let mut magic = [0u8; 8];
        let n = read_up_to(&mut file, &mut magic).map_err(|e| FileError::io(path, e))?;
        let magic = &magic[..n];
        let format = if magic.starts_with(b"PK\x03\x04") || magic.starts_with(b"PK\x05\x06") {
            Format::Xlsx
        } else if magic.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
            Format::Xls
        } else {
            Format::Csv
        };
        let mut source = match format {
            Format::Csv => Source::Csv(CsvSource::open(path, file, fingerprint.len, limits)?),
            Format::Xlsx | Format::Xls => {
                drop(file);
                Source::Sheet(SheetSource::open(path, format, sheet, limits)?)
            }
        };
        let mut row = Row {
            csv: format == Format::Csv,
            ..Row::default()
        };
        // Find the header row.
        let mut first_nonblank: Option<(u32, Vec<String>)> = None;
        let mut seen = 0usize;
        let (header_row, headers) = loop {
            if !source.next(&mut row)? {
                match first_nonblank.take() {
                    Some(h) => break h,
                    None => return Err(FileError::Empty),
                }
            }
            let texts = row.header_texts();
            if texts.iter().any(|t| is_known_header(t)) {
                break (row.number, texts);
            }
            seen += 1;
            if first_nonblank.is_none() {
                first_nonblank = Some((row.number, texts));
            }
            if seen > MAX_TITLE_ROWS {
                // No known header near the top: take the first non-empty
                // row, and start reading again after it.
                let (hr, h) = first_nonblank.take().unwrap_or_default();
                let mut again = TableReader::reopen_after(path, format, sheet, hr, limits)?;
                again.headers = h;
                again.header_row = hr;
                again.fingerprint = fingerprint;
                return Ok(again);
            }
        };
        Ok(TableReader {
            source,
            format,
            headers,
            header_row,
            row,
            fingerprint,
        })
    }

    /// Opens the file again and skips to just after row `header_row`.
    fn reopen_after(
        path: &Path,
        format: Format,
        sheet: Option<&str>,
        header_row: u32,
        limits: Limits,
    ) -> Result<Self, FileError> {
        let file = File::open(path).map_err(|e| FileError::io(path, e))?;
        let len = file.metadata().map_err(|e| FileError::io(path, e))?.len();
        let mut source = match format {
            Format::Csv => Source::Csv(CsvSource::open(path, file, len, limits)?),
            Format::Xlsx | Format::Xls => {
                Source::Sheet(SheetSource::open(path, format, sheet, limits)?)
            }
        };
        let mut row = Row {
            csv: format == Format::Csv,
            ..Row::default()
        };
        while source.next(&mut row)? {
            if row.number >= header_row {
                break;
            }
        }
        Ok(TableReader {
            source,
            format,
            headers: Vec::new(),
            header_row,
            row,
            fingerprint: FileFingerprint {
                len,
                modified: None,
            },
        })
    }

    /// The container format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The header cells as written (not normalised).
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The row number of the header.
    pub fn header_row(&self) -> u32 {
        self.header_row
    }

    /// Size and modification time of the file when it was opened.
    pub fn fingerprint(&self) -> FileFingerprint {
        self.fingerprint
    }

    /// The next non-blank data row, or `None` at the end.
    pub fn next_row(&mut self) -> Result<Option<&Row>, FileError> {
        if self.source.next(&mut self.row)? {
            Ok(Some(&self.row))
        } else {
            Ok(None)
        }
    }

    /// How far reading has got.
    pub fn progress(&self) -> Progress {
        match &self.source {
            Source::Csv(c) => Progress {
                done: c.counter.load(Ordering::Relaxed),
                total: c.total,
                unit: ProgressUnit::Bytes,
            },
            Source::Sheet(s) => Progress {
                done: s.rows_read,
                total: s.total_rows,
                unit: ProgressUnit::Rows,
            },
        }
    }
}

impl Source {
    /// Reads the next non-blank row into `row`; false at the end.
    fn next(&mut self, row: &mut Row) -> Result<bool, FileError> {
        match self {
            Source::Csv(c) => c.next(row),
            Source::Sheet(s) => s.next(row),
        }
    }
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

// ---------------------------------------------------------------- CSV ----

/// Text encodings accepted for CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    /// UTF-8; `bom` when the file starts with a byte-order mark.
    Utf8 {
        /// Starts with EF BB BF.
        bom: bool,
    },
    /// UTF-16 little-endian with BOM.
    Utf16Le,
    /// UTF-16 big-endian with BOM.
    Utf16Be,
    /// GB18030 (a superset of GBK and GB2312).
    Gb18030,
}

/// Size of the chunks the pre-scan reads.
const SCAN_CHUNK: usize = 64 * 1024;

/// Decides the encoding of a CSV file: BOM first; otherwise the file is
/// scanned (streaming, constant memory) and is UTF-8 when it is valid
/// UTF-8 to the end, else GB18030, which is then decoded strictly: a
/// sequence that is not GB18030 either makes reading fail with
/// [`FileError::Encoding`]. Bytes that never occur in text (NUL and other
/// control characters) make the file "not a CSV".
pub fn detect_encoding(file: &mut File) -> io::Result<Result<TextEncoding, FileError>> {
    file.seek(SeekFrom::Start(0))?;
    let mut head = [0u8; 3];
    let n = read_up_to(file, &mut head)?;
    let head = &head[..n];
    if head.starts_with(b"\xEF\xBB\xBF") {
        return Ok(Ok(TextEncoding::Utf8 { bom: true }));
    }
    if head.starts_with(b"\xFF\xFE") {
        return Ok(Ok(TextEncoding::Utf16Le));
    }
    if head.starts_with(b"\xFE\xFF") {
        return Ok(Ok(TextEncoding::Utf16Be));
    }
    file.seek(SeekFrom::Start(0))?;
    let mut buf = vec![0u8; SCAN_CHUNK];
    let mut carry = 0usize;
    let mut utf8 = true;
    loop {
        let n = read_up_to(file, &mut buf[carry..])?;
        if n == 0 {
            if carry > 0 {
                utf8 = false;
            }
            break;
        }
        let len = carry + n;
        if has_binary_byte(&buf[carry..len]) {
            return Ok(Err(binary_file()));
        }
        match std::str::from_utf8(&buf[..len]) {
            Ok(_) => carry = 0,
            Err(e) if e.error_len().is_none() => {
                let valid = e.valid_up_to();
                buf.copy_within(valid..len, 0);
                carry = len - valid;
            }
            Err(_) => {
                utf8 = false;
                break;
            }
        }
    }
    if utf8 {
        return Ok(Ok(TextEncoding::Utf8 { bom: false }));
    }
    // Not UTF-8: GB18030, which the reader decodes strictly, so a byte
    // sequence that is not GB18030 either still ends in FileError::Encoding
    // (and control bytes in FileError::Corrupt) when it is reached.
    Ok(Ok(TextEncoding::Gb18030))
}

/// True when `bytes` hold a control byte that never occurs in text
/// (without early exit, so that it vectorises).
fn has_binary_byte(bytes: &[u8]) -> bool {
    bytes.iter().fold(false, |acc, &b| acc | is_binary_byte(b))
}

/// The error the decoding reader stops with on binary content.
#[derive(Debug)]
struct BinaryContent;

impl std::fmt::Display for BinaryContent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("binary content")
    }
}

impl std::error::Error for BinaryContent {}

/// Control bytes that do not occur in a text file (tab, line feed,
/// vertical tab, form feed, carriage return and escape are allowed).
fn is_binary_byte(b: u8) -> bool {
    b < 0x09 || (0x0E..0x20).contains(&b) && b != 0x1B
}

fn binary_file() -> FileError {
    FileError::corrupt("文件中含有二进制内容，不是文本格式的 CSV")
}

/// Counts the bytes read from the file, for progress.
struct CountingReader<R> {
    inner: R,
    counter: Arc<AtomicU64>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Decodes a byte stream to UTF-8 incrementally; malformed input is an
/// `InvalidData` error (never replaced silently).
struct DecodeReader<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    input: Vec<u8>,
    in_start: usize,
    in_end: usize,
    output: Vec<u8>,
    out_start: usize,
    out_end: usize,
    eof: bool,
    done: bool,
    /// Refuse control bytes (for single-byte-based encodings).
    refuse_binary: bool,
}

impl<R: Read> DecodeReader<R> {
    fn new(inner: R, decoder: encoding_rs::Decoder, refuse_binary: bool) -> Self {
        DecodeReader {
            inner,
            decoder,
            input: vec![0; SCAN_CHUNK],
            in_start: 0,
            in_end: 0,
            output: vec![0; SCAN_CHUNK * 3 + 16],
            out_start: 0,
            out_end: 0,
            eof: false,
            done: false,
            refuse_binary,
        }
    }
}

impl<R: Read> Read for DecodeReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.out_start < self.out_end {
                let n = buf.len().min(self.out_end - self.out_start);
                buf[..n].copy_from_slice(&self.output[self.out_start..self.out_start + n]);
                self.out_start += n;
                return Ok(n);
            }
            if self.done {
                return Ok(0);
            }
            if self.in_start == self.in_end && !self.eof {
                self.in_start = 0;
                self.in_end = self.inner.read(&mut self.input)?;
                if self.in_end == 0 {
                    self.eof = true;
                }
                if self.refuse_binary && has_binary_byte(&self.input[..self.in_end]) {
                    return Err(io::Error::other(BinaryContent));
                }
            }
            let (result, read, written) = self.decoder.decode_to_utf8_without_replacement(
                &self.input[self.in_start..self.in_end],
                &mut self.output,
                self.eof,
            );
            self.in_start += read;
            self.out_start = 0;
            self.out_end = written;
            match result {
                encoding_rs::DecoderResult::InputEmpty => {
                    if self.eof {
                        self.done = true;
                    }
                }
                encoding_rs::DecoderResult::OutputFull => {}
                encoding_rs::DecoderResult::Malformed(_, _) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "malformed text encoding",
                    ));
                }
            }
        }
    }
}

struct CsvSource {
    path: String,
    reader: csv::Reader<LineBreaks<BufReader<Box<dyn Read + Send>>>>,
    counter: Arc<AtomicU64>,
    total: u64,
    /// Line breaks before the end of the last record.
    breaks: u64,
    /// Line breaks inside quoted fields so far: they do not start a new
    /// row in a spreadsheet.
    inner_breaks: u64,
    /// The previous record's row number.
    last_number: u64,
    limits: Limits,
}

/// Passes text through to the `csv` reader, noting where each line break
/// starts (CR LF counts once, at the CR), so that rows can be numbered as
/// a spreadsheet shows them: the `csv` crate skips blank lines and folds
/// them into the next record's position.
struct LineBreaks<R> {
    inner: R,
    offset: u64,
    after_cr: bool,
    pending: VecDeque<u64>,
    /// Where the record being read started: the reader refuses to feed a
    /// record longer than [`MAX_RECORD_BYTES`] (a quote left open would
    /// otherwise pull the rest of the file into one cell, in memory).
    record_start: u64,
}

/// Longest CSV record accepted: far above any real row (15 cells of at
/// most 1,000 characters are 45 KB).
pub const MAX_RECORD_BYTES: u64 = 1 << 20;

/// The error [`LineBreaks`] stops with on an overlong record.
#[derive(Debug)]
struct RecordTooLong;

impl std::fmt::Display for RecordTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CSV record too long")
    }
}

impl std::error::Error for RecordTooLong {}

impl<R: Read> Read for LineBreaks<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.offset.saturating_sub(self.record_start) > MAX_RECORD_BYTES {
            return Err(io::Error::other(RecordTooLong));
        }
        let n = self.inner.read(buf)?;
        let data = &buf[..n];
        // Eight bytes at a time: skip words without CR or LF.
        const ONES: u64 = 0x0101_0101_0101_0101;
        const HIGHS: u64 = 0x8080_8080_8080_8080;
        let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS != 0;
        let mut i = 0;
        while i < data.len() {
            if i + 8 <= data.len() {
                let mut word = [0u8; 8];
                word.copy_from_slice(&data[i..i + 8]);
                let w = u64::from_le_bytes(word);
                if !has_zero(w ^ (ONES * u64::from(b'\n')))
                    && !has_zero(w ^ (ONES * u64::from(b'\r')))
                {
                    self.after_cr = false;
                    i += 8;
                    continue;
                }
            }
            match data[i] {
                b'\r' => {
                    self.pending.push_back(self.offset + i as u64);
                    self.after_cr = true;
                }
                b'\n' => {
                    if !self.after_cr {
                        self.pending.push_back(self.offset + i as u64);
                    }
                    self.after_cr = false;
                }
                _ => self.after_cr = false,
            }
            i += 1;
        }
        self.offset += n as u64;
        Ok(n)
    }
}

impl<R> LineBreaks<R> {
    /// Removes the breaks before `end`; returns how many, and whether the
    /// last one is at `end - 1` (the record ended with a line break).
    fn take_before(&mut self, end: u64) -> (u64, bool) {
        let mut n = 0;
        let mut last = None;
        while let Some(&b) = self.pending.front() {
            if b >= end {
                break;
            }
            self.pending.pop_front();
            n += 1;
            last = Some(b);
        }
        (n, last.is_some_and(|b| b + 1 == end))
    }
}

/// Line breaks inside a record's fields, counted as [`LineBreaks`] does.
fn breaks_in(text: &str) -> u64 {
    let mut n = 0;
    let mut after_cr = false;
    for b in text.bytes() {
        match b {
            b'\r' => {
                n += 1;
                after_cr = true;
            }
            b'\n' => {
                if !after_cr {
                    n += 1;
                }
                after_cr = false;
            }
            _ => after_cr = false,
        }
    }
    n
}

impl CsvSource {
    fn open(path: &Path, mut file: File, total: u64, limits: Limits) -> Result<Self, FileError> {
        let io_err = |e| FileError::io(path, e);
        let encoding = detect_encoding(&mut file).map_err(io_err)??;
        let skip = match encoding {
            TextEncoding::Utf8 { bom: true } => 3,
            _ => 0,
        };
        file.seek(SeekFrom::Start(skip)).map_err(io_err)?;
        let counter = Arc::new(AtomicU64::new(skip));
        let counted = CountingReader {
            inner: file,
            counter: counter.clone(),
        };
        let text: Box<dyn Read + Send> = match encoding {
            TextEncoding::Utf8 { .. } => Box::new(counted),
            TextEncoding::Utf16Le => Box::new(DecodeReader::new(
                counted,
                encoding_rs::UTF_16LE.new_decoder_with_bom_removal(),
                false,
            )),
            TextEncoding::Utf16Be => Box::new(DecodeReader::new(
                counted,
                encoding_rs::UTF_16BE.new_decoder_with_bom_removal(),
                false,
            )),
            TextEncoding::Gb18030 => Box::new(DecodeReader::new(
                counted,
                encoding_rs::GB18030.new_decoder_without_bom_handling(),
                true,
            )),
        };
        let mut buffered = BufReader::with_capacity(SCAN_CHUNK, text);
        let delimiter = sniff_delimiter(buffered.fill_buf().map_err(io_err)?);
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .buffer_capacity(SCAN_CHUNK)
            .from_reader(LineBreaks {
                inner: buffered,
                offset: 0,
                after_cr: false,
                pending: VecDeque::new(),
                record_start: 0,
            });
        Ok(CsvSource {
            path: path.display().to_string(),
            reader,
            counter,
            total,
            breaks: 0,
            inner_breaks: 0,
            last_number: 0,
            limits,
        })
    }

    fn next(&mut self, row: &mut Row) -> Result<bool, FileError> {
        loop {
            match self.reader.read_record(&mut row.record) {
                Ok(false) => return Ok(false),
                Ok(true) => {}
                Err(e) => {
                    if let csv::ErrorKind::Io(io) = e.kind()
                        && io
                            .get_ref()
                            .is_some_and(|inner| inner.is::<RecordTooLong>())
                    {
                        return Err(FileError::corrupt(format!(
                            "从第{}行起的内容超过1MB仍未结束，通常是某个单元格里有一个没有配对的英文双引号（\"），请检查该行附近的引号",
                            self.last_number + 1
                        )));
                    }
                    return Err(csv_error(e, &self.path));
                }
            }
            // Row = 1 + breaks before the record's first character − breaks
            // inside earlier records' quotes.
            let end = self.reader.position().byte();
            self.reader.get_mut().record_start = end;
            let (n, terminated) = self.reader.get_mut().take_before(end);
            self.breaks += n;
            let text = row.record.as_slice();
            if text.as_bytes().iter().any(|&b| b == b'\n' || b == b'\r') {
                self.inner_breaks += breaks_in(text);
            }
            let number = (self.breaks + 1)
                .saturating_sub(self.inner_breaks)
                .saturating_sub(u64::from(terminated))
                // A quote left open at the end of the file can make the
                // count one short; rows never repeat or go back.
                .max(self.last_number + 1);
            self.last_number = number;
            self.limits.check_row(number)?;
            row.number = u32::try_from(number).map_err(|_| FileError::TooManyRows {
                limit: u64::from(u32::MAX),
            })?;
            for (column, text) in row.record.iter().enumerate() {
                self.limits.check_cell(number, column, text)?;
            }
            if !row.is_blank() {
                return Ok(true);
            }
        }
    }
}

/// Comma unless the first line has more tabs (Excel's "Unicode text") or
/// semicolons.
fn sniff_delimiter(start: &[u8]) -> u8 {
    let line = start
        .split(|&b| b == b'\n')
        .find(|l| l.iter().any(|b| !b.is_ascii_whitespace()))
        .unwrap_or_default();
    let count = |c: u8| line.iter().filter(|&&b| b == c).count();
    let (commas, tabs, semis) = (count(b','), count(b'\t'), count(b';'));
    if tabs > commas && tabs >= semis {
        b'\t'
    } else if semis > commas && semis > tabs {
        b';'
    } else {
        b','
    }
}

fn csv_error(e: csv::Error, path: &str) -> FileError {
    if let csv::ErrorKind::Io(io) = e.kind()
        && io
            .get_ref()
            .is_some_and(|inner| inner.is::<BinaryContent>())
    {
        return binary_file();
    }
    match e.into_kind() {
        csv::ErrorKind::Io(io) if io.kind() == io::ErrorKind::InvalidData => FileError::Encoding,
        csv::ErrorKind::Io(io) => FileError::Io {
            path: path.to_string(),
            source: io,
        },
        csv::ErrorKind::Utf8 { .. } => FileError::Encoding,
        _ => FileError::corrupt("CSV 格式错误"),
    }
}

// ----------------------------------------------------------- workbooks ----

enum Msg {
    Start { total_rows: u64 },
    Rows(Vec<(u32, Vec<Cell>)>),
    Failed(FileError),
    End,
}

struct SheetSource {
    rx: Receiver<Msg>,
    batch: std::vec::IntoIter<(u32, Vec<Cell>)>,
    rows_read: u64,
    total_rows: u64,
    finished: bool,
}

impl SheetSource {
    fn open(
        path: &Path,
        format: Format,
        sheet: Option<&str>,
        limits: Limits,
    ) -> Result<Self, FileError> {
        let (tx, rx) = sync_channel(4);
        let path_buf = path.to_path_buf();
        let sheet = sheet.map(str::to_string);
        std::thread::Builder::new()
            .name("jianfu-ingest-sheet".into())
            .spawn(move || sheet_thread(path_buf, format, sheet, limits, tx))
            .map_err(|e| FileError::io(path, e))?;
        let mut source = SheetSource {
            rx,
            batch: Vec::new().into_iter(),
            rows_read: 0,
            total_rows: 0,
            finished: false,
        };
        match source.recv()? {
            Msg::Start { total_rows } => source.total_rows = total_rows,
            _ => return Err(FileError::corrupt("无法读取工作表")),
        }
        Ok(source)
    }

    fn recv(&mut self) -> Result<Msg, FileError> {
        match self.rx.recv() {
            Ok(Msg::Failed(e)) => {
                self.finished = true;
                Err(e)
            }
            Ok(m) => Ok(m),
            // The thread ended without saying so: it panicked.
            Err(_) => {
                self.finished = true;
                Err(FileError::corrupt("工作簿内容无法解析"))
            }
        }
    }

    fn next(&mut self, row: &mut Row) -> Result<bool, FileError> {
        loop {
            if let Some((number, cells)) = self.batch.next() {
                self.rows_read = u64::from(number);
                row.number = number;
                row.cells = cells;
                return Ok(true);
            }
            if self.finished {
                return Ok(false);
            }
            match self.recv()? {
                Msg::Rows(rows) => self.batch = rows.into_iter(),
                Msg::End => {
                    self.finished = true;
                    self.rows_read = self.total_rows.max(self.rows_read);
                }
                Msg::Start { .. } | Msg::Failed(_) => {}
            }
        }
    }
}

/// Why the workbook thread stopped early.
enum Stop {
    /// The reader went away; nothing more to do.
    Gone,
    /// A problem to hand over.
    Failed(FileError),
}

impl From<FileError> for Stop {
    fn from(e: FileError) -> Self {
        Stop::Failed(e)
    }
}

fn sheet_thread(
    path: PathBuf,
    format: Format,
    sheet: Option<String>,
    limits: Limits,
    tx: SyncSender<Msg>,
) {
    let result = match format {
        Format::Xls => read_xls(&path, sheet.as_deref(), limits, &tx),
        _ => read_xlsx(&path, sheet.as_deref(), limits, &tx),
    };
    let _ = match result {
        Ok(()) => tx.send(Msg::End),
        Err(Stop::Failed(e)) => tx.send(Msg::Failed(e)),
        Err(Stop::Gone) => Ok(()),
    };
}

fn pick_sheet(names: &[String], wanted: Option<&str>) -> Result<String, FileError> {
    match wanted {
        None => names
            .first()
            .cloned()
            .ok_or_else(|| FileError::corrupt("工作簿中没有工作表")),
        Some(w) => {
            let w = w.trim();
            names
                .iter()
                .find(|n| n.as_str() == w)
                .or_else(|| names.iter().find(|n| n.trim() == w))
                .cloned()
                .ok_or_else(|| FileError::SheetNotFound {
                    name: w.to_string(),
                    available: names.to_vec(),
                })
        }
    }
}

fn xlsx_error(e: XlsxError) -> FileError {
    match e {
        XlsxError::Io(io) => FileError::Io {
            path: "（工作簿）".to_string(),
            source: io,
        },
        XlsxError::Zip(_) => FileError::corrupt("压缩包结构损坏或文件不完整"),
        XlsxError::Xml(_) | XlsxError::XmlAttr(_) | XlsxError::XmlEof(_) => {
            FileError::corrupt("工作表内容（XML）损坏")
        }
        XlsxError::FileNotFound(_) | XlsxError::RelationshipNotFound => {
            FileError::corrupt("缺少工作簿的组成部分")
        }
        XlsxError::WorksheetNotFound(name) => FileError::SheetNotFound {
            name,
            available: Vec::new(),
        },
        _ => FileError::corrupt("无法解析工作簿"),
    }
}

fn read_xlsx(
    path: &Path,
    wanted: Option<&str>,
    limits: Limits,
    tx: &SyncSender<Msg>,
) -> Result<(), Stop> {
    crate::inflate::check_inflated_size(path, limits.xlsx_inflated_bytes)?;
    let file = File::open(path).map_err(|e| FileError::io(path, e))?;
    let mut wb: Xlsx<BufReader<File>> = Xlsx::new(BufReader::new(file)).map_err(xlsx_error)?;
    let name = pick_sheet(&wb.sheet_names(), wanted)?;
    let is_1904 = wb.has_1904_epoch();
    let merges = wb.merge_cells_by_sheet_name(&name).map_err(xlsx_error)?;
    let mut cells = wb.worksheet_cells_reader(&name).map_err(xlsx_error)?;
    let dims = cells.dimensions();
    let total_rows = if dims == Dimensions::default() {
        0
    } else {
        u64::from(dims.end.0) + 1
    };
    tx.send(Msg::Start { total_rows }).map_err(|_| Stop::Gone)?;
    let mut rows = RowAssembler::new(merges, limits, tx);
    while let Some(cell) = cells.next_cell().map_err(xlsx_error)? {
        let (r, c) = cell.get_position();
        rows.push(r, c, convert_ref(cell.get_value(), is_1904))?;
    }
    rows.finish()
}

fn read_xls(
    path: &Path,
    wanted: Option<&str>,
    limits: Limits,
    tx: &SyncSender<Msg>,
) -> Result<(), Stop> {
    let file = File::open(path).map_err(|e| FileError::io(path, e))?;
    let mut wb: Xls<BufReader<File>> = Xls::new(BufReader::new(file))
        .map_err(|_| FileError::corrupt("Excel 97-2003（.xls）文件损坏或无法解析"))?;
    let name = pick_sheet(&wb.sheet_names(), wanted)?;
    let is_1904 = wb.has_1904_epoch();
    let merges = wb.merge_cells_by_sheet_name(&name).unwrap_or_default();
    let range = wb
        .worksheet_range(&name)
        .map_err(|_| FileError::corrupt("Excel 97-2003（.xls）工作表无法解析"))?;
    let (r0, c0) = range.start().unwrap_or((0, 0));
    let total_rows = range.end().map_or(0, |(r, _)| u64::from(r) + 1);
    tx.send(Msg::Start { total_rows }).map_err(|_| Stop::Gone)?;
    let mut rows = RowAssembler::new(merges, limits, tx);
    for (i, cells) in range.rows().enumerate() {
        let r = r0.saturating_add(u32::try_from(i).unwrap_or(u32::MAX));
        for (j, value) in cells.iter().enumerate() {
            if matches!(value, Data::Empty) {
                continue;
            }
            let c = c0.saturating_add(u32::try_from(j).unwrap_or(u32::MAX));
            rows.push(r, c, convert_data(value, is_1904))?;
        }
    }
    rows.finish()
}

fn date_serial(value: f64, is_1904: bool) -> f64 {
    if is_1904 {
        value + EXCEL_1904_OFFSET
    } else {
        value
    }
}

fn convert_ref(v: &DataRef<'_>, is_1904: bool) -> Cell {
    match v {
        DataRef::Empty => Cell::Empty,
        DataRef::Int(i) => Cell::Number(*i as f64),
        DataRef::Float(f) => Cell::Number(*f),
        DataRef::String(s) => Cell::Text(s.clone()),
        DataRef::SharedString(s) => Cell::Text(s.to_string()),
        DataRef::Bool(b) => Cell::Bool(*b),
        DataRef::DateTime(d) if d.is_duration() => Cell::Number(d.as_f64()),
        DataRef::DateTime(d) => Cell::DateTime(date_serial(d.as_f64(), is_1904)),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Cell::Text(s.clone()),
        DataRef::Error(e) => Cell::Error(e.to_string()),
    }
}

fn convert_data(v: &Data, is_1904: bool) -> Cell {
    match v {
        Data::Empty => Cell::Empty,
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::String(s) => Cell::Text(s.clone()),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(d) if d.is_duration() => Cell::Number(d.as_f64()),
        Data::DateTime(d) => Cell::DateTime(date_serial(d.as_f64(), is_1904)),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Error(e) => Cell::Error(e.to_string()),
    }
}

/// A merged area and the value of its top-left cell.
struct Merge {
    first_row: u32,
    last_row: u32,
    first_col: u32,
    last_col: u32,
    value: Cell,
}

/// Groups streamed cells into rows, fills merged areas and sends the rows
/// in batches.
struct RowAssembler<'a> {
    tx: &'a SyncSender<Msg>,
    /// Merged areas not yet reached, sorted by first row (descending, so
    /// the next one is popped from the end).
    pending: Vec<Merge>,
    /// Merged areas covering the current row.
    active: Vec<Merge>,
    current: Option<(u32, Vec<Cell>)>,
    /// Last row handed on (for filling rows absent from the file).
    last_emitted: Option<u32>,
    batch: Vec<(u32, Vec<Cell>)>,
    limits: Limits,
}

impl<'a> RowAssembler<'a> {
    fn new(merges: Vec<Dimensions>, limits: Limits, tx: &'a SyncSender<Msg>) -> Self {
        // Merged areas are cut at the column limit: a title merged across
        // the whole sheet is not a reason to refuse the file.
        let columns = limits.columns.min(MAX_COLUMNS);
        let mut pending: Vec<Merge> = merges
            .into_iter()
            .filter(|d| d.start.0 <= d.end.0 && d.start.1 <= d.end.1)
            .filter(|d| (d.start.1 as usize) < columns)
            .map(|d| Merge {
                first_row: d.start.0,
                last_row: d.end.0,
                first_col: d.start.1,
                last_col: d.end.1.min(columns as u32 - 1),
                value: Cell::Empty,
            })
            .collect();
        pending.sort_by_key(|m| std::cmp::Reverse(m.first_row));
        RowAssembler {
            tx,
            pending,
            active: Vec::new(),
            current: None,
            last_emitted: None,
            batch: Vec::with_capacity(BATCH_ROWS),
            limits,
        }
    }

    fn push(&mut self, r: u32, c: u32, value: Cell) -> Result<(), Stop> {
        let row = u64::from(r) + 1;
        self.limits.check_row(row)?;
        let text = match &value {
            Cell::Text(s) => s.as_str(),
            Cell::Empty => "",
            // Numbers and the like are short; only their column counts.
            _ => "0",
        };
        self.limits.check_cell(row, c as usize, text)?;
        if c as usize >= MAX_COLUMNS {
            return Ok(());
        }
        match &mut self.current {
            Some((cur, cells)) if *cur == r => put(cells, c as usize, value),
            _ => {
                if let Some((cur, cells)) = self.current.take() {
                    self.emit(cur, cells)?;
                }
                self.fill_gap_before(r)?;
                let mut cells = Vec::new();
                put(&mut cells, c as usize, value);
                self.current = Some((r, cells));
            }
        }
        Ok(())
    }

    /// Rows the file leaves out but a merged area covers still carry the
    /// area's value.
    fn fill_gap_before(&mut self, r: u32) -> Result<(), Stop> {
        let Some(last) = self.last_emitted else {
            return Ok(());
        };
        let mut next = last.saturating_add(1);
        while next < r {
            self.activate(next);
            if self.active.is_empty() {
                // Jump to the next area's first row, if it lies in the gap.
                match self.pending.last() {
                    Some(m) if m.first_row < r => next = m.first_row.max(next),
                    _ => break,
                }
                continue;
            }
            self.emit(next, Vec::new())?;
            next += 1;
        }
        Ok(())
    }

    fn activate(&mut self, r: u32) {
        while self.pending.last().is_some_and(|m| m.first_row <= r) {
            if let Some(m) = self.pending.pop() {
                self.active.push(m);
            }
        }
        self.active.retain(|m| m.last_row >= r);
    }

    fn emit(&mut self, r: u32, mut cells: Vec<Cell>) -> Result<(), Stop> {
        // Rows out of order (never written by Excel) are numbered on, so
        // that no row number is used twice.
        let r = match self.last_emitted {
            Some(last) if r <= last => last.saturating_add(1),
            _ => r,
        };
        self.activate(r);
        for m in &mut self.active {
            if m.first_row == r {
                m.value = cells.get(m.first_col as usize).cloned().unwrap_or_default();
            }
            for c in m.first_col..=m.last_col {
                if r != m.first_row || c != m.first_col {
                    put(&mut cells, c as usize, m.value.clone());
                }
            }
        }
        self.last_emitted = Some(r);
        let blank = cells.iter().all(|c| c.as_ref().is_blank());
        if !blank {
            let number = r.checked_add(1).ok_or(FileError::TooManyRows {
                limit: u64::from(u32::MAX),
            })?;
            self.batch.push((number, cells));
            if self.batch.len() >= BATCH_ROWS {
                let full = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH_ROWS));
                self.tx.send(Msg::Rows(full)).map_err(|_| Stop::Gone)?;
            }
        }
        Ok(())
    }

    fn finish(mut self) -> Result<(), Stop> {
        if let Some((cur, cells)) = self.current.take() {
            self.emit(cur, cells)?;
        }
        // Merged areas reaching below the last written row.
        let last_row = self
            .active
            .iter()
            .chain(&self.pending)
            .map(|m| m.last_row)
            .max();
        if let Some(end) = last_row {
            self.fill_gap_before(end.saturating_add(1))?;
        }
        if !self.batch.is_empty() {
            let rest = std::mem::take(&mut self.batch);
            self.tx.send(Msg::Rows(rest)).map_err(|_| Stop::Gone)?;
        }
        Ok(())
    }
}

fn put(cells: &mut Vec<Cell>, c: usize, value: Cell) {
    if cells.len() <= c {
        cells.resize(c + 1, Cell::Empty);
    }
    cells[c] = value;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiter_sniffing() {
        assert_eq!(sniff_delimiter(b"a,b,c\n1\t2"), b',');
        assert_eq!(sniff_delimiter(b"\n\na\tb\tc\n"), b'\t');
        assert_eq!(sniff_delimiter(b"a;b;c"), b';');
        assert_eq!(sniff_delimiter(b""), b',');
    }

    #[test]
    fn binary_bytes() {
        assert!(is_binary_byte(0));
        assert!(is_binary_byte(0x1F));
        assert!(!is_binary_byte(b'\t'));
        assert!(!is_binary_byte(b'\r'));
        assert!(!is_binary_byte(b'\n'));
        assert!(!is_binary_byte(0x1B));
        assert!(!is_binary_byte(0x80));
    }
}
